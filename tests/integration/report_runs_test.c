/*
 * The reports on a ledger built by real harvest runs: catalogs of three
 * states served over loopback by the static server, harvested in
 * January, February and March 2026 (run times set through the store's
 * test support), with catalogs changing between runs and Bayern getting
 * a central handover point on 2026-02-01. Checks the volume figures, a
 * golden CSV of the binary's output, each allocation key, --explain,
 * reconciliation after every run, and the HTML in a headless Chromium.
 */
#include "tools/hvtest.h"
#include "tools/cli_run.h"
#include "tools/harvest_bench.h"
#include "tools/reconcile_check.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo/static_server.h"
#include "harvest/harvest.h"
#include "report/report.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

#define JAN15 1768435200 /* 2026-01-15 */
#define FEB15 1771113600 /* 2026-02-15 */
#define MAR15 1773532800 /* 2026-03-15 */
#define DAY 86400

typedef struct fixture {
  char *dir;
  char db[600], www[600];
  hv_store *store;
  hv_static_server *srv;
  hv_source sources[4];
  size_t n_sources;
  char *out, *errs;
} fixture;

static void write_file(const char *path, const char *text)
{
  FILE *fp = fopen(path, "w");

  assert_non_null(fp);
  assert_int_equal(fputs(text, fp) >= 0, 1);
  assert_int_equal(fclose(fp), 0);
}

/* Writes a catalog of datasets first..first+count-1 for a state folder. */
static void write_catalog(fixture *f, const char *folder, int first,
                          int count)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  char path[700];
  int i;

  snprintf(path, sizeof(path), "%s/%s", f->www, folder);
  mkdir(path, 0700);
  hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dct: <http://purl.org/dc/terms/> .\n");
  for (i = first; i < first + count; i++)
    hv_buf_addf(&b,
                "<http://example.org/%s/ds/%d> a dcat:Dataset ;\n"
                "  dct:title \"Datensatz %d\" ;\n"
                "  dcat:distribution [ dcat:accessURL "
                "<http://example.org/%s/f/%d> ] .\n",
                folder, i, i, folder, i);
  snprintf(path, sizeof(path), "%s/%s/catalog.ttl", f->www, folder);
  write_file(path, b.ptr);
  hv_buf_fini(&b);
}

static void add_source(fixture *f, const char *name, const char *state,
                       const char *folder)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;
  char url[256];

  snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s/catalog.ttl",
           (unsigned)hv_static_server_port(f->srv), folder);
  memset(&src, 0, sizeof(src));
  src.name = (char *)name;
  src.state = (char *)state;
  src.kind = "dcat-rdf";
  src.url = url;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(f->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(f->store, name, &f->sources[f->n_sources],
                                   &err),
               &err);
  f->n_sources++;
}

/* Asserts that the ledger agrees with the store and lists every source. */
static void assert_reconciled(fixture *f)
{
  hv_reconcile r;
  hv_error err = HV_ERROR_INIT;

  hv_test_assert_reconciled(f->store, "a harvest");
  HV_ASSERT_OK(hv_reconcile_compute(f->store, &r, &err), &err);
  assert_int_equal(r.differences, 0);
  assert_true(r.n >= f->n_sources);
  hv_reconcile_fini(&r);
}

/* Harvests every source and dates the runs at t. */
static void harvest_at(fixture *f, int64_t t)
{
  hv_harvest_opts opts = HV_HARVEST_OPTS_INIT;
  hv_source_report *reports = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t i;

  opts.fetch.allow_loopback = 1;
  opts.allow_mass_delete = 1; /* nw-a loses half its datasets in March */
  HV_ASSERT_OK(hv_harvest_run(f->store, f->sources, f->n_sources, &opts,
                              &reports, &err),
               &err);
  for (i = 0; i < f->n_sources; i++) {
    assert_string_equal(reports[i].status, HV_RUN_OK);
    HV_ASSERT_OK(hv_store_run_set_times(f->store, reports[i].run_id, t,
                                        t + 60, &err),
                 &err);
  }
  hv_source_reports_free(reports, f->n_sources);
  assert_reconciled(f);
}

/*
 * The scenario: hh (02) 3 datasets, then 5, then 5; nw-a (05) 4, 4, 2;
 * nw-b (05) 2 from February; by (09) 6, 6, 6.
 */
