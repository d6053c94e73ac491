/*
 * The bench the end-to-end harvest tests stand on: a temporary
 * directory holding a store, a fault server on loopback to serve the
 * catalogs, and harvest options that allow loopback and retry quickly.
 * Its stop ends every scenario the same way, with the ledger check of
 * reconcile_check.h.
 */
#ifndef HV_TESTS_HARVEST_BENCH_H
#define HV_TESTS_HARVEST_BENCH_H

#include "harvest/harvest.h"
#include "store/store.h"
#include "tools/fault_server.h"

/* One dataset of a catalog the bench serves. */
typedef struct hv_test_ds {
  const char *uri;
  const char *identifier;
  const char *modified; /* NULL: none */
  const char *title;
  const char *file;     /* distribution URL */
} hv_test_ds;

typedef struct hv_test_bench {
  char *dir;            /* temporary directory, removed by the stop */
  char db[512];         /* DIR/store.db */
  hv_store *store;      /* open on db */
  hv_fault_server *srv; /* started, no routes yet */
  hv_harvest_opts opts; /* defaults; loopback allowed, 20 ms backoff */
} hv_test_bench;

/*
 * Creates the directory, opens the store and starts the server; the
 * caller tunes b->opts further. Fails the test when any of it fails.
 */
void hv_test_bench_start(hv_test_bench *b);

/*
 * Ends a scenario that ran in its own directory dir: reconciles every
 * store in it (reconcile_check.h), removes it and frees dir. Returns the
 * reconciliation's result (0 when the ledger agrees), for a cmocka
 * teardown to return.
 */
int hv_test_scenario_end(char *dir);

/*
 * Stops the server, closes the store, reconciles every store in the
 * directory and removes it. Returns the reconciliation's result (0 when
 * the ledger agrees), for a cmocka teardown to return.
 */
int hv_test_bench_stop(hv_test_bench *b);

/*
 * Registers an enabled dcat-rdf source name of state whose first page
 * is path on the bench's server, and reads it back into *out (the
 * caller finis it with hv_source_fini).
 */
void hv_test_bench_add_source(hv_test_bench *b, const char *name,
                              const char *state, int priority, const char *path,
                              hv_source *out);

/*
 * Serves at path on the bench's server, once, a one-page Turtle catalog
 * of the n datasets d, each with a publisher and one distribution.
 * Fails the test when the route cannot be set.
 */
void hv_test_bench_serve(hv_test_bench *b, const char *path,
                         const hv_test_ds *d, size_t n);

#endif
