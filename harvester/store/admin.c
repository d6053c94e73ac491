/*
 * What the daemon keeps in the store besides the harvest: API tokens
 * (only their SHA-256), the audit trail of every change made through the
 * API or the command line, per-source cron expressions, and the queries
 * behind the run views and the metrics page (see store.h).
 *
 * These statements are prepared per call rather than cached: they run a
 * few times a minute, not once per dataset.
 */
#include "store/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"
#include "util/hash.h"

/* ---- tokens ------------------------------------------------------------ */

void hv_token_info_fini(hv_token_info *t)
{
  if (!t)
    return;
  hv_free(t->label);
  t->label = NULL;
}

static int scope_valid(const char *scope)
{
  return scope &&
         (strcmp(scope, HV_SCOPE_ADMIN) == 0 || hv_state_valid(scope));
}

int hv_store_token_create(hv_store *s, const char *scope, const char *label,
                          char token_out[HV_TOKEN_LEN + 1], int64_t *id_out,
                          hv_error *err)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[32];
  char token[HV_TOKEN_LEN + 1], hash[HV_SHA256_HEX_LEN + 1];
  sqlite3_stmt *st = NULL;
  size_t i;
  int rc;

  if (!scope_valid(scope))
    return hv_error_set(err, HV_EINVAL,
                        "token scope '%.*s' is invalid: use a state key "
                        "01..16, bund, or admin",
                        QUOTE_MAX, scope ? scope : "");
  if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
    return hv_error_set(err, HV_EIO, "token: no random bytes: %s",
                        strerror(errno));
  memcpy(token, "ghv_", 4);
  for (i = 0; i < sizeof(raw); i++) {
    token[4 + 2 * i] = hex[raw[i] >> 4];
    token[5 + 2 * i] = hex[raw[i] & 15];
  }
  token[HV_TOKEN_LEN] = '\0';
  hv_sha256_hex(token, HV_TOKEN_LEN, hash);

  if ((rc = hv__store_prepare(
           s,
           "INSERT INTO api_token (hash, scope, label, created_at) "
           "VALUES (?, ?, ?, ?)",
           &st, "prepare token insert", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, hash) || hv__store_bind_text(st, 2, scope) ||
      hv__store_bind_text(st, 3, label) ||
      sqlite3_bind_int64(st, 4, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "insert token for scope %s", scope);
    goto cleanup;
  }
  if (id_out)
    *id_out = sqlite3_last_insert_rowid(s->db);
  memcpy(token_out, token, sizeof(token));

cleanup:
  sqlite3_finalize(st);
  memset(raw, 0, sizeof(raw));
  memset(token, 0, sizeof(token));
  return rc;
}

/* Reads a token row (id, scope, label, created_at, revoked_at). */
static int token_from_row(sqlite3_stmt *st, hv_token_info *out,
                          hv_error *err)
{
  hv_token_info t;
  int rc;

  memset(&t, 0, sizeof(t));
  t.id = sqlite3_column_int64(st, 0);
  hv__store_column_copy(st, 1, t.scope, sizeof(t.scope));
  if ((rc = hv__store_column_dup(st, 2, &t.label, err)) < 0)
    return rc;
  t.created_at = sqlite3_column_int64(st, 3);
  t.revoked_at = sqlite3_column_int64(st, 4);
  *out = t;
  return 0;
}

