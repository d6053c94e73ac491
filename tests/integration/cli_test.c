/*
 * The govharvest binary as operators and scripts use it: every command's
 * --help, the registry commands, runs against a real loopback server,
 * reports, JSON output and the documented exit codes.
 */
#include "tools/hvtest.h"
#include "tools/cli_run.h"
#include "tools/harvest_bench.h"
#include "tools/fault_server.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "canon/rdfc10.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"
#include "util/buf.h"

typedef struct fixture {
  char *dir;
  char db[600]; /* DIR/store.db, where the commands keep their state */
  hv_fault_server *srv;
  char *out;  /* stdout of the last command */
  char *errs; /* stderr of the last command */
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  assert_non_null(f->dir = hv_test_tmpdir());
  snprintf(f->db, sizeof(f->db), "%s/store.db", f->dir);
  HV_ASSERT_OK(hv_fault_server_start(&f->srv, &err), &err);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  fixture *f = *state;
  int rc;

  hv_fault_server_stop(f->srv);
  rc = hv_test_scenario_end(f->dir);
  hv_free(f->out);
  hv_free(f->errs);
  hv_free(f);
  return rc;
}

/* Runs the binary on the fixture's store; returns its exit code. */
#define gh(f, ...)                                                             \
  hv_test_cli_run((f)->db, (f)->dir, &(f)->out, &(f)->errs, __VA_ARGS__)

static void serve_catalog(fixture *f, const char *path, int datasets)
{
  hv_buf b = HV_BUF_INIT(1 << 20);
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  int i;

  hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                    "@prefix dct: <http://purl.org/dc/terms/> .\n");
  for (i = 0; i < datasets; i++)
    hv_buf_addf(&b,
                "<http://example.org/cli/%d> a dcat:Dataset ;\n"
                "  dct:title \"Datensatz %d\" ;\n"
                "  dcat:distribution [ dcat:accessURL "
                "<http://example.org/f/%d> ] .\n",
                i, i, i);
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = b.ptr;
  step.len = b.len;
  HV_ASSERT_OK(hv_fault_server_route(f->srv, path, &step, 1, &err), &err);
  hv_buf_fini(&b);
}

static void every_command_answers_help(void **state)
{
  fixture *f = *state;
  static const char *const cmds[] = {
      "--help",         "source --help",       "source add --help",
      "source list --help", "run --help",      "report --help",
      "report volumes --help", "demo --help"};
  size_t i;

  for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
    if (gh(f, "%s", cmds[i]) != 0)
      fail_msg("'%s' did not exit 0: %s", cmds[i], f->errs);
    hv_test_assert_contains(f->out, "usage: govharvest");
  }
  assert_int_equal(gh(f, "--version"), 0);
  hv_test_assert_contains(f->out, "govharvest " HV_VERSION);
}

static void bad_command_lines_exit_2(void **state)
{
  fixture *f = *state;

  assert_int_equal(gh(f, "frobnicate"), 2);
  hv_test_assert_contains(f->errs, "unknown command: frobnicate");
  assert_int_equal(gh(f, "source add x --state 17 --url http://a.example/"),
                   2);
  hv_test_assert_contains(f->errs, "17");
  assert_int_equal(gh(f, "source add x --state 01 --url ftp://a.example/"),
                   2);
  hv_test_assert_contains(f->errs, "ftp://a.example/");
  assert_int_equal(gh(f, "source add x --state 01"), 2);
  assert_int_equal(gh(f, "run --state 99"), 2);
  assert_int_equal(gh(f, "report volumes --from 2026-13-01"), 2);
  hv_test_assert_contains(f->errs, "2026-13-01");
  assert_int_equal(gh(f, "run --source nosuch"), 2);
  hv_test_assert_contains(f->errs, "nosuch");
}

