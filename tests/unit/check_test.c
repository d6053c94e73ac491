/*
 * Unit tests for harvester/check/check.c. A clean dataset written for the
 * project (tests/fixtures/check/clean.ttl) gives no finding; every other
 * case replaces one or more of its lines with a bad input and asserts the
 * complete list of findings: rule, severity, subject, predicate and the
 * offending value. Also: German messages, a graph without a dataset, a
 * relative IRI, a standalone distribution, and checking under every
 * allocation failure.
 */
#include "tools/hvtest.h"
#include "tools/profile_fixture.h"

#include <stdio.h>
#include <string.h>

#include "check/check.h"
#include "map/lexical.h"
#include "map/map.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CLEAN HV_FIXTURES_DIR "/check/clean.ttl"
#define DCAT "http://www.w3.org/ns/dcat#"
#define DCT "http://purl.org/dc/terms/"
#define DE "http://dcat-ap.de/def/dcatde/"
#define XSD "http://www.w3.org/2001/XMLSchema#"
#define LIC "http://dcat-ap.de/def/licenses/"
#define CONTRIB "http://dcat-ap.de/def/contributors/"
#define DS "https://daten.musterhausen.de/ds/1"
#define DIST "https://daten.musterhausen.de/dist/1"
#define S_DS "<" DS ">"
#define S_DIST "<" DIST ">"
#define V HV_SEVERITY_VIOLATION
#define W HV_SEVERITY_WARNING
#define I HV_SEVERITY_INFO
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Lines of clean.ttl the cases replace. */
#define L_TITLE "  dct:title \"Baumkataster Musterhausen\"@de ;\n"
#define L_DESC "  dct:description \"Alle Straßenbäume der Stadt " \
               "Musterhausen.\"@de ;\n"
#define L_PUB "  dct:publisher <https://daten.musterhausen.de/org/gruen> ;\n"
#define L_KW "  dcat:keyword \"Baum\" ;\n"
#define L_ISSUED "  dct:issued \"2020-01-15\"^^xsd:date ;\n"
#define L_CONTRIB                                                         \
  "  dcatde:contributorID "                                               \
  "<http://dcat-ap.de/def/contributors/transparenzportalHamburg> ;\n"
#define L_NAME "  foaf:name \"Grünflächenamt Musterhausen\" .\n"
#define L_ACCESS "  dcat:accessURL <https://daten.musterhausen.de/dl/" \
                 "baeume.csv> ;\n"
#define L_LIC "  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;\n"
#define L_FORMAT                                                          \
  "  dct:format <http://publications.europa.eu/resource/authority/"      \
  "file-type/CSV> .\n"

typedef struct want {
  const char *rule;
  hv_severity severity;
  const char *subject;
  const char *predicate;
  const char *old_value; /* NULL: must be NULL */
  const char *message_part; /* substring of the English message, or NULL */
} want;

typedef struct edit {
  const char *from; /* a line of clean.ttl */
  const char *to;
} edit;

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

/* Reads clean.ttl with the edits applied (each from must occur once). */
static char *fixture(const edit *edits, size_t n)
{
  char *text = hv_test_read_file(CLEAN, NULL);
  size_t i;

  assert_non_null(text);
  for (i = 0; i < n; i++) {
    hv_buf b = HV_BUF_INIT(1 << 20);
    char *at = strstr(text, edits[i].from);

    if (!at)
      fail_msg("fixture line not found: %s", edits[i].from);
    assert_int_equal(hv_buf_add(&b, text, (size_t)(at - text)), 0);
    assert_int_equal(hv_buf_addstr(&b, edits[i].to), 0);
    assert_int_equal(hv_buf_addstr(&b, at + strlen(edits[i].from)), 0);
    hv_free(text);
    text = hv_buf_detach(&b, NULL);
  }
  return text;
}

static int same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_findings(const hv_findings *f, const want *w, size_t n)
{
  size_t i;

  for (i = 0; i < f->len || i < n; i++) {
    const hv_finding *x = i < f->len ? &f->items[i] : NULL;

    if (!x || i >= n || strcmp(x->rule, w[i].rule) != 0 ||
        x->severity != w[i].severity || !same(x->subject, w[i].subject) ||
        !same(x->predicate, w[i].predicate) ||
        !same(x->old_value, w[i].old_value) || !x->message_de ||
        (w[i].message_part && !strstr(x->message, w[i].message_part))) {
      size_t k;

      for (k = 0; k < f->len; k++)
        print_message("finding %zu: %s %s %s %s | %s | %s | %s\n", k,
                      f->items[k].rule,
                      hv_severity_name(f->items[k].severity),
                      f->items[k].subject ? f->items[k].subject : "-",
                      f->items[k].predicate,
                      f->items[k].old_value ? f->items[k].old_value : "-",
                      f->items[k].message,
                      f->items[k].message_de ? f->items[k].message_de : "-");
      fail_msg("finding %zu differs (expected %s, %zu findings)", i,
               i < n ? w[i].rule : "none", n);
    }
  }
}

