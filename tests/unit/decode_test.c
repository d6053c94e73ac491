/*
 * Unit tests for harvester/decode/page.c: syntax choice, Hydra paging,
 * splitting pages into datasets, recovery from prose before the Turtle,
 * XML entity attacks and allocation failures. Pages come from
 * tests/fixtures/decode or are built inline where a case needs one line.
 */
#include "tools/hvtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "decode/page.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"

#define FIXTURE(name) HV_FIXTURES_DIR "/decode/" name
#define MH "https://daten.musterhausen.de/"
#define BL "https://opendata.beispielland.de/"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char *load(const char *path, size_t *len)
{
  char *body = hv_test_read_file(path, len);

  if (!body)
    fail_msg("cannot read fixture %s", path);
  return body;
}

/* Decodes a fixture file; returns the decode result code. */
static int decode_file(hv_page *page, const char *path, const char *ct,
                       const char *url, hv_error *err)
{
  size_t len;
  char *body = load(path, &len);
  int rc = hv_page_decode(page, body, len, ct, NULL, url, err);

  hv_free(body);
  return rc;
}

static int decode_str(hv_page *page, const char *body, const char *ct,
                      const char *url, hv_error *err)
{
  return hv_page_decode(page, body, strlen(body), ct, NULL, url, err);
}

/* Returns the first quad with subject s (any if NULL) and predicate p. */
static const hv_quad *find_quad(const hv_graph *g, const char *s,
                                const char *p)
{
  size_t i;

  for (i = 0; i < g->len; i++)
    if ((!s || strcmp(g->quads[i].s.value, s) == 0) &&
        strcmp(g->quads[i].p.value, p) == 0)
      return &g->quads[i];
  return NULL;
}

/* Returns 1 if any subject or object of g contains text. */
static int graph_mentions(const hv_graph *g, const char *text)
{
  size_t i;

  for (i = 0; i < g->len; i++)
    if (strstr(g->quads[i].s.value, text) ||
        strstr(g->quads[i].o.value, text))
      return 1;
  return 0;
}

