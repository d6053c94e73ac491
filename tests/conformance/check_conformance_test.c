/*
 * The check stage over real data (../shared/corpus), after decode, split
 * and map as the harvest runs them:
 *
 * - The DCAT-AP.de 2.0 reference examples (Turtle and RDF/XML, simple and
 *   advanced) raise no violation, with one exception the examples
 *   genuinely have: the simple example's dataset has no dct:publisher,
 *   which GovData's Konvention 36 requires.
 * - GovData's dashboard checks (govdata-portal-extracts/db-tests_*.ttl)
 *   raise the findings each of their datasets is built to raise: the
 *   valid (V-) ones no violation of the rule under test, the invalid (I-)
 *   ones the exact findings listed below.
 *
 * The corpus lives outside the project; without it the test says so and
 * skips.
 */
#include "tools/hvtest.h"
#include "tools/profile_fixture.h"

#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "decode/page.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"

#define CORPUS HV_SHARED_DIR "/corpus"
#define SPEC_DIR CORPUS "/dcat-ap-de-spec/V2.0/examples/"
#define EXTRACTS_DIR CORPUS "/govdata-portal-extracts/"
#define BASE "https://portal.example/"
#define CONTRIB "http://dcat-ap.de/def/contributors/"
#define LIC "http://dcat-ap.de/def/licenses/"
#define V HV_SEVERITY_VIOLATION
#define W HV_SEVERITY_WARNING
#define I HV_SEVERITY_INFO
#define N(a) (sizeof(a) / sizeof((a)[0]))

static hv_profile *profile;

static int setup(void **state)
{
  (void)state;
  profile = hv_test_profile_load(NULL);
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  hv_profile_free(profile);
  return 0;
}

/* Maps and checks one dataset of a page; findings get both stages'. */
static void map_and_check(const hv_dataset_graph *dg, hv_findings *f,
                          const char *path)
{
  hv_error err = HV_ERROR_INIT;
  hv_graph out;

  hv_graph_init(&out);
  if (hv_map_dataset(profile, NULL, &dg->graph, dg->uri, &out, f, &err) < 0)
    fail_msg("%s: mapping %s: %s", path, dg->key, err.msg);
  if (hv_check_dataset(profile, &out, dg->uri, f, &err) < 0)
    fail_msg("%s: checking %s: %s", path, dg->key, err.msg);
  hv_graph_fini(&out);
}

static void dump(const hv_findings *f)
{
  size_t k;

  for (k = 0; k < f->len; k++)
    print_message("  %s %s %s %s %s: %s\n", f->items[k].rule,
                  hv_severity_name(f->items[k].severity),
                  f->items[k].subject ? f->items[k].subject : "-",
                  f->items[k].predicate ? f->items[k].predicate : "-",
                  f->items[k].old_value ? f->items[k].old_value : "-",
                  f->items[k].message);
}

/* ------------------------------------------------------------------ */
/* Spec examples                                                       */
/* ------------------------------------------------------------------ */

static void spec_examples_have_no_violations(void **state)
{
  static const struct {
    const char *file;
    size_t datasets;
    int no_publisher; /* the simple example's one genuine violation */
  } cases[] = {
      {"RDF-TURTLE/dcat_ap_de-RefImp_TTL_SIMPLE.ttl", 1, 1},
      {"RDF-TURTLE/dcat_ap_de-RefImp_TTL_ADVANCED.ttl", 2, 0},
      {"RDF-XML/dcat_ap_de-RefImp_RDF_SIMPLE.rdf", 1, 1},
      {"RDF-XML/dcat_ap_de-RefImp_RDF_ADVANCED.rdf", 2, 0},
  };
  size_t i, d;

  (void)state;
  if (!hv_test_corpus_present("check", SPEC_DIR))
    skip();
  for (i = 0; i < N(cases); i++) {
    char path[512];
    hv_page page;

    snprintf(path, sizeof(path), "%s%s", SPEC_DIR, cases[i].file);
    hv_test_decode_file(path, BASE, &page);
    assert_int_equal(page.n_datasets, cases[i].datasets);
    for (d = 0; d < page.n_datasets; d++) {
      const hv_dataset_graph *dg = &page.datasets[d];
      size_t expect = cases[i].no_publisher ? 1 : 0;
      hv_findings f;
      size_t k, viol = 0;

      hv_findings_init(&f);
      map_and_check(dg, &f, path);
      for (k = 0; k < f.len; k++) {
        const hv_finding *x = &f.items[k];

        if (x->severity != V)
          continue;
        viol++;
        if (!cases[i].no_publisher || strcmp(x->rule, "check.publisher") ||
            x->old_value || strcmp(x->predicate, HV_DCT "publisher")) {
          dump(&f);
          fail_msg("%s: unexpected violation on %s", path, dg->key);
        }
      }
      if (viol != expect) {
        dump(&f);
        fail_msg("%s: %s: %zu violations, expected %zu", path, dg->key,
                 viol, expect);
      }
      /* The examples are clean DCAT-AP.de: the mapper changes nothing
       * but the contributor warning it cannot have. */
      for (k = 0; k < f.len; k++)
        if (strncmp(f.items[k].rule, "map.", 4) == 0) {
          dump(&f);
          fail_msg("%s: mapping changed %s", path, dg->key);
        }
      hv_findings_fini(&f);
    }
    hv_page_fini(&page);
  }
}

