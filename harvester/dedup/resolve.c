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

static int published(const char *state)
{
  return state && (strcmp(state, HV_DS_ACTIVE) == 0 ||
                   strcmp(state, HV_DS_QUARANTINED) == 0);
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
  char (*reasons)[160] = NULL;
  hv_dedup_groups g;
  hv_dedup_stats st;
  size_t n = 0, nc = 0, nu = 0, i;
  int64_t max_arrival = 0, gen, newest_run = 0;
  int rc, in_tx = 0;

  memset(&g, 0, sizeof(g));
  memset(&st, 0, sizeof(st));
  for (i = 0; i < n_runs; i++)
    if (runs[i].run_id > newest_run)
      newest_run = runs[i].run_id;
  if ((rc = hv_store_begin(s, err)) < 0)
    goto cleanup;
  in_tx = 1;
  if ((rc = hv_store_lifecycle_load(s, &rows, &n, &max_arrival, err)) < 0)
    goto cleanup;
  /* Every copy first stored since the last resolve arrived "now". */
  gen = max_arrival + 1;
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
    c->arrival = rows[i].arrival >= 0 ? rows[i].arrival : gen;
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
    const char *to;
    hv_lifecycle_update *u = &ups[nu];

    if (r->state && strcmp(r->state, HV_DS_QUARANTINED) == 0 && !back)
      to = is_winner ? HV_DS_QUARANTINED : HV_DS_SUPERSEDED;
    else
      to = is_winner ? HV_DS_ACTIVE : HV_DS_SUPERSEDED;
    if (!is_winner)
      st.superseded++;
    if (same(r->state, to) && r->grp == w->id &&
        r->arrival == copies[i].arrival)
      continue;
    memset(u, 0, sizeof(*u));
    u->id = r->id;
    u->grp = w->id;
    u->arrival = copies[i].arrival;
    nu++;
    if (same(r->state, to))
      continue;
    u->from_state = r->state;
    u->to_state = to;
    u->run_id = run ? run : newest_run;
    if (!is_winner)
      snprintf(reasons[i], sizeof(reasons[i]), "superseded by %s %.60s (%s)",
               w->source, w->key, hv_dedup_compare_reason(w, &copies[i]));
    else if (r->state && strcmp(r->state, HV_DS_SUPERSEDED) == 0)
      snprintf(reasons[i], sizeof(reasons[i]),
               "promoted: best remaining of %zu copies", group_size[i]);
    else if (r->state && strcmp(r->state, HV_DS_ACTIVE) != 0)
      snprintf(reasons[i], sizeof(reasons[i]),
               "delivered again; best of %zu copies", group_size[i]);
    else if (group_size[i] > 1)
      snprintf(reasons[i], sizeof(reasons[i]), "best of %zu copies",
               group_size[i]);
    else
      snprintf(reasons[i], sizeof(reasons[i]), "first arrival");
    u->reason = reasons[i];
    if (is_winner && r->state && strcmp(r->state, HV_DS_SUPERSEDED) == 0)
      st.promoted++;
    if (cb && published(r->state) != published(to)) {
      hv_dedup_change c = {r->id,     r->source, r->key,    r->state,
                           to,        published(to), u->reason};

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
    u->arrival = r->arrival >= 0 ? r->arrival : gen;
    u->from_state = r->state;
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
  return rc;
}
