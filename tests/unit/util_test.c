/*
 * Unit tests for harvester/util: bounded buffers, the error record and
 * allocation failure injection.
 */
#include "tools/hvtest.h"

#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/compress.h"
#include "util/error.h"
#include "util/hash.h"

static void buf_refuses_to_grow_past_its_cap(void **state)
{
  hv_buf b = HV_BUF_INIT(10);

  (void)state;
  assert_int_equal(hv_buf_addstr(&b, "0123456789"), 0);
  assert_int_equal(b.len, 10);
  assert_int_equal(hv_buf_addc(&b, 'x'), HV_ETOOBIG);
  assert_int_equal(b.len, 10);
  assert_string_equal(b.ptr, "0123456789");
  assert_true(b.cap <= 11);
  hv_buf_fini(&b);
}

static void buf_formats_and_detaches(void **state)
{
  hv_buf b = HV_BUF_INIT(1024);
  size_t len = 0;
  char *s;

  (void)state;
  assert_int_equal(hv_buf_addf(&b, "%s=%d", "pages", 42), 0);
  s = hv_buf_detach(&b, &len);
  assert_string_equal(s, "pages=42");
  assert_int_equal(len, 8);
  assert_null(b.ptr);
  hv_free(s);
}

static void buf_reports_oom_and_stays_intact(void **state)
{
  hv_buf b = HV_BUF_INIT(1 << 20);

  (void)state;
  assert_int_equal(hv_buf_addstr(&b, "abc"), 0);
  hv_alloc_fail_after(0);
  assert_int_equal(hv_buf_add(&b, "x", 1000), HV_ENOMEM);
  hv_alloc_fail_reset();
  assert_string_equal(b.ptr, "abc");
  hv_buf_fini(&b);
}

static void error_keeps_code_and_prefixes_context(void **state)
{
  hv_error err = HV_ERROR_INIT;

  (void)state;
  assert_int_equal(hv_error_set(&err, HV_EHTTP, "status %d", 503), HV_EHTTP);
  hv_error_prefix(&err, "source %s: ", "be-daten");
  assert_string_equal(err.msg, "source be-daten: status 503");
  assert_int_equal(err.code, HV_EHTTP);
  assert_string_equal(hv_err_name(HV_ETOOBIG), "HV_ETOOBIG");
  assert_string_equal(hv_strerror(HV_ETIMEDOUT), "timed out");
}

static void sha256_matches_known_vector(void **state)
{
  char hex[HV_SHA256_HEX_LEN + 1];

  (void)state;
  hv_sha256_hex("abc", 3, hex);
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void compression_round_trips_and_refuses_damage(void **state)
{
  hv_buf z = HV_BUF_INIT(1 << 20), back = HV_BUF_INIT(1 << 20);
  hv_buf small = HV_BUF_INIT(100);
  hv_error err = HV_ERROR_INIT;
  char text[8192];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(text); i++)
    text[i] = "<http://example.org/> \"Wert\" .\n"[i % 31];
  HV_ASSERT_OK(hv_compress(&z, text, sizeof(text), &err), &err);
  assert_true(z.len < sizeof(text) / 4);
  HV_ASSERT_OK(hv_decompress(&back, z.ptr, z.len, &err), &err);
  assert_int_equal(back.len, sizeof(text));
  assert_memory_equal(back.ptr, text, sizeof(text));
  /* A result larger than the buffer's cap is refused. */
  assert_int_equal(hv_decompress(&small, z.ptr, z.len, &err), HV_ETOOBIG);
  /* A damaged or cut frame is an error naming zstd, not garbage. */
  hv_buf_reset(&back);
  assert_int_equal(hv_decompress(&back, z.ptr, z.len / 2, &err), HV_EPARSE);
  assert_int_equal(hv_decompress(&back, "not zstd", 8, &err), HV_EPARSE);
  assert_non_null(strstr(err.msg, "zstd"));
  hv_buf_fini(&z);
  hv_buf_fini(&back);
  hv_buf_fini(&small);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(buf_refuses_to_grow_past_its_cap),
      cmocka_unit_test(buf_formats_and_detaches),
      cmocka_unit_test(buf_reports_oom_and_stays_intact),
      cmocka_unit_test(error_keeps_code_and_prefixes_context),
      cmocka_unit_test(sha256_matches_known_vector),
      cmocka_unit_test(compression_round_trips_and_refuses_damage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