static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  assert_non_null(f->dir = hv_test_tmpdir());
  snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
  snprintf(f->www, sizeof(f->www), "%s/www", f->dir);
  assert_int_equal(mkdir(f->www, 0700), 0);
  HV_ASSERT_OK(hv_store_open(&f->store, f->db, &err), &err);
  HV_ASSERT_OK(hv_static_server_start(&f->srv, f->www, 0, 1, &err), &err);
  write_catalog(f, "hh", 0, 3);
  write_catalog(f, "nwa", 0, 4);
  write_catalog(f, "nwb", 0, 2);
  write_catalog(f, "by", 0, 6);
  add_source(f, "hh", "02", "hh");
  add_source(f, "nw-a", "05", "nwa");
  add_source(f, "by", "09", "by");
  harvest_at(f, JAN15);
  add_source(f, "nw-b", "05", "nwb");
  write_catalog(f, "hh", 0, 5);
  harvest_at(f, FEB15);
  write_catalog(f, "nwa", 2, 2);
  harvest_at(f, MAR15);
  HV_ASSERT_OK(hv_store_handover_set(f->store, "09", JAN15 + 17 * DAY, 0, 1,
                                     &err),
               &err);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  int rc;
  size_t i;

  for (i = 0; i < f->n_sources; i++)
    hv_source_fini(&f->sources[i]);
  hv_static_server_stop(f->srv);
  hv_store_close(f->store);
  rc = hv_test_scenario_end(f->dir);
  hv_free(f->out);
  hv_free(f->errs);
  hv_free(f);
  return rc;
}

/* Runs the binary on the fixture's store; returns its exit code. */
#define gh(f, ...)                                                             \
  hv_test_cli_run((f)->db, (f)->dir, &(f)->out, &(f)->errs, __VA_ARGS__)

static void volumes_by_state(void **state)
{
  fixture *f = *state;
  hv_volumes *v = NULL;
  hv_error err = HV_ERROR_INIT;
  const hv_volume *hh, *nw, *by;
  /* Days of Q1 2026 and the days from each run to its end. */
  double days = 90, after_jan = 76, after_feb = 45, after_mar = 17;

  HV_ASSERT_OK(hv_volumes_compute(f->store, JAN15 - 14 * DAY,
                                  JAN15 + 76 * DAY, HV_BY_STATE, &v, &err),
               &err);
  assert_int_equal(v->days, 90);
  assert_int_equal(v->n, 3);
  assert_non_null(hh = hv_volumes_find(v, "02"));
  assert_non_null(nw = hv_volumes_find(v, "05"));
  assert_non_null(by = hv_volumes_find(v, "09"));
  assert_int_equal(hh->runs, 3);
  assert_int_equal(hh->counts.datasets_new, 5);
  assert_int_equal(hh->counts.datasets_unchanged, 3 + 5);
  assert_int_equal(nw->sources_registered, 2);
  assert_int_equal(nw->sources_harvested, 2);
  assert_int_equal(nw->runs, 5);
  assert_int_equal(nw->counts.datasets_new, 4 + 2);
  assert_int_equal(nw->counts.datasets_deleted, 2);
  assert_int_equal(nw->datasets_held_end, 4);
  assert_int_equal(by->counts.requests, 3);
  assert_int_equal(by->counts.pages_fetched + by->counts.pages_not_modified,
                   3);
  /* The stock is the mean of the days' end values. */
  assert_float_equal(hh->datasets_held_avg,
                     (3 * after_jan + 2 * after_feb) / days, 1e-9);
  assert_float_equal(nw->datasets_held_avg,
                     (4 * after_jan + 2 * after_feb - 2 * after_mar) / days,
                     1e-9);
  assert_int_equal(v->total.runs, 11);
  assert_int_equal(v->total.datasets_held_end, 5 + 4 + 6);
  assert_int_equal(v->n_months, 3);
  hv_volumes_free(v);

  /* Before the period the stock carries over, the flows do not. */
  HV_ASSERT_OK(hv_volumes_compute(f->store, MAR15 + DAY, MAR15 + 11 * DAY,
                                  HV_BY_MONTH, &v, &err),
               &err);
  assert_int_equal(v->n, 1);
  assert_string_equal(v->rows[0].key, "2026-03");
  assert_int_equal(v->rows[0].runs, 0);
  assert_float_equal(v->rows[0].datasets_held_avg, 15, 1e-9);
  hv_volumes_free(v);
}

