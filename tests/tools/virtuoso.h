/*
 * A real Virtuoso (virtuoso-opensource-7) for the Graph Store tests,
 * started on loopback in a temporary directory.
 *
 * The server gets a minimal virtuoso.ini of its own: a fresh database in
 * the directory, the SQL and HTTP listeners on 127.0.0.1 at free ports,
 * and nothing else. Its built-in endpoints are what the tests use:
 * /sparql (queries, anonymous), /sparql-auth (SPARQL Update, digest
 * auth) and /sparql-graph-crud-auth (Graph Store protocol, digest auth),
 * as the built-in user dba with password dba. Starting takes seconds, so
 * a test binary starts one server and shares it between its tests.
 */
#ifndef HV_TESTS_VIRTUOSO_H
#define HV_TESTS_VIRTUOSO_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

#define HV_VIRTUOSO_BINARY "/usr/bin/virtuoso-t"

typedef struct hv_virtuoso hv_virtuoso;

/* Returns 1 if the Virtuoso binary is installed. */
int hv_virtuoso_available(void);

/*
 * Starts a server and waits (up to 90 s) until its HTTP listener
 * answers. *out only on success; HV_EIO naming the log on failure.
 */
int hv_virtuoso_start(hv_virtuoso **out, hv_error *err);

/* Stops the server, waits for it, removes its directory. NULL-safe. */
void hv_virtuoso_stop(hv_virtuoso *v);

/* Writes "http://127.0.0.1:PORT" + path into buf; returns buf. */
char *hv_virtuoso_url(const hv_virtuoso *v, const char *path, char *buf,
                      size_t size);

/*
 * Runs a SPARQL SELECT over HTTP on /sparql and appends the CSV result
 * (header line first) to out. Returns 0 or HV_EHTTP.
 */
int hv_virtuoso_select(const hv_virtuoso *v, const char *query, hv_buf *out,
                       hv_error *err);

#endif
