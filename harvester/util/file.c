/*
 * Whole-file reads (see file.h).
 */
#include "util/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int hv_file_read(const char *path, hv_buf *b, hv_error *err)
{
  FILE *f = fopen(path, "rb");
  char chunk[8192];
  size_t n;
  int rc = 0;

  if (!f)
    return hv_error_set(err, HV_EIO, "%s: cannot open: %s", path,
                        strerror(errno));
  while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
    if ((rc = hv_buf_add(b, chunk, n)) < 0) {
      if (rc == HV_ENOMEM)
        hv_error_oom(err);
      else
        hv_error_set(err, rc, "%s: larger than %zu bytes", path, b->max);
      goto cleanup;
    }
  }
  if (ferror(f))
    rc = hv_error_set(err, HV_EIO, "%s: read error", path);
  else if (!b->ptr && (rc = hv_buf_addstr(b, "")) < 0)
    hv_error_oom(err);

cleanup:
  fclose(f);
  return rc;
}
