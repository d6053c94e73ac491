/*
 * The helpers the store's files share for reading result rows: preparing
 * a one-off statement, copying text into fixed fields, and collecting
 * the rows of a SELECT into a growing array. Each list reader of the
 * store used to repeat the same grow, step and clean-up loop; keeping it
 * here means one place decides how partial results are released.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "util/alloc.h"
#include "util/compress.h"

int hv__store_prepare(hv_store *s, const char *sql, sqlite3_stmt **out,
                      const char *what, hv_error *err)
{
  if (sqlite3_prepare_v2(s->db, sql, -1, out, NULL) != SQLITE_OK) {
    *out = NULL;
    return hv__store_fail(s, err, "%s", what);
  }
  return 0;
}

void hv__store_column_copy(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
  const unsigned char *t = sqlite3_column_text(st, i);

  snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

int hv__store_grow(void **items, size_t *cap, size_t len, size_t elem,
                   hv_error *err)
{
  size_t ncap = *cap ? 2 * *cap : 16;
  void *p;

  if (len < *cap)
    return 0;
  if (!(p = hv_realloc(*items, ncap * elem)))
    return hv_error_oom(err);
  *items = p;
  *cap = ncap;
  return 0;
}

int hv__store_collect(hv_store *s, sqlite3_stmt *st, size_t elem,
                      hv__store_row_reader one_row,
                      void (*free_list)(void *, size_t), void **out,
                      size_t *n_out, const char *what, hv_error *err)
{
  void *list = NULL;
  size_t n = 0, cap = 0;
  int rc = 0, step;

  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    char *row;

    if ((rc = hv__store_grow(&list, &cap, n, elem, err)) < 0)
      goto cleanup;
    row = (char *)list + n * elem;
    memset(row, 0, elem);
    rc = one_row(st, row, err);
    n++; /* a row that failed half way is freed with the rest */
    if (rc < 0)
      goto cleanup;
  }
  if (step != SQLITE_DONE) {
    rc = hv__store_fail(s, err, "%s", what);
    goto cleanup;
  }
  *out = list;
  *n_out = n;
  list = NULL;

cleanup:
  if (list && free_list)
    free_list(list, n);
  else
    hv_free(list);
  return rc;
}

int hv__store_select(hv_store *s, const char *sql, size_t elem,
                     hv__store_row_reader one_row,
                     void (*free_list)(void *, size_t), void **out,
                     size_t *n_out, const char *what, hv_error *err)
{
  sqlite3_stmt *st = NULL;
  int rc;

  if ((rc = hv__store_prepare(s, sql, &st, what, err)) == 0)
    rc = hv__store_collect(s, st, elem, one_row, free_list, out, n_out, what,
                           err);
  sqlite3_finalize(st);
  return rc;
}

int hv__store_column_payload(hv_store *s, sqlite3_stmt *st, int i,
                             const char *key, hv_error *err)
{
  int rc;

  hv_buf_reset(&s->payload);
  if ((rc = hv_decompress(&s->payload, sqlite3_column_blob(st, i),
                          (size_t)sqlite3_column_bytes(st, i), err)) < 0)
    hv_error_prefix(err, "store: payload of dataset '%s': ", key);
  return rc;
}
