/*
 * Unit tests for harvester/map/map.c: one tiny Turtle dataset per mapping
 * rule, mapped with the committed DCAT-AP.de profile, checked against the
 * exact triples written and the exact findings recorded (rule, old value,
 * new value); bad values are kept and reported, never dropped; the state
 * of a dataset; and mapping survives every allocation failure.
 */
#include "tools/hvtest.h"
#include "tools/profile_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/rdfparse.h"
#include "map/map.h"
#include "util/alloc.h"
#include "util/buf.h"

#define LIC "http://dcat-ap.de/def/licenses/"
#define FT "http://publications.europa.eu/resource/authority/file-type/"
#define THEME "http://publications.europa.eu/resource/authority/data-theme/"
#define CONTRIB "http://dcat-ap.de/def/contributors/"
#define DE "http://dcat-ap.de/def/dcatde/"
#define DCAT "http://www.w3.org/ns/dcat#"
#define DCT "http://purl.org/dc/terms/"
#define XSD "http://www.w3.org/2001/XMLSchema#"
#define IANA "http://www.iana.org/assignments/media-types/"
#define LANG "http://publications.europa.eu/resource/authority/language/"
#define RDFTYPE "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#define DS "https://daten.musterhausen.de/ds/1"
#define DIST "https://daten.musterhausen.de/dist/1"

#define PREFIXES                                                         \
  "@prefix dcat: <" DCAT "> .\n"                                         \
  "@prefix dct: <" DCT "> .\n"                                           \
  "@prefix dcatde: <" DE "> .\n"                                         \
  "@prefix xsd: <" XSD "> .\n"

/* The lines every fixture dataset starts with, and their output. */
#define HEAD "<" DS "> a dcat:Dataset ;\n"
#define OUT_TYPE "<" DS "> " RDFTYPE " <" DCAT "Dataset> ."
#define HAMBURG CONTRIB "transparenzportalHamburg"
#define CONTRIB_TTL "  dcatde:contributorID <" HAMBURG "> .\n"
#define OUT_CONTRIB "<" DS "> <" DE "contributorID> <" HAMBURG "> ."

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Asserts that g holds exactly the triples in expected (N-Triples lines
 * without the newline, any order). */
static void assert_triples(const hv_graph *g, const char *const *expected,
                           size_t n)
{
  char **got = hv_calloc(g->len + 1, sizeof(*got));
  char **want = hv_calloc(n + 1, sizeof(*want));
  size_t i;

  assert_non_null(got);
  assert_non_null(want);
  for (i = 0; i < g->len; i++) {
    hv_buf b = HV_BUF_INIT(1 << 20);

    assert_int_equal(hv_quad_write_nq(&b, &g->quads[i]), 0);
    b.ptr[b.len - 1] = '\0'; /* the newline */
    got[i] = hv_buf_detach(&b, NULL);
  }
  for (i = 0; i < n; i++)
    want[i] = (char *)expected[i];
  qsort(got, g->len, sizeof(*got), cmp_str);
  qsort(want, n, sizeof(*want), cmp_str);
  for (i = 0; i < g->len || i < n; i++) {
    if (i >= g->len || i >= n || strcmp(got[i], want[i]) != 0) {
      size_t k;

      for (k = 0; k < g->len; k++)
        print_message("got:  %s\n", got[k]);
      for (k = 0; k < n; k++)
        print_message("want: %s\n", want[k]);
      fail_msg("triple %zu differs", i);
    }
  }
  for (i = 0; i < g->len; i++)
    hv_free(got[i]);
  hv_free(got);
  hv_free(want);
}

/* Expected finding: NULL for old or new means "must be NULL". */
typedef struct want_finding {
  const char *rule;
  hv_severity severity;
  const char *old_value;
  const char *new_value;
  const char *message_part; /* a substring of the message, or NULL */
} want_finding;

static int str_same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_findings(const hv_findings *f, const want_finding *w,
                            size_t n)
{
  size_t i;

  for (i = 0; i < f->len || i < n; i++) {
    const hv_finding *x = i < f->len ? &f->items[i] : NULL;

    if (!x || i >= n || strcmp(x->rule, w[i].rule) != 0 ||
        x->severity != w[i].severity ||
        !str_same(x->old_value, w[i].old_value) ||
        !str_same(x->new_value, w[i].new_value) || !x->message_de ||
        (w[i].message_part && !strstr(x->message, w[i].message_part))) {
      size_t k;

      for (k = 0; k < f->len; k++)
        print_message("finding %zu: %s %s %s %s | %s -> %s | %s\n", k,
                      f->items[k].rule,
                      hv_severity_name(f->items[k].severity),
                      f->items[k].subject, f->items[k].predicate,
                      f->items[k].old_value ? f->items[k].old_value : "-",
                      f->items[k].new_value ? f->items[k].new_value : "-",
                      f->items[k].message);
      fail_msg("finding %zu differs (expected rule %s, %zu findings)", i,
               i < n ? w[i].rule : "none", n);
    }
  }
}

