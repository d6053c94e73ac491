/*
 * Unit tests of the findings writer (store/findings.c): a dataset's
 * findings are one JSON row behind the `finding` view, so every string a
 * stage may produce (quotes, backslashes, control characters, UTF-8,
 * absent values) must come back out of the view exactly as it went in,
 * in the order it was recorded.
 */
#include "tools/hvtest.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map/map.h"
#include "store/store.h"
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
  for (i = 0; i < 40000; i++)
    HV_ASSERT_OK(hv_findings_add(&list, "check.recommended",
                                 HV_SEVERITY_WARNING, NULL, NULL, NULL, NULL,
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
  hv_findings_fini(&list);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(strings_round_trip_through_the_view),
      T(no_findings_leave_no_row_and_replace_old_ones),
      T(too_many_findings_keep_the_first_and_exact_counts),
#undef T
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
