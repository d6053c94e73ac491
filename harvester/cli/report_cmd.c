/*
 * `govharvest report KIND`: the reports read from the store. Each kind
 * is one function with its own options; the table below dispatches, so
 * adding a report is adding a row.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/print.h"
#include "store/store.h"
#include "util/alloc.h"

static const char volumes_usage[] =
    "usage: govharvest report volumes [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
    "                                 [--json]\n"
    "\n"
    "Per-state sums of the ledger for runs started in [from, to): "
    "requests,\n"
    "bytes, pages, datasets and harvest time. Without dates: all runs.\n";

static int report_volumes(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"from", required_argument, NULL, 'f'},
      {"to", required_argument, NULL, 't'},
      {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_store *store = NULL;
  hv_volume_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  int64_t from = 0, to = 0;
  size_t n = 0;
  int c, json = 0, rc;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'f':
      if (hv__cli_parse_date(optarg, &from) < 0)
        return hv__cli_usage_error(volumes_usage, "--from: not a date: %s", optarg);
      break;
    case 't':
      if (hv__cli_parse_date(optarg, &to) < 0)
        return hv__cli_usage_error(volumes_usage, "--to: not a date: %s", optarg);
      break;
    case 'j': json = 1; break;
    case 'h': fputs(volumes_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(volumes_usage, "bad option for report");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(volumes_usage, "unexpected argument: %s", argv[optind]);
  if (from && to && to <= from)
    return hv__cli_usage_error(volumes_usage, "--to must be after --from");
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_report_volumes(store, from, to, &rows, &n, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
  } else {
    hv_print_volumes(stdout, rows, n, json);
  }
  hv_free(rows);
  hv_store_close(store);
  return rc;
}

typedef struct report_kind {
  const char *name;
  int (*run)(cli_ctx *ctx, int argc, char **argv);
  const char *summary;
} report_kind;

static const report_kind report_kinds[] = {
    {"volumes", report_volumes, "per-state sums of the ledger"},
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
