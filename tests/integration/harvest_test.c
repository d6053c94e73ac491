/*
 * End-to-end runs against a real HTTP server on loopback with faults
 * injected: every bad input the harvester must survive, and the rules
 * that protect a catalog (nothing deleted by a failed or truncated run,
 * the mass-deletion hold). Each test uses a fresh SQLite store in a
 * temporary directory and a fresh fault server.
 */
#include "tools/hvtest.h"
#include "tools/cli_run.h"
#include "tools/harvest_bench.h"
#include "tools/fault_server.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "canon/rdfc10.h"
#include "decode/page.h"
#include "decode/rdfparse.h"
#include "harvest/assess.h"
#include "harvest/harvest.h"
#include "sinks/files.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

typedef struct fixture {
  hv_test_bench b;
  hv_source sources[4];
  size_t n_sources;
  char urls[4][256];
  hv_source_report *reports;
  size_t n_reports;
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));

  assert_non_null(f);
  hv_test_bench_start(&f->b);
  f->b.opts.fetch.max_attempts = 3;
  f->b.opts.fetch.backoff_max_ms = 3000;
  f->b.opts.fetch.total_timeout_ms = 3000;
  f->b.opts.fetch.connect_timeout_ms = 1000;
  *state = f;
  return 0;
}

static void free_reports(fixture *f)
{
  hv_source_reports_free(f->reports, f->n_reports);
  f->reports = NULL;
  f->n_reports = 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  int rc;
  size_t i;

  free_reports(f);
  for (i = 0; i < f->n_sources; i++)
    hv_source_fini(&f->sources[i]);
  rc = hv_test_bench_stop(&f->b);
  hv_free(f);
  return rc;
}

/* Registers a source whose first page is path on the fault server. */
static hv_source *add_source(fixture *f, const char *name, const char *state,
                             const char *path)
{
  hv_test_bench_add_source(&f->b, name, state, 0, path,
                           &f->sources[f->n_sources]);
  return &f->sources[f->n_sources++];
}

/* Runs all registered sources; returns the first source's report. */
static hv_source_report *run(fixture *f)
{
  hv_error err = HV_ERROR_INIT;

  free_reports(f);
  HV_ASSERT_OK(hv_harvest_run(f->b.store, f->sources, f->n_sources, &f->b.opts,
                              &f->reports, &err),
               &err);
  f->n_reports = f->n_sources;
  return &f->reports[0];
}

/*
 * A Turtle page with datasets first..first+count-1, each with a
 * blank-node publisher and two distributions; a Hydra view pointing at
 * next_url when it is not NULL.
 */
static char *turtle_page(const char *page_url, int first, int count,
                         const char *next_url)
{
  hv_buf b = HV_BUF_INIT(1 << 24);
  int i;

  hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dct: <http://purl.org/dc/terms/> .\n"
                    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
                    "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n");
  hv_buf_addf(&b, "<http://example.org/catalog> a dcat:Catalog");
  for (i = first; i < first + count; i++)
    hv_buf_addf(&b, " ;\n  dcat:dataset <http://example.org/ds/%d>", i);
  hv_buf_addstr(&b, " .\n");
  for (i = first; i < first + count; i++)
    hv_buf_addf(&b,
                "<http://example.org/ds/%d> a dcat:Dataset ;\n"
                "  dct:identifier \"ds-%d\" ;\n"
                "  dct:title \"Datensatz %d\"@de ;\n"
                "  dct:modified \"2026-01-%02d\"^^xsd:date ;\n"
                "  dct:publisher [ a foaf:Organization ; foaf:name \"Amt "
                "%d\" ] ;\n"
                "  dcat:distribution <http://example.org/ds/%d/csv>, "
                "<http://example.org/ds/%d/json> .\n"
                "<http://example.org/ds/%d/csv> a dcat:Distribution ;\n"
                "  dcat:accessURL <http://example.org/files/%d.csv> .\n"
                "<http://example.org/ds/%d/json> a dcat:Distribution ;\n"
                "  dcat:accessURL <http://example.org/files/%d.json> .\n",
                i, i, i, i % 28 + 1, i % 7, i, i, i, i, i, i);
  hv_buf_addf(&b, "<%s> a hydra:PartialCollectionView", page_url);
  if (next_url)
    hv_buf_addf(&b, " ;\n  hydra:next <%s>", next_url);
  hv_buf_addstr(&b, " .\n");
  return hv_buf_detach(&b, NULL);
}

/* Scripts path to answer with a Turtle page of datasets (ETag "tag"). */
static void serve_page(fixture *f, const char *path, int first, int count,
                       const char *next_path, const char *etag)
{
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  char url[256], next[256];
  char *body;

  body = turtle_page(
      hv_fault_server_url(f->b.srv, path, url, sizeof(url)), first, count,
      next_path ? hv_fault_server_url(f->b.srv, next_path, next, sizeof(next))
                : NULL);
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle; charset=utf-8";
  step.body = body;
  step.len = strlen(body);
  step.etag = etag;
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, path, &step, 1, &err), &err);
  hv_free(body);
}

static void serve_raw(fixture *f, const char *path, int status,
                      const char *content_type, const char *body,
                      hv_fault_kind fault)
{
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;

  memset(&step, 0, sizeof(step));
  step.status = status;
  step.content_type = content_type;
  step.body = body;
  step.len = body ? strlen(body) : 0;
  step.fault = fault;
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, path, &step, 1, &err), &err);
}

static void active_counts(fixture *f, const hv_source *src, size_t *active)
{
  hv_error err = HV_ERROR_INIT;
  size_t unseen;

  HV_ASSERT_OK(
      hv_store_dataset_counts(f->b.store, src->id, 0, active, &unseen, &err),
      &err);
}

