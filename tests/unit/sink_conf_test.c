/*
 * The sink configuration file: sections and settings, every kind of
 * mistake reported as "file:line: reason", and secrets read only from the
 * environment or a file nobody else can read.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <uv.h>

#include "sinks/sink.h"
#include "util/alloc.h"

static void test_parses_sections(void **state)
{
  static const char text[] =
      "# two sinks\n"
      "\n"
      "[sink govdata]\n"
      "type = ckan\n"
      "  url   =  https://ckan.example.org/  \n"
      "; a comment\n"
      "token_env = CKAN_TOKEN\n"
      "organization.by-berlin = berlin\n"
      "[sink lod]\n"
      "type=graphstore\n"
      "endpoint = http://127.0.0.1:8890/sparql-graph-crud-auth\n"
      "concurrency = 8\n";
  hv_sink_conf *c = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;
  long v = 4;

  (void)state;
  HV_ASSERT_OK(hv_sink_conf_parse(text, "sinks.conf", &c, &n, &err), &err);
  assert_int_equal(n, 2);
  assert_string_equal(c[0].name, "govdata");
  assert_string_equal(c[0].type, "ckan");
  assert_int_equal(c[0].line, 3);
  assert_string_equal(hv_sink_conf_get(&c[0], "url"),
                      "https://ckan.example.org/");
  assert_string_equal(hv_sink_conf_get(&c[0], "organization.by-berlin"),
                      "berlin");
  assert_null(hv_sink_conf_get(&c[0], "endpoint"));
  assert_string_equal(c[1].type, "graphstore");
  HV_ASSERT_OK(hv_sink_conf_int(&c[1], "concurrency", 1, 64, &v, &err), &err);
  assert_int_equal(v, 8);
  v = 4;
  HV_ASSERT_OK(hv_sink_conf_int(&c[0], "concurrency", 1, 64, &v, &err), &err);
  assert_int_equal(v, 4); /* absent: the default stays */
  assert_int_equal(hv_sink_conf_int(&c[1], "concurrency", 1, 4, &v, &err),
                   HV_EINVAL);
  assert_string_equal(err.msg, "sinks.conf:12: concurrency must be an "
                               "integer in 1..4, not '8'");
  hv_sink_confs_free(c, n);
}

