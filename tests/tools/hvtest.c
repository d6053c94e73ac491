/*
 * Test helpers (see hvtest.h).
 */
#define _XOPEN_SOURCE 700
#include "tools/hvtest.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

char *hv_test_read_file(const char *path, size_t *len_out)
{
  hv_buf b = HV_BUF_INIT((size_t)1 << 30);

  if (hv_file_read(path, &b, NULL) < 0) {
    hv_buf_fini(&b);
    return NULL;
  }
  return hv_buf_detach(&b, len_out);
}

char *hv_test_tmpdir(void)
{
  char tmpl[] = "/tmp/govharvest-test-XXXXXX";

  if (!mkdtemp(tmpl))
    return NULL;
  return hv_strdup(tmpl);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void hv_test_rmtree(const char *path)
{
  if (path)
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int hv_test_exists(const char *path)
{
  return access(path, F_OK) == 0;
}
