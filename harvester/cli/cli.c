/*
 * Command dispatch (see cli.h).
 *
 * Global options come before the command (--db, --verbose, --quiet);
 * each command parses its own options with getopt_long and answers
 * --help with its usage. Human tables go to stdout, diagnostics to
 * stderr, and --json replaces the tables with one JSON document.
 */
#include "cli/cli.h"
#include "cli/cli_int.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/print.h"
#include "cli/table.h"
#include "demo/demo.h"
#include "harvest/harvest.h"
#include "sinks/files.h"
#include "sinks/sink.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/log.h"


static const char main_usage[] =
    "usage: govharvest [--db PATH] [--profiles DIR] [-v|-q] COMMAND [ARGS]\n"
    "\n"
    "Harvests DCAT-AP.de handover points into a store.\n"
    "\n"
    "Commands:\n"
    "  source add|list|show|remove   manage the registry of sources\n"
    "  run                           harvest sources\n"
    "  report KIND                   volumes, quality, costs, reconcile,\n"
    "                                duplicates (see report --help)\n"
    "  state list|set                states and central handover points\n"
    "  validate FILE|URL             map and check one document, no store\n"
    "  quarantine list|release|restore  decide on quarantined datasets\n"
    "  dataset show KEY              a dataset's copies and history\n"
    "  push, outbox status|retry|drop  send to the sinks; inspect the outbox\n"
    "  demo                          harvest the bundled sample handover "
    "points\n"
    "  serve --config FILE           the daemon: schedules, admin API, page\n"
    "  token create|list|revoke      admin API tokens\n"
    "\n"
    "Global options:\n"
    "  --db PATH      store file (default $GOVHARVEST_DB or govharvest.db)\n"
    "  --profiles DIR profile directory with dcat-ap-de/ and sources/\n"
    "                 (default $GOVHARVEST_PROFILES or the bundled one)\n"
    "  -v, --verbose  log progress of every source and page\n"
    "  -q, --quiet    log errors only\n"
    "  --version      print the version\n"
    "\n"
    "Exit codes: 0 success; 1 a source failed or a command failed; 2 bad\n"
    "command line; 3 a run held its deletions (mass-delete guard); 4 the\n"
    "store could not be opened or written.\n"
    "Run 'govharvest COMMAND --help' for a command's options.\n";

int hv__cli_usage_error(const char *usage, const char *fmt, ...)
{
  va_list ap;

  fputs("govharvest: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s", usage);
  return HV_EXIT_USAGE;
}

int hv__cli_open_store(cli_ctx *ctx, hv_store **out)
{
  hv_error err = HV_ERROR_INIT;

  if (hv_store_open(out, ctx->db_path, &err) < 0) {
    fprintf(stderr, "govharvest: cannot open store %s: %s\n", ctx->db_path,
            err.msg);
    return HV_EXIT_STORE;
  }
  return HV_EXIT_OK;
}

int hv__cli_fail(const hv_error *err)
{
  fprintf(stderr, "govharvest: %s\n", err->msg);
  return err->code == HV_ESTORE ? HV_EXIT_STORE : HV_EXIT_FAILURE;
}

int hv__cli_store_failed(hv_store *store, const hv_error *err)
{
  fprintf(stderr, "govharvest: %s\n", err->msg);
  hv_store_close(store);
  return HV_EXIT_STORE;
}

int hv__cli_date_opt(const char *usage, const char *opt, const char *arg,
                     int64_t *out)
{
  if (hv__cli_parse_date(arg, out) < 0)
    return hv__cli_usage_error(usage, "%s: not a date: %s", opt, arg);
  return HV_EXIT_OK;
}

