/*
 * The store: govharvest's durable state behind one small interface.
 *
 * The embedded backend is one SQLite file in WAL mode. The schema is
 * created and migrated in code (store/migrations.c), one numbered step
 * at a time, so an old file opens under a new binary. Exactly one thread
 * (the loop thread) uses a store handle; SQLite has one writer, and every
 * page's reconcile result and the ledger rows counting it are written in
 * one transaction (hv_store_begin / hv_store_commit).
 */
#ifndef HV_STORE_STORE_H
#define HV_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct hv_store hv_store;

/*
 * Opens (creating and migrating if needed) the store at path. *out is
 * written only on success and is closed with hv_store_close. A file whose
 * schema version is newer than this binary's is refused with HV_ESTORE.
 */
int hv_store_open(hv_store **out, const char *path, hv_error *err);
/* NULL-safe; rolls back a transaction still open. */
void hv_store_close(hv_store *s);

/* Schema version of an open store (the number of migrations applied). */
int hv_store_schema_version(hv_store *s);

/*
 * Transactions do not nest: a begin inside a transaction is HV_ESTORE.
 * begin takes the write lock at once (waiting up to the busy timeout).
 */
/* ---- checkpoints ------------------------------------------------------ */

/*
 * In WAL mode a commit only appends to the log; the fsyncs happen when
 * the log is copied back into the database file (a checkpoint). By
 * default SQLite checkpoints inside whichever commit crosses the log's
 * size limit, which would stall the loop thread on the disk. A harvest
 * instead turns automatic checkpoints off on its store and runs them
 * from a pool thread through a second connection of its own.
 */
typedef struct hv_store_checkpointer hv_store_checkpointer;

/*
 * Opens a checkpointer for the database of s and turns s's automatic
 * checkpoints off (hv_store_checkpointer_close turns them back on).
 */
int hv_store_checkpointer_open(hv_store_checkpointer **out, hv_store *s,
                               hv_error *err);

/*
 * Copies what it can of the log into the database file without blocking
 * the writer (a PASSIVE checkpoint). Safe on another thread than the
 * store's, one call at a time.
 */
int hv_store_checkpoint(hv_store_checkpointer *c, hv_error *err);

/* Closes the checkpointer and restores s's automatic checkpoints. */
void hv_store_checkpointer_close(hv_store_checkpointer *c);

int hv_store_begin(hv_store *s, hv_error *err);
int hv_store_commit(hv_store *s, hv_error *err);
void hv_store_rollback(hv_store *s); /* no-op outside a transaction */

/* ---- sources ---------------------------------------------------------- */

typedef struct hv_source {
  int64_t id;
  char *name;           /* unique, [A-Za-z0-9._-], 1..64 chars */
  char *state;          /* "01".."16" or "bund" */
  char *kind;           /* "dcat-rdf" */
  char *url;            /* first page */
  char *format_hint;    /* NULL, "rdfxml", "turtle" or "ntriples" */
  char *contributor_id; /* dcat-ap.de contributor IRI or NULL */
  int priority;         /* higher wins ties in dedup; default 0 */
  int enabled;          /* 0: skipped by `run --all` and `--state` */
  int64_t created_at;   /* unix seconds */
} hv_source;

/* Frees the strings of src (not src itself). NULL-safe. */
void hv_source_fini(hv_source *src);

/*
 * Checks a source's fields (name syntax, state key, kind, URL scheme,
 * format hint) and returns 0 or HV_EINVAL naming the field and value.
 */
int hv_source_validate(const hv_source *src, hv_error *err);

/* Returns 1 for "01".."16" and "bund", else 0. */
int hv_state_valid(const char *state);

/*
 * Adds src (validated first); sets src->id and src->created_at (now).
 * HV_EEXISTS if the name is taken.
 */
int hv_store_source_add(hv_store *s, hv_source *src, hv_error *err);

/* Fills *out (caller runs hv_source_fini) or returns HV_ENOTFOUND. */
int hv_store_source_get(hv_store *s, const char *name, hv_source *out,
                        hv_error *err);

/* All sources ordered by name; free with hv_source_list_free. */
int hv_store_source_list(hv_store *s, hv_source **out, size_t *n_out,
                         hv_error *err);
void hv_source_list_free(hv_source *list, size_t n);

/*
 * Removes the source with its pages and dataset rows; its ledger rows
 * stay, because volumes already counted must not change. HV_ENOTFOUND.
 */
int hv_store_source_remove(hv_store *s, const char *name, hv_error *err);

/* ---- runs ------------------------------------------------------------- */

/* Run statuses as stored. */
#define HV_RUN_RUNNING "running"
#define HV_RUN_OK "ok"         /* complete; deletions applied */
#define HV_RUN_FAILED "failed" /* some page failed; nothing deleted */
#define HV_RUN_HELD "held"     /* deletions over the share; none applied */

typedef struct hv_run_row {
  int64_t id;
  int64_t source_id;
  char *status;
  char *message; /* NULL or one line: first error, hold reason */
  int64_t started_at, finished_at; /* unix seconds; finished 0 if running */
} hv_run_row;

/*
 * Starts a run of source_id with status "running" and the source's name
 * kept on the row (runs outlive their source). HV_ENOTFOUND if no source.
 */
int hv_store_run_begin(hv_store *s, int64_t source_id, int64_t *run_id_out,
                       hv_error *err);
/* Sets the final status (an HV_RUN_* value) and message; HV_ENOTFOUND. */
int hv_store_run_finish(hv_store *s, int64_t run_id, const char *status,
                        const char *message, hv_error *err);
/*
 * Newest first, at most limit rows (0: all) of source_id (<= 0: of all
 * sources); free with hv_run_list_free.
 */
