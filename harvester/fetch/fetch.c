/*
 * The fetcher (see fetch.h): curl's multi-socket interface on a libuv
 * loop, with our own queue in front of it.
 *
 * Every fetch is a job. A job waits in the fetcher's list until a global
 * and a per-host slot are free, then runs one attempt on a fresh easy
 * handle; the attempt's outcome either finishes the job (one callback) or
 * parks it on its retry timer, after which it queues again. We queue
 * ourselves instead of leaning on CURLMOPT_MAX_HOST_CONNECTIONS because
 * curl's CURLOPT_TIMEOUT would count the time a transfer waits inside
 * curl for a connection, turning a busy host into spurious timeouts.
 *
 * curl is wired to the loop as in curl's multi-uv example, hardened: one
 * uv_poll_t per curl socket, the timer callback only (re)arms a uv timer,
 * and completions are drained after every curl_multi_socket_action. The
 * user callback runs only from places where curl is not on the stack
 * (the drain, a retry timer, the queue pump, close), so it may start new
 * fetches or even close the fetcher.
 *
 * The address policy is enforced in CURLOPT_OPENSOCKETFUNCTION, which
 * sees every address curl is about to connect to, including after
 * redirects and during happy-eyeballs fallbacks; a refused address gets
 * no socket, so nothing is ever sent to it.
 *
 * A fetch holds its per-host slot on the host of the URL it was given,
 * also while it follows redirects to another host: the limit protects
 * the sources we were asked to harvest.
 */
#include "fetch/fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "fetch/fetch_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#ifndef HV_VERSION
#define HV_VERSION "0"
#endif

#define HV_DEFAULT_USER_AGENT "govharvest/" HV_VERSION

typedef enum job_state {
  JOB_QUEUED,  /* waiting for a global and a per-host slot */
  JOB_RUNNING, /* an easy handle is in the multi */
  JOB_WAITING  /* retry timer armed */
} job_state;

/* Concurrent transfers per host; entries vanish when their count hits 0. */
typedef struct host_slot {
  char *name;
  int active;
  struct host_slot *next;
} host_slot;

/* One per curl socket, owned by the poll handle (freed in close_cb). */
typedef struct sock_ctx {
  uv_poll_t poll;
  curl_socket_t fd;
  hv_fetcher *f;
  struct sock_ctx *prev, *next;
} sock_ctx;

typedef struct job {
  hv_fetcher *f;
  struct job *prev, *next; /* the fetcher's jobs, in arrival order */
  job_state state;
  char *url;
  char *host;               /* per-host slot key (lowercase hostname) */
  hv_fetch_cb cb;
  void *payload;
  struct curl_slist *req_headers; /* validators; lives as long as the job */
  CURL *easy;                     /* current attempt, or NULL */
  char errbuf[CURL_ERROR_SIZE];
  uv_timer_t retry_timer;
  hv_buf body;
  /* Response state, reset on each attempt and each redirect hop. */
  char *content_type;
  char *etag;
  char *last_modified;
  long retry_after_ms;      /* -1: no usable Retry-After */
  int too_big;              /* the write callback hit max_body */
  int refused;              /* an address was refused by policy */
  char refused_msg[HV_ERROR_MSG_MAX]; /* which address and why */
  /* Totals over the whole fetch. */
  int attempts;
  uint64_t bytes;
  uint64_t start_ns;
  long status;
  char *effective_url;
} job;

struct hv_fetcher {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer;   /* curl's single timeout */
  hv_fetch_opts opts;
  char *user_agent;
  job *jobs, *jobs_tail;
  sock_ctx *socks;
  host_slot *hosts;
  int active;         /* transfers in the multi */
  int open_handles;   /* uv handles not yet through their close_cb */
  int closing;
  int pumping;        /* pump() is on the stack */
  int pump_again;     /* a nested pump() was asked for */
  uint64_t rng;       /* xorshift state for backoff jitter */
};

static void drain(hv_fetcher *f);
static void pump(hv_fetcher *f);

/* ---- bookkeeping ------------------------------------------------------ */

static void maybe_free_fetcher(hv_fetcher *f)
{
  if (f->closing && f->open_handles == 0 && !f->multi) {
    hv_free(f->user_agent);
    hv_free(f);
  }
}

