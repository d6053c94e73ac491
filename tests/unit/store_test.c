/*
 * Unit tests for harvester/store: every test works on a real SQLite file
 * in a fresh temporary directory, and checks what the store wrote through
 * the store's own API and, where the API cannot see it (schema version,
 * journal mode, rows kept for reports), through a second plain SQLite
 * connection on the same file.
 *
 * Run by hand with `store_test --throughput` to time 100,000 upserts in
 * 1,000 transactions of 100; that mode is not part of the test suite.
 */
#include "tools/hvtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "store/store.h"
#include "store/store_int.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

typedef struct fixture {
  char *dir;
  char *path;
  hv_store *s;
} fixture;

/* ---- helpers ------------------------------------------------------------ */

static char *path_in(const char *dir, const char *name)
{
  hv_buf b = HV_BUF_INIT(4096);

  assert_int_equal(hv_buf_addf(&b, "%s/%s", dir, name), 0);
  return hv_buf_detach(&b, NULL);
}

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  f->dir = hv_test_tmpdir();
  assert_non_null(f->dir);
  f->path = path_in(f->dir, "store.db");
  HV_ASSERT_OK(hv_store_open(&f->s, f->path, &err), &err);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  hv_store_close(f->s);
  hv_test_rmtree(f->dir);
  hv_free(f->path);
  hv_free(f->dir);
  hv_free(f);
  return 0;
}

/* Runs one statement on a second connection to the file. */
static void raw_exec(const char *path, const char *sql)
{
  sqlite3 *db = NULL;

  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  sqlite3_close(db);
}

/* Returns the first column of the first row of sql, read on the side. */
static int64_t raw_int(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int64_t v;

  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* Copies the first column of the first row of sql into out. */
static void raw_text(const char *path, const char *sql, char *out,
                     size_t size)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;

  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
      sqlite3_step(st) != SQLITE_ROW)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static hv_source make_source(const char *name, const char *state)
{
  hv_source src;

  memset(&src, 0, sizeof(src));
  src.name = (char *)name;
  src.state = (char *)state;
  src.kind = (char *)"dcat-rdf";
  src.url = (char *)"https://daten.example.org/catalog.rdf?page=1";
  src.format_hint = (char *)"rdfxml";
  src.priority = 3;
  src.enabled = 1;
  return src;
}

static int64_t add_source(hv_store *s, const char *name, const char *state)
{
  hv_source src = make_source(name, state);
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_store_source_add(s, &src, &err), &err);
  assert_true(src.id > 0);
  return src.id;
}

static int64_t begin_run(hv_store *s, int64_t source_id)
{
  hv_error err = HV_ERROR_INIT;
  int64_t run = 0;

  HV_ASSERT_OK(hv_store_run_begin(s, source_id, &run, &err), &err);
  assert_true(run > 0);
  return run;
}

static hv_dataset_row make_dataset(const char *key, const char *hash,
                                   const char *payload, const char *page,
                                   size_t distributions)
{
  hv_dataset_row d;

  memset(&d, 0, sizeof(d));
  d.key = key;
  d.uri = key;
  d.identifier = "id-1";
  d.modified = "2024-05-01";
  d.hash = hash;
  d.payload = payload;
  d.payload_len = strlen(payload);
  d.distributions = distributions;
  d.page_url = page;
  return d;
}

static hv_change upsert(hv_store *s, int64_t source_id, int64_t run,
                        const char *key, const char *hash,
                        const char *payload, const char *page, size_t dists)
{
  hv_dataset_row d = make_dataset(key, hash, payload, page, dists);
  hv_error err = HV_ERROR_INIT;
  hv_change ch = (hv_change)-1;

  HV_ASSERT_OK(hv_store_dataset_upsert(s, source_id, run, &d, &ch, &err),
               &err);
  return ch;
}

/* Collects "key|payload|page" lines of a dataset walk. */
typedef struct walk {
  hv_buf out;
  size_t calls;
  size_t stop_after; /* 0: never stop */
} walk;

static int collect(const hv_dataset_row *row, void *payload)
{
  walk *w = payload;

  w->calls++;
  if (hv_buf_addf(&w->out, "%s|%.*s|%s\n", row->key, (int)row->payload_len,
                  row->payload, row->page_url ? row->page_url : "") < 0)
    return HV_ENOMEM;
  if (w->stop_after && w->calls == w->stop_after)
    return HV_ECANCELED;
  return 0;
}

static void walk_store(hv_store *s, int64_t source_id, walk *w)
{
  hv_error err = HV_ERROR_INIT;

  hv_buf_init(&w->out, 1 << 20);
  w->calls = 0;
  w->stop_after = 0;
  HV_ASSERT_OK(hv_store_dataset_foreach(s, source_id, collect, w, &err),
               &err);
}

/* ---- schema ------------------------------------------------------------- */

static void migrations_apply_and_reopen_is_idempotent(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_source got;
  char mode[16];

  assert_true(hv__store_migration_count >= 1);
  assert_int_equal(hv_store_schema_version(f->s),
                   (int)hv__store_migration_count);
  assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
                   (int64_t)hv__store_migration_count);
  raw_text(f->path, "PRAGMA journal_mode", mode, sizeof(mode));
  assert_string_equal(mode, "wal");
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM sqlite_master"
                                    " WHERE name IN ('source', 'run', 'page',"
                                    " 'dataset', 'ledger', 'dataset_by_page',"
                                    " 'dataset_by_status', 'dataset_payload')"),
                   8);
  add_source(f->s, "be-daten", "11");

  /* Reopening applies nothing and keeps the data. */
  hv_store_close(f->s);
  f->s = NULL;
  HV_ASSERT_OK(hv_store_open(&f->s, f->path, &err), &err);
  assert_int_equal(hv_store_schema_version(f->s),
                   (int)hv__store_migration_count);
  assert_int_equal(raw_int(f->path, "PRAGMA user_version"),
                   (int64_t)hv__store_migration_count);
  HV_ASSERT_OK(hv_store_source_get(f->s, "be-daten", &got, &err), &err);
  assert_string_equal(got.state, "11");
  hv_source_fini(&got);
}

static void newer_file_is_refused(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_store *s = (hv_store *)f; /* must stay untouched on failure */
  char *path = path_in(f->dir, "future.db");
  char sql[64], mode[16];

  snprintf(sql, sizeof(sql), "PRAGMA user_version = %zu",
           hv__store_migration_count + 1);
  raw_exec(path, sql);
  assert_int_equal(hv_store_open(&s, path, &err), HV_ESTORE);
  assert_ptr_equal(s, (hv_store *)f);
  assert_non_null(strstr(err.msg, "newer than this binary"));
  assert_non_null(strstr(err.msg, path));
  /* The refused file was not touched, not even its journal mode. */
  assert_int_equal(raw_int(path, "PRAGMA user_version"),
                   (int64_t)hv__store_migration_count + 1);
  raw_text(path, "PRAGMA journal_mode", mode, sizeof(mode));
  assert_string_equal(mode, "delete");
  hv_free(path);
}

