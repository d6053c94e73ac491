/*
 * Integration tests for the fetcher: a real libuv loop and real sockets
 * against the fault-injecting server on 127.0.0.1. Timeouts and backoffs
 * are shrunk so the file runs in a few seconds. Every test counts its
 * callbacks and ends with uv_loop_close() == 0.
 */
#include "tools/hvtest.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fetch/fetch.h"
#include "tools/fault_server.h"
#include "util/alloc.h"

/* "dcat:Catalog with a gzip-encoded body, decoded by the fetcher.\n",
   compressed once with gzip -9 -n. */
static const char gz_text[] =
    "dcat:Catalog with a gzip-encoded body, decoded by the fetcher.\n";
static const unsigned char gz_body[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x4b, 0x49,
    0x4e, 0x2c, 0xb1, 0x72, 0x4e, 0x2c, 0x49, 0xcc, 0xc9, 0x4f, 0x57, 0x28,
    0xcf, 0x2c, 0xc9, 0x50, 0x48, 0x54, 0x48, 0xaf, 0xca, 0x2c, 0xd0, 0x4d,
    0xcd, 0x4b, 0xce, 0x4f, 0x49, 0x4d, 0x51, 0x48, 0xca, 0x4f, 0xa9, 0xd4,
    0x51, 0x48, 0x49, 0x85, 0xf2, 0x2a, 0x15, 0x4a, 0x32, 0x52, 0x15, 0xd2,
    0x52, 0x4b, 0x92, 0x33, 0x52, 0x8b, 0xf4, 0xb8, 0x00, 0x92, 0x54, 0xfe,
    0x0f, 0x3f, 0x00, 0x00, 0x00};

/* 65536 zero bytes compressed with gzip -9 -n: 96 bytes on the wire. */
static const unsigned char gz_bomb[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1,
    0x01, 0x01, 0x00, 0x00, 0x00, 0x80, 0x90, 0xfe, 0xaf, 0xee, 0x08, 0x0a,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x6a, 0xeb, 0x8e, 0x97, 0xd7, 0x00, 0x00, 0x01, 0x00};

/* What one callback saw, copied out because the result is borrowed. */
typedef struct outcome {
  int calls;
  int status;
  long http;
  int not_modified;
  char *body;
  size_t len;
  char content_type[128];
  char etag[128];
  int has_etag;
  char last_modified[128];
  char effective_url[256];
  int attempts;
  uint64_t bytes;
  double seconds;
  hv_error err;
} outcome;

typedef struct fx {
  uv_loop_t loop;
  hv_fault_server *srv;
  hv_fetcher *f;
  hv_fetch_opts opts;
  outcome out[8];
  char url[256];
} fx;

static void copy_str(char *dst, size_t size, const char *src)
{
  snprintf(dst, size, "%s", src ? src : "");
}

static void record(outcome *o, int status, const hv_fetch_result *r,
                   const hv_error *err)
{
  o->calls++;
  o->status = status;
  o->http = r->status;
  o->not_modified = r->not_modified;
  hv_free(o->body);
  o->body = hv_strndup(r->body, r->len);
  o->len = r->len;
  copy_str(o->content_type, sizeof(o->content_type), r->content_type);
  copy_str(o->etag, sizeof(o->etag), r->etag);
  o->has_etag = r->etag != NULL;
  copy_str(o->last_modified, sizeof(o->last_modified), r->last_modified);
  copy_str(o->effective_url, sizeof(o->effective_url), r->effective_url);
  o->attempts = r->attempts;
  o->bytes = r->bytes;
  o->seconds = r->seconds;
  o->err = *err;
}

static void on_fetched(int status, const hv_fetch_result *r,
                       const hv_error *err, void *payload)
{
  assert_non_null(r);
  assert_non_null(err);
  record(payload, status, r, err);
}

static int fx_setup(void **state)
{
  fx *t = hv_calloc(1, sizeof(*t));
  hv_fetch_opts defaults = HV_FETCH_OPTS_INIT;
  hv_error err = HV_ERROR_INIT;

  assert_non_null(t);
  assert_int_equal(uv_loop_init(&t->loop), 0);
  HV_ASSERT_OK(hv_fault_server_start(&t->srv, &err), &err);
  t->opts = defaults;
  t->opts.connect_timeout_ms = 1000;
  t->opts.total_timeout_ms = 3000;
  t->opts.max_attempts = 3;
  t->opts.backoff_base_ms = 10;
  t->opts.backoff_max_ms = 100;
  t->opts.allow_loopback = 1;
  *state = t;
  return 0;
}

static int fx_teardown(void **state)
{
  fx *t = *state;
  size_t i;

  hv_fetcher_close(t->f);
  assert_int_equal(uv_run(&t->loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&t->loop), 0);
  hv_fault_server_stop(t->srv);
  for (i = 0; i < sizeof(t->out) / sizeof(t->out[0]); i++)
    hv_free(t->out[i].body);
  hv_free(t);
  return 0;
}