/* Maps ttl with profile p and checks triples and findings. */
static void check_map(const hv_profile *p, const hv_map_opts *opts,
                      const char *ttl, const char *const *triples,
                      size_t n_triples, const want_finding *findings,
                      size_t n_findings)
{
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;

  hv_test_parse_turtle(&in, ttl);
  hv_graph_init(&out);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_map_dataset(p, opts, &in, DS, &out, &f, &err), &err);
  assert_triples(&out, triples, n_triples);
  assert_findings(&f, findings, n_findings);
  hv_findings_fini(&f);
  hv_graph_fini(&out);

  /* Taking the delivered graph over must write the same triples and
   * findings, and leave the delivered graph empty. */
  hv_graph_init(&out);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_map_dataset_take(p, opts, &in, DS, &out, &f, &err), &err);
  assert_int_equal(in.len, 0);
  assert_null(in.quads);
  assert_null(in.arena.head);
  assert_triples(&out, triples, n_triples);
  assert_findings(&f, findings, n_findings);
  hv_findings_fini(&f);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Rules                                                               */
/* ------------------------------------------------------------------ */

static void namespace_variants_become_canonical(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES "@prefix v101: <http://dcat-ap.de/def/dcatde/1.0.1/> .\n"
      "@prefix v11: <https://www.dcat-ap.de/def/dcatde/1.1/> .\n"
      "@prefix v10: <http://dcat-ap.de/def/dcatde/1_0/> .\n" HEAD
      "  a v11:ExampleClass ;\n"
      "  v101:maintainer <https://daten.musterhausen.de/org> ;\n"
      "  v10:geocodingText \"Musterhausen\" ;\n"
      "  <http://dcat-ap.de/def/dcatdecontributorID> <" HAMBURG "> .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> " RDFTYPE " <" DE "ExampleClass> .",
      "<" DS "> <" DE "maintainer> <https://daten.musterhausen.de/org> .",
      "<" DS "> <" DE "geocodingDescription> \"Musterhausen\" .",
      OUT_CONTRIB,
  };
  static const want_finding findings[] = {
      {"map.namespace", HV_SEVERITY_INFO,
       "<https://www.dcat-ap.de/def/dcatde/1.1/ExampleClass>",
       "<" DE "ExampleClass>", "dcatde namespace repaired"},
      {"map.namespace", HV_SEVERITY_INFO,
       "<http://dcat-ap.de/def/dcatde/1.0.1/maintainer>", "<" DE "maintainer>",
       NULL},
      {"map.namespace", HV_SEVERITY_INFO,
       "<http://dcat-ap.de/def/dcatde/1_0/geocodingText>",
       "<" DE "geocodingText>", NULL},
      {"map.local-name", HV_SEVERITY_INFO, "<" DE "geocodingText>",
       "<" DE "geocodingDescription>", "1.0 property renamed"},
      {"map.namespace", HV_SEVERITY_INFO,
       "<http://dcat-ap.de/def/dcatdecontributorID>", "<" DE "contributorID>",
       NULL},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void iri_literals_become_iris(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD
      "  dct:language \"http://publications.europa.eu/resource/authority/"
      "language/DEU\" ;\n"
      "  dct:accessRights \"nur intern\" ;\n"
      "  dct:license \"ftp://lizenzen.example/eins\" ;\n"
      "  dcatde:contributorID \"" HAMBURG "\" ;\n"
      "  dct:description \"http://kein.iri.feld.example/\" .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "language> <http://publications.europa.eu/resource/"
      "authority/language/DEU> .",
      "<" DS "> <" DCT "accessRights> \"nur intern\" .",
      "<" DS "> <" DCT "license> \"ftp://lizenzen.example/eins\" .",
      OUT_CONTRIB,
      "<" DS "> <" DCT "description> \"http://kein.iri.feld.example/\" .",
  };
  static const want_finding findings[] = {
      {"map.literal-iri", HV_SEVERITY_INFO,
       "\"http://publications.europa.eu/resource/authority/language/DEU\"",
       "<http://publications.europa.eu/resource/authority/language/DEU>",
       "IRI given as a literal"},
      /* Not an http(s) IRI: stays a literal, and is no known licence. */
      {"map.license", HV_SEVERITY_WARNING, "\"ftp://lizenzen.example/eins\"",
       NULL, "unknown licence 'ftp://lizenzen.example/eins'"},
      {"map.literal-iri", HV_SEVERITY_INFO, "\"" HAMBURG "\"",
       "<" HAMBURG ">", NULL},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void literals_are_trimmed_of_all_spaces(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  /* U+00A0 and U+202F around the title, a tab after the keyword; the
   * doubled space inside the title stays. */
  static const char ttl[] =
      PREFIXES HEAD
      "  dct:title \"\xc2\xa0 Baumkataster  Musterhausen\xe2\x80\xaf\"@de ;\n"
      "  dcat:keyword \"Baum\\t\" ;\n"
      "  dcat:keyword \"Natur\" ;\n"
      /* Spaces of every kind inside stay; at the end, a byte-order mark
       * after a figure space and a no-break space go, while a letter
       * ending in the same continuation byte as a no-break space
       * (U+00E0, C3 A0) is kept. */
      "  dcat:keyword \"Wald\xc2\xa0und\xe2\x80\x87" "Flur\xc2\xa0\xe2\x80\x87"
      "\xef\xbb\xbf\" ;\n"
      "  dcat:keyword \"voil\xc3\xa0\" ;\n"
      "  dcat:keyword \" \" ;\n" CONTRIB_TTL;
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "title> \"Baumkataster  Musterhausen\"@de .",
      "<" DS "> <" DCAT "keyword> \"Baum\" .",
      "<" DS "> <" DCAT "keyword> \"Natur\" .",
      "<" DS "> <" DCAT "keyword> \"Wald\xc2\xa0und\xe2\x80\x87" "Flur\" .",
      "<" DS "> <" DCAT "keyword> \"voil\xc3\xa0\" .",
      "<" DS "> <" DCAT "keyword> \"\" .",
      OUT_CONTRIB,
  };
  static const want_finding findings[] = {
      {"map.whitespace", HV_SEVERITY_INFO,
       "\"\xc2\xa0 Baumkataster  Musterhausen\xe2\x80\xaf\"@de",
       "\"Baumkataster  Musterhausen\"@de", "white space trimmed"},
      {"map.whitespace", HV_SEVERITY_INFO, "\"Baum\\t\"", "\"Baum\"", NULL},
      {"map.whitespace", HV_SEVERITY_INFO,
       "\"Wald\xc2\xa0und\xe2\x80\x87" "Flur\xc2\xa0\xe2\x80\x87\xef\xbb\xbf\"",
       "\"Wald\xc2\xa0und\xe2\x80\x87" "Flur\"", NULL},
      {"map.whitespace", HV_SEVERITY_INFO, "\" \"", "\"\"", NULL},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void licences_themes_formats_use_vocabulary_iris(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD
      "  dct:license \" dl-by-de/2.0\" ;\n"
      "  dcat:theme \"bildung_wissenschaft\" ;\n"
      "  dcat:theme <" THEME "ENVI> ;\n"
      "  dcat:distribution <" DIST "> ;\n" CONTRIB_TTL
      "<" DIST "> a dcat:Distribution ;\n"
      "  dct:license <" LIC "dl-by-de/2_0> ;\n"
      "  dct:license <https://www.dcat-ap.de/def/licenses/cc-zero> ;\n"
      "  dct:format \"text/csv\" ;\n"
      "  dcat:mediaType \"text/csv\" .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "license> <" LIC "dl-by-de/2.0> .",
      "<" DS "> <" DCAT "theme> <" THEME "EDUC> .",
      "<" DS "> <" DCAT "theme> <" THEME "TECH> .",
      "<" DS "> <" DCAT "theme> <" THEME "ENVI> .",
      "<" DS "> <" DCAT "distribution> <" DIST "> .",
      OUT_CONTRIB,
      "<" DIST "> " RDFTYPE " <" DCAT "Distribution> .",
      "<" DIST "> <" DCT "license> <" LIC "dl-by-de/2.0> .",
      "<" DIST "> <" DCT "license> <" LIC "cc-zero> .",
      "<" DIST "> <" DCT "format> <" FT "CSV> .",
      "<" DIST "> <" DCAT "mediaType> <" IANA "text/csv> .",
  };
  static const want_finding findings[] = {
      {"map.whitespace", HV_SEVERITY_INFO, "\" dl-by-de/2.0\"",
       "\"dl-by-de/2.0\"", NULL},
      {"map.license", HV_SEVERITY_INFO, "\"dl-by-de/2.0\"",
       "<" LIC "dl-by-de/2.0>", "licence mapped to the vocabulary"},
      {"map.theme", HV_SEVERITY_INFO, "\"bildung_wissenschaft\"",
       "<" THEME "EDUC>", NULL},
      {"map.theme", HV_SEVERITY_INFO, "\"bildung_wissenschaft\"",
       "<" THEME "TECH>", NULL},
      {"map.license", HV_SEVERITY_INFO, "<" LIC "dl-by-de/2_0>",
       "<" LIC "dl-by-de/2.0>", NULL},
      /* The vocabulary on its web host. */
      {"map.license", HV_SEVERITY_INFO,
       "<https://www.dcat-ap.de/def/licenses/cc-zero>", "<" LIC "cc-zero>",
       NULL},
      {"map.format", HV_SEVERITY_INFO, "\"text/csv\"", "<" FT "CSV>", NULL},
      {"map.media-type", HV_SEVERITY_INFO, "\"text/csv\"",
       "<" IANA "text/csv>", "media type as IANA IRI: 'text/csv'"},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void unknown_values_stay_with_a_warning(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD
      "  dct:license \"Meine eigene Lizenz\" ;\n"
      "  dcat:theme \"Sternenkunde\" ;\n"
      "  dcat:distribution <" DIST "> ;\n" CONTRIB_TTL
      "<" DIST "> dct:format \"Zauberformat\" .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "license> \"Meine eigene Lizenz\" .",
      "<" DS "> <" DCAT "theme> \"Sternenkunde\" .",
      "<" DS "> <" DCAT "distribution> <" DIST "> .",
      OUT_CONTRIB,
      "<" DIST "> <" DCT "format> \"Zauberformat\" .",
  };
  static const want_finding findings[] = {
      {"map.license", HV_SEVERITY_WARNING, "\"Meine eigene Lizenz\"", NULL,
       "unknown licence 'Meine eigene Lizenz'"},
      {"map.theme", HV_SEVERITY_WARNING, "\"Sternenkunde\"", NULL,
       "unknown theme 'Sternenkunde'"},
      {"map.format", HV_SEVERITY_WARNING, "\"Zauberformat\"", NULL,
       "unknown format 'Zauberformat'"},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void dates_are_typed_and_bad_ones_reported(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD
      "  dct:modified \"2021-03-04\" ;\n"
      "  dct:issued \"4.3.2021\" ;\n"
      "  dct:temporal [ dcat:startDate \"2021-03-04T10:11:12.5+01:00\" ;\n"
      "                 dcat:endDate \"2021-02-30\" ] ;\n"
      "  dct:created \"4.3.2021\" .\n"
      "<https://daten.musterhausen.de/ds/2>\n"
      "  dct:modified \"2020-02-29\"^^xsd:date ;\n"
      "  dct:issued \"2020-02-29\"^^xsd:dateTime ;\n"
      "  dcat:startDate \"2019\"^^xsd:gYear ;\n"
      "  dcat:endDate \"2019-02-29\"@de .\n"
      "<" DS "> dcatde:contributorID <" HAMBURG "> .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "modified> \"2021-03-04\"^^<" XSD "date> .",
      "<" DS "> <" DCT "issued> \"2021-03-04\"^^<" XSD "date> .",
      "<" DS "> <" DCT "temporal> _:b0 .",
      "_:b0 <" DCAT "startDate> \"2021-03-04T10:11:12.5+01:00\"^^<" XSD
      "dateTime> .",
      "_:b0 <" DCAT "endDate> \"2021-02-30\" .",
      /* Not one of the date properties: untouched. */
      "<" DS "> <" DCT "created> \"4.3.2021\" .",
      "<https://daten.musterhausen.de/ds/2> <" DCT "modified> \"2020-02-29\""
      "^^<" XSD "date> .",
      "<https://daten.musterhausen.de/ds/2> <" DCT "issued> \"2020-02-29\""
      "^^<" XSD "date> .",
      "<https://daten.musterhausen.de/ds/2> <" DCAT "startDate> \"2019\""
      "^^<" XSD "gYear> .",
      "<https://daten.musterhausen.de/ds/2> <" DCAT "endDate> \"2019-02-29\""
      "@de .",
      OUT_CONTRIB,
  };
  static const want_finding findings[] = {
  /* raptor emits the nested blank node's triples first. */
      {"map.date", HV_SEVERITY_INFO, "\"2021-03-04T10:11:12.5+01:00\"",
       "\"2021-03-04T10:11:12.5+01:00\"^^<" XSD "dateTime>", "xsd:dateTime"},
      {"map.date", HV_SEVERITY_WARNING, "\"2021-02-30\"", NULL,
       "invalid date '2021-02-30'"},
      {"map.date", HV_SEVERITY_INFO, "\"2021-03-04\"",
       "\"2021-03-04\"^^<" XSD "date>", "xsd:date"},
      {"map.date", HV_SEVERITY_INFO, "\"4.3.2021\"",
       "\"2021-03-04\"^^<" XSD "date>", NULL},
      {"map.date", HV_SEVERITY_INFO, "\"2020-02-29\"^^<" XSD "dateTime>",
       "\"2020-02-29\"^^<" XSD "date>", NULL},
      {"map.date", HV_SEVERITY_WARNING, "\"2019-02-29\"@de", NULL,
       "invalid date"},
  };
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;
  size_t i;

  (void)state;
  /* The blank node label is raptor's; read it back for the expectation. */
  hv_test_parse_turtle(&in, ttl);
  hv_graph_init(&out);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_map_dataset(p, NULL, &in, DS, &out, &f, &err), &err);
  for (i = 0; i < out.len; i++)
    if (out.quads[i].s.kind == HV_TERM_BLANK)
      break;
  assert_true(i < out.len);
  {
    char *fixed[N(triples)];
    size_t k;

    for (k = 0; k < N(triples); k++) {
      hv_buf b = HV_BUF_INIT(4096);
      const char *t = triples[k], *at;

      while ((at = strstr(t, "_:b0")) != NULL) {
        assert_int_equal(hv_buf_add(&b, t, (size_t)(at - t)), 0);
        assert_int_equal(hv_buf_addf(&b, "_:%s", out.quads[i].s.value), 0);
        t = at + 4;
      }
      assert_int_equal(hv_buf_addstr(&b, t), 0);
      fixed[k] = hv_buf_detach(&b, NULL);
    }
    assert_triples(&out, (const char *const *)fixed, N(triples));
    for (k = 0; k < N(triples); k++)
      hv_free(fixed[k]);
  }
  assert_findings(&f, findings, N(findings));
  hv_findings_fini(&f);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

static void missing_contributor_gets_the_sources_default(void **state)
{
  hv_profile *plain = hv_test_profile_load(NULL);
  hv_profile *src =
      hv_test_profile_load("default contributor " CONTRIB "berlinOpenData\n");
  hv_map_opts opts = HV_MAP_OPTS_INIT;
  static const char ttl[] = PREFIXES HEAD "  dct:title \"Ohne\" .\n";
  static const char *const with_berlin[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "title> \"Ohne\" .",
      "<" DS "> <" DE "contributorID> <" CONTRIB "berlinOpenData> .",
  };
  static const char *const with_nrw[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "title> \"Ohne\" .",
      "<" DS "> <" DE "contributorID> <" CONTRIB "openNRW> .",
  };
  static const char *const unchanged[] = {
      OUT_TYPE,
      "<" DS "> <" DCT "title> \"Ohne\" .",
  };
  static const want_finding added_berlin[] = {
      {"map.contributor", HV_SEVERITY_INFO, NULL,
       "<" CONTRIB "berlinOpenData>", "default contributorID"},
  };
  static const want_finding added_nrw[] = {
      {"map.contributor", HV_SEVERITY_INFO, NULL, "<" CONTRIB "openNRW>",
       NULL},
  };
  static const want_finding none[] = {
      {"map.contributor", HV_SEVERITY_WARNING, NULL, NULL,
       "no dcatde:contributorID and the source sets no default"},
  };

  (void)state;
  check_map(src, NULL, ttl, with_berlin, N(with_berlin), added_berlin, 1);
  /* The caller's default wins over the source file's. */
  opts.default_contributor = CONTRIB "openNRW";
  check_map(src, &opts, ttl, with_nrw, N(with_nrw), added_nrw, 1);
  check_map(plain, NULL, ttl, unchanged, N(unchanged), none, 1);
  hv_profile_free(src);
  hv_profile_free(plain);
}

static void two_contributors_are_kept_with_a_warning(void **state)
{
  hv_profile *p =
      hv_test_profile_load("default contributor " CONTRIB "openNRW\n");
  /* The same value twice (once in an old namespace) counts once. */
  static const char ttl[] =
      PREFIXES HEAD "  dcatde:contributorID <" HAMBURG "> ;\n"
      "  <http://dcat-ap.de/def/dcatde/1.0/contributorID> <" HAMBURG "> ;\n"
      "  dcatde:contributorID <" CONTRIB "berlinOpenData> .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      OUT_CONTRIB,
      OUT_CONTRIB,
      "<" DS "> <" DE "contributorID> <" CONTRIB "berlinOpenData> .",
  };
  static const want_finding findings[] = {
      {"map.namespace", HV_SEVERITY_INFO,
       "<http://dcat-ap.de/def/dcatde/1.0/contributorID>",
       "<" DE "contributorID>", NULL},
      {"map.contributor", HV_SEVERITY_WARNING,
       "<" HAMBURG "> <" CONTRIB "berlinOpenData>", NULL,
       "dataset has 2 different dcatde:contributorID values"},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void source_drops_remove_triples(void **state)
{
  hv_profile *p = hv_test_profile_load("drop " DCT "provenance\n"
                                       "drop " DE "maintainer\n");
  static const char ttl[] =
      PREFIXES HEAD "  dct:provenance \"intern\" ;\n"
      "  <http://dcat-ap.de/def/dcatde/1.0.1/maintainer> <https://x.example/> ;"
      "\n" CONTRIB_TTL;
  static const char *const triples[] = {OUT_TYPE, OUT_CONTRIB};
  static const want_finding findings[] = {
      {"map.drop", HV_SEVERITY_INFO, "\"intern\"", NULL,
       "dropped by the source profile"},
      {"map.drop", HV_SEVERITY_INFO, "<https://x.example/>", NULL, NULL},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void findings_name_subject_and_predicate(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD CONTRIB_TTL "<" DIST "> dct:license \"Unbekannt\" .\n";
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;

  (void)state;
  hv_test_parse_turtle(&in, ttl);
  hv_graph_init(&out);
  hv_findings_init(&f);
  /* Without an IRI the dcat:Dataset node is found by its type. */
  HV_ASSERT_OK(hv_map_dataset(p, NULL, &in, NULL, &out, &f, &err), &err);
  assert_int_equal(f.len, 1);
  assert_string_equal(f.items[0].subject, "<" DIST ">");
  assert_string_equal(f.items[0].predicate, DCT "license");
  assert_string_equal(hv_severity_name(f.items[0].severity), "warning");
  assert_int_equal(out.len, in.len);
  hv_findings_fini(&f);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

static void wrong_options_version_is_refused(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  hv_map_opts opts = HV_MAP_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;

  (void)state;
  hv_test_parse_turtle(&in, PREFIXES HEAD CONTRIB_TTL);
  hv_graph_init(&out);
  hv_findings_init(&f);
  opts.version = 99;
  assert_int_equal(hv_map_dataset(p, &opts, &in, DS, &out, &f, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "options version 99"));
  assert_int_equal(out.len, 0);
  assert_int_equal(f.len, 0);
  hv_findings_fini(&f);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

static void state_from_contributor_or_geocoding(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  hv_graph g;
  static const char ttl[] =
      PREFIXES
      "<https://a.example/1> dcatde:contributorID <" CONTRIB "openNRW> ;\n"
      "  dct:spatial <http://dcat-ap.de/def/politicalGeocoding/stateKey/02> "
      ".\n"
      "<https://a.example/2> dct:spatial "
      "<http://dcat-ap.de/def/politicalGeocoding/municipalityKey/09162000> ;"
      "\n  dcatde:politicalGeocodingURI "
      "<http://dcat-ap.de/def/politicalGeocoding/districtKey/09162> .\n"
      "<https://a.example/3> dct:spatial "
      "<http://dcat-ap.de/def/politicalGeocoding/stateKey/02> ;\n"
      "  dct:spatial "
      "<http://dcat-ap.de/def/politicalGeocoding/stateKey/03> .\n"
      "<https://a.example/4> dct:title \"nichts\" .\n";

  (void)state;
  hv_test_parse_turtle(&g, ttl);
  /* The contributor wins over geocoding. */
  assert_string_equal(hv_map_state(p, &g, "https://a.example/1"), "05");
  assert_string_equal(hv_map_state(p, &g, "https://a.example/2"), "09");
  /* Two states: none is the dataset's. */
  assert_null(hv_map_state(p, &g, "https://a.example/3"));
  assert_null(hv_map_state(p, &g, "https://a.example/4"));
  hv_graph_fini(&g);
  hv_profile_free(p);
}

static void media_types_become_iana_iris(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD CONTRIB_TTL
      "<" DIST "> dcat:mediaType \"Text/CSV; charset=UTF-8\" .\n"
      "<https://daten.musterhausen.de/dist/2> dcat:mediaType \"CSV\" .\n"
      "<https://daten.musterhausen.de/dist/3> dcat:mediaType "
      "<https://www.iana.org/assignments/media-types/application/json> .\n"
      "<https://daten.musterhausen.de/dist/4> dcat:mediaType "
      "<" IANA "text/csv> .\n"
      "<https://daten.musterhausen.de/dist/5> dcat:mediaType \"XML\" .\n"
      "<https://daten.musterhausen.de/dist/6> dcat:mediaType "
      "\"Tabelle\" .\n"
      "<https://daten.musterhausen.de/dist/7> dcat:mediaType "
      "\"chemical/x-pdb\" .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      OUT_CONTRIB,
      "<" DIST "> <" DCAT "mediaType> <" IANA "text/csv> .",
      "<https://daten.musterhausen.de/dist/2> <" DCAT "mediaType> <" IANA
      "text/csv> .",
      "<https://daten.musterhausen.de/dist/3> <" DCAT "mediaType> <" IANA
      "application/json> .",
      "<https://daten.musterhausen.de/dist/4> <" DCAT "mediaType> <" IANA
      "text/csv> .",
      "<https://daten.musterhausen.de/dist/5> <" DCAT "mediaType> \"XML\" .",
      "<https://daten.musterhausen.de/dist/6> <" DCAT "mediaType> "
      "\"Tabelle\" .",
      "<https://daten.musterhausen.de/dist/7> <" DCAT "mediaType> "
      "\"chemical/x-pdb\" .",
  };
  static const want_finding findings[] = {
      {"map.media-type", HV_SEVERITY_INFO, "\"Text/CSV; charset=UTF-8\"",
       "<" IANA "text/csv>", NULL},
      /* Through the file-type table: CSV has one media type. */
      {"map.media-type", HV_SEVERITY_INFO, "\"CSV\"", "<" IANA "text/csv>",
       NULL},
      {"map.media-type", HV_SEVERITY_INFO,
       "<https://www.iana.org/assignments/media-types/application/json>",
       "<" IANA "application/json>", NULL},
      /* XML has two (application/xml, text/xml): no guess. */
      {"map.media-type", HV_SEVERITY_WARNING, "\"XML\"", NULL,
       "file type has no single media type: 'XML'"},
      {"map.media-type", HV_SEVERITY_WARNING, "\"Tabelle\"", NULL,
       "unknown media type 'Tabelle'"},
      /* Not a registered top-level type. */
      {"map.media-type", HV_SEVERITY_WARNING, "\"chemical/x-pdb\"", NULL,
       "unknown media type"},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

static void languages_become_eu_authority_iris(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES HEAD CONTRIB_TTL
      "<https://a.example/1> dct:language \"de\" , \"ger\" , \"Deutsch\" , "
      "\"de-DE\" .\n"
      "<https://a.example/2> dct:language \"German\" , \"ENG\" , \"fr_FR\" "
      ", <" LANG "DEU> .\n"
      "<https://a.example/3> dct:language "
      "<http://publications.europa.eu/resource/authority/language/deu> , "
      "\"Klingonisch\" , \"xx-YY\" .\n";
  static const char *const triples[] = {
      OUT_TYPE,
      OUT_CONTRIB,
      "<https://a.example/1> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/1> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/1> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/1> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/2> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/2> <" DCT "language> <" LANG "ENG> .",
      "<https://a.example/2> <" DCT "language> <" LANG "FRA> .",
      "<https://a.example/2> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/3> <" DCT "language> <" LANG "DEU> .",
      "<https://a.example/3> <" DCT "language> \"Klingonisch\" .",
      "<https://a.example/3> <" DCT "language> \"xx-YY\" .",
  };
  static const want_finding findings[] = {
      {"map.language", HV_SEVERITY_INFO, "\"de\"", "<" LANG "DEU>",
       "language mapped to the vocabulary: 'de'"},
      {"map.language", HV_SEVERITY_INFO, "\"ger\"", "<" LANG "DEU>", NULL},
      {"map.language", HV_SEVERITY_INFO, "\"Deutsch\"", "<" LANG "DEU>",
       NULL},
      {"map.language", HV_SEVERITY_INFO, "\"de-DE\"", "<" LANG "DEU>", NULL},
      {"map.language", HV_SEVERITY_INFO, "\"German\"", "<" LANG "DEU>",
       NULL},
      {"map.language", HV_SEVERITY_INFO, "\"ENG\"", "<" LANG "ENG>", NULL},
      {"map.language", HV_SEVERITY_INFO, "\"fr_FR\"", "<" LANG "FRA>", NULL},
      {"map.language", HV_SEVERITY_INFO,
       "<http://publications.europa.eu/resource/authority/language/deu>",
       "<" LANG "DEU>", NULL},
      {"map.language", HV_SEVERITY_WARNING, "\"Klingonisch\"", NULL,
       "unknown language 'Klingonisch'"},
      {"map.language", HV_SEVERITY_WARNING, "\"xx-YY\"", NULL, NULL},
  };

  (void)state;
  check_map(p, NULL, ttl, triples, N(triples), findings, N(findings));
  hv_profile_free(p);
}

/* Adds <DS> dct:title "value"@lang to g, bypassing the parser's own
 * checks on the tag (RDF/XML lets "de_DE" through). */
static void add_title(hv_graph *g, const char *value, const char *lang)
{
  hv_error err = HV_ERROR_INIT;
  hv_quad q;

  memset(&q, 0, sizeof(q));
  q.s.kind = HV_TERM_IRI;
  q.s.value = DS;
  q.p.kind = HV_TERM_IRI;
  q.p.value = DCT "title";
  q.o.kind = HV_TERM_LITERAL;
  q.o.value = value;
  q.o.lang = lang;
  HV_ASSERT_OK(hv_graph_add(g, &q, &err), &err);
}

static void language_tags_are_normalised(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char *const triples[] = {
      OUT_TYPE,
      OUT_CONTRIB,
      "<" DS "> <" DCT "title> \"a\"@de .",
      "<" DS "> <" DCT "title> \"b\"@de-DE .",
      "<" DS "> <" DCT "title> \"c\"@de-AT .",
      "<" DS "> <" DCT "title> \"d\"@sr-Latn-RS .",
      "<" DS "> <" DCT "title> \"e\"@en-GB .",
      "<" DS "> <" DCT "title> \"f\"@de DE .",
  };
  static const want_finding findings[] = {
      {"map.lang-tag", HV_SEVERITY_INFO, "\"a\"@DE", "\"a\"@de",
       "language tag normalised: 'DE'"},
      {"map.lang-tag", HV_SEVERITY_INFO, "\"b\"@de_DE", "\"b\"@de-DE", NULL},
      {"map.lang-tag", HV_SEVERITY_INFO, "\"c\"@DE-at", "\"c\"@de-AT", NULL},
      {"map.lang-tag", HV_SEVERITY_INFO, "\"d\"@SR-LATN-rs",
       "\"d\"@sr-Latn-RS", NULL},
      {"map.lang-tag", HV_SEVERITY_WARNING, "\"f\"@de DE", NULL,
       "invalid language tag 'de DE'"},
  };
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;

  (void)state;
  hv_test_parse_turtle(&in, PREFIXES HEAD CONTRIB_TTL);
  add_title(&in, "a", "DE");
  add_title(&in, "b", "de_DE");
  add_title(&in, "c", "DE-at");
  add_title(&in, "d", "SR-LATN-rs");
  add_title(&in, "e", "en-GB");
  add_title(&in, "f", "de DE");
  hv_graph_init(&out);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_map_dataset(p, NULL, &in, DS, &out, &f, &err), &err);
  assert_triples(&out, triples, N(triples));
  assert_findings(&f, findings, N(findings));
  assert_string_equal(f.items[1].message_de,
                      "Sprachkennzeichen vereinheitlicht: 'de_DE'");
  hv_findings_fini(&f);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

static void every_finding_speaks_german_too(void **state)
{
  hv_profile *p = hv_test_profile_load("drop " DCT "provenance\n");
  static const char ttl[] =
      PREFIXES "@prefix v101: <http://dcat-ap.de/def/dcatde/1.0.1/> .\n" HEAD
      "  dct:provenance \"intern\" ;\n"
      "  v101:geocodingText \" Musterhausen\" ;\n"
      "  dct:license \"Meine Lizenz\" , \"CC BY 4.0\" ;\n"
      "  dcat:theme \"Sternenkunde\" , \"bildung_wissenschaft\" ;\n"
      "  dct:modified \"kaputt\" , \"01.02.2020\" ;\n"
      "  dct:language \"de\" , \"Klingonisch\" ;\n"
      "  dcatde:contributorID \"" HAMBURG "\" , <" CONTRIB "openNRW> ;\n"
      "  dcat:distribution [ dct:format \"CSV\" , \"Zauber\" ;\n"
      "    dcat:mediaType \"text/csv\" , \"Tabelle\" ] .\n";
  static const char *const de_parts[] = {
      "Quellprofil", "Namensraum repariert", "umbenannt", "Leerraum",
      "Lizenz", "Kategorie", "Datum", "Sprache", "IRI als Literal",
      "Format", "Medientyp", "verschiedene dcatde:contributorID",
  };
  hv_error err = HV_ERROR_INIT;
  hv_graph in, out;
  hv_findings f;
  size_t i, k;

  (void)state;
  hv_test_parse_turtle(&in, ttl);
  hv_graph_init(&out);
  hv_findings_init(&f);
  HV_ASSERT_OK(hv_map_dataset(p, NULL, &in, DS, &out, &f, &err), &err);
  assert_true(f.len >= N(de_parts));
  for (i = 0; i < f.len; i++) {
    assert_non_null(f.items[i].message_de);
    assert_true(strcmp(f.items[i].message_de, f.items[i].message) != 0);
  }
  for (k = 0; k < N(de_parts); k++) {
    for (i = 0; i < f.len; i++)
      if (strstr(f.items[i].message_de, de_parts[k]))
        break;
    if (i == f.len)
      fail_msg("no German message mentions '%s'", de_parts[k]);
  }
  hv_findings_fini(&f);
  hv_graph_fini(&out);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

static void mapping_survives_every_allocation_failure(void **state)
{
  hv_profile *p = hv_test_profile_load(NULL);
  static const char ttl[] =
      PREFIXES "@prefix v101: <http://dcat-ap.de/def/dcatde/1.0.1/> .\n" HEAD
      "  dct:title \" Titel \" ;\n"
      "  dct:license \"CC BY 4.0\" ;\n"
      "  dcat:theme \"bildung_wissenschaft\" ;\n"
      "  dct:modified \"01.02.2020\" ;\n"
      "  dct:issued \"kaputt\" ;\n"
      "  v101:maintainer <https://x.example/> ;\n"
      "  dcat:distribution [ dct:format \"CSV\" ] .\n";
  hv_graph in;
  long n;
  int ok = 0;
  size_t full = 0;

  (void)state;
  hv_test_parse_turtle(&in, ttl);
  for (n = 0; !ok; n++) {
    hv_error err = HV_ERROR_INIT;
    hv_map_opts opts = HV_MAP_OPTS_INIT;
    hv_graph out;
    hv_findings f;
    int rc;

    opts.default_contributor = CONTRIB "openNRW";
    hv_graph_init(&out);
    hv_findings_init(&f);
    /* One finding from before the call must survive a failure. */
    HV_ASSERT_OK(hv_findings_add(&f, "earlier", HV_SEVERITY_INFO, NULL, NULL,
                                 NULL, NULL, "kept", "bleibt", &err),
                 &err);
    hv_alloc_fail_after(n);
    rc = hv_map_dataset(p, &opts, &in, DS, &out, &f, &err);
    hv_alloc_fail_reset();
    if (rc == 0) {
      ok = 1;
      full = f.len;
      assert_int_equal(out.len, in.len + 2); /* two themes, contributor */
    } else {
      assert_int_equal(rc, HV_ENOMEM);
      assert_int_equal(out.len, 0);
      assert_int_equal(f.len, 1);
      assert_string_equal(f.items[0].rule, "earlier");
    }
    hv_findings_fini(&f);
    hv_graph_fini(&out);
  }
  /* whitespace, licence, 2 themes, 2 dates, namespace, format,
   * contributor, plus the earlier one. */
  assert_int_equal(full, 10);
  assert_true(n > 10);

  /* The same for the variant that takes the delivered graph over: a
   * failure leaves both graphs empty and frees everything once. */
  for (ok = 0, n = 0; !ok; n++) {
    hv_error err = HV_ERROR_INIT;
    hv_map_opts opts = HV_MAP_OPTS_INIT;
    hv_graph taken, out;
    hv_findings f;
    size_t delivered;
    int rc;

    opts.default_contributor = CONTRIB "openNRW";
    hv_test_parse_turtle(&taken, ttl);
    delivered = taken.len;
    hv_graph_init(&out);
    hv_findings_init(&f);
    hv_alloc_fail_after(n);
    rc = hv_map_dataset_take(p, &opts, &taken, DS, &out, &f, &err);
    hv_alloc_fail_reset();
    assert_int_equal(taken.len, 0);
    assert_null(taken.arena.head);
    if (rc == 0) {
      ok = 1;
      assert_int_equal(f.len, full - 1);
      assert_int_equal(out.len, delivered + 2);
    } else {
      assert_int_equal(rc, HV_ENOMEM);
      assert_int_equal(out.len, 0);
      assert_null(out.arena.head);
      assert_int_equal(f.len, 0);
    }
    hv_findings_fini(&f);
    hv_graph_fini(&out);
    hv_graph_fini(&taken);
  }
  assert_true(n > 10);
  hv_graph_fini(&in);
  hv_profile_free(p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(namespace_variants_become_canonical),
      cmocka_unit_test(iri_literals_become_iris),
      cmocka_unit_test(literals_are_trimmed_of_all_spaces),
      cmocka_unit_test(licences_themes_formats_use_vocabulary_iris),
      cmocka_unit_test(unknown_values_stay_with_a_warning),
      cmocka_unit_test(dates_are_typed_and_bad_ones_reported),
      cmocka_unit_test(missing_contributor_gets_the_sources_default),
      cmocka_unit_test(two_contributors_are_kept_with_a_warning),
      cmocka_unit_test(source_drops_remove_triples),
      cmocka_unit_test(findings_name_subject_and_predicate),
      cmocka_unit_test(wrong_options_version_is_refused),
      cmocka_unit_test(state_from_contributor_or_geocoding),
      cmocka_unit_test(media_types_become_iana_iris),
      cmocka_unit_test(languages_become_eu_authority_iris),
      cmocka_unit_test(language_tags_are_normalised),
      cmocka_unit_test(every_finding_speaks_german_too),
      cmocka_unit_test(mapping_survives_every_allocation_failure),
  };

  hv_rdf_global_init();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
