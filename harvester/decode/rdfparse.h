/*
 * RDF syntax parsing into an hv_graph, through raptor.
 *
 * This is the project's only bridge to raptor's parsers. Each thread
 * parses with a raptor world of its own, so calls on different threads
 * never share parser state. Parsing never touches the network or the file system and
 * never loads external XML entities, whatever the document asks for.
 */
#ifndef HV_DECODE_RDFPARSE_H
#define HV_DECODE_RDFPARSE_H

#include <stddef.h>

#include "model/graph.h"
#include "util/error.h"

/*
 * Parses len bytes of data in `syntax` (a raptor parser name: "rdfxml",
 * "turtle", "ntriples", "nquads", "trig") against base_uri, appending
 * every triple or quad to g.
 *
 * A term with NUL bytes or malformed UTF-8 is an HV_EPARSE naming its
 * line: a canonical form written from it would not read back the same.
 *
 * Returns 0, or HV_EPARSE with the parser's first error and its line in
 * err (g then holds what was parsed before the error), HV_EFORMAT for an
 * unknown syntax, HV_ENOMEM.
 */
int hv_rdf_parse(hv_graph *g, const char *syntax, const char *data, size_t len,
                 const char *base_uri, hv_error *err);

/* What hv_rdf_parse_repairing had to mend. */
typedef struct hv_rdf_repairs {
  size_t terms;    /* statements with a term that was not clean text */
  long first_line; /* line of the first, or -1 if unknown */
} hv_rdf_repairs;

/*
 * Like hv_rdf_parse, but a term holding NUL bytes or malformed UTF-8
 * does not fail the document: each bad byte becomes U+FFFD (a broken
 * language tag is dropped) and the statement is kept and counted in
 * *repairs, which the caller zero-initialises. One mis-encoded title must
 * not cost a portal its whole page.
 */
int hv_rdf_parse_repairing(hv_graph *g, const char *syntax, const char *data,
                           size_t len, const char *base_uri,
                           hv_rdf_repairs *repairs, hv_error *err);

/* Initialises libxml2 once; call from the main thread before any parse. */
void hv_rdf_global_init(void);

/*
 * Frees every thread's raptor world. Call once, when no thread parses
 * any more (at exit); a later parse on the calling thread makes a new one.
 */
void hv_rdf_global_cleanup(void);

#endif