static void on_handle_closed(uv_handle_t *h)
{
  hv_fetcher *f = h->data;

  f->open_handles--;
  maybe_free_fetcher(f);
}

static host_slot *find_host(hv_fetcher *f, const char *name)
{
  host_slot *h;

  for (h = f->hosts; h; h = h->next)
    if (strcmp(h->name, name) == 0)
      return h;
  return NULL;
}

static int host_acquire(hv_fetcher *f, const char *name)
{
  host_slot *h = find_host(f, name);

  if (!h) {
    if (!(h = hv_calloc(1, sizeof(*h))) || !(h->name = hv_strdup(name))) {
      hv_free(h);
      return HV_ENOMEM;
    }
    h->next = f->hosts;
    f->hosts = h;
  }
  h->active++;
  return 0;
}

static void host_release(hv_fetcher *f, const char *name)
{
  host_slot **pp, *h;

  for (pp = &f->hosts; (h = *pp); pp = &h->next) {
    if (strcmp(h->name, name) == 0) {
      if (--h->active == 0) {
        *pp = h->next;
        hv_free(h->name);
        hv_free(h);
      }
      return;
    }
  }
}

static void job_unlink(job *j)
{
  hv_fetcher *f = j->f;

  if (j->prev)
    j->prev->next = j->next;
  else
    f->jobs = j->next;
  if (j->next)
    j->next->prev = j->prev;
  else
    f->jobs_tail = j->prev;
  j->prev = j->next = NULL;
}

static void reset_response(job *j)
{
  hv_free(j->content_type);
  hv_free(j->etag);
  hv_free(j->last_modified);
  j->content_type = j->etag = j->last_modified = NULL;
  j->retry_after_ms = -1;
  hv_buf_reset(&j->body);
}

static void on_job_timer_closed(uv_handle_t *h)
{
  job *j = h->data;
  hv_fetcher *f = j->f;

  reset_response(j);
  hv_buf_fini(&j->body);
  curl_slist_free_all(j->req_headers);
  hv_free(j->url);
  hv_free(j->host);
  hv_free(j->effective_url);
  hv_free(j);
  f->open_handles--;
  maybe_free_fetcher(f);
}

/* Ends the current attempt's easy handle and gives back its slots. */
static void end_attempt(job *j)
{
  hv_fetcher *f = j->f;

  if (!j->easy)
    return;
  if (f->multi)
    curl_multi_remove_handle(f->multi, j->easy);
  curl_easy_cleanup(j->easy);
  j->easy = NULL;
  f->active--;
  host_release(f, j->host);
}

/*
 * Unlinks j, calls its callback once and releases it. The memory goes
 * when the retry timer's close_cb runs, so nothing the callback does can
 * pull the job out from under a caller further up the stack.
 */
static void finish(job *j, int status, hv_error *err)
{
  hv_fetch_result r;

  end_attempt(j);
  uv_timer_stop(&j->retry_timer);
  job_unlink(j);
  memset(&r, 0, sizeof(r));
  r.status = j->status;
  r.not_modified = j->status == 304;
  r.body = status == 0 && j->body.ptr ? j->body.ptr : "";
  r.len = status == 0 ? j->body.len : 0;
  r.content_type = j->content_type;
  r.etag = j->etag;
  r.last_modified = j->last_modified;
  r.effective_url = j->effective_url ? j->effective_url : j->url;
  r.attempts = j->attempts;
  r.bytes = j->bytes;
  r.seconds = (double)(uv_hrtime() - j->start_ns) / 1e9;
  j->cb(status, &r, err, j->payload);
  uv_close((uv_handle_t *)&j->retry_timer, on_job_timer_closed);
}

/* ---- sockets --------------------------------------------------------- */

/*
 * curl asks here for every socket it opens, with the address it is about
 * to connect to: the one place where the address policy (policy.c) sees
 * every peer, redirects and fallbacks included.
 */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose,
                                 struct curl_sockaddr *addr)
{
  job *j = clientp;
  hv_error err = HV_ERROR_INIT;
  const void *raw = NULL;

