/*
 * Integration tests for the loopback static server (harvester/demo):
 * real files in a temporary directory, real requests over a loopback
 * socket with libcurl, checking status, bodies, headers, the validators
 * and the counters.
 */
#include "tools/hvtest.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demo/static_server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

/* 2023-05-01 12:00:00 UTC, the mtime given to the validator fixture. */
#define FIXED_MTIME ((time_t)1682942400)
#define FIXED_MTIME_HTTP "Mon, 01 May 2023 12:00:00 GMT"

typedef struct fixture {
  char *tmp;               /* temporary directory, removed at the end */
  char root[512];          /* tmp/www, the served root */
  hv_static_server *srv;   /* with validators */
} fixture;

typedef struct reply {
  long status;
  hv_buf body;
  char etag[128];
  char last_modified[64];
  char content_type[128];
  char content_length[32];
} reply;

static const char turtle_page1[] =
    "@prefix dct: <http://purl.org/dc/terms/> .\n"
    "<https://example.org/ds/1> dct:title \"Seite eins\" .\n";
static const char turtle_page2[] =
    "@prefix dct: <http://purl.org/dc/terms/> .\n"
    "<https://example.org/ds/2> dct:title \"Seite zwei\" .\n";

static void write_file(const char *dir, const char *rel, const char *content)
{
  char path[1024];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, rel);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(content, 1, strlen(content), f), strlen(content));
  assert_int_equal(fclose(f), 0);
}

static size_t collect_body(char *data, size_t size, size_t n, void *payload)
{
  hv_buf *b = payload;

  return hv_buf_add(b, data, size * n) == 0 ? size * n : 0;
}

static void copy_header(CURL *c, const char *name, char *out, size_t cap)
{
  struct curl_header *h = NULL;

  out[0] = '\0';
  if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
    snprintf(out, cap, "%s", h->value);
}

/*
 * Sends method target (a raw request target, sent as is) to the server
 * with the extra header lines in headers (NULL-terminated, may be NULL).
 */
