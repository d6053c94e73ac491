/*
 * A small static HTTP server on loopback, for the demo and for tests.
 *
 * Serves the files under a root directory on 127.0.0.1 (an ephemeral port
 * unless one is asked for) from libmicrohttpd's own thread, with the
 * validators a real handover point has: a strong ETag from the content,
 * Last-Modified from the file, and 304 answers to If-None-Match /
 * If-Modified-Since. The Content-Type comes from the extension (.ttl,
 * .rdf, .nt, .jsonld, .json, .xml, .html).
 *
 * How a request target becomes a file (GET and HEAD only, else 405):
 *  - The path and the query are percent-decoded separately. A malformed
 *    escape or an encoded NUL is 400.
 *  - A path with a "." or ".." segment (encoded or not) or a backslash is
 *    404, as is anything that resolves, through links, outside the root,
 *    a directory, or a missing file.
 *  - A non-empty query is appended to the file name after an "@", so
 *    "/hh/catalog.ttl?page=2" is served from ROOT/hh/catalog.ttl@page=2.
 *    This lets Hydra page URLs be plain files. The decoded query may hold
 *    only letters, digits and "-._~=&,+" (no "/"), otherwise 400. An
 *    empty query ("catalog.ttl?") is the same as none.
 *  - The Content-Type comes from the extension of the path, not of the
 *    mapped file name; unknown extensions are application/octet-stream.
 *
 * Validators, when on: ETag is the quoted SHA-256 hex of the content;
 * Last-Modified the file's mtime. If-None-Match (a list, "*", W/ tags
 * compared weakly) wins over If-Modified-Since; either gives 304 with the
 * ETag and Last-Modified and no body.
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
 * Listens on 127.0.0.1 only. *out (stop it with hv_static_server_stop)
 * is written only on success. Returns 0, HV_ENOTFOUND / HV_EINVAL for a
 * missing or non-directory root, HV_EPOLICY for "/", HV_ECONNECT when
 * the port cannot be bound, HV_ENOMEM.
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
