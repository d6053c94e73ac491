/*
 * `govharvest report KIND`: the reports read from the store. Each kind
 * is one function with its own options; the table below dispatches, so
 * adding a report is adding a row. The figures themselves are computed
 * and rendered in harvester/report.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/print.h"
#include "cli/table.h"
#include "report/report.h"
#include "store/store.h"
#include "util/alloc.h"

static const char volumes_usage[] =
    "usage: govharvest report volumes [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                                 [--by state|source|month]\n"
    "                                 [--format table|csv|json|html] [--json]\n"
    "\n"
    "Volumes of the runs started in [from, to): endpoints, runs, requests,\n"
    "bytes, pages, datasets (new, updated, unchanged, deleted, superseded,\n"
    "rejected), findings by severity and harvest time (flows: sums over\n"
    "the period) and the datasets held (a stock: daily average and end\n"
    "value). Without\n"
    "dates: from the day of the first run to the day after the last.\n"
    "--json is short for --format json.\n";

static const char costs_usage[] =
    "usage: govharvest report costs --model FILE\n"
    "                               [--format table|csv|json|html]\n"
    "                               [--explain STATE]\n"
    "\n"
    "Each state's share of the cost model's total (profiles/cost/README.md)\n"
    "with the figures it came from, in integer cents that add up exactly.\n"
    "--explain STATE lists every run and ledger row behind that state's\n"
    "figures, and its handover periods.\n";

static const char reconcile_usage[] =
    "usage: govharvest report reconcile [--json]\n"
    "\n"
    "Checks per source that the datasets it holds in the store equal the\n"
    "ledger's flows (new minus deleted over all its runs). A source holds\n"
    "every copy it delivered that is not deleted: published, superseded by\n"
    "another source's copy, or quarantined. A removed source is listed but\n"
    "is no difference. Exits 1 when any differ.\n";

static int parse_by(const char *s, hv_report_by *out)
{
  if (strcmp(s, "state") == 0)
    *out = HV_BY_STATE;
  else if (strcmp(s, "source") == 0)
    *out = HV_BY_SOURCE;
  else if (strcmp(s, "month") == 0)
    *out = HV_BY_MONTH;
  else
    return -1;
  return 0;
}

/* Parses the argument of --format, or returns the usage error. */
static int format_opt(const char *usage, const char *arg, hv_format *out)
{
  if (hv_format_parse(arg, out) < 0)
    return hv__cli_usage_error(
        usage, "--format: use table, csv, json or html, not %s", arg);
  return HV_EXIT_OK;
}

/*
 * Writes the volume report v to stdout, naming the store's states;
 * with model and costs set it is the cost report. Returns an exit code.
 */
static int write_report(cli_ctx *ctx, hv_format format, const hv_volumes *v,
                        const hv_cost_model *model, const hv_costs *costs,
                        const hv_state_row *states, size_t n_states)
{
  hv_report_meta meta;
  hv_error err = HV_ERROR_INIT;

  meta.store_path = ctx->db_path;
  meta.generated_at = (int64_t)time(NULL);
  meta.states = states;
  meta.n_states = n_states;
  if (hv_report_write(stdout, format, v, model, costs, &meta, &err) < 0)
    return hv__cli_fail(&err);
  return HV_EXIT_OK;
}

