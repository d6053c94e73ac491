/*
 * The outbox sender: drains the store's outbox into the configured sinks.
 *
 * A drain runs its own libuv loop. Per sink it keeps up to `concurrency`
 * operations in flight, only ever the oldest unfinished one of a dataset
 * (the store's ready query guarantees it), and marks an operation done
 * only once the sink confirmed it: for HTTP sinks the response, for the
 * files sink the flush that rewrote the files. A failure is written to
 * the outbox (attempts, next_try, last_error) before anything else
 * happens, so a crash at any point leaves each operation either done or
 * pending, and the next drain resends the pending ones; the sinks'
 * operations are idempotent, so a resend of an operation that had in
 * fact been applied changes nothing.
 */
#ifndef HV_OUTBOX_SENDER_H
#define HV_OUTBOX_SENDER_H

#include <stddef.h>

#include "sinks/sink.h"
#include "store/store.h"
#include "util/error.h"

#define HV_OUTBOX_OPTS_VERSION 1

typedef struct hv_outbox_opts {
  unsigned version;
  int max_attempts;    /* sends of one operation per drain; default 5 */
  long backoff_ms;     /* delay before the first resend, doubling; 500 */
  long max_backoff_ms; /* cap on that delay; default 60000 */
  int concurrency;     /* in flight per sink unless the sink's
                          `concurrency` setting says otherwise; 4 */
} hv_outbox_opts;

#define HV_OUTBOX_OPTS_INIT {HV_OUTBOX_OPTS_VERSION, 5, 500, 60000, 4}

typedef struct hv_outbox_stats {
  size_t done;      /* operations confirmed and marked done */
  size_t failed;    /* failed sends (each is retried or left pending) */
  size_t parked;    /* operations a sink refused for good */
  size_t left;      /* operations still pending after the drain */
  size_t halted;    /* sinks that stopped (credentials, down) */
  char message[HV_ERROR_MSG_MAX]; /* first halt or flush reason, or "" */
} hv_outbox_stats;

/*
 * Opens the n configured sinks, sends their due operations until none is
 * left that may be sent in this drain, flushes and closes the sinks.
 * Every pending operation is made due first (an explicit drain does not
 * wait out earlier backoff). Returns 0 when the drain ran, whatever the
 * sinks answered (see stats), or a negative code when a sink could not
 * be opened or the store failed; err then names the cause.
 */
int hv_outbox_drain(hv_store *store, const hv_sink_conf *confs, size_t n,
                    const hv_outbox_opts *opts, hv_outbox_stats *stats,
                    hv_error *err);

/*
 * Tells the store which sinks the resolves queue operations for: the n
 * configured sinks, each withholding datasets with violations as its
 * `violations` setting says, or every one of them when withhold_all is
 * set (`run --violations withhold`, for that run's resolve only: the
 * caller configures again without it once the resolve is done). One
 * transaction; err names a bad `violations` value or the store failure.
 */
int hv_outbox_configure(hv_store *store, const hv_sink_conf *confs, size_t n,
                        int withhold_all, hv_error *err);

#endif