static void handover_payers_pro_rata(void **state)
{
  fixture *f = *state;
  hv_cost_model m;
  hv_volumes *v = NULL;
  hv_handover *hv = NULL;
  hv_costs c;
  size_t n_hv = 0, i;
  hv_error err = HV_ERROR_INIT;
  char path[700];
  static const char *const keys[] = {"volume", "koenigstein", "hybrid",
                                     "prices"};
  int64_t sum;
  int k;

  HV_ASSERT_OK(hv_store_handover_list(f->store, NULL, &hv, &n_hv, &err),
               &err);
  for (k = 0; k < 4; k++) {
    snprintf(path, sizeof(path), "%s/profiles/cost/example-%s.cost",
             HV_SOURCE_DIR, keys[k]);
    HV_ASSERT_OK(hv_cost_model_load(&m, path, &err), &err);
    HV_ASSERT_OK(hv_volumes_compute(f->store, m.from, m.to, HV_BY_STATE, &v,
                                    &err),
                 &err);
    HV_ASSERT_OK(hv_costs_compute(&m, v, hv, n_hv, &c, &err), &err);
    /* Bayern paid for January 1..31 only, before its handover point. */
    assert_int_equal(c.shares[8].paying_days, 31);
    assert_float_equal(c.shares[8].fraction, 31.0 / 90, 1e-12);
    assert_int_equal(c.shares[1].paying_days, 90);
    assert_false(c.shares[16].pays);
    for (sum = 0, i = 0; i < HV_N_STATES; i++)
      sum += c.shares[i].cents;
    assert_int_equal(sum, c.total_cents);
    if (k == 0) {
      /* Only states with volume get a share by volume. */
      assert_int_equal(c.total_cents, 9000000);
      assert_int_equal(c.shares[2].cents, 0);
      assert_true(c.shares[1].cents > 0 && c.shares[4].cents > 0);
      assert_true(c.shares[4].cents > c.shares[1].cents);
    } else if (k == 1) {
      /* By key: Hamburg and Bremen in the ratio of their key shares. */
      double ratio = (double)c.shares[1].cents / (double)c.shares[3].cents;

      assert_float_equal(ratio, 2.55752 / 0.95331, 1e-3);
      assert_true(c.shares[8].cents < c.shares[4].cents);
    } else if (k == 3) {
      /* Prices: base 500 for each payer, pro rata, plus usage. */
      assert_true(c.shares[2].cents == 50000);
      assert_true(c.shares[1].cents > 50000);
    }
    hv_volumes_free(v);
    v = NULL;
  }
  hv_free(hv);
}

/* Replaces the harvest_seconds column (timing) of a CSV with "-". */
static void mask_seconds(char *csv)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  char *line, *next, *field;
  int col = -1, i;

  for (line = csv; line && *line; line = next) {
    if ((next = strchr(line, '\n')))
      *next++ = '\0';
    for (i = 0, field = line; field; i++) {
      char *comma = strchr(field, ',');

      if (comma)
        *comma = '\0';
      if (col < 0 && strcmp(field, "harvest_seconds") == 0)
        col = i;
      hv_buf_addf(&b, "%s%s", i ? "," : "",
                  i == col && strcmp(field, "harvest_seconds") ? "-" : field);
      field = comma ? comma + 1 : NULL;
    }
    hv_buf_addc(&b, '\n');
  }
  memcpy(csv, b.ptr, b.len + 1);
  hv_buf_fini(&b);
}

static void golden_volume_csv(void **state)
{
  fixture *f = *state;
  char path[700], *golden;
  static const char *const by[] = {"state", "source", "month"};
  int i;

  hv_store_close(f->store);
  f->store = NULL;
  for (i = 0; i < 3; i++) {
    assert_int_equal(gh(f, "report volumes --from 2026-01-01 --to "
                           "2026-04-01 --by %s --format csv", by[i]),
                     0);
    mask_seconds(f->out);
    snprintf(path, sizeof(path), "%s/report/volumes-by-%s.csv",
             HV_FIXTURES_DIR, by[i]);
    if (getenv("HV_UPDATE_GOLDEN"))
      write_file(path, f->out);
    assert_non_null(golden = hv_test_read_file(path, NULL));
    if (strcmp(golden, f->out) != 0)
      fail_msg("%s differs:\n%s", path, f->out);
    hv_free(golden);
  }
  assert_int_equal(gh(f, "report reconcile"), 0);
  hv_test_assert_contains(f->out, "0 differences");
}

