/*
 * Unit tests of the findings writer (store/findings.c): a dataset's
 * findings are one JSON row behind the `finding` view, so every string a
 * stage may produce (quotes, backslashes, control characters, UTF-8,
 * absent values) must come back out of the view exactly as it went in,
 * in the order it was recorded. What findings share (rule, severity,
 * predicate, messages) is interned as a kind, so the tests also cover a
 * rolled-back page, more kinds than the writer's cache holds, absent
 * predicates, and a store written in the previous item format.
 */
#include "tools/hvtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/map.h"
#include "store/store.h"
#include "store/store_int.h"
#include "util/alloc.h"

typedef struct fixture {
  char *dir;
  char path[600];
  hv_store *s;
  int64_t source_id;
  int64_t run_id;
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;
  hv_source src;

  assert_non_null(f);
  assert_non_null(f->dir = hv_test_tmpdir());
  snprintf(f->path, sizeof(f->path), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_store_open(&f->s, f->path, &err), &err);
  memset(&src, 0, sizeof(src));
  src.name = (char *)"nrw";
  src.state = (char *)"05";
  src.kind = (char *)"dcat-rdf";
  src.url = (char *)"https://daten.example/catalog.ttl";
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(f->s, &src, &err), &err);
  f->source_id = src.id;
  HV_ASSERT_OK(hv_store_run_begin(f->s, f->source_id, &f->run_id, &err),
               &err);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  hv_store_close(f->s);
  hv_test_rmtree(f->dir);
  hv_free(f->dir);
  hv_free(f);
  return 0;
}

static void store_dataset(fixture *f, const char *key)
{
  hv_dataset_row d;
  hv_change ch;
  hv_error err = HV_ERROR_INIT;

  memset(&d, 0, sizeof(d));
  d.key = key;
  d.uri = key;
  d.hash = "h1";
  d.payload = "<a> <b> <c> .\n";
  d.payload_len = strlen(d.payload);
  d.page_url = "https://daten.example/catalog.ttl";
  HV_ASSERT_OK(hv_store_dataset_upsert(f->s, f->source_id, f->run_id, &d,
                                       &ch, &err),
               &err);
  assert_int_equal(ch, HV_CHANGE_NEW);
}

/* Reads column col of the one row sql returns, "(null)" for NULL. */
static void read_text(fixture *f, const char *sql, int col, char *out,
                      size_t size)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  snprintf(out, size, "%s",
           sqlite3_column_type(st, col) == SQLITE_NULL
               ? "(null)"
               : (const char *)sqlite3_column_text(st, col));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void strings_round_trip_through_the_view(void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL;
  hv_findings list;
  hv_error err = HV_ERROR_INIT;
  char got[512];
  /* Everything JSON must escape, and UTF-8 that it must not. */
  static const char nasty[] = "\"quoted\" back\\slash\ttab\nline\x01"
                              " Gr\xc3\xbc\xc3\x9f\x65 \xe2\x82\xac";

  store_dataset(f, "https://daten.example/ds/1");
  hv_findings_init(&list);
  HV_ASSERT_OK(hv_findings_add(&list, "map.license", HV_SEVERITY_WARNING,
                               "<https://daten.example/ds/1/csv>",
                               "http://purl.org/dc/terms/license",
                               "\"Hauslizenz \\\"A\\\"\"", NULL, nasty,
                               "Lizenz unbekannt: \xc3\xa4", &err),
               &err);
  HV_ASSERT_OK(hv_findings_add(&list, "check.mandatory",
                               HV_SEVERITY_VIOLATION, NULL, NULL, NULL, NULL,
                               "no description", NULL, &err),
               &err);
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  HV_ASSERT_OK(hv_store_findings_put(w, f->source_id,
                                     "https://daten.example/ds/1",
                                     list.items, list.len, "05", &err),
               &err);
  hv_store_findings_close(w);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);

  read_text(f, "SELECT message FROM finding WHERE seq = 0", 0, got,
            sizeof(got));
  assert_string_equal(got, nasty);
  read_text(f, "SELECT old_value FROM finding WHERE seq = 0", 0, got,
            sizeof(got));
  assert_string_equal(got, "\"Hauslizenz \\\"A\\\"\"");
  read_text(f, "SELECT new_value FROM finding WHERE seq = 0", 0, got,
            sizeof(got));
  assert_string_equal(got, "(null)");
  read_text(f, "SELECT message_de FROM finding WHERE seq = 0", 0, got,
            sizeof(got));
  assert_string_equal(got, "Lizenz unbekannt: \xc3\xa4");
  /* Recorded order is kept; absent values stay NULL. */
  read_text(f, "SELECT rule || '|' || severity || '|' ||"
               " coalesce(subject, '-') || '|' || coalesce(message_de, '-')"
               " FROM finding WHERE seq = 1",
            0, got, sizeof(got));
  assert_string_equal(got, "check.mandatory|violation|-|-");
  read_text(f, "SELECT violations || '/' || warnings || '/' || report_state"
               " FROM dataset",
            0, got, sizeof(got));
  assert_string_equal(got, "1/1/05");
  hv_findings_fini(&list);
}

