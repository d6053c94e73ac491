/*
 * The Graph Store sink against a real Virtuoso on loopback: after
 * creates, updates and deletes the store holds exactly one named graph
 * per active dataset, each with exactly the dataset's triples, and the
 * catalog graph one dcat:CatalogRecord per dataset with its canonical
 * hash; wrong credentials stop the sink without marking anything done.
 * Everything is checked with SPARQL SELECT queries over HTTP. With two
 * sources delivering the same datasets the store holds one graph per
 * published identity; a sink that withholds datasets with violations
 * never gets one, drops it when it gains one and gets it back when it is
 * fixed; a quarantine release that promotes another source's copy keeps
 * the graph, and the graphs go when every copy of their datasets is gone.
 *
 * One Virtuoso serves every test of this binary (it takes seconds to
 * start); each test uses its own graph IRI prefix. Without virtuoso-t the
 * Virtuoso tests are skipped with a message saying so. One test runs
 * against a scripted server instead, for what Virtuoso cannot show:
 * basic auth on the wire and the handling of other answers.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "harvest/harvest.h"
#include "tools/sink_catalog.h"
#include "tools/virtuoso.h"
#include "util/alloc.h"
#include "util/buf.h"

#define N 10

static hv_virtuoso *server;

static int group_setup(void **state)
{
  hv_error err = HV_ERROR_INIT;

  (void)state;
  if (!hv_virtuoso_available()) {
    fprintf(stderr, "SKIP: %s is not installed (apt-get install "
                    "virtuoso-opensource-7); Graph Store tests skipped\n",
            HV_VIRTUOSO_BINARY);
    return 0;
  }
  if (hv_virtuoso_start(&server, &err) < 0) {
    fprintf(stderr, "cannot start Virtuoso: %s\n", err.msg);
    return -1;
  }
  setenv("HV_TEST_VIRTUOSO_PASSWORD", "dba", 1);
  setenv("HV_TEST_VIRTUOSO_WRONG", "not-dba", 1);
  return 0;
}

static int group_teardown(void **state)
{
  (void)state;
  hv_virtuoso_stop(server);
  server = NULL;
  return 0;
}

static int setup(void **state)
{
  hv_sink_catalog *c;

  if (!server)
    return 0;
  c = hv_calloc(1, sizeof(*c));
  assert_non_null(c);
  hv_sink_catalog_open(c);
  *state = c;
  return 0;
}

static int teardown(void **state)
{
  hv_sink_catalog *c = *state;

  if (c) {
    hv_sink_catalog_close(c);
    hv_free(c);
  }
  return 0;
}

static void configure(hv_sink_catalog *c, const char *prefix,
                      const char *password_env)
{
  char text[2048], crud[128], update[128];

  snprintf(text, sizeof(text),
           "[sink lod]\n"
           "type = graphstore\n"
           "endpoint = %s\n"
           "auth = digest\n"
           "user = dba\n"
           "password_env = %s\n"
           "graph_base = urn:govharvest:%s:\n"
           "catalog_graph = urn:govharvest:%s:catalog\n"
           "update_endpoint = %s\n"
           "concurrency = 4\n",
           hv_virtuoso_url(server, "/sparql-graph-crud-auth", crud,
                           sizeof(crud)),
           password_env, prefix, prefix,
           hv_virtuoso_url(server, "/sparql-auth", update, sizeof(update)));
  hv_sink_catalog_conf(c, text);
}

/* Lines of CSV text, without the header. */
static size_t rows(const hv_buf *csv)
{
  size_t n = 0, i;

  for (i = 0; i < csv->len; i++)
    n += csv->ptr[i] == '\n';
  return n ? n - 1 : 0;
}

static void select_into(const char *query, hv_buf *out)
{
  hv_error err = HV_ERROR_INIT;

  hv_buf_reset(out);
  HV_ASSERT_OK(hv_virtuoso_select(server, query, out, &err), &err);
}