/* Parses a non-negative integer option; returns 0 or -1. */
int hv__cli_parse_long(const char *s, long min, long max, long *out)
{
  char *end;
  long v = 0;

  if (!s || !*s)
    return -1;
  v = strtol(s, &end, 10);
  if (*end || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

/* Parses YYYY-MM-DD (UTC midnight) into unix seconds. */
int hv__cli_parse_date(const char *s, int64_t *out)
{
  struct tm tm;
  int y, m, d, used = 0;
  time_t t;

  if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 ||
      s[used] != '\0' || m < 1 || m > 12 || d < 1 || d > 31)
    return -1;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = m - 1;
  tm.tm_mday = d;
  t = timegm(&tm);
  /* timegm normalises 2026-02-31 to March; such a date is refused. */
  if (tm.tm_mday != d || tm.tm_mon != m - 1)
    return -1;
  *out = (int64_t)t;
  return 0;
}

/* ---- source ----------------------------------------------------------- */

static const char source_usage[] =
    "usage: govharvest source add NAME --state NN --url URL [--kind KIND]\n"
    "                         [--format rdfxml|turtle|ntriples]\n"
    "                         [--priority N] [--contributor IRI] "
    "[--disabled]\n"
    "       govharvest source list [--json]\n"
    "       govharvest source show NAME [--json]\n"
    "       govharvest source remove NAME\n"
    "\n"
    "NN is a state key 01..16 or 'bund'. KIND is dcat-rdf (the default).\n"
    "Removing a source removes its datasets; its ledger rows stay.\n";

static json_t *source_json(const hv_source *s)
{
  return json_pack("{s:s,s:s,s:s,s:s,s:s?,s:i,s:s?,s:b,s:I}", "name",
                   s->name, "state", s->state, "kind", s->kind, "url", s->url,
                   "format", s->format_hint, "priority", s->priority,
                   "contributor", s->contributor_id, "enabled", s->enabled,
                   "created_at", (json_int_t)s->created_at);
}

void hv__cli_print_json(json_t *doc)
{
  if (doc) {
    json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
    json_decref(doc);
  }
}

static int source_add(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"state", required_argument, NULL, 's'},
      {"url", required_argument, NULL, 'u'},
      {"kind", required_argument, NULL, 'k'},
      {"format", required_argument, NULL, 'f'},
      {"priority", required_argument, NULL, 'p'},
      {"contributor", required_argument, NULL, 'c'},
      {"disabled", no_argument, NULL, 'd'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_source src;
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  long priority = 0;
  int c, rc;

  memset(&src, 0, sizeof(src));
  src.kind = "dcat-rdf";
  src.enabled = 1;
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': src.state = optarg; break;
    case 'u': src.url = optarg; break;
    case 'k': src.kind = optarg; break;
    case 'f': src.format_hint = optarg; break;
    case 'c': src.contributor_id = optarg; break;
    case 'd': src.enabled = 0; break;
    case 'p':
      if (hv__cli_parse_long(optarg, -1000000, 1000000, &priority) < 0)
        return hv__cli_usage_error(source_usage, "--priority: not a number: %s",
                           optarg);
      break;
    case 'h': fputs(source_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(source_usage, "bad option for source add");
    }
  }
  if (optind + 1 != argc)
    return hv__cli_usage_error(source_usage, "source add needs exactly one NAME");
  src.name = argv[optind];
  src.priority = (int)priority;
  if (!src.state || !src.url)
    return hv__cli_usage_error(source_usage, "source add needs --state and --url");
  if (hv_source_validate(&src, &err) < 0)
    return hv__cli_usage_error(source_usage, "%s", err.msg);
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_source_add(store, &src, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = err.code == HV_EEXISTS ? HV_EXIT_FAILURE : HV_EXIT_STORE;
  } else {
    printf("source %s added (state %s, %s)\n", src.name, src.state, src.url);
  }
  hv_store_close(store);
  return rc;
}

static int source_list(cli_ctx *ctx, int json)
{
  static const char *const headers[] = {"name", "state", "kind", "format",
                                        ">priority", "enabled", "url"};
  hv_store *store = NULL;
  hv_source *list = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;
  int rc;

  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_source_list(store, &list, &n, &err) < 0)
    return hv__cli_store_failed(store, &err);
  if (json) {
    json_t *arr = json_array();
    for (i = 0; i < n; i++)
      json_array_append_new(arr, source_json(&list[i]));
    hv__cli_print_json(json_pack("{s:o}", "sources", arr));
  } else {
    hv_table *t = hv_table_new(7, headers);
    for (i = 0; t && i < n; i++)
      hv_table_addf(t, "%s\t%s\t%s\t%s\t%d\t%s\t%s", list[i].name,
                    list[i].state, list[i].kind,
                    list[i].format_hint ? list[i].format_hint : "auto",
                    list[i].priority, list[i].enabled ? "yes" : "no",
                    list[i].url);
    if (t)
      hv_table_print(t, stdout);
    hv_table_free(t);
  }
  hv_source_list_free(list, n);
  hv_store_close(store);
  return HV_EXIT_OK;
}

