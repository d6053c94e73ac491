/*
 * The files sink behind the outbox: operations are confirmed only by the
 * flush that rewrote the catalog files, and the paged DCAT-AP.de export
 * (Hydra PartialCollectionView, N datasets a page, an ETag per page)
 * follows creates and deletes exactly. Pages are read back with raptor.
 * The files hold the publication: one copy per published dataset when
 * two sources deliver the same datasets, without the datasets with
 * violations when the sink withholds them, in the catalog files, the
 * pages and `run --out` alike.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode/rdfparse.h"
#include "harvest/harvest.h"
#include "sinks/files.h"
#include "model/graph.h"
#include "tools/sink_catalog.h"
#include "util/alloc.h"
#include "util/hash.h"

#define HYDRA "http://www.w3.org/ns/hydra/core#"
#define BASE "http://example.org/catalog"

static int setup(void **state)
{
  hv_sink_catalog *c = hv_calloc(1, sizeof(*c));

  assert_non_null(c);
  hv_sink_catalog_open(c);
  *state = c;
  return 0;
}

static int teardown(void **state)
{
  hv_sink_catalog *c = *state;

  hv_sink_catalog_close(c);
  hv_free(c);
  return 0;
}

static void configure_with(hv_sink_catalog *c, const char *subdir,
                           const char *extra)
{
  char text[1024], dir[700];

  snprintf(dir, sizeof(dir), "%s/%s", c->dir, subdir);
  snprintf(text, sizeof(text),
           "[sink export]\n"
           "type = files\n"
           "dir = %s\n"
           "page_size = 4\n"
           "catalog_iri = " BASE "\n%s",
           dir, extra);
  hv_sink_catalog_conf(c, text);
}

static void configure(hv_sink_catalog *c, const char *subdir)
{
  configure_with(c, subdir, "");
}

static char *page_path(hv_sink_catalog *c, const char *name, char *buf,
                       size_t size)
{
  snprintf(buf, size, "%s/out/pages/%s", c->dir, name);
  return buf;
}

/* Objects of (s, p) in g, counted; the first one's value in *first. */
static size_t objects(const hv_graph *g, const char *s, const char *p,
                      const char **first)
{
  size_t i, n = 0;

  for (i = 0; i < g->len; i++)
    if (g->quads[i].s.kind == HV_TERM_IRI &&
        strcmp(g->quads[i].s.value, s) == 0 &&
        strcmp(g->quads[i].p.value, p) == 0) {
      if (!n++ && first)
        *first = g->quads[i].o.value;
    }
  return n;
}

/* Reads page n, checks its Hydra view and returns its dataset count. */
static size_t check_page(hv_sink_catalog *c, size_t n, size_t pages,
                         size_t total, char etag_out[HV_SHA256_HEX_LEN + 1])
{
  char path[800], name[32], view[128], want[128];
  const char *v = NULL;
  hv_graph g;
  hv_error err = HV_ERROR_INIT;
  size_t len, links;
  char *text;

  snprintf(name, sizeof(name), "page-%zu.ttl", n);
  text = hv_test_read_file(page_path(c, name, path, sizeof(path)), &len);
  assert_non_null(text);
  hv_sha256_hex(text, len, etag_out);
  hv_graph_init(&g);
  HV_ASSERT_OK(hv_rdf_parse(&g, "turtle", text, len, NULL, &err), &err);
  snprintf(view, sizeof(view), BASE "?page=%zu", n);
  assert_int_equal(objects(&g, view, HYDRA "first", &v), 1);
  assert_string_equal(v, BASE "?page=1");
  snprintf(want, sizeof(want), BASE "?page=%zu", pages);
  assert_int_equal(objects(&g, view, HYDRA "last", &v), 1);
  assert_string_equal(v, want);
  assert_int_equal(objects(&g, view, HYDRA "next", &v), n < pages);
  if (n < pages) {
    snprintf(want, sizeof(want), BASE "?page=%zu", n + 1);
    assert_string_equal(v, want);
  }
  assert_int_equal(objects(&g, view, HYDRA "previous", &v), n > 1);
  assert_int_equal(objects(&g, BASE, HYDRA "totalItems", &v), 1);
  assert_int_equal(atoi(v), (int)total);
  links = objects(&g, BASE, "http://www.w3.org/ns/dcat#dataset", NULL);
  hv_graph_fini(&g);
  hv_free(text);
  return links;
}

/* The manifest lists exactly pages 1..pages with their ETags. */
static void check_etags(hv_sink_catalog *c, size_t pages, size_t total,
                        size_t per_page)
{
  char path[800], line[256], etag[HV_SHA256_HEX_LEN + 1];
  char *manifest;
  size_t n, sum = 0;

  manifest = hv_test_read_file(page_path(c, "etags.tsv", path, sizeof(path)),
                               NULL);
  assert_non_null(manifest);
  for (n = 1; n <= pages; n++) {
    size_t links = check_page(c, n, pages, total, etag);

    assert_int_equal(links, n < pages ? per_page : total - sum);
    sum += links;
    snprintf(line, sizeof(line), "page-%zu.ttl\t\"%s\"\n", n, etag);
    assert_non_null(strstr(manifest, line));
  }
  assert_int_equal(sum, total);
  snprintf(line, sizeof(line), "page-%zu.ttl", pages + 1);
  assert_null(strstr(manifest, line));
  assert_false(hv_test_exists(page_path(c, line, path, sizeof(path))));
  hv_free(manifest);
}

