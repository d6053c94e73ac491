/*
 * The end-to-end harvest bench (see harvest_bench.h).
 */
#include "tools/harvest_bench.h"

#include <stdio.h>
#include <string.h>

#include "tools/hvtest.h"
#include "tools/reconcile_check.h"
#include "util/alloc.h"

void hv_test_bench_start(hv_test_bench *b)
{
  hv_harvest_opts defaults = HV_HARVEST_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;

  memset(b, 0, sizeof(*b));
  b->dir = hv_test_tmpdir();
  assert_non_null(b->dir);
  snprintf(b->db, sizeof(b->db), "%s/store.db", b->dir);
  HV_ASSERT_OK(hv_store_open(&b->store, b->db, &err), &err);
  HV_ASSERT_OK(hv_fault_server_start(&b->srv, &err), &err);
  b->opts = defaults;
  b->opts.fetch.allow_loopback = 1;
  b->opts.fetch.backoff_base_ms = 20;
}

int hv_test_scenario_end(char *dir)
{
  int rc;

  /* Every scenario ends with the ledger agreeing with its stores. */
  rc = hv_test_reconcile_dir(dir);
  hv_test_rmtree(dir);
  hv_free(dir);
  return rc;
}

int hv_test_bench_stop(hv_test_bench *b)
{
  int rc;

  hv_fault_server_stop(b->srv);
  hv_store_close(b->store);
  rc = hv_test_scenario_end(b->dir);
  memset(b, 0, sizeof(*b));
  return rc;
}

void hv_test_bench_add_source(hv_test_bench *b, const char *name,
                              const char *state, int priority, const char *path,
                              hv_source *out)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;
  char url[256];

  memset(&src, 0, sizeof(src));
  src.name = (char *)name;
  src.state = (char *)state;
  src.kind = "dcat-rdf";
  src.url = hv_fault_server_url(b->srv, path, url, sizeof(url));
  src.priority = priority;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(b->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(b->store, name, out, &err), &err);
}