int hv_store_run_list(hv_store *s, int64_t source_id, size_t limit,
                      hv_run_row **out, size_t *n_out, hv_error *err);
void hv_run_list_free(hv_run_row *rows, size_t n);

/* ---- pages ------------------------------------------------------------ */

typedef struct hv_page_row {
  char *etag;          /* validators of the last good fetch, or NULL */
  char *last_modified;
  char *content_hash;  /* pipeline version ":" SHA-256 hex of the body */
  char *next_url;      /* Hydra next page found in it, or NULL */
  int kept;            /* put: 1 if this run kept the page rather than
                          decoding it (its datasets stay those of its
                          last decoding) */
  int64_t rejected;    /* datasets rejected at its last decoding; a put
                          with kept leaves the stored count */
} hv_page_row;

void hv_page_row_fini(hv_page_row *row);

/* Fills *out for (source, url) or returns HV_ENOTFOUND. */
int hv_store_page_get(hv_store *s, int64_t source_id, const char *url,
                      hv_page_row *out, hv_error *err);

/*
 * Records a successfully processed page (insert or replace); any string
 * of row may be NULL.
 */
int hv_store_page_put(hv_store *s, int64_t source_id, const char *url,
                      const hv_page_row *row, int64_t run_id, hv_error *err);

/*
 * For a page that did not change (304 or same content hash): marks the
 * page kept in run_id, which makes the active datasets it delivered when
 * it was last decoded count as seen in run_id without writing them, and
 * reports how many there are and their distributions. One that had
 * vanished from the page at that decoding (in a failed or held run)
 * stays unseen. A page kept twice in one run counts nothing the second
 * time. Either out may be NULL.
 */
int hv_store_page_keep(hv_store *s, int64_t source_id, const char *url,
                       int64_t run_id, size_t *datasets_out,
                       size_t *distributions_out, hv_error *err);

/* ---- datasets --------------------------------------------------------- */

typedef struct hv_dataset_row {
  const char *key;        /* identity within the source */
  const char *uri;        /* NULL for blank-node datasets */
  const char *identifier; /* NULL if none */
  const char *modified;   /* NULL if none */
  const char *hash;       /* canonical SHA-256 hex */
  const char *payload;    /* canonical N-Triples */
  size_t payload_len;
  const void *payload_zstd; /* the same as one zstd frame (util/compress.h),
                               or NULL: then the store compresses payload
                               itself. Never set by the store's walks. */
  size_t payload_zstd_len;
  size_t distributions;
  const char *page_url;   /* page that delivered it */
  int64_t violations;     /* violation findings at its last write; set by
                             the walks, ignored by the upsert */
} hv_dataset_row;

typedef enum hv_change {
  HV_CHANGE_NEW = 0,   /* first seen, or back after deletion */
  HV_CHANGE_UPDATED,   /* hash differs from the stored one */
  HV_CHANGE_UNCHANGED, /* same hash */
  HV_CHANGE_REPEATED   /* already delivered earlier in this run: ignored */
} hv_change;

/*
 * Stores one harvested dataset of source_id seen in run_id and reports
 * what changed. A key already seen in this run is left as it is
 * (HV_CHANGE_REPEATED) so the first copy wins deterministically.
 * d->key and d->hash are required (HV_EINVAL). An unchanged dataset only
 * has its last_seen_run (and delivering page_url) updated; the payload is
 * written only when the hash differs or the dataset comes back.
 */
int hv_store_dataset_upsert(hv_store *s, int64_t source_id, int64_t run_id,
                            const hv_dataset_row *d, hv_change *out,
                            hv_error *err);

/* What the assessment of a dataset (map and check) puts on its row. */
typedef struct hv_dataset_assessment {
  int64_t violations;       /* violation findings */
  int64_t warnings;         /* warning findings */
  const char *report_state; /* derived reporting state, or NULL: reports
                               then use the source's state */
} hv_dataset_assessment;

/*
 * hv_store_dataset_upsert, which also writes a (unless NULL) onto the
 * row when it is written new or updated (an unchanged or repeated row
 * keeps the counts of the assessment that wrote it), and sets *id_out
 * (unless NULL) to the row's id, for hv_store_findings_set.
 */
int hv_store_dataset_upsert_assessed(hv_store *s, int64_t source_id,
                                     int64_t run_id, const hv_dataset_row *d,
                                     const hv_dataset_assessment *a,
                                     hv_change *out, int64_t *id_out,
                                     hv_error *err);

/* Active datasets of the source, and those of them not seen in run_id. */
int hv_store_dataset_counts(hv_store *s, int64_t source_id, int64_t run_id,
                            size_t *active_out, size_t *unseen_out,
                            hv_error *err);

/* Marks the active datasets not seen in run_id deleted; reports how many. */
int hv_store_dataset_delete_unseen(hv_store *s, int64_t source_id,
                                   int64_t run_id, size_t *deleted_out,
                                   hv_error *err);

/*
 * Calls cb for every active dataset (all sources, or one if source_id >
 * 0) in key order, then source name order. Row strings are borrowed for
 * the duration of the call. A negative return from cb stops the walk and
 * is returned.
 */
typedef int (*hv_dataset_cb)(const hv_dataset_row *row, void *payload);
int hv_store_dataset_foreach(hv_store *s, int64_t source_id, hv_dataset_cb cb,
                             void *payload, hv_error *err);

/* ---- ledger ----------------------------------------------------------- */