/* Checks clean.ttl with edits and compares every finding. */
static void check_case(const edit *edits, size_t n_edits, const want *w,
                       size_t n)
{
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(edits, n_edits);
  hv_findings f;
  hv_graph g;

  hv_test_parse_turtle(&g, ttl);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  assert_findings(&f, w, n);
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

/* ------------------------------------------------------------------ */
/* Cases                                                               */
/* ------------------------------------------------------------------ */

static void clean_dataset_has_no_findings(void **state)
{
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(NULL, 0);
  hv_findings f;
  hv_graph g;

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  hv_findings_init(&f);
  /* Found by its type without an IRI, too. */
  HV_ASSERT_OK(hv_check_dataset(profile, &g, NULL, &f, &err), &err);
  assert_findings(&f, NULL, 0);
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

static void missing_mandatory_and_recommended(void **state)
{
  static const edit e[] = {
      {L_TITLE, ""}, {L_DESC, ""}, {L_ISSUED, ""},
      {"  dct:title \"Baumkataster als CSV\" ;\n", ""},
      {L_FORMAT, "  dct:rights <https://daten.musterhausen.de/recht> .\n"},
  };
  static const want w[] = {
      {"check.mandatory", V, S_DS, DCT "title", NULL, "requires"},
      {"check.mandatory", V, S_DS, DCT "description", NULL,
       "dataset has no dct:description, which DCAT-AP.de requires"},
      {"check.recommended", W, S_DS, DCT "issued", NULL, "recommends"},
      {"check.recommended", I, S_DIST, DCT "format", NULL, NULL},
      {"check.recommended", W, S_DIST, DCT "title", NULL,
       "distribution has no dct:title, which GovData recommends"},
  };

  (void)state;
  check_case(e, N(e), w, N(w));
}

static void repeated_single_values(void **state)
{
  static const edit e[] = {
      {L_ISSUED, L_ISSUED "  dct:issued \"2020-01-16\"^^xsd:date ;\n"},
      {L_FORMAT, "  dcat:mediaType <http://www.iana.org/assignments/"
                 "media-types/text/csv> , <http://www.iana.org/"
                 "assignments/media-types/text/plain> ;\n" L_FORMAT},
  };
  static const want w[] = {
      {"check.cardinality", V, S_DS, DCT "issued", NULL,
       "dataset has 2 values of dct:issued, DCAT-AP.de allows one"},
      {"check.cardinality", V, S_DIST, DCAT "mediaType", NULL, NULL},
  };

  (void)state;
  check_case(e, N(e), w, N(w));
}

static void empty_title_is_a_violation(void **state)
{
  static const edit e[] = {
      {L_TITLE, L_TITLE "  dct:title \"\"@de ;\n"},
      {"  dct:title \"Baumkataster als CSV\" ;\n",
       "  dct:title \" \\u00A0 \" ;\n"},
  };
  static const want w[] = {
      {"check.title", V, S_DS, DCT "title", "\"\"@de",
       "dataset has an empty title"},
      {"check.title", V, S_DIST, DCT "title", "\" \xc2\xa0 \"",
       "distribution has an empty title"},
  };

  (void)state;
  check_case(e, N(e), w, N(w));
}

static void titles_in_several_languages(void **state)
{
  /* Three languages: allowed, but GovData shows one (info). A second
   * German title and a second untagged one: which to show? (warning). */
  static const edit e[] = {
      {L_TITLE, L_TITLE "  dct:title \"Tree register\"@en ;\n"
                        "  dct:title \"Registre des arbres\"@fr ;\n"
                        "  dct:title \"Bäume\"@de ;\n"},
      {"  dct:title \"Baumkataster als CSV\" ;\n",
       "  dct:title \"Baumkataster als CSV\" , \"CSV\" ;\n"},
  };
  static const want w[] = {
      {"check.title", W, S_DS, DCT "title", "\"B\xc3\xa4ume\"@de",
       "more than one title in language 'de'"},
      {"check.title", I, S_DS, DCT "title", NULL,
       "titles in 3 languages (de, en, fr)"},
      {"check.title", W, S_DIST, DCT "title", "\"CSV\"",
       "more than one title without a language tag"},
  };

  (void)state;
  check_case(e, N(e), w, N(w));
}

static void contributor_convention(void **state)
{
  static const edit none[] = {{L_CONTRIB, ""}};
  static const want w_none[] = {
      {"check.contributor", V, S_DS, DE "contributorID", NULL,
       "no dcatde:contributorID"},
  };
  static const edit two[] = {
      {L_CONTRIB, L_CONTRIB "  dcatde:contributorID <" CONTRIB
                  "berlinOpenData> ;\n"}};
  static const want w_two[] = {
      {"check.contributor", V, S_DS, DE "contributorID", NULL,
       "2 dcatde:contributorID values from the dcat-ap.de list"},
  };
  static const edit extra[] = {
      {L_CONTRIB, L_CONTRIB "  dcatde:contributorID <https://x.example/> , "
                  "\"Hamburg\" ;\n"}};
  static const want w_extra[] = {
      {"check.contributor", W, S_DS, DE "contributorID",
       "<https://x.example/>", "'https://x.example/' is not in the"},
      {"check.contributor", W, S_DS, DE "contributorID", "\"Hamburg\"",
       "is not an IRI from"},
  };
  static const edit unknown[] = {
      {L_CONTRIB, "  dcatde:contributorID <" CONTRIB "gibtEsNicht> ;\n"}};
  static const want w_unknown[] = {
      {"check.contributor", V, S_DS, DE "contributorID",
       "<" CONTRIB "gibtEsNicht>", "not in the dcat-ap.de contributor list"},
  };

  (void)state;
  check_case(none, 1, w_none, 1);
  check_case(two, 1, w_two, 1);
  check_case(extra, 1, w_extra, 2);
  check_case(unknown, 1, w_unknown, 1);
}

static void publisher_needs_a_name(void **state)
{
  static const edit none[] = {{L_PUB, ""}};
  static const want w_none[] = {
      {"check.publisher", V, S_DS, DCT "publisher", NULL,
       "dataset has no dct:publisher"},
  };
  static const edit nameless[] = {
      {L_NAME, "  foaf:mbox <mailto:gruen@musterhausen.de> .\n"}};
  static const want w_nameless[] = {
      {"check.publisher", V, S_DS, DCT "publisher",
       "<https://daten.musterhausen.de/org/gruen>",
       "publisher has no foaf:name"},
  };
  static const edit literal[] = {
      {L_PUB, "  dct:publisher \"Grünflächenamt\" ;\n"},
      {L_NAME, "  foaf:name \"Grünflächenamt Musterhausen\" .\n"
               "<https://daten.musterhausen.de/ds/1> dct:publisher "
               "<https://daten.musterhausen.de/org/fremd> .\n"}};
  static const want w_literal[] = {
      {"check.cardinality", V, S_DS, DCT "publisher", NULL, NULL},
      {"check.publisher", V, S_DS, DCT "publisher",
       "\"Gr\xc3\xbcnfl\xc3\xa4" "chenamt\"", "is a literal"},
      {"check.publisher", V, S_DS, DCT "publisher",
       "<https://daten.musterhausen.de/org/fremd>",
       "is not described in the dataset"},
  };

  (void)state;
  check_case(none, 1, w_none, 1);
  check_case(nameless, 1, w_nameless, 1);
  check_case(literal, 2, w_literal, 3);
}

static void keywords_are_text(void **state)
{
  static const edit none[] = {{L_KW, ""}};
  static const want w_none[] = {
      {"check.keyword", W, S_DS, DCAT "keyword", NULL,
       "dataset has no keyword"},
  };
  static const edit iri[] = {
      {L_KW, "  dcat:keyword <https://x.example/baum> , \" \" ;\n"}};
  static const want w_iri[] = {
      {"check.keyword", I, S_DS, DCAT "keyword", "<https://x.example/baum>",
       "is an IRI"},
      {"check.keyword", W, S_DS, DCAT "keyword", "\" \"", "empty"},
      {"check.keyword", W, S_DS, DCAT "keyword", NULL, "no keyword"},
  };

  (void)state;
  check_case(none, 1, w_none, 1);
  check_case(iri, 1, w_iri, 3);
}

static void licence_on_every_distribution(void **state)
{
  static const edit ds_only[] = {
      {L_LIC, ""},
      {L_KW, L_KW "  dct:license <" LIC "cc-by/4.0> ;\n"}};
  static const want w_ds_only[] = {
      {"check.license", V, S_DIST, DCT "license", "<" LIC "cc-by/4.0>",
       "licence 'http://dcat-ap.de/def/licenses/cc-by/4.0' is given on the "
       "dataset only"},
  };
  static const edit none[] = {{L_LIC, ""}};
  static const want w_none[] = {
      {"check.license", V, S_DIST, DCT "license", NULL,
       "distribution has no dct:license"},
  };
  static const edit bad[] = {
      {L_LIC, "  dct:license \"Meine Lizenz\" , <" LIC "other-commercial> ;"
              "\n"}};
  static const want w_bad[] = {
      {"check.cardinality", V, S_DIST, DCT "license", NULL, NULL},
      {"check.license", V, S_DIST, DCT "license", "\"Meine Lizenz\"",
       "not in the dcat-ap.de licence list"},
      {"check.license", I, S_DIST, DCT "license",
       "<" LIC "other-commercial>", "not an open licence"},
  };

  (void)state;
  check_case(ds_only, 2, w_ds_only, 1);
  check_case(none, 1, w_none, 1);
  check_case(bad, 1, w_bad, 3);
}

static void format_from_the_file_type_list(void **state)
{
  static const edit e[] = {{L_FORMAT, "  dct:format \"Zauberformat\" .\n"}};
  static const want w[] = {
      {"check.format", V, S_DIST, DCT "format", "\"Zauberformat\"",
       "format 'Zauberformat' is not in the EU file-type list"},
  };

  (void)state;
  check_case(e, 1, w, 1);
}

static void access_url_present_and_an_iri(void **state)
{
  static const edit none[] = {{L_ACCESS, ""}};
  static const want w_none[] = {
      {"check.access-url", V, S_DIST, DCAT "accessURL", NULL,
       "no dcat:accessURL"},
  };
  static const edit lit[] = {
      {L_ACCESS, "  dcat:accessURL \"https://daten.musterhausen.de/dl\" ;\n"}};
  static const want w_lit[] = {
      {"check.access-url", V, S_DIST, DCAT "accessURL",
       "\"https://daten.musterhausen.de/dl\"", "is a literal, not an IRI"},
  };

  (void)state;
  check_case(none, 1, w_none, 1);
  check_case(lit, 1, w_lit, 1);
}

static void invalid_dates(void **state)
{
  static const edit e[] = {
      {L_ISSUED, "  dct:issued \"2021-02-30\"^^xsd:date ;\n"},
      {"  dct:modified \"2021-02-03T04:05:06Z\"^^xsd:dateTime ;\n",
       "  dct:modified \"gestern\" ;\n"},
      {"dcat:startDate \"2019\"^^xsd:gYear ;",
       "dcat:startDate \"2019-13\"^^xsd:gYearMonth ;"},
      {L_FORMAT, L_FORMAT "<" DIST "> dct:issued "
                 "\"2020-02-29T25:00:00\"^^xsd:dateTime .\n"},
  };
  static const want w[] = {
      {"check.date", V, S_DS, DCT "issued", "\"2021-02-30\"^^<" XSD "date>",
       "date '2021-02-30' is not a valid xsd:date"},
      {"check.date", V, S_DS, DCT "modified", "\"gestern\"",
       "is not typed xsd:date"},
      /* The blank period of time: subject and order fixed below. */
      {"check.date", V, NULL, DCAT "startDate",
       "\"2019-13\"^^<" XSD "gYearMonth>", "not a valid xsd:gYearMonth"},
      {"check.date", V, S_DIST, DCT "issued",
       "\"2020-02-29T25:00:00\"^^<" XSD "dateTime>", NULL},
  };
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(e, N(e));
  hv_findings f;
  hv_graph g;
  want fixed[N(w)];

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  memcpy(fixed, w, sizeof(w));
  {
    size_t i, k = N(w);

    /* raptor emits the nested blank node's triples first. */
    for (i = 0; i < f.len; i++)
      if (strcmp(f.items[i].predicate, DCAT "startDate") == 0)
        k = i;
    assert_int_equal(k, 0);
    assert_true(strncmp(f.items[0].subject, "_:", 2) == 0);
    fixed[0] = w[2];
    fixed[0].subject = f.items[0].subject;
    fixed[1] = w[0];
    fixed[2] = w[1];
  }
  assert_findings(&f, fixed, N(fixed));
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

static void valid_dates_of_every_type_pass(void **state)
{
  static const char *const good[][2] = {
      {"date", "2020-02-29"},           {"date", "2021-03-04+01:00"},
      {"date", "-0044-03-15"},          {"dateTime", "2021-03-04T24:00:00"},
      {"dateTime", "2021-03-04T10:11:12.125-14:00"},
      {"gYear", "12021"},               {"gYearMonth", "2021-12Z"},
  };
  static const char *const bad[][2] = {
      {"date", "2019-02-29"},  {"date", "2021-3-04"},
      {"date", "2021-03-04T10:00:00"}, {"dateTime", "2021-03-04"},
      {"dateTime", "2021-03-04T24:00:01"}, {"dateTime", "2021-03-04T10:60:00"},
      {"gYear", "02021"},      {"gYear", "21"},
      {"date", "2021-03-04+14:01"}, {"gYearMonth", "2021-00"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < N(good) + N(bad); i++) {
    int ok = i < N(good);
    const char *const *c = ok ? good[i] : bad[i - N(good)];
    char line[256];
    edit e[1];
    hv_error err = HV_ERROR_INIT;
    char *ttl;
    hv_findings f;
    hv_graph g;

    snprintf(line, sizeof(line), "  dct:issued \"%s\"^^xsd:%s ;\n", c[1],
             c[0]);
    e[0].from = L_ISSUED;
    e[0].to = line;
    ttl = fixture(e, 1);
    hv_test_parse_turtle(&g, ttl);
    hv_findings_init(&f);
    HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
    if (f.len != (ok ? 0u : 1u))
      fail_msg("%s^^xsd:%s: %zu findings, expected %d", c[1], c[0], f.len,
               ok ? 0 : 1);
    if (!ok)
      assert_string_equal(f.items[0].rule, "check.date");
    hv_findings_fini(&f);
    hv_graph_fini(&g);
    hv_free(ttl);
  }
}

static void relative_iri_is_reported_once(void **state)
{
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(NULL, 0);
  hv_findings f;
  hv_graph g;
  hv_quad q;

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  /* Parsers resolve relative IRIs against the base; a document without
   * a usable base can still deliver one, so the graph is built here. */
  memset(&q, 0, sizeof(q));
  q.s.kind = HV_TERM_IRI;
  q.s.value = DIST;
  q.p.kind = HV_TERM_IRI;
  q.p.value = DCAT "downloadURL";
  q.o.kind = HV_TERM_IRI;
  q.o.value = "dl/baeume.csv";
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  q.p.value = "http://www.w3.org/2000/01/rdf-schema#seeAlso";
  HV_ASSERT_OK(hv_graph_add(&g, &q, &err), &err);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  {
    static const want w[] = {
        {"check.iri", V, S_DIST, DCAT "downloadURL", "<dl/baeume.csv>",
         "relative IRI 'dl/baeume.csv'"},
    };

    assert_findings(&f, w, 1);
  }
  assert_string_equal(f.items[0].message_de, "relative IRI 'dl/baeume.csv'");
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

static void graph_without_dataset(void **state)
{
  hv_error err = HV_ERROR_INIT;
  hv_findings f;
  hv_graph g;

  (void)state;
  hv_test_parse_turtle(&g, "<https://x.example/a> <" DCT
                           "title> \"kein Datensatz\" .\n");
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, NULL, &f, &err), &err);
  assert_int_equal(f.len, 1);
  assert_string_equal(f.items[0].rule, "check.dataset");
  assert_int_equal(f.items[0].severity, V);
  assert_null(f.items[0].subject);
  assert_non_null(strstr(f.items[0].message_de, "dcat:Dataset"));
  hv_findings_fini(&f);
  hv_graph_fini(&g);
}

static void standalone_distribution_and_counts(void **state)
{
  hv_error err = HV_ERROR_INIT;
  hv_findings f;
  hv_graph g;

  (void)state;
  hv_test_parse_turtle(
      &g, "@prefix dcat: <" DCAT "> .\n@prefix dct: <" DCT "> .\n"
          "_:d a dcat:Distribution ; dct:license <" LIC "other-open> .\n");
  {
    char name[128];
    size_t i;

    for (i = 0; i < g.len && g.quads[i].s.kind != HV_TERM_BLANK; i++)
      ;
    assert_true(i < g.len);
    /* The blank label is the parser's; name the node by it. No title
     * (warning), format, description (info), accessURL (violation);
     * other-open is open, so nothing on the licence. */
    snprintf(name, sizeof(name), "_:%s", g.quads[i].s.value);
    hv_findings_init(&f);
    HV_ASSERT_OK(hv_check_distribution(profile, &g, name, &f, &err), &err);
    assert_int_equal(f.len, 4);
    assert_int_equal(hv_findings_count(&f, V), 1);
    assert_int_equal(hv_findings_count(&f, W), 1);
    assert_int_equal(hv_findings_count(&f, I), 2);
    assert_string_equal(f.items[3].rule, "check.access-url");
    assert_string_equal(f.items[3].subject, name);
    hv_findings_fini(&f);
  }
  hv_graph_fini(&g);
}

static void checking_survives_every_allocation_failure(void **state)
{
  static const edit e[] = {
      {L_TITLE, "  dct:title \"\" ;\n"}, {L_PUB, ""}, {L_LIC, ""},
      {L_ISSUED, "  dct:issued \"kaputt\" ;\n"}};
  char *ttl = fixture(e, N(e));
  hv_graph g;
  long n;
  int ok = 0;

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  for (n = 0; !ok; n++) {
    hv_error err = HV_ERROR_INIT;
    hv_findings f;
    int rc;

    hv_findings_init(&f);
    HV_ASSERT_OK(hv_findings_add(&f, "earlier", I, NULL, NULL, NULL, NULL,
                                 "kept", "bleibt", &err),
                 &err);
    hv_alloc_fail_after(n);
    rc = hv_check_dataset(profile, &g, DS, &f, &err);
    hv_alloc_fail_reset();
    if (rc == 0) {
      ok = 1;
      /* empty title, publisher, licence, date, plus the earlier one. */
      assert_int_equal(f.len, 5);
    } else {
      assert_int_equal(rc, HV_ENOMEM);
      assert_int_equal(f.len, 1);
      assert_string_equal(f.items[0].rule, "earlier");
    }
    hv_findings_fini(&f);
  }
  assert_true(n > 4);
  hv_graph_fini(&g);
  hv_free(ttl);
}

/* ------------------------------------------------------------------ */
/* The index: subjects by value, predicates by full IRI, large graphs  */
/* ------------------------------------------------------------------ */

/*
 * Subjects are one node when their terms are equal, wherever their
 * strings live, and two nodes when only the text is equal. The quads of
 * an edited clean.ttl are re-added interleaved (no two neighbours share a
 * subject), every other one with the dataset IRI pointing to the very
 * string passed to the check, and a blank node whose label is the
 * dataset's IRI gets a title: none of that may change the findings.
 */
static void subjects_compared_by_value_not_storage(void **state)
{
  static const edit e[] = {
      {L_TITLE, ""}, {L_DESC, ""}, {L_ISSUED, ""},
      {"  dct:title \"Baumkataster als CSV\" ;\n", ""},
  };
  static const want w[] = {
      {"check.mandatory", V, S_DS, DCT "title", NULL, NULL},
      {"check.mandatory", V, S_DS, DCT "description", NULL, NULL},
      {"check.recommended", W, S_DS, DCT "issued", NULL, NULL},
      {"check.recommended", W, S_DIST, DCT "title", NULL, NULL},
  };
  static const char ds_iri[] = DS;
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(e, N(e));
  hv_findings f;
  hv_graph g0, g;
  hv_quad q;
  size_t i, lo, hi, shared = 0;

  (void)state;
  hv_test_parse_turtle(&g0, ttl);
  hv_graph_init(&g);
  for (i = 0, lo = 0, hi = g0.len; lo < hi; i++) {
    q = i % 2 ? g0.quads[--hi] : g0.quads[lo++];
    if (i % 4 == 0 && q.s.kind == HV_TERM_IRI &&
        strcmp(q.s.value, ds_iri) == 0) {
      q.s.value = ds_iri;
      shared++;
    }
    HV_ASSERT_OK(hv_graph_add_owned(&g, &q, &err), &err);
  }
  assert_true(shared > 0);
  memset(&q, 0, sizeof(q));
  q.s.kind = HV_TERM_BLANK;
  q.s.value = ds_iri;
  q.p.kind = HV_TERM_IRI;
  q.p.value = DCT "title";
  q.o.kind = HV_TERM_LITERAL;
  q.o.value = "Titel eines anderen Knotens";
  HV_ASSERT_OK(hv_graph_add_owned(&g, &q, &err), &err);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, ds_iri, &f, &err), &err);
  assert_findings(&f, w, N(w));
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_graph_fini(&g0);
  hv_free(ttl);
}

/* Predicates that share a prefix, a length or the last bytes with one
 * the rules know are other predicates: they neither count as the known
 * one nor are checked as dates. */
/* Counts the findings of rule in f. */
static size_t count_rule(const hv_findings *f, const char *rule)
{
  size_t i, n = 0;

  for (i = 0; i < f->len; i++)
    n += strcmp(f->items[i].rule, rule) == 0;
  return n;
}

/*
 * The mapping and the check each classify predicates by a table of their
 * own; both must take exactly hv__lex_is_date_pred's properties as
 * dates. An invalid date under each candidate predicate is kept by the
 * mapping with a map.date warning and then reported by the check.
 */
static void map_and_check_agree_on_date_properties(void **state)
{
  static const char *const candidates[] = {
      DCT "modified",        DCT "issued",
      DCAT "startDate",      DCAT "endDate",
      DCT "created",         DCT "date",
      DCAT "startDateX",     "http://example.org/vocab#modified",
  };
  size_t i, dates = 0;

  (void)state;
  for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
    char ttl[512];
    hv_error err = HV_ERROR_INIT;
    hv_graph in, out;
    hv_findings f;
    int is_date = hv__lex_is_date_pred(candidates[i]);

    snprintf(ttl, sizeof(ttl),
             "<https://x.example/ds> a <" DCAT "Dataset> ;\n"
             "  <%s> \"31.02.2020\" .\n",
             candidates[i]);
    hv_test_parse_turtle(&in, ttl);
    hv_graph_init(&out);
    hv_findings_init(&f);
    HV_ASSERT_OK(hv_map_dataset(profile, NULL, &in, "https://x.example/ds",
                                &out, &f, &err),
                 &err);
    HV_ASSERT_OK(hv_check_dataset(profile, &out, "https://x.example/ds", &f,
                                  &err),
                 &err);
    if (count_rule(&f, "map.date") != (size_t)is_date ||
        count_rule(&f, "check.date") != (size_t)is_date)
      fail_msg("%s: date property %d, map.date %zu, check.date %zu",
               candidates[i], is_date, count_rule(&f, "map.date"),
               count_rule(&f, "check.date"));
    dates += (size_t)is_date;
    hv_findings_fini(&f);
    hv_graph_fini(&out);
    hv_graph_fini(&in);
  }
  assert_int_equal(dates, 4);
}

