/*
 * Findings in the store: the writer that replaces a dataset's findings
 * inside the page transaction that writes the dataset, and the quality
 * report that aggregates them (see store.h).
 *
 * A harvest writes up to a few findings for each of 100 000 datasets in
 * its first run, so the writer keeps its statements prepared for the
 * whole run instead of preparing them per dataset; it holds them itself,
 * apart from the store's statement cache, and is closed before the
 * store.
 *
 * What a finding shares with others of its kind (rule, severity,
 * predicate, English and German message) is stored once in finding_kind
 * (see the migration) and an item carries the kind's id. There are a few
 * dozen distinct kinds in a national harvest against half a million
 * findings, so the writer keeps the ids it has seen in a small hash
 * table: a hit costs no SQL at all, a miss one INSERT OR IGNORE and,
 * when the kind was there already, one SELECT. The table is bounded;
 * past its limit it is emptied and fills again from the store.
 *
 * Why the table is emptied on every rollback: a kind first seen in a
 * page transaction is inserted in that transaction, and if the page
 * fails and rolls back, its row is gone while the table would still
 * hold its id, which the next page would then store (and the id would
 * later be given to another kind). Inserting kinds outside the page
 * transaction is not possible on the one connection a writer shares with
 * it, and rollbacks are rare (a failed page), so the writer registers a
 * rollback hook on the connection that drops all cached ids; ids of
 * committed rows stay valid, since kind rows are never deleted. The
 * hook also fires when SQLite rolls a transaction back by itself after
 * an error. It makes the writer the one user of the connection's
 * rollback hook: a second writer on the same connection is refused.
 */
#include "store/store.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "map/map.h"
#include "store/store_int.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

enum {
  W_ID,
  W_DELETE,
  W_PUT,
  W_COUNTS,
  W_KIND_ADD,
  W_KIND_ID,
  W_COUNT
};

static const char *const writer_sql[W_COUNT] = {
    [W_ID] = "SELECT id FROM dataset WHERE source_id = ?1 AND key = ?2",
    [W_DELETE] = "DELETE FROM dataset_finding WHERE dataset_id = ?1",
    [W_PUT] = "INSERT OR REPLACE INTO dataset_finding (dataset_id, items)"
              " VALUES (?1, ?2)",
    [W_COUNTS] = "UPDATE dataset SET violations = ?2, warnings = ?3,"
                 " report_state = ?4 WHERE id = ?1",
    [W_KIND_ADD] = "INSERT OR IGNORE INTO finding_kind"
                   " (rule, severity, predicate, en, de)"
                   " VALUES (?1, ?2, ?3, ?4, ?5)",
    [W_KIND_ID] = "SELECT id FROM finding_kind WHERE rule = ?1"
                  " AND severity = ?2 AND predicate IS ?3 AND en = ?4"
                  " AND de IS ?5",
};

/* A dataset's findings are a few kB of JSON; of a dataset with more
 * than this, the first findings that fit are stored. */
#define FINDINGS_JSON_MAX (16u << 20)

/* The kind cache: open addressing in KIND_SLOTS slots, kept at most
 * half full, and at most KIND_BYTES of text; past either it is emptied.
 * A harvest needs a few dozen. */
#define KIND_SLOTS 1024u
#define KIND_MAX (KIND_SLOTS / 2)
#define KIND_BYTES (256u << 10)

/* A kind as the writer looks it up: the shared part of a finding. */
typedef struct kind_key {
  const char *rule;
  hv_severity severity;
  const char *predicate; /* NULL if the finding has none */
  const char *en;
  const char *de;        /* NULL if there is no German text */
} kind_key;

typedef struct kind_entry {
  uint64_t hash;
  int64_t id;   /* row id in finding_kind */
  char *block;  /* owned, holds the key's texts; NULL: free slot */
  kind_key key; /* its texts point into block */
} kind_entry;

struct hv_store_findings {
  hv_store *store;
  sqlite3_stmt *st[W_COUNT];
  hv_buf json;       /* the JSON of the dataset being written, reused */
  kind_entry *cache; /* KIND_SLOTS slots */
  size_t cached;     /* entries in cache */
  size_t cached_len; /* bytes of text they hold */
  int64_t *ids;      /* kind id per item of the dataset being written */
  size_t ids_cap;
  int hooked;        /* the rollback hook is ours */
};

