/*
 * The dataset lifecycle in the store (see store.h, "dataset lifecycle"):
 * what deduplication reads and writes (copies, states, groups,
 * transitions), the quarantine that replaces the mass-deletion hold, the
 * history behind `dataset show`, the superseded counts of the ledger and
 * the walk over published copies. The rules themselves live in
 * harvester/dedup; this file only moves rows.
 *
 * Statements here are prepared per call, not cached: each runs once per
 * run or command, except the per-copy update, which is prepared once per
 * hv_store_lifecycle_apply batch.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* ---- deduplication's reads and writes ----------------------------------- */

void hv_lifecycle_rows_free(hv_lifecycle_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].source);
    hv_free(rows[i].key);
    hv_free(rows[i].uri);
    hv_free(rows[i].identifier);
    hv_free(rows[i].modified);
    hv_free(rows[i].state);
  }
  hv_free(rows);
}

static void lifecycle_rows_free_cb(void *rows, size_t n)
{
  hv_lifecycle_rows_free(rows, n);
}

static int lifecycle_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_lifecycle_row *r = elem;
  int rc;

  r->id = sqlite3_column_int64(st, 0);
  r->source_id = sqlite3_column_int64(st, 1);
  r->priority = sqlite3_column_int(st, 3);
  r->live = sqlite3_column_int(st, 9);
  r->grp = sqlite3_column_int64(st, 10);
  r->first_run = sqlite3_column_int64(st, 11);
  r->last_seen_run = sqlite3_column_int64(st, 12);
  r->kept_run = sqlite3_column_int64(st, 13);
  if ((rc = hv__store_column_dup(st, 2, &r->source, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &r->key, err)) < 0 ||
      (rc = hv__store_column_dup(st, 5, &r->uri, err)) < 0 ||
      (rc = hv__store_column_dup(st, 6, &r->identifier, err)) < 0 ||
      (rc = hv__store_column_dup(st, 7, &r->modified, err)) < 0 ||
      (rc = hv__store_column_dup(st, 8, &r->state, err)) < 0)
    return rc;
  return 0;
}

int hv_store_lifecycle_load(hv_store *s, hv_lifecycle_row **out,
                            size_t *n_out, hv_error *err)
{
  void *rows = NULL;
  size_t n = 0;
  int rc;

  /* The kept-page check (as in the deletion guard) is only needed for
   * quarantined copies, so only they pay for the page lookup. */
  if ((rc = hv__store_select(
           s,
           "SELECT d.id, d.source_id, s.name, s.priority, d.key,"
           " d.uri, d.identifier, d.modified, d.state,"
           " d.status = 'active', coalesce(d.grp, 0),"
           " d.first_run, d.last_seen_run,"
           " CASE WHEN d.state = 'quarantined' THEN"
           " coalesce((SELECT p.last_run FROM page p"
           " WHERE p.source_id = d.source_id AND p.url = d.page_url"
           " AND p.decoded_run = d.last_seen_run), 0) ELSE 0 END"
           " FROM dataset d JOIN source s ON s.id = d.source_id"
           " WHERE d.status = 'active' OR d.state IS NULL"
           " OR d.state <> 'deleted' ORDER BY d.id",
           sizeof(hv_lifecycle_row), lifecycle_reader, lifecycle_rows_free_cb,
           &rows, &n, "load dataset copies", err)) == 0) {
    *out = rows;
    *n_out = n;
  }
  return rc;
}

static int generation_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  (void)err;
  *(int64_t *)elem = sqlite3_column_int64(st, 0);
  return 0;
}

int hv_store_lifecycle_generations(hv_store *s, int add_new,
                                   int64_t **bounds_out, size_t *n_out,
                                   hv_error *err)
{
  void *b = NULL;
  size_t n = 0;
  int rc;

  if (add_new &&
      (rc = hv__store_exec(s,
                           "INSERT INTO dedup_generation (max_run)"
                           " SELECT m FROM (SELECT max(id) AS m FROM run)"
                           " WHERE m > coalesce((SELECT max(max_run)"
                           " FROM dedup_generation), 0)",
                           "record dedup generation", err)) < 0)
    return rc;
  if ((rc = hv__store_select(
           s, "SELECT max_run FROM dedup_generation ORDER BY gen",
           sizeof(int64_t), generation_reader, NULL, &b, &n,
           "read dedup generations", err)) == 0) {
    *bounds_out = b;
    *n_out = n;
  }
  return rc;
}

