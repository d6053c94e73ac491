/*
 * The `outbox` and `push` commands, and the sink hooks of `run`.
 *
 * Sinks are read from the configuration file named by --config, else by
 * $GOVHARVEST_CONFIG, else ./govharvest.conf if it exists (format in
 * sinks/README.md). Before a run the store learns which sinks are
 * configured, so the harvest queues operations for exactly those; after
 * the run, and on `push`, the outbox is drained into them.
 */
#include "cli/cli.h"
#include "cli/cli_int.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/table.h"
#include "outbox/sender.h"
#include "sinks/sink.h"
#include "util/alloc.h"
#include "util/log.h"

#define DEFAULT_CONFIG "govharvest.conf"

/* Loads the sinks of path (or the default file); none if it is absent. */
static int load_sinks(const char *path, hv_sink_conf **out, size_t *n_out)
{
  hv_error err = HV_ERROR_INIT;

  if (hv_sink_conf_load_default(path, out, n_out, NULL, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    return HV_EXIT_USAGE;
  }
  return HV_EXIT_OK;
}

/* Tells the store which sinks operations are queued for, each with its
 * own violations setting: the configuration is what every resolve uses,
 * except the one of a `run --violations withhold`. */
static int sync_sinks(hv_store *store, const hv_sink_conf *confs, size_t n)
{
  hv_error err = HV_ERROR_INIT;

  if (hv_outbox_configure(store, confs, n, 0, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    return err.code == HV_ESTORE ? HV_EXIT_STORE : HV_EXIT_USAGE;
  }
  return HV_EXIT_OK;
}

/* Drains the outbox and prints one summary line to out. */
static int drain(hv_store *store, const hv_sink_conf *confs, size_t n,
                 FILE *out)
{
  hv_outbox_opts opts = HV_OUTBOX_OPTS_INIT;
  hv_outbox_stats st;
  hv_error err = HV_ERROR_INIT;

  if (hv_outbox_drain(store, confs, n, &opts, &st, &err) < 0) {
    fprintf(stderr, "govharvest: push: %s\n", err.msg);
    return err.code == HV_ESTORE ? HV_EXIT_STORE : HV_EXIT_FAILURE;
  }
  fprintf(out, "push: %zu done, %zu failed sends, %zu parked, %zu left\n",
          st.done, st.failed, st.parked, st.left);
  if (st.message[0])
    fprintf(stderr, "govharvest: %s\n", st.message);
  return st.left || st.parked || st.halted || st.message[0] ? HV_EXIT_FAILURE
                                                             : HV_EXIT_OK;
}

int hv__cli_sinks_before_run(hv_store *store, hv_sink_conf **confs,
                             size_t *n)
{
  int rc;

  if ((rc = load_sinks(NULL, confs, n)) != HV_EXIT_OK)
    return rc;
  return sync_sinks(store, *confs, *n);
}

int hv__cli_sinks_after_run(hv_store *store, const hv_sink_conf *confs,
                            size_t n, int run_rc)
{
  int rc;

  if (n == 0 || run_rc == HV_EXIT_STORE)
    return run_rc;
  /* A --violations withhold of the run held for its resolve only; later
   * resolves (quarantine release, the next run) use the configuration. */
  if ((rc = sync_sinks(store, confs, n)) != HV_EXIT_OK)
    return rc;
  rc = drain(store, confs, n, stdout);
  return run_rc != HV_EXIT_OK ? run_rc : rc;
}

/* ---- push --------------------------------------------------------------- */

static const char push_usage[] =
    "usage: govharvest push [--config FILE]\n"
    "\n"
    "Sends every pending operation of the outbox to its sink now (waiting\n"
    "backoff is ignored; parked operations wait for 'outbox retry').\n"
    "Exit code 1 if anything is left pending or parked.\n";

int hv__cli_push(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL;
  hv_sink_conf *confs = NULL;
  hv_store *store = NULL;
  size_t n = 0;
  int c, rc = HV_EXIT_OK;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': config = optarg; break;
    case 'h': fputs(push_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(push_usage, "bad option for push");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(push_usage, "unexpected argument: %s",
                               argv[optind]);
  if ((rc = load_sinks(config, &confs, &n)) != HV_EXIT_OK)
    goto cleanup;
  if (n == 0) {
    fprintf(stderr, "govharvest: push: no sink configured (set --config, "
                    "$GOVHARVEST_CONFIG or ./" DEFAULT_CONFIG ")\n");
    rc = HV_EXIT_USAGE;
    goto cleanup;
  }
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK ||
      (rc = sync_sinks(store, confs, n)) != HV_EXIT_OK)
    goto cleanup;
  rc = drain(store, confs, n, stdout);

cleanup:
  hv_store_close(store);
  hv_sink_confs_free(confs, n);
  return rc;
}

/* ---- outbox ------------------------------------------------------------- */

static const char outbox_usage[] =
    "usage: govharvest outbox status [--sink NAME] [--list] [--json]\n"
    "       govharvest outbox retry [--sink NAME] [--seq N]\n"
    "       govharvest outbox drop [--sink NAME] [--seq N] --yes\n"
    "\n"
    "status counts the operations per sink (pending, parked, done,\n"
    "dropped); --list also lists the unfinished ones with their last\n"
    "error. retry makes parked operations pending again; drop gives up\n"
    "unfinished operations for good (--yes is required).\n";

static json_t *op_json(const hv_outbox_op *o)
{
  /* identity null: queued per copy by a store from before publication. */
  return json_pack("{s:I,s:s,s:s?,s:b,s:s,s:s,s:s,s:s,s:I,s:I,s:s?}", "seq",
                   (json_int_t)o->seq, "sink", o->sink, "identity",
                   o->identity, "per_copy", o->identity == NULL, "source",
                   o->source_name, "key", o->key, "op",
                   o->op == HV_OUTBOX_PUT ? "put" : "delete", "state",
                   o->state, "attempts", (json_int_t)o->attempts, "next_try",
                   (json_int_t)o->next_try, "last_error", o->last_error);
}

static int outbox_status(hv_store *store, const char *sink, int list,
                         int json)
{
  static const char *const headers[] = {"sink", ">pending", ">parked",
                                        ">done", ">dropped", "oldest pending"};
  static const char *const op_headers[] = {">seq", "sink", "op", "dataset",
                                           "state", ">attempts",
                                           "last error"};
  hv_outbox_count *counts = NULL;
  hv_outbox_op *ops = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, n_ops = 0, per_copy = 0, i;
  hv_table *t = NULL;
  json_t *doc = NULL, *arr;
  int rc = HV_EXIT_OK;

  if (hv_store_outbox_counts(store, &counts, &n, &err) < 0 ||
      hv_store_outbox_count_per_copy(store, sink, &per_copy, &err) < 0 ||
      (list && hv_store_outbox_list(store, sink, NULL, 0, &ops, &n_ops,
                                    &err) < 0)) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
    goto cleanup;
  }
  if (json) {
    doc = json_pack("{s:[],s:[],s:I}", "sinks", "operations",
                    "per_copy_unfinished", (json_int_t)per_copy);
    arr = json_object_get(doc, "sinks");
    for (i = 0; doc && i < n; i++)
      if (!sink || strcmp(sink, counts[i].sink) == 0)
        json_array_append_new(
            arr, json_pack("{s:s,s:I,s:I,s:I,s:I,s:I}", "sink", counts[i].sink,
                           "pending", (json_int_t)counts[i].pending, "parked",
                           (json_int_t)counts[i].parked, "done",
                           (json_int_t)counts[i].done, "dropped",
                           (json_int_t)counts[i].dropped, "oldest_pending",
                           (json_int_t)counts[i].oldest_pending));
    arr = json_object_get(doc, "operations");
    for (i = 0; doc && i < n_ops; i++)
      json_array_append_new(arr, op_json(&ops[i]));
    hv__cli_print_json(doc);
    goto cleanup;
  }
  if (!(t = hv_table_new(6, headers))) {
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    char when[32] = "-";
    time_t at = (time_t)counts[i].oldest_pending;
    struct tm tm;

    if (sink && strcmp(sink, counts[i].sink) != 0)
      continue;
    if (at && gmtime_r(&at, &tm))
      strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
    hv_table_addf(t, "%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                     "\t%s",
                  counts[i].sink, counts[i].pending, counts[i].parked,
                  counts[i].done, counts[i].dropped, when);
  }
  hv_table_print(t, stdout);
  /* Left by a store upgraded from per-copy keys (harvester/README.md). */
  if (per_copy)
    printf("\n%zu unfinished operation%s queued per copy, before published "
           "identities: sent by source and key, shown as 'SOURCE/KEY (per "
           "copy)'\n",
           per_copy, per_copy == 1 ? "" : "s");
  if (list) {
    hv_table_free(t);
    if (!(t = hv_table_new(7, op_headers))) {
      rc = HV_EXIT_FAILURE;
      goto cleanup;
    }
    for (i = 0; i < n_ops; i++)
      hv_table_addf(t, "%" PRId64 "\t%s\t%s\t%s%s%s/%s%s\t%s\t%" PRId64
                       "\t%s",
                    ops[i].seq, ops[i].sink,
                    ops[i].op == HV_OUTBOX_PUT ? "put" : "delete",
                    ops[i].identity ? ops[i].identity : "",
                    ops[i].identity ? " (" : "", ops[i].source_name,
                    ops[i].key, ops[i].identity ? ")" : " (per copy)",
                    ops[i].state, ops[i].attempts,
                    ops[i].last_error ? ops[i].last_error : "");
    fputc('\n', stdout);
    hv_table_print(t, stdout);
  }

cleanup:
  hv_table_free(t);
  hv_outbox_counts_free(counts, n);
  hv_outbox_ops_free(ops, n_ops);
  return rc;
}

int hv__cli_outbox(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"sink", required_argument, NULL, 's'},
      {"seq", required_argument, NULL, 'n'},
      {"list", no_argument, NULL, 'l'},
      {"yes", no_argument, NULL, 'y'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *verb, *sink = NULL;
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  long seq = 0;
  size_t changed = 0;
  int c, list = 0, yes = 0, json = 0, rc = HV_EXIT_OK;

  if (argc < 2)
    return hv__cli_usage_error(outbox_usage, "outbox: missing verb");
  verb = argv[1];
  if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
    fputs(outbox_usage, stdout);
    return HV_EXIT_OK;
  }
  if (strcmp(verb, "status") != 0 && strcmp(verb, "retry") != 0 &&
      strcmp(verb, "drop") != 0)
    return hv__cli_usage_error(outbox_usage, "outbox: unknown verb '%s'",
                               verb);
  optind = 0;
  while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': sink = optarg; break;
    case 'n':
      if (hv__cli_parse_long(optarg, 1, 0x7fffffffL, &seq) < 0)
        return hv__cli_usage_error(outbox_usage, "--seq: a positive number: "
                                   "%s", optarg);
      break;
    case 'l': list = 1; break;
    case 'y': yes = 1; break;
    case 'j': json = 1; break;
    case 'h': fputs(outbox_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(outbox_usage, "bad option for outbox");
    }
  }
  if (optind != argc - 1)
    return hv__cli_usage_error(outbox_usage, "unexpected argument: %s",
                               argv[optind + 1]);
  if (strcmp(verb, "drop") == 0 && !yes)
    return hv__cli_usage_error(outbox_usage, "outbox drop: operations are "
                               "lost for good; confirm with --yes");
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (strcmp(verb, "status") == 0) {
    rc = outbox_status(store, sink, list, json);
  } else if ((strcmp(verb, "retry") == 0
                  ? hv_store_outbox_retry(store, sink, seq, &changed, &err)
                  : hv_store_outbox_drop(store, sink, seq, &changed, &err)) <
             0) {
    fprintf(stderr, "govharvest: outbox %s: %s\n", verb, err.msg);
    rc = HV_EXIT_STORE;
  } else {
    printf("outbox %s: %zu operation%s\n", verb, changed,
           changed == 1 ? "" : "s");
  }
  hv_store_close(store);
  return rc;
}
