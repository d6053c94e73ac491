/*
 * The CKAN sink behind the outbox, against the CKAN action API double
 * (tests/tools/ckan_double.h) on loopback: creates, updates and deletes
 * reach CKAN exactly once each, and every fault leaves nothing lost and
 * nothing doubled: a sink down for a whole drain, every third write
 * failing, writes applied but answered 500, a sink too slow for the
 * timeout, a wrong token, a validation error for one dataset, and the
 * real binary killed with SIGKILL in the middle of sending. A sink with
 * `violations = withhold` next to one that publishes never receives a
 * dataset with violations, withdraws one that gains a violation and gets
 * it again once the violation is fixed.
 */
#include "tools/hvtest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sinks/ckan.h"
#include "tools/ckan_double.h"
#include "tools/sink_catalog.h"
#include "util/alloc.h"

#define TOKEN "test-token-5f1c"
#define N 12

typedef struct fixture {
  hv_sink_catalog cat;
  hv_ckan_double *ckan;
  char url[128];
} fixture;

static int setup(void **state)
{
  fixture *f = hv_calloc(1, sizeof(*f));
  hv_error err = HV_ERROR_INIT;

  assert_non_null(f);
  hv_sink_catalog_open(&f->cat);
  HV_ASSERT_OK(hv_ckan_double_start(&f->ckan, TOKEN, &err), &err);
  hv_ckan_double_add_org(f->ckan, "senatsverwaltung");
  hv_ckan_double_url(f->ckan, f->url, sizeof(f->url));
  setenv("HV_TEST_CKAN_TOKEN", TOKEN, 1);
  setenv("HV_TEST_CKAN_BAD_TOKEN", "not-the-token", 1);
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

/* Configures one CKAN sink "govdata" at url with the token variable. */
static void configure(fixture *f, const char *url, const char *token_env,
                      const char *extra)
{
  char text[1024];

  snprintf(text, sizeof(text),
           "# CKAN of the test\n"
           "[sink govdata]\n"
           "type = ckan\n"
           "url = %s\n"
           "token_env = %s\n"
           "organization = senatsverwaltung\n"
           "timeout = 2\n"
           "%s",
           url, token_env, extra ? extra : "");
  hv_sink_catalog_conf(&f->cat, text);
}

static const char *name_of(int i, char out[HV_CKAN_NAME_MAX + 1])
{
  char identity[64];

  /* Packages are named by the published identity: the normalised
   * dct:identifier of the catalog's dataset i. */
  snprintf(identity, sizeof(identity), "ds-%d", i);
  hv_ckan_identity_name(identity, out);
  return out;
}

/* Every dataset first..first+count-1 is an active package, created by
 * exactly one applied package_create, and nothing else is active. */
static void assert_exactly(fixture *f, int first, int count)
{
  char name[HV_CKAN_NAME_MAX + 1];
  int i;

  assert_int_equal(hv_ckan_double_active(f->ckan), (size_t)count);
  for (i = first; i < first + count; i++) {
    json_t *p;

    name_of(i, name);
    p = hv_ckan_double_package(f->ckan, name);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "state")),
                        "active");
    json_decref(p);
    /* Made once; every later send found it and updated it. */
    assert_int_equal(hv_ckan_double_creates(f->ckan, name), 1);
  }
}