static void unknown_predicates_near_known_ones(void **state)
{
  static const edit e[] = {
      {L_TITLE, "  dct:titleX \"Baumkataster Musterhausen\"@de ;\n"
                "  <" DCT "tiTle> \"gleich lang\" ;\n"
                "  <" DCT "titl> \"zu kurz\" ;\n"},
      {L_ISSUED, "  dct:issuedX \"kaputt\" ; dct:issue \"kaputt\" ;\n"},
      {"  dct:title \"Baumkataster als CSV\" ;\n",
       "  dct:Title \"Baumkataster als CSV\" ;\n"},
  };
  static const want w[] = {
      {"check.mandatory", V, S_DS, DCT "title", NULL,
       "dataset has no dct:title, which DCAT-AP.de requires"},
      {"check.recommended", W, S_DS, DCT "issued", NULL,
       "dataset has no dct:issued, which GovData recommends"},
      {"check.recommended", W, S_DIST, DCT "title", NULL,
       "distribution has no dct:title, which GovData recommends"},
  };
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(e, N(e));
  hv_findings f;
  hv_graph g;

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  assert_findings(&f, w, N(w));
  /* The messages of missing properties, in German too. */
  assert_string_equal(f.items[0].message_de,
                      "Datensatz hat kein dct:title, das DCAT-AP.de "
                      "vorschreibt");
  assert_string_equal(f.items[2].message_de,
                      "Distribution hat kein dct:title, das GovData "
                      "empfiehlt");
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

/* Two blank-node distributions: one described (without licence and
 * description), one not described at all. Each gets its own findings,
 * named by its own label. */
static void blank_node_distributions(void **state)
{
  static const edit e[] = {
      {"  dcat:distribution <" DIST "> .\n",
       "  dcat:distribution _:verteilung , _:leer .\n"},
      {"<" DIST "> a dcat:Distribution ;\n",
       "_:verteilung a dcat:Distribution ;\n"},
      {L_LIC, ""},
      {"  dct:description \"Eine Zeile je Baum.\" ;\n", ""},
  };
  static const struct {
    const char *rule;
    hv_severity severity;
    const char *predicate;
    int node; /* 0: _:verteilung, 1: _:leer */
  } w[] = {
      {"check.recommended", I, DCT "description", 0},
      {"check.license", V, DCT "license", 0},
      {"check.recommended", I, DCT "format", 1},
      {"check.recommended", W, DCT "title", 1},
      {"check.recommended", I, DCT "description", 1},
      {"check.access-url", V, DCAT "accessURL", 1},
      {"check.license", V, DCT "license", 1},
  };
  hv_error err = HV_ERROR_INIT;
  char *ttl = fixture(e, N(e));
  char names[2][128];
  hv_findings f;
  hv_graph g;
  size_t i, n = 0;

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  /* The parser's labels, in the order the dataset lists them. */
  for (i = 0; i < g.len && n < 2; i++)
    if (strcmp(g.quads[i].p.value, DCAT "distribution") == 0) {
      assert_int_equal(g.quads[i].o.kind, HV_TERM_BLANK);
      snprintf(names[n++], sizeof(names[0]), "_:%s", g.quads[i].o.value);
    }
  assert_int_equal(n, 2);
  assert_string_not_equal(names[0], names[1]);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  if (f.len != N(w))
    fail_msg("%zu findings, expected %zu", f.len, N(w));
  for (i = 0; i < N(w); i++) {
    assert_string_equal(f.items[i].rule, w[i].rule);
    assert_int_equal(f.items[i].severity, w[i].severity);
    assert_string_equal(f.items[i].predicate, w[i].predicate);
    assert_string_equal(f.items[i].subject, names[w[i].node]);
    assert_null(f.items[i].old_value);
  }
  hv_findings_fini(&f);
  /* The described one checked on its own: no dataset licence to fall
   * back on, so the same two findings. */
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_distribution(profile, &g, names[0], &f, &err), &err);
  assert_int_equal(f.len, 2);
  assert_string_equal(f.items[0].predicate, DCT "description");
  assert_string_equal(f.items[1].rule, "check.license");
  assert_string_equal(f.items[1].subject, names[0]);
  hv_findings_fini(&f);
  hv_graph_fini(&g);
  hv_free(ttl);
}

