/*
 * `govharvest serve` as operators meet it: the real binary on a loopback
 * port, driven over real sockets. A static server on loopback plays a
 * state's handover point. Covers tokens (missing, wrong, other state),
 * bad input (oversized and malformed bodies, invalid cron, loopback and
 * private URLs), checks, triggered runs with their counts, metrics,
 * volumes, the audit trail, the served catalog with validators, catch-up
 * of missed runs, reload on SIGHUP, a slow client that must not hold up
 * others, and a clean stop on SIGTERM. The daemon has a files sink, so
 * every run is followed by an outbox drain that writes the catalog; a
 * run's view carries its findings, and the quality report, a source's
 * findings and the outbox have endpoints of their own.
 *
 * The tests run in order against one daemon (a group fixture).
 */
/* memmem, strcasestr */
#define _GNU_SOURCE

#include "tools/hvtest.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "demo/static_server.h"
#include "tools/fault_server.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

#define DATASETS_P1 3
#define DATASETS_P2 2

typedef struct fixture {
  char *dir;
  char db[600], conf[600], log[600];
  hv_static_server *www;
  hv_fault_server *slow; /* answers after a delay */
  uint16_t port;     /* the daemon's */
  pid_t pid;
  char tok05[80], tok11[80], admin[80];
  char src_url[200]; /* first page of the test catalog */
} fixture;

static fixture F;

/* ---- helpers ------------------------------------------------------------ */

static void assert_contains(const char *haystack, const char *needle)
{
  if (!haystack || !strstr(haystack, needle))
    fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "");
}

static void write_text(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");

  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Runs the binary with args (stdout to out, if not NULL); exit code. */
static int gh(char *out, size_t cap, const char *args)
{
  char cmd[2048], path[700];
  char *text;
  int status;

  snprintf(path, sizeof(path), "%s/cmd.out", F.dir);
  snprintf(cmd, sizeof(cmd), "%s --db %s %s >%s 2>%s/cmd.err </dev/null",
           HV_BINARY, F.db, args, path, F.dir);
  status = system(cmd);
  text = hv_test_read_file(path, NULL);
  assert_non_null(text);
  if (out)
    snprintf(out, cap, "%s", text);
  hv_free(text);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

typedef struct reply {
  long status;
  hv_buf body;
  hv_buf headers;
} reply;

static size_t on_body(char *data, size_t size, size_t n, void *payload)
{
  return hv_buf_add(payload, data, size * n) < 0 ? 0 : size * n;
}

/*
 * One request to the daemon; token and body may be NULL. extra is one
 * more header line or NULL. The reply's buffers are released by
 * reply_fini.
 */
static void http(reply *r, const char *method, const char *path,
                 const char *token, const char *body, const char *extra)
{
  CURL *c = curl_easy_init();
  struct curl_slist *h = NULL;
  char url[512], auth[160];
  CURLcode rc;

  memset(r, 0, sizeof(*r));
  hv_buf_init(&r->body, 64 << 20);
  hv_buf_init(&r->headers, 1 << 16);
  assert_non_null(c);
  snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)F.port,
           path);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r->headers);
  if (token) {
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
    h = curl_slist_append(h, auth);
  }
  if (extra)
    h = curl_slist_append(h, extra);
  if (body) {
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  rc = curl_easy_perform(c);
  if (rc != CURLE_OK)
    fail_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
}

static void reply_fini(reply *r)
{
  hv_buf_fini(&r->body);
  hv_buf_fini(&r->headers);
}

static char *log_text(void);

/* Prints the last max bytes of the daemon's log, which say why a run
 * or the daemon ended. */
static void print_log_tail(size_t max)
{
  char *t = log_text();
  size_t n = strlen(t);

  print_message("daemon log (end):\n%s\n", n > max ? t + n - max : t);
  hv_free(t);
}

/* Asserts the status and that the body holds needle; releases r. */
static void expect(reply *r, long status, const char *needle)
{
  if (r->status != status) {
    print_log_tail(4000);
    fail_msg("expected HTTP %ld, got %ld: %s", status, r->status,
             r->body.ptr ? r->body.ptr : "");
  }
  if (needle)
    assert_contains(r->body.ptr, needle);
  reply_fini(r);
}

/* The JSON body of r (json_decref it); fails on anything else. */
static json_t *json_of(const reply *r)
{
  json_error_t e;
  json_t *doc = json_loadb(r->body.ptr ? r->body.ptr : "", r->body.len, 0,
                           &e);

  if (!doc)
    fail_msg("not JSON (%s): %s", e.text, r->body.ptr ? r->body.ptr : "");
  return doc;
}

static void write_config(int allow_loopback, const char *extra)
{
  char text[2048];

  snprintf(text, sizeof(text),
           "# written by serve_test\n"
           "db = %s\n"
           "listen = 127.0.0.1:%u\n"
           "schedule = 0 3 * * *\n"
           "schedule.catchup = 0 * * * *\n"
           "jitter = 0\n"
           "max_concurrent_runs = 2\n"
           "max_request_body = 4096\n"
           "connection_timeout = 2\n"
           "api_threads = 2\n"
           "allow_loopback = %s\n"
           "profiles = %s/profiles\n"
           "catalog = yes\n"
           "catalog_page_size = 2\n"
           "sinks = %s/sinks.conf\n"
           "%s",
           F.db, (unsigned)F.port, allow_loopback ? "yes" : "no",
           HV_SOURCE_DIR, F.dir, extra ? extra : "");
  write_text(F.conf, text);
}

static uint16_t free_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

