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
    /* The states and the federation that sources belong to, and the
     * days on which each had a central handover point: [since, until)
     * in unix seconds at UTC midnight, until 0 for an open end. The
     * cost report reads them to decide who pays for which days. */
    {"create states and their central handover periods",
     "CREATE TABLE state ("
     "  key TEXT PRIMARY KEY,"
     "  name TEXT NOT NULL,"
     "  code TEXT NOT NULL UNIQUE"
     ") WITHOUT ROWID;"
     "INSERT INTO state (key, name, code) VALUES"
     " ('01', 'Schleswig-Holstein', 'SH'), ('02', 'Hamburg', 'HH'),"
     " ('03', 'Niedersachsen', 'NI'), ('04', 'Bremen', 'HB'),"
     " ('05', 'Nordrhein-Westfalen', 'NW'), ('06', 'Hessen', 'HE'),"
     " ('07', 'Rheinland-Pfalz', 'RP'),"
     " ('08', 'Baden-W\u00fcrttemberg', 'BW'),"
     " ('09', 'Bayern', 'BY'), ('10', 'Saarland', 'SL'),"
     " ('11', 'Berlin', 'BE'), ('12', 'Brandenburg', 'BB'),"
     " ('13', 'Mecklenburg-Vorpommern', 'MV'), ('14', 'Sachsen', 'SN'),"
     " ('15', 'Sachsen-Anhalt', 'ST'), ('16', 'Th\u00fcringen', 'TH'),"
     " ('bund', 'Bund', 'BUND');"
     "CREATE TABLE state_handover ("
     "  state TEXT NOT NULL REFERENCES state(key),"
     "  since INTEGER NOT NULL,"
     "  until INTEGER NOT NULL DEFAULT 0,"
     "  PRIMARY KEY (state, since)"
     ") WITHOUT ROWID;"},
    /* The findings of the map and check stages. A dataset's findings are
     * replaced whenever its row is written new or updated, and go with
     * it: by cascade when the row is removed, by trigger when it is
     * marked deleted. Its counts and reporting state sit on the row, so
     * the quality totals and the sinks' filter need no join. */
    {"findings per dataset; violation and warning counts, reporting state",
     "CREATE TABLE finding ("
     "  dataset_id INTEGER NOT NULL"
     "    REFERENCES dataset(id) ON DELETE CASCADE,"
     "  rule TEXT NOT NULL,"
     "  severity TEXT NOT NULL"
     "    CHECK (severity IN ('info', 'warning', 'violation')),"
     "  subject TEXT,"
     "  predicate TEXT,"
     "  old_value TEXT,"
     "  new_value TEXT,"
     "  message TEXT NOT NULL,"
     "  message_de TEXT"
     ");"
     "CREATE INDEX finding_by_dataset ON finding(dataset_id);"
     "ALTER TABLE dataset ADD COLUMN violations INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE dataset ADD COLUMN warnings INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE dataset ADD COLUMN report_state TEXT;"
     "CREATE TRIGGER finding_gone AFTER UPDATE OF status ON dataset"
     "  WHEN new.status <> 'active' BEGIN"
     "  DELETE FROM finding WHERE dataset_id = new.id;"
     "  UPDATE dataset SET violations = 0, warnings = 0 WHERE id = new.id;"
     "END;"},
    {"create api tokens, audit trail and source schedules",
     /* Only the SHA-256 of a token is kept: a copy of the store gives no
      * way into the admin API. scope is a state key or 'admin'. */
     "CREATE TABLE api_token ("
     "  id INTEGER PRIMARY KEY,"
     "  hash TEXT NOT NULL UNIQUE,"
     "  scope TEXT NOT NULL,"
     "  label TEXT,"
     "  created_at INTEGER NOT NULL,"
     "  revoked_at INTEGER"
     ");"
     /* The audit trail names its actor by token id and scope, and keeps
      * them after the token is revoked. */
     "CREATE TABLE audit ("
     "  id INTEGER PRIMARY KEY,"
     "  at INTEGER NOT NULL,"
     "  token_id INTEGER,"
     "  actor TEXT NOT NULL,"
     "  action TEXT NOT NULL,"
     "  target TEXT,"
     "  state TEXT,"
     "  detail TEXT"
     ");"
     "CREATE INDEX audit_by_state ON audit(state, id);"
     "CREATE TABLE source_schedule ("
     "  source_id INTEGER PRIMARY KEY"
     "    REFERENCES source(id) ON DELETE CASCADE,"
     "  cron TEXT NOT NULL"
     ");"},
    /* Deduplication and the dataset lifecycle (store/lifecycle.c). The
     * old status column keeps saying whether the source still delivers
     * the copy ('active') or not ('deleted'); state says what became of
     * the copy: active (published), superseded (a better copy of the
     * same dataset is published), deleted, quarantined (a held run would
     * have deleted it: still published, flagged). NULL: stored since
     * the last resolve, which counts as active (most copies are alone
     * and keep it, so a first harvest writes no state for them). grp is
     * the row id of the copy published for the group when it has more
     * than one copy. A dedup generation is one resolve; it covers the
     * runs up to max_run, so copies first stored by the runs of one
     * harvest share an arrival, whatever order the sources ran in. */
    {"add dataset lifecycle states, transitions and superseded counts",
     "ALTER TABLE dataset ADD COLUMN state TEXT"
     "  CHECK (state IS NULL OR state IN"
     "  ('active', 'superseded', 'deleted', 'quarantined'));"
     "ALTER TABLE dataset ADD COLUMN grp INTEGER;"
     "UPDATE dataset SET state = 'deleted' WHERE status = 'deleted';"
     "CREATE TABLE dedup_generation ("
     "  gen INTEGER PRIMARY KEY,"
     "  max_run INTEGER NOT NULL"
     ");"
     "CREATE INDEX dataset_by_grp ON dataset(grp);"
     "CREATE INDEX dataset_quarantined ON dataset(source_id)"
     "  WHERE state = 'quarantined';"
     "CREATE TABLE dataset_transition ("
     "  id INTEGER PRIMARY KEY,"
     "  dataset_id INTEGER NOT NULL"
     "    REFERENCES dataset(id) ON DELETE CASCADE,"
     "  run_id INTEGER," /* NULL: an operator's decision */
     "  from_state TEXT,"
     "  to_state TEXT NOT NULL,"
     "  reason TEXT NOT NULL,"
     "  at INTEGER NOT NULL"
     ");"
     "CREATE INDEX transition_by_dataset"
     "  ON dataset_transition(dataset_id, id);"
     "CREATE INDEX transition_by_run ON dataset_transition(run_id);"
     "ALTER TABLE ledger ADD COLUMN datasets_superseded INTEGER NOT NULL"
     "  DEFAULT 0;"},
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
    /* The findings a run recorded, by severity, for the datasets it
     * wrote new or updated: a flow, written in the page's transaction
     * with the findings themselves. */
    {"count findings per run in the ledger, by severity",
     "ALTER TABLE ledger ADD COLUMN findings_violations INTEGER NOT NULL"
     "  DEFAULT 0;"
     "ALTER TABLE ledger ADD COLUMN findings_warnings INTEGER NOT NULL"
     "  DEFAULT 0;"
     "ALTER TABLE ledger ADD COLUMN findings_infos INTEGER NOT NULL"
     "  DEFAULT 0;"},
    /* Publication (store/publish.c): sink operations keyed by the
     * published identity of a dataset rather than by the copy. publication
     * maps each identity to the copy published under it; outbox_published
     * is, per sink, what the queued operations leave the sink holding, so
     * a resolve queues exactly the difference. */
    {"key sink operations by published identity",
     "CREATE TABLE publication ("
     "  identity TEXT PRIMARY KEY,"
     "  dataset_id INTEGER NOT NULL UNIQUE"
     ") WITHOUT ROWID;"
     "CREATE TABLE outbox_published ("
     "  sink TEXT NOT NULL,"
     "  identity TEXT NOT NULL,"
     "  dataset_id INTEGER NOT NULL,"
     "  hash TEXT,"
     "  PRIMARY KEY (sink, identity)"
     ") WITHOUT ROWID;"
     "ALTER TABLE outbox_sink ADD COLUMN withhold INTEGER NOT NULL"
     "  DEFAULT 0;"
     "ALTER TABLE outbox ADD COLUMN identity TEXT;"
     "CREATE INDEX outbox_by_identity ON outbox(sink, identity, seq)"
     "  WHERE state IN ('pending', 'parked');"},
    /* A dataset's findings as one JSON array in one row rather than one
     * row per finding: a first harvest of 100 000 datasets writes half a
     * million findings, and one row each made the store the harvest's
     * bottleneck. The view `finding` keeps the rows for every reader, in
     * the order the stages recorded them (seq). Each element is
     * [rule, severity, subject, predicate, old, new, message, de]. */
    {"one row of findings per dataset, read through a view",
     "CREATE TABLE dataset_finding ("
     "  dataset_id INTEGER PRIMARY KEY"
     "    REFERENCES dataset(id) ON DELETE CASCADE,"
     "  items TEXT NOT NULL"
     ");"
     "INSERT INTO dataset_finding (dataset_id, items)"
     "  SELECT dataset_id, json_group_array(json_array(rule, severity,"
     "    subject, predicate, old_value, new_value, message, message_de))"
     "  FROM (SELECT * FROM finding ORDER BY dataset_id, rowid)"
     "  GROUP BY dataset_id;"
     "DROP TRIGGER finding_gone;"
     "DROP TABLE finding;"
     "CREATE VIEW finding AS SELECT f.dataset_id AS dataset_id,"
     "  CAST(j.key AS INTEGER) AS seq,"
     "  json_extract(j.value, '$[0]') AS rule,"
     "  json_extract(j.value, '$[1]') AS severity,"
     "  json_extract(j.value, '$[2]') AS subject,"
     "  json_extract(j.value, '$[3]') AS predicate,"
     "  json_extract(j.value, '$[4]') AS old_value,"
     "  json_extract(j.value, '$[5]') AS new_value,"
     "  json_extract(j.value, '$[6]') AS message,"
     "  json_extract(j.value, '$[7]') AS message_de"
     "  FROM dataset_finding f, json_each(f.items) j;"
     "CREATE TRIGGER finding_gone AFTER UPDATE OF status ON dataset"
     "  WHEN new.status <> 'active' BEGIN"
     "  DELETE FROM dataset_finding WHERE dataset_id = new.id;"
     "  UPDATE dataset SET violations = 0, warnings = 0 WHERE id = new.id;"
     "END;"},
    /* What repeats from finding to finding was more than half of the
     * findings' bytes: the rule, the severity, the predicate and the
     * English and German messages, of which a national harvest has a
     * few dozen distinct combinations among half a million findings.
     * Each combination (a kind) is now stored once in finding_kind and
     * an item is [kind id, subject, old, new], where the writer leaves
     * out trailing nulls (json_extract reads a missing element as null).
     * The view keeps its columns and values: the kind's texts come by a
     * rowid join, and the unary plus keeps them without affinity, as
     * they were when read out of the JSON. The unique index treats two
     * absent predicates or German texts as equal, which a plain UNIQUE
     * would not, and keeps an absent one apart from an empty one. Kind
     * rows are never deleted: writers cache their ids for the length of
     * a harvest (store/findings.c). Rows already stored are converted in
     * place, in their recorded order. */
    {"intern the repeating part of findings; shorter finding items",
     "CREATE TABLE finding_kind ("
     "  id INTEGER PRIMARY KEY,"
     "  rule TEXT NOT NULL,"
     "  severity TEXT NOT NULL,"
     "  predicate TEXT,"
     "  en TEXT NOT NULL,"
     "  de TEXT"
     ");"
     "CREATE UNIQUE INDEX finding_kind_key ON finding_kind(rule, severity,"
     "  predicate IS NULL, ifnull(predicate, ''), en, de IS NULL,"
     "  ifnull(de, ''));"
     "INSERT OR IGNORE INTO finding_kind (rule, severity, predicate, en, de)"
     "  SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),"
     "    json_extract(j.value, '$[3]'), json_extract(j.value, '$[6]'),"
     "    json_extract(j.value, '$[7]')"
     "  FROM dataset_finding f, json_each(f.items) j"
     "  ORDER BY f.dataset_id, CAST(j.key AS INTEGER);"
     "UPDATE dataset_finding SET items = (SELECT json_group_array(json("
     "  CASE WHEN n IS NOT NULL THEN json_array(k, s, o, n)"
     "  WHEN o IS NOT NULL THEN json_array(k, s, o)"
     "  WHEN s IS NOT NULL THEN json_array(k, s) ELSE json_array(k) END))"
     "  FROM (SELECT (SELECT m.id FROM finding_kind m"
     "      WHERE m.rule = json_extract(j.value, '$[0]')"
     "      AND m.severity = json_extract(j.value, '$[1]')"
     "      AND m.predicate IS json_extract(j.value, '$[3]')"
     "      AND m.en = json_extract(j.value, '$[6]')"
     "      AND m.de IS json_extract(j.value, '$[7]')) AS k,"
     "    json_extract(j.value, '$[2]') AS s,"
     "    json_extract(j.value, '$[4]') AS o,"
     "    json_extract(j.value, '$[5]') AS n"
     "    FROM json_each(dataset_finding.items) j"
     "    ORDER BY CAST(j.key AS INTEGER)));"
     "DROP VIEW finding;"
     "CREATE VIEW finding AS SELECT f.dataset_id AS dataset_id,"
     "  CAST(j.key AS INTEGER) AS seq,"
     "  +k.rule AS rule, +k.severity AS severity,"
     "  json_extract(j.value, '$[1]') AS subject,"
     "  +k.predicate AS predicate,"
     "  json_extract(j.value, '$[2]') AS old_value,"
     "  json_extract(j.value, '$[3]') AS new_value,"
     "  +k.en AS message, +k.de AS message_de"
     "  FROM dataset_finding f, json_each(f.items) j"
     "  LEFT JOIN finding_kind k ON k.id = json_extract(j.value, '$[0]');"},
};

const size_t hv__store_migration_count =
    sizeof(hv__store_migrations) / sizeof(hv__store_migrations[0]);
