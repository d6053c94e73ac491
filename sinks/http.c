/*
 * The sinks' HTTP client (see http.h), wired to libuv the way the
 * fetcher is: one uv_poll_t per curl socket, curl's timer callback only
 * (re)arms a uv timer, and completions are drained after every
 * curl_multi_socket_action, so a callback never runs with curl on the
 * stack and may start the next request.
 *
 * Proxies from the environment are ignored: a sink's endpoint is
 * configured explicitly, and a stray http_proxy must not divert the
 * catalog (with its credentials) through another host.
 */
#include "sinks/http.h"

#include <curl/curl.h>
#include <string.h>

#include "sinks/sink.h"
#include "util/alloc.h"
#include "util/buf.h"

#ifndef HV_VERSION
#define HV_VERSION "0"
#endif

typedef struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  struct hv_http *h;
} sock_ctx;

typedef struct http_req {
  struct http_req *next, *prev;
  struct hv_http *h;
  CURL *easy;
  struct curl_slist *headers;
  char *method, *url, *body;
  hv_buf resp;
  char errbuf[CURL_ERROR_SIZE];
  hv_http_cb cb;
  void *payload;
} http_req;

struct hv_http {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;
  http_req *reqs; /* in flight */
  hv_http_opts opts;
  char *user, *password, *header;
  int closing;
};

static void wipe_free(char *s)
{
  volatile char *p = s;

  if (!s)
    return;
  while (*p)
    *p++ = '\0';
  hv_free(s);
}

static void req_free(http_req *r)
{
  if (!r)
    return;
  if (r->easy)
    curl_easy_cleanup(r->easy);
  curl_slist_free_all(r->headers);
  hv_free(r->method);
  hv_free(r->url);
  hv_free(r->body);
  hv_buf_fini(&r->resp);
  hv_free(r);
}

static void req_unlink(http_req *r)
{
  if (r->prev)
    r->prev->next = r->next;
  else
    r->h->reqs = r->next;
  if (r->next)
    r->next->prev = r->prev;
  r->next = r->prev = NULL;
}

/* Finishes one transfer: unlinks it, reports, frees. */
static void req_finish(http_req *r, CURLcode cc)
{
  hv_error err = HV_ERROR_INIT;
  long status = 0;
  int rc = 0;

  curl_multi_remove_handle(r->h->multi, r->easy);
  req_unlink(r);
  if (cc == CURLE_OK) {
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  } else {
    const char *why = r->errbuf[0] ? r->errbuf : curl_easy_strerror(cc);

    if (cc == CURLE_OPERATION_TIMEDOUT)
      rc = HV_ETIMEDOUT;
    else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST)
      rc = HV_ECONNECT;
    else if (cc == CURLE_WRITE_ERROR && r->resp.len >= r->resp.max)
      rc = HV_ETOOBIG;
    else
      rc = HV_EHTTP;
    hv_error_set(&err, rc, "%s %s: %s", r->method, r->url, why);
  }
  r->cb(rc, status, r->resp.ptr ? r->resp.ptr : "", r->resp.len, &err,
        r->payload);
  req_free(r);
}

static void drain(hv_http *h)
{
  CURLMsg *m;
  int left;

  while ((m = curl_multi_info_read(h->multi, &left))) {
    http_req *r = NULL;

    if (m->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (r)
      req_finish(r, m->data.result);
  }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  sock_ctx *c = p->data;
  int flags = 0, running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(c->h->multi, c->fd, flags, &running);
  drain(c->h);
}

static void on_timer(uv_timer_t *t)
{
  hv_http *h = t->data;
  int running;

  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  drain(h);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
  hv_http *h = userp;

  (void)multi;
  if (timeout_ms < 0)
    uv_timer_stop(&h->timer);
  else
    uv_timer_start(&h->timer, on_timer, timeout_ms ? (uint64_t)timeout_ms : 1,
                   0);
  return 0;
}

static void sock_closed(uv_handle_t *handle)
{
  hv_free(handle->data);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp)
{
  hv_http *h = userp;
  sock_ctx *c = socketp;
  int events = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (c) {
      uv_poll_stop(&c->poll);
      uv_close((uv_handle_t *)&c->poll, sock_closed);
      curl_multi_assign(h->multi, s, NULL);
    }
    return 0;
  }
  if (!c) {
    if (!(c = hv_calloc(1, sizeof(*c))))
      return -1;
    c->fd = s;
    c->h = h;
    if (uv_poll_init_socket(h->loop, &c->poll, s) != 0) {
      hv_free(c);
      return -1;
    }
    c->poll.data = c;
    curl_multi_assign(h->multi, s, c);
  }
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  uv_poll_start(&c->poll, events, on_poll);
  return 0;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
  http_req *r = userdata;

  if (hv_buf_add(&r->resp, ptr, size * nmemb) < 0)
    return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
  return size * nmemb;
}

