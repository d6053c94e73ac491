/*
 * Unit tests for the daemon's cron expressions and configuration file
 * (harvester/serve/cron.c, config.c): what parses, what is refused with
 * which message, and when an expression fires next; and the metrics page
 * (metrics.c) rendered from a real store with queued sink operations and
 * known latency observations.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/serve.h"
#include "serve/serve_int.h"
#include "util/alloc.h"

/* Unix seconds of a UTC calendar time. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
  struct tm tm;

  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return (int64_t)timegm(&tm);
}

static void cron_next_follows_the_fields(void **state)
{
  static const struct {
    const char *expr;
    int from[5]; /* y mo d h mi */
    int want[5];
  } cases[] = {
      {"*/15 * * * *", {2026, 3, 10, 10, 7}, {2026, 3, 10, 10, 15}},
      {"*/15 * * * *", {2026, 3, 10, 10, 45}, {2026, 3, 10, 11, 0}},
      {"0 3 * * *", {2026, 3, 10, 3, 0}, {2026, 3, 11, 3, 0}},
      {"0 3 * * *", {2026, 3, 10, 2, 59}, {2026, 3, 10, 3, 0}},
      {"30 0-23/6 * * *", {2026, 3, 10, 7, 0}, {2026, 3, 10, 12, 30}},
      {"0 0 1 * *", {2026, 12, 5, 0, 0}, {2027, 1, 1, 0, 0}},
      {"0 0 29 2 *", {2026, 3, 1, 0, 0}, {2028, 2, 29, 0, 0}},
      /* Weekday names; 2026-03-10 is a Tuesday. */
      {"0 12 * * fri", {2026, 3, 10, 0, 0}, {2026, 3, 13, 12, 0}},
      {"0 12 * * 7", {2026, 3, 10, 0, 0}, {2026, 3, 15, 12, 0}},
      /* Both day fields restricted: either one fires. */
      {"0 0 20 * mon", {2026, 3, 10, 1, 0}, {2026, 3, 16, 0, 0}},
      {"0 0 12 * mon", {2026, 3, 10, 1, 0}, {2026, 3, 12, 0, 0}},
      {"@weekly", {2026, 3, 10, 0, 0}, {2026, 3, 15, 0, 0}},
      {"5,10 1 * jan-feb *", {2026, 3, 10, 0, 0}, {2027, 1, 1, 1, 5}},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_cron c;
    hv_error err = HV_ERROR_INIT;
    int64_t from = utc(cases[i].from[0], cases[i].from[1], cases[i].from[2],
                       cases[i].from[3], cases[i].from[4]);
    int64_t want = utc(cases[i].want[0], cases[i].want[1], cases[i].want[2],
                       cases[i].want[3], cases[i].want[4]);
    HV_ASSERT_OK(hv_cron_parse(&c, cases[i].expr, &err), &err);
    if (hv_cron_next(&c, from) != want)
      fail_msg("%s after %lld: got %lld, want %lld", cases[i].expr,
               (long long)from, (long long)hv_cron_next(&c, from),
               (long long)want);
  }
}

static void cron_that_never_fires_says_so(void **state)
{
  hv_cron c;
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(hv_cron_parse(&c, "0 0 31 2 *", &err), &err);
  assert_int_equal(hv_cron_next(&c, utc(2026, 1, 1, 0, 0)), -1);
}

