/*
 * Unit tests for harvester/model (graph, arena, term order and N-Triples
 * terms) and the string set used for visited pages.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "util/alloc.h"
#include "util/strset.h"

static hv_term iri(const char *v)
{
  hv_term t = {v, NULL, NULL, HV_TERM_IRI};
  return t;
}

static hv_term literal(const char *v, const char *dt, const char *lang)
{
  hv_term t = {v, dt, lang, HV_TERM_LITERAL};
  return t;
}

static void graph_copies_strings_and_drops_xsd_string(void **state)
{
  hv_graph g;
  hv_error err = HV_ERROR_INIT;
  char subject[] = "http://example.org/ds/1";
  hv_quad q;

  (void)state;
  hv_graph_init(&g);
  memset(&q, 0, sizeof(q));
  q.s = iri(subject);
  q.p = iri("http://purl.org/dc/terms/title");
  q.o = literal("Titel", HV_XSD_STRING, NULL);
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  subject[7] = 'X'; /* the graph holds its own copy */
  assert_string_equal(g.quads[0].s.value, "http://example.org/ds/1");
  assert_null(g.quads[0].o.datatype);
  assert_int_equal(g.quads[0].g.kind, HV_TERM_NONE);
  hv_graph_fini(&g);
}

static void graph_keeps_large_strings_and_many_quads(void **state)
{
  hv_graph g;
  hv_error err = HV_ERROR_INIT;
  char *big = hv_malloc(100000);
  hv_quad q;
  int i;

  (void)state;
  memset(big, 'a', 99999);
  big[99999] = '\0';
  hv_graph_init(&g);
  memset(&q, 0, sizeof(q));
  q.s = iri("http://example.org/s");
  q.p = iri("http://example.org/p");
  for (i = 0; i < 1000; i++) {
    q.o = literal(i == 500 ? big : "small", NULL, "de");
    HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  }
  assert_int_equal(g.len, 1000);
  assert_int_equal(strlen(g.quads[500].o.value), 99999);
  assert_string_equal(g.quads[501].o.value, "small");
  assert_string_equal(g.quads[999].o.lang, "de");
  hv_graph_fini(&g);
  hv_free(big);
}

static void graph_add_fails_cleanly_without_memory(void **state)
{
  hv_graph g;
  hv_error err = HV_ERROR_INIT;
  hv_quad q;
  long n;

  (void)state;
  memset(&q, 0, sizeof(q));
  q.s = iri("http://example.org/s");
  q.p = iri("http://example.org/p");
  q.o = literal("o", NULL, NULL);
  /* Two allocations: the quad array and the first arena chunk. */
  for (n = 0; n <= 2; n++) {
    int rc;
    hv_graph_init(&g);
    hv_alloc_fail_after(n);
    rc = hv_graph_add(&g, &q, &err);
    hv_alloc_fail_reset();
    assert_int_equal(rc, n < 2 ? HV_ENOMEM : 0);
    assert_int_equal(g.len, n < 2 ? 0 : 1);
    hv_graph_fini(&g);
  }
}

static void terms_write_as_canonical_ntriples(void **state)
{
  static const struct {
    hv_term term;
    const char *expected;
  } cases[] = {
      {{"http://example.org/a", NULL, NULL, HV_TERM_IRI},
       "<http://example.org/a>"},
      {{"b0", NULL, NULL, HV_TERM_BLANK}, "_:b0"},
      {{"Zeile 1\nZeile \"2\"\t\\", NULL, NULL, HV_TERM_LITERAL},
       "\"Zeile 1\\nZeile \\\"2\\\"\\t\\\\\""},
      {{"Straße", NULL, "de", HV_TERM_LITERAL}, "\"Straße\"@de"},
      {{"2026-01-01", "http://www.w3.org/2001/XMLSchema#date", NULL,
        HV_TERM_LITERAL},
       "\"2026-01-01\"^^<http://www.w3.org/2001/XMLSchema#date>"},
      {{"\x01\x7f", NULL, NULL, HV_TERM_LITERAL}, "\"\\u0001\\u007F\""},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_buf b = HV_BUF_INIT(1024);
    assert_int_equal(hv_term_write_nt(&b, &cases[i].term), 0);
    assert_string_equal(b.ptr, cases[i].expected);
    hv_buf_fini(&b);
  }
}

static void term_order_is_total_and_equality_exact(void **state)
{
  hv_term a = iri("http://a"), b = iri("http://b");
  hv_term l1 = literal("x", NULL, "de"), l2 = literal("x", NULL, "en");
  hv_term l3 = literal("x", NULL, NULL);

  (void)state;
  assert_true(hv_term_cmp(&a, &b) < 0);
  assert_true(hv_term_cmp(&b, &a) > 0);
  assert_int_equal(hv_term_cmp(&a, &a), 0);
  assert_false(hv_term_equal(&l1, &l2));
  assert_false(hv_term_equal(&l1, &l3));
  assert_true(hv_term_cmp(&a, &l1) < 0); /* IRIs sort before literals */
}

static void strset_adds_once_and_grows(void **state)
{
  hv_strset set = HV_STRSET_INIT;
  char key[64];
  int i;

  (void)state;
  assert_false(hv_strset_has(&set, "http://a/"));
  assert_int_equal(hv_strset_add(&set, "http://a/"), 1);
  assert_int_equal(hv_strset_add(&set, "http://a/"), 0);
  for (i = 0; i < 5000; i++) {
    snprintf(key, sizeof(key), "http://example.org/page/%d", i);
    assert_int_equal(hv_strset_add(&set, key), 1);
  }
  assert_int_equal(set.len, 5001);
  assert_true(hv_strset_has(&set, "http://example.org/page/4999"));
  assert_false(hv_strset_has(&set, "http://example.org/page/5000"));
  hv_strset_fini(&set);
}

static void strset_reports_oom(void **state)
{
  hv_strset set = HV_STRSET_INIT;

  (void)state;
  hv_alloc_fail_after(0);
  assert_int_equal(hv_strset_add(&set, "k"), HV_ENOMEM);
  hv_alloc_fail_reset();
  assert_false(hv_strset_has(&set, "k"));
  hv_strset_fini(&set);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(graph_copies_strings_and_drops_xsd_string),
      cmocka_unit_test(graph_keeps_large_strings_and_many_quads),
      cmocka_unit_test(graph_add_fails_cleanly_without_memory),
      cmocka_unit_test(terms_write_as_canonical_ntriples),
      cmocka_unit_test(term_order_is_total_and_equality_exact),
      cmocka_unit_test(strset_adds_once_and_grows),
      cmocka_unit_test(strset_reports_oom),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
