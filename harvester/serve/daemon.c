/*
 * The daemon's loop: scheduler, run threads, signals (see serve.h).
 *
 * Why a thread per run: hv_harvest_run owns a libuv loop of its own and
 * returns when its sources are done, so calling it on the daemon's loop
 * would stop the scheduler and the signals for the length of a harvest.
 * A run thread opens its own store connection (SQLite in WAL mode lets
 * runs, the scheduler and the API share the file; writers wait on each
 * other through the busy timeout) and hands its reports back through an
 * async handle, so all bookkeeping stays on the loop thread.
 *
 * Scheduling: every enabled source has a cron expression and a fixed
 * jitter offset (a hash of its name, spread over `jitter` seconds, so the
 * same source always starts at the same offset and sources do not all
 * start at once). Its next run is the first cron time after its last
 * run's start, plus the offset. After downtime that time is in the past,
 * so the source runs once at start-up, and its next time is then counted
 * from that run: missed runs are caught up once, not once per miss. At
 * most max_concurrent_runs run at once; a source never overlaps itself.
 *
 * Page fetches: every run passes an observer (hv_harvest_opts.on_page)
 * that runs on the run's own loop thread after each fetch; it adds the
 * fetch's wall time to the harvest latency histogram under mu and logs
 * a "page_fetched" line.
 *
 * Sinks: with `sinks = FILE` the run thread drains the outbox after its
 * harvest, one drain at a time (drain_mu): two runs ending together
 * would otherwise send the same pending operations twice. The drain
 * sends every pending operation, not only the run's, so what an earlier
 * drain left over goes out with the next run.
 *
 * Shutdown: SIGTERM and SIGINT reach the runs' own loops too (libuv
 * delivers a signal to every loop watching it), where they cancel the
 * fetches in flight; the pages already decoded are committed and the
 * runs end as failed, deleting nothing. The daemon starts nothing new,
 * waits for its runs, stops the HTTP server and returns.
 */
#include "serve/serve.h"
#include "serve/serve_int.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harvest/assess.h"
#include "harvest/harvest.h"
#include "util/alloc.h"
#include "util/hash.h"
#include "util/log.h"

/* Re-read the source list at least this often (ticks of one second). */
#define RELOAD_TICKS 30

const double hv__serve_buckets[HV_SERVE_BUCKETS] = {
    0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

void hv__histogram_add(hv__histogram *h, double seconds)
{
  size_t i;

  for (i = 0; i < HV_SERVE_BUCKETS && seconds > hv__serve_buckets[i]; i++)
    ;
  h->counts[i]++;
  h->n++;
  h->sum += seconds;
}

typedef struct hv__run_job {
  hv_server *srv;
  hv_source src;
  char trigger[16];           /* "schedule", "catch-up", "api" */
  char *db_path;
  char *profiles_dir;         /* the daemon's, copied: a reload may go */
  hv_harvest_opts opts;
  uv_thread_t tid;
  hv_source_report *reports;  /* one, after the thread ends */
  int rc;
  hv_error err;
  uint64_t started_ns;
  struct hv__run_job *next;
} hv__run_job;

typedef struct hv__sched_entry {
  int64_t id;
  char *name;
  char *cron_text;
  hv_cron cron;
  int64_t next_due; /* unix seconds, or -1: never */
  int seen;         /* still in the source list */
} hv__sched_entry;

/* ---- names ----------------------------------------------------------- */

int hv__names_has(const hv__name_list *l, const char *name)
{
  size_t i;

  for (i = 0; i < l->n; i++) {
    if (strcmp(l->names[i], name) == 0)
      return 1;
  }
  return 0;
}

int hv__names_add(hv__name_list *l, const char *name)
{
  char *copy;

  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 8;
    char **grown = hv_realloc(l->names, ncap * sizeof(*grown));
    if (!grown)
      return HV_ENOMEM;
    l->names = grown;
    l->cap = ncap;
  }
  if (!(copy = hv_strdup(name)))
    return HV_ENOMEM;
  l->names[l->n++] = copy;
  return 0;
}

void hv__names_remove(hv__name_list *l, const char *name)
{
  size_t i;

  for (i = 0; i < l->n; i++) {
    if (strcmp(l->names[i], name) == 0) {
      hv_free(l->names[i]);
      memmove(&l->names[i], &l->names[i + 1],
              (l->n - i - 1) * sizeof(l->names[0]));
      l->n--;
      return;
    }
  }
}