/* Creates the fetcher from t->opts (tests adjust them first). */
static void fx_fetcher(fx *t)
{
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_fetcher_new(&t->f, &t->loop, &t->opts, &err), &err);
}

static const char *url(fx *t, const char *path)
{
  return hv_fault_server_url(t->srv, path, t->url, sizeof(t->url));
}

static void route(fx *t, const char *path, const hv_fault_step *steps,
                  size_t n)
{
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_fault_server_route(t->srv, path, steps, n, &err), &err);
}

/* Starts one fetch of path recorded into t->out[slot]. */
static void get(fx *t, const char *path, int slot)
{
  hv_error err = HV_ERROR_INIT;

  HV_ASSERT_OK(hv_fetcher_get(t->f, url(t, path), NULL, NULL, on_fetched,
                              &t->out[slot], &err),
               &err);
}

static void run(fx *t)
{
  uv_run(&t->loop, UV_RUN_DEFAULT);
}

static void assert_contains(const char *hay, const char *needle)
{
  if (!strstr(hay, needle))
    fail_msg("expected \"%s\" in \"%s\"", needle, hay);
}

/* ---- plain responses --------------------------------------------------- */

static void plain_200_with_body_and_headers(void **state)
{
  fx *t = *state;
  static const char body[] = "<rdf:RDF>catalog page</rdf:RDF>\n";
  hv_fault_step s = {0};
  char ua[128];

  s.content_type = "application/rdf+xml";
  s.body = body;
  s.len = sizeof(body) - 1;
  s.etag = "\"abc123\"";
  s.headers = "Last-Modified: Tue, 02 Jan 2024 10:00:00 GMT\n"
              "X-Other: ignored";
  route(t, "/catalog.rdf", &s, 1);
  fx_fetcher(t);
  get(t, "/catalog.rdf", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].http, 200);
  assert_int_equal(t->out[0].not_modified, 0);
  assert_int_equal(t->out[0].len, sizeof(body) - 1);
  assert_string_equal(t->out[0].body, body);
  assert_string_equal(t->out[0].content_type, "application/rdf+xml");
  assert_string_equal(t->out[0].etag, "\"abc123\"");
  assert_string_equal(t->out[0].last_modified,
                      "Tue, 02 Jan 2024 10:00:00 GMT");
  assert_string_equal(t->out[0].effective_url, url(t, "/catalog.rdf"));
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(t->out[0].bytes, sizeof(body) - 1);
  assert_true(t->out[0].seconds > 0.0 && t->out[0].seconds < 3.0);
  assert_int_equal(hv_fault_server_hits(t->srv, "/catalog.rdf"), 1);
  assert_true(
      hv_fault_server_header(t->srv, "/catalog.rdf", "User-Agent", ua,
                             sizeof(ua)));
  assert_string_equal(ua, "govharvest/" HV_VERSION);
  assert_false(hv_fault_server_header(t->srv, "/catalog.rdf",
                                      "If-None-Match", ua, sizeof(ua)));
}

static void not_found_is_a_response_and_not_retried(void **state)
{
  fx *t = *state;

  fx_fetcher(t);
  get(t, "/missing", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, 0);
  assert_int_equal(t->out[0].http, 404);
  assert_int_equal(t->out[0].attempts, 1);
  assert_string_equal(t->out[0].body, "not found\n");
  assert_int_equal(hv_fault_server_hits(t->srv, "/missing"), 1);
  /* The caller still gets a loggable description. */
  assert_int_equal(t->out[0].err.code, HV_EHTTP);
  assert_contains(t->out[0].err.msg, "/missing: HTTP 404 after 1 attempt");
}

/* ---- retries ----------------------------------------------------------- */

static void source_down_fails_with_econnect_after_max_attempts(void **state)
{
  fx *t = *state;
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  char down[128];

  /* Take a free port and release it: nothing listens there now. */
  assert_true(fd >= 0);
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
  close(fd);
  snprintf(down, sizeof(down), "http://127.0.0.1:%u/catalog",
           (unsigned)ntohs(a.sin_port));

  fx_fetcher(t);
  {
    hv_error err = HV_ERROR_INIT;

    HV_ASSERT_OK(hv_fetcher_get(t->f, down, NULL, NULL, on_fetched,
                                &t->out[0], &err),
                 &err);
  }
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ECONNECT);
  assert_int_equal(t->out[0].err.code, HV_ECONNECT);
  assert_int_equal(t->out[0].attempts, 3);
  assert_int_equal(t->out[0].http, 0);
  assert_contains(t->out[0].err.msg, down);
  assert_contains(t->out[0].err.msg, "3 attempts");
}

