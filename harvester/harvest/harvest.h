/*
 * A harvest run: every selected source, every page, end to end.
 *
 * The run owns one libuv loop. Sources are harvested side by side (up to
 * a limit); the pages of one source follow each other, because each page
 * names the next. Per page:
 *
 *   fetch (loop) → decode + split (thread pool)
 *     → assess (map, later check) + canonical hash (thread pool)
 *     → reconcile + findings + ledger in one store transaction (loop)
 *
 * The profile (profiles/dcat-ap-de plus profiles/sources/NAME.conf) is
 * loaded once at the start of the run and shared read-only by the pool.
 * The stored form of a dataset is its mapped graph's canonical form.
 *
 * After a source's last page the deletion guard decides whether datasets
 * that vanished are deleted, kept (a page failed, paging was cut short)
 * or held (too many would go). The run returns one report per source.
 */
#ifndef HV_HARVEST_HARVEST_H
#define HV_HARVEST_HARVEST_H

#include <stddef.h>
#include <stdint.h>

#include "fetch/fetch.h"
#include "store/store.h"
#include "util/error.h"

#define HV_HARVEST_OPTS_VERSION 1

/*
 * One page fetch of a harvest, as the on_page observer sees it. Strings
 * are borrowed for the duration of the call.
 */
typedef struct hv_page_event {
  const char *source;  /* source name */
  const char *state;   /* the source's state key */
  const char *url;     /* page URL requested */
  long status;         /* final HTTP status; 0 if no response */
  int not_modified;    /* 1 for a 304 */
  const char *error;   /* NULL, or why the fetch failed (no response) */
  uint64_t bytes;      /* body bytes received over all attempts */
  int attempts;        /* HTTP requests made, including retries */
  double seconds;      /* wall time of the fetch, retries included */
} hv_page_event;

/*
 * Observer of page fetches: called on the harvest's loop thread once per
 * page fetch, as soon as the fetch ended (before the page is decoded),
 * with payload as given in hv_harvest_opts. It must not block and must
 * not call back into the harvest; a daemon running harvests on several
 * threads synchronises what it collects itself.
 */
typedef void (*hv_page_observer)(const hv_page_event *e, void *payload);

typedef struct hv_harvest_opts {
  unsigned version;
  hv_fetch_opts fetch;        /* network limits and policy */
  int max_pages;              /* page cap per source; default 10000 */
  int max_parallel_sources;   /* sources harvested at once; default 16 */
  double max_delete_share;    /* deletion guard; default 0.20 */
  int allow_mass_delete;      /* override the guard */
  int progress;               /* draw a progress line on stderr */
  const char *profiles_dir;   /* profile directory (dcat-ap-de/ and
                                 sources/); NULL: hv_assess_profiles_dir */
  int withhold_violations;    /* sinks skip datasets with violations;
                                 default 0: published with findings */
  hv_page_observer on_page;   /* NULL, or called after each page fetch */
  void *page_payload;         /* passed to on_page */
} hv_harvest_opts;

#define HV_HARVEST_OPTS_INIT \
  {HV_HARVEST_OPTS_VERSION, HV_FETCH_OPTS_INIT, 10000, 16, 0.20, 0, 0, \
   NULL, 0, NULL, NULL}

/* The outcome of one source in a run. */
typedef struct hv_source_report {
  char *name;
  char state[8];
  int64_t run_id;
  const char *status;   /* HV_RUN_OK, HV_RUN_FAILED or HV_RUN_HELD */
  char *message;        /* first error or hold reason, NULL if none */
  hv_ledger_counts counts;
  int64_t datasets_active; /* active datasets after the run */
} hv_source_report;

/*
 * Harvests the n sources into store. Returns 0 when the run itself could
 * be carried out (individual sources may still have failed: see each
 * report's status; a source whose profiles/sources/NAME.conf is refused
 * fails with file, line and reason), or a negative code when nothing
 * could start (profile directory or tables, loop, fetcher).
 * *reports_out (n entries) is owned by the caller and released
 * with hv_source_reports_free.
 */
int hv_harvest_run(hv_store *store, const hv_source *sources, size_t n,
                   const hv_harvest_opts *opts,
                   hv_source_report **reports_out, hv_error *err);

void hv_source_reports_free(hv_source_report *reports, size_t n);

/* Process-wide initialisation of the libraries the harvest uses. */
int hv_harvest_global_init(hv_error *err);
void hv_harvest_global_cleanup(void);

#endif
