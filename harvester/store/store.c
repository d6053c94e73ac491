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

#include <curl/curl.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"
#include "util/compress.h"

/* Another writer (a second process on the same file) may hold the lock. */
#define BUSY_TIMEOUT_MS 5000

/* Longest value quoted back in a validation message. */
#define QUOTE_MAX 80

/*
 * The cached statements. The enum and the SQL table are kept in the same
 * order; a statement's name in messages is the "what" of its caller.
 */
enum {
  ST_SOURCE_INSERT,
  ST_SOURCE_GET,
  ST_SOURCE_DELETE,
  ST_RUN_INSERT,
  ST_RUN_FINISH,
  ST_PAGE_GET,
  ST_PAGE_PUT,
  ST_PAGE_KEEP,
  ST_PAGE_MARK,
  ST_PAYLOAD_PUT,
  ST_DS_SELECT,
  ST_DS_INSERT,
  ST_DS_UPDATE,
  ST_DS_TOUCH,
  ST_DS_MOVE,
  ST_DS_COUNTS,
  ST_DS_DELETE_UNSEEN,
  ST_LEDGER_ADD,
  ST_LEDGER_RUN,
  ST_COUNT
};

#define LEDGER_SUMS                                                         \
  "sum(requests), sum(bytes), sum(pages_fetched), sum(pages_not_modified),"  \
  " sum(pages_failed), sum(datasets_new), sum(datasets_updated),"            \
  " sum(datasets_unchanged), sum(datasets_deleted), sum(datasets_rejected)," \
  " sum(distributions), total(seconds)"

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
        "SELECT etag, last_modified, content_hash, next_url FROM page"
        " WHERE source_id = ?1 AND url = ?2",
    [ST_PAGE_PUT] =
        "INSERT INTO page (source_id, url, etag, last_modified,"
        " content_hash, next_url, last_run, decoded_run)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
        " CASE WHEN ?8 THEN NULL ELSE ?7 END)"
        " ON CONFLICT (source_id, url) DO UPDATE SET"
        " etag = excluded.etag, last_modified = excluded.last_modified,"
        " content_hash = excluded.content_hash,"
        " next_url = excluded.next_url, last_run = excluded.last_run,"
        " decoded_run = CASE WHEN ?8 THEN decoded_run"
        " ELSE excluded.last_run END",
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
        " last_seen_run, changed_run, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?8, ?9, 'active', ?10, ?10,"
        " ?10, ?11, ?11)",
    [ST_PAYLOAD_PUT] =
        "INSERT INTO dataset_payload (dataset_id, payload) VALUES (?1, ?2)"
        " ON CONFLICT (dataset_id) DO UPDATE SET payload = excluded.payload",
    [ST_DS_UPDATE] =
        "UPDATE dataset SET uri = ?2, identifier = ?3, modified = ?4,"
        " hash = ?5, distributions = ?7, page_url = ?8,"
        " status = 'active', last_seen_run = ?9, changed_run = ?9,"
        " updated_at = ?10 WHERE id = ?1",
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
    [ST_DS_DELETE_UNSEEN] =
        "UPDATE dataset SET status = 'deleted', changed_run = ?2,"
        " updated_at = ?3"
        " WHERE source_id = ?1 AND status = 'active' AND NOT"
        " (last_seen_run = ?2 OR EXISTS (SELECT 1 FROM page p"
        " WHERE p.source_id = dataset.source_id AND p.url = dataset.page_url"
        " AND p.last_run = ?2 AND p.decoded_run = dataset.last_seen_run))",
    [ST_LEDGER_ADD] =
        "INSERT INTO ledger (run_id, source_id, source_name, state,"
        " requests, bytes, pages_fetched, pages_not_modified, pages_failed,"
        " datasets_new, datasets_updated, datasets_unchanged,"
        " datasets_deleted, datasets_rejected, distributions, seconds)"
        " VALUES (?1, ?2, (SELECT coalesce((SELECT name FROM source"
        " WHERE id = ?2), (SELECT source_name FROM run WHERE id = ?1))),"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
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
        " seconds = seconds + excluded.seconds",
    [ST_LEDGER_RUN] = "SELECT " LEDGER_SUMS " FROM ledger WHERE run_id = ?1",
};

struct hv_store {
  sqlite3 *db;
  int version;                   /* migrations applied */
  sqlite3_stmt *stmts[ST_COUNT]; /* prepared on first use, NULL before */
  hv_buf payload;                /* (de)compression scratch, reused */
};

/* Bounds a stored payload, compressed or not. */
#define MAX_PAYLOAD ((size_t)64 << 20)

/* ---- helpers ------------------------------------------------------------ */

