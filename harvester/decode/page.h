/*
 * Decoding one harvested page: pick the syntax, parse it, find the Hydra
 * next page, and split it into one graph per dcat:Dataset.
 *
 * Everything here is a pure function of its input and runs on a pool
 * thread; nothing touches the loop, the store or the network.
 */
#ifndef HV_DECODE_PAGE_H
#define HV_DECODE_PAGE_H

#include <stddef.h>

#include "model/graph.h"
#include "util/error.h"

#define HV_DCAT "http://www.w3.org/ns/dcat#"
#define HV_DCT "http://purl.org/dc/terms/"
#define HV_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define HV_HYDRA "http://www.w3.org/ns/hydra/core#"

/* One dataset cut out of a page. */
typedef struct hv_dataset_graph {
  char *key;           /* identity in its source: the dataset IRI, or
                          "urn:govharvest:identifier:" + dct:identifier
                          for a blank-node dataset */
  char *uri;           /* dataset IRI, NULL for a blank node */
  char *identifier;    /* first dct:identifier literal, NULL if none */
  char *modified;      /* dct:modified lexical form, NULL if none */
  size_t distributions; /* dcat:distribution values */
  hv_graph graph;      /* the dataset node and everything hanging off it;
                          its strings live in the page's graph */
} hv_dataset_graph;

/* A dataset node that could not be kept, and why. */
typedef struct hv_rejected {
  char *subject; /* IRI or "_:label" of the dataset node */
  char *reason;  /* one line, e.g. "dataset has no IRI and no dct:identifier" */
} hv_rejected;

typedef struct hv_page {
  hv_graph graph;             /* every triple of the page; owns the strings
                                 of all dataset graphs */
  const char *syntax;         /* raptor parser used (static string) */
  char *next_url;             /* absolute Hydra next page, NULL if none */
  size_t triples;             /* triples parsed from the page */
  hv_dataset_graph *datasets; /* in document order of first appearance */
  size_t n_datasets;
  hv_rejected *rejected;
  size_t n_rejected;
  char *warning;              /* one line on what was recovered from or
                                 ignored (e.g. text before the Turtle),
                                 "; "-separated; NULL if nothing */
} hv_page;

/*
 * Chooses the syntax for a body: the format hint wins ("rdfxml", "turtle",
 * "ntriples"), then the Content-Type, then sniffing the first bytes.
 * Returns a raptor parser name, or NULL with HV_EFORMAT in err naming
 * what was seen (e.g. an HTML page, JSON, binary data).
 */
const char *hv_page_pick_syntax(const char *body, size_t len,
                                const char *content_type,
                                const char *format_hint, hv_error *err);

/*
 * Decodes body (len bytes, fetched from page_url) into out, which the
 * caller zero-initialises and releases with hv_page_fini() in every case.
 * Returns 0 (out filled; a page with zero datasets is a success), or
 * HV_EFORMAT / HV_EPARSE / HV_ENOMEM with the cause in err.
 *
 * Datasets without an IRI or identifier land in out->rejected and never
 * fail the page. A line of text before the first Turtle directive is
 * skipped and reported in out->warning. N-Triples is read by raptor's
 * Turtle parser, so out->syntax is "turtle" for it. Every string and
 * graph in out is owned by out.
 */
int hv_page_decode(hv_page *out, const char *body, size_t len,
                   const char *content_type, const char *format_hint,
                   const char *page_url, hv_error *err);

void hv_page_fini(hv_page *page);

#endif
