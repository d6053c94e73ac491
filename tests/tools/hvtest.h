/*
 * Shared helpers for govharvest's tests: cmocka, file access, temporary
 * directories, and typed assertions that print both sides on failure.
 */
#ifndef HV_TESTS_HVTEST_H
#define HV_TESTS_HVTEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/error.h"

/* Asserts rc == 0 and prints err's message if not. */
#define HV_ASSERT_OK(rc, err)                                               \
  do {                                                                      \
    int hv_rc_ = (rc);                                                      \
    if (hv_rc_ != 0)                                                        \
      fail_msg("expected success, got %s: %s", hv_err_name(hv_rc_),        \
               (err)->msg);                                                 \
  } while (0)

/* Reads a whole file into a NUL-terminated buffer (hv_free it), or NULL. */
char *hv_test_read_file(const char *path, size_t *len_out);

/* Creates a fresh temporary directory; returns its path (hv_free it). */
char *hv_test_tmpdir(void);

/* Removes a directory tree created by the tests. */
void hv_test_rmtree(const char *path);

/* Returns 1 if path exists. */
int hv_test_exists(const char *path);

#endif