static void no_findings_leave_no_row_and_replace_old_ones(void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL;
  hv_findings list;
  hv_error err = HV_ERROR_INIT;
  char got[64];

  store_dataset(f, "https://daten.example/ds/2");
  hv_findings_init(&list);
  HV_ASSERT_OK(hv_findings_add(&list, "check.keyword", HV_SEVERITY_WARNING,
                               "<https://daten.example/ds/2>", NULL, NULL,
                               NULL, "no keyword", "kein Schlagwort", &err),
               &err);
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  HV_ASSERT_OK(hv_store_findings_put(w, f->source_id,
                                     "https://daten.example/ds/2",
                                     list.items, list.len, NULL, &err),
               &err);
  read_text(f, "SELECT count(*) FROM finding", 0, got, sizeof(got));
  assert_string_equal(got, "1");
  /* Assessed again without findings: the old ones go, no empty row. */
  HV_ASSERT_OK(hv_store_findings_put(w, f->source_id,
                                     "https://daten.example/ds/2", NULL, 0,
                                     NULL, &err),
               &err);
  read_text(f, "SELECT count(*) FROM finding", 0, got, sizeof(got));
  assert_string_equal(got, "0");
  read_text(f, "SELECT count(*) FROM dataset_finding", 0, got, sizeof(got));
  assert_string_equal(got, "0");
  read_text(f, "SELECT warnings FROM dataset", 0, got, sizeof(got));
  assert_string_equal(got, "0");
  /* An unknown dataset is named. */
  assert_int_equal(hv_store_findings_put(w, f->source_id,
                                         "https://daten.example/ds/none",
                                         list.items, list.len, NULL, &err),
                   HV_ENOTFOUND);
  assert_non_null(strstr(err.msg, "ds/none"));
  hv_store_findings_close(w);
  hv_findings_fini(&list);
}

/* Findings beyond the 16 MiB cap do not fail the dataset (and with it
 * its page): the first ones are stored, the counts stay exact. */
static void too_many_findings_keep_the_first_and_exact_counts(void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL;
  hv_findings list;
  hv_error err = HV_ERROR_INIT;
  char msg[600], got[64];
  size_t i;
  long stored;

  store_dataset(f, "https://daten.example/ds/3");
  hv_findings_init(&list);
  memset(msg, 'x', sizeof(msg) - 1);
  msg[sizeof(msg) - 1] = '\0';
  /* The message is stored once; the long old values make the size. */
  for (i = 0; i < 40000; i++)
    HV_ASSERT_OK(hv_findings_add(&list, "check.recommended",
                                 HV_SEVERITY_WARNING, NULL, NULL, msg, NULL,
                                 msg, NULL, &err),
                 &err);
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  HV_ASSERT_OK(hv_store_findings_put(w, f->source_id,
                                     "https://daten.example/ds/3",
                                     list.items, list.len, NULL, &err),
               &err);
  hv_store_findings_close(w);
  read_text(f, "SELECT count(*) FROM finding", 0, got, sizeof(got));
  stored = strtol(got, NULL, 10);
  assert_true(stored > 0 && stored < 40000);
  read_text(f, "SELECT warnings FROM dataset", 0, got, sizeof(got));
  assert_string_equal(got, "40000");
  read_text(f, "SELECT count(*) FROM finding WHERE message = old_value",
            0, got, sizeof(got));
  assert_int_equal(strtol(got, NULL, 10), stored);
  hv_findings_fini(&list);
}

