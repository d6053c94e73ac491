/*
 * Unit tests for harvester/canon: RDFC-1.0 canonicalization and the
 * canonical dataset hash.
 *
 * The graphs are small DCAT-AP.de shaped datasets written for these tests
 * and parsed from N-Quads text, so that each case reads like the data the
 * harvester sees. Variants (relabelled, reordered, one literal changed)
 * are derived from the parsed graph in code.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "canon/rdfc10.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"
#include "util/hash.h"

#define OUT_MAX ((size_t)1 << 24)

#define DCAT "<http://www.w3.org/ns/dcat#"
#define DCT "<http://purl.org/dc/terms/"
#define VC "<http://www.w3.org/2006/vcard/ns#"
#define RDFT "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#define XSD "<http://www.w3.org/2001/XMLSchema#"
#define DS "<https://daten.example.de/dataset/luftmessnetz-2023>"

/* A typical dataset graph: 43 triples, 6 blank nodes. */
static const char *const dataset_lines[] = {
    DS " " RDFT " " DCAT "Dataset> .\n",
    DS " " DCT "title> \"Luftmessnetz Berlin 2023\"@de .\n",
    DS " " DCT "title> \"Air quality network Berlin 2023\"@en .\n",
    DS " " DCT "description> \"Stundenwerte aller Messstellen.\\nQuelle: "
       "Senatsverwaltung\"@de .\n",
    DS " " DCT "identifier> \"luftmessnetz-2023\" .\n",
    DS " " DCAT "keyword> \"Luft\"@de .\n",
    DS " " DCAT "keyword> \"Feinstaub\"@de .\n",
    DS " " DCAT "keyword> \"Stickstoffdioxid\"@de .\n",
    DS " " DCAT "theme> <http://publications.europa.eu/resource/authority/"
       "data-theme/ENVI> .\n",
    DS " " DCT "issued> \"2023-01-05\"^^" XSD "date> .\n",
    DS " " DCT "modified> \"2023-12-31T23:00:00\"^^" XSD "dateTime> .\n",
    DS " " DCT "accrualPeriodicity> <http://publications.europa.eu/resource/"
       "authority/frequency/HOURLY> .\n",
    DS " " DCT "publisher> _:pub .\n",
    DS " " DCAT "contactPoint> _:cp .\n",
    DS " " DCT "temporal> _:per .\n",
    DS " " DCT "spatial> _:loc .\n",
    DS " " DCAT "distribution> _:csv .\n",
    DS " " DCAT "distribution> _:json .\n",
    "_:pub " RDFT " <http://xmlns.com/foaf/0.1/Agent> .\n",
    "_:pub <http://xmlns.com/foaf/0.1/name> \"Senatsverwaltung f\xc3\xbcr "
       "Umwelt\"@de .\n",
    "_:pub " DCT "type> <http://purl.org/adms/publishertype/"
       "RegionalAuthority> .\n",
    "_:cp " RDFT " " VC "Organization> .\n",
    "_:cp " VC "fn> \"Referat Luftreinhaltung\" .\n",
    "_:cp " VC "hasEmail> <mailto:luft@example.de> .\n",
    "_:per " RDFT " " DCT "PeriodOfTime> .\n",
    "_:per " DCAT "startDate> \"2023-01-01\"^^" XSD "date> .\n",
    "_:per " DCAT "endDate> \"2023-12-31\"^^" XSD "date> .\n",
    "_:loc " RDFT " " DCT "Location> .\n",
    "_:loc " DCAT "bbox> \"POLYGON((13.08 52.33,13.76 52.33,13.76 52.67,"
       "13.08 52.67,13.08 52.33))\"^^<http://www.opengis.net/ont/"
       "geosparql#wktLiteral> .\n",
    "_:loc " DCT "identifier> \"11000000\" .\n",
    "_:csv " RDFT " " DCAT "Distribution> .\n",
    "_:csv " DCT "title> \"Stundenwerte (CSV)\"@de .\n",
    "_:csv " DCAT "accessURL> <https://daten.example.de/luft/2023.csv> .\n",
    "_:csv " DCAT "downloadURL> <https://daten.example.de/luft/2023.csv> .\n",
    "_:csv " DCT "format> <http://publications.europa.eu/resource/authority/"
       "file-type/CSV> .\n",
    "_:csv " DCT "license> <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .\n",
    "_:csv " DCAT "byteSize> \"1048576\"^^" XSD "decimal> .\n",
    "_:json " RDFT " " DCAT "Distribution> .\n",
    "_:json " DCT "title> \"Stundenwerte (JSON)\"@de .\n",
    "_:json " DCAT "accessURL> <https://daten.example.de/luft/api> .\n",
    "_:json " DCT "format> <http://publications.europa.eu/resource/authority/"
       "file-type/JSON> .\n",
    "_:json " DCT "license> <http://dcat-ap.de/def/licenses/dl-by-de/2.0> .\n",
    "_:json " DCAT "byteSize> \"2097152\"^^" XSD "decimal> .\n"};

