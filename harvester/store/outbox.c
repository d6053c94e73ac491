/*
 * The outbox in the store (see store.h): sink operations queued with the
 * dataset changes that cause them, and the bookkeeping of their sending.
 *
 * An operation is 'pending' until its sink confirmed it ('done'), an
 * operator dropped it ('dropped') or the sink refused it for good
 * ('parked', with the reason). Order per dataset is kept by the ready
 * query: only the oldest unfinished operation of a dataset (its published
 * identity, see store/publish.c; or source and key for an operation
 * queued per copy) and sink is
 * ever handed out, so an update cannot overtake the create before it, nor
 * a put the delete before it. The statements here are few and not on the
 * harvest's hot path except the two enqueues, which are prepared once per
 * call; the enqueue is a single INSERT ... SELECT over the sink set, so a
 * store without configured sinks pays one empty scan per dataset.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "util/alloc.h"
#include "util/compress.h"

/*
 * The condition of the partial indexes, written out in every query that
 * should use them: SQLite only uses a partial index when the query's
 * WHERE visibly implies the index's, and it does not infer that from
 * state = 'pending' alone. Without it every query would scan all the
 * done operations of the outbox's history.
 */
#define OPEN "state IN ('pending', 'parked')"

static const char *op_name(hv_outbox_opcode op)
{
  return op == HV_OUTBOX_DELETE ? "delete" : "put";
}

void hv_outbox_ops_free(hv_outbox_op *ops, size_t n)
{
  size_t i;

  if (!ops)
    return;
  for (i = 0; i < n; i++) {
    hv_free(ops[i].sink);
    hv_free(ops[i].source_name);
    hv_free(ops[i].key);
    hv_free(ops[i].hash);
    hv_free(ops[i].state);
    hv_free(ops[i].last_error);
    hv_free(ops[i].identity);
  }
  hv_free(ops);
}

/* Prepares sql or reports what failed. */
static int prepare(hv_store *s, const char *sql, sqlite3_stmt **st,
                   const char *what, hv_error *err)
{
  if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
    return hv__store_fail(s, err, "outbox: %s", what);
  return 0;
}

/* Steps a statement without results; reports what failed. */
static int step_done(hv_store *s, sqlite3_stmt *st, const char *what,
                     hv_error *err)
{
  if (sqlite3_step(st) != SQLITE_DONE)
    return hv__store_fail(s, err, "outbox: %s", what);
  return 0;
}

/* The sink set without withholding is the configured one with every
 * flag 0; one transaction body serves both (store/publish.c). */
int hv_store_outbox_set_sinks(hv_store *s, const char *const *names,
                              size_t n, hv_error *err)
{
  return hv_store_outbox_configure(s, names, NULL, n, err);
}

