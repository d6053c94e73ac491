/*
 * Unit tests for the daemon's cron expressions and configuration file
 * (harvester/serve/cron.c, config.c): what parses, what is refused with
 * which message, and when an expression fires next.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "serve/serve.h"
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

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cron_next_follows_the_fields),
      cmocka_unit_test(cron_that_never_fires_says_so),
      cmocka_unit_test(cron_refuses_bad_expressions),
      cmocka_unit_test(config_reads_every_setting),
      cmocka_unit_test(config_errors_name_file_and_line),
      cmocka_unit_test(config_missing_file_is_an_io_error),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