static const hv_dataset_graph *dataset_by_key(const hv_page *page,
                                              const char *key)
{
  size_t i;

  for (i = 0; i < page->n_datasets; i++)
    if (strcmp(page->datasets[i].key, key) == 0)
      return &page->datasets[i];
  fail_msg("no dataset with key %s", key);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Syntax choice                                                       */
/* ------------------------------------------------------------------ */

typedef struct syntax_case {
  const char *body;
  size_t len; /* 0: strlen(body) */
  const char *content_type;
  const char *hint;
  const char *want;    /* parser name, or NULL for an error */
  const char *message; /* substring of the error message */
} syntax_case;

#define XMLDOC "<?xml version=\"1.0\"?>\n<rdf:RDF/>"
#define TTLDOC "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
#define NTDOC "<http://a.example/s> <http://a.example/p> \"o\" .\n"

static const syntax_case syntax_cases[] = {
    /* The hint wins over the type and the bytes. */
    {XMLDOC, 0, "application/rdf+xml", "turtle", "turtle", NULL},
    {TTLDOC, 0, "text/turtle", "rdfxml", "rdfxml", NULL},
    {TTLDOC, 0, NULL, "ntriples", "ntriples", NULL},
    {TTLDOC, 0, NULL, "RDFXML", "rdfxml", NULL},
    {TTLDOC, 0, NULL, "json-ld", NULL, "unknown format hint 'json-ld'"},
    /* The Content-Type, parameters and case ignored. */
    {TTLDOC, 0, "text/turtle; charset=utf-8", NULL, "turtle", NULL},
    {TTLDOC, 0, "application/x-turtle", NULL, "turtle", NULL},
    {XMLDOC, 0, "Application/RDF+XML", NULL, "rdfxml", NULL},
    {XMLDOC, 0, " application/xml ;charset=UTF-8", NULL, "rdfxml", NULL},
    {XMLDOC, 0, "text/xml; charset=ISO-8859-1", NULL, "rdfxml", NULL},
    {NTDOC, 0, "application/n-triples", NULL, "ntriples", NULL},
    {TTLDOC, 0, "application/rdf+xml", NULL, "rdfxml", NULL},
    /* Generic or lying types fall back to the bytes. */
    {TTLDOC, 0, "text/plain; charset=utf-8", NULL, "turtle", NULL},
    {XMLDOC, 0, "application/octet-stream", NULL, "rdfxml", NULL},
    {TTLDOC, 0, "text/html", NULL, "turtle", NULL},
    {NTDOC, 0, "text/plain", NULL, "turtle", NULL},
    /* Sniffing. */
    {"\xef\xbb\xbf \n\t" XMLDOC, 0, NULL, NULL, "rdfxml", NULL},
    {"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"/>",
     0, NULL, NULL, "rdfxml", NULL},
    {"<!-- Katalog -->\n<rdf:RDF/>", 0, NULL, NULL, "rdfxml", NULL},
    {"\xef\xbb\xbf" TTLDOC, 0, NULL, NULL, "turtle", NULL},
    {"PREFIX dcat: <http://www.w3.org/ns/dcat#>\n", 0, NULL, NULL, "turtle",
     NULL},
    {"@base <https://daten.example/> .\n", 0, NULL, NULL, "turtle", NULL},
    {"BASE <https://daten.example/>\n", 0, NULL, NULL, "turtle", NULL},
    {NTDOC, 0, NULL, NULL, "turtle", NULL},
    {"# Export\n# zweite Zeile\n" NTDOC, 0, NULL, NULL, "turtle", NULL},
    {"_:b0 <http://a.example/p> \"o\" .\n", 0, NULL, NULL, "turtle", NULL},
    {"# Keine Treffer\n", 0, NULL, NULL, "turtle", NULL},
    {"# Keine Treffer", 15, NULL, NULL, "turtle", NULL},
    {"Stand: 2024-02-03\n" TTLDOC, 0, NULL, NULL, "turtle", NULL},
    /* Bodies that are not RDF, each named. */
    {"<!DOCTYPE html>\n<html><head><title>404 – Seite nicht gefunden"
     "</title></head></html>",
     0, NULL, NULL, NULL,
     "HTML page instead of RDF (title: 404 – Seite nicht gefunden)"},
    {"<html><body>Fehler</body></html>", 0, "text/turtle", NULL, NULL,
     "HTML page instead of RDF"},
    {"<?xml version=\"1.0\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\">"
     "<head><title>Anmeldung</title></head></html>",
     0, "application/rdf+xml", NULL, NULL,
     "HTML page instead of RDF (title: Anmeldung)"},
    {"<html><title>Wartung</title></html>", 0, NULL, "turtle", NULL,
     "HTML page instead of RDF (title: Wartung)"},
    {"{\"@context\": \"https://schema.org\", \"@type\": \"Dataset\"}", 0,
     NULL, NULL, NULL, "JSON-LD is not supported yet"},
    {"[ {\"@id\": \"https://daten.example/ds/1\"} ]", 0,
     "application/ld+json", NULL, NULL, "JSON-LD is not supported yet"},
    {"{\"success\": false, \"error\": \"Not found\"}", 0, "application/json",
     NULL, NULL, "JSON document instead of RDF"},
    {"", 0, "text/turtle", NULL, NULL, "empty body (0 bytes)"},
    {" \r\n\t\n", 0, NULL, NULL, NULL, "empty body (5 bytes of whitespace)"},
    {"\xef\xbb\xbf", 0, NULL, NULL, NULL, "empty body"},
    {"\x1f\x8b\x08\x00\x00\x00\x00\x00", 8, "text/turtle", NULL, NULL,
     "gzip-compressed"},
    {"PK\x03\x04\x14\x00", 6, NULL, NULL, NULL,
     "binary data instead of RDF (byte 0x03 at offset 2)"},
    {"<\x00?\x00x\x00m\x00l\x00", 10, NULL, NULL, NULL, "binary data"},
    {"Hallo Welt, hier gibt es keine Daten.\n", 0, "text/plain", NULL, NULL,
     "unrecognised content, not RDF/XML, Turtle or N-Triples (starts with "
     "\"Hallo Welt, hier gibt es keine Daten.\")"},
};

static void pick_syntax_follows_hint_type_and_bytes(void **state)
{
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]); i++) {
    const syntax_case *c = &syntax_cases[i];
    size_t len = c->len ? c->len : strlen(c->body);
    hv_error err = HV_ERROR_INIT;
    const char *got =
        hv_page_pick_syntax(c->body, len, c->content_type, c->hint, &err);

    if (c->want) {
      if (!got || strcmp(got, c->want) != 0)
        fail_msg("case %zu: want %s, got %s (%s)", i, c->want,
                 got ? got : "NULL", err.msg);
    } else {
      if (got)
        fail_msg("case %zu: want an error, got %s", i, got);
      if (err.code != HV_EFORMAT || !strstr(err.msg, c->message))
        fail_msg("case %zu: want HV_EFORMAT \"%s\", got %s \"%s\"", i,
                 c->message, hv_err_name(err.code), err.msg);
    }
  }
}

static void decode_reports_html_error_page_from_file(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(decode_file(&page, FIXTURE("error_page.html"),
                               "text/turtle", MH "katalog.ttl", &err),
                   HV_EFORMAT);
  assert_string_equal(err.msg,
                      "HTML page instead of RDF (title: Wartungsarbeiten – "
                      "Datenportal vorübergehend nicht erreichbar)");
  assert_int_equal(page.n_datasets, 0);
  hv_page_fini(&page);

  assert_int_equal(decode_file(&page, FIXTURE("dataset.jsonld"),
                               "application/ld+json", MH "ds.jsonld", &err),
                   HV_EFORMAT);
  assert_non_null(strstr(err.msg, "JSON-LD is not supported yet"));
  hv_page_fini(&page);
}