/* ---- the good path ---------------------------------------------------- */

static void paged_source_is_harvested_and_reharvest_uses_etags(void **state)
{
  fixture *f = *state;
  hv_source *src;
  hv_source_report *r;
  size_t active;

  serve_page(f, "/p1", 0, 5, "/p2", "\"e1\"");
  serve_page(f, "/p2", 5, 5, "/p3", "\"e2\"");
  serve_page(f, "/p3", 10, 2, NULL, "\"e3\"");
  src = add_source(f, "hh", "02", "/p1");

  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_null(r->message);
  assert_int_equal(r->counts.pages_fetched, 3);
  assert_int_equal(r->counts.datasets_new, 12);
  assert_int_equal(r->counts.distributions, 24);
  assert_int_equal(r->counts.requests, 3);
  assert_true(r->counts.bytes > 0);
  active_counts(f, src, &active);
  assert_int_equal(active, 12);

  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.pages_not_modified, 3);
  assert_int_equal(r->counts.pages_fetched, 0);
  assert_int_equal(r->counts.datasets_unchanged, 12);
  assert_int_equal(r->counts.datasets_new, 0);
  assert_int_equal(r->counts.distributions, 24);
  {
    char inm[64];
    assert_true(hv_fault_server_header(f->b.srv, "/p2", "If-None-Match", inm,
                                       sizeof(inm)));
    assert_string_equal(inm, "\"e2\"");
  }
}

/* A page stored by another version of the page pipeline is decoded
 * again, even though the portal would answer 304. */
static void page_from_an_older_pipeline_is_decoded_again(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  sqlite3 *db;

  serve_page(f, "/p1", 0, 3, NULL, "\"e1\"");
  add_source(f, "old", "01", "/p1");
  run(f);
  r = run(f);
  assert_int_equal(r->counts.pages_not_modified, 1);
  assert_int_equal(sqlite3_open(f->b.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "UPDATE page SET content_hash = 'p0:'"
                                " || substr(content_hash, 4)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.pages_not_modified, 0);
  assert_int_equal(r->counts.pages_fetched, 1);
  assert_int_equal(r->counts.datasets_unchanged, 3);
  assert_int_equal(r->counts.datasets_deleted, 0);
}

static void unchanged_body_without_etag_is_not_decoded_again(void **state)
{
  fixture *f = *state;
  hv_source_report *r;

  serve_page(f, "/p1", 0, 3, NULL, NULL);
  add_source(f, "nrw", "05", "/p1");
  r = run(f);
  assert_int_equal(r->counts.datasets_new, 3);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.pages_not_modified, 1);
  assert_int_equal(r->counts.datasets_unchanged, 3);
}

static void changed_dataset_counts_as_updated(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  char url[256];
  char *body, *pos;

  serve_page(f, "/p1", 0, 3, NULL, NULL);
  add_source(f, "be", "11", "/p1");
  run(f);
  body = turtle_page(hv_fault_server_url(f->b.srv, "/p1", url, sizeof(url)), 0,
                     3, NULL);
  pos = strstr(body, "Datensatz 1\"");
  assert_non_null(pos);
  pos[0] = 'd'; /* one title changes */
  serve_raw(f, "/p1", 200, "text/turtle", body, HV_FAULT_NONE);
  hv_free(body);
  r = run(f);
  assert_int_equal(r->counts.datasets_updated, 1);
  assert_int_equal(r->counts.datasets_unchanged, 2);
}

static void vanished_datasets_are_deleted_within_the_share(void **state)
{
  fixture *f = *state;
  hv_source *src;
  hv_source_report *r;
  size_t active;

  serve_page(f, "/p1", 0, 10, NULL, NULL);
  src = add_source(f, "sn", "14", "/p1");
  run(f);
  serve_page(f, "/p1", 0, 8, NULL, NULL); /* 2 of 10 = 20 % vanish */
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_deleted, 2);
  active_counts(f, src, &active);
  assert_int_equal(active, 8);
}

static void mass_deletion_is_held_unless_allowed(void **state)
{
  fixture *f = *state;
  hv_source *src;
  hv_source_report *r;
  size_t active;

  serve_page(f, "/p1", 0, 10, NULL, NULL);
  src = add_source(f, "st", "15", "/p1");
  run(f);
  serve_page(f, "/p1", 0, 5, NULL, NULL); /* half of them vanish */
  r = run(f);
  assert_string_equal(r->status, HV_RUN_HELD);
  hv_test_assert_contains(r->message, "5 of 10");
  assert_int_equal(r->counts.datasets_deleted, 0);
  active_counts(f, src, &active);
  assert_int_equal(active, 10);

  f->b.opts.allow_mass_delete = 1;
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_deleted, 5);
  active_counts(f, src, &active);
  assert_int_equal(active, 5);
}

static void catalog_with_zero_datasets(void **state)
{
  fixture *f = *state;
  hv_source *src;
  hv_source_report *r;
  size_t active;

  serve_page(f, "/p1", 0, 0, NULL, NULL);
  src = add_source(f, "hb", "04", "/p1");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_new, 0);

  /* A catalog that suddenly delivers nothing is suspicious: held. */
  serve_page(f, "/p1", 0, 4, NULL, NULL);
  run(f);
  serve_page(f, "/p1", 0, 0, NULL, NULL);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_HELD);
  active_counts(f, src, &active);
  assert_int_equal(active, 4);
}

/* ---- failures that must delete nothing -------------------------------- */

/* Harvests 6 datasets over two pages, then breaks page 2 with `break_it`
 * and checks that the failed run deletes nothing and names the page. */