static void test_paged_export_follows_the_catalog(void **state)
{
  hv_sink_catalog *c = *state;
  hv_outbox_stats st;
  char path[800], *first, *again;

  snprintf(path, sizeof(path), "%s/out", c->dir);
  assert_int_equal(mkdir(path, 0755), 0);
  configure(c, "out");
  hv_sink_catalog_serve(c, 1, 10, 1, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 10);
  assert_int_equal(st.left, 0);
  check_etags(c, 3, 10, 4);
  snprintf(path, sizeof(path), "%s/out/catalog.nt", c->dir);
  assert_true(hv_test_exists(path));

  /* Same catalog, same bytes: the ETags do not move. */
  first = hv_test_read_file(page_path(c, "etags.tsv", path, sizeof(path)),
                            NULL);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 0);
  again = hv_test_read_file(path, NULL);
  assert_string_equal(first, again);
  hv_free(again);

  /* Three datasets vanish: two pages remain, the third page is gone. */
  hv_sink_catalog_serve(c, 1, 7, 1, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 3);
  check_etags(c, 2, 7, 4);
  again = hv_test_read_file(path, NULL);
  assert_string_not_equal(first, again);
  hv_free(again);
  hv_free(first);
}

static void test_failed_flush_confirms_nothing(void **state)
{
  hv_sink_catalog *c = *state;
  hv_outbox_stats st;
  char path[800];

  /* The directory does not exist, so the flush cannot write. */
  configure(c, "missing");
  hv_sink_catalog_serve(c, 1, 5, 1, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 0);
  assert_int_equal(st.left, 5);
  assert_non_null(strstr(st.message, "flush failed"));
  assert_non_null(strstr(st.message, "missing"));
  assert_int_equal(hv_sink_catalog_ops(c, "pending"), 5);

  snprintf(path, sizeof(path), "%s/missing", c->dir);
  assert_int_equal(mkdir(path, 0755), 0);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 5);
  assert_int_equal(hv_sink_catalog_ops(c, NULL), 0);
}


/* How often the N-Triples file at path types dataset i a dcat:Dataset. */
static int dataset_copies(const char *path, int i)
{
  char needle[200], *text = hv_test_read_file(path, NULL), *p;
  int n = 0;

  assert_non_null(text);
  snprintf(needle, sizeof(needle),
           "<http://example.org/ds/%d> <http://www.w3.org/1999/02/"
           "22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .\n",
           i);
  for (p = text; (p = strstr(p, needle)); p++)
    n++;
  hv_free(text);
  return n;
}

/* Harvests the catalog through two sources serving the same datasets. */
static void harvest_twice_listed(hv_sink_catalog *c, hv_source *copy)
{
  hv_harvest_opts opts = HV_HARVEST_OPTS_INIT;
  hv_source_report *reports = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_source both[2];

  both[0] = c->src;
  both[1] = *copy;
  opts.fetch.allow_loopback = 1;
  opts.max_delete_share = 1.0;
  HV_ASSERT_OK(hv_harvest_run(c->store, both, 2, &opts, &reports, &err),
               &err);
  assert_string_equal(reports[0].status, HV_RUN_OK);
  assert_string_equal(reports[1].status, HV_RUN_OK);
  hv_source_reports_free(reports, 2);
}

static void test_files_hold_the_publication(void **state)
{
  hv_sink_catalog *c = *state;
  hv_error err = HV_ERROR_INIT;
  hv_files_stats fs;
  hv_outbox_stats st;
  hv_source src, copy;
  char path[900], nt[800], runout[700];
  int i;

  snprintf(path, sizeof(path), "%s/out", c->dir);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(nt, sizeof(nt), "%s/out/catalog.nt", c->dir);
  snprintf(runout, sizeof(runout), "%s/run-out", c->dir);
  assert_int_equal(mkdir(runout, 0755), 0);
  configure_with(c, "out", "violations = withhold\n");
  memset(&src, 0, sizeof(src));
  src.name = "by-copy";
  src.state = "11";
  src.kind = "dcat-rdf";
  src.url = c->src.url;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(c->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(c->store, "by-copy", &copy, &err), &err);

  /* Ten datasets, each delivered by both sources; 6 has a violation. */
  c->violating = 6;
  hv_sink_catalog_serve(c, 1, 10, 1, 0);
  harvest_twice_listed(c, &copy);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.left, 0);
  for (i = 1; i <= 10; i++)
    assert_int_equal(dataset_copies(nt, i), i != 6);
  /* 9 datasets in pages of 4; the withheld one is on no page. */
  check_etags(c, 3, 9, 4);

  /* What `run --out` writes: the publication, withheld as asked. */
  HV_ASSERT_OK(hv_files_sink_write_published(c->store, 0, runout, 0, &fs,
                                             &err),
               &err);
  assert_int_equal(fs.datasets, 10);
  assert_int_equal(fs.withheld, 0);
  snprintf(path, sizeof(path), "%s/catalog.nt", runout);
  for (i = 1; i <= 10; i++)
    assert_int_equal(dataset_copies(path, i), 1);
  HV_ASSERT_OK(hv_files_sink_write_published(c->store, 0, runout, 1, &fs,
                                             &err),
               &err);
  assert_int_equal(fs.datasets, 9);
  assert_int_equal(fs.withheld, 1);
  assert_int_equal(dataset_copies(path, 6), 0);

  /* 6 fixed, 2 broken: the sink's files follow at the next push. */
  c->violating = 2;
  hv_sink_catalog_serve(c, 1, 10, 2, 0);
  harvest_twice_listed(c, &copy);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.left, 0);
  for (i = 1; i <= 10; i++)
    assert_int_equal(dataset_copies(nt, i), i != 2);
  check_etags(c, 3, 9, 4);
  hv_source_fini(&copy);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_paged_export_follows_the_catalog,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_failed_flush_confirms_nothing,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_files_hold_the_publication, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