static void registry_round_trip(void **state)
{
  fixture *f = *state;
  json_t *doc, *sources, *first;
  json_error_t jerr;

  assert_int_equal(gh(f, "source add hh-portal --state 02 --url "
                         "https://daten.hamburg.example/catalog.ttl "
                         "--format turtle --priority 5 --contributor "
                         "http://dcat-ap.de/def/contributors/"
                         "transparenzportalHamburg"),
                   0);
  assert_int_equal(gh(f, "source add bund-x --state bund --url "
                         "https://bund.example/dcat --disabled"),
                   0);
  assert_int_equal(gh(f, "source add hh-portal --state 02 --url "
                         "https://other.example/"),
                   1);
  hv_test_assert_contains(f->errs, "already exists");

  assert_int_equal(gh(f, "source list"), 0);
  hv_test_assert_contains(f->out, "hh-portal");
  hv_test_assert_contains(f->out, "bund-x");

  assert_int_equal(gh(f, "source list --json"), 0);
  doc = json_loads(f->out, 0, &jerr);
  assert_non_null(doc);
  sources = json_object_get(doc, "sources");
  assert_int_equal(json_array_size(sources), 2);
  first = json_array_get(sources, 0);
  assert_string_equal(json_string_value(json_object_get(first, "name")),
                      "bund-x");
  assert_false(json_is_true(json_object_get(first, "enabled")));
  json_decref(doc);

  assert_int_equal(gh(f, "source show hh-portal"), 0);
  hv_test_assert_contains(f->out, "transparenzportalHamburg");
  hv_test_assert_contains(f->out, "no runs yet");

  assert_int_equal(gh(f, "source remove bund-x"), 0);
  assert_int_equal(gh(f, "source show bund-x"), 1);
  hv_test_assert_contains(f->errs, "bund-x");
}

static void run_report_and_exit_codes(void **state)
{
  fixture *f = *state;
  char url[256];
  json_t *doc, *src, *counts;
  json_error_t jerr;

  serve_catalog(f, "/ok.ttl", 5);
  assert_int_equal(gh(f, "source add ok --state 05 --url %s",
                      hv_fault_server_url(f->srv, "/ok.ttl", url,
                                          sizeof(url))),
                   0);

  /* Loopback is refused unless allowed: the policy names the cause. */
  assert_int_equal(gh(f, "run --all"), 1);
  hv_test_assert_contains(f->out, "failed");
  assert_int_equal(hv_fault_server_hits(f->srv, "/ok.ttl"), 0);

  assert_int_equal(gh(f, "run --all --allow-loopback --json --out %s/cat",
                      f->dir),
                   0);
  doc = json_loads(f->out, 0, &jerr);
  assert_non_null(doc);
  src = json_array_get(json_object_get(doc, "sources"), 0);
  assert_string_equal(json_string_value(json_object_get(src, "status")),
                      "ok");
  counts = json_object_get(json_object_get(src, "counts"), "datasets");
  assert_int_equal(json_integer_value(json_object_get(counts, "new")), 5);
  json_decref(doc);
  {
    char path[1300];
    snprintf(path, sizeof(path), "%s/cat/catalog.ttl", f->dir);
    assert_true(hv_test_exists(path));
  }

  /* Two of five vanish: 40 % is over the guard's 20 %, exit code 3. */
  serve_catalog(f, "/ok.ttl", 3);
  assert_int_equal(gh(f, "run --source ok --allow-loopback"), 3);
  hv_test_assert_contains(f->out, "held");
  assert_int_equal(gh(f, "run --source ok --allow-loopback "
                         "--max-delete-share 50"),
                   0);

  /* A failing source gives exit code 1. */
  assert_int_equal(gh(f, "source add gone --state 06 --url %s",
                      hv_fault_server_url(f->srv, "/gone", url,
                                          sizeof(url))),
                   0);
  assert_int_equal(gh(f, "run --source gone --allow-loopback"), 1);
  hv_test_assert_contains(f->out, "HTTP 404");

  assert_int_equal(gh(f, "report volumes --json"), 0);
  doc = json_loads(f->out, 0, &jerr);
  assert_non_null(doc);
  assert_int_equal(json_array_size(json_object_get(doc, "states")), 2);
  json_decref(doc);
  assert_int_equal(gh(f, "report volumes --from 2000-01-01 --to 2000-02-01"),
                   0);
  hv_test_assert_contains(f->out, "total");

  assert_int_equal(gh(f, "source show ok --json"), 0);
  doc = json_loads(f->out, 0, &jerr);
  assert_non_null(doc);
  assert_int_equal(json_integer_value(json_object_get(doc,
                                                      "datasets_active")),
                   3);
  assert_int_equal(json_array_size(json_object_get(doc, "runs")), 4);
  json_decref(doc);
}