static void server_errors_are_retried_until_success(void **state)
{
  fx *t = *state;
  hv_fault_step s[3] = {{0}};

  s[0].status = 500;
  s[0].body = "boom";
  s[0].len = 4;
  s[1] = s[0];
  s[2].body = "finally";
  s[2].len = 7;
  route(t, "/flaky", s, 3);
  fx_fetcher(t);
  get(t, "/flaky", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].http, 200);
  assert_int_equal(t->out[0].attempts, 3);
  assert_string_equal(t->out[0].body, "finally");
  /* Billing counts the error bodies too. */
  assert_int_equal(t->out[0].bytes, 4 + 4 + 7);
  assert_int_equal(hv_fault_server_hits(t->srv, "/flaky"), 3);
}

static void persistent_503_reports_status_after_last_attempt(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.status = 503;
  route(t, "/page2", &s, 1);
  t->opts.max_attempts = 4;
  fx_fetcher(t);
  get(t, "/page2", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, 0);
  assert_int_equal(t->out[0].http, 503);
  assert_int_equal(t->out[0].attempts, 4);
  assert_int_equal(hv_fault_server_hits(t->srv, "/page2"), 4);
  assert_contains(t->out[0].err.msg, url(t, "/page2"));
  assert_contains(t->out[0].err.msg, "HTTP 503 after 4 attempts");
}

static void retry_after_seconds_is_honoured(void **state)
{
  fx *t = *state;
  hv_fault_step s[2] = {{0}};

  s[0].status = 429;
  s[0].headers = "Retry-After: 1";
  s[1].body = "ok";
  s[1].len = 2;
  route(t, "/busy", s, 2);
  t->opts.backoff_max_ms = 5000;
  fx_fetcher(t);
  get(t, "/busy", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].http, 200);
  assert_int_equal(t->out[0].attempts, 2);
  assert_true(t->out[0].seconds >= 0.95);
  assert_true(t->out[0].seconds < 3.0);
}

static void retry_after_http_date_is_honoured_and_capped(void **state)
{
  fx *t = *state;
  hv_fault_step s[2] = {{0}}, c[2] = {{0}};
  char hdr[96];
  time_t when = time(NULL) + 2;
  struct tm tm;

  gmtime_r(&when, &tm);
  strftime(hdr, sizeof(hdr), "Retry-After: %a, %d %b %Y %H:%M:%S GMT", &tm);
  s[0].status = 503;
  s[0].headers = hdr;
  s[1].body = "ok";
  s[1].len = 2;
  route(t, "/dated", s, 2);
  /* A server asking for an hour is held to backoff_max_ms. */
  c[0].status = 429;
  c[0].headers = "Retry-After: 3600";
  c[1] = s[1];
  route(t, "/greedy", c, 2);
  t->opts.backoff_max_ms = 5000;
  fx_fetcher(t);
  get(t, "/dated", 0);
  run(t);
  t->opts.backoff_max_ms = 200;
  hv_fetcher_close(t->f);
  run(t);
  fx_fetcher(t);
  get(t, "/greedy", 1);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].attempts, 2);
  /* now + 2 s at one-second resolution: at least one second. */
  assert_true(t->out[0].seconds >= 0.95);
  assert_int_equal(t->out[1].calls, 1);
  HV_ASSERT_OK(t->out[1].status, &t->out[1].err);
  assert_int_equal(t->out[1].attempts, 2);
  assert_true(t->out[1].seconds >= 0.15);
  assert_true(t->out[1].seconds < 1.0);
}

static void truncated_body_is_retried_then_fails(void **state)
{
  fx *t = *state;
  static const char body[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  hv_fault_step s = {0};

  s.body = body;
  s.len = sizeof(body) - 1;
  s.fault = HV_FAULT_TRUNCATE;
  route(t, "/cut", &s, 1);
  fx_fetcher(t);
  get(t, "/cut", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_EHTTP);
  assert_int_equal(t->out[0].attempts, 3);
  assert_int_equal(hv_fault_server_hits(t->srv, "/cut"), 3);
  assert_contains(t->out[0].err.msg, url(t, "/cut"));
  assert_contains(t->out[0].err.msg, "truncated");
  assert_int_equal(t->out[0].len, 0);
}

static void truncation_then_success_recovers(void **state)
{
  fx *t = *state;
  static const char body[] = "complete page body";
  hv_fault_step s[2] = {{0}};

  s[0].body = body;
  s[0].len = sizeof(body) - 1;
  s[0].fault = HV_FAULT_TRUNCATE;
  s[0].etag = "\"stale\"";
  s[1].body = body;
  s[1].len = sizeof(body) - 1;
  route(t, "/cut-once", s, 2);
  fx_fetcher(t);
  get(t, "/cut-once", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].attempts, 2);
  assert_string_equal(t->out[0].body, body);
  /* Headers of the failed attempt do not leak into the result. */
  assert_false(t->out[0].has_etag);
  assert_int_equal(t->out[0].bytes, (sizeof(body) - 1) / 2 + sizeof(body) - 1);
}