/* ------------------------------------------------------------------ */
/* Dashboard checks                                                    */
/* ------------------------------------------------------------------ */

typedef struct want {
  hv_severity severity;
  const char *old_value; /* NULL: must be NULL */
  const char *message_part;
} want;

typedef struct dash_case {
  const char *name;  /* local name after the file's base */
  want w[4];
  size_t n;
} dash_case;

/* Asserts that the findings of rule in f are exactly c's. */
static void assert_rule(const hv_findings *f, const char *rule,
                        const char *subject, const dash_case *c)
{
  size_t i, k = 0;

  for (i = 0; i < f->len; i++) {
    const hv_finding *x = &f->items[i];

    if (strcmp(x->rule, rule) != 0)
      continue;
    if (k >= c->n || x->severity != c->w[k].severity ||
        strcmp(x->subject, subject) != 0 ||
        !((!x->old_value && !c->w[k].old_value) ||
          (x->old_value && c->w[k].old_value &&
           strcmp(x->old_value, c->w[k].old_value) == 0)) ||
        (c->w[k].message_part && !strstr(x->message, c->w[k].message_part))) {
      dump(f);
      fail_msg("%s: %s finding %zu differs", c->name, rule, k);
    }
    k++;
  }
  if (k != c->n) {
    dump(f);
    fail_msg("%s: %zu %s findings, expected %zu", c->name, k, rule, c->n);
  }
}

/* Runs the dataset cases of one dashboard file for one rule. The files'
 * relative @base resolves against the page URL, and their names against
 * that, so every subject is base + name. */
static void dashboard(const char *file, const char *base, const char *rule,
                      const dash_case *cases, size_t n)
{
  char path[512];
  hv_page page;
  size_t i, d;

  snprintf(path, sizeof(path), "%s%s", EXTRACTS_DIR, file);
  hv_test_decode_file(path, BASE, &page);
  assert_int_equal(page.n_datasets, n);
  for (i = 0; i < n; i++) {
    char iri[256], subject[260];
    hv_findings f;

    snprintf(iri, sizeof(iri), "%s%s", base, cases[i].name);
    snprintf(subject, sizeof(subject), "<%s>", iri);
    for (d = 0; d < page.n_datasets; d++)
      if (page.datasets[d].uri && strcmp(page.datasets[d].uri, iri) == 0)
        break;
    if (d == page.n_datasets)
      fail_msg("%s: no dataset %s", path, iri);
    hv_findings_init(&f);
    map_and_check(&page.datasets[d], &f, path);
    assert_rule(&f, rule, subject, &cases[i]);
    /* V- datasets break nothing the file tests; I- ones do. */
    if (cases[i].name[0] == 'V')
      for (d = 0; d < cases[i].n; d++)
        assert_int_not_equal(cases[i].w[d].severity, V);
    hv_findings_fini(&f);
  }
  hv_page_fini(&page);
}

static void dashboard_contributor(void **state)
{
  /* One contributorID from the list, and nothing but that, is the rule;
   * extra values beside it are kept with a warning. I-TEST-05 appears
   * twice in the file; its two blocks make one dataset. */
  static const dash_case cases[] = {
      {"V-TEST-01", {{0, NULL, NULL}}, 0},
      {"V-TEST-02", {{W, "<http://google.de>", "not in the dcat-ap.de"}}, 1},
      {"V-TEST-05", {{W, "\"string\"", "not an IRI"}}, 1},
      {"I-TEST-01", {{V, NULL, "no dcatde:contributorID"}}, 1},
      {"I-TEST-02", {{V, "<http://google.de>", "not in the dcat-ap.de"}}, 1},
      {"I-TEST-03", {{V, "\"string\"", "not an IRI"}}, 1},
      {"I-TEST-04", {{V, NULL, "2 dcatde:contributorID values"}}, 1},
      {"I-TEST-05",
       {{V, NULL, "2 dcatde:contributorID values"},
        {W, "<http://google.de>", NULL},
        {W, "\"string\"", NULL}},
       3},
  };

  (void)state;
  if (!hv_test_corpus_present("check", EXTRACTS_DIR "db-tests_contributor.ttl"))
    skip();
  dashboard("db-tests_contributor.ttl", BASE,
            "check.contributor", cases, N(cases));
}

