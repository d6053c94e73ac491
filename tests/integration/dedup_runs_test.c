/*
 * Deduplication end to end: real harvests (hv_harvest_run) of sources
 * served on loopback, then the store, the published catalog and the
 * govharvest binary's dedup commands are checked.
 *
 * - Three overlapping sources over several runs: winners by modified
 *   date and priority, superseded copies in the ledger, promotion in the
 *   run that deletes a winner, quarantine by a held run and an
 *   operator's release, near-duplicate candidates.
 * - The same harvest with the sources in every order gives the same
 *   published copies.
 * - A scaled-down W100k workload (tests/bench/gen_w100k): every planted
 *   duplicate is found and nothing else is merged.
 */
#include "tools/hvtest.h"
#include "tools/harvest_bench.h"
#include "tools/cli_run.h"
#include "tools/reconcile_check.h"
#include "tools/fault_server.h"

#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "demo/static_server.h"
#include "harvest/harvest.h"
#include "report/report.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* One dataset of a test catalog. */
typedef hv_test_ds ds;

typedef struct fixture {
  hv_test_bench b;
  hv_source sources[3];
  size_t n_sources;
  hv_source_report *reports;
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));

  assert_non_null(f);
  hv_test_bench_start(&f->b);
  f->b.opts.fetch.max_attempts = 2;
  f->b.opts.fetch.total_timeout_ms = 5000;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  int rc;
  size_t i;

  hv_source_reports_free(f->reports, f->n_sources);
  for (i = 0; i < f->n_sources; i++)
    hv_source_fini(&f->sources[i]);
  rc = hv_test_bench_stop(&f->b);
  hv_free(f);
  return rc;
}

/* Serves a one-page Turtle catalog of n datasets at path. */
static void serve(fixture *f, const char *path, const ds *d, size_t n)
{
  hv_test_bench_serve(&f->b, path, d, n);
}

static void add_source(fixture *f, const char *name, const char *state,
                       int priority, const char *path)
{
  hv_test_bench_add_source(&f->b, name, state, priority, path,
                           &f->sources[f->n_sources++]);
}

/* Harvests the sources in the given order (indices into f->sources). */
static void harvest(fixture *f, const size_t *order)
{
  hv_source ordered[3];
  hv_error err = HV_ERROR_INIT;
  size_t i;

  for (i = 0; i < f->n_sources; i++)
    ordered[i] = f->sources[order ? order[i] : i];
  hv_source_reports_free(f->reports, f->n_sources);
  f->reports = NULL;
  HV_ASSERT_OK(hv_harvest_run(f->b.store, ordered, f->n_sources, &f->b.opts,
                              &f->reports, &err),
               &err);
}

static const hv_source_report *report_of(fixture *f, const char *name)
{
  size_t i;

  for (i = 0; i < f->n_sources; i++)
    if (strcmp(f->reports[i].name, name) == 0)
      return &f->reports[i];
  fail_msg("no report for %s", name);
  return NULL;
}

/* "source key state" lines of every copy, sorted by the store's id. */
static int list_copy(const hv_published_row *row, void *payload)
{
  hv_buf *b = payload;

  return hv_buf_addf(b, "%s %s\n", row->source, row->key);
}

