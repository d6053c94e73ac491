/*
 * A scriptable, fault-injecting HTTP server on loopback for tests.
 *
 * The server listens on 127.0.0.1 on an ephemeral port and answers from
 * libmicrohttpd's threads (one per connection, so a delayed or dripping
 * answer never holds up the others). Each path is given a script: a list
 * of steps, where request k to the path (counting from 0) is answered by
 * step min(k, n - 1). A step says what to send (status, content type,
 * body, extra headers, an optional ETag that turns a matching
 * If-None-Match into a 304) and how to misbehave (a delay before the
 * answer, a truncated body, an endless body, a slow drip). Paths without
 * a script get 404.
 *
 * While it runs, the server records per path the number of requests and
 * the headers of the most recent request, and overall the number of
 * requests and the high-water mark of requests in flight at once, so tests
 * can check what a client really sent.
 *
 * All functions may be called from the test thread while the server runs.
 */
#ifndef HV_TESTS_FAULT_SERVER_H
#define HV_TESTS_FAULT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

typedef struct hv_fault_server hv_fault_server;

typedef enum hv_fault_kind {
  HV_FAULT_NONE = 0, /* answer normally */
  HV_FAULT_TRUNCATE, /* declare Content-Length, send half, then abort */
  HV_FAULT_ENDLESS,  /* chunked body that never ends (body repeated) */
  HV_FAULT_DRIP      /* send drip_bytes every drip_ms until the body ends */
} hv_fault_kind;

typedef struct hv_fault_step {
  int status;               /* HTTP status; 0 means 200 */
  const char *content_type; /* Content-Type, or NULL for none */
  const void *body;         /* body bytes (copied), or NULL for none */
  size_t len;               /* body length in bytes */
  const char *headers;      /* extra "Name: value" lines, '\n'-separated */
  const char *etag;         /* ETag to send; a matching If-None-Match
                               answers 304 with no body. NULL: none */
  unsigned delay_ms;        /* wait this long before answering */
  hv_fault_kind fault;      /* how to misbehave */
  unsigned drip_ms;         /* HV_FAULT_DRIP: pause per chunk; 0 = 100 */
  size_t drip_bytes;        /* HV_FAULT_DRIP: chunk size; 0 = 1 */
} hv_fault_step;

/* Starts a server on 127.0.0.1 with an ephemeral port; *out on success. */
int hv_fault_server_start(hv_fault_server **out, hv_error *err);

/*
 * Stops the server (aborting endless and dripping bodies), joins its
 * threads and frees it. NULL-safe.
 */
void hv_fault_server_stop(hv_fault_server *srv);

/* The port the server is bound to. */
uint16_t hv_fault_server_port(const hv_fault_server *srv);

/*
 * Writes "http://127.0.0.1:<port><path>" into out (size bytes) and
 * returns out, so it can be used inline. path starts with '/'.
 */
char *hv_fault_server_url(const hv_fault_server *srv, const char *path,
                          char *out, size_t size);

/*
 * (Re)defines the script for path: steps[0..n-1] are deep-copied, so the
 * caller's strings and bodies need not outlive the call. Resets the path's
 * hit count, so the script starts again at step 0. n must be >= 1.
 * Returns 0 or HV_ENOMEM / HV_EINVAL.
 */
int hv_fault_server_route(hv_fault_server *srv, const char *path,
                          const hv_fault_step *steps, size_t n,
                          hv_error *err);

/* Requests seen for path (scripted or not) since its last route() call. */
unsigned hv_fault_server_hits(hv_fault_server *srv, const char *path);

/* Requests seen on any path since the server started. */
unsigned hv_fault_server_total(hv_fault_server *srv);

/*
 * Copies the value of header name (case-insensitive) from the most recent
 * request to path into out (size bytes, truncated, NUL-terminated).
 * Returns 1 if that request carried the header, 0 if it did not or if
 * path has seen no request.
 */
int hv_fault_server_header(hv_fault_server *srv, const char *path,
                           const char *name, char *out, size_t size);

/* The largest number of requests that were in flight at the same time. */
unsigned hv_fault_server_max_inflight(hv_fault_server *srv);

/* Resets the in-flight high-water mark to the current in-flight count. */
void hv_fault_server_reset_max_inflight(hv_fault_server *srv);

#endif