void hv__names_fini(hv__name_list *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    hv_free(l->names[i]);
  hv_free(l->names);
  memset(l, 0, sizeof(*l));
}

/* ---- logging --------------------------------------------------------- */

void hv__serve_log(const char *level, const char *event, json_t *fields)
{
  char stamp[32];
  struct timespec ts;
  struct tm tm;
  json_t *line = fields ? fields : json_object();
  char *text;

  if (!line)
    return;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  json_object_set_new(line, "time", json_string(stamp));
  json_object_set_new(line, "level", json_string(level));
  json_object_set_new(line, "event", json_string(event));
  text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(line);
  if (!text)
    return;
  /* One write per line, so lines from several threads never mix. */
  {
    size_t len = strlen(text);
    char *withnl = hv_malloc(len + 2);
    if (withnl) {
      memcpy(withnl, text, len);
      withnl[len] = '\n';
      if (write(STDERR_FILENO, withnl, len + 1) < 0)
        len = 0;
      hv_free(withnl);
    }
  }
  free(text);
}

/* ---- runs ------------------------------------------------------------ */

static void job_free(hv__run_job *job)
{
  if (!job)
    return;
  hv_source_fini(&job->src);
  hv_source_reports_free(job->reports, 1);
  hv_free(job->db_path);
  hv_free(job->profiles_dir);
  hv_free(job);
}

/* The harvest's page observer: runs on a run thread's loop. */
static void on_page(const hv_page_event *e, void *payload)
{
  hv_server *srv = payload;
  int bad = e->error || (!e->not_modified && e->status != 200);

  uv_mutex_lock(&srv->mu);
  hv__histogram_add(&srv->page_seconds, e->seconds);
  uv_mutex_unlock(&srv->mu);
  hv__serve_log(bad ? "warn" : "info", "page_fetched",
                json_pack("{s:s, s:s, s:s, s:i, s:b, s:I, s:i, s:f, s:s?}",
                          "source", e->source, "state", e->state, "url",
                          e->url, "status", (int)e->status, "not_modified",
                          e->not_modified, "bytes", (json_int_t)e->bytes,
                          "attempts", e->attempts, "seconds", e->seconds,
                          "error", e->error));
}

/*
 * Drains the outbox into the configured sinks after a run of source
 * (run thread), unless the daemon is shutting down: then the operations
 * stay pending for the next drain.
 */
static void drain_outbox(hv_server *srv, hv_store *store, const char *source)
{
  hv_outbox_opts opts = HV_OUTBOX_OPTS_INIT;
  hv_outbox_stats st;
  hv_error err = HV_ERROR_INIT;
  int rc, draining;

  uv_mutex_lock(&srv->drain_mu);
  uv_mutex_lock(&srv->mu);
  draining = srv->draining;
  uv_mutex_unlock(&srv->mu);
  if (draining) {
    uv_mutex_unlock(&srv->drain_mu);
    return;
  }
  memset(&st, 0, sizeof(st));
  rc = hv_outbox_drain(store, srv->sinks, srv->n_sinks, &opts, &st, &err);
  uv_mutex_lock(&srv->mu);
  srv->drains++;
  srv->last_drain_at = (int64_t)time(NULL);
  srv->last_drain = st;
  snprintf(srv->last_drain_error, sizeof(srv->last_drain_error), "%s",
           rc < 0 ? err.msg : "");
  uv_mutex_unlock(&srv->mu);
  uv_mutex_unlock(&srv->drain_mu);
  if (rc < 0)
    hv__serve_log("error", "outbox_error",
                  json_pack("{s:s, s:s}", "after", source, "cause", err.msg));
  else
    hv__serve_log(st.parked || st.halted || st.message[0] ? "warn" : "info",
                  "outbox_drained",
                  json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:s?}", "after",
                            source, "done", (json_int_t)st.done, "failed",
                            (json_int_t)st.failed, "parked",
                            (json_int_t)st.parked, "left",
                            (json_int_t)st.left, "halted",
                            (json_int_t)st.halted, "message",
                            st.message[0] ? st.message : NULL));
}