static void cron_refuses_bad_expressions(void **state)
{
  static const struct {
    const char *expr;
    const char *msg; /* part of the message */
  } cases[] = {
      {"", "has 0 fields"},
      {"* * * *", "has 4 fields"},
      {"* * * * * *", "more than 5 fields"},
      {"61 * * * *", "minute 61 is out of range 0-59"},
      {"* 24 * * *", "hour 24 is out of range 0-23"},
      {"* * 0 * *", "day of month 0 is out of range 1-31"},
      {"* * * 13 *", "month 13 is out of range 1-12"},
      {"* * * * 8", "day of week 8 is out of range 0-7"},
      {"*/0 * * * *", "minute step 0 is out of range"},
      {"5-2 * * * *", "range 5-2 runs backwards"},
      {"a * * * *", "minute 'a' is not a number"},
      {"1-* * * * *", "range without an end"},
      {"1;2 * * * *", "unexpected ';'"},
      {"@sometimes", "has 1 fields"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_cron c;
    hv_error err = HV_ERROR_INIT;
    assert_int_equal(hv_cron_parse(&c, cases[i].expr, &err), HV_EINVAL);
    if (!strstr(err.msg, cases[i].msg))
      fail_msg("'%s': message '%s' lacks '%s'", cases[i].expr, err.msg,
               cases[i].msg);
  }
}

/* Writes text to DIR/name and returns the path (hv_free it). */
static char *write_file(const char *dir, const char *name, const char *text)
{
  size_t len = strlen(dir) + strlen(name) + 2;
  char *path = hv_malloc(len);
  FILE *f;

  assert_non_null(path);
  snprintf(path, len, "%s/%s", dir, name);
  assert_non_null(f = fopen(path, "w"));
  fputs(text, f);
  fclose(f);
  return path;
}

static void config_reads_every_setting(void **state)
{
  char *dir = hv_test_tmpdir();
  char *path = write_file(
      dir, "ok.conf",
      "# a comment\n"
      "db = /var/lib/govharvest/h.db\n"
      "\n"
      "listen = [::1]:9090   # trailing comment\n"
      "schedule = 15 2 * * *\n"
      "schedule.by-open = @daily\n"
      "jitter = 0\n"
      "max_concurrent_runs = 2\n"
      "max_request_body = 2048\n"
      "connection_timeout = 5\n"
      "api_threads = 2\n"
      "allow_loopback = yes\n"
      "allow_private = off\n"
      "max_pages = 50\n"
      "max_body = 4096\n"
      "profiles = /usr/share/govharvest/profiles\n"
      "catalog = true\n"
      "catalog_page_size = 10\n"
      "catalog_base = https://daten.example\n"
      "sinks = /etc/govharvest/sinks.conf\n");
  hv_serve_config cfg;
  hv_error err = HV_ERROR_INIT;

  (void)state;
  HV_ASSERT_OK(hv_serve_config_load(&cfg, path, &err), &err);
  assert_string_equal(cfg.db_path, "/var/lib/govharvest/h.db");
  assert_string_equal(cfg.listen_host, "::1");
  assert_int_equal(cfg.listen_port, 9090);
  assert_string_equal(cfg.default_cron, "15 2 * * *");
  assert_string_equal(hv_serve_config_schedule(&cfg, "by-open"), "@daily");
  assert_null(hv_serve_config_schedule(&cfg, "other"));
  assert_int_equal(cfg.jitter_seconds, 0);
  assert_int_equal(cfg.max_concurrent_runs, 2);
  assert_int_equal(cfg.max_request_body, 2048);
  assert_int_equal(cfg.connection_timeout, 5);
  assert_int_equal(cfg.api_threads, 2);
  assert_int_equal(cfg.allow_loopback, 1);
  assert_int_equal(cfg.allow_private, 0);
  assert_int_equal(cfg.max_pages, 50);
  assert_int_equal(cfg.max_body, 4096);
  assert_string_equal(cfg.profiles_dir,
                      "/usr/share/govharvest/profiles");
  assert_int_equal(cfg.catalog, 1);
  assert_int_equal(cfg.catalog_page_size, 10);
  assert_string_equal(cfg.catalog_base, "https://daten.example");
  assert_string_equal(cfg.sinks_path, "/etc/govharvest/sinks.conf");
  hv_serve_config_fini(&cfg);
  hv_test_rmtree(dir);
  hv_free(path);
  hv_free(dir);
}

static void config_errors_name_file_and_line(void **state)
{
  static const struct {
    const char *text;
    const char *msg; /* after "PATH:" */
  } cases[] = {
      {"db = x\nfrobnicate = 1\n", "2: unknown setting 'frobnicate'"},
      {"\n\nschedule = 61 * * * *\n", "3: cron '61 * * * *': minute 61"},
      {"schedule.a = @daily\nschedule.a = @hourly\n",
       "2: source 'a' has a second schedule line"},
      {"jitter = soon\n", "1: jitter must be a whole number in 0..86400"},
      {"max_concurrent_runs = 0\n", "1: max_concurrent_runs must be"},
      {"allow_private = maybe\n", "1: allow_private must be yes or no"},
      {"listen = 8080\n", "1: listen must be ADDRESS:PORT"},
      {"listen = 127.0.0.1:70000\n", "1: listen must be ADDRESS:PORT"},
      {"db\n", "1: expected 'key = value'"},
      {"= 5\n", "1: a line has no key"},
      {"db =\n", "1: db has no value"},
      {"catalog_base = ftp://x\n", "1: catalog_base must be an http(s) URL"},
      {"db = x\nsinks =\n", "2: sinks has no value"},
  };
  char *dir = hv_test_tmpdir();
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    char *path = write_file(dir, "bad.conf", cases[i].text);
    char want[512];
    hv_serve_config cfg;
    hv_error err = HV_ERROR_INIT;

    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(hv_serve_config_load(&cfg, path, &err), HV_EPARSE);
    snprintf(want, sizeof(want), "%s:%s", path, cases[i].msg);
    if (strncmp(err.msg, want, strlen(want)) != 0)
      fail_msg("case %zu: got '%s', want it to start '%s'", i, err.msg, want);
    assert_null(cfg.db_path); /* untouched on failure */
    hv_free(path);
  }
  hv_test_rmtree(dir);
  hv_free(dir);
}

static void config_missing_file_is_an_io_error(void **state)
{
  hv_serve_config cfg;
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(hv_serve_config_load(&cfg, "/nonexistent/govharvest.conf",
                                        &err),
                   HV_EIO);
  assert_non_null(strstr(err.msg, "/nonexistent/govharvest.conf"));
}

