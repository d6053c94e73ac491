/*
 * Applying the deduplication rules to the store after a harvest (see
 * hv_dedup_resolve in dedup.h).
 *
 * The resolve is a full pass over the delivered copies rather than an
 * update of the groups a run touched: grouping is transitive (a copy can
 * join two groups into one, or its leaving can split one), so only a full
 * pass is plainly right, and at 100,000 copies it costs a fraction of a
 * second (see tests/bench/README.md). Only changed rows are written.
 */
#include "dedup/dedup.h"

#include <stdio.h>
#include <string.h>

#include "util/alloc.h"
#include "util/log.h"

/* Collisions logged one by one before only their number is. */
#define MAX_COLLISIONS_LOGGED 20

/* A copy stored since the last resolve (state NULL) counts as active. */
static const char *effective(const char *state)
{
  return state ? state : HV_DS_ACTIVE;
}

static int published(const char *state)
{
  state = effective(state);
  return strcmp(state, HV_DS_ACTIVE) == 0 ||
         strcmp(state, HV_DS_QUARANTINED) == 0;
}

/* The generation of a copy first stored by run first_run: the first
 * whose bound covers it (bounds ascend). */
static int64_t arrival_of(const int64_t *bounds, size_t n, int64_t first_run)
{
  size_t lo = 0, hi = n;

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;

    if (bounds[mid] >= first_run)
      hi = mid;
    else
      lo = mid + 1;
  }
  return (int64_t)lo + 1;
}

static int same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The run of source_id in runs, or 0. */
static int64_t run_of(const hv_dedup_run *runs, size_t n, int64_t source_id)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (runs[i].source_id == source_id)
      return runs[i].run_id;
  return 0;
}

typedef struct deleted_ctx {
  hv_dedup_change_cb cb;
  void *payload;
} deleted_ctx;

static int on_deleted(int64_t id, const char *source, const char *key,
                      void *payload)
{
  deleted_ctx *dc = payload;
  hv_dedup_change c;

  memset(&c, 0, sizeof(c));
  c.dataset_id = id;
  c.source = source;
  c.key = key;
  c.from_state = HV_DS_ACTIVE;
  c.to_state = HV_DS_DELETED;
  c.published = 0;
  c.reason = "vanished from its source in a complete run";
  return dc->cb(&c, dc->payload);
}