static void run_thread(void *arg)
{
  hv__run_job *job = arg;
  hv_server *srv = job->srv;
  hv_store *store = NULL;

  job->rc = hv_store_open(&store, job->db_path, &job->err);
  if (job->rc == 0)
    job->rc = hv_harvest_run(store, &job->src, 1, &job->opts, &job->reports,
                             &job->err);
  /* A failed or held run may still have queued changes (pages that went
   * through), so every run that could be carried out is followed by a
   * drain. */
  if (job->rc == 0 && srv->n_sinks > 0)
    drain_outbox(srv, store, job->src.name);
  hv_store_close(store);
  uv_mutex_lock(&srv->mu);
  job->next = srv->done;
  srv->done = job;
  uv_mutex_unlock(&srv->mu);
  uv_async_send(&srv->wake);
}

/* Starts a run of the source named name; logs why not on failure. */
static void start_run(hv_server *srv, const char *name, const char *trigger)
{
  hv__run_job *job = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_harvest_opts defaults = HV_HARVEST_OPTS_INIT;
  int listed = 0;

  if (!(job = hv_calloc(1, sizeof(*job)))) {
    hv_error_oom(&err);
    goto fail;
  }
  job->srv = srv;
  snprintf(job->trigger, sizeof(job->trigger), "%s", trigger);
  if (hv_store_source_get(srv->sched_store, name, &job->src, &err) < 0)
    goto fail;
  uv_mutex_lock(&srv->mu);
  job->opts = defaults;
  job->opts.max_parallel_sources = 1;
  job->opts.max_pages = srv->cfg.max_pages;
  job->opts.fetch.max_body = srv->cfg.max_body;
  job->opts.fetch.allow_loopback = srv->cfg.allow_loopback;
  job->opts.fetch.allow_private = srv->cfg.allow_private;
  job->db_path = hv_strdup(srv->cfg.db_path);
  job->profiles_dir = hv_strdup(hv_assess_profiles_dir(srv->cfg.profiles_dir));
  job->opts.profiles_dir = job->profiles_dir;
  job->opts.on_page = on_page;
  job->opts.page_payload = srv;
  listed = job->db_path && job->profiles_dir &&
           hv__names_add(&srv->running, name) == 0;
  if (listed)
    srv->runs_started++;
  uv_mutex_unlock(&srv->mu);
  if (!listed) {
    hv_error_oom(&err);
    goto fail;
  }
  job->started_ns = uv_hrtime();
  hv__serve_log("info", "run_started",
                json_pack("{s:s, s:s, s:s, s:s}", "source", name, "state",
                          job->src.state, "url", job->src.url, "trigger",
                          trigger));
  if (uv_thread_create(&job->tid, run_thread, job) != 0) {
    hv_error_set(&err, HV_ENOMEM, "cannot start a run thread");
    uv_mutex_lock(&srv->mu);
    hv__names_remove(&srv->running, name);
    uv_mutex_unlock(&srv->mu);
    goto fail;
  }
  return;

fail:
  hv__serve_log("error", "run_not_started",
                json_pack("{s:s, s:s, s:s}", "source", name, "trigger",
                          trigger, "cause", err.msg));
  job_free(job);
}

/* Logs a finished run and releases it (loop thread). */
static void reap(hv_server *srv, hv__run_job *job)
{
  double seconds = (double)(uv_hrtime() - job->started_ns) / 1e9;
  const hv_source_report *r = job->reports;
  int slot = 3;

  uv_thread_join(&job->tid);
  if (job->rc == 0 && r) {
    const hv_ledger_counts *c = &r->counts;
    slot = strcmp(r->status, HV_RUN_OK) == 0       ? 0
           : strcmp(r->status, HV_RUN_FAILED) == 0 ? 1
                                                   : 2;
    hv__serve_log(
        slot == 1 ? "error" : "info", "run_finished",
        json_pack("{s:s, s:I, s:s, s:s?, s:f, s:I, s:I, s:I, s:I, s:I, s:I, "
                  "s:I, s:I, s:I, s:I, s:I}",
                  "source", job->src.name, "run", (json_int_t)r->run_id,
                  "status", r->status, "message", r->message, "seconds",
                  seconds, "requests", (json_int_t)c->requests, "bytes",
                  (json_int_t)c->bytes, "pages_fetched",
                  (json_int_t)c->pages_fetched, "pages_not_modified",
                  (json_int_t)c->pages_not_modified, "pages_failed",
                  (json_int_t)c->pages_failed, "datasets_new",
                  (json_int_t)c->datasets_new, "datasets_updated",
                  (json_int_t)c->datasets_updated, "datasets_unchanged",
                  (json_int_t)c->datasets_unchanged, "datasets_deleted",
                  (json_int_t)c->datasets_deleted, "datasets_rejected",
                  (json_int_t)c->datasets_rejected,
                  "datasets_active", (json_int_t)r->datasets_active));
  } else {
    hv__serve_log("error", "run_error",
                  json_pack("{s:s, s:s}", "source", job->src.name, "cause",
                            job->err.msg));
  }
  uv_mutex_lock(&srv->mu);
  srv->runs_finished[slot]++;
  hv__histogram_add(&srv->run_seconds, seconds);
  hv__names_remove(&srv->running, job->src.name);
  uv_mutex_unlock(&srv->mu);
  job_free(job);
}