  (void)purpose;
  if (addr->family == AF_INET)
    raw = &((const struct sockaddr_in *)&addr->addr)->sin_addr;
  else if (addr->family == AF_INET6)
    raw = &((const struct sockaddr_in6 *)&addr->addr)->sin6_addr;
  if (hv_fetch_check_addr(&j->f->opts, addr->family, raw, &err) < 0) {
    /* No socket, so nothing reaches the address; curl reports a failed
       connect, which attempt_done turns into HV_EPOLICY. */
    j->refused = 1;
    memcpy(j->refused_msg, err.msg, sizeof(j->refused_msg));
    return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* ---- curl callbacks ---------------------------------------------------- */

static size_t on_write(char *data, size_t size, size_t n, void *userdata)
{
  job *j = userdata;
  size_t len = size * n;

  /* Decoded bytes: a gzip bomb hits the cap here, not on the wire. */
  j->bytes += len;
  if (hv_buf_add(&j->body, data, len) < 0) {
    j->too_big = j->body.len + len > j->body.max;
    return 0;
  }
  return len;
}

static char *dup_trimmed(const char *p, size_t len)
{
  while (len > 0 && (*p == ' ' || *p == '\t')) {
    p++;
    len--;
  }
  while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n' ||
                     p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  return hv_strndup(p, len);
}

/* Parses Retry-After (delta-seconds or HTTP-date) into milliseconds. */
static long parse_retry_after(const char *v)
{
  char *end;
  long secs;
  time_t when;

  if (*v >= '0' && *v <= '9') {
    secs = strtol(v, &end, 10);
    if (*end != '\0' || secs < 0)
      return -1;
    return secs > 86400 ? 86400000L : secs * 1000L;
  }
  when = curl_getdate(v, NULL);
  if (when == (time_t)-1)
    return -1;
  when -= time(NULL);
  if (when <= 0)
    return 0;
  return when > 86400 ? 86400000L : (long)when * 1000L;
}

static size_t on_header(char *data, size_t size, size_t n, void *userdata)
{
  job *j = userdata;
  size_t len = size * n;
  const char *colon;
  char **slot = NULL;
  size_t name_len;

  /* A status line starts a new response: a redirect hop or a retry. */
  if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
    reset_response(j);
    return len;
  }
  colon = memchr(data, ':', len);
  if (!colon)
    return len;
  name_len = (size_t)(colon - data);
  if (name_len == 12 && strncasecmp(data, "Content-Type", 12) == 0)
    slot = &j->content_type;
  else if (name_len == 4 && strncasecmp(data, "ETag", 4) == 0)
    slot = &j->etag;
  else if (name_len == 13 && strncasecmp(data, "Last-Modified", 13) == 0)
    slot = &j->last_modified;
  else if (name_len == 11 && strncasecmp(data, "Retry-After", 11) == 0) {
    char *v = dup_trimmed(colon + 1, len - name_len - 1);

    if (!v)
      return 0;
    j->retry_after_ms = parse_retry_after(v);
    hv_free(v);
    return len;
  }
  if (slot) {
    hv_free(*slot);
    if (!(*slot = dup_trimmed(colon + 1, len - name_len - 1)))
      return 0;
  }
  return len;
}

static void on_poll_closed(uv_handle_t *h)
{
  sock_ctx *c = h->data;
  hv_fetcher *f = c->f;

  hv_free(c);
  f->open_handles--;
  maybe_free_fetcher(f);
}

static void close_sock(sock_ctx *c)
{
  hv_fetcher *f = c->f;

  if (c->prev)
    c->prev->next = c->next;
  else
    f->socks = c->next;
  if (c->next)
    c->next->prev = c->prev;
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, on_poll_closed);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
  sock_ctx *c = h->data;
  hv_fetcher *f = c->f;
  int flags = 0, running;

