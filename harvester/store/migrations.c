/*
 * The store's schema, as an ordered list of migration steps.
 *
 * A store file records how many steps it has had in PRAGMA user_version.
 * On open, store.c applies the missing steps one transaction each, so a
 * file written by an older binary is brought forward in place and a crash
 * between steps leaves a file that is consistent at some version. A file
 * whose version is higher than this list is long was written by a newer
 * binary and is refused rather than guessed at.
 *
 * Run and ledger rows carry no foreign key to source on purpose: removing
 * a source must not change the volumes already counted, so those rows
 * outlive it and keep the source's name for the reports. For the same
 * reason source ids are AUTOINCREMENT: a source added after a removal
 * must never get the removed one's id and with it the old runs.
 */
#include "store/store_int.h"

const hv__store_migration hv__store_migrations[] = {
    {"create sources, runs, pages, datasets and ledger",
     "CREATE TABLE source ("
     "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  name TEXT NOT NULL UNIQUE,"
     "  state TEXT NOT NULL,"
     "  kind TEXT NOT NULL,"
     "  url TEXT NOT NULL,"
     "  format_hint TEXT,"
     "  contributor_id TEXT,"
     "  priority INTEGER NOT NULL DEFAULT 0,"
     "  enabled INTEGER NOT NULL DEFAULT 1,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE run ("
     "  id INTEGER PRIMARY KEY,"
     "  source_id INTEGER NOT NULL,"
     "  source_name TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  message TEXT,"
     "  started_at INTEGER NOT NULL,"
     "  finished_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX run_by_source ON run(source_id, id);"
     "CREATE INDEX run_by_start ON run(started_at);"
     "CREATE TABLE page ("
     "  source_id INTEGER NOT NULL"
     "    REFERENCES source(id) ON DELETE CASCADE,"
     "  url TEXT NOT NULL,"
     "  etag TEXT,"
     "  last_modified TEXT,"
     "  content_hash TEXT,"
     "  next_url TEXT,"
     "  last_run INTEGER NOT NULL,"    /* last run that fetched it */
     "  decoded_run INTEGER,"          /* last run that decoded it */
     "  rejected INTEGER NOT NULL DEFAULT 0," /* datasets it had rejected */
     "  PRIMARY KEY (source_id, url)"
     ") WITHOUT ROWID;"
     "CREATE TABLE dataset ("
     "  id INTEGER PRIMARY KEY,"
     "  source_id INTEGER NOT NULL"
     "    REFERENCES source(id) ON DELETE CASCADE,"
     "  key TEXT NOT NULL,"
     "  uri TEXT,"
     "  identifier TEXT,"
     "  modified TEXT,"
     "  hash TEXT NOT NULL,"
     "  distributions INTEGER NOT NULL DEFAULT 0,"
     "  page_url TEXT,"
     "  status TEXT NOT NULL DEFAULT 'active'"
     "    CHECK (status IN ('active', 'deleted')),"
     "  first_run INTEGER NOT NULL,"
     "  last_seen_run INTEGER NOT NULL,"
     "  changed_run INTEGER NOT NULL,"
     "  created_at INTEGER NOT NULL,"
     "  updated_at INTEGER NOT NULL,"
     "  UNIQUE (source_id, key)"
     ");"
     "CREATE INDEX dataset_by_page ON dataset(source_id, page_url);"
     "CREATE INDEX dataset_by_status ON dataset(source_id, status);"
     /* The canonical form lives apart from the row that every run
      * touches, so marking a dataset seen rewrites a few dozen bytes,
      * not its kilobytes of N-Triples. */
     "CREATE TABLE dataset_payload ("
     "  dataset_id INTEGER PRIMARY KEY"
     "    REFERENCES dataset(id) ON DELETE CASCADE,"
     "  payload BLOB NOT NULL" /* zstd frame of canonical N-Triples */
     ");"
     "CREATE TABLE ledger ("
     "  run_id INTEGER NOT NULL,"
     "  source_id INTEGER NOT NULL,"
     "  source_name TEXT NOT NULL,"
     "  state TEXT NOT NULL,"
     "  requests INTEGER NOT NULL DEFAULT 0,"
     "  bytes INTEGER NOT NULL DEFAULT 0,"
     "  pages_fetched INTEGER NOT NULL DEFAULT 0,"
     "  pages_not_modified INTEGER NOT NULL DEFAULT 0,"
     "  pages_failed INTEGER NOT NULL DEFAULT 0,"
     "  datasets_new INTEGER NOT NULL DEFAULT 0,"
     "  datasets_updated INTEGER NOT NULL DEFAULT 0,"
     "  datasets_unchanged INTEGER NOT NULL DEFAULT 0,"
     "  datasets_deleted INTEGER NOT NULL DEFAULT 0,"
     "  datasets_rejected INTEGER NOT NULL DEFAULT 0,"
     "  distributions INTEGER NOT NULL DEFAULT 0,"
     "  seconds REAL NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (run_id, source_id, state)"
     ") WITHOUT ROWID;"},
    /* The outbox (store/outbox.c): one row per sink operation, written in
     * the transaction that changes the dataset. outbox_sink holds the
     * names of the sinks that operations are queued for. */
    {"create the sink outbox",
     "CREATE TABLE outbox_sink ("
     "  name TEXT PRIMARY KEY"
     ") WITHOUT ROWID;"
     "CREATE TABLE outbox ("
     "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     "  sink TEXT NOT NULL,"
     "  source_id INTEGER NOT NULL,"
     "  source_name TEXT NOT NULL,"
     "  key TEXT NOT NULL,"
     "  op TEXT NOT NULL CHECK (op IN ('put', 'delete')),"
     "  hash TEXT,"
     "  state TEXT NOT NULL DEFAULT 'pending'"
     "    CHECK (state IN ('pending', 'parked', 'done', 'dropped')),"
     "  attempts INTEGER NOT NULL DEFAULT 0,"
     "  next_try INTEGER NOT NULL DEFAULT 0,"
     "  last_error TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  done_at INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE INDEX outbox_open ON outbox(sink, seq)"
     "  WHERE state IN ('pending', 'parked');"
     "CREATE INDEX outbox_by_dataset ON outbox(sink, source_id, key, seq)"
     "  WHERE state IN ('pending', 'parked');"},
};

const size_t hv__store_migration_count =
    sizeof(hv__store_migrations) / sizeof(hv__store_migrations[0]);
