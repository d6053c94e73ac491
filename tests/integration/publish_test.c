/*
 * Publication end to end: real harvests (hv_harvest_run) of overlapping
 * sources served on loopback, the outbox drained into the CKAN protocol
 * double, and after every run the double holds exactly one package per
 * published dataset, with the winner's content, never a superseded copy;
 * a winner moving between sources is an update of the same package; a
 * vanished winner's replacement is pushed in the same run; a dataset all
 * of whose copies vanished is deleted; a repeated resolve (as after a
 * crash between the pages' commit and the resolve) queues nothing twice.
 */
#include "tools/hvtest.h"
#include "tools/ckan_double.h"
#include "tools/fault_server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "harvest/harvest.h"
#include "outbox/sender.h"
#include "sinks/ckan.h"
#include "sinks/sink.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* One dataset of a test catalog. */
typedef struct ds {
  const char *uri;
  const char *identifier;
  const char *modified; /* NULL: none */
  const char *title;
  const char *file;     /* distribution URL */
} ds;

typedef struct fixture {
  char *dir;
  char db[512];
  hv_store *store;
  hv_fault_server *srv;
  hv_harvest_opts opts;
  hv_source sources[3];
  size_t n_sources;
  hv_source_report *reports;
  hv_ckan_double *ckan;
  hv_sink_conf *confs;
  size_t n_confs;
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_harvest_opts defaults = HV_HARVEST_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  f->dir = hv_test_tmpdir();
  assert_non_null(f->dir);
  snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_store_open(&f->store, f->db, &err), &err);
  HV_ASSERT_OK(hv_fault_server_start(&f->srv, &err), &err);
  f->opts = defaults;
  f->opts.fetch.allow_loopback = 1;
  f->opts.fetch.max_attempts = 2;
  f->opts.fetch.backoff_base_ms = 20;
  f->opts.fetch.total_timeout_ms = 5000;
  HV_ASSERT_OK(hv_ckan_double_start(&f->ckan, "pub-token", &err), &err);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  size_t i;

  hv_source_reports_free(f->reports, f->n_sources);
  for (i = 0; i < f->n_sources; i++)
    hv_source_fini(&f->sources[i]);
  hv_fault_server_stop(f->srv);
  hv_ckan_double_stop(f->ckan);
  hv_sink_confs_free(f->confs, f->n_confs);
  hv_store_close(f->store);
  hv_test_rmtree(f->dir);
  hv_free(f->dir);
  hv_free(f);
  return 0;
}

/* Serves a one-page Turtle catalog of n datasets at path. */
static void serve(fixture *f, const char *path, const ds *d, size_t n)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  size_t i;

  hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dct: <http://purl.org/dc/terms/> .\n"
                    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
                    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                    "<http://catalog.example/c> a dcat:Catalog");
  for (i = 0; i < n; i++)
    hv_buf_addf(&b, " ;\n  dcat:dataset <%s>", d[i].uri);
  hv_buf_addstr(&b, " .\n");
  for (i = 0; i < n; i++) {
    hv_buf_addf(&b,
                "<%s> a dcat:Dataset ;\n  dct:identifier \"%s\" ;\n"
                "  dct:title \"%s\"@de ;\n"
                "  dct:publisher [ a foaf:Organization ;"
                " foaf:name \"Amt fuer Geodaten\" ] ;\n"
                "  dcat:distribution [ a dcat:Distribution ;"
                " dcat:accessURL <%s> ]",
                d[i].uri, d[i].identifier, d[i].title, d[i].file);
    if (d[i].modified)
      hv_buf_addf(&b, " ;\n  dct:modified \"%s\"", d[i].modified);
    hv_buf_addstr(&b, " .\n");
  }
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = b.ptr;
  step.len = b.len;
  HV_ASSERT_OK(hv_fault_server_route(f->srv, path, &step, 1, &err), &err);
  hv_buf_fini(&b);
}

static void add_source(fixture *f, const char *name, const char *state,
                       int priority, const char *path)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;
  char url[256];

  memset(&src, 0, sizeof(src));
  src.name = (char *)name;
  src.state = (char *)state;
  src.kind = "dcat-rdf";
  src.url = hv_fault_server_url(f->srv, path, url, sizeof(url));
  src.priority = priority;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(f->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(f->store, name,
                                   &f->sources[f->n_sources++], &err),
               &err);
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
  HV_ASSERT_OK(hv_harvest_run(f->store, ordered, f->n_sources, &f->opts,
                              &f->reports, &err),
               &err);
}