static void unopenable_path_names_the_path(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_store *s = NULL;
  char *path = path_in(f->dir, "no-such-dir/store.db");

  assert_int_equal(hv_store_open(&s, path, &err), HV_ESTORE);
  assert_null(s);
  assert_non_null(strstr(err.msg, path));
  assert_non_null(strstr(err.msg, "unable to open"));
  hv_free(path);
}

/* ---- sources ------------------------------------------------------------ */

static void source_add_get_list_remove(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_source src = make_source("sn-opendata", "14");
  hv_source got, *list = NULL;
  size_t n = 0;
  int64_t before = (int64_t)time(NULL);

  src.contributor_id = (char *)"http://dcat-ap.de/def/contributors/sn";
  src.enabled = 0;
  HV_ASSERT_OK(hv_store_source_add(f->s, &src, &err), &err);
  assert_true(src.id > 0);
  assert_true(src.created_at >= before);
  add_source(f->s, "bund-govdata", "bund");
  add_source(f->s, "by-open", "09");

  HV_ASSERT_OK(hv_store_source_get(f->s, "sn-opendata", &got, &err), &err);
  assert_int_equal(got.id, src.id);
  assert_string_equal(got.name, "sn-opendata");
  assert_string_equal(got.state, "14");
  assert_string_equal(got.kind, "dcat-rdf");
  assert_string_equal(got.url, src.url);
  assert_string_equal(got.format_hint, "rdfxml");
  assert_string_equal(got.contributor_id, src.contributor_id);
  assert_int_equal(got.priority, 3);
  assert_int_equal(got.enabled, 0);
  assert_int_equal(got.created_at, src.created_at);
  hv_source_fini(&got);
  assert_null(got.name);

  HV_ASSERT_OK(hv_store_source_list(f->s, &list, &n, &err), &err);
  assert_int_equal(n, 3);
  assert_string_equal(list[0].name, "bund-govdata");
  assert_string_equal(list[1].name, "by-open");
  assert_string_equal(list[2].name, "sn-opendata");
  assert_null(list[1].contributor_id);
  hv_source_list_free(list, n);

  HV_ASSERT_OK(hv_store_source_remove(f->s, "by-open", &err), &err);
  assert_int_equal(hv_store_source_get(f->s, "by-open", &got, &err),
                   HV_ENOTFOUND);
  assert_string_equal(err.msg, "source 'by-open' not found");
  assert_int_equal(hv_store_source_remove(f->s, "by-open", &err),
                   HV_ENOTFOUND);
  HV_ASSERT_OK(hv_store_source_list(f->s, &list, &n, &err), &err);
  assert_int_equal(n, 2);
  hv_source_list_free(list, n);
}

static void source_list_of_empty_store_is_empty(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_source *list = (hv_source *)f;
  size_t n = 99;

  HV_ASSERT_OK(hv_store_source_list(f->s, &list, &n, &err), &err);
  assert_int_equal(n, 0);
  hv_source_list_free(list, n);
}

