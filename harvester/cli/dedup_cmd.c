/*
 * The commands of deduplication and the dataset lifecycle:
 * `govharvest quarantine list|release|restore` (an operator's decision on
 * what a held run would have deleted), `govharvest dataset show KEY` (a
 * dataset's copies and their history) and `govharvest report duplicates`
 * (near-duplicate candidates and identifier collisions).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/table.h"
#include "dedup/dedup.h"
#include "outbox/sender.h"
#include "sinks/sink.h"
#include "store/store.h"
#include "util/alloc.h"

static void format_time(int64_t t, char *buf, size_t cap)
{
  time_t tt = (time_t)t;
  struct tm tm;

  if (t <= 0 || !gmtime_r(&tt, &tm))
    snprintf(buf, cap, "-");
  else
    strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* Settles winners after an operator's decision; prints why not. */
static int resolve_now(hv_store *store)
{
  hv_error err = HV_ERROR_INIT;
  hv_dedup_stats st;

  if (hv_dedup_resolve(store, NULL, 0, NULL, NULL, &st, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    return HV_EXIT_STORE;
  }
  if (st.promoted)
    printf("%zu other copies promoted\n", st.promoted);
  return HV_EXIT_OK;
}

/*
 * Before an operator's decision is resolved: the sinks of the
 * configuration in use (if one is found) with their own violations
 * settings, so the resolve queues for them what a run would, whatever
 * the last run's --violations said. Without a configuration the sinks
 * the store last learnt stay.
 */
static int configure_sinks(hv_store *store)
{
  hv_error err = HV_ERROR_INIT;
  hv_sink_conf *confs = NULL;
  const char *path = NULL;
  size_t n = 0;
  int rc = HV_EXIT_OK;

  if (hv_sink_conf_load_default(NULL, &confs, &n, &path, &err) < 0) {
    rc = HV_EXIT_USAGE;
  } else if (path && hv_outbox_configure(store, confs, n, 0, &err) < 0) {
    rc = err.code == HV_ESTORE ? HV_EXIT_STORE : HV_EXIT_USAGE;
  }
  if (rc != HV_EXIT_OK)
    fprintf(stderr, "govharvest: %s\n", err.msg);
  hv_sink_confs_free(confs, n);
  return rc;
}

/* ---- quarantine ------------------------------------------------------- */

static const char quarantine_usage[] =
    "usage: govharvest quarantine list [--source NAME] [--json]\n"
    "       govharvest quarantine release|restore (--source NAME [KEY] | "
    "--all)\n"
    "\n"
    "Datasets that a held run would have deleted are quarantined: still\n"
    "published, flagged. release deletes them now (another source's copy\n"
    "of the same dataset is promoted) and queues their deletion in the\n"
    "configured sinks (sent by 'push' or the next run); restore makes them\n"
    "active again and sends nothing.\n"
    "A later run deletes them anyway if their source still leaves them out\n"
    "and the deletion guard lets the run through, and frees them if their\n"
    "source delivers them again.\n";

static int quarantine_list(hv_store *store, const char *source, int json)
{
  hv_quarantine_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;
  char since[32];

  if (hv_store_quarantine_list(store, source, &rows, &n, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    return HV_EXIT_STORE;
  }
  if (json) {
    json_t *arr = json_array();

    for (i = 0; i < n; i++) {
      format_time(rows[i].since, since, sizeof(since));
      json_array_append_new(
          arr, json_pack("{s:s, s:s, s:s?, s:I, s:s, s:s}", "source",
                         rows[i].source, "key", rows[i].key, "identifier",
                         rows[i].identifier, "run", (json_int_t)rows[i].run_id,
                         "since", since, "reason", rows[i].reason));
    }
    hv__cli_print_json(json_pack("{s:o}", "quarantined", arr));
  } else {
    static const char *const headers[] = {"source", "key", ">run", "since",
                                          "reason"};
    hv_table *t = hv_table_new(5, headers);

    for (i = 0; t && i < n; i++) {
      format_time(rows[i].since, since, sizeof(since));
      hv_table_addf(t, "%s\t%s\t%lld\t%s\t%s", rows[i].source, rows[i].key,
                    (long long)rows[i].run_id, since, rows[i].reason);
    }
    if (t)
      hv_table_print(t, stdout);
    hv_table_free(t);
    printf("%zu quarantined\n", n);
  }
  hv_quarantine_rows_free(rows, n);
  return HV_EXIT_OK;
}

int hv__cli_quarantine(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"source", required_argument, NULL, 's'},
      {"all", no_argument, NULL, 'a'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *verb, *source = NULL, *key = NULL;
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;
  int c, json = 0, all = 0, rc;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(quarantine_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? HV_EXIT_USAGE : HV_EXIT_OK;
  }
  verb = argv[1];
  if (strcmp(verb, "list") != 0 && strcmp(verb, "release") != 0 &&
      strcmp(verb, "restore") != 0)
    return hv__cli_usage_error(quarantine_usage,
                               "unknown quarantine command: %s", verb);
  optind = 0;
  while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': source = optarg; break;
    case 'a': all = 1; break;
    case 'j': json = 1; break;
    case 'h': fputs(quarantine_usage, stdout); return HV_EXIT_OK;
    default:
      return hv__cli_usage_error(quarantine_usage, "bad option for quarantine");
    }
  }
  if (optind < argc - 1)
    key = argv[1 + optind++];
  if (optind < argc - 1)
    return hv__cli_usage_error(quarantine_usage, "unexpected argument: %s",
                               argv[1 + optind]);
  if (strcmp(verb, "list") == 0) {
    if (key || all)
      return hv__cli_usage_error(quarantine_usage,
                                 "quarantine list takes only --source");
  } else {
    if (json)
      return hv__cli_usage_error(quarantine_usage,
                                 "--json is for quarantine list");
    /* Deciding for everything at once must be said out loud. */
    if (all == (source != NULL))
      return hv__cli_usage_error(quarantine_usage,
                                 "quarantine %s needs --source NAME or --all",
                                 verb);
    if (key && !source)
      return hv__cli_usage_error(quarantine_usage,
                                 "a KEY needs its --source");
  }
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (strcmp(verb, "list") == 0) {
    rc = quarantine_list(store, source, json);
    goto done;
  }
  if ((rc = configure_sinks(store)) != HV_EXIT_OK)
    goto done;
  if ((strcmp(verb, "release") == 0
           ? hv_store_quarantine_release(store, source, key, &n, &err)
           : hv_store_quarantine_restore(store, source, key, &n, &err)) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = err.code == HV_ENOTFOUND ? HV_EXIT_FAILURE : HV_EXIT_STORE;
    goto done;
  }
  printf("%zu datasets %s\n", n,
         strcmp(verb, "release") == 0 ? "released (deleted)" : "restored");
  rc = resolve_now(store);

done:
  hv_store_close(store);
  return rc;
}

