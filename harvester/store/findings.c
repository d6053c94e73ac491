/*
 * Findings in the store: the writer that replaces a dataset's findings
 * inside the page transaction that writes the dataset, and the quality
 * report that aggregates them (see store.h).
 *
 * A harvest writes up to a few findings for each of 100 000 datasets in
 * its first run, so the writer keeps its four statements prepared for
 * the whole run instead of preparing them per dataset; it holds them
 * itself, apart from the store's statement cache, and is closed before
 * the store.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "map/map.h"
#include "store/store_int.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

enum { W_ID, W_DELETE, W_PUT, W_COUNTS, W_COUNT };

static const char *const writer_sql[W_COUNT] = {
    [W_ID] = "SELECT id FROM dataset WHERE source_id = ?1 AND key = ?2",
    [W_DELETE] = "DELETE FROM dataset_finding WHERE dataset_id = ?1",
    [W_PUT] = "INSERT OR REPLACE INTO dataset_finding (dataset_id, items)"
              " VALUES (?1, ?2)",
    [W_COUNTS] = "UPDATE dataset SET violations = ?2, warnings = ?3,"
                 " report_state = ?4 WHERE id = ?1",
};

/* A dataset's findings are a few kB of JSON; of a dataset with more
 * than this, the first findings that fit are stored. */
#define FINDINGS_JSON_MAX (16u << 20)

struct hv_store_findings {
  hv_store *store;
  sqlite3_stmt *st[W_COUNT];
  hv_buf json; /* the JSON of the dataset being written, reused */
};

int hv_store_findings_open(hv_store_findings **out, hv_store *s,
                           hv_error *err)
{
  hv_store_findings *w;
  int i, rc = 0;

  if (!(w = hv_calloc(1, sizeof(*w))))
    return hv_error_oom(err);
  w->store = s;
  hv_buf_init(&w->json, FINDINGS_JSON_MAX);
  for (i = 0; i < W_COUNT; i++) {
    if (sqlite3_prepare_v3(s->db, writer_sql[i], -1,
                           SQLITE_PREPARE_PERSISTENT, &w->st[i],
                           NULL) != SQLITE_OK) {
      rc = hv__store_fail(s, err, "prepare findings statement %d", i);
      hv_store_findings_close(w);
      return rc;
    }
  }
  *out = w;
  return 0;
}

void hv_store_findings_close(hv_store_findings *w)
{
  int i;

  if (!w)
    return;
  for (i = 0; i < W_COUNT; i++)
    sqlite3_finalize(w->st[i]);
  hv_buf_fini(&w->json);
  hv_free(w);
}