static void test_create_update_delete(void **state)
{
  fixture *f = *state;
  hv_outbox_stats st;
  char name[HV_CKAN_NAME_MAX + 1];
  json_t *p, *extras, *e;
  size_t i;
  int found = 0;

  configure(f, f->url, "HV_TEST_CKAN_TOKEN", NULL);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "pending"), N);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "done"), N);
  assert_exactly(f, 1, N);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), N);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_update"), 0);

  /* The mapping, as GovData's CKAN reads it. */
  name_of(3, name);
  assert_true(strlen(name) <= HV_CKAN_NAME_MAX);
  p = hv_ckan_double_package(f->ckan, name);
  assert_non_null(p);
  assert_string_equal(json_string_value(json_object_get(p, "title")),
                      "Datensatz 3 Fassung 1");
  assert_string_equal(json_string_value(json_object_get(p, "notes")),
                      "Beschreibung von Datensatz 3");
  assert_string_equal(json_string_value(json_object_get(p, "owner_org")),
                      "senatsverwaltung");
  assert_string_equal(json_string_value(json_object_get(p, "maintainer")),
                      "Amt 3");
  assert_string_equal(
      json_string_value(json_object_get(p, "maintainer_email")),
      "amt3@example.org");
  assert_string_equal(
      json_string_value(json_object_get(
          json_array_get(json_object_get(p, "groups"), 0), "name")),
      "envi");
  assert_int_equal(json_array_size(json_object_get(p, "tags")), 2);
  assert_int_equal(json_array_size(json_object_get(p, "resources")), 1);
  e = json_array_get(json_object_get(p, "resources"), 0);
  assert_string_equal(json_string_value(json_object_get(e, "format")), "CSV");
  assert_string_equal(json_string_value(json_object_get(e, "url")),
                      "http://example.org/files/3.csv");
  assert_string_equal(json_string_value(json_object_get(p, "license_id")),
                      "http://dcat-ap.de/def/licenses/dl-by-de/2.0");
  extras = json_object_get(p, "extras");
  json_array_foreach(extras, i, e) {
    const char *k = json_string_value(json_object_get(e, "key"));
    const char *v = json_string_value(json_object_get(e, "value"));

    if (strcmp(k, "identifier") == 0)
      found += strcmp(v, "ds-3") == 0;
    else if (strcmp(k, "contributorID") == 0)
      found += strcmp(v, "http://dcat-ap.de/def/contributors/"
                         "berlinOpenData") == 0;
    else if (strcmp(k, "politicalGeocodingURI") == 0)
      found += strstr(v, "stateKey/11") != NULL;
    else if (strcmp(k, "harvest_source") == 0)
      found += strcmp(v, "by-test") == 0;
    else if (strcmp(k, "guid") == 0)
      found += strcmp(v, "http://example.org/ds/3") == 0;
    else if (strcmp(k, "modified") == 0)
      found += strcmp(v, "2026-01-04") == 0;
  }
  assert_int_equal(found, 6);
  json_decref(p);

  /* Revision 2 without the last dataset: N - 1 updates and one delete. */
  hv_sink_catalog_serve(&f->cat, 1, N - 1, 2, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, N - 1);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_update"), N - 1);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 1);
  name_of(N, name);
  p = hv_ckan_double_package(f->ckan, name);
  assert_string_equal(json_string_value(json_object_get(p, "state")),
                      "deleted");
  json_decref(p);
  name_of(3, name);
  p = hv_ckan_double_package(f->ckan, name);
  assert_string_equal(json_string_value(json_object_get(p, "title")),
                      "Datensatz 3 Fassung 2");
  json_decref(p);

  /* Back again: the deleted package is revived by an update. */
  hv_sink_catalog_serve(&f->cat, 1, N, 2, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, 1);
  assert_exactly(f, 1, N);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), N);
}

static void test_names(void **state)
{
  char a[HV_CKAN_NAME_MAX + 1], b[HV_CKAN_NAME_MAX + 1];
  char longkey[400];

  (void)state;
  hv_ckan_name("by", "plain_key-1", a);
  assert_string_equal(a, "by-plain_key-1");
  /* Case and characters are lost, so a hash keeps names apart. */
  hv_ckan_name("by", "Key", a);
  hv_ckan_name("by", "key", b);
  assert_string_equal(b, "by-key");
  assert_string_not_equal(a, b);
  assert_int_equal(strlen(a), strlen("by-key-") + 12);
  hv_ckan_name("by", "a/b", a);
  hv_ckan_name("by", "a:b", b);
  assert_string_not_equal(a, b);
  memset(longkey, 'k', sizeof(longkey) - 1);
  longkey[sizeof(longkey) - 1] = '\0';
  hv_ckan_name("by", longkey, a);
  assert_int_equal(strlen(a), HV_CKAN_NAME_MAX);
  longkey[10] = 'j';
  hv_ckan_name("by", longkey, b);
  assert_string_not_equal(a, b);
}

