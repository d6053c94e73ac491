/*
 * The in-memory RDF model that flows through the pipeline.
 *
 * A graph is a flat array of quads whose strings live in the graph's own
 * arena, so building one costs one allocation per arena chunk rather than
 * one per string, and freeing it is a handful of frees. Quads are plain
 * values: copying a quad copies pointers into the arena that owns them.
 *
 * Terms follow RDF 1.1: an IRI, a blank node (label without "_:"), or a
 * literal with a lexical form and either a language tag or a datatype.
 * A literal typed xsd:string is stored with datatype NULL, which is the
 * same literal in RDF 1.1, so equal literals always compare equal.
 */
#ifndef HV_MODEL_GRAPH_H
#define HV_MODEL_GRAPH_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

typedef enum hv_term_kind {
  HV_TERM_NONE = 0, /* absent: the default graph in a quad's g */
  HV_TERM_IRI,
  HV_TERM_BLANK,
  HV_TERM_LITERAL
} hv_term_kind;

typedef struct hv_term {
  const char *value;    /* IRI, blank label or lexical form; UTF-8 */
  const char *datatype; /* literal datatype IRI, NULL for plain strings */
  const char *lang;     /* literal language tag, NULL if none */
  hv_term_kind kind;
} hv_term;

typedef struct hv_quad {
  hv_term s, p, o;
  hv_term g; /* kind HV_TERM_NONE for the default graph */
} hv_quad;

typedef struct hv_arena_chunk hv_arena_chunk;

typedef struct hv_arena {
  hv_arena_chunk *head; /* newest chunk first */
  size_t used;          /* bytes used in head */
  size_t total;         /* bytes allocated over all chunks */
} hv_arena;

typedef struct hv_graph {
  hv_quad *quads;
  size_t len;
  size_t cap;
  hv_arena arena; /* owns every string the quads point to */
} hv_graph;

#define HV_XSD_STRING "http://www.w3.org/2001/XMLSchema#string"
#define HV_RDF_LANGSTRING \
  "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

void hv_arena_init(hv_arena *a);
void hv_arena_fini(hv_arena *a);
/* Copies n bytes of s plus a NUL into the arena; NULL on OOM. */
char *hv_arena_strndup(hv_arena *a, const char *s, size_t n);
char *hv_arena_strdup(hv_arena *a, const char *s);

void hv_graph_init(hv_graph *g);
void hv_graph_fini(hv_graph *g); /* frees quads and arena; g reusable */

/*
 * Appends a copy of q; its strings are copied into g's arena, so q may
 * point anywhere (another graph, a parser's buffer). xsd:string datatypes
 * are dropped. Returns 0 or HV_ENOMEM (g unchanged).
 */
int hv_graph_add(hv_graph *g, const hv_quad *q, hv_error *err);

/*
 * Appends q whose strings already live in g's arena (or are static).
 * Returns 0 or HV_ENOMEM.
 */
int hv_graph_add_owned(hv_graph *g, const hv_quad *q, hv_error *err);

/* Returns 1 if the two terms are the same RDF term, else 0. */
int hv_term_equal(const hv_term *a, const hv_term *b);

/* Total order on terms: kind, then value, datatype, language. */
int hv_term_cmp(const hv_term *a, const hv_term *b);

/*
 * Appends t in canonical N-Triples form (as RDFC-1.0 prints it):
 * <iri>, _:label, "lexical"@lang or "lexical"^^<datatype>. Returns 0,
 * HV_ENOMEM or HV_ETOOBIG.
 */
int hv_term_write_nt(hv_buf *b, const hv_term *t);

/* Appends q as one canonical N-Quads line ending in " .\n". */
int hv_quad_write_nq(hv_buf *b, const hv_quad *q);

#endif
