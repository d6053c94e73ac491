/*
 * The fetcher: HTTP GETs driven by curl's multi-socket interface on a
 * libuv loop. The only stage that touches the network or the loop.
 *
 * A fetch is one logical page request: the fetcher handles redirects,
 * conditional validators, retries with backoff and jitter (honouring
 * Retry-After), the global and per-host concurrency limits and the hard
 * body cap, and calls back exactly once with the final outcome.
 */
#ifndef HV_FETCH_FETCH_H
#define HV_FETCH_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "util/error.h"

#define HV_FETCH_OPTS_VERSION 1

typedef struct hv_fetch_opts {
  unsigned version;
  const char *user_agent;      /* NULL: "govharvest/<version>" */
  long connect_timeout_ms;     /* default 10000 */
  long total_timeout_ms;       /* per attempt; default 120000 */
  long low_speed_bytes;        /* abort below this many bytes/s ... */
  long low_speed_seconds;      /* ... for this long; default 10 B/s, 30 s */
  long max_redirects;          /* default 5 */
  size_t max_body;             /* hard body cap; default 64 MiB */
  int max_total;               /* concurrent transfers; default 16 */
  int max_per_host;            /* concurrent transfers per host; default 4 */
  int max_attempts;            /* attempts per fetch incl. the first; 4 */
  long backoff_base_ms;        /* first retry delay before jitter; 500 */
  long backoff_max_ms;         /* cap on any delay incl. Retry-After; 60000 */
  int allow_loopback;          /* permit 127/8, ::1 targets; default 0 */
  int allow_private;           /* permit RFC 1918, link-local, ULA; 0 */
} hv_fetch_opts;

#define HV_FETCH_OPTS_INIT                                                   \
  {HV_FETCH_OPTS_VERSION, NULL, 10000, 120000, 10, 30, 5, 64u << 20, 16, 4, \
   4, 500, 60000, 0, 0}

/* The outcome of one fetch; owned by the fetcher, valid during the cb. */
typedef struct hv_fetch_result {
  long status;             /* final HTTP status; 0 if no response */
  int not_modified;        /* 1 if the final status was 304 */
  const char *body;        /* NUL-terminated, len bytes; "" if none */
  size_t len;
  const char *content_type; /* response Content-Type or NULL */
  const char *etag;         /* response ETag or NULL */
  const char *last_modified; /* response Last-Modified or NULL */
  const char *effective_url; /* URL after redirects */
  int attempts;              /* HTTP requests made, including retries */
  uint64_t bytes;            /* body bytes received over all attempts */
  double seconds;            /* wall time from start to callback */
} hv_fetch_result;

typedef struct hv_fetcher hv_fetcher;

/*
 * Called once per hv_fetcher_get() that returned 0, on the loop thread.
 * status is 0 when a response was obtained (any HTTP status: the caller
 * judges 4xx/5xx from result->status after retries ran out), or a
 * negative HV_E* code with err naming the URL and cause: HV_ECONNECT,
 * HV_ETIMEDOUT, HV_ETOOBIG (body cap), HV_EPOLICY (scheme or address
 * refused), HV_EHTTP (a transfer error such as a truncated body),
 * HV_ECANCELED (fetcher closed first). result and err are never NULL.
 * With status 0, err is HV_OK, or HV_EHTTP with a loggable line such as
 * "<url>: HTTP 503 after 4 attempts" when the final status is 4xx/5xx.
 * With a negative status, result->body is "" (len 0) and result->status
 * is 0, but attempts, bytes, seconds and effective_url are filled in.
 */
typedef void (*hv_fetch_cb)(int status, const hv_fetch_result *result,
                            const hv_error *err, void *payload);

/* Creates a fetcher on loop. *out is written only on success. */
int hv_fetcher_new(hv_fetcher **out, uv_loop_t *loop,
                   const hv_fetch_opts *opts, hv_error *err);

/*
 * Starts fetching url. etag and last_modified (may be NULL) become
 * If-None-Match and If-Modified-Since. Returns 0 (cb will run exactly
 * once) or a negative code (cb never runs), e.g. HV_EPOLICY for a
 * non-http(s) URL, HV_EINVAL for a validator containing CR or LF,
 * HV_ECANCELED once hv_fetcher_close() has been called. May be called
 * from inside a hv_fetch_cb. url, etag and last_modified are copied.
 */
int hv_fetcher_get(hv_fetcher *f, const char *url, const char *etag,
                   const char *last_modified, hv_fetch_cb cb, void *payload,
                   hv_error *err);

/*
 * Cancels every pending fetch (their callbacks run with HV_ECANCELED),
 * releases curl and closes the loop handles. The fetcher is freed once
 * its handles are closed, so the caller keeps running the loop until it
 * is idle; uv_loop_close() then succeeds. NULL-safe.
 */
void hv_fetcher_close(hv_fetcher *f);

/*
 * Checks url against the scheme policy (http and https only) before any
 * request. Returns 0 or HV_EPOLICY with the reason.
 */
int hv_fetch_check_url(const char *url, hv_error *err);

/*
 * Checks one resolved address against the address policy in opts:
 * loopback (127/8, ::1) needs allow_loopback; private (10/8, 172.16/12,
 * 192.168/16, fc00::/7) and link-local (169.254/16, fe80::/10) need
 * allow_private; unspecified, multicast and reserved addresses are always
 * refused. IPv4-mapped IPv6 addresses are judged as IPv4. family is
 * AF_INET or AF_INET6 and addr points to a struct in_addr or in6_addr.
 * Returns 0 or HV_EPOLICY naming the address and its class. The fetcher
 * applies it to every connection it opens, including after redirects.
 */
int hv_fetch_check_addr(const hv_fetch_opts *opts, int family,
                        const void *addr, hv_error *err);

/* Process-wide curl initialisation; call once from main. */
int hv_fetch_global_init(hv_error *err);
void hv_fetch_global_cleanup(void);

#endif
