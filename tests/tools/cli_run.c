/*
 * Running the built binary from a test (see cli_run.h). The output goes
 * through files rather than a pipe so that a command printing more than
 * a pipe holds cannot block before the test reads it.
 */
#include "tools/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tools/hvtest.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Replaces *dst with the contents of DIR/name. */
static void read_back(const char *dir, const char *name, char **dst)
{
  char path[1200];

  hv_free(*dst);
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  *dst = hv_test_read_file(path, NULL);
  assert_non_null(*dst);
}

int hv_test_cli_vrun(const char *db, const char *dir, char **out, char **errs,
                     const char *fmt, va_list ap)
{
  hv_buf cmd = HV_BUF_INIT(1 << 16);
  char args[4096];
  int status;

  vsnprintf(args, sizeof(args), fmt, ap);
  hv_buf_addf(&cmd, "'%s' --db '%s' %s >'%s/out' 2>", HV_BINARY, db, args, dir);
  if (errs)
    hv_buf_addf(&cmd, "'%s/err' </dev/null", dir);
  else
    hv_buf_addstr(&cmd, "&1 </dev/null");
  assert_non_null(cmd.ptr);
  status = system(cmd.ptr);
  hv_buf_fini(&cmd);
  read_back(dir, "out", out);
  if (errs)
    read_back(dir, "err", errs);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

int hv_test_cli_run(const char *db, const char *dir, char **out, char **errs,
                    const char *fmt, ...)
{
  va_list ap;
  int rc;

  va_start(ap, fmt);
  rc = hv_test_cli_vrun(db, dir, out, errs, fmt, ap);
  va_end(ap);
  return rc;
}

void hv_test_assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "");
}