/* ---- caps and timeouts ------------------------------------------------- */

static void endless_body_hits_the_cap_and_is_not_retried(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.body = "endless ";
  s.len = 8;
  s.fault = HV_FAULT_ENDLESS;
  route(t, "/endless", &s, 1);
  t->opts.max_body = 100000;
  fx_fetcher(t);
  get(t, "/endless", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ETOOBIG);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/endless"), 1);
  assert_true(t->out[0].bytes > 100000);
  assert_contains(t->out[0].err.msg, "100000");
}

static void declared_length_over_the_cap_is_refused(void **state)
{
  fx *t = *state;
  static char big[4096];
  hv_fault_step s = {0};

  memset(big, 'b', sizeof(big));
  s.body = big;
  s.len = sizeof(big);
  route(t, "/big", &s, 1);
  t->opts.max_body = 1024;
  fx_fetcher(t);
  get(t, "/big", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ETOOBIG);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/big"), 1);
}

static void gzip_bomb_hits_the_cap_on_decoded_bytes(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.body = gz_bomb;
  s.len = sizeof(gz_bomb);
  s.headers = "Content-Encoding: gzip";
  route(t, "/bomb", &s, 1);
  t->opts.max_body = 16384; /* far above the 96 wire bytes */
  fx_fetcher(t);
  get(t, "/bomb", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ETOOBIG);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/bomb"), 1);
}

static void gzip_body_is_decoded(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};
  char ae[128];

  s.content_type = "text/turtle";
  s.body = gz_body;
  s.len = sizeof(gz_body);
  s.headers = "Content-Encoding: gzip";
  route(t, "/gz", &s, 1);
  fx_fetcher(t);
  get(t, "/gz", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].len, sizeof(gz_text) - 1);
  assert_string_equal(t->out[0].body, gz_text);
  assert_true(hv_fault_server_header(t->srv, "/gz", "Accept-Encoding", ae,
                                     sizeof(ae)));
  assert_contains(ae, "gzip");
}

static void slow_answer_times_out(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.body = "late";
  s.len = 4;
  s.delay_ms = 1500;
  route(t, "/slow", &s, 1);
  t->opts.total_timeout_ms = 300;
  t->opts.max_attempts = 2;
  fx_fetcher(t);
  get(t, "/slow", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ETIMEDOUT);
  assert_int_equal(t->out[0].attempts, 2);
  assert_int_equal(hv_fault_server_hits(t->srv, "/slow"), 2);
  assert_contains(t->out[0].err.msg, url(t, "/slow"));
  assert_contains(t->out[0].err.msg, "timed out after");
  assert_contains(t->out[0].err.msg, "(2 attempts)");
  assert_true(t->out[0].seconds >= 0.6 && t->out[0].seconds < 1.5);
}

static void slow_drip_times_out(void **state)
{
  fx *t = *state;
  static const char body[] = "a body that trickles in byte by byte";
  hv_fault_step s = {0};

  s.body = body;
  s.len = sizeof(body) - 1;
  s.fault = HV_FAULT_DRIP;
  s.drip_ms = 50;
  route(t, "/drip", &s, 1);
  t->opts.total_timeout_ms = 400;
  t->opts.max_attempts = 1;
  fx_fetcher(t);
  get(t, "/drip", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_ETIMEDOUT);
  assert_int_equal(t->out[0].attempts, 1);
  assert_contains(t->out[0].err.msg, "(1 attempt)");
  /* Some bytes arrived before the clock ran out, and are billed. */
  assert_true(t->out[0].bytes > 0 && t->out[0].bytes < sizeof(body) - 1);
}

/* ---- conditional requests and redirects -------------------------------- */

typedef struct etag_chain {
  fx *t;
  int calls;
  int second_rc;
} etag_chain;

static void on_first_etag(int status, const hv_fetch_result *r,
                          const hv_error *err, void *payload)
{
  etag_chain *c = payload;
  hv_error e = HV_ERROR_INIT;

  c->calls++;
  record(&c->t->out[0], status, r, err);
  /* Start the conditional refetch from inside the callback, as the
     harvester does for the next page. */
  c->second_rc = hv_fetcher_get(c->t->f, r->effective_url, r->etag,
                                r->last_modified, on_fetched, &c->t->out[1],
                                &e);
}