static void format_time(char *buf, size_t cap, int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  if (t <= 0) {
    snprintf(buf, cap, "-");
    return;
  }
  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int source_show(cli_ctx *ctx, const char *name, int json)
{
  hv_store *store = NULL;
  hv_source src;
  hv_run_row *runs = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n_runs = 0, active = 0, unseen = 0, i;
  int rc;

  memset(&src, 0, sizeof(src));
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if ((rc = hv_store_source_get(store, name, &src, &err)) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    hv_store_close(store);
    return rc == HV_ENOTFOUND ? HV_EXIT_FAILURE : HV_EXIT_STORE;
  }
  if (hv_store_run_list(store, src.id, 10, &runs, &n_runs, &err) < 0 ||
      hv_store_dataset_counts(store, src.id, 0, &active, &unseen, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
    goto cleanup;
  }
  if (json) {
    json_t *doc = source_json(&src);
    json_t *arr = json_array();
    for (i = 0; i < n_runs; i++) {
      hv_ledger_counts c;
      memset(&c, 0, sizeof(c));
      hv_store_ledger_run(store, runs[i].id, &c, NULL);
      json_array_append_new(
          arr, json_pack("{s:I,s:s,s:s?,s:I,s:I,s:I,s:I,s:I}", "run",
                         (json_int_t)runs[i].id, "status", runs[i].status,
                         "message", runs[i].message, "started_at",
                         (json_int_t)runs[i].started_at, "finished_at",
                         (json_int_t)runs[i].finished_at, "datasets_new",
                         (json_int_t)c.datasets_new, "datasets_deleted",
                         (json_int_t)c.datasets_deleted, "pages_failed",
                         (json_int_t)c.pages_failed));
    }
    json_object_set_new(doc, "datasets_active", json_integer((json_int_t)active));
    json_object_set_new(doc, "runs", arr);
    hv__cli_print_json(doc);
  } else {
    static const char *const headers[] = {">run", "started", "status",
                                          ">pages", ">new", ">updated",
                                          ">deleted", ">failed", "message"};
    hv_table *t = hv_table_new(9, headers);
    printf("name:         %s\nstate:        %s\nkind:         %s\n"
           "url:          %s\nformat:       %s\npriority:     %d\n"
           "contributor:  %s\nenabled:      %s\ndatasets:     %zu active\n\n",
           src.name, src.state, src.kind, src.url,
           src.format_hint ? src.format_hint : "auto", src.priority,
           src.contributor_id ? src.contributor_id : "-",
           src.enabled ? "yes" : "no", active);
    for (i = 0; t && i < n_runs; i++) {
      hv_ledger_counts c;
      char started[32];
      memset(&c, 0, sizeof(c));
      hv_store_ledger_run(store, runs[i].id, &c, NULL);
      format_time(started, sizeof(started), runs[i].started_at);
      hv_table_addf(t,
                    "%" PRId64 "\t%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64
                    "\t%" PRId64 "\t%" PRId64 "\t%s",
                    runs[i].id, started, runs[i].status,
                    c.pages_fetched + c.pages_not_modified, c.datasets_new,
                    c.datasets_updated, c.datasets_deleted, c.pages_failed,
                    runs[i].message ? runs[i].message : "");
    }
    if (t && n_runs)
      hv_table_print(t, stdout);
    else
      printf("no runs yet\n");
    hv_table_free(t);
  }
  rc = HV_EXIT_OK;

cleanup:
  hv_run_list_free(runs, n_runs);
  hv_source_fini(&src);
  hv_store_close(store);
  return rc;
}

static int source_remove(cli_ctx *ctx, const char *name)
{
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  int rc;

  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if ((rc = hv_store_source_remove(store, name, &err)) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = rc == HV_ENOTFOUND ? HV_EXIT_FAILURE : HV_EXIT_STORE;
  } else {
    printf("source %s removed\n", name);
  }
  hv_store_close(store);
  return rc;
}

/* Parses the options shared by list/show/remove: --json and --help. */
int hv__cli_parse_simple(int argc, char **argv, const char *usage, int *json,
                        int *help)
{
  static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  int c;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    if (c == 'j')
      *json = 1;
    else if (c == 'h')
      *help = 1;
    else
      return hv__cli_usage_error(usage, "bad option");
  }
  return HV_EXIT_OK;
}

static int cmd_source(cli_ctx *ctx, int argc, char **argv)
{
  int json = 0, help = 0, rc;
  const char *verb;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(source_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? HV_EXIT_USAGE : HV_EXIT_OK;
  }
  verb = argv[1];
  if (strcmp(verb, "add") == 0)
    return source_add(ctx, argc - 1, argv + 1);
  if (strcmp(verb, "list") != 0 && strcmp(verb, "show") != 0 &&
      strcmp(verb, "remove") != 0)
    return hv__cli_usage_error(source_usage, "unknown source command: %s", verb);
  if ((rc = hv__cli_parse_simple(argc - 1, argv + 1, source_usage, &json, &help)) !=
      HV_EXIT_OK)
    return rc;
  if (help) {
    fputs(source_usage, stdout);
    return HV_EXIT_OK;
  }
  argc--;
  argv++;
  if (strcmp(verb, "list") == 0) {
    if (optind != argc)
      return hv__cli_usage_error(source_usage, "source list takes no NAME");
    return source_list(ctx, json);
  }
  if (optind + 1 != argc)
    return hv__cli_usage_error(source_usage, "source %s needs exactly one NAME",
                       verb);
  if (strcmp(verb, "show") == 0)
    return source_show(ctx, argv[optind], json);
  return source_remove(ctx, argv[optind]);
}

/* ---- run -------------------------------------------------------------- */

static const char run_usage[] =
    "usage: govharvest run [--source NAME]... [--state NN] [--all]\n"
    "                      [--allow-mass-delete] [--max-delete-share PCT]\n"
    "                      [--max-pages N] [--parallel N] [--max-body BYTES]\n"
    "                      [--out DIR] [--violations publish|withhold]\n"
    "                      [--allow-loopback] [--allow-private] [--json]\n"
    "\n"
    "Harvests the chosen enabled sources (--source picks disabled ones "
    "too).\n"
    "  --all                  every enabled source (the default)\n"
    "  --state NN             enabled sources of one state\n"
    "  --allow-mass-delete    apply deletions above the guard's share\n"
    "  --max-delete-share PCT largest share deleted in one run (default "
    "20)\n"
    "  --max-pages N          page cap per source (default 10000)\n"
    "  --parallel N           sources harvested at once (default 16)\n"
    "  --max-body BYTES       body cap per page (default 67108864)\n"
    "  --out DIR              write DIR/catalog.nt and DIR/catalog.ttl\n"
    "  --violations MODE      publish (default) or withhold datasets with\n"
    "                         violations from the sinks; they are stored\n"
    "                         either way\n"
    "  --allow-loopback       permit sources on 127.0.0.0/8 and ::1\n"
    "  --allow-private        permit sources on private networks\n"
    "  --json                 print the run report as JSON\n";

typedef struct run_args {
  const char **names;
  size_t n_names;
  const char *state;
  const char *out_dir;
  int json;
  hv_harvest_opts opts;
} run_args;

/* Picks the sources a run covers; *out is owned by the caller. */
static int select_sources(hv_store *store, const run_args *a,
                          hv_source **out, size_t *n_out, hv_error *err)
{
  hv_source *all = NULL, *chosen = NULL;
  size_t n_all = 0, n = 0, i, k;
  int rc;

  if ((rc = hv_store_source_list(store, &all, &n_all, err)) < 0)
    return rc;
  if (!(chosen = hv_calloc(n_all ? n_all : 1, sizeof(*chosen)))) {
    hv_source_list_free(all, n_all);
    return hv_error_oom(err);
  }
  for (k = 0; k < a->n_names; k++) {
    for (i = 0; i < n_all; i++) {
      if (all[i].name && strcmp(all[i].name, a->names[k]) == 0)
        break;
    }
    if (i == n_all) {
      rc = hv_error_set(err, HV_ENOTFOUND, "no source named '%s'",
                        a->names[k]);
      goto cleanup;
    }
  }
  for (i = 0; i < n_all; i++) {
    int take;
    if (a->n_names) {
      take = 0;
      for (k = 0; k < a->n_names; k++)
        take |= strcmp(all[i].name, a->names[k]) == 0;
    } else {
      take = all[i].enabled &&
             (!a->state || strcmp(all[i].state, a->state) == 0);
    }
    if (take) {
      chosen[n++] = all[i];
      memset(&all[i], 0, sizeof(all[i])); /* now owned by chosen */
    }
  }
  *out = chosen;
  *n_out = n;
  chosen = NULL;
  rc = 0;

cleanup:
  hv_source_list_free(all, n_all);
  hv_source_list_free(chosen, n);
  return rc;
}

/* Exit code for a set of source reports. */
static int reports_exit_code(const hv_source_report *r, size_t n)
{
  int code = HV_EXIT_OK;
  size_t i;

  for (i = 0; i < n; i++) {
    if (strcmp(r[i].status, HV_RUN_FAILED) == 0)
      code = HV_EXIT_FAILURE;
    else if (strcmp(r[i].status, HV_RUN_HELD) == 0 && code == HV_EXIT_OK)
      code = HV_EXIT_HELD;
  }
  return code;
}

int hv_cli_harvest(hv_store *store, const hv_source *sources, size_t n,
                   const hv_harvest_opts *opts, const char *out_dir,
                   int json, FILE *out)
{
  hv_source_report *reports = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_files_stats stats;
  int code;

  if (hv_harvest_run(store, sources, n, opts, &reports, &err) < 0) {
    fprintf(stderr, "govharvest: run failed: %s\n", err.msg);
    return HV_EXIT_FAILURE;
  }
  hv_print_run_reports(out, reports, n, json);
  code = reports_exit_code(reports, n);
  if (out_dir) {
    if (mkdir(out_dir, 0755) < 0 && access(out_dir, W_OK) < 0) {
      fprintf(stderr, "govharvest: cannot create %s\n", out_dir);
      code = HV_EXIT_FAILURE;
    } else if (hv_files_sink_write_published(store, 0, out_dir,
                                             opts->withhold_violations,
                                             &stats, &err) < 0) {
      fprintf(stderr, "govharvest: %s\n", err.msg);
      code = HV_EXIT_FAILURE;
    } else if (!json) {
      fprintf(out, "files: %zu datasets, %zu triples in %s/catalog.nt and "
                   "catalog.ttl\n",
              stats.datasets, stats.triples, out_dir);
      if (stats.withheld)
        fprintf(out, "files: %zu datasets with violations withheld\n",
                stats.withheld);
    }
  }
  hv_source_reports_free(reports, n);
  return code;
}

static int cmd_run(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"source", required_argument, NULL, 's'},
      {"state", required_argument, NULL, 'S'},
      {"all", no_argument, NULL, 'a'},
      {"allow-mass-delete", no_argument, NULL, 'M'},
      {"max-delete-share", required_argument, NULL, 'D'},
      {"max-pages", required_argument, NULL, 'P'},
      {"parallel", required_argument, NULL, 'N'},
      {"max-body", required_argument, NULL, 'B'},
      {"out", required_argument, NULL, 'o'},
      {"violations", required_argument, NULL, 'V'},
      {"allow-loopback", no_argument, NULL, 'L'},
      {"allow-private", no_argument, NULL, 'R'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  run_args a;
  hv_harvest_opts defaults = HV_HARVEST_OPTS_INIT;
  hv_store *store = NULL;
  hv_source *sources = NULL;
  hv_sink_conf *sinks = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, n_sinks = 0;
  long v = 0;
  int c, rc, all = 0;

  memset(&a, 0, sizeof(a));
  a.opts = defaults;
  a.opts.profiles_dir = ctx->profiles_dir;
  if (!(a.names = hv_calloc((size_t)argc, sizeof(*a.names))))
    return HV_EXIT_FAILURE;
  optind = 0;
  rc = HV_EXIT_OK;
  while (rc == HV_EXIT_OK &&
         (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': a.names[a.n_names++] = optarg; break;
    case 'S':
      if (!hv_state_valid(optarg))
        rc = hv__cli_usage_error(run_usage, "--state: not a state key: %s", optarg);
      a.state = optarg;
      break;
    case 'a': all = 1; break;
    case 'M': a.opts.allow_mass_delete = 1; break;
    case 'D':
      if (hv__cli_parse_long(optarg, 0, 100, &v) < 0)
        rc = hv__cli_usage_error(run_usage, "--max-delete-share: 0..100: %s", optarg);
      a.opts.max_delete_share = (double)v / 100.0;
      break;
    case 'P':
      if (hv__cli_parse_long(optarg, 1, 1000000, &v) < 0)
        rc = hv__cli_usage_error(run_usage, "--max-pages: 1..1000000: %s", optarg);
      a.opts.max_pages = (int)v;
      break;
    case 'N':
      if (hv__cli_parse_long(optarg, 1, 256, &v) < 0)
        rc = hv__cli_usage_error(run_usage, "--parallel: 1..256: %s", optarg);
      a.opts.max_parallel_sources = (int)v;
      break;
    case 'B':
      if (hv__cli_parse_long(optarg, 1024, 1L << 32, &v) < 0)
        rc = hv__cli_usage_error(run_usage, "--max-body: bytes >= 1024: %s", optarg);
      a.opts.fetch.max_body = (size_t)v;
      break;
    case 'o': a.out_dir = optarg; break;
    case 'V':
      if (strcmp(optarg, "publish") == 0)
        a.opts.withhold_violations = 0;
      else if (strcmp(optarg, "withhold") == 0)
        a.opts.withhold_violations = 1;
      else
        rc = hv__cli_usage_error(run_usage,
                                 "--violations: publish or withhold: %s",
                                 optarg);
      break;
    case 'L': a.opts.fetch.allow_loopback = 1; break;
    case 'R': a.opts.fetch.allow_private = 1; break;
    case 'j': a.json = 1; break;
    case 'h': fputs(run_usage, stdout); hv_free(a.names); return HV_EXIT_OK;
    default: rc = hv__cli_usage_error(run_usage, "bad option for run");
    }
  }
  if (rc == HV_EXIT_OK && optind != argc)
    rc = hv__cli_usage_error(run_usage, "unexpected argument: %s", argv[optind]);
  if (rc == HV_EXIT_OK && all + (a.state != NULL) + (a.n_names > 0) > 1)
    rc = hv__cli_usage_error(run_usage, "use one of --all, --state, --source");
  if (rc != HV_EXIT_OK)
    goto cleanup;
  a.opts.progress = !a.json && isatty(STDERR_FILENO);

  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    goto cleanup;
  if (select_sources(store, &a, &sources, &n, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = err.code == HV_ENOTFOUND ? HV_EXIT_USAGE : HV_EXIT_STORE;
    goto cleanup;
  }
  if (n == 0) {
    fprintf(stderr, "govharvest: no enabled source matches; add one with "
                    "'govharvest source add'\n");
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  if ((rc = hv__cli_sinks_before_run(store, &sinks, &n_sinks)) != HV_EXIT_OK)
    goto cleanup;
  rc = hv_cli_harvest(store, sources, n, &a.opts, a.out_dir, a.json, stdout);
  rc = hv__cli_sinks_after_run(store, sinks, n_sinks, rc);

cleanup:
  hv_sink_confs_free(sinks, n_sinks);
  hv_source_list_free(sources, n);
  hv_store_close(store);
  hv_free(a.names);
  return rc;
}

/* ---- demo ------------------------------------------------------------- */

static const char demo_usage[] =
    "usage: govharvest demo [--db PATH] [--out DIR] [--demo-dir DIR]\n"
    "\n"
    "Serves the bundled sample handover points on 127.0.0.1, registers\n"
    "them in a fresh store (default govharvest-demo.db, replaced), "
    "harvests\n"
    "them twice (the second time with conditional requests) and prints\n"
    "the per-source summary and per-state volumes. The catalog is written\n"
    "to DIR (default govharvest-demo-out). Nothing is left running.\n";

static int cmd_demo(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"db", required_argument, NULL, 'd'},
      {"out", required_argument, NULL, 'o'},
      {"demo-dir", required_argument, NULL, 'D'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_demo_opts d = HV_DEMO_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;
  int c, rc;

  if (getenv("GOVHARVEST_DEMO_DIR"))
    d.demo_dir = getenv("GOVHARVEST_DEMO_DIR");
  if (ctx->db_path && strcmp(ctx->db_path, "govharvest.db") != 0)
    d.db_path = ctx->db_path;
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'd': d.db_path = optarg; break;
    case 'o': d.out_dir = optarg; break;
    case 'D': d.demo_dir = optarg; break;
    case 'h': fputs(demo_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(demo_usage, "bad option for demo");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(demo_usage, "unexpected argument: %s", argv[optind]);
  rc = hv_demo_run(&d, stdout, &err);
  if (rc < 0) {
    fprintf(stderr, "govharvest: demo: %s\n", err.msg);
    return HV_EXIT_FAILURE;
  }
  return HV_EXIT_OK;
}

/* ---- main ------------------------------------------------------------- */

static const command commands[] = {
    {"source", cmd_source, "manage sources"},
    {"run", cmd_run, "harvest sources"},
    {"report", hv__cli_report, "reports"},
    {"state", hv__cli_state, "states and central handover points"},
    {"validate", hv__cli_validate, "map and check one document"},
    {"demo", cmd_demo, "demo harvest"},
    {"serve", hv__cli_serve, "the harvest daemon"},
    {"token", hv__cli_token, "admin API tokens"},
    {"quarantine", hv__cli_quarantine, "decide on quarantined datasets"},
    {"dataset", hv__cli_dataset, "show a dataset's copies and history"},
    {"outbox", hv__cli_outbox, "sink outbox"},
    {"push", hv__cli_push, "send the outbox to the sinks"},
};

int hv_cli_main(int argc, char **argv)
{
  static const struct option opts[] = {
      {"db", required_argument, NULL, 'd'},
      {"profiles", required_argument, NULL, 'p'},
      {"verbose", no_argument, NULL, 'v'},
      {"quiet", no_argument, NULL, 'q'},
      {"version", no_argument, NULL, 'V'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  cli_ctx ctx;
  hv_error err = HV_ERROR_INIT;
  size_t i;
  int c, rc;

  ctx.db_path = getenv("GOVHARVEST_DB") ? getenv("GOVHARVEST_DB")
                                        : "govharvest.db";
  ctx.profiles_dir = NULL;
  hv_log_set_level(HV_LOG_WARN);
  optind = 0;
  while ((c = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
    switch (c) {
    case 'd': ctx.db_path = optarg; break;
    case 'p': ctx.profiles_dir = optarg; break;
    case 'v': hv_log_set_level(HV_LOG_INFO); break;
    case 'q': hv_log_set_level(HV_LOG_ERROR); break;
    case 'V': printf("govharvest %s\n", HV_VERSION); return HV_EXIT_OK;
    case 'h': fputs(main_usage, stdout); return HV_EXIT_OK;
    default: fputs(main_usage, stderr); return HV_EXIT_USAGE;
    }
  }
  if (optind >= argc) {
    fputs(main_usage, stderr);
    return HV_EXIT_USAGE;
  }
  for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
    if (strcmp(argv[optind], commands[i].name) == 0)
      break;
  }
  if (i == sizeof(commands) / sizeof(commands[0])) {
    fprintf(stderr, "govharvest: unknown command: %s\n%s", argv[optind],
            main_usage);
    return HV_EXIT_USAGE;
  }
  if (hv_harvest_global_init(&err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    return HV_EXIT_FAILURE;
  }
  rc = commands[i].run(&ctx, argc - optind, argv + optind);
  hv_harvest_global_cleanup();
  return rc;
}
