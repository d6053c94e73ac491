/*
 * The outbox sender (see sender.h).
 *
 * Each sink has a run record with its slots. The drain is driven by one
 * "kick": a zero-delay timer that fills every sink's free slots from the
 * store's ready query and then checks whether anything is left to wait
 * for. Completions only record their outcome and kick again, so a sink
 * that completes inside put (the files sink) does not recurse into the
 * pump.
 *
 * Every pending operation the drain touched is tracked in a small list:
 * in flight, waiting out its backoff, or given up for this drain (too
 * many attempts, or its sink halted); finished ones leave it. The ready
 * query does not know that list, so it is asked for enough rows to skip
 * the tracked ones.
 *
 * A sink confirmed by its flush (the files sink, which rewrites the whole
 * catalog from the store) is not sent operations one by one: its flush
 * confirms every operation that was pending when the drain started.
 *
 * A sink that fails max_attempts operations in a row without one success
 * is halted for the rest of the drain: a sink that is down must not cost
 * every queued operation its own series of timeouts. Its operations stay
 * pending for the next drain.
 */
#include "outbox/sender.h"

#include <string.h>
#include <uv.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#define MAX_PAYLOAD ((size_t)64 << 20)

typedef enum track_state { T_INFLIGHT, T_WAITING, T_GIVEN_UP } track_state;

typedef struct track {
  int64_t seq;
  int sink;         /* index into the drain's sinks */
  track_state state;
  int sends;        /* sends in this drain */
  uint64_t due_ms;  /* waiting: when it may be resent (loop time) */
} track;

struct drain;

typedef struct sink_run {
  struct drain *d;
  int index;
  hv_sink *sink;
  int limit;        /* in flight at most */
  int active;       /* in flight now */
  int halted;
  int failures_in_row;
  size_t given_up;  /* tracked operations given up */
  int64_t flush_through; /* confirm_on_flush: newest pending operation at
                            the start, confirmed with all before it */
} sink_run;

typedef struct inflight {
  struct drain *d;
  sink_run *sr;
  hv_outbox_op *op;   /* owned, one element */
  hv_outbox_dataset ds;
  hv_buf payload;
} inflight;

typedef struct drain {
  uv_loop_t loop;
  uv_timer_t kick;  /* zero-delay pump */
  uv_timer_t wake;  /* earliest backoff end */
  hv_store *store;
  hv_outbox_opts opts;
  sink_run *sinks;
  size_t n_sinks;
  track *tracks;
  size_t n_tracks, cap_tracks;
  size_t waiting;
  int finished;
  int fatal;        /* a store error: stop as soon as nothing is in flight */
  hv_error err;     /* the fatal error */
  hv_outbox_stats *stats;
} drain;

