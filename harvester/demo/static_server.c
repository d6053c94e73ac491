/*
 * The loopback static HTTP server behind the demo and the HTTP tests (see
 * static_server.h for the mapping from request targets to files).
 *
 * libmicrohttpd runs the connections on its own threads; this file only
 * turns a request target into a file under the root, reads it and answers
 * with the validators a careful handover point sends. The raw request
 * target is captured before libmicrohttpd splits and unescapes it, so that
 * the path and the query are decoded here, once, by one set of rules, and
 * an encoded ".." can never slip past the check.
 */
#include "demo/static_server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/hash.h"

/* Files bigger than this are refused; handover pages are far smaller. */
#define MAX_FILE_SIZE ((size_t)256 << 20)
/* Seconds an idle keep-alive connection is kept open. */
#define IDLE_TIMEOUT_S 30
/* Room for an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT", 29 bytes). */
#define HTTP_DATE_SIZE 64

struct hv_static_server {
  struct MHD_Daemon *daemon;
  char root[PATH_MAX];           /* canonical root directory, no trailing / */
  size_t root_len;
  int use_validators;
  uint16_t port;                 /* port actually bound */
  _Atomic uint64_t requests;     /* responses queued by us */
  _Atomic uint64_t not_modified; /* of which 304 */
  _Atomic uint64_t not_found;    /* of which 404 */
};

/* Per-request state, created when libmicrohttpd first sees the target. */
typedef struct request {
  int seen;     /* the access handler has been called once */
  char uri[1];  /* raw request target as sent, NUL-terminated */
} request;

/* Content types by file extension (compared case-insensitively). */
static const struct {
  const char *ext;
  const char *type;
} content_types[] = {
    {".ttl", "text/turtle"},
    {".rdf", "application/rdf+xml"},
    {".nt", "application/n-triples"},
    {".jsonld", "application/ld+json"},
    {".json", "application/json"},
    {".xml", "application/xml"},
    {".html", "text/html"},
};

static const char *const day_names[] = {"Sun", "Mon", "Tue", "Wed",
                                        "Thu", "Fri", "Sat"};
static const char *const month_names[] = {"Jan", "Feb", "Mar", "Apr",
                                          "May", "Jun", "Jul", "Aug",
                                          "Sep", "Oct", "Nov", "Dec"};

static const char *content_type_for(const char *path)
{
  const char *dot = strrchr(path, '.');
  size_t i;

  if (dot && !strchr(dot, '/')) {
    for (i = 0; i < sizeof(content_types) / sizeof(content_types[0]); i++)
      if (strcasecmp(dot, content_types[i].ext) == 0)
        return content_types[i].type;
  }
  return "application/octet-stream";
}

/*
 * Formats t as an IMF-fixdate. The names come from our own tables because
 * strftime's %a and %b follow the locale, and HTTP dates are always
 * English.
 */