static void dashboard_keyword(void **state)
{
  /* A keyword is text: IRIs are reported (info) and do not count. */
  static const dash_case cases[] = {
      {"V-TEST-01", {{0, NULL, NULL}}, 0},
      {"V-TEST-02", {{0, NULL, NULL}}, 0},
      {"V-TEST-03", {{I, "<http://google.de>", "is an IRI"}}, 1},
      {"V-TEST-04",
       {{I, "<http://google.de>", NULL}, {I, "<http://bing.de>", NULL}},
       2},
      {"I-TEST-01", {{W, NULL, "no keyword"}}, 1},
      {"I-TEST-02",
       {{I, "<http://google.de>", NULL}, {W, NULL, "no keyword"}},
       2},
      {"I-TEST-03",
       {{I, "<http://google.de>", NULL},
        {I, "<http://bing.de>", NULL},
        {W, NULL, "no keyword"}},
       3},
  };

  (void)state;
  if (!hv_test_corpus_present("check", EXTRACTS_DIR "db-tests_keyword.ttl"))
    skip();
  dashboard("db-tests_keyword.ttl", BASE,
            "check.keyword", cases, N(cases));
}

static void dashboard_licenses(void **state)
{
  /* Distributions without a dataset: mapped as one graph, then each
   * checked on its own. I-: no usable licence; L-: a licence the mapper
   * recognises ("apache" and Apache's URL) and maps into the list; V-: a
   * listed licence that is not open (info); O-: a listed open licence. */
  static const struct {
    const char *name;
    size_t violations;
    size_t not_open;  /* check.license info */
    size_t mapped;    /* map.license info */
  } cases[] = {
      {"I-TEST-01", 1, 0, 0}, /* no licence */
      {"I-TEST-02", 1, 1, 0}, /* two licences: cardinality */
      {"I-TEST-03", 3, 0, 0}, /* two literals, neither listed, and two */
      {"L-TEST-01", 0, 0, 1}, {"L-TEST-02", 0, 0, 1},
      {"V-TEST-01", 0, 1, 0}, {"O-TEST-01", 0, 0, 0},
  };
  hv_error err = HV_ERROR_INIT;
  char *body;
  size_t len, i, k;
  hv_graph in, out;
  hv_findings mapf;

  (void)state;
  if (!hv_test_corpus_present("check", EXTRACTS_DIR "db-tests_licenses.ttl"))
    skip();
  body = hv_test_read_file(EXTRACTS_DIR "db-tests_licenses.ttl", &len);
  assert_non_null(body);
  hv_graph_init(&in);
  hv_graph_init(&out);
  hv_findings_init(&mapf);
  HV_ASSERT_OK(hv_rdf_parse(&in, "turtle", body, len, BASE, &err), &err);
  HV_ASSERT_OK(hv_map_dataset(profile, NULL, &in, NULL, &out, &mapf, &err),
               &err);
  for (i = 0; i < N(cases); i++) {
    char iri[256], subject[260];
    size_t viol = 0, not_open = 0, mapped = 0;
    hv_findings f;

    snprintf(iri, sizeof(iri), "%s%s", BASE, cases[i].name);
    snprintf(subject, sizeof(subject), "<%s>", iri);
    hv_findings_init(&f);
    HV_ASSERT_OK(hv_check_distribution(profile, &out, iri, &f, &err), &err);
    for (k = 0; k < f.len; k++) {
      const hv_finding *x = &f.items[k];
      int lic = strcmp(x->predicate, HV_DCT "license") == 0;

      assert_string_equal(x->subject, subject);
      if (lic && x->severity == V)
        viol++;
      if (lic && x->severity == I && strcmp(x->rule, "check.license") == 0)
        not_open++;
    }
    for (k = 0; k < mapf.len; k++)
      mapped += strcmp(mapf.items[k].subject, subject) == 0 &&
                strcmp(mapf.items[k].rule, "map.license") == 0 &&
                mapf.items[k].severity == I;
    if (viol != cases[i].violations || not_open != cases[i].not_open ||
        mapped != cases[i].mapped) {
      dump(&mapf);
      dump(&f);
      fail_msg("%s: %zu licence violations, %zu not open, %zu mapped; "
               "expected %zu, %zu, %zu",
               cases[i].name, viol, not_open, mapped, cases[i].violations,
               cases[i].not_open, cases[i].mapped);
    }
    hv_findings_fini(&f);
  }
  hv_findings_fini(&mapf);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
  hv_free(body);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(spec_examples_have_no_violations),
      cmocka_unit_test(dashboard_contributor),
      cmocka_unit_test(dashboard_keyword),
      cmocka_unit_test(dashboard_licenses),
  };

  hv_rdf_global_init();
  return cmocka_run_group_tests(tests, setup, teardown);
}