/* Resets a statement after use, so that it holds no snapshot. */
static void done(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/*
 * Appends s as a JSON string, or null for NULL. The stages' strings are
 * UTF-8 (terms are repaired at decoding, messages are ours), so only the
 * quote, the backslash and control characters need escaping. Writing it
 * here rather than through a JSON library's dumper costs a tenth: this
 * runs for half a million findings in a first national harvest.
 */
static int add_json_string(hv_buf *b, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  const unsigned char *p;
  int rc;

  if (!s)
    return hv_buf_addstr(b, "null");
  if ((rc = hv_buf_addc(b, '"')) < 0)
    return rc;
  for (p = (const unsigned char *)s; *p;) {
    const unsigned char *run = p;

    /* Bytes that need no escape are copied a run at a time. */
    while (*p >= 0x20 && *p != '"' && *p != '\\')
      p++;
    if (p > run && (rc = hv_buf_add(b, run, (size_t)(p - run))) < 0)
      return rc;
    if (!*p)
      break;
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      rc = hv_buf_add(b, esc, 2);
    } else {
      char esc[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
      rc = hv_buf_add(b, esc, 6);
    }
    if (rc < 0)
      return rc;
    p++;
  }
  return hv_buf_addc(b, '"');
}

/*
 * Writes the findings into b as the JSON array the table holds (see the
 * migration): [rule, severity, subject, predicate, old, new, message,
 * de] each. Returns 0, HV_ENOMEM or HV_ETOOBIG.
 */
static int items_json(hv_buf *b, const hv_finding *items, size_t n)
{
  size_t i, k;
  int rc;

  hv_buf_reset(b);
  if ((rc = hv_buf_addc(b, '[')) < 0)
    return rc;
  for (i = 0; i < n; i++) {
    const hv_finding *f = &items[i];
    const char *parts[8];

    parts[0] = f->rule;
    parts[1] = hv_severity_name(f->severity);
    parts[2] = f->subject;
    parts[3] = f->predicate;
    parts[4] = f->old_value;
    parts[5] = f->new_value;
    parts[6] = f->message ? f->message : "";
    parts[7] = f->message_de;
    if ((rc = hv_buf_addstr(b, i ? ",[" : "[")) < 0)
      return rc;
    for (k = 0; k < 8; k++) {
      if ((k && (rc = hv_buf_addc(b, ',')) < 0) ||
          (rc = add_json_string(b, parts[k])) < 0)
        return rc;
    }
    if ((rc = hv_buf_addc(b, ']')) < 0)
      return rc;
  }
  return hv_buf_addc(b, ']');
}

int hv_store_findings_put(hv_store_findings *w, int64_t source_id,
                          const char *key, const struct hv_finding *items,
                          size_t n, const char *report_state, hv_error *err)
{
  sqlite3_stmt *st = w->st[W_ID];
  int64_t id, violations = 0, warnings = 0;
  size_t i;
  int rc = 0, step;

  if (sqlite3_bind_int64(st, 1, source_id) ||
      hv__store_bind_text(st, 2, key)) {
    rc = hv__store_fail(w->store, err, "look up dataset '%s'", key);
    goto cleanup;
  }
  step = sqlite3_step(st);
  if (step == SQLITE_DONE) {
    rc = hv_error_set(err, HV_ENOTFOUND,
                      "store: findings for dataset '%s' of source %lld, "
                      "which is not stored",
                      key, (long long)source_id);
    goto cleanup;
  }
  if (step != SQLITE_ROW) {
    rc = hv__store_fail(w->store, err, "look up dataset '%s'", key);
    goto cleanup;
  }
  id = sqlite3_column_int64(st, 0);
  done(st);
  for (i = 0; i < n; i++) {
    if (items[i].severity == HV_SEVERITY_VIOLATION)
      violations++;
    else if (items[i].severity == HV_SEVERITY_WARNING)
      warnings++;
  }
  /* No findings: no row, so that "has findings" is a plain EXISTS. */
  if (n == 0) {
    st = w->st[W_DELETE];
    if (sqlite3_bind_int64(st, 1, id) || sqlite3_step(st) != SQLITE_DONE) {
      rc = hv__store_fail(w->store, err, "replace findings of dataset '%s'",
                          key);
      goto cleanup;
    }
  } else {
    size_t kept = n;

    /* A dataset with more findings than the cap keeps the first ones
     * that fit (its counts above stay exact) rather than failing the
     * page it came with. */
    while ((rc = items_json(&w->json, items, kept)) == HV_ETOOBIG &&
           kept > 1)
      kept /= 2;
    if (rc < 0) {
      rc = hv_error_set(err, rc, "store: findings of dataset '%s': %s", key,
                        hv_strerror(rc));
      goto cleanup;
    }
    if (kept < n)
      hv_log_warn("store: dataset '%s' has %zu findings; the first %zu are "
                  "stored",
                  key, n, kept);
    st = w->st[W_PUT];
    if (sqlite3_bind_int64(st, 1, id) ||
        sqlite3_bind_text(st, 2, w->json.ptr, (int)w->json.len,
                          SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
      rc = hv__store_fail(w->store, err, "store findings of dataset '%s'",
                          key);
      goto cleanup;
    }
  }
  done(st);
  st = w->st[W_COUNTS];
  if (sqlite3_bind_int64(st, 1, id) || sqlite3_bind_int64(st, 2, violations) ||
      sqlite3_bind_int64(st, 3, warnings) ||
      hv__store_bind_text(st, 4, report_state) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(w->store, err, "count findings of dataset '%s'", key);

cleanup:
  if (st)
    done(st);
  return rc;
}

/* ---- the quality report ---------------------------------------------- */

/* The reporting state of a dataset: derived by the map stage, or else
 * the registered state of the source that delivered it. */
#define STATE_EXPR "coalesce(d.report_state, s.state)"

static const char quality_rows_sql[] =
    "SELECT s.name, " STATE_EXPR ", f.rule, f.severity, count(*),"
    " count(DISTINCT f.dataset_id)"
    " FROM finding f JOIN dataset d ON d.id = f.dataset_id"
    " JOIN source s ON s.id = d.source_id"
    " WHERE d.status = 'active' AND (?1 IS NULL OR s.name = ?1)"
    " AND (?2 IS NULL OR " STATE_EXPR " = ?2)"
    " GROUP BY 1, 2, 3, 4"
    " ORDER BY 1, 2, CASE f.severity WHEN 'violation' THEN 0"
    " WHEN 'warning' THEN 1 ELSE 2 END, 5 DESC, 3";

static const char quality_totals_sql[] =
    "SELECT s.name, " STATE_EXPR ", count(*),"
    " total(d.violations > 0), total(d.warnings > 0)"
    " FROM dataset d JOIN source s ON s.id = d.source_id"
    " WHERE d.status = 'active' AND (?1 IS NULL OR s.name = ?1)"
    " AND (?2 IS NULL OR " STATE_EXPR " = ?2)"
    " GROUP BY 1, 2 ORDER BY 1, 2";

static void copy_state(char dst[8], const unsigned char *src)
{
  snprintf(dst, 8, "%s", src ? (const char *)src : "");
}

void hv_quality_report_free(hv_quality_report *r)
{
  size_t i;

  if (!r)
    return;
  for (i = 0; i < r->n_rows; i++) {
    hv_free(r->rows[i].source);
    hv_free(r->rows[i].rule);
  }
  for (i = 0; i < r->n_totals; i++)
    hv_free(r->totals[i].source);
  hv_free(r->rows);
  hv_free(r->totals);
  memset(r, 0, sizeof(*r));
}

int hv_store_report_quality(hv_store *s, const char *source,
                            const char *state, hv_quality_report *out,
                            hv_error *err)
{
  hv_quality_report r;
  sqlite3_stmt *st = NULL;
  size_t cap = 0;
  int rc = 0, step;

  memset(&r, 0, sizeof(r));
  if (sqlite3_prepare_v2(s->db, quality_rows_sql, -1, &st, NULL) !=
          SQLITE_OK ||
      hv__store_bind_text(st, 1, source) || hv__store_bind_text(st, 2, state)) {
    rc = hv__store_fail(s, err, "report quality");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_quality_row *row;
    const char *sev = (const char *)sqlite3_column_text(st, 3);

    if ((rc = hv__store_grow((void **)&r.rows, &cap, r.n_rows, sizeof(*r.rows),
                             err)) < 0)
      goto cleanup;
    row = &r.rows[r.n_rows];
    memset(row, 0, sizeof(*row));
    r.n_rows++;
    copy_state(row->state, sqlite3_column_text(st, 1));
    snprintf(row->severity, sizeof(row->severity), "%s", sev ? sev : "");
    row->findings = sqlite3_column_int64(st, 4);
    row->datasets = sqlite3_column_int64(st, 5);
    if (!(row->source = hv_strdup((const char *)sqlite3_column_text(st, 0))) ||
        !(row->rule = hv_strdup((const char *)sqlite3_column_text(st, 2)))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "report quality");
    goto cleanup;
  }
  sqlite3_finalize(st);
  st = NULL;
  cap = 0;
  if (sqlite3_prepare_v2(s->db, quality_totals_sql, -1, &st, NULL) !=
          SQLITE_OK ||
      hv__store_bind_text(st, 1, source) || hv__store_bind_text(st, 2, state)) {
    rc = hv__store_fail(s, err, "report quality totals");
    goto cleanup;
  }
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    hv_quality_total *t;

    if ((rc = hv__store_grow((void **)&r.totals, &cap, r.n_totals,
                             sizeof(*r.totals), err)) < 0)
      goto cleanup;
    t = &r.totals[r.n_totals];
    memset(t, 0, sizeof(*t));
    r.n_totals++;
    copy_state(t->state, sqlite3_column_text(st, 1));
    t->datasets = sqlite3_column_int64(st, 2);
    t->with_violations = (int64_t)sqlite3_column_double(st, 3);
    t->with_warnings = (int64_t)sqlite3_column_double(st, 4);
    if (!(t->source = hv_strdup((const char *)sqlite3_column_text(st, 0)))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "report quality totals");
    goto cleanup;
  }
  *out = r;
  memset(&r, 0, sizeof(r));

cleanup:
  sqlite3_finalize(st);
  hv_quality_report_free(&r);
  return rc;
}
