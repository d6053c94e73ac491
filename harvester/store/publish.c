/*
 * Publication in the store (see store.h): which copy is published under
 * which identity, and the queueing of sink operations as the difference
 * between that and what each sink was last told.
 *
 * Sink operations are keyed by a dataset's published identity, not by
 * the copy that happens to win, so a winner moving from one source's
 * copy to another's is an update of one CKAN package or one named graph.
 * The resolve writes `publication` (one row per dataset: identity and
 * winning copy); hv_store_publication_enqueue then compares it per sink
 * with `outbox_published` (what the queued operations leave the sink
 * holding) and queues a put for every identity that is new there or
 * whose copy or hash differs, a delete for every identity the sink holds
 * that is no longer published to it, and brings `outbox_published` up
 * to date, all in the caller's transaction. Because the queue is the
 * difference of two stored states, a resolve after a crash queues exactly
 * what the lost one would have: nothing is lost and nothing doubled.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"

/* The identities published to sink k with their copies: every row of
 * publication unless the sink withholds datasets with violations. */
#define WANTED(k, p, d)                                                   \
  "publication " p " JOIN dataset " d " ON " d ".id = " p ".dataset_id"  \
  " WHERE NOT (" k ".withhold AND " d ".violations > 0)"

void hv_publication_rows_free(hv_publication_row *rows, size_t n)
{
  size_t i;

  if (!rows)
    return;
  for (i = 0; i < n; i++)
    hv_free(rows[i].identity);
  hv_free(rows);
}

static int publication_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_publication_row *r = elem;

  r->dataset_id = sqlite3_column_int64(st, 1);
  return hv__store_column_dup(st, 0, &r->identity, err);
}

static void publication_rows_free_cb(void *rows, size_t n)
{
  hv_publication_rows_free(rows, n);
}

int hv_store_publication_load(hv_store *s, hv_publication_row **out,
                              size_t *n_out, hv_error *err)
{
  void *rows = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_select(s,
                             "SELECT identity, dataset_id FROM publication"
                             " ORDER BY identity",
                             sizeof(hv_publication_row), publication_reader,
                             publication_rows_free_cb, &rows, &n,
                             "publication: load", err)) < 0)
    return rc;
  *out = rows;
  *n_out = n;
  return 0;
}

int hv_store_publication_apply(hv_store *s, const char *const *removed,
                               size_t n_removed,
                               const hv_publication_row *set, size_t n_set,
                               hv_error *err)
{
  sqlite3_stmt *del = NULL, *ins = NULL;
  size_t i;
  int rc;

  if ((rc = hv__store_prepare(s,
                              "DELETE FROM publication WHERE identity = ?1",
                              &del, "publication: remove", err)) < 0 ||
      (rc = hv__store_prepare(s,
                              "INSERT OR REPLACE INTO publication (identity,"
                              " dataset_id) VALUES (?1, ?2)",
                              &ins, "publication: set", err)) < 0)
    goto cleanup;
  /* Removals first: a copy moving to another identity must leave its
   * old row before the UNIQUE dataset_id lets it in elsewhere. */
  for (i = 0; i < n_removed; i++) {
    sqlite3_reset(del);
    if (hv__store_bind_text(del, 1, removed[i]) ||
        sqlite3_step(del) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "publication: remove %s", removed[i]);
      goto cleanup;
    }
  }
  for (i = 0; i < n_set; i++) {
    sqlite3_reset(ins);
    if (hv__store_bind_text(ins, 1, set[i].identity) ||
        sqlite3_bind_int64(ins, 2, set[i].dataset_id) ||
        sqlite3_step(ins) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "publication: set %s", set[i].identity);
      goto cleanup;
    }
  }

cleanup:
  sqlite3_finalize(del);
  sqlite3_finalize(ins);
  return rc;
}