typedef struct hv_ledger_counts {
  int64_t requests;
  int64_t bytes;
  int64_t pages_fetched;      /* 200 responses decoded or kept */
  int64_t pages_not_modified; /* 304, or 200 with the same content hash */
  int64_t pages_failed;
  int64_t datasets_new;
  int64_t datasets_updated;
  int64_t datasets_unchanged;
  int64_t datasets_deleted;
  int64_t datasets_rejected;
  int64_t distributions;
  double seconds; /* harvest time */
  /*
   * The source's delivered copies that a dedup resolve after this run
   * left superseded (stored, not published): set on the run's row by
   * hv_store_ledger_set_superseded, so the duplicate volume is counted
   * for the source that delivered it.
   */
  int64_t datasets_superseded;
  /*
   * Findings recorded in this run, by severity: those of the datasets the
   * run wrote new or updated (an unchanged dataset keeps, and does not
   * count again, the findings of the run that wrote it). A flow.
   */
  int64_t findings_violations;
  int64_t findings_warnings;
  int64_t findings_infos;
} hv_ledger_counts;

/* Adds every field of d to sum. */
void hv_ledger_counts_add(hv_ledger_counts *sum, const hv_ledger_counts *d);

/*
 * Adds delta (every field, datasets_superseded too) to the run × source ×
 * state row, creating it if needed.
 */
int hv_store_ledger_add(hv_store *s, int64_t run_id, int64_t source_id,
                        const char *state, const hv_ledger_counts *delta,
                        hv_error *err);

/* Sum of a run's ledger rows. */
int hv_store_ledger_run(hv_store *s, int64_t run_id, hv_ledger_counts *out,
                        hv_error *err);

typedef struct hv_volume_row {
  char state[8];     /* "01".."16", "bund" */
  int64_t sources;   /* distinct sources harvested in the period */
  int64_t runs;
  hv_ledger_counts counts;
} hv_volume_row;

/*
 * Per-state sums of ledger rows whose run started in [from, to) (unix
 * seconds; 0 for open ends), ordered by state. Free *out with hv_free.
 */
int hv_store_report_volumes(hv_store *s, int64_t from, int64_t to,
                            hv_volume_row **out, size_t *n_out,
                            hv_error *err);

/* ---- states, handover periods and ledger rows (store/states.c) -------- */

typedef struct hv_state_row {
  char key[8];   /* "01".."16" or "bund" */
  char code[8];  /* short code: "SH", "HH", ..., "BUND" */
  char name[64]; /* UTF-8 */
} hv_state_row;

/* The 16 states and the federation in key order; free with hv_free. */
int hv_store_state_list(hv_store *s, hv_state_row **out, size_t *n_out,
                        hv_error *err);

/*
 * One period in which a state had a central handover point: the days
 * [since, until) as unix seconds at UTC midnight; until 0 is open.
 */
typedef struct hv_handover {
  char state[8];
  int64_t since;
  int64_t until;
} hv_handover;

/*
 * The handover periods of state (NULL: of all states) ordered by state
 * and start; periods never overlap or touch. Free *out with hv_free.
 */
int hv_store_handover_list(hv_store *s, const char *state, hv_handover **out,
                           size_t *n_out, hv_error *err);

/*
 * Records that state had (has 1) or did not have (has 0) a central
 * handover point on the days [since, until) (until 0: open end), in one
 * transaction of its own: the days are cut out of the existing periods,
 * added back when has is 1, and touching periods are merged. HV_EINVAL
 * for an unknown state or until <= since.
 */
int hv_store_handover_set(hv_store *s, const char *state, int64_t since,
                          int64_t until, int has, hv_error *err);

/*
 * Days of [from, to) (unix seconds at UTC midnight) on which state had
 * no central handover point, given its periods hv (n of them, any
 * state's rows are skipped).
 */
int64_t hv_handover_days_without(const hv_handover *hv, size_t n,
                                 const char *state, int64_t from, int64_t to);

/* One ledger row with the run it belongs to. */
typedef struct hv_ledger_entry {
  int64_t run_id;
  int64_t source_id;
  char source_name[72];
  char state[8];
  char status[16];     /* the run's status */
  int64_t started_at;  /* the run's start, the row's time in reports */
  int64_t finished_at;
  hv_ledger_counts counts;
} hv_ledger_entry;

/*
 * Calls cb for every ledger row whose run started before to (0: all),
 * ordered by start, run and source name. The entry is borrowed for the
 * duration of the call; a negative return from cb stops the walk and is
 * returned. Rows before a report's period are read too, because the
 * datasets held at its start are the sum of all earlier flows.
 */
typedef int (*hv_ledger_cb)(const hv_ledger_entry *e, void *payload);
int hv_store_ledger_foreach(hv_store *s, int64_t to, hv_ledger_cb cb,
                            void *payload, hv_error *err);

/*
 * What the store holds for one source today. A source holds every copy
 * it delivered that is not deleted: published (active), superseded by
 * another source's copy (delivered and stored, just not published) or
 * quarantined (a held run would have deleted it). These are exactly the
 * rows whose status is 'active', the copies the ledger's flows count
 * (new minus deleted).
 */
typedef struct hv_holding {
  int64_t source_id;
  char name[72];
  char state[8];
  int64_t created_at;
  int64_t active;      /* held: all copies not deleted */
  int64_t superseded;  /* of which superseded */
  int64_t quarantined; /* of which quarantined */
} hv_holding;

/* Every source with the datasets it holds, by name; free with hv_free. */
int hv_store_holdings(hv_store *s, hv_holding **out, size_t *n_out,
                      hv_error *err);

/*
 * Test support: sets a run's start and finish times, so tests can build
 * a ledger spread over months from real runs. HV_ENOTFOUND.
 */
int hv_store_run_set_times(hv_store *s, int64_t run_id, int64_t started_at,
                           int64_t finished_at, hv_error *err);

/* ---- findings --------------------------------------------------------- */

struct hv_finding; /* map/map.h */

/*
 * Writes the findings of datasets inside the caller's page transaction,
 * with its statements prepared once per harvest. Use it on the store's
 * thread only and close it before the store. It caches message ids and
 * holds the connection's rollback hook to drop them when a transaction
 * rolls back, so one connection has at most one writer open
 * (hv_store_findings_open: HV_EEXISTS).
 */
