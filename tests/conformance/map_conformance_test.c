/*
 * The map stage over real data (../shared/corpus):
 *
 * - ckanext-dcatde's metadata_max*.rdf hold one fully filled dataset in
 *   five dcatde namespace variants. After mapping with the committed
 *   profile no variant namespace is left, and the variants that differ
 *   only in namespace give the same canonical hash. The files also differ
 *   in content, so not all five can meet; what differs is listed at
 *   variant_differences below and checked triple by triple, so that a
 *   difference that disappears or a new one fails the test.
 * - The govdata-portal-extracts map without losing a dataset, a
 *   distribution or a triple.
 *
 * The corpus lives outside the project; without it the test says so and
 * skips.
 */
#include "tools/hvtest.h"
#include "tools/profile_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canon/rdfc10.h"
#include "decode/page.h"
#include "decode/rdfparse.h"
#include "map/map.h"
#include "util/alloc.h"

#define CORPUS HV_SHARED_DIR "/corpus"
#define DCATDE_DIR CORPUS "/ckanext-dcatde/"
#define EXTRACTS_DIR CORPUS "/govdata-portal-extracts/"
#define BASE "https://portal.example/"
#define DE "http://dcat-ap.de/def/dcatde/"

static void map_one(const hv_profile *p, const hv_dataset_graph *dg,
                    hv_graph *out, hv_findings *f, const char *path)
{
  hv_error err = HV_ERROR_INIT;

  hv_graph_init(out);
  hv_findings_init(f);
  if (hv_map_dataset(p, NULL, &dg->graph, dg->uri, out, f, &err) < 0)
    fail_msg("%s: mapping %s: %s", path, dg->key, err.msg);
}

/* Fails if any predicate or class IRI of g is still in a variant. */
static void assert_no_variant_left(const hv_profile *p, const hv_graph *g,
                                   const char *path)
{
  hv_buf b = HV_BUF_INIT(1 << 16);
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];

    if (hv_profile_fix_iri(p, q->p.value, &b) != 0 ||
        (q->o.kind == HV_TERM_IRI &&
         strcmp(q->p.value, HV_RDF "type") == 0 &&
         hv_profile_fix_iri(p, q->o.value, &b) != 0))
      fail_msg("%s: variant namespace left: %s", path, b.ptr);
  }
  hv_buf_fini(&b);
}

/* ------------------------------------------------------------------ */
/* metadata_max variants                                               */
/* ------------------------------------------------------------------ */

static const char *const variants[] = {
    "metadata_max.rdf",
    "metadata_max_1_0.rdf",
    "metadata_max_1_0_1.rdf",
    "metadata_max_multi_namespaces.rdf",
    "metadata_max_only_valid_uris.rdf",
};
#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

/* The variant every other one is compared with. */
#define REFERENCE 2 /* metadata_max_1_0_1.rdf */

/*
 * What each variant holds beyond the reference after mapping, or lacks
 * compared with it: substrings that every differing canonical N-Quads
 * line must contain, and how many lines differ on each side. These are
 * differences of content, not of namespace:
 *
 * - metadata_max.rdf adds a dcat:DataService (accessService with title,
 *   endpoint, licence, access rights ...), dcat:granularity,
 *   dcatap:availability and dct:references.
 * - metadata_max_1_0.rdf uses the 1.0 names geocodingText and
 *   legalbasisText, which the mapper renames: no difference left.
 * - metadata_max_multi_namespaces.rdf carries, next to the 1.0.1 values,
 *   two old 1_0 values (geocodingText, legalbasisText) that ckanext-dcatde
 *   ignores in favour of the newer namespace; the mapper keeps every
 *   delivered value, so they remain as two extra triples.
 * - metadata_max_only_valid_uris.rdf writes the telephone IRI
 *   percent-encoded and adds dcat:granularity.
 */
