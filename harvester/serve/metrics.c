/*
 * /metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * Counts that the store already keeps (runs by status, pages by source,
 * datasets by state and lifecycle status, the outbox depth per sink) are
 * read from it on every scrape, so they survive restarts and agree with
 * the reports and `govharvest outbox status`. What only the process sees
 * (runs started since start-up, run durations, the latency of page
 * fetches, of harvests through the run's page observer and of endpoint
 * checks, and the outbox drains) comes from counters under mu.
 */
#include "serve/serve_int.h"

#include <string.h>

#include "util/alloc.h"

/* Appends s with \, " and newline escaped for a label value. */
static int add_label(hv_buf *b, const char *s)
{
  int rc = 0;

  for (; *s && rc == 0; s++) {
    if (*s == '\\' || *s == '"')
      rc = hv_buf_addc(b, '\\') < 0 ? -1 : hv_buf_addc(b, *s);
    else if (*s == '\n')
      rc = hv_buf_addstr(b, "\\n");
    else
      rc = hv_buf_addc(b, *s);
  }
  return rc;
}

/*
 * Appends one series of histogram name; labels is "" or 'k="v"'. help
 * NULL: the HELP and TYPE lines were written with an earlier series.
 */
static int histogram(hv_buf *b, const char *name, const char *help,
                     const char *labels, const hv__histogram *h)
{
  const char *sep = labels[0] ? "," : "";
  uint64_t cum = 0;
  size_t i;

  if (help && hv_buf_addf(b, "# HELP %s %s\n# TYPE %s histogram\n", name,
                          help, name) < 0)
    return HV_ENOMEM;
  for (i = 0; i < HV_SERVE_BUCKETS; i++) {
    cum += h->counts[i];
    if (hv_buf_addf(b, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, labels, sep,
                    hv__serve_buckets[i], (unsigned long long)cum) < 0)
      return HV_ENOMEM;
  }
  if (hv_buf_addf(b, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                  (unsigned long long)h->n) < 0)
    return HV_ENOMEM;
  if (labels[0]
          ? hv_buf_addf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name,
                        labels, h->sum, name, labels,
                        (unsigned long long)h->n) < 0
          : hv_buf_addf(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum,
                        name, (unsigned long long)h->n) < 0)
    return HV_ENOMEM;
  return 0;
}

/* The outbox depth per sink: pending and parked operations. */
static int outbox_depth(hv_buf *out, const hv_outbox_count *c, size_t n)
{
  size_t i;

  if (hv_buf_addstr(out, "# HELP govharvest_outbox_depth Sink operations "
                         "not yet done, by sink and state.\n"
                         "# TYPE govharvest_outbox_depth gauge\n") < 0)
    return HV_ENOMEM;
  for (i = 0; i < n; i++) {
    if (hv_buf_addstr(out, "govharvest_outbox_depth{sink=\"") < 0 ||
        add_label(out, c[i].sink) < 0 ||
        hv_buf_addf(out, "\",state=\"pending\"} %lld\n",
                    (long long)c[i].pending) < 0 ||
        hv_buf_addstr(out, "govharvest_outbox_depth{sink=\"") < 0 ||
        add_label(out, c[i].sink) < 0 ||
        hv_buf_addf(out, "\",state=\"parked\"} %lld\n",
                    (long long)c[i].parked) < 0)
      return HV_ENOMEM;
  }
  return 0;
}