/* ---- scheduler ------------------------------------------------------- */

static void entries_free(hv_server *srv)
{
  size_t i;

  for (i = 0; i < srv->n_entries; i++) {
    hv_free(srv->entries[i].name);
    hv_free(srv->entries[i].cron_text);
  }
  hv_free(srv->entries);
  srv->entries = NULL;
  srv->n_entries = 0;
}

static int64_t jitter_of(const hv_server *srv, const char *name)
{
  if (srv->cfg.jitter_seconds <= 0)
    return 0;
  return (int64_t)(hv_hash_str(name) %
                   (uint64_t)(srv->cfg.jitter_seconds + 1));
}

/*
 * Computes a source's next due time from its last run (or its creation):
 * the first cron time after it, plus the source's jitter.
 */
static int64_t next_due(hv_server *srv, const hv_source *src,
                        const hv_cron *cron)
{
  hv_run_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;
  int64_t base = src->created_at, t;

  if (hv_store_run_list(srv->sched_store, src->id, 1, &rows, &n, &err) == 0 &&
      n > 0)
    base = rows[0].started_at;
  hv_run_list_free(rows, n);
  t = hv_cron_next(cron, base - jitter_of(srv, src->name));
  return t < 0 ? -1 : t + jitter_of(srv, src->name);
}

/* Re-reads the sources and their schedules (loop thread). */
static void refresh_sources(hv_server *srv)
{
  hv_source *list = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i, k;

  if (hv_store_source_list(srv->sched_store, &list, &n, &err) < 0) {
    hv__serve_log("error", "schedule_error",
                  json_pack("{s:s}", "cause", err.msg));
    return;
  }
  for (k = 0; k < srv->n_entries; k++)
    srv->entries[k].seen = 0;
  for (i = 0; i < n; i++) {
    hv__sched_entry *e = NULL;
    const char *text;
    char *stored = NULL;
    hv_cron cron;
    hv_error cerr = HV_ERROR_INIT;

    if (!list[i].enabled)
      continue;
    for (k = 0; k < srv->n_entries; k++) {
      if (srv->entries[k].id == list[i].id)
        e = &srv->entries[k];
    }
    text = hv_serve_config_schedule(&srv->cfg, list[i].name);
    if (!text) {
      hv_store_schedule_get(srv->sched_store, list[i].id, &stored, &err);
      text = stored ? stored : srv->cfg.default_cron;
    }
    if (e && strcmp(e->cron_text, text) == 0) {
      e->seen = 1;
      hv_free(stored);
      continue;
    }
    if (hv_cron_parse(&cron, text, &cerr) < 0) {
      /* Stored crons were checked when saved; say so if one is bad. */
      hv__serve_log("error", "schedule_error",
                    json_pack("{s:s, s:s}", "source", list[i].name, "cause",
                              cerr.msg));
      hv_free(stored);
      continue;
    }
    if (!e) {
      hv__sched_entry *grown = hv_realloc(
          srv->entries, (srv->n_entries + 1) * sizeof(*srv->entries));
      if (!grown) {
        hv_free(stored);
        break;
      }
      srv->entries = grown;
      e = &srv->entries[srv->n_entries++];
      memset(e, 0, sizeof(*e));
      e->id = list[i].id;
      if (!(e->name = hv_strdup(list[i].name))) {
        srv->n_entries--;
        hv_free(stored);
        break;
      }
    }
    hv_free(e->cron_text);
    e->cron_text = hv_strdup(text);
    e->cron = cron;
    e->next_due = next_due(srv, &list[i], &cron);
    e->seen = e->cron_text != NULL;
    hv_free(stored);
  }
  /* Drop entries of removed or disabled sources. */
  for (k = 0; k < srv->n_entries;) {
    if (!srv->entries[k].seen) {
      hv_free(srv->entries[k].name);
      hv_free(srv->entries[k].cron_text);
      srv->entries[k] = srv->entries[--srv->n_entries];
    } else {
      k++;
    }
  }
  hv_source_list_free(list, n);
}