/* ------------------------------------------------------------------ */
/* Hydra paging                                                        */
/* ------------------------------------------------------------------ */

static void hydra_next_iri_on_partial_collection_view(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("catalog_view.ttl"), "text/turtle",
                           MH "katalog.ttl?page=2&rows=2", &err),
               &err);
  assert_string_equal(page.syntax, "turtle");
  /* The view's relative IRIs resolve against the page; first and last
   * are not the next page. */
  assert_string_equal(page.next_url, MH "katalog.ttl?page=3&rows=2");
  assert_null(page.warning);
  hv_page_fini(&page);
}

static void hydra_next_literal_on_paged_collection(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("paged_collection.rdf"),
                           "application/rdf+xml",
                           BL "catalog.rdf?page=1", &err),
               &err);
  assert_string_equal(page.syntax, "rdfxml");
  assert_string_equal(page.next_url, BL "catalog.rdf?page=2");
  hv_page_fini(&page);
}

typedef struct next_case {
  const char *triples; /* Turtle after the prefixes */
  const char *page_url;
  const char *want; /* NULL: no next page */
} next_case;

static const next_case next_cases[] = {
    /* A relative literal resolves against the page URL. */
    {"<https://x.example/p1> a hydra:PagedCollection ;"
     " hydra:nextPage \"katalog.ttl?page=2\" .",
     "https://x.example/opendata/katalog.ttl?page=1",
     "https://x.example/opendata/katalog.ttl?page=2"},
    {"[] a hydra:PartialCollectionView ; hydra:next \"  /api/katalog?seite=7"
     "\xc2\xa0\" .",
     "https://x.example/opendata/katalog.ttl?page=6",
     "https://x.example/api/katalog?seite=7"},
    {"[] a hydra:PagedCollection ; hydra:nextPage \"../v2/katalog?p=2\" .",
     "https://x.example/opendata/v1/katalog?p=1",
     "https://x.example/opendata/v2/katalog?p=2"},
    /* A link to the page itself is returned as is. */
    {"<https://x.example/k?page=4> a hydra:PagedCollection ;"
     " hydra:nextPage \"https://x.example/k?page=4\" .",
     "https://x.example/k?page=4", "https://x.example/k?page=4"},
    /* One value on an untyped node is accepted. */
    {"<https://x.example/k> hydra:next <https://x.example/k?page=2> .",
     "https://x.example/k", "https://x.example/k?page=2"},
    /* The paging node wins over other nodes. */
    {"<https://x.example/k> hydra:next <https://x.example/anderes> .\n"
     "<https://x.example/k?p=1> a hydra:PartialCollectionView ;"
     " hydra:next <https://x.example/k?p=2> .",
     "https://x.example/k?p=1", "https://x.example/k?p=2"},
    /* Several values and no paging node: nothing is followed. */
    {"<https://x.example/a> hydra:next <https://x.example/a2> .\n"
     "<https://x.example/b> hydra:next <https://x.example/b2> .",
     "https://x.example/k", NULL},
    /* Other Hydra links are not a next page. */
    {"[] a hydra:PagedCollection ; hydra:lastPage \"?page=9\" ;"
     " hydra:firstPage \"?page=1\" .",
     "https://x.example/k?page=9", NULL},
};

static void hydra_next_cases(void **state)
{
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(next_cases) / sizeof(next_cases[0]); i++) {
    const next_case *c = &next_cases[i];
    char body[1024];
    hv_page page = {0};
    hv_error err = HV_ERROR_INIT;

    snprintf(body, sizeof(body),
             "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n%s\n",
             c->triples);
    if (decode_str(&page, body, "text/turtle", c->page_url, &err) != 0)
      fail_msg("case %zu: %s", i, err.msg);
    if (c->want && (!page.next_url || strcmp(page.next_url, c->want) != 0))
      fail_msg("case %zu: want %s, got %s", i, c->want,
               page.next_url ? page.next_url : "NULL");
    if (!c->want && page.next_url)
      fail_msg("case %zu: want no next page, got %s", i, page.next_url);
    hv_page_fini(&page);
  }
}

static void hydra_next_ambiguous_is_reported(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_str(&page,
                          "@prefix hydra: <" HV_HYDRA "> .\n"
                          "<https://x.example/a> hydra:next <a2> .\n"
                          "<https://x.example/b> hydra:next <b2> .\n",
                          "text/turtle", "https://x.example/k", &err),
               &err);
  assert_null(page.next_url);
  assert_non_null(page.warning);
  assert_non_null(strstr(page.warning, "several different hydra next"));
  hv_page_fini(&page);
}

