/*
 * Data quality through the govharvest binary: a harvest stores mapped
 * datasets and their findings, `report quality` counts them, and
 * `validate` shows one document's findings (table, JSON, mapped Turtle)
 * from a file or a loopback URL, with the documented exit codes. The
 * demo's catalog comes out mapped.
 */
#include "tools/hvtest.h"
#include "tools/cli_run.h"
#include "tools/harvest_bench.h"
#include "tools/fault_server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode/rdfparse.h"
#include "util/alloc.h"

#define VARIANTS HV_FIXTURES_DIR "/quality/variants.ttl"
#define CLEAN HV_FIXTURES_DIR "/check/clean.ttl"
#define BROKEN HV_FIXTURES_DIR "/quality/broken.ttl"

typedef struct fixture {
  char *dir;
  char db[600]; /* DIR/store.db, where the commands keep their state */
  hv_fault_server *srv;
  char url[256];
  char *out;  /* stdout of the last command */
  char *errs; /* stderr of the last command */
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;
  hv_fault_step step;
  size_t len;
  char *body;

  assert_non_null(f);
  assert_non_null(f->dir = hv_test_tmpdir());
  snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_fault_server_start(&f->srv, &err), &err);
  assert_non_null(body = hv_test_read_file(VARIANTS, &len));
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = body;
  step.len = len;
  HV_ASSERT_OK(hv_fault_server_route(f->srv, "/q", &step, 1, &err), &err);
  hv_free(body);
  hv_fault_server_url(f->srv, "/q", f->url, sizeof(f->url));
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  int rc;

  hv_fault_server_stop(f->srv);
  rc = hv_test_scenario_end(f->dir);
  hv_free(f->out);
  hv_free(f->errs);
  hv_free(f);
  return rc;
}

/* Runs the binary on the fixture's store; returns its exit code. */
#define gh(f, ...)                                                             \
  hv_test_cli_run((f)->db, (f)->dir, &(f)->out, &(f)->errs, __VA_ARGS__)

static json_t *parse_out(fixture *f)
{
  json_error_t jerr;
  json_t *doc = json_loads(f->out, 0, &jerr);

  if (!doc)
    fail_msg("not JSON (%s):\n%s", jerr.text, f->out);
  return doc;
}

static void harvest(fixture *f)
{
  assert_int_equal(gh(f, "source add nrw --state 05 --url %s", f->url), 0);
  assert_int_equal(gh(f, "run --allow-loopback --out %s/out-dir", f->dir), 0);
}

static void report_quality_counts_what_the_harvest_found(void **state)
{
  fixture *f = *state;
  json_t *doc, *rows, *totals, *row;
  size_t i;
  int format_rows = 0;

  harvest(f);
  assert_int_equal(gh(f, "report quality"), 0);
  hv_test_assert_contains(f->out, "map.license");
  hv_test_assert_contains(f->out, "with violations");
  assert_int_equal(gh(f, "report quality --json --source nrw"), 0);
  doc = parse_out(f);
  rows = json_object_get(doc, "findings");
  totals = json_object_get(doc, "totals");
  assert_int_equal(json_array_size(totals), 1);
  row = json_array_get(totals, 0);
  assert_string_equal(json_string_value(json_object_get(row, "source")),
                      "nrw");
  assert_int_equal(json_integer_value(json_object_get(row, "datasets")), 3);
  assert_int_equal(
      json_integer_value(json_object_get(row, "with_warnings")), 3);
  /* None of the three has a description: DCAT-AP.de requires one. */
  assert_int_equal(
      json_integer_value(json_object_get(row, "with_violations")), 3);
  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "rule")),
               "map.format") == 0) {
      assert_int_equal(json_integer_value(json_object_get(row, "findings")),
                       3);
      assert_string_equal(
          json_string_value(json_object_get(row, "severity")), "info");
      format_rows++;
    }
  }
  assert_int_equal(format_rows, 1);
  json_decref(doc);

  /* No source and no state of that name: empty, not an error. */
  assert_int_equal(gh(f, "report quality --state 16"), 0);
  hv_test_assert_contains(f->out, "no findings");
  assert_int_equal(gh(f, "report quality --state 99"), 2);
  hv_test_assert_contains(f->errs, "not a state key: 99");
  assert_int_equal(gh(f, "report quality --state 05 --source nrw"), 2);
}