static void request(hv_static_server *srv, const char *method,
                    const char *target, const char *const *headers,
                    reply *out)
{
  struct curl_slist *list = NULL;
  char url[1024];
  CURL *c = curl_easy_init();
  CURLcode cc;

  assert_non_null(c);
  memset(out, 0, sizeof(*out));
  hv_buf_init(&out->body, 1 << 20);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u%s",
           (unsigned)hv_static_server_port(srv), target);
  for (; headers && *headers; headers++)
    list = curl_slist_append(list, *headers);
  curl_easy_setopt(c, CURLOPT_URL, url);
  /* Keep "/../" in the path: the server, not curl, must refuse it. */
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  if (strcmp(method, "HEAD") == 0)
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  else if (strcmp(method, "GET") != 0)
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  cc = curl_easy_perform(c);
  if (cc != CURLE_OK)
    fail_msg("%s %s: %s", method, url, curl_easy_strerror(cc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  copy_header(c, "ETag", out->etag, sizeof(out->etag));
  copy_header(c, "Last-Modified", out->last_modified,
              sizeof(out->last_modified));
  copy_header(c, "Content-Type", out->content_type,
              sizeof(out->content_type));
  copy_header(c, "Content-Length", out->content_length,
              sizeof(out->content_length));
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
}

static const char *body_of(const reply *r)
{
  return r->body.ptr ? r->body.ptr : "";
}

static void reply_fini(reply *r)
{
  hv_buf_fini(&r->body);
}

static int setup(void **state)
{
  hv_error err = HV_ERROR_INIT;
  struct timespec times[2];
  char path[1024];
  fixture *fx = hv_calloc(1, sizeof(*fx));

  assert_non_null(fx);
  assert_non_null(fx->tmp = hv_test_tmpdir());
  snprintf(fx->root, sizeof(fx->root), "%s/www", fx->tmp);
  assert_int_equal(mkdir(fx->root, 0755), 0);
  snprintf(path, sizeof(path), "%s/hh", fx->root);
  assert_int_equal(mkdir(path, 0755), 0);

  write_file(fx->tmp, "secret.txt", "outside the root\n");
  write_file(fx->root, "hh/catalog.ttl", turtle_page1);
  write_file(fx->root, "hh/catalog.ttl@page=2", turtle_page2);
  write_file(fx->root, "a.rdf", "<rdf:RDF/>\n");
  write_file(fx->root, "a.nt", "<urn:a> <urn:b> <urn:c> .\n");
  write_file(fx->root, "a.jsonld", "{\"@id\": \"urn:a\"}\n");
  write_file(fx->root, "a.json", "{}\n");
  write_file(fx->root, "a.xml", "<a/>\n");
  write_file(fx->root, "index.html", "<p>Demo</p>\n");
  write_file(fx->root, "a.bin", "\001\002\003");
  write_file(fx->root, "A.TTL", "# upper-case extension\n");
  write_file(fx->root, "fixed.ttl", turtle_page1);
  snprintf(path, sizeof(path), "%s/fixed.ttl", fx->root);
  times[0].tv_sec = times[1].tv_sec = FIXED_MTIME;
  times[0].tv_nsec = times[1].tv_nsec = 0;
  assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
  /* A link inside the root that points outside it. */
  snprintf(path, sizeof(path), "%s/escape.txt", fx->root);
  assert_int_equal(symlink("../secret.txt", path), 0);

  HV_ASSERT_OK(hv_static_server_start(&fx->srv, fx->root, 0, 1, &err), &err);
  *state = fx;
  return 0;
}

static int teardown(void **state)
{
  fixture *fx = *state;

  hv_static_server_stop(fx->srv);
  hv_test_rmtree(fx->tmp);
  hv_free(fx->tmp);
  hv_free(fx);
  return 0;
}

static void serves_bodies_with_content_types(void **state)
{
  static const struct {
    const char *target;
    const char *type;
  } cases[] = {
      {"/hh/catalog.ttl", "text/turtle"},
      {"/a.rdf", "application/rdf+xml"},
      {"/a.nt", "application/n-triples"},
      {"/a.jsonld", "application/ld+json"},
      {"/a.json", "application/json"},
      {"/a.xml", "application/xml"},
      {"/index.html", "text/html"},
      {"/a.bin", "application/octet-stream"},
      {"/A.TTL", "text/turtle"},
  };
  fixture *fx = *state;
  char path[1024];
  size_t i, len;
  char *want;
  reply r;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    request(fx->srv, "GET", cases[i].target, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, cases[i].type);
    snprintf(path, sizeof(path), "%s%s", fx->root, cases[i].target);
    assert_non_null(want = hv_test_read_file(path, &len));
    assert_int_equal(r.body.len, len);
    assert_memory_equal(body_of(&r), want, len);
    hv_free(want);
    reply_fini(&r);
  }
}

static void missing_files_and_traversal_are_404(void **state)
{
  static const char *const targets[] = {
      "/missing.ttl",
      "/hh/",                       /* a directory */
      "/",                          /* the root itself */
      "/../secret.txt",             /* exists, one level up */
      "/../etc/passwd",
      "/%2e%2e/secret.txt",         /* encoded dots */
      "/%2E%2E/%2e%2e/etc/passwd",
      "/hh/..%2f..%2fsecret.txt",   /* encoded slash */
      "/hh/%2e%2e/%2e%2e/secret.txt",
      "/./hh/catalog.ttl",          /* a "." segment */
      "/escape.txt",                /* a link leading outside */
      "/hh\\..\\..\\secret.txt",
  };
  fixture *fx = *state;
  hv_static_stats before, after;
  size_t i;
  reply r;

  hv_static_server_stats(fx->srv, &before);
  for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
    request(fx->srv, "GET", targets[i], NULL, &r);
    if (r.status != 404)
      fail_msg("%s: expected 404, got %ld", targets[i], r.status);
    assert_null(strstr(body_of(&r), "outside the root"));
    reply_fini(&r);
  }
  hv_static_server_stats(fx->srv, &after);
  assert_int_equal(after.not_found - before.not_found,
                   sizeof(targets) / sizeof(targets[0]));
  assert_int_equal(after.requests - before.requests,
                   sizeof(targets) / sizeof(targets[0]));
}