int hv_store_publication_enqueue(hv_store *s, size_t *puts_out,
                                 size_t *deletes_out, hv_error *err)
{
  /* Deletes: identities a sink holds that are not published to it. The
   * copy last published names the source for messages; it may be gone. */
  static const char deletes[] =
      "INSERT INTO outbox (sink, source_id, source_name, key, op, hash,"
      " created_at, identity)"
      " SELECT q.sink, coalesce(d.source_id, 0), coalesce(src.name, ''),"
      " coalesce(d.key, ''), 'delete', NULL, ?1, q.identity"
      " FROM outbox_published q JOIN outbox_sink k ON k.name = q.sink"
      " LEFT JOIN dataset d ON d.id = q.dataset_id"
      " LEFT JOIN source src ON src.id = d.source_id"
      " WHERE NOT EXISTS (SELECT 1 FROM " WANTED("k", "p", "w")
      " AND p.identity = q.identity)"
      " ORDER BY q.identity, q.sink";
  static const char forget[] =
      "DELETE FROM outbox_published WHERE sink IN (SELECT name FROM"
      " outbox_sink k WHERE NOT EXISTS (SELECT 1 FROM " WANTED("k", "p", "w")
      " AND p.identity = outbox_published.identity))";
  /* Puts: identities new to a sink, or whose copy or content changed.
   * CROSS JOIN fixes the order with the sinks as the outer loop: left
   * to itself the planner walked all publications (or all datasets)
   * first, which cost a store without sinks a scan of 100,000 rows in
   * every resolve. */
#define CHANGED                                                           \
  " FROM outbox_sink k CROSS JOIN publication p CROSS JOIN dataset d"    \
  " CROSS JOIN source src"                                               \
  " WHERE d.id = p.dataset_id AND src.id = d.source_id"                  \
  " AND NOT (k.withhold AND d.violations > 0)"                           \
  " AND NOT EXISTS (SELECT 1 FROM outbox_published q WHERE"              \
  " q.sink = k.name AND q.identity = p.identity AND q.dataset_id ="      \
  " p.dataset_id AND q.hash IS d.hash)"
  static const char puts[] =
      "INSERT INTO outbox (sink, source_id, source_name, key, op, hash,"
      " created_at, identity)"
      " SELECT k.name, d.source_id, src.name, d.key, 'put', d.hash, ?1,"
      " p.identity" CHANGED " ORDER BY p.identity, k.name";
  static const char remember[] =
      "INSERT OR REPLACE INTO outbox_published (sink, identity, dataset_id,"
      " hash) SELECT k.name, p.identity, p.dataset_id, d.hash" CHANGED;
#undef CHANGED
  static const char *const steps[] = {deletes, forget, puts, remember};
  static const char *const what[] = {
      "publication: queue deletes", "publication: forget withdrawn",
      "publication: queue puts", "publication: remember puts"};
  sqlite3_stmt *st = NULL;
  size_t i, changed[4] = {0, 0, 0, 0};
  int rc = 0;

  for (i = 0; i < 4; i++) {
    const char *sql = steps[i];

    if ((rc = hv__store_prepare(s, sql, &st, what[i], err)) < 0)
      return rc;
    if (strstr(sql, "?1") &&
        sqlite3_bind_int64(st, 1, (int64_t)time(NULL)) != SQLITE_OK) {
      rc = hv__store_fail(s, err, "%s", what[i]);
    } else if (sqlite3_step(st) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "%s", what[i]);
    } else {
      changed[i] = (size_t)sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc < 0)
      return rc;
  }
  if (puts_out)
    *puts_out = changed[2];
  if (deletes_out)
    *deletes_out = changed[0];
  return 0;
}