static void duplicate_source_name_is_eexists(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_source src = make_source("he-data", "06");
  hv_source *list = NULL;
  size_t n = 0;

  add_source(f->s, "he-data", "06");
  src.state = (char *)"07";
  assert_int_equal(hv_store_source_add(f->s, &src, &err), HV_EEXISTS);
  assert_string_equal(err.msg, "source 'he-data' already exists");
  HV_ASSERT_OK(hv_store_source_list(f->s, &list, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_string_equal(list[0].state, "06");
  hv_source_list_free(list, n);
}

static void invalid_source_fields_are_named(void **state)
{
  static const struct {
    const char *name, *st, *kind, *url, *hint;
    const char *needle1, *needle2; /* both must be in the message */
  } cases[] = {
      {"", "01", "dcat-rdf", "http://a.example/", NULL, "name", "''"},
      {"has space", "01", "dcat-rdf", "http://a.example/", NULL, "name",
       "'has space'"},
      {"ümlaut", "01", "dcat-rdf", "http://a.example/", NULL, "name",
       "ümlaut"},
      {"a123456789b123456789c123456789d123456789e123456789f123456789g1234",
       "01", "dcat-rdf", "http://a.example/", NULL, "name", "g1234"},
      {"ok", "17", "dcat-rdf", "http://a.example/", NULL, "state", "'17'"},
      {"ok", "00", "dcat-rdf", "http://a.example/", NULL, "state", "'00'"},
      {"ok", "Bund", "dcat-rdf", "http://a.example/", NULL, "state",
       "'Bund'"},
      {"ok", NULL, "dcat-rdf", "http://a.example/", NULL, "state", "''"},
      {"ok", "01", "ckan", "http://a.example/", NULL, "kind", "'ckan'"},
      {"ok", "01", "dcat-rdf", "ftp://a.example/", NULL, "url",
       "'ftp://a.example/'"},
      {"ok", "01", "dcat-rdf", "a.example/x", NULL, "url", "'a.example/x'"},
      {"ok", "01", "dcat-rdf", "http://", NULL, "url", "does not parse"},
      {"ok", "01", "dcat-rdf", "http://exa mple.org/", NULL, "url",
       "does not parse"},
      {"ok", "01", "dcat-rdf", NULL, NULL, "url", "missing"},
      {"ok", "01", "dcat-rdf", "http://a.example/", "json-ld", "format hint",
       "'json-ld'"},
  };
  fixture *f = *state;
  size_t i, n = 99;
  hv_source *list = NULL;
  hv_error lerr = HV_ERROR_INIT;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_error err = HV_ERROR_INIT;
    hv_source src = make_source(cases[i].name, cases[i].st);

    src.kind = (char *)cases[i].kind;
    src.url = (char *)cases[i].url;
    src.format_hint = (char *)cases[i].hint;
    if (hv_source_validate(&src, &err) != HV_EINVAL)
      fail_msg("case %zu: expected HV_EINVAL", i);
    if (!strstr(err.msg, cases[i].needle1) ||
        !strstr(err.msg, cases[i].needle2))
      fail_msg("case %zu: message '%s' lacks '%s' or '%s'", i, err.msg,
               cases[i].needle1, cases[i].needle2);
    /* add validates first and stores nothing. */
    assert_int_equal(hv_store_source_add(f->s, &src, &err), HV_EINVAL);
  }
  {
    /* A contributorID must be an IRI. */
    hv_error err = HV_ERROR_INIT;
    hv_source src = make_source("ok", "05");
    src.contributor_id = (char *)"openNRW";
    assert_int_equal(hv_source_validate(&src, &err), HV_EINVAL);
    assert_non_null(strstr(err.msg, "contributorID 'openNRW'"));
    src.contributor_id = (char *)"http://dcat-ap.de/def/contributors/openNRW";
    HV_ASSERT_OK(hv_source_validate(&src, &err), &err);
  }
  HV_ASSERT_OK(hv_store_source_list(f->s, &list, &n, &lerr), &lerr);
  assert_int_equal(n, 0);
  hv_source_list_free(list, n);

  /* The accepted edges. */
  {
    hv_error err = HV_ERROR_INIT;
    hv_source src = make_source(
        "a123456789b123456789c123456789d123456789e123456789f123456789g123",
        "16");

    src.url = (char *)"HTTP://Example.org:8080/dcat?x=1";
    src.format_hint = NULL;
    HV_ASSERT_OK(hv_source_validate(&src, &err), &err);
    src.format_hint = (char *)"ntriples";
    HV_ASSERT_OK(hv_source_validate(&src, &err), &err);
    src.name = (char *)"A.b_c-9";
    src.format_hint = (char *)"turtle";
    HV_ASSERT_OK(hv_source_validate(&src, &err), &err);
  }
}

static void state_keys(void **state)
{
  static const struct {
    const char *key;
    int valid;
  } cases[] = {
      {"01", 1}, {"09", 1},  {"10", 1},   {"16", 1},    {"bund", 1},
      {"00", 0}, {"17", 0},  {"20", 0},   {"1", 0},     {"001", 0},
      {"", 0},   {"BUND", 0}, {"bund ", 0}, {"1a", 0},  {NULL, 0},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    if (hv_state_valid(cases[i].key) != cases[i].valid)
      fail_msg("state '%s': expected %d", cases[i].key ? cases[i].key : "NULL",
               cases[i].valid);
}

/* ---- runs --------------------------------------------------------------- */

static void runs_begin_finish_list(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t a = add_source(f->s, "nw-open", "05");
  int64_t b = add_source(f->s, "hb-open", "04");
  int64_t r1, r2, r3, before = (int64_t)time(NULL);
  hv_run_row *rows = NULL;
  size_t n = 0;

  r1 = begin_run(f->s, a);
  r2 = begin_run(f->s, b);
  r3 = begin_run(f->s, a);
  HV_ASSERT_OK(hv_store_run_finish(f->s, r1, HV_RUN_OK, NULL, &err), &err);
  HV_ASSERT_OK(hv_store_run_finish(f->s, r3, HV_RUN_HELD,
                                   "3 of 5 datasets would go", &err),
               &err);

  HV_ASSERT_OK(hv_store_run_list(f->s, a, 10, &rows, &n, &err), &err);
  assert_int_equal(n, 2);
  assert_int_equal(rows[0].id, r3);
  assert_string_equal(rows[0].status, HV_RUN_HELD);
  assert_string_equal(rows[0].message, "3 of 5 datasets would go");
  assert_true(rows[0].finished_at >= before);
  assert_int_equal(rows[1].id, r1);
  assert_string_equal(rows[1].status, HV_RUN_OK);
  assert_null(rows[1].message);
  assert_int_equal(rows[1].source_id, a);
  assert_true(rows[1].started_at >= before);
  hv_run_list_free(rows, n);

  HV_ASSERT_OK(hv_store_run_list(f->s, a, 1, &rows, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0].id, r3);
  hv_run_list_free(rows, n);

  HV_ASSERT_OK(hv_store_run_list(f->s, b, 10, &rows, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_int_equal(rows[0].id, r2);
  assert_string_equal(rows[0].status, HV_RUN_RUNNING);
  assert_int_equal(rows[0].finished_at, 0);
  hv_run_list_free(rows, n);

  HV_ASSERT_OK(hv_store_run_list(f->s, 0, 0, &rows, &n, &err), &err);
  assert_int_equal(n, 3);
  hv_run_list_free(rows, n);

  assert_int_equal(hv_store_run_finish(f->s, r2, "done", NULL, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "'done'"));
  assert_int_equal(hv_store_run_finish(f->s, r2, HV_RUN_RUNNING, NULL, &err),
                   HV_EINVAL);
  assert_int_equal(hv_store_run_finish(f->s, 999, HV_RUN_OK, NULL, &err),
                   HV_ENOTFOUND);
  assert_string_equal(err.msg, "run 999 not found");
  assert_int_equal(hv_store_run_begin(f->s, 999, &r1, &err), HV_ENOTFOUND);
  assert_string_equal(err.msg, "source 999 not found");
}

/* ---- pages -------------------------------------------------------------- */

static void pages_put_get_keep(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "th-open", "16");
  int64_t r1 = begin_run(f->s, src), r2;
  hv_page_row row = {(char *)"\"v1\"", (char *)"Wed, 01 May 2024 10:00:00 GMT",
                     (char *)"aa11", (char *)"https://x.example/p2", 0, 3};
  hv_page_row got;
  size_t datasets = 99, dists = 99, active = 0, unseen = 0;

  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://x.example/p1", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_page_get(f->s, src, "https://x.example/p1", &got,
                                 &err),
               &err);
  assert_string_equal(got.etag, "\"v1\"");
  assert_string_equal(got.last_modified, "Wed, 01 May 2024 10:00:00 GMT");
  assert_string_equal(got.content_hash, "aa11");
  assert_string_equal(got.next_url, "https://x.example/p2");
  assert_int_equal(got.rejected, 3);
  hv_page_row_fini(&got);

  /* A put of a kept page leaves the count of its last decoding. */
  row.kept = 1;
  row.rejected = 0;
  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://x.example/p1", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_page_get(f->s, src, "https://x.example/p1", &got,
                                 &err),
               &err);
  assert_int_equal(got.rejected, 3);
  hv_page_row_fini(&got);
  row.kept = 0;

  /* A second put replaces the validators; NULLs stay NULL. */
  row.etag = NULL;
  row.next_url = NULL;
  row.content_hash = (char *)"bb22";
  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://x.example/p1", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_page_get(f->s, src, "https://x.example/p1", &got,
                                 &err),
               &err);
  assert_null(got.etag);
  assert_null(got.next_url);
  assert_string_equal(got.content_hash, "bb22");
  assert_int_equal(got.rejected, 0);
  hv_page_row_fini(&got);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM page"), 1);

  assert_int_equal(hv_store_page_get(f->s, src, "https://x.example/p9", &got,
                                     &err),
                   HV_ENOTFOUND);
  assert_non_null(strstr(err.msg, "https://x.example/p9"));

  /* Three datasets on p1, two on p2; then p1 is kept in run 2. */
  upsert(f->s, src, r1, "k1", "h1", "<a> <b> \"1\" .", "https://x.example/p1",
         2);
  upsert(f->s, src, r1, "k2", "h2", "<a> <b> \"2\" .", "https://x.example/p1",
         0);
  upsert(f->s, src, r1, "k3", "h3", "<a> <b> \"3\" .", "https://x.example/p1",
         5);
  upsert(f->s, src, r1, "k4", "h4", "<a> <b> \"4\" .", "https://x.example/p2",
         1);
  upsert(f->s, src, r1, "k5", "h5", "<a> <b> \"5\" .", "https://x.example/p2",
         1);
  r2 = begin_run(f->s, src);
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, "https://x.example/p1", r2,
                                  &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 3);
  assert_int_equal(dists, 7);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r2, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 5);
  assert_int_equal(unseen, 2);
  /* Kept datasets count as seen: upserting one now is a repeat. */
  assert_int_equal(upsert(f->s, src, r2, "k1", "h1", "<a> <b> \"1\" .",
                          "https://x.example/p1", 2),
                   HV_CHANGE_REPEATED);
  /* Keeping the page again in the same run counts nothing twice. */
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, "https://x.example/p1", r2,
                                  &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 0);
  assert_int_equal(dists, 0);
  /* A page nobody delivered from keeps nothing. */
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, "https://x.example/p7", r2,
                                  &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 0);
}