static void hydra_next_absent_on_last_page(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("last_page.nt"),
                           "application/n-triples",
                           "https://offenedaten.kreis-beispiel.de/"
                           "katalog.nt?page=4",
                           &err),
               &err);
  /* N-Triples is read by the Turtle parser (see hv_page_decode). */
  assert_string_equal(page.syntax, "turtle");
  assert_null(page.next_url);
  assert_int_equal(page.triples, 8);
  hv_page_fini(&page);
}

/* ------------------------------------------------------------------ */
/* Split                                                               */
/* ------------------------------------------------------------------ */

static void split_shares_publisher_and_keeps_nested_blank_nodes(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  const hv_dataset_graph *baum, *halt;
  const hv_quad *q;
  size_t i;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("catalog_view.ttl"), NULL,
                           MH "katalog.ttl?page=2&rows=2", &err),
               &err);
  assert_int_equal(page.triples, 57);
  assert_int_equal(page.n_datasets, 2);
  assert_int_equal(page.n_rejected, 0);
  /* Document order of first appearance: the catalog names baumkataster
   * first. */
  assert_string_equal(page.datasets[0].key, MH "dataset/baumkataster");
  assert_string_equal(page.datasets[1].key, MH "dataset/haltestellen");

  baum = &page.datasets[0];
  assert_string_equal(baum->uri, MH "dataset/baumkataster");
  assert_string_equal(baum->identifier, "baumkataster");
  assert_string_equal(baum->modified, "2024-01-30T08:15:00");
  assert_int_equal(baum->distributions, 2);
  /* 11 own triples, contact point 4 + its address 4 (blank in blank),
   * temporal 2, distributions 5 + 4, publisher 2. */
  assert_int_equal(baum->graph.len, 32);
  q = find_quad(&baum->graph, NULL, "http://www.w3.org/2006/vcard/ns#"
                                    "postal-code");
  assert_non_null(q);
  assert_int_equal(q->s.kind, HV_TERM_BLANK);
  assert_string_equal(q->o.value, "12345");
  assert_non_null(find_quad(&baum->graph, MH "dataset/baumkataster/geojson",
                            HV_DCT "license"));
  assert_non_null(find_quad(&baum->graph, MH "org/stadtverwaltung",
                            "http://xmlns.com/foaf/0.1/name"));

  halt = &page.datasets[1];
  assert_null(halt->modified);
  assert_int_equal(halt->distributions, 1);
  assert_int_equal(halt->graph.len, 13);
  /* The shared publisher is described in both datasets. */
  q = find_quad(&halt->graph, MH "org/stadtverwaltung",
                "http://xmlns.com/foaf/0.1/name");
  assert_non_null(q);
  assert_string_equal(q->o.value, "Stadtverwaltung Musterhausen");
  assert_non_null(
      find_quad(&halt->graph, MH "raum/stadtgebiet", HV_DCAT "bbox"));
  /* The relation stays a link and does not pull in the other dataset. */
  q = find_quad(&halt->graph, MH "dataset/haltestellen", HV_DCT "relation");
  assert_non_null(q);
  assert_string_equal(q->o.value, MH "dataset/baumkataster");
  assert_null(find_quad(&halt->graph, MH "dataset/baumkataster", HV_DCT
                        "title"));

  /* Catalog, record and Hydra triples belong to no dataset. */
  for (i = 0; i < page.n_datasets; i++) {
    const hv_graph *g = &page.datasets[i].graph;
    assert_null(find_quad(g, MH "katalog", HV_DCT "title"));
    assert_null(find_quad(g, NULL, "http://xmlns.com/foaf/0.1/primaryTopic"));
    assert_false(graph_mentions(g, "page=3"));
  }
  hv_page_fini(&page);
}

static void split_dataset_link_stays_link_and_blank_datasets(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  const hv_dataset_graph *ds;
  const hv_quad *q;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("paged_collection.rdf"), NULL,
                           BL "catalog.rdf?page=1", &err),
               &err);
  assert_int_equal(page.n_datasets, 3);
  assert_string_equal(page.datasets[0].key, BL "dataset/gewaesserguete");
  assert_string_equal(page.datasets[1].key, BL "dataset/umweltatlas");

  ds = dataset_by_key(&page, BL "dataset/gewaesserguete");
  assert_int_equal(ds->graph.len, 8);
  assert_int_equal(ds->distributions, 1);
  assert_string_equal(ds->modified, "2023-11-02T10:00:00");
  q = find_quad(&ds->graph, BL "dataset/gewaesserguete", HV_DCT "isPartOf");
  assert_non_null(q);
  assert_string_equal(q->o.value, BL "dataset/umweltatlas");
  assert_false(graph_mentions(&ds->graph, "Umweltatlas Beispielland"));

  ds = dataset_by_key(&page, BL "dataset/umweltatlas");
  assert_int_equal(ds->graph.len, 3);
  assert_true(graph_mentions(&ds->graph, "Umweltatlas Beispielland"));

  /* A blank-node dataset is keyed by its trimmed identifier; the field
   * keeps the identifier as published. */
  ds = dataset_by_key(&page,
                      "urn:govharvest:identifier:LSA-4711-Luftmessnetz");
  assert_null(ds->uri);
  assert_string_equal(ds->identifier,
                      "\xc2\xa0 LSA-4711-Luftmessnetz \xc2\xa0");
  assert_int_equal(ds->distributions, 1);
  assert_int_equal(ds->graph.len, 5);
  assert_true(graph_mentions(&ds->graph, "files/luft.csv"));

  /* The dataset with neither IRI nor identifier is rejected, by name. */
  assert_int_equal(page.n_rejected, 1);
  assert_int_equal(page.rejected[0].subject[0], '_');
  assert_int_equal(page.rejected[0].subject[1], ':');
  assert_non_null(strstr(page.rejected[0].reason,
                         "has no IRI and no dct:identifier"));
  assert_non_null(
      strstr(page.rejected[0].reason, page.rejected[0].subject));
  /* A blank node's label means nothing to an operator; its title does. */
  assert_non_null(
      strstr(page.rejected[0].reason, "(title \"Datensatz ohne Kennung\")"));
  hv_page_fini(&page);
}