int hv_store_outbox_enqueue(hv_store *s, int64_t source_id,
                            const char *source_name, const char *key,
                            hv_outbox_opcode op, const char *hash,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if (!source_name || !key)
    return hv_error_set(err, HV_EINVAL, "outbox: enqueue without %s",
                        key ? "source name" : "dataset key");
  if ((rc = prepare(s,
                    "INSERT INTO outbox (sink, source_id, source_name, key,"
                    " op, hash, created_at)"
                    " SELECT name, ?1, ?2, ?3, ?4, ?5, ?6 FROM outbox_sink"
                    " ORDER BY name",
                    &st, "enqueue", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      hv__store_bind_text(st, 2, source_name) ||
      hv__store_bind_text(st, 3, key) ||
      hv__store_bind_text(st, 4, op_name(op)) ||
      hv__store_bind_text(st, 5, hash) ||
      sqlite3_bind_int64(st, 6, (int64_t)time(NULL)))
    rc = hv__store_fail(s, err, "outbox: enqueue %s", key);
  else
    rc = step_done(s, st, "enqueue", err);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_enqueue_deleted(hv_store *s, int64_t source_id,
                                    const char *source_name, int64_t run_id,
                                    hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "INSERT INTO outbox (sink, source_id, source_name, key,"
                    " op, hash, created_at)"
                    " SELECT k.name, d.source_id, ?2, d.key, 'delete', NULL, ?4"
                    " FROM dataset d, outbox_sink k"
                    " WHERE d.source_id = ?1 AND d.status = 'deleted'"
                    " AND d.changed_run = ?3 ORDER BY d.key, k.name",
                    &st, "enqueue deletes", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, source_id) ||
      hv__store_bind_text(st, 2, source_name) ||
      sqlite3_bind_int64(st, 3, run_id) ||
      sqlite3_bind_int64(st, 4, (int64_t)time(NULL)))
    rc = hv__store_fail(s, err, "outbox: enqueue deletes");
  else
    rc = step_done(s, st, "enqueue deletes", err);
  sqlite3_finalize(st);
  return rc;
}

#define OP_COLUMNS                                                       \
  "o.seq, o.sink, o.source_id, o.source_name, o.key, o.op, o.hash,"      \
  " o.state, o.attempts, o.next_try, o.last_error, o.identity"

/* Reads the rows of st (OP_COLUMNS) into a new array. */
static int read_ops(hv_store *s, sqlite3_stmt *st, hv_outbox_op **out,
                    size_t *n_out, hv_error *err)
{
  hv_outbox_op *ops = NULL, *grown;
  size_t n = 0, cap = 0;
  int step, rc = 0;

  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_outbox_op *o;
    const char *op;

    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      if (!(grown = hv_realloc(ops, cap * sizeof(*ops)))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      ops = grown;
    }
    o = &ops[n++];
    memset(o, 0, sizeof(*o));
    o->seq = sqlite3_column_int64(st, 0);
    o->source_id = sqlite3_column_int64(st, 2);
    op = (const char *)sqlite3_column_text(st, 5);
    o->op = op && strcmp(op, "delete") == 0 ? HV_OUTBOX_DELETE : HV_OUTBOX_PUT;
    o->attempts = sqlite3_column_int64(st, 8);
    o->next_try = sqlite3_column_int64(st, 9);
    if ((rc = hv__store_column_dup(st, 1, &o->sink, err)) < 0 ||
        (rc = hv__store_column_dup(st, 3, &o->source_name, err)) < 0 ||
        (rc = hv__store_column_dup(st, 4, &o->key, err)) < 0 ||
        (rc = hv__store_column_dup(st, 6, &o->hash, err)) < 0 ||
        (rc = hv__store_column_dup(st, 7, &o->state, err)) < 0 ||
        (rc = hv__store_column_dup(st, 10, &o->last_error, err)) < 0 ||
        (rc = hv__store_column_dup(st, 11, &o->identity, err)) < 0)
      goto cleanup;
  }
  if (step != SQLITE_DONE)
    rc = hv__store_fail(s, err, "outbox: read operations");

cleanup:
  if (rc < 0) {
    hv_outbox_ops_free(ops, n);
    return rc;
  }
  *out = ops;
  *n_out = n;
  return 0;
}

int hv_store_outbox_ready(hv_store *s, const char *sink, int64_t now,
                          size_t limit, hv_outbox_op **out, size_t *n_out,
                          hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "SELECT " OP_COLUMNS " FROM outbox o"
                    " WHERE o.sink = ?1 AND " OPEN " AND o.state = 'pending'"
                    " AND o.next_try <= ?2 AND (CASE WHEN o.identity IS"
                    " NULL THEN NOT EXISTS (SELECT 1 FROM outbox p WHERE"
                    " p.sink = o.sink AND p.source_id = o.source_id AND"
                    " p.key = o.key AND p.identity IS NULL AND p.seq < o.seq"
                    " AND p.state IN ('pending', 'parked'))"
                    " ELSE NOT EXISTS (SELECT 1 FROM outbox p WHERE"
                    " p.sink = o.sink AND p.identity = o.identity AND"
                    " p.seq < o.seq AND p.state IN ('pending', 'parked'))"
                    " END)"
                    " ORDER BY o.seq LIMIT ?3",
                    &st, "select ready operations", err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, sink) || sqlite3_bind_int64(st, 2, now) ||
      sqlite3_bind_int64(st, 3, (int64_t)limit))
    rc = hv__store_fail(s, err, "outbox: select ready operations");
  else
    rc = read_ops(s, st, out, n_out, err);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_list(hv_store *s, const char *sink, const char *state,
                         size_t limit, hv_outbox_op **out, size_t *n_out,
                         hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "SELECT " OP_COLUMNS " FROM outbox o"
                    " WHERE (?1 IS NULL OR o.sink = ?1)"
                    " AND (CASE WHEN ?2 IS NULL"
                    " THEN o.state IN ('pending', 'parked')"
                    " ELSE o.state = ?2 END)"
                    " ORDER BY o.seq LIMIT ?3",
                    &st, "list operations", err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, sink) || hv__store_bind_text(st, 2, state) ||
      sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : -1))
    rc = hv__store_fail(s, err, "outbox: list operations");
  else
    rc = read_ops(s, st, out, n_out, err);
  sqlite3_finalize(st);
  return rc;
}