/* ---- dataset show ----------------------------------------------------- */

static const char dataset_usage[] =
    "usage: govharvest dataset show KEY [--json]\n"
    "\n"
    "Shows every stored copy of a dataset (KEY: a dataset key or IRI, or a\n"
    "dct:identifier, matched regardless of case) with its source, state\n"
    "and modified date, and every state transition with run and reason.\n";

static const char *or_dash(const char *s)
{
  return s ? s : "-";
}

int hv__cli_dataset(cli_ctx *ctx, int argc, char **argv)
{
  hv_store *store = NULL;
  hv_copy_row *c = NULL;
  hv_transition_row *t = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t nc = 0, nt = 0, i, j;
  int rc, json = 0, help = 0;
  const char *key;
  char at[32], run[32];

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(dataset_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? HV_EXIT_USAGE : HV_EXIT_OK;
  }
  if (strcmp(argv[1], "show") != 0)
    return hv__cli_usage_error(dataset_usage, "unknown dataset command: %s",
                               argv[1]);
  if ((rc = hv__cli_parse_simple(argc - 1, argv + 1, dataset_usage, &json,
                                 &help)) != HV_EXIT_OK)
    return rc;
  if (help) {
    fputs(dataset_usage, stdout);
    return HV_EXIT_OK;
  }
  if (optind + 1 != argc - 1)
    return hv__cli_usage_error(dataset_usage,
                               "dataset show needs exactly one KEY");
  key = argv[1 + optind];
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_dataset_history(store, key, &c, &nc, &t, &nt, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = err.code == HV_ENOTFOUND ? HV_EXIT_FAILURE : HV_EXIT_STORE;
    goto done;
  }
  if (json) {
    json_t *copies = json_array();

    for (i = 0; i < nc; i++) {
      json_t *hist = json_array();

      for (j = 0; j < nt; j++) {
        if (t[j].dataset_id != c[i].id)
          continue;
        format_time(t[j].at, at, sizeof(at));
        json_array_append_new(
            hist, json_pack("{s:s?, s:s, s:I, s:s, s:s}", "from",
                            t[j].from_state, "to", t[j].to_state, "run",
                            (json_int_t)t[j].run_id, "at", at, "reason",
                            t[j].reason));
      }
      json_array_append_new(
          copies,
          json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:i, s:I, s:I, s:o}",
                    "source", c[i].source, "key", c[i].key, "uri", c[i].uri,
                    "identifier", c[i].identifier, "modified",
                    c[i].modified, "state", c[i].state, "priority",
                    c[i].priority, "first_run", (json_int_t)c[i].first_run,
                    "last_seen_run", (json_int_t)c[i].last_seen_run,
                    "history", hist));
    }
    hv__cli_print_json(json_pack("{s:s, s:o}", "query", key, "copies",
                                 copies));
  } else {
    for (i = 0; i < nc; i++) {
      printf("%s%s %s: %s\n", i ? "\n" : "", c[i].source, c[i].key,
             c[i].state);
      printf("  uri         %s\n  identifier  %s\n  modified    %s\n"
             "  priority    %d\n  runs        first %lld, last seen %lld\n",
             or_dash(c[i].uri), or_dash(c[i].identifier),
             or_dash(c[i].modified), c[i].priority,
             (long long)c[i].first_run, (long long)c[i].last_seen_run);
      for (j = 0; j < nt; j++) {
        if (t[j].dataset_id != c[i].id)
          continue;
        format_time(t[j].at, at, sizeof(at));
        if (t[j].run_id)
          snprintf(run, sizeof(run), "run %lld", (long long)t[j].run_id);
        else
          snprintf(run, sizeof(run), "operator");
        printf("  %s  %-9s %s -> %s: %s\n", at, run,
               or_dash(t[j].from_state), t[j].to_state, t[j].reason);
      }
    }
  }
  rc = HV_EXIT_OK;