static void run_violations_option(void **state)
{
  fixture *f = *state;

  assert_int_equal(gh(f, "source add nrw --state 05 --url %s", f->url), 0);
  assert_int_equal(gh(f, "run --violations maybe"), 2);
  hv_test_assert_contains(f->errs, "--violations: publish or withhold: maybe");
  assert_int_equal(gh(f, "run --allow-loopback --violations withhold --out "
                         "%s/o",
                      f->dir),
                   0);
  hv_test_assert_contains(f->out, "files: 3 datasets");
  /* A missing profile directory stops the run before any request. */
  assert_int_equal(gh(f, "--profiles %s/nowhere run --allow-loopback",
                      f->dir),
                   1);
  hv_test_assert_contains(f->errs, "nowhere/dcat-ap-de");
}

static void validate_a_file(void **state)
{
  fixture *f = *state;
  json_t *doc, *ds, *finding;
  size_t i, k;
  int licence = 0;

  /* A dataset that meets the profile: exit 0, nothing to report. */
  assert_int_equal(gh(f, "validate %s", CLEAN), 0);
  hv_test_assert_contains(f->out, "1 datasets: 0 violations, 0 warnings");

  /* Violations make the exit status 1; the findings are all printed. */
  assert_int_equal(gh(f, "validate %s", VARIANTS), 1);
  hv_test_assert_contains(f->out, "3 datasets, 0 rejected");
  hv_test_assert_contains(f->out, "dataset http://example.org/q/laerm");
  hv_test_assert_contains(f->out, "unknown licence 'Hauslizenz Stadtwerke'");
  hv_test_assert_contains(f->out, "is not in the dcat-ap.de licence list");
  hv_test_assert_contains(f->out, "3 datasets: 6 violations, 17 warnings");

  assert_int_equal(gh(f, "validate --json %s", VARIANTS), 1);
  doc = parse_out(f);
  assert_int_equal(json_array_size(json_object_get(doc, "datasets")), 3);
  assert_int_equal(json_integer_value(json_object_get(doc, "violations")),
                   6);
  assert_int_equal(json_integer_value(json_object_get(doc, "warnings")), 17);
  json_array_foreach(json_object_get(doc, "datasets"), i, ds) {
    json_array_foreach(json_object_get(ds, "findings"), k, finding) {
      /* Every finding speaks English and German. */
      assert_true(json_string_length(json_object_get(finding, "message")));
      assert_true(
          json_string_length(json_object_get(finding, "message_de")));
      if (strcmp(json_string_value(json_object_get(finding, "rule")),
                 "map.license") == 0) {
        assert_string_equal(
            json_string_value(json_object_get(finding, "old_value")),
            "\"Hauslizenz Stadtwerke\"");
        licence++;
      }
    }
  }
  assert_int_equal(licence, 1);
  json_decref(doc);

  /* A source's profile file teaches the profile the house licence. */
  {
    char conf[700];
    FILE *fp;

    snprintf(conf, sizeof(conf), "%s/nrw.conf", f->dir);
    assert_non_null(fp = fopen(conf, "w"));
    fputs("license-alias Hauslizenz Stadtwerke "
          "http://dcat-ap.de/def/licenses/dl-by-de/2.0\n",
          fp);
    fclose(fp);
    assert_int_equal(gh(f, "validate --source-conf %s %s", conf, VARIANTS),
                     1);
    hv_test_assert_contains(f->out, "3 datasets: 5 violations, 16 warnings");
    assert_null(strstr(f->out, "unknown licence"));
    assert_non_null(fp = fopen(conf, "w"));
    fputs("default license\n", fp);
    fclose(fp);
    assert_int_equal(gh(f, "validate --source-conf %s %s", conf, VARIANTS),
                     1);
    hv_test_assert_contains(f->errs, "nrw.conf:1:");
  }
}

