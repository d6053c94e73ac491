/*
 * The end-to-end harvest bench (see harvest_bench.h).
 */
#include "tools/harvest_bench.h"

#include <stdio.h>
#include <string.h>

#include "tools/hvtest.h"
#include "tools/reconcile_check.h"
#include "util/alloc.h"
#include "util/buf.h"

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

void hv_test_bench_serve(hv_test_bench *b, const char *path,
                         const hv_test_ds *d, size_t n)
{
  hv_buf body = HV_BUF_INIT(1 << 20);
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  size_t i;

  hv_buf_addstr(&body, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                       "@prefix dct: <http://purl.org/dc/terms/> .\n"
                       "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
                       "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                       "<http://catalog.example/c> a dcat:Catalog");
  for (i = 0; i < n; i++)
    hv_buf_addf(&body, " ;\n  dcat:dataset <%s>", d[i].uri);
  hv_buf_addstr(&body, " .\n");
  for (i = 0; i < n; i++) {
    hv_buf_addf(&body,
                "<%s> a dcat:Dataset ;\n  dct:identifier \"%s\" ;\n"
                "  dct:title \"%s\"@de ;\n"
                "  dct:publisher [ a foaf:Organization ;"
                " foaf:name \"Amt fuer Geodaten\" ] ;\n"
                "  dcat:distribution [ a dcat:Distribution ;"
                " dcat:accessURL <%s> ]",
                d[i].uri, d[i].identifier, d[i].title, d[i].file);
    if (d[i].modified)
      hv_buf_addf(&body, " ;\n  dct:modified \"%s\"", d[i].modified);
    hv_buf_addstr(&body, " .\n");
  }
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = body.ptr;
  step.len = body.len;
  HV_ASSERT_OK(hv_fault_server_route(b->srv, path, &step, 1, &err), &err);
  hv_buf_fini(&body);
}