done:
  hv_copy_rows_free(c, nc);
  hv_transition_rows_free(t, nt);
  hv_store_close(store);
  return rc;
}

/* ---- report duplicates ------------------------------------------------ */

static const char duplicates_usage[] =
    "usage: govharvest report duplicates [--threshold T] [--json]\n"
    "\n"
    "Near-duplicate candidates: published datasets from different sources\n"
    "with different identifiers and IRIs whose title words, publisher and\n"
    "distribution URLs are alike (Jaccard similarity at least T, default\n"
    "0.8; MinHash with LSH banding finds the candidates). They are only\n"
    "reported, never merged. Also lists identifier collisions: different\n"
    "raw identifiers that normalise to one key and are therefore treated\n"
    "as one dataset.\n";

typedef struct collision_row {
  char *normalised, *a, *source_a, *b, *source_b;
} collision_row;

/* Recomputes the identifier collisions among the delivered copies. */
static int find_collisions(hv_store *store, collision_row **out, size_t *n,
                           hv_error *err)
{
  hv_lifecycle_row *rows = NULL;
  hv_dedup_copy *copies = NULL;
  hv_dedup_groups g;
  collision_row *cr = NULL;
  size_t nr = 0, nc = 0, i;
  int rc;

  memset(&g, 0, sizeof(g));
  if ((rc = hv_store_lifecycle_load(store, &rows, &nr, err)) < 0)
    goto cleanup;
  if (nr && !(copies = hv_calloc(nr, sizeof(*copies)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < nr; i++) {
    if (!rows[i].live)
      continue;
    copies[nc].id = rows[i].id;
    copies[nc].source = rows[i].source;
    copies[nc].key = rows[i].key;
    copies[nc].uri = rows[i].uri;
    copies[nc].identifier = rows[i].identifier;
    copies[nc].modified = rows[i].modified;
    copies[nc].priority = rows[i].priority;
    nc++;
  }
  if ((rc = hv_dedup_group(copies, nc, &g, err)) < 0)
    goto cleanup;
  if (g.n_collisions &&
      !(cr = hv_calloc(g.n_collisions, sizeof(*cr)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < g.n_collisions; i++) {
    const hv_dedup_copy *a = &copies[g.collisions[i].a];
    const hv_dedup_copy *b = &copies[g.collisions[i].b];

    if (!(cr[i].normalised = hv_strdup(g.collisions[i].normalised)) ||
        !(cr[i].a = hv_strdup(a->identifier)) ||
        !(cr[i].source_a = hv_strdup(a->source)) ||
        !(cr[i].b = hv_strdup(b->identifier)) ||
        !(cr[i].source_b = hv_strdup(b->source))) {
      *n = i + 1;
      *out = cr;
      cr = NULL;
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  *out = cr;
  *n = g.n_collisions;
  cr = NULL;

cleanup:
  hv_free(cr);
  hv_dedup_groups_fini(&g);
  hv_free(copies);
  hv_lifecycle_rows_free(rows, nr);
  return rc;
}

static void collisions_free(collision_row *c, size_t n)
{
  size_t i;

  for (i = 0; c && i < n; i++) {
    hv_free(c[i].normalised);
    hv_free(c[i].a);
    hv_free(c[i].source_a);
    hv_free(c[i].b);
    hv_free(c[i].source_b);
  }
  hv_free(c);
}

int hv__cli_report_duplicates(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"threshold", required_argument, NULL, 't'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_neardup_opts o = HV_NEARDUP_OPTS_INIT;
  hv_neardup_result r;
  collision_row *col = NULL;
  size_t ncol = 0, i;
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  int c, json = 0, rc;
  char *end;

  memset(&r, 0, sizeof(r));
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 't':
      o.threshold = strtod(optarg, &end);
      if (end == optarg || *end || !(o.threshold > 0.0 && o.threshold <= 1.0))
        return hv__cli_usage_error(duplicates_usage,
                                   "--threshold: a number in (0, 1]: %s",
                                   optarg);
      break;
    case 'j': json = 1; break;
    case 'h': fputs(duplicates_usage, stdout); return HV_EXIT_OK;
    default:
      return hv__cli_usage_error(duplicates_usage, "bad option for report");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(duplicates_usage, "unexpected argument: %s",
                               argv[optind]);
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_neardup_find(store, &o, &r, &err) < 0 ||
      find_collisions(store, &col, &ncol, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
    goto done;
  }
  if (json) {
    json_t *pairs = json_array(), *cols = json_array();

    for (i = 0; i < r.n_pairs; i++)
      json_array_append_new(
          pairs,
          json_pack("{s:f, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}}",
                    "similarity", r.pairs[i].similarity, "a", "source",
                    r.pairs[i].source_a, "key", r.pairs[i].key_a, "title",
                    r.pairs[i].title_a, "b", "source", r.pairs[i].source_b,
                    "key", r.pairs[i].key_b, "title", r.pairs[i].title_b));
    for (i = 0; i < ncol; i++)
      json_array_append_new(
          cols, json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "normalised",
                          col[i].normalised, "a", "source", col[i].source_a,
                          "identifier", col[i].a, "b", "source",
                          col[i].source_b, "identifier", col[i].b));
    hv__cli_print_json(json_pack(
        "{s:f, s:I, s:I, s:o, s:o}", "threshold", o.threshold, "datasets",
        (json_int_t)r.datasets, "skipped_buckets",
        (json_int_t)r.skipped_buckets, "candidates", pairs,
        "identifier_collisions", cols));
  } else {
    static const char *const headers[] = {">similarity", "source a", "key a",
                                          "source b", "key b", "title a"};
    hv_table *t = hv_table_new(6, headers);

    for (i = 0; t && i < r.n_pairs; i++)
      hv_table_addf(t, "%.2f\t%s\t%s\t%s\t%s\t%s", r.pairs[i].similarity,
                    r.pairs[i].source_a, r.pairs[i].key_a,
                    r.pairs[i].source_b, r.pairs[i].key_b,
                    r.pairs[i].title_a);
    if (t && r.n_pairs)
      hv_table_print(t, stdout);
    hv_table_free(t);
    printf("%zu near-duplicate candidates among %zu published datasets "
           "(similarity >= %.2f)\n",
           r.n_pairs, r.datasets, o.threshold);
    if (r.skipped_buckets)
      printf("%zu LSH buckets with more than %zu datasets were not "
             "paired\n",
             r.skipped_buckets, o.max_bucket);
    for (i = 0; i < ncol; i++)
      printf("identifier collision: '%s' (%s) and '%s' (%s) -> '%s'\n",
             col[i].a, col[i].source_a, col[i].b, col[i].source_b,
             col[i].normalised);
    printf("%zu identifier collisions\n", ncol);
  }

done:
  collisions_free(col, ncol);
  hv_neardup_result_fini(&r);
  hv_store_close(store);
  return rc;
}