static void split_blank_distribution_in_ntriples(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  const hv_dataset_graph *ds;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("last_page.nt"), NULL,
                           "https://offenedaten.kreis-beispiel.de/k.nt",
                           &err),
               &err);
  assert_string_equal(page.syntax, "turtle");
  assert_int_equal(page.n_datasets, 1);
  ds = &page.datasets[0];
  assert_string_equal(ds->key, "https://offenedaten.kreis-beispiel.de/ds/"
                               "schulen");
  assert_string_equal(ds->identifier, "schulen");
  assert_int_equal(ds->graph.len, 6);
  assert_false(graph_mentions(&ds->graph, "katalog.nt"));
  hv_page_fini(&page);
}

static void split_handles_cycles_and_unreferenced_datasets(void **state)
{
  static const char body[] =
      "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
      "@prefix dct: <http://purl.org/dc/terms/> .\n"
      "<https://k.example/cat> a dcat:Catalog ;\n"
      "  dcat:dataset <https://k.example/ds/nur-verweis> .\n"
      "_:x a dcat:Dataset ; dct:identifier \" \\u00A0 \" .\n"
      "<https://k.example/ds/a> a dcat:Dataset ;\n"
      "  dct:spatial _:ort .\n"
      "_:ort dct:isPartOf _:land .\n"
      "_:land dct:hasPart _:ort ; dct:title \"Land\" .\n";
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  size_t i;
  int empty = 0, unref = 0;

  (void)state;
  HV_ASSERT_OK(decode_str(&page, body, NULL, "https://k.example/", &err),
               &err);
  assert_int_equal(page.n_datasets, 1);
  assert_int_equal(page.datasets[0].graph.len, 5);
  assert_int_equal(page.n_rejected, 2);
  for (i = 0; i < page.n_rejected; i++) {
    empty += strstr(page.rejected[i].reason, "empty dct:identifier") != NULL;
    unref += strstr(page.rejected[i].reason,
                    "https://k.example/ds/nur-verweis is referenced but "
                    "not described") != NULL;
  }
  assert_int_equal(empty, 1);
  assert_int_equal(unref, 1);
  hv_page_fini(&page);
}

static void split_page_without_datasets_succeeds(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("empty_catalog.ttl"), "text/turtle",
                           "https://daten.beispielgemeinde.de/catalog.ttl"
                           "?page=1",
                           &err),
               &err);
  assert_int_equal(page.triples, 5);
  assert_int_equal(page.n_datasets, 0);
  assert_int_equal(page.n_rejected, 0);
  assert_null(page.next_url);
  hv_page_fini(&page);
}

/* ------------------------------------------------------------------ */
/* Prose before the Turtle, broken input                               */
/* ------------------------------------------------------------------ */

static void prose_before_turtle_is_skipped_with_warning(void **state)
{
  static const char *const types[] = {"text/turtle", NULL, "text/plain"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
    hv_page page = {0};
    hv_error err = HV_ERROR_INIT;

    HV_ASSERT_OK(decode_file(&page, FIXTURE("prose_prefix.ttl"), types[i],
                             "https://geodaten.beispielkreis.de/k.ttl", &err),
                 &err);
    assert_int_equal(page.n_datasets, 1);
    assert_string_equal(page.datasets[0].identifier, "bebauungsplaene");
    assert_int_equal(page.triples, 3);
    assert_non_null(page.warning);
    assert_non_null(strstr(page.warning, "skipped 1 line of text"));
    assert_non_null(strstr(page.warning, "on line 2"));
    assert_non_null(strstr(page.warning, "Export des Metadatenkatalogs"));
    hv_page_fini(&page);
  }
}

/*
 * "Stand: ..." reads as an undeclared prefixed name, an error raptor logs
 * without a line; the recovery must still apply, and only the prose line
 * counts as skipped, not the comment after it.
 */