int hv_store_token_lookup(hv_store *s, const char *token, hv_token_info *out,
                          hv_error *err)
{
  char hash[HV_SHA256_HEX_LEN + 1];
  sqlite3_stmt *st = NULL;
  int rc, step;

  if (!token || strlen(token) != HV_TOKEN_LEN)
    return hv_error_set(err, HV_ENOTFOUND, "token is not known");
  hv_sha256_hex(token, HV_TOKEN_LEN, hash);
  if ((rc = hv__store_prepare(s,
                              "SELECT id, scope, label, created_at,"
                              " coalesce(revoked_at, 0) FROM api_token"
                              " WHERE hash = ? AND revoked_at IS NULL",
                              &st, "prepare token lookup", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, hash)) {
    rc = hv__store_fail(s, err, "bind token lookup");
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    rc = token_from_row(st, out, err);
  else if (step == SQLITE_DONE)
    rc = hv_error_set(err, HV_ENOTFOUND, "token is not known");
  else
    rc = hv__store_fail(s, err, "look up token");

cleanup:
  sqlite3_finalize(st);
  return rc;
}

void hv_token_list_free(hv_token_info *list, size_t n)
{
  size_t i;

  if (!list)
    return;
  for (i = 0; i < n; i++)
    hv_token_info_fini(&list[i]);
  hv_free(list);
}

static int token_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  return token_from_row(st, elem, err);
}

static void token_list_free_cb(void *list, size_t n)
{
  hv_token_list_free(list, n);
}

int hv_store_token_list(hv_store *s, hv_token_info **out, size_t *n_out,
                        hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *list = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           "SELECT id, scope, label, created_at,"
           " coalesce(revoked_at, 0) FROM api_token ORDER BY id",
           &st, "prepare token list", err)) < 0 ||
      (rc = hv__store_collect(s, st, sizeof(hv_token_info), token_reader,
                              token_list_free_cb, &list, &n, "list tokens",
                              err)) < 0)
    goto cleanup;
  *out = list;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_token_revoke(hv_store *s, int64_t id, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s,
                              "UPDATE api_token SET revoked_at = ?"
                              " WHERE id = ? AND revoked_at IS NULL",
                              &st, "prepare token revoke", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, (int64_t)time(NULL)) ||
      sqlite3_bind_int64(st, 2, id) || sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "revoke token %lld", (long long)id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "no valid token with id %lld",
                      (long long)id);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- audit ------------------------------------------------------------- */

int hv_store_audit_add(hv_store *s, int64_t token_id, const char *actor,
                       const char *action, const char *target,
                       const char *state, const char *detail, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           "INSERT INTO audit (at, token_id, actor, action, target,"
           " state, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
           &st, "prepare audit insert", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, (int64_t)time(NULL)) ||
      (token_id > 0 ? sqlite3_bind_int64(st, 2, token_id)
                    : sqlite3_bind_null(st, 2)) ||
      hv__store_bind_text(st, 3, actor) ||
      hv__store_bind_text(st, 4, action) ||
      hv__store_bind_text(st, 5, target) ||
      hv__store_bind_text(st, 6, state) ||
      hv__store_bind_text(st, 7, detail) || sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "write audit row for %s", action);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

void hv_audit_list_free(hv_audit_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].actor);
    hv_free(rows[i].action);
    hv_free(rows[i].target);
    hv_free(rows[i].state);
    hv_free(rows[i].detail);
  }
  hv_free(rows);
}

static int audit_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_audit_row *r = elem;
  int rc;

  r->id = sqlite3_column_int64(st, 0);
  r->at = sqlite3_column_int64(st, 1);
  r->token_id = sqlite3_column_int64(st, 2);
  if ((rc = hv__store_column_dup(st, 3, &r->actor, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &r->action, err)) < 0 ||
      (rc = hv__store_column_dup(st, 5, &r->target, err)) < 0 ||
      (rc = hv__store_column_dup(st, 6, &r->state, err)) < 0 ||
      (rc = hv__store_column_dup(st, 7, &r->detail, err)) < 0)
    return rc;
  return 0;
}

static void audit_list_free_cb(void *list, size_t n)
{
  hv_audit_list_free(list, n);
}

int hv_store_audit_list(hv_store *s, const char *state, size_t limit,
                        hv_audit_row **out, size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *list = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           "SELECT id, at, coalesce(token_id, 0), actor, action,"
           " target, state, detail FROM audit"
           " WHERE ?1 IS NULL OR state = ?1"
           " ORDER BY id DESC LIMIT ?2",
           &st, "prepare audit list", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, state) ||
      sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1)) {
    rc = hv__store_fail(s, err, "bind audit list");
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_audit_row), audit_reader,
                              audit_list_free_cb, &list, &n, "list audit rows",
                              err)) < 0)
    goto cleanup;
  *out = list;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- sources and schedules --------------------------------------------- */