/* Holds dataset_lines joined; filled once by main(). */
static char dataset_nq[8192];

static void join_dataset(void)
{
  size_t i, len = 0;

  for (i = 0; i < sizeof(dataset_lines) / sizeof(*dataset_lines); i++) {
    size_t n = strlen(dataset_lines[i]);

    assert_true(len + n < sizeof(dataset_nq));
    memcpy(dataset_nq + len, dataset_lines[i], n + 1);
    len += n;
  }
}

/* Two 3-cycles of blank nodes nobody can tell apart, plus a tail. */
static const char two_cycles_nq[] =
    "_:a <http://example.de/next> _:b .\n"
    "_:b <http://example.de/next> _:c .\n"
    "_:c <http://example.de/next> _:a .\n"
    "_:x <http://example.de/next> _:y .\n"
    "_:y <http://example.de/next> _:z .\n"
    "_:z <http://example.de/next> _:x .\n"
    "<http://example.de/ring> <http://example.de/has> _:a .\n"
    "<http://example.de/ring> <http://example.de/has> _:x .\n";

static void parse_nq(hv_graph *g, const char *text)
{
  hv_error err = HV_ERROR_INIT;

  hv_graph_init(g);
  HV_ASSERT_OK(hv_rdf_parse(g, "nquads", text, strlen(text),
                            "http://example.de/", &err),
               &err);
}

/* Canonicalizes g into a fresh string (hv_free it); fails the test on error. */
static char *canon_str(const hv_graph *g)
{
  hv_buf out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  char *s;

  HV_ASSERT_OK(hv_rdfc10_canonicalize(g, &out, &err), &err);
  s = hv_buf_detach(&out, NULL);
  assert_non_null(s);
  return s;
}

static size_t count_lines(const char *s)
{
  size_t n = 0;

  for (; *s; s++)
    n += *s == '\n';
  return n;
}

/*
 * Copies src into dst with every blank label renamed to prefix + label
 * reversed, and the quads in the order start, start+step, ... (mod len,
 * step coprime to len).
 */
static void relabel_reorder(hv_graph *dst, const hv_graph *src,
                            const char *prefix, size_t start, size_t step)
{
  hv_error err = HV_ERROR_INIT;
  size_t i, at = start % src->len;

  hv_graph_init(dst);
  for (i = 0; i < src->len; i++, at = (at + step) % src->len) {
    hv_quad q = src->quads[at];
    hv_term *terms[4] = {&q.s, &q.p, &q.o, &q.g};
    char labels[4][64];
    int k;

    for (k = 0; k < 4; k++) {
      if (terms[k]->kind == HV_TERM_BLANK) {
        size_t n = strlen(terms[k]->value), j;
        size_t plen = strlen(prefix);

        assert_true(plen + n < sizeof(labels[k]));
        memcpy(labels[k], prefix, plen);
        for (j = 0; j < n; j++)
          labels[k][plen + j] = terms[k]->value[n - 1 - j];
        labels[k][plen + n] = '\0';
        terms[k]->value = labels[k];
      }
    }
    HV_ASSERT_OK(hv_graph_add(dst, &q, &err), &err);
  }
}

