/*
 * The index the check builds over one dataset graph before its rules run
 * (see check.c): the id of every triple's predicate among the predicates
 * the rules know, and the triples of each subject chained in graph
 * order, so that a rule walks only its node's triples and compares small
 * integers. Internal to the check stage.
 */
#ifndef HV_CHECK_INDEX_H
#define HV_CHECK_INDEX_H

#include <stddef.h>

#include "model/graph.h"
#include "util/error.h"

/* Every predicate a rule looks at has an id; all others share PR_OTHER. */
enum {
  PR_OTHER = 0,
  PR_TITLE,
  PR_DESCRIPTION,
  PR_PUBLISHER,
  PR_ISSUED,
  PR_MODIFIED,
  PR_IDENTIFIER,
  PR_SPATIAL,
  PR_TEMPORAL,
  PR_ACCESS_RIGHTS,
  PR_PERIODICITY,
  PR_DCT_TYPE,
  PR_LICENSE,
  PR_FORMAT,
  PR_RIGHTS,
  PR_THEME,
  PR_LANDING_PAGE,
  PR_DISTRIBUTION,
  PR_CONTACT_POINT,
  PR_TEMPORAL_RES,
  PR_SPATIAL_RES,
  PR_GRANULARITY,
  PR_BYTE_SIZE,
  PR_MEDIA_TYPE,
  PR_COMPRESS_FORMAT,
  PR_PACKAGE_FORMAT,
  PR_KEYWORD,
  PR_ACCESS_URL,
  PR_START_DATE,
  PR_END_DATE,
  PR_VERSION_INFO,
  PR_QUALITY_PROCESS,
  PR_CONTRIBUTOR,
  PR_AVAILABILITY,
  PR_CHECKSUM,
  PR_STATUS,
  PR_HAS_POLICY,
  PR_NAME,
  PR_COUNT
};

/* A known predicate: its IRI, the IRI's length, and whether its values
 * are dates (hv__lex_is_date_pred's list). */
typedef struct hv__check_pred {
  const char *iri;
  size_t len;
  int date;
} hv__check_pred;

extern const hv__check_pred hv__check_preds[PR_COUNT];

/* The id of a predicate IRI: PR_OTHER unless it is a known one. */
unsigned char hv__check_pred_id(const char *iri);

/* End of a chain; no such quad. */
#define HV__CHECK_NIL ((size_t)-1)
/* Graphs up to this many triples are indexed on the stack; a dataset
 * has tens of them. Larger graphs take one heap block. */
#define HV__CHECK_IDX_STACK 128

/*
 * The triples of each distinct subject, chained in graph order, and the
 * predicate id of every triple. Subjects are told apart by an open
 * addressing hash table on their terms, at most half full, so building
 * costs one hash per run of triples with the same subject and finding a
 * node one hash; two subjects are the same node exactly when
 * hv_term_equal says so, whether or not they share storage.
 */
typedef struct hv__check_index {
  size_t *next;        /* per quad: next of its subject, or HV__CHECK_NIL */
  size_t *first;       /* per subject id: its first quad */
  size_t *slot;        /* subject id + 1 per hash slot, 0 when empty */
  size_t mask;         /* slots - 1; slots is a power of two */
  unsigned char *pred; /* per quad: PR_* id of its predicate */
  unsigned char *lead; /* per quad: 1 if the first with its subject */
  void *heap;          /* the arrays, for graphs above HV__CHECK_IDX_STACK */
  struct {
    size_t next[HV__CHECK_IDX_STACK], first[HV__CHECK_IDX_STACK];
    size_t slot[2 * HV__CHECK_IDX_STACK];
    unsigned char pred[HV__CHECK_IDX_STACK], lead[HV__CHECK_IDX_STACK];
  } stack;
} hv__check_index;

/* One node being checked: its term and its first triple, or
 * HV__CHECK_NIL. */
typedef struct hv__check_node {
  const hv_term *t;
  size_t first;
} hv__check_node;

/* Indexes g into x, which then points into g: g must outlive it and stay
 * unchanged. Returns 0 or HV_ENOMEM (err set); either way x needs
 * hv__check_index_fini. */
int hv__check_index_build(hv__check_index *x, const hv_graph *g,
                          hv_error *err);
void hv__check_index_fini(hv__check_index *x);

/* The node t of the indexed graph g: t and its first triple, or
 * HV__CHECK_NIL when t is no subject of g. */
hv__check_node hv__check_node_of(const hv__check_index *x, const hv_graph *g,
                                 const hv_term *t);

#endif
