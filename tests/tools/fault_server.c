/*
 * The fault-injecting test server (see fault_server.h).
 *
 * libmicrohttpd runs one thread per connection, so a step's delay is a
 * plain sleep in the handler and a drip is a sleep in the content reader;
 * neither stalls other connections, which is what lets tests measure a
 * client's concurrency. Routes and counters sit behind one mutex. A
 * request deep-copies its step under the lock, so a test may re-route a
 * path while earlier requests to it are still being answered.
 */
#include "tools/fault_server.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "util/alloc.h"

typedef struct header {
  char *name;
  char *value;
  struct header *next;
} header;

typedef struct route {
  char *path;
  hv_fault_step *steps; /* deep copies; NULL for an unscripted path */
  size_t n;
  unsigned hits;        /* requests since the last route() */
  header *last_headers; /* headers of the most recent request */
  struct route *next;
} route;

struct hv_fault_server {
  struct MHD_Daemon *daemon;
  uint16_t port;
  pthread_mutex_t lock;
  route *routes;
  unsigned total;     /* requests on any path */
  unsigned inflight;  /* requests between arrival and completion */
  unsigned max_inflight;
  atomic_int stopping; /* makes endless and dripping bodies give up */
};

/* Per-request state, kept in MHD's con_cls between handler calls. */
typedef struct request {
  hv_fault_step step; /* deep copy, or status 404 if unscripted */
  int scripted;
} request;

/* State of a callback-driven body (truncate, endless, drip). */
typedef struct reader {
  hv_fault_server *srv;
  hv_fault_kind fault;
  char *body;
  size_t len;
  size_t limit; /* TRUNCATE: bytes sent before the abort */
  unsigned drip_ms;
  size_t drip_bytes;
} reader;

static void free_step(hv_fault_step *s)
{
  hv_free((void *)s->content_type);
  hv_free((void *)s->body);
  hv_free((void *)s->headers);
  hv_free((void *)s->etag);
  memset(s, 0, sizeof(*s));
}

static int copy_step(hv_fault_step *out, const hv_fault_step *in)
{
  *out = *in;
  out->content_type = NULL;
  out->body = NULL;
  out->headers = NULL;
  out->etag = NULL;
  if ((in->content_type &&
       !(out->content_type = hv_strdup(in->content_type))) ||
      (in->headers && !(out->headers = hv_strdup(in->headers))) ||
      (in->etag && !(out->etag = hv_strdup(in->etag))) ||
      !(out->body = hv_strndup(in->body ? in->body : "",
                               in->body ? in->len : 0))) {
    free_step(out);
    return HV_ENOMEM;
  }
  out->len = in->body ? in->len : 0;
  return 0;
}

static void free_headers(header *h)
{
  while (h) {
    header *next = h->next;

    hv_free(h->name);
    hv_free(h->value);
    hv_free(h);
    h = next;
  }
}

static void free_route_steps(route *r)
{
  for (size_t i = 0; r->steps && i < r->n; i++)
    free_step(&r->steps[i]);
  hv_free(r->steps);
  r->steps = NULL;
  r->n = 0;
}

/* Finds path's route, creating an unscripted one if create is set. */
static route *find_route(hv_fault_server *srv, const char *path, int create)
{
  route *r;

  for (r = srv->routes; r; r = r->next)
    if (strcmp(r->path, path) == 0)
      return r;
  if (!create || !(r = hv_calloc(1, sizeof(*r))))
    return NULL;
  if (!(r->path = hv_strdup(path))) {
    hv_free(r);
    return NULL;
  }
  r->next = srv->routes;
  srv->routes = r;
  return r;
}