typedef struct expect_ctx {
  const char *prefix;
  size_t datasets;
  hv_buf csv, query;
} expect_ctx;

/* Each active dataset has its graph with exactly its triples, and its
 * catalog record the dataset's hash. */
static int expect_dataset(const hv_dataset_row *row, void *payload)
{
  expect_ctx *x = payload;
  hv_buf iri = HV_BUF_INIT(4096);
  size_t triples = 0, i;
  char want[64];
  const char *p;

  for (i = 0; i < row->payload_len; i++)
    triples += row->payload[i] == '\n';
  /* Graphs are named by the published identity, the normalised
   * dct:identifier "ds-N" of the catalog's dataset N. */
  p = strrchr(row->key, '/');
  assert_non_null(p);
  hv_buf_addf(&iri, "urn:govharvest:%s:ds-%s", x->prefix, p + 1);
  hv_buf_reset(&x->query);
  hv_buf_addf(&x->query, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <%s> "
                         "{ ?s ?p ?o } }", iri.ptr);
  select_into(x->query.ptr, &x->csv);
  snprintf(want, sizeof(want), "\n%zu\n", triples);
  if (!strstr(x->csv.ptr, want))
    fail_msg("graph %s: expected %zu triples, got %s", iri.ptr, triples,
             x->csv.ptr);
  hv_buf_reset(&x->query);
  hv_buf_addf(&x->query,
              "SELECT ?h WHERE { GRAPH <urn:govharvest:%s:catalog> { "
              "<%s#record> a <http://www.w3.org/ns/dcat#CatalogRecord> ; "
              "<http://spdx.org/rdf/terms#checksum> ?c . ?c "
              "<http://spdx.org/rdf/terms#checksumValue> ?h } }",
              x->prefix, iri.ptr);
  select_into(x->query.ptr, &x->csv);
  if (rows(&x->csv) != 1 || !strstr(x->csv.ptr, row->hash))
    fail_msg("record of %s: expected hash %s, got %s", iri.ptr, row->hash,
             x->csv.ptr);
  hv_buf_fini(&iri);
  x->datasets++;
  return 0;
}

/* The store holds exactly the active datasets' graphs and records. */
static void assert_store_matches(hv_sink_catalog *c, const char *prefix,
                                 size_t expected)
{
  expect_ctx x;
  hv_error err = HV_ERROR_INIT;

  memset(&x, 0, sizeof(x));
  x.prefix = prefix;
  hv_buf_init(&x.csv, 1 << 20);
  hv_buf_init(&x.query, 1 << 16);
  HV_ASSERT_OK(hv_store_dataset_foreach(c->store, 0, expect_dataset, &x,
                                        &err),
               &err);
  assert_int_equal(x.datasets, expected);
  /* No other graph of this prefix, no other record. */
  hv_buf_reset(&x.query);
  hv_buf_addf(&x.query,
              "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER "
              "(STRSTARTS(STR(?g), \"urn:govharvest:%s:ds-\")) }",
              prefix);
  select_into(x.query.ptr, &x.csv);
  assert_int_equal(rows(&x.csv), expected);
  hv_buf_reset(&x.query);
  hv_buf_addf(&x.query,
              "SELECT ?r WHERE { GRAPH <urn:govharvest:%s:catalog> { ?r a "
              "<http://www.w3.org/ns/dcat#CatalogRecord> } }",
              prefix);
  select_into(x.query.ptr, &x.csv);
  assert_int_equal(rows(&x.csv), expected);
  hv_buf_fini(&x.csv);
  hv_buf_fini(&x.query);
}