static double now_s(void)
{
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The daemon's log so far ("" before it wrote anything). */
static char *log_text(void)
{
  char *t = hv_test_read_file(F.log, NULL);

  if (!t)
    t = hv_strdup("");
  assert_non_null(t);
  return t;
}

/* Waits up to seconds for the daemon's log to contain needle. */
static int wait_log(const char *needle, double seconds)
{
  double end = now_s() + seconds;

  while (now_s() < end) {
    char *t = log_text();
    int found = strstr(t, needle) != NULL;
    hv_free(t);
    if (found)
      return 1;
    usleep(50000);
  }
  return 0;
}

/* Counts occurrences of needle in the log. */
static int log_count(const char *needle)
{
  char *t = log_text(), *p = t;
  int n = 0;

  while ((p = strstr(p, needle))) {
    n++;
    p++;
  }
  hv_free(t);
  return n;
}

/* ---- fixture ---------------------------------------------------------- */

/* Writes a two-page Hydra catalog into DIR/www/be/. */
static void write_catalog(void)
{
  char path[700], text[8192];
  hv_buf b = HV_BUF_INIT(1 << 16);
  int i;

  snprintf(path, sizeof(path), "%s/www", F.dir);
  assert_int_equal(mkdir(path, 0755), 0);
  snprintf(path, sizeof(path), "%s/www/be", F.dir);
  assert_int_equal(mkdir(path, 0755), 0);
  for (i = 0; i < 2; i++) {
    int k, from = i == 0 ? 0 : DATASETS_P1;
    int to = i == 0 ? DATASETS_P1 : DATASETS_P1 + DATASETS_P2;
    hv_buf_reset(&b);
    hv_buf_addstr(&b, "@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
                      "@prefix dct: <http://purl.org/dc/terms/> .\n"
                      "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
                      "<http://daten.example/catalog> a dcat:Catalog .\n");
    if (i == 0)
      hv_buf_addstr(&b, "<http://daten.example/catalog?page=1> a "
                        "hydra:PartialCollectionView ;\n"
                        "  hydra:next <catalog.ttl?page=2> .\n");
    for (k = from; k < to; k++)
      hv_buf_addf(&b,
                  "<http://daten.example/ds/%d> a dcat:Dataset ;\n"
                  "  dct:title \"Datensatz %d\" ;\n"
                  "  dct:license \"dl-by-de/2.0\" ;\n"
                  "  dcat:distribution [ a dcat:Distribution ;\n"
                  "    dcat:accessURL <http://daten.example/f/%d.csv> ] .\n",
                  k, k, k);
    snprintf(path, sizeof(path), "%s/www/be/catalog.ttl%s", F.dir,
             i == 0 ? "" : "@page=2");
    snprintf(text, sizeof(text), "%s", b.ptr);
    write_text(path, text);
  }
  hv_buf_fini(&b);
}

static void start_daemon(void)
{
  reply r;
  double end;
  int fd;

  F.pid = fork();
  assert_true(F.pid >= 0);
  if (F.pid == 0) {
    fd = open(F.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    execl(HV_BINARY, "govharvest", "serve", "--config", F.conf,
          (char *)NULL);
    _exit(127);
  }
  end = now_s() + 15;
  while (!wait_log("\"event\":\"listening\"", 0.1)) {
    int status;
    if (waitpid(F.pid, &status, WNOHANG) == F.pid) {
      char *t = log_text();
      fail_msg("daemon exited at start:\n%s", t);
    }
    if (now_s() > end)
      fail_msg("daemon did not start listening");
  }
  http(&r, "GET", "/healthz", NULL, NULL, NULL);
  expect(&r, 200, "\"ok\"");
}

static void read_token(const char *args, char *out, size_t cap)
{
  char text[200];
  size_t n;

  assert_int_equal(gh(text, sizeof(text), args), 0);
  n = strlen(text);
  while (n && (text[n - 1] == '\n'))
    text[--n] = '\0';
  assert_int_equal(n, 68);
  assert_memory_equal(text, "ghv_", 4);
  snprintf(out, cap, "%s", text);
}

static int group_setup(void **state)
{
  hv_error err = HV_ERROR_INIT;
  char args[600];
  sqlite3 *db;

  (void)state;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  memset(&F, 0, sizeof(F));
  assert_non_null(F.dir = hv_test_tmpdir());
  snprintf(F.db, sizeof(F.db), "%s/store.db", F.dir);
  snprintf(F.conf, sizeof(F.conf), "%s/serve.conf", F.dir);
  snprintf(F.log, sizeof(F.log), "%s/serve.log", F.dir);
  write_catalog();
  snprintf(args, sizeof(args), "%s/www", F.dir);
  HV_ASSERT_OK(hv_static_server_start(&F.www, args, 0, 1, &err), &err);
  HV_ASSERT_OK(hv_fault_server_start(&F.slow, &err), &err);
  snprintf(F.src_url, sizeof(F.src_url), "http://127.0.0.1:%u/be/catalog.ttl",
           (unsigned)hv_static_server_port(F.www));

  read_token("token create --state 11 --label 'Berlin ops'", F.tok11,
             sizeof(F.tok11));
  read_token("token create --state 05", F.tok05, sizeof(F.tok05));
  read_token("token create --admin", F.admin, sizeof(F.admin));

  /* A source registered long ago whose hourly runs were all missed while
   * the daemon was down: it must run once at start-up, not 72 times. */
  snprintf(args, sizeof(args), "source add catchup --state 05 --url %s",
           F.src_url);
  assert_int_equal(gh(NULL, 0, args), 0);
  assert_int_equal(sqlite3_open(F.db, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "UPDATE source SET created_at = "
                                "created_at - 3 * 86400",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);

  /* The files sink writes the published catalog into DIR/export. */
  snprintf(args, sizeof(args), "%s/export", F.dir);
  assert_int_equal(mkdir(args, 0755), 0);
  {
    char path[700], text[1000];
    snprintf(path, sizeof(path), "%s/sinks.conf", F.dir);
    snprintf(text, sizeof(text),
             "[sink export]\ntype = files\ndir = %s\npage_size = 2\n",
             args);
    write_text(path, text);
  }
  F.port = free_port();
  write_config(1, NULL);
  start_daemon();
  *state = &F;
  return 0;
}

static int group_teardown(void **state)
{
  int status;

  (void)state;
  if (F.pid > 0) {
    kill(F.pid, SIGKILL);
    waitpid(F.pid, &status, 0);
  }
  hv_static_server_stop(F.www);
  hv_fault_server_stop(F.slow);
  hv_test_rmtree(F.dir);
  hv_free(F.dir);
  curl_global_cleanup();
  return 0;
}

/* Waits until the newest run of source is no longer running; returns
 * its JSON (json_decref it). */
static json_t *wait_run(const char *source, const char *token)
{
  double end = now_s() + 30;
  char path[200];

  snprintf(path, sizeof(path), "/api/sources/%s/runs?limit=1", source);
  while (now_s() < end) {
    reply r;
    json_t *doc, *run;
    http(&r, "GET", path, token, NULL, NULL);
    assert_int_equal(r.status, 200);
    doc = json_of(&r);
    reply_fini(&r);
    run = json_array_get(json_object_get(doc, "runs"), 0);
    if (run && strcmp(json_string_value(json_object_get(run, "status")),
                      "running") != 0) {
      json_incref(run);
      json_decref(doc);
      return run;
    }
    json_decref(doc);
    usleep(100000);
  }
  fail_msg("no finished run of %s", source);
  return NULL;
}

static json_int_t count_of(json_t *run, const char *key)
{
  return json_integer_value(json_object_get(json_object_get(run, "counts"),
                                            key));
}

/* ---- tests ----------------------------------------------------------- */

static void health_and_readiness(void **state)
{
  reply r;

  (void)state;
  http(&r, "GET", "/healthz", NULL, NULL, NULL);
  expect(&r, 200, "ok");
  http(&r, "GET", "/readyz", NULL, NULL, NULL);
  expect(&r, 200, "ready");
  http(&r, "GET", "/nothing-here", NULL, NULL, NULL);
  expect(&r, 404, "nothing at /nothing-here");
}

/* Whether the file at path (binary) holds needle. */
static int file_holds(const char *path, const char *needle)
{
  size_t len = 0;
  char *t = hv_test_read_file(path, &len);
  int found;

  if (!t)
    return 0;
  found = memmem(t, len, needle, strlen(needle)) != NULL;
  hv_free(t);
  return found;
}

static void tokens_are_stored_only_as_hashes(void **state)
{
  char wal[700], out[4096], hash[HV_SHA256_HEX_LEN + 1];

  (void)state;
  snprintf(wal, sizeof(wal), "%s-wal", F.db);
  hv_sha256_hex(F.tok05, strlen(F.tok05), hash);
  /* The search finds what is there (the hash) ... */
  assert_true(file_holds(F.db, hash) || file_holds(wal, hash));
  /* ... and the secret is in neither the file nor its log. */
  assert_false(file_holds(F.db, F.tok05 + 4));
  assert_false(file_holds(wal, F.tok05 + 4));
  assert_int_equal(gh(out, sizeof(out), "token list"), 0);
  assert_contains(out, "Berlin ops");
  assert_contains(out, "admin");
  assert_null(strstr(out, F.tok05));
}

static void missing_and_wrong_tokens_are_refused(void **state)
{
  char wrong[80];
  reply r;

  (void)state;
  http(&r, "GET", "/api/sources", NULL, NULL, NULL);
  expect(&r, 401, "missing bearer token");
  http(&r, "GET", "/api/sources", NULL, NULL, "Authorization: Basic eDp5");
  expect(&r, 401, "missing bearer token");
  snprintf(wrong, sizeof(wrong), "%s", F.tok05);
  wrong[10] = wrong[10] == 'a' ? 'b' : 'a';
  http(&r, "GET", "/api/sources", wrong, NULL, NULL);
  expect(&r, 401, "token is not known or was revoked");
  http(&r, "GET", "/api/sources", "ghv_short", NULL, NULL);
  expect(&r, 401, "token is not known");
}

static void a_revoked_token_stops_working(void **state)
{
  char tok[80], out[200];
  reply r;

  (void)state;
  read_token("token create --state 02", tok, sizeof(tok));
  http(&r, "GET", "/api/whoami", tok, NULL, NULL);
  expect(&r, 200, "\"scope\":\"02\"");
  /* The fourth token made: 11, 05, admin, then this one. */
  assert_int_equal(gh(out, sizeof(out), "token revoke 4"), 0);
  assert_contains(out, "token 4 revoked");
  http(&r, "GET", "/api/whoami", tok, NULL, NULL);
  expect(&r, 401, "token is not known or was revoked");
  assert_int_equal(gh(out, sizeof(out), "token revoke 4"), 1);
  assert_int_equal(gh(out, sizeof(out), "token list"), 0);
  assert_contains(out, "revoked");
}

static void catch_up_runs_once_after_downtime(void **state)
{
  json_t *run;

  (void)state;
  run = wait_run("catchup", F.tok05);
  assert_string_equal(json_string_value(json_object_get(run, "status")),
                      "ok");
  assert_int_equal(count_of(run, "datasets_new"), DATASETS_P1 + DATASETS_P2);
  json_decref(run);
  assert_true(wait_log("\"trigger\":\"catch-up\"", 5));
  /* Two more scheduler ticks start nothing else. */
  sleep(2);
  assert_int_equal(log_count("\"event\":\"run_started\""), 1);
}

static void a_state_registers_checks_and_runs_its_source(void **state)
{
  char body[600];
  json_t *doc, *run, *sample;
  reply r;

  (void)state;
  snprintf(body, sizeof(body), "{\"url\": \"%s\"}", F.src_url);
  http(&r, "POST", "/api/check", F.tok11, body, NULL);
  assert_int_equal(r.status, 200);
  doc = json_of(&r);
  reply_fini(&r);
  assert_true(json_is_true(json_object_get(doc, "ok")));
  assert_string_equal(json_string_value(json_object_get(doc, "syntax")),
                      "turtle");
  assert_int_equal(json_integer_value(json_object_get(doc, "datasets")),
                   DATASETS_P1);
  assert_true(json_is_true(json_object_get(doc, "paged")));
  assert_contains(json_string_value(json_object_get(doc, "next_page")),
                  "catalog.ttl?page=2");
  sample = json_array_get(json_object_get(doc, "sample"), 0);
  assert_non_null(sample);
  /* The sample is assessed as a run would: the map stage's repair of
   * the licence alias and the check stage's findings on the result. */
  {
    json_t *finding;
    size_t k;
    int map_rules = 0, check_rules = 0;

    json_array_foreach(json_object_get(sample, "findings"), k, finding) {
      const char *rule = json_string_value(json_object_get(finding, "rule"));
      map_rules += strncmp(rule, "map.", 4) == 0;
      check_rules += strncmp(rule, "check.", 6) == 0;
      assert_true(
          json_string_length(json_object_get(finding, "message_de")));
    }
    assert_true(map_rules > 0);
    assert_true(check_rules > 0);
  }
  json_decref(doc);

  snprintf(body, sizeof(body),
           "{\"name\": \"be-open\", \"url\": \"%s\", \"format\": \"turtle\","
           " \"schedule\": \"15 4 * * 1-5\"}",
           F.src_url);
  http(&r, "POST", "/api/sources", F.tok11, body, NULL);
  assert_int_equal(r.status, 201);
  doc = json_of(&r);
  reply_fini(&r);
  assert_string_equal(json_string_value(json_object_get(doc, "state")), "11");
  assert_string_equal(json_string_value(json_object_get(doc, "schedule")),
                      "15 4 * * 1-5");
  assert_string_equal(
      json_string_value(json_object_get(doc, "schedule_from")), "source");
  json_decref(doc);
  http(&r, "POST", "/api/sources", F.tok11, body, NULL);
  expect(&r, 409, "already exists");

  http(&r, "POST", "/api/sources/be-open/run", F.tok11, "", NULL);
  expect(&r, 202, "queued");
  run = wait_run("be-open", F.tok11);
  assert_string_equal(json_string_value(json_object_get(run, "status")),
                      "ok");
  assert_int_equal(count_of(run, "pages_fetched"), 2);
  assert_int_equal(count_of(run, "datasets_new"), DATASETS_P1 + DATASETS_P2);
  assert_string_equal(json_string_value(json_object_get(run, "state")), "11");
  json_decref(run);
  assert_true(wait_log("\"event\":\"run_finished\"", 5));
  assert_true(wait_log("\"msg\":\"source be-open: page ", 5));
  /* Each page fetch is its own JSON line, from the harvest's observer:
   * two of this run, two of the catch-up run before. */
  {
    char needle[400];
    snprintf(needle, sizeof(needle),
             "{\"source\":\"be-open\",\"state\":\"11\",\"url\":\"%s?page=2\","
             "\"status\":200,\"not_modified\":false,\"bytes\":",
             F.src_url);
    assert_true(wait_log(needle, 5));
    assert_int_equal(log_count("\"event\":\"page_fetched\"}"), 4);
  }
}

/* One integer from the store, read behind the daemon's back. */
static long long db_int(const char *sql)
{
  sqlite3 *db;
  sqlite3_stmt *st;
  long long v;

  assert_int_equal(sqlite3_open(F.db, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* GETs path with token, expects 200 and returns the JSON body. */
static json_t *get_json(const char *path, const char *token)
{
  reply r;
  json_t *doc;

  http(&r, "GET", path, token, NULL, NULL);
  if (r.status != 200)
    fail_msg("GET %s: %ld %s", path, r.status, r.body.ptr);
  doc = json_of(&r);
  reply_fini(&r);
  return doc;
}

static void a_runs_view_shows_its_findings(void **state)
{
  char path[100];
  json_t *runs, *run, *f, *rule;
  json_int_t id, sum = 0;
  size_t i;
  long long stored;
  reply r;

  (void)state;
  runs = get_json("/api/sources/be-open/runs?limit=1", F.tok11);
  id = json_integer_value(
      json_object_get(json_array_get(json_object_get(runs, "runs"), 0), "id"));
  json_decref(runs);
  assert_true(id > 0);
  snprintf(path, sizeof(path), "/api/runs/%lld", (long long)id);
  run = get_json(path, F.tok11);
  f = json_object_get(run, "findings");
  assert_non_null(f);
  /* The run wrote all five datasets; each came with findings. */
  assert_int_equal(json_integer_value(json_object_get(f, "datasets")),
                   DATASETS_P1 + DATASETS_P2);
  stored = db_int("SELECT count(*) FROM finding f JOIN dataset d ON d.id ="
                  " f.dataset_id JOIN source s ON s.id = d.source_id"
                  " WHERE s.name = 'be-open'");
  assert_true(stored > 0);
  json_t *sev = json_object_get(f, "by_severity");
  assert_int_equal(json_integer_value(json_object_get(sev, "violation")) +
                       json_integer_value(json_object_get(sev, "warning")) +
                       json_integer_value(json_object_get(sev, "info")),
                   stored);
  assert_int_equal(
      json_integer_value(json_object_get(f, "with_violations")),
      db_int("SELECT count(*) FROM dataset d JOIN source s ON s.id ="
             " d.source_id WHERE s.name = 'be-open' AND d.violations > 0"));
  assert_true(json_array_size(json_object_get(f, "top_rules")) > 0);
  json_array_foreach(json_object_get(f, "top_rules"), i, rule) {
    assert_true(json_string_length(json_object_get(rule, "rule")) > 0);
    assert_true(json_integer_value(json_object_get(rule, "datasets")) <=
                DATASETS_P1 + DATASETS_P2);
    sum += json_integer_value(json_object_get(rule, "findings"));
  }
  assert_true(sum > 0 && sum <= stored);
  json_decref(run);
  /* Another state's token does not see the run at all. */
  http(&r, "GET", path, F.tok05, NULL, NULL);
  expect(&r, 404, "no run");
}

static void a_sources_findings_are_paged(void **state)
{
  json_t *p1, *p3, *ds, *item;
  const char *first_key;
  size_t i;
  reply r;

  (void)state;
  p1 = get_json("/api/sources/be-open/findings?page_size=2", F.tok11);
  assert_int_equal(json_integer_value(json_object_get(p1, "total")),
                   DATASETS_P1 + DATASETS_P2);
  assert_int_equal(json_array_size(json_object_get(p1, "datasets")), 2);
  ds = json_array_get(json_object_get(p1, "datasets"), 0);
  first_key = json_string_value(json_object_get(ds, "key"));
  assert_non_null(first_key);
  assert_contains(json_string_value(json_object_get(ds, "uri")),
                  "http://daten.example/ds/");
  assert_true(json_array_size(json_object_get(ds, "findings")) > 0);
  json_array_foreach(json_object_get(ds, "findings"), i, item) {
    assert_true(json_string_length(json_object_get(item, "rule")) > 0);
    assert_true(json_string_length(json_object_get(item, "message")) > 0);
  }
  /* The last page holds the fifth dataset, none seen before. */
  p3 = get_json("/api/sources/be-open/findings?page_size=2&page=3",
                F.tok11);
  assert_int_equal(json_array_size(json_object_get(p3, "datasets")), 1);
  assert_string_not_equal(
      json_string_value(json_object_get(
          json_array_get(json_object_get(p3, "datasets"), 0), "key")),
      first_key);
  json_decref(p3);
  json_decref(p1);
  http(&r, "GET", "/api/sources/be-open/findings?page=0", F.tok11, NULL,
       NULL);
  expect(&r, 400, "page must be a number in 1..");
  http(&r, "GET", "/api/sources/be-open/findings?page_size=9999", F.tok11,
       NULL, NULL);
  expect(&r, 400, "page_size must be a number in 1..200");
  http(&r, "GET", "/api/sources/be-open/findings", F.tok05, NULL, NULL);
  expect(&r, 404, "no source named 'be-open' in state 05");
}

static void quality_report_is_scoped_by_token(void **state)
{
  json_t *doc, *row;
  json_int_t findings = 0;
  size_t i;
  reply r;

  (void)state;
  doc = get_json("/api/reports/quality", F.tok11);
  assert_string_equal(json_string_value(json_object_get(doc, "state")),
                      "11");
  assert_true(json_array_size(json_object_get(doc, "totals")) > 0);
  json_array_foreach(json_object_get(doc, "totals"), i, row)
    assert_string_equal(json_string_value(json_object_get(row, "state")),
                        "11");
  json_array_foreach(json_object_get(doc, "rules"), i, row) {
    assert_string_equal(json_string_value(json_object_get(row, "state")),
                        "11");
    assert_string_equal(json_string_value(json_object_get(row, "source")),
                        "be-open");
    findings += json_integer_value(json_object_get(row, "findings"));
  }
  /* The same numbers as the store holds for the source's datasets. */
  assert_int_equal(findings,
                   db_int("SELECT count(*) FROM finding f JOIN dataset d"
                          " ON d.id = f.dataset_id JOIN source s ON s.id ="
                          " d.source_id WHERE s.name = 'be-open'"
                          " AND d.status = 'active'"));
  json_decref(doc);
  http(&r, "GET", "/api/reports/quality?state=05", F.tok11, NULL, NULL);
  expect(&r, 403, "sees only its own state");
  http(&r, "GET", "/api/reports/quality?state=99", F.admin, NULL, NULL);
  expect(&r, 400, "state must be 01..16 or bund");
  /* The admin sees every state, or one it asks for. */
  doc = get_json("/api/reports/quality?state=05", F.admin);
  assert_true(json_array_size(json_object_get(doc, "totals")) > 0);
  json_array_foreach(json_object_get(doc, "totals"), i, row)
    assert_string_equal(json_string_value(json_object_get(row, "source")),
                        "catchup");
  json_decref(doc);
  doc = get_json("/api/reports/quality", F.admin);
  assert_true(json_array_size(json_object_get(doc, "totals")) >= 2);
  json_decref(doc);
}

static void the_outbox_is_drained_after_each_run(void **state)
{
  char path[700];
  json_t *doc, *sink;
  char *nt;
  reply r;
  int k;

  (void)state;
  assert_true(wait_log("{\"after\":\"be-open\",\"done\":", 5));
  assert_true(log_count("\"event\":\"outbox_drained\"}") >= 2);
  /* The files sink wrote the published catalog with the harvested
   * datasets. */
  snprintf(path, sizeof(path), "%s/export/catalog.nt", F.dir);
  nt = hv_test_read_file(path, NULL);
  assert_non_null(nt);
  for (k = 0; k < DATASETS_P1 + DATASETS_P2; k++) {
    char iri[80];
    snprintf(iri, sizeof(iri), "<http://daten.example/ds/%d>", k);
    assert_contains(nt, iri);
  }
  hv_free(nt);
  doc = get_json("/api/outbox", F.admin);
  sink = json_array_get(json_object_get(doc, "sinks"), 0);
  assert_non_null(sink);
  assert_string_equal(json_string_value(json_object_get(sink, "name")),
                      "export");
  assert_string_equal(json_string_value(json_object_get(sink, "type")),
                      "files");
  assert_int_equal(json_integer_value(json_object_get(sink, "pending")), 0);
  assert_int_equal(json_integer_value(json_object_get(sink, "parked")), 0);
  assert_int_equal(
      json_integer_value(json_object_get(sink, "done")),
      db_int("SELECT count(*) FROM outbox WHERE sink = 'export'"
             " AND state = 'done'"));
  assert_true(json_integer_value(json_object_get(sink, "done")) > 0);
  assert_true(json_integer_value(json_object_get(doc, "drains")) >= 2);
  assert_true(json_is_object(json_object_get(doc, "last_drain")));
  json_decref(doc);
  http(&r, "GET", "/api/outbox", F.tok11, NULL, NULL);
  expect(&r, 403, "needs an admin token");
}

static void another_states_sources_stay_hidden(void **state)
{
  reply r;
  json_t *doc;

  (void)state;
  http(&r, "GET", "/api/sources", F.tok05, NULL, NULL);
  assert_int_equal(r.status, 200);
  doc = json_of(&r);
  reply_fini(&r);
  /* 05 sees its own catch-up source only. */
  assert_int_equal(json_array_size(json_object_get(doc, "sources")), 1);
  json_decref(doc);
  http(&r, "GET", "/api/sources/be-open", F.tok05, NULL, NULL);
  expect(&r, 404, "no source named 'be-open' in state 05");
  http(&r, "PATCH", "/api/sources/be-open", F.tok05, "{\"enabled\": false}",
       NULL);
  expect(&r, 404, "in state 05");
  http(&r, "DELETE", "/api/sources/be-open", F.tok05, NULL, NULL);
  expect(&r, 404, "in state 05");
  http(&r, "POST", "/api/sources/be-open/run", F.tok05, "", NULL);
  expect(&r, 404, "in state 05");
  http(&r, "GET", "/api/runs?source=be-open", F.tok05, NULL, NULL);
  expect(&r, 200, "{\"runs\":[]}");
  http(&r, "POST", "/api/sources", F.tok05,
       "{\"name\": \"sneaky\", \"state\": \"11\", "
       "\"url\": \"http://127.0.0.1:9/x.ttl\"}",
       NULL);
  expect(&r, 403, "token is for state 05 and cannot give a source to state "
                  "11");
  http(&r, "GET", "/api/reports/volumes", F.tok05, NULL, NULL);
  assert_int_equal(r.status, 200);
  assert_null(strstr(r.body.ptr, "\"state\":\"11\""));
  expect(&r, 200, "\"state\":\"05\"");
  /* The admin sees both. */
  http(&r, "GET", "/api/sources", F.admin, NULL, NULL);
  assert_contains(r.body.ptr, "be-open");
  expect(&r, 200, "catchup");
  http(&r, "GET", "/api/reports/volumes?from=2000-01-01", F.admin, NULL,
       NULL);
  assert_contains(r.body.ptr, "\"state\":\"11\"");
  expect(&r, 200, "\"state\":\"05\"");
  http(&r, "GET", "/api/reports/volumes?from=yesterday", F.admin, NULL, NULL);
  expect(&r, 400, "dates YYYY-MM-DD");
}

static void bad_bodies_get_clear_errors(void **state)
{
  static const struct {
    const char *body;
    long status;
    const char *msg;
  } cases[] = {
      {"{\"name\": \"x\",", 400, "malformed JSON at line 1"},
      {"[1, 2]", 400, "must be a JSON object"},
      {"", 400, "request body is empty"},
      {"{\"name\": \"x\", \"name\": \"y\", \"url\": \"http://a.example/\"}",
       400, "malformed JSON"},
      {"{\"name\": \"x\", \"colour\": 1}", 400, "unknown field 'colour'"},
      {"{\"name\": 5, \"url\": \"http://a.example/\"}", 400,
       "field 'name' must be a string"},
      {"{\"name\": \"x\"}", 400, "field 'url' is required"},
      {"{\"name\": \"x y\", \"url\": \"http://a.example/\"}", 400,
       "source name 'x y' is invalid"},
      {"{\"name\": \"x\", \"url\": \"ftp://a.example/\"}", 400,
       "must start with http:// or https://"},
      {"{\"name\": \"x\", \"url\": \"http://a.example/\", \"priority\": "
       "\"high\"}",
       400, "field 'priority' must be an integer"},
      {"{\"name\": \"x\", \"url\": \"http://a.example/\", \"format\": "
       "\"json\"}",
       400, "format hint 'json' is invalid"},
      {"{\"name\": \"x\", \"url\": \"http://a.example/\", \"schedule\": "
       "\"61 * * * *\"}",
       400, "field 'schedule': cron '61 * * * *': minute 61 is out of range"},
      {"{\"name\": \"x\", \"url\": \"http://a.example/\", \"schedule\": "
       "\"every day\"}",
       400, "has 2 fields, needs 5"},
      {"{\"name\": \"x\", \"url\": \"http://10.1.2.3/c.ttl\"}", 422,
       "address 10.1.2.3 refused by policy (private)"},
      {"{\"name\": \"x\", \"url\": \"http://192.168.7.1/c.ttl\"}", 422,
       "refused by policy"},
      {"{\"name\": \"x\", \"url\": \"http://[fd00::1]/c.ttl\"}", 422,
       "refused by policy"},
  };
  size_t i;
  reply r;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    http(&r, "POST", "/api/sources", F.tok05, cases[i].body, NULL);
    if (r.status != cases[i].status || !strstr(r.body.ptr, cases[i].msg))
      fail_msg("case %zu (%s): got %ld %s", i, cases[i].body, r.status,
               r.body.ptr);
    reply_fini(&r);
  }
  http(&r, "PATCH", "/api/sources/catchup", F.tok05, "{\"name\": \"other\"}",
       NULL);
  expect(&r, 400, "field 'name' cannot change");
  http(&r, "PATCH", "/api/sources/catchup", F.tok05,
       "{\"schedule\": \"* * * *\"}", NULL);
  expect(&r, 400, "has 4 fields");
  http(&r, "POST", "/api/check", F.tok05, "{\"url\": 3}", NULL);
  expect(&r, 400, "field 'url' is required and must be a string");
  http(&r, "PUT", "/api/check", F.tok05, "{}", NULL);
  expect(&r, 405, "use POST");
  http(&r, "GET", "/api/runs/abc", F.tok05, NULL, NULL);
  expect(&r, 404, "no run 'abc'");
  http(&r, "GET", "/api/runs?limit=0", F.tok05, NULL, NULL);
  expect(&r, 400, "limit must be a number in 1..500");
}

static void oversized_bodies_are_refused(void **state)
{
  hv_buf big = HV_BUF_INIT(1 << 20);
  reply r;
  int i;

  (void)state;
  hv_buf_addstr(&big, "{\"name\": \"big\", \"url\": \"http://a.example/\", "
                      "\"contributor\": \"http://x.example/");
  for (i = 0; i < 5000; i++)
    hv_buf_addc(&big, 'a');
  hv_buf_addstr(&big, "\"}");
  http(&r, "POST", "/api/sources", F.tok05, big.ptr, NULL);
  expect(&r, 413, "over the limit of 4096 bytes");
  hv_buf_fini(&big);
  /* The daemon is still well. */
  http(&r, "GET", "/api/whoami", F.tok05, NULL, NULL);
  expect(&r, 200, "\"scope\":\"05\"");
}

static void loopback_refused_until_allowed_by_reload(void **state)
{
  char body[600];
  reply r;

  (void)state;
  write_config(0, NULL);
  assert_int_equal(kill(F.pid, SIGHUP), 0);
  assert_true(wait_log("\"event\":\"reloaded\"", 5));
  snprintf(body, sizeof(body), "{\"name\": \"loop\", \"url\": \"%s\"}",
           F.src_url);
  http(&r, "POST", "/api/sources", F.tok05, body, NULL);
  expect(&r, 422, "address 127.0.0.1 refused by policy (loopback)");
  http(&r, "POST", "/api/sources", F.tok05,
       "{\"name\": \"loop\", \"url\": \"http://localhost:9/x.ttl\"}", NULL);
  expect(&r, 422, "refused by policy (loopback)");
  {
    char check[600];
    snprintf(check, sizeof(check), "{\"url\": \"%s\"}", F.src_url);
    http(&r, "POST", "/api/check", F.tok05, check, NULL);
    expect(&r, 422, "refused by policy (loopback)");
  }

  /* A broken file keeps the running settings. */
  write_text(F.conf, "jitter = sometimes\n");
  assert_int_equal(kill(F.pid, SIGHUP), 0);
  assert_true(wait_log("serve.conf:1: jitter must be a whole number", 5));
  http(&r, "POST", "/api/sources", F.tok05, body, NULL);
  expect(&r, 422, "loopback");

  write_config(1, NULL);
  assert_int_equal(kill(F.pid, SIGHUP), 0);
  assert_true(wait_log("\"event\":\"reloaded\"", 5));
  /* Two reloads succeeded; wait for the second. */
  {
    double end = now_s() + 5;
    while (log_count("\"event\":\"reloaded\"") < 2 && now_s() < end)
      usleep(50000);
  }
  http(&r, "POST", "/api/sources", F.tok05, body, NULL);
  expect(&r, 201, "\"name\":\"loop\"");
}

static void changes_are_audited(void **state)
{
  reply r;
  json_t *doc, *rows, *row;
  size_t i;
  int create = 0, trigger = 0;

  (void)state;
  http(&r, "DELETE", "/api/sources/loop", F.tok05, NULL, NULL);
  expect(&r, 200, "\"deleted\":true");
  http(&r, "GET", "/api/sources/loop", F.tok05, NULL, NULL);
  expect(&r, 404, "no source named 'loop'");

  http(&r, "GET", "/api/audit", F.tok11, NULL, NULL);
  assert_int_equal(r.status, 200);
  doc = json_of(&r);
  reply_fini(&r);
  rows = json_object_get(doc, "audit");
  json_array_foreach(rows, i, row) {
    const char *action = json_string_value(json_object_get(row, "action"));
    assert_string_equal(json_string_value(json_object_get(row, "state")),
                        "11");
    if (strcmp(action, "token.create") == 0)
      assert_string_equal(json_string_value(json_object_get(row, "actor")),
                          "cli");
    else
      assert_contains(json_string_value(json_object_get(row, "actor")),
                      "token 1 (11)");
    create += strcmp(action, "source.create") == 0;
    trigger += strcmp(action, "run.trigger") == 0;
  }
  assert_int_equal(create, 1);
  assert_int_equal(trigger, 1);
  json_decref(doc);

  http(&r, "GET", "/api/audit", F.admin, NULL, NULL);
  assert_contains(r.body.ptr, "\"action\":\"source.delete\"");
  assert_contains(r.body.ptr, "\"action\":\"token.create\"");
  expect(&r, 200, "\"actor\":\"cli\"");
}

static void metrics_count_runs_pages_and_datasets(void **state)
{
  reply r;

  (void)state;
  http(&r, "GET", "/metrics", NULL, NULL, NULL);
  assert_contains(r.headers.ptr, "text/plain; version=0.0.4");
  assert_contains(r.body.ptr, "govharvest_runs{status=\"ok\"} 2\n");
  assert_contains(r.body.ptr, "govharvest_pages_total{source=\"be-open\","
                              "outcome=\"fetched\"} 2\n");
  assert_contains(r.body.ptr, "govharvest_pages_total{source=\"be-open\","
                              "outcome=\"failed\"} 0\n");
  /* Both sources deliver the same five datasets: the copies of the
   * source that came first stay active, the later ones are superseded. */
  assert_contains(r.body.ptr, "govharvest_datasets{state=\"05\","
                              "status=\"active\"} 5\n");
  assert_contains(r.body.ptr, "govharvest_datasets{state=\"11\","
                              "status=\"superseded\"} 5\n");
  assert_contains(r.body.ptr, "govharvest_outbox_depth{sink=\"export\","
                              "state=\"pending\"} 0\n");
  assert_contains(r.body.ptr, "govharvest_outbox_depth{sink=\"export\","
                              "state=\"parked\"} 0\n");
  assert_contains(r.body.ptr, "\ngovharvest_daemon_outbox_drains_total 2\n");
  /* Four harvest page fetches so far (two runs of two pages), each in
   * the histogram; the endpoint check's fetch is counted apart. */
  assert_contains(r.body.ptr, "govharvest_fetch_duration_seconds_bucket{"
                              "kind=\"harvest\",le=\"+Inf\"} 4\n");
  assert_contains(r.body.ptr, "govharvest_fetch_duration_seconds_count{"
                              "kind=\"harvest\"} 4\n");
  assert_contains(r.body.ptr, "govharvest_fetch_duration_seconds_count{"
                              "kind=\"check\"} ");
  assert_contains(r.body.ptr,
                  "govharvest_daemon_runs_finished_total{status=\"ok\"} 2\n");
  expect(&r, 200, "govharvest_run_duration_seconds_count 2\n");
}

/* The value of header name in r's headers, copied into out. */
static void header_value(const reply *r, const char *name, char *out,
                         size_t cap)
{
  const char *p = strcasestr(r->headers.ptr, name);
  size_t n = 0;

  assert_non_null(p);
  p += strlen(name);
  while (*p == ' ' || *p == ':')
    p++;
  while (p[n] && p[n] != '\r' && p[n] != '\n' && n + 1 < cap)
    n++;
  memcpy(out, p, n);
  out[n] = '\0';
}

static void catalog_is_served_with_validators(void **state)
{
  char etag[200], line[300], lm[100];
  reply r;

  (void)state;
  /* Ten active datasets (two sources of five, each under its own
   * source), two a page: five pages. */
  http(&r, "GET", "/catalog.ttl", NULL, NULL, NULL);
  assert_int_equal(r.status, 200);
  assert_contains(r.headers.ptr, "text/turtle");
  assert_contains(r.body.ptr, "hydra:PartialCollectionView");
  assert_contains(r.body.ptr, "catalog.ttl?page=2>");
  assert_contains(r.body.ptr, "hydra:totalItems 10");
  assert_contains(r.body.ptr, "dcat:Catalog");
  assert_null(strstr(r.body.ptr, "hydra:previous"));
  header_value(&r, "ETag", etag, sizeof(etag));
  header_value(&r, "Last-Modified", lm, sizeof(lm));
  reply_fini(&r);

  snprintf(line, sizeof(line), "If-None-Match: %s", etag);
  http(&r, "GET", "/catalog.ttl", NULL, NULL, line);
  assert_int_equal(r.body.len, 0);
  expect(&r, 304, NULL);
  snprintf(line, sizeof(line), "If-Modified-Since: %s", lm);
  http(&r, "GET", "/catalog.ttl", NULL, NULL, line);
  expect(&r, 304, NULL);
  http(&r, "GET", "/catalog.ttl?page=2", NULL, NULL, line);
  expect(&r, 304, NULL);
  http(&r, "GET", "/catalog.ttl?page=5", NULL, NULL, NULL);
  assert_contains(r.body.ptr, "hydra:previous");
  assert_null(strstr(r.body.ptr, "hydra:next"));
  expect(&r, 200, "catalog.ttl?page=4>");
  http(&r, "GET", "/catalog.ttl?page=6", NULL, NULL, NULL);
  expect(&r, 404, "past the last page 5");
  http(&r, "GET", "/catalog", NULL, NULL, "Accept: application/rdf+xml");
  assert_contains(r.headers.ptr, "application/rdf+xml");
  expect(&r, 200, "<rdf:RDF");
  http(&r, "GET", "/catalog.rdf?page=x", NULL, NULL, NULL);
  expect(&r, 400, "page must be a number");
}

/* The value of the sample line "name value" in the /metrics page. */
static long metric(const char *name)
{
  reply r;
  char line[200];
  const char *p;
  long v = -1;

  snprintf(line, sizeof(line), "\n%s", name); /* not the HELP line */
  http(&r, "GET", "/metrics", NULL, NULL, NULL);
  assert_int_equal(r.status, 200);
  p = strstr(r.body.ptr, line);
  if (p)
    v = strtol(p + strlen(line), NULL, 10);
  reply_fini(&r);
  return v;
}

static void runs_never_overlap_and_keep_to_the_limit(void **state)
{
  static const char *const names[] = {"slow-a", "slow-b", "slow-c"};
  char body[600], url[200], path[100], ttl[400];
  hv_error err = HV_ERROR_INIT;
  hv_fault_step step;
  json_t *run;
  reply r;
  size_t i;

  (void)state;
  for (i = 0; i < 3; i++) {
    snprintf(path, sizeof(path), "/%s.ttl", names[i]);
    snprintf(ttl, sizeof(ttl),
             "<http://slow.example/%s> a "
             "<http://www.w3.org/ns/dcat#Dataset> .\n",
             names[i]);
    memset(&step, 0, sizeof(step));
    step.content_type = "text/turtle";
    step.body = ttl;
    step.len = strlen(ttl);
    step.delay_ms = 3000;
    HV_ASSERT_OK(hv_fault_server_route(F.slow, path, &step, 1, &err), &err);
    snprintf(body, sizeof(body),
             "{\"name\": \"%s\", \"state\": \"bund\", \"url\": \"%s\"}",
             names[i], hv_fault_server_url(F.slow, path, url, sizeof(url)));
    http(&r, "POST", "/api/sources", F.admin, body, NULL);
    expect(&r, 201, names[i]);
  }
  hv_fault_server_reset_max_inflight(F.slow);
  http(&r, "POST", "/api/sources/slow-a/run", F.admin, "", NULL);
  expect(&r, 202, "queued");
  /* The same source again, queued or running: refused. */
  http(&r, "POST", "/api/sources/slow-a/run", F.admin, "", NULL);
  expect(&r, 409, "source 'slow-a' is already running or queued");
  http(&r, "POST", "/api/sources/slow-b/run", F.admin, "", NULL);
  expect(&r, 202, NULL);
  http(&r, "POST", "/api/sources/slow-c/run", F.admin, "", NULL);
  expect(&r, 202, NULL);
  usleep(700000);
  /* max_concurrent_runs = 2: the third waits for a slot. */
  assert_int_equal(metric("govharvest_daemon_runs_running "), 2);
  assert_int_equal(metric("govharvest_daemon_runs_queued "), 1);
  http(&r, "GET", "/api/sources/slow-c", F.admin, NULL, NULL);
  expect(&r, 200, "\"activity\":\"queued\"");
  http(&r, "GET", "/api/sources/slow-a", F.admin, NULL, NULL);
  expect(&r, 200, "\"activity\":\"running\"");
  http(&r, "DELETE", "/api/sources/slow-a", F.admin, NULL, NULL);
  expect(&r, 409, "is running");
  for (i = 0; i < 3; i++) {
    run = wait_run(names[i], F.admin);
    assert_string_equal(json_string_value(json_object_get(run, "status")),
                        "ok");
    assert_int_equal(count_of(run, "datasets_new"), 1);
    json_decref(run);
  }
  assert_int_equal(hv_fault_server_max_inflight(F.slow), 2);
  for (i = 0; i < 3; i++) {
    snprintf(path, sizeof(path), "/%s.ttl", names[i]);
    assert_int_equal(hv_fault_server_hits(F.slow, path), 1);
  }
}

/* Connects a raw client to the daemon. */
static int raw_connect(void)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(F.port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

static void slow_clients_do_not_block_others(void **state)
{
  static const char half_headers[] = "GET /api/sources HTTP/1.1\r\nHost: x";
  static const char half_body[] =
      "POST /api/sources HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
      "Content-Type: application/json\r\n\r\n{\"name\":";
  struct pollfd p[4];
  char buf[256];
  double t0, t;
  int fds[4], i;
  reply r;

  (void)state;
  /* More stalled clients than the daemon has HTTP threads (2). */
  for (i = 0; i < 4; i++) {
    fds[i] = raw_connect();
    if (i % 2 == 0)
      assert_true(write(fds[i], half_headers, sizeof(half_headers) - 1) > 0);
    else
      assert_true(write(fds[i], half_body, sizeof(half_body) - 1) > 0);
  }
  t0 = now_s();
  http(&r, "GET", "/api/whoami", F.tok05, NULL, NULL);
  t = now_s() - t0;
  expect(&r, 200, "\"scope\":\"05\"");
  /* Well under the 2 s after which the stalled ones are dropped. */
  if (t > 1.5)
    fail_msg("a request behind stalled clients took %.2f s", t);

  /* The connection timeout (2 s) closes the stalled connections. */
  for (i = 0; i < 4; i++) {
    p[i].fd = fds[i];
    p[i].events = POLLIN;
  }
  t0 = now_s();
  for (i = 0; i < 4; i++) {
    ssize_t n;
    assert_true(poll(&p[i], 1, 8000) == 1);
    while ((n = read(fds[i], buf, sizeof(buf))) > 0)
      ;
    assert_int_equal(n, 0);
    close(fds[i]);
  }
  t = now_s() - t0;
  assert_true(t < 6);
}

static void sigterm_stops_cleanly(void **state)
{
  static const char ttl[] =
      "<http://slow.example/slow-a> a <http://www.w3.org/ns/dcat#Dataset> .\n";
  hv_error err = HV_ERROR_INIT;
  hv_fault_step step;
  double end, t0;
  int status = -1;
  pid_t got = 0;
  char *t;
  reply r;

  (void)state;
  /* A run whose page takes 5 s is in flight when SIGTERM comes. */
  memset(&step, 0, sizeof(step));
  step.content_type = "text/turtle";
  step.body = ttl;
  step.len = sizeof(ttl) - 1;
  step.delay_ms = 5000;
  HV_ASSERT_OK(hv_fault_server_route(F.slow, "/slow-a.ttl", &step, 1, &err),
               &err);
  http(&r, "POST", "/api/sources/slow-a/run", F.admin, "", NULL);
  expect(&r, 202, NULL);
  end = now_s() + 5;
  while (hv_fault_server_hits(F.slow, "/slow-a.ttl") == 0 && now_s() < end)
    usleep(20000);
  assert_int_equal(hv_fault_server_hits(F.slow, "/slow-a.ttl"), 1);
  t0 = now_s();
  assert_int_equal(kill(F.pid, SIGTERM), 0);
  end = now_s() + 10;
  while (now_s() < end && (got = waitpid(F.pid, &status, WNOHANG)) == 0)
    usleep(50000);
  assert_int_equal(got, F.pid);
  F.pid = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    print_log_tail(20000);
    fail_msg("daemon ended with status %d", status);
  }
  /* It stopped well before the page would have come. */
  assert_true(now_s() - t0 < 4);
  assert_true(wait_log("\"runs_in_progress\":1", 1));
  assert_true(wait_log("\"event\":\"stopped\"", 1));
  /* The run ended as failed (nothing deleted) and says why. */
  t = log_text();
  assert_non_null(strstr(t, "\"source\":\"slow-a\",\"run\":"));
  assert_non_null(strstr(strstr(t, "\"source\":\"slow-a\",\"run\":"),
                         "\"status\":\"failed\""));
  hv_free(t);
}

static void bad_config_is_refused_with_file_and_line(void **state)
{
  char path[700], args[800];
  char *err;

  (void)state;
  snprintf(path, sizeof(path), "%s/bad.conf", F.dir);
  write_text(path, "db = x.db\nschedule = 0 25 * * *\n");
  snprintf(args, sizeof(args), "serve --config %s --check-config", path);
  assert_int_equal(gh(NULL, 0, args), 2);
  snprintf(path, sizeof(path), "%s/cmd.err", F.dir);
  err = hv_test_read_file(path, NULL);
  assert_contains(err, "bad.conf:2: cron '0 25 * * *': hour 25 is out of "
                       "range 0-23");
  hv_free(err);
  /* A sinks file with a mistake is refused by the check and at start,
   * naming the sinks file and line. */
  snprintf(path, sizeof(path), "%s/badsinks.conf", F.dir);
  write_text(path, "[sink export]\ntype = files\npassword = x\n");
  snprintf(path, sizeof(path), "%s/bad2.conf", F.dir);
  snprintf(args, sizeof(args),
           "db = %s/other.db\nlisten = 127.0.0.1:0\nsinks = %s/badsinks.conf\n",
           F.dir, F.dir);
  write_text(path, args);
  snprintf(args, sizeof(args), "serve --config %s --check-config", path);
  assert_int_equal(gh(NULL, 0, args), 2);
  snprintf(path, sizeof(path), "%s/cmd.err", F.dir);
  err = hv_test_read_file(path, NULL);
  assert_contains(err, "badsinks.conf:3:");
  hv_free(err);
  snprintf(args, sizeof(args), "serve --config %s/bad2.conf", F.dir);
  assert_int_equal(gh(NULL, 0, args), 2);
  snprintf(path, sizeof(path), "%s/cmd.err", F.dir);
  err = hv_test_read_file(path, NULL);
  assert_contains(err, "badsinks.conf:3:");
  hv_free(err);
  snprintf(args, sizeof(args), "serve --config %s/none.conf", F.dir);
  assert_int_equal(gh(NULL, 0, args), 1);
  snprintf(args, sizeof(args), "token create --state 17");
  assert_int_equal(gh(NULL, 0, args), 2);
  assert_int_equal(gh(NULL, 0, "token create"), 2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(health_and_readiness),
      cmocka_unit_test(tokens_are_stored_only_as_hashes),
      cmocka_unit_test(missing_and_wrong_tokens_are_refused),
      cmocka_unit_test(a_revoked_token_stops_working),
      cmocka_unit_test(catch_up_runs_once_after_downtime),
      cmocka_unit_test(a_state_registers_checks_and_runs_its_source),
      cmocka_unit_test(a_runs_view_shows_its_findings),
      cmocka_unit_test(a_sources_findings_are_paged),
      cmocka_unit_test(quality_report_is_scoped_by_token),
      cmocka_unit_test(the_outbox_is_drained_after_each_run),
      cmocka_unit_test(another_states_sources_stay_hidden),
      cmocka_unit_test(bad_bodies_get_clear_errors),
      cmocka_unit_test(oversized_bodies_are_refused),
      cmocka_unit_test(loopback_refused_until_allowed_by_reload),
      cmocka_unit_test(changes_are_audited),
      cmocka_unit_test(metrics_count_runs_pages_and_datasets),
      cmocka_unit_test(catalog_is_served_with_validators),
      cmocka_unit_test(runs_never_overlap_and_keep_to_the_limit),
      cmocka_unit_test(slow_clients_do_not_block_others),
      cmocka_unit_test(sigterm_stops_cleanly),
      cmocka_unit_test(bad_config_is_refused_with_file_and_line),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