int hv_store_lifecycle_apply(hv_store *s, const hv_lifecycle_update *u,
                             size_t n, hv_error *err)
{
  sqlite3_stmt *up = NULL, *tr = NULL;
  int64_t now = (int64_t)time(NULL);
  size_t i;
  int rc = 0;

  if (n == 0)
    return 0;
  if ((rc =
           hv__store_prepare(s,
                             "UPDATE dataset SET grp = nullif(?2, 0),"
                             " state = coalesce(?3, state),"
                             " status = CASE WHEN ?3 = 'deleted' THEN 'deleted'"
                             " ELSE status END WHERE id = ?1",
                             &up, "update dataset state", err)) < 0 ||
      (rc = hv__store_prepare(
           s,
           "INSERT INTO dataset_transition (dataset_id, run_id,"
           " from_state, to_state, reason, at)"
           " VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6)",
           &tr, "record dataset transition", err)) < 0)
    goto cleanup;
  for (i = 0; i < n; i++) {
    sqlite3_reset(up);
    if (sqlite3_bind_int64(up, 1, u[i].id) ||
        sqlite3_bind_int64(up, 2, u[i].grp) ||
        hv__store_bind_text(up, 3, u[i].to_state) ||
        sqlite3_step(up) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "update state of dataset %lld",
                          (long long)u[i].id);
      goto cleanup;
    }
    if (!u[i].to_state)
      continue;
    sqlite3_reset(tr);
    if (sqlite3_bind_int64(tr, 1, u[i].id) ||
        sqlite3_bind_int64(tr, 2, u[i].run_id) ||
        hv__store_bind_text(tr, 3, u[i].from_state) ||
        hv__store_bind_text(tr, 4, u[i].to_state) ||
        hv__store_bind_text(tr, 5, u[i].reason ? u[i].reason : "") ||
        sqlite3_bind_int64(tr, 6, now) || sqlite3_step(tr) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "record transition of dataset %lld",
                          (long long)u[i].id);
      goto cleanup;
    }
  }

cleanup:
  sqlite3_finalize(up);
  sqlite3_finalize(tr);
  return rc;
}