static void etag_round_trip_gives_not_modified(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};
  etag_chain c = {t, 0, -1};
  hv_error err = HV_ERROR_INIT;
  char inm[64], ims[64];

  s.content_type = "text/turtle";
  s.body = "<a> <b> <c> .\n";
  s.len = 14;
  s.etag = "\"v1\"";
  s.headers = "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT";
  route(t, "/cond", &s, 1);
  fx_fetcher(t);
  HV_ASSERT_OK(hv_fetcher_get(t->f, url(t, "/cond"), NULL, NULL,
                              on_first_etag, &c, &err),
               &err);
  run(t);

  assert_int_equal(c.calls, 1);
  assert_int_equal(c.second_rc, 0);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].http, 200);
  assert_string_equal(t->out[0].etag, "\"v1\"");
  assert_int_equal(t->out[1].calls, 1);
  HV_ASSERT_OK(t->out[1].status, &t->out[1].err);
  assert_int_equal(t->out[1].http, 304);
  assert_int_equal(t->out[1].not_modified, 1);
  assert_int_equal(t->out[1].len, 0);
  assert_string_equal(t->out[1].etag, "\"v1\"");
  assert_int_equal(hv_fault_server_hits(t->srv, "/cond"), 2);
  assert_true(
      hv_fault_server_header(t->srv, "/cond", "If-None-Match", inm,
                             sizeof(inm)));
  assert_string_equal(inm, "\"v1\"");
  assert_true(hv_fault_server_header(t->srv, "/cond", "If-Modified-Since",
                                     ims, sizeof(ims)));
  assert_string_equal(ims, "Mon, 01 Jan 2024 00:00:00 GMT");
}

static void redirect_is_followed_with_fresh_headers(void **state)
{
  fx *t = *state;
  hv_fault_step old = {0}, neu = {0};
  char loc[300];

  snprintf(loc, sizeof(loc), "Location: %s", url(t, "/new"));
  old.status = 301;
  old.etag = "\"old\"";
  old.content_type = "text/html";
  old.headers = loc;
  neu.content_type = "application/ld+json";
  neu.body = "{}";
  neu.len = 2;
  route(t, "/old", &old, 1);
  route(t, "/new", &neu, 1);
  fx_fetcher(t);
  get(t, "/old", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  HV_ASSERT_OK(t->out[0].status, &t->out[0].err);
  assert_int_equal(t->out[0].http, 200);
  assert_string_equal(t->out[0].body, "{}");
  assert_string_equal(t->out[0].effective_url, url(t, "/new"));
  assert_string_equal(t->out[0].content_type, "application/ld+json");
  assert_false(t->out[0].has_etag);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/old"), 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/new"), 1);
}

static void redirect_loop_is_capped(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.status = 302;
  s.headers = "Location: /loop";
  route(t, "/loop", &s, 1);
  t->opts.max_redirects = 3;
  fx_fetcher(t);
  get(t, "/loop", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_EHTTP);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/loop"), 4);
  assert_contains(t->out[0].err.msg, url(t, "/loop"));
}

static void redirect_to_other_scheme_is_refused(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};

  s.status = 302;
  s.headers = "Location: file:///etc/passwd";
  route(t, "/tofile", &s, 1);
  fx_fetcher(t);
  get(t, "/tofile", 0);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_EPOLICY);
  assert_int_equal(t->out[0].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/tofile"), 1);
}

/* ---- concurrency ------------------------------------------------------- */

static void per_host_limit_is_kept_and_queueing_is_not_timed(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};
  int i;

  s.body = "slow";
  s.len = 4;
  s.delay_ms = 250;
  route(t, "/par", &s, 1);
  t->opts.max_per_host = 2;
  /* Six 250 ms answers two at a time take ~750 ms in all; the per-attempt
     timeout must not count the time spent waiting in our queue. */
  t->opts.total_timeout_ms = 600;
  t->opts.max_attempts = 1;
  fx_fetcher(t);
  for (i = 0; i < 6; i++)
    get(t, "/par", i);
  run(t);

  for (i = 0; i < 6; i++) {
    assert_int_equal(t->out[i].calls, 1);
    HV_ASSERT_OK(t->out[i].status, &t->out[i].err);
    assert_string_equal(t->out[i].body, "slow");
  }
  assert_int_equal(hv_fault_server_hits(t->srv, "/par"), 6);
  assert_int_equal(hv_fault_server_max_inflight(t->srv), 2);
}