static void test_errors_name_file_and_line(void **state)
{
  static const struct {
    const char *text;
    const char *message;
  } cases[] = {
      {"type = ckan\n",
       "f.conf:1: setting 'type' outside a [sink NAME] section"},
      {"[sink a]\ntype = ckan\n[source b]\n",
       "f.conf:3: unknown section [source b]; expected [sink NAME]"},
      {"[sink a b]\n",
       "f.conf:1: sink name 'a b' must be 1..64 of [A-Za-z0-9._-]"},
      {"[sink a]\ntype = files\n[sink a]\n",
       "f.conf:3: sink a already defined on line 1"},
      {"\n[sink a]\nurl = x\n", "f.conf:2: sink a has no type"},
      {"[sink a]\ntype = ftp\n",
       "f.conf:2: unknown sink type 'ftp' (files, graphstore or ckan)"},
      {"[sink a]\ntype = ckan\npassword = secret\n",
       "f.conf:3: do not write the password here; use password_env or "
       "password_file"},
      {"[sink a]\ntype = ckan\njust words\n",
       "f.conf:3: expected 'key = value'"},
      {"[sink a\n", "f.conf:1: section header must be [sink NAME]"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_sink_conf *c = NULL;
    hv_error err = HV_ERROR_INIT;
    size_t n = 0;

    assert_int_equal(hv_sink_conf_parse(cases[i].text, "f.conf", &c, &n, &err),
                     HV_EINVAL);
    assert_string_equal(err.msg, cases[i].message);
    assert_null(c);
  }
}

static void test_secrets(void **state)
{
  char *dir = hv_test_tmpdir(), path[600], text[1024], *secret = NULL;
  hv_sink_conf *c = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;
  FILE *fp;

  (void)state;
  snprintf(path, sizeof(path), "%s/token", dir);
  assert_non_null(fp = fopen(path, "w"));
  fputs("s3cr3t\n", fp);
  fclose(fp);
  assert_int_equal(chmod(path, 0644), 0);
  snprintf(text, sizeof(text),
           "[sink a]\ntype = ckan\ntoken_file = %s\n"
           "[sink b]\ntype = ckan\npassword_env = HV_TEST_UNSET_VARIABLE\n"
           "[sink c]\ntype = ckan\npassword_env = HV_TEST_SECRET\n"
           "[sink d]\ntype = ckan\n",
           path);
  HV_ASSERT_OK(hv_sink_conf_parse(text, "s.conf", &c, &n, &err), &err);

  /* Readable by others: refused, and the message says why. */
  assert_int_equal(hv_sink_conf_secret(&c[0], "token", &secret, &err),
                   HV_EINVAL);
  assert_non_null(strstr(err.msg, "s.conf:3: "));
  assert_non_null(strstr(err.msg, "mode 0600 (it is 0644)"));
  assert_null(strstr(err.msg, "s3cr3t"));
  assert_int_equal(chmod(path, 0600), 0);
  HV_ASSERT_OK(hv_sink_conf_secret(&c[0], "token", &secret, &err), &err);
  assert_string_equal(secret, "s3cr3t");
  hv_sink_secret_free(secret);

  unsetenv("HV_TEST_UNSET_VARIABLE");
  assert_int_equal(hv_sink_conf_secret(&c[1], "password", &secret, &err),
                   HV_EINVAL);
  assert_string_equal(err.msg, "s.conf:6: environment variable "
                               "HV_TEST_UNSET_VARIABLE (the password of sink "
                               "b) is not set");
  setenv("HV_TEST_SECRET", "pw", 1);
  HV_ASSERT_OK(hv_sink_conf_secret(&c[2], "password", &secret, &err), &err);
  assert_string_equal(secret, "pw");
  hv_sink_secret_free(secret);
  secret = (char *)"untouched";
  HV_ASSERT_OK(hv_sink_conf_secret(&c[3], "password", &secret, &err), &err);
  assert_null(secret);

  hv_sink_confs_free(c, n);
  hv_test_rmtree(dir);
  hv_free(dir);
}

static void test_sinks_check_their_settings(void **state)
{
  static const struct {
    const char *text;
    const char *message;
  } cases[] = {
      {"[sink a]\ntype = files\n", "x.conf:1: sink a: 'dir' is required"},
      {"[sink a]\ntype = ckan\nurl = ftp://x\n",
       "x.conf:1: sink a: 'url' must be the CKAN site's http(s) URL"},
      {"[sink a]\ntype = graphstore\n",
       "x.conf:1: sink a: 'endpoint' (the Graph Store URL) is required"},
      {"[sink a]\ntype = graphstore\nendpoint = http://h/g\nauth = kerberos\n",
       "x.conf:4: sink a: auth must be none, basic or digest, not 'kerberos'"},
      {"[sink a]\ntype = graphstore\nendpoint = http://h/g\nauth = digest\n",
       "x.conf:1: sink a: auth digest needs 'user'"},
      {"[sink a]\ntype = graphstore\nendpoint = http://h/g\n"
       "catalog_graph = urn:c\n",
       "x.conf:1: sink a: catalog_graph needs update_endpoint (SPARQL "
       "Update)"},
  };
  uv_loop_t loop;
  size_t i;

  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_sink_conf *c = NULL;
    hv_sink *s = NULL;
    hv_sink_env env = {&loop, NULL};
    hv_error err = HV_ERROR_INIT;
    size_t n = 0;

    HV_ASSERT_OK(hv_sink_conf_parse(cases[i].text, "x.conf", &c, &n, &err),
                 &err);
    assert_int_equal(hv_sink_open(&s, &c[0], &env, &err), HV_EINVAL);
    assert_string_equal(err.msg, cases[i].message);
    assert_null(s);
    hv_sink_confs_free(c, n);
  }
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parses_sections),
      cmocka_unit_test(test_errors_name_file_and_line),
      cmocka_unit_test(test_secrets),
      cmocka_unit_test(test_sinks_check_their_settings),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
