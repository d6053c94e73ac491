/*
 * A harvested test catalog for the sink tests: a fault server serving a
 * generated DCAT-AP.de page on loopback, a store in a temporary
 * directory, one source, and the harvest that fills the store's outbox
 * for the sinks named.
 */
#ifndef HV_TESTS_SINK_CATALOG_H
#define HV_TESTS_SINK_CATALOG_H

#include <stddef.h>

#include "outbox/sender.h"
#include "sinks/sink.h"
#include "store/store.h"
#include "tools/fault_server.h"

typedef struct hv_sink_catalog {
  char *dir;             /* temporary directory, removed on close */
  char db[512];          /* store file */
  hv_store *store;
  hv_fault_server *srv;
  hv_source src;         /* "by-test", state 11 */
  hv_sink_conf *confs;   /* the sinks of the last hv_sink_catalog_conf */
  size_t n_confs;
  int violating;         /* dataset served without dct:description (a
                            violation) by the next serve; 0: none */
} hv_sink_catalog;

/* Sets everything up; fails the test on error. */
void hv_sink_catalog_open(hv_sink_catalog *c);
void hv_sink_catalog_close(hv_sink_catalog *c);

/*
 * Serves datasets first..first+count-1 (http://example.org/ds/N) in
 * revision rev (which goes into their titles). Dataset bad, if in range,
 * carries the one-letter keyword "x", which CKAN refuses as a tag.
 */
void hv_sink_catalog_serve(hv_sink_catalog *c, int first, int count, int rev,
                           int bad);

/*
 * Writes text as DIR/govharvest.conf, parses it into c->confs and
 * registers its sinks in the store.
 */
void hv_sink_catalog_conf(hv_sink_catalog *c, const char *text);

/* Harvests the source once; fails the test unless the run is ok. */
void hv_sink_catalog_harvest(hv_sink_catalog *c);

/* Drains the outbox into c->confs with test-sized backoff. */
int hv_sink_catalog_push(hv_sink_catalog *c, hv_outbox_stats *stats);

/* Count of outbox operations in state ("pending", "parked", "done"). */
size_t hv_sink_catalog_ops(hv_sink_catalog *c, const char *state);

#endif
