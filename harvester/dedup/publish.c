/*
 * The published identity of each dataset (see hv__dedup_publish in
 * dedup.h): the name under which the sinks know a deduplicated dataset,
 * whichever of its copies is published.
 *
 * An identity is sticky. A group that already has one keeps it: the
 * identity of one of its copies (the winner's if it has one), else that
 * of the copy the group published at the last resolve (dataset.grp), so
 * a winner that vanished hands its identity to the copy promoted in its
 * place. A group without one gets a fresh identity from its winner: the
 * normalised dct:identifier, else the dataset IRI, else "source/key". The
 * fresh form is itself stable (two sources delivering the same
 * identifier give the same string), so even a winner that vanishes in the
 * same run as another source's copy appears keeps its name. Where two
 * groups would share an identity, the fresh one gets "#" and its copy's
 * row id appended.
 *
 * Test support: with GOVHARVEST_TEST_KILL_BEFORE_PUBLISH set in the
 * environment the process kills itself with SIGKILL as the resolve
 * reaches the publication, inside the resolve's open transaction, which
 * is lost with it: the pages of the run are committed and their resolve
 * never happened, the crash the publication must survive. The
 * integration tests use it to kill the real binary at exactly that
 * point; nothing else sets it.
 */
#include "dedup/dedup.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* A publication row index ordered by dataset id, for lookups. */
typedef struct by_copy {
  int64_t dataset_id;
  size_t row;
} by_copy;

static int cmp_by_copy(const void *a, const void *b)
{
  const by_copy *x = a, *y = b;

  return x->dataset_id < y->dataset_id ? -1 : x->dataset_id > y->dataset_id;
}

/* The publication row of dataset_id, or -1. */
static long find_copy(const by_copy *idx, size_t n, int64_t dataset_id)
{
  by_copy key = {dataset_id, 0};
  const by_copy *hit;

  if (dataset_id <= 0 || n == 0)
    return -1;
  hit = bsearch(&key, idx, n, sizeof(*idx), cmp_by_copy);
  return hit ? (long)hit->row : -1;
}

/* One identity of the new publication. */
typedef struct wanted {
  char *identity; /* owned */
  int64_t dataset_id;
  int fresh;      /* derived now, may be renamed on a clash */
} wanted;

static int cmp_wanted(const void *a, const void *b)
{
  const wanted *x = a, *y = b;
  int c = strcmp(x->identity, y->identity);

  if (c)
    return c;
  /* On a clash the sticky one sorts first and keeps the name. */
  if (x->fresh != y->fresh)
    return x->fresh - y->fresh;
  return x->dataset_id < y->dataset_id ? -1 : x->dataset_id > y->dataset_id;
}

/* Derives the fresh identity of copy c into *out (owned). */
static int fresh_identity(const hv_dedup_copy *c, char **out, hv_error *err)
{
  hv_buf b = HV_BUF_INIT((size_t)1 << 16);
  hv_error nerr = HV_ERROR_INIT;
  int rc = 0;

  if (c->identifier && hv_dedup_normalize_id(c->identifier, &b, &nerr) == 0) {
    /* normalised identifier */
  } else if (nerr.code == HV_ENOMEM) {
    rc = hv_error_oom(err);
  } else {
    hv_buf_reset(&b);
    if (c->uri && *c->uri)
      rc = hv_buf_addstr(&b, c->uri);
    else
      rc = hv_buf_addf(&b, "%s/%s", c->source, c->key);
    if (rc < 0)
      rc = rc == HV_ENOMEM ? hv_error_oom(err)
                           : hv_error_set(err, rc,
                                          "dedup: identity of %s %.80s is "
                                          "too long",
                                          c->source, c->key);
  }
  if (rc == 0 && !(*out = hv_strdup(b.ptr)))
    rc = hv_error_oom(err);
  hv_buf_fini(&b);
  return rc;
}

