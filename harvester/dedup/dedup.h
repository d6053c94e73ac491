/*
 * Cross-source deduplication: which stored copies are one dataset, and
 * which copy of each is published.
 *
 * This header holds the pure part (no store, no loop), so the rules can
 * be tested on plain arrays: identifier normalisation, the reading of
 * dct:modified as an instant, the winner order and the grouping of copies
 * into datasets. resolve.c applies them to the store after a harvest
 * (hv_dedup_resolve); neardup.c finds near duplicates for the report.
 * The rules are written out in harvester/dedup/README.md.
 */
#ifndef HV_DEDUP_DEDUP_H
#define HV_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/*
 * Writes the normalised form of a dct:identifier into out (appended;
 * the caller resets it). The steps, in order:
 *   1. leading and trailing white space is dropped, and every inner run
 *      of white space becomes one space;
 *   2. ASCII letters are lower-cased (other bytes are kept as they are);
 *   3. an identifier of the form http://... or https://... is read as a
 *      URL: the scheme is dropped (http and https name the same thing),
 *      a default port (:80, :443) and a trailing '/' are dropped, and
 *      a fragment ("#...") is kept, since it can name a resource of its
 *      own;
 *   4. percent escapes are written with upper-case hex digits (after the
 *      lower-casing of step 2 had lowered them).
 * Returns 0, or HV_EINVAL for an identifier that normalises to nothing
 * (empty or only white space), or HV_ENOMEM / HV_ETOOBIG from out.
 */
int hv_dedup_normalize_id(const char *raw, hv_buf *out, hv_error *err);

/*
 * Reads a dct:modified value as an instant: xsd:date (YYYY-MM-DD, taken
 * as midnight) or xsd:dateTime (YYYY-MM-DDThh:mm[:ss[.fff...]]), each
 * with an optional zone (Z or +hh:mm / -hh:mm); a value without a zone
 * is UTC. Leading and trailing white space is allowed. Writes
 * microseconds since 1970-01-01T00:00Z to *out and returns 0; returns -1
 * for anything else (the copy then counts as having no modified date).
 */
int hv_dedup_parse_modified(const char *s, int64_t *out);

/* One stored copy of a dataset, as the winner rules see it. */
typedef struct hv_dedup_copy {
  int64_t id;             /* dataset row id (unique) */
  const char *source;     /* source name (unique, never NULL) */
  const char *key;        /* key within the source (never NULL) */
  const char *uri;        /* dataset IRI or NULL */
  const char *identifier; /* raw dct:identifier or NULL */
  const char *modified;   /* raw dct:modified or NULL */
  int priority;           /* the source's priority: higher wins */
  int64_t arrival;        /* generation in which the copy first arrived:
                             lower is earlier; copies first stored by the
                             same harvest share one */
} hv_dedup_copy;

/*
 * The winner order, a total order on copies: returns < 0 if a beats b,
 * > 0 if b beats a, 0 only for the same row id. Rules in turn:
 *   1. a copy with a readable dct:modified beats one without;
 *   2. the later dct:modified instant wins (equal instants tie);
 *   3. the higher source priority wins;
 *   4. the earlier arrival generation wins;
 *   5. stable tie-breaks: source name, then key, then row id, ascending.
 * Pure: the result depends only on the two copies.
 */
int hv_dedup_compare(const hv_dedup_copy *a, const hv_dedup_copy *b);

/* Which rule decided hv_dedup_compare(a, b), as a short phrase for the
   transition log ("newer modified", "higher priority", ...). */
const char *hv_dedup_compare_reason(const hv_dedup_copy *a,
                                    const hv_dedup_copy *b);

/*
 * Two raw identifiers that normalise to the same key. The copies are
 * treated as one dataset (that is what normalisation is for), and every
 * such pair is returned so that it can be logged and reported rather
 * than merged silently.
 */
typedef struct hv_dedup_collision {
  size_t a, b;      /* indices into the copies given to hv_dedup_group */
  char *normalised; /* owned by the hv_dedup_groups */
} hv_dedup_collision;

/* The grouping of n copies. */
typedef struct hv_dedup_groups {
  size_t n;                 /* copies */
  size_t *group;            /* per copy: index of its group's winner */
  size_t n_groups;          /* datasets (groups), singletons included */
  hv_dedup_collision *collisions;
  size_t n_collisions;      /* one per extra raw form of a key */
} hv_dedup_groups;

/*
 * Groups copies into datasets: two copies are one dataset when their
 * normalised identifiers are equal or their IRIs are equal, and the
 * relation is closed transitively (union-find). Then picks each group's
 * winner by hv_dedup_compare; out->group[i] is the index of copy i's
 * winner (so out->group[w] == w exactly for winners). The result does
 * not depend on the order of copies (up to the indices themselves).
 * Copies whose identifier normalises to nothing are grouped by IRI only.
 * Free with hv_dedup_groups_fini.
 */
int hv_dedup_group(const hv_dedup_copy *copies, size_t n,
                   hv_dedup_groups *out, hv_error *err);

/* Frees what hv_dedup_group allocated; NULL-safe, zeroes *g. */
void hv_dedup_groups_fini(hv_dedup_groups *g);

/* ---- applying the rules to the store (resolve.c) ---------------------- */

/*
 * One dataset copy whose published status changed in a resolve: the
 * interface a sink outbox uses. Strings are borrowed for the callback.
 */