/* Sleeps ms milliseconds in short naps, giving up early on stop. */
static void nap(hv_fault_server *srv, unsigned ms)
{
  while (ms > 0 && !atomic_load(&srv->stopping)) {
    unsigned slice = ms < 20 ? ms : 20;
    struct timespec ts = {0, (long)slice * 1000000L};

    nanosleep(&ts, NULL);
    ms -= slice;
  }
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind,
                                      const char *key, const char *value)
{
  header **list = cls;
  header *h = hv_calloc(1, sizeof(*h));

  (void)kind;
  if (!h)
    return MHD_NO;
  h->name = hv_strdup(key);
  h->value = hv_strdup(value ? value : "");
  if (!h->name || !h->value) {
    free_headers(h);
    return MHD_NO;
  }
  h->next = *list;
  *list = h;
  return MHD_YES;
}

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
  reader *rd = cls;
  size_t n;

  if (atomic_load(&rd->srv->stopping))
    return MHD_CONTENT_READER_END_WITH_ERROR;
  switch (rd->fault) {
  case HV_FAULT_TRUNCATE:
    if (pos >= rd->limit)
      return MHD_CONTENT_READER_END_WITH_ERROR;
    n = rd->limit - (size_t)pos;
    n = n < max ? n : max;
    memcpy(buf, rd->body + pos, n);
    return (ssize_t)n;
  case HV_FAULT_ENDLESS:
    /* Repeat the body (or 'x') for ever; the client has to stop us. */
    for (n = 0; n < max; n++)
      buf[n] = rd->len ? rd->body[(pos + n) % rd->len] : 'x';
    return (ssize_t)max;
  case HV_FAULT_DRIP:
    if (pos >= rd->len)
      return MHD_CONTENT_READER_END_OF_STREAM;
    nap(rd->srv, rd->drip_ms);
    if (atomic_load(&rd->srv->stopping))
      return MHD_CONTENT_READER_END_WITH_ERROR;
    n = rd->len - (size_t)pos;
    n = n < rd->drip_bytes ? n : rd->drip_bytes;
    n = n < max ? n : max;
    memcpy(buf, rd->body + pos, n);
    return (ssize_t)n;
  case HV_FAULT_NONE:
  default:
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
}

static void free_reader(void *cls)
{
  reader *rd = cls;

  hv_free(rd->body);
  hv_free(rd);
}

/* Adds the step's "Name: value" lines; returns 0 or -1. */
static int add_extra_headers(struct MHD_Response *resp, const char *lines)
{
  const char *p = lines;
  int rc = 0;

  while (p && *p && rc == 0) {
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    char *line = hv_strndup(p, len);
    char *colon, *value;

    if (!line)
      return -1;
    if (len > 0 && line[len - 1] == '\r')
      line[len - 1] = '\0';
    colon = strchr(line, ':');
    if (colon) {
      *colon = '\0';
      value = colon + 1;
      while (*value == ' ')
        value++;
      if (MHD_add_response_header(resp, line, value) != MHD_YES)
        rc = -1;
    }
    hv_free(line);
    p = end ? end + 1 : NULL;
  }
  return rc;
}

static struct MHD_Response *make_response(hv_fault_server *srv,
                                          const hv_fault_step *s)
{
  struct MHD_Response *resp = NULL;
  reader *rd;

  if (s->fault == HV_FAULT_NONE)
    return MHD_create_response_from_buffer(s->len, (void *)s->body,
                                           MHD_RESPMEM_MUST_COPY);
  if (!(rd = hv_calloc(1, sizeof(*rd))))
    return NULL;
  rd->srv = srv;
  rd->fault = s->fault;
  rd->len = s->len;
  rd->limit = s->len / 2;
  rd->drip_ms = s->drip_ms ? s->drip_ms : 100;
  rd->drip_bytes = s->drip_bytes ? s->drip_bytes : 1;
  if (!(rd->body = hv_strndup(s->body, s->len))) {
    hv_free(rd);
    return NULL;
  }
  resp = MHD_create_response_from_callback(
      s->fault == HV_FAULT_ENDLESS ? MHD_SIZE_UNKNOWN : s->len, 4096,
      read_body, rd, free_reader);
  if (!resp)
    free_reader(rd);
  return resp;
}

