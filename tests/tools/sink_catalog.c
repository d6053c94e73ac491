/*
 * The sink tests' harvested catalog (see sink_catalog.h).
 */
#include "tools/sink_catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harvest/harvest.h"
#include "tools/hvtest.h"
#include "util/alloc.h"
#include "util/buf.h"

void hv_sink_catalog_open(hv_sink_catalog *c)
{
  hv_error err = HV_ERROR_INIT;
  hv_source src;
  char url[256];

  memset(c, 0, sizeof(*c));
  c->dir = hv_test_tmpdir();
  assert_non_null(c->dir);
  snprintf(c->db, sizeof(c->db), "%s/store.db", c->dir);
  HV_ASSERT_OK(hv_store_open(&c->store, c->db, &err), &err);
  HV_ASSERT_OK(hv_fault_server_start(&c->srv, &err), &err);
  memset(&src, 0, sizeof(src));
  src.name = "by-test";
  src.state = "11";
  src.kind = "dcat-rdf";
  src.url = hv_fault_server_url(c->srv, "/catalog.ttl", url, sizeof(url));
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(c->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(c->store, "by-test", &c->src, &err), &err);
}

void hv_sink_catalog_close(hv_sink_catalog *c)
{
  hv_sink_confs_free(c->confs, c->n_confs);
  hv_source_fini(&c->src);
  hv_fault_server_stop(c->srv);
  hv_store_close(c->store);
  hv_test_rmtree(c->dir);
  hv_free(c->dir);
  memset(c, 0, sizeof(*c));
}

void hv_sink_catalog_serve(hv_sink_catalog *c, int first, int count, int rev,
                           int bad)
{
  hv_buf b = HV_BUF_INIT(1 << 24);
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  int i;

  hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dct: <http://purl.org/dc/terms/> .\n"
                    "@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .\n"
                    "@prefix foaf: <http://xmlns.com/foaf/0.1/> .\n"
                    "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                    "<http://example.org/catalog> a dcat:Catalog");
  for (i = first; i < first + count; i++)
    hv_buf_addf(&b, " ;\n  dcat:dataset <http://example.org/ds/%d>", i);
  hv_buf_addstr(&b, " .\n");
  for (i = first; i < first + count; i++)
    hv_buf_addf(
        &b,
        "<http://example.org/ds/%d> a dcat:Dataset ;\n"
        "  dct:identifier \"ds-%d\" ;\n"
        "  dct:title \"Datensatz %d Fassung %d\"@de ;\n"
        "  %s%d%s ;\n"
        "  dct:modified \"2026-01-%02d\"^^xsd:date ;\n"
        "  dcat:keyword \"umwelt\"@de, \"%s\"@de ;\n"
        "  dcat:theme <http://publications.europa.eu/resource/authority/"
        "data-theme/ENVI> ;\n"
        "  dcatde:contributorID <http://dcat-ap.de/def/contributors/"
        "berlinOpenData> ;\n"
        "  dcatde:politicalGeocodingURI <http://dcat-ap.de/def/"
        "politicalGeocoding/stateKey/11> ;\n"
        "  dcatde:maintainer [ a foaf:Organization ; foaf:name \"Amt %d\" ;"
        " foaf:mbox <mailto:amt%d@example.org> ] ;\n"
        "  dct:publisher [ a foaf:Organization ; foaf:name \"Amt %d\" ] ;\n"
        "  dcat:distribution <http://example.org/ds/%d/csv> .\n"
        "<http://example.org/ds/%d/csv> a dcat:Distribution ;\n"
        "  dct:title \"Tabelle\" ;\n"
        "  dct:format <http://publications.europa.eu/resource/authority/"
        "file-type/CSV> ;\n"
        "  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;\n"
        "  dcat:accessURL <http://example.org/files/%d.csv> .\n",
        i, i, i, rev,
        /* The violating dataset has no description, a DCAT-AP.de
           violation; it gets a note in its place. */
        i == c->violating ? "dct:alternative \"Notiz zu Datensatz "
                          : "dct:description \"Beschreibung von Datensatz ",
        i, i == c->violating ? "\"" : "\"@de", i % 28 + 1,
        i == bad ? "x" : "daten", i % 7, i % 7,
        i % 7, i, i, i);
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle; charset=utf-8";
  step.body = b.ptr;
  step.len = b.len;
  HV_ASSERT_OK(hv_fault_server_route(c->srv, "/catalog.ttl", &step, 1, &err),
               &err);
  hv_buf_fini(&b);
}

void hv_sink_catalog_conf(hv_sink_catalog *c, const char *text)
{
  hv_error err = HV_ERROR_INIT;
  char path[600];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/govharvest.conf", c->dir);
  assert_non_null(fp = fopen(path, "w"));
  fputs(text, fp);
  fclose(fp);
  hv_sink_confs_free(c->confs, c->n_confs);
  c->confs = NULL;
  c->n_confs = 0;
  HV_ASSERT_OK(hv_sink_conf_load(path, &c->confs, &c->n_confs, &err), &err);
  /* As the commands do: the sinks with their violations settings. */
  HV_ASSERT_OK(hv_outbox_configure(c->store, c->confs, c->n_confs, 0, &err),
               &err);
}

void hv_sink_catalog_harvest(hv_sink_catalog *c)
{
  hv_harvest_opts opts = HV_HARVEST_OPTS_INIT;
  hv_source_report *reports = NULL;
  hv_error err = HV_ERROR_INIT;

  opts.fetch.allow_loopback = 1;
  opts.max_delete_share = 1.0;
  HV_ASSERT_OK(hv_harvest_run(c->store, &c->src, 1, &opts, &reports, &err),
               &err);
  assert_string_equal(reports[0].status, HV_RUN_OK);
  hv_source_reports_free(reports, 1);
}

int hv_sink_catalog_push(hv_sink_catalog *c, hv_outbox_stats *stats)
{
  hv_outbox_opts opts = HV_OUTBOX_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;
  int rc;

  opts.backoff_ms = 20;
  opts.max_backoff_ms = 200;
  rc = hv_outbox_drain(c->store, c->confs, c->n_confs, &opts, stats, &err);
  HV_ASSERT_OK(rc, &err);
  return rc;
}

size_t hv_sink_catalog_ops(hv_sink_catalog *c, const char *state)
{
  hv_outbox_op *ops = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;

  HV_ASSERT_OK(hv_store_outbox_list(c->store, NULL, state, 0, &ops, &n, &err),
               &err);
  hv_outbox_ops_free(ops, n);
  return n;
}