int hv__dedup_publish(hv_store *s, const hv_dedup_copy *copies,
                      const int64_t *prev_grp, size_t nc,
                      const hv_dedup_groups *g, hv_error *err)
{
  hv_publication_row *old = NULL, *set = NULL;
  by_copy *idx = NULL;
  long *chosen = NULL;
  unsigned char *claimed = NULL;
  wanted *want = NULL;
  const char **removed = NULL;
  size_t n_old = 0, n_want = 0, n_set = 0, n_removed = 0, i, j;
  int rc = 0, clash;

  if (getenv("GOVHARVEST_TEST_KILL_BEFORE_PUBLISH"))
    raise(SIGKILL);
  if ((rc = hv_store_publication_load(s, &old, &n_old, err)) < 0)
    return rc;
  if (!(idx = hv_calloc(n_old + 1, sizeof(*idx))) ||
      !(claimed = hv_calloc(n_old + 1, 1)) ||
      !(chosen = hv_calloc(nc + 1, sizeof(*chosen))) ||
      !(want = hv_calloc(nc + 1, sizeof(*want))) ||
      !(set = hv_calloc(nc + 1, sizeof(*set))) ||
      !(removed = hv_calloc(n_old + 1, sizeof(*removed)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n_old; i++) {
    idx[i].dataset_id = old[i].dataset_id;
    idx[i].row = i;
  }
  qsort(idx, n_old, sizeof(*idx), cmp_by_copy);
  for (i = 0; i < nc; i++)
    chosen[i] = -1;

  /* The identities of the group's own copies: the winner's, else the
   * least by name (two published groups merged into one). */
  for (i = 0; i < nc; i++) {
    size_t w = g->group[i];
    long k = find_copy(idx, n_old, copies[i].id);

    if (k < 0)
      continue;
    if (chosen[w] < 0 || copies[i].id == copies[w].id ||
        (old[chosen[w]].dataset_id != copies[w].id &&
         strcmp(old[k].identity, old[chosen[w]].identity) < 0))
      chosen[w] = k;
  }
  for (i = 0; i < nc; i++)
    if (chosen[i] >= 0)
      claimed[chosen[i]] = 1;
  /* Then the identity of the copy the group published last time. */
  for (i = 0; i < nc; i++) {
    size_t w = g->group[i];
    long k = find_copy(idx, n_old, prev_grp[i]);

    if (chosen[w] >= 0 || k < 0 || claimed[k])
      continue;
    chosen[w] = k;
    claimed[k] = 1;
  }

  for (i = 0; i < nc; i++) {
    wanted *x;

    if (g->group[i] != i)
      continue;
    x = &want[n_want++];
    x->dataset_id = copies[i].id;
    if (chosen[i] >= 0) {
      if (!(x->identity = hv_strdup(old[chosen[i]].identity))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
    } else {
      x->fresh = 1;
      if ((rc = fresh_identity(&copies[i], &x->identity, err)) < 0)
        goto cleanup;
    }
  }
  /* Clashes: a fresh identity another group holds is made unique. */
  do {
    clash = 0;
    qsort(want, n_want, sizeof(*want), cmp_wanted);
    for (i = 1; i < n_want; i++) {
      char *renamed;
      size_t len;

      if (strcmp(want[i].identity, want[i - 1].identity) != 0)
        continue;
      len = strlen(want[i].identity) + 24;
      if (!want[i].fresh || !(renamed = hv_malloc(len))) {
        rc = want[i].fresh ? hv_error_oom(err)
                           : hv_error_set(err, HV_EINVAL,
                                          "dedup: identity %.80s published "
                                          "twice",
                                          want[i].identity);
        goto cleanup;
      }
      snprintf(renamed, len, "%s#%lld", want[i].identity,
               (long long)want[i].dataset_id);
      hv_free(want[i].identity);
      want[i].identity = renamed;
      want[i].fresh = 2; /* renamed once: "#id" is unique per copy */
      clash = 1;
    }
  } while (clash);

  /* The difference to the stored publication (both sorted by name). */
  for (i = 0, j = 0; i < n_old || j < n_want;) {
    int c = i == n_old   ? 1
            : j == n_want ? -1
                          : strcmp(old[i].identity, want[j].identity);

    if (c < 0) {
      removed[n_removed++] = old[i++].identity;
    } else if (c > 0) {
      set[n_set].identity = want[j].identity;
      set[n_set++].dataset_id = want[j++].dataset_id;
    } else {
      if (old[i].dataset_id != want[j].dataset_id) {
        removed[n_removed++] = old[i].identity;
        set[n_set].identity = want[j].identity;
        set[n_set++].dataset_id = want[j].dataset_id;
      }
      i++;
      j++;
    }
  }
  rc = hv_store_publication_apply(s, removed, n_removed, set, n_set, err);

cleanup:
  if (want)
    for (i = 0; i < n_want; i++)
      hv_free(want[i].identity);
  hv_free(want);
  hv_free(set);
  hv_free(removed);
  hv_free(chosen);
  hv_free(claimed);
  hv_free(idx);
  hv_publication_rows_free(old, n_old);
  return rc;
}
