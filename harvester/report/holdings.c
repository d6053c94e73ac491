/*
 * Reconciliation of the ledger with the store (report.h): for every
 * source, the datasets the store holds must equal the ledger's flows
 * summed over all its runs (new minus deleted). Held means every copy
 * that is not deleted: published, superseded by another source's copy
 * (delivered and stored, just not published) or quarantined (still
 * delivered as far as the store knows). A difference means a run or a
 * command changed datasets without counting it, or counted what it did
 * not write, and every volume report built on that ledger would be
 * wrong.
 */
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

typedef struct walk {
  hv_reconcile_row *rows;
  size_t n, cap;
} walk;

/*
 * The row of source_id, created with source and state if new. Rows are
 * per source, not per source and state: ledger rows keep the state a
 * run counted in, while the store holds the datasets under the source's
 * state today.
 */
static hv_reconcile_row *row_get(walk *w, int64_t source_id,
                                 const char *source, const char *state)
{
  hv_reconcile_row *grown;
  size_t i;

  for (i = 0; i < w->n; i++) {
    if (w->rows[i].source_id == source_id)
      return &w->rows[i];
  }
  if (w->n == w->cap) {
    size_t cap = w->cap ? w->cap * 2 : 32;

    if (!(grown = hv_realloc(w->rows, cap * sizeof(*grown))))
      return NULL;
    w->rows = grown;
    w->cap = cap;
  }
  memset(&w->rows[w->n], 0, sizeof(w->rows[w->n]));
  snprintf(w->rows[w->n].source, sizeof(w->rows[w->n].source), "%s", source);
  snprintf(w->rows[w->n].state, sizeof(w->rows[w->n].state), "%s", state);
  w->rows[w->n].source_id = source_id;
  w->rows[w->n].store = -1;
  return &w->rows[w->n++];
}

static int add_flow(const hv_ledger_entry *e, void *payload)
{
  walk *w = payload;
  hv_reconcile_row *r = row_get(w, e->source_id, e->source_name, e->state);

  if (!r)
    return HV_ENOMEM;
  r->added += e->counts.datasets_new;
  r->deleted += e->counts.datasets_deleted;
  r->ledger = r->added - r->deleted;
  /* The newest run's state, for a source that is gone. */
  snprintf(r->state, sizeof(r->state), "%s", e->state);
  return 0;
}

static int by_source(const void *a, const void *b)
{
  const hv_reconcile_row *x = a, *y = b;
  int c = strcmp(x->source, y->source);

  if (c)
    return c;
  return (x->source_id > y->source_id) - (x->source_id < y->source_id);
}

int hv_reconcile_compute(hv_store *s, hv_reconcile *out, hv_error *err)
{
  walk w = {NULL, 0, 0};
  hv_holding *hold = NULL;
  size_t n_hold = 0, i, j;
  int rc;

  memset(out, 0, sizeof(*out));
  if ((rc = hv_store_holdings(s, &hold, &n_hold, err)) < 0)
    goto cleanup;
  /*
   * Rows are matched by source id, not name: a removed and re-added
   * source gets a new id, and the old one's flows must not count
   * against it. Flows of ids no longer in the store keep store -1.
   */
  if ((rc = hv_store_ledger_foreach(s, 0, add_flow, &w, err)) < 0) {
    if (rc == HV_ENOMEM)
      rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n_hold; i++) {
    hv_reconcile_row *r = row_get(&w, hold[i].source_id, hold[i].name,
                                   hold[i].state);

    if (!r) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    /* A present source is shown under its state of today. */
    snprintf(r->state, sizeof(r->state), "%s", hold[i].state);
    r->store = hold[i].active;
    r->superseded = hold[i].superseded;
    r->quarantined = hold[i].quarantined;
  }
  for (j = 0; j < w.n; j++) {
    if (w.rows[j].store < 0)
      continue;
    if (w.rows[j].store != w.rows[j].ledger)
      out->differences++;
  }
  if (w.n)
    qsort(w.rows, w.n, sizeof(*w.rows), by_source);
  out->rows = w.rows;
  out->n = w.n;
  w.rows = NULL;

cleanup:
  hv_free(w.rows);
  hv_free(hold);
  return rc;
}

void hv_reconcile_fini(hv_reconcile *r)
{
  if (!r)
    return;
  hv_free(r->rows);
  memset(r, 0, sizeof(*r));
}