  if (status < 0)
    flags = CURL_CSELECT_ERR;
  else {
    if (events & UV_READABLE)
      flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
      flags |= CURL_CSELECT_OUT;
  }
  curl_multi_socket_action(f->multi, c->fd, flags, &running);
  drain(f);
}

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp,
                     void *socketp)
{
  hv_fetcher *f = userp;
  sock_ctx *c = socketp;
  int events = 0;

  (void)easy;
  if (what == CURL_POLL_REMOVE) {
    if (c) {
      close_sock(c);
      curl_multi_assign(f->multi, s, NULL);
    }
    return 0;
  }
  if (!c) {
    if (!(c = hv_calloc(1, sizeof(*c))))
      return -1;
    if (uv_poll_init_socket(f->loop, &c->poll, s) < 0) {
      hv_free(c);
      return -1;
    }
    f->open_handles++;
    c->fd = s;
    c->f = f;
    c->poll.data = c;
    c->next = f->socks;
    if (f->socks)
      f->socks->prev = c;
    f->socks = c;
    curl_multi_assign(f->multi, s, c);
  }
  if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
    events |= UV_READABLE;
  if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
    events |= UV_WRITABLE;
  return uv_poll_start(&c->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timeout(uv_timer_t *t)
{
  hv_fetcher *f = t->data;
  int running;

  curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  drain(f);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
  hv_fetcher *f = userp;

  (void)multi;
  /* No curl calls from here: curl may be in the middle of a call. */
  if (timeout_ms < 0)
    uv_timer_stop(&f->timer);
  else
    uv_timer_start(&f->timer, on_timeout,
                   timeout_ms ? (uint64_t)timeout_ms : 1, 0);
  return 0;
}

/* ---- attempts, retries, completion ------------------------------------ */

static uint64_t next_random(hv_fetcher *f)
{
  f->rng ^= f->rng << 13;
  f->rng ^= f->rng >> 7;
  f->rng ^= f->rng << 17;
  return f->rng;
}

/*
 * The delay before attempt n+1 after n failed ones: base * 2^(n-1),
 * capped, then "equal jitter" (half fixed, half random) so that many
 * jobs failing together do not come back together. A Retry-After is a
 * floor (the server asked for it), but the cap still applies so a hostile
 * server cannot park a harvest for a day.
 */
static uint64_t retry_delay(hv_fetcher *f, job *j)
{
  const hv_fetch_opts *o = &f->opts;
  uint64_t d = (uint64_t)(o->backoff_base_ms > 0 ? o->backoff_base_ms : 0);
  uint64_t cap = (uint64_t)(o->backoff_max_ms > 0 ? o->backoff_max_ms : 0);
  int i;

  for (i = 1; i < j->attempts && d < cap; i++)
    d *= 2;
  if (d > cap)
    d = cap;
  if (d > 1)
    d = d / 2 + next_random(f) % (d / 2 + 1);
  if (j->retry_after_ms >= 0 && (uint64_t)j->retry_after_ms > d)
    d = (uint64_t)j->retry_after_ms;
  return d > cap ? cap : d;
}

static void on_retry_timer(uv_timer_t *t)
{
  job *j = t->data;

  j->state = JOB_QUEUED;
  pump(j->f);
}

static int start_attempt(job *j, hv_error *err)
{
  hv_fetcher *f = j->f;
  const hv_fetch_opts *o = &f->opts;
  CURL *e;
  CURLMcode mc;
  int rc = 0;

  if (!(e = curl_easy_init()))
    return hv_error_oom(err);
  j->errbuf[0] = '\0';
  j->too_big = 0;
  j->refused = 0;
  reset_response(j);
  if (curl_easy_setopt(e, CURLOPT_URL, j->url) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_PRIVATE, j) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_WRITEDATA, j) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_HEADERDATA, j) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket) !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_MAXREDIRS, o->max_redirects) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE,
                       (curl_off_t)o->max_body) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_USERAGENT, f->user_agent) != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms) !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->total_timeout_ms) !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o->low_speed_bytes) !=
          CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, o->low_speed_seconds) !=
          CURLE_OK ||
      /* A proxy from the environment would be the only address the
         policy sees; harvests go direct. */
      curl_easy_setopt(e, CURLOPT_PROXY, "") != CURLE_OK ||
      curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->req_headers) != CURLE_OK) {
    rc = hv_error_set(err, HV_EINVAL, "%s: cannot configure transfer",
                      j->url);
    goto cleanup;
  }
  if ((rc = host_acquire(f, j->host)) < 0) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if ((mc = curl_multi_add_handle(f->multi, e)) != CURLM_OK) {
    host_release(f, j->host);
    rc = hv_error_set(err, HV_EHTTP, "%s: cannot start transfer: %s", j->url,
                      curl_multi_strerror(mc));
    goto cleanup;
  }
  j->easy = e;
  e = NULL;
  j->state = JOB_RUNNING;
  j->attempts++;
  f->active++;

