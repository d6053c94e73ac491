/*
 * RDF Dataset Canonicalization (W3C RDFC-1.0) and the canonical hash.
 *
 * Two graphs that differ only in blank node labels or quad order get the
 * same canonical N-Quads and therefore the same hash; any other change
 * gives a different one. This is how a re-harvest tells "unchanged" from
 * "updated" although portals relabel blank nodes on every export.
 */
#ifndef HV_CANON_RDFC10_H
#define HV_CANON_RDFC10_H

#include "model/graph.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/hash.h"

/*
 * Canonicalizes g with RDFC-1.0 (SHA-256) and appends the canonical
 * N-Quads document (sorted lines, blank nodes labelled c14n0, c14n1, ...;
 * duplicate quads removed) to out. g is not modified.
 *
 * Returns 0, HV_ENOMEM, HV_ETOOBIG (out's cap) or HV_ELIMIT when the
 * graph needs more hash work than the algorithm's safety limit allows
 * (a "poison" graph of many indistinguishable blank nodes); HV_EINVAL
 * for malformed quads as listed at hv_rdfc10_canonicalize_opts. On
 * failure out keeps its old content.
 */
int hv_rdfc10_canonicalize(const hv_graph *g, hv_buf *out, hv_error *err);

/*
 * Canonicalizes g and writes the hex SHA-256 of its canonical N-Quads to
 * hash_out. If nquads_out is not NULL the canonical document is appended
 * to it as well. Returns what hv_rdfc10_canonicalize returns; on failure
 * hash_out is not written and nquads_out keeps its old content.
 */
int hv_rdfc10_hash(const hv_graph *g, char hash_out[HV_SHA256_HEX_LEN + 1],
                   hv_buf *nquads_out, hv_error *err);

/* The hash function used inside the algorithm (RDFC-1.0 section 4.3). */
typedef enum hv_rdfc10_alg {
  HV_RDFC10_SHA256 = 0, /* the default, and what hv_rdfc10_canonicalize uses */
  HV_RDFC10_SHA384      /* allowed by the recommendation; some suite cases */
} hv_rdfc10_alg;

/*
 * Default work limit: the number of Hash N-Degree Quads invocations plus
 * permutations of related blank nodes one canonicalization may spend.
 * Dataset graphs whose blank nodes are told apart by their own quads need
 * none; the limit only bites on graphs built to be expensive (a clique of
 * identical blank nodes needs factorially many steps).
 */
#define HV_RDFC10_WORK_LIMIT_DEFAULT 10000UL

#define HV_RDFC10_OPTS_VERSION 1

typedef struct hv_rdfc10_opts {
  unsigned int version;     /* HV_RDFC10_OPTS_VERSION */
  hv_rdfc10_alg alg;        /* hash used by the algorithm's steps */
  unsigned long work_limit; /* 0 means HV_RDFC10_WORK_LIMIT_DEFAULT */
  hv_buf *issued_out;       /* OUT, optional: the issued identifier map */
} hv_rdfc10_opts;

#define HV_RDFC10_OPTS_INIT {HV_RDFC10_OPTS_VERSION, HV_RDFC10_SHA256, 0, NULL}

/*
 * hv_rdfc10_canonicalize with options (opts NULL means the defaults).
 *
 * If opts->issued_out is not NULL, the issued identifier map is appended
 * to it: one line "label c14nN\n" per blank node of g, in byte order of
 * the input labels (without "_:"). The caller owns out and issued_out;
 * on failure neither has anything appended (both keep their old length).
 *
 * Returns 0, HV_ENOMEM, HV_ETOOBIG, HV_ELIMIT (more work than
 * opts->work_limit, or N-degree hashing nested deeper than 512 levels
 * along a chain of look-alike blank nodes), or HV_EINVAL for a quad
 * without subject, predicate or object, a quad with a blank node as
 * predicate, or unsupported options.
 */
int hv_rdfc10_canonicalize_opts(const hv_graph *g, const hv_rdfc10_opts *opts,
                                hv_buf *out, hv_error *err);

#endif