static void test_create_update_delete(void **state)
{
  hv_sink_catalog *c = *state;
  hv_outbox_stats st;
  hv_buf csv = HV_BUF_INIT(1 << 20);

  if (!server)
    skip();
  configure(c, "t1", "HV_TEST_VIRTUOSO_PASSWORD");
  hv_sink_catalog_serve(c, 1, N, 1, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_store_matches(c, "t1", N);

  /* Updates replace whole graphs; the vanished dataset's graph goes. */
  hv_sink_catalog_serve(c, 1, N - 2, 2, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_store_matches(c, "t1", N - 2);
  select_into("SELECT ?t WHERE { GRAPH ?g { <http://example.org/ds/3> "
              "<http://purl.org/dc/terms/title> ?t } FILTER "
              "(STRSTARTS(STR(?g), \"urn:govharvest:t1:\")) }",
              &csv);
  assert_int_equal(rows(&csv), 1);
  assert_non_null(strstr(csv.ptr, "Datensatz 3 Fassung 2"));

  /* A push with nothing queued changes nothing. */
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 0);
  assert_store_matches(c, "t1", N - 2);
  hv_buf_fini(&csv);
}

static void test_resend_is_idempotent(void **state)
{
  hv_sink_catalog *c = *state;
  hv_outbox_stats st;
  hv_error err = HV_ERROR_INIT;
  hv_outbox_op *ops = NULL;
  size_t n = 0, i;

  if (!server)
    skip();
  configure(c, "t2", "HV_TEST_VIRTUOSO_PASSWORD");
  hv_sink_catalog_serve(c, 1, N, 1, 0);
  hv_sink_catalog_harvest(c);
  /* The same operations twice, as after a crash between the sink's
   * answer and the outbox's commit. */
  HV_ASSERT_OK(hv_store_outbox_list(c->store, NULL, "pending", 0, &ops, &n,
                                    &err),
               &err);
  HV_ASSERT_OK(hv_store_begin(c->store, &err), &err);
  for (i = 0; i < n; i++)
    HV_ASSERT_OK(hv_store_outbox_requeue(c->store, ops[i].seq, &err), &err);
  HV_ASSERT_OK(hv_store_commit(c->store, &err), &err);
  hv_outbox_ops_free(ops, n);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 2 * N);
  assert_store_matches(c, "t2", N);
}

static void test_wrong_password(void **state)
{
  hv_sink_catalog *c = *state;
  hv_outbox_stats st;
  hv_buf csv = HV_BUF_INIT(1 << 20);

  if (!server)
    skip();
  configure(c, "t3", "HV_TEST_VIRTUOSO_WRONG");
  hv_sink_catalog_serve(c, 1, N, 1, 0);
  hv_sink_catalog_harvest(c);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 0);
  assert_int_equal(st.left, N);
  assert_int_equal(st.halted, 1);
  assert_non_null(strstr(st.message, "401"));
  assert_null(strstr(st.message, "not-dba"));
  assert_int_equal(hv_sink_catalog_ops(c, "done"), 0);
  select_into("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER "
              "(STRSTARTS(STR(?g), \"urn:govharvest:t3:\")) }",
              &csv);
  assert_int_equal(rows(&csv), 0);

  /* With the right password the next push sends everything. */
  configure(c, "t3", "HV_TEST_VIRTUOSO_PASSWORD");
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, N);
  assert_store_matches(c, "t3", N);
  hv_buf_fini(&csv);
}

/* Against a scripted server, without Virtuoso: basic auth, the body's
 * type and how answers are classified. */