static int report_volumes(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"from", required_argument, NULL, 'f'},
      {"to", required_argument, NULL, 't'},
      {"by", required_argument, NULL, 'b'},
      {"format", required_argument, NULL, 'F'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_store *store = NULL;
  hv_volumes *v = NULL;
  hv_state_row *states = NULL;
  size_t n_states = 0;
  hv_error err = HV_ERROR_INIT;
  hv_report_by by = HV_BY_STATE;
  hv_format format = HV_FORMAT_TABLE;
  int64_t from = 0, to = 0;
  int c, rc;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if ((rc = hv__cli_date_opt(volumes_usage, "--from", optarg, &from)) !=
          HV_EXIT_OK)
        return rc;
      break;
    case 't':
      if ((rc = hv__cli_date_opt(volumes_usage, "--to", optarg, &to)) !=
          HV_EXIT_OK)
        return rc;
      break;
    case 'b':
      if (parse_by(optarg, &by) < 0)
        return hv__cli_usage_error(volumes_usage, "--by: use state, source or "
                                   "month, not %s", optarg);
      break;
    case 'F':
      if ((rc = format_opt(volumes_usage, optarg, &format)) != HV_EXIT_OK)
        return rc;
      break;
    case 'j': format = HV_FORMAT_JSON; break;
    case 'h': fputs(volumes_usage, stdout); return HV_EXIT_OK;
    default:
      return hv__cli_usage_error(volumes_usage, "bad option for report");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(volumes_usage, "unexpected argument: %s",
                               argv[optind]);
  if (from && to && to <= from)
    return hv__cli_usage_error(volumes_usage, "--to must be after --from");
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_volumes_compute(store, from, to, by, &v, &err) < 0 ||
      hv_store_state_list(store, &states, &n_states, &err) < 0) {
    rc = hv__cli_fail(&err);
    goto cleanup;
  }
  rc = write_report(ctx, format, v, NULL, NULL, states, n_states);

cleanup:
  hv_free(states);
  hv_volumes_free(v);
  hv_store_close(store);
  return rc;
}

/* Prints the figures and ledger rows behind one state's share. */
static int explain_state(hv_store *store, const hv_cost_model *m,
                         const hv_costs *costs, const hv_handover *hv,
                         size_t n_hv, const char *state, hv_error *err);

