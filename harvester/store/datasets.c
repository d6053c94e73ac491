/*
 * Pages and datasets in the store: validators per page, the per-dataset
 * upsert on the harvest's hot path, what a run saw, deletions and the
 * walk the sinks read (see store.h). Payloads are stored as zstd frames.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"
#include "util/compress.h"

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
  if ((rc = hv__store_stmt(s, ST_PAGE_GET, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, url)) {
    rc = hv__store_fail(s, err, "look up page %s", url);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_DONE) {
    rc = hv_error_set(err, HV_ENOTFOUND, "page %s of source %lld not found",
                      url, (long long)source_id);
    goto cleanup;
  }
  if (step != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "look up page %s", url);
    goto cleanup;
  }
  if ((rc = hv__store_column_dup(st, 0, &row.etag, err)) < 0 ||
      (rc = hv__store_column_dup(st, 1, &row.last_modified, err)) < 0 ||
      (rc = hv__store_column_dup(st, 2, &row.content_hash, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &row.next_url, err)) < 0)
    goto cleanup;
  row.rejected = sqlite3_column_int64(st, 4);
  *out = row;
  memset(&row, 0, sizeof(row));

cleanup:
  hv_page_row_fini(&row);
  hv__store_stmt_done(st);
  return rc;
}

int hv_store_page_put(hv_store *s, int64_t source_id, const char *url,
                      const hv_page_row *row, int64_t run_id, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_PAGE_PUT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, url) ||
      hv__store_bind_text(st, 3, row->etag) || hv__store_bind_text(st, 4, row->last_modified) ||
      hv__store_bind_text(st, 5, row->content_hash) ||
      hv__store_bind_text(st, 6, row->next_url) || sqlite3_bind_int64(st, 7, run_id) ||
      sqlite3_bind_int(st, 8, row->kept) ||
      sqlite3_bind_int64(st, 9, row->rejected) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "record page %s of source %lld", url,
                  (long long)source_id);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

int hv_store_page_keep(hv_store *s, int64_t source_id, const char *url,
                       int64_t run_id, size_t *datasets_out,
                       size_t *distributions_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  size_t datasets = 0, distributions = 0;
  int rc;

  if ((rc = hv__store_stmt(s, ST_PAGE_KEEP, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, url) ||
      sqlite3_bind_int64(st, 3, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "keep page %s", url);
    goto cleanup;
  }
  datasets = (size_t)sqlite3_column_int64(st, 0);
  distributions = (size_t)sqlite3_column_int64(st, 1);
  hv__store_stmt_done(st);
  st = NULL;
  /* The page itself records that this run kept it. */
  if ((rc = hv__store_stmt(s, ST_PAGE_MARK, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, url) ||
      sqlite3_bind_int64(st, 3, run_id) || sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "keep page %s", url);
    goto cleanup;
  }
  if (datasets_out)
    *datasets_out = datasets;
  if (distributions_out)
    *distributions_out = distributions;

cleanup:
  hv__store_stmt_done(st);
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
  if ((rc = hv__store_stmt(s, ST_PAYLOAD_PUT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) ||
      sqlite3_bind_blob64(st, 2, blob, blob_len, SQLITE_STATIC) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "store payload of dataset '%s'", d->key);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/*
 * Binds the assessment's counts and state to ?12..?14 of the insert or
 * the rewrite; without one a new row gets none and a rewritten row keeps
 * what it has (?11 of the rewrite).
 */
static int bind_assessment(sqlite3_stmt *st,
                           const hv_dataset_assessment *a)
{
  return sqlite3_bind_int64(st, 12, a ? a->violations : 0) ||
         sqlite3_bind_int64(st, 13, a ? a->warnings : 0) ||
         hv__store_bind_text(st, 14, a ? a->report_state : NULL);
}

/* Writes every field of an existing row and makes it active again. */
static int dataset_rewrite(hv_store *s, int64_t id, int64_t run_id,
                           const hv_dataset_row *d,
                           const hv_dataset_assessment *a, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_DS_UPDATE, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) || hv__store_bind_text(st, 2, d->uri) ||
      hv__store_bind_text(st, 3, d->identifier) || hv__store_bind_text(st, 4, d->modified) ||
      hv__store_bind_text(st, 5, d->hash) ||
      sqlite3_bind_int64(st, 7, (int64_t)d->distributions) ||
      hv__store_bind_text(st, 8, d->page_url) || sqlite3_bind_int64(st, 9, run_id) ||
      sqlite3_bind_int64(st, 10, (int64_t)time(NULL)) ||
      sqlite3_bind_int(st, 11, a != NULL) || bind_assessment(st, a) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "update dataset '%s'", d->key);
    goto cleanup;
  }
  rc = payload_put(s, id, d, err);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/* Inserts a new row; *id_out is its id. */
