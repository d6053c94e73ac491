/*
 * Profile, graph and corpus helpers of the mapping and check tests (see
 * profile_fixture.h).
 */
#include "tools/profile_fixture.h"

#include <stdio.h>
#include <string.h>

#include "decode/rdfparse.h"
#include "tools/hvtest.h"
#include "util/alloc.h"

hv_profile *hv_test_profile_load(const char *source_conf)
{
  hv_error err = HV_ERROR_INIT;
  hv_profile *p = NULL;

  HV_ASSERT_OK(hv_profile_new(&p, HV_TEST_PROFILE_DIR, &err), &err);
  if (source_conf) {
    char *dir = hv_test_tmpdir();
    char path[1024];
    FILE *fp;

    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/src.conf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(source_conf, fp);
    fclose(fp);
    HV_ASSERT_OK(hv_profile_load_source(p, path, &err), &err);
    hv_test_rmtree(dir);
    hv_free(dir);
  }
  return p;
}

void hv_test_parse_turtle(hv_graph *g, const char *ttl)
{
  hv_error err = HV_ERROR_INIT;

  hv_graph_init(g);
  HV_ASSERT_OK(hv_rdf_parse(g, "turtle", ttl, strlen(ttl),
                            "https://daten.musterhausen.de/", &err),
               &err);
}

int hv_test_corpus_present(const char *suite, const char *path)
{
  if (hv_test_exists(path))
    return 1;
  print_message("%s conformance: corpus not found at %s; skipped\n", suite,
                path);
  return 0;
}

void hv_test_decode_file(const char *path, const char *base, hv_page *page)
{
  hv_error err = HV_ERROR_INIT;
  const char *ct;
  size_t len;
  char *body = hv_test_read_file(path, &len);

  if (!body)
    fail_msg("cannot read %s", path);
  ct = strstr(path, ".ttl") ? "text/turtle" : "application/rdf+xml";
  memset(page, 0, sizeof(*page));
  if (hv_page_decode(page, body, len, ct, NULL, base, &err) < 0)
    fail_msg("%s: %s", path, err.msg);
  hv_free(body);
}
