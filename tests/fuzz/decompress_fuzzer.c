/*
 * Fuzz target for the payload compression in util/compress.c. The store
 * reads zstd frames back from disk, where a damaged or hostile frame must
 * give an error, never a crash or an unbounded allocation; so the input is
 * first decompressed as a frame into a buffer capped at 1 MiB, and success
 * must respect the cap. Then the raw input is compressed and decompressed
 * again, which must give back the same bytes.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "util/buf.h"
#include "util/compress.h"

#define CAP ((size_t)1 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  hv_error err = HV_ERROR_INIT;
  hv_buf out = HV_BUF_INIT(CAP), frame = HV_BUF_INIT(SIZE_MAX / 2);
  hv_buf back = HV_BUF_INIT(size);
  int rc;

  rc = hv_decompress(&out, data, size, &err);
  if (rc == 0)
    HV_FUZZ_CHECK(out.len <= CAP, "%zu bytes out of a %zu byte cap",
                  out.len, CAP);
  else
    HV_FUZZ_CHECK((rc == HV_EPARSE || rc == HV_ETOOBIG || rc == HV_ENOMEM) &&
                      err.code == rc && err.msg[0],
                  "decompress gave %s '%s'", hv_err_name(rc), err.msg);
  HV_FUZZ_CHECK(rc == 0 || out.len == 0, "failed decompress left %zu bytes",
                out.len);

  /* The round trip: the decompressed size is exactly the input size, so
   * a buffer capped at it must suffice. */
  hv_error_clear(&err);
  rc = hv_compress(&frame, data, size, &err);
  HV_FUZZ_CHECK(rc == 0, "compress %zu bytes: %s", size, err.msg);
  rc = hv_decompress(&back, frame.ptr, frame.len, &err);
  HV_FUZZ_CHECK(rc == 0, "round trip of %zu bytes: %s", size, err.msg);
  HV_FUZZ_CHECK(back.len == size && (size == 0 ||
                                     memcmp(back.ptr, data, size) == 0),
                "round trip of %zu bytes gave %zu different bytes", size,
                back.len);

  hv_buf_fini(&out);
  hv_buf_fini(&frame);
  hv_buf_fini(&back);
  return 0;
}
