/*
 * The sink commands of the real binary: `run` queues for the configured
 * sinks and drains them after the harvest, `push` sends what is left,
 * and `outbox status|retry|drop` show and change the queue, against a
 * catalog served on loopback and the CKAN double. Operators' decisions
 * reach the sinks (`quarantine release` deletes exactly the released
 * datasets, `restore` sends nothing), `run --violations withhold` holds
 * for its own resolve only, a binary killed between the pages' commit
 * and the resolve leaves the sinks exactly right after the next run, and
 * operations left per copy by an older store are shown and drained.
 */
#include "tools/hvtest.h"

#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "sinks/ckan.h"
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

/* Runs the binary with env (shell assignments, may be "") and args
 * (shell words) and config; returns the wait status, output (stdout and
 * stderr) in out. */
static int run_raw(fixture *f, const char *env, const char *args,
                   hv_buf *out)
{
  hv_buf cmd = HV_BUF_INIT(8192);
  char chunk[4096];
  size_t got;
  FILE *p;
  int status;

  hv_buf_reset(out);
  hv_buf_addf(&cmd, "GOVHARVEST_CONFIG='%s' %s '%s' --db '%s' %s 2>&1",
              f->conf, env, HV_BINARY, f->cat.db, args);
  assert_non_null(p = popen(cmd.ptr, "r"));
  while ((got = fread(chunk, 1, sizeof(chunk), p)) > 0)
    hv_buf_add(out, chunk, got);
  status = pclose(p);
  hv_buf_fini(&cmd);
  return status;
}

/* The same without environment; returns the exit code. */
static int run(fixture *f, const char *args, hv_buf *out)
{
  int status = run_raw(f, "", args, out);

  if (!WIFEXITED(status))
    fail_msg("govharvest %s did not exit: %s", args, out->ptr);
  return WEXITSTATUS(status);
}

/* The package name of the catalog's dataset i (its identity "ds-i"). */
static const char *name_of(int i, char out[HV_CKAN_NAME_MAX + 1])
{
  char identity[32];

  snprintf(identity, sizeof(identity), "ds-%d", i);
  hv_ckan_identity_name(identity, out);
  return out;
}

/* The double holds exactly the datasets listed (0-terminated), each made
 * by exactly one applied package_create. */
static void assert_packages(fixture *f, const int *ids)
{
  char name[HV_CKAN_NAME_MAX + 1];
  size_t n;

  for (n = 0; ids[n]; n++) {
    json_t *pkg = hv_ckan_double_package(f->ckan, name_of(ids[n], name));

    if (!pkg)
      fail_msg("no package %s", name);
    assert_string_equal(json_string_value(json_object_get(pkg, "state")),
                        "active");
    json_decref(pkg);
    assert_int_equal(hv_ckan_double_creates(f->ckan, name), 1);
  }
  assert_int_equal(hv_ckan_double_active(f->ckan), n);
}

/* The key (dataset IRI) of the catalog's dataset i. */
static const char *key_of(int i, char *buf, size_t size)
{
  snprintf(buf, size, "http://example.org/ds/%d", i);
  return buf;
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


/* A held run quarantines; release deletes exactly the released datasets
 * in the sink, restore sends nothing. */
static void test_quarantine_decisions_reach_the_sink(void **state)
{
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);
  char name[HV_CKAN_NAME_MAX + 1], key[64], args[160];
  size_t calls;
  int i;

  write_conf(f, "HV_TEST_CLI_TOKEN");
  hv_sink_catalog_serve(&f->cat, 1, 10, 1, 0);
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 0);
  assert_packages(f, (const int[]){1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0});

  /* 8 of 10 vanish: the run is held, nothing is deleted anywhere. */
  hv_sink_catalog_serve(&f->cat, 1, 2, 1, 0);
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 3);
  assert_int_equal(run(f, "push", &out), 0);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);
  assert_int_equal(hv_ckan_double_active(f->ckan), 10);

  /* Releasing one dataset queues its deletion, and only its. */
  snprintf(args, sizeof(args), "quarantine release --source by-test '%s'",
           key_of(3, key, sizeof(key)));
  assert_int_equal(run(f, args, &out), 0);
  assert_non_null(strstr(out.ptr, "1 datasets released"));
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 1 done"));
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 1);
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                            name_of(3, name), 200),
                   1);

  /* Restoring one sends nothing: the sink has it already. */
  calls = hv_ckan_double_calls(f->ckan, NULL);
  snprintf(args, sizeof(args), "quarantine restore --source by-test '%s'",
           key_of(4, key, sizeof(key)));
  assert_int_equal(run(f, args, &out), 0);
  assert_non_null(strstr(out.ptr, "1 datasets restored"));
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));
  assert_int_equal(hv_ckan_double_calls(f->ckan, NULL), calls);

  /* Releasing the rest deletes exactly 5..10. */
  assert_int_equal(run(f, "quarantine release --all", &out), 0);
  assert_non_null(strstr(out.ptr, "6 datasets released"));
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 6 done"));
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 7);
  for (i = 5; i <= 10; i++)
    assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                              name_of(i, name), 200),
                     1);
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                            name_of(4, name), 0),
                   0);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);
  assert_packages(f, (const int[]){1, 2, 4, 0});
  /* Nothing queued twice: a further push is idle. */
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));
  hv_buf_fini(&out);
}