/* Records page url as processed in run (as the harvester does). */
static void put_page(hv_store *s, int64_t src, const char *url, int64_t run)
{
  hv_page_row row = {"\"etag\"", NULL, "content-hash", NULL, 0, 0};
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_store_page_put(s, src, url, &row, run, &err), &err);
}

static void keep_does_not_revive_what_vanished_from_the_page(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "st-open", "15");
  int64_t r1 = begin_run(f->s, src), r2, r3;
  const char *p1 = "https://st.example/1";
  size_t datasets = 0, dists = 0, active = 0, unseen = 0;

  upsert(f->s, src, r1, "a", "ha", "A", p1, 1);
  upsert(f->s, src, r1, "b", "hb", "B", p1, 1);
  put_page(f->s, src, p1, r1);
  /* Run 2 (held, so nothing deleted): the page no longer has "b". */
  r2 = begin_run(f->s, src);
  upsert(f->s, src, r2, "a", "ha", "A", p1, 1);
  put_page(f->s, src, p1, r2);
  /* Run 3: the page answers 304; "b" must stay unseen. */
  r3 = begin_run(f->s, src);
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, p1, r3, &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 1);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r3, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 2);
  assert_int_equal(unseen, 1);
}

static void moved_dataset_is_kept_by_its_new_page(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "bb-open", "12");
  int64_t r1 = begin_run(f->s, src), r2, r3;
  const char *p1 = "https://bb.example/1", *p2 = "https://bb.example/2";
  size_t datasets = 0, dists = 0;

  upsert(f->s, src, r1, "a", "ha", "A", p1, 2);
  upsert(f->s, src, r1, "b", "hb", "B", p1, 3);
  /* Run 2: "b" now comes, unchanged, from page 2. */
  r2 = begin_run(f->s, src);
  assert_int_equal(upsert(f->s, src, r2, "a", "ha", "A", p1, 2),
                   HV_CHANGE_UNCHANGED);
  assert_int_equal(upsert(f->s, src, r2, "b", "hb", "B", p2, 3),
                   HV_CHANGE_UNCHANGED);
  put_page(f->s, src, p1, r2);
  put_page(f->s, src, p2, r2);
  /* Run 3: both pages unchanged; each keeps only its own dataset. */
  r3 = begin_run(f->s, src);
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, p1, r3, &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 1);
  assert_int_equal(dists, 2);
  HV_ASSERT_OK(hv_store_page_keep(f->s, src, p2, r3, &datasets, &dists, &err),
               &err);
  assert_int_equal(datasets, 1);
  assert_int_equal(dists, 3);
}

static void page_of_unknown_source_is_estore(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_page_row row = {NULL, NULL, (char *)"cc", NULL, 0, 0};

  assert_int_equal(hv_store_page_put(f->s, 4242, "https://x.example/", &row,
                                     1, &err),
                   HV_ESTORE);
  assert_non_null(strstr(err.msg, "store: record page https://x.example/"));
  assert_non_null(strstr(err.msg, "FOREIGN KEY constraint failed"));
}

/* ---- datasets ----------------------------------------------------------- */

static void upsert_new_unchanged_updated_repeated(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "mv-open", "13");
  int64_t r1 = begin_run(f->s, src), r2, r3, r4, other;
  const char *p1 = "https://mv.example/p1", *p2 = "https://mv.example/p2";
  hv_dataset_row nokey = make_dataset("", "h", "x", p1, 0);
  hv_change ch;
  walk w;

  assert_int_equal(upsert(f->s, src, r1, "ds", "h1", "first", p1, 1),
                   HV_CHANGE_NEW);
  assert_int_equal(upsert(f->s, src, r1, "ds", "h9", "second copy", p1, 1),
                   HV_CHANGE_REPEATED);
  walk_store(f->s, src, &w);
  assert_string_equal(w.out.ptr, "ds|first|https://mv.example/p1\n");
  hv_buf_fini(&w.out);

  /*
   * Same hash in the next run: only last_seen_run (and the page) are
   * written, so a different payload under the same hash is not stored.
   */
  r2 = begin_run(f->s, src);
  assert_int_equal(upsert(f->s, src, r2, "ds", "h1", "ignored", p2, 1),
                   HV_CHANGE_UNCHANGED);
  walk_store(f->s, src, &w);
  assert_string_equal(w.out.ptr, "ds|first|https://mv.example/p2\n");
  hv_buf_fini(&w.out);
  assert_int_equal(raw_int(f->path, "SELECT last_seen_run FROM dataset"), r2);
  assert_int_equal(raw_int(f->path, "SELECT changed_run FROM dataset"), r1);

  r3 = begin_run(f->s, src);
  assert_int_equal(upsert(f->s, src, r3, "ds", "h2", "changed", p2, 4),
                   HV_CHANGE_UPDATED);
  assert_int_equal(upsert(f->s, src, r3, "ds", "h3", "later copy", p1, 4),
                   HV_CHANGE_REPEATED);
  walk_store(f->s, src, &w);
  assert_string_equal(w.out.ptr, "ds|changed|https://mv.example/p2\n");
  hv_buf_fini(&w.out);
  assert_int_equal(raw_int(f->path, "SELECT changed_run FROM dataset"), r3);
  assert_int_equal(raw_int(f->path, "SELECT first_run FROM dataset"), r1);
  assert_int_equal(raw_int(f->path, "SELECT distributions FROM dataset"), 4);

  /* The same key in another source is another dataset. */
  other = add_source(f->s, "other", "13");
  r4 = begin_run(f->s, other);
  assert_int_equal(upsert(f->s, other, r4, "ds", "h2", "changed", p2, 4),
                   HV_CHANGE_NEW);

  assert_int_equal(hv_store_dataset_upsert(f->s, src, r3, &nokey, &ch, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "without key"));
}