/*
 * A graph far larger than the index kept on the stack: 150 more
 * distributions, every fifth without a description, and a second issued
 * date and a second title given after all of them. Each distribution's
 * findings name it and only it, in the dataset's order; an allocation
 * failure (the index is on the heap now) leaves the findings as they
 * were.
 */
#define N_PARTS 150
#define PART "https://daten.musterhausen.de/teil/"

static void graph_larger_than_the_stack_index(void **state)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  char *clean = fixture(NULL, 0), *ttl;
  char subj[N_PARTS][64];
  want w[2 + N_PARTS];
  hv_error err = HV_ERROR_INIT;
  hv_findings f;
  hv_graph g;
  size_t i, n_w = 0;
  long n;
  int ok = 0;

  (void)state;
  assert_int_equal(hv_buf_addstr(&b, clean), 0);
  memset(w, 0, sizeof(w));
  w[n_w].rule = "check.cardinality";
  w[n_w].severity = V;
  w[n_w].subject = S_DS;
  w[n_w++].predicate = DCT "issued";
  for (i = 0; i < N_PARTS; i++) {
    snprintf(subj[i], sizeof(subj[i]), "<" PART "%zu>", i);
    assert_int_equal(
        hv_buf_addf(&b, S_DS " dcat:distribution %s .\n%s dct:title "
                    "\"Teil %zu\" ;\n%s  dcat:accessURL <" PART "%zu.csv> ;\n"
                    "  dct:license <" LIC "dl-by-de/2.0> ;\n"
                    "  dct:format <http://publications.europa.eu/resource/"
                    "authority/file-type/CSV> .\n",
                    subj[i], subj[i], i,
                    i % 5 ? "  dct:description \"Ein Teil.\" ;\n" : "", i),
        0);
    if (i % 5 == 0) {
      w[n_w].rule = "check.recommended";
      w[n_w].severity = I;
      w[n_w].subject = subj[i];
      w[n_w++].predicate = DCT "description";
    }
    if (i == 0) {
      w[n_w].rule = "check.title";
      w[n_w].severity = W;
      w[n_w].subject = subj[i];
      w[n_w].predicate = DCT "title";
      w[n_w++].old_value = "\"zweiter Titel\"";
    }
  }
  assert_int_equal(hv_buf_addstr(&b, S_DS " dct:issued "
                                 "\"2020-01-16\"^^xsd:date .\n<" PART
                                 "0> dct:title \"zweiter Titel\" .\n"),
                   0);
  ttl = hv_buf_detach(&b, NULL);
  hv_test_parse_turtle(&g, ttl);
  assert_true(g.len > 5 * N_PARTS);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_check_dataset(profile, &g, DS, &f, &err), &err);
  assert_findings(&f, w, n_w);
  hv_findings_fini(&f);
  for (n = 0; !ok; n++) {
    int rc;

    hv_findings_init(&f);
    HV_ASSERT_OK(hv_findings_add(&f, "earlier", I, NULL, NULL, NULL, NULL,
                                 "kept", "bleibt", &err),
                 &err);
    hv_alloc_fail_after(n);
    rc = hv_check_dataset(profile, &g, DS, &f, &err);
    hv_alloc_fail_reset();
    if (rc == 0) {
      ok = 1;
      assert_int_equal(f.len, 1 + n_w);
    } else {
      assert_int_equal(rc, HV_ENOMEM);
      assert_int_equal(f.len, 1);
    }
    hv_findings_fini(&f);
  }
  /* The index, then every finding and the scratch for its terms. */
  assert_true(n > (long)n_w);
  hv_graph_fini(&g);
  hv_free(ttl);
  hv_free(clean);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(clean_dataset_has_no_findings),
      cmocka_unit_test(missing_mandatory_and_recommended),
      cmocka_unit_test(repeated_single_values),
      cmocka_unit_test(empty_title_is_a_violation),
      cmocka_unit_test(titles_in_several_languages),
      cmocka_unit_test(contributor_convention),
      cmocka_unit_test(publisher_needs_a_name),
      cmocka_unit_test(keywords_are_text),
      cmocka_unit_test(licence_on_every_distribution),
      cmocka_unit_test(format_from_the_file_type_list),
      cmocka_unit_test(access_url_present_and_an_iri),
      cmocka_unit_test(invalid_dates),
      cmocka_unit_test(valid_dates_of_every_type_pass),
      cmocka_unit_test(relative_iri_is_reported_once),
      cmocka_unit_test(graph_without_dataset),
      cmocka_unit_test(standalone_distribution_and_counts),
      cmocka_unit_test(checking_survives_every_allocation_failure),
      cmocka_unit_test(subjects_compared_by_value_not_storage),
      cmocka_unit_test(unknown_predicates_near_known_ones),
      cmocka_unit_test(map_and_check_agree_on_date_properties),
      cmocka_unit_test(blank_node_distributions),
      cmocka_unit_test(graph_larger_than_the_stack_index),
  };

  hv_rdf_global_init();
  return cmocka_run_group_tests(tests, setup, teardown);
}
