/*
 * Real catalogs as delivered to GovData (../shared/corpus/
 * govdata-portal-extracts): every file decodes, splits and hashes; the
 * canonical hash of each dataset survives blank-node relabelling,
 * reordering and a round trip through our own N-Triples; and the RDF/XML
 * and Turtle exports of the same catalog (the portal extracts and the
 * DCAT-AP.de specification's examples) give the same datasets with the
 * same hashes, except where the two exports really differ (listed below
 * with what differs, and checked to still differ).
 *
 * The corpus lives outside the project; without it the test says so and
 * skips.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>

#include "canon/rdfc10.h"
#include "decode/page.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"

#define CORPUS HV_SHARED_DIR "/corpus/govdata-portal-extracts"
#define EXTRACTS CORPUS "/"
#define SPEC HV_SHARED_DIR "/corpus/dcat-ap-de-spec/"

static const char *const files[] = {
    "brandenburg-catalog-dataset-extracted.rdf",
    "brandenburg-catalog-dataset-extracted.ttl",
    "bremen-catalog-dataset-extracted.rdf",
    "bremen-catalog-dataset-extracted.ttl",
    "destatis-catalog-dataset-extracted.rdf",
    "rostock-catalog-dataset-extracted.rdf",
};

static int corpus_present(void)
{
  char path[1024];

  snprintf(path, sizeof(path), "%s/%s", CORPUS, files[0]);
  return hv_test_exists(path);
}

static int decode_path(const char *path, hv_page *page)
{
  const char *ct;
  char *body;
  size_t len;
  hv_error err = HV_ERROR_INIT;
  int rc;

  body = hv_test_read_file(path, &len);
  if (!body)
    fail_msg("cannot read %s", path);
  ct = strstr(path, ".ttl") ? "text/turtle" : "application/rdf+xml";
  memset(page, 0, sizeof(*page));
  rc = hv_page_decode(page, body, len, ct, NULL,
                      "https://portal.example/catalog", &err);
  if (rc < 0)
    fail_msg("%s: %s", path, err.msg);
  hv_free(body);
  return rc;
}

static int decode_file(const char *name, hv_page *page)
{
  char path[1024];

  snprintf(path, sizeof(path), "%s/%s", CORPUS, name);
  return decode_path(path, page);
}

static void hash_of(const hv_graph *g, char out[HV_SHA256_HEX_LEN + 1],
                    hv_buf *nq)
{
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_rdfc10_hash(g, out, nq, &err), &err);
}

/* A copy of g with blank nodes renamed and the quads in reverse order. */
static void relabelled_reversed(const hv_graph *g, hv_graph *out)
{
  hv_error err = HV_ERROR_INIT;
  size_t i;

  hv_graph_init(out);
  for (i = g->len; i-- > 0;) {
    hv_quad q = g->quads[i];
    char s_label[300], o_label[300];
    if (q.s.kind == HV_TERM_BLANK) {
      snprintf(s_label, sizeof(s_label), "zz_%s_b", q.s.value);
      q.s.value = s_label;
    }
    if (q.o.kind == HV_TERM_BLANK) {
      snprintf(o_label, sizeof(o_label), "zz_%s_b", q.o.value);
      q.o.value = o_label;
    }
    HV_ASSERT_OK(hv_graph_add(out, &q, &err), &err);
  }
}

static void every_file_decodes_and_hashes_stably(void **state)
{
  size_t f, i;

  (void)state;
  if (!corpus_present()) {
    print_message("portal extracts: corpus not found at %s; skipped\n",
                  CORPUS);
    skip();
  }
  for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
    hv_page page;

    decode_file(files[f], &page);
    if (page.n_datasets == 0)
      fail_msg("%s: no dataset found", files[f]);
    for (i = 0; i < page.n_datasets; i++) {
      const hv_dataset_graph *dg = &page.datasets[i];
      char h1[HV_SHA256_HEX_LEN + 1], h2[HV_SHA256_HEX_LEN + 1],
          h3[HV_SHA256_HEX_LEN + 1];
      hv_buf nq = HV_BUF_INIT((size_t)1 << 24);
      hv_graph moved, reread;
      hv_error err = HV_ERROR_INIT;

      hash_of(&dg->graph, h1, &nq);
      relabelled_reversed(&dg->graph, &moved);
      hash_of(&moved, h2, NULL);
      if (strcmp(h1, h2) != 0)
        fail_msg("%s: %s: hash changed under relabelling", files[f],
                 dg->key);
      /* Our canonical form read back gives the same hash. */
      hv_graph_init(&reread);
      HV_ASSERT_OK(hv_rdf_parse(&reread, "turtle", nq.ptr, nq.len, NULL,
                                &err),
                   &err);
      hash_of(&reread, h3, NULL);
      if (strcmp(h1, h3) != 0)
        fail_msg("%s: %s: hash changed after a round trip", files[f],
                 dg->key);
      hv_graph_fini(&moved);
      hv_graph_fini(&reread);
      hv_buf_fini(&nq);
    }
    print_message("portal extracts: %s: %zu datasets, %zu triples\n",
                  files[f], page.n_datasets, page.triples);
    hv_page_fini(&page);
  }
}

/*
 * The same catalog exported as RDF/XML and as Turtle. Where the exports
 * are not the same graph, `drop` names the predicates where they differ:
 * with them the hashes must differ (so the entry stays true), with them
 * removed on both sides they must agree. `same_graphs` 0 marks a
 * pair whose exports differ too much for that; only the dataset keys
 * are compared there.
 */
