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
#include "tools/harvest_bench.h"
#include "tools/ckan_double.h"

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

typedef struct fixture {
  hv_test_bench b;
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
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  hv_test_bench_start(&f->b);
  f->b.opts.fetch.max_attempts = 2;
  f->b.opts.fetch.total_timeout_ms = 5000;
  HV_ASSERT_OK(hv_ckan_double_start(&f->ckan, "pub-token", &err), &err);
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
  hv_ckan_double_stop(f->ckan);
  hv_sink_confs_free(f->confs, f->n_confs);
  rc = hv_test_bench_stop(&f->b);
  hv_free(f);
  return rc;
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
  HV_ASSERT_OK(hv_store_outbox_set_sinks(f->b.store, names, 1, &err), &err);
}

static void push(fixture *f)
{
  hv_outbox_opts opts = HV_OUTBOX_OPTS_INIT;
  hv_outbox_stats st;
  hv_error err = HV_ERROR_INIT;

  opts.backoff_ms = 20;
  opts.max_backoff_ms = 200;
  HV_ASSERT_OK(hv_outbox_drain(f->b.store, f->confs, f->n_confs, &opts, &st,
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
  const hv_test_ds a1[] = {
      {"http://a.example/ds/x", "X-1", "2026-01-01", "X from A", "http://f/x"},
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const hv_test_ds b1[] = {
      {"http://b.example/ds/x", "x-1 ", "2026-02-01", "X from B", "http://f/x"},
      {"http://b.example/ds/z", "Z-1", NULL, "Z from B", "http://f/z"}};
  const hv_test_ds c1[] = {
      {"http://c.example/ds/x", "x-1", NULL, "X from C", "http://f/x"}};
  const hv_test_ds a2[] = {
      {"http://a.example/ds/x", "X-1", "2026-03-01", "X2 from A", "http://f/x"},
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const hv_test_ds a3[] = {
      {"http://a.example/ds/y", "Y-1", "2026-01-01", "Y from A", "http://f/y"}};
  const hv_test_ds b4[] = {
      {"http://b.example/ds/z", "Z-1", NULL, "Z from B", "http://f/z"}};

  configure(f);
  add_source(f, "a", "11", 0, "/a");
  add_source(f, "b", "11", 0, "/b");
  add_source(f, "c", "11", 5, "/c");

  /* Run 1: B's copy of x wins (newest modified); A's and C's are
   * superseded and never reach the sink. */
  hv_test_bench_serve(&f->b, "/a", a1, 2);
  hv_test_bench_serve(&f->b, "/b", b1, 2);
  hv_test_bench_serve(&f->b, "/c", c1, 1);
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
  HV_ASSERT_OK(hv_dedup_resolve(f->b.store, NULL, 0, NULL, NULL, &st, &err),
               &err);
  assert_int_equal(st.queued_puts, 0);
  assert_int_equal(st.queued_deletes, 0);

  /* Run 2: A's copy becomes newer: the same package is updated. */
  hv_test_bench_serve(&f->b, "/a", a2, 2);
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_package(f, "x-1", "X2 from A");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);

  /* Run 3: A's winner vanishes: B's copy is promoted in the same run. */
  hv_test_bench_serve(&f->b, "/a", a3, 1);
  f->b.opts.allow_mass_delete = 1; /* no quarantine hold in these runs */
  harvest(f, NULL);
  push(f);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_package(f, "x-1", "X from B");
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);

  /* Run 4: B's and C's copies vanish too: the package is deleted. */
  hv_test_bench_serve(&f->b, "/b", b4, 1);
  hv_test_bench_serve(&f->b, "/c", c1, 0);
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
