/*
 * Internals shared by the daemon's files: daemon.c (loop, scheduler,
 * run threads, signals), api.c (the HTTP server and its routes),
 * check.c (trying an endpoint before it is saved), metrics.c (the
 * Prometheus page), catalog.c (the served catalog) and the embedded
 * operator page. Nothing outside harvester/serve includes this.
 *
 * Threads: the loop thread owns the scheduler and its store handle; the
 * HTTP threads share one store handle under api_mu; each run has a
 * thread and a store handle of its own. What more than one of them
 * touches lives under mu.
 */
#ifndef HV_SERVE_SERVE_INT_H
#define HV_SERVE_SERVE_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "map/profile.h"
#include "outbox/sender.h"
#include "serve/serve.h"
#include "sinks/sink.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/* Buckets (seconds) of the latency histograms. */
#define HV_SERVE_BUCKETS 10
extern const double hv__serve_buckets[HV_SERVE_BUCKETS];

typedef struct hv__histogram {
  uint64_t counts[HV_SERVE_BUCKETS + 1]; /* last: above every bucket */
  uint64_t n;
  double sum;
} hv__histogram;

/* Adds one observation. */
void hv__histogram_add(hv__histogram *h, double seconds);

/* A name waiting for a run slot, or running. */
typedef struct hv__name_list {
  char **names;
  size_t n, cap;
} hv__name_list;

typedef struct hv_server {
  hv_serve_config cfg;        /* current settings; replaced under mu */
  char *config_path;
  uv_loop_t loop;
  uv_timer_t tick;            /* scheduler tick, once a second */
  uv_async_t wake;            /* runs finished or triggers queued */
  uv_signal_t sigterm, sigint, sighup;
  hv_store *sched_store;      /* loop thread only */
  hv_store *api_store;        /* HTTP threads, under api_mu */
  uv_mutex_t api_mu;
  struct MHD_Daemon *mhd;
  uint16_t port;              /* the port bound */
  hv_profile *profile;        /* NULL without a profile; read-only */
  hv_sink_conf *sinks;        /* cfg.sinks_path's sinks, read at start;
                                 read-only afterwards */
  size_t n_sinks;
  uv_mutex_t drain_mu;        /* one outbox drain at a time: two runs
                                 ending together must not send the same
                                 operations twice */
  void *catalog_world;        /* raptor world of the served catalog,
                                 under api_mu; created on first use */

  uv_mutex_t mu;              /* guards everything below */
  hv__name_list queued;       /* triggered through the API, not started */
  hv__name_list running;      /* sources with a run in progress */
  struct hv__run_job *done;   /* finished runs for the loop to reap */
  int draining;               /* SIGTERM seen: start nothing new */
  uint64_t runs_started;
  uint64_t runs_finished[4];  /* ok, failed, held, error */
  hv__histogram run_seconds;  /* whole runs */
  hv__histogram fetch_seconds; /* endpoint checks' page fetches */
  hv__histogram page_seconds; /* harvests' page fetches (on_page) */
  int64_t started_at;
  uint64_t drains;            /* outbox drains since start-up */
  int64_t last_drain_at;      /* unix seconds of the last drain, or 0 */
  hv_outbox_stats last_drain; /* what it did */
  char last_drain_error[HV_ERROR_MSG_MAX]; /* why it could not run, or "" */

  struct hv__sched_entry *entries; /* loop thread only */
  size_t n_entries;
  int reload_sources;         /* loop thread: re-read the source list */
} hv_server;

/* ---- shared helpers (daemon.c) ----------------------------------------- */

/* Returns 1 if name is in the list. */
int hv__names_has(const hv__name_list *l, const char *name);
/* Adds a copy of name; HV_ENOMEM. */
int hv__names_add(hv__name_list *l, const char *name);
/* Removes name if present. */
void hv__names_remove(hv__name_list *l, const char *name);
void hv__names_fini(hv__name_list *l);

/*
 * Queues a run of source name from the API thread. Returns 0,
 * HV_EEXISTS when it is already queued or running, HV_ECANCELED while
 * the daemon shuts down.
 */
int hv__serve_trigger(hv_server *srv, const char *name, hv_error *err);

/* Tells the loop that the source list changed. Any thread. */
void hv__serve_sources_changed(hv_server *srv);

/* Writes one JSON log line {"time","level","event",...fields}; takes
 * fields (may be NULL). Any thread. */
void hv__serve_log(const char *level, const char *event, json_t *fields);

/* ---- HTTP (api.c) ------------------------------------------------------ */

/* Starts the HTTP server on the configured address; sets srv->port. */
int hv__api_start(hv_server *srv, hv_error *err);
/* Stops it (waits for its threads). NULL-safe on a server not started. */
void hv__api_stop(hv_server *srv);

/*
 * Refuses a source URL whose host is, or resolves to, an address the
 * configuration does not allow (loopback, private, reserved), with
 * HV_EPOLICY naming the address. A host that does not resolve passes:
 * the fetcher checks every connection again.
 */
int hv__api_check_url_policy(const hv_serve_config *cfg, const char *url,
                             hv_error *err);

/* ---- endpoint check (check.c) ------------------------------------------- */

/*
 * Fetches url's first page (format_hint may be NULL), decodes it, maps up
 * to a few datasets with the profile, and returns a JSON report in *out.
 * The fetch's wall time goes into the fetch histogram. Returns 0 with a
 * report even when the endpoint is bad (the report says why: "ok": false
 * and "error"), or a negative code for the daemon's own failures.
 */
int hv__check_endpoint(hv_server *srv, const char *url,
                       const char *format_hint, json_t **out, hv_error *err);

/* ---- metrics (metrics.c) ------------------------------------------------ */

/* Appends the Prometheus text page to out; call with api_mu held. */
int hv__metrics_render(hv_server *srv, hv_buf *out, hv_error *err);

/* ---- served catalog (catalog.c) ------------------------------------------ */

/*
 * Renders page (1-based) of the catalog in syntax "turtle" or "rdfxml"
 * into out, with Hydra paging links under base. Call with api_mu held.
 * HV_ENOTFOUND for a page past the end.
 */
int hv__catalog_render(hv_server *srv, const char *syntax, long page,
                       const char *base, hv_buf *out, hv_error *err);

/* Frees the catalog's raptor world; call when no thread parses. */
void hv__catalog_fini(hv_server *srv);

/* ---- operator page (generated from serve/www) ---------------------------- */

typedef struct hv__asset {
  const char *path;         /* "/", "/app.js", ... */
  const char *content_type;
  const unsigned char *data;
  size_t len;
} hv__asset;

extern const hv__asset hv__www_assets[];
extern const size_t hv__www_asset_count;

#endif
