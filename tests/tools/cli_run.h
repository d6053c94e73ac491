/*
 * Running the built govharvest binary from a test: one command on a
 * given store, its standard output and error captured in files of the
 * test's directory and read back, and its exit code returned. The
 * integration tests that drive the command line all do this, and the
 * checks on its text share one "contains" assertion.
 */
#ifndef HV_TESTS_CLI_RUN_H
#define HV_TESTS_CLI_RUN_H

#include <stdarg.h>

/*
 * Runs `HV_BINARY --db DB ARGS` (ARGS formatted from fmt) through the
 * shell with standard input from /dev/null, writing DIR/out and DIR/err.
 * *out receives the standard output and *errs the standard error, both
 * NUL-terminated and owned by the caller (hv_free); what they held
 * before is freed. With errs NULL the standard error is merged into
 * *out, in the order the binary wrote them. Asserts that both were
 * read and that the binary exited normally; returns its exit code.
 */
int hv_test_cli_run(const char *db, const char *dir, char **out, char **errs,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* hv_test_cli_run with the arguments as a va_list. */
int hv_test_cli_vrun(const char *db, const char *dir, char **out, char **errs,
                     const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Fails the test, printing haystack, unless it contains needle. */
void hv_test_assert_contains(const char *haystack, const char *needle);

#endif
