/*
 * `govharvest state list|set`: the states and the federation in the
 * store, and the dated attribute "has a central handover point" that the
 * cost report reads to decide who pays for which days.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/cli_int.h"
#include "cli/table.h"
#include "store/store.h"
#include "util/alloc.h"

static const char state_usage[] =
    "usage: govharvest state list [--json]\n"
    "       govharvest state set KEY --handover yes|no --from YYYY-MM-DD\n"
    "                                [--to YYYY-MM-DD]\n"
    "\n"
    "list: the 16 states and the federation (key, code, name) with the\n"
    "periods in which each had a central handover point.\n"
    "set: records that state KEY (01..16 or bund) had (yes) or did not have\n"
    "(no) a central handover point from --from up to --to (exclusive;\n"
    "without --to: from then on). Overlapping periods are cut and merged.\n";

static void fmt_day(char *buf, size_t cap, int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%d", &tm);
}

static int state_list(hv_store *store, int json)
{
  static const char *const headers[] = {"key", "code", "name",
                                        "central handover point"};
  hv_state_row *states = NULL;
  hv_handover *hv = NULL;
  size_t n = 0, n_hv = 0, i, j;
  hv_error err = HV_ERROR_INIT;
  hv_table *t = NULL;
  json_t *doc = NULL;
  char periods[512], a[16], b[16];
  int rc = HV_EXIT_OK;

  if (hv_store_state_list(store, &states, &n, &err) < 0 ||
      hv_store_handover_list(store, NULL, &hv, &n_hv, &err) < 0) {
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
    goto cleanup;
  }
  if (json)
    doc = json_array();
  else if (!(t = hv_table_new(4, headers))) {
    rc = HV_EXIT_FAILURE;
    goto cleanup;
  }
  for (i = 0; i < n; i++) {
    json_t *o = NULL, *arr = NULL;
    size_t len = 0;

    periods[0] = '\0';
    if (json) {
      o = json_object();
      arr = json_array();
      json_object_set_new(o, "key", json_string(states[i].key));
      json_object_set_new(o, "code", json_string(states[i].code));
      json_object_set_new(o, "name", json_string(states[i].name));
    }
    for (j = 0; j < n_hv; j++) {
      if (strcmp(hv[j].state, states[i].key) != 0)
        continue;
      fmt_day(a, sizeof(a), hv[j].since);
      if (hv[j].until)
        fmt_day(b, sizeof(b), hv[j].until);
      else
        snprintf(b, sizeof(b), "open");
      if (json) {
        json_t *p = json_object();

        json_object_set_new(p, "from", json_string(a));
        json_object_set_new(p, "to", hv[j].until ? json_string(b)
                                                 : json_null());
        json_array_append_new(arr, p);
      } else if (len < sizeof(periods)) {
        len += (size_t)snprintf(periods + len, sizeof(periods) - len,
                                "%s%s..%s", len ? ", " : "", a, b);
      }
    }
    if (json) {
      json_object_set_new(o, "handover", arr);
      json_array_append_new(doc, o);
    } else {
      hv_table_addf(t, "%s\t%s\t%s\t%s", states[i].key, states[i].code,
                    states[i].name, periods[0] ? periods : "-");
    }
  }
  if (json) {
    hv__cli_print_json(doc);
    doc = NULL;
  } else {
    hv_table_print(t, stdout);
  }

cleanup:
  json_decref(doc);
  hv_table_free(t);
  hv_free(states);
  hv_free(hv);
  return rc;
}

static int state_set(hv_store *store, int argc, char **argv)
{
  static const struct option opts[] = {
      {"handover", required_argument, NULL, 'H'},
      {"from", required_argument, NULL, 'f'},
      {"to", required_argument, NULL, 't'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  hv_error err = HV_ERROR_INIT;
  int64_t from = 0, to = 0;
  int c, rc, has = -1;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'H':
      if (strcmp(optarg, "yes") == 0)
        has = 1;
      else if (strcmp(optarg, "no") == 0)
        has = 0;
      else
        return hv__cli_usage_error(state_usage, "--handover: use yes or no, "
                                   "not %s", optarg);
      break;
    case 'f':
      if ((rc = hv__cli_date_opt(state_usage, "--from", optarg, &from)) !=
          HV_EXIT_OK)
        return rc;
      break;
    case 't':
      if ((rc = hv__cli_date_opt(state_usage, "--to", optarg, &to)) !=
          HV_EXIT_OK)
        return rc;
      break;
    case 'h': fputs(state_usage, stdout); return HV_EXIT_OK;
    default:
      return hv__cli_usage_error(state_usage, "bad option for state set");
    }
  }
  if (optind + 1 != argc)
    return hv__cli_usage_error(state_usage, "state set takes one KEY");
  if (!hv_state_valid(argv[optind]))
    return hv__cli_usage_error(state_usage, "'%s' is not a state key (01..16 "
                               "or bund)", argv[optind]);
  if (has < 0 || !from)
    return hv__cli_usage_error(state_usage, "state set needs --handover and "
                               "--from");
  if (to && to <= from)
    return hv__cli_usage_error(state_usage, "--to must be after --from");
  if (hv_store_handover_set(store, argv[optind], from, to, has, &err) < 0)
    return hv__cli_fail(&err);
  return HV_EXIT_OK;
}

int hv__cli_state(cli_ctx *ctx, int argc, char **argv)
{
  hv_store *store = NULL;
  int json = 0, help = 0, rc;

  if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(state_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? HV_EXIT_USAGE : HV_EXIT_OK;
  }
  if (strcmp(argv[1], "list") == 0) {
    if ((rc = hv__cli_parse_simple(argc - 1, argv + 1, state_usage, &json,
                                   &help)) != HV_EXIT_OK)
      return rc;
    if (help) {
      fputs(state_usage, stdout);
      return HV_EXIT_OK;
    }
    if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
      return rc;
    rc = state_list(store, json);
  } else if (strcmp(argv[1], "set") == 0) {
    if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
      return rc;
    rc = state_set(store, argc - 1, argv + 1);
  } else {
    return hv__cli_usage_error(state_usage, "unknown state verb: %s",
                               argv[1]);
  }
  hv_store_close(store);
  return rc;
}