/* Runs an UPDATE on one operation; HV_ENOTFOUND if it changed nothing. */
static int update_one(hv_store *s, sqlite3_stmt *st, int64_t seq,
                      const char *what, hv_error *err)
{
  int rc;

  if ((rc = step_done(s, st, what, err)) < 0)
    return rc;
  if (sqlite3_changes(s->db) == 0)
    return hv_error_set(err, HV_ENOTFOUND,
                        "outbox: %s: no unfinished operation %lld", what,
                        (long long)seq);
  return 0;
}

int hv_store_outbox_done(hv_store *s, int64_t seq, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "UPDATE outbox SET state = 'done', done_at = ?2,"
                    " last_error = NULL WHERE seq = ?1 AND state = 'pending'",
                    &st, "mark done", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, seq) ||
      sqlite3_bind_int64(st, 2, (int64_t)time(NULL)))
    rc = hv__store_fail(s, err, "outbox: mark done");
  else
    rc = update_one(s, st, seq, "mark done", err);
  sqlite3_finalize(st);
  return rc;
}

int hv__store_int_for(hv_store *s, const char *sql, const char *text,
                      int64_t *out, const char *what, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s, sql, &st, what, err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, text) || sqlite3_step(st) != SQLITE_ROW)
    rc = hv__store_fail(s, err, "%s", what);
  else
    *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_last_pending(hv_store *s, const char *sink,
                                 int64_t *seq_out, hv_error *err)
{
  return hv__store_int_for(s,
                           "SELECT coalesce(max(seq), 0) FROM outbox"
                           " WHERE sink = ?1 AND " OPEN
                           " AND state = 'pending'",
                           sink, seq_out, "outbox: newest pending operation",
                           err);
}

int hv_store_outbox_done_through(hv_store *s, const char *sink, int64_t seq,
                                 size_t *n_out, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "UPDATE outbox SET state = 'done', done_at = ?3,"
                    " last_error = NULL"
                    " WHERE sink = ?1 AND " OPEN " AND state = 'pending'"
                    " AND seq <= ?2",
                    &st, "mark done", err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, sink) || sqlite3_bind_int64(st, 2, seq) ||
      sqlite3_bind_int64(st, 3, (int64_t)time(NULL)))
    rc = hv__store_fail(s, err, "outbox: mark done");
  else if ((rc = step_done(s, st, "mark done", err)) == 0 && n_out)
    *n_out = (size_t)sqlite3_changes(s->db);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_failed(hv_store *s, int64_t seq, int park,
                           int64_t next_try, const char *message,
                           hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s,
                    "UPDATE outbox SET attempts = attempts + 1,"
                    " next_try = ?2, last_error = ?3,"
                    " state = CASE WHEN ?4 THEN 'parked' ELSE state END"
                    " WHERE seq = ?1 AND state = 'pending'",
                    &st, "record failure", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, seq) || sqlite3_bind_int64(st, 2, next_try) ||
      hv__store_bind_text(st, 3, message) || sqlite3_bind_int(st, 4, park))
    rc = hv__store_fail(s, err, "outbox: record failure");
  else
    rc = update_one(s, st, seq, "record failure", err);
  sqlite3_finalize(st);
  return rc;
}

/* Runs one of the bulk updates with (?1 sink or NULL, ?2 seq or 0). */
static int bulk(hv_store *s, const char *sql, const char *sink, int64_t seq,
                size_t *n_out, const char *what, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = prepare(s, sql, &st, what, err)) < 0)
    return rc;
  if (hv__store_bind_text(st, 1, sink) || sqlite3_bind_int64(st, 2, seq))
    rc = hv__store_fail(s, err, "outbox: %s", what);
  else if ((rc = step_done(s, st, what, err)) == 0 && n_out)
    *n_out = (size_t)sqlite3_changes(s->db);
  sqlite3_finalize(st);
  return rc;
}

int hv_store_outbox_due_now(hv_store *s, const char *sink, hv_error *err)
{
  return bulk(s,
              "UPDATE outbox SET next_try = 0 WHERE " OPEN
              " AND state = 'pending' AND next_try > 0 AND (?1 IS NULL OR sink = ?1) AND ?2 = 0",
              sink, 0, NULL, "make pending operations due", err);
}

int hv_store_outbox_retry(hv_store *s, const char *sink, int64_t seq,
                          size_t *n_out, hv_error *err)
{
  return bulk(s,
              "UPDATE outbox SET state = 'pending', next_try = 0"
              " WHERE " OPEN " AND state = 'parked'"
              " AND (?1 IS NULL OR sink = ?1)"
              " AND (?2 <= 0 OR seq = ?2)",
              sink, seq, n_out, "retry", err);
}