int hv_store_ledger_set_superseded(hv_store *s, int64_t run_id,
                                   int64_t source_id, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           "UPDATE ledger SET datasets_superseded ="
           " (SELECT count(*) FROM dataset WHERE source_id = ?2"
           " AND status = 'active' AND state = 'superseded')"
           " WHERE run_id = ?1 AND source_id = ?2",
           &st, "count superseded datasets", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) ||
      sqlite3_bind_int64(st, 2, source_id) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "count superseded datasets of run %lld",
                        (long long)run_id);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_ledger_superseded(hv_store *s, int64_t run_id, int64_t *out,
                               hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s,
                              "SELECT coalesce(sum(datasets_superseded), 0)"
                              " FROM ledger WHERE run_id = ?1",
                              &st, "read superseded count", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "read superseded count of run %lld",
                        (long long)run_id);
    goto cleanup;
  }
  *out = sqlite3_column_int64(st, 0);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_lifecycle_deleted(hv_store *s, int64_t run_id,
                               hv_lifecycle_deleted_cb cb, void *payload,
                               hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0, step;

  if ((rc = hv__store_prepare(
           s,
           "SELECT d.id, s.name, d.key FROM dataset_transition t"
           " JOIN dataset d ON d.id = t.dataset_id"
           " JOIN source s ON s.id = d.source_id"
           " WHERE t.run_id = ?1 AND t.to_state = 'deleted'"
           " AND t.from_state IN ('active', 'quarantined')"
           " ORDER BY d.id",
           &st, "list deleted datasets", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id)) {
    rc = hv__store_fail(s, err, "list datasets deleted in run %lld",
                        (long long)run_id);
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if ((rc = cb(sqlite3_column_int64(st, 0),
                 (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2), payload)) < 0)
      goto cleanup;
    rc = 0;
  }
  if (step != SQLITE_DONE)
    rc = hv__store_fail(s, err, "list datasets deleted in run %lld",
                        (long long)run_id);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- quarantine --------------------------------------------------------- */

/* The deletion guard's "not seen in run ?2" for the source ?1's copies. */
#define UNSEEN_IN_RUN                                                     \
  "source_id = ?1 AND status = 'active' AND NOT"                          \
  " (last_seen_run = ?2 OR EXISTS (SELECT 1 FROM page p"                  \
  " WHERE p.source_id = dataset.source_id AND p.url = dataset.page_url"   \
  " AND p.last_run = ?2 AND p.decoded_run = dataset.last_seen_run))"

int hv_store_dataset_quarantine_unseen(hv_store *s, int64_t source_id,
                                       int64_t run_id, const char *reason,
                                       size_t *quarantined_out,
                                       hv_error *err)
{
  sqlite3_stmt *tr = NULL, *up = NULL;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           "INSERT INTO dataset_transition (dataset_id, run_id,"
           " from_state, to_state, reason, at)"
           " SELECT id, ?2, coalesce(state, 'active'),"
           " 'quarantined', ?3, ?4"
           " FROM dataset WHERE " UNSEEN_IN_RUN
           " AND coalesce(state, 'active') = 'active'",
           &tr, "quarantine datasets", err)) < 0 ||
      (rc = hv__store_prepare(s,
                              "UPDATE dataset SET state = 'quarantined'"
                              " WHERE " UNSEEN_IN_RUN
                              " AND coalesce(state, 'active') = 'active'",
                              &up, "quarantine datasets", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(tr, 1, source_id) ||
      sqlite3_bind_int64(tr, 2, run_id) ||
      hv__store_bind_text(tr, 3, reason) ||
      sqlite3_bind_int64(tr, 4, (int64_t)time(NULL)) ||
      sqlite3_step(tr) != SQLITE_DONE || sqlite3_bind_int64(up, 1, source_id) ||
      sqlite3_bind_int64(up, 2, run_id) || sqlite3_step(up) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "quarantine unseen datasets of source %lld",
                        (long long)source_id);
    goto cleanup;
  }
  if (quarantined_out)
    *quarantined_out = (size_t)sqlite3_changes(s->db);

cleanup:
  sqlite3_finalize(tr);
  sqlite3_finalize(up);
  return rc;
}

void hv_quarantine_rows_free(hv_quarantine_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].source);
    hv_free(rows[i].key);
    hv_free(rows[i].identifier);
    hv_free(rows[i].reason);
  }
  hv_free(rows);
}

static void quarantine_rows_free_cb(void *rows, size_t n)
{
  hv_quarantine_rows_free(rows, n);
}

static int quarantine_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_quarantine_row *r = elem;
  int rc;

  r->id = sqlite3_column_int64(st, 0);
  r->run_id = sqlite3_column_int64(st, 4);
  r->since = sqlite3_column_int64(st, 5);
  if ((rc = hv__store_column_dup(st, 1, &r->source, err)) < 0 ||
      (rc = hv__store_column_dup(st, 2, &r->key, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &r->identifier, err)) < 0 ||
      (rc = hv__store_column_dup(st, 6, &r->reason, err)) < 0)
    return rc;
  return 0;
}

int hv_store_quarantine_list(hv_store *s, const char *source,
                             hv_quarantine_row **out, size_t *n_out,
                             hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *rows = NULL;
  size_t n = 0;
  int rc = 0;

  if ((rc = hv__store_prepare(
           s,
           "SELECT d.id, s.name, d.key, d.identifier,"
           " coalesce(t.run_id, 0), coalesce(t.at, 0),"
           " coalesce(t.reason, '')"
           " FROM dataset d JOIN source s ON s.id = d.source_id"
           " LEFT JOIN dataset_transition t ON t.id ="
           " (SELECT max(id) FROM dataset_transition"
           " WHERE dataset_id = d.id AND to_state = 'quarantined')"
           " WHERE d.state = 'quarantined'"
           " AND (?1 IS NULL OR s.name = ?1)"
           " ORDER BY s.name, d.key",
           &st, "list quarantined datasets", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, source)) {
    rc = hv__store_fail(s, err, "list quarantined datasets");
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_quarantine_row),
                              quarantine_reader, quarantine_rows_free_cb, &rows,
                              &n, "list quarantined datasets", err)) < 0)
    goto cleanup;
  *out = rows;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* Moves matching quarantined copies to to_state with reason. */
