/*
 * The SQLite store (see store.h).
 *
 * One connection per handle, used by one thread. Statements that run
 * once per dataset or per page are prepared on first use and kept on the
 * handle, so the hot path (hv_store_dataset_upsert, about 100,000 calls
 * per harvest) costs a reset and a few binds instead of a parse. Every
 * cached statement is reset before the function that used it returns, so
 * none keeps a read snapshot or a lock open between calls.
 *
 * Each SQLite failure is reported once, here, as HV_ESTORE with what was
 * being done and SQLite's own message; the one failure callers act on, a
 * source name that is already taken, becomes HV_EEXISTS.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* Another writer (a second process on the same file) may hold the lock. */
#define BUSY_TIMEOUT_MS 5000




static const char *const stmt_sql[ST_COUNT] = {
    [ST_SOURCE_INSERT] =
        "INSERT INTO source (name, state, kind, url, format_hint,"
        " contributor_id, priority, enabled, created_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [ST_SOURCE_GET] =
        "SELECT id, name, state, kind, url, format_hint, contributor_id,"
        " priority, enabled, created_at FROM source WHERE name = ?1",
    [ST_SOURCE_DELETE] = "DELETE FROM source WHERE name = ?1",
    [ST_RUN_INSERT] =
        "INSERT INTO run (source_id, source_name, status, started_at)"
        " SELECT id, name, 'running', ?2 FROM source WHERE id = ?1",
    [ST_RUN_FINISH] =
        "UPDATE run SET status = ?2, message = ?3, finished_at = ?4"
        " WHERE id = ?1",
    [ST_PAGE_GET] =
        "SELECT etag, last_modified, content_hash, next_url, rejected"
        " FROM page WHERE source_id = ?1 AND url = ?2",
    [ST_PAGE_PUT] =
        "INSERT INTO page (source_id, url, etag, last_modified,"
        " content_hash, next_url, last_run, decoded_run, rejected)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " CASE WHEN ?8 THEN NULL ELSE ?7 END, ?9)"
        " ON CONFLICT (source_id, url) DO UPDATE SET"
        " etag = excluded.etag, last_modified = excluded.last_modified,"
        " content_hash = excluded.content_hash,"
        " next_url = excluded.next_url, last_run = excluded.last_run,"
        " decoded_run = CASE WHEN ?8 THEN decoded_run"
        " ELSE excluded.last_run END,"
        " rejected = CASE WHEN ?8 THEN rejected ELSE excluded.rejected END",
    /*
     * A page kept in a run vouches for the datasets it delivered when it
     * was last decoded, without touching them: a 304 costs one page row,
     * not a hundred dataset rows. One that had vanished from the page by
     * then (in a run that failed or was held) is not among them.
     */
    [ST_PAGE_KEEP] =
        "SELECT count(*), coalesce(sum(d.distributions), 0)"
        " FROM page p JOIN dataset d INDEXED BY dataset_by_page"
        " ON d.source_id = p.source_id AND d.page_url = p.url"
        " WHERE p.source_id = ?1 AND p.url = ?2 AND p.last_run <> ?3"
        " AND d.status = 'active' AND d.last_seen_run = p.decoded_run"
        " AND d.last_seen_run <> ?3",
    [ST_PAGE_MARK] =
        "UPDATE page SET last_run = ?3 WHERE source_id = ?1 AND url = ?2",
    [ST_DS_SELECT] =
        "SELECT d.id, d.hash, d.status, d.last_seen_run, d.page_url,"
        " coalesce(p.last_run = ?3 AND p.decoded_run = d.last_seen_run, 0)"
        " FROM dataset d LEFT JOIN page p"
        " ON p.source_id = d.source_id AND p.url = d.page_url"
        " WHERE d.source_id = ?1 AND d.key = ?2",
    [ST_DS_INSERT] =
        "INSERT INTO dataset (source_id, key, uri, identifier, modified,"
        " hash, distributions, page_url, status, first_run,"
        " last_seen_run, changed_run, created_at, updated_at,"
        " violations, warnings, report_state)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9, 'active', ?10, ?10,"
        " ?10, ?11, ?11, ?12, ?13, ?14)",
    [ST_PAYLOAD_PUT] =
        "INSERT INTO dataset_payload (dataset_id, payload) VALUES (?1, ?2)"
        " ON CONFLICT (dataset_id) DO UPDATE SET payload = excluded.payload",
    [ST_DS_UPDATE] =
        "UPDATE dataset SET uri = ?2, identifier = ?3, modified = ?4,"
        " hash = ?5, distributions = ?7, page_url = ?8,"
        " status = 'active', last_seen_run = ?9, changed_run = ?9,"
        " updated_at = ?10,"
        /* ?11: the assessment's counts and state come along (else the
         * row keeps the ones it has). */
        " violations = iif(?11, ?12, violations),"
        " warnings = iif(?11, ?13, warnings),"
        " report_state = iif(?11, ?14, report_state) WHERE id = ?1",
    /*
     * The common case writes one column. Only when the dataset moved to
     * another page is page_url written (and its index entry moved), since
     * that page's hv_store_page_keep must find it next time.
     */
    [ST_DS_TOUCH] = "UPDATE dataset SET last_seen_run = ?2 WHERE id = ?1",
    [ST_DS_MOVE] =
        "UPDATE dataset SET last_seen_run = ?2, page_url = ?3 WHERE id = ?1",
    /* Seen in run ?2: delivered by a page decoded in it, or vouched for
     * by a page kept in it (see ST_PAGE_KEEP). */
    [ST_DS_COUNTS] =
        "SELECT count(*), coalesce(sum(NOT"
        " (last_seen_run = ?2 OR EXISTS (SELECT 1 FROM page p"
        " WHERE p.source_id = dataset.source_id AND p.url = dataset.page_url"
        " AND p.last_run = ?2 AND p.decoded_run = dataset.last_seen_run))"
        "), 0) FROM dataset WHERE source_id = ?1 AND status = 'active'",
    [ST_LEDGER_ADD] =
        "INSERT INTO ledger (run_id, source_id, source_name, state,"
        " requests, bytes, pages_fetched, pages_not_modified, pages_failed,"
        " datasets_new, datasets_updated, datasets_unchanged,"
        " datasets_deleted, datasets_rejected, distributions, seconds,"
        " datasets_superseded, findings_violations, findings_warnings,"
        " findings_infos)"
        " VALUES (?1, ?2, (SELECT coalesce((SELECT name FROM source"
        " WHERE id = ?2), (SELECT source_name FROM run WHERE id = ?1))),"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
        " ?17, ?18, ?19)"
        " ON CONFLICT (run_id, source_id, state) DO UPDATE SET"
        " requests = requests + excluded.requests,"
        " bytes = bytes + excluded.bytes,"
        " pages_fetched = pages_fetched + excluded.pages_fetched,"
        " pages_not_modified ="
        " pages_not_modified + excluded.pages_not_modified,"
        " pages_failed = pages_failed + excluded.pages_failed,"
        " datasets_new = datasets_new + excluded.datasets_new,"
        " datasets_updated = datasets_updated + excluded.datasets_updated,"
        " datasets_unchanged ="
        " datasets_unchanged + excluded.datasets_unchanged,"
        " datasets_deleted = datasets_deleted + excluded.datasets_deleted,"
        " datasets_rejected ="
        " datasets_rejected + excluded.datasets_rejected,"
        " distributions = distributions + excluded.distributions,"
        " seconds = seconds + excluded.seconds,"
        " datasets_superseded ="
        " datasets_superseded + excluded.datasets_superseded,"
        " findings_violations ="
        " findings_violations + excluded.findings_violations,"
        " findings_warnings = findings_warnings + excluded.findings_warnings,"
        " findings_infos = findings_infos + excluded.findings_infos",
    [ST_LEDGER_RUN] = "SELECT " LEDGER_SUMS " FROM ledger WHERE run_id = ?1",
};