/* One CKAN sink "govdata" on the double. */
static void configure(fixture *f)
{
  char url[128], text[512];
  const char *names[1] = {"govdata"};
  hv_error err = HV_ERROR_INIT;

  setenv("HV_TEST_PUB_TOKEN", "pub-token", 1);
  snprintf(text, sizeof(text),
           "[sink govdata]\ntype = ckan\nurl = %s\n"
           "token_env = HV_TEST_PUB_TOKEN\ntimeout = 5\n",
           hv_ckan_double_url(f->ckan, url, sizeof(url)));
  HV_ASSERT_OK(hv_sink_conf_parse(text, "test.conf", &f->confs, &f->n_confs,
                                  &err),
               &err);
  HV_ASSERT_OK(hv_store_outbox_set_sinks(f->store, names, 1, &err), &err);
}

static void push(fixture *f)
{
  hv_outbox_opts opts = HV_OUTBOX_OPTS_INIT;
  hv_outbox_stats st;
  hv_error err = HV_ERROR_INIT;

  opts.backoff_ms = 20;
  opts.max_backoff_ms = 200;
  HV_ASSERT_OK(hv_outbox_drain(f->store, f->confs, f->n_confs, &opts, &st,
                               &err),
               &err);
  assert_int_equal(st.left, 0);
  assert_int_equal(st.parked, 0);
}

/* The package of identity is active with title (a substring), or gone. */
static void assert_package(fixture *f, const char *identity,
                           const char *title)
{
  char name[HV_CKAN_NAME_MAX + 1];
  json_t *p;

  hv_ckan_identity_name(identity, name);
  p = hv_ckan_double_package(f->ckan, name);
  if (!title) {
    if (p)
      assert_string_not_equal(
          json_string_value(json_object_get(p, "state")), "active");
    json_decref(p);
    return;
  }
  assert_non_null(p);
  assert_string_equal(json_string_value(json_object_get(p, "state")),
                      "active");
  assert_non_null(strstr(json_string_value(json_object_get(p, "title")),
                         title));
  json_decref(p);
  /* Made once; the winner moving between sources only updated it. */
  assert_int_equal(hv_ckan_double_creates(f->ckan, name), 1);
}

static void test_publication_over_runs(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_dedup_stats st;
  const ds a1[] = {
      {"http://a.example/ds/x", "X-1", "2026-01-01", "X from A", "http://f/x"},
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const ds b1[] = {
      {"http://b.example/ds/x", "x-1 ", "2026-02-01", "X from B", "http://f/x"},
      {"http://b.example/ds/z", "Z-1", NULL, "Z from B", "http://f/z"}};
  const ds c1[] = {
      {"http://c.example/ds/x", "x-1", NULL, "X from C", "http://f/x"}};
  const ds a2[] = {
      {"http://a.example/ds/x", "X-1", "2026-03-01", "X2 from A", "http://f/x"},
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const ds a3[] = {
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const ds b4[] = {
      {"http://b.example/ds/z", "Z-1", NULL, "Z from B", "http://f/z"}};

  configure(f);
  add_source(f, "a", "11", 0, "/a");
  add_source(f, "b", "11", 0, "/b");
  add_source(f, "c", "11", 5, "/c");

  /* Run 1: B's copy of x wins (newest modified); A's and C's are
   * superseded and never reach the sink. */
  serve(f, "/a", a1, 2);
  serve(f, "/b", b1, 2);
  serve(f, "/c", c1, 1);
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_package(f, "x-1", "X from B");
  assert_package(f, "y-1", "Y from A");
  assert_package(f, "z-1", "Z from B");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 3);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);

  /* A resolve again, as after a crash before the resolve's commit was
   * known: nothing is queued twice. */
  HV_ASSERT_OK(hv_dedup_resolve(f->store, NULL, 0, NULL, NULL, &st, &err),
               &err);
  assert_int_equal(st.queued_puts, 0);
  assert_int_equal(st.queued_deletes, 0);

  /* Run 2: A's copy becomes newer: the same package is updated. */
  serve(f, "/a", a2, 2);
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_package(f, "x-1", "X2 from A");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);

  /* Run 3: A's winner vanishes: B's copy is promoted in the same run. */
  serve(f, "/a", a3, 1);
  f->opts.allow_mass_delete = 1; /* no quarantine hold in these runs */
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_package(f, "x-1", "X from B");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);

  /* Run 4: B's and C's copies vanish too: the package is deleted. */
  serve(f, "/b", b4, 1);
  serve(f, "/c", c1, 0);
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 2);
  assert_package(f, "x-1", NULL);
  assert_package(f, "y-1", "Y from A");
  assert_package(f, "z-1", "Z from B");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_publication_over_runs, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