static void format_http_date(time_t t, char out[HTTP_DATE_SIZE])
{
  struct tm tm;

  gmtime_r(&t, &tm);
  snprintf(out, HTTP_DATE_SIZE, "%s, %02d %s %04d %02d:%02d:%02d GMT",
           day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int month_index(const char *name)
{
  int i;

  for (i = 0; i < 12; i++)
    if (strcasecmp(name, month_names[i]) == 0)
      return i;
  return -1;
}

/*
 * Parses the three HTTP-date forms a client may send (IMF-fixdate, the
 * obsolete RFC 850 form and asctime) into *out. Returns 0, or -1 for
 * anything else, which the caller treats as an absent header, as HTTP
 * requires.
 */
static int parse_http_date(const char *s, time_t *out)
{
  char wday[16], mon[4];
  int day, year, hh, mm, ss, n = 0;
  struct tm tm;
  int m;

  if (sscanf(s, "%3s, %2d %3s %4d %2d:%2d:%2d GMT%n", wday, &day, mon,
             &year, &hh, &mm, &ss, &n) == 7 && n > 0) {
    /* IMF-fixdate. */
  } else if (n = 0, sscanf(s, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT%n",
                           wday, &day, mon, &year, &hh, &mm, &ss,
                           &n) == 7 && n > 0) {
    /* RFC 850: a two-digit year; 70..99 is taken as the 1900s. */
    year += year < 70 ? 2000 : 1900;
  } else if (n = 0, sscanf(s, "%3s %3s %2d %2d:%2d:%2d %4d%n", wday, mon,
                           &day, &hh, &mm, &ss, &year, &n) == 7 && n > 0) {
    /* asctime. */
  } else {
    return -1;
  }
  if (s[n] != '\0' || (m = month_index(mon)) < 0 || day < 1 || day > 31 ||
      hh > 23 || mm > 59 || ss > 60 || year < 1970)
    return -1;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = year - 1900;
  tm.tm_mon = m;
  tm.tm_mday = day;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  *out = timegm(&tm);
  return 0;
}

static int hex_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/*
 * Percent-decodes len bytes of s into out (at least len + 1 bytes).
 * Returns 0, or -1 for a malformed escape or an encoded NUL, which would
 * cut the name short behind the checks' back.
 */
static int percent_decode(const char *s, size_t len, char *out)
{
  size_t i, o = 0;
  int hi, lo;

  for (i = 0; i < len; i++) {
    if (s[i] != '%') {
      out[o++] = s[i];
      continue;
    }
    if (i + 2 >= len)
      return -1;
    hi = hex_value(s[i + 1]);
    lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
      return -1;
    out[o++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[o] = '\0';
  return 0;
}

/* Returns 1 if the decoded path has a "." or ".." segment or a backslash. */
static int path_is_unsafe(const char *path)
{
  const char *seg = path;
  const char *end;
  size_t n;

  if (strchr(path, '\\'))
    return 1;
  while (*seg) {
    while (*seg == '/')
      seg++;
    end = strchr(seg, '/');
    n = end ? (size_t)(end - seg) : strlen(seg);
    if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
      return 1;
    seg += n;
  }
  return 0;
}

/* Returns 1 if every byte of the decoded query may appear in a file name. */
static int query_is_safe(const char *q)
{
  for (; *q; q++) {
    unsigned char c = (unsigned char)*q;

    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr("-._~=&,+", c)))
      return 0;
  }
  return 1;
}

/*
 * Queues a response with status and counts it. Takes over resp (NULL
 * means out of memory: the connection is then closed by returning NO).
 */
static enum MHD_Result send_response(hv_static_server *srv,
                                     struct MHD_Connection *conn,
                                     unsigned status,
                                     struct MHD_Response *resp)
{
  enum MHD_Result rc;

  if (!resp)
    return MHD_NO;
  /* Counted before queueing so a client that has the answer sees it. */
  atomic_fetch_add(&srv->requests, 1);
  if (status == MHD_HTTP_NOT_MODIFIED)
    atomic_fetch_add(&srv->not_modified, 1);
  else if (status == MHD_HTTP_NOT_FOUND)
    atomic_fetch_add(&srv->not_found, 1);
  rc = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* Answers with a short text body naming the problem. */
static enum MHD_Result send_text(hv_static_server *srv,
                                 struct MHD_Connection *conn, unsigned status,
                                 const char *text)
{
  struct MHD_Response *resp;

  resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                         MHD_RESPMEM_PERSISTENT);
  if (resp)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; charset=utf-8");
  if (resp && status == MHD_HTTP_METHOD_NOT_ALLOWED)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  return send_response(srv, conn, status, resp);
}

/* Strips optional whitespace and a W/ prefix off one entity tag. */
static int etag_matches(const char *tag, size_t len, const char *etag)
{
  while (len > 0 && (*tag == ' ' || *tag == '\t')) {
    tag++;
    len--;
  }
  while (len > 0 && (tag[len - 1] == ' ' || tag[len - 1] == '\t'))
    len--;
  if (len == 1 && tag[0] == '*')
    return 1;
  /* If-None-Match uses the weak comparison: W/ is ignored. */
  if (len >= 2 && tag[0] == 'W' && tag[1] == '/') {
    tag += 2;
    len -= 2;
  }
  return len == strlen(etag) && memcmp(tag, etag, len) == 0;
}

/* Carries the state of a scan over every If-None-Match header line. */
typedef struct inm_scan {
  const char *etag; /* our strong ETag, quoted */
  int present;      /* an If-None-Match line was seen */
  int matched;      /* one of its tags matched */
} inm_scan;

static enum MHD_Result scan_if_none_match(void *cls, enum MHD_ValueKind kind,
                                          const char *key, const char *value)
{
  inm_scan *scan = cls;
  const char *p = value, *comma;

  (void)kind;
  if (!key || strcasecmp(key, MHD_HTTP_HEADER_IF_NONE_MATCH) != 0 || !value)
    return MHD_YES;
  scan->present = 1;
  /* Entity tags cannot contain commas, so splitting on them is safe. */
  for (;;) {
    comma = strchr(p, ',');
    if (etag_matches(p, comma ? (size_t)(comma - p) : strlen(p), scan->etag)) {
      scan->matched = 1;
      return MHD_NO;
    }
    if (!comma)
      break;
    p = comma + 1;
  }
  return MHD_YES;
}

/*
 * Decides whether the client's copy is current. If-None-Match wins over
 * If-Modified-Since when both are sent, as HTTP requires.
 */
static int client_copy_is_current(struct MHD_Connection *conn,
                                  const char *etag, time_t mtime)
{
  inm_scan scan = {etag, 0, 0};
  const char *ims;
  time_t since;

  MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_if_none_match, &scan);
  if (scan.present)
    return scan.matched;
  ims = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_IF_MODIFIED_SINCE);
  if (ims && parse_http_date(ims, &since) == 0)
    return mtime <= since;
  return 0;
}