static void test_basic_auth_and_answers(void **state)
{
  hv_sink_catalog c;
  hv_fault_step step;
  hv_outbox_stats st;
  hv_outbox_op *ops = NULL;
  hv_error err = HV_ERROR_INIT;
  char text[1024], url[256], value[256];
  size_t n = 0;

  (void)state;
  hv_sink_catalog_open(&c);
  setenv("HV_TEST_GS_BASIC", "pw", 1);
  snprintf(text, sizeof(text),
           "[sink lod]\ntype = graphstore\nendpoint = %s\nauth = basic\n"
           "user = harvester\npassword_env = HV_TEST_GS_BASIC\n",
           hv_fault_server_url(c.srv, "/gsp", url, sizeof(url)));
  hv_sink_catalog_conf(&c, text);
  memset(&step, 0, sizeof(step));
  step.status = 201;
  HV_ASSERT_OK(hv_fault_server_route(c.srv, "/gsp", &step, 1, &err), &err);
  hv_sink_catalog_serve(&c, 1, 3, 1, 0);
  hv_sink_catalog_harvest(&c);
  hv_sink_catalog_push(&c, &st);
  assert_int_equal(st.done, 3);
  assert_int_equal(hv_fault_server_hits(c.srv, "/gsp"), 3);
  assert_true(hv_fault_server_header(c.srv, "/gsp", "Authorization", value,
                                     sizeof(value)));
  assert_string_equal(value, "Basic aGFydmVzdGVyOnB3"); /* harvester:pw */
  assert_true(hv_fault_server_header(c.srv, "/gsp", "Content-Type", value,
                                     sizeof(value)));
  assert_string_equal(value, "application/n-triples");

  /* A 400 is about this graph: parked, with the answer on one line. */
  step.status = 400;
  step.content_type = "text/html";
  step.body = "<html><body>bad\n<b>graph</b></body></html>";
  step.len = strlen(step.body);
  HV_ASSERT_OK(hv_fault_server_route(c.srv, "/gsp", &step, 1, &err), &err);
  hv_sink_catalog_serve(&c, 1, 1, 2, 0);
  hv_sink_catalog_harvest(&c);
  hv_sink_catalog_push(&c, &st);
  assert_int_equal(st.parked, 3); /* one update, two deletes */
  HV_ASSERT_OK(hv_store_outbox_list(c.store, "lod", "parked", 0, &ops, &n,
                                    &err),
               &err);
  assert_int_equal(n, 3);
  assert_non_null(strstr(ops[0].last_error, "HTTP 400: bad graph"));
  hv_outbox_ops_free(ops, n);
  hv_sink_catalog_close(&c);
}


/* The store holds exactly the graphs and records of datasets ids
 * (0-terminated) under prefix. */
static void assert_graphs(const char *prefix, const int *ids)
{
  hv_buf csv = HV_BUF_INIT(1 << 20), q = HV_BUF_INIT(1 << 16);
  char want[128];
  size_t n;

  hv_buf_addf(&q,
              "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER "
              "(STRSTARTS(STR(?g), \"urn:govharvest:%s:ds\")) }",
              prefix);
  select_into(q.ptr, &csv);
  for (n = 0; ids[n]; n++) {
    snprintf(want, sizeof(want), "urn:govharvest:%s:ds-%d\"", prefix,
             ids[n]);
    if (!strstr(csv.ptr, want))
      fail_msg("no graph %s in %s", want, csv.ptr);
  }
  if (rows(&csv) != n)
    fail_msg("expected %zu graphs, got %s", n, csv.ptr);
  hv_buf_reset(&q);
  hv_buf_addf(&q,
              "SELECT ?r WHERE { GRAPH <urn:govharvest:%s:catalog> { ?r a "
              "<http://www.w3.org/ns/dcat#CatalogRecord> } }",
              prefix);
  select_into(q.ptr, &csv);
  assert_int_equal(rows(&csv), n);
  hv_buf_fini(&csv);
  hv_buf_fini(&q);
}

/* One harvest of both sources; both runs end with status (they serve
 * the same catalog). */
static void harvest_both(hv_sink_catalog *c, hv_source *copy,
                         double max_delete_share, const char *status)
{
  hv_harvest_opts opts = HV_HARVEST_OPTS_INIT;
  hv_source_report *reports = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_source both[2];

  both[0] = c->src;
  both[1] = *copy;
  opts.fetch.allow_loopback = 1;
  opts.max_delete_share = max_delete_share;
  HV_ASSERT_OK(hv_harvest_run(c->store, both, 2, &opts, &reports, &err),
               &err);
  assert_string_equal(reports[0].status, status);
  assert_string_equal(reports[1].status, status);
  hv_source_reports_free(reports, 2);
}

