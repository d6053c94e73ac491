/*
 * What the command files of the CLI share: the context every command
 * gets, and the small parsers and printers they all use. Each command
 * lives in its own file (cli.c for source, run and demo; NAME_cmd.c for
 * the others) and is registered in cli.c's command table.
 */
#ifndef HV_CLI_CLI_INT_H
#define HV_CLI_CLI_INT_H

#include <jansson.h>
#include <stdint.h>

#include "store/store.h"

typedef struct cli_ctx {
  const char *db_path;
  const char *profiles_dir; /* --profiles, or NULL for the default */
} cli_ctx;

typedef struct command {
  const char *name;
  int (*run)(cli_ctx *ctx, int argc, char **argv);
  const char *summary;
} command;

/* Prints "govharvest: MESSAGE" and usage to stderr; returns
   HV_EXIT_USAGE. */
int hv__cli_usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Opens the context's store, or prints why not and returns
   HV_EXIT_STORE. */
int hv__cli_open_store(cli_ctx *ctx, hv_store **out);

/* Prints "govharvest: MESSAGE" for err; returns HV_EXIT_STORE for a
   store error, else HV_EXIT_FAILURE. */
int hv__cli_fail(const hv_error *err);

/* Prints "govharvest: MESSAGE" for err, closes store (NULL-safe) and
   returns HV_EXIT_STORE: a read that failed before anything printed. */
int hv__cli_store_failed(hv_store *store, const hv_error *err);

/* Parses the date arg of option opt ("--from") into *out; returns
   HV_EXIT_OK, or the usage error naming opt and arg. */
int hv__cli_date_opt(const char *usage, const char *opt, const char *arg,
                     int64_t *out);

/* Parses an integer in [min, max]; returns 0 or -1. */
int hv__cli_parse_long(const char *s, long min, long max, long *out);

/* Parses YYYY-MM-DD (UTC midnight) into unix seconds; returns 0 or -1. */
int hv__cli_parse_date(const char *s, int64_t *out);

/* Parses --json and --help, the only options of simple verbs. */
int hv__cli_parse_simple(int argc, char **argv, const char *usage,
                         int *json, int *help);

/* Prints doc indented to stdout and releases it (NULL prints nothing). */
void hv__cli_print_json(json_t *doc);

/* The command implementations outside cli.c. */
int hv__cli_report(cli_ctx *ctx, int argc, char **argv);
int hv__cli_state(cli_ctx *ctx, int argc, char **argv);
int hv__cli_validate(cli_ctx *ctx, int argc, char **argv);
int hv__cli_report_quality(cli_ctx *ctx, int argc, char **argv);

int hv__cli_serve(cli_ctx *ctx, int argc, char **argv);
int hv__cli_token(cli_ctx *ctx, int argc, char **argv);

/* dedup_cmd.c: quarantine, dataset show, report duplicates. */
int hv__cli_quarantine(cli_ctx *ctx, int argc, char **argv);
int hv__cli_dataset(cli_ctx *ctx, int argc, char **argv);
int hv__cli_report_duplicates(cli_ctx *ctx, int argc, char **argv);

/* outbox_cmd.c: the outbox and push commands and the sink hooks of run
 * (load the configured sinks and register them before the harvest; drain
 * the outbox into them after it, returning run_rc or a failure). */
struct hv_sink_conf;
int hv__cli_outbox(cli_ctx *ctx, int argc, char **argv);
int hv__cli_push(cli_ctx *ctx, int argc, char **argv);
int hv__cli_sinks_before_run(hv_store *store, struct hv_sink_conf **confs,
                             size_t *n);
int hv__cli_sinks_after_run(hv_store *store, const struct hv_sink_conf *confs,
                            size_t n, int run_rc);

#endif