static void cli_costs_explain_and_state(void **state)
{
  fixture *f = *state;
  json_error_t jerr;
  json_t *doc, *shares;
  json_int_t sum = 0;
  size_t i;

  hv_store_close(f->store);
  f->store = NULL;
  assert_int_equal(gh(f, "state list"), 0);
  hv_test_assert_contains(f->out, "2026-02-01..open");
  assert_int_equal(gh(f, "report costs --model %s/profiles/cost/"
                         "example-hybrid.cost --format json",
                      HV_SOURCE_DIR),
                   0);
  assert_non_null(doc = json_loads(f->out, 0, &jerr));
  shares = json_object_get(doc, "shares");
  assert_int_equal(json_array_size(shares), HV_N_STATES);
  for (i = 0; i < json_array_size(shares); i++)
    sum += json_integer_value(
        json_object_get(json_array_get(shares, i), "cents"));
  assert_int_equal(sum, 9000000);
  json_decref(doc);
  assert_int_equal(gh(f, "report costs --model %s/profiles/cost/"
                         "example-volume.cost --explain 05",
                      HV_SOURCE_DIR),
                   0);
  hv_test_assert_contains(f->out, "nw-b");
  hv_test_assert_contains(f->out, "5 rows");
  /* A model with errors is refused with its line and reason. */
  {
    char model[700];

    snprintf(model, sizeof(model), "%s/bad.cost", f->dir);
    write_file(model, "period 2026-01-01 2026-04-01\ntotal 10,00\n");
    assert_int_equal(gh(f, "report costs --model %s", model), 1);
    hv_test_assert_contains(f->errs, "bad.cost:2: '10,00' is not an amount");
  }
  /* Bayern gives its handover point up: it pays from then on. */
  assert_int_equal(gh(f, "state set 09 --handover no --from 2026-03-01"), 0);
  assert_int_equal(gh(f, "report costs --model %s/profiles/cost/"
                         "example-koenigstein.cost --format csv",
                      HV_SOURCE_DIR),
                   0);
  hv_test_assert_contains(f->out, "09,yes,62,");
  assert_int_equal(gh(f, "state set 17 --handover no --from 2026-03-01"), 2);
}

static void html_renders_in_chromium(void **state)
{
  fixture *f = *state;
  const char *browser = NULL;
  static const char *const candidates[] = {"/usr/bin/chromium",
                                           "/usr/bin/chromium-browser"};
  char html[700], png[700], cmd[4096], path[700];
  struct stat st;
  size_t i;
  int rc;

  for (i = 0; i < 2; i++) {
    if (access(candidates[i], X_OK) == 0)
      browser = candidates[i];
  }
  hv_store_close(f->store);
  f->store = NULL;
  assert_int_equal(gh(f, "report costs --model %s/profiles/cost/"
                         "example-hybrid.cost --format html",
                      HV_SOURCE_DIR),
                   0);
  hv_test_assert_contains(f->out, "<svg");
  hv_test_assert_contains(f->out, "<polyline");
  hv_test_assert_contains(f->out, "Bayern");
  assert_true(strstr(f->out, "http://") == strstr(f->out, "http://www.w3"));
  snprintf(html, sizeof(html), "%s/report.html", f->dir);
  write_file(html, f->out);
  if (!browser) {
    print_message("SKIP html_renders_in_chromium: no chromium installed "
                  "(apt-get install chromium; deploy/setup.sh does)\n");
    skip();
  }
  snprintf(png, sizeof(png), "%s/shot.png", f->dir);
  snprintf(cmd, sizeof(cmd),
           "%s --headless --no-sandbox --disable-gpu "
           "--disable-background-networking --disable-component-update "
           "--disable-sync --no-first-run --user-data-dir=%s/profile "
           "--window-size=1200,2000 --enable-logging=stderr --v=0 "
           "--screenshot=%s file://%s >%s/shot.out 2>%s/shot.err",
           browser, f->dir, png, html, f->dir, f->dir);
  rc = system(cmd);
  assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
  assert_int_equal(stat(png, &st), 0);
  assert_true(st.st_size > 10000);
  snprintf(cmd, sizeof(cmd),
           "%s --headless --no-sandbox --disable-gpu "
           "--disable-background-networking --disable-component-update "
           "--disable-sync --no-first-run --user-data-dir=%s/profile2 "
           "--enable-logging=stderr --v=0 --dump-dom file://%s "
           ">%s/dom.out 2>%s/dom.err",
           browser, f->dir, html, f->dir, f->dir);
  rc = system(cmd);
  assert_true(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
  snprintf(path, sizeof(path), "%s/dom.out", f->dir);
  hv_free(f->out);
  assert_non_null(f->out = hv_test_read_file(path, NULL));
  hv_test_assert_contains(f->out, "data-rendered=\"ok\"");
  snprintf(path, sizeof(path), "%s/dom.err", f->dir);
  hv_free(f->errs);
  assert_non_null(f->errs = hv_test_read_file(path, NULL));
  if (strstr(f->errs, "CONSOLE") || strstr(f->errs, "Uncaught"))
    fail_msg("console errors:\n%s", f->errs);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(volumes_by_state, setup, teardown),
      cmocka_unit_test_setup_teardown(handover_payers_pro_rata, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(golden_volume_csv, setup, teardown),
      cmocka_unit_test_setup_teardown(cli_costs_explain_and_state, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(html_renders_in_chromium, setup,
                                      teardown),
  };
  hv_error err = HV_ERROR_INIT;
  int rc;

  if (hv_harvest_global_init(&err) < 0)
    return 1;
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  hv_harvest_global_cleanup();
  return rc;
}