typedef struct hv_store_findings hv_store_findings;

/* *out is owned by the caller (hv_store_findings_close). */
int hv_store_findings_open(hv_store_findings **out, hv_store *s,
                           hv_error *err);
void hv_store_findings_close(hv_store_findings *w); /* NULL-safe */

/*
 * Replaces the findings of the stored dataset (source_id, key) with the
 * n items and sets its violation and warning counts and its reporting
 * state (NULL: not derived; reports then use the source's state). Call
 * it after hv_store_dataset_upsert wrote the row new or updated; an
 * unchanged row keeps its findings. HV_ENOTFOUND if no such row.
 */
int hv_store_findings_put(hv_store_findings *w, int64_t source_id,
                          const char *key, const struct hv_finding *items,
                          size_t n, const char *report_state, hv_error *err);

/* The violation and warning counts of the n items, and report_state
 * (borrowed), as hv_store_dataset_upsert_assessed takes them. */
void hv_store_findings_assess(const struct hv_finding *items, size_t n,
                              const char *report_state,
                              hv_dataset_assessment *out);

/*
 * The harvest's path: replaces the findings of dataset row dataset_id
 * (from hv_store_dataset_upsert_assessed, which has written its counts
 * and state already) with the n items; key names the dataset in
 * messages. Writes no row for n == 0. Only the findings' rows are
 * touched, not the dataset's.
 */
int hv_store_findings_set(hv_store_findings *w, int64_t dataset_id,
                          const char *key, const struct hv_finding *items,
                          size_t n, hv_error *err);

/* One line of the quality report: one rule in one source and state. */
typedef struct hv_quality_row {
  char *source;
  char state[8];   /* reporting state, else the source's */
  char *rule;
  char severity[12]; /* "info", "warning" or "violation" */
  int64_t findings;  /* findings of the rule */
  int64_t datasets;  /* active datasets with at least one of them */
} hv_quality_row;

/* Per source and state: how many active datasets have findings. */
typedef struct hv_quality_total {
  char *source;
  char state[8];
  int64_t datasets;        /* active datasets */
  int64_t with_violations; /* of them, with at least one violation */
  int64_t with_warnings;   /* of them, with at least one warning */
} hv_quality_total;

typedef struct hv_quality_report {
  hv_quality_row *rows; /* by source, state, severity, count */
  size_t n_rows;
  hv_quality_total *totals; /* by source, state */
  size_t n_totals;
} hv_quality_report;

/*
 * Aggregates the findings of active datasets, optionally of one source
 * (name) and/or one reporting state (NULL: all). *out is owned by the
 * caller (hv_quality_report_free) and written only on success.
 */
int hv_store_report_quality(hv_store *s, const char *source,
                            const char *state, hv_quality_report *out,
                            hv_error *err);
void hv_quality_report_free(hv_quality_report *r); /* NULL-safe */


/* ---- admin: API tokens, audit trail, schedules (store/admin.c) -------- */

/* A token's scope: a state key ("01".."16", "bund") or "admin". */
#define HV_SCOPE_ADMIN "admin"

/* Printed tokens are "ghv_" and 64 hex digits. */
#define HV_TOKEN_LEN 68

typedef struct hv_token_info {
  int64_t id;
  char scope[8];      /* state key or "admin" */
  char *label;        /* NULL or the operator's note */
  int64_t created_at; /* unix seconds */
  int64_t revoked_at; /* 0 while valid */
} hv_token_info;

void hv_token_info_fini(hv_token_info *t); /* NULL-safe */

/*
 * Creates a token for scope (a state key or HV_SCOPE_ADMIN; else
 * HV_EINVAL) with an optional label. The secret is written to token_out
 * and exists nowhere else: only its SHA-256 is stored. *id_out may be
 * NULL.
 */
int hv_store_token_create(hv_store *s, const char *scope, const char *label,
                          char token_out[HV_TOKEN_LEN + 1], int64_t *id_out,
                          hv_error *err);

/*
 * Finds the valid (not revoked) token whose secret is token. Fills *out
 * (caller runs hv_token_info_fini) or returns HV_ENOTFOUND.
 */
int hv_store_token_lookup(hv_store *s, const char *token, hv_token_info *out,
                          hv_error *err);

/* All tokens, oldest first; free with hv_token_list_free. */
int hv_store_token_list(hv_store *s, hv_token_info **out, size_t *n_out,
                        hv_error *err);
void hv_token_list_free(hv_token_info *list, size_t n);

/* Marks token id revoked; HV_ENOTFOUND if no valid token has that id. */
int hv_store_token_revoke(hv_store *s, int64_t id, hv_error *err);

typedef struct hv_audit_row {
  int64_t id;
  int64_t at;       /* unix seconds */
  int64_t token_id; /* 0 for the command line */
  char *actor;      /* "token 3 (05)", "cli" */
  char *action;     /* "source.create", "run.trigger", ... */
  char *target;     /* source name or NULL */
  char *state;      /* state the change concerns, or NULL */
  char *detail;     /* JSON text or NULL */
} hv_audit_row;

/* Appends one audit row stamped now; any string but actor/action NULL. */
int hv_store_audit_add(hv_store *s, int64_t token_id, const char *actor,
                       const char *action, const char *target,
                       const char *state, const char *detail, hv_error *err);

/*
 * Newest first, at most limit rows (0: all), of one state (NULL: all).
 * Free with hv_audit_list_free.
 */
int hv_store_audit_list(hv_store *s, const char *state, size_t limit,
                        hv_audit_row **out, size_t *n_out, hv_error *err);
void hv_audit_list_free(hv_audit_row *rows, size_t n);