typedef struct payload_seen {
  size_t n;
  size_t len[4];
  char bytes[4][16];
} payload_seen;

static int record_payloads(const hv_dataset_row *row, void *payload)
{
  payload_seen *seen = payload;

  if (seen->n < 4 && row->payload_len <= sizeof(seen->bytes[0])) {
    seen->len[seen->n] = row->payload_len;
    memcpy(seen->bytes[seen->n], row->payload, row->payload_len);
  }
  seen->n++;
  return 0;
}

static void payload_with_embedded_nul_round_trips(void **state)
{
  fixture *f = *state;
  int64_t src = add_source(f->s, "nul", "02");
  int64_t r1 = begin_run(f->s, src);
  hv_dataset_row d = make_dataset("k", "h", "ab", "https://n.example/", 0);
  hv_error err = HV_ERROR_INIT;
  hv_change ch;

  payload_seen seen;

  /* payload_len, not strlen, decides what is stored. */
  d.payload = "abc\0def";
  d.payload_len = 7;
  HV_ASSERT_OK(hv_store_dataset_upsert(f->s, src, r1, &d, &ch, &err), &err);
  d.payload = "abcdef";
  d.payload_len = 3;
  d.key = "k2";
  HV_ASSERT_OK(hv_store_dataset_upsert(f->s, src, r1, &d, &ch, &err), &err);
  memset(&seen, 0, sizeof(seen));
  HV_ASSERT_OK(hv_store_dataset_foreach(f->s, src, record_payloads, &seen,
                                        &err),
               &err);
  assert_int_equal(seen.n, 2);
  assert_int_equal(seen.len[0], 7);
  assert_memory_equal(seen.bytes[0], "abc\0def", 7);
  assert_int_equal(seen.len[1], 3);
  assert_memory_equal(seen.bytes[1], "abc", 3);
  /* Stored as one compressed frame, not as the text. */
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dataset_payload"
                                    " WHERE typeof(payload) = 'blob'"),
                   2);
}

static void delete_unseen_counts_and_comeback(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "rp-open", "07");
  int64_t keep = add_source(f->s, "sl-open", "10");
  int64_t r1 = begin_run(f->s, src), r2, r3, rk = begin_run(f->s, keep);
  const char *p = "https://rp.example/";
  size_t active = 0, unseen = 0, deleted = 0;
  walk w;

  upsert(f->s, src, r1, "a", "ha", "A", p, 1);
  upsert(f->s, src, r1, "b", "hb", "B", p, 1);
  upsert(f->s, src, r1, "c", "hc", "C", p, 1);
  upsert(f->s, keep, rk, "z", "hz", "Z", p, 1);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r1, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 3);
  assert_int_equal(unseen, 0);
  HV_ASSERT_OK(hv_store_dataset_delete_unseen(f->s, src, r1, &deleted, &err),
               &err);
  assert_int_equal(deleted, 0);

  r2 = begin_run(f->s, src);
  upsert(f->s, src, r2, "b", "hb", "B", p, 1);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r2, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 3);
  assert_int_equal(unseen, 2);
  HV_ASSERT_OK(hv_store_dataset_delete_unseen(f->s, src, r2, &deleted, &err),
               &err);
  assert_int_equal(deleted, 2);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r2, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 1);
  assert_int_equal(unseen, 0);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dataset"
                                    " WHERE status = 'deleted'"),
                   2);
  /* The other source was not touched. */
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, keep, rk, &active, &unseen,
                                       &err),
               &err);
  assert_int_equal(active, 1);
  walk_store(f->s, src, &w);
  assert_string_equal(w.out.ptr, "b|B|https://rp.example/\n");
  hv_buf_fini(&w.out);

  /* A deleted dataset that comes back is new, even with the old hash. */
  r3 = begin_run(f->s, src);
  assert_int_equal(upsert(f->s, src, r3, "a", "ha", "A", p, 1),
                   HV_CHANGE_NEW);
  assert_int_equal(upsert(f->s, src, r3, "c", "hc2", "C2", p, 1),
                   HV_CHANGE_NEW);
  assert_int_equal(upsert(f->s, src, r3, "b", "hb", "B", p, 1),
                   HV_CHANGE_UNCHANGED);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r3, &active, &unseen, &err),
               &err);
  assert_int_equal(active, 3);
  assert_int_equal(unseen, 0);
  walk_store(f->s, src, &w);
  assert_string_equal(w.out.ptr, "a|A|https://rp.example/\n"
                                 "b|B|https://rp.example/\n"
                                 "c|C2|https://rp.example/\n");
  hv_buf_fini(&w.out);
}

static void foreach_orders_by_key_then_source(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t zs = add_source(f->s, "z-src", "03");
  int64_t as = add_source(f->s, "a-src", "03");
  int64_t rz = begin_run(f->s, zs), ra = begin_run(f->s, as);
  size_t deleted;
  walk w;

  /* Payloads name the source so the order of equal keys is visible. */
  upsert(f->s, zs, rz, "m", "1", "z", "pz", 0);
  upsert(f->s, zs, rz, "b", "1", "z", "pz", 0);
  upsert(f->s, as, ra, "m", "1", "a", "pa", 0);
  upsert(f->s, as, ra, "x", "1", "a", "pa", 0);
  upsert(f->s, as, ra, "b", "1", "a", "pa", 0);
  upsert(f->s, zs, rz, "gone", "1", "z", "pz", 0);

  walk_store(f->s, 0, &w);
  assert_string_equal(w.out.ptr, "b|a|pa\nb|z|pz\ngone|z|pz\nm|a|pa\n"
                                 "m|z|pz\nx|a|pa\n");
  hv_buf_fini(&w.out);

  walk_store(f->s, zs, &w);
  assert_string_equal(w.out.ptr, "b|z|pz\ngone|z|pz\nm|z|pz\n");
  hv_buf_fini(&w.out);

  /* Deleted datasets are not walked. */
  rz = begin_run(f->s, zs);
  upsert(f->s, zs, rz, "m", "1", "z", "pz", 0);
  upsert(f->s, zs, rz, "b", "1", "z", "pz", 0);
  HV_ASSERT_OK(hv_store_dataset_delete_unseen(f->s, zs, rz, &deleted, &err),
               &err);
  assert_int_equal(deleted, 1);
  walk_store(f->s, zs, &w);
  assert_string_equal(w.out.ptr, "b|z|pz\nm|z|pz\n");
  hv_buf_fini(&w.out);

  /* A negative callback return stops the walk and is returned. */
  hv_buf_init(&w.out, 1024);
  w.calls = 0;
  w.stop_after = 2;
  assert_int_equal(hv_store_dataset_foreach(f->s, 0, collect, &w,
                                            &err),
                   HV_ECANCELED);
  assert_int_equal(w.calls, 2);
  hv_buf_fini(&w.out);
}