static void validate_mapped_prints_turtle(void **state)
{
  fixture *f = *state;
  hv_graph g;
  hv_error err = HV_ERROR_INIT;
  size_t i, contributors = 0;

  assert_int_equal(gh(f, "validate --mapped %s", VARIANTS), 1);
  /* stdout is Turtle alone; the findings went to stderr. */
  hv_test_assert_contains(f->errs, "unknown licence");
  hv_graph_init(&g);
  HV_ASSERT_OK(hv_rdf_parse(&g, "turtle", f->out, strlen(f->out), NULL,
                            &err),
               &err);
  for (i = 0; i < g.len; i++) {
    assert_null(strstr(g.quads[i].p.value, "dcatde/1.0/"));
    if (strcmp(g.quads[i].p.value,
               "http://dcat-ap.de/def/dcatde/contributorID") == 0) {
      assert_int_equal(g.quads[i].o.kind, HV_TERM_IRI);
      contributors++;
    }
  }
  assert_int_equal(contributors, 2);
  assert_true(g.len > 20);
  hv_graph_fini(&g);

  assert_int_equal(gh(f, "validate --json --mapped %s", VARIANTS), 1);
  hv_test_assert_contains(f->out, "\"mapped\": \"@prefix dcatde:");
}

static void validate_bad_input_and_usage(void **state)
{
  fixture *f = *state;

  assert_int_equal(gh(f, "validate %s", BROKEN), 1);
  hv_test_assert_contains(f->errs, "broken.ttl: cannot decode: turtle line 4");
  assert_int_equal(gh(f, "validate %s/missing.ttl", f->dir), 1);
  hv_test_assert_contains(f->errs, "missing.ttl");
  assert_int_equal(gh(f, "validate"), 2);
  assert_int_equal(gh(f, "validate --format json %s", VARIANTS), 2);
  hv_test_assert_contains(f->errs,
                          "--format: rdfxml, turtle or ntriples: json");
  /* A Turtle file read as RDF/XML does not decode. */
  assert_int_equal(gh(f, "validate --format rdfxml %s", VARIANTS), 1);
  hv_test_assert_contains(f->errs, "cannot decode");
  assert_int_equal(gh(f, "validate --profiles %s/none %s", f->dir, VARIANTS),
                   1);
  hv_test_assert_contains(f->errs, "none/dcat-ap-de");
}

static void validate_a_url(void **state)
{
  fixture *f = *state;

  assert_int_equal(gh(f, "validate %s", f->url), 1);
  hv_test_assert_contains(f->errs, "loopback");
  assert_int_equal(hv_fault_server_hits(f->srv, "/q"), 0);
  /* The served variants lack descriptions: fetched, decoded, exit 1. */
  assert_int_equal(gh(f, "validate --allow-loopback %s", f->url), 1);
  hv_test_assert_contains(f->out, "3 datasets: 6 violations");
  hv_test_assert_contains(f->out, "dataset http://example.org/q/luft");
  assert_int_equal(hv_fault_server_hits(f->srv, "/q"), 1);
  assert_int_equal(gh(f, "validate --allow-loopback %s/nothing-here",
                      f->url),
                   1);
  hv_test_assert_contains(f->errs, "HTTP 404");
}

/* The demo's sample portals deliver dcatde namespace variants; the
 * catalog it writes holds only the canonical namespace. */
static void demo_catalog_is_mapped(void **state)
{
  fixture *f = *state;
  char path[1300];
  char *nt;

  assert_int_equal(gh(f, "demo --db %s/demo.db --out %s/demo-out", f->dir,
                      f->dir),
                   0);
  snprintf(path, sizeof(path), "%s/demo-out/catalog.nt", f->dir);
  assert_non_null(nt = hv_test_read_file(path, NULL));
  assert_null(strstr(nt, "http://dcat-ap.de/def/dcatde/1.0/"));
  hv_test_assert_contains(nt, "<http://dcat-ap.de/def/dcatde/contributorID>");
  hv_free(nt);
  assert_int_equal(gh(f, "--db %s/demo.db report quality", f->dir), 0);
  hv_test_assert_contains(f->out, "map.namespace");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(report_quality_counts_what_the_harvest_found),
      T(run_violations_option),
      T(validate_a_file),
      T(validate_mapped_prints_turtle),
      T(validate_bad_input_and_usage),
      T(validate_a_url),
      T(demo_catalog_is_mapped),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
