/*
 * `govharvest token`: API tokens for the daemon. A token is printed once
 * at creation and only its SHA-256 is stored, so a lost token is revoked
 * and replaced, never recovered. Creating and revoking are audited with
 * the actor "cli".
 */
#include "cli/cli.h"
#include "cli/cli_int.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/store.h"

static const char token_usage[] =
    "usage: govharvest token create (--state NN | --admin) [--label TEXT]\n"
    "       govharvest token list [--json]\n"
    "       govharvest token revoke ID\n"
    "\n"
    "create prints a new token once: a state token (NN is 01..16 or bund)\n"
    "sees and changes only that state's sources and runs; an admin token\n"
    "sees everything. Only the token's SHA-256 is stored.\n";

static int token_create(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"state", required_argument, NULL, 's'},
      {"admin", no_argument, NULL, 'a'},
      {"label", required_argument, NULL, 'l'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *state = NULL, *label = NULL;
  char token[HV_TOKEN_LEN + 1], detail[64];
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  int64_t id = 0;
  int c, admin = 0, rc;

  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 's': state = optarg; break;
    case 'a': admin = 1; break;
    case 'l': label = optarg; break;
    case 'h': fputs(token_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(token_usage, "bad option for token");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(token_usage, "unexpected argument: %s",
                               argv[optind]);
  if (admin == (state != NULL))
    return hv__cli_usage_error(token_usage,
                               "token create needs one of --state NN or "
                               "--admin");
  if (state && !hv_state_valid(state))
    return hv__cli_usage_error(token_usage,
                               "--state: not a state key (01..16, bund): %s",
                               state);
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  rc = HV_EXIT_OK;
  if (hv_store_begin(store, &err) < 0 ||
      hv_store_token_create(store, admin ? HV_SCOPE_ADMIN : state, label,
                            token, &id, &err) < 0 ||
      (snprintf(detail, sizeof(detail), "{\"token\":%" PRId64 "}", id),
       hv_store_audit_add(store, 0, "cli", "token.create", NULL,
                          admin ? NULL : state, detail, &err) < 0) ||
      hv_store_commit(store, &err) < 0) {
    hv_store_rollback(store);
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = HV_EXIT_STORE;
  } else {
    printf("%s\n", token);
    fprintf(stderr, "token %" PRId64 " for %s created; it is shown only "
                    "this once\n",
            id, admin ? "admin" : state);
  }
  memset(token, 0, sizeof(token));
  hv_store_close(store);
  return rc;
}

static int token_list(cli_ctx *ctx, int json)
{
  hv_token_info *list = NULL;
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;
  int rc;

  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  if (hv_store_token_list(store, &list, &n, &err) < 0)
    return hv__cli_store_failed(store, &err);
  if (json) {
    json_t *arr = json_array();
    for (i = 0; i < n; i++)
      json_array_append_new(
          arr, json_pack("{s:I, s:s, s:s?, s:I, s:b}", "id",
                         (json_int_t)list[i].id, "scope", list[i].scope,
                         "label", list[i].label, "created_at",
                         (json_int_t)list[i].created_at, "revoked",
                         list[i].revoked_at != 0));
    hv__cli_print_json(arr);
  } else {
    printf("%-5s %-6s %-8s %s\n", "id", "scope", "status", "label");
    for (i = 0; i < n; i++)
      printf("%-5" PRId64 " %-6s %-8s %s\n", list[i].id, list[i].scope,
             list[i].revoked_at ? "revoked" : "valid",
             list[i].label ? list[i].label : "");
  }
  hv_token_list_free(list, n);
  hv_store_close(store);
  return HV_EXIT_OK;
}

static int token_revoke(cli_ctx *ctx, const char *id_text)
{
  hv_store *store = NULL;
  hv_error err = HV_ERROR_INIT;
  char detail[64];
  long id;
  int rc;

  if (hv__cli_parse_long(id_text, 1, INT32_MAX, &id) < 0)
    return hv__cli_usage_error(token_usage, "token revoke: not an id: %s",
                               id_text);
  if ((rc = hv__cli_open_store(ctx, &store)) != HV_EXIT_OK)
    return rc;
  snprintf(detail, sizeof(detail), "{\"token\":%ld}", id);
  rc = HV_EXIT_OK;
  if (hv_store_begin(store, &err) < 0 ||
      hv_store_token_revoke(store, id, &err) < 0 ||
      hv_store_audit_add(store, 0, "cli", "token.revoke", NULL, NULL, detail,
                         &err) < 0 ||
      hv_store_commit(store, &err) < 0) {
    hv_store_rollback(store);
    fprintf(stderr, "govharvest: %s\n", err.msg);
    rc = err.code == HV_ENOTFOUND ? HV_EXIT_FAILURE : HV_EXIT_STORE;
  } else {
    printf("token %ld revoked\n", id);
  }
  hv_store_close(store);
  return rc;
}

int hv__cli_token(cli_ctx *ctx, int argc, char **argv)
{
  const char *verb = argc >= 2 ? argv[1] : NULL;
  int json = 0, help = 0, rc;

  if (!verb || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
    fputs(token_usage, verb ? stdout : stderr);
    return verb ? HV_EXIT_OK : HV_EXIT_USAGE;
  }
  if (strcmp(verb, "create") == 0)
    return token_create(ctx, argc - 1, argv + 1);
  if (strcmp(verb, "list") != 0 && strcmp(verb, "revoke") != 0)
    return hv__cli_usage_error(token_usage, "unknown token command: %s",
                               verb);
  if ((rc = hv__cli_parse_simple(argc - 1, argv + 1, token_usage, &json,
                                 &help)) != HV_EXIT_OK)
    return rc;
  if (help) {
    fputs(token_usage, stdout);
    return HV_EXIT_OK;
  }
  if (strcmp(verb, "list") == 0) {
    if (optind != argc - 1)
      return hv__cli_usage_error(token_usage, "token list takes no ID");
    return token_list(ctx, json);
  }
  if (optind + 1 != argc - 1)
    return hv__cli_usage_error(token_usage, "token revoke needs one ID");
  return token_revoke(ctx, argv[1 + optind]);
}