/* --violations withhold holds for the run's own resolve; later resolves
 * (a quarantine decision, the next run) follow the configuration. */
static void test_violations_flag_holds_for_its_run(void **state)
{
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);
  char name[HV_CKAN_NAME_MAX + 1], key[64], args[160];

  write_conf(f, "HV_TEST_CLI_TOKEN");
  f->cat.violating = 3;
  hv_sink_catalog_serve(&f->cat, 1, 10, 1, 0);
  assert_int_equal(run(f, "run --all --allow-loopback --violations withhold",
                       &out),
                   0);
  assert_packages(f, (const int[]){1, 2, 4, 5, 6, 7, 8, 9, 10, 0});
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, NULL, name_of(3, name),
                                            0),
                   0);
  /* A push resolves nothing: still nothing for dataset 3. */
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));

  /* A held run with the flag quarantines 3..10, ds-3 stays withheld. */
  hv_sink_catalog_serve(&f->cat, 1, 2, 1, 0);
  assert_int_equal(run(f, "run --all --allow-loopback --violations withhold",
                       &out),
                   3);
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, NULL, name_of(3, name),
                                            0),
                   0);
  /* The operator's restore resolves with the configuration (publish):
   * dataset 3, published and with violations, now reaches the sink. */
  snprintf(args, sizeof(args), "quarantine restore --source by-test '%s'",
           key_of(3, key, sizeof(key)));
  assert_int_equal(run(f, args, &out), 0);
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 1 done"));
  assert_int_equal(hv_ckan_double_creates(f->ckan, name_of(3, name)), 1);
  assert_int_equal(hv_ckan_double_active(f->ckan), 10);

  /* A sink configured to withhold withdraws it at the next resolve. */
  {
    FILE *fp = fopen(f->conf, "a");

    assert_non_null(fp);
    fputs("violations = withhold\n", fp);
    fclose(fp);
  }
  snprintf(args, sizeof(args), "quarantine release --source by-test '%s'",
           key_of(4, key, sizeof(key)));
  assert_int_equal(run(f, args, &out), 0);
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 2 done"));
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                            name_of(3, name), 200),
                   1);
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                            name_of(4, name), 200),
                   1);
  assert_int_equal(hv_ckan_double_active(f->ckan), 8);
  hv_buf_fini(&out);
}

/* Adds a second source serving the same catalog: every dataset has two
 * copies, one published, one superseded. */
static void add_copy_source(fixture *f)
{
  hv_error err = HV_ERROR_INIT;
  hv_store *store = NULL;
  hv_source src;

  HV_ASSERT_OK(hv_store_open(&store, f->cat.db, &err), &err);
  memset(&src, 0, sizeof(src));
  src.name = "by-copy";
  src.state = "11";
  src.kind = "dcat-rdf";
  src.url = f->cat.src.url;
  src.enabled = 1;
  HV_ASSERT_OK(hv_store_source_add(store, &src, &err), &err);
  hv_store_close(store);
}

/* How often the N-Triples file at path types dataset i a dcat:Dataset
 * (0 if the file is absent). */
static int dataset_copies(const char *path, int i)
{
  char needle[200], *text = hv_test_read_file(path, NULL), *p;
  int n = 0;

  if (!text)
    return 0;
  snprintf(needle, sizeof(needle),
           "<http://example.org/ds/%d> <http://www.w3.org/1999/02/"
           "22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .\n",
           i);
  for (p = text; (p = strstr(p, needle)); p++)
    n++;
  hv_free(text);
  return n;
}

/* Whether a wait status says SIGKILL (the shell reports 128 + 9 when it
 * did not exec the binary itself). */