static void dataset_has_43_triples_and_6_blank_nodes(void **state)
{
  hv_graph g;
  char *c;

  (void)state;
  parse_nq(&g, dataset_nq);
  assert_int_equal(g.len, 43);
  c = canon_str(&g);
  assert_int_equal(count_lines(c), 43);
  assert_non_null(strstr(c, "_:c14n5 "));
  assert_null(strstr(c, "_:c14n6"));
  assert_null(strstr(c, "_:csv"));
  assert_null(strstr(c, "_:pub"));
  hv_free(c);
  hv_graph_fini(&g);
}

static void relabelling_and_reordering_keep_the_hash(void **state)
{
  static const struct {
    const char *prefix;
    size_t start, step;
  } variants[] = {
      {"n", 0, 1}, {"genid", 7, 5}, {"b", 42, 42}, {"c14n", 3, 11},
      {"x", 20, 2},
  };
  hv_graph g, v;
  hv_error err = HV_ERROR_INIT;
  char want[HV_SHA256_HEX_LEN + 1], got[HV_SHA256_HEX_LEN + 1];
  char *base, *other;
  size_t i;

  (void)state;
  parse_nq(&g, dataset_nq);
  base = canon_str(&g);
  HV_ASSERT_OK(hv_rdfc10_hash(&g, want, NULL, &err), &err);
  for (i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
    relabel_reorder(&v, &g, variants[i].prefix, variants[i].start,
                    variants[i].step);
    /* Reordering must really have moved quads for the case to count. */
    if (variants[i].step != 1 || variants[i].start != 0)
      assert_false(hv_term_equal(&v.quads[0].s, &g.quads[0].s) &&
                   hv_term_equal(&v.quads[1].p, &g.quads[1].p) &&
                   hv_term_equal(&v.quads[1].o, &g.quads[1].o));
    other = canon_str(&v);
    assert_string_equal(other, base);
    HV_ASSERT_OK(hv_rdfc10_hash(&v, got, NULL, &err), &err);
    assert_string_equal(got, want);
    hv_free(other);
    hv_graph_fini(&v);
  }
  hv_free(base);
  hv_graph_fini(&g);
}

static void changing_one_literal_changes_the_hash(void **state)
{
  hv_graph g, v;
  hv_error err = HV_ERROR_INIT;
  char a[HV_SHA256_HEX_LEN + 1], b[HV_SHA256_HEX_LEN + 1];
  size_t i;
  int changed = 0;

  (void)state;
  parse_nq(&g, dataset_nq);
  relabel_reorder(&v, &g, "r", 0, 1);
  /* Change the lexical form of one literal on a blank node. */
  for (i = 0; i < v.len && !changed; i++) {
    if (v.quads[i].o.kind == HV_TERM_LITERAL &&
        strcmp(v.quads[i].o.value, "2023-12-31") == 0) {
      v.quads[i].o.value = "2023-12-30";
      changed = 1;
    }
  }
  assert_true(changed);
  HV_ASSERT_OK(hv_rdfc10_hash(&g, a, NULL, &err), &err);
  HV_ASSERT_OK(hv_rdfc10_hash(&v, b, NULL, &err), &err);
  assert_string_not_equal(a, b);

  /* A language tag alone is a change as well. */
  v.quads[i - 1].o.value = "2023-12-31";
  HV_ASSERT_OK(hv_rdfc10_hash(&v, b, NULL, &err), &err);
  assert_string_equal(a, b);
  for (i = 0; i < v.len; i++) {
    if (v.quads[i].o.lang && strcmp(v.quads[i].o.lang, "en") == 0)
      v.quads[i].o.lang = "en-GB";
  }
  HV_ASSERT_OK(hv_rdfc10_hash(&v, b, NULL, &err), &err);
  assert_string_not_equal(a, b);
  hv_graph_fini(&v);
  hv_graph_fini(&g);
}

