/*
 * Conformance: the built generator, run over the official vocabularies
 * in ../shared/corpus/vocabularies, reproduces the committed tables of
 * profiles/dcat-ap-de byte for byte, so the tables in the repository are
 * exactly what the documented command makes. Skipped with a message when
 * the corpus or the generator is not there.
 */
#include "tools/hvtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

#define VOCAB_DIR HV_SHARED_DIR "/corpus/vocabularies"
#define PROFILE_DIR HV_SOURCE_DIR "/profiles/dcat-ap-de"

static void generator_reproduces_committed_tables(void **state)
{
  static const char *const tables[] = {
      "licenses.tsv",     "license_aliases.tsv",  "themes.tsv",
      "theme_aliases.tsv", "filetypes.tsv",       "filetype_aliases.tsv",
      "contributors.tsv",
  };
  hv_buf gen = HV_BUF_INIT(4096), cmd = HV_BUF_INIT(8192);
  char *dir;
  size_t i;

  (void)state;
  /* The generator sits in the build tree next to the binary's folder:
   * <build>/harvester/govharvest and <build>/profiles/gen_tables. */
  assert_int_equal(hv_buf_addstr(&gen, HV_BINARY), 0);
  while (gen.len && gen.ptr[gen.len - 1] != '/')
    gen.len--;
  gen.ptr[gen.len] = '\0';
  assert_int_equal(hv_buf_addstr(&gen, "../profiles/gen_tables"), 0);
  if (!hv_test_exists(VOCAB_DIR) || !hv_test_exists(gen.ptr)) {
    printf("SKIP: %s or %s not found\n", VOCAB_DIR, gen.ptr);
    hv_buf_fini(&gen);
    skip();
  }
  dir = hv_test_tmpdir();
  assert_non_null(dir);
  assert_int_equal(hv_buf_addf(&cmd, "'%s' '%s' '%s'", gen.ptr, VOCAB_DIR,
                               dir), 0);
  assert_int_equal(system(cmd.ptr), 0);
  for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
    hv_buf a = HV_BUF_INIT(4096), b = HV_BUF_INIT(4096);
    char *want, *got;
    size_t wl = 0, gl = 0;

    assert_int_equal(hv_buf_addf(&a, "%s/%s", PROFILE_DIR, tables[i]), 0);
    assert_int_equal(hv_buf_addf(&b, "%s/%s", dir, tables[i]), 0);
    want = hv_test_read_file(a.ptr, &wl);
    got = hv_test_read_file(b.ptr, &gl);
    assert_non_null(want);
    assert_non_null(got);
    if (wl != gl || memcmp(want, got, wl) != 0)
      fail_msg("%s differs from a fresh run of gen_tables (%zu vs %zu "
               "bytes); regenerate the tables", tables[i], wl, gl);
    hv_free(want);
    hv_free(got);
    hv_buf_fini(&a);
    hv_buf_fini(&b);
  }
  hv_test_rmtree(dir);
  hv_free(dir);
  hv_buf_fini(&gen);
  hv_buf_fini(&cmd);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(generator_reproduces_committed_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