int hv_store_source_update(hv_store *s, const hv_source *src, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv_source_validate(src, err)) < 0 ||
      (rc = hv__store_prepare(
           s,
           "UPDATE source SET state = ?, kind = ?, url = ?,"
           " format_hint = ?, contributor_id = ?, priority = ?,"
           " enabled = ? WHERE name = ?",
           &st, "prepare source update", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, src->state) ||
      hv__store_bind_text(st, 2, src->kind) ||
      hv__store_bind_text(st, 3, src->url) ||
      hv__store_bind_text(st, 4, src->format_hint) ||
      hv__store_bind_text(st, 5, src->contributor_id) ||
      sqlite3_bind_int(st, 6, src->priority) ||
      sqlite3_bind_int(st, 7, src->enabled ? 1 : 0) ||
      hv__store_bind_text(st, 8, src->name) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "update source '%s'", src->name);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "no source named '%s'", src->name);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_schedule_get(hv_store *s, int64_t source_id, char **out,
                          hv_error *err)
{
  sqlite3_stmt *st = NULL;
  char *cron = NULL;
  int rc, step;

  if ((rc = hv__store_prepare(
           s, "SELECT cron FROM source_schedule WHERE source_id = ?", &st,
           "prepare schedule lookup", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id)) {
    rc = hv__store_fail(s, err, "bind schedule lookup");
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_ROW)
    rc = hv__store_column_dup(st, 0, &cron, err);
  else if (step != SQLITE_DONE)
    rc = hv__store_fail(s, err, "look up schedule of source %lld",
                        (long long)source_id);
  if (rc == 0)
    *out = cron;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_schedule_set(hv_store *s, int64_t source_id, const char *cron,
                          hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(
           s,
           cron ? "INSERT OR REPLACE INTO source_schedule"
                  " (source_id, cron) VALUES (?1, ?2)"
                : "DELETE FROM source_schedule WHERE source_id = ?1",
           &st, "prepare schedule update", err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      (cron && hv__store_bind_text(st, 2, cron)) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "set schedule of source %lld",
                        (long long)source_id);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- runs -------------------------------------------------------------- */

void hv_run_info_list_free(hv_run_info *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++) {
    hv_free(rows[i].row.status);
    hv_free(rows[i].row.message);
    hv_free(rows[i].source_name);
  }
  hv_free(rows);
}

static int run_info_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_run_info *r = elem;
  hv_ledger_counts *c = &r->counts;
  int rc;

  r->row.id = sqlite3_column_int64(st, 0);
  r->row.source_id = sqlite3_column_int64(st, 1);
  if ((rc = hv__store_column_dup(st, 2, &r->source_name, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &r->row.status, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &r->row.message, err)) < 0)
    return rc;
  r->row.started_at = sqlite3_column_int64(st, 5);
  r->row.finished_at = sqlite3_column_int64(st, 6);
  hv__store_column_copy(st, 7, r->state, sizeof(r->state));
  c->requests = sqlite3_column_int64(st, 8);
  c->bytes = sqlite3_column_int64(st, 9);
  c->pages_fetched = sqlite3_column_int64(st, 10);
  c->pages_not_modified = sqlite3_column_int64(st, 11);
  c->pages_failed = sqlite3_column_int64(st, 12);
  c->datasets_new = sqlite3_column_int64(st, 13);
  c->datasets_updated = sqlite3_column_int64(st, 14);
  c->datasets_unchanged = sqlite3_column_int64(st, 15);
  c->datasets_deleted = sqlite3_column_int64(st, 16);
  c->datasets_rejected = sqlite3_column_int64(st, 17);
  c->distributions = sqlite3_column_int64(st, 18);
  c->seconds = sqlite3_column_double(st, 19);
  return 0;
}

static void run_info_free_cb(void *list, size_t n)
{
  hv_run_info_list_free(list, n);
}

/* The columns and joins of a run with its state and summed counts. */
#define RUN_INFO_SELECT                                                     \
  "SELECT r.id, r.source_id, r.source_name, r.status, r.message,"           \
  " r.started_at, r.finished_at,"                                           \
  " coalesce(s.state, (SELECT min(state) FROM ledger l"                     \
  "   WHERE l.run_id = r.id), '') AS st,"                                   \
  " " LEDGER_SUMS                                                           \
  " FROM run r LEFT JOIN source s ON s.id = r.source_id"                    \
  " LEFT JOIN ledger g ON g.run_id = r.id"

static int run_info_query(hv_store *s, const char *sql, const char *state,
                          const char *source_name, int64_t run_id,
                          size_t limit, hv_run_info **out, size_t *n_out,
                          hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *list = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_prepare(s, sql, &st, "prepare run list", err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, source_name) ||
      sqlite3_bind_int64(st, 2, run_id) || hv__store_bind_text(st, 3, state) ||
      sqlite3_bind_int64(st, 4, limit ? (int64_t)limit : -1)) {
    rc = hv__store_fail(s, err, "bind run list");
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_run_info), run_info_reader,
                              run_info_free_cb, &list, &n, "list runs", err)) <
      0)
    goto cleanup;
  *out = list;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_run_info_list(hv_store *s, const char *state,
                           const char *source_name, int64_t run_id,
                           size_t limit, hv_run_info **out, size_t *n_out,
                           hv_error *err)
{
  /* The state of a run: its source's state while the source exists (so
   * a run that failed before its first page is still visible to the
   * state), else the state its ledger rows were counted under. */
  return run_info_query(s,
                        RUN_INFO_SELECT
                        " WHERE (?1 IS NULL OR r.source_name = ?1)"
                        " AND (?2 <= 0 OR r.id = ?2)"
                        " GROUP BY r.id"
                        " HAVING (?3 IS NULL OR st = ?3)"
                        " ORDER BY r.id DESC LIMIT ?4",
                        state, source_name, run_id, limit, out, n_out, err);
}