cleanup:
  if (e)
    curl_easy_cleanup(e);
  return rc;
}

static int is_retryable_status(long status)
{
  return status == 429 || (status >= 500 && status <= 599);
}

/* Maps a failed attempt to an HV code; *retry says if another may help. */
static int classify(job *j, CURLcode code, int *retry)
{
  *retry = 0;
  if (j->refused && code == CURLE_COULDNT_CONNECT)
    return HV_EPOLICY;
  switch (code) {
  case CURLE_WRITE_ERROR:
    /* Our callbacks refuse data only at the cap or when out of memory. */
    return j->too_big ? HV_ETOOBIG : HV_ENOMEM;
  case CURLE_FILESIZE_EXCEEDED:
    return HV_ETOOBIG;
  case CURLE_UNSUPPORTED_PROTOCOL:
    return HV_EPOLICY;
  case CURLE_OPERATION_TIMEDOUT:
    *retry = 1;
    return HV_ETIMEDOUT;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SSL_CONNECT_ERROR:
    *retry = 1;
    return HV_ECONNECT;
  case CURLE_PARTIAL_FILE:
  case CURLE_GOT_NOTHING:
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    *retry = 1;
    return HV_EHTTP;
  default:
    return HV_EHTTP;
  }
}

static const char *plural(int n)
{
  return n == 1 ? "" : "s";
}

/* Describes a failed attempt in err, naming the URL and the cause. */
static void describe(job *j, CURLcode code, int rc, long elapsed_ms,
                     hv_error *err)
{
  const char *detail = j->errbuf[0] ? j->errbuf : curl_easy_strerror(code);
  int n = j->attempts;

  switch (rc) {
  case HV_EPOLICY:
    if (j->refused && code == CURLE_COULDNT_CONNECT)
      hv_error_set(err, rc, "%s: %s", j->url, j->refused_msg);
    else
      hv_error_set(err, rc, "%s: refused by policy: %s", j->url, detail);
    break;
  case HV_ETOOBIG:
    hv_error_set(err, rc, "%s: body exceeds the cap of %zu bytes", j->url,
                 j->f->opts.max_body);
    break;
  case HV_ETIMEDOUT:
    hv_error_set(err, rc, "%s: timed out after %ld ms (%d attempt%s): %s",
                 j->url, elapsed_ms, n, plural(n), detail);
    break;
  case HV_ECONNECT:
    hv_error_set(err, rc, "%s: cannot connect (%d attempt%s): %s", j->url, n,
                 plural(n), detail);
    break;
  default:
    if (code == CURLE_TOO_MANY_REDIRECTS)
      hv_error_set(err, rc, "%s: more than %ld redirects", j->url,
                   j->f->opts.max_redirects);
    else if (code == CURLE_PARTIAL_FILE)
      hv_error_set(err, rc, "%s: truncated body (%d attempt%s): %s", j->url,
                   n, plural(n), detail);
    else
      hv_error_set(err, rc, "%s: transfer failed (%d attempt%s): %s", j->url,
                   n, plural(n), detail);
    break;
  }
}

static void schedule_retry(job *j)
{
  j->state = JOB_WAITING;
  uv_timer_start(&j->retry_timer, on_retry_timer, retry_delay(j->f, j), 0);
}