static enum MHD_Result answer(hv_fault_server *srv,
                              struct MHD_Connection *conn, request *rq)
{
  const hv_fault_step *s = &rq->step;
  struct MHD_Response *resp;
  const char *inm;
  unsigned status = s->status ? (unsigned)s->status : 200;
  enum MHD_Result ret;

  if (!rq->scripted) {
    static const char nf[] = "not found\n";

    resp = MHD_create_response_from_buffer(sizeof(nf) - 1, (void *)nf,
                                           MHD_RESPMEM_PERSISTENT);
    if (!resp)
      return MHD_NO;
    ret = MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, resp);
    MHD_destroy_response(resp);
    return ret;
  }
  nap(srv, s->delay_ms);
  inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                    MHD_HTTP_HEADER_IF_NONE_MATCH);
  if (s->etag && inm && strcmp(inm, s->etag) == 0) {
    resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    status = MHD_HTTP_NOT_MODIFIED;
  } else {
    resp = make_response(srv, s);
  }
  if (!resp)
    return MHD_NO;
  if ((s->etag &&
       MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, s->etag) !=
           MHD_YES) ||
      (status != MHD_HTTP_NOT_MODIFIED && s->content_type &&
       MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                               s->content_type) != MHD_YES) ||
      add_extra_headers(resp, s->headers) < 0) {
    MHD_destroy_response(resp);
    return MHD_NO;
  }
  ret = MHD_queue_response(conn, status, resp);
  MHD_destroy_response(resp);
  return ret;
}

/* First handler call: count the request and pick its step under lock. */
static request *admit(hv_fault_server *srv, struct MHD_Connection *conn,
                      const char *url)
{
  request *rq = hv_calloc(1, sizeof(*rq));
  header *headers = NULL;
  route *r;

  if (!rq)
    return NULL;
  MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_header, &headers);
  pthread_mutex_lock(&srv->lock);
  srv->total++;
  if (++srv->inflight > srv->max_inflight)
    srv->max_inflight = srv->inflight;
  r = find_route(srv, url, 1);
  if (r) {
    /* Request k gets step min(k, n - 1); unscripted paths have no steps.
       A step that cannot be copied (out of memory) answers 404. */
    if (r->steps &&
        copy_step(&rq->step, &r->steps[r->hits < r->n ? r->hits : r->n - 1])
            == 0)
      rq->scripted = 1;
    r->hits++;
    free_headers(r->last_headers);
    r->last_headers = headers;
    headers = NULL;
  }
  pthread_mutex_unlock(&srv->lock);
  free_headers(headers);
  return rq;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
  hv_fault_server *srv = cls;

  (void)method;
  (void)version;
  (void)upload;
  if (!*con_cls) {
    request *rq = admit(srv, conn, url);

    if (!rq)
      return MHD_NO;
    *con_cls = rq;
    return MHD_YES;
  }
  if (*upload_size) {
    /* Request bodies are not part of any script; swallow them. */
    *upload_size = 0;
    return MHD_YES;
  }
  return answer(srv, conn, *con_cls);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode code)
{
  hv_fault_server *srv = cls;
  request *rq = *con_cls;

  (void)conn;
  (void)code;
  if (!rq)
    return;
  pthread_mutex_lock(&srv->lock);
  srv->inflight--;
  pthread_mutex_unlock(&srv->lock);
  free_step(&rq->step);
  hv_free(rq);
  *con_cls = NULL;
}

int hv_fault_server_start(hv_fault_server **out, hv_error *err)
{
  hv_fault_server *srv = hv_calloc(1, sizeof(*srv));
  struct sockaddr_in addr;
  const union MHD_DaemonInfo *info;

  if (!srv)
    return hv_error_oom(err);
  pthread_mutex_init(&srv->lock, NULL);
  atomic_init(&srv->stopping, 0);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  srv->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
      NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
      srv, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
  if (!srv->daemon) {
    pthread_mutex_destroy(&srv->lock);
    hv_free(srv);
    return hv_error_set(err, HV_EIO,
                        "fault server: cannot listen on 127.0.0.1");
  }
  info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
  srv->port = info ? info->port : 0;
  if (srv->port == 0) {
    hv_fault_server_stop(srv);
    return hv_error_set(err, HV_EIO, "fault server: no bound port");
  }
  *out = srv;
  return 0;
}