static void test_sink_down_whole_run(void **state)
{
  fixture *f = *state;
  hv_outbox_stats st;

  /* Nothing listens on port 9 of loopback (discard is not running). */
  configure(f, "http://127.0.0.1:9", "HV_TEST_CKAN_TOKEN", NULL);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, 0);
  assert_int_equal(st.left, N);
  assert_int_equal(st.halted, 1);
  assert_non_null(strstr(st.message, "govdata"));
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "pending"), N);
  assert_int_equal(hv_ckan_double_calls(f->ckan, NULL), 0);

  /* The sink is back: the next push sends everything. */
  configure(f, f->url, "HV_TEST_CKAN_TOKEN", NULL);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, N);
}

static void test_every_third_write_fails(void **state)
{
  fixture *f = *state;
  hv_ckan_faults faults = {3, 0, 0};
  hv_outbox_stats st;

  /* One at a time, so no operation can keep landing on the failing
   * slot: each retry is followed by other operations' writes. */
  configure(f, f->url, "HV_TEST_CKAN_TOKEN", "concurrency = 1\n");
  hv_ckan_double_set_faults(f->ckan, &faults);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_true(st.failed >= N / 3);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, N);
  assert_true(hv_ckan_double_calls_for(f->ckan, "package_create", NULL,
                                       500) >= N / 3);
}

static void test_500_after_applying(void **state)
{
  fixture *f = *state;
  hv_ckan_faults faults = {0, 2, 0};
  hv_outbox_stats st;

  configure(f, f->url, "HV_TEST_CKAN_TOKEN", NULL);
  hv_ckan_double_set_faults(f->ckan, &faults);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, N);
  assert_int_equal(st.left, 0);
  assert_true(st.failed >= 1);
  assert_exactly(f, 1, N);
  /* The resends found the packages their first sends had made. */
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_update"), N / 2);
  assert_int_equal(st.failed, N / 2);
  /* Every package was created by one call only (the table holds one row
   * per name, and no create was refused as a duplicate). */
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), N);
}

static void test_slow_sink_times_out(void **state)
{
  fixture *f = *state;
  hv_ckan_faults slow = {0, 0, 3000}, fast = {0, 0, 0};
  hv_outbox_stats st;

  configure(f, f->url, "HV_TEST_CKAN_TOKEN", "concurrency = 2\n");
  hv_ckan_double_set_faults(f->ckan, &slow);
  hv_sink_catalog_serve(&f->cat, 1, 4, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  /* Every answer came after the 2 s timeout: nothing is marked done. */
  assert_int_equal(st.done, 0);
  assert_int_equal(st.left, 4);
  assert_true(st.failed >= 1);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "done"), 0);

  hv_ckan_double_set_faults(f->ckan, &fast);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, 4);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, 4);
}

static void test_wrong_token(void **state)
{
  fixture *f = *state;
  hv_outbox_stats st;

  configure(f, f->url, "HV_TEST_CKAN_BAD_TOKEN", NULL);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, 0);
  assert_int_equal(st.left, N);
  assert_int_equal(st.halted, 1);
  assert_non_null(strstr(st.message, "Authorization Error"));
  /* The token itself never shows up in a message. */
  assert_null(strstr(st.message, "not-the-token"));
  assert_int_equal(hv_ckan_double_active(f->ckan), 0);
  /* It stopped at the first refusal rather than trying every dataset. */
  assert_true(hv_ckan_double_calls(f->ckan, "package_create") <= 4);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "pending"), N);
}