static int quarantine_decide(hv_store *s, const char *source,
                             const char *key, const char *to_state,
                             const char *status, const char *reason,
                             size_t *n_out, hv_error *err)
{
  static const char match[] =
      " FROM dataset WHERE state = 'quarantined'"
      " AND (?1 IS NULL OR source_id = (SELECT id FROM source"
      " WHERE name = ?1)) AND (?2 IS NULL OR key = ?2)";
  char sql[512];
  sqlite3_stmt *tr = NULL, *up = NULL;
  size_t n;
  int rc;

  snprintf(sql, sizeof(sql),
           "INSERT INTO dataset_transition (dataset_id, run_id, from_state,"
           " to_state, reason, at) SELECT id, NULL, state, ?3, ?4, ?5%s",
           match);
  if ((rc = hv__store_prepare(s, sql, &tr, "decide on quarantined datasets",
                              err)) < 0)
    goto cleanup;
  snprintf(sql, sizeof(sql),
           "UPDATE dataset SET state = ?3, status = ?4, updated_at = ?5"
           " WHERE id IN (SELECT id%s)",
           match);
  if ((rc = hv__store_prepare(s, sql, &up, "decide on quarantined datasets",
                              err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(tr, 1, source) || hv__store_bind_text(tr, 2, key) ||
      hv__store_bind_text(tr, 3, to_state) ||
      hv__store_bind_text(tr, 4, reason) ||
      sqlite3_bind_int64(tr, 5, (int64_t)time(NULL)) ||
      sqlite3_step(tr) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "decide on quarantined datasets");
    goto cleanup;
  }
  n = (size_t)sqlite3_changes(s->db);
  if (n == 0) {
    rc = hv_error_set(err, HV_ENOTFOUND,
                      "no quarantined dataset%s%s%s%s%s",
                      source || key ? " matches" : "",
                      source ? " source " : "", source ? source : "",
                      key ? " key " : "", key ? key : "");
    goto cleanup;
  }
  if (hv__store_bind_text(up, 1, source) || hv__store_bind_text(up, 2, key) ||
      hv__store_bind_text(up, 3, to_state) ||
      hv__store_bind_text(up, 4, status) ||
      sqlite3_bind_int64(up, 5, (int64_t)time(NULL)) ||
      sqlite3_step(up) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "decide on quarantined datasets");
    goto cleanup;
  }
  if (n_out)
    *n_out = n;

cleanup:
  sqlite3_finalize(tr);
  sqlite3_finalize(up);
  return rc;
}

/*
 * The ledger must see a release, or its flows (new minus deleted) would
 * no longer add up to what the source holds. An operator's decision has
 * no run of its own, so the deletions are booked on the ledger row of
 * the held run that quarantined each copy: the release completes the
 * deletion that run deferred, and the run is also where the copies'
 * absence was observed. (Should a run × source ever have rows for more
 * than one state, the lowest state's row takes them.)
 */
static int book_release(hv_store *s, const char *source, const char *key,
                        hv_error *err)
{
  static const char sql[] =
      "WITH gone AS (SELECT d.source_id AS source_id,"
      " (SELECT t.run_id FROM dataset_transition t"
      "  WHERE t.dataset_id = d.id AND t.to_state = 'quarantined'"
      "  ORDER BY t.id DESC LIMIT 1) AS run_id"
      " FROM dataset d WHERE d.state = 'quarantined'"
      " AND (?1 IS NULL OR d.source_id = (SELECT id FROM source"
      " WHERE name = ?1)) AND (?2 IS NULL OR d.key = ?2)),"
      " per_run AS (SELECT run_id, source_id, count(*) AS n FROM gone"
      " WHERE run_id IS NOT NULL GROUP BY run_id, source_id)"
      " UPDATE ledger SET datasets_deleted = datasets_deleted + (SELECT n"
      " FROM per_run p WHERE p.run_id = ledger.run_id"
      " AND p.source_id = ledger.source_id)"
      " WHERE (run_id, source_id) IN (SELECT run_id, source_id FROM per_run)"
      " AND state = (SELECT min(state) FROM ledger l"
      " WHERE l.run_id = ledger.run_id AND l.source_id = ledger.source_id)";
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s, sql, &st, "book released datasets", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, source) || hv__store_bind_text(st, 2, key) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "book released datasets in the ledger");

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_quarantine_release(hv_store *s, const char *source,
                                const char *key, size_t *n_out,
                                hv_error *err)
{
  int rc;

  /* A savepoint, so that the caller may or may not hold a transaction. */
  if ((rc = hv__store_exec(s, "SAVEPOINT quarantine_release",
                           "release quarantined datasets", err)) < 0)
    return rc;
  if ((rc = book_release(s, source, key, err)) < 0 ||
      (rc = quarantine_decide(s, source, key, HV_DS_DELETED, "deleted",
                              "released by an operator: deleted", n_out,
                              err)) < 0) {
    hv__store_exec(s, "ROLLBACK TO quarantine_release", "roll back", NULL);
    hv__store_exec(s, "RELEASE quarantine_release", "roll back", NULL);
    return rc;
  }
  return hv__store_exec(s, "RELEASE quarantine_release",
                        "release quarantined datasets", err);
}

