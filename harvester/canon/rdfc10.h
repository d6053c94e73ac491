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
 * (a "poison" graph of many indistinguishable blank nodes).
 */
int hv_rdfc10_canonicalize(const hv_graph *g, hv_buf *out, hv_error *err);

/*
 * Canonicalizes g and writes the hex SHA-256 of its canonical N-Quads to
 * hash_out. If nquads_out is not NULL the canonical document is appended
 * to it as well.
 */
int hv_rdfc10_hash(const hv_graph *g, char hash_out[HV_SHA256_HEX_LEN + 1],
                   hv_buf *nquads_out, hv_error *err);

#endif