/* ---- ledger and reports ------------------------------------------------- */

static hv_ledger_counts counts_of(int64_t unit)
{
  hv_ledger_counts c;

  memset(&c, 0, sizeof(c));
  c.requests = unit;
  c.bytes = unit * 1000;
  c.pages_fetched = unit;
  c.pages_not_modified = 2 * unit;
  c.pages_failed = 3 * unit;
  c.datasets_new = 4 * unit;
  c.datasets_updated = 5 * unit;
  c.datasets_unchanged = 6 * unit;
  c.datasets_deleted = 7 * unit;
  c.datasets_rejected = 8 * unit;
  c.distributions = 9 * unit;
  c.seconds = 0.5 * (double)unit;
  c.datasets_superseded = 10 * unit;
  c.findings_violations = 11 * unit;
  c.findings_warnings = 12 * unit;
  c.findings_infos = 13 * unit;
  return c;
}

static void assert_counts(const hv_ledger_counts *c, int64_t unit)
{
  assert_int_equal(c->requests, unit);
  assert_int_equal(c->bytes, unit * 1000);
  assert_int_equal(c->pages_fetched, unit);
  assert_int_equal(c->pages_not_modified, 2 * unit);
  assert_int_equal(c->pages_failed, 3 * unit);
  assert_int_equal(c->datasets_new, 4 * unit);
  assert_int_equal(c->datasets_updated, 5 * unit);
  assert_int_equal(c->datasets_unchanged, 6 * unit);
  assert_int_equal(c->datasets_deleted, 7 * unit);
  assert_int_equal(c->datasets_rejected, 8 * unit);
  assert_int_equal(c->distributions, 9 * unit);
  assert_int_equal(c->datasets_superseded, 10 * unit);
  assert_int_equal(c->findings_violations, 11 * unit);
  assert_int_equal(c->findings_warnings, 12 * unit);
  assert_int_equal(c->findings_infos, 13 * unit);
  assert_true(c->seconds > 0.5 * (double)unit - 1e-9 &&
              c->seconds < 0.5 * (double)unit + 1e-9);
}

static void ledger_accumulates_per_run_source_state(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "st-open", "15");
  int64_t r1 = begin_run(f->s, src), r2 = begin_run(f->s, src);
  hv_ledger_counts one = counts_of(1), two = counts_of(2), sum;
  char sql[128];

  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "15", &one, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "15", &two, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "bund", &one, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r2, src, "15", &two, &err), &err);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM ledger"), 3);
  snprintf(sql, sizeof(sql),
           "SELECT requests FROM ledger WHERE state = '15' AND run_id = %lld",
           (long long)r1);
  assert_int_equal(raw_int(f->path, sql), 3);

  HV_ASSERT_OK(hv_store_ledger_run(f->s, r1, &sum, &err), &err);
  assert_counts(&sum, 4);
  HV_ASSERT_OK(hv_store_ledger_run(f->s, r2, &sum, &err), &err);
  assert_counts(&sum, 2);
  /* A run without ledger rows sums to zero. */
  HV_ASSERT_OK(hv_store_ledger_run(f->s, 777, &sum, &err), &err);
  assert_int_equal(sum.requests, 0);
  assert_true(sum.seconds == 0.0);

  assert_int_equal(hv_store_ledger_add(f->s, r1, src, "99", &one, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "'99'"));
}

static void report_volumes_by_state_and_period(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t be1 = add_source(f->s, "be-a", "11");
  int64_t be2 = add_source(f->s, "be-b", "11");
  int64_t hh = add_source(f->s, "hh-a", "02");
  int64_t r_old = begin_run(f->s, be1), r_be1 = begin_run(f->s, be1);
  int64_t r_be2 = begin_run(f->s, be2), r_hh = begin_run(f->s, hh);
  hv_ledger_counts one = counts_of(1), ten = counts_of(10);
  hv_volume_row *rows = NULL;
  size_t n = 0;
  char sql[128];

  HV_ASSERT_OK(hv_store_ledger_add(f->s, r_old, be1, "11", &ten, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r_be1, be1, "11", &one, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r_be2, be2, "11", &one, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r_hh, hh, "02", &one, &err), &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r_hh, hh, "02", &one, &err), &err);

  /* Place the runs in time: the old one in 2023, the others in 2024. */
  snprintf(sql, sizeof(sql),
           "UPDATE run SET started_at = 1680000000 WHERE id = %lld",
           (long long)r_old);
  raw_exec(f->path, sql);
  raw_exec(f->path, "UPDATE run SET started_at = 1710000000"
                    " WHERE started_at > 1700000000");

  HV_ASSERT_OK(hv_store_report_volumes(f->s, 0, 0, &rows, &n, &err), &err);
  assert_int_equal(n, 2);
  assert_string_equal(rows[0].state, "02");
  assert_int_equal(rows[0].sources, 1);
  assert_int_equal(rows[0].runs, 1);
  assert_counts(&rows[0].counts, 2);
  assert_string_equal(rows[1].state, "11");
  assert_int_equal(rows[1].sources, 2);
  assert_int_equal(rows[1].runs, 3);
  assert_counts(&rows[1].counts, 12);
  hv_free(rows);

  /* 2024 only: [2024-01-01, open). */
  HV_ASSERT_OK(hv_store_report_volumes(f->s, 1704067200, 0, &rows, &n, &err),
               &err);
  assert_int_equal(n, 2);
  assert_int_equal(rows[1].runs, 2);
  assert_int_equal(rows[1].sources, 2);
  assert_counts(&rows[1].counts, 2);
  hv_free(rows);

  /* Before the 2024 runs: [open, 1710000000); the end is exclusive. */
  HV_ASSERT_OK(hv_store_report_volumes(f->s, 0, 1710000000, &rows, &n, &err),
               &err);
  assert_int_equal(n, 1);
  assert_string_equal(rows[0].state, "11");
  assert_int_equal(rows[0].sources, 1);
  assert_int_equal(rows[0].runs, 1);
  assert_counts(&rows[0].counts, 10);
  hv_free(rows);

  /* The start is inclusive. */
  HV_ASSERT_OK(hv_store_report_volumes(f->s, 1710000000, 1710000001, &rows,
                                       &n, &err),
               &err);
  assert_int_equal(n, 2);
  hv_free(rows);

  /* An empty period. */
  HV_ASSERT_OK(hv_store_report_volumes(f->s, 1500000000, 1600000000, &rows,
                                       &n, &err),
               &err);
  assert_int_equal(n, 0);
  hv_free(rows);
}