int hv_store_run_info_latest(hv_store *s, hv_run_info **out, size_t *n_out,
                             hv_error *err)
{
  return run_info_query(s,
                        RUN_INFO_SELECT
                        " WHERE r.id IN (SELECT max(id) FROM run"
                        "   WHERE ?1 IS NULL AND ?2 <= 0"
                        "   GROUP BY source_id)"
                        " GROUP BY r.id"
                        " HAVING (?3 IS NULL OR st = ?3)"
                        " ORDER BY r.source_id LIMIT ?4",
                        NULL, NULL, 0, 0, out, n_out, err);
}

/* ---- metrics ----------------------------------------------------------- */

static int metric_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_metric_row *m = elem;
  int i, cols = sqlite3_column_count(st);

  (void)err;
  hv__store_column_copy(st, 0, m->label1, sizeof(m->label1));
  hv__store_column_copy(st, 1, m->label2, sizeof(m->label2));
  for (i = 2; i < cols && i < 5; i++)
    m->value[i - 2] = sqlite3_column_int64(st, i);
  return 0;
}

static void metric_free_cb(void *list, size_t n)
{
  (void)n;
  hv_free(list);
}

static int metric_query(hv_store *s, const char *sql, const char *what,
                        hv_metric_row **out, size_t *n_out, hv_error *err)
{
  void *list = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_select(s, sql, sizeof(hv_metric_row), metric_reader,
                             metric_free_cb, &list, &n, what, err)) == 0) {
    *out = list;
    *n_out = n;
  }
  return rc;
}

int hv_store_metric_runs(hv_store *s, hv_metric_row **out, size_t *n_out,
                         hv_error *err)
{
  return metric_query(s,
                      "SELECT status, '', count(*) FROM run"
                      " GROUP BY status ORDER BY status",
                      "count runs by status", out, n_out, err);
}

int hv_store_metric_pages(hv_store *s, hv_metric_row **out, size_t *n_out,
                          hv_error *err)
{
  return metric_query(s,
                      "SELECT source_name, '', sum(pages_fetched),"
                      " sum(pages_not_modified), sum(pages_failed)"
                      " FROM ledger GROUP BY source_name"
                      " ORDER BY source_name",
                      "count pages by source", out, n_out, err);
}

int hv_store_metric_datasets(hv_store *s, hv_metric_row **out, size_t *n_out,
                             hv_error *err)
{
  return metric_query(s,
                      "SELECT s.state, d.status, count(*) FROM dataset d"
                      " JOIN source s ON s.id = d.source_id"
                      " GROUP BY s.state, d.status ORDER BY 1, 2",
                      "count datasets by state and status", out, n_out, err);
}

int hv_store_catalog_stamp(hv_store *s, int64_t *count_out,
                           int64_t *changed_out, int64_t *updated_out,
                           hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc =
           hv__store_prepare(s,
                             "SELECT count(*) FILTER (WHERE status = 'active'),"
                             " coalesce(max(changed_run), 0),"
                             " coalesce(max(updated_at), 0) FROM dataset",
                             &st, "prepare catalog stamp", err)) < 0)
    goto cleanup;
  if (sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "read catalog stamp");
    goto cleanup;
  }
  *count_out = sqlite3_column_int64(st, 0);
  *changed_out = sqlite3_column_int64(st, 1);
  *updated_out = sqlite3_column_int64(st, 2);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_schedule_list(hv_store *s, hv_metric_row **out, size_t *n_out,
                           hv_error *err)
{
  return metric_query(s,
                      "SELECT cron, '', source_id FROM source_schedule"
                      " ORDER BY source_id",
                      "list schedules", out, n_out, err);
}