static void test_validation_error_parks_one(void **state)
{
  fixture *f = *state;
  hv_outbox_stats st;
  hv_outbox_op *ops = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;

  configure(f, f->url, "HV_TEST_CKAN_TOKEN", NULL);
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 5);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, N - 1);
  assert_int_equal(st.parked, 1);
  assert_int_equal(hv_ckan_double_active(f->ckan), N - 1);
  HV_ASSERT_OK(hv_store_outbox_list(f->cat.store, "govdata", "parked", 0,
                                    &ops, &n, &err),
               &err);
  assert_int_equal(n, 1);
  assert_string_equal(ops[0].key, "http://example.org/ds/5");
  assert_non_null(strstr(ops[0].last_error, "Validation Error"));
  assert_non_null(strstr(ops[0].last_error, "tags"));
  hv_outbox_ops_free(ops, n);

  /* The source fixes the dataset; an operator retries the parked op,
   * which now sends the fixed dataset, followed by its update. */
  hv_sink_catalog_serve(&f->cat, 1, N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  HV_ASSERT_OK(hv_store_outbox_retry(f->cat.store, "govdata", 0, &n, &err),
               &err);
  assert_int_equal(n, 1);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.parked, 0);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, N);
}

/* Runs the real binary's push; returns its pid. */
static pid_t spawn_push(fixture *f)
{
  char conf[600];
  pid_t pid;

  snprintf(conf, sizeof(conf), "%s/govharvest.conf", f->cat.dir);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (!freopen("/dev/null", "w", stdout))
      _exit(126);
    execl(HV_BINARY, HV_BINARY, "--db", f->cat.db, "-q", "push", "--config",
          conf, (char *)NULL);
    _exit(127);
  }
  return pid;
}

static void test_sigkill_while_sending(void **state)
{
  fixture *f = *state;
  hv_ckan_faults slow = {0, 0, 40}, fast = {0, 0, 0};
  hv_error err = HV_ERROR_INIT;
  struct timespec pause = {0, 10 * 1000000L};
  size_t done;
  int status, waited = 0;
  pid_t pid;

  configure(f, f->url, "HV_TEST_CKAN_TOKEN", "concurrency = 2\n");
  hv_sink_catalog_serve(&f->cat, 1, 3 * N, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_store_close(f->cat.store);
  f->cat.store = NULL;

  hv_ckan_double_set_faults(f->ckan, &slow);
  pid = spawn_push(f);
  while (hv_ckan_double_calls(f->ckan, "package_create") < N &&
         waited++ < 3000)
    nanosleep(&pause, NULL);
  assert_int_equal(kill(pid, SIGKILL), 0);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  HV_ASSERT_OK(hv_store_open(&f->cat.store, f->cat.db, &err), &err);
  done = hv_sink_catalog_ops(&f->cat, "done");
  assert_true(done < 3 * N);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "pending"), 3 * N - done);
  hv_store_close(f->cat.store);
  f->cat.store = NULL;

  /* The restart resends what was not confirmed, and only that. */
  hv_ckan_double_set_faults(f->ckan, &fast);
  pid = spawn_push(f);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  HV_ASSERT_OK(hv_store_open(&f->cat.store, f->cat.db, &err), &err);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, "done"), 3 * N);
  assert_int_equal(hv_sink_catalog_ops(&f->cat, NULL), 0);
  assert_exactly(f, 1, 3 * N);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_create"), 3 * N);
}


/* Calls of any action about dataset i at d. */
static size_t calls_about(hv_ckan_double *d, int i)
{
  char name[HV_CKAN_NAME_MAX + 1];

  name_of(i, name);
  return hv_ckan_double_calls_for(d, NULL, name, 0);
}

static int package_active(hv_ckan_double *d, int i)
{
  char name[HV_CKAN_NAME_MAX + 1];
  json_t *p;
  int active;

  name_of(i, name);
  if (!(p = hv_ckan_double_package(d, name)))
    return 0;
  active = strcmp(json_string_value(json_object_get(p, "state")),
                  "active") == 0;
  json_decref(p);
  return active;
}