static hv_source_report *second_page_breaks(fixture *f, const char *cause,
                                            void (*break_it)(fixture *))
{
  hv_source *src;
  hv_source_report *r;
  char url[256];
  size_t active;

  serve_page(f, "/p1", 0, 3, "/p2", NULL);
  serve_page(f, "/p2", 3, 3, NULL, NULL);
  src = add_source(f, "bb", "12", "/p1");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_new, 6);

  break_it(f);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_FAILED);
  assert_int_equal(r->counts.pages_failed, 1);
  assert_int_equal(r->counts.datasets_deleted, 0);
  hv_test_assert_contains(
      r->message, hv_fault_server_url(f->b.srv, "/p2", url, sizeof(url)));
  hv_test_assert_contains(r->message, cause);
  active_counts(f, src, &active);
  assert_int_equal(active, 6);
  return r;
}

static void break_500(fixture *f)
{
  serve_raw(f, "/p2", 500, "text/plain", "down", HV_FAULT_NONE);
}

static void break_garbage(fixture *f)
{
  serve_raw(f, "/p2", 200, "text/turtle",
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
            "<a> <b> ;;; this is not turtle ]]",
            HV_FAULT_NONE);
}

static void break_html(fixture *f)
{
  serve_raw(f, "/p2", 200, "text/html",
            "<!DOCTYPE html><html><head><title>Wartungsarbeiten</title>"
            "</head><body>Bitte später erneut versuchen</body></html>",
            HV_FAULT_NONE);
}

static void break_json(fixture *f)
{
  serve_raw(f, "/p2", 200, "application/json",
            "{\"success\": true, \"result\": {\"count\": 0}}", HV_FAULT_NONE);
}

static void break_truncate(fixture *f)
{
  char url[256];
  char *body = turtle_page(
      hv_fault_server_url(f->b.srv, "/p2", url, sizeof(url)), 3, 3, NULL);
  serve_raw(f, "/p2", 200, "text/turtle", body, HV_FAULT_TRUNCATE);
  hv_free(body);
}

static void break_endless(fixture *f)
{
  serve_raw(f, "/p2", 200, "text/turtle", "# endless comment line\n",
            HV_FAULT_ENDLESS);
  f->b.opts.fetch.max_body = 64 * 1024;
}

static void break_slow(fixture *f)
{
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;

  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = "# slow\n";
  step.len = 7;
  step.delay_ms = 3000;
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, "/p2", &step, 1, &err), &err);
  f->b.opts.fetch.total_timeout_ms = 500;
  f->b.opts.fetch.max_attempts = 2;
}

static void page_with_500s_fails_and_deletes_nothing(void **state)
{
  hv_source_report *r = second_page_breaks(*state, "HTTP 500", break_500);

  assert_int_equal(r->counts.requests, 1 + 3); /* p1 + three attempts */
}

static void garbage_page_fails_and_deletes_nothing(void **state)
{
  second_page_breaks(*state, "line 2", break_garbage);
}

static void html_error_page_with_200_fails(void **state)
{
  second_page_breaks(*state, "HTML", break_html);
}

static void wrong_format_page_fails(void **state)
{
  second_page_breaks(*state, "JSON", break_json);
}

static void truncated_page_fails(void **state)
{
  second_page_breaks(*state, "trunc", break_truncate);
}

static void endless_page_hits_the_body_cap(void **state)
{
  second_page_breaks(*state, "65536", break_endless);
}

static void slow_page_times_out(void **state)
{
  second_page_breaks(*state, "timed out", break_slow);
}

static void next_link_to_missing_page_fails_the_run(void **state)
{
  fixture *f = *state;
  hv_source *src;
  hv_source_report *r;
  size_t active;

  serve_page(f, "/p1", 0, 3, "/p2", NULL);
  serve_page(f, "/p2", 3, 3, NULL, NULL);
  src = add_source(f, "mv", "13", "/p1");
  run(f);
  /* Page 2 now announces a page 3 that does not exist, and lost a
   * dataset: the failed run must keep it. */
  serve_page(f, "/p2", 3, 2, "/p3", NULL);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_FAILED);
  hv_test_assert_contains(r->message, "/p3");
  hv_test_assert_contains(r->message, "HTTP 404");
  assert_int_equal(r->counts.datasets_deleted, 0);
  active_counts(f, src, &active);
  assert_int_equal(active, 6);
}

static void retries_500s_then_succeeds(void **state)
{
  fixture *f = *state;
  hv_fault_step steps[3];
  hv_error err = HV_ERROR_INIT;
  hv_source_report *r;
  char url[256];
  char *body = turtle_page(
      hv_fault_server_url(f->b.srv, "/p1", url, sizeof(url)), 0, 2, NULL);

  memset(steps, 0, sizeof(steps));
  steps[0].status = 500;
  steps[1].status = 503;
  steps[2].content_type = "text/turtle";
  steps[2].body = body;
  steps[2].len = strlen(body);
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, "/p1", steps, 3, &err), &err);
  hv_free(body);
  add_source(f, "th", "16", "/p1");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.requests, 3);
  assert_int_equal(r->counts.datasets_new, 2);
}

static void honours_retry_after_on_429(void **state)
{
  fixture *f = *state;
  hv_fault_step steps[2];
  hv_error err = HV_ERROR_INIT;
  hv_source_report *r;
  char url[256];
  char *body = turtle_page(
      hv_fault_server_url(f->b.srv, "/p1", url, sizeof(url)), 0, 2, NULL);
  uint64_t start;

  memset(steps, 0, sizeof(steps));
  steps[0].status = 429;
  steps[0].headers = "Retry-After: 1";
  steps[1].content_type = "text/turtle";
  steps[1].body = body;
  steps[1].len = strlen(body);
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, "/p1", steps, 2, &err), &err);
  hv_free(body);
  add_source(f, "rp", "07", "/p1");
  start = uv_hrtime();
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.requests, 2);
  assert_true(uv_hrtime() - start >= 900000000ull);
}