/* Fails unless page holds line (a whole line, newline included). */
static void assert_line(const char *page, const char *line)
{
  if (!strstr(page, line))
    fail_msg("metrics page lacks '%s' in:\n%s", line, page);
}

static void metrics_show_outbox_depth_and_latency_buckets(void **state)
{
  static const char *const sinks[] = {"export", "lod"};
  char *dir = hv_test_tmpdir();
  char db[600];
  hv_server *srv = hv_calloc(1, sizeof(*srv));
  hv_buf page = HV_BUF_INIT(1 << 20);
  hv_error err = HV_ERROR_INIT;
  hv_outbox_op *ops = NULL;
  size_t n = 0;

  (void)state;
  assert_non_null(srv);
  assert_int_equal(uv_mutex_init(&srv->mu), 0);
  snprintf(db, sizeof(db), "%s/m.db", dir);
  HV_ASSERT_OK(hv_store_open(&srv->api_store, db, &err), &err);
  /* Three datasets' operations for two sinks; one of lod's parked. */
  HV_ASSERT_OK(hv_store_outbox_set_sinks(srv->api_store, sinks, 2, &err),
               &err);
  HV_ASSERT_OK(hv_store_begin(srv->api_store, &err), &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(srv->api_store, 1, "src", "k1",
                                       HV_OUTBOX_PUT, "h1", &err),
               &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(srv->api_store, 1, "src", "k2",
                                       HV_OUTBOX_PUT, "h2", &err),
               &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(srv->api_store, 1, "src", "k3",
                                       HV_OUTBOX_DELETE, NULL, &err),
               &err);
  HV_ASSERT_OK(hv_store_commit(srv->api_store, &err), &err);
  HV_ASSERT_OK(hv_store_outbox_list(srv->api_store, "lod", NULL, 1, &ops, &n,
                                    &err),
               &err);
  assert_int_equal(n, 1);
  HV_ASSERT_OK(hv_store_outbox_failed(srv->api_store, ops[0].seq, 1, 0,
                                      "HTTP 400", &err),
               &err);
  hv_outbox_ops_free(ops, n);

  /* Harvest fetches of 20 ms, 0.3 s and 40 s; one check of 1 ms. */
  hv__histogram_add(&srv->page_seconds, 0.02);
  hv__histogram_add(&srv->page_seconds, 0.3);
  hv__histogram_add(&srv->page_seconds, 40);
  hv__histogram_add(&srv->fetch_seconds, 0.001);
  srv->drains = 7;

  HV_ASSERT_OK(hv__metrics_render(srv, &page, &err), &err);
  assert_line(page.ptr,
              "\ngovharvest_outbox_depth{sink=\"export\",state=\"pending\"} "
              "3\n");
  assert_line(page.ptr,
              "\ngovharvest_outbox_depth{sink=\"export\",state=\"parked\"} "
              "0\n");
  assert_line(page.ptr,
              "\ngovharvest_outbox_depth{sink=\"lod\",state=\"pending\"} "
              "2\n");
  assert_line(page.ptr,
              "\ngovharvest_outbox_depth{sink=\"lod\",state=\"parked\"} 1\n");
  assert_line(page.ptr, "\ngovharvest_daemon_outbox_drains_total 7\n");
  /* Cumulative buckets: nothing up to 10 ms, the 20 ms one from 50 ms,
   * the 0.3 s one from 0.5 s, the 40 s one only in +Inf. */
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"0.01\"} 0\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"0.05\"} 1\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"0.25\"} 1\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"0.5\"} 2\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"30\"} 2\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"harvest\",le=\"+Inf\"} 3\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_sum{"
                        "kind=\"harvest\"} 40.320000\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_count{"
                        "kind=\"check\"} 1\n");
  assert_line(page.ptr, "\ngovharvest_fetch_duration_seconds_bucket{"
                        "kind=\"check\",le=\"0.01\"} 1\n");
  /* One HELP and TYPE for the two series of the histogram. */
  {
    const char *first = strstr(page.ptr,
                               "# TYPE govharvest_fetch_duration_seconds ");
    assert_non_null(first);
    assert_null(strstr(first + 1,
                       "# TYPE govharvest_fetch_duration_seconds "));
  }
  assert_line(page.ptr, "\ngovharvest_run_duration_seconds_count 0\n");

  hv_buf_fini(&page);
  hv_store_close(srv->api_store);
  uv_mutex_destroy(&srv->mu);
  hv_free(srv);
  hv_test_rmtree(dir);
  hv_free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cron_next_follows_the_fields),
      cmocka_unit_test(cron_that_never_fires_says_so),
      cmocka_unit_test(cron_refuses_bad_expressions),
      cmocka_unit_test(config_reads_every_setting),
      cmocka_unit_test(config_errors_name_file_and_line),
      cmocka_unit_test(config_missing_file_is_an_io_error),
      cmocka_unit_test(metrics_show_outbox_depth_and_latency_buckets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