/* One attempt ended with code; decide between retry and finish. */
static void attempt_done(job *j, CURLcode code)
{
  hv_fetcher *f = j->f;
  hv_error err = HV_ERROR_INIT;
  curl_off_t total_us = 0;
  char *eff = NULL;
  long status = 0;
  int rc = 0, retry = 0;

  curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(j->easy, CURLINFO_EFFECTIVE_URL, &eff);
  curl_easy_getinfo(j->easy, CURLINFO_TOTAL_TIME_T, &total_us);
  j->status = code == CURLE_OK ? status : 0;
  if (eff) {
    hv_free(j->effective_url);
    j->effective_url = hv_strdup(eff);
  }
  end_attempt(j);

  if (code == CURLE_OK) {
    retry = is_retryable_status(status);
    if (!retry || j->attempts >= f->opts.max_attempts) {
      if (status >= 400)
        hv_error_set(&err, HV_EHTTP, "%s: HTTP %ld after %d attempt%s",
                     j->url, status, j->attempts, plural(j->attempts));
      finish(j, 0, &err);
      return;
    }
  } else {
    rc = classify(j, code, &retry);
    if (!retry || j->attempts >= f->opts.max_attempts) {
      describe(j, code, rc, (long)(total_us / 1000), &err);
      finish(j, rc, &err);
      return;
    }
  }
  schedule_retry(j);
}

/*
 * Runs completions. Stops as soon as a callback closed the fetcher,
 * because the multi handle is gone by then.
 */
static void drain(hv_fetcher *f)
{
  CURLMsg *msg;
  int left;

  while (!f->closing && (msg = curl_multi_info_read(f->multi, &left))) {
    CURL *easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    void *priv = NULL;

    if (msg->msg != CURLMSG_DONE)
      continue;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    if (!priv)
      continue;
    attempt_done(priv, code);
  }
  pump(f);
}

/* The next queued job whose host has a free slot, or NULL. */
static job *next_startable(hv_fetcher *f)
{
  job *j;

  if (f->active >= f->opts.max_total)
    return NULL;
  for (j = f->jobs; j; j = j->next) {
    host_slot *h;

    if (j->state != JOB_QUEUED)
      continue;
    h = find_host(f, j->host);
    if (!h || h->active < f->opts.max_per_host)
      return j;
  }
  return NULL;
}

/*
 * Starts queued jobs while slots are free. A failed start finishes its
 * job, whose callback may add jobs (a nested pump just asks this one to
 * scan again) or close the fetcher (we stop).
 */
static void pump(hv_fetcher *f)
{
  job *j;

  if (f->pumping) {
    f->pump_again = 1;
    return;
  }
  f->pumping = 1;
  do {
    f->pump_again = 0;
    while (!f->closing && (j = next_startable(f))) {
      hv_error err = HV_ERROR_INIT;

      if (start_attempt(j, &err) < 0)
        finish(j, err.code, &err);
    }
  } while (f->pump_again && !f->closing);
  f->pumping = 0;
}

/* ---- public API ------------------------------------------------------- */

int hv_fetch_global_init(hv_error *err)
{
  CURLcode c = curl_global_init(CURL_GLOBAL_DEFAULT);

  if (c != CURLE_OK)
    return hv_error_set(err, HV_EIO, "curl initialisation failed: %s",
                        curl_easy_strerror(c));
  return 0;
}

void hv_fetch_global_cleanup(void)
{
  curl_global_cleanup();
}

int hv_fetcher_new(hv_fetcher **out, uv_loop_t *loop,
                   const hv_fetch_opts *opts, hv_error *err)
{
  hv_fetch_opts defaults = HV_FETCH_OPTS_INIT;
  hv_fetcher *f = NULL;
  int rc = 0;

  if (!loop || (opts && opts->version != HV_FETCH_OPTS_VERSION))
    return hv_error_set(err, HV_EINVAL,
                        "fetcher: no loop or unknown options version");
  if (!opts)
    opts = &defaults;
  if (opts->max_total < 1 || opts->max_per_host < 1 ||
      opts->max_attempts < 1 || opts->max_body == 0 ||
      opts->max_redirects < 0)
    return hv_error_set(err, HV_EINVAL,
                        "fetcher: limits must be positive (max_total %d, "
                        "max_per_host %d, max_attempts %d)",
                        opts->max_total, opts->max_per_host,
                        opts->max_attempts);
  if (!(f = hv_calloc(1, sizeof(*f))))
    return hv_error_oom(err);
  f->loop = loop;
  f->opts = *opts;
  f->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)f;
  if (!f->rng)
    f->rng = 0x9e3779b97f4a7c15ULL;
  if (!(f->user_agent = hv_strdup(opts->user_agent ? opts->user_agent
                                                   : HV_DEFAULT_USER_AGENT))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  if (!(f->multi = curl_multi_init())) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
  uv_timer_init(loop, &f->timer);
  f->timer.data = f;
  f->open_handles = 1;
  *out = f;
  f = NULL;

cleanup:
  if (f) {
    if (f->multi)
      curl_multi_cleanup(f->multi);
    hv_free(f->user_agent);
    hv_free(f);
  }
  return rc;
}