static void test_withhold_next_to_publish(void **state)
{
  fixture *f = *state;
  hv_ckan_double *strict = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_outbox_stats st;
  char url[128], text[1024], name[HV_CKAN_NAME_MAX + 1];
  int i;

  HV_ASSERT_OK(hv_ckan_double_start(&strict, TOKEN, &err), &err);
  snprintf(text, sizeof(text),
           "[sink govdata]\ntype = ckan\nurl = %s\n"
           "token_env = HV_TEST_CKAN_TOKEN\norganization = senatsverwaltung\n"
           "timeout = 2\n"
           "[sink strict]\ntype = ckan\nurl = %s\n"
           "token_env = HV_TEST_CKAN_TOKEN\ntimeout = 2\n"
           "violations = withhold\n",
           f->url, hv_ckan_double_url(strict, url, sizeof(url)));
  hv_sink_catalog_conf(&f->cat, text);

  /* Dataset 2 has a violation: published to govdata, never to strict. */
  f->cat.violating = 2;
  hv_sink_catalog_serve(&f->cat, 1, 4, 1, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.done, 7);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, 4);
  assert_int_equal(hv_ckan_double_active(strict), 3);
  assert_int_equal(calls_about(strict, 2), 0);
  for (i = 1; i <= 4; i++)
    assert_int_equal(package_active(strict, i), i != 2);

  /* 2 is fixed, 3 breaks: strict gets 2, withdraws 3; govdata updates. */
  f->cat.violating = 3;
  hv_sink_catalog_serve(&f->cat, 1, 4, 2, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.left, 0);
  assert_exactly(f, 1, 4);
  assert_int_equal(hv_ckan_double_calls(f->ckan, "package_delete"), 0);
  assert_int_equal(hv_ckan_double_creates(strict, name_of(2, name)), 1);
  assert_int_equal(hv_ckan_double_calls_for(strict, "package_delete",
                                            name_of(3, name), 200),
                   1);
  assert_int_equal(hv_ckan_double_calls(strict, "package_delete"), 1);
  assert_int_equal(hv_ckan_double_active(strict), 3);
  for (i = 1; i <= 4; i++)
    assert_int_equal(package_active(strict, i), i != 3);

  /* A harvest that changes nothing sends nothing to either sink. */
  {
    size_t before = hv_ckan_double_calls(strict, NULL);
    size_t before_pub = hv_ckan_double_calls(f->ckan, NULL);

    hv_sink_catalog_harvest(&f->cat);
    hv_sink_catalog_push(&f->cat, &st);
    assert_int_equal(st.done, 0);
    assert_int_equal(hv_ckan_double_calls(strict, NULL), before);
    assert_int_equal(hv_ckan_double_calls(f->ckan, NULL), before_pub);
  }

  /* 3 fixed: put again, the deleted package revived by an update. */
  f->cat.violating = 0;
  hv_sink_catalog_serve(&f->cat, 1, 4, 3, 0);
  hv_sink_catalog_harvest(&f->cat);
  hv_sink_catalog_push(&f->cat, &st);
  assert_int_equal(st.left, 0);
  assert_int_equal(hv_ckan_double_active(strict), 4);
  assert_int_equal(hv_ckan_double_creates(strict, name_of(3, name)), 1);
  assert_int_equal(package_active(strict, 3), 1);
  assert_exactly(f, 1, 4);
  hv_ckan_double_stop(strict);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),
      cmocka_unit_test_setup_teardown(test_create_update_delete, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_sink_down_whole_run, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_every_third_write_fails, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_500_after_applying, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_slow_sink_times_out, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_wrong_token, setup, teardown),
      cmocka_unit_test_setup_teardown(test_validation_error_parks_one, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_withhold_next_to_publish, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_sigkill_while_sending, setup,
                                      teardown),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