static void global_limit_spans_hosts(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};
  hv_error err = HV_ERROR_INIT;
  char alt[256];
  int i;

  s.body = "x";
  s.len = 1;
  s.delay_ms = 200;
  route(t, "/g", &s, 1);
  t->opts.max_total = 2;
  t->opts.max_per_host = 4;
  fx_fetcher(t);
  /* "localhost" and "127.0.0.1" are different hosts to the fetcher but
     the same server, which sees the global limit. */
  snprintf(alt, sizeof(alt), "http://localhost:%u/g",
           (unsigned)hv_fault_server_port(t->srv));
  for (i = 0; i < 6; i++)
    HV_ASSERT_OK(hv_fetcher_get(t->f, i % 2 ? alt : url(t, "/g"), NULL, NULL,
                                on_fetched, &t->out[i], &err),
                 &err);
  run(t);

  for (i = 0; i < 6; i++) {
    assert_int_equal(t->out[i].calls, 1);
    HV_ASSERT_OK(t->out[i].status, &t->out[i].err);
  }
  assert_int_equal(hv_fault_server_hits(t->srv, "/g"), 6);
  assert_int_equal(hv_fault_server_max_inflight(t->srv), 2);
}

/* ---- policy ------------------------------------------------------------ */

static void default_policy_refuses_loopback(void **state)
{
  fx *t = *state;
  hv_fault_step s = {0};
  hv_error err = HV_ERROR_INIT;
  char alt[256];

  s.body = "secret";
  s.len = 6;
  route(t, "/internal", &s, 1);
  t->opts.allow_loopback = 0;
  fx_fetcher(t);
  get(t, "/internal", 0);
  snprintf(alt, sizeof(alt), "http://localhost:%u/internal",
           (unsigned)hv_fault_server_port(t->srv));
  HV_ASSERT_OK(hv_fetcher_get(t->f, alt, NULL, NULL, on_fetched, &t->out[1],
                              &err),
               &err);
  run(t);

  assert_int_equal(t->out[0].calls, 1);
  assert_int_equal(t->out[0].status, HV_EPOLICY);
  assert_int_equal(t->out[0].attempts, 1);
  assert_contains(t->out[0].err.msg, "127.0.0.1 refused by policy");
  assert_contains(t->out[0].err.msg, "loopback");
  assert_int_equal(t->out[1].calls, 1);
  assert_int_equal(t->out[1].status, HV_EPOLICY);
  assert_int_equal(t->out[1].attempts, 1);
  assert_int_equal(hv_fault_server_hits(t->srv, "/internal"), 0);
  assert_int_equal(hv_fault_server_total(t->srv), 0);
}