static void source_removal_keeps_ledger_and_runs(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "ni-open", "03");
  int64_t r1 = begin_run(f->s, src);
  hv_ledger_counts three = counts_of(3), sum;
  hv_page_row row = {NULL, NULL, (char *)"dd", NULL, 0, 0};
  hv_page_row got;
  hv_volume_row *rows = NULL;
  hv_run_row *runs = NULL;
  size_t n = 0;
  char name[32];
  walk w;

  upsert(f->s, src, r1, "a", "ha", "A", "https://ni.example/", 1);
  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://ni.example/", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "03", &three, &err), &err);
  HV_ASSERT_OK(hv_store_run_finish(f->s, r1, HV_RUN_OK, NULL, &err), &err);

  HV_ASSERT_OK(hv_store_source_remove(f->s, "ni-open", &err), &err);

  /* Pages and datasets went with the source... */
  assert_int_equal(hv_store_page_get(f->s, src, "https://ni.example/", &got,
                                     &err),
                   HV_ENOTFOUND);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dataset"), 0);
  walk_store(f->s, 0, &w);
  assert_int_equal(w.calls, 0);
  hv_buf_fini(&w.out);

  /* ...the volumes and the run stay, still naming the source. */
  HV_ASSERT_OK(hv_store_ledger_run(f->s, r1, &sum, &err), &err);
  assert_counts(&sum, 3);
  HV_ASSERT_OK(hv_store_report_volumes(f->s, 0, 0, &rows, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_string_equal(rows[0].state, "03");
  assert_counts(&rows[0].counts, 3);
  hv_free(rows);
  HV_ASSERT_OK(hv_store_run_list(f->s, src, 5, &runs, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_string_equal(runs[0].status, HV_RUN_OK);
  hv_run_list_free(runs, n);
  raw_text(f->path, "SELECT source_name FROM ledger", name, sizeof(name));
  assert_string_equal(name, "ni-open");
  raw_text(f->path, "SELECT source_name FROM run", name, sizeof(name));
  assert_string_equal(name, "ni-open");

  /* The name is free again and gets a new id. */
  assert_true(add_source(f->s, "ni-open", "03") != src);
}

/* ---- transactions ------------------------------------------------------- */

static void rollback_discards_a_pages_writes(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "sh-open", "01");
  int64_t r1 = begin_run(f->s, src);
  hv_ledger_counts one = counts_of(1), sum;
  hv_page_row row = {(char *)"\"e\"", NULL, (char *)"ee", NULL, 0, 0};
  hv_page_row got;
  size_t active = 0;

  /* Rolling back outside a transaction does nothing. */
  hv_store_rollback(f->s);

  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  assert_int_equal(hv_store_begin(f->s, &err), HV_ESTORE);
  assert_non_null(strstr(err.msg, "store: begin transaction"));
  upsert(f->s, src, r1, "a", "ha", "A", "https://sh.example/1", 1);
  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://sh.example/1", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "01", &one, &err), &err);
  hv_store_rollback(f->s);

  assert_int_equal(hv_store_page_get(f->s, src, "https://sh.example/1", &got,
                                     &err),
                   HV_ENOTFOUND);
  HV_ASSERT_OK(hv_store_dataset_counts(f->s, src, r1, &active, NULL, &err),
               &err);
  assert_int_equal(active, 0);
  HV_ASSERT_OK(hv_store_ledger_run(f->s, r1, &sum, &err), &err);
  assert_int_equal(sum.requests, 0);

  /* The same writes committed are there, also for another connection. */
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  assert_int_equal(upsert(f->s, src, r1, "a", "ha", "A",
                          "https://sh.example/1", 1),
                   HV_CHANGE_NEW);
  HV_ASSERT_OK(hv_store_page_put(f->s, src, "https://sh.example/1", &row, r1,
                                 &err),
               &err);
  HV_ASSERT_OK(hv_store_ledger_add(f->s, r1, src, "01", &one, &err), &err);
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dataset"), 1);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM page"), 1);
  assert_int_equal(raw_int(f->path, "SELECT requests FROM ledger"), 1);
  assert_int_equal(hv_store_commit(f->s, &err), HV_ESTORE);
}

/* ---- out of memory ------------------------------------------------------ */

static void open_fails_cleanly_when_memory_runs_out(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  char *path = path_in(f->dir, "oom.db");
  hv_store *s = NULL;
  long n;
  int rc = -1, failures = 0;

  for (n = 0; n < 50; n++) {
    hv_alloc_fail_after(n);
    rc = hv_store_open(&s, path, &err);
    hv_alloc_fail_reset();
    if (rc == 0)
      break;
    assert_int_equal(rc, HV_ENOMEM);
    assert_null(s);
    failures++;
  }
  assert_int_equal(rc, 0);
  assert_true(failures >= 1);
  assert_int_equal(hv_store_schema_version(s),
                   (int)hv__store_migration_count);
  hv_store_close(s);
  hv_free(path);
}

static void reads_fail_cleanly_when_memory_runs_out(void **state)
{
  fixture *f = *state;
  hv_error err = HV_ERROR_INIT;
  hv_source *list = NULL, got;
  hv_run_row *runs = NULL;
  size_t n = 0;
  long k;
  int rc = -1, failures = 0;
  int64_t src = add_source(f->s, "oom-a", "08");

  add_source(f->s, "oom-b", "08");
  begin_run(f->s, src);
  for (k = 0; k < 100; k++) {
    hv_alloc_fail_after(k);
    rc = hv_store_source_list(f->s, &list, &n, &err);
    hv_alloc_fail_reset();
    if (rc == 0)
      break;
    assert_int_equal(rc, HV_ENOMEM);
    assert_string_equal(err.msg, "out of memory");
    failures++;
  }
  assert_int_equal(rc, 0);
  assert_int_equal(n, 2);
  assert_true(failures >= 11); /* the array, five strings per source */
  hv_source_list_free(list, n);

  for (k = 0; k < 100; k++) {
    hv_alloc_fail_after(k);
    rc = hv_store_source_get(f->s, "oom-a", &got, &err);
    hv_alloc_fail_reset();
    if (rc == 0)
      break;
    assert_int_equal(rc, HV_ENOMEM);
  }
  assert_int_equal(rc, 0);
  hv_source_fini(&got);

  for (k = 0; k < 100; k++) {
    hv_alloc_fail_after(k);
    rc = hv_store_run_list(f->s, src, 0, &runs, &n, &err);
    hv_alloc_fail_reset();
    if (rc == 0)
      break;
    assert_int_equal(rc, HV_ENOMEM);
  }
  assert_int_equal(rc, 0);
  assert_int_equal(n, 1);
  hv_run_list_free(runs, n);
}