static int64_t now_ms(void)
{
  uv_timeval64_t tv;

  uv_gettimeofday(&tv);
  return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static track *track_find(drain *d, int64_t seq)
{
  size_t i;

  for (i = 0; i < d->n_tracks; i++)
    if (d->tracks[i].seq == seq)
      return &d->tracks[i];
  return NULL;
}

/* Forgets a finished operation, so the list only holds pending ones. */
static void track_remove(drain *d, int64_t seq)
{
  track *t = track_find(d, seq);

  if (t)
    *t = d->tracks[--d->n_tracks];
}

static track *track_add(drain *d, int64_t seq, int sink)
{
  track *grown;

  if (d->n_tracks == d->cap_tracks) {
    size_t cap = d->cap_tracks ? d->cap_tracks * 2 : 64;

    if (!(grown = hv_realloc(d->tracks, cap * sizeof(*grown))))
      return NULL;
    d->tracks = grown;
    d->cap_tracks = cap;
  }
  grown = &d->tracks[d->n_tracks++];
  memset(grown, 0, sizeof(*grown));
  grown->seq = seq;
  grown->sink = sink;
  return grown;
}

static void on_kick(uv_timer_t *timer);

static void kick(drain *d)
{
  if (!d->finished)
    uv_timer_start(&d->kick, on_kick, 0, 0);
}

static void set_fatal(drain *d, const hv_error *err)
{
  if (!d->fatal) {
    d->fatal = 1;
    d->err = *err;
  }
}

/* Keeps the first reason a drain did not reach every sink. */
static void note_message(drain *d, const char *sink, const char *what,
                         const char *why)
{
  if (!d->stats->message[0])
    snprintf(d->stats->message, sizeof(d->stats->message),
             "sink %.64s: %s%.400s", sink, what, why);
}

/* Stops sending to a sink; its waiting operations are given up. */
static void halt(sink_run *sr, const char *why)
{
  drain *d = sr->d;
  size_t i;

  if (sr->halted)
    return;
  sr->halted = 1;
  d->stats->halted++;
  hv_log_error("sink %s: %s; its operations stay queued", sr->sink->name,
               why);
  note_message(d, sr->sink->name, "", why);
  for (i = 0; i < d->n_tracks; i++)
    if (d->tracks[i].sink == sr->index && d->tracks[i].state == T_WAITING) {
      d->tracks[i].state = T_GIVEN_UP;
      d->waiting--;
      sr->given_up++;
    }
}

static void inflight_free(inflight *f)
{
  hv_outbox_ops_free(f->op, 1);
  hv_outbox_dataset_fini(&f->ds);
  hv_buf_fini(&f->payload);
  hv_free(f);
}

static long backoff(const drain *d, int64_t attempts)
{
  long ms = d->opts.backoff_ms;

  while (attempts-- > 0 && ms < d->opts.max_backoff_ms)
    ms *= 2;
  return ms < d->opts.max_backoff_ms ? ms : d->opts.max_backoff_ms;
}

static void op_done(hv_sink_status status, const hv_error *serr,
                    void *payload)
{
  inflight *f = payload;
  drain *d = f->d;
  sink_run *sr = f->sr;
  hv_outbox_op *op = f->op;
  track *t = track_find(d, op->seq);
  hv_error err = HV_ERROR_INIT;
  const char *why = serr && serr->msg[0] ? serr->msg : "sink error";
  int rc = 0;

  sr->active--;
  if (status == HV_SINK_OK) {
    sr->failures_in_row = 0;
    if ((rc = hv_store_outbox_done(d->store, op->seq, &err)) == 0)
      d->stats->done++;
    track_remove(d, op->seq);
    goto out;
  }
  if (status == HV_SINK_PARK) {
    hv_log_warn("sink %s: %s %s/%s parked: %s", sr->sink->name,
                op->op == HV_OUTBOX_PUT ? "put" : "delete", op->source_name,
                op->key, why);
    if ((rc = hv_store_outbox_failed(d->store, op->seq, 1, 0, why, &err)) == 0)
      d->stats->parked++;
    track_remove(d, op->seq);
    goto out;
  }
  /* A retryable failure, or one that stops the whole sink. */
  d->stats->failed++;
  sr->failures_in_row++;
  hv_log_warn("sink %s: %s %s/%s failed (attempt %lld): %s", sr->sink->name,
              op->op == HV_OUTBOX_PUT ? "put" : "delete", op->source_name,
              op->key, (long long)op->attempts + 1, why);
  rc = hv_store_outbox_failed(d->store, op->seq, 0,
                              now_ms() + backoff(d, op->attempts), why, &err);
  if (t) {
    if (status == HV_SINK_HALT || sr->halted ||
        t->sends >= d->opts.max_attempts) {
      t->state = T_GIVEN_UP;
      sr->given_up++;
    } else {
      t->state = T_WAITING;
      t->due_ms = uv_now(&d->loop) + (uint64_t)backoff(d, op->attempts);
      d->waiting++;
    }
  }
  if (status == HV_SINK_HALT)
    halt(sr, why);
  else if (sr->failures_in_row >= d->opts.max_attempts * sr->limit &&
           sr->failures_in_row >= d->opts.max_attempts) {
    char msg[HV_ERROR_MSG_MAX];

    snprintf(msg, sizeof(msg), "%d failures in a row, last: %.400s",
             sr->failures_in_row, why);
    halt(sr, msg);
  }

out:
  if (rc < 0)
    set_fatal(d, &err);
  inflight_free(f);
  kick(d);
}

/* Starts one ready operation; takes op (one element). */
static int start_op(sink_run *sr, hv_outbox_op *op, hv_error *err)
{
  drain *d = sr->d;
  inflight *f;
  hv_sink_item item;
  track *t;
  int rc;

  if (!(t = track_find(d, op->seq)) &&
      !(t = track_add(d, op->seq, sr->index))) {
    hv_outbox_ops_free(op, 1);
    return hv_error_oom(err);
  }
  if (t->state == T_WAITING)
    d->waiting--;
  t->state = T_INFLIGHT;
  t->sends++;
  if (!(f = hv_calloc(1, sizeof(*f)))) {
    hv_outbox_ops_free(op, 1);
    return hv_error_oom(err);
  }
  f->d = d;
  f->sr = sr;
  f->op = op;
  hv_buf_init(&f->payload, MAX_PAYLOAD);
  memset(&item, 0, sizeof(item));
  item.seq = op->seq;
  item.source = op->source_name;
  item.key = op->key;
  item.identity = op->identity;
  item.hash = op->hash;
  if (op->op == HV_OUTBOX_PUT) {
    hv_error derr = HV_ERROR_INIT;

    /* The dataset is sent as it is now: a later change has its own
     * operation queued behind this one, so the sink converges. */
    rc = hv_store_outbox_dataset(d->store, op->source_id, op->key, &f->ds,
                                 &f->payload, &derr);
    if (rc == HV_ENOTFOUND) {
      sr->active++;
      op_done(HV_SINK_PARK, &derr, f);
      return 0;
    }
    if (rc < 0) {
      *err = derr;
      inflight_free(f);
      return rc;
    }
    item.uri = f->ds.uri;
    item.identifier = f->ds.identifier;
    item.modified = f->ds.modified;
    item.hash = f->ds.hash;
    item.payload = f->payload.ptr ? f->payload.ptr : "";
    item.payload_len = f->payload.len;
  }
  sr->active++;
  if (op->op == HV_OUTBOX_PUT)
    rc = sr->sink->type->put(sr->sink, &item, op_done, f);
  else
    rc = sr->sink->type->delete(sr->sink, &item, op_done, f);
  if (rc < 0) {
    hv_error serr = HV_ERROR_INIT;

    hv_error_set(&serr, rc, "cannot start: %s", hv_strerror(rc));
    op_done(HV_SINK_RETRY, &serr, f);
  }
  return 0;
}

/* Fills a sink's free slots; *started counts the operations started. */
static int pump(sink_run *sr, size_t *started, hv_error *err)
{
  drain *d = sr->d;
  hv_outbox_op *ops = NULL;
  size_t n = 0, i, skip;
  int rc = 0;

  /* A sink confirmed by its flush is not sent operations one by one. */
  if (sr->halted || sr->active >= sr->limit ||
      sr->sink->type->confirm_on_flush)
    return 0;
  /* Rows in flight or given up are still pending in the table. */
  skip = (size_t)sr->active + sr->given_up;
  if ((rc = hv_store_outbox_ready(d->store, sr->sink->name, now_ms(),
                                  (size_t)(sr->limit - sr->active) + skip,
                                  &ops, &n, err)) < 0)
    return rc;
  for (i = 0; i < n; i++) {
    track *t = track_find(d, ops[i].seq);
    hv_outbox_op *one;

    if (rc < 0 || sr->halted || sr->active >= sr->limit ||
        (t && t->state != T_WAITING))
      continue;
    if (!(one = hv_malloc(sizeof(*one)))) {
      rc = hv_error_oom(err);
      continue;
    }
    *one = ops[i];
    memset(&ops[i], 0, sizeof(ops[i])); /* now owned by one */
    rc = start_op(sr, one, err);
    (*started)++;
  }
  hv_outbox_ops_free(ops, n);
  return rc;
}

static void finish(drain *d);

static void on_wake(uv_timer_t *t)
{
  kick(t->data);
}

static void on_kick(uv_timer_t *timer)
{
  drain *d = timer->data;
  hv_error err = HV_ERROR_INIT;
  uint64_t now = uv_now(&d->loop), next = 0;
  size_t i, started = 0;
  int active = 0;

  if (d->finished)
    return;
  for (i = 0; i < d->n_sinks && !d->fatal; i++)
    if (pump(&d->sinks[i], &started, &err) < 0)
      set_fatal(d, &err);
  /* Operations that completed at once (the files sink) freed their slots
   * inside the pump; more may be ready behind them. */
  if (started && !d->fatal) {
    kick(d);
    return;
  }
  for (i = 0; i < d->n_sinks; i++)
    active += d->sinks[i].active;
  /* A due operation the pump did not start is not coming back in this
   * drain (an operator changed the outbox meanwhile). */
  for (i = 0; i < d->n_tracks; i++) {
    track *t = &d->tracks[i];

    if (t->state != T_WAITING)
      continue;
    if (d->fatal || t->due_ms + 1000 < now) {
      t->state = T_GIVEN_UP;
      d->waiting--;
      d->sinks[t->sink].given_up++;
    } else if (!next || t->due_ms < next) {
      next = t->due_ms;
    }
  }
  if (active == 0 && d->waiting == 0) {
    finish(d);
    return;
  }
  if (next)
    uv_timer_start(&d->wake, on_wake, next > now ? next - now : 1, 0);
}

/* Flushes every sink and marks what its flush confirmed. */
static void finish(drain *d)
{
  hv_error err = HV_ERROR_INIT;
  size_t i, n = 0;

  d->finished = 1;
  uv_timer_stop(&d->wake);
  uv_timer_stop(&d->kick);
  for (i = 0; i < d->n_sinks; i++) {
    sink_run *sr = &d->sinks[i];

    if (d->fatal)
      break;
    if (!sr->sink->type->flush)
      continue;
    hv_error_clear(&err);
    if (sr->sink->type->flush(sr->sink, &err) < 0) {
      hv_log_error("sink %s: flush failed: %s", sr->sink->name, err.msg);
      note_message(d, sr->sink->name, "flush failed: ", err.msg);
      continue;
    }
    if (sr->sink->type->confirm_on_flush && sr->flush_through > 0) {
      if (hv_store_outbox_done_through(d->store, sr->sink->name,
                                       sr->flush_through, &n, &err) < 0) {
        set_fatal(d, &err);
        break;
      }
      d->stats->done += n;
    }
  }
}

static void close_walk(uv_handle_t *h, void *arg)
{
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

int hv_outbox_drain(hv_store *store, const hv_sink_conf *confs, size_t n,
                    const hv_outbox_opts *opts, hv_outbox_stats *stats,
                    hv_error *err)
{
  hv_outbox_opts defaults = HV_OUTBOX_OPTS_INIT;
  hv_outbox_stats local;
  hv_outbox_count *counts = NULL;
  size_t n_counts = 0, i;
  drain d;
  int rc = 0, loop_ok = 0;

  memset(&d, 0, sizeof(d));
  if (!stats)
    stats = &local;
  memset(stats, 0, sizeof(*stats));
  d.stats = stats;
  d.store = store;
  d.opts = opts ? *opts : defaults;
  if (d.opts.max_attempts < 1)
    d.opts.max_attempts = 1;
  if (d.opts.backoff_ms < 1)
    d.opts.backoff_ms = 1;
  if (d.opts.max_backoff_ms < d.opts.backoff_ms)
    d.opts.max_backoff_ms = d.opts.backoff_ms;
  if (d.opts.concurrency < 1)
    d.opts.concurrency = 1;
  if (n == 0)
    return 0;
  if ((rc = uv_loop_init(&d.loop)) != 0) {
    rc = hv_error_set(err, HV_EIO, "outbox: cannot make a loop: %s",
                      uv_strerror(rc));
    goto cleanup;
  }
  loop_ok = 1;
  uv_timer_init(&d.loop, &d.kick);
  uv_timer_init(&d.loop, &d.wake);
  d.kick.data = d.wake.data = &d;
  if (!(d.sinks = hv_calloc(n, sizeof(*d.sinks)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    hv_sink_env env = {&d.loop, store};
    sink_run *sr = &d.sinks[i];
    long limit = d.opts.concurrency;

    sr->d = &d;
    sr->index = (int)i;
    if ((rc = hv_sink_conf_int(&confs[i], "concurrency", 1, 64, &limit, err)) <
            0 ||
        (rc = hv_sink_open(&sr->sink, &confs[i], &env, err)) < 0)
      goto cleanup;
    sr->limit = (int)limit;
    d.n_sinks++;
    if (sr->sink->type->describe) {
      hv_buf what = HV_BUF_INIT(4096);

      if (sr->sink->type->describe(sr->sink, &what) == 0)
        hv_log_info("sink %s: %s, %d at a time", sr->sink->name, what.ptr,
                    sr->limit);
      hv_buf_fini(&what);
    }
  }
  if ((rc = hv_store_outbox_due_now(store, NULL, err)) < 0)
    goto cleanup;
  for (i = 0; i < d.n_sinks; i++)
    if (d.sinks[i].sink->type->confirm_on_flush &&
        (rc = hv_store_outbox_last_pending(store, d.sinks[i].sink->name,
                                           &d.sinks[i].flush_through, err)) <
            0)
      goto cleanup;
  uv_timer_start(&d.kick, on_kick, 0, 0);
  uv_run(&d.loop, UV_RUN_DEFAULT);
  if (d.fatal) {
    *err = d.err;
    rc = d.err.code ? d.err.code : HV_ESTORE;
  }

cleanup:
  for (i = 0; i < d.n_sinks; i++)
    hv_sink_close(d.sinks[i].sink);
  if (loop_ok) {
    uv_walk(&d.loop, close_walk, NULL);
    uv_run(&d.loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&d.loop) != 0 && rc == 0)
      rc = hv_error_set(err, HV_EIO, "outbox: loop still busy at close");
  }
  for (i = 0; i < d.n_sinks; i++) {
    hv_sink_free(d.sinks[i].sink);
  }
  hv_free(d.sinks);
  hv_free(d.tracks);
  if (rc == 0) {
    hv_error cerr = HV_ERROR_INIT;

    if (hv_store_outbox_counts(store, &counts, &n_counts, &cerr) == 0)
      for (i = 0; i < n_counts; i++) {
        size_t k;

        for (k = 0; k < n; k++)
          if (strcmp(confs[k].name, counts[i].sink) == 0)
            stats->left += (size_t)counts[i].pending;
      }
    hv_outbox_counts_free(counts, n_counts);
  }
  return rc;
}

int hv_outbox_configure(hv_store *store, const hv_sink_conf *confs, size_t n,
                        int withhold_all, hv_error *err)
{
  const char **names = NULL;
  int *withhold = NULL;
  size_t i;
  int rc = 0;

  if (!(names = hv_calloc(n + 1, sizeof(*names))) ||
      !(withhold = hv_calloc(n + 1, sizeof(*withhold)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    names[i] = confs[i].name;
    if ((rc = hv_sink_conf_withhold(&confs[i], &withhold[i], err)) < 0)
      goto cleanup;
    if (withhold_all)
      withhold[i] = 1;
  }
  rc = hv_store_outbox_configure(store, names, withhold, n, err);

cleanup:
  hv_free(names);
  hv_free(withhold);
  return rc;
}