static int cmp_line(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct variant_difference {
  size_t extra;        /* lines only in the variant */
  size_t missing;      /* lines only in the reference */
  const char *marks[8]; /* each differing line contains one of these */
} variant_difference;

static const variant_difference variant_differences[N_VARIANTS] = {
    /* The DataService node's nine lines start with its blank node. */
    {13, 0,
     {"accessService", "_:b <", "granularity", "availability", "references",
      NULL}},
    {0, 0, {NULL}},
    {0, 0, {NULL}},
    {2, 0, {"Kein Import des alten Werts",
            "Dieser Wert soll nicht importiert werden", NULL}},
    {2, 1, {"hasTelephone", "granularity", NULL}},
};

/*
 * Turns a canonical N-Quads document into its sorted lines with every
 * blank node label written as _:b (in place). Extra content shifts the
 * canonical labels of unrelated blank nodes, so lines are compared with
 * labels masked, as a multiset.
 */
static size_t masked_lines(char *doc, char ***out)
{
  size_t n = 0, i = 0;
  char *r = doc, *w = doc, *p;

  while (*r) {
    if (strncmp(r, "_:c14n", 6) == 0) {
      memcpy(w, "_:b", 3);
      w += 3;
      r += 6;
      while (*r >= '0' && *r <= '9')
        r++;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
  for (p = doc; *p; p++)
    n += *p == '\n';
  *out = hv_calloc(n + 1, sizeof(**out));
  assert_non_null(*out);
  for (p = doc; *p;) {
    char *nl = strchr(p, '\n');

    *nl = '\0';
    (*out)[i++] = p;
    p = nl + 1;
  }
  qsort(*out, n, sizeof(**out), cmp_line);
  return n;
}

static void check_marked(const char *line, const variant_difference *d,
                         const char *name)
{
  size_t k;

  for (k = 0; d->marks[k]; k++)
    if (strstr(line, d->marks[k]))
      return;
  fail_msg("%s: unexpected difference: %s", name, line);
}

/* Walks two sorted line lists, counting the lines only in a (*extra) and
 * only in b (*missing), each of which must carry one of d's marks. */
static void diff_lines(char **a, size_t na, char **b, size_t nb,
                       const variant_difference *d, const char *name,
                       size_t *extra, size_t *missing)
{
  size_t i = 0, j = 0;

  *extra = *missing = 0;
  while (i < na || j < nb) {
    int c = i >= na ? 1 : j >= nb ? -1 : strcmp(a[i], b[j]);

    if (c == 0) {
      i++;
      j++;
    } else if (c < 0) {
      check_marked(a[i++], d, name);
      (*extra)++;
    } else {
      check_marked(b[j++], d, name);
      (*missing)++;
    }
  }
}

static void metadata_max_variants_meet_after_mapping(void **state)
{
  char hashes[N_VARIANTS][HV_SHA256_HEX_LEN + 1];
  hv_buf nq[N_VARIANTS];
  hv_profile *p;
  size_t v;

  (void)state;
  if (!hv_test_corpus_present("map", DCATDE_DIR "metadata_max.rdf"))
    skip();
  p = hv_test_profile_load(NULL);
  for (v = 0; v < N_VARIANTS; v++) {
    char path[1024];
    hv_error err = HV_ERROR_INIT;
    hv_page page;
    hv_graph out;
    hv_findings f;

    snprintf(path, sizeof(path), "%s%s", DCATDE_DIR, variants[v]);
    hv_test_decode_file(path, BASE, &page);
    if (page.n_datasets != 1)
      fail_msg("%s: %zu datasets, expected 1", path, page.n_datasets);
    map_one(p, &page.datasets[0], &out, &f, path);
    assert_no_variant_left(p, &out, path);
    hv_buf_init(&nq[v], 1 << 24);
    HV_ASSERT_OK(hv_rdfc10_hash(&out, hashes[v], &nq[v], &err), &err);
    print_message("%-36s %zu findings, hash %.16s\n", variants[v], f.len,
                  hashes[v]);
    hv_findings_fini(&f);
    hv_graph_fini(&out);
    hv_page_fini(&page);
  }
  /* Same content in three namespaces: one hash. */
  assert_string_equal(hashes[1], hashes[REFERENCE]);
  {
    char **ref;
    size_t nref = masked_lines(nq[REFERENCE].ptr, &ref);

    for (v = 0; v < N_VARIANTS; v++) {
      const variant_difference *d = &variant_differences[v];
      char **lines;
      size_t n, extra, missing;

      if (v == REFERENCE)
        continue;
      n = masked_lines(nq[v].ptr, &lines);
      diff_lines(lines, n, ref, nref, d, variants[v], &extra, &missing);
      if (extra != d->extra || missing != d->missing)
        fail_msg("%s: %zu extra and %zu missing lines, expected %zu and %zu",
                 variants[v], extra, missing, d->extra, d->missing);
      if ((extra || missing) == !strcmp(hashes[v], hashes[REFERENCE]))
        fail_msg("%s: hash and line differences disagree", variants[v]);
      hv_free(lines);
    }
    hv_free(ref);
  }
  for (v = 0; v < N_VARIANTS; v++)
    hv_buf_fini(&nq[v]);
  hv_profile_free(p);
}

/* ------------------------------------------------------------------ */
/* Portal extracts                                                     */
/* ------------------------------------------------------------------ */

static const char *const extracts[] = {
    "brandenburg-catalog-dataset-extracted.rdf",
    "brandenburg-catalog-dataset-extracted.ttl",
    "bremen-catalog-dataset-extracted.rdf",
    "bremen-catalog-dataset-extracted.ttl",
    "destatis-catalog-dataset-extracted.rdf",
    "rostock-catalog-dataset-extracted.rdf",
};

/* Counts distinct objects of predicate pred in g. */
static size_t count_objects(const hv_graph *g, const char *pred)
{
  size_t i, j, n = 0;

  for (i = 0; i < g->len; i++) {
    int seen = 0;

    if (strcmp(g->quads[i].p.value, pred) != 0)
      continue;
    for (j = 0; j < i && !seen; j++)
      seen = strcmp(g->quads[j].p.value, pred) == 0 &&
             hv_term_equal(&g->quads[j].o, &g->quads[i].o);
    n += !seen;
  }
  return n;
}

static size_t count_typed(const hv_graph *g, const char *cls)
{
  size_t i, n = 0;

  for (i = 0; i < g->len; i++)
    n += g->quads[i].o.kind == HV_TERM_IRI &&
         strcmp(g->quads[i].p.value, HV_RDF "type") == 0 &&
         strcmp(g->quads[i].o.value, cls) == 0;
  return n;
}

static void portal_extracts_keep_datasets_and_distributions(void **state)
{
  hv_profile *p;
  size_t x, i, total = 0;

  (void)state;
  if (!hv_test_corpus_present("map", EXTRACTS_DIR
                              "bremen-catalog-dataset-extracted.rdf"))
    skip();
  p = hv_test_profile_load(NULL);
  for (x = 0; x < sizeof(extracts) / sizeof(extracts[0]); x++) {
    char path[1024];
    hv_page page;

    snprintf(path, sizeof(path), "%s%s", EXTRACTS_DIR, extracts[x]);
    hv_test_decode_file(path, BASE, &page);
    if (page.n_datasets == 0)
      fail_msg("%s: no dataset", path);
    for (i = 0; i < page.n_datasets; i++) {
      const hv_dataset_graph *dg = &page.datasets[i];
      const hv_graph *in = &dg->graph;
      hv_graph out;
      hv_findings f;
      size_t k, warnings = 0;

      map_one(p, dg, &out, &f, path);
      assert_no_variant_left(p, &out, path);
      /* Nothing dropped: a theme may become two, a contributor may be
       * added, but no triple goes. */
      if (out.len < in->len)
        fail_msg("%s: %zu triples in, %zu out", path, in->len, out.len);
      if (count_typed(&out, HV_DCAT "Dataset") !=
              count_typed(in, HV_DCAT "Dataset") ||
          count_typed(&out, HV_DCAT "Dataset") == 0)
        fail_msg("%s: dataset %s lost", path, dg->key);
      if (count_objects(&out, HV_DCAT "distribution") !=
              count_objects(in, HV_DCAT "distribution") ||
          count_objects(&out, HV_DCAT "distribution") != dg->distributions)
        fail_msg("%s: distributions of %s lost", path, dg->key);
      if (count_typed(&out, HV_DCAT "Distribution") !=
          count_typed(in, HV_DCAT "Distribution"))
        fail_msg("%s: a dcat:Distribution node lost", path);
      for (k = 0; k < f.len; k++) {
        warnings += f.items[k].severity == HV_SEVERITY_WARNING;
        if (getenv("HV_MAP_VERBOSE"))
          print_message("  %s %s %s: %s\n", f.items[k].rule,
                        hv_severity_name(f.items[k].severity),
                        f.items[k].predicate, f.items[k].message);
      }
      print_message("%-44s %s: %zu distributions, %zu findings "
                    "(%zu warnings), state %s\n",
                    extracts[x], dg->key, dg->distributions, f.len, warnings,
                    dg->uri && hv_map_state(p, &out, dg->uri)
                        ? hv_map_state(p, &out, dg->uri)
                        : "-");
      total++;
      hv_findings_fini(&f);
      hv_graph_fini(&out);
    }
    hv_page_fini(&page);
  }
  assert_true(total >= sizeof(extracts) / sizeof(extracts[0]));
  hv_profile_free(p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(metadata_max_variants_meet_after_mapping),
      cmocka_unit_test(portal_extracts_keep_datasets_and_distributions),
  };

  hv_rdf_global_init();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