/*
 * Rewrites the stored fields of the source named src->name (state, kind,
 * url, format hint, contributor, priority, enabled) after validating
 * them. The name and id never change. HV_ENOTFOUND, HV_EINVAL.
 */
int hv_store_source_update(hv_store *s, const hv_source *src, hv_error *err);

/*
 * A source's own cron expression: *out is an hv_malloc'd copy (caller
 * frees) or NULL when it has none. The text is not checked here.
 */
int hv_store_schedule_get(hv_store *s, int64_t source_id, char **out,
                          hv_error *err);
/* Sets (cron not NULL) or clears (NULL) a source's cron expression. */
int hv_store_schedule_set(hv_store *s, int64_t source_id, const char *cron,
                          hv_error *err);

/* A run with what the API shows of it. */
typedef struct hv_run_info {
  hv_run_row row;
  char *source_name;
  char state[8];           /* the ledger's state, or "" before a page */
  hv_ledger_counts counts; /* sum of its ledger rows */
} hv_run_info;

/*
 * Newest first, at most limit (0: all) runs, optionally only of one
 * source (name, or NULL) and of sources of one state (NULL: all; a run
 * belongs to its source's current state, or its ledger's state once the
 * source is gone). run_id > 0 selects that one run. Free with
 * hv_run_info_list_free.
 */
int hv_store_run_info_list(hv_store *s, const char *state,
                           const char *source_name, int64_t run_id,
                           size_t limit, hv_run_info **out, size_t *n_out,
                           hv_error *err);
void hv_run_info_list_free(hv_run_info *rows, size_t n);

/*
 * The newest run of every source that has one (runs of removed sources
 * included), ordered by source id. Free with hv_run_info_list_free.
 */
int hv_store_run_info_latest(hv_store *s, hv_run_info **out, size_t *n_out,
                             hv_error *err);

/* One labelled count for the metrics page. */
typedef struct hv_metric_row {
  char label1[72]; /* e.g. source name, state or status */
  char label2[16]; /* second label (status) or "" */
  int64_t value[3];
} hv_metric_row;

/*
 * Metric queries, each a list freed with hv_free:
 *  - runs: label1 status, value[0] runs;
 *  - pages: label1 source name, value fetched / not modified / failed
 *    summed over the ledger;
 *  - datasets: label1 state, label2 status, value[0] datasets.
 */
int hv_store_metric_runs(hv_store *s, hv_metric_row **out, size_t *n_out,
                         hv_error *err);
int hv_store_metric_pages(hv_store *s, hv_metric_row **out, size_t *n_out,
                          hv_error *err);
int hv_store_metric_datasets(hv_store *s, hv_metric_row **out, size_t *n_out,
                             hv_error *err);

/*
 * Every stored per-source cron: label1 the expression, value[0] the
 * source id, ordered by source id. Free with hv_free.
 */
int hv_store_schedule_list(hv_store *s, hv_metric_row **out, size_t *n_out,
                           hv_error *err);

/*
 * The newest changed_run and updated_at over active datasets of the
 * catalog and their count, for the served catalog's validators.
 */
int hv_store_catalog_stamp(hv_store *s, int64_t *count_out,
                           int64_t *changed_out, int64_t *updated_out,
                           hv_error *err);

/* ---- dataset lifecycle (store/lifecycle.c) ---------------------------- */

/*
 * Lifecycle states of a stored copy (dataset.state). A copy is published
 * (written by the sinks) when it is active or quarantined.
 */
#define HV_DS_ACTIVE "active"
#define HV_DS_SUPERSEDED "superseded"
#define HV_DS_DELETED "deleted"
#define HV_DS_QUARANTINED "quarantined"

/* One stored copy as deduplication reads it (hv_store_lifecycle_load). */
typedef struct hv_lifecycle_row {
  int64_t id;
  int64_t source_id;
  char *source; /* source name */
  int priority; /* the source's priority */
  char *key, *uri, *identifier, *modified; /* NULL if absent */
  char *state;  /* HV_DS_* or NULL: stored since the last resolve
                   (counts as active) */
  int live;     /* 1: the source still delivers it (status active) */
  int64_t grp;  /* published copy of its group at the last resolve, or 0
                   for a copy alone */
  int64_t first_run;     /* run that first stored it */
  int64_t last_seen_run; /* last run that delivered it */
  int64_t kept_run;      /* quarantined only: run that kept its page
                            unchanged since (it counts as delivered),
                            else 0 */
} hv_lifecycle_row;

/*
 * Loads every copy that is delivered (status active) or whose state is
 * not yet 'deleted', in row id order. Free with hv_lifecycle_rows_free.
 */
int hv_store_lifecycle_load(hv_store *s, hv_lifecycle_row **out,
                            size_t *n_out, hv_error *err);
void hv_lifecycle_rows_free(hv_lifecycle_row *rows, size_t n);

/*
 * The dedup generations: generation i + 1 covers the runs with ids up to
 * (*bounds_out)[i] (ascending). With add_new, first records a new
 * generation for the runs since the last one, if any (call it inside the
 * resolve's transaction). A copy's arrival is the first generation whose
 * bound is at least its first_run. Free *bounds_out with hv_free.
 */
int hv_store_lifecycle_generations(hv_store *s, int add_new,
                                   int64_t **bounds_out, size_t *n_out,
                                   hv_error *err);

/* One change to a copy's lifecycle columns (hv_store_lifecycle_apply). */
typedef struct hv_lifecycle_update {
  int64_t id;
  const char *from_state; /* for the transition row; NULL: unresolved */
  const char *to_state;   /* new state; NULL: the state stays */
  int64_t grp;            /* written always (0: alone) */
  int64_t run_id;         /* transition's run, 0: none (operator) */
  const char *reason;     /* transition's reason (needed with to_state) */
} hv_lifecycle_update;

