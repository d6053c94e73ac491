/*
 * The HTTP client the network sinks share: curl's multi-socket interface
 * on the sender's libuv loop, one request at a time per call, with the
 * sink's credentials and timeout on every request.
 *
 * Unlike the fetcher (fetch/fetch.h), which reads public pages with
 * retries, politeness and an address policy, this client writes to one
 * configured endpoint and leaves retrying to the outbox, which records
 * every attempt durably.
 */
#ifndef HV_SINKS_HTTP_H
#define HV_SINKS_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "util/buf.h"
#include "util/error.h"

typedef struct hv_http hv_http;

typedef enum hv_http_auth {
  HV_HTTP_AUTH_NONE = 0,
  HV_HTTP_AUTH_BASIC,
  HV_HTTP_AUTH_DIGEST
} hv_http_auth;

typedef struct hv_http_opts {
  hv_http_auth auth;
  const char *user;      /* copied; with auth */
  const char *password;  /* copied, wiped on close; with auth */
  const char *header;    /* extra header line (e.g. Authorization: TOKEN),
                            copied and wiped on close, or NULL */
  long timeout_ms;       /* whole request; 0: 30 s */
  size_t max_response;   /* response body cap; 0: 16 MiB */
} hv_http_opts;

typedef struct hv_http_request {
  const char *method;       /* "GET", "PUT", "POST", "DELETE" */
  const char *url;
  const char *content_type; /* with a body */
  const char *body;         /* NULL: no body */
  size_t body_len;
} hv_http_request;

/*
 * The outcome: rc is 0 when an HTTP response arrived (any status), else
 * HV_ETIMEDOUT, HV_ECONNECT, HV_ETOOBIG or HV_EHTTP with err naming the
 * URL. body (NUL-terminated) and err are borrowed for the call.
 */
typedef void (*hv_http_cb)(int rc, long status, const char *body, size_t len,
                           const hv_error *err, void *payload);

/* Makes a client on loop; *out is written only on success. */
int hv_http_new(hv_http **out, uv_loop_t *loop, const hv_http_opts *opts,
                hv_error *err);

/*
 * Starts one request; the request's strings are copied. rc < 0: cb is
 * never called. rc == 0: cb runs exactly once on the loop thread, never
 * from inside this call; HV_ECANCELED if the client is closed first.
 */
int hv_http_send(hv_http *h, const hv_http_request *req, hv_http_cb cb,
                 void *payload, hv_error *err);

/*
 * Cancels what is in flight (their callbacks run with HV_ECANCELED) and
 * closes the client; memory is released once the loop has run the
 * handles' close callbacks. NULL-safe.
 */
void hv_http_close(hv_http *h);

/*
 * Appends s percent-encoded for a URL query or an IRI segment: every
 * byte but A-Z a-z 0-9 - . _ ~ becomes %XX. Returns 0 or a buf error.
 */
int hv_http_escape(hv_buf *b, const char *s);

struct hv_sink_conf;

/*
 * Makes a client from a sink's settings: timeout (seconds, default 30),
 * auth (none, basic or digest), user and the password secret (see
 * hv_sink_conf_secret), and, if token_header is set, the token secret
 * sent as "token_header: TOKEN" on every request. Messages name the
 * configuration file and line.
 */
int hv_http_from_conf(hv_http **out, const struct hv_sink_conf *c,
                      uv_loop_t *loop, const char *token_header,
                      hv_error *err);

/*
 * Writes up to size - 1 bytes of an answer body into out as one line for
 * a message: markup tags dropped, runs of whitespace and control
 * characters collapsed into one space.
 */
void hv_http_one_line(const char *body, size_t len, char *out, size_t size);

#endif