static int report_costs(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"model", required_argument, NULL, 'm'},
      {"format", required_argument, NULL, 'F'},
      {"explain", required_argument, NULL, 'e'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_store *store = NULL;
  hv_volumes *v = NULL;
  hv_state_row *states = NULL;
  hv_handover *hv = NULL;
  hv_cost_model *model = NULL;
  hv_costs costs;
  size_t n_states = 0, n_hv = 0;
  hv_error err = HV_ERROR_INIT;
  hv_format format = HV_FORMAT_TABLE;
  const char *model_path = NULL, *explain = NULL;
  int c, rc;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'm': model_path = optarg; break;
    case 'e': explain = optarg; break;
    case 'F':
      if ((rc = format_opt(costs_usage, optarg, &format)) != HV_EXIT_OK)
        return rc;
      break;
    case 'h': fputs(costs_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(costs_usage, "bad option for report");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(costs_usage, "unexpected argument: %s",
                               argv[optind]);
  if (!model_path)
    return hv__cli_usage_error(costs_usage, "--model FILE is required");
  if (explain && hv_state_slot(explain) < 0)
    return hv__cli_usage_error(costs_usage, "--explain: '%s' is not a state "
                               "key (01..16 or bund)", explain);
  if (!(model = hv_calloc(1, sizeof(*model)))) {
    fputs("govharvest: out of memory\n", stderr);
    return HV_EXIT_FAILURE;
  }
  if (hv_cost_model_load(model, model_path, &err) < 0) {
    hv_free(model);
    return hv__cli_fail(&err);
  }
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    goto cleanup;
  if (hv_volumes_compute(store, model->from, model->to, HV_BY_STATE, &v,
                         &err) < 0 ||
      hv_store_state_list(store, &states, &n_states, &err) < 0 ||
      hv_store_handover_list(store, NULL, &hv, &n_hv, &err) < 0 ||
      hv_costs_compute(model, v, hv, n_hv, &costs, &err) < 0) {
    rc = hv__cli_fail(&err);
    goto cleanup;
  }
  if (explain) {
    if (explain_state(store, model, &costs, hv, n_hv, explain, &err) < 0)
      rc = hv__cli_fail(&err);
    goto cleanup;
  }
  rc = write_report(ctx, format, v, model, &costs, states, n_states);

cleanup:
  hv_free(model);
  hv_free(hv);
  hv_free(states);
  hv_volumes_free(v);
  hv_store_close(store);
  return rc;
}

typedef struct explain_walk {
  const char *state;
  int64_t from, to;
  size_t rows;
} explain_walk;

static int explain_row(const hv_ledger_entry *e, void *payload)
{
  explain_walk *w = payload;
  char day[32];
  time_t t = (time_t)e->started_at;
  struct tm tm;

  if (strcmp(e->state, w->state) != 0)
    return 0;
  gmtime_r(&t, &tm);
  strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%SZ", &tm);
  printf("  run %lld  %s  %-24s %-7s %s  req %lld  bytes %lld  pages "
         "%lld/%lld/%lld  datasets +%lld ~%lld =%lld -%lld rej %lld  "
         "dist %lld\n",
         (long long)e->run_id, day, e->source_name, e->status,
         e->started_at < w->from ? "stock-only" : "in-period ",
         (long long)e->counts.requests, (long long)e->counts.bytes,
         (long long)e->counts.pages_fetched,
         (long long)e->counts.pages_not_modified,
         (long long)e->counts.pages_failed,
         (long long)e->counts.datasets_new,
         (long long)e->counts.datasets_updated,
         (long long)e->counts.datasets_unchanged,
         (long long)e->counts.datasets_deleted,
         (long long)e->counts.datasets_rejected,
         (long long)e->counts.distributions);
  w->rows++;
  return 0;
}

static int explain_state(hv_store *store, const hv_cost_model *m,
                         const hv_costs *costs, const hv_handover *hv,
                         size_t n_hv, const char *state, hv_error *err)
{
  const hv_cost_share *sh = &costs->shares[hv_state_slot(state)];
  explain_walk w = {state, m->from, m->to, 0};
  char amount[32], total[32], a[16], b[16];
  size_t i;
  int k, rc;

  hv_money_format(amount, sizeof(amount), sh->cents);
  hv_money_format(total, sizeof(total), costs->total_cents);
  printf("State %s under %s\n", state, m->path);
  printf("  pays: %s for %lld of %lld days (fraction %.6f)\n",
         sh->pays ? "yes" : "no", (long long)sh->paying_days,
         (long long)((m->to - m->from) / 86400), sh->fraction);
  printf("  central handover periods:%s\n", n_hv ? "" : " none");
  for (i = 0; i < n_hv; i++) {
    time_t t1 = (time_t)hv[i].since, t2 = (time_t)hv[i].until;
    struct tm tm;

    if (strcmp(hv[i].state, state) != 0)
      continue;
    gmtime_r(&t1, &tm);
    strftime(a, sizeof(a), "%Y-%m-%d", &tm);
    gmtime_r(&t2, &tm);
    strftime(b, sizeof(b), "%Y-%m-%d", &tm);
    printf("    %s to %s\n", a, hv[i].until ? b : "open");
  }
  for (k = 0; k < HV_METRIC_COUNT; k++)
    printf("  %-14s %.1f (weight %g)\n", hv_metric_name((hv_metric)k),
           sh->metrics[k], m->weights[k]);
  printf("  key share %.5f%%  usage %.2f cents  weight %.9f\n", sh->key_pct,
         sh->usage_cents, sh->weight);
  printf("  amount %s EUR of %s EUR\n", amount, total);
  printf("Ledger rows (stock-only rows precede the period and count only "
         "towards datasets held):\n");
  if ((rc = hv_store_ledger_foreach(store, m->to, explain_row, &w, err)) < 0)
    return rc;
  printf("%zu rows\n", w.rows);
  return 0;
}

static int report_reconcile(cli_ctx *ctx, int argc, char **argv)
{
  static const char *const headers[] = {
      "source",  "state",       ">new",        ">deleted",   ">ledger",
      ">held",   ">superseded", ">quarantined", ">difference"};
  hv_store *store = NULL;
  hv_reconcile r;
  hv_error err = HV_ERROR_INIT;
  hv_table *t = NULL;
  json_t *doc = NULL, *rows;
  size_t i;
  int json = 0, help = 0, rc;

  memset(&r, 0, sizeof(r));
  if ((rc = hv__cli_parse_simple(argc, argv, reconcile_usage, &json,
                                 &help)) != HV_EXIT_OK)
    return rc;
  if (help) {
    fputs(reconcile_usage, stdout);
    return HV_EXIT_OK;
  }
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_reconcile_compute(store, &r, &err) < 0) {
    rc = hv__cli_fail(&err);
    goto cleanup;
  }
  if (json) {
    doc = json_object();
    rows = json_array();
    for (i = 0; i < r.n; i++) {
      json_t *o = json_object();

      json_object_set_new(o, "source", json_string(r.rows[i].source));
      json_object_set_new(o, "state", json_string(r.rows[i].state));
      json_object_set_new(o, "new", json_integer(r.rows[i].added));
      json_object_set_new(o, "deleted", json_integer(r.rows[i].deleted));
      json_object_set_new(o, "ledger", json_integer(r.rows[i].ledger));
      json_object_set_new(o, "store", r.rows[i].store < 0
                                          ? json_null()
                                          : json_integer(r.rows[i].store));
      json_object_set_new(o, "superseded",
                          json_integer(r.rows[i].superseded));
      json_object_set_new(o, "quarantined",
                          json_integer(r.rows[i].quarantined));
      json_array_append_new(rows, o);
    }
    json_object_set_new(doc, "rows", rows);
    json_object_set_new(doc, "differences",
                        json_integer((json_int_t)r.differences));
    hv__cli_print_json(doc);
  } else {
    if (!(t = hv_table_new(9, headers))) {
      fputs("govharvest: out of memory\n", stderr);
      rc = HV_EXIT_FAILURE;
      goto cleanup;
    }
    for (i = 0; i < r.n; i++) {
      const hv_reconcile_row *x = &r.rows[i];

      if (x->store < 0)
        hv_table_addf(t, "%s\t%s\t%lld\t%lld\t%lld\tremoved\t-\t-\t-",
                      x->source, x->state, (long long)x->added,
                      (long long)x->deleted, (long long)x->ledger);
      else
        hv_table_addf(t, "%s\t%s\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld\t%lld",
                      x->source, x->state, (long long)x->added,
                      (long long)x->deleted, (long long)x->ledger,
                      (long long)x->store, (long long)x->superseded,
                      (long long)x->quarantined,
                      (long long)(x->store - x->ledger));
    }
    hv_table_print(t, stdout);
    printf("%zu difference%s\n", r.differences,
           r.differences == 1 ? "" : "s");
  }
  if (r.differences)
    rc = HV_EXIT_FAILURE;

cleanup:
  hv_table_free(t);
  hv_reconcile_fini(&r);
  hv_store_close(store);
  return rc;
}