static void sigint_ends_the_run_as_failed_and_deletes_nothing(void **state)
{
  fixture *f = *state;
  hv_fault_step step;
  hv_error err = HV_ERROR_INIT;
  char url[256], db[1100], msg[512];
  json_t *doc, *run;
  json_error_t jerr;
  pid_t pid;
  int status;
  uint64_t start;

  serve_catalog(f, "/slow.ttl", 4);
  assert_int_equal(gh(f, "source add slow --state 09 --url %s",
                      hv_fault_server_url(f->srv, "/slow.ttl", url,
                                          sizeof(url))),
                   0);
  assert_int_equal(gh(f, "run --all --allow-loopback"), 0);

  /* The page now takes 30 s to answer; the run is interrupted. */
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = "# empty\n";
  step.len = 8;
  step.delay_ms = 30000;
  HV_ASSERT_OK(hv_fault_server_route(f->srv, "/slow.ttl", &step, 1, &err),
               &err);
  snprintf(db, sizeof(db), "%s/store.db", f->dir);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execl(HV_BINARY, HV_BINARY, "-q", "--db", db, "run", "--all",
          "--allow-loopback", "--json", (char *)NULL);
    _exit(127);
  }
  while (hv_fault_server_hits(f->srv, "/slow.ttl") == 0)
    usleep(10000);
  start = uv_hrtime();
  kill(pid, SIGINT);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 1);
  assert_true(uv_hrtime() - start < 5000000000ull);

  assert_int_equal(gh(f, "source show slow --json"), 0);
  doc = json_loads(f->out, 0, &jerr);
  assert_non_null(doc);
  assert_int_equal(json_integer_value(json_object_get(doc,
                                                      "datasets_active")),
                   4);
  run = json_array_get(json_object_get(doc, "runs"), 0);
  assert_string_equal(json_string_value(json_object_get(run, "status")),
                      "failed");
  snprintf(msg, sizeof(msg), "%s",
           json_string_value(json_object_get(run, "message")));
  hv_test_assert_contains(msg, "cancel");
  json_decref(doc);
}

/* The README's main job: the demo harvests its sample portals, fails
 * the one with a missing page, and writes a catalog whose two files hold
 * the same graph. */
static void demo_harvests_the_sample_portals(void **state)
{
  fixture *f = *state;
  char path[1300];
  char *nt, *ttl;
  size_t nt_len, ttl_len;
  hv_graph gn, gt;
  hv_error err = HV_ERROR_INIT;
  char hn[HV_SHA256_HEX_LEN + 1], ht[HV_SHA256_HEX_LEN + 1];

  assert_int_equal(gh(f, "demo --db %s/demo.db --out %s/demo-out", f->dir,
                      f->dir),
                   0);
  hv_test_assert_contains(f->out, "== first harvest");
  hv_test_assert_contains(f->out, "hamburg-transparenz");
  hv_test_assert_contains(f->out, "bb/catalog.ttl?page=3: HTTP 404");
  hv_test_assert_contains(f->out, "== volumes per state");
  hv_test_assert_contains(f->errs,
                          "skipped 1 line of text before the first Turtle");

  snprintf(path, sizeof(path), "%s/demo-out/catalog.nt", f->dir);
  nt = hv_test_read_file(path, &nt_len);
  snprintf(path, sizeof(path), "%s/demo-out/catalog.ttl", f->dir);
  ttl = hv_test_read_file(path, &ttl_len);
  assert_non_null(nt);
  assert_non_null(ttl);
  hv_graph_init(&gn);
  hv_graph_init(&gt);
  HV_ASSERT_OK(hv_rdf_parse(&gn, "ntriples", nt, nt_len, NULL, &err), &err);
  HV_ASSERT_OK(hv_rdf_parse(&gt, "turtle", ttl, ttl_len, NULL, &err), &err);
  assert_true(gn.len > 500);
  assert_int_equal(gt.len, gn.len);
  HV_ASSERT_OK(hv_rdfc10_hash(&gn, hn, NULL, &err), &err);
  HV_ASSERT_OK(hv_rdfc10_hash(&gt, ht, NULL, &err), &err);
  assert_string_equal(hn, ht);
  hv_graph_fini(&gn);
  hv_graph_fini(&gt);
  hv_free(nt);
  hv_free(ttl);
}

static void unusable_store_exits_4(void **state)
{
  fixture *f = *state;
  int status;
  char cmd[1024];

  snprintf(cmd, sizeof(cmd),
           "%s --db /nonexistent/dir/store.db source list >/dev/null "
           "2>&1",
           HV_BINARY);
  status = system(cmd);
  (void)f;
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 4);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
      T(every_command_answers_help),
      T(bad_command_lines_exit_2),
      T(registry_round_trip),
      T(run_report_and_exit_codes),
      T(sigint_ends_the_run_as_failed_and_deletes_nothing),
      T(demo_harvests_the_sample_portals),
      T(unusable_store_exits_4),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
