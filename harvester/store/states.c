/*
 * The states in the store, the periods in which each had a central
 * handover point, and the row-level reads of the ledger and of today's
 * holdings that the reports (harvester/report) aggregate themselves.
 * Reading rows rather than SQL sums keeps every figure of a report
 * traceable to the runs behind it (`report costs --explain`), and a new
 * ledger column only needs adding here and in the report's aggregation.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* Upper bound of an open period, for interval arithmetic. */
#define OPEN_END INT64_MAX

static int state_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_state_row *r = elem;

  (void)err;
  hv__store_column_copy(st, 0, r->key, sizeof(r->key));
  hv__store_column_copy(st, 1, r->code, sizeof(r->code));
  hv__store_column_copy(st, 2, r->name, sizeof(r->name));
  return 0;
}

int hv_store_state_list(hv_store *s, hv_state_row **out, size_t *n_out,
                        hv_error *err)
{
  void *rows = NULL;
  size_t n = 0;
  int rc;

  if ((rc =
           hv__store_select(s, "SELECT key, code, name FROM state ORDER BY key",
                            sizeof(hv_state_row), state_reader, NULL, &rows, &n,
                            "list states", err)) == 0) {
    *out = rows;
    *n_out = n;
  }
  return rc;
}

static int handover_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_handover *r = elem;

  (void)err;
  hv__store_column_copy(st, 0, r->state, sizeof(r->state));
  r->since = sqlite3_column_int64(st, 1);
  r->until = sqlite3_column_int64(st, 2);
  return 0;
}

int hv_store_handover_list(hv_store *s, const char *state, hv_handover **out,
                           size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *rows = NULL;
  size_t n = 0;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT state, since, until FROM state_handover"
                         " WHERE ?1 IS NULL OR state = ?1"
                         " ORDER BY state, since",
                         -1, &st, NULL) != SQLITE_OK ||
      hv__store_bind_text(st, 1, state)) {
    rc = hv__store_fail(s, err, "list handover periods");
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_handover), handover_reader, NULL,
                              &rows, &n, "list handover periods", err)) < 0)
    goto cleanup;
  *out = rows;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* Orders periods by start, for merging. */
static int by_since(const void *a, const void *b)
{
  const hv_handover *x = a, *y = b;

  return (x->since > y->since) - (x->since < y->since);
}

static int insert_period(hv_store *s, const char *state, int64_t since,
                         int64_t until, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO state_handover (state, since, until)"
                         " VALUES (?1, ?2, ?3)",
                         -1, &st, NULL) != SQLITE_OK ||
      hv__store_bind_text(st, 1, state) || sqlite3_bind_int64(st, 2, since) ||
      sqlite3_bind_int64(st, 3, until == OPEN_END ? 0 : until) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "add handover period of state %s", state);
  sqlite3_finalize(st);
  return rc;
}

/*
 * Why cut and merge in C: the periods of one state are a handful, and
 * rewriting them whole keeps the invariant (sorted, disjoint, not
 * touching) in one obvious place instead of in SQL updates.
 */