/* Writes one dataset the way the harvest does: the row with its
 * assessment, then its findings by row id. Returns the row id. */
static int64_t put_assessed(fixture *f, hv_store_findings *w, const char *key,
                            const hv_findings *list, const char *state)
{
  hv_dataset_row d;
  hv_dataset_assessment a;
  hv_change ch;
  hv_error err = HV_ERROR_INIT;
  int64_t id = -1;

  memset(&d, 0, sizeof(d));
  d.key = key;
  d.uri = key;
  d.hash = "h1";
  d.payload = "<a> <b> <c> .\n";
  d.payload_len = strlen(d.payload);
  d.page_url = "https://daten.example/catalog.ttl";
  hv_store_findings_assess(list->items, list->len, state, &a);
  HV_ASSERT_OK(hv_store_dataset_upsert_assessed(f->s, f->source_id,
                                                f->run_id, &d, &a, &ch, &id,
                                                &err),
               &err);
  assert_int_equal(ch, HV_CHANGE_NEW);
  assert_true(id > 0);
  HV_ASSERT_OK(hv_store_findings_set(w, id, key, list->items, list->len,
                                     &err),
               &err);
  return id;
}

/*
 * A page whose transaction rolls back takes its new kind rows with it;
 * the next page must not reuse their ids from the writer's cache (they
 * would point nowhere, and then at other kinds).
 */
static void rolled_back_page_leaves_no_stale_kind_ids(void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL, *second = NULL;
  hv_findings first, next;
  hv_error err = HV_ERROR_INIT;
  char got[512];

  hv_findings_init(&first);
  hv_findings_init(&next);
  HV_ASSERT_OK(hv_findings_add(&first, "check.keyword", HV_SEVERITY_WARNING,
                               NULL, NULL, NULL, NULL, "no keyword",
                               "kein Schlagwort", &err),
               &err);
  /* Same English text: without and with an empty German text are two
   * kinds, and the view keeps NULL and '' apart. */
  HV_ASSERT_OK(hv_findings_add(&next, "check.title", HV_SEVERITY_VIOLATION,
                               "<https://daten.example/ds/5>", NULL, NULL,
                               NULL, "no title", NULL, &err),
               &err);
  HV_ASSERT_OK(hv_findings_add(&next, "check.title", HV_SEVERITY_INFO, NULL,
                               NULL, NULL, NULL, "no title", "", &err),
               &err);
  HV_ASSERT_OK(hv_findings_add(&next, "check.keyword", HV_SEVERITY_WARNING,
                               NULL, NULL, NULL, NULL, "no keyword",
                               "kein Schlagwort", &err),
               &err);
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  /* One writer per connection: the rollback hook is its own. */
  assert_int_equal(hv_store_findings_open(&second, f->s, &err), HV_EEXISTS);
  assert_null(second);
  assert_non_null(strstr(err.msg, "findings writer"));

  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  put_assessed(f, w, "https://daten.example/ds/4", &first, "05");
  hv_store_rollback(f->s);
  read_text(f, "SELECT count(*) FROM finding_kind", 0, got, sizeof(got));
  assert_string_equal(got, "0");

  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  put_assessed(f, w, "https://daten.example/ds/5", &next, "11");
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  read_text(f, "SELECT group_concat(severity || ':' || message || ':' ||"
               " quote(message_de), '|') FROM (SELECT * FROM finding"
               " ORDER BY seq)",
            0, got, sizeof(got));
  assert_string_equal(got, "violation:no title:NULL|info:no title:''|"
                           "warning:no keyword:'kein Schlagwort'");
  read_text(f, "SELECT count(*) FROM finding_kind", 0, got, sizeof(got));
  assert_string_equal(got, "3");
  /* The counts and state came with the row's own write. */
  read_text(f, "SELECT key || ' ' || violations || '/' || warnings || '/' ||"
               " report_state FROM dataset",
            0, got, sizeof(got));
  assert_string_equal(got, "https://daten.example/ds/5 1/1/11");
  hv_store_findings_close(w);
  /* Closed, the writer has given the hook back. */
  HV_ASSERT_OK(hv_store_findings_open(&second, f->s, &err), &err);
  hv_store_findings_close(second);
  hv_findings_fini(&first);
  hv_findings_fini(&next);
}