static void check_url_allows_only_http_and_https(void **state)
{
  static const struct {
    const char *url;
    int rc;
    const char *why;
  } cases[] = {
      {"http://example.org/catalog.ttl", 0, NULL},
      {"HTTPS://example.org:8443/dcat?page=2", 0, NULL},
      {"ftp://example.org/catalog.rdf", HV_EPOLICY, "scheme 'ftp'"},
      {"file:///etc/passwd", HV_EPOLICY, "scheme 'file'"},
      {"gopher://example.org/", HV_EPOLICY, "scheme 'gopher'"},
      {"http://", HV_EPOLICY, "http://"},
      {"not a url", HV_EPOLICY, "not a url"},
      {"", HV_EPOLICY, "empty URL"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_error err = HV_ERROR_INIT;
    int rc = hv_fetch_check_url(cases[i].url, &err);

    if (rc != cases[i].rc)
      fail_msg("%s: expected %s, got %s (%s)", cases[i].url,
               hv_err_name(cases[i].rc), hv_err_name(rc), err.msg);
    if (cases[i].why)
      assert_contains(err.msg, cases[i].why);
  }
}

static void address_policy_classifies_ranges(void **state)
{
  static const struct {
    const char *addr;
    int loopback, private_; /* allow_* flags for this case */
    int rc;
    const char *why;
  } cases[] = {
      {"93.184.216.34", 0, 0, 0, NULL},
      {"2001:db8::1", 0, 0, 0, NULL},
      {"127.0.0.1", 0, 0, HV_EPOLICY, "(loopback)"},
      {"127.255.0.9", 0, 0, HV_EPOLICY, "(loopback)"},
      {"127.0.0.1", 1, 0, 0, NULL},
      {"::1", 0, 0, HV_EPOLICY, "::1 refused by policy (loopback)"},
      {"::1", 1, 0, 0, NULL},
      {"::ffff:127.0.0.1", 0, 0, HV_EPOLICY, "(loopback)"},
      {"10.1.2.3", 0, 0, HV_EPOLICY, "10.1.2.3 refused by policy (private)"},
      {"10.1.2.3", 1, 0, HV_EPOLICY, "(private)"},
      {"10.1.2.3", 0, 1, 0, NULL},
      {"172.16.0.1", 0, 0, HV_EPOLICY, "(private)"},
      {"172.31.255.255", 0, 0, HV_EPOLICY, "(private)"},
      {"172.32.0.1", 0, 0, 0, NULL},
      {"172.15.255.255", 0, 0, 0, NULL},
      {"192.168.10.1", 0, 0, HV_EPOLICY, "(private)"},
      {"192.169.0.1", 0, 0, 0, NULL},
      {"169.254.169.254", 0, 0, HV_EPOLICY, "(link-local)"},
      {"169.254.169.254", 0, 1, 0, NULL},
      {"fd12:3456::1", 0, 0, HV_EPOLICY, "(private)"},
      {"fc00::1", 0, 1, 0, NULL},
      {"fe80::1", 0, 0, HV_EPOLICY, "(link-local)"},
      {"::ffff:192.168.1.1", 0, 0, HV_EPOLICY, "(private)"},
      {"0.0.0.0", 1, 1, HV_EPOLICY, "(unspecified)"},
      {"::", 1, 1, HV_EPOLICY, "(unspecified)"},
      {"224.0.0.1", 1, 1, HV_EPOLICY, "(multicast)"},
      {"ff02::1", 1, 1, HV_EPOLICY, "(multicast)"},
      {"255.255.255.255", 1, 1, HV_EPOLICY, "(reserved)"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hv_fetch_opts o = HV_FETCH_OPTS_INIT;
    hv_error err = HV_ERROR_INIT;
    unsigned char raw[16];
    int family = strchr(cases[i].addr, ':') ? AF_INET6 : AF_INET;
    int rc;

    o.allow_loopback = cases[i].loopback;
    o.allow_private = cases[i].private_;
    assert_int_equal(inet_pton(family, cases[i].addr, raw), 1);
    rc = hv_fetch_check_addr(&o, family, raw, &err);
    if (rc != cases[i].rc)
      fail_msg("%s (loopback %d, private %d): expected %s, got %s (%s)",
               cases[i].addr, cases[i].loopback, cases[i].private_,
               hv_err_name(cases[i].rc), hv_err_name(rc), err.msg);
    if (cases[i].why)
      assert_contains(err.msg, cases[i].why);
  }
}

static void get_refuses_bad_scheme_without_callback(void **state)
{
  fx *t = *state;
  hv_error err = HV_ERROR_INIT;

  fx_fetcher(t);
  assert_int_equal(hv_fetcher_get(t->f, "ftp://127.0.0.1/x", NULL, NULL,
                                  on_fetched, &t->out[0], &err),
                   HV_EPOLICY);
  assert_contains(err.msg, "ftp://127.0.0.1/x");
  assert_int_equal(hv_fetcher_get(t->f, url(t, "/x"), "\"a\"\r\nX: y", NULL,
                                  on_fetched, &t->out[0], &err),
                   HV_EINVAL);
  run(t);
  assert_int_equal(t->out[0].calls, 0);
  assert_int_equal(hv_fault_server_total(t->srv), 0);
}

/* ---- shutdown ---------------------------------------------------------- */

typedef struct cancel_ctx {
  fx *t;
  int calls[8];
  int statuses[8];
  int late_rc;
} cancel_ctx;

typedef struct cancel_slot {
  cancel_ctx *ctx;
  int i;
} cancel_slot;

static void on_canceled(int status, const hv_fetch_result *r,
                        const hv_error *err, void *payload)
{
  cancel_slot *s = payload;
  hv_error e = HV_ERROR_INIT;

  (void)r;
  (void)err;
  s->ctx->calls[s->i]++;
  s->ctx->statuses[s->i] = status;
  /* A closing fetcher takes no new work, even from its callbacks. */
  s->ctx->late_rc = hv_fetcher_get(s->ctx->t->f, "http://127.0.0.1:1/",
                                   NULL, NULL, on_canceled, payload, &e);
}

static void close_later(uv_timer_t *timer)
{
  cancel_ctx *c = timer->data;

  hv_fetcher_close(c->t->f);
  uv_close((uv_handle_t *)timer, NULL);
}

static void close_cancels_every_pending_fetch_once(void **state)
{
  fx *t = *state;
  hv_fault_step slow = {0}, busy = {0};
  cancel_ctx c;
  cancel_slot slots[6];
  uv_timer_t timer;
  hv_error err = HV_ERROR_INIT;
  int i;

  memset(&c, 0, sizeof(c));
  c.t = t;
  c.late_rc = 1;
  slow.delay_ms = 3000;
  route(t, "/hang", &slow, 1);
  busy.status = 503;
  route(t, "/busy", &busy, 1);
  t->opts.max_per_host = 2;
  t->opts.backoff_base_ms = 10000;
  t->opts.backoff_max_ms = 10000;
  fx_fetcher(t);
  /* Two running, three queued behind the per-host limit... */
  for (i = 0; i < 5; i++) {
    slots[i].ctx = &c;
    slots[i].i = i;
    HV_ASSERT_OK(hv_fetcher_get(t->f, url(t, "/hang"), NULL, NULL,
                                on_canceled, &slots[i], &err),
                 &err);
  }
  /* ...and one parked on its retry timer (another host). */
  slots[5].ctx = &c;
  slots[5].i = 5;
  {
    char alt[256];

    snprintf(alt, sizeof(alt), "http://localhost:%u/busy",
             (unsigned)hv_fault_server_port(t->srv));
    HV_ASSERT_OK(hv_fetcher_get(t->f, alt, NULL, NULL, on_canceled,
                                &slots[5], &err),
                 &err);
  }
  assert_int_equal(uv_timer_init(&t->loop, &timer), 0);
  timer.data = &c;
  assert_int_equal(uv_timer_start(&timer, close_later, 300, 0), 0);
  run(t);
  t->f = NULL; /* closed and freed by now */

  for (i = 0; i < 6; i++) {
    assert_int_equal(c.calls[i], 1);
    assert_int_equal(c.statuses[i], HV_ECANCELED);
  }
  assert_int_equal(c.late_rc, HV_ECANCELED);
  assert_int_equal(hv_fault_server_hits(t->srv, "/busy"), 1);
  assert_true(hv_fault_server_hits(t->srv, "/hang") <= 2);
}

typedef struct close_inside {
  fx *t;
  int first_calls;
  int other_calls;
  int other_status;
} close_inside;

static void on_first_closes(int status, const hv_fetch_result *r,
                            const hv_error *err, void *payload)
{
  close_inside *c = payload;

  (void)r;
  (void)err;
  assert_int_equal(status, 0);
  c->first_calls++;
  hv_fetcher_close(c->t->f);
}

static void on_other(int status, const hv_fetch_result *r,
                     const hv_error *err, void *payload)
{
  close_inside *c = payload;

  (void)r;
  assert_int_equal(err->code, status);
  c->other_calls++;
  c->other_status = status;
}

static void close_from_inside_a_callback(void **state)
{
  fx *t = *state;
  hv_fault_step quick = {0}, slow = {0};
  close_inside c = {t, 0, 0, 0};
  hv_error err = HV_ERROR_INIT;

  quick.body = "q";
  quick.len = 1;
  slow.delay_ms = 2000;
  route(t, "/quick", &quick, 1);
  route(t, "/later", &slow, 1);
  fx_fetcher(t);
  HV_ASSERT_OK(hv_fetcher_get(t->f, url(t, "/later"), NULL, NULL, on_other,
                              &c, &err),
               &err);
  HV_ASSERT_OK(hv_fetcher_get(t->f, url(t, "/quick"), NULL, NULL,
                              on_first_closes, &c, &err),
               &err);
  run(t);
  t->f = NULL;

  assert_int_equal(c.first_calls, 1);
  assert_int_equal(c.other_calls, 1);
  assert_int_equal(c.other_status, HV_ECANCELED);
}

static int group_setup(void **state)
{
  hv_error err = HV_ERROR_INIT;

  (void)state;
  return hv_fetch_global_init(&err);
}

static int group_teardown(void **state)
{
  (void)state;
  hv_fetch_global_cleanup();
  return 0;
}

#define FX_TEST(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
  const struct CMUnitTest tests[] = {
      FX_TEST(plain_200_with_body_and_headers),
      FX_TEST(not_found_is_a_response_and_not_retried),
      FX_TEST(source_down_fails_with_econnect_after_max_attempts),
      FX_TEST(server_errors_are_retried_until_success),
      FX_TEST(persistent_503_reports_status_after_last_attempt),
      FX_TEST(retry_after_seconds_is_honoured),
      FX_TEST(retry_after_http_date_is_honoured_and_capped),
      FX_TEST(truncated_body_is_retried_then_fails),
      FX_TEST(truncation_then_success_recovers),
      FX_TEST(endless_body_hits_the_cap_and_is_not_retried),
      FX_TEST(declared_length_over_the_cap_is_refused),
      FX_TEST(gzip_bomb_hits_the_cap_on_decoded_bytes),
      FX_TEST(gzip_body_is_decoded),
      FX_TEST(slow_answer_times_out),
      FX_TEST(slow_drip_times_out),
      FX_TEST(etag_round_trip_gives_not_modified),
      FX_TEST(redirect_is_followed_with_fresh_headers),
      FX_TEST(redirect_loop_is_capped),
      FX_TEST(redirect_to_other_scheme_is_refused),
      FX_TEST(per_host_limit_is_kept_and_queueing_is_not_timed),
      FX_TEST(global_limit_spans_hosts),
      FX_TEST(default_policy_refuses_loopback),
      cmocka_unit_test(check_url_allows_only_http_and_https),
      cmocka_unit_test(address_policy_classifies_ranges),
      FX_TEST(get_refuses_bad_scheme_without_callback),
      FX_TEST(close_cancels_every_pending_fetch_once),
      FX_TEST(close_from_inside_a_callback),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