int hv_store_quarantine_restore(hv_store *s, const char *source,
                                const char *key, size_t *n_out,
                                hv_error *err)
{
  return quarantine_decide(s, source, key, HV_DS_ACTIVE, "active",
                           "restored by an operator", n_out, err);
}

/* ---- history ------------------------------------------------------------ */

void hv_copy_rows_free(hv_copy_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].source);
    hv_free(rows[i].key);
    hv_free(rows[i].uri);
    hv_free(rows[i].identifier);
    hv_free(rows[i].modified);
    hv_free(rows[i].state);
  }
  hv_free(rows);
}

void hv_transition_rows_free(hv_transition_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].from_state);
    hv_free(rows[i].to_state);
    hv_free(rows[i].reason);
  }
  hv_free(rows);
}

/*
 * The copies matching ?1 directly (key, IRI, or identifier up to case
 * and surrounding white space); then every copy sharing an IRI or such
 * an identifier with one of them, or their group (a deleted copy keeps
 * the group it had, so both ways are needed to find a whole history).
 */
#define HISTORY_COPIES                                                    \
  "WITH hit AS (SELECT id, grp, uri, lower(trim(identifier)) AS ident"    \
  " FROM dataset WHERE key = ?1 OR uri = ?1"                              \
  " OR lower(trim(identifier)) = lower(trim(?1))),"                       \
  " copies AS (SELECT id FROM hit"                                        \
  " UNION SELECT d.id FROM dataset d JOIN hit h"                          \
  " ON d.uri = h.uri OR lower(trim(d.identifier)) = h.ident"              \
  " OR (h.grp IS NOT NULL AND h.grp <> 0"                                 \
  " AND (d.grp = h.grp OR d.grp = h.id OR d.id = h.grp))) "

static void copy_rows_free_cb(void *rows, size_t n)
{
  hv_copy_rows_free(rows, n);
}

static int copy_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_copy_row *r = elem;
  int rc;

  r->id = sqlite3_column_int64(st, 0);
  r->priority = sqlite3_column_int(st, 7);
  r->first_run = sqlite3_column_int64(st, 8);
  r->last_seen_run = sqlite3_column_int64(st, 9);
  if ((rc = hv__store_column_dup(st, 1, &r->source, err)) < 0 ||
      (rc = hv__store_column_dup(st, 2, &r->key, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &r->uri, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &r->identifier, err)) < 0 ||
      (rc = hv__store_column_dup(st, 5, &r->modified, err)) < 0 ||
      (rc = hv__store_column_dup(st, 6, &r->state, err)) < 0)
    return rc;
  return 0;
}

static void transition_rows_free_cb(void *rows, size_t n)
{
  hv_transition_rows_free(rows, n);
}

static int transition_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_transition_row *r = elem;
  int rc;

  r->dataset_id = sqlite3_column_int64(st, 0);
  r->run_id = sqlite3_column_int64(st, 1);
  r->at = sqlite3_column_int64(st, 5);
  if ((rc = hv__store_column_dup(st, 2, &r->from_state, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &r->to_state, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &r->reason, err)) < 0)
    return rc;
  return 0;
}