static void bad_escapes_and_queries_are_400(void **state)
{
  static const char *const targets[] = {
      "/hh/catalog.ttl%",
      "/hh/catalog.ttl%zz",
      "/hh/catalog.ttl%00.txt",
      "/hh/catalog.ttl?page=%2f..%2fsecret",
      "/hh/catalog.ttl?page=2%00",
      "/hh/catalog.ttl?page=<2>",
  };
  fixture *fx = *state;
  size_t i;
  reply r;

  for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
    request(fx->srv, "GET", targets[i], NULL, &r);
    if (r.status != 400)
      fail_msg("%s: expected 400, got %ld", targets[i], r.status);
    reply_fini(&r);
  }
}

static void etag_round_trip_gives_304_and_counts(void **state)
{
  fixture *fx = *state;
  char want[HV_SHA256_HEX_LEN + 3];
  char inm[256], list[256], weak[256];
  const char *h_inm[] = {inm, NULL};
  const char *h_list[] = {list, NULL};
  const char *h_weak[] = {weak, NULL};
  const char *h_other[] = {"If-None-Match: \"0000\"", NULL};
  const char *h_star[] = {"If-None-Match: *", NULL};
  hv_static_stats before, after;
  reply r;

  want[0] = '"';
  hv_sha256_hex(turtle_page1, strlen(turtle_page1), want + 1);
  strcpy(want + 1 + HV_SHA256_HEX_LEN, "\"");

  hv_static_server_stats(fx->srv, &before);
  request(fx->srv, "GET", "/hh/catalog.ttl", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.etag, want);
  assert_true(r.last_modified[0] != '\0');
  reply_fini(&r);

  snprintf(inm, sizeof(inm), "If-None-Match: %s", want);
  request(fx->srv, "GET", "/hh/catalog.ttl", h_inm, &r);
  assert_int_equal(r.status, 304);
  assert_int_equal(r.body.len, 0);
  assert_string_equal(r.etag, want);
  reply_fini(&r);

  snprintf(list, sizeof(list), "If-None-Match: \"abc\", %s , \"def\"", want);
  request(fx->srv, "GET", "/hh/catalog.ttl", h_list, &r);
  assert_int_equal(r.status, 304);
  reply_fini(&r);

  snprintf(weak, sizeof(weak), "If-None-Match: W/%s", want);
  request(fx->srv, "GET", "/hh/catalog.ttl", h_weak, &r);
  assert_int_equal(r.status, 304);
  reply_fini(&r);

  request(fx->srv, "GET", "/hh/catalog.ttl", h_star, &r);
  assert_int_equal(r.status, 304);
  reply_fini(&r);

  request(fx->srv, "GET", "/hh/catalog.ttl", h_other, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(body_of(&r), turtle_page1);
  reply_fini(&r);

  /* The same tag does not match a different file. */
  request(fx->srv, "GET", "/hh/catalog.ttl?page=2", h_inm, &r);
  assert_int_equal(r.status, 200);
  assert_string_not_equal(r.etag, want);
  reply_fini(&r);

  hv_static_server_stats(fx->srv, &after);
  assert_int_equal(after.requests - before.requests, 7);
  assert_int_equal(after.not_modified - before.not_modified, 4);
  assert_int_equal(after.not_found - before.not_found, 0);
}

static void if_modified_since_gives_304(void **state)
{
  static const struct {
    const char *header;
    long status;
  } cases[] = {
      {"If-Modified-Since: " FIXED_MTIME_HTTP, 304},
      {"If-Modified-Since: Tue, 02 May 2023 00:00:00 GMT", 304},
      {"If-Modified-Since: Mon, 01 May 2023 11:59:59 GMT", 200},
      {"If-Modified-Since: Monday, 01-May-23 12:00:00 GMT", 304},
      {"If-Modified-Since: Mon May  1 12:00:00 2023", 304},
      {"If-Modified-Since: Sun Apr 30 12:00:00 2023", 200},
      {"If-Modified-Since: gestern", 200},
      {"If-Modified-Since: Mon, 01 May 2023 12:00:00 GMT trailing", 200},
  };
  fixture *fx = *state;
  const char *hdr[2] = {NULL, NULL};
  /* If-None-Match wins: a stale tag overrides a current date. */
  const char *both[] = {"If-None-Match: \"stale\"",
                        "If-Modified-Since: " FIXED_MTIME_HTTP, NULL};
  size_t i;
  reply r;

  request(fx->srv, "GET", "/fixed.ttl", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.last_modified, FIXED_MTIME_HTTP);
  reply_fini(&r);

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    hdr[0] = cases[i].header;
    request(fx->srv, "GET", "/fixed.ttl", hdr, &r);
    if (r.status != cases[i].status)
      fail_msg("%s: expected %ld, got %ld", cases[i].header, cases[i].status,
               r.status);
    if (r.status == 304)
      assert_string_equal(r.last_modified, FIXED_MTIME_HTTP);
    reply_fini(&r);
  }

  request(fx->srv, "GET", "/fixed.ttl", both, &r);
  assert_int_equal(r.status, 200);
  reply_fini(&r);
}