int hv_store_outbox_drop(hv_store *s, const char *sink, int64_t seq,
                         size_t *n_out, hv_error *err)
{
  return bulk(s,
              "UPDATE outbox SET state = 'dropped'"
              " WHERE " OPEN " AND (?1 IS NULL OR sink = ?1)"
              " AND (?2 <= 0 OR seq = ?2)",
              sink, seq, n_out, "drop", err);
}

void hv_outbox_counts_free(hv_outbox_count *c, size_t n)
{
  size_t i;

  if (!c)
    return;
  for (i = 0; i < n; i++)
    hv_free(c[i].sink);
  hv_free(c);
}

static int count_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_outbox_count *c = elem;

  c->pending = sqlite3_column_int64(st, 1);
  c->parked = sqlite3_column_int64(st, 2);
  c->done = sqlite3_column_int64(st, 3);
  c->dropped = sqlite3_column_int64(st, 4);
  c->oldest_pending = sqlite3_column_int64(st, 5);
  return hv__store_column_dup(st, 0, &c->sink, err);
}

static void counts_free_cb(void *c, size_t n)
{
  hv_outbox_counts_free(c, n);
}

int hv_store_outbox_counts(hv_store *s, hv_outbox_count **out, size_t *n_out,
                           hv_error *err)
{
  void *c = NULL;
  size_t n = 0;
  int rc;

  if ((rc = hv__store_select(s,
                             "SELECT sink, sum(state = 'pending'), sum(state ="
                             " 'parked'), sum(state = 'done'), sum(state ="
                             " 'dropped'), coalesce(min(CASE WHEN state ="
                             " 'pending' THEN created_at END), 0) FROM outbox"
                             " GROUP BY sink UNION SELECT name, 0, 0, 0, 0, 0"
                             " FROM outbox_sink WHERE name NOT IN (SELECT"
                             " sink FROM outbox) ORDER BY 1",
                             sizeof(hv_outbox_count), count_reader,
                             counts_free_cb, &c, &n, "outbox: count operations",
                             err)) < 0)
    return rc;
  *out = c;
  *n_out = n;
  return 0;
}

void hv_outbox_dataset_fini(hv_outbox_dataset *d)
{
  if (!d)
    return;
  hv_free(d->uri);
  hv_free(d->identifier);
  hv_free(d->modified);
  hv_free(d->hash);
  memset(d, 0, sizeof(*d));
}

int hv_store_outbox_dataset(hv_store *s, int64_t source_id, const char *key,
                            hv_outbox_dataset *out, struct hv_buf *payload,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  hv_outbox_dataset d;
  int rc, step;

  memset(&d, 0, sizeof(d));
  if ((rc = prepare(s,
                    "SELECT d.uri, d.identifier, d.modified, d.hash,"
                    " d.status = 'active', p.payload FROM dataset d"
                    " JOIN dataset_payload p ON p.dataset_id = d.id"
                    " WHERE d.source_id = ?1 AND d.key = ?2",
                    &st, "read dataset", err)) < 0)
    return rc;
  if (sqlite3_bind_int64(st, 1, source_id) || hv__store_bind_text(st, 2, key)) {
    rc = hv__store_fail(s, err, "outbox: read dataset %s", key);
    goto cleanup;
  }
  if ((step = sqlite3_step(st)) == SQLITE_DONE) {
    rc = hv_error_set(err, HV_ENOTFOUND,
                      "outbox: dataset %s of source %lld is not in the store",
                      key, (long long)source_id);
    goto cleanup;
  }
  if (step != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "outbox: read dataset %s", key);
    goto cleanup;
  }
  d.active = sqlite3_column_int(st, 4);
  if ((rc = hv__store_column_dup(st, 0, &d.uri, err)) < 0 ||
      (rc = hv__store_column_dup(st, 1, &d.identifier, err)) < 0 ||
      (rc = hv__store_column_dup(st, 2, &d.modified, err)) < 0 ||
      (rc = hv__store_column_dup(st, 3, &d.hash, err)) < 0)
    goto cleanup;
  if ((rc = hv_decompress(payload, sqlite3_column_blob(st, 5),
                          (size_t)sqlite3_column_bytes(st, 5), err)) < 0) {
    hv_error_prefix(err, "outbox: payload of dataset %s: ", key);
    goto cleanup;
  }
  *out = d;
  memset(&d, 0, sizeof(d));

cleanup:
  hv_outbox_dataset_fini(&d);
  sqlite3_finalize(st);
  return rc;
}