/* More distinct kinds than the cache holds: it is emptied and refilled,
 * and every finding still names its own kind. */
static void more_kinds_than_the_cache_holds(void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL;
  hv_findings list;
  hv_error err = HV_ERROR_INIT;
  char en[64], de[64], pred[64], got[64];
  size_t i;

  hv_findings_init(&list);
  for (i = 0; i < 3000; i++) {
    size_t k = (i * 7) % 1500;

    snprintf(en, sizeof(en), "message %zu", k);
    snprintf(de, sizeof(de), "Meldung %zu", k);
    snprintf(pred, sizeof(pred), "http://x.example/p%zu", k % 3);
    HV_ASSERT_OK(hv_findings_add(&list, "check.many", HV_SEVERITY_INFO, NULL,
                                 k % 3 ? pred : NULL, NULL, NULL, en,
                                 k % 2 ? de : NULL, &err),
                 &err);
  }
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  put_assessed(f, w, "https://daten.example/ds/6", &list, NULL);
  put_assessed(f, w, "https://daten.example/ds/7", &list, NULL);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  hv_store_findings_close(w);
  read_text(f, "SELECT count(*) FROM finding", 0, got, sizeof(got));
  assert_string_equal(got, "6000");
  read_text(f, "SELECT count(*) FROM finding_kind", 0, got, sizeof(got));
  assert_string_equal(got, "1500");
  read_text(f, "SELECT count(*) FROM finding WHERE"
               " message IS 'message ' || (seq * 7 % 1500) AND message_de IS"
               " iif(seq * 7 % 1500 % 2, 'Meldung ' || (seq * 7 % 1500),"
               " NULL) AND severity = 'info' AND predicate IS"
               " iif(seq * 7 % 1500 % 3, 'http://x.example/p' ||"
               " (seq * 7 % 1500 % 3), NULL) AND rule = 'check.many'",
            0, got, sizeof(got));
  assert_string_equal(got, "6000");
  hv_findings_fini(&list);
}

/* Findings that differ only in an absent, an empty or a present
 * predicate, in the severity, the rule or the German text. */
static void add_kind_variants(hv_findings *list)
{
  static const struct {
    const char *rule;
    hv_severity sev;
    const char *subject, *predicate, *old_value, *new_value, *de;
  } rows[] = {
      {"check.x", HV_SEVERITY_WARNING, NULL, NULL, NULL, NULL, NULL},
      {"check.x", HV_SEVERITY_WARNING, "<s>", "", "\"o\"", NULL, NULL},
      {"check.x", HV_SEVERITY_WARNING, NULL, "http://p.example/", NULL,
       "<n>", NULL},
      {"check.x", HV_SEVERITY_VIOLATION, NULL, NULL, NULL, NULL, NULL},
      {"check.y", HV_SEVERITY_WARNING, "<s>", NULL, NULL, NULL, NULL},
      {"check.x", HV_SEVERITY_WARNING, NULL, NULL, NULL, NULL, ""},
      {"check.x", HV_SEVERITY_WARNING, "<t>", NULL, NULL, NULL, NULL},
  };
  hv_error err = HV_ERROR_INIT;
  size_t i;

  for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
    HV_ASSERT_OK(hv_findings_add(list, rows[i].rule, rows[i].sev,
                                 rows[i].subject, rows[i].predicate,
                                 rows[i].old_value, rows[i].new_value, "m",
                                 rows[i].de, &err),
                 &err);
}

/*
 * A kind is the whole shared part of a finding: an absent predicate or
 * German text is one kind however often it comes, found again both
 * from the writer's cache and, by a new writer, from the store, and
 * never the same kind as an empty one. Items keep only the kind's id
 * and what is the finding's own.
 */