static void hash_is_sha256_of_the_canonical_document(void **state)
{
  hv_graph g;
  hv_buf out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  char h[HV_SHA256_HEX_LEN + 1], want[HV_SHA256_HEX_LEN + 1];

  (void)state;
  parse_nq(&g, dataset_nq);
  assert_int_equal(hv_buf_addstr(&out, "# kept\n"), 0);
  HV_ASSERT_OK(hv_rdfc10_hash(&g, h, &out, &err), &err);
  assert_memory_equal(out.ptr, "# kept\n", 7);
  hv_sha256_hex(out.ptr + 7, out.len - 7, want);
  assert_string_equal(h, want);
  hv_buf_fini(&out);
  hv_graph_fini(&g);

  /* The empty dataset is the empty document. */
  hv_graph_init(&g);
  HV_ASSERT_OK(hv_rdfc10_hash(&g, h, NULL, &err), &err);
  hv_sha256_hex("", 0, want);
  assert_string_equal(h, want);
  hv_graph_fini(&g);
}

static void duplicate_quads_are_removed(void **state)
{
  static const char with_dups[] =
      "_:s <http://example.de/p> \"v\" .\n"
      "_:s <http://example.de/p> _:o .\n"
      "<http://example.de/g> <http://example.de/p> \"w\" _:o .\n"
      "_:s <http://example.de/p> \"v\" .\n"
      "_:s <http://example.de/p> _:o .\n"
      "<http://example.de/g> <http://example.de/p> \"w\" _:o .\n"
      "_:o <http://example.de/q> _:o .\n"
      "_:o <http://example.de/q> _:o .\n";
  static const char without[] =
      "_:o <http://example.de/q> _:o .\n"
      "<http://example.de/g> <http://example.de/p> \"w\" _:o .\n"
      "_:s <http://example.de/p> _:o .\n"
      "_:s <http://example.de/p> \"v\" .\n";
  hv_graph a, b;
  hv_error err = HV_ERROR_INIT;
  char *ca, *cb;

  (void)state;
  hv_graph_init(&a);
  /* hv_graph_add, not the parser, so the duplicates surely reach us. */
  {
    hv_graph tmp;
    size_t i;

    parse_nq(&tmp, with_dups);
    for (i = 0; i < tmp.len; i++)
      HV_ASSERT_OK(hv_graph_add(&a, &tmp.quads[i], &err), &err);
    hv_graph_fini(&tmp);
  }
  assert_int_equal(a.len, 8);
  parse_nq(&b, without);
  ca = canon_str(&a);
  cb = canon_str(&b);
  assert_int_equal(count_lines(ca), 4);
  assert_string_equal(ca, cb);
  hv_free(ca);
  hv_free(cb);
  hv_graph_fini(&a);
  hv_graph_fini(&b);
}

static void symmetric_cycles_give_a_stable_result(void **state)
{
  hv_graph g, v;
  char *base, *other;
  size_t start, step;

  (void)state;
  parse_nq(&g, two_cycles_nq);
  base = canon_str(&g);
  assert_int_equal(count_lines(base), 8);
  assert_non_null(strstr(base, "_:c14n5 "));
  assert_null(strstr(base, "_:c14n6"));
  /* Every rotation and stride of the input, under new labels. */
  for (start = 0; start < g.len; start++) {
    for (step = 1; step < g.len; step += 2) {
      relabel_reorder(&v, &g, start % 2 ? "q" : "zz", start, step);
      other = canon_str(&v);
      assert_string_equal(other, base);
      hv_free(other);
      hv_graph_fini(&v);
    }
  }
  hv_free(base);
  hv_graph_fini(&g);
}

/* Builds a clique of n blank nodes, each linked to every node. */
static void build_clique(hv_graph *g, int n)
{
  hv_buf text = HV_BUF_INIT(1 << 20);
  int i, j;

  for (i = 0; i < n; i++) {
    for (j = 0; j < n; j++)
      assert_int_equal(
          hv_buf_addf(&text, "_:k%d <http://example.de/linked> _:k%d .\n", i,
                      j),
          0);
  }
  parse_nq(g, text.ptr);
  hv_buf_fini(&text);
}

static void poison_graph_hits_the_work_limit(void **state)
{
  hv_graph g;
  hv_buf out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;

  (void)state;
  build_clique(&g, 10);
  assert_int_equal(hv_buf_addstr(&out, "before\n"), 0);
  assert_int_equal(hv_rdfc10_canonicalize(&g, &out, &err), HV_ELIMIT);
  assert_int_equal(err.code, HV_ELIMIT);
  assert_non_null(strstr(err.msg, "indistinguishable blank nodes"));
  assert_string_equal(out.ptr, "before\n");
  hv_buf_fini(&out);
  hv_graph_fini(&g);
}

