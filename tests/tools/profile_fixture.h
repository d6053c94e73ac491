/*
 * What the mapping and check tests share: the committed DCAT-AP.de
 * profile (optionally with a source profile), Turtle parsed into a graph,
 * and, for the conformance tests, pages of the shared corpus decoded
 * from disk with a clear skip when the corpus is absent.
 */
#ifndef HV_TESTS_PROFILE_FIXTURE_H
#define HV_TESTS_PROFILE_FIXTURE_H

#include "decode/page.h"
#include "map/profile.h"
#include "model/graph.h"

/* The committed profile the tests map and check with. */
#define HV_TEST_PROFILE_DIR HV_SOURCE_DIR "/profiles/dcat-ap-de"

/*
 * Loads the committed profile; with source_conf not NULL, that text is
 * written to a temporary file and loaded as the source profile on top.
 * Fails the test on any error. The caller frees the profile.
 */
hv_profile *hv_test_profile_load(const char *source_conf);

/* Initialises g and parses the Turtle ttl into it (base
   https://daten.musterhausen.de/); fails the test if it does not parse.
   The caller finis g. */
void hv_test_parse_turtle(hv_graph *g, const char *ttl);

/*
 * Returns 1 if the corpus file or folder path exists; otherwise prints
 * "SUITE conformance: corpus not found at PATH; skipped" and returns 0.
 */
int hv_test_corpus_present(const char *suite, const char *path);

/*
 * Decodes the file path (Turtle when its name has ".ttl", else RDF/XML)
 * into *page with base, failing the test with the path and the error
 * if it cannot be read or decoded. The caller finis the page.
 */
void hv_test_decode_file(const char *path, const char *base, hv_page *page);

#endif