typedef struct hv_dedup_change {
  int64_t dataset_id;
  const char *source;
  const char *key;
  const char *from_state; /* NULL for a copy stored since the last
                             resolve (it counted as active) */
  const char *to_state;   /* "active", "superseded", "deleted" or
                             "quarantined" */
  int published;          /* 1: now published (put it), 0: no longer
                             published (withdraw it if it was pushed) */
  const char *reason;
} hv_dedup_change;

/*
 * Called once per copy whose published status changed (a copy stored
 * since the last resolve counts as published, as the harvest stored it
 * active), inside the
 * resolve's store transaction (so an outbox row written from here
 * commits or rolls back with the states). A negative return aborts the
 * resolve, rolls back and is returned.
 */
typedef int (*hv_dedup_change_cb)(const hv_dedup_change *c, void *payload);

/* A source's run in the harvest being resolved. */
typedef struct hv_dedup_run {
  int64_t source_id;
  int64_t run_id;
} hv_dedup_run;

typedef struct hv_dedup_stats {
  size_t copies;      /* live copies considered */
  size_t groups;      /* datasets they form */
  size_t duplicates;  /* groups of more than one copy */
  size_t superseded;  /* copies superseded after the resolve */
  size_t promoted;    /* copies that became the published one */
  size_t transitions; /* state changes written */
  size_t collisions;  /* raw identifier forms merged by normalisation */
  size_t queued_puts;    /* sink operations queued by the resolve */
  size_t queued_deletes;
} hv_dedup_stats;

/*
 * Brings every stored copy's lifecycle state in line with the rules, in
 * one transaction: copies delivered by their source are grouped, each
 * group's winner is active (or stays quarantined), the others are
 * superseded; a winner that vanished or was deleted is replaced by the
 * best remaining copy (promotion). A copy alone keeps the state NULL it
 * was stored with (it counts as active), so only copies with duplicates
 * and changed copies are written. Each state change is stored with a
 * run id (the copy's own source's run in runs, else the newest of runs,
 * else none) and a reason; each change of published status is passed to
 * cb (may be NULL). A quarantined copy that its source delivered again in
 * runs leaves quarantine. For each run, the ledger's datasets_superseded
 * is set to the source's superseded copies. Then, in the same
 * transaction, each group's published copy is recorded under the
 * group's published identity (hv__dedup_publish) and the sink operations
 * that bring every configured sink to that publication are queued
 * (hv_store_publication_enqueue): the outbox needs nothing from cb.
 * stats may be NULL. Must be called outside a transaction.
 */
int hv_dedup_resolve(hv_store *s, const hv_dedup_run *runs, size_t n_runs,
                     hv_dedup_change_cb cb, void *payload,
                     hv_dedup_stats *stats, hv_error *err);

/*
 * Records the published copy of every group under its published
 * identity (table publication), in the caller's open transaction: the
 * identity the group had (one of its copies', preferring the winner's,
 * else the one of prev_grp[i], the copy a member's group published at
 * the last resolve), else a fresh one from the winner (normalised
 * dct:identifier, else IRI, else "source/key"; "#row-id" appended if
 * another group holds it). Identities of groups that are gone are
 * removed. copies and g as from hv_dedup_group over nc live copies.
 * Internal to the resolve; see publish.c for the reasoning.
 */
int hv__dedup_publish(hv_store *s, const hv_dedup_copy *copies,
                      const int64_t *prev_grp, size_t nc,
                      const hv_dedup_groups *g, hv_error *err);

/* ---- near duplicates (neardup.c) -------------------------------------- */

typedef struct hv_neardup_opts {
  double threshold; /* least Jaccard similarity reported, 0..1; 0.8 */
  size_t max_bucket; /* LSH buckets larger than this are not paired
                        (boilerplate titles); 0: 500 */
} hv_neardup_opts;

#define HV_NEARDUP_OPTS_INIT {0.8, 500}

/* A candidate pair: two published datasets that look alike. */
typedef struct hv_neardup_pair {
  char *source_a, *key_a, *title_a;
  char *source_b, *key_b, *title_b;
  double similarity; /* exact Jaccard of the two feature sets */
} hv_neardup_pair;

typedef struct hv_neardup_result {
  hv_neardup_pair *pairs; /* similarity descending, then keys */
  size_t n_pairs;
  size_t datasets;        /* published datasets compared */
  size_t skipped_buckets; /* buckets over max_bucket */
} hv_neardup_result;

/*
 * Finds near duplicates among the published datasets of s: copies from
 * different sources, with different normalised identifiers and IRIs,
 * whose title words, publisher and distribution URLs are alike (MinHash
 * over the features, LSH banding, then the exact Jaccard similarity of
 * each candidate pair; see harvester/README.md). Free with
 * hv_neardup_result_fini.
 */
int hv_neardup_find(hv_store *s, const hv_neardup_opts *opts,
                    hv_neardup_result *out, hv_error *err);

void hv_neardup_result_fini(hv_neardup_result *r);

/*
 * The feature set of one dataset from its canonical N-Triples: hashes of
 * the title's word pairs (and single words), the publisher (IRI or
 * name) and each distribution's access and download URL, sorted and
 * unique. title_out (may be NULL) receives the title, owned by the
 * caller. Exposed for tests.
 */
int hv_neardup_features(const char *ntriples, size_t len, uint64_t **out,
                        size_t *n_out, char **title_out, hv_error *err);

/* MinHash signature length and LSH banding (bands * rows == length). */
#define HV_NEARDUP_HASHES 64
#define HV_NEARDUP_BANDS 16
#define HV_NEARDUP_ROWS 4

#endif