static void work_limit_option_is_honoured(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_graph g;
  hv_buf out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;

  (void)state;
  parse_nq(&g, two_cycles_nq);
  opts.work_limit = 2;
  assert_int_equal(hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err),
                   HV_ELIMIT);
  assert_int_equal(out.len, 0);
  opts.work_limit = 1000;
  HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err), &err);
  assert_int_equal(count_lines(out.ptr), 8);
  hv_buf_fini(&out);
  hv_graph_fini(&g);

  /* A small clique is fine within the default limit. */
  build_clique(&g, 4);
  HV_ASSERT_OK(hv_rdfc10_canonicalize(&g, &out, &err), &err);
  assert_int_equal(count_lines(out.ptr), 16);
  hv_buf_fini(&out);
  hv_graph_fini(&g);
}

static void long_look_alike_chain_hits_the_depth_limit(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_buf text = HV_BUF_INIT(1 << 20), out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  hv_graph g;
  int i;

  (void)state;
  /* The inner nodes of a chain all look alike at first degree. */
  for (i = 0; i < 600; i++)
    assert_int_equal(
        hv_buf_addf(&text, "_:n%d <http://example.de/next> _:n%d .\n", i,
                    i + 1),
        0);
  parse_nq(&g, text.ptr);
  opts.work_limit = 100000000UL; /* only the depth may stop it */
  assert_int_equal(hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err),
                   HV_ELIMIT);
  assert_non_null(strstr(err.msg, "deeper than 512 levels"));
  assert_int_equal(out.len, 0);
  hv_graph_fini(&g);

  /* A short chain of the same shape is fine. */
  hv_buf_reset(&text);
  for (i = 0; i < 20; i++)
    assert_int_equal(
        hv_buf_addf(&text, "_:n%d <http://example.de/next> _:n%d .\n", i,
                    i + 1),
        0);
  parse_nq(&g, text.ptr);
  HV_ASSERT_OK(hv_rdfc10_canonicalize(&g, &out, &err), &err);
  assert_int_equal(count_lines(out.ptr), 20);
  assert_non_null(strstr(out.ptr, "_:c14n20 "));
  hv_graph_fini(&g);
  hv_buf_fini(&text);
  hv_buf_fini(&out);
}

static void issued_map_lists_every_blank_node(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_graph g;
  hv_buf out = HV_BUF_INIT(OUT_MAX), map = HV_BUF_INIT(4096);
  hv_error err = HV_ERROR_INIT;
  char want[64];
  const char *labels[] = {"cp", "csv", "json", "loc", "per", "pub"};
  int seen[6] = {0, 0, 0, 0, 0, 0};
  const char *line;
  size_t i;

  (void)state;
  parse_nq(&g, dataset_nq);
  opts.issued_out = &map;
  HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err), &err);
  assert_int_equal(count_lines(map.ptr), 6);
  line = map.ptr;
  for (i = 0; i < 6; i++) {
    int n = -1;
    char label[16];

    assert_int_equal(sscanf(line, "%15s c14n%d", label, &n), 2);
    assert_string_equal(label, labels[i]); /* in label order */
    assert_true(n >= 0 && n < 6);
    assert_int_equal(seen[n], 0);
    seen[n] = 1;
    /* The issued label really is the one in the output. */
    snprintf(want, sizeof(want), "_:c14n%d %s", n,
             RDFT); /* every node of the fixture has a type */
    assert_non_null(strstr(out.ptr, want));
    line = strchr(line, '\n') + 1;
  }
  hv_buf_fini(&out);
  hv_buf_fini(&map);
  hv_graph_fini(&g);
}