static int dataset_insert(hv_store *s, int64_t source_id, int64_t run_id,
                          const hv_dataset_row *d,
                          const hv_dataset_assessment *a, int64_t *id_out,
                          hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_DS_INSERT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, d->key) ||
      hv__store_bind_text(st, 3, d->uri) || hv__store_bind_text(st, 4, d->identifier) ||
      hv__store_bind_text(st, 5, d->modified) || hv__store_bind_text(st, 6, d->hash) ||
      sqlite3_bind_int64(st, 8, (int64_t)d->distributions) ||
      hv__store_bind_text(st, 9, d->page_url) || sqlite3_bind_int64(st, 10, run_id) ||
      sqlite3_bind_int64(st, 11, (int64_t)time(NULL)) ||
      bind_assessment(st, a) || sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "insert dataset '%s'", d->key);
    goto cleanup;
  }
  *id_out = sqlite3_last_insert_rowid(s->db);
  rc = payload_put(s, *id_out, d, err);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/* Marks an unchanged dataset seen; moved says its page_url changed. */
static int dataset_touch(hv_store *s, int64_t id, int64_t run_id,
                         const hv_dataset_row *d, int moved, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, moved ? ST_DS_MOVE : ST_DS_TOUCH, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, run_id) ||
      (moved && hv__store_bind_text(st, 3, d->page_url)) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "mark dataset '%s' seen", d->key);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

int hv_store_dataset_upsert(hv_store *s, int64_t source_id, int64_t run_id,
                            const hv_dataset_row *d, hv_change *out,
                            hv_error *err)
{
  return hv_store_dataset_upsert_assessed(s, source_id, run_id, d, NULL, out,
                                          NULL, err);
}

/*
 * One indexed lookup decides the change; then at most one write. The
 * payload, the large part of a row, is written only when the hash says
 * the content changed (or the row comes back from deletion). The
 * assessment rides on that write, so that the findings writer needs no
 * second lookup and no second update of the row.
 */
int hv_store_dataset_upsert_assessed(hv_store *s, int64_t source_id,
                                     int64_t run_id, const hv_dataset_row *d,
                                     const hv_dataset_assessment *a,
                                     hv_change *out, int64_t *id_out,
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
  if ((rc = hv__store_stmt(s, ST_DS_SELECT, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, d->key) ||
      sqlite3_bind_int64(st, 3, run_id)) {
    rc = hv__store_fail(s, err, "look up dataset '%s'", d->key);
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
    rc = hv__store_fail(s, err, "look up dataset '%s'", d->key);
    goto cleanup;
  }
  /* Done with the lookup before writing: no snapshot held across. */
  hv__store_stmt_done(st);
  st = NULL;

  if (!found) {
    if ((rc = dataset_insert(s, source_id, run_id, d, a, &id, err)) == 0)
      *out = HV_CHANGE_NEW;
  } else if (active && (last_seen == run_id || kept)) {
    *out = HV_CHANGE_REPEATED;
  } else if (!active || !same_hash) {
    if ((rc = dataset_rewrite(s, id, run_id, d, a, err)) == 0)
      *out = active ? HV_CHANGE_UPDATED : HV_CHANGE_NEW;
  } else {
    if ((rc = dataset_touch(s, id, run_id, d, moved, err)) == 0)
      *out = HV_CHANGE_UNCHANGED;
  }
  if (rc == 0 && id_out)
    *id_out = id;

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/*
 * The deletion path. A quarantined copy (store/lifecycle.c) is still
 * delivered as far as the guard is concerned: hv_store_dataset_counts
 * counts it as active and, while its source leaves it out, as vanished,
 * so a later run that the guard lets through deletes it. A deleted copy
 * keeps its row and payload with state 'deleted' and a transition naming
 * the run; it comes back as new if its source delivers it again.
 */
int hv_store_dataset_counts(hv_store *s, int64_t source_id, int64_t run_id,
                            size_t *active_out, size_t *unseen_out,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_DS_COUNTS, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "count datasets of source %lld",
                  (long long)source_id);
    goto cleanup;
  }
  if (active_out)
    *active_out = (size_t)sqlite3_column_int64(st, 0);
  if (unseen_out)
    *unseen_out = (size_t)sqlite3_column_int64(st, 1);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

#define UNSEEN                                                            \
  "source_id = ?1 AND status = 'active' AND NOT"                          \
  " (last_seen_run = ?2 OR EXISTS (SELECT 1 FROM page p"                  \
  " WHERE p.source_id = dataset.source_id AND p.url = dataset.page_url"   \
  " AND p.last_run = ?2 AND p.decoded_run = dataset.last_seen_run))"

int hv_store_dataset_delete_unseen(hv_store *s, int64_t source_id,
                                   int64_t run_id, size_t *deleted_out,
                                   hv_error *err)
{
  sqlite3_stmt *tr = NULL, *st = NULL;
  int64_t now = (int64_t)time(NULL);
  int rc = 0;

  /* The transition rows first: once updated, the rows match no more. */
  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO dataset_transition (dataset_id,"
                         " run_id, from_state, to_state, reason, at)"
                         " SELECT id, ?2, coalesce(state, 'active'), 'deleted',"
                         " 'vanished from its source in a complete run', ?3"
                         " FROM dataset WHERE " UNSEEN,
                         -1, &tr, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->db,
                         "UPDATE dataset SET status = 'deleted',"
                         " state = 'deleted', changed_run = ?2,"
                         " updated_at = ?3 WHERE " UNSEEN,
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(tr, 1, source_id) ||
      sqlite3_bind_int64(tr, 2, run_id) || sqlite3_bind_int64(tr, 3, now) ||
      sqlite3_step(tr) != SQLITE_DONE ||
      sqlite3_bind_int64(st, 1, source_id) ||
      sqlite3_bind_int64(st, 2, run_id) || sqlite3_bind_int64(st, 3, now) ||
      sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "delete unseen datasets of source %lld",
                  (long long)source_id);
    goto cleanup;
  }
  if (deleted_out)
    *deleted_out = (size_t)sqlite3_changes(s->db);

cleanup:
  sqlite3_finalize(tr);
  sqlite3_finalize(st);
  return rc;
}