/*
 * Writes n updates (inside the caller's transaction): grp, and for each update with to_state the new state plus a transition row
 * (run, from, to, reason, now). A copy moved to 'deleted' is also marked
 * no longer delivered (status 'deleted').
 */
int hv_store_lifecycle_apply(hv_store *s, const hv_lifecycle_update *u,
                             size_t n, hv_error *err);

/*
 * Sets datasets_superseded on the ledger rows of (run_id, source_id) to
 * the source's delivered copies that are superseded now.
 */
int hv_store_ledger_set_superseded(hv_store *s, int64_t run_id,
                                   int64_t source_id, hv_error *err);

/* Sum of datasets_superseded over a run's ledger rows. */
int hv_store_ledger_superseded(hv_store *s, int64_t run_id, int64_t *out,
                               hv_error *err);

/*
 * The copies a run deleted while they were published (a transition to
 * 'deleted' in run_id from 'active' or 'quarantined'); cb gets the row
 * id, source name and key, borrowed. A negative return stops the walk.
 */
typedef int (*hv_lifecycle_deleted_cb)(int64_t id, const char *source,
                                       const char *key, void *payload);
int hv_store_lifecycle_deleted(hv_store *s, int64_t run_id,
                               hv_lifecycle_deleted_cb cb, void *payload,
                               hv_error *err);

/*
 * Quarantines the published (active or unresolved) copies of source_id
 * not seen in run_id (the ones a held run would have deleted; superseded
 * copies are not served and stay as they are): they stay published,
 * flagged, and
 * are left out of later deletion guards until an operator releases or
 * restores them. Writes a transition per copy; reports how many.
 */
int hv_store_dataset_quarantine_unseen(hv_store *s, int64_t source_id,
                                       int64_t run_id, const char *reason,
                                       size_t *quarantined_out,
                                       hv_error *err);

typedef struct hv_quarantine_row {
  int64_t id;
  char *source, *key, *identifier; /* identifier may be NULL */
  int64_t run_id;                  /* run that quarantined it */
  int64_t since;                   /* unix seconds */
  char *reason;
} hv_quarantine_row;

/*
 * Quarantined copies of one source (NULL: all), by source then key.
 * Free with hv_quarantine_rows_free.
 */
int hv_store_quarantine_list(hv_store *s, const char *source,
                             hv_quarantine_row **out, size_t *n_out,
                             hv_error *err);
void hv_quarantine_rows_free(hv_quarantine_row *rows, size_t n);

/*
 * An operator's decision on quarantined copies of source (NULL: every
 * source), one key or all (key NULL): release deletes them now (state
 * and status 'deleted'), restore makes them active again (unresolved, so
 * the next resolve decides between copies). Each writes a transition
 * without run. HV_ENOTFOUND if nothing matched. Run hv_dedup_resolve
 * afterwards so that promotions follow.
 */
int hv_store_quarantine_release(hv_store *s, const char *source,
                                const char *key, size_t *n_out,
                                hv_error *err);
int hv_store_quarantine_restore(hv_store *s, const char *source,
                                const char *key, size_t *n_out,
                                hv_error *err);

/* A copy of a dataset and its history, for `dataset show`. */
typedef struct hv_transition_row {
  int64_t dataset_id;
  int64_t run_id; /* 0: an operator's decision */
  char *from_state, *to_state, *reason;
  int64_t at;
} hv_transition_row;

typedef struct hv_copy_row {
  int64_t id;
  char *source, *key, *uri, *identifier, *modified, *state;
  int priority;
  int64_t first_run, last_seen_run;
} hv_copy_row;

/*
 * Finds the copies whose key or IRI equals key or whose identifier equals
 * it up to ASCII case and surrounding white space, and all other copies
 * of their groups; and the transitions of all of them,
 * oldest first. HV_ENOTFOUND if no copy matched. Free with
 * hv_copy_rows_free and hv_transition_rows_free.
 */
int hv_store_dataset_history(hv_store *s, const char *key,
                             hv_copy_row **copies, size_t *n_copies,
                             hv_transition_row **trans, size_t *n_trans,
                             hv_error *err);
void hv_copy_rows_free(hv_copy_row *rows, size_t n);
void hv_transition_rows_free(hv_transition_row *rows, size_t n);

/*
 * Calls cb for every published copy (state active or quarantined) with
 * its source name and decompressed payload, in row id order. Strings and
 * payload are borrowed for the call. A negative return stops the walk.
 */
typedef struct hv_published_row {
  int64_t id;
  const char *source, *key, *uri, *identifier;
  const char *payload; /* canonical N-Triples */
  size_t payload_len;
} hv_published_row;
typedef int (*hv_published_cb)(const hv_published_row *row, void *payload);
int hv_store_published_foreach(hv_store *s, hv_published_cb cb,
                               void *payload, hv_error *err);

/* ---- outbox (store/outbox.c) ------------------------------------------ */

/*
 * The outbox holds one row per operation a sink has to carry out, in the
 * order the harvest decided them. Operations are queued in the caller's
 * open transaction, so a dataset change and its sink operations commit
 * or vanish together. The sender (outbox/sender.h) drains them.
 */
typedef enum hv_outbox_opcode {
  HV_OUTBOX_PUT = 0, /* create or replace the dataset in the sink */
  HV_OUTBOX_DELETE   /* remove the dataset from the sink */
} hv_outbox_opcode;