int hv_http_new(hv_http **out, uv_loop_t *loop, const hv_http_opts *opts,
                hv_error *err)
{
  hv_http *h;

  if (!(h = hv_calloc(1, sizeof(*h))))
    return hv_error_oom(err);
  h->loop = loop;
  h->opts = *opts;
  if ((opts->user && !(h->user = hv_strdup(opts->user))) ||
      (opts->password && !(h->password = hv_strdup(opts->password))) ||
      (opts->header && !(h->header = hv_strdup(opts->header))))
    goto oom;
  h->opts.user = h->opts.password = h->opts.header = NULL;
  if (!h->opts.timeout_ms)
    h->opts.timeout_ms = 30000;
  if (!h->opts.max_response)
    h->opts.max_response = (size_t)16 << 20;
  if (!(h->multi = curl_multi_init()))
    goto oom;
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  uv_timer_init(loop, &h->timer);
  h->timer.data = h;
  *out = h;
  return 0;

oom:
  wipe_free(h->password);
  wipe_free(h->header);
  hv_free(h->user);
  hv_free(h);
  return hv_error_oom(err);
}

int hv_http_send(hv_http *h, const hv_http_request *req, hv_http_cb cb,
                 void *payload, hv_error *err)
{
  http_req *r;
  char ct[256];
  CURL *e;

  if (h->closing)
    return hv_error_set(err, HV_ECANCELED, "%s %s: client closed",
                        req->method, req->url);
  if (!(r = hv_calloc(1, sizeof(*r))))
    return hv_error_oom(err);
  r->h = h;
  r->cb = cb;
  r->payload = payload;
  hv_buf_init(&r->resp, h->opts.max_response);
  if (!(r->method = hv_strdup(req->method)) ||
      !(r->url = hv_strdup(req->url)) ||
      (req->body && !(r->body = hv_strndup(req->body, req->body_len))) ||
      !(r->easy = curl_easy_init()))
    goto oom;
  e = r->easy;
  /* Expect: 100-continue would stall every body for a second on servers
   * that do not answer it. */
  if (!(r->headers = curl_slist_append(r->headers, "Expect:")))
    goto oom;
  if (req->content_type) {
    struct curl_slist *l;

    snprintf(ct, sizeof(ct), "Content-Type: %s", req->content_type);
    if (!(l = curl_slist_append(r->headers, ct)))
      goto oom;
    r->headers = l;
  }
  if (h->header) {
    struct curl_slist *l = curl_slist_append(r->headers, h->header);

    if (!l)
      goto oom;
    r->headers = l;
  }
  curl_easy_setopt(e, CURLOPT_URL, r->url);
  curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, h->opts.timeout_ms);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->opts.timeout_ms);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "govharvest/" HV_VERSION);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  if (strcmp(r->method, "GET") != 0)
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
  if (r->body) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
  }
  if (h->opts.auth != HV_HTTP_AUTH_NONE) {
    curl_easy_setopt(e, CURLOPT_HTTPAUTH,
                     h->opts.auth == HV_HTTP_AUTH_DIGEST ? CURLAUTH_DIGEST
                                                         : CURLAUTH_BASIC);
    curl_easy_setopt(e, CURLOPT_USERNAME, h->user ? h->user : "");
    curl_easy_setopt(e, CURLOPT_PASSWORD, h->password ? h->password : "");
  }
  r->next = h->reqs;
  if (h->reqs)
    h->reqs->prev = r;
  h->reqs = r;
  if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
    req_unlink(r);
    req_free(r);
    return hv_error_set(err, HV_EHTTP, "%s %s: cannot start the request",
                        req->method, req->url);
  }
  return 0;

oom:
  req_free(r);
  return hv_error_oom(err);
}

static void client_closed(uv_handle_t *handle)
{
  hv_free(handle->data);
}