int hv__metrics_render(hv_server *srv, hv_buf *out, hv_error *err)
{
  static const char *const pages_kind[3] = {"fetched", "not_modified",
                                            "failed"};
  static const char *const finished[4] = {"ok", "failed", "held", "error"};
  hv_metric_row *runs = NULL, *pages = NULL, *datasets = NULL;
  hv_outbox_count *outbox = NULL;
  size_t n_runs = 0, n_pages = 0, n_datasets = 0, n_outbox = 0, i, k;
  hv__histogram run_seconds, fetch_seconds, page_seconds;
  uint64_t started, done[4], running, queued, drains;
  int64_t since;
  int rc;

  if ((rc = hv_store_metric_runs(srv->api_store, &runs, &n_runs, err)) < 0 ||
      (rc = hv_store_metric_pages(srv->api_store, &pages, &n_pages, err)) <
          0 ||
      (rc = hv_store_metric_lifecycle(srv->api_store, &datasets,
                                      &n_datasets, err)) < 0 ||
      (rc = hv_store_outbox_counts(srv->api_store, &outbox, &n_outbox,
                                   err)) < 0)
    goto cleanup;
  uv_mutex_lock(&srv->mu);
  started = srv->runs_started;
  memcpy(done, srv->runs_finished, sizeof(done));
  running = srv->running.n;
  queued = srv->queued.n;
  run_seconds = srv->run_seconds;
  fetch_seconds = srv->fetch_seconds;
  page_seconds = srv->page_seconds;
  drains = srv->drains;
  since = srv->started_at;
  uv_mutex_unlock(&srv->mu);

  rc = HV_ENOMEM;
  if (hv_buf_addstr(out, "# HELP govharvest_runs Runs in the store by "
                         "status.\n# TYPE govharvest_runs gauge\n") < 0)
    goto oom;
  for (i = 0; i < n_runs; i++) {
    if (hv_buf_addstr(out, "govharvest_runs{status=\"") < 0 ||
        add_label(out, runs[i].label1) < 0 ||
        hv_buf_addf(out, "\"} %lld\n", (long long)runs[i].value[0]) < 0)
      goto oom;
  }
  if (hv_buf_addstr(out, "# HELP govharvest_pages_total Pages by source "
                         "and outcome, summed over the ledger.\n"
                         "# TYPE govharvest_pages_total counter\n") < 0)
    goto oom;
  for (i = 0; i < n_pages; i++) {
    for (k = 0; k < 3; k++) {
      if (hv_buf_addstr(out, "govharvest_pages_total{source=\"") < 0 ||
          add_label(out, pages[i].label1) < 0 ||
          hv_buf_addf(out, "\",outcome=\"%s\"} %lld\n", pages_kind[k],
                      (long long)pages[i].value[k]) < 0)
        goto oom;
    }
  }
  if (hv_buf_addstr(out, "# HELP govharvest_datasets Datasets by state and "
                         "lifecycle status.\n"
                         "# TYPE govharvest_datasets gauge\n") < 0)
    goto oom;
  for (i = 0; i < n_datasets; i++) {
    if (hv_buf_addstr(out, "govharvest_datasets{state=\"") < 0 ||
        add_label(out, datasets[i].label1) < 0 ||
        hv_buf_addstr(out, "\",status=\"") < 0 ||
        add_label(out, datasets[i].label2) < 0 ||
        hv_buf_addf(out, "\"} %lld\n", (long long)datasets[i].value[0]) < 0)
      goto oom;
  }
  if (hv_buf_addf(out,
                  "# HELP govharvest_daemon_runs_started_total Runs this "
                  "process started.\n"
                  "# TYPE govharvest_daemon_runs_started_total counter\n"
                  "govharvest_daemon_runs_started_total %llu\n"
                  "# HELP govharvest_daemon_runs_finished_total Runs this "
                  "process finished, by status.\n"
                  "# TYPE govharvest_daemon_runs_finished_total counter\n",
                  (unsigned long long)started) < 0)
    goto oom;
  for (k = 0; k < 4; k++) {
    if (hv_buf_addf(out,
                    "govharvest_daemon_runs_finished_total{status=\"%s\"} "
                    "%llu\n",
                    finished[k], (unsigned long long)done[k]) < 0)
      goto oom;
  }
  if (hv_buf_addf(out,
                  "# HELP govharvest_daemon_runs_running Runs in progress.\n"
                  "# TYPE govharvest_daemon_runs_running gauge\n"
                  "govharvest_daemon_runs_running %llu\n"
                  "# HELP govharvest_daemon_runs_queued Runs waiting for a "
                  "slot.\n# TYPE govharvest_daemon_runs_queued gauge\n"
                  "govharvest_daemon_runs_queued %llu\n"
                  "# HELP govharvest_daemon_start_time_seconds Start of this "
                  "process.\n"
                  "# TYPE govharvest_daemon_start_time_seconds gauge\n"
                  "govharvest_daemon_start_time_seconds %lld\n",
                  (unsigned long long)running, (unsigned long long)queued,
                  (long long)since) < 0)
    goto oom;
  if (outbox_depth(out, outbox, n_outbox) < 0 ||
      hv_buf_addf(out,
                  "# HELP govharvest_daemon_outbox_drains_total Outbox "
                  "drains this process ran.\n"
                  "# TYPE govharvest_daemon_outbox_drains_total counter\n"
                  "govharvest_daemon_outbox_drains_total %llu\n",
                  (unsigned long long)drains) < 0)
    goto oom;
  if (histogram(out, "govharvest_run_duration_seconds",
                "Wall time of whole runs.", "", &run_seconds) < 0 ||
      histogram(out, "govharvest_fetch_duration_seconds",
                "Latency of page fetches (retries included), of harvests "
                "and of endpoint checks.",
                "kind=\"harvest\"", &page_seconds) < 0 ||
      histogram(out, "govharvest_fetch_duration_seconds", NULL,
                "kind=\"check\"", &fetch_seconds) < 0)
    goto oom;
  rc = 0;
  goto cleanup;

oom:
  rc = hv_error_set(err, HV_ENOMEM, "metrics page: out of memory");

cleanup:
  hv_free(runs);
  hv_free(pages);
  hv_free(datasets);
  hv_outbox_counts_free(outbox, n_outbox);
  return rc;
}