typedef struct hv_outbox_op {
  int64_t seq;         /* queue order, unique */
  char *sink;          /* configured sink name */
  int64_t source_id;
  char *source_name;
  char *key;           /* dataset key within the source */
  hv_outbox_opcode op;
  char *hash;          /* canonical hash when queued (put), or NULL */
  char *state;         /* "pending", "parked", "done" or "dropped" */
  int64_t attempts;    /* failed sends so far */
  int64_t next_try;    /* unix milliseconds before which it is not resent */
  char *last_error;    /* NULL or the last failure, one line */
  char *identity;      /* published identity the sink names the dataset
                          by (store/publish.c), or NULL for an operation
                          queued per copy (source_name, key) */
} hv_outbox_op;

/* Frees the strings of each op and the array; NULL-safe. */
void hv_outbox_ops_free(hv_outbox_op *ops, size_t n);

/*
 * Replaces the set of sink names that operations are queued for (the
 * sinks of the configuration in use). Runs its own transaction.
 * Operations already queued for a sink that leaves the set stay.
 */
int hv_store_outbox_set_sinks(hv_store *s, const char *const *names,
                              size_t n, hv_error *err);

/*
 * Queues op on dataset (source_id, key) for every sink of the set, in the
 * caller's open transaction. hash may be NULL. With no sink configured
 * this writes nothing.
 */
int hv_store_outbox_enqueue(hv_store *s, int64_t source_id,
                            const char *source_name, const char *key,
                            hv_outbox_opcode op, const char *hash,
                            hv_error *err);

/*
 * Queues a delete for every sink and every dataset of source_id that
 * run_id deleted (status 'deleted', changed in run_id), in the caller's
 * open transaction. Call after hv_store_dataset_delete_unseen.
 */
int hv_store_outbox_enqueue_deleted(hv_store *s, int64_t source_id,
                                    const char *source_name, int64_t run_id,
                                    hv_error *err);

/*
 * The pending operations of sink that may be sent now: next_try <= now
 * and no older pending or parked operation for the same dataset and
 * sink (the same identity, or for operations without one the same
 * source and key), oldest first, at most limit. *out is freed with
 * hv_outbox_ops_free.
 */
int hv_store_outbox_ready(hv_store *s, const char *sink, int64_t now,
                          size_t limit, hv_outbox_op **out, size_t *n_out,
                          hv_error *err);

/*
 * Operations of sink (all sinks if NULL) in state (any unfinished one,
 * pending or parked, if NULL), oldest first, at most limit (0: all).
 */
int hv_store_outbox_list(hv_store *s, const char *sink, const char *state,
                         size_t limit, hv_outbox_op **out, size_t *n_out,
                         hv_error *err);

/* Marks operation seq done (the sink confirmed it). HV_ENOTFOUND. */
int hv_store_outbox_done(hv_store *s, int64_t seq, hv_error *err);

/*
 * For sinks that rewrite everything at once (the files sink): the newest
 * pending operation of sink (0 if none) and, after the rewrite, marking
 * every pending operation of sink up to and including seq done.
 */
int hv_store_outbox_last_pending(hv_store *s, const char *sink,
                                 int64_t *seq_out, hv_error *err);
int hv_store_outbox_done_through(hv_store *s, const char *sink, int64_t seq,
                                 size_t *n_out, hv_error *err);

/*
 * Records a failed send of seq: attempts + 1, last_error = message, and
 * either next_try (stays pending) or, with park set, state 'parked' (it
 * waits for an operator's retry or drop). HV_ENOTFOUND.
 */
int hv_store_outbox_failed(hv_store *s, int64_t seq, int park,
                           int64_t next_try, const char *message,
                           hv_error *err);

/*
 * Makes every pending operation of sink (all if NULL) due now, as an
 * explicit push asks; parked ones are left alone.
 */
int hv_store_outbox_due_now(hv_store *s, const char *sink, hv_error *err);

/*
 * Operator actions. retry: parked operations (of sink, or the one with
 * seq if seq > 0) become pending and due now. drop: unfinished ones
 * become 'dropped' and are never sent. *n_out counts the rows changed.
 */
int hv_store_outbox_retry(hv_store *s, const char *sink, int64_t seq,
                          size_t *n_out, hv_error *err);
int hv_store_outbox_drop(hv_store *s, const char *sink, int64_t seq,
                         size_t *n_out, hv_error *err);

typedef struct hv_outbox_count {
  char *sink;
  int64_t pending, parked, done, dropped;
  int64_t oldest_pending; /* created_at of the oldest pending, or 0 */
} hv_outbox_count;

/* Per-sink counts, ordered by sink; free with hv_outbox_counts_free. */
int hv_store_outbox_counts(hv_store *s, hv_outbox_count **out, size_t *n_out,
                           hv_error *err);
void hv_outbox_counts_free(hv_outbox_count *c, size_t n);

/* What a sink needs of a dataset (any status), for the sender. */
typedef struct hv_outbox_dataset {
  char *uri, *identifier, *modified, *hash; /* NULL if absent */
  int active;                               /* 0 once deleted */
} hv_outbox_dataset;

void hv_outbox_dataset_fini(hv_outbox_dataset *d);

struct hv_buf; /* util/buf.h */

/*
 * Reads dataset (source_id, key) and appends its canonical N-Triples to
 * payload. HV_ENOTFOUND if the store has no such row (source removed).
 */
int hv_store_outbox_dataset(hv_store *s, int64_t source_id, const char *key,
                            hv_outbox_dataset *out, struct hv_buf *payload,
                            hv_error *err);

/* ---- publication (store/publish.c) ------------------------------------ */

/*
 * A dataset's published identity and the copy published under it. The
 * identity names the dataset in the sinks (CKAN package name, graph
 * IRI) and stays when another copy takes over; see harvester/README.md.
 */
typedef struct hv_publication_row {
  char *identity;
  int64_t dataset_id;
} hv_publication_row;

void hv_publication_rows_free(hv_publication_row *rows, size_t n);