static void source_down_fails_cleanly(void **state)
{
  fixture *f = *state;
  hv_source src, *s;
  hv_error err = HV_ERROR_INIT;
  hv_source_report *r;

  memset(&src, 0, sizeof(src));
  src.name = "down";
  src.state = "03";
  src.kind = "dcat-rdf";
  src.url = "http://127.0.0.1:1/catalog.ttl"; /* nothing listens on port 1 */
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(f->b.store, &src, &err), &err);
  s = &f->sources[f->n_sources++];
  HV_ASSERT_OK(hv_store_source_get(f->b.store, "down", s, &err), &err);
  r = run(f);
  assert_string_equal(r->status, HV_RUN_FAILED);
  hv_test_assert_contains(r->message, "http://127.0.0.1:1/catalog.ttl");
  assert_int_equal(r->counts.pages_failed, 1);
  assert_int_equal(r->counts.requests, 3);
}

static void paging_loop_stops_and_completes(void **state)
{
  fixture *f = *state;
  hv_source_report *r;

  serve_page(f, "/a", 0, 2, "/b", NULL);
  serve_page(f, "/b", 2, 2, "/a", NULL);
  add_source(f, "loop", "06", "/a");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.pages_fetched, 2);
  assert_int_equal(r->counts.datasets_new, 4);
  assert_int_equal(hv_fault_server_hits(f->b.srv, "/a"), 1);
  assert_int_equal(hv_fault_server_hits(f->b.srv, "/b"), 1);
}

static void page_cap_cuts_paging_and_deletes_nothing(void **state)
{
  fixture *f = *state;
  hv_source_report *r;

  serve_page(f, "/p1", 0, 2, "/p2", NULL);
  serve_page(f, "/p2", 2, 2, "/p3", NULL);
  serve_page(f, "/p3", 4, 2, NULL, NULL);
  add_source(f, "cap", "08", "/p1");
  run(f);
  f->b.opts.max_pages = 2;
  r = run(f);
  assert_string_equal(r->status, HV_RUN_FAILED);
  hv_test_assert_contains(r->message, "page cap of 2");
  assert_int_equal(r->counts.datasets_deleted, 0);
}

static void datasets_without_uri(void **state)
{
  fixture *f = *state;
  hv_source_report *r;

  serve_raw(f, "/p1", 200, "text/turtle",
            "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
            "@prefix dct: <http://purl.org/dc/terms/> .\n"
            "[] a dcat:Dataset ; dct:identifier \"blank-with-id\" ;\n"
            "   dct:title \"Ohne IRI, mit Kennung\" .\n"
            "[] a dcat:Dataset ; dct:title \"Ohne IRI, ohne Kennung\" .\n"
            "<http://example.org/ds/ok> a dcat:Dataset ;\n"
            "   dct:title \"Normal\" .\n",
            HV_FAULT_NONE);
  add_source(f, "sl", "10", "/p1");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_new, 2);
  assert_int_equal(r->counts.datasets_rejected, 1);
  /* Unchanged, the page is not decoded again; its rejection still counts. */
  r = run(f);
  assert_int_equal(r->counts.pages_not_modified, 1);
  assert_int_equal(r->counts.datasets_unchanged, 2);
  assert_int_equal(r->counts.datasets_rejected, 1);
}

static int find_secret(const hv_dataset_row *row, void *payload)
{
  int *found = payload;

  if (strstr(row->payload, "TOP-SECRET"))
    *found = 1;
  return 0;
}

static void external_entities_are_not_expanded(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  char secret_path[600], doc[2048];
  FILE *fp;
  hv_error err = HV_ERROR_INIT;
  int found = 0;

  snprintf(secret_path, sizeof(secret_path), "%s/secret.txt", f->b.dir);
  fp = fopen(secret_path, "w");
  assert_non_null(fp);
  fputs("TOP-SECRET-4711", fp);
  fclose(fp);
  snprintf(doc, sizeof(doc),
           "<?xml version=\"1.0\"?>\n"
           "<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM \"file://%s\"> ]>\n"
           "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/"
           "22-rdf-syntax-ns#\"\n"
           "  xmlns:dcat=\"http://www.w3.org/ns/dcat#\"\n"
           "  xmlns:dct=\"http://purl.org/dc/terms/\">\n"
           "<dcat:Dataset rdf:about=\"http://example.org/ds/xxe\">\n"
           "  <dct:title>&secret;</dct:title>\n"
           "</dcat:Dataset>\n</rdf:RDF>\n",
           secret_path);
  serve_raw(f, "/p1", 200, "application/rdf+xml", doc, HV_FAULT_NONE);
  add_source(f, "xxe", "09", "/p1");
  r = run(f);
  /* The page parses, the entity stays unexpanded, and the secret
   * reaches neither the store nor any count. */
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_new, 1);
  HV_ASSERT_OK(
      hv_store_dataset_foreach(f->b.store, 0, find_secret, &found, &err), &err);
  assert_int_equal(found, 0);
}

static void one_failing_source_does_not_stop_others(void **state)
{
  fixture *f = *state;

  serve_page(f, "/ok", 0, 3, NULL, NULL);
  serve_raw(f, "/bad", 404, "text/plain", "no", HV_FAULT_NONE);
  add_source(f, "good", "01", "/ok");
  add_source(f, "bad", "02", "/bad");
  run(f);
  assert_string_equal(f->reports[0].status, HV_RUN_OK);
  assert_int_equal(f->reports[0].counts.datasets_new, 3);
  assert_string_equal(f->reports[1].status, HV_RUN_FAILED);
  hv_test_assert_contains(f->reports[1].message, "HTTP 404");
}

