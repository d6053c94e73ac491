/*
 * The registry in the store: sources (validated before they are stored)
 * and the runs harvested from them (see store.h).
 */
#include "store/store.h"

#include <curl/curl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"

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
  /* GovData's convention: a contributorID is an IRI, normally from the
   * dcat-ap.de contributors vocabulary; a bare name is a mistake. */
  if (src->contributor_id &&
      strncmp(src->contributor_id, "http://", 7) != 0 &&
      strncmp(src->contributor_id, "https://", 8) != 0)
    return hv_error_set(err, HV_EINVAL,
                        "source '%s': contributorID '%.*s' is not an IRI: "
                        "use e.g. http://dcat-ap.de/def/contributors/...",
                        src->name, QUOTE_MAX, src->contributor_id);
  return 0;
}

int hv_store_source_add(hv_store *s, hv_source *src, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int64_t now = (int64_t)time(NULL);
  int rc;

  if ((rc = hv_source_validate(src, err)) < 0 ||
      (rc = hv__store_stmt(s, ST_SOURCE_INSERT, &st, err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, src->name) || hv__store_bind_text(st, 2, src->state) ||
      hv__store_bind_text(st, 3, src->kind) || hv__store_bind_text(st, 4, src->url) ||
      hv__store_bind_text(st, 5, src->format_hint) ||
      hv__store_bind_text(st, 6, src->contributor_id) ||
      sqlite3_bind_int(st, 7, src->priority) ||
      sqlite3_bind_int(st, 8, src->enabled ? 1 : 0) ||
      sqlite3_bind_int64(st, 9, now) || sqlite3_step(st) != SQLITE_DONE) {
    if (sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_UNIQUE)
      rc = hv_error_set(err, HV_EEXISTS, "source '%s' already exists",
                        src->name);
    else
      rc = hv__store_fail(s, err, "insert source '%s'", src->name);
    goto cleanup;
  }
  src->id = sqlite3_last_insert_rowid(s->db);
  src->created_at = now;

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/* Reads one source row (columns as in ST_SOURCE_GET) into *out. */
static int source_from_row(sqlite3_stmt *st, hv_source *out, hv_error *err)
{
  hv_source src;
  int rc;

  memset(&src, 0, sizeof(src));
  src.id = sqlite3_column_int64(st, 0);
  if ((rc = hv__store_column_dup(st, 1, &src.name, err)) < 0 ||
      (rc = hv__store_column_dup(st, 2, &src.state, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &src.kind, err)) < 0 ||
      (rc = hv__store_column_dup(st, 4, &src.url, err)) < 0 ||
      (rc = hv__store_column_dup(st, 5, &src.format_hint, err)) < 0 ||
      (rc = hv__store_column_dup(st, 6, &src.contributor_id, err)) < 0) {
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

  if ((rc = hv__store_stmt(s, ST_SOURCE_GET, &st, err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, name)) {
    rc = hv__store_fail(s, err, "look up source '%s'", name);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_DONE)
    rc = hv_error_set(err, HV_ENOTFOUND, "source '%s' not found", name);
  else if (step != SQLITE_ROW)
    rc = hv__store_fail(s, err, "look up source '%s'", name);
  else
    rc = source_from_row(st, out, err);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

static int source_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  return source_from_row(st, elem, err);
}

static void source_list_free_cb(void *list, size_t n)
{
  hv_source_list_free(list, n);
}

int hv_store_source_list(hv_store *s, hv_source **out, size_t *n_out,
                         hv_error *err)
{
  void *list = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_select(s,
                             "SELECT id, name, state, kind, url, format_hint,"
                             " contributor_id, priority, enabled, created_at"
                             " FROM source ORDER BY name",
                             sizeof(hv_source), source_reader,
                             source_list_free_cb, &list, &n, "list sources",
                             err)) == 0) {
    *out = list;
    *n_out = n;
  }
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
  if ((rc = hv__store_stmt(s, ST_SOURCE_DELETE, &st, err)) < 0)
    goto cleanup;
  if (hv__store_bind_text(st, 1, name) || sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "remove source '%s'", name);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "source '%s' not found", name);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/* ---- runs --------------------------------------------------------------- */

int hv_store_run_begin(hv_store *s, int64_t source_id, int64_t *run_id_out,
                       hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_RUN_INSERT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "begin run of source %lld", (long long)source_id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0) {
    rc = hv_error_set(err, HV_ENOTFOUND, "source %lld not found",
                      (long long)source_id);
    goto cleanup;
  }
  *run_id_out = sqlite3_last_insert_rowid(s->db);

cleanup:
  hv__store_stmt_done(st);
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
  if ((rc = hv__store_stmt(s, ST_RUN_FINISH, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) || hv__store_bind_text(st, 2, status) ||
      hv__store_bind_text(st, 3, message) ||
      sqlite3_bind_int64(st, 4, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "finish run %lld", (long long)run_id);
    goto cleanup;
  }
  if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "run %lld not found",
                      (long long)run_id);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

static int run_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_run_row *r = elem;
  int rc;

  r->id = sqlite3_column_int64(st, 0);
  r->source_id = sqlite3_column_int64(st, 1);
  r->started_at = sqlite3_column_int64(st, 4);
  r->finished_at = sqlite3_column_int64(st, 5);
  if ((rc = hv__store_column_dup(st, 2, &r->status, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &r->message, err)) < 0)
    return rc;
  return 0;
}

static void run_list_free_cb(void *rows, size_t n)
{
  hv_run_list_free(rows, n);
}

int hv_store_run_list(hv_store *s, int64_t source_id, size_t limit,
                      hv_run_row **out, size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *rows = NULL;
  size_t n = 0;
  char what[64];
  int rc = 0;

  snprintf(what, sizeof(what), "list runs of source %lld",
           (long long)source_id);
  if (sqlite3_prepare_v2(s->db,
                         "SELECT id, source_id, status, message, started_at,"
                         " finished_at FROM run"
                         " WHERE ?1 <= 0 OR source_id = ?1"
                         " ORDER BY id DESC LIMIT ?2",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1)) {
    rc = hv__store_fail(s, err, "%s", what);
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_run_row), run_reader,
                              run_list_free_cb, &rows, &n, what, err)) < 0)
    goto cleanup;
  *out = rows;
  *n_out = n;

cleanup:
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
