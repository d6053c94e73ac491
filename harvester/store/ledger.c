/*
 * The ledger in the store: per run × source × state counts, written in
 * the same transaction as the reconcile result they count, and the
 * per-state volume report (see store.h).
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"

void hv_ledger_counts_add(hv_ledger_counts *sum, const hv_ledger_counts *d)
{
  sum->requests += d->requests;
  sum->bytes += d->bytes;
  sum->pages_fetched += d->pages_fetched;
  sum->pages_not_modified += d->pages_not_modified;
  sum->pages_failed += d->pages_failed;
  sum->datasets_new += d->datasets_new;
  sum->datasets_updated += d->datasets_updated;
  sum->datasets_unchanged += d->datasets_unchanged;
  sum->datasets_deleted += d->datasets_deleted;
  sum->datasets_rejected += d->datasets_rejected;
  sum->distributions += d->distributions;
  sum->seconds += d->seconds;
  sum->datasets_superseded += d->datasets_superseded;
  sum->findings_violations += d->findings_violations;
  sum->findings_warnings += d->findings_warnings;
  sum->findings_infos += d->findings_infos;
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
  if ((rc = hv__store_stmt(s, ST_LEDGER_ADD, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) ||
      sqlite3_bind_int64(st, 2, source_id) ||
      hv__store_bind_text(st, 3, state) ||
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
      sqlite3_bind_int64(st, 16, delta->datasets_superseded) ||
      sqlite3_bind_int64(st, 17, delta->findings_violations) ||
      sqlite3_bind_int64(st, 18, delta->findings_warnings) ||
      sqlite3_bind_int64(st, 19, delta->findings_infos) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(s, err, "add ledger row for run %lld, source %lld, "
                  "state %s", (long long)run_id, (long long)source_id, state);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

/* Reads the sixteen LEDGER_SUMS columns starting at column first. */
void hv__store_ledger_counts_from_row(sqlite3_stmt *st, int first,
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
  out->datasets_superseded = sqlite3_column_int64(st, first + 12);
  out->findings_violations = sqlite3_column_int64(st, first + 13);
  out->findings_warnings = sqlite3_column_int64(st, first + 14);
  out->findings_infos = sqlite3_column_int64(st, first + 15);
}

int hv_store_ledger_run(hv_store *s, int64_t run_id, hv_ledger_counts *out,
                        hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_stmt(s, ST_LEDGER_RUN, &st, err)) < 0)
    goto cleanup;
  if (sqlite3_bind_int64(st, 1, run_id) || sqlite3_step(st) != SQLITE_ROW) {
    rc = hv__store_fail(s, err, "sum ledger of run %lld", (long long)run_id);
    goto cleanup;
  }
  /* A run without rows sums to NULL, which reads as zero. */
  hv__store_ledger_counts_from_row(st, 0, out);

cleanup:
  hv__store_stmt_done(st);
  return rc;
}

static int volume_reader(sqlite3_stmt *st, void *elem, hv_error *err)
{
  hv_volume_row *r = elem;

  (void)err;
  hv__store_column_copy(st, 0, r->state, sizeof(r->state));
  r->sources = sqlite3_column_int64(st, 1);
  r->runs = sqlite3_column_int64(st, 2);
  hv__store_ledger_counts_from_row(st, 3, &r->counts);
  return 0;
}

int hv_store_report_volumes(hv_store *s, int64_t from, int64_t to,
                            hv_volume_row **out, size_t *n_out,
                            hv_error *err)
{
  sqlite3_stmt *st = NULL;
  void *rows = NULL;
  size_t n = 0;
  int rc = 0;

  if (sqlite3_prepare_v2(s->db,
                         "SELECT l.state, count(DISTINCT l.source_id),"
                         " count(DISTINCT l.run_id), " LEDGER_SUMS
                         " FROM ledger l JOIN run r ON r.id = l.run_id"
                         " WHERE (?1 = 0 OR r.started_at >= ?1)"
                         " AND (?2 = 0 OR r.started_at < ?2)"
                         " GROUP BY l.state ORDER BY l.state",
                         -1, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_int64(st, 1, from) || sqlite3_bind_int64(st, 2, to)) {
    rc = hv__store_fail(s, err, "report volumes");
    goto cleanup;
  }
  if ((rc = hv__store_collect(s, st, sizeof(hv_volume_row), volume_reader, NULL,
                              &rows, &n, "report volumes", err)) < 0)
    goto cleanup;
  *out = rows;
  *n_out = n;

cleanup:
  sqlite3_finalize(st);
  return rc;
}