/*
 * Reads the whole regular file fd into a buffer of ours. Returns the
 * buffer (hv_free it) or NULL with *status set to the answer to send.
 */
static char *read_file(int fd, const struct stat *st, unsigned *status)
{
  size_t size = (size_t)st->st_size, got = 0;
  char *data;
  ssize_t n;

  if (size > MAX_FILE_SIZE) {
    *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    return NULL;
  }
  if (!(data = hv_malloc(size))) {
    *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    return NULL;
  }
  while (got < size) {
    n = read(fd, data + got, size - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  if (got != size) {
    /* The file shrank or failed under us; a short body would lie. */
    hv_free(data);
    *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    return NULL;
  }
  return data;
}

/* Serves the file at the canonical path real, or answers why not. */
static enum MHD_Result serve_file(hv_static_server *srv,
                                  struct MHD_Connection *conn,
                                  const char *real, const char *type)
{
  struct MHD_Response *resp;
  char etag[HV_SHA256_HEX_LEN + 3];
  char date[HTTP_DATE_SIZE];
  unsigned status = MHD_HTTP_NOT_FOUND;
  struct stat st;
  char *data = NULL;
  enum MHD_Result rc;
  int fd;

  fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found\n");
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return send_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found\n");
  }
  data = read_file(fd, &st, &status);
  close(fd);
  if (!data)
    return send_text(srv, conn, status, "cannot read file\n");

  if (srv->use_validators) {
    /* A strong ETag: the quoted SHA-256 of exactly the bytes served. */
    etag[0] = '"';
    hv_sha256_hex(data, (size_t)st.st_size, etag + 1);
    etag[HV_SHA256_HEX_LEN + 1] = '"';
    etag[HV_SHA256_HEX_LEN + 2] = '\0';
    format_http_date(st.st_mtime, date);
    if (client_copy_is_current(conn, etag, st.st_mtime)) {
      hv_free(data);
      resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
      if (resp) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
      }
      return send_response(srv, conn, MHD_HTTP_NOT_MODIFIED, resp);
    }
  }

  resp = MHD_create_response_from_buffer_with_free_callback(
      (size_t)st.st_size, data, hv_free);
  if (!resp) {
    hv_free(data);
    return MHD_NO;
  }
  /* now owned by resp */
  data = NULL;
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  if (srv->use_validators) {
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_LAST_MODIFIED, date);
  }
  rc = send_response(srv, conn, MHD_HTTP_OK, resp);
  return rc;
}

/*
 * Maps the raw request target to a file and serves it. The rules are
 * documented in static_server.h.
 */
static enum MHD_Result answer(hv_static_server *srv,
                              struct MHD_Connection *conn, const char *uri)
{
  const char *qmark = strchr(uri, '?');
  size_t path_len = qmark ? (size_t)(qmark - uri) : strlen(uri);
  size_t query_len = qmark ? strlen(qmark + 1) : 0;
  char *name = NULL, *query = NULL;
  char candidate[PATH_MAX], real[PATH_MAX];
  const char *type;
  enum MHD_Result rc;
  int n;

  if (path_len == 0 || uri[0] != '/')
    return send_text(srv, conn, MHD_HTTP_BAD_REQUEST, "bad request target\n");
  name = hv_malloc(path_len + 1);
  query = hv_malloc(query_len + 1);
  if (!name || !query) {
    rc = send_text(srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                   "out of memory\n");
    goto cleanup;
  }
  if (percent_decode(uri, path_len, name) != 0 ||
      percent_decode(qmark ? qmark + 1 : "", query_len, query) != 0) {
    rc = send_text(srv, conn, MHD_HTTP_BAD_REQUEST, "bad percent-encoding\n");
    goto cleanup;
  }
  if (path_is_unsafe(name)) {
    /* Traversal gets the same answer as a missing file: nothing leaks. */
    rc = send_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found\n");
    goto cleanup;
  }
  if (!query_is_safe(query)) {
    rc = send_text(srv, conn, MHD_HTTP_BAD_REQUEST,
                   "query has characters not allowed in a file name\n");
    goto cleanup;
  }
  type = content_type_for(name);
  n = snprintf(candidate, sizeof(candidate), "%s%s%s%s", srv->root, name,
               query[0] ? "@" : "", query);
  if (n < 0 || (size_t)n >= sizeof(candidate) || !realpath(candidate, real) ||
      strncmp(real, srv->root, srv->root_len) != 0 ||
      real[srv->root_len] != '/') {
    /* Missing, or a link that leads outside the root. */
    rc = send_text(srv, conn, MHD_HTTP_NOT_FOUND, "not found\n");
    goto cleanup;
  }
  rc = serve_file(srv, conn, real, type);

cleanup:
  hv_free(name);
  hv_free(query);
  return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
  hv_static_server *srv = cls;
  request *req = *req_cls;

