/*
 * Store queries for the daemon's views that the other stages do not
 * need: the findings of the datasets one run wrote, a source's datasets
 * with their findings a page at a time, and the datasets by state and
 * lifecycle status for /metrics (see store.h).
 *
 * A run "wrote" a dataset when it stored it new or changed
 * (changed_run is the run): only then are its findings replaced, so
 * these are exactly the findings that run produced and that still
 * stand. A later run that rewrites the dataset takes them over.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* Prepares sql (not cached: these run a few times a minute at most). */
static int prepare(hv_store *s, const char *sql, const char *what,
                   sqlite3_stmt **out, hv_error *err)
{
  if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK)
    return hv__store_fail(s, err, "prepare %s", what);
  return 0;
}

int hv_store_metric_lifecycle(hv_store *s, hv_metric_row **out,
                              size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_metric_row *rows = NULL;
  size_t n = 0, cap = 0;
  int rc, step;

  /* A copy stored since the last resolve has no state yet and counts as
   * active; a copy no longer delivered is deleted whatever its state. */
  if ((rc = prepare(s,
                    "SELECT s.state, CASE WHEN d.status = 'deleted'"
                    " THEN 'deleted' ELSE coalesce(d.state, 'active') END"
                    " AS lc, count(*) FROM dataset d"
                    " JOIN source s ON s.id = d.source_id"
                    " GROUP BY 1, 2 ORDER BY 1, 2",
                    "count datasets by state and lifecycle", &st, err)) < 0)
    goto cleanup;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_metric_row *r;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      hv_metric_row *grown = hv_realloc(rows, ncap * sizeof(*rows));
      if (!grown) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      rows = grown;
      cap = ncap;
    }
    r = &rows[n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->label1, sizeof(r->label1), "%s",
             (const char *)sqlite3_column_text(st, 0));
    snprintf(r->label2, sizeof(r->label2), "%s",
             (const char *)sqlite3_column_text(st, 1));
    r->value[0] = sqlite3_column_int64(st, 2);
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "count datasets by state and lifecycle");
    goto cleanup;
  }
  *out = rows;
  *n_out = n;
  rows = NULL;

cleanup:
  sqlite3_finalize(st);
  hv_free(rows);
  return rc;
}

void hv_run_findings_fini(hv_run_findings *f)
{
  size_t i;

  if (!f)
    return;
  for (i = 0; i < f->n_rules; i++)
    hv_free(f->rules[i].rule);
  hv_free(f->rules);
  memset(f, 0, sizeof(*f));
}

int hv_store_run_findings(hv_store *s, int64_t run_id, size_t top,
                          hv_run_findings *out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_run_findings f;
  int rc, step;

  memset(&f, 0, sizeof(f));
  if ((rc = prepare(s,
                    "SELECT count(*), count(*) FILTER (WHERE violations > 0),"
                    " count(*) FILTER (WHERE warnings > 0) FROM dataset"
                    " WHERE changed_run = ?1 AND status = 'active'",
                    "count a run's datasets", &st, err)) < 0)
    goto cleanup;
  sqlite3_bind_int64(st, 1, run_id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "count the datasets of run %lld",
                        (long long)run_id);
    goto cleanup;
  }
  f.datasets = sqlite3_column_int64(st, 0);
  f.with_violations = sqlite3_column_int64(st, 1);
  f.with_warnings = sqlite3_column_int64(st, 2);
  sqlite3_finalize(st);
  st = NULL;

  if ((rc = prepare(s,
                    "SELECT f.severity, count(*) FROM finding f"
                    " JOIN dataset d ON d.id = f.dataset_id"
                    " WHERE d.changed_run = ?1 AND d.status = 'active'"
                    " GROUP BY f.severity",
                    "count a run's findings", &st, err)) < 0)
    goto cleanup;
  sqlite3_bind_int64(st, 1, run_id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *sev = (const char *)sqlite3_column_text(st, 0);
    int64_t v = sqlite3_column_int64(st, 1);
    if (strcmp(sev, "violation") == 0)
      f.violations = v;
    else if (strcmp(sev, "warning") == 0)
      f.warnings = v;
    else
      f.infos = v;
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "count the findings of run %lld",
                        (long long)run_id);
    goto cleanup;
  }
  sqlite3_finalize(st);
  st = NULL;

  if (top == 0)
    goto done;
  if ((rc = prepare(s,
                    "SELECT f.rule, max(CASE f.severity WHEN 'violation'"
                    " THEN 2 WHEN 'warning' THEN 1 ELSE 0 END),"
                    " count(*), count(DISTINCT f.dataset_id)"
                    " FROM finding f JOIN dataset d ON d.id = f.dataset_id"
                    " WHERE d.changed_run = ?1 AND d.status = 'active'"
                    " GROUP BY f.rule ORDER BY 2 DESC, 3 DESC, 1 LIMIT ?2",
                    "list a run's top rules", &st, err)) < 0)
    goto cleanup;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)top);
  if (!(f.rules = hv_calloc(top, sizeof(*f.rules)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_rule_count *r = &f.rules[f.n_rules];
    static const char *const sev[3] = {"info", "warning", "violation"};
    int k = sqlite3_column_int(st, 1);

    if ((rc = hv__store_column_dup(st, 0, &r->rule, err)) < 0)
      goto cleanup;
    f.n_rules++;
    snprintf(r->severity, sizeof(r->severity), "%s",
             sev[k >= 0 && k <= 2 ? k : 0]);
    r->findings = sqlite3_column_int64(st, 2);
    r->datasets = sqlite3_column_int64(st, 3);
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "list the top rules of run %lld",
                        (long long)run_id);
    goto cleanup;
  }

done:
  *out = f;
  memset(&f, 0, sizeof(f));

cleanup:
  sqlite3_finalize(st);
  hv_run_findings_fini(&f);
  return rc;
}