void hv_http_close(hv_http *h)
{
  if (!h || h->closing)
    return;
  h->closing = 1;
  while (h->reqs) {
    http_req *r = h->reqs;
    hv_error err = HV_ERROR_INIT;

    curl_multi_remove_handle(h->multi, r->easy);
    req_unlink(r);
    hv_error_set(&err, HV_ECANCELED, "%s %s: canceled", r->method, r->url);
    r->cb(HV_ECANCELED, 0, "", 0, &err, r->payload);
    req_free(r);
  }
  /* curl may call the socket callback here, so the loop and the socket
   * contexts stay alive until afterwards. */
  curl_multi_cleanup(h->multi);
  h->multi = NULL;
  uv_timer_stop(&h->timer);
  wipe_free(h->password);
  wipe_free(h->header);
  hv_free(h->user);
  h->password = h->header = h->user = NULL;
  uv_close((uv_handle_t *)&h->timer, client_closed);
}

int hv_http_escape(hv_buf *b, const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *p;
  int rc = 0;

  for (p = (const unsigned char *)s; *p && rc == 0; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
        (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
        *p == '~') {
      rc = hv_buf_addc(b, (char)*p);
    } else {
      char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

      rc = hv_buf_add(b, esc, 3);
    }
  }
  return rc;
}

int hv_http_from_conf(hv_http **out, const hv_sink_conf *c, uv_loop_t *loop,
                      const char *token_header, hv_error *err)
{
  hv_http_opts o;
  const char *auth = hv_sink_conf_get(c, "auth");
  char *password = NULL, *token = NULL;
  hv_buf header = HV_BUF_INIT(8192);
  long timeout = 30;
  int rc;

  memset(&o, 0, sizeof(o));
  if ((rc = hv_sink_conf_int(c, "timeout", 1, 3600, &timeout, err)) < 0)
    return rc;
  o.timeout_ms = timeout * 1000;
  if (!auth || strcmp(auth, "none") == 0)
    o.auth = HV_HTTP_AUTH_NONE;
  else if (strcmp(auth, "basic") == 0)
    o.auth = HV_HTTP_AUTH_BASIC;
  else if (strcmp(auth, "digest") == 0)
    o.auth = HV_HTTP_AUTH_DIGEST;
  else {
    size_t i;
    int line = c->line;

    for (i = 0; i < c->n_settings; i++)
      if (strcmp(c->settings[i].key, "auth") == 0)
        line = c->settings[i].line;
    return hv_error_set(err, HV_EINVAL,
                        "%s:%d: sink %s: auth must be none, basic or digest, "
                        "not '%s'",
                        c->path, line, c->name, auth);
  }
  o.user = hv_sink_conf_get(c, "user");
  if (o.auth != HV_HTTP_AUTH_NONE) {
    if (!o.user)
      return hv_error_set(err, HV_EINVAL, "%s:%d: sink %s: auth %s needs "
                          "'user'", c->path, c->line, c->name, auth);
    if ((rc = hv_sink_conf_secret(c, "password", &password, err)) < 0)
      goto cleanup;
    if (!password) {
      rc = hv_error_set(err, HV_EINVAL, "%s:%d: sink %s: auth %s needs "
                        "password_env or password_file", c->path, c->line,
                        c->name, auth);
      goto cleanup;
    }
    o.password = password;
  }
  if (token_header) {
    if ((rc = hv_sink_conf_secret(c, "token", &token, err)) < 0)
      goto cleanup;
    if (token) {
      if (hv_buf_addf(&header, "%s: %s", token_header, token) < 0) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      o.header = header.ptr;
    }
  }
  rc = hv_http_new(out, loop, &o, err);

cleanup:
  if (header.ptr)
    memset(header.ptr, 0, header.len);
  hv_buf_fini(&header);
  wipe_free(password);
  wipe_free(token);
  return rc;
}

void hv_http_one_line(const char *body, size_t len, char *out, size_t size)
{
  size_t n = 0, i;
  int in_tag = 0, space = 1;

  if (!size)
    return;
  for (i = 0; i < len && n + 1 < size; i++) {
    unsigned char c = (unsigned char)body[i];

    if (c == '<') {
      in_tag = 1;
      continue;
    }
    if (in_tag) {
      in_tag = c != '>';
      if (!in_tag && !space) {
        out[n++] = ' ';
        space = 1;
      }
      continue;
    }
    if (c < 0x20 || c == 0x7f || c == ' ') {
      if (!space)
        out[n++] = ' ';
      space = 1;
      continue;
    }
    out[n++] = (char)c;
    space = 0;
  }
  while (n > 0 && out[n - 1] == ' ')
    n--;
  out[n] = '\0';
}
