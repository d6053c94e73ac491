/*
 * zstd frames (see compress.h). Frames record their content size, so a
 * decompression allocates exactly once.
 */
#include "util/compress.h"

#include <zstd.h>

#define LEVEL 1

int hv_compress(hv_buf *out, const void *src, size_t len, hv_error *err)
{
  size_t bound = ZSTD_compressBound(len), n;
  int rc;

  /* Reserve room, then write in place and trim to what was used. */
  if ((rc = hv_buf_grow(out, bound)) < 0)
    return hv_error_set(err, rc, "compress %zu bytes: %s", len,
                        hv_strerror(rc));
  n = ZSTD_compress(out->ptr + out->len, bound, src, len, LEVEL);
  if (ZSTD_isError(n))
    return hv_error_set(err, HV_EIO, "compress %zu bytes: %s", len,
                        ZSTD_getErrorName(n));
  out->len += n;
  out->ptr[out->len] = '\0';
  return 0;
}

int hv_decompress(hv_buf *out, const void *src, size_t len, hv_error *err)
{
  unsigned long long size = ZSTD_getFrameContentSize(src, len);
  size_t n;
  int rc;

  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
    return hv_error_set(err, HV_EPARSE, "not a complete zstd frame");
  if ((rc = hv_buf_grow(out, (size_t)size)) < 0)
    return hv_error_set(err, rc, "decompress %llu bytes: %s", size,
                        hv_strerror(rc));
  n = ZSTD_decompress(out->ptr + out->len, (size_t)size, src, len);
  if (ZSTD_isError(n) || n != size)
    return hv_error_set(err, HV_EPARSE, "damaged zstd frame: %s",
                        ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
  out->len += n;
  out->ptr[out->len] = '\0';
  return 0;
}
