/*
 * The sink commands of the real binary: `run` queues for the configured
 * sinks and drains them after the harvest, `push` sends what is left,
 * and `outbox status|retry|drop` show and change the queue, against a
 * catalog served on loopback and the CKAN double.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tools/ckan_double.h"
#include "tools/sink_catalog.h"
#include "util/alloc.h"
#include "util/buf.h"

typedef struct fixture {
  hv_sink_catalog cat;
  hv_ckan_double *ckan;
  char conf[700];
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  hv_sink_catalog_open(&f->cat);
  HV_ASSERT_OK(hv_ckan_double_start(&f->ckan, "cli-token", &err), &err);
  snprintf(f->conf, sizeof(f->conf), "%s/govharvest.conf", f->cat.dir);
  setenv("HV_TEST_CLI_TOKEN", "cli-token", 1);
  /* The binary opens the store itself. */
  hv_store_close(f->cat.store);
  f->cat.store = NULL;
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;

  hv_ckan_double_stop(f->ckan);
  hv_sink_catalog_close(&f->cat);
  hv_free(f);
  return 0;
}

static void write_conf(fixture *f, const char *token_env)
{
  char url[128];
  FILE *fp;

  assert_non_null(fp = fopen(f->conf, "w"));
  fprintf(fp,
          "[sink govdata]\n"
          "type = ckan\n"
          "url = %s\n"
          "token_env = %s\n"
          "timeout = 5\n",
          hv_ckan_double_url(f->ckan, url, sizeof(url)), token_env);
  fclose(fp);
}

/* Runs the binary with args (shell words) and config; returns the exit
 * status, output (stdout and stderr) in out. */
static int run(fixture *f, const char *args, hv_buf *out)
{
  hv_buf cmd = HV_BUF_INIT(8192);
  char chunk[4096];
  size_t got;
  FILE *p;
  int status;

  hv_buf_reset(out);
  hv_buf_addf(&cmd, "GOVHARVEST_CONFIG='%s' '%s' --db '%s' %s 2>&1", f->conf,
              HV_BINARY, f->cat.db, args);
  assert_non_null(p = popen(cmd.ptr, "r"));
  while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
    hv_buf_add(out, chunk, got);
  status = pclose(p);
  hv_buf_fini(&cmd);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void test_run_drains_and_outbox_verbs(void **state)
{
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);

  /* No token: the run harvests and queues, the drain cannot start. */
  hv_sink_catalog_serve(&f->cat, 1, 6, 1, 3);
  write_conf(f, "HV_TEST_UNSET_TOKEN_VARIABLE");
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 1);
  assert_non_null(strstr(out.ptr, "environment variable "
                                  "HV_TEST_UNSET_TOKEN_VARIABLE"));

  /* A wrong token: clear error, nothing marked done. */
  setenv("HV_TEST_CLI_BAD", "wrong", 1);
  write_conf(f, "HV_TEST_CLI_BAD");
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 1);
  assert_non_null(strstr(out.ptr, "Authorization Error"));
  assert_null(strstr(out.ptr, "wrong"));
  assert_int_equal(run(f, "outbox status --json", &out), 0);
  assert_non_null(strstr(out.ptr, "\"pending\": 6"));
  assert_int_equal(hv_ckan_double_active(f->ckan), 0);

  /* The right token: push sends all but the invalid dataset 3. */
  write_conf(f, "HV_TEST_CLI_TOKEN");
  assert_int_equal(run(f, "push", &out), 1);
  assert_non_null(strstr(out.ptr, "push: 5 done"));
  assert_non_null(strstr(out.ptr, "1 parked"));
  assert_int_equal(hv_ckan_double_active(f->ckan), 5);
  assert_int_equal(run(f, "outbox status --list", &out), 0);
  assert_non_null(strstr(out.ptr, "http://example.org/ds/3"));
  assert_non_null(strstr(out.ptr, "Validation Error"));

  /* Operators: drop needs --yes; retry re-queues the parked one. */
  assert_int_equal(run(f, "outbox drop", &out), 2);
  assert_non_null(strstr(out.ptr, "--yes"));
  assert_int_equal(run(f, "outbox retry --sink govdata", &out), 0);
  assert_non_null(strstr(out.ptr, "outbox retry: 1 operation"));
  assert_int_equal(run(f, "outbox drop --yes", &out), 0);
  assert_non_null(strstr(out.ptr, "outbox drop: 1 operation"));
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));
  assert_int_equal(run(f, "outbox status --json", &out), 0);
  assert_non_null(strstr(out.ptr, "\"done\": 5"));
  assert_non_null(strstr(out.ptr, "\"dropped\": 1"));
  assert_int_equal(run(f, "outbox frobnicate", &out), 2);
  hv_buf_fini(&out);
}

static void test_push_without_sinks(void **state)
{
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);
  FILE *fp;

  assert_non_null(fp = fopen(f->conf, "w"));
  fputs("# no sinks yet\n", fp);
  fclose(fp);
  assert_int_equal(run(f, "push", &out), 2);
  assert_non_null(strstr(out.ptr, "no sink configured"));
  hv_buf_fini(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_run_drains_and_outbox_verbs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_push_without_sinks, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