/* ---- throughput (by hand) ----------------------------------------------- */

/*
 * Times 100,000 upserts of distinct datasets in 1,000 transactions of
 * 100, then the same again as an unchanged second run, on a fresh file.
 */
static int throughput(void)
{
  hv_error err = HV_ERROR_INIT;
  char *dir = hv_test_tmpdir(), *path = NULL;
  hv_store *s = NULL;
  hv_source src = make_source("bench", "11");
  char key[64], hash[HV_SHA256_HEX_LEN + 1], payload[512];
  int64_t run;
  struct timespec t0, t1;
  int pass, page, i, rc = 1;

  if (!dir || !(path = path_in(dir, "bench.db")) ||
      hv_store_open(&s, path, &err) < 0 ||
      hv_store_source_add(s, &src, &err) < 0)
    goto cleanup;
  for (pass = 0; pass < 2; pass++) {
    if (hv_store_run_begin(s, src.id, &run, &err) < 0)
      goto cleanup;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (page = 0; page < 1000; page++) {
      if (hv_store_begin(s, &err) < 0)
        goto cleanup;
      for (i = 0; i < 100; i++) {
        hv_dataset_row d;
        hv_change ch;
        int n = page * 100 + i;

        snprintf(key, sizeof(key), "https://bench.example/dataset/%d", n);
        snprintf(payload, sizeof(payload),
                 "<%s> <http://purl.org/dc/terms/title> \"Datensatz %d\" .\n"
                 "<%s> <http://www.w3.org/ns/dcat#distribution> _:d%d .\n",
                 key, n, key, n);
        hv_sha256_hex(payload, strlen(payload), hash);
        d = make_dataset(key, hash, payload, "https://bench.example/p", 1);
        if (hv_store_dataset_upsert(s, src.id, run, &d, &ch, &err) < 0)
          goto cleanup;
        if (ch != (pass == 0 ? HV_CHANGE_NEW : HV_CHANGE_UNCHANGED)) {
          hv_error_set(&err, HV_EINVAL, "unexpected change %d", (int)ch);
          goto cleanup;
        }
      }
      if (hv_store_commit(s, &err) < 0)
        goto cleanup;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%s run: 100000 upserts in 1000 transactions: %.3f s\n",
           pass == 0 ? "first (all new)" : "second (all unchanged)",
           (double)(t1.tv_sec - t0.tv_sec) +
               (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
  }
  rc = 0;

cleanup:
  if (rc)
    fprintf(stderr, "throughput: %s\n", err.msg);
  hv_store_close(s);
  hv_test_rmtree(dir);
  hv_free(path);
  hv_free(dir);
  return rc;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

static off_t file_size(const char *path)
{
  struct stat st;

  return stat(path, &st) == 0 ? st.st_size : -1;
}

/* With a checkpointer, commits stay in the log until it runs; then they
 * reach the database file, and the store keeps working throughout. */
static void checkpointer_moves_the_log_into_the_file(void **state)
{
  fixture *f = *state;
  hv_store_checkpointer *c = NULL;
  hv_error err = HV_ERROR_INIT;
  int64_t src = add_source(f->s, "ck", "03");
  int64_t run = begin_run(f->s, src);
  char key[32], payload[4096];
  off_t before, after;
  int i;

  HV_ASSERT_OK(hv_store_checkpointer_open(&c, f->s, &err), &err);
  /* Text that does not compress, so the file size shows where it is. */
  {
    unsigned x = 12345;
    size_t k;
    for (k = 0; k + 1 < sizeof(payload); k++) {
      x = x * 1103515245u + 12345u;
      payload[k] = (char)('!' + (x >> 16) % 90);
    }
    payload[sizeof(payload) - 1] = '\0';
  }
  HV_ASSERT_OK(hv_store_begin(f->s, &err), &err);
  for (i = 0; i < 200; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    upsert(f->s, src, run, key, "h", payload, "https://ck.example/1", 1);
  }
  HV_ASSERT_OK(hv_store_commit(f->s, &err), &err);
  before = file_size(f->path);
  assert_true(before >= 0 && before < 200 * 4096);
  HV_ASSERT_OK(hv_store_checkpoint(c, &err), &err);
  after = file_size(f->path);
  assert_true(after >= 200 * 4096);
  hv_store_checkpointer_close(c);
  assert_int_equal(raw_int(f->path, "SELECT count(*) FROM dataset_payload"),
                   200);
}

int main(int argc, char **argv)
{
  const struct CMUnitTest tests[] = {
      T(migrations_apply_and_reopen_is_idempotent),
      T(newer_file_is_refused),
      T(unopenable_path_names_the_path),
      T(source_add_get_list_remove),
      T(source_list_of_empty_store_is_empty),
      T(duplicate_source_name_is_eexists),
      T(invalid_source_fields_are_named),
      T(state_keys),
      T(runs_begin_finish_list),
      T(pages_put_get_keep),
      T(keep_does_not_revive_what_vanished_from_the_page),
      T(moved_dataset_is_kept_by_its_new_page),
      T(page_of_unknown_source_is_estore),
      T(upsert_new_unchanged_updated_repeated),
      T(payload_with_embedded_nul_round_trips),
      T(delete_unseen_counts_and_comeback),
      T(foreach_orders_by_key_then_source),
      T(ledger_accumulates_per_run_source_state),
      T(report_volumes_by_state_and_period),
      T(source_removal_keeps_ledger_and_runs),
      T(rollback_discards_a_pages_writes),
      T(checkpointer_moves_the_log_into_the_file),
      T(open_fails_cleanly_when_memory_runs_out),
      T(reads_fail_cleanly_when_memory_runs_out),
  };

  if (argc > 1 && strcmp(argv[1], "--throughput") == 0)
    return throughput();
  return cmocka_run_group_tests(tests, NULL, NULL);
}