static const struct export_pair {
  const char *rdfxml;
  const char *turtle;
  const char *drop[3]; /* NULL-terminated */
  const char *why;
  int same_graphs;
} pairs[] = {
    {SPEC "V2.0/examples/RDF-XML/dcat_ap_de-RefImp_RDF_SIMPLE.rdf",
     SPEC "V2.0/examples/RDF-TURTLE/dcat_ap_de-RefImp_TTL_SIMPLE.ttl", {NULL},
     NULL, 1},
    {SPEC "V2.0/examples/RDF-XML/dcat_ap_de-RefImp_RDF_ADVANCED.rdf",
     SPEC "V2.0/examples/RDF-TURTLE/dcat_ap_de-RefImp_TTL_ADVANCED.ttl",
     {HV_DCAT "byteSize", "http://spdx.org/rdf/terms#checksumValue", NULL},
     "the same decimals and hexBinary values in other lexical forms "
     "(\"935108.0\" and \"935108\", upper and lower case hex)",
     1},
    {SPEC "V1.1/examples/RDF-XML/dcat_ap_de-RefImp_RDF_SIMPLE_V1.1.rdf",
     SPEC "V1.1/examples/RDF-TURTLE/dcat_ap_de-RefImp_TTL_SIMPLE_V1.1.ttl",
     {NULL}, NULL, 1},
    {SPEC "V1.1/examples/RDF-XML/dcat_ap_de-RefImp_RDF_ADVANCED_V1.1.rdf",
     SPEC "V1.1/examples/RDF-TURTLE/dcat_ap_de-RefImp_TTL_ADVANCED_V1.1.ttl",
     {NULL}, NULL, 1},
    {EXTRACTS "brandenburg-catalog-dataset-extracted.rdf",
     EXTRACTS "brandenburg-catalog-dataset-extracted.ttl",
     {HV_DCT "license", NULL},
     "one distribution's licence is a literal in RDF/XML, an IRI in Turtle",
     1},
    {EXTRACTS "bremen-catalog-dataset-extracted.rdf",
     EXTRACTS "bremen-catalog-dataset-extracted.ttl", {NULL},
     "distribution IRIs, licences and publisher names differ", 0},
};

/* A copy of g without the quads whose predicate is in drop. */
static void without_predicates(const hv_graph *g, const char *const *drop,
                               hv_graph *out)
{
  hv_error err = HV_ERROR_INIT;
  size_t i, d;

  hv_graph_init(out);
  for (i = 0; i < g->len; i++) {
    int keep = 1;
    for (d = 0; drop[d]; d++)
      keep &= strcmp(g->quads[i].p.value, drop[d]) != 0;
    if (keep)
      HV_ASSERT_OK(hv_graph_add(out, &g->quads[i], &err), &err);
  }
}

static void compare_pair(const struct export_pair *pair, size_t *agree)
{
  hv_page xml, ttl;
  size_t i, k;

  decode_path(pair->rdfxml, &xml);
  decode_path(pair->turtle, &ttl);
  if (xml.n_datasets != ttl.n_datasets || xml.n_datasets == 0)
    fail_msg("%s: %zu datasets, %s: %zu", pair->rdfxml, xml.n_datasets,
             pair->turtle, ttl.n_datasets);
  for (i = 0; i < xml.n_datasets; i++) {
    const hv_dataset_graph *dx = &xml.datasets[i], *dt = NULL;
    char hx[HV_SHA256_HEX_LEN + 1], ht[HV_SHA256_HEX_LEN + 1];

    for (k = 0; k < ttl.n_datasets && !dt; k++) {
      if (strcmp(ttl.datasets[k].key, dx->key) == 0)
        dt = &ttl.datasets[k];
    }
    if (!dt)
      fail_msg("%s: dataset %s missing from the Turtle export", pair->rdfxml,
               dx->key);
    if (!pair->same_graphs)
      continue;
    hash_of(&dx->graph, hx, NULL);
    hash_of(&dt->graph, ht, NULL);
    if (pair->drop[0]) {
      hv_graph fx, ft;
      if (strcmp(hx, ht) == 0)
        fail_msg("%s: listed as differing (%s), but the hashes agree",
                 pair->rdfxml, pair->why);
      without_predicates(&dx->graph, pair->drop, &fx);
      without_predicates(&dt->graph, pair->drop, &ft);
      hash_of(&fx, hx, NULL);
      hash_of(&ft, ht, NULL);
      hv_graph_fini(&fx);
      hv_graph_fini(&ft);
    }
    if (strcmp(hx, ht) != 0)
      fail_msg("%s: dataset %s: RDF/XML and Turtle hashes differ",
               pair->rdfxml, dx->key);
    (*agree)++;
  }
  hv_page_fini(&xml);
  hv_page_fini(&ttl);
}

static void rdfxml_and_turtle_exports_agree(void **state)
{
  size_t p, agree = 0;

  (void)state;
  if (!corpus_present()) {
    print_message("portal extracts: corpus not found at %s; skipped\n",
                  CORPUS);
    skip();
  }
  for (p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++)
    compare_pair(&pairs[p], &agree);
  print_message("export pairs: %zu pairs, %zu datasets hash alike across "
                "RDF/XML and Turtle\n",
                sizeof(pairs) / sizeof(pairs[0]), agree);
  assert_true(agree >= 5);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_file_decodes_and_hashes_stably),
      cmocka_unit_test(rdfxml_and_turtle_exports_agree),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