static void ledger_counts_per_state(void **state)
{
  fixture *f = *state;
  hv_volume_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;

  serve_page(f, "/x", 0, 3, NULL, NULL);
  serve_page(f, "/y", 10, 2, NULL, NULL);
  add_source(f, "x", "05", "/x");
  add_source(f, "y", "bund", "/y");
  run(f);
  HV_ASSERT_OK(hv_store_report_volumes(f->b.store, 0, 0, &rows, &n, &err),
               &err);
  assert_int_equal(n, 2);
  assert_string_equal(rows[0].state, "05");
  assert_int_equal(rows[0].counts.datasets_new, 3);
  assert_int_equal(rows[0].counts.requests, 1);
  assert_string_equal(rows[1].state, "bund");
  assert_int_equal(rows[1].counts.datasets_new, 2);
  assert_int_equal(rows[1].counts.distributions, 4);
  hv_free(rows);
}

static void files_sink_is_deterministic(void **state)
{
  fixture *f = *state;
  hv_files_stats stats;
  hv_error err = HV_ERROR_INIT;
  char nt[1400], ttl[1400], nt2[1400], sub[700];
  char *a, *b, *c, *d;
  size_t alen, blen, clen, dlen;

  serve_page(f, "/p1", 0, 4, NULL, NULL);
  add_source(f, "files", "02", "/p1");
  run(f);
  HV_ASSERT_OK(hv_files_sink_write(f->b.store, 0, f->b.dir, &stats, &err),
               &err);
  assert_int_equal(stats.datasets, 4);
  snprintf(nt, sizeof(nt), "%s/catalog.nt", f->b.dir);
  snprintf(ttl, sizeof(ttl), "%s/catalog.ttl", f->b.dir);
  a = hv_test_read_file(nt, &alen);
  c = hv_test_read_file(ttl, &clen);
  assert_non_null(a);
  assert_non_null(c);
  /* The same content written again gives the same bytes. */
  snprintf(sub, sizeof(sub), "%s/again", f->b.dir);
  assert_int_equal(mkdir(sub, 0755), 0);
  HV_ASSERT_OK(hv_files_sink_write(f->b.store, 0, sub, &stats, &err), &err);
  snprintf(nt2, sizeof(nt2), "%s/catalog.nt", sub);
  b = hv_test_read_file(nt2, &blen);
  snprintf(nt2, sizeof(nt2), "%s/catalog.ttl", sub);
  d = hv_test_read_file(nt2, &dlen);
  assert_int_equal(alen, blen);
  assert_memory_equal(a, b, alen);
  assert_int_equal(clen, dlen);
  assert_memory_equal(c, d, clen);
  /* The Turtle file and the N-Triples file hold the same graph. */
  {
    hv_graph gn, gt;
    char hn[HV_SHA256_HEX_LEN + 1], ht[HV_SHA256_HEX_LEN + 1];

    hv_graph_init(&gn);
    hv_graph_init(&gt);
    HV_ASSERT_OK(hv_rdf_parse(&gn, "ntriples", a, alen, NULL, &err), &err);
    HV_ASSERT_OK(hv_rdf_parse(&gt, "turtle", c, clen, NULL, &err), &err);
    assert_int_equal(gn.len, stats.triples);
    assert_int_equal(gt.len, gn.len);
    HV_ASSERT_OK(hv_rdfc10_hash(&gn, hn, NULL, &err), &err);
    HV_ASSERT_OK(hv_rdfc10_hash(&gt, ht, NULL, &err), &err);
    assert_string_equal(hn, ht);
    hv_graph_fini(&gn);
    hv_graph_fini(&gt);
  }
  hv_free(a);
  hv_free(b);
  hv_free(c);
  hv_free(d);
}

/* ---- mapping, findings and profiles ----------------------------------- */

#define VARIANTS HV_FIXTURES_DIR "/quality/variants.ttl"

/*
 * Gives the run a profile directory of its own: the project's tables
 * (linked) and an empty sources/ folder the test writes files into.
 */
static void own_profiles(fixture *f, char *dir, size_t cap)
{
  char path[700];

  snprintf(dir, cap, "%s/profiles", f->b.dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(path, sizeof(path), "%s/" HV_ASSESS_TABLES, dir);
  assert_int_equal(symlink(HV_SOURCE_DIR "/profiles/dcat-ap-de", path), 0);
  snprintf(path, sizeof(path), "%s/" HV_ASSESS_SOURCES, dir);
  assert_int_equal(mkdir(path, 0755), 0);
  f->b.opts.profiles_dir = dir;
}

static void write_conf(const char *profiles, const char *source,
                       const char *text)
{
  char path[800];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/" HV_ASSESS_SOURCES "/%s.conf", profiles,
           source);
  assert_non_null(fp = fopen(path, "w"));
  fputs(text, fp);
  assert_int_equal(fclose(fp), 0);
}

static void serve_fixture(fixture *f, const char *path, const char *file,
                          const char *etag)
{
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  size_t len;
  char *body = hv_test_read_file(file, &len);

  assert_non_null(body);
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = body;
  step.len = len;
  step.etag = etag;
  HV_ASSERT_OK(hv_fault_server_route(f->b.srv, path, &step, 1, &err), &err);
  hv_free(body);
}