/* Starts what is queued or due while slots are free (loop thread). */
static void schedule(hv_server *srv)
{
  int64_t now = (int64_t)time(NULL);
  size_t k;

  for (;;) {
    char *name = NULL;
    int busy;

    uv_mutex_lock(&srv->mu);
    busy = srv->draining ||
           srv->running.n >= (size_t)srv->cfg.max_concurrent_runs;
    if (!busy && srv->queued.n > 0) {
      name = srv->queued.names[0];
      memmove(&srv->queued.names[0], &srv->queued.names[1],
              (srv->queued.n - 1) * sizeof(char *));
      srv->queued.n--;
    }
    uv_mutex_unlock(&srv->mu);
    if (!name)
      break;
    start_run(srv, name, "api");
    hv_free(name);
  }
  for (k = 0; k < srv->n_entries; k++) {
    hv__sched_entry *e = &srv->entries[k];
    int busy, running;

    if (e->next_due < 0 || e->next_due > now)
      continue;
    uv_mutex_lock(&srv->mu);
    busy = srv->draining ||
           srv->running.n >= (size_t)srv->cfg.max_concurrent_runs;
    running = hv__names_has(&srv->running, e->name);
    uv_mutex_unlock(&srv->mu);
    if (busy)
      break;
    if (running)
      continue; /* no overlap; it stays due until this run ends */
    start_run(srv, e->name,
              now - e->next_due > 60 ? "catch-up" : "schedule");
    e->next_due = hv_cron_next(&e->cron, now - jitter_of(srv, e->name));
    if (e->next_due >= 0)
      e->next_due += jitter_of(srv, e->name);
  }
}

static void on_tick(uv_timer_t *t)
{
  hv_server *srv = t->data;
  static unsigned ticks;
  int reload;

  uv_mutex_lock(&srv->mu);
  reload = srv->reload_sources || ++ticks % RELOAD_TICKS == 0;
  srv->reload_sources = 0;
  uv_mutex_unlock(&srv->mu);
  if (reload)
    refresh_sources(srv);
  schedule(srv);
}

int hv__serve_trigger(hv_server *srv, const char *name, hv_error *err)
{
  int rc = 0;

  uv_mutex_lock(&srv->mu);
  if (srv->draining)
    rc = hv_error_set(err, HV_ECANCELED, "the daemon is shutting down");
  else if (hv__names_has(&srv->running, name) ||
           hv__names_has(&srv->queued, name))
    rc = hv_error_set(err, HV_EEXISTS, "source '%s' is already running or "
                      "queued", name);
  else if (hv__names_add(&srv->queued, name) < 0)
    rc = hv_error_oom(err);
  uv_mutex_unlock(&srv->mu);
  if (rc == 0)
    uv_async_send(&srv->wake);
  return rc;
}

void hv__serve_sources_changed(hv_server *srv)
{
  uv_mutex_lock(&srv->mu);
  srv->reload_sources = 1;
  uv_mutex_unlock(&srv->mu);
  uv_async_send(&srv->wake);
}

/* ---- shutdown, signals ---------------------------------------------- */

static void close_all(hv_server *srv)
{
  hv__api_stop(srv);
  if (!uv_is_closing((uv_handle_t *)&srv->tick)) {
    uv_close((uv_handle_t *)&srv->tick, NULL);
    uv_close((uv_handle_t *)&srv->wake, NULL);
    uv_close((uv_handle_t *)&srv->sigterm, NULL);
    uv_close((uv_handle_t *)&srv->sigint, NULL);
    uv_close((uv_handle_t *)&srv->sighup, NULL);
  }
}

static void on_wake(uv_async_t *a)
{
  hv_server *srv = a->data;
  hv__run_job *done;
  int reload, draining;
  size_t running;

  uv_mutex_lock(&srv->mu);
  done = srv->done;
  srv->done = NULL;
  reload = srv->reload_sources;
  srv->reload_sources = 0;
  uv_mutex_unlock(&srv->mu);
  while (done) {
    hv__run_job *next = done->next;
    reap(srv, done);
    done = next;
  }
  if (reload)
    refresh_sources(srv);
  uv_mutex_lock(&srv->mu);
  draining = srv->draining;
  running = srv->running.n;
  uv_mutex_unlock(&srv->mu);
  if (draining) {
    if (running == 0) {
      hv__serve_log("info", "stopped", NULL);
      close_all(srv);
    }
    return;
  }
  schedule(srv);
}

