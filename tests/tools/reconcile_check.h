/*
 * The ledger check that runs after every integration scenario: each
 * store a test leaves behind is opened and reconciled (report.h), and
 * any source whose held datasets differ from its ledger flows fails the
 * test with the differing rows printed.
 */
#ifndef HV_TESTS_RECONCILE_CHECK_H
#define HV_TESTS_RECONCILE_CHECK_H

#include "store/store.h"

/*
 * Reconciles the open store s. Returns 0 when the ledger agrees with the
 * store; otherwise prints every differing row (or the error) to stderr,
 * prefixed with what (a path or a scenario name), and returns -1.
 */
int hv_test_reconcile_store(hv_store *s, const char *what);

/*
 * Reconciles every store file (name ending in ".db") directly in dir,
 * opened one at a time with a connection of its own; a file that is no
 * store (a test may leave a broken one on purpose) is reported and
 * skipped. Returns 0, or -1 when any store disagrees. Meant for a
 * fixture's teardown, after the test closed its own connection and
 * before the directory is removed: cmocka counts a teardown that returns
 * non-zero as a failure of the test.
 */
int hv_test_reconcile_dir(const char *dir);

/* Fails the running test unless hv_test_reconcile_store(s, what) is 0. */
void hv_test_assert_reconciled(hv_store *s, const char *what);

#endif