int hv__store_walk_datasets(hv_store *s, sqlite3_stmt *st, hv_dataset_cb cb,
                            void *payload, const char *what, hv_error *err)
{
  hv_dataset_row row;
  int rc = 0, step;

  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    memset(&row, 0, sizeof(row));
    row.key = (const char *)sqlite3_column_text(st, 0);
    row.uri = (const char *)sqlite3_column_text(st, 1);
    row.identifier = (const char *)sqlite3_column_text(st, 2);
    row.modified = (const char *)sqlite3_column_text(st, 3);
    row.hash = (const char *)sqlite3_column_text(st, 4);
    row.distributions = (size_t)sqlite3_column_int64(st, 6);
    row.page_url = (const char *)sqlite3_column_text(st, 7);
    row.violations = sqlite3_column_int64(st, 8);
    if (!row.key || !row.hash)
      return hv_error_oom(err);
    if ((rc = hv__store_column_payload(s, st, 5, row.key, err)) < 0)
      return rc;
    row.payload = s->payload.ptr;
    row.payload_len = s->payload.len;
    if ((rc = cb(&row, payload)) < 0)
      return rc;
  }
  if (step != SQLITE_DONE)
    return hv__store_fail(s, err, "%s", what);
  return 0;
}

/*
 * The walk uses its own statement rather than a cached one, so that the
 * callback may call back into the store (even start another walk).
 */
int hv_store_dataset_foreach(hv_store *s, int64_t source_id, hv_dataset_cb cb,
                             void *payload, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT d.key, d.uri, d.identifier, d.modified,"
                         " d.hash, p.payload, d.distributions, d.page_url,"
                         " d.violations"
                         " FROM dataset d JOIN source s ON s.id = d.source_id"
                         " JOIN dataset_payload p ON p.dataset_id = d.id"
                         " WHERE d.status = 'active'"
                         /* Superseded copies are stored, not published;
                            a copy back from deletion is published until
                            the resolve after its run decides. */
                         " AND coalesce(d.state, '') <> 'superseded'"
                         " AND (?1 <= 0 OR d.source_id = ?1)"
                         " ORDER BY d.key, s.name",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, source_id)) {
    rc = hv__store_fail(s, err, "walk datasets");
    goto cleanup;
  }
  rc = hv__store_walk_datasets(s, st, cb, payload, "walk datasets", err);

cleanup:
  sqlite3_finalize(st);
  return rc;
}