/* One integer from the store, through a connection of the test's own. */
static long long sql_int(fixture *f, const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  long long v = -1;

  assert_int_equal(sqlite3_open(f->b.db, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

typedef struct stored {
  char key[128];
  char hash[HV_SHA256_HEX_LEN + 1];
  char *payload;
} stored;

static int collect_one(const hv_dataset_row *row, void *payload)
{
  stored *st = payload;

  if (strcmp(row->key, st->key) == 0) {
    snprintf(st->hash, sizeof(st->hash), "%s", row->hash);
    st->payload = hv_strndup(row->payload, row->payload_len);
  }
  return 0;
}

/* The canonical hash of the fixture's dataset key, mapped here. */
static void expected_hash(const char *file, const char *key,
                          char out[HV_SHA256_HEX_LEN + 1])
{
  hv_profile *p = NULL;
  hv_page page;
  hv_error err = HV_ERROR_INIT;
  char digest[HV_SHA256_HEX_LEN + 1];
  size_t len, i;
  char *body = hv_test_read_file(file, &len);
  int found = 0;

  memset(&page, 0, sizeof(page));
  assert_non_null(body);
  HV_ASSERT_OK(hv_assess_load_tables(&p, digest, HV_SOURCE_DIR "/profiles",
                                     &err),
               &err);
  HV_ASSERT_OK(hv_page_decode(&page, body, len, "text/turtle", NULL,
                              "http://127.0.0.1/", &err),
               &err);
  for (i = 0; i < page.n_datasets; i++) {
    hv_graph mapped;
    hv_findings fs;

    if (strcmp(page.datasets[i].key, key) != 0)
      continue;
    hv_graph_init(&mapped);
    hv_findings_init(&fs);
    HV_ASSERT_OK(hv_assess_dataset(p, NULL, &page.datasets[i].graph,
                                   page.datasets[i].uri, &mapped, &fs, &err),
                 &err);
    HV_ASSERT_OK(hv_rdfc10_hash(&mapped, out, NULL, &err), &err);
    hv_graph_fini(&mapped);
    hv_findings_fini(&fs);
    found = 1;
  }
  assert_true(found);
  hv_page_fini(&page);
  hv_profile_free(p);
  hv_free(body);
}

static void stored_payload_is_the_mapped_form_with_findings(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  hv_error err = HV_ERROR_INIT;
  char want[HV_SHA256_HEX_LEN + 1];
  stored st;

  serve_fixture(f, "/q", VARIANTS, NULL);
  add_source(f, "nrw", "05", "/q");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.datasets_new, 3);

  memset(&st, 0, sizeof(st));
  snprintf(st.key, sizeof(st.key), "http://example.org/q/luft");
  HV_ASSERT_OK(hv_store_dataset_foreach(f->b.store, 0, collect_one, &st, &err),
               &err);
  assert_non_null(st.payload);
  /* The namespace variant and the literal licence are repaired. */
  hv_test_assert_contains(st.payload,
                          "<http://example.org/q/luft> "
                          "<http://dcat-ap.de/def/dcatde/contributorID> "
                          "<http://dcat-ap.de/def/contributors/openNRW>");
  assert_null(strstr(st.payload, "dcatde/1.0/"));
  hv_test_assert_contains(st.payload,
                          "<http://purl.org/dc/terms/license> "
                          "<http://dcat-ap.de/def/licenses/dl-by-de/2.0>");
  hv_test_assert_contains(st.payload, "<http://publications.europa.eu/resource/"
                                      "authority/file-type/CSV>");
  expected_hash(VARIANTS, st.key, want);
  assert_string_equal(st.hash, want);
  hv_free(st.payload);

  /* Findings per dataset, with their counts and reporting state: the
   * map stage's repairs, and the check stage's findings on the mapped
   * graph (no description anywhere; an unknown licence). */
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule"
                              " LIKE 'map.%'"),
                   8);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding"), 44);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding f JOIN dataset d"
                              " ON d.id = f.dataset_id WHERE d.key ="
                              " 'http://example.org/q/luft' AND f.rule ="
                              " 'map.namespace' AND f.severity = 'info' AND"
                              " f.old_value = '<http://dcat-ap.de/def/dcatde"
                              "/1.0/contributorID>'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT warnings FROM dataset WHERE key ="
                              " 'http://example.org/q/laerm'"),
                   6);
  assert_int_equal(sql_int(f, "SELECT violations FROM dataset WHERE key ="
                              " 'http://example.org/q/laerm'"),
                   2);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'check.license' AND severity = 'violation'"
                              " AND old_value = '\"Hauslizenz Stadtwerke\"'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'map.license' AND severity = 'warning' AND"
                              " old_value = '\"Hauslizenz Stadtwerke\"'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM dataset WHERE"
                              " report_state = '05'"),
                   2);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM dataset WHERE"
                              " report_state IS NULL AND key ="
                              " 'http://example.org/q/wasser'"),
                   1);

  /* Unchanged datasets keep their findings; deleted ones lose them. */
  r = run(f);
  assert_int_equal(r->counts.datasets_unchanged, 3);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding"), 44);
  serve_page(f, "/q", 0, 0, NULL, NULL);
  f->b.opts.allow_mass_delete = 1;
  r = run(f);
  assert_int_equal(r->counts.datasets_deleted, 3);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding"), 0);
  assert_int_equal(sql_int(f, "SELECT sum(warnings) FROM dataset"), 0);
}

