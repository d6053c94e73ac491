/*
 * The reconciliation check after integration scenarios (see
 * reconcile_check.h): the same computation as `report reconcile`, with
 * the differences printed so that a failing scenario says which source
 * lost count and by how much.
 */
#include "tools/reconcile_check.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "tools/hvtest.h"

#include "report/report.h"
#include "util/error.h"

int hv_test_reconcile_store(hv_store *s, const char *what)
{
  hv_reconcile r;
  hv_error err = HV_ERROR_INIT;
  size_t i;
  int rc = 0;

  if (hv_reconcile_compute(s, &r, &err) < 0) {
    fprintf(stderr, "reconcile %s: %s\n", what, err.msg);
    return -1;
  }
  for (i = 0; i < r.n; i++) {
    const hv_reconcile_row *x = &r.rows[i];

    if (x->store < 0 || x->store == x->ledger)
      continue;
    fprintf(stderr,
            "reconcile %s: source %s (state %s): ledger %lld (new %lld, "
            "deleted %lld), store holds %lld (superseded %lld, quarantined "
            "%lld): difference %lld\n",
            what, x->source, x->state, (long long)x->ledger,
            (long long)x->added, (long long)x->deleted, (long long)x->store,
            (long long)x->superseded, (long long)x->quarantined,
            (long long)(x->store - x->ledger));
    rc = -1;
  }
  /* The count the command reports must agree with the rows. */
  if (rc == 0 && r.differences != 0) {
    fprintf(stderr, "reconcile %s: %zu differences without a row\n", what,
            r.differences);
    rc = -1;
  }
  hv_reconcile_fini(&r);
  return rc;
}

int hv_test_reconcile_dir(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  char path[1024];
  int rc = 0;

  if (!d) {
    fprintf(stderr, "reconcile: cannot read directory %s\n", dir);
    return -1;
  }
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    hv_store *s = NULL;
    hv_error err = HV_ERROR_INIT;

    if (len < 4 || strcmp(e->d_name + len - 3, ".db") != 0)
      continue;
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    if (hv_store_open(&s, path, &err) < 0) {
      fprintf(stderr, "reconcile: skipped %s: %s\n", path, err.msg);
      continue;
    }
    if (hv_test_reconcile_store(s, path) < 0)
      rc = -1;
    hv_store_close(s);
  }
  closedir(d);
  return rc;
}

void hv_test_assert_reconciled(hv_store *s, const char *what)
{
  if (hv_test_reconcile_store(s, what) < 0)
    fail_msg("the ledger disagrees with the store after %s (rows above)",
             what);
}
