/*
 * Fuzz target for page decoding, hv_page_decode(): the first input byte
 * picks the Content-Type and the operator's format hint, the rest is the
 * body of a page fetched from a fixed URL. This is the harvester's widest
 * door to the outside, reached by every byte a portal sends.
 *
 * Invariants: the result is 0 or a known negative HV_E* code with a
 * message; on success every dataset has a non-empty key that follows the
 * rule in page.h (its IRI, or the identifier URN for a blank node), and
 * every quad of every dataset graph has its terms filled in. The page is
 * always released with hv_page_fini(), and the leak checker verifies that
 * this frees everything.
 */
#include <stdint.h>
#include <string.h>

#include "decode/page.h"
#include "decode/rdfparse.h"
#include "fuzz_check.h"

#define KEY_PREFIX "urn:govharvest:identifier:"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What servers send, including things that are not RDF at all. */
static const char *const content_types[8] = {
    NULL,
    "text/turtle",
    "application/rdf+xml; charset=utf-8",
    "application/n-triples",
    "text/html",
    "application/ld+json",
    "text/plain",
    "application/xml"};

static const char *const hints[4] = {NULL, "rdfxml", "turtle", "ntriples"};

static void check_term(const hv_term *t, int may_be_none, size_t ds,
                       size_t q)
{
  HV_FUZZ_CHECK(t->kind == HV_TERM_IRI || t->kind == HV_TERM_BLANK ||
                    t->kind == HV_TERM_LITERAL ||
                    (may_be_none && t->kind == HV_TERM_NONE),
                "dataset %zu quad %zu: term kind %d", ds, q, (int)t->kind);
  if (t->kind != HV_TERM_NONE)
    HV_FUZZ_CHECK(t->value != NULL, "dataset %zu quad %zu: NULL value", ds,
                  q);
  if (t->kind != HV_TERM_LITERAL)
    HV_FUZZ_CHECK(!t->datatype && !t->lang,
                  "dataset %zu quad %zu: datatype or language on a "
                  "non-literal", ds, q);
}

static void check_dataset(const hv_dataset_graph *ds, size_t i)
{
  size_t q;

  HV_FUZZ_CHECK(ds->key && ds->key[0], "dataset %zu has no key", i);
  if (ds->uri)
    HV_FUZZ_CHECK(strcmp(ds->key, ds->uri) == 0,
                  "dataset %zu key '%s' is not its IRI '%s'", i, ds->key,
                  ds->uri);
  else
    /* The key carries the identifier with surrounding spaces trimmed. */
    HV_FUZZ_CHECK(ds->identifier &&
                      strncmp(ds->key, KEY_PREFIX, strlen(KEY_PREFIX)) == 0 &&
                      ds->key[strlen(KEY_PREFIX)] &&
                      strstr(ds->identifier, ds->key + strlen(KEY_PREFIX)),
                  "blank dataset %zu key '%s' is not the identifier URN", i,
                  ds->key);
  for (q = 0; q < ds->graph.len; q++) {
    const hv_quad *quad = &ds->graph.quads[q];

    check_term(&quad->s, 0, i, q);
    check_term(&quad->p, 0, i, q);
    check_term(&quad->o, 0, i, q);
    check_term(&quad->g, 1, i, q);
    HV_FUZZ_CHECK(quad->s.kind != HV_TERM_LITERAL &&
                      quad->p.kind == HV_TERM_IRI,
                  "dataset %zu quad %zu: literal subject or non-IRI "
                  "predicate", i, q);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static int initialised;
  hv_page page;
  hv_error err = HV_ERROR_INIT;
  const char *ct, *hint;
  size_t i;
  int rc;

  if (size < 1)
    return 0;
  if (!initialised) {
    hv_rdf_global_init();
    initialised = 1;
  }
  ct = content_types[data[0] % 8];
  hint = hints[(data[0] / 8) % 4];

  memset(&page, 0, sizeof(page));
  rc = hv_page_decode(&page, (const char *)data + 1, size - 1, ct, hint,
                      "https://portal.example.org/catalog?page=1", &err);
  if (rc != 0) {
    HV_FUZZ_CHECK(rc < 0 && strcmp(hv_err_name(rc), "HV_UNKNOWN") != 0,
                  "unknown result %d", rc);
    HV_FUZZ_CHECK(err.code == rc && err.msg[0],
                  "%s without a message (err.code %d)", hv_err_name(rc),
                  err.code);
  } else {
    HV_FUZZ_CHECK(page.syntax != NULL, "success without a syntax");
    HV_FUZZ_CHECK(page.n_datasets == 0 || page.datasets,
                  "%zu datasets but no array", page.n_datasets);
    for (i = 0; i < page.n_datasets; i++)
      check_dataset(&page.datasets[i], i);
    for (i = 0; i < page.n_rejected; i++)
      HV_FUZZ_CHECK(page.rejected[i].subject && page.rejected[i].reason &&
                        page.rejected[i].reason[0],
                    "rejected dataset %zu without subject or reason", i);
  }
  hv_page_fini(&page);
  return 0;
}