static void without_validators_never_304(void **state)
{
  fixture *fx = *state;
  hv_static_server *plain = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_static_stats stats;
  const char *cond[] = {"If-None-Match: *",
                        "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT",
                        NULL};
  const char *ims[] = {"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT",
                       NULL};
  reply r;

  HV_ASSERT_OK(hv_static_server_start(&plain, fx->root, 0, 0, &err), &err);
  assert_int_not_equal(hv_static_server_port(plain),
                       hv_static_server_port(fx->srv));
  request(plain, "GET", "/hh/catalog.ttl", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.etag, "");
  assert_string_equal(r.last_modified, "");
  assert_string_equal(body_of(&r), turtle_page1);
  reply_fini(&r);

  request(plain, "GET", "/hh/catalog.ttl", cond, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(body_of(&r), turtle_page1);
  reply_fini(&r);

  request(plain, "GET", "/fixed.ttl", ims, &r);
  assert_int_equal(r.status, 200);
  reply_fini(&r);

  hv_static_server_stats(plain, &stats);
  assert_int_equal(stats.requests, 3);
  assert_int_equal(stats.not_modified, 0);
  assert_int_equal(stats.not_found, 0);
  hv_static_server_stop(plain);
}

static void query_string_maps_to_page_file(void **state)
{
  fixture *fx = *state;
  reply r;

  request(fx->srv, "GET", "/hh/catalog.ttl?page=2", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(r.content_type, "text/turtle");
  assert_string_equal(body_of(&r), turtle_page2);
  reply_fini(&r);

  /* An escaped "=" decodes to the same file name. */
  request(fx->srv, "GET", "/hh/catalog.ttl?page%3D2", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(body_of(&r), turtle_page2);
  reply_fini(&r);

  /* An empty query is no query. */
  request(fx->srv, "GET", "/hh/catalog.ttl?", NULL, &r);
  assert_int_equal(r.status, 200);
  assert_string_equal(body_of(&r), turtle_page1);
  reply_fini(&r);

  request(fx->srv, "GET", "/hh/catalog.ttl?page=3", NULL, &r);
  assert_int_equal(r.status, 404);
  reply_fini(&r);

  /* The mapped name is not reachable as a query on another file. */
  request(fx->srv, "GET", "/hh/catalog.ttl@page=2?x=1", NULL, &r);
  assert_int_equal(r.status, 404);
  reply_fini(&r);
}

static void head_sends_headers_without_body(void **state)
{
  fixture *fx = *state;
  char inm[256], length[32];
  const char *h_inm[] = {inm, NULL};
  reply get, head;

  request(fx->srv, "GET", "/hh/catalog.ttl", NULL, &get);
  request(fx->srv, "HEAD", "/hh/catalog.ttl", NULL, &head);
  assert_int_equal(head.status, 200);
  assert_int_equal(head.body.len, 0);
  snprintf(length, sizeof(length), "%zu", strlen(turtle_page1));
  assert_string_equal(head.content_length, length);
  assert_string_equal(head.content_type, "text/turtle");
  assert_string_equal(head.etag, get.etag);
  assert_string_equal(head.last_modified, get.last_modified);

  snprintf(inm, sizeof(inm), "If-None-Match: %s", get.etag);
  reply_fini(&head);
  request(fx->srv, "HEAD", "/hh/catalog.ttl", h_inm, &head);
  assert_int_equal(head.status, 304);
  reply_fini(&head);

  request(fx->srv, "HEAD", "/missing.ttl", NULL, &head);
  assert_int_equal(head.status, 404);
  reply_fini(&head);
  reply_fini(&get);
}

static void other_methods_are_405(void **state)
{
  fixture *fx = *state;
  reply r;

  request(fx->srv, "POST", "/hh/catalog.ttl", NULL, &r);
  assert_int_equal(r.status, 405);
  reply_fini(&r);
  request(fx->srv, "DELETE", "/hh/catalog.ttl", NULL, &r);
  assert_int_equal(r.status, 405);
  reply_fini(&r);
}

/* Many pages over one kept-alive connection, as a harvest fetches them. */
static void serves_many_pages_on_one_connection(void **state)
{
  fixture *fx = *state;
  enum { PAGES = 300 };
  hv_static_stats before, after;
  char name[64], url[256], want[128];
  hv_buf body = HV_BUF_INIT(1 << 20);
  long status, connects = 0, total_connects = 0;
  CURL *c;
  int i;

  for (i = 1; i <= PAGES; i++) {
    snprintf(name, sizeof(name), "hh/many.ttl@page=%d", i);
    snprintf(want, sizeof(want), "# page %d\n", i);
    write_file(fx->root, name, want);
  }
  hv_static_server_stats(fx->srv, &before);
  assert_non_null(c = curl_easy_init());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  for (i = 1; i <= PAGES; i++) {
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hh/many.ttl?page=%d",
             (unsigned)hv_static_server_port(fx->srv), i);
    snprintf(want, sizeof(want), "# page %d\n", i);
    hv_buf_reset(&body);
    curl_easy_setopt(c, CURLOPT_URL, url);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    total_connects += connects;
    assert_int_equal(status, 200);
    assert_string_equal(body.ptr, want);
  }
  curl_easy_cleanup(c);
  hv_buf_fini(&body);
  assert_int_equal(total_connects, 1);
  hv_static_server_stats(fx->srv, &after);
  assert_int_equal(after.requests - before.requests, PAGES);
}

static void start_reports_bad_roots_and_busy_ports(void **state)
{
  fixture *fx = *state;
  hv_static_server *srv = (hv_static_server *)&srv;
  hv_static_server *again = NULL;
  hv_error err = HV_ERROR_INIT;
  char path[1024];
  uint16_t port;

  snprintf(path, sizeof(path), "%s/no-such-dir", fx->tmp);
  assert_int_equal(hv_static_server_start(&srv, path, 0, 1, &err),
                   HV_ENOTFOUND);
  assert_non_null(strstr(err.msg, "no-such-dir"));
  /* *out is untouched on failure. */
  assert_ptr_equal(srv, (hv_static_server *)&srv);

  snprintf(path, sizeof(path), "%s/secret.txt", fx->tmp);
  assert_int_equal(hv_static_server_start(&srv, path, 0, 1, &err), HV_EINVAL);
  assert_non_null(strstr(err.msg, "not a directory"));

  assert_int_equal(hv_static_server_start(&srv, "/", 0, 1, &err), HV_EPOLICY);

  /* A port that is taken is reported with the port in the message. */
  port = hv_static_server_port(fx->srv);
  assert_int_equal(hv_static_server_start(&again, fx->root, port, 1, &err),
                   HV_ECONNECT);
  snprintf(path, sizeof(path), "127.0.0.1:%u", (unsigned)port);
  assert_non_null(strstr(err.msg, path));
  assert_null(again);

  /* A port asked for is the port bound. */
  srv = NULL;
  HV_ASSERT_OK(hv_static_server_start(&srv, fx->root, 0, 1, &err), &err);
  port = hv_static_server_port(srv);
  hv_static_server_stop(srv);
  srv = NULL;
  HV_ASSERT_OK(hv_static_server_start(&srv, fx->root, port, 1, &err), &err);
  assert_int_equal(hv_static_server_port(srv), port);
  hv_static_server_stop(srv);
  hv_static_server_stop(NULL);
}

/*
 * The bundled demo handover points are served as the sources list says:
 * every first page and every page the Hydra links name, and the missing
 * page Brandenburg announces is a 404.
 */
static void serves_the_demo_handover_points(void **state)
{
  static const struct {
    const char *target;
    long status;
    const char *type;
  } cases[] = {
      {"/hh/catalog.ttl", 200, "text/turtle"},
      {"/hh/catalog.ttl?page=2", 200, "text/turtle"},
      {"/hh/catalog.ttl?page=3", 200, "text/turtle"},
      {"/nrw/catalog.rdf", 200, "application/rdf+xml"},
      {"/nrw/catalog.rdf?page=2", 200, "application/rdf+xml"},
      {"/be/catalog.ttl", 200, "text/turtle"},
      {"/be/catalog.ttl?page=2", 200, "text/turtle"},
      {"/bb/catalog.ttl", 200, "text/turtle"},
      {"/bb/catalog.ttl?page=2", 200, "text/turtle"},
      {"/bb/catalog.ttl?page=3", 404, NULL},
      {"/bund/catalog.nt", 200, "application/n-triples"},
  };
  hv_static_server *demo = NULL;
  hv_error err = HV_ERROR_INIT;
  char path[1024], target[512];
  char *tsv, *line, *save = NULL;
  int rows = 0;
  size_t i;
  reply r;

  (void)state;
  snprintf(path, sizeof(path), "%s/www", HV_DEMO_DIR);
  HV_ASSERT_OK(hv_static_server_start(&demo, path, 0, 1, &err), &err);
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    request(demo, "GET", cases[i].target, NULL, &r);
    if (r.status != cases[i].status)
      fail_msg("%s: expected %ld, got %ld", cases[i].target, cases[i].status,
               r.status);
    if (cases[i].type)
      assert_string_equal(r.content_type, cases[i].type);
    reply_fini(&r);
  }

  /* Every path in sources.tsv (third column) is served. */
  snprintf(path, sizeof(path), "%s/sources.tsv", HV_DEMO_DIR);
  assert_non_null(tsv = hv_test_read_file(path, NULL));
  for (line = strtok_r(tsv, "\n", &save); line;
       line = strtok_r(NULL, "\n", &save)) {
    char name[128], st[16], rel[256];

    if (strncmp(line, "name\t", 5) == 0)
      continue;
    assert_int_equal(sscanf(line, "%127[^\t]\t%15[^\t]\t%255[^\t]", name, st,
                            rel),
                     3);
    snprintf(target, sizeof(target), "/%s", rel);
    request(demo, "GET", target, NULL, &r);
    if (r.status != 200)
      fail_msg("source %s: %s gave %ld", name, target, r.status);
    reply_fini(&r);
    rows++;
  }
  hv_free(tsv);
  assert_int_equal(rows, 5);
  hv_static_server_stop(demo);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(serves_bodies_with_content_types),
      cmocka_unit_test(missing_files_and_traversal_are_404),
      cmocka_unit_test(bad_escapes_and_queries_are_400),
      cmocka_unit_test(etag_round_trip_gives_304_and_counts),
      cmocka_unit_test(if_modified_since_gives_304),
      cmocka_unit_test(without_validators_never_304),
      cmocka_unit_test(query_string_maps_to_page_file),
      cmocka_unit_test(head_sends_headers_without_body),
      cmocka_unit_test(other_methods_are_405),
      cmocka_unit_test(serves_many_pages_on_one_connection),
      cmocka_unit_test(start_reports_bad_roots_and_busy_ports),
      cmocka_unit_test(serves_the_demo_handover_points),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, setup, teardown);
  curl_global_cleanup();
  return rc;
}
