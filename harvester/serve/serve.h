/*
 * `govharvest serve`: the daemon that harvests on schedules and lets state
 * operators look after their own endpoints over an HTTP admin API and a
 * small web page, without shell access to the machine.
 *
 * One process, one libuv loop on the main thread for the scheduler,
 * signals and run bookkeeping. Each harvest run gets a thread of its own
 * with its own store connection (hv_harvest_run owns a loop of its own;
 * SQLite in WAL mode lets the runs, the scheduler and the API share the
 * file). The HTTP server is libmicrohttpd with its own polling threads:
 * a slow client costs a socket, never a thread or the loop.
 *
 * Configuration file format (one setting a line, '#' starts a comment,
 * blank lines are ignored; times are UTC):
 *
 *   db = /var/lib/govharvest/harvest.db
 *   listen = 127.0.0.1:8080          # address:port; [::1]:8080 for IPv6
 *   schedule = 0 3 * * *             # default cron for every source
 *   schedule.by-berlin = 30 0-23/6 * * *  # one source's cron
 *   jitter = 300                     # seconds spread over sources
 *   max_concurrent_runs = 4
 *   max_request_body = 65536         # bytes of an API request body
 *   connection_timeout = 10          # seconds a client may stay idle
 *   api_threads = 4
 *   allow_loopback = no              # sources on 127/8, ::1
 *   allow_private = no               # sources on private networks
 *   max_pages = 10000                # per source and run
 *   max_body = 67108864              # bytes of one harvested page
 *   profiles = /usr/share/govharvest/profiles  # tables and sources/
 *   catalog = no                     # serve /catalog (Hydra-paged)
 *   catalog_page_size = 100
 *   catalog_base = http://127.0.0.1:8080   # absolute base for page IRIs
 *   sinks = /etc/govharvest/sinks.conf  # sink sections (sinks/README.md);
 *                                # the outbox is drained after each run
 *
 * A source's cron comes from schedule.NAME in the file, else the one
 * stored with the source through the API, else the default.
 */
#ifndef HV_SERVE_SERVE_H
#define HV_SERVE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- cron ---------------------------------------------------------------- */

/*
 * A five-field cron expression (minute hour day-of-month month
 * day-of-week) as bit sets. Fields take *, N, N-M, N-M/S, a star with
 * a step (every S) and comma lists; months and weekdays also take names
 * (jan, mon); weekday 7 is Sunday like 0. @hourly, @daily, @weekly,
 * @monthly and @yearly are shorthands. When both day fields are
 * restricted a day matching either one fires, as in every cron.
 */
typedef struct hv_cron {
  uint64_t minutes;  /* bit m: minute m (0..59) */
  uint32_t hours;    /* bit h: hour h (0..23) */
  uint32_t mdays;    /* bit d: day of month d (1..31) */
  uint16_t months;   /* bit m: month m (1..12) */
  uint8_t wdays;     /* bit d: weekday d (0 Sunday .. 6) */
  int mday_any;      /* day-of-month field was '*' */
  int wday_any;      /* day-of-week field was '*' */
} hv_cron;

/*
 * Parses expr into *out. Returns 0 or HV_EINVAL naming the field and the
 * reason ("cron '61 * * * *': minute 61 is out of range 0-59").
 */
int hv_cron_parse(hv_cron *out, const char *expr, hv_error *err);

/*
 * The first minute (unix seconds, UTC, a multiple of 60) strictly after
 * `after` that the expression matches, or -1 if none within 5 years
 * (e.g. "0 0 31 2 *").
 */
int64_t hv_cron_next(const hv_cron *c, int64_t after);

/* ---- configuration --------------------------------------------------- */

typedef struct hv_serve_schedule {
  char *source; /* source name */
  char *cron;   /* its expression as written */
} hv_serve_schedule;

typedef struct hv_serve_config {
  char *db_path;             /* default "govharvest.db" */
  char *listen_host;         /* default "127.0.0.1" */
  uint16_t listen_port;      /* default 8080; 0 picks a free port */
  char *default_cron;        /* default "0 3 * * *" */
  hv_serve_schedule *schedules;
  size_t n_schedules;
  int jitter_seconds;        /* default 300 */
  int max_concurrent_runs;   /* default 4 */
  size_t max_request_body;   /* default 65536 */
  int connection_timeout;    /* seconds, default 10 */
  int api_threads;           /* default 4 */
  int allow_loopback;        /* default 0 */
  int allow_private;         /* default 0 */
  int max_pages;             /* default 10000 */
  size_t max_body;           /* default 64 MiB */
  char *profiles_dir;        /* NULL: the default of `run` (assess.h);
                                a restart takes a new one */
  int catalog;               /* serve /catalog; default 0 */
  int catalog_page_size;     /* default 100 */
  char *catalog_base;        /* NULL: http://HOST:PORT */
  char *sinks_path;          /* NULL: no sinks; else the sink
                                configuration file, read at start (a
                                restart takes a new one) */
} hv_serve_config;

/* Fills cfg with the defaults above (strings owned by cfg). */
int hv_serve_config_defaults(hv_serve_config *cfg, hv_error *err);

/*
 * Loads the file at path over the defaults. Every problem is
 * HV_EINVAL / HV_EPARSE "PATH:LINE: reason" (unknown key, bad number,
 * invalid cron, duplicate schedule) or HV_EIO for an unreadable file.
 * cfg is filled only on success; release it with hv_serve_config_fini.
 */
int hv_serve_config_load(hv_serve_config *cfg, const char *path,
                         hv_error *err);

/* Frees the strings of cfg; NULL-safe. */
void hv_serve_config_fini(hv_serve_config *cfg);

/* The cron text for source name: its schedule.NAME line or NULL. */
const char *hv_serve_config_schedule(const hv_serve_config *cfg,
                                     const char *name);

/* ---- the daemon ------------------------------------------------------ */

/*
 * Runs the daemon with the configuration file at config_path until
 * SIGTERM or SIGINT: running harvests cancel their fetches in flight,
 * commit the pages already decoded, and end; then the HTTP server stops
 * and the function returns 0. SIGHUP reloads the file (a file with an
 * error is logged and the old settings stay). Returns a negative code
 * when the daemon cannot start (config, store, port) with err set.
 * Logs JSON lines on stderr.
 */
int hv_serve_main(const char *config_path, hv_error *err);

#endif
