/*
 * Internals shared by the store's own files (store.c: open, statements,
 * transactions, checkpoints; registry.c: sources and runs; datasets.c:
 * pages and datasets; ledger.c: counts and reports; migrations.c: the
 * schema; rows.c: reading result rows into arrays and payloads). Nothing
 * outside harvester/store includes this.
 */
#ifndef HV_STORE_STORE_INT_H
#define HV_STORE_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/* One schema step: a name for messages and the SQL that performs it. */
typedef struct hv__store_migration {
  const char *name; /* short description, shown when a step fails */
  const char *sql;  /* one or more statements, run in one transaction */
} hv__store_migration;

/*
 * The migrations in the order they are applied. Step i (0-based) brings
 * the schema to version i + 1, which is stored in PRAGMA user_version.
 * Steps are only ever appended; a released step is never edited.
 */
extern const hv__store_migration hv__store_migrations[];
extern const size_t hv__store_migration_count;

/*
 * The cached statements. The enum and the SQL table are kept in the same
 * order; a statement's name in messages is the "what" of its caller.
 */
enum {
  ST_SOURCE_INSERT,
  ST_SOURCE_GET,
  ST_SOURCE_DELETE,
  ST_RUN_INSERT,
  ST_RUN_FINISH,
  ST_PAGE_GET,
  ST_PAGE_PUT,
  ST_PAGE_KEEP,
  ST_PAGE_MARK,
  ST_PAYLOAD_PUT,
  ST_DS_SELECT,
  ST_DS_INSERT,
  ST_DS_UPDATE,
  ST_DS_TOUCH,
  ST_DS_MOVE,
  ST_DS_COUNTS,
  ST_LEDGER_ADD,
  ST_LEDGER_RUN,
  ST_COUNT
};

struct hv_store {
  sqlite3 *db;
  int version;                   /* migrations applied */
  sqlite3_stmt *stmts[ST_COUNT]; /* prepared on first use, NULL before */
  hv_buf payload;                /* (de)compression scratch, reused */
};

/* Longest value quoted back in a validation message. */
#define QUOTE_MAX 80

/*
 * The ledger's count columns, summed, in hv_ledger_counts order. The
 * columns added later come last, so readers of the first twelve keep
 * their column numbers.
 */
#define LEDGER_SUMS                                                         \
  "sum(requests), sum(bytes), sum(pages_fetched), sum(pages_not_modified),"  \
  " sum(pages_failed), sum(datasets_new), sum(datasets_updated),"            \
  " sum(datasets_unchanged), sum(datasets_deleted), sum(datasets_rejected)," \
  " sum(distributions), total(seconds), sum(datasets_superseded),"           \
  " sum(findings_violations), sum(findings_warnings), sum(findings_infos)"

/* Bounds a stored payload, compressed or not. */
#define MAX_PAYLOAD ((size_t)64 << 20)

/* Reports the connection's last SQLite error as HV_ESTORE. */
int hv__store_fail(hv_store *s, hv_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the cached statement id, reset and unbound, preparing it once. */
int hv__store_stmt(hv_store *s, int id, sqlite3_stmt **out, hv_error *err);

/* Releases a cached statement's snapshot and bindings; NULL-safe. */
void hv__store_stmt_done(sqlite3_stmt *st);

/* Binds s as text, or SQL NULL for NULL; the string outlives the step. */
int hv__store_bind_text(sqlite3_stmt *st, int i, const char *s);

/* Copies text column i into *out (NULL for SQL NULL). */
int hv__store_column_dup(sqlite3_stmt *st, int i, char **out, hv_error *err);

/* Runs SQL without results (pragmas, transaction control, migrations). */
int hv__store_exec(hv_store *s, const char *sql, const char *what,
                   hv_error *err);

/* Reads a single-integer pragma or query into *out. */
int hv__store_query_int(hv_store *s, const char *sql, const char *what,
                        int64_t *out, hv_error *err);

/* Prepares a one-off statement into *out (NULL on failure), reporting a
 * failure as what. The caller finalizes *out. */
int hv__store_prepare(hv_store *s, const char *sql, sqlite3_stmt **out,
                      const char *what, hv_error *err);

/* Copies text column i into the fixed buffer dst of cap bytes,
 * truncating; SQL NULL becomes "". */
void hv__store_column_copy(sqlite3_stmt *st, int i, char *dst, size_t cap);

/*
 * Makes *items (an array of len elements of elem bytes, with room for
 * *cap) hold one more, doubling its room. On HV_ENOMEM *items and *cap
 * are left as they were, so the caller still owns and frees the array.
 */
int hv__store_grow(void **items, size_t *cap, size_t len, size_t elem,
                   hv_error *err);

/* Fills elem (zeroed) from the current row of st; may own what it sets. */
typedef int (*hv__store_row_reader)(sqlite3_stmt *st, void *elem,
                                    hv_error *err);

/*
 * Steps the prepared SELECT st to its end, reading each row into a new
 * element of elem bytes with one_row. On success *out (owned by the
 * caller; NULL when there are no rows) and *n_out are set. On failure
 * the rows read so far, including one that failed half way, are
 * released with free_list (or hv_free when free_list is NULL), and a
 * step failure is reported as what. st stays the caller's to finalize.
 */
int hv__store_collect(hv_store *s, sqlite3_stmt *st, size_t elem,
                      hv__store_row_reader one_row,
                      void (*free_list)(void *, size_t), void **out,
                      size_t *n_out, const char *what, hv_error *err);

/*
 * Prepares the parameterless SELECT sql and collects its rows as
 * hv__store_collect does, finalizing the statement; what names both a
 * failed prepare and a failed step.
 */
int hv__store_select(hv_store *s, const char *sql, size_t elem,
                     hv__store_row_reader one_row,
                     void (*free_list)(void *, size_t), void **out,
                     size_t *n_out, const char *what, hv_error *err);

/*
 * Decompresses the stored payload in column i of st into s->payload
 * (reset first; valid until the next use of the scratch buffer). A
 * failure names the dataset key.
 */
int hv__store_column_payload(hv_store *s, sqlite3_stmt *st, int i,
                             const char *key, hv_error *err);

/*
 * Reads the sixteen ledger count columns, in LEDGER_SUMS order (summed
 * or per row), starting at column first of st into *out.
 */
void hv__store_ledger_counts_from_row(sqlite3_stmt *st, int first,
                                      hv_ledger_counts *out);

/*
 * Runs the one-row query sql with text (or SQL NULL) bound to ?1 and
 * reads its first column into *out; what names a failure. Lives in
 * outbox.c, shared with publish.c.
 */
int hv__store_int_for(hv_store *s, const char *sql, const char *text,
                      int64_t *out, const char *what, hv_error *err);

/*
 * Steps st, a walk whose columns are key, uri, identifier, modified,
 * hash, payload, distributions, page_url and violations, handing each
 * row (valid during the call) to cb; a negative cb result ends the walk
 * and is returned. A failed step is reported as what. st stays the
 * caller's to finalize. Lives in datasets.c, shared with publish.c.
 */
int hv__store_walk_datasets(hv_store *s, sqlite3_stmt *st, hv_dataset_cb cb,
                            void *payload, const char *what, hv_error *err);

#endif
