/*
 * `govharvest serve`: runs the daemon (serve/serve.h) with a
 * configuration file, or only checks the file with --check-config so an
 * operator can validate an edit before sending SIGHUP.
 */
#include "cli/cli.h"
#include "cli/cli_int.h"

#include <getopt.h>
#include <stdio.h>

#include "serve/serve.h"
#include "sinks/sink.h"

static const char serve_usage[] =
    "usage: govharvest serve --config FILE [--check-config]\n"
    "\n"
    "Runs the harvest daemon: schedules, the admin API and operator page,\n"
    "/metrics, /healthz, /readyz and, if enabled, the served catalog.\n"
    "Logs JSON lines on stderr. SIGTERM stops it cleanly (running pages\n"
    "are committed), SIGHUP reloads FILE. The store is the config's 'db'\n"
    "(the global --db is not used).\n"
    "  --config FILE     settings (format: see deploy/govharvest.conf)\n"
    "  --check-config    only check FILE (and its sinks file) and print\n"
    "                    its settings\n";

int hv__cli_serve(cli_ctx *ctx, int argc, char **argv)
{
  static const struct option opts[] = {
      {"config", required_argument, NULL, 'c'},
      {"check-config", no_argument, NULL, 'C'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  const char *config = NULL;
  hv_error err = HV_ERROR_INIT;
  int c, check = 0;

  (void)ctx;
  optind = 0;
  while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (c) {
    case 'c': config = optarg; break;
    case 'C': check = 1; break;
    case 'h': fputs(serve_usage, stdout); return HV_EXIT_OK;
    default: return hv__cli_usage_error(serve_usage, "bad option for serve");
    }
  }
  if (optind != argc)
    return hv__cli_usage_error(serve_usage, "unexpected argument: %s",
                               argv[optind]);
  if (!config)
    return hv__cli_usage_error(serve_usage, "serve needs --config FILE");
  if (check) {
    hv_serve_config cfg;
    size_t i;
    if (hv_serve_config_load(&cfg, config, &err) < 0) {
      fprintf(stderr, "govharvest: %s\n", err.msg);
      return HV_EXIT_USAGE;
    }
    printf("db %s\nlisten %s:%u\nschedule %s\n", cfg.db_path,
           cfg.listen_host, (unsigned)cfg.listen_port, cfg.default_cron);
    for (i = 0; i < cfg.n_schedules; i++)
      printf("schedule.%s %s\n", cfg.schedules[i].source,
             cfg.schedules[i].cron);
    printf("jitter %d\nmax_concurrent_runs %d\n", cfg.jitter_seconds,
           cfg.max_concurrent_runs);
    /* The sinks file is read at start, so its mistakes belong here. */
    if (cfg.sinks_path) {
      hv_sink_conf *sinks = NULL;
      size_t n = 0;
      if (hv_sink_conf_load(cfg.sinks_path, &sinks, &n, &err) < 0) {
        fprintf(stderr, "govharvest: %s\n", err.msg);
        hv_serve_config_fini(&cfg);
        return HV_EXIT_USAGE;
      }
      for (i = 0; i < n; i++)
        printf("sink %s %s\n", sinks[i].name, sinks[i].type);
      hv_sink_confs_free(sinks, n);
    }
    hv_serve_config_fini(&cfg);
    return HV_EXIT_OK;
  }
  if (hv_serve_main(config, &err) < 0) {
    fprintf(stderr, "govharvest: serve: %s\n", err.msg);
    return err.code == HV_ESTORE ? HV_EXIT_STORE
           : err.code == HV_EPARSE || err.code == HV_EINVAL ? HV_EXIT_USAGE
                                                            : HV_EXIT_FAILURE;
  }
  return HV_EXIT_OK;
}