static void prose_that_looks_like_a_prefixed_name_is_skipped(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(decode_file(&page, FIXTURE("prose_stand.ttl"), "text/turtle",
                           "https://geodaten.beispielkreis.de/k.ttl", &err),
               &err);
  assert_int_equal(page.n_datasets, 1);
  assert_string_equal(page.datasets[0].key,
                      "https://geodaten.beispielkreis.de/ds/radwege");
  assert_non_null(page.warning);
  assert_non_null(strstr(page.warning, "skipped 1 line of text"));
  assert_non_null(strstr(page.warning, "on line 4"));
  assert_non_null(strstr(page.warning, "(starts with \"Stand: 03.02.2024 "
                                       "09:30\")"));
  hv_page_fini(&page);
}

static void undeclared_prefix_error_names_the_line(void **state)
{
  static const char body[] = "@prefix dct: <http://purl.org/dc/terms/> .\n"
                             "\n"
                             "ex:ds dct:title \"Spielplätze\"@de .\n";
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(decode_str(&page, body, "text/turtle", NULL, &err),
                   HV_EPARSE);
  assert_non_null(strstr(err.msg, "turtle line 3:"));
  assert_non_null(strstr(err.msg, "ex:ds"));
  hv_page_fini(&page);
}

static void prose_recovery_keeps_original_line_numbers(void **state)
{
  static const char body[] = "Stand der Daten: Februar\n"
                             "Bitte nicht bearbeiten\n"
                             "@prefix dct: <http://purl.org/dc/terms/> .\n"
                             "<https://k.example/ds> dct:title \"A\" ;\n"
                             "  dct:title ??? .\n";
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(decode_str(&page, body, "text/turtle", NULL, &err),
                   HV_EPARSE);
  assert_non_null(strstr(err.msg, "turtle line 5:"));
  hv_page_fini(&page);
}

static void truncated_turtle_names_the_line(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(decode_file(&page, FIXTURE("truncated.ttl"), "text/turtle",
                               MH "katalog.ttl", &err),
                   HV_EPARSE);
  assert_non_null(strstr(err.msg, "turtle line 7:"));
  assert_int_equal(page.n_datasets, 0);
  assert_null(page.warning);
  hv_page_fini(&page);
}