static void quality_report_counts_findings(void **state)
{
  fixture *f = *state;
  hv_quality_report q;
  hv_error err = HV_ERROR_INIT;
  size_t i;
  int seen = 0;

  serve_fixture(f, "/q", VARIANTS, NULL);
  serve_page(f, "/clean", 0, 2, NULL, NULL);
  add_source(f, "nrw", "05", "/q");
  add_source(f, "clean", "03", "/clean");
  run(f);
  HV_ASSERT_OK(hv_store_report_quality(f->b.store, NULL, NULL, &q, &err), &err);
  for (i = 0; i < q.n_rows; i++) {
    const hv_quality_row *row = &q.rows[i];
    if (strcmp(row->rule, "map.format") == 0) {
      assert_string_equal(row->source, "nrw");
      /* Two datasets derive 05, the third falls back to the source's. */
      assert_string_equal(row->state, "05");
      assert_int_equal(row->findings, 3);
      assert_int_equal(row->datasets, 3);
      seen++;
    } else if (strcmp(row->rule, "map.contributor") == 0 &&
               strcmp(row->source, "nrw") == 0) {
      /* No state derived: reported under the source's own. */
      assert_string_equal(row->severity, "warning");
      assert_string_equal(row->state, "05");
      assert_int_equal(row->datasets, 1);
      seen++;
    }
  }
  assert_int_equal(seen, 2);
  hv_quality_report_free(&q);

  HV_ASSERT_OK(hv_store_report_quality(f->b.store, "nrw", NULL, &q, &err),
               &err);
  assert_int_equal(q.n_totals, 1);
  assert_string_equal(q.totals[0].source, "nrw");
  assert_int_equal(q.totals[0].datasets, 3);
  /* Every one lacks a description: a violation of the check stage. */
  assert_int_equal(q.totals[0].with_warnings, 3);
  assert_int_equal(q.totals[0].with_violations, 3);
  hv_quality_report_free(&q);

  HV_ASSERT_OK(hv_store_report_quality(f->b.store, NULL, "03", &q, &err), &err);
  for (i = 0; i < q.n_rows; i++)
    assert_string_equal(q.rows[i].state, "03");
  assert_int_equal(q.n_totals, 1);
  assert_string_equal(q.totals[0].source, "clean");
  assert_int_equal(q.totals[0].datasets, 2);
  hv_quality_report_free(&q);
}

/* The findings of the datasets a run wrote (changed_run), by severity. */
static long long findings_of_run(fixture *f, int64_t run_id,
                                 const char *severity)
{
  char sql[256];

  snprintf(sql, sizeof(sql),
           "SELECT count(*) FROM finding JOIN dataset d"
           " ON d.id = finding.dataset_id"
           " WHERE d.changed_run = %lld AND severity = '%s'",
           (long long)run_id, severity);
  return sql_int(f, sql);
}

/* Asserts that run r's ledger counts exactly the findings it stored. */
static void assert_ledger_findings(fixture *f, const hv_source_report *r)
{
  hv_ledger_counts sum;
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_store_ledger_run(f->b.store, r->run_id, &sum, &err), &err);
  assert_int_equal(sum.findings_violations,
                   findings_of_run(f, r->run_id, "violation"));
  assert_int_equal(sum.findings_warnings,
                   findings_of_run(f, r->run_id, "warning"));
  assert_int_equal(sum.findings_infos, findings_of_run(f, r->run_id, "info"));
  /* The run's report carries what its ledger rows say. */
  assert_int_equal(r->counts.findings_violations, sum.findings_violations);
  assert_int_equal(r->counts.findings_warnings, sum.findings_warnings);
  assert_int_equal(r->counts.findings_infos, sum.findings_infos);
}

/*
 * The ledger counts, by severity, the findings recorded for the datasets
 * a run writes new or updated, and nothing for those it leaves unchanged.
 */
static void ledger_counts_findings_by_severity(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  char url[256];
  char *body, *pos;
  long long all;

  serve_page(f, "/p1", 0, 3, NULL, NULL);
  add_source(f, "sh", "01", "/p1");
  r = run(f);
  assert_int_equal(r->counts.datasets_new, 3);
  assert_ledger_findings(f, r);
  all = sql_int(f, "SELECT count(*) FROM finding");
  assert_true(all > 0);
  assert_int_equal(r->counts.findings_violations +
                       r->counts.findings_warnings + r->counts.findings_infos,
                   all);
  /* Three datasets of the same shape: each severity a multiple of 3. */
  assert_int_equal(r->counts.findings_warnings % 3, 0);
  assert_true(r->counts.findings_warnings > 0);

  /* Nothing changed: the findings stay, none is counted again. */
  r = run(f);
  assert_int_equal(r->counts.datasets_unchanged, 3);
  assert_int_equal(r->counts.findings_violations, 0);
  assert_int_equal(r->counts.findings_warnings, 0);
  assert_int_equal(r->counts.findings_infos, 0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding"), all);

  /* One dataset updated: its findings, a third of the first run's. */
  body = turtle_page(hv_fault_server_url(f->b.srv, "/p1", url, sizeof(url)), 0,
                     3, NULL);
  assert_non_null(pos = strstr(body, "Datensatz 1\""));
  pos[0] = 'd';
  serve_raw(f, "/p1", 200, "text/turtle", body, HV_FAULT_NONE);
  hv_free(body);
  r = run(f);
  assert_int_equal(r->counts.datasets_updated, 1);
  assert_ledger_findings(f, r);
  assert_int_equal(3 * (r->counts.findings_violations +
                        r->counts.findings_warnings +
                        r->counts.findings_infos),
                   all);
}

/* Editing a source's profile file re-decodes its pages although the
 * portal answers 304, and replaces the findings. */
static void source_profile_change_decodes_again(void **state)
{
  fixture *f = *state;
  hv_source_report *r;
  char profiles[600];

  own_profiles(f, profiles, sizeof(profiles));
  serve_fixture(f, "/q", VARIANTS, "\"v1\"");
  add_source(f, "nrw", "05", "/q");
  r = run(f);
  assert_int_equal(r->counts.datasets_new, 3);
  r = run(f);
  assert_int_equal(r->counts.pages_not_modified, 1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'map.license'"),
                   1);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'check.license'"),
                   1);

  write_conf(profiles, "nrw",
             "# The house licence is the city's name for dl-by-de 2.0.\n"
             "license-alias Hauslizenz Stadtwerke "
             "http://dcat-ap.de/def/licenses/dl-by-de/2.0\n"
             "default contributor http://dcat-ap.de/def/contributors/"
             "openNRW\n");
  r = run(f);
  assert_string_equal(r->status, HV_RUN_OK);
  assert_int_equal(r->counts.pages_not_modified, 0);
  assert_int_equal(r->counts.pages_fetched, 1);
  assert_int_equal(r->counts.datasets_updated, 2);
  assert_int_equal(r->counts.datasets_unchanged, 1);
  /* The unknown licence is now known: a mapping, no longer a warning. */
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'map.license' AND severity = 'warning'"),
                   0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'map.contributor' AND severity = 'warning'"),
                   0);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule LIKE"
                              " 'map.%' AND severity = 'warning'"),
                   0);
  /* The check stage now sees a licence from the list. */
  assert_int_equal(sql_int(f, "SELECT count(*) FROM finding WHERE rule ="
                              " 'check.license'"),
                   0);
  /* The same profile again: back to 304. */
  r = run(f);
  assert_int_equal(r->counts.pages_not_modified, 1);
}