void hv_dataset_findings_free(hv_dataset_findings *d, size_t n)
{
  size_t i, k;

  if (!d)
    return;
  for (i = 0; i < n; i++) {
    hv_free(d[i].key);
    hv_free(d[i].uri);
    hv_free(d[i].identifier);
    for (k = 0; k < d[i].n_items; k++) {
      hv_free(d[i].items[k].rule);
      hv_free(d[i].items[k].predicate);
      hv_free(d[i].items[k].message);
      hv_free(d[i].items[k].message_de);
    }
    hv_free(d[i].items);
  }
  hv_free(d);
}

/* Loads the findings of dataset row id into d. */
static int load_items(hv_store *s, sqlite3_stmt *st, int64_t id,
                      hv_dataset_findings *d, hv_error *err)
{
  size_t cap = 0;
  int step, rc = 0;

  sqlite3_reset(st);
  sqlite3_bind_int64(st, 1, id);
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_finding_row *f;
    if (d->n_items == cap) {
      size_t ncap = cap ? cap * 2 : 4;
      hv_finding_row *grown = hv_realloc(d->items, ncap * sizeof(*grown));
      if (!grown)
        return hv_error_oom(err);
      d->items = grown;
      cap = ncap;
    }
    f = &d->items[d->n_items];
    memset(f, 0, sizeof(*f));
    d->n_items++;
    snprintf(f->severity, sizeof(f->severity), "%s",
             (const char *)sqlite3_column_text(st, 1));
    if ((rc = hv__store_column_dup(st, 0, &f->rule, err)) < 0 ||
        (rc = hv__store_column_dup(st, 2, &f->predicate, err)) < 0 ||
        (rc = hv__store_column_dup(st, 3, &f->message, err)) < 0 ||
        (rc = hv__store_column_dup(st, 4, &f->message_de, err)) < 0)
      return rc;
  }
  if (step != SQLITE_DONE)
    return hv__store_fail(s, err, "read the findings of dataset %lld",
                          (long long)id);
  return 0;
}

int hv_store_source_findings(hv_store *s, int64_t source_id, size_t offset,
                             size_t limit, hv_dataset_findings **out,
                             size_t *n_out, int64_t *total_out,
                             hv_error *err)
{
  sqlite3_stmt *st = NULL, *items = NULL;
  hv_dataset_findings *rows = NULL;
  size_t n = 0;
  int rc, step = SQLITE_DONE;

  if ((rc = prepare(s,
                    "SELECT count(*) FROM dataset WHERE source_id = ?1"
                    " AND status = 'active' AND EXISTS (SELECT 1 FROM"
                    " finding f WHERE f.dataset_id = dataset.id)",
                    "count datasets with findings", &st, err)) < 0)
    goto cleanup;
  sqlite3_bind_int64(st, 1, source_id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "count datasets with findings");
    goto cleanup;
  }
  *total_out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  st = NULL;
  if (limit > 0 && !(rows = hv_calloc(limit, sizeof(*rows)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  /* Worst first, then by key, so a page boundary is stable. */
  if ((rc = prepare(s,
                    "SELECT id, key, uri, identifier, violations, warnings,"
                    " changed_run FROM dataset WHERE source_id = ?1"
                    " AND status = 'active' AND EXISTS (SELECT 1 FROM"
                    " finding f WHERE f.dataset_id = dataset.id)"
                    " ORDER BY violations DESC, warnings DESC, key"
                    " LIMIT ?2 OFFSET ?3",
                    "list datasets with findings", &st, err)) < 0 ||
      (rc = prepare(s,
                    "SELECT rule, severity, predicate, message, message_de"
                    " FROM finding WHERE dataset_id = ?1"
                    " ORDER BY CASE severity WHEN 'violation' THEN 0"
                    " WHEN 'warning' THEN 1 ELSE 2 END, rule, seq",
                    "list a dataset's findings", &items, err)) < 0)
    goto cleanup;
  sqlite3_bind_int64(st, 1, source_id);
  sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)offset);
  while (n < limit && (step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_dataset_findings *d = &rows[n++];
    if ((rc = hv__store_column_dup(st, 1, &d->key, err)) < 0 ||
        (rc = hv__store_column_dup(st, 2, &d->uri, err)) < 0 ||
        (rc = hv__store_column_dup(st, 3, &d->identifier, err)) < 0)
      goto cleanup;
    d->violations = sqlite3_column_int64(st, 4);
    d->warnings = sqlite3_column_int64(st, 5);
    d->run_id = sqlite3_column_int64(st, 6);
    if ((rc = load_items(s, items, sqlite3_column_int64(st, 0), d, err)) < 0)
      goto cleanup;
  }
  if (n < limit && step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "list datasets with findings");
    goto cleanup;
  }
  *out = rows;
  *n_out = n;
  rows = NULL;
  n = 0;

cleanup:
  sqlite3_finalize(st);
  sqlite3_finalize(items);
  hv_dataset_findings_free(rows, n);
  return rc;
}