  (void)url;
  (void)version;
  (void)upload_data;
  if (!req)
    return send_text(srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
                     "out of memory\n");
  if (!req->seen) {
    /* The first call only announces the headers; answer on the next. */
    req->seen = 1;
    return MHD_YES;
  }
  if (*upload_data_size != 0) {
    /* A request body means nothing to a static server: drop it. */
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
      strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
    return send_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                     "only GET and HEAD are served\n");
  return answer(srv, conn, req->uri);
}

/* Keeps the raw target before libmicrohttpd splits and unescapes it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
  size_t len = strlen(uri);
  request *req;

  (void)cls;
  (void)conn;
  if (!(req = hv_malloc(sizeof(*req) + len)))
    return NULL;
  req->seen = 0;
  memcpy(req->uri, uri, len + 1);
  return req;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe)
{
  (void)cls;
  (void)conn;
  (void)toe;
  hv_free(*req_cls);
  *req_cls = NULL;
}

int hv_static_server_start(hv_static_server **out, const char *root_dir,
                           uint16_t port, int use_validators, hv_error *err)
{
  hv_static_server *srv = NULL;
  const union MHD_DaemonInfo *info;
  struct sockaddr_in addr;
  struct stat st;
  int rc = 0;

  if (!out || !root_dir) {
    rc = hv_error_set(err, HV_EINVAL, "static server: no root directory");
    goto cleanup;
  }
  if (!(srv = hv_calloc(1, sizeof(*srv)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if (!realpath(root_dir, srv->root)) {
    rc = hv_error_set(err, HV_ENOTFOUND, "static server root %s: %s",
                      root_dir, strerror(errno));
    goto cleanup;
  }
  if (stat(srv->root, &st) != 0 || !S_ISDIR(st.st_mode)) {
    rc = hv_error_set(err, HV_EINVAL,
                      "static server root %s: not a directory", root_dir);
    goto cleanup;
  }
  srv->root_len = strlen(srv->root);
  if (srv->root_len == 1) {
    /* Serving "/" would make the prefix check meaningless. */
    rc = hv_error_set(err, HV_EPOLICY,
                      "static server root %s: refusing to serve /", root_dir);
    goto cleanup;
  }
  srv->use_validators = use_validators;
  atomic_init(&srv->requests, 0);
  atomic_init(&srv->not_modified, 0);
  atomic_init(&srv->not_found, 0);

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  errno = 0;
  srv->daemon = MHD_start_daemon(
      MHD_USE_AUTO_INTERNAL_THREAD, port, NULL, NULL, on_request, srv,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
      MHD_OPTION_END);
  if (!srv->daemon) {
    rc = hv_error_set(err, HV_ECONNECT,
                      "static server: cannot listen on 127.0.0.1:%u: %s",
                      (unsigned)port,
                      errno ? strerror(errno) : "libmicrohttpd refused");
    goto cleanup;
  }
  info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  if (!info || info->port == 0) {
    rc = hv_error_set(err, HV_ECONNECT,
                      "static server: cannot read the bound port");
    goto cleanup;
  }
  srv->port = info->port;
  *out = srv;
  srv = NULL;

cleanup:
  hv_static_server_stop(srv);
  return rc;
}

uint16_t hv_static_server_port(const hv_static_server *srv)
{
  return srv->port;
}

void hv_static_server_stats(const hv_static_server *srv, hv_static_stats *out)
{
  hv_static_server *s = (hv_static_server *)srv;

  /* The counters change under us; each is read atomically on its own. */
  out->requests = atomic_load(&s->requests);
  out->not_modified = atomic_load(&s->not_modified);
  out->not_found = atomic_load(&s->not_found);
}

void hv_static_server_stop(hv_static_server *srv)
{
  if (!srv)
    return;
  if (srv->daemon)
    MHD_stop_daemon(srv->daemon);
  hv_free(srv);
}