static void on_stop_signal(uv_signal_t *h, int signum)
{
  hv_server *srv = h->data;
  size_t running;

  uv_mutex_lock(&srv->mu);
  srv->draining = 1;
  running = srv->running.n;
  hv__names_fini(&srv->queued);
  uv_mutex_unlock(&srv->mu);
  hv__serve_log("info", "stopping",
                json_pack("{s:s, s:I}", "signal",
                          signum == SIGTERM ? "SIGTERM" : "SIGINT",
                          "runs_in_progress", (json_int_t)running));
  uv_timer_stop(&srv->tick);
  uv_signal_stop(&srv->sigterm);
  uv_signal_stop(&srv->sigint);
  /* on_wake finishes once the last run has been reaped. */
  uv_async_send(&srv->wake);
}

static int same_or_both_null(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void on_hup(uv_signal_t *h, int signum)
{
  hv_server *srv = h->data;
  hv_serve_config fresh;
  hv_error err = HV_ERROR_INIT;

  (void)signum;
  if (hv_serve_config_load(&fresh, srv->config_path, &err) < 0) {
    hv__serve_log("error", "reload_failed",
                  json_pack("{s:s, s:s}", "config", srv->config_path, "cause",
                            err.msg));
    return;
  }
  if (strcmp(fresh.db_path, srv->cfg.db_path) != 0 ||
      strcmp(fresh.listen_host, srv->cfg.listen_host) != 0 ||
      fresh.listen_port != srv->cfg.listen_port ||
      fresh.api_threads != srv->cfg.api_threads ||
      fresh.connection_timeout != srv->cfg.connection_timeout ||
      !same_or_both_null(fresh.profiles_dir, srv->cfg.profiles_dir) ||
      !same_or_both_null(fresh.sinks_path, srv->cfg.sinks_path))
    hv__serve_log("warn", "reload_partial",
                  json_pack("{s:s}", "note",
                            "db, listen, api_threads, connection_timeout, "
                            "profiles and sinks take effect after a "
                            "restart"));
  /* Keep what only a restart can change, so the settings shown are the
   * ones in force. The HTTP threads read srv->cfg under mu, so every
   * write to it happens under mu too. */
  hv_free(fresh.db_path);
  hv_free(fresh.listen_host);
  hv_free(fresh.profiles_dir);
  hv_free(fresh.sinks_path);
  uv_mutex_lock(&srv->mu);
  fresh.db_path = srv->cfg.db_path;
  fresh.listen_host = srv->cfg.listen_host;
  fresh.profiles_dir = srv->cfg.profiles_dir;
  fresh.sinks_path = srv->cfg.sinks_path;
  srv->cfg.db_path = srv->cfg.listen_host = srv->cfg.profiles_dir = NULL;
  srv->cfg.sinks_path = NULL;
  fresh.listen_port = srv->cfg.listen_port;
  fresh.api_threads = srv->cfg.api_threads;
  fresh.connection_timeout = srv->cfg.connection_timeout;
  hv_serve_config_fini(&srv->cfg);
  srv->cfg = fresh;
  uv_mutex_unlock(&srv->mu);
  entries_free(srv); /* new default, jitter or per-source lines */
  refresh_sources(srv);
  hv__serve_log("info", "reloaded",
                json_pack("{s:s}", "config", srv->config_path));
}

/* ---- main ------------------------------------------------------------ */

/*
 * Reads the sinks file, if the configuration names one, and tells the
 * store which sinks operations are queued for. Without one the set is
 * emptied, as `govharvest run` does without a sink configuration, so
 * runs queue nothing that no drain would send.
 */
static int load_sinks(hv_server *srv, hv_error *err)
{
  const char **names = NULL;
  size_t i;
  int rc;

  if (srv->cfg.sinks_path &&
      (rc = hv_sink_conf_load(srv->cfg.sinks_path, &srv->sinks,
                              &srv->n_sinks, err)) < 0)
    return rc;
  if (srv->n_sinks && !(names = hv_calloc(srv->n_sinks, sizeof(*names))))
    return hv_error_oom(err);
  for (i = 0; i < srv->n_sinks; i++)
    names[i] = srv->sinks[i].name;
  rc = hv_store_outbox_set_sinks(srv->sched_store, names, srv->n_sinks, err);
  hv_free(names);
  return rc;
}

int hv_serve_main(const char *config_path, hv_error *err)
{
  char digest[HV_SHA256_HEX_LEN + 1];
  hv_server *srv;
  int rc, loop_ready = 0, mu_ready = 0;

  if (!(srv = hv_calloc(1, sizeof(*srv))))
    return hv_error_oom(err);
  if ((rc = hv_serve_config_load(&srv->cfg, config_path, err)) < 0)
    goto cleanup;
  if (!(srv->config_path = hv_strdup(config_path))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if (uv_mutex_init(&srv->mu) != 0 || uv_mutex_init(&srv->api_mu) != 0 ||
      uv_mutex_init(&srv->drain_mu) != 0) {
    rc = hv_error_set(err, HV_ENOMEM, "cannot create mutexes");
    goto cleanup;
  }
  mu_ready = 1;
  if ((rc = hv_store_open(&srv->sched_store, srv->cfg.db_path, err)) < 0 ||
      (rc = hv_store_open(&srv->api_store, srv->cfg.db_path, err)) < 0 ||
      (rc = load_sinks(srv, err)) < 0)
    goto cleanup;
  /* The endpoint check assesses samples as a run would; the runs load
   * their own copy (with each source's file) in their threads. */
  if ((rc = hv_assess_load_tables(&srv->profile, digest,
                                  hv_assess_profiles_dir(
                                      srv->cfg.profiles_dir),
                                  err)) < 0) {
    hv_error_prefix(err, "profile: ");
    goto cleanup;
  }
  if ((rc = uv_loop_init(&srv->loop)) != 0) {
    rc = hv_error_set(err, HV_ENOMEM, "loop: %s", uv_strerror(rc));
    goto cleanup;
  }
  loop_ready = 1;
  srv->started_at = (int64_t)time(NULL);
  hv_log_set_json(1);
  hv_log_set_level(HV_LOG_INFO);
  if ((rc = hv__api_start(srv, err)) < 0)
    goto cleanup;

  uv_timer_init(&srv->loop, &srv->tick);
  uv_async_init(&srv->loop, &srv->wake, on_wake);
  uv_signal_init(&srv->loop, &srv->sigterm);
  uv_signal_init(&srv->loop, &srv->sigint);
  uv_signal_init(&srv->loop, &srv->sighup);
  srv->tick.data = srv->wake.data = srv;
  srv->sigterm.data = srv->sigint.data = srv->sighup.data = srv;
  uv_signal_start(&srv->sigterm, on_stop_signal, SIGTERM);
  uv_signal_start(&srv->sigint, on_stop_signal, SIGINT);
  uv_signal_start(&srv->sighup, on_hup, SIGHUP);
  refresh_sources(srv);
  uv_timer_start(&srv->tick, on_tick, 1000, 1000);
  hv__serve_log("info", "listening",
                json_pack("{s:s, s:i, s:s, s:i, s:i}", "host",
                          srv->cfg.listen_host, "port", (int)srv->port, "db",
                          srv->cfg.db_path, "sources", (int)srv->n_entries,
                          "sinks", (int)srv->n_sinks));
  uv_run(&srv->loop, UV_RUN_DEFAULT);
  rc = 0;

cleanup:
  hv__api_stop(srv);
  if (loop_ready) {
    uv_run(&srv->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&srv->loop) != 0 && rc == 0)
      rc = hv_error_set(err, HV_EIO, "loop: handles left open at exit");
  }
  entries_free(srv);
  hv__catalog_fini(srv);
  hv_store_close(srv->sched_store);
  hv_store_close(srv->api_store);
  hv_profile_free(srv->profile);
  hv__names_fini(&srv->queued);
  hv__names_fini(&srv->running);
  if (mu_ready) {
    uv_mutex_destroy(&srv->mu);
    uv_mutex_destroy(&srv->api_mu);
    uv_mutex_destroy(&srv->drain_mu);
  }
  hv_sink_confs_free(srv->sinks, srv->n_sinks);
  hv_serve_config_fini(&srv->cfg);
  hv_free(srv->config_path);
  hv_free(srv);
  return rc;
}
