/*
 * A small static HTTP server on loopback, for the demo and for tests.
 *
 * Serves the files under a root directory on 127.0.0.1 (an ephemeral port
 * unless one is asked for) from libmicrohttpd's own thread, with the
 * validators a real handover point has: a strong ETag from the content,
 * Last-Modified from the file, and 304 answers to If-None-Match /
 * If-Modified-Since. The Content-Type comes from the extension (.ttl,
 * .rdf, .nt, .jsonld, .json, .xml, .html).
 */
#ifndef HV_DEMO_STATIC_SERVER_H
#define HV_DEMO_STATIC_SERVER_H

#include <stdint.h>

#include "util/error.h"

typedef struct hv_static_server hv_static_server;

typedef struct hv_static_stats {
  uint64_t requests;      /* requests answered */
  uint64_t not_modified;  /* of which 304 */
  uint64_t not_found;     /* of which 404 */
} hv_static_stats;

/*
 * Starts serving root_dir. port 0 picks a free port. use_validators 0
 * turns ETag/Last-Modified off (a portal without conditional support).
 */
int hv_static_server_start(hv_static_server **out, const char *root_dir,
                           uint16_t port, int use_validators, hv_error *err);

/* The port actually bound. */
uint16_t hv_static_server_port(const hv_static_server *srv);

/* Counters so far (safe while running). */
void hv_static_server_stats(const hv_static_server *srv, hv_static_stats *out);

/* Stops the server thread and frees it. NULL-safe. */
void hv_static_server_stop(hv_static_server *srv);

#endif
