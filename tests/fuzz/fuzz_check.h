/*
 * Invariant checks for the fuzz targets. A broken invariant prints what
 * was expected and where, then aborts, which libFuzzer reports as a crash
 * with the input saved and the standalone driver as a failed test. Unlike
 * assert() the check stays in every build type.
 */
#ifndef HV_TESTS_FUZZ_CHECK_H
#define HV_TESTS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define HV_FUZZ_CHECK(cond, ...)                                          \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__,          \
              __LINE__, #cond);                                           \
      fprintf(stderr, __VA_ARGS__);                                       \
      fputc('\n', stderr);                                                \
      abort();                                                            \
    }                                                                     \
  } while (0)

#endif