static void literals_use_canonical_escapes(void **state)
{
  static const char text[] =
      "<http://example.de/s> <http://example.de/p> "
      "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f \\u0001\\u001F\\u007F "
      "\\u00FC\xe2\x88\x9e\\U0001F303 '\" .\n"
      "<http://example.de/s> <http://example.de/p> "
      "\"x\"^^<http://www.w3.org/2001/XMLSchema#string> .\n"
      "<http://example.de/s> <http://example.de/p> \"y\"@de-at .\n"
      "<http://example.de/s> <http://example.de/p> "
      "<http://example.de/\\u00E4> <http://example.de/g> .\n";
  static const char want[] =
      "<http://example.de/s> <http://example.de/p> "
      "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f \\u0001\\u001F\\u007F "
      "\xc3\xbc\xe2\x88\x9e\xf0\x9f\x8c\x83 '\" .\n"
      "<http://example.de/s> <http://example.de/p> \"x\" .\n"
      "<http://example.de/s> <http://example.de/p> \"y\"@de-at .\n"
      "<http://example.de/s> <http://example.de/p> "
      "<http://example.de/\xc3\xa4> <http://example.de/g> .\n";
  hv_graph g;
  char *c;

  (void)state;
  parse_nq(&g, text);
  c = canon_str(&g);
  assert_string_equal(c, want);
  hv_free(c);
  hv_graph_fini(&g);
}

static void bad_input_and_small_output_are_refused(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_graph g;
  hv_quad q;
  hv_buf out = HV_BUF_INIT(100);
  hv_error err = HV_ERROR_INIT;

  (void)state;
  /* Output cap: the document does not fit, nothing is appended. */
  parse_nq(&g, dataset_nq);
  assert_int_equal(hv_buf_addstr(&out, "x"), 0);
  assert_int_equal(hv_rdfc10_canonicalize(&g, &out, &err), HV_ETOOBIG);
  assert_non_null(strstr(err.msg, "100 bytes"));
  assert_string_equal(out.ptr, "x");

  /* Unknown options version. */
  opts.version = 99;
  assert_int_equal(hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "version 99"));
  hv_graph_fini(&g);

  /* A blank node predicate is not RDF; say which quad. */
  hv_graph_init(&g);
  memset(&q, 0, sizeof(q));
  q.s.kind = HV_TERM_IRI;
  q.s.value = "http://example.de/s";
  q.p.kind = HV_TERM_BLANK;
  q.p.value = "pred";
  q.o.kind = HV_TERM_LITERAL;
  q.o.value = "o";
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  assert_int_equal(hv_rdfc10_canonicalize(&g, &out, &err), HV_EINVAL);
  assert_string_equal(err.msg,
                      "RDFC-1.0: quad 1 has blank node _:pred as predicate");
  assert_string_equal(out.ptr, "x");

  /* A quad without an object names its position in the graph. */
  q.p.kind = HV_TERM_IRI;
  q.o.kind = HV_TERM_NONE;
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  g.quads[0] = g.quads[1] = g.quads[2]; /* only the third is kept broken */
  g.quads[0].o.kind = g.quads[1].o.kind = HV_TERM_LITERAL;
  g.quads[0].o.value = g.quads[1].o.value = "o";
  assert_int_equal(hv_rdfc10_canonicalize(&g, &out, &err), HV_EINVAL);
  assert_string_equal(
      err.msg, "RDFC-1.0: quad 3 lacks a subject, predicate or object");
  assert_string_equal(out.ptr, "x");
  hv_buf_fini(&out);
  hv_graph_fini(&g);
}

static void sha384_option_gives_a_stable_canonical_form(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_graph g;
  hv_buf a = HV_BUF_INIT(OUT_MAX), b = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;

  (void)state;
  /* Without blank nodes no hash is involved: same document. */
  parse_nq(&g, "<http://example.de/s> <http://example.de/p> \"o\" .\n");
  HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&g, &opts, &a, &err), &err);
  opts.alg = HV_RDFC10_SHA384;
  HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&g, &opts, &b, &err), &err);
  assert_string_equal(a.ptr, b.ptr);
  hv_graph_fini(&g);

  /* With blank nodes both are valid canonical forms of the same graph:
   * same lines up to labels, and each stable under relabelling. */
  hv_buf_reset(&a);
  hv_buf_reset(&b);
  parse_nq(&g, dataset_nq);
  HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&g, &opts, &a, &err), &err);
  {
    hv_graph v;

    relabel_reorder(&v, &g, "w", 5, 3);
    HV_ASSERT_OK(hv_rdfc10_canonicalize_opts(&v, &opts, &b, &err), &err);
    hv_graph_fini(&v);
  }
  assert_string_equal(a.ptr, b.ptr);
  assert_int_equal(count_lines(a.ptr), 43);
  hv_buf_fini(&a);
  hv_buf_fini(&b);
  hv_graph_fini(&g);
}