int hv_fetcher_get(hv_fetcher *f, const char *url, const char *etag,
                   const char *last_modified, hv_fetch_cb cb, void *payload,
                   hv_error *err)
{
  job *j = NULL;
  hv_buf line = HV_BUF_INIT(8192);
  struct curl_slist *next;
  int rc = 0;

  if (!f || !cb)
    return hv_error_set(err, HV_EINVAL, "fetch: no fetcher or callback");
  if (f->closing)
    return hv_error_set(err, HV_ECANCELED, "%s: fetcher is closing",
                        url ? url : "(null)");
  if (!(j = hv_calloc(1, sizeof(*j))))
    return hv_error_oom(err);
  j->f = f;
  hv_buf_init(&j->body, f->opts.max_body);
  if ((rc = hv__fetch_check_url(url, &j->host, err)) < 0)
    goto cleanup;
  if (!(j->url = hv_strdup(url))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  /* Validators become conditional headers; CR/LF would split them. */
  if ((etag && strpbrk(etag, "\r\n")) ||
      (last_modified && strpbrk(last_modified, "\r\n"))) {
    rc = hv_error_set(err, HV_EINVAL, "%s: validator contains a line break",
                      url);
    goto cleanup;
  }
  if (etag && *etag) {
    if ((rc = hv_buf_addf(&line, "If-None-Match: %s", etag)) < 0 ||
        !(next = curl_slist_append(j->req_headers, line.ptr))) {
      rc = rc < 0 ? hv_error_set(err, rc, "%s: ETag too long", url)
                  : hv_error_oom(err);
      goto cleanup;
    }
    j->req_headers = next;
  }
  hv_buf_reset(&line);
  if (last_modified && *last_modified) {
    if ((rc = hv_buf_addf(&line, "If-Modified-Since: %s", last_modified)) <
            0 ||
        !(next = curl_slist_append(j->req_headers, line.ptr))) {
      rc = rc < 0 ? hv_error_set(err, rc, "%s: Last-Modified too long", url)
                  : hv_error_oom(err);
      goto cleanup;
    }
    j->req_headers = next;
  }
  j->cb = cb;
  j->payload = payload;
  j->retry_after_ms = -1;
  j->start_ns = uv_hrtime();
  j->state = JOB_QUEUED;
  uv_timer_init(f->loop, &j->retry_timer);
  j->retry_timer.data = j;
  f->open_handles++;
  j->prev = f->jobs_tail;
  if (f->jobs_tail)
    f->jobs_tail->next = j;
  else
    f->jobs = j;
  f->jobs_tail = j;
  j = NULL;
  pump(f);

cleanup:
  hv_buf_fini(&line);
  if (j) {
    curl_slist_free_all(j->req_headers);
    hv_buf_fini(&j->body);
    hv_free(j->url);
    hv_free(j->host);
    hv_free(j);
  }
  return rc;
}

void hv_fetcher_close(hv_fetcher *f)
{
  if (!f || f->closing)
    return;
  /* Stop intake first: callbacks below may try to add fetches. */
  f->closing = 1;
  while (f->jobs) {
    hv_error err = HV_ERROR_INIT;
    job *j = f->jobs;

    hv_error_set(&err, HV_ECANCELED, "%s: canceled (fetcher closed)",
                 j->url);
    finish(j, HV_ECANCELED, &err);
  }
  /* curl may report socket removals from in here, so the poll contexts
     and the timer stay alive until it returns. */
  curl_multi_cleanup(f->multi);
  f->multi = NULL;
  while (f->socks)
    close_sock(f->socks);
  uv_timer_stop(&f->timer);
  uv_close((uv_handle_t *)&f->timer, on_handle_closed);
}