int hv_dedup_resolve(hv_store *s, const hv_dedup_run *runs, size_t n_runs,
                     hv_dedup_change_cb cb, void *payload,
                     hv_dedup_stats *stats, hv_error *err)
{
  hv_lifecycle_row *rows = NULL;
  hv_dedup_copy *copies = NULL;
  size_t *copy_row = NULL, *group_size = NULL;
  hv_lifecycle_update *ups = NULL;
  char (*reasons)[256] = NULL;
  hv_dedup_groups g;
  hv_dedup_stats st;
  size_t n = 0, nc = 0, nu = 0, n_bounds = 0, i;
  int64_t *bounds = NULL, *prev_grp = NULL, newest_run = 0;
  int rc, in_tx = 0;

  memset(&g, 0, sizeof(g));
  memset(&st, 0, sizeof(st));
  for (i = 0; i < n_runs; i++)
    if (runs[i].run_id > newest_run)
      newest_run = runs[i].run_id;
  if ((rc = hv_store_begin(s, err)) < 0)
    goto cleanup;
  in_tx = 1;
  if ((rc = hv_store_lifecycle_generations(s, 1, &bounds, &n_bounds,
                                           err)) < 0 ||
      (rc = hv_store_lifecycle_load(s, &rows, &n, err)) < 0)
    goto cleanup;
  if (n && (!(copies = hv_calloc(n, sizeof(*copies))) ||
            !(copy_row = hv_calloc(n, sizeof(*copy_row))) ||
            !(group_size = hv_calloc(n, sizeof(*group_size))) ||
            !(ups = hv_calloc(n, sizeof(*ups))) ||
            !(reasons = hv_calloc(n, sizeof(*reasons))))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    hv_dedup_copy *c;

    if (!rows[i].live)
      continue;
    c = &copies[nc];
    c->id = rows[i].id;
    c->source = rows[i].source;
    c->key = rows[i].key;
    c->uri = rows[i].uri;
    c->identifier = rows[i].identifier;
    c->modified = rows[i].modified;
    c->priority = rows[i].priority;
    c->arrival = arrival_of(bounds, n_bounds, rows[i].first_run);
    copy_row[nc++] = i;
  }
  if ((rc = hv_dedup_group(copies, nc, &g, err)) < 0)
    goto cleanup;
  for (i = 0; i < nc; i++)
    group_size[g.group[i]]++;

  for (i = 0; i < g.n_collisions; i++) {
    if (i < MAX_COLLISIONS_LOGGED)
      hv_log_warn("dedup: identifiers '%s' (%s) and '%s' (%s) both "
                  "normalise to '%s'; treated as one dataset",
                  copies[g.collisions[i].a].identifier,
                  copies[g.collisions[i].a].source,
                  copies[g.collisions[i].b].identifier,
                  copies[g.collisions[i].b].source,
                  g.collisions[i].normalised);
  }
  if (g.n_collisions > MAX_COLLISIONS_LOGGED)
    hv_log_warn("dedup: %zu identifier collisions in all (see `govharvest "
                "report duplicates`)",
                g.n_collisions);

  /* Live copies: winner or not. */
  for (i = 0; i < nc; i++) {
    hv_lifecycle_row *r = &rows[copy_row[i]];
    const hv_dedup_copy *w = &copies[g.group[i]];
    int is_winner = g.group[i] == i;
    int64_t run = run_of(runs, n_runs, r->source_id);
    int back = run && (r->last_seen_run == run || r->kept_run == run);
    /* Only groups of several copies record their published copy. */
    int64_t grp = group_size[g.group[i]] > 1 ? w->id : 0;
    const char *cur = effective(r->state), *to;
    hv_lifecycle_update *u = &ups[nu];

    if (strcmp(cur, HV_DS_QUARANTINED) == 0 && !back)
      to = is_winner ? HV_DS_QUARANTINED : HV_DS_SUPERSEDED;
    else
      to = is_winner ? HV_DS_ACTIVE : HV_DS_SUPERSEDED;
    if (!is_winner)
      st.superseded++;
    if (strcmp(cur, to) == 0 && r->grp == grp)
      continue;
    memset(u, 0, sizeof(*u));
    u->id = r->id;
    u->grp = grp;
    nu++;
    if (strcmp(cur, to) == 0)
      continue;
    u->from_state = cur;
    u->to_state = to;
    u->run_id = run ? run : newest_run;
    if (!is_winner)
      snprintf(reasons[i], sizeof(reasons[i]),
               "superseded by %s %.160s (%s)",
               w->source, w->key, hv_dedup_compare_reason(w, &copies[i]));
    else if (strcmp(cur, HV_DS_SUPERSEDED) == 0)
      snprintf(reasons[i], sizeof(reasons[i]),
               "promoted: best remaining of %zu copies", group_size[i]);
    else
      snprintf(reasons[i], sizeof(reasons[i]),
               "delivered again; best of %zu copies", group_size[i]);
    u->reason = reasons[i];
    if (is_winner && strcmp(cur, HV_DS_SUPERSEDED) == 0)
      st.promoted++;
    if (cb && published(r->state) != published(to)) {
      hv_dedup_change c = {r->id, r->source,     r->key,   r->state,
                           to,    published(to), u->reason};

      if ((rc = cb(&c, payload)) < 0)
        goto cleanup;
    }
  }
  /* Copies no longer delivered whose state lags behind (a store that
   * failed between a deletion and its resolve). */
  for (i = 0; i < n; i++) {
    hv_lifecycle_row *r = &rows[i];
    hv_lifecycle_update *u = &ups[nu];

    if (r->live || same(r->state, HV_DS_DELETED))
      continue;
    memset(u, 0, sizeof(*u));
    u->id = r->id;
    u->grp = r->grp;
    u->from_state = effective(r->state);
    u->to_state = HV_DS_DELETED;
    u->run_id = newest_run;
    u->reason = "no longer delivered by its source";
    nu++;
    if (cb && published(r->state)) {
      hv_dedup_change c = {r->id, r->source, r->key, r->state,
                           HV_DS_DELETED, 0, u->reason};

      if ((rc = cb(&c, payload)) < 0)
        goto cleanup;
    }
  }
  if ((rc = hv_store_lifecycle_apply(s, ups, nu, err)) < 0)
    goto cleanup;
  for (i = 0; i < nu; i++)
    if (ups[i].to_state)
      st.transitions++;
  for (i = 0; i < n_runs; i++) {
    deleted_ctx dc = {cb, payload};

    if ((rc = hv_store_ledger_set_superseded(s, runs[i].run_id,
                                             runs[i].source_id, err)) < 0 ||
        (cb && (rc = hv_store_lifecycle_deleted(s, runs[i].run_id,
                                                on_deleted, &dc, err)) < 0))
      goto cleanup;
  }
  /* Publication and the sink operations, decided here with the states
   * so that they commit together (see store/publish.c). */
  if (!(prev_grp = hv_calloc(nc ? nc : 1, sizeof(*prev_grp)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < nc; i++)
    prev_grp[i] = rows[copy_row[i]].grp;
  if ((rc = hv__dedup_publish(s, copies, prev_grp, nc, &g, err)) < 0 ||
      (rc = hv_store_publication_enqueue(s, &st.queued_puts,
                                         &st.queued_deletes, err)) < 0)
    goto cleanup;
  if ((rc = hv_store_commit(s, err)) < 0)
    goto cleanup;
  in_tx = 0;
  st.copies = nc;
  st.groups = g.n_groups;
  for (i = 0; i < nc; i++)
    if (g.group[i] == i && group_size[i] > 1)
      st.duplicates++;
  st.collisions = g.n_collisions;
  if (stats)
    *stats = st;

cleanup:
  if (in_tx)
    hv_store_rollback(s);
  hv_dedup_groups_fini(&g);
  hv_lifecycle_rows_free(rows, n);
  hv_free(copies);
  hv_free(copy_row);
  hv_free(group_size);
  hv_free(ups);
  hv_free(reasons);
  hv_free(bounds);
  hv_free(prev_grp);
  return rc;
}