static void garbage_is_refused_clearly(void **state)
{
  static const struct {
    const char *body;
    const char *ct;
    int code;
    const char *message;
  } cases[] = {
      {"@prefix dcat <kaputt> .\n", NULL, HV_EPARSE, "turtle line 1:"},
      {"<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
       "<rdf:Description></rdf:RDF>",
       NULL, HV_EPARSE, "rdfxml "},
      {"<http://a.example/s> <http://a.example/p> .\n",
       "application/n-triples", HV_EPARSE, "turtle line 1:"},
      /* The missing dot is noticed at the end of the input. */
      {"<http://a.example/s> <http://a.example/p> \"o\"\n",
       "application/n-triples", HV_EPARSE, "turtle line 2:"},
      {"\xde\xad\xbe\xef\x01\x02\x03", NULL, HV_EFORMAT, "binary data"},
      {"Seite im Aufbau", "text/turtle", HV_EPARSE, "turtle line 1:"},
      {"Seite im Aufbau", NULL, HV_EFORMAT, "unrecognised content"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_page page = {0};
    hv_error err = HV_ERROR_INIT;
    int rc = decode_str(&page, cases[i].body, cases[i].ct,
                        "https://k.example/", &err);

    if (rc != cases[i].code || !strstr(err.msg, cases[i].message))
      fail_msg("case %zu: want %s \"%s\", got %s \"%s\"", i,
               hv_err_name(cases[i].code), cases[i].message,
               hv_err_name(rc), err.msg);
    assert_int_equal(page.n_datasets, 0);
    hv_page_fini(&page);
  }
}

/* Latin-1 bytes in a title (a common export mistake): the page is kept,
 * the bad bytes become U+FFFD, and the page's warning says where. */
static void mis_encoded_terms_are_mended_not_fatal(void **state)
{
  static const char body[] =
      "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
      "@prefix dct: <http://purl.org/dc/terms/> .\n"
      "<https://daten.musterhausen.de/dataset/a> a dcat:Dataset ;\n"
      "  dct:title \"Stra\xdf" "enb\xe4" "ume\"@de .\n"
      "<https://daten.musterhausen.de/dataset/b> a dcat:Dataset ;\n"
      "  dct:description \"sauber\" .\n";
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  const hv_dataset_graph *ds;
  const hv_quad *q;

  (void)state;
  HV_ASSERT_OK(decode_str(&page, body, "text/turtle",
                          "https://daten.musterhausen.de/catalog", &err),
               &err);
  assert_int_equal(page.n_datasets, 2);
  ds = dataset_by_key(&page, "https://daten.musterhausen.de/dataset/a");
  q = find_quad(&ds->graph, "https://daten.musterhausen.de/dataset/a",
                HV_DCT "title");
  assert_non_null(q);
  assert_string_equal(q->o.value, "Stra\xef\xbf\xbd" "enb\xef\xbf\xbd" "ume");
  ds = dataset_by_key(&page, "https://daten.musterhausen.de/dataset/b");
  q = find_quad(&ds->graph, "https://daten.musterhausen.de/dataset/b",
                HV_DCT "description");
  assert_non_null(q);
  assert_string_equal(q->o.value, "sauber");
  assert_non_null(page.warning);
  assert_non_null(strstr(page.warning, "1 statement had NUL bytes or "
                                       "malformed UTF-8"));
  assert_non_null(strstr(page.warning, "line 4"));
  hv_page_fini(&page);
}

/* ------------------------------------------------------------------ */
/* XML attacks                                                         */
/* ------------------------------------------------------------------ */

#define SECRET "geheim-7f3a9c-zugangsdaten"

/* Fails if any literal or IRI of the page holds the secret. */
static void assert_secret_absent(const hv_page *page)
{
  size_t i;

  for (i = 0; i < page->n_datasets; i++)
    if (graph_mentions(&page->datasets[i].graph, SECRET))
      fail_msg("external entity was expanded into dataset %s",
               page->datasets[i].key);
}

static void xxe_file_entity_is_not_expanded(void **state)
{
  char *dir = hv_test_tmpdir();
  char path[512], doc[2048];
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  const hv_quad *q;
  FILE *f;
  int rc;

  (void)state;
  assert_non_null(dir);
  snprintf(path, sizeof(path), "%s/secret.txt", dir);
  assert_non_null(f = fopen(path, "w"));
  fputs(SECRET "\n", f);
  fclose(f);
  snprintf(doc, sizeof(doc),
           "<?xml version=\"1.0\"?>\n"
           "<!DOCTYPE rdf:RDF [\n"
           "  <!ENTITY geheim SYSTEM \"file://%s\">\n"
           "]>\n"
           "<rdf:RDF xmlns:rdf=\"" HV_RDF "\" xmlns:dcat=\"" HV_DCAT "\"\n"
           "         xmlns:dct=\"" HV_DCT "\">\n"
           "  <dcat:Dataset rdf:about=\"https://k.example/ds/xxe\">\n"
           "    <dct:title>Titel &geheim; Ende</dct:title>\n"
           "    <dct:description>Beschreibung</dct:description>\n"
           "  </dcat:Dataset>\n"
           "</rdf:RDF>\n",
           path);
  rc = decode_str(&page, doc, "application/rdf+xml", "https://k.example/",
                  &err);
  /* Refusing the document is as safe as dropping the entity. */
  if (rc == 0) {
    assert_int_equal(page.n_datasets, 1);
    q = find_quad(&page.datasets[0].graph, NULL, HV_DCT "description");
    assert_non_null(q);
    assert_string_equal(q->o.value, "Beschreibung");
    assert_secret_absent(&page);
  } else {
    assert_null(strstr(err.msg, SECRET));
  }
  hv_page_fini(&page);
  hv_test_rmtree(dir);
  hv_free(dir);
}

/*
 * An entity pointing at a loopback listener must not make the parser
 * connect: after decoding, the listener has no pending connection. Both a
 * general and a parameter entity (the usual out-of-band exfiltration
 * form) are tried.
 */
static void xxe_http_entity_is_not_fetched(void **state)
{
  struct sockaddr_in addr;
  socklen_t alen = sizeof(addr);
  int fd, port;
  size_t i;

  (void)state;
  assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
  assert_int_equal(listen(fd, 4), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
  port = ntohs(addr.sin_port);

  for (i = 0; i < 2; i++) {
    char decl[256], doc[2048];
    hv_page page = {0};
    hv_error err = HV_ERROR_INIT;
    struct pollfd pfd = {fd, POLLIN, 0};

    if (i == 0)
      snprintf(decl, sizeof(decl),
               "<!ENTITY geheim SYSTEM \"http://127.0.0.1:%d/secret.txt\">",
               port);
    else
      snprintf(decl, sizeof(decl),
               "<!ENTITY %% fern SYSTEM \"http://127.0.0.1:%d/evil.dtd\"> "
               "%%fern;",
               port);
    snprintf(doc, sizeof(doc),
             "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE rdf:RDF [ %s ]>\n"
             "<rdf:RDF xmlns:rdf=\"" HV_RDF "\" xmlns:dcat=\"" HV_DCAT "\"\n"
             "         xmlns:dct=\"" HV_DCT "\">\n"
             "  <dcat:Dataset rdf:about=\"https://k.example/ds/xxe\">\n"
             "    <dct:title>Titel %s Ende</dct:title>\n"
             "  </dcat:Dataset>\n"
             "</rdf:RDF>\n",
             decl, i == 0 ? "&geheim;" : "");
    (void)decode_str(&page, doc, NULL, "https://k.example/", &err);
    assert_secret_absent(&page);
    if (poll(&pfd, 1, 200) != 0)
      fail_msg("case %zu: the parser connected to the entity's URL", i);
    hv_page_fini(&page);
  }
  close(fd);
}

static void billion_laughs_stays_bounded(void **state)
{
  hv_page page = {0};
  hv_error err = HV_ERROR_INIT;
  struct timespec t0, t1;
  double secs;
  size_t i;
  int rc;

  (void)state;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  rc = decode_file(&page, FIXTURE("billion_laughs.rdf"), NULL,
                   "https://k.example/", &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  secs = (double)(t1.tv_sec - t0.tv_sec) +
         (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (secs > 5.0)
    fail_msg("entity expansion took %.1f s", secs);
  if (rc == 0) {
    /* Fully expanded, the title would be 640 MB. */
    for (i = 0; i < page.n_datasets; i++) {
      const hv_quad *q =
          find_quad(&page.datasets[i].graph, NULL, HV_DCT "title");
      assert_true(!q || strlen(q->o.value) < (1u << 20));
    }
  } else {
    assert_int_equal(rc, HV_EPARSE);
    assert_non_null(strstr(err.msg, "rdfxml"));
  }
  hv_page_fini(&page);
}

/* ------------------------------------------------------------------ */
/* Allocation failures                                                 */
/* ------------------------------------------------------------------ */

/*
 * Makes the Nth of our allocations fail for N = 0, 1, ... until a decode
 * succeeds; every failing run must report HV_ENOMEM and leave a page that
 * hv_page_fini releases completely (the sanitizer build checks leaks).
 */
static void oom_during_decode_is_clean(void **state)
{
  static const struct {
    const char *path;
    const char *ct;
    size_t datasets;
  } pages[] = {
      {FIXTURE("catalog_view.ttl"), "text/turtle", 2},
      {FIXTURE("paged_collection.rdf"), NULL, 3},
      {FIXTURE("prose_prefix.ttl"), NULL, 1},
      {FIXTURE("prose_stand.ttl"), "text/turtle", 1},
  };
  size_t p;

  (void)state;
  for (p = 0; p < sizeof(pages) / sizeof(pages[0]); p++) {
    size_t len;
    char *body = load(pages[p].path, &len);
    long n, failures = 0;
    int rc = -1;

    for (n = 0; n < 10000 && rc != 0; n++) {
      hv_page page = {0};
      hv_error err = HV_ERROR_INIT;

      hv_alloc_fail_after(n);
      rc = hv_page_decode(&page, body, len, pages[p].ct, NULL,
                          "https://k.example/page?n=1", &err);
      hv_alloc_fail_reset();
      if (rc != 0) {
        if (rc != HV_ENOMEM)
          fail_msg("%s, allocation %ld: want HV_ENOMEM, got %s: %s",
                   pages[p].path, n, hv_err_name(rc), err.msg);
        failures++;
      } else {
        assert_int_equal(page.n_datasets, pages[p].datasets);
      }
      hv_page_fini(&page);
    }
    assert_int_equal(rc, 0);
    assert_true(failures > 5);
    hv_free(body);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pick_syntax_follows_hint_type_and_bytes),
      cmocka_unit_test(decode_reports_html_error_page_from_file),
      cmocka_unit_test(hydra_next_iri_on_partial_collection_view),
      cmocka_unit_test(hydra_next_literal_on_paged_collection),
      cmocka_unit_test(hydra_next_cases),
      cmocka_unit_test(hydra_next_ambiguous_is_reported),
      cmocka_unit_test(hydra_next_absent_on_last_page),
      cmocka_unit_test(split_shares_publisher_and_keeps_nested_blank_nodes),
      cmocka_unit_test(split_dataset_link_stays_link_and_blank_datasets),
      cmocka_unit_test(split_blank_distribution_in_ntriples),
      cmocka_unit_test(split_handles_cycles_and_unreferenced_datasets),
      cmocka_unit_test(split_page_without_datasets_succeeds),
      cmocka_unit_test(prose_before_turtle_is_skipped_with_warning),
      cmocka_unit_test(prose_that_looks_like_a_prefixed_name_is_skipped),
      cmocka_unit_test(undeclared_prefix_error_names_the_line),
      cmocka_unit_test(prose_recovery_keeps_original_line_numbers),
      cmocka_unit_test(truncated_turtle_names_the_line),
      cmocka_unit_test(garbage_is_refused_clearly),
      cmocka_unit_test(xxe_file_entity_is_not_expanded),
      cmocka_unit_test(xxe_http_entity_is_not_fetched),
      cmocka_unit_test(billion_laughs_stays_bounded),
      cmocka_unit_test(oom_during_decode_is_clean),
      cmocka_unit_test(mis_encoded_terms_are_mended_not_fatal),
  };

  hv_rdf_global_init();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