static int killed(int status)
{
  return (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ||
         (WIFEXITED(status) && WEXITSTATUS(status) == 128 + SIGKILL);
}

/* The binary killed between the pages' commit and the resolve: nothing
 * of the run reaches a sink, the next run puts exactly the publication,
 * and no superseded copy is ever created in CKAN. */
static void test_killed_before_resolve(void **state)
{
  static const char kill_env[] = "GOVHARVEST_TEST_KILL_BEFORE_PUBLISH=1";
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);
  char url[128], dir[700], nt[760], outnt[760], args[800], name[128];
  FILE *fp;
  int i, status;

  snprintf(dir, sizeof(dir), "%s/export", f->cat.dir);
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(nt, sizeof(nt), "%s/catalog.nt", dir);
  snprintf(outnt, sizeof(outnt), "%s/out/catalog.nt", f->cat.dir);
  assert_non_null(fp = fopen(f->conf, "w"));
  fprintf(fp,
          "[sink govdata]\ntype = ckan\nurl = %s\n"
          "token_env = HV_TEST_CLI_TOKEN\ntimeout = 5\n"
          "[sink export]\ntype = files\ndir = %s\npage_size = 4\n",
          hv_ckan_double_url(f->ckan, url, sizeof(url)), dir);
  fclose(fp);
  add_copy_source(f);
  hv_sink_catalog_serve(&f->cat, 1, 6, 1, 0);

  status = run_raw(f, kill_env, "run --all --allow-loopback", &out);
  assert_true(killed(status));
  /* The pages are stored; nothing is published, nothing queued. */
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));
  assert_int_equal(hv_ckan_double_calls(f->ckan, NULL), 0);
  for (i = 1; i <= 6; i++)
    assert_int_equal(dataset_copies(nt, i), 0);

  /* The next run resolves: one package and one file copy per dataset. */
  snprintf(args, sizeof(args), "run --all --allow-loopback --out '%s/out'",
           f->cat.dir);
  assert_int_equal(run(f, args, &out), 0);
  assert_packages(f, (const int[]){1, 2, 3, 4, 5, 6, 0});
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 6);
  for (i = 1; i <= 6; i++) {
    assert_int_equal(dataset_copies(nt, i), 1);
    assert_int_equal(dataset_copies(outnt, i), 1);
  }

  /* Dataset 1 vanishes, 7 is new, the rest change; killed again. */
  hv_sink_catalog_serve(&f->cat, 2, 6, 2, 0);
  status = run_raw(f, kill_env, "run --all --allow-loopback", &out);
  assert_true(killed(status));
  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 0 done"));
  /* Still the last publication in the files: 1 in, 7 not yet. */
  assert_int_equal(dataset_copies(nt, 1), 1);
  assert_int_equal(dataset_copies(nt, 7), 0);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 6);

  assert_int_equal(run(f, args, &out), 0);
  assert_packages(f, (const int[]){2, 3, 4, 5, 6, 7, 0});
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 7);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 1);
  assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_delete",
                                            name_of(1, name), 200),
                   1);
  for (i = 2; i <= 6; i++)
    assert_int_equal(hv_ckan_double_calls_for(f->ckan, "package_update",
                                              name_of(i, name), 200),
                     1);
  assert_int_equal(dataset_copies(nt, 1), 0);
  assert_int_equal(dataset_copies(outnt, 1), 0);
  for (i = 2; i <= 7; i++) {
    assert_int_equal(dataset_copies(nt, i), 1);
    assert_int_equal(dataset_copies(outnt, i), 1);
  }
  /* Repeated, nothing changes and nothing is sent. */
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 0);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 7);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_update"), 5);
  hv_buf_fini(&out);
}

/* Operations queued per copy by a store from before publication are
 * shown as such and still drain by source and key. */
static void test_per_copy_operations_drain(void **state)
{
  fixture *f = *state;
  hv_buf out = HV_BUF_INIT(1 << 20);
  hv_error err = HV_ERROR_INIT;
  hv_store *store = NULL;
  char key[64], name[HV_CKAN_NAME_MAX + 1];

  write_conf(f, "HV_TEST_CLI_TOKEN");
  hv_sink_catalog_serve(&f->cat, 1, 3, 1, 0);
  assert_int_equal(run(f, "run --all --allow-loopback", &out), 0);
  assert_int_equal(hv_ckan_double_active(f->ckan), 3);

  /* What the old harvest queued: a put of the copy by source and key. */
  HV_ASSERT_OK(hv_store_open(&store, f->cat.db, &err), &err);
  HV_ASSERT_OK(hv_store_outbox_enqueue(store, f->cat.src.id, "by-test",
                                       key_of(2, key, sizeof(key)),
                                       HV_OUTBOX_PUT, NULL, &err),
               &err);
  hv_store_close(store);

  assert_int_equal(run(f, "outbox status", &out), 0);
  assert_non_null(strstr(out.ptr, "1 unfinished operation queued per copy"));
  assert_int_equal(run(f, "outbox status --list", &out), 0);
  assert_non_null(strstr(out.ptr, "by-test/http://example.org/ds/2 (per "
                                  "copy)"));
  assert_int_equal(run(f, "outbox status --list --json", &out), 0);
  assert_non_null(strstr(out.ptr, "\"per_copy\": true"));
  assert_non_null(strstr(out.ptr, "\"per_copy_unfinished\": 1"));

  assert_int_equal(run(f, "push", &out), 0);
  assert_non_null(strstr(out.ptr, "push: 1 done"));
  hv_ckan_name("by-test", key, name);
  assert_int_equal(hv_ckan_double_creates(f->ckan, name), 1);
  assert_int_equal(run(f, "outbox status", &out), 0);
  assert_null(strstr(out.ptr, "per copy"));
  hv_buf_fini(&out);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_run_drains_and_outbox_verbs, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_push_without_sinks, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_quarantine_decisions_reach_the_sink,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_violations_flag_holds_for_its_run,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(test_killed_before_resolve, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_per_copy_operations_drain, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