static void absent_predicates_are_one_kind_apart_from_empty_ones(
    void **state)
{
  fixture *f = *state;
  hv_store_findings *w = NULL;
  hv_findings list;
  hv_error err = HV_ERROR_INIT;
  char got[512];
  sqlite3 *db = NULL;

  hv_findings_init(&list);
  add_kind_variants(&list);
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  put_assessed(f, w, "https://daten.example/ds/8", &list, NULL);
  put_assessed(f, w, "https://daten.example/ds/9", &list, NULL);
  hv_store_findings_close(w);
  /* A new writer starts with an empty cache and finds them stored. */
  HV_ASSERT_OK(hv_store_findings_open(&w, f->s, &err), &err);
  put_assessed(f, w, "https://daten.example/ds/10", &list, NULL);
  hv_store_findings_close(w);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);

  read_text(f, "SELECT count(*) FROM finding_kind", 0, got, sizeof(got));
  assert_string_equal(got, "6");
  read_text(f, "SELECT count(DISTINCT items) FROM dataset_finding", 0, got,
            sizeof(got));
  assert_string_equal(got, "1");
  read_text(f, "SELECT items FROM dataset_finding LIMIT 1", 0, got,
            sizeof(got));
  assert_string_equal(got, "[[1],[2,\"<s>\",\"\\\"o\\\"\"],"
                           "[3,null,null,\"<n>\"],[4],[5,\"<s>\"],[6],"
                           "[1,\"<t>\"]]");
  read_text(f, "SELECT group_concat(quote(rule) || ' ' || quote(severity)"
               " || ' ' || quote(subject) || ' ' || quote(predicate) || ' '"
               " || quote(old_value) || ' ' || quote(new_value) || ' ' ||"
               " quote(message) || ' ' || quote(message_de), '|') FROM"
               " (SELECT f.* FROM finding f JOIN dataset d"
               " ON d.id = f.dataset_id"
               " WHERE d.key = 'https://daten.example/ds/10' ORDER BY seq)",
            0, got, sizeof(got));
  assert_string_equal(
      got, "'check.x' 'warning' NULL NULL NULL NULL 'm' NULL|"
           "'check.x' 'warning' '<s>' '' '\"o\"' NULL 'm' NULL|"
           "'check.x' 'warning' NULL 'http://p.example/' NULL '<n>' 'm' NULL|"
           "'check.x' 'violation' NULL NULL NULL NULL 'm' NULL|"
           "'check.y' 'warning' '<s>' NULL NULL NULL 'm' NULL|"
           "'check.x' 'warning' NULL NULL NULL NULL 'm' ''|"
           "'check.x' 'warning' '<t>' NULL NULL NULL 'm' NULL");
  /* The index itself refuses a second kind with absent parts. */
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "INSERT INTO finding_kind (rule,"
                                    " severity, predicate, en, de) VALUES"
                                    " ('check.x', 'warning', NULL, 'm',"
                                    " NULL)",
                                NULL, NULL, NULL),
                   SQLITE_CONSTRAINT);
  sqlite3_close(db);
  hv_findings_fini(&list);
}

/* Every column of the view, quoted, one line per finding in order. */
static const char view_dump_sql[] =
    "SELECT group_concat(line, char(10)) FROM (SELECT quote(dataset_id)"
    " || ',' || quote(seq) || ',' || quote(rule) || ',' || quote(severity)"
    " || ',' || quote(subject) || ',' || quote(predicate) || ','"
    " || quote(old_value) || ',' || quote(new_value) || ','"
    " || quote(message) || ',' || quote(message_de) AS line"
    " FROM finding ORDER BY dataset_id, seq)";

/* The view's columns as pragma table_info describes them. */
static const char view_columns_sql[] =
    "SELECT group_concat(name || ':' || type || ':' || \"notnull\" || ':'"
    " || quote(dflt_value) || ':' || pk, ',') FROM pragma_table_info("
    "'finding')";

/*
 * A store written before messages were interned keeps its findings: it
 * is built at the previous schema version with the old items, then
 * opened, and the view must read exactly as before.
 */