int hv_store_handover_set(hv_store *s, const char *state, int64_t since,
                          int64_t until, int has, hv_error *err)
{
  hv_handover *old = NULL, *next = NULL;
  size_t n_old = 0, n = 0, i;
  int64_t end = until ? until : OPEN_END;
  char sql[160];
  int rc;

  if (!hv_state_valid(state))
    return hv_error_set(err, HV_EINVAL,
                        "state '%.*s' is invalid: use 01..16 or bund",
                        QUOTE_MAX, state ? state : "");
  if (end <= since)
    return hv_error_set(err, HV_EINVAL,
                        "handover period of state %s: the end must come "
                        "after the start", state);
  if ((rc = hv_store_begin(s, err)) < 0)
    return rc;
  if ((rc = hv_store_handover_list(s, state, &old, &n_old, err)) < 0)
    goto cleanup;
  /* Each old period yields at most two pieces, plus the new one. */
  if (!(next = hv_calloc(2 * n_old + 1, sizeof(*next)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < n_old; i++) {
    int64_t a = old[i].since, b = old[i].until ? old[i].until : OPEN_END;

    if (a < since) {
      next[n] = old[i];
      next[n].since = a;
      next[n++].until = b < since ? b : since;
    }
    if (b > end) {
      next[n] = old[i];
      next[n].since = a > end ? a : end;
      next[n++].until = b;
    }
  }
  if (has) {
    snprintf(next[n].state, sizeof(next[n].state), "%s", state);
    next[n].since = since;
    next[n++].until = end;
  }
  qsort(next, n, sizeof(*next), by_since);
  snprintf(sql, sizeof(sql),
           "DELETE FROM state_handover WHERE state = '%s'", state);
  if ((rc = hv__store_exec(s, sql, "clear handover periods", err)) < 0)
    goto cleanup;
  for (i = 0; i < n; i++) {
    int64_t a = next[i].since, b = next[i].until;

    /* Touching or overlapping successors are merged into this one. */
    while (i + 1 < n && next[i + 1].since <= b) {
      if (next[i + 1].until > b)
        b = next[i + 1].until;
      i++;
    }
    if ((rc = insert_period(s, state, a, b, err)) < 0)
      goto cleanup;
  }
  rc = hv_store_commit(s, err);

cleanup:
  if (rc < 0)
    hv_store_rollback(s);
  hv_free(old);
  hv_free(next);
  return rc;
}

int64_t hv_handover_days_without(const hv_handover *hv, size_t n,
                                 const char *state, int64_t from, int64_t to)
{
  int64_t covered = 0;
  size_t i;

  if (to <= from)
    return 0;
  for (i = 0; i < n; i++) {
    int64_t a = hv[i].since, b = hv[i].until ? hv[i].until : OPEN_END;

    if (strcmp(hv[i].state, state) != 0)
      continue;
    if (a < from)
      a = from;
    if (b > to)
      b = to;
    if (b > a)
      covered += b - a;
  }
  return (to - from - covered) / 86400;
}

int hv_store_ledger_foreach(hv_store *s, int64_t to, hv_ledger_cb cb,
                            void *payload, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_ledger_entry e;
  int rc = 0, step;

  if (sqlite3_prepare_v2(
          s->db,
          "SELECT l.run_id, l.source_id, l.source_name, l.state,"
          " coalesce(r.status, ''), coalesce(r.started_at, 0),"
          " coalesce(r.finished_at, 0), l.requests, l.bytes,"
          " l.pages_fetched, l.pages_not_modified, l.pages_failed,"
          " l.datasets_new, l.datasets_updated, l.datasets_unchanged,"
          " l.datasets_deleted, l.datasets_rejected, l.distributions,"
          " l.seconds, l.datasets_superseded, l.findings_violations,"
          " l.findings_warnings, l.findings_infos"
          " FROM ledger l LEFT JOIN run r ON r.id = l.run_id"
          " WHERE ?1 = 0 OR r.started_at < ?1"
          " ORDER BY r.started_at, l.run_id, l.source_name, l.state",
          -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, to)) {
    rc = hv__store_fail(s, err, "read the ledger");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&e, 0, sizeof(e));
    e.run_id = sqlite3_column_int64(st, 0);
    e.source_id = sqlite3_column_int64(st, 1);
    hv__store_column_copy(st, 2, e.source_name, sizeof(e.source_name));
    hv__store_column_copy(st, 3, e.state, sizeof(e.state));
    hv__store_column_copy(st, 4, e.status, sizeof(e.status));
    e.started_at = sqlite3_column_int64(st, 5);
    e.finished_at = sqlite3_column_int64(st, 6);
    hv__store_ledger_counts_from_row(st, 7, &e.counts);
    if ((rc = cb(&e, payload)) < 0)
      goto cleanup;
  }
  if (step != SQLITE_DONE)
    rc = hv__store_fail(s, err, "read the ledger");

cleanup:
  sqlite3_finalize(st);
  return rc;
}

static int holding_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_holding *r = elem;

  (void)err;
  r->source_id = sqlite3_column_int64(st, 0);
  hv__store_column_copy(st, 1, r->name, sizeof(r->name));
  hv__store_column_copy(st, 2, r->state, sizeof(r->state));
  r->created_at = sqlite3_column_int64(st, 3);
  r->active = sqlite3_column_int64(st, 4);
  r->superseded = sqlite3_column_int64(st, 5);
  r->quarantined = sqlite3_column_int64(st, 6);
  return 0;
}

int hv_store_holdings(hv_store *s, hv_holding **out, size_t *n_out,
                      hv_error *err)
{
  void *rows = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_select(s,
                             "SELECT s.id, s.name, s.state, s.created_at,"
                             " count(d.id),"
                             " coalesce(sum(d.state = 'superseded'), 0),"
                             " coalesce(sum(d.state = 'quarantined'), 0)"
                             " FROM source s LEFT JOIN dataset d"
                             "  ON d.source_id = s.id AND d.status = 'active'"
                             " GROUP BY s.id ORDER BY s.name",
                             sizeof(hv_holding), holding_reader, NULL, &rows,
                             &n, "read holdings", err)) == 0) {
    *out = rows;
    *n_out = n;
  }
  return rc;
}

int hv_store_run_set_times(hv_store *s, int64_t run_id, int64_t started_at,
                           int64_t finished_at, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "UPDATE run SET started_at = ?2, finished_at = ?3"
                         " WHERE id = ?1",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, run_id) ||
      sqlite3_bind_int64(st, 2, started_at) ||
      sqlite3_bind_int64(st, 3, finished_at) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "set times of run %lld", (long long)run_id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "run %lld not found",
                      (long long)run_id);

cleanup:
  sqlite3_finalize(st);
  return rc;
}
