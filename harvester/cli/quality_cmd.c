/*
 * `govharvest report quality`: the findings of the stored datasets,
 * aggregated per source and state: for each rule and severity how many
 * findings there are and how many datasets they touch, and per source
 * how many of its active datasets carry violations or warnings. The
 * state is the dataset's reporting state (derived by the map stage from
 * its contributorID or geocoding), else its source's registered state.
 */
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/table.h"
#include "store/store.h"

static const char quality_usage[] =
    "usage: govharvest report quality [--source NAME | --state NN] "
    "[--json]\n"
    "\n"
    "Findings of the active datasets per source and state: rule, "
    "severity,\n"
    "findings and datasets affected; then per source and state the "
    "datasets\n"
    "with violations and with warnings. The state is the one derived "
    "from\n"
    "the dataset (contributorID, geocoding), else the source's.\n";

static void print_json(const hv_quality_report *r)
{
  json_t *rows = json_array(), *totals = json_array();
  size_t i;

  for (i = 0; i < r->n_rows; i++) {
    const hv_quality_row *q = &r->rows[i];
    json_array_append_new(
        rows, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "source", q->source,
                        "state", q->state, "rule", q->rule, "severity",
                        q->severity, "findings", (json_int_t)q->findings,
                        "datasets", (json_int_t)q->datasets));
  }
  for (i = 0; i < r->n_totals; i++) {
    const hv_quality_total *t = &r->totals[i];
    json_array_append_new(
        totals, json_pack("{s:s,s:s,s:I,s:I,s:I}", "source", t->source,
                          "state", t->state, "datasets",
                          (json_int_t)t->datasets, "with_violations",
                          (json_int_t)t->with_violations, "with_warnings",
                          (json_int_t)t->with_warnings));
  }
  hv__cli_print_json(
      json_pack("{s:o,s:o}", "findings", rows, "totals", totals));
}

static void print_tables(const hv_quality_report *r)
{
  static const char *const rh[] = {"source", "state",     "severity",
                                   "rule",   ">findings", ">datasets"};
  static const char *const th[] = {"source", "state", ">datasets",
                                   ">with violations", ">with warnings"};
  hv_table *t;
  size_t i;

  if (!r->n_rows) {
    printf("no findings\n");
  } else if ((t = hv_table_new(6, rh))) {
    for (i = 0; i < r->n_rows; i++)
      hv_table_addf(t, "%s\t%s\t%s\t%s\t%" PRId64 "\t%" PRId64,
                    r->rows[i].source, r->rows[i].state, r->rows[i].severity,
                    r->rows[i].rule, r->rows[i].findings,
                    r->rows[i].datasets);
    hv_table_print(t, stdout);
    hv_table_free(t);
  }
  if (!r->n_totals || !(t = hv_table_new(5, th)))
    return;
  fputc('\n', stdout);
  for (i = 0; i < r->n_totals; i++)
    hv_table_addf(t, "%s\t%s\t%" PRId64 "\t%" PRId64 "\t%" PRId64,
                  r->totals[i].source, r->totals[i].state,
                  r->totals[i].datasets, r->totals[i].with_violations,
                  r->totals[i].with_warnings);
  hv_table_print(t, stdout);
  hv_table_free(t);
}

int hv__cli_report_quality(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"source", required_argument, NULL, 's'},
      {"state", required_argument, NULL, 'S'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_store *store = NULL;
  hv_quality_report r;
  hv_error err = HV_ERROR_INIT;
  const char *source = NULL, *state = NULL;
  int c, json = 0, rc;

  memset(&r, 0, sizeof(r));
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': source = optarg; break;
    case 'S':
      if (!hv_state_valid(optarg))
        return hv__cli_usage_error(quality_usage,
                                   "--state: not a state key: %s", optarg);
      state = optarg;
      break;
    case 'j': json = 1; break;
    case 'h': fputs(quality_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(quality_usage, "bad option for report");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(quality_usage, "unexpected argument: %s",
                               argv[optind]);
  if (source && state)
    return hv__cli_usage_error(quality_usage,
                               "use one of --source and --state");
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_report_quality(store, source, state, &r, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
  } else if (json) {
    print_json(&r);
  } else {
    print_tables(&r);
  }
  hv_quality_report_free(&r);
  hv_store_close(store);
  return rc;
}