static void test_identities_withhold_and_release(void **state)
{
  hv_sink_catalog *c = *state;
  hv_error err = HV_ERROR_INIT;
  hv_outbox_stats st;
  hv_source src, copy;
  char text[2048], crud[128], update[128];
  size_t n;

  if (!server)
    skip();
  snprintf(text, sizeof(text),
           "[sink lod]\ntype = graphstore\nendpoint = %s\nauth = digest\n"
           "user = dba\npassword_env = HV_TEST_VIRTUOSO_PASSWORD\n"
           "graph_base = urn:govharvest:t4:\n"
           "catalog_graph = urn:govharvest:t4:catalog\n"
           "update_endpoint = %s\nviolations = withhold\n",
           hv_virtuoso_url(server, "/sparql-graph-crud-auth", crud,
                           sizeof(crud)),
           hv_virtuoso_url(server, "/sparql-auth", update, sizeof(update)));
  hv_sink_catalog_conf(c, text);
  memset(&src, 0, sizeof(src));
  src.name = "by-copy";
  src.state = "11";
  src.kind = "dcat-rdf";
  src.url = c->src.url;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(c->store, &src, &err), &err);
  HV_ASSERT_OK(hv_store_source_get(c->store, "by-copy", &copy, &err), &err);

  /* Two copies of every dataset, one graph each; 5 is withheld. */
  c->violating = 5;
  hv_sink_catalog_serve(c, 1, 6, 1, 0);
  harvest_both(c, &copy, 1.0, HV_RUN_OK);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 5);
  assert_int_equal(st.left, 0);
  assert_graphs("t4", (const int[]){1, 2, 3, 4, 6, 0});

  /* 5 fixed, 2 broken: 5's graph appears, 2's goes. */
  c->violating = 2;
  hv_sink_catalog_serve(c, 1, 6, 2, 0);
  harvest_both(c, &copy, 1.0, HV_RUN_OK);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.left, 0);
  assert_graphs("t4", (const int[]){1, 3, 4, 5, 6, 0});

  /* 3..6 vanish from both sources: held, quarantined, still there. */
  c->violating = 0;
  hv_sink_catalog_serve(c, 1, 2, 2, 0);
  harvest_both(c, &copy, 0.2, HV_RUN_HELD);
  hv_sink_catalog_push(c, &st);
  assert_graphs("t4", (const int[]){1, 2, 3, 4, 5, 6, 0});

  /* by-copy's copies won (equal otherwise, its name sorts first), so
   * they are the quarantined ones. Releasing its 4 promotes by-test's
   * copy under the same identity: the graph stays, now by-test's. */
  HV_ASSERT_OK(hv_store_quarantine_release(c->store, "by-copy",
                                           "http://example.org/ds/4", &n,
                                           &err),
               &err);
  assert_int_equal(n, 1);
  HV_ASSERT_OK(hv_dedup_resolve(c->store, NULL, 0, NULL, NULL, NULL, &err),
               &err);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.done, 1);
  assert_graphs("t4", (const int[]){1, 2, 3, 4, 5, 6, 0});
  HV_ASSERT_OK(hv_store_quarantine_release(c->store, NULL, NULL, &n, &err),
               &err);
  assert_int_equal(n, 3);
  HV_ASSERT_OK(hv_dedup_resolve(c->store, NULL, 0, NULL, NULL, NULL, &err),
               &err);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.left, 0);
  assert_graphs("t4", (const int[]){1, 2, 3, 4, 5, 6, 0});

  /* A complete run deletes by-test's copies too: all copies of 3..6 are
   * gone, and so are exactly their graphs. */
  harvest_both(c, &copy, 1.0, HV_RUN_OK);
  hv_sink_catalog_push(c, &st);
  assert_int_equal(st.left, 0);
  assert_graphs("t4", (const int[]){1, 2, 0});
  hv_source_fini(&copy);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_auth_and_answers),
      cmocka_unit_test_setup_teardown(test_create_update_delete, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_resend_is_idempotent, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
      cmocka_unit_test_setup_teardown(test_identities_withhold_and_release,
                                      setup, teardown),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