/* Reports the connection's last SQLite error as HV_ESTORE. */
static int sql_fail(hv_store *s, hv_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int sql_fail(hv_store *s, hv_error *err, const char *fmt, ...)
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
static int stmt_get(hv_store *s, int id, sqlite3_stmt **out, hv_error *err)
{
  sqlite3_stmt *st = s->stmts[id];

  if (!st) {
    if (sqlite3_prepare_v3(s->db, stmt_sql[id], -1,
                           SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
      return sql_fail(s, err, "prepare statement %d", id);
    s->stmts[id] = st;
  }
  *out = st;
  return 0;
}

/* Releases a cached statement's snapshot and bindings; NULL-safe. */
static void stmt_done(sqlite3_stmt *st)
{
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  }
}

/* Binds s as text, or SQL NULL for NULL; the string outlives the step. */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
  return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Copies text column i into *out (NULL for SQL NULL). */
static int column_dup(sqlite3_stmt *st, int i, char **out, hv_error *err)
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
static int exec(hv_store *s, const char *sql, const char *what, hv_error *err)
{
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return sql_fail(s, err, "%s", what);
  return 0;
}

/* Reads a single-integer pragma or query into *out. */
static int query_int(hv_store *s, const char *sql, const char *what,
                     int64_t *out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW) {
    rc = sql_fail(s, err, "%s", what);
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

  if ((rc = query_int(s, "PRAGMA user_version", "read schema version",
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

  if ((rc = query_int(s, "PRAGMA user_version", "read schema version",
                      &version, err)) < 0)
    return rc;
  for (;;) {
    if (version > (int64_t)hv__store_migration_count)
      return newer_error(path, version, err);
    if (version == (int64_t)hv__store_migration_count)
      break;
    if ((rc = exec(s, "BEGIN IMMEDIATE", "begin migration", err)) < 0)
      return rc;
    if ((rc = query_int(s, "PRAGMA user_version", "read schema version",
                        &version, err)) < 0)
      goto fail;
    if (version >= (int64_t)hv__store_migration_count) {
      if ((rc = exec(s, "COMMIT", "end migration", err)) < 0)
        goto fail;
      continue;
    }
    if (sqlite3_exec(s->db, hv__store_migrations[version].sql, NULL, NULL,
                     NULL) != SQLITE_OK) {
      rc = sql_fail(s, err, "migration %lld (%s)", (long long)version + 1,
                    hv__store_migrations[version].name);
      goto fail;
    }
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld",
             (long long)version + 1);
    if ((rc = exec(s, sql, "record schema version", err)) < 0 ||
        (rc = exec(s, "COMMIT", "commit migration", err)) < 0)
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
    rc = sql_fail(s, err, "set WAL mode on '%s'", path);
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
      rc = sql_fail(s, err, "open '%s'", path);
    else
      rc = hv_error_set(err, HV_ESTORE, "store: open '%s': out of memory",
                        path);
    goto cleanup;
  }
  sqlite3_extended_result_codes(s->db, 1);
  if (sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS) != SQLITE_OK) {
    rc = sql_fail(s, err, "set busy timeout on '%s'", path);
    goto cleanup;
  }
  /* A file from a newer binary is refused before anything changes it. */
  if ((rc = refuse_newer(s, path, err)) < 0 ||
      /* Canonical payloads are kilobytes: larger pages mean fewer
       * overflow chains and fewer writes (applies to new files only). */
      (rc = exec(s, "PRAGMA page_size = 16384", "set page size", err)) < 0 ||
      (rc = exec(s, "PRAGMA cache_size = -16384", "set cache size", err)) <
          0 ||
      (rc = exec(s, "PRAGMA journal_size_limit = 67108864",
                 "limit the log's size", err)) < 0 ||
      (rc = set_wal(s, path, err)) < 0 ||
      (rc = exec(s, "PRAGMA synchronous = NORMAL", "set synchronous",
                 err)) < 0 ||
      (rc = exec(s, "PRAGMA foreign_keys = ON", "enable foreign keys",
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
  if ((rc = exec(s, "PRAGMA wal_autocheckpoint = 0",
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
  exec(c->store, "PRAGMA wal_autocheckpoint = 1000",
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
  return exec(s, "BEGIN IMMEDIATE", "begin transaction", err);
}

int hv_store_commit(hv_store *s, hv_error *err)
{
  return exec(s, "COMMIT", "commit transaction", err);
}

void hv_store_rollback(hv_store *s)
{
  if (s && !sqlite3_get_autocommit(s->db))
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- sources ------------------------------------------------------------ */

void hv_source_fini(hv_source *src)
{
  if (!src)
    return;
  hv_free(src->name);
  hv_free(src->state);
  hv_free(src->kind);
  hv_free(src->url);
  hv_free(src->format_hint);
  hv_free(src->contributor_id);
  src->name = src->state = src->kind = src->url = NULL;
  src->format_hint = src->contributor_id = NULL;
}

int hv_state_valid(const char *state)
{
  if (!state)
    return 0;
  if (strcmp(state, "bund") == 0)
    return 1;
  if (strlen(state) != 2 || state[0] < '0' || state[0] > '1' ||
      state[1] < '0' || state[1] > '9')
    return 0;
  return strcmp(state, "01") >= 0 && strcmp(state, "16") <= 0;
}

static int name_valid(const char *name)
{
  size_t n = 0;

  if (!name)
    return 0;
  for (; name[n]; n++) {
    char c = name[n];
    if (n >= 64 ||
        !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      return 0;
  }
  return n > 0;
}

/* Checks scheme and syntax with libcurl's own URL parser. */
static int url_check(const char *url, hv_error *err)
{
  CURLU *u = NULL;
  CURLUcode uc;
  char *host = NULL;
  int rc = 0;

  if (!url)
    return hv_error_set(err, HV_EINVAL, "source url is missing");
  if (strncasecmp(url, "http://", 7) != 0 &&
      strncasecmp(url, "https://", 8) != 0)
    return hv_error_set(err, HV_EINVAL,
                        "source url '%.*s' must start with http:// or "
                        "https://",
                        QUOTE_MAX, url);
  if (!(u = curl_url()))
    return hv_error_oom(err);
  uc = curl_url_set(u, CURLUPART_URL, url, 0);
  if (uc == CURLUE_OK)
    uc = curl_url_get(u, CURLUPART_HOST, &host, 0);
  if (uc == CURLUE_OUT_OF_MEMORY)
    rc = hv_error_oom(err);
  else if (uc != CURLUE_OK || !host || !*host)
    rc = hv_error_set(err, HV_EINVAL, "source url '%.*s' does not parse: %s",
                      QUOTE_MAX, url,
                      uc != CURLUE_OK ? curl_url_strerror(uc) : "no host");
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

int hv_source_validate(const hv_source *src, hv_error *err)
{
  const char *hint = src->format_hint;
  int rc;

  if (!name_valid(src->name))
    return hv_error_set(err, HV_EINVAL,
                        "source name '%.*s' is invalid: use 1 to 64 of "
                        "A-Z a-z 0-9 . _ -",
                        QUOTE_MAX, src->name ? src->name : "");
  if (!hv_state_valid(src->state))
    return hv_error_set(err, HV_EINVAL,
                        "source '%s': state '%.*s' is invalid: use 01..16 "
                        "or bund",
                        src->name, QUOTE_MAX, src->state ? src->state : "");
  if (!src->kind || strcmp(src->kind, "dcat-rdf") != 0)
    return hv_error_set(err, HV_EINVAL,
                        "source '%s': kind '%.*s' is not supported: use "
                        "dcat-rdf",
                        src->name, QUOTE_MAX, src->kind ? src->kind : "");
  if ((rc = url_check(src->url, err)) < 0) {
    hv_error_prefix(err, "source '%s': ", src->name);
    return rc;
  }
  if (hint && strcmp(hint, "rdfxml") != 0 && strcmp(hint, "turtle") != 0 &&
      strcmp(hint, "ntriples") != 0)
    return hv_error_set(err, HV_EINVAL,
                        "source '%s': format hint '%.*s' is invalid: use "
                        "rdfxml, turtle or ntriples",
                        src->name, QUOTE_MAX, hint);
  return 0;
}

int hv_store_source_add(hv_store *s, hv_source *src, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int64_t now = (int64_t)time(NULL);
  int rc;

  if ((rc = hv_source_validate(src, err)) < 0 ||
      (rc = stmt_get(s, ST_SOURCE_INSERT, &st, err)) < 0)
    goto cleanup;
  if (bind_text(st, 1, src->name) || bind_text(st, 2, src->state) ||
      bind_text(st, 3, src->kind) || bind_text(st, 4, src->url) ||
      bind_text(st, 5, src->format_hint) ||
      bind_text(st, 6, src->contributor_id) ||
      sqlite3_bind_int(st, 7, src->priority) ||
      sqlite3_bind_int(st, 8, src->enabled ? 1 : 0) ||
      sqlite3_bind_int64(st, 9, now) || sqlite3_step(st) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
      rc = hv_error_set(err, HV_EEXISTS, "source '%s' already exists",
                        src->name);
    else
      rc = sql_fail(s, err, "insert source '%s'", src->name);
    goto cleanup;
  }
  src->id = sqlite3_last_insert_rowid(s->db);
  src->created_at = now;

cleanup:
  stmt_done(st);
  return rc;
}

/* Reads one source row (columns as in ST_SOURCE_GET) into *out. */
static int source_from_row(sqlite3_stmt *st, hv_source *out, hv_error *err)
{
  hv_source src;
  int rc;

  memset(&src, 0, sizeof(src));
  src.id = sqlite3_column_int64(st, 0);
  if ((rc = column_dup(st, 1, &src.name, err)) < 0 ||
      (rc = column_dup(st, 2, &src.state, err)) < 0 ||
      (rc = column_dup(st, 3, &src.kind, err)) < 0 ||
      (rc = column_dup(st, 4, &src.url, err)) < 0 ||
      (rc = column_dup(st, 5, &src.format_hint, err)) < 0 ||
      (rc = column_dup(st, 6, &src.contributor_id, err)) < 0) {
    hv_source_fini(&src);
    return rc;
  }
  src.priority = sqlite3_column_int(st, 7);
  src.enabled = sqlite3_column_int(st, 8);
  src.created_at = sqlite3_column_int64(st, 9);
  *out = src;
  return 0;
}

int hv_store_source_get(hv_store *s, const char *name, hv_source *out,
                        hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc, step;

  if ((rc = stmt_get(s, ST_SOURCE_GET, &st, err)) < 0)
    goto cleanup;
  if (bind_text(st, 1, name)) {
    rc = sql_fail(s, err, "look up source '%s'", name);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_DONE)
    rc = hv_error_set(err, HV_ENOTFOUND, "source '%s' not found", name);
  else if (step != SQLITE_ROW)
    rc = sql_fail(s, err, "look up source '%s'", name);
  else
    rc = source_from_row(st, out, err);

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_source_list(hv_store *s, hv_source **out, size_t *n_out,
                         hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_source *list = NULL, *grown;
  size_t n = 0, cap = 0;
  int rc = 0, step;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT id, name, state, kind, url, format_hint,"
                         " contributor_id, priority, enabled, created_at"
                         " FROM source ORDER BY name",
                         -1, &st, NULL) != SQLITE_OK) {
    rc = sql_fail(s, err, "list sources");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      if (!(grown = hv_realloc(list, cap * sizeof(*list)))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      list = grown;
    }
    if ((rc = source_from_row(st, &list[n], err)) < 0)
      goto cleanup;
    n++;
  }
  if (step != SQLITE_DONE) {
    rc = sql_fail(s, err, "list sources");
    goto cleanup;
  }
  *out = list;
  *n_out = n;
  list = NULL;
  n = 0;

cleanup:
  hv_source_list_free(list, n);
  sqlite3_finalize(st);
  return rc;
}

void hv_source_list_free(hv_source *list, size_t n)
{
  size_t i;

  for (i = 0; list && i < n; i++)
    hv_source_fini(&list[i]);
  hv_free(list);
}

int hv_store_source_remove(hv_store *s, const char *name, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  /* Pages and datasets go with the source by ON DELETE CASCADE. */
  if ((rc = stmt_get(s, ST_SOURCE_DELETE, &st, err)) < 0)
    goto cleanup;
  if (bind_text(st, 1, name) || sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "remove source '%s'", name);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "source '%s' not found", name);

cleanup:
  stmt_done(st);
  return rc;
}

/* ---- runs --------------------------------------------------------------- */

int hv_store_run_begin(hv_store *s, int64_t source_id, int64_t *run_id_out,
                       hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_RUN_INSERT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "begin run of source %lld", (long long)source_id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0) {
    rc = hv_error_set(err, HV_ENOTFOUND, "source %lld not found",
                      (long long)source_id);
    goto cleanup;
  }
  *run_id_out = sqlite3_last_insert_rowid(s->db);

cleanup:
  stmt_done(st);
  return rc;
}

/* A finished run ends in one of the final statuses, never "running". */
static int run_status_valid(const char *status)
{
  return status &&
         (strcmp(status, HV_RUN_OK) == 0 ||
          strcmp(status, HV_RUN_FAILED) == 0 ||
          strcmp(status, HV_RUN_HELD) == 0);
}

int hv_store_run_finish(hv_store *s, int64_t run_id, const char *status,
                        const char *message, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (!run_status_valid(status))
    return hv_error_set(err, HV_EINVAL,
                        "run %lld: status '%.*s' is invalid: use ok, failed "
                        "or held",
                        (long long)run_id, QUOTE_MAX, status ? status : "");
  if ((rc = stmt_get(s, ST_RUN_FINISH, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) || bind_text(st, 2, status) ||
      bind_text(st, 3, message) ||
      sqlite3_bind_int64(st, 4, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "finish run %lld", (long long)run_id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "run %lld not found",
                      (long long)run_id);

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_run_list(hv_store *s, int64_t source_id, size_t limit,
                      hv_run_row **out, size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_run_row *rows = NULL, *grown;
  size_t n = 0, cap = 0;
  int rc = 0, step;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT id, source_id, status, message, started_at,"
                         " finished_at FROM run"
                         " WHERE ?1 <= 0 OR source_id = ?1"
                         " ORDER BY id DESC LIMIT ?2",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1)) {
    rc = sql_fail(s, err, "list runs of source %lld", (long long)source_id);
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_run_row *r;

    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      if (!(grown = hv_realloc(rows, cap * sizeof(*rows)))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      rows = grown;
    }
    r = &rows[n];
    memset(r, 0, sizeof(*r));
    n++;
    r->id = sqlite3_column_int64(st, 0);
    r->source_id = sqlite3_column_int64(st, 1);
    r->started_at = sqlite3_column_int64(st, 4);
    r->finished_at = sqlite3_column_int64(st, 5);
    if ((rc = column_dup(st, 2, &r->status, err)) < 0 ||
        (rc = column_dup(st, 3, &r->message, err)) < 0)
      goto cleanup;
  }
  if (step != SQLITE_DONE) {
    rc = sql_fail(s, err, "list runs of source %lld", (long long)source_id);
    goto cleanup;
  }
  *out = rows;
  *n_out = n;
  rows = NULL;
  n = 0;

cleanup:
  hv_run_list_free(rows, n);
  sqlite3_finalize(st);
  return rc;
}

void hv_run_list_free(hv_run_row *rows, size_t n)
{
  size_t i;

  for (i = 0; rows && i < n; i++) {
    hv_free(rows[i].status);
    hv_free(rows[i].message);
  }
  hv_free(rows);
}

/* ---- pages -------------------------------------------------------------- */

void hv_page_row_fini(hv_page_row *row)
{
  if (!row)
    return;
  hv_free(row->etag);
  hv_free(row->last_modified);
  hv_free(row->content_hash);
  hv_free(row->next_url);
  memset(row, 0, sizeof(*row));
}

int hv_store_page_get(hv_store *s, int64_t source_id, const char *url,
                      hv_page_row *out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_page_row row;
  int rc, step;

  memset(&row, 0, sizeof(row));
  if ((rc = stmt_get(s, ST_PAGE_GET, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, url)) {
    rc = sql_fail(s, err, "look up page %s", url);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_DONE) {
    rc = hv_error_set(err, HV_ENOTFOUND, "page %s of source %lld not found",
                      url, (long long)source_id);
    goto cleanup;
  }
  if (step != SQLITE_ROW) {
    rc = sql_fail(s, err, "look up page %s", url);
    goto cleanup;
  }
  if ((rc = column_dup(st, 0, &row.etag, err)) < 0 ||
      (rc = column_dup(st, 1, &row.last_modified, err)) < 0 ||
      (rc = column_dup(st, 2, &row.content_hash, err)) < 0 ||
      (rc = column_dup(st, 3, &row.next_url, err)) < 0)
    goto cleanup;
  *out = row;
  memset(&row, 0, sizeof(row));

cleanup:
  hv_page_row_fini(&row);
  stmt_done(st);
  return rc;
}

int hv_store_page_put(hv_store *s, int64_t source_id, const char *url,
                      const hv_page_row *row, int64_t run_id, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_PAGE_PUT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, url) ||
      bind_text(st, 3, row->etag) || bind_text(st, 4, row->last_modified) ||
      bind_text(st, 5, row->content_hash) ||
      bind_text(st, 6, row->next_url) || sqlite3_bind_int64(st, 7, run_id) ||
      sqlite3_bind_int(st, 8, row->kept) || sqlite3_step(st) != SQLITE_DONE)
    rc = sql_fail(s, err, "record page %s of source %lld", url,
                  (long long)source_id);

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_page_keep(hv_store *s, int64_t source_id, const char *url,
                       int64_t run_id, size_t *datasets_out,
                       size_t *distributions_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  size_t datasets = 0, distributions = 0;
  int rc;

  if ((rc = stmt_get(s, ST_PAGE_KEEP, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, url) ||
      sqlite3_bind_int64(st, 3, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = sql_fail(s, err, "keep page %s", url);
    goto cleanup;
  }
  datasets = (size_t)sqlite3_column_int64(st, 0);
  distributions = (size_t)sqlite3_column_int64(st, 1);
  stmt_done(st);
  st = NULL;
  /* The page itself records that this run kept it. */
  if ((rc = stmt_get(s, ST_PAGE_MARK, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, url) ||
      sqlite3_bind_int64(st, 3, run_id) || sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "keep page %s", url);
    goto cleanup;
  }
  if (datasets_out)
    *datasets_out = datasets;
  if (distributions_out)
    *distributions_out = distributions;

cleanup:
  stmt_done(st);
  return rc;
}

/* ---- datasets ----------------------------------------------------------- */

/* Stores the canonical form of dataset id (insert or replace). */
static int payload_put(hv_store *s, int64_t id, const hv_dataset_row *d,
                       hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  const void *blob = d->payload_zstd;
  size_t blob_len = d->payload_zstd_len;

  if (!blob) {
    hv_buf_reset(&s->payload);
    if ((rc = hv_compress(&s->payload, d->payload ? d->payload : "",
                          d->payload ? d->payload_len : 0, err)) < 0) {
      hv_error_prefix(err, "store: dataset '%s': ", d->key);
      return rc;
    }
    blob = s->payload.ptr;
    blob_len = s->payload.len;
  }
  if ((rc = stmt_get(s, ST_PAYLOAD_PUT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) ||
      sqlite3_bind_blob64(st, 2, blob, blob_len, SQLITE_STATIC) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = sql_fail(s, err, "store payload of dataset '%s'", d->key);

cleanup:
  stmt_done(st);
  return rc;
}

/* Writes every field of an existing row and makes it active again. */
static int dataset_rewrite(hv_store *s, int64_t id, int64_t run_id,
                           const hv_dataset_row *d, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_DS_UPDATE, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) || bind_text(st, 2, d->uri) ||
      bind_text(st, 3, d->identifier) || bind_text(st, 4, d->modified) ||
      bind_text(st, 5, d->hash) ||
      sqlite3_bind_int64(st, 7, (int64_t)d->distributions) ||
      bind_text(st, 8, d->page_url) || sqlite3_bind_int64(st, 9, run_id) ||
      sqlite3_bind_int64(st, 10, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "update dataset '%s'", d->key);
    goto cleanup;
  }
  rc = payload_put(s, id, d, err);

cleanup:
  stmt_done(st);
  return rc;
}

static int dataset_insert(hv_store *s, int64_t source_id, int64_t run_id,
                          const hv_dataset_row *d, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_DS_INSERT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, d->key) ||
      bind_text(st, 3, d->uri) || bind_text(st, 4, d->identifier) ||
      bind_text(st, 5, d->modified) || bind_text(st, 6, d->hash) ||
      sqlite3_bind_int64(st, 8, (int64_t)d->distributions) ||
      bind_text(st, 9, d->page_url) || sqlite3_bind_int64(st, 10, run_id) ||
      sqlite3_bind_int64(st, 11, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "insert dataset '%s'", d->key);
    goto cleanup;
  }
  rc = payload_put(s, sqlite3_last_insert_rowid(s->db), d, err);

cleanup:
  stmt_done(st);
  return rc;
}

/* Marks an unchanged dataset seen; moved says its page_url changed. */
static int dataset_touch(hv_store *s, int64_t id, int64_t run_id,
                         const hv_dataset_row *d, int moved, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, moved ? ST_DS_MOVE : ST_DS_TOUCH, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, run_id) ||
      (moved && bind_text(st, 3, d->page_url)) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = sql_fail(s, err, "mark dataset '%s' seen", d->key);

cleanup:
  stmt_done(st);
  return rc;
}

/*
 * One indexed lookup decides the change; then at most one write. The
 * payload, the large part of a row, is written only when the hash says
 * the content changed (or the row comes back from deletion).
 */
int hv_store_dataset_upsert(hv_store *s, int64_t source_id, int64_t run_id,
                            const hv_dataset_row *d, hv_change *out,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int64_t id = 0, last_seen = 0;
  int found = 0, same_hash = 0, active = 0, moved = 0, kept = 0;
  int rc, step;

  if (!d->key || !*d->key || !d->hash)
    return hv_error_set(err, HV_EINVAL,
                        "store: dataset of source %lld without %s",
                        (long long)source_id,
                        (!d->key || !*d->key) ? "key" : "hash");
  if ((rc = stmt_get(s, ST_DS_SELECT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || bind_text(st, 2, d->key) ||
      sqlite3_bind_int64(st, 3, run_id)) {
    rc = sql_fail(s, err, "look up dataset '%s'", d->key);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const unsigned char *hash = sqlite3_column_text(st, 1);
    const unsigned char *status = sqlite3_column_text(st, 2);
    const unsigned char *page = sqlite3_column_text(st, 4);

    found = 1;
    id = sqlite3_column_int64(st, 0);
    last_seen = sqlite3_column_int64(st, 3);
    kept = sqlite3_column_int(st, 5);
    same_hash = hash && strcmp((const char *)hash, d->hash) == 0;
    active = status && strcmp((const char *)status, "active") == 0;
    moved = (page == NULL) != (d->page_url == NULL) ||
            (page && strcmp((const char *)page, d->page_url) != 0);
  } else if (step != SQLITE_DONE) {
    rc = sql_fail(s, err, "look up dataset '%s'", d->key);
    goto cleanup;
  }
  /* Done with the lookup before writing: no snapshot held across. */
  stmt_done(st);
  st = NULL;

  if (!found) {
    if ((rc = dataset_insert(s, source_id, run_id, d, err)) == 0)
      *out = HV_CHANGE_NEW;
  } else if (active && (last_seen == run_id || kept)) {
    *out = HV_CHANGE_REPEATED;
  } else if (!active || !same_hash) {
    if ((rc = dataset_rewrite(s, id, run_id, d, err)) == 0)
      *out = active ? HV_CHANGE_UPDATED : HV_CHANGE_NEW;
  } else {
    if ((rc = dataset_touch(s, id, run_id, d, moved, err)) == 0)
      *out = HV_CHANGE_UNCHANGED;
  }

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_dataset_counts(hv_store *s, int64_t source_id, int64_t run_id,
                            size_t *active_out, size_t *unseen_out,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_DS_COUNTS, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = sql_fail(s, err, "count datasets of source %lld",
                  (long long)source_id);
    goto cleanup;
  }
  if (active_out)
    *active_out = (size_t)sqlite3_column_int64(st, 0);
  if (unseen_out)
    *unseen_out = (size_t)sqlite3_column_int64(st, 1);

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_dataset_delete_unseen(hv_store *s, int64_t source_id,
                                   int64_t run_id, size_t *deleted_out,
                                   hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_DS_DELETE_UNSEEN, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, run_id) ||
      sqlite3_bind_int64(st, 3, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = sql_fail(s, err, "delete unseen datasets of source %lld",
                  (long long)source_id);
    goto cleanup;
  }
  if (deleted_out)
    *deleted_out = (size_t)sqlite3_changes(s->db);

cleanup:
  stmt_done(st);
  return rc;
}

/*
 * The walk uses its own statement rather than a cached one, so that the
 * callback may call back into the store (even start another walk).
 */
int hv_store_dataset_foreach(hv_store *s, int64_t source_id, hv_dataset_cb cb,
                             void *payload, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_dataset_row row;
  int rc = 0, step;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT d.key, d.uri, d.identifier, d.modified,"
                         " d.hash, p.payload, d.distributions, d.page_url"
                         " FROM dataset d JOIN source s ON s.id = d.source_id"
                         " JOIN dataset_payload p ON p.dataset_id = d.id"
                         " WHERE d.status = 'active'"
                         " AND (?1 <= 0 OR d.source_id = ?1)"
                         " ORDER BY d.key, s.name",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, source_id)) {
    rc = sql_fail(s, err, "walk datasets");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&row, 0, sizeof(row));
    row.key = (const char *)sqlite3_column_text(st, 0);
    row.uri = (const char *)sqlite3_column_text(st, 1);
    row.identifier = (const char *)sqlite3_column_text(st, 2);
    row.modified = (const char *)sqlite3_column_text(st, 3);
    row.hash = (const char *)sqlite3_column_text(st, 4);
    row.distributions = (size_t)sqlite3_column_int64(st, 6);
    row.page_url = (const char *)sqlite3_column_text(st, 7);
    if (!row.key || !row.hash) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    hv_buf_reset(&s->payload);
    if ((rc = hv_decompress(&s->payload, sqlite3_column_blob(st, 5),
                            (size_t)sqlite3_column_bytes(st, 5), err)) < 0) {
      hv_error_prefix(err, "store: payload of dataset '%s': ", row.key);
      goto cleanup;
    }
    row.payload = s->payload.ptr;
    row.payload_len = s->payload.len;
    if ((rc = cb(&row, payload)) < 0)
      goto cleanup;
    rc = 0;
  }
  if (step != SQLITE_DONE)
    rc = sql_fail(s, err, "walk datasets");

cleanup:
  sqlite3_finalize(st);
  return rc;
}

/* ---- ledger ------------------------------------------------------------- */

int hv_store_ledger_add(hv_store *s, int64_t run_id, int64_t source_id,
                        const char *state, const hv_ledger_counts *delta,
                        hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (!hv_state_valid(state))
    return hv_error_set(err, HV_EINVAL,
                        "ledger: state '%.*s' is invalid: use 01..16 or bund",
                        QUOTE_MAX, state ? state : "");
  if ((rc = stmt_get(s, ST_LEDGER_ADD, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) ||
      sqlite3_bind_int64(st, 2, source_id) || bind_text(st, 3, state) ||
      sqlite3_bind_int64(st, 4, delta->requests) ||
      sqlite3_bind_int64(st, 5, delta->bytes) ||
      sqlite3_bind_int64(st, 6, delta->pages_fetched) ||
      sqlite3_bind_int64(st, 7, delta->pages_not_modified) ||
      sqlite3_bind_int64(st, 8, delta->pages_failed) ||
      sqlite3_bind_int64(st, 9, delta->datasets_new) ||
      sqlite3_bind_int64(st, 10, delta->datasets_updated) ||
      sqlite3_bind_int64(st, 11, delta->datasets_unchanged) ||
      sqlite3_bind_int64(st, 12, delta->datasets_deleted) ||
      sqlite3_bind_int64(st, 13, delta->datasets_rejected) ||
      sqlite3_bind_int64(st, 14, delta->distributions) ||
      sqlite3_bind_double(st, 15, delta->seconds) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = sql_fail(s, err, "add ledger row for run %lld, source %lld, "
                  "state %s", (long long)run_id, (long long)source_id, state);

cleanup:
  stmt_done(st);
  return rc;
}

/* Reads the twelve LEDGER_SUMS columns starting at column first. */
static void counts_from_row(sqlite3_stmt *st, int first,
                            hv_ledger_counts *out)
{
  out->requests = sqlite3_column_int64(st, first + 0);
  out->bytes = sqlite3_column_int64(st, first + 1);
  out->pages_fetched = sqlite3_column_int64(st, first + 2);
  out->pages_not_modified = sqlite3_column_int64(st, first + 3);
  out->pages_failed = sqlite3_column_int64(st, first + 4);
  out->datasets_new = sqlite3_column_int64(st, first + 5);
  out->datasets_updated = sqlite3_column_int64(st, first + 6);
  out->datasets_unchanged = sqlite3_column_int64(st, first + 7);
  out->datasets_deleted = sqlite3_column_int64(st, first + 8);
  out->datasets_rejected = sqlite3_column_int64(st, first + 9);
  out->distributions = sqlite3_column_int64(st, first + 10);
  out->seconds = sqlite3_column_double(st, first + 11);
}

int hv_store_ledger_run(hv_store *s, int64_t run_id, hv_ledger_counts *out,
                        hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = stmt_get(s, ST_LEDGER_RUN, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = sql_fail(s, err, "sum ledger of run %lld", (long long)run_id);
    goto cleanup;
  }
  /* A run without rows sums to NULL, which reads as zero. */
  counts_from_row(st, 0, out);

cleanup:
  stmt_done(st);
  return rc;
}

int hv_store_report_volumes(hv_store *s, int64_t from, int64_t to,
                            hv_volume_row **out, size_t *n_out,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_volume_row *rows = NULL, *grown;
  size_t n = 0, cap = 0;
  int rc = 0, step;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT l.state, count(DISTINCT l.source_id),"
                         " count(DISTINCT l.run_id), " LEDGER_SUMS
                         " FROM ledger l JOIN run r ON r.id = l.run_id"
                         " WHERE (?1 = 0 OR r.started_at >= ?1)"
                         " AND (?2 = 0 OR r.started_at < ?2)"
                         " GROUP BY l.state ORDER BY l.state",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, from) || sqlite3_bind_int64(st, 2, to)) {
    rc = sql_fail(s, err, "report volumes");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char *state = sqlite3_column_text(st, 0);

    if (n == cap) {
      cap = cap ? cap * 2 : 17;
      if (!(grown = hv_realloc(rows, cap * sizeof(*rows)))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      rows = grown;
    }
    memset(&rows[n], 0, sizeof(rows[n]));
    snprintf(rows[n].state, sizeof(rows[n].state), "%s",
             state ? (const char *)state : "");
    rows[n].sources = sqlite3_column_int64(st, 1);
    rows[n].runs = sqlite3_column_int64(st, 2);
    counts_from_row(st, 3, &rows[n].counts);
    n++;
  }
  if (step != SQLITE_DONE) {
    rc = sql_fail(s, err, "report volumes");
    goto cleanup;
  }
  *out = rows;
  *n_out = n;
  rows = NULL;

cleanup:
  hv_free(rows);
  sqlite3_finalize(st);
  return rc;
}