int hv_store_outbox_set_withhold(hv_store *s, const char *sink, int withhold,
                                 hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s,
                              "UPDATE outbox_sink SET withhold = ?2"
                              " WHERE ?1 IS NULL OR name = ?1",
                              &st, "publication: set withhold", err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, sink) ||
      sqlite3_bind_int(st, 2, withhold ? 1 : 0) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "publication: set withhold of sink %s",
                        sink ? sink : "(all)");
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_requeue(hv_store *s, int64_t seq, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s,
                              "INSERT INTO outbox (sink, source_id,"
                              " source_name, key, op, hash, created_at,"
                              " identity) SELECT sink, source_id,"
                              " source_name, key, op, hash, ?2, identity"
                              " FROM outbox WHERE seq = ?1",
                              &st, "publication: requeue", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, seq) ||
      sqlite3_bind_int64(st, 2, (int64_t)time(NULL)) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "publication: requeue operation %lld",
                        (long long)seq);
  else if (sqlite3_changes(s->db) == 0)
    rc = hv_error_set(err, HV_ENOTFOUND, "outbox: no operation %lld",
                      (long long)seq);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_configure(hv_store *s, const char *const *names,
                              const int *withhold, size_t n, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  size_t i;
  int rc;

  if ((rc = hv_store_begin(s, err)) < 0)
    return rc;
  if ((rc = hv__store_exec(s, "DELETE FROM outbox_sink",
                           "publication: clear sinks", err)) < 0 ||
      (rc = hv__store_prepare(s,
                              "INSERT OR REPLACE INTO outbox_sink (name,"
                              " withhold) VALUES (?1, ?2)",
                              &st, "publication: add sink", err)) < 0)
    goto cleanup;
  for (i = 0; i < n; i++) {
    sqlite3_reset(st);
    if (hv__store_bind_text(st, 1, names[i]) ||
        sqlite3_bind_int(st, 2, withhold && withhold[i] ? 1 : 0) ||
        sqlite3_step(st) != SQLITE_DONE) {
      rc = hv__store_fail(s, err, "publication: add sink %s", names[i]);
      goto cleanup;
    }
  }
  sqlite3_finalize(st);
  st = NULL;
  rc = hv_store_commit(s, err);

cleanup:
  sqlite3_finalize(st);
  if (rc < 0)
    hv_store_rollback(s);
  return rc;
}

/* The columns hv_dataset_row needs, from dataset d, its payload pl and
 * its source src, for the rows of view q. */
#define VIEW_SELECT(view, extra)                                          \
  "SELECT d.key, d.uri, d.identifier, d.modified, d.hash, pl.payload,"   \
  " d.distributions, d.page_url, d.violations FROM " view " q"           \
  " JOIN dataset d ON d.id = q.dataset_id"                               \
  " JOIN source src ON src.id = d.source_id"                             \
  " JOIN dataset_payload pl ON pl.dataset_id = d.id"                     \
  " WHERE NOT (?2 AND d.violations > 0)"                                 \
  " AND (?3 <= 0 OR d.source_id = ?3)" extra                             \
  " ORDER BY d.key, src.name, d.id"

int hv_store_publication_foreach(hv_store *s, const char *sink, int withhold,
                                 int64_t source_id, hv_dataset_cb cb,
                                 void *payload, hv_error *err)
{
  static const char published[] = VIEW_SELECT("publication", "");
  static const char held[] =
      VIEW_SELECT("outbox_published", " AND q.sink = ?1");
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s, sink ? held : published, &st,
                              "publication: walk view", err)) < 0)
    return rc;
  if ((sink && hv__store_bind_text(st, 1, sink)) ||
      sqlite3_bind_int(st, 2, withhold ? 1 : 0) ||
      sqlite3_bind_int64(st, 3, source_id)) {
    rc = hv__store_fail(s, err, "publication: walk view");
    goto cleanup;
  }
  rc = hv__store_walk_datasets(s, st, cb, payload, "publication: walk view",
                               err);

cleanup:
  sqlite3_finalize(st);
  return rc;
}
#undef VIEW_SELECT

int hv_store_outbox_count_per_copy(hv_store *s, const char *sink,
                                   size_t *out, hv_error *err)
{
  int64_t n = 0;
  int rc;

  if ((rc = hv__store_int_for(s,
                              "SELECT count(*) FROM outbox WHERE identity IS"
                              " NULL AND state IN ('pending', 'parked')"
                              " AND (?1 IS NULL OR sink = ?1)",
                              sink, &n,
                              "publication: count per-copy operations",
                              err)) < 0)
    return rc;
  *out = (size_t)n;
  return 0;
}