void hv_fault_server_stop(hv_fault_server *srv)
{
  route *r;

  if (!srv)
    return;
  atomic_store(&srv->stopping, 1);
  if (srv->daemon)
    MHD_stop_daemon(srv->daemon);
  r = srv->routes;
  while (r) {
    route *next = r->next;

    free_route_steps(r);
    free_headers(r->last_headers);
    hv_free(r->path);
    hv_free(r);
    r = next;
  }
  pthread_mutex_destroy(&srv->lock);
  hv_free(srv);
}

uint16_t hv_fault_server_port(const hv_fault_server *srv)
{
  return srv->port;
}

char *hv_fault_server_url(const hv_fault_server *srv, const char *path,
                          char *out, size_t size)
{
  snprintf(out, size, "http://127.0.0.1:%u%s", (unsigned)srv->port, path);
  return out;
}

int hv_fault_server_route(hv_fault_server *srv, const char *path,
                          const hv_fault_step *steps, size_t n,
                          hv_error *err)
{
  hv_fault_step *copies;
  size_t i;
  route *r;
  int rc = 0;

  if (!path || path[0] != '/' || !steps || n == 0)
    return hv_error_set(err, HV_EINVAL,
                        "fault server: route needs a /path and >= 1 step");
  if (!(copies = hv_calloc(n, sizeof(*copies))))
    return hv_error_oom(err);
  for (i = 0; i < n; i++) {
    if (copy_step(&copies[i], &steps[i]) < 0) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  pthread_mutex_lock(&srv->lock);
  r = find_route(srv, path, 1);
  if (r) {
    free_route_steps(r);
    r->steps = copies;
    r->n = n;
    r->hits = 0;
    copies = NULL;
  }
  pthread_mutex_unlock(&srv->lock);
  if (!r)
    rc = hv_error_oom(err);

cleanup:
  if (copies) {
    for (i = 0; i < n; i++)
      free_step(&copies[i]);
    hv_free(copies);
  }
  return rc;
}

unsigned hv_fault_server_hits(hv_fault_server *srv, const char *path)
{
  route *r;
  unsigned hits;

  pthread_mutex_lock(&srv->lock);
  r = find_route(srv, path, 0);
  hits = r ? r->hits : 0;
  pthread_mutex_unlock(&srv->lock);
  return hits;
}

unsigned hv_fault_server_total(hv_fault_server *srv)
{
  unsigned total;

  pthread_mutex_lock(&srv->lock);
  total = srv->total;
  pthread_mutex_unlock(&srv->lock);
  return total;
}

int hv_fault_server_header(hv_fault_server *srv, const char *path,
                           const char *name, char *out, size_t size)
{
  route *r;
  header *h;
  int found = 0;

  if (size > 0)
    out[0] = '\0';
  pthread_mutex_lock(&srv->lock);
  r = find_route(srv, path, 0);
  for (h = r ? r->last_headers : NULL; h; h = h->next) {
    if (strcasecmp(h->name, name) == 0) {
      if (size > 0)
        snprintf(out, size, "%s", h->value);
      found = 1;
      break;
    }
  }
  pthread_mutex_unlock(&srv->lock);
  return found;
}

unsigned hv_fault_server_max_inflight(hv_fault_server *srv)
{
  unsigned max;

  pthread_mutex_lock(&srv->lock);
  max = srv->max_inflight;
  pthread_mutex_unlock(&srv->lock);
  return max;
}

void hv_fault_server_reset_max_inflight(hv_fault_server *srv)
{
  pthread_mutex_lock(&srv->lock);
  srv->max_inflight = srv->inflight;
  pthread_mutex_unlock(&srv->lock);
}