static int cmp_line(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The published copies as sorted "source key" lines: sources are
 * harvested side by side, so row ids say nothing about the rules. */
static char *published(hv_store *s)
{
  hv_buf b = HV_BUF_INIT(1 << 24), sorted = HV_BUF_INIT(1 << 24);
  hv_error err = HV_ERROR_INIT;
  char **lines, *p;
  size_t n = 0, i;

  hv_buf_addstr(&b, "");
  hv_buf_addstr(&sorted, "");
  HV_ASSERT_OK(hv_store_published_foreach(s, list_copy, &b, &err), &err);
  lines = hv_calloc(b.len + 1, sizeof(*lines));
  assert_non_null(lines);
  for (p = b.ptr; *p;) {
    char *nl = strchr(p, '\n');

    lines[n++] = p;
    if (!nl)
      break;
    *nl = '\0';
    p = nl + 1;
  }
  qsort(lines, n, sizeof(*lines), cmp_line);
  for (i = 0; i < n; i++)
    hv_buf_addf(&sorted, "%s\n", lines[i]);
  hv_free(lines);
  hv_buf_fini(&b);
  return hv_buf_detach(&sorted, NULL);
}

static const char *state_of(fixture *f, const char *key, const char *source)
{
  static char st[32];
  hv_copy_row *c = NULL;
  hv_transition_row *t = NULL;
  size_t nc = 0, nt = 0, i;
  hv_error err = HV_ERROR_INIT;

  snprintf(st, sizeof(st), "missing");
  HV_ASSERT_OK(
      hv_store_dataset_history(f->b.store, key, &c, &nc, &t, &nt, &err), &err);
  for (i = 0; i < nc; i++)
    if (strcmp(c[i].source, source) == 0)
      snprintf(st, sizeof(st), "%s", c[i].state);
  hv_copy_rows_free(c, nc);
  hv_transition_rows_free(t, nt);
  return st;
}

/*
 * Runs the built binary quietly on the fixture's store, with its
 * standard error merged into out (cap bytes, truncated); returns its
 * exit code.
 */
static int gh(fixture *f, char *out, size_t cap, const char *args)
{
  char *text = NULL;
  int rc;

  rc = hv_test_cli_run(f->b.db, f->b.dir, &text, NULL, "-q %s", args);
  snprintf(out, cap, "%s", text);
  hv_free(text);
  return rc;
}

/* The three catalogs. B and C are one dataset each across sources. */
static const ds kommune[] = {
    {"http://kommune.example/ds/a", "id-A", "2025-01-01", "Haushalt 2025",
     "http://files.example/a.csv"},
    {"http://kommune.example/ds/b", "ID-B ", "2025-02-01T10:00:00",
     "Baumkataster", "http://files.example/b.csv"},
    {"http://shared.example/ds/c", "id-c", "2025-03-02", "Radwege",
     "http://files.example/c.csv"},
    {"http://kommune.example/ds/n", "id-n1", NULL,
     "Luftmessstationen der Stadt Musterhausen 2024",
     "http://files.example/luft.csv"},
};
static const ds land[] = {
    /* Same instant as kommune's B, other spelling: priority decides. */
    {"http://land.example/ds/b", "id-b", "2025-02-01T12:00:00+02:00",
     "Baumkataster", "http://files.example/b.csv"},
    /* Same IRI as kommune's C, older. */
    {"http://shared.example/ds/c", "land-c", "2025-03-01", "Radwege",
     "http://files.example/c.csv"},
    {"http://land.example/ds/d", "id-d", "2024-12-24", "Schulen",
     "http://files.example/d.csv"},
    /* A near duplicate of kommune's N: other identifier and IRI. */
    {"http://land.example/ds/n", "land-n", NULL,
     "Luftmessstationen der Stadt Musterhausen 2024",
     "http://files.example/luft.csv"},
};
static const ds bund[] = {
    /* Same IRI as land's D, no modified: loses. */
    {"http://land.example/ds/d", "bund-d", NULL, "Schulen",
     "http://files.example/d.csv"},
    {"http://bund.example/ds/e", "id-e", NULL, "Autobahnen",
     "http://files.example/e.csv"},
};

typedef struct superseded_walk {
  fixture *f;
  size_t rows;
} superseded_walk;

/* Each run's ledger row carries its own source's superseded copies. */
static int check_superseded_row(const hv_ledger_entry *e, void *payload)
{
  superseded_walk *w = payload;
  const char *want_state = strcmp(e->source_name, "bund") == 0 ? "bund"
                                                                : "05";

  assert_string_equal(e->state, want_state);
  if (e->run_id == report_of(w->f, e->source_name)->run_id) {
    assert_int_equal(e->counts.datasets_superseded, 1);
    w->rows++;
  }
  return 0;
}

/*
 * Superseded copies land on the run × source × state row of the source
 * that delivered them, and the volume report adds them up per source and
 * per state.
 */
static void assert_superseded_rows(fixture *f)
{
  superseded_walk w = {f, 0};
  hv_volumes *v = NULL;
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(
      hv_store_ledger_foreach(f->b.store, 0, check_superseded_row, &w, &err),
      &err);
  assert_int_equal(w.rows, 3);
  HV_ASSERT_OK(hv_volumes_compute(f->b.store, 0, 0, HV_BY_SOURCE, &v, &err),
               &err);
  assert_int_equal(hv_volumes_find(v, "kommune")->counts.datasets_superseded,
                   1);
  assert_int_equal(hv_volumes_find(v, "land")->counts.datasets_superseded, 1);
  assert_int_equal(hv_volumes_find(v, "bund")->counts.datasets_superseded, 1);
  assert_int_equal(v->total.counts.datasets_superseded, 3);
  hv_volumes_free(v);
  HV_ASSERT_OK(hv_volumes_compute(f->b.store, 0, 0, HV_BY_STATE, &v, &err),
               &err);
  assert_int_equal(hv_volumes_find(v, "05")->counts.datasets_superseded, 2);
  assert_int_equal(hv_volumes_find(v, "bund")->counts.datasets_superseded, 1);
  hv_volumes_free(v);
}

static void three_sources_over_several_runs(void **state)
{
  fixture *f = *state;
  char *pub;
  char out[16384];
  int64_t superseded, held_run;
  hv_ledger_counts held;
  hv_error err = HV_ERROR_INIT;
  json_t *doc;
  json_error_t jerr;

  serve(f, "/kommune", kommune, 4);
  serve(f, "/land", land, 4);
  serve(f, "/bund", bund, 2);
  add_source(f, "kommune", "05", 0, "/kommune");
  add_source(f, "land", "05", 5, "/land");
  add_source(f, "bund", "bund", 0, "/bund");

  /* Run 1: 10 copies, 7 datasets. */
  harvest(f, NULL);
  assert_string_equal(state_of(f, "id-b", "land"), "active");
  assert_string_equal(state_of(f, "id-b", "kommune"), "superseded");
  assert_string_equal(state_of(f, "id-c", "kommune"), "active");
  assert_string_equal(state_of(f, "id-c", "land"), "superseded");
  assert_string_equal(state_of(f, "id-d", "land"), "active");
  assert_string_equal(state_of(f, "id-d", "bund"), "superseded");
  pub = published(f->b.store);
  assert_string_equal(pub, "bund http://bund.example/ds/e\n"
                           "kommune http://kommune.example/ds/a\n"
                           "kommune http://kommune.example/ds/n\n"
                           "kommune http://shared.example/ds/c\n"
                           "land http://land.example/ds/b\n"
                           "land http://land.example/ds/d\n"
                           "land http://land.example/ds/n\n");
  hv_free(pub);
  /* Superseded copies are counted for the source that delivered them. */
  HV_ASSERT_OK(hv_store_ledger_superseded(f->b.store,
                                          report_of(f, "kommune")->run_id,
                                          &superseded, &err),
               &err);
  assert_int_equal(superseded, 1);
  HV_ASSERT_OK(hv_store_ledger_superseded(
                   f->b.store, report_of(f, "land")->run_id, &superseded, &err),
               &err);
  assert_int_equal(superseded, 1);
  HV_ASSERT_OK(hv_store_ledger_superseded(
                   f->b.store, report_of(f, "bund")->run_id, &superseded, &err),
               &err);
  assert_int_equal(superseded, 1);

  assert_superseded_rows(f);

  /* The near duplicate is a candidate, not merged. */
  assert_int_equal(gh(f, out, sizeof(out), "report duplicates --json"), 0);
  doc = json_loads(out, 0, &jerr);
  if (!doc)
    fail_msg("not JSON: %s", out);
  assert_int_equal(json_array_size(json_object_get(doc, "candidates")), 1);
  assert_string_equal(
      json_string_value(json_object_get(
          json_object_get(json_array_get(json_object_get(doc, "candidates"),
                                         0),
                          "a"),
          "key")),
      "http://kommune.example/ds/n");
  /* "ID-B " and "id-b" were merged: said so, not silently. */
  assert_int_equal(
      json_array_size(json_object_get(doc, "identifier_collisions")), 1);
  json_decref(doc);

  /* Run 2: land drops B (1 of 4, within a 30 % guard): kommune's B is
   * promoted in the same run. */
  serve(f, "/land", land + 1, 3);
  f->b.opts.max_delete_share = 0.3;
  harvest(f, NULL);
  assert_string_equal(report_of(f, "land")->status, HV_RUN_OK);
  assert_int_equal(report_of(f, "land")->counts.datasets_deleted, 1);
  assert_string_equal(state_of(f, "id-b", "land"), "deleted");
  assert_string_equal(state_of(f, "id-b", "kommune"), "active");
  assert_int_equal(gh(f, out, sizeof(out), "dataset show id-b"), 0);
  assert_non_null(strstr(out, "superseded -> active: promoted"));
  assert_non_null(strstr(out, "active -> deleted: vanished from its source"));

  /* Run 3: land delivers nothing: held, its published copies quarantined
   * and still published (its superseded C stays superseded). */
  serve(f, "/land", land, 0);
  harvest(f, NULL);
  assert_string_equal(report_of(f, "land")->status, HV_RUN_HELD);
  assert_string_equal(state_of(f, "id-d", "land"), "quarantined");
  assert_string_equal(state_of(f, "id-d", "bund"), "superseded");
  assert_int_equal(gh(f, out, sizeof(out), "quarantine list --json"), 0);
  doc = json_loads(out, 0, &jerr);
  assert_non_null(doc);
  assert_int_equal(json_array_size(json_object_get(doc, "quarantined")), 2);
  assert_string_equal(state_of(f, "land-c", "land"), "superseded");
  json_decref(doc);
  pub = published(f->b.store);
  assert_non_null(strstr(pub, "land http://land.example/ds/d\n"));
  hv_free(pub);

  /* Held, quarantined and superseded copies are all still held. */
  hv_test_assert_reconciled(f->b.store, "a held run");
  held_run = report_of(f, "land")->run_id;
  HV_ASSERT_OK(hv_store_ledger_run(f->b.store, held_run, &held, &err), &err);
  assert_int_equal(held.datasets_deleted, 0);

  /* The operator releases them: deleted, bund's D promoted at once. */
  assert_int_equal(gh(f, out, sizeof(out), "quarantine release"), 2);
  assert_int_equal(gh(f, out, sizeof(out), "quarantine release --source land"),
                   0);
  assert_non_null(strstr(out, "2 datasets released"));
  assert_string_equal(state_of(f, "id-d", "land"), "deleted");
  assert_string_equal(state_of(f, "id-d", "bund"), "active");
  /* The release is booked on the held run that deferred the deletion. */
  HV_ASSERT_OK(hv_store_ledger_run(f->b.store, held_run, &held, &err), &err);
  assert_int_equal(held.datasets_deleted, 2);
  hv_test_assert_reconciled(f->b.store, "quarantine release");
  assert_int_equal(gh(f, out, sizeof(out), "quarantine list"), 0);
  assert_non_null(strstr(out, "0 quarantined"));
  assert_int_equal(gh(f, out, sizeof(out), "dataset show nothing-here"), 1);
  assert_non_null(strstr(out, "no dataset has key, IRI or identifier"));
}

static void source_order_does_not_change_winners(void **state)
{
  static const size_t orders[][3] = {{0, 1, 2}, {2, 1, 0}, {1, 2, 0},
                                     {2, 0, 1}};
  fixture *f = *state;
  char *first = NULL;
  size_t k;

  serve(f, "/kommune", kommune, 4);
  serve(f, "/land", land, 4);
  serve(f, "/bund", bund, 2);
  for (k = 0; k < sizeof(orders) / sizeof(orders[0]); k++) {
    hv_error err = HV_ERROR_INIT;
    char *pub;
    size_t i;

    /* A fresh store for each order: first arrival is the same harvest. */
    hv_source_reports_free(f->reports, f->n_sources);
    f->reports = NULL;
    for (i = 0; i < f->n_sources; i++)
      hv_source_fini(&f->sources[i]);
    f->n_sources = 0;
    hv_store_close(f->b.store);
    snprintf(f->b.db, sizeof(f->b.db), "%s/order%zu.db", f->b.dir, k);
    HV_ASSERT_OK(hv_store_open(&f->b.store, f->b.db, &err), &err);
    /* Priorities equal: the tie rules below priority decide. */
    add_source(f, "kommune", "05", 0, "/kommune");
    add_source(f, "land", "05", 0, "/land");
    add_source(f, "bund", "bund", 0, "/bund");
    harvest(f, orders[k]);
    pub = published(f->b.store);
    if (!first) {
      first = pub;
      /* land's B ties kommune's B on modified and priority: first
       * arrival ties too (one harvest), so the name order decides. */
      assert_non_null(strstr(first, "kommune http://kommune.example/ds/b"));
    } else {
      assert_string_equal(pub, first);
      hv_free(pub);
    }
  }
  hv_free(first);
}

/* ---- the W100k workload, scaled down ----------------------------------- */

static void w100k_duplicates_found_without_false_merges(void **state)
{
  fixture *f = *state;
  char gen[1200], cmd[4096], base[64], line[1024], path[1100];
  hv_static_server *srv = NULL;
  hv_source *srcs = NULL;
  hv_source_report *reps = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_dedup_stats st;
  size_t n_src = 0, i;
  long entries = 0, datasets = 0, generated = 0;
  char *bin = hv_strdup(HV_BINARY);
  FILE *tsv;
  char *www;

  /* The binary is BUILD/harvester/govharvest. */
  snprintf(gen, sizeof(gen), "%s/tests/bench/gen_w100k",
           dirname(dirname(bin)));
  hv_free(bin);
  if (!hv_test_exists(gen)) {
    printf("skipped: %s is not built\n", gen);
    skip();
  }
  www = hv_malloc(strlen(f->b.dir) + 8);
  sprintf(www, "%s/www", f->b.dir);
  snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", www);
  assert_int_equal(system(cmd), 0);
  HV_ASSERT_OK(hv_static_server_start(&srv, www, 0, 1, &err), &err);
  snprintf(base, sizeof(base), "http://127.0.0.1:%u",
           (unsigned)hv_static_server_port(srv));
  /* 2,000 datasets, 5 % of each state listed by a second state. */
  snprintf(cmd, sizeof(cmd),
           "'%s' --out '%s' --base %s --datasets 2000 --per-page 50", gen,
           www, base);
  {
    FILE *p = popen(cmd, "r");
    const char *d;

    assert_non_null(p);
    assert_non_null(fgets(line, sizeof(line), p));
    assert_int_equal(pclose(p), 0);
    /* "datasets=N entries=M ...": N distinct, M - N planted twins. */
    d = strstr(line, "datasets=");
    assert_non_null(d);
    generated = atol(d + 9);
    assert_true(generated >= 2000 - 50 && generated <= 2000);
  }
  snprintf(path, sizeof(path), "%s/sources.tsv", www);
  tsv = fopen(path, "r");
  assert_non_null(tsv);
  srcs = hv_calloc(16, sizeof(*srcs));
  assert_non_null(fgets(line, sizeof(line), tsv)); /* header */
  while (n_src < 16 && fgets(line, sizeof(line), tsv)) {
    char name[64], st_key[8], url[512];
    long n_entries;
    hv_source src;

    assert_int_equal(sscanf(line, "%63s %7s %511s %ld", name, st_key, url,
                            &n_entries),
                     4);
    entries += n_entries;
    memset(&src, 0, sizeof(src));
    src.name = name;
    src.state = st_key;
    src.kind = "dcat-rdf";
    src.url = url;
    src.enabled = 1;
    HV_ASSERT_OK(hv_store_source_add(f->b.store, &src, &err), &err);
    HV_ASSERT_OK(hv_store_source_get(f->b.store, name, &srcs[n_src++], &err),
                 &err);
  }
  fclose(tsv);
  assert_int_equal(n_src, 16);
  HV_ASSERT_OK(hv_harvest_run(f->b.store, srcs, n_src, &f->b.opts, &reps, &err),
               &err);
  for (i = 0; i < n_src; i++)
    assert_string_equal(reps[i].status, HV_RUN_OK);
  /* A resolve now finds everything settled and reports the figures. */
  HV_ASSERT_OK(hv_dedup_resolve(f->b.store, NULL, 0, NULL, NULL, &st, &err),
               &err);
  assert_int_equal(st.transitions, 0);
  assert_int_equal((long)st.copies, entries);
  /* Every planted twin is found (one group per generated dataset) and
   * nothing else is merged (each duplicate group holds exactly two:
   * groups = entries - duplicate groups). */
  datasets = entries - (long)st.duplicates;
  assert_int_equal((long)st.groups, generated);
  assert_int_equal(datasets, generated);
  assert_int_equal((long)st.superseded, entries - generated);
  assert_true(st.duplicates >= 90); /* 5 % of 2,000, rounded per state */
  assert_int_equal(st.collisions, 0);
  {
    char *pub = published(f->b.store);
    size_t lines = 0;
    const char *p;

    for (p = pub; *p; p++)
      lines += *p == '\n';
    assert_int_equal((long)lines, datasets);
    hv_free(pub);
  }
  printf("W100k at 2,000 datasets: %ld entries, %zu duplicates found\n",
         entries, st.duplicates);
  hv_source_reports_free(reps, n_src);
  for (i = 0; i < n_src; i++)
    hv_source_fini(&srcs[i]);
  hv_free(srcs);
  hv_static_server_stop(srv);
  hv_free(www);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(three_sources_over_several_runs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(source_order_does_not_change_winners,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(
          w100k_duplicates_found_without_false_merges, setup, teardown),
  };
  hv_error err = HV_ERROR_INIT;
  int rc;

  if (hv_harvest_global_init(&err) < 0) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  hv_harvest_global_cleanup();
  return rc;
}