/* ---- helpers ------------------------------------------------------------ */

int hv__store_fail(hv_store *s, hv_error *err, const char *fmt, ...)
{
  char what[256];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  return hv_error_set(err, HV_ESTORE, "store: %s: %s", what,
                      sqlite3_errmsg(s->db));
}

/* Returns the cached statement id, reset and unbound, preparing it once. */
int hv__store_stmt(hv_store *s, int id, sqlite3_stmt **out, hv_error *err)
{
  sqlite3_stmt *st = s->stmts[id];

  if (!st) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
                           SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
      return hv__store_fail(s, err, "prepare statement %d", id);
    s->stmts[id] = st;
  }
  *out = st;
  return 0;
}

/* Releases a cached statement's snapshot and bindings; NULL-safe. */
void hv__store_stmt_done(sqlite3_stmt *st)
{
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

/* Binds s as text, or SQL NULL for NULL; the string outlives the step. */
int hv__store_bind_text(sqlite3_stmt *st, int i, const char *s)
{
  return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copies text column i into *out (NULL for SQL NULL). */
int hv__store_column_dup(sqlite3_stmt *st, int i, char **out, hv_error *err)
{
  const unsigned char *text;

  *out = NULL;
  if (sqlite3_column_type(st, i) == SQLITE_NULL)
    return 0;
  text = sqlite3_column_text(st, i);
  if (text)
    *out = hv_strndup((const char *)text, (size_t)sqlite3_column_bytes(st, i));
  return *out ? 0 : hv_error_oom(err);
}

/* Runs SQL without results (pragmas, transaction control, migrations). */
int hv__store_exec(hv_store *s, const char *sql, const char *what, hv_error *err)
{
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return hv__store_fail(s, err, "%s", what);
  return 0;
}

/* Reads a single-integer pragma or query into *out. */
int hv__store_query_int(hv_store *s, const char *sql, const char *what,
                     int64_t *out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "%s", what);
    goto cleanup;
  }
  *out = sqlite3_column_int64(st, 0);

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- open, migrate, transactions ---------------------------------------- */

static int newer_error(const char *path, int64_t version, hv_error *err)
{
  return hv_error_set(err, HV_ESTORE,
                      "store: '%s' has schema version %lld, newer than this "
                      "binary's %zu; use a newer govharvest",
                      path, (long long)version, hv__store_migration_count);
}

static int refuse_newer(hv_store *s, const char *path, hv_error *err)
{
  int64_t version = 0;
  int rc;

  if ((rc = hv__store_query_int(s, "PRAGMA user_version", "read schema version",
                      &version, err)) < 0)
    return rc;
  if (version > (int64_t)hv__store_migration_count)
    return newer_error(path, version, err);
  return 0;
}

/*
 * Applies the migrations the file lacks, one transaction each. The
 * version is read again inside the write transaction so that two
 * processes opening the same new file do not both apply a step.
 */
static int migrate(hv_store *s, const char *path, hv_error *err)
{
  int64_t version = 0;
  char sql[64];
  int rc;

  if ((rc = hv__store_query_int(s, "PRAGMA user_version", "read schema version",
                      &version, err)) < 0)
    return rc;
  for (;;) {
    if (version > (int64_t)hv__store_migration_count)
      return newer_error(path, version, err);
    if (version == (int64_t)hv__store_migration_count)
      break;
    if ((rc = hv__store_exec(s, "BEGIN IMMEDIATE", "begin migration", err)) < 0)
      return rc;
    if ((rc = hv__store_query_int(s, "PRAGMA user_version", "read schema version",
                        &version, err)) < 0)
      goto fail;
    if (version >= (int64_t)hv__store_migration_count) {
      if ((rc = hv__store_exec(s, "COMMIT", "end migration", err)) < 0)
        goto fail;
      continue;
    }
    if (sqlite3_exec(s->db, hv__store_migrations[version].sql, NULL, NULL,
                     NULL) != SQLITE_OK) {
      rc = hv__store_fail(s, err, "migration %lld (%s)", (long long)version + 1,
                    hv__store_migrations[version].name);
      goto fail;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
             (long long)version + 1);
    if ((rc = hv__store_exec(s, sql, "record schema version", err)) < 0 ||
        (rc = hv__store_exec(s, "COMMIT", "commit migration", err)) < 0)
      goto fail;
    version++;
  }
  s->version = (int)version;
  return 0;

fail:
  if (!sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* Switches to WAL; an in-memory database keeps its own journal. */
static int set_wal(hv_store *s, const char *path, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  const char *mode;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
                         NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "set WAL mode on '%s'", path);
    goto cleanup;
  }
  mode = (const char *)sqlite3_column_text(st, 0);
  if (!mode || (strcasecmp(mode, "wal") != 0 &&
                strcasecmp(mode, "memory") != 0)) {
    rc = hv_error_set(err, HV_ESTORE,
                      "store: '%s' refused WAL mode (journal mode %s)", path,
                      mode ? mode : "unknown");
    goto cleanup;
  }

cleanup:
  sqlite3_finalize(st);
  return rc;
}

int hv_store_open(hv_store **out, const char *path, hv_error *err)
{
  hv_store *s = NULL;
  int rc;

  if (!path || !*path)
    return hv_error_set(err, HV_EINVAL, "store: no path given");
  if ((s = hv_calloc(1, sizeof(*s))))
    hv_buf_init(&s->payload, MAX_PAYLOAD);
  if (!s) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if (sqlite3_open_v2(path, &s->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                          SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK) {
    if (s->db)
      rc = hv__store_fail(s, err, "open '%s'", path);
    else
      rc = hv_error_set(err, HV_ESTORE, "store: open '%s': out of memory",
                        path);
    goto cleanup;
  }
  sqlite3_extended_result_codes(s->db, 1);
  if (sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK) {
    rc = hv__store_fail(s, err, "set busy timeout on '%s'", path);
    goto cleanup;
  }
  /* A file from a newer binary is refused before anything changes it. */
  if ((rc = refuse_newer(s, path, err)) < 0 ||
      /* Canonical payloads are kilobytes: larger pages mean fewer
       * overflow chains and fewer writes (applies to new files only). */
      (rc = hv__store_exec(s, "PRAGMA page_size = 16384", "set page size", err)) < 0 ||
      (rc = hv__store_exec(s, "PRAGMA cache_size = -16384", "set cache size", err)) <
          0 ||
      (rc = hv__store_exec(s, "PRAGMA journal_size_limit = 67108864",
                 "limit the log's size", err)) < 0 ||
      (rc = set_wal(s, path, err)) < 0 ||
      (rc = hv__store_exec(s, "PRAGMA synchronous = NORMAL", "set synchronous",
                 err)) < 0 ||
      (rc = hv__store_exec(s, "PRAGMA foreign_keys = ON", "enable foreign keys",
                 err)) < 0 ||
      (rc = migrate(s, path, err)) < 0)
    goto cleanup;

  *out = s;
  s = NULL;

cleanup:
  hv_store_close(s);
  return rc;
}

struct hv_store_checkpointer {
  hv_store *store; /* whose automatic checkpoints are off meanwhile */
  sqlite3 *db;     /* second connection, used by one thread at a time */
};

int hv_store_checkpointer_open(hv_store_checkpointer **out, hv_store *s,
                               hv_error *err)
{
  hv_store_checkpointer *c;
  const char *path = sqlite3_db_filename(s->db, "main");
  int rc;

  if (!path || !*path)
    return hv_error_set(err, HV_EINVAL,
                        "store: checkpoints need a file-backed store");
  if (!(c = hv_calloc(1, sizeof(*c))))
    return hv_error_oom(err);
  c->store = s;
  if (sqlite3_open_v2(path, &c->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                      NULL) != SQLITE_OK ||
      sqlite3_busy_timeout(c->db, BUSY_TIMEOUT_MS) != SQLITE_OK ||
      /* A connection opens its file lazily; a checkpoint on one that has
       * not read anything yet finds no log and does nothing. */
      sqlite3_exec(c->db, "PRAGMA journal_mode", NULL, NULL, NULL) !=
          SQLITE_OK) {
    rc = hv_error_set(err, HV_ESTORE, "store: open checkpointer on '%s': %s",
                      path, c->db ? sqlite3_errmsg(c->db) : "out of memory");
    sqlite3_close(c->db);
    hv_free(c);
    return rc;
  }
  if ((rc = hv__store_exec(s, "PRAGMA wal_autocheckpoint = 0",
                 "turn automatic checkpoints off", err)) < 0) {
    sqlite3_close(c->db);
    hv_free(c);
    return rc;
  }
  *out = c;
  return 0;
}

int hv_store_checkpoint(hv_store_checkpointer *c, hv_error *err)
{
  int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                     NULL, NULL);

  /* BUSY only means another checkpoint or a reader was in the way. */
  if (rc != SQLITE_OK && rc != SQLITE_BUSY)
    return hv_error_set(err, HV_ESTORE, "store: checkpoint: %s",
                        sqlite3_errmsg(c->db));
  return 0;
}

void hv_store_checkpointer_close(hv_store_checkpointer *c)
{
  if (!c)
    return;
  sqlite3_close(c->db);
  hv__store_exec(c->store, "PRAGMA wal_autocheckpoint = 1000",
       "turn automatic checkpoints on", NULL);
  hv_free(c);
}

void hv_store_close(hv_store *s)
{
  size_t i;

  if (!s)
    return;
  for (i = 0; i < ST_COUNT; i++)
    sqlite3_finalize(s->stmts[i]);
  /* A transaction still open here was abandoned: discard it. */
  if (s->db && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close(s->db);
  hv_buf_fini(&s->payload);
  hv_free(s);
}

int hv_store_schema_version(hv_store *s)
{
  return s->version;
}

int hv_store_begin(hv_store *s, hv_error *err)
{
  /* IMMEDIATE takes the write lock now, so no later write can deadlock. */
  return hv__store_exec(s, "BEGIN IMMEDIATE", "begin transaction", err);
}

int hv_store_commit(hv_store *s, hv_error *err)
{
  return hv__store_exec(s, "COMMIT", "commit transaction", err);
}

void hv_store_rollback(hv_store *s)
{
  if (s && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