typedef struct report_kind {
  const char *name;
  int (*run)(cli_ctx *ctx, int argc, char **argv);
  const char *summary;
} report_kind;

static const report_kind report_kinds[] = {
    {"volumes", report_volumes, "volumes per state, source or month"},
    {"costs", report_costs, "each state's share under a cost model"},
    {"reconcile", report_reconcile, "ledger flows against store holdings"},
    {"quality", hv__cli_report_quality, "findings per source and state"},
    {"duplicates", hv__cli_report_duplicates, "near-duplicate candidates"},
};

#define N_REPORT_KINDS (sizeof(report_kinds) / sizeof(report_kinds[0]))

static void print_report_usage(FILE *out)
{
  size_t i;

  fputs("usage: govharvest report KIND [OPTIONS]\n\nKinds:\n", out);
  for (i = 0; i < N_REPORT_KINDS; i++)
    fprintf(out, "  %-12s %s\n", report_kinds[i].name,
            report_kinds[i].summary);
  fputs("Run 'govharvest report KIND --help' for a kind's options.\n", out);
}

int hv__cli_report(cli_ctx *ctx, int argc, char **argv)
{
  size_t i;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    print_report_usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? HV_EXIT_USAGE : HV_EXIT_OK;
  }
  for (i = 0; i < N_REPORT_KINDS; i++) {
    if (strcmp(argv[1], report_kinds[i].name) == 0)
      return report_kinds[i].run(ctx, argc - 1, argv + 1);
  }
  fprintf(stderr, "govharvest: unknown report: %s\n", argv[1]);
  print_report_usage(stderr);
  return HV_EXIT_USAGE;
}