/* Every row of publication, ordered by identity (strcmp order). */
int hv_store_publication_load(hv_store *s, hv_publication_row **out,
                              size_t *n_out, hv_error *err);

/*
 * Removes the identities in removed, then sets each row of set (new
 * identity or new copy), in the caller's open transaction.
 */
int hv_store_publication_apply(hv_store *s, const char *const *removed,
                               size_t n_removed,
                               const hv_publication_row *set, size_t n_set,
                               hv_error *err);

/*
 * Queues, for every configured sink, the operations that make the sink
 * hold exactly the publication: a put (of the publishing copy) for each
 * identity that is new to the sink or whose copy or hash changed, a
 * delete for each identity the sink holds that is no longer published to
 * it (gone, or withheld for violations by a sink that withholds), and
 * records the result as what the sink holds; in the caller's open
 * transaction. A function of the stored state only, so it can be rerun
 * at any time and queues nothing twice. Counts may be NULL.
 */
int hv_store_publication_enqueue(hv_store *s, size_t *puts_out,
                                 size_t *deletes_out, hv_error *err);

/*
 * Sets whether sink (every configured sink if NULL) withholds datasets
 * with violations (takes effect at the next hv_store_publication_enqueue).
 * hv_store_outbox_set_sinks resets it to 0 for the sinks it writes.
 */
int hv_store_outbox_set_withhold(hv_store *s, const char *sink, int withhold,
                                 hv_error *err);

/*
 * Queues operation seq once more, as a new pending operation with the
 * same sink, copy, identity and hash (an operator's resend; tests use it
 * to send what a crash would resend). HV_ENOTFOUND for an unknown seq.
 */
int hv_store_outbox_requeue(hv_store *s, int64_t seq, hv_error *err);

/* ---- the daemon's views (store/serve_stats.c) -------------------------- */

/*
 * Datasets by state and lifecycle status for /metrics: label1 the
 * source's state, label2 "active", "superseded", "quarantined" or
 * "deleted" (a copy stored since the last resolve counts as active, one
 * no longer delivered as deleted), value[0] the count. Free with hv_free.
 */
int hv_store_metric_lifecycle(hv_store *s, hv_metric_row **out,
                              size_t *n_out, hv_error *err);

/* One rule's findings among a run's datasets. */
typedef struct hv_rule_count {
  char *rule;
  char severity[12]; /* the rule's highest severity seen */
  int64_t findings;
  int64_t datasets;  /* datasets with at least one of them */
} hv_rule_count;

/*
 * The findings of the datasets a run wrote (stored new or changed, and
 * still active with those findings: a later run that rewrites a dataset
 * takes its findings over).
 */
typedef struct hv_run_findings {
  int64_t datasets;        /* datasets the run wrote */
  int64_t with_violations; /* of them, with a violation */
  int64_t with_warnings;   /* of them, with a warning */
  int64_t violations, warnings, infos; /* findings by severity */
  hv_rule_count *rules;    /* top rules: violations first, then count */
  size_t n_rules;
} hv_run_findings;

/*
 * Fills *out (release with hv_run_findings_fini) with the summary of
 * run_id and at most top rules. A run without datasets gives zeros.
 */
int hv_store_run_findings(hv_store *s, int64_t run_id, size_t top,
                          hv_run_findings *out, hv_error *err);
void hv_run_findings_fini(hv_run_findings *f); /* NULL-safe */

/* One stored finding as the daemon lists it. */
typedef struct hv_finding_row {
  char *rule;
  char severity[12];
  char *predicate;  /* NULL if none */
  char *message;
  char *message_de; /* NULL if none */
} hv_finding_row;

/* An active dataset with its findings. */
typedef struct hv_dataset_findings {
  char *key, *uri, *identifier; /* uri, identifier NULL if absent */
  int64_t violations, warnings;
  int64_t run_id;               /* run that wrote it (changed_run) */
  hv_finding_row *items;
  size_t n_items;
} hv_dataset_findings;

/*
 * The active datasets of source_id that have findings, worst first
 * (violations, warnings, then key), skipping offset and returning at
 * most limit, with *total_out the number of all of them. Free *out with
 * hv_dataset_findings_free.
 */
int hv_store_source_findings(hv_store *s, int64_t source_id, size_t offset,
                             size_t limit, hv_dataset_findings **out,
                             size_t *n_out, int64_t *total_out,
                             hv_error *err);
void hv_dataset_findings_free(hv_dataset_findings *d, size_t n);

/*
 * Replaces the configured sinks, each with whether it withholds datasets
 * with violations (withhold[i]; NULL: none does), in one transaction of
 * its own, so a crash never leaves a sink without its setting.
 */
int hv_store_outbox_configure(hv_store *s, const char *const *names,
                              const int *withhold, size_t n, hv_error *err);

/*
 * Calls cb for every dataset of a publication view, in key order, with
 * the current payload of the copy (as hv_store_dataset_foreach does):
 * - sink NULL: the publication itself, one copy per published identity,
 *   without datasets that have violations when withhold is set;
 * - sink named: what the queued operations leave that sink holding
 *   (outbox_published), again without datasets with violations when
 *   withhold is set (a copy updated since the last resolve may have
 *   gained some).
 * Copies stored by pages whose resolve has not run yet are not part of
 * either view. source_id > 0 restricts the walk to one source.
 */
int hv_store_publication_foreach(hv_store *s, const char *sink, int withhold,
                                 int64_t source_id, hv_dataset_cb cb,
                                 void *payload, hv_error *err);

/*
 * Counts the unfinished (pending or parked) operations of sink (every
 * sink if NULL) that were queued per copy, without a published identity,
 * by a store from before publication; they still drain by source and key.
 */
int hv_store_outbox_count_per_copy(hv_store *s, const char *sink,
                                   size_t *out, hv_error *err);

#endif