/*
 * Makes the nth allocation fail for n = 0, 1, ... until the call gets
 * through, on a graph that needs both first- and N-degree hashing.
 */
static void allocation_failures_are_clean(void **state)
{
  hv_rdfc10_opts opts = HV_RDFC10_OPTS_INIT;
  hv_graph g, extra;
  hv_buf out = HV_BUF_INIT(OUT_MAX), map = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  char *want;
  long n;
  int rc = HV_ENOMEM;
  size_t i;

  (void)state;
  parse_nq(&g, dataset_nq);
  parse_nq(&extra, two_cycles_nq);
  for (i = 0; i < extra.len; i++)
    HV_ASSERT_OK(hv_graph_add(&g, &extra.quads[i], &err), &err);
  hv_graph_fini(&extra);
  want = canon_str(&g);
  opts.issued_out = &map;

  for (n = 0; n < 10000 && rc == HV_ENOMEM; n++) {
    hv_buf_fini(&out);
    hv_buf_fini(&map);
    hv_error_clear(&err);
    hv_alloc_fail_after(n);
    rc = hv_rdfc10_canonicalize_opts(&g, &opts, &out, &err);
    hv_alloc_fail_reset();
    if (rc == HV_ENOMEM) {
      assert_int_equal(err.code, HV_ENOMEM);
      assert_int_equal(out.len, 0);
      assert_int_equal(map.len, 0);
    }
  }
  HV_ASSERT_OK(rc, &err);
  assert_true(n > 10); /* the loop really failed several allocations */
  assert_string_equal(out.ptr, want);
  hv_free(want);
  hv_buf_fini(&out);
  hv_buf_fini(&map);
  hv_graph_fini(&g);
}

/* Prints the cost of one typical dataset graph; asserts nothing timed. */
static void typical_dataset_timing(void **state)
{
  hv_graph g;
  hv_buf out = HV_BUF_INIT(OUT_MAX);
  hv_error err = HV_ERROR_INIT;
  struct timespec t0, t1;
  char h[HV_SHA256_HEX_LEN + 1];
  const int rounds = 2000;
  int i;
  double us;

  (void)state;
  parse_nq(&g, dataset_nq);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (i = 0; i < rounds; i++) {
    hv_buf_reset(&out);
    HV_ASSERT_OK(hv_rdfc10_hash(&g, h, &out, &err), &err);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
        (double)(t1.tv_nsec - t0.tv_nsec)) /
       1e3 / rounds;
  printf("rdfc10: %.1f us per 43-triple, 6-blank-node dataset graph "
         "(hash included, %d rounds)\n",
         us, rounds);
  assert_int_equal(count_lines(out.ptr), 43);
  hv_buf_fini(&out);
  hv_graph_fini(&g);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(dataset_has_43_triples_and_6_blank_nodes),
      cmocka_unit_test(relabelling_and_reordering_keep_the_hash),
      cmocka_unit_test(changing_one_literal_changes_the_hash),
      cmocka_unit_test(hash_is_sha256_of_the_canonical_document),
      cmocka_unit_test(duplicate_quads_are_removed),
      cmocka_unit_test(symmetric_cycles_give_a_stable_result),
      cmocka_unit_test(poison_graph_hits_the_work_limit),
      cmocka_unit_test(work_limit_option_is_honoured),
      cmocka_unit_test(long_look_alike_chain_hits_the_depth_limit),
      cmocka_unit_test(issued_map_lists_every_blank_node),
      cmocka_unit_test(literals_use_canonical_escapes),
      cmocka_unit_test(bad_input_and_small_output_are_refused),
      cmocka_unit_test(sha384_option_gives_a_stable_canonical_form),
      cmocka_unit_test(allocation_failures_are_clean),
      cmocka_unit_test(typical_dataset_timing),
  };

  hv_rdf_global_init();
  join_dataset();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