static void old_items_are_converted_and_read_the_same(void **state)
{
  fixture *f = *state;
  sqlite3 *db = NULL;
  hv_store *s = NULL;
  hv_error err = HV_ERROR_INIT;
  char path[sizeof(f->path)], before[4096], after[4096], got[256];
  char cols_before[512], cols_after[512];
  size_t i;

  assert_true((size_t)snprintf(path, sizeof(path), "%s/old.db", f->dir) <
              sizeof(path));
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_true(hv__store_migration_count >= 2);
  for (i = 0; i + 1 < hv__store_migration_count; i++)
    if (sqlite3_exec(db, hv__store_migrations[i].sql, NULL, NULL, NULL) !=
        SQLITE_OK)
      fail_msg("migration %zu: %s", i + 1, sqlite3_errmsg(db));
  snprintf(got, sizeof(got), "PRAGMA user_version = %zu",
           hv__store_migration_count - 1);
  if (sqlite3_exec(
          db,
          "INSERT INTO source (id, name, state, kind, url, created_at)"
          " VALUES (1, 'nrw', '05', 'dcat-rdf', 'https://x.example/', 0);"
          "INSERT INTO dataset (id, source_id, key, hash, first_run,"
          " last_seen_run, changed_run, created_at, updated_at)"
          " VALUES (1, 1, 'a', 'h', 1, 1, 1, 0, 0),"
          " (2, 1, 'b', 'h', 1, 1, 1, 0, 0);"
          "INSERT INTO dataset_finding (dataset_id, items) VALUES"
          " (1, '[[\"map.license\",\"warning\",\"<https://x.example/d>\","
          "\"http://purl.org/dc/terms/license\",\"\\\"A\\\"\",null,"
          "\"license \\u0001 unknown\",\"Lizenz unbekannt: \u00e4\"],"
          "[\"check.title\",\"violation\",null,null,null,null,\"no title\","
          "null],[\"check.title\",\"info\",null,null,null,null,"
          "\"no title\",\"\"]]'),"
          " (2, '[[\"check.title\",\"violation\",\"<https://x.example/b>\","
          "null,null,\"<https://x.example/n>\",\"no title\",null]]');",
          NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(db, got, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("old store: %s", sqlite3_errmsg(db));
  sqlite3_close(db);
  /* What the old view shows. */
  snprintf(f->path, sizeof(f->path), "%s", path);
  read_text(f, view_dump_sql, 0, before, sizeof(before));
  read_text(f, view_columns_sql, 0, cols_before, sizeof(cols_before));
  assert_non_null(strstr(before, "'Lizenz unbekannt: \xc3\xa4'"));
  assert_non_null(strstr(before, "'violation'"));

  HV_ASSERT_OK(hv_store_open(&s, path, &err), &err);
  assert_int_equal(hv_store_schema_version(s),
                   (int)hv__store_migration_count);
  hv_store_close(s);
  read_text(f, view_dump_sql, 0, after, sizeof(after));
  assert_string_equal(after, before);
  read_text(f, view_columns_sql, 0, cols_after, sizeof(cols_after));
  assert_string_equal(cols_after, cols_before);
  /* Three kinds, each stored once; the items hold ids and what is the
   * finding's own, without trailing nulls. */
  read_text(f, "SELECT count(*) FROM finding_kind", 0, got, sizeof(got));
  assert_string_equal(got, "3");
  read_text(f, "SELECT group_concat(items, ' ') FROM (SELECT items FROM"
               " dataset_finding ORDER BY dataset_id)",
            0, got, sizeof(got));
  assert_string_equal(got, "[[1,\"<https://x.example/d>\",\"\\\"A\\\"\"],"
                           "[2],[3]] [[2,\"<https://x.example/b>\",null,"
                           "\"<https://x.example/n>\"]]");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(strings_round_trip_through_the_view),
      T(no_findings_leave_no_row_and_replace_old_ones),
      T(too_many_findings_keep_the_first_and_exact_counts),
      T(rolled_back_page_leaves_no_stale_kind_ids),
      T(more_kinds_than_the_cache_holds),
      T(absent_predicates_are_one_kind_apart_from_empty_ones),
      T(old_items_are_converted_and_read_the_same),
#undef T
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