/*
 * Prepares one HISTORY_COPIES query for key and collects its rows; what
 * names the query in messages (hv__store_fail bounds it the same way).
 */
static int history_query(hv_store *s, const char *sql, const char *key,
                         const char *prep_what, const char *what, size_t elem,
                         hv__store_row_reader one_row,
                         void (*free_list)(void *, size_t), void **out,
                         size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  char msg[256];
  int rc;

  snprintf(msg, sizeof(msg), "%s %s", what, key);
  if ((rc = hv__store_prepare(s, sql, &st, prep_what, err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, key)) {
    rc = hv__store_fail(s, err, "%s", msg);
    goto cleanup;
  }
  rc = hv__store_collect(s, st, elem, one_row, free_list, out, n_out, msg, err);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_dataset_history(hv_store *s, const char *key, hv_copy_row **copies,
                             size_t *n_copies, hv_transition_row **trans,
                             size_t *n_trans, hv_error *err)
{
  void *c = NULL, *t = NULL;
  size_t nc = 0, nt = 0;
  int rc;

  if ((rc = history_query(
           s,
           HISTORY_COPIES
           "SELECT d.id, s.name, d.key, d.uri, d.identifier,"
           " d.modified, coalesce(d.state, 'active'),"
           " s.priority, d.first_run, d.last_seen_run"
           " FROM dataset d JOIN source s ON s.id = d.source_id"
           " WHERE d.id IN (SELECT id FROM copies) ORDER BY d.id",
           key, "show dataset", "show dataset", sizeof(hv_copy_row),
           copy_reader, copy_rows_free_cb, &c, &nc, err)) < 0)
    goto cleanup;
  if (nc == 0) {
    rc = hv_error_set(err, HV_ENOTFOUND,
                      "no dataset has key, IRI or identifier '%.200s'", key);
    goto cleanup;
  }
  if ((rc = history_query(s,
                          HISTORY_COPIES
                          "SELECT dataset_id, coalesce(run_id, 0), from_state,"
                          " to_state, reason, at FROM dataset_transition"
                          " WHERE dataset_id IN (SELECT id FROM copies)"
                          " ORDER BY id",
                          key, "show dataset history", "show history of",
                          sizeof(hv_transition_row), transition_reader,
                          transition_rows_free_cb, &t, &nt, err)) < 0)
    goto cleanup;
  *copies = c;
  *n_copies = nc;
  *trans = t;
  *n_trans = nt;
  c = NULL;
  t = NULL;

cleanup:
  hv_copy_rows_free(c, nc);
  hv_transition_rows_free(t, nt);
  return rc;
}

/* ---- the published copies ----------------------------------------------- */

int hv_store_published_foreach(hv_store *s, hv_published_cb cb,
                               void *payload, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_published_row row;
  int rc = 0, step;

  if ((rc = hv__store_prepare(s,
                              "SELECT d.id, s.name, d.key, d.uri, d.identifier,"
                              " p.payload FROM dataset d"
                              " JOIN source s ON s.id = d.source_id"
                              " JOIN dataset_payload p ON p.dataset_id = d.id"
                              " WHERE d.status = 'active'"
                              " AND coalesce(d.state, '') <> 'superseded'"
                              " ORDER BY d.id",
                              &st, "walk published datasets", err)) < 0)
    goto cleanup;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&row, 0, sizeof(row));
    row.id = sqlite3_column_int64(st, 0);
    row.source = (const char *)sqlite3_column_text(st, 1);
    row.key = (const char *)sqlite3_column_text(st, 2);
    row.uri = (const char *)sqlite3_column_text(st, 3);
    row.identifier = (const char *)sqlite3_column_text(st, 4);
    if (!row.source || !row.key) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    if ((rc = hv__store_column_payload(s, st, 5, row.key, err)) < 0)
      goto cleanup;
    row.payload = s->payload.ptr ? s->payload.ptr : "";
    row.payload_len = s->payload.len;
    if ((rc = cb(&row, payload)) < 0)
      goto cleanup;
    rc = 0;
  }
  if (step != SQLITE_DONE)
    rc = hv__store_fail(s, err, "walk published datasets");

cleanup:
  sqlite3_finalize(st);
  return rc;
}