static void cache_clear(hv_store_findings *w)
{
  size_t i;

  if (!w->cached)
    return;
  for (i = 0; i < KIND_SLOTS; i++) {
    hv_free(w->cache[i].block);
    w->cache[i].block = NULL;
  }
  w->cached = 0;
  w->cached_len = 0;
}

/* Called by SQLite inside every rollback of the connection. */
static void on_rollback(void *payload)
{
  cache_clear(payload);
}

/*
 * FNV-1a over a string's length and at most its first and last 16
 * bytes: every finding is looked up, and hashing whole sentences twice
 * cost more than the rest of the lookup. Texts that agree in all of
 * that only share a probe sequence; the comparison tells them apart. An
 * absent text hashes apart from an empty one.
 */
static uint64_t text_hash(uint64_t h, const char *s)
{
  size_t len, i;

  if (!s)
    return h * 31u;
  len = strlen(s);
  h = (h ^ (len + 1)) * 0x100000001b3u;
  for (i = 0; i < len && i < 16; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
  for (i = len > 32 ? len - 16 : i; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 0x100000001b3u;
  return h;
}

static uint64_t kind_hash(const kind_key *k)
{
  uint64_t h = 0xcbf29ce484222325u ^ (uint64_t)k->severity;

  h = text_hash(h, k->rule);
  h = text_hash(h, k->predicate);
  h = text_hash(h, k->en);
  return text_hash(h, k->de);
}

/* Whether two texts, either of which may be absent, are the same. */
static int same_text(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* The slot holding the kind k, or else the free slot where it belongs. */
static kind_entry *cache_slot(hv_store_findings *w, uint64_t hash,
                              const kind_key *k)
{
  size_t i = (size_t)hash & (KIND_SLOTS - 1);

  for (;; i = (i + 1) & (KIND_SLOTS - 1)) {
    kind_entry *e = &w->cache[i];

    if (!e->block)
      return e;
    if (e->hash == hash && e->key.severity == k->severity &&
        same_text(e->key.en, k->en) && same_text(e->key.rule, k->rule) &&
        same_text(e->key.predicate, k->predicate) &&
        same_text(e->key.de, k->de))
      return e;
  }
}

/* Copies s (or nothing for NULL) to *pos and returns the copy. */
static const char *copy_text(char **pos, const char *s, size_t len)
{
  char *start = *pos;

  if (!s)
    return NULL;
  memcpy(start, s, len);
  *pos += len;
  return start;
}

/* Remembers id for the kind k. Running out of memory only costs the
 * hit. */
static void cache_add(hv_store_findings *w, uint64_t hash, const kind_key *k,
                      int64_t id)
{
  size_t rule_len = strlen(k->rule) + 1, en_len = strlen(k->en) + 1;
  size_t pred_len = k->predicate ? strlen(k->predicate) + 1 : 0;
  size_t de_len = k->de ? strlen(k->de) + 1 : 0;
  size_t total = rule_len + en_len + pred_len + de_len;
  kind_entry *e;
  char *block, *pos;

  if (w->cached + 1 > KIND_MAX || w->cached_len + total > KIND_BYTES)
    cache_clear(w);
  if (total > KIND_BYTES || !(block = hv_malloc(total)))
    return;
  e = cache_slot(w, hash, k);
  pos = block;
  e->hash = hash;
  e->id = id;
  e->block = block;
  e->key.severity = k->severity;
  e->key.rule = copy_text(&pos, k->rule, rule_len);
  e->key.en = copy_text(&pos, k->en, en_len);
  e->key.predicate = copy_text(&pos, k->predicate, pred_len);
  e->key.de = copy_text(&pos, k->de, de_len);
  w->cached++;
  w->cached_len += total;
}

/* Resets a statement after use, so that it holds no snapshot. */
static void done(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Binds the kind k to st's parameters 1 to 5, in the order of the
 * statements above. */
static int bind_kind(sqlite3_stmt *st, const kind_key *k)
{
  return hv__store_bind_text(st, 1, k->rule) ||
         hv__store_bind_text(st, 2, hv_severity_name(k->severity)) ||
         hv__store_bind_text(st, 3, k->predicate) ||
         hv__store_bind_text(st, 4, k->en) ||
         hv__store_bind_text(st, 5, k->de);
}

/* Sets *out to the id of the kind k, storing it if new. */
static int kind_id(hv_store_findings *w, const kind_key *k, const char *key,
                   int64_t *out, hv_error *err)
{
  uint64_t hash = kind_hash(k);
  kind_entry *e = cache_slot(w, hash, k);
  sqlite3_stmt *st;
  int rc = 0;

  if (e->block) {
    *out = e->id;
    return 0;
  }
  st = w->st[W_KIND_ADD];
  if (bind_kind(st, k) || sqlite3_step(st) != SQLITE_DONE) {
    rc = hv__store_fail(w->store, err, "store a finding kind of dataset "
                        "'%s'", key);
    goto cleanup;
  }
  if (sqlite3_changes(w->store->db) == 1) {
    *out = sqlite3_last_insert_rowid(w->store->db);
  } else {
    done(st);
    st = w->st[W_KIND_ID];
    if (bind_kind(st, k) || sqlite3_step(st) != SQLITE_ROW) {
      rc = hv__store_fail(w->store, err, "look up a finding kind of "
                          "dataset '%s'", key);
      goto cleanup;
    }
    *out = sqlite3_column_int64(st, 0);
  }
  cache_add(w, hash, k, *out);

cleanup:
  done(st);
  return rc;
}

void hv_store_findings_close(hv_store_findings *w)
{
  int i;

  if (!w)
    return;
  if (w->hooked)
    sqlite3_rollback_hook(w->store->db, NULL, NULL);
  for (i = 0; i < W_COUNT; i++)
    sqlite3_finalize(w->st[i]);
  hv_buf_fini(&w->json);
  cache_clear(w);
  hv_free(w->cache);
  hv_free(w->ids);
  hv_free(w);
}

int hv_store_findings_open(hv_store_findings **out, hv_store *s,
                           hv_error *err)
{
  hv_store_findings *w;
  void *other;
  int i, rc = 0;

  if (!(w = hv_calloc(1, sizeof(*w))))
    return hv_error_oom(err);
  w->store = s;
  hv_buf_init(&w->json, FINDINGS_JSON_MAX);
  if (!(w->cache = hv_calloc(KIND_SLOTS, sizeof(*w->cache)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < W_COUNT; i++) {
    if (sqlite3_prepare_v3(s->db, writer_sql[i], -1,
                           SQLITE_PREPARE_PERSISTENT, &w->st[i],
                           NULL) != SQLITE_OK) {
      rc = hv__store_fail(s, err, "prepare findings statement %d", i);
      goto cleanup;
    }
  }
  if ((other = sqlite3_rollback_hook(s->db, on_rollback, w)) != NULL) {
    sqlite3_rollback_hook(s->db, on_rollback, other);
    rc = hv_error_set(err, HV_EEXISTS,
                      "store: a findings writer is open on this connection "
                      "already");
    goto cleanup;
  }
  w->hooked = 1;
  *out = w;
  w = NULL;

cleanup:
  hv_store_findings_close(w);
  return rc;
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

/* Appends id, without going through the formatter. */
static int add_id(hv_buf *b, int64_t id)
{
  char tmp[24];
  size_t n = sizeof(tmp);
  uint64_t v = id < 0 ? 0 - (uint64_t)id : (uint64_t)id;

  do {
    tmp[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (id < 0)
    tmp[--n] = '-';
  return hv_buf_add(b, tmp + n, sizeof(tmp) - n);
}

/*
 * Writes the findings into b as the JSON array the table holds (see the
 * migrations): [kind id, subject, old, new] each, without trailing
 * nulls; ids[i] is item i's kind id. Returns 0, HV_ENOMEM or HV_ETOOBIG.
 */
static int items_json(hv_buf *b, const hv_finding *items,
                      const int64_t *ids, size_t n)
{
  size_t i, k, last;
  int rc;

  hv_buf_reset(b);
  if ((rc = hv_buf_addc(b, '[')) < 0)
    return rc;
  for (i = 0; i < n; i++) {
    const hv_finding *f = &items[i];
    const char *tail[3];

    tail[0] = f->subject;
    tail[1] = f->old_value;
    tail[2] = f->new_value;
    for (last = 3; last > 0 && !tail[last - 1]; last--)
      ;
    if ((rc = hv_buf_addstr(b, i ? ",[" : "[")) < 0 ||
        (rc = add_id(b, ids[i])) < 0)
      return rc;
    for (k = 0; k < last; k++) {
      if ((rc = hv_buf_addc(b, ',')) < 0 ||
          (rc = add_json_string(b, tail[k])) < 0)
        return rc;
    }
    if ((rc = hv_buf_addc(b, ']')) < 0)
      return rc;
  }
  return hv_buf_addc(b, ']');
}

void hv_store_findings_assess(const struct hv_finding *items, size_t n,
                              const char *report_state,
                              hv_dataset_assessment *out)
{
  size_t i;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < n; i++) {
    if (items[i].severity == HV_SEVERITY_VIOLATION)
      out->violations++;
    else if (items[i].severity == HV_SEVERITY_WARNING)
      out->warnings++;
  }
  out->report_state = report_state;
}

int hv_store_findings_set(hv_store_findings *w, int64_t dataset_id,
                          const char *key, const struct hv_finding *items,
                          size_t n, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  size_t i, kept = n;
  int rc = 0;

  /* No findings: no row, so that "has findings" is a plain EXISTS. */
  if (n == 0) {
    st = w->st[W_DELETE];
    if (sqlite3_bind_int64(st, 1, dataset_id) ||
        sqlite3_step(st) != SQLITE_DONE)
      rc = hv__store_fail(w->store, err, "replace findings of dataset '%s'",
                          key);
    goto cleanup;
  }
  if (n > w->ids_cap) {
    int64_t *ids;

    if (n > SIZE_MAX / sizeof(*ids) ||
        !(ids = hv_realloc(w->ids, n * sizeof(*ids)))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    w->ids = ids;
    w->ids_cap = n;
  }
  for (i = 0; i < n; i++) {
    kind_key k;

    /* Stages always give a rule and a message; the kind's columns
     * require them. */
    k.rule = items[i].rule ? items[i].rule : "";
    k.severity = items[i].severity;
    k.predicate = items[i].predicate;
    k.en = items[i].message ? items[i].message : "";
    k.de = items[i].message_de;
    if ((rc = kind_id(w, &k, key, &w->ids[i], err)) < 0)
      goto cleanup;
  }
  /* A dataset with more findings than the cap keeps the first ones that
   * fit (its counts on the row stay exact) rather than failing the page
   * it came with. */
  while ((rc = items_json(&w->json, items, w->ids, kept)) == HV_ETOOBIG &&
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
  if (sqlite3_bind_int64(st, 1, dataset_id) ||
      sqlite3_bind_text(st, 2, w->json.ptr, (int)w->json.len,
                        SQLITE_STATIC) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(w->store, err, "store findings of dataset '%s'",
                        key);

cleanup:
  if (st)
    done(st);
  return rc;
}

int hv_store_findings_put(hv_store_findings *w, int64_t source_id,
                          const char *key, const struct hv_finding *items,
                          size_t n, const char *report_state, hv_error *err)
{
  sqlite3_stmt *st = w->st[W_ID];
  hv_dataset_assessment a;
  int64_t id;
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
  if ((rc = hv_store_findings_set(w, id, key, items, n, err)) < 0)
    goto cleanup;
  hv_store_findings_assess(items, n, report_state, &a);
  st = w->st[W_COUNTS];
  if (sqlite3_bind_int64(st, 1, id) ||
      sqlite3_bind_int64(st, 2, a.violations) ||
      sqlite3_bind_int64(st, 3, a.warnings) ||
      hv__store_bind_text(st, 4, a.report_state) ||
      sqlite3_step(st) != SQLITE_DONE)
    rc = hv__store_fail(w->store, err, "count findings of dataset '%s'", key);

cleanup:
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