static void broken_source_profile_fails_only_that_source(void **state)
{
  fixture *f = *state;
  char profiles[600];

  own_profiles(f, profiles, sizeof(profiles));
  write_conf(profiles, "bad", "# fine\nlicense-alias only-one-field\n");
  serve_page(f, "/a", 0, 2, NULL, NULL);
  serve_page(f, "/b", 10, 2, NULL, NULL);
  add_source(f, "good", "01", "/a");
  add_source(f, "bad", "02", "/b");
  run(f);
  assert_string_equal(f->reports[0].status, HV_RUN_OK);
  assert_int_equal(f->reports[0].counts.datasets_new, 2);
  assert_string_equal(f->reports[1].status, HV_RUN_FAILED);
  hv_test_assert_contains(f->reports[1].message, "sources/bad.conf:2:");
  assert_int_equal(f->reports[1].counts.requests, 0);
  assert_int_equal(hv_fault_server_hits(f->b.srv, "/b"), 0);
}

static void missing_profile_directory_is_an_error(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  char dir[600];

  snprintf(dir, sizeof(dir), "%s/no-such-profiles", f->b.dir);
  f->b.opts.profiles_dir = dir;
  serve_page(f, "/a", 0, 2, NULL, NULL);
  add_source(f, "a", "01", "/a");
  assert_int_equal(hv_harvest_run(f->b.store, f->sources, f->n_sources,
                                  &f->b.opts, &f->reports, &err),
                   HV_EIO);
  hv_test_assert_contains(err.msg, "no-such-profiles/dcat-ap-de");
  assert_int_equal(hv_fault_server_hits(f->b.srv, "/a"), 0);
}

#define CLEAN HV_FIXTURES_DIR "/check/clean.ttl"

/* The check stage's violations (the variants lack descriptions, one has
 * an unknown licence) keep datasets out of the files when withheld. */
static void withheld_violations_stay_out_of_the_files(void **state)
{
  fixture *f = *state;
  hv_files_stats stats;
  hv_error err = HV_ERROR_INIT;
  char nt[700];
  char *a;

  serve_fixture(f, "/q", VARIANTS, NULL);
  serve_fixture(f, "/clean", CLEAN, NULL);
  add_source(f, "nrw", "05", "/q");
  add_source(f, "clean", "02", "/clean");
  run(f);
  assert_int_equal(sql_int(f, "SELECT count(*) FROM dataset WHERE"
                              " violations > 0"),
                   3);
  HV_ASSERT_OK(
      hv_files_sink_write_published(f->b.store, 0, f->b.dir, 1, &stats, &err),
      &err);
  assert_int_equal(stats.datasets, 1);
  assert_int_equal(stats.withheld, 3);
  snprintf(nt, sizeof(nt), "%s/catalog.nt", f->b.dir);
  assert_non_null(a = hv_test_read_file(nt, NULL));
  assert_null(strstr(a, "<http://example.org/q/luft>"));
  hv_test_assert_contains(a, "<https://daten.musterhausen.de/ds/1>");
  hv_free(a);
  /* publish (the default) keeps them, findings and all. */
  HV_ASSERT_OK(
      hv_files_sink_write_published(f->b.store, 0, f->b.dir, 0, &stats, &err),
      &err);
  assert_int_equal(stats.datasets, 4);
  assert_int_equal(stats.withheld, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(paged_source_is_harvested_and_reharvest_uses_etags),
      T(page_from_an_older_pipeline_is_decoded_again),
      T(unchanged_body_without_etag_is_not_decoded_again),
      T(changed_dataset_counts_as_updated),
      T(vanished_datasets_are_deleted_within_the_share),
      T(mass_deletion_is_held_unless_allowed),
      T(catalog_with_zero_datasets),
      T(page_with_500s_fails_and_deletes_nothing),
      T(garbage_page_fails_and_deletes_nothing),
      T(html_error_page_with_200_fails),
      T(wrong_format_page_fails),
      T(truncated_page_fails),
      T(endless_page_hits_the_body_cap),
      T(slow_page_times_out),
      T(next_link_to_missing_page_fails_the_run),
      T(retries_500s_then_succeeds),
      T(honours_retry_after_on_429),
      T(source_down_fails_cleanly),
      T(paging_loop_stops_and_completes),
      T(page_cap_cuts_paging_and_deletes_nothing),
      T(datasets_without_uri),
      T(external_entities_are_not_expanded),
      T(one_failing_source_does_not_stop_others),
      T(ledger_counts_per_state),
      T(files_sink_is_deterministic),
      T(stored_payload_is_the_mapped_form_with_findings),
      T(quality_report_counts_findings),
      T(ledger_counts_findings_by_severity),
      T(source_profile_change_decodes_again),
      T(broken_source_profile_fails_only_that_source),
      T(missing_profile_directory_is_an_error),
      T(withheld_violations_stay_out_of_the_files),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
