/*
 * The CKAN action API double (see ckan_double.h).
 *
 * libmicrohttpd calls the handler several times per request: once with
 * the headers, then with pieces of the body, then with nothing, which is
 * when the request is answered. The body is gathered in a per-request
 * buffer; all shared state sits behind one mutex because every
 * connection has a thread of its own.
 */
#include "tools/ckan_double.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util/alloc.h"
#include "util/buf.h"

#define MAX_BODY ((size_t)8 << 20)

struct hv_ckan_double {
  struct MHD_Daemon *daemon;
  uint16_t port;
  pthread_mutex_t lock;
  char *token;
  json_t *packages;   /* name -> package object */
  json_t *orgs;       /* array of names */
  json_t *creates;    /* name -> number of creates applied */
  hv_ckan_faults faults;
  unsigned writes;    /* write calls seen, for fail_every */
  unsigned creates_seen; /* package_create calls, for fail_after_apply */
  unsigned next_id;
  hv_ckan_call *calls;
  size_t n_calls, cap_calls;
};

typedef struct request_ctx {
  hv_buf body;
} request_ctx;

static void record(hv_ckan_double *d, const char *action, const char *name,
                   int status)
{
  hv_ckan_call *grown;

  if (d->n_calls == d->cap_calls) {
    size_t cap = d->cap_calls ? d->cap_calls * 2 : 64;

    if (!(grown = hv_realloc(d->calls, cap * sizeof(*grown))))
      return;
    d->calls = grown;
    d->cap_calls = cap;
  }
  grown = &d->calls[d->n_calls++];
  memset(grown, 0, sizeof(*grown));
  snprintf(grown->action, sizeof(grown->action), "%s", action);
  snprintf(grown->name, sizeof(grown->name), "%s", name ? name : "");
  grown->status = status;
}

static int send_json(struct MHD_Connection *c, int status, json_t *doc)
{
  char *text = json_dumps(doc, JSON_COMPACT);
  struct MHD_Response *r;
  int rc;

  json_decref(doc);
  if (!text)
    return MHD_NO;
  r = MHD_create_response_from_buffer(strlen(text), text,
                                      MHD_RESPMEM_MUST_FREE);
  if (!r) {
    free(text);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "application/json;charset=utf-8");
  rc = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return rc;
}

static json_t *envelope(const hv_ckan_double *d, const char *action)
{
  char help[256];

  snprintf(help, sizeof(help),
           "http://127.0.0.1:%u/api/3/action/help_show?name=%s",
           (unsigned)d->port, action);
  return json_pack("{s:s}", "help", help);
}

static json_t *ok(const hv_ckan_double *d, const char *action, json_t *result)
{
  json_t *e = envelope(d, action);

  json_object_set_new(e, "success", json_true());
  json_object_set_new(e, "result", result);
  return e;
}

/* error is {__type, message} or {__type, field: [messages]}; taken. */
static json_t *failure(const hv_ckan_double *d, const char *action,
                       json_t *error)
{
  json_t *e = envelope(d, action);

  json_object_set_new(e, "success", json_false());
  json_object_set_new(e, "error", error);
  return e;
}

static int name_valid(const char *s)
{
  size_t n = strlen(s), i;

  if (n < 2 || n > 100)
    return 0;
  for (i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
          s[i] == '-' || s[i] == '_'))
      return 0;
  return 1;
}

static void add_field_error(json_t *err, const char *field, const char *msg)
{
  json_t *list = json_object_get(err, field);

  if (!list) {
    list = json_array();
    json_object_set_new(err, field, list);
  }
  json_array_append_new(list, json_string(msg));
}

/*
 * Validates a package body for create (existing NULL) or update; returns
 * a Validation Error object or NULL.
 */
static json_t *validate(hv_ckan_double *d, json_t *pkg, json_t *existing)
{
  json_t *err = json_object(), *tags, *tag;
  const char *name = json_string_value(json_object_get(pkg, "name"));
  const char *org = json_string_value(json_object_get(pkg, "owner_org"));
  size_t i;

  if (!name)
    add_field_error(err, "name", "Missing value");
  else if (!name_valid(name))
    add_field_error(err, "name",
                    "Must be purely lowercase alphanumeric (ascii) "
                    "characters and these symbols: -_");
  else {
    json_t *other = json_object_get(d->packages, name);

    if (other && other != existing)
      add_field_error(err, "name", "That URL is already in use.");
  }
  if (json_array_size(d->orgs) > 0) {
    int found = 0;

    for (i = 0; org && i < json_array_size(d->orgs); i++)
      found |= strcmp(json_string_value(json_array_get(d->orgs, i)), org) == 0;
    if (!found)
      add_field_error(err, "owner_org", "Organization does not exist");
  }
  tags = json_object_get(pkg, "tags");
  json_array_foreach(tags, i, tag) {
    const char *t = json_string_value(json_object_get(tag, "name"));
    char msg[256];

    if (!t)
      continue;
    if (strlen(t) < 2) {
      snprintf(msg, sizeof(msg), "Tag \"%s\" length is less than minimum 2",
               t);
      add_field_error(err, "tags", msg);
    } else if (strlen(t) > 100) {
      add_field_error(err, "tags", "Tag is longer than maximum 100");
    }
  }
  if (json_object_size(err) == 0) {
    json_decref(err);
    return NULL;
  }
  json_object_set_new(err, "__type", json_string("Validation Error"));
  return err;
}

static json_t *error_of(const char *type, const char *message)
{
  return json_pack("{s:s, s:s}", "__type", type, "message", message);
}

/* Handles one call with the lock held; returns the status and *doc. */
static int handle(hv_ckan_double *d, const char *action, json_t *args,
                  int authorized, json_t **doc, char *name_out, size_t size)
{
  const char *id = json_string_value(json_object_get(args, "id"));
  const char *name = json_string_value(json_object_get(args, "name"));
  int is_write = strcmp(action, "package_show") != 0;
  json_t *pkg, *verr;
  unsigned n = 0;

  snprintf(name_out, size, "%s", id ? id : name ? name : "");
  if (strcmp(action, "package_show") != 0 &&
      strcmp(action, "package_create") != 0 &&
      strcmp(action, "package_update") != 0 &&
      strcmp(action, "package_delete") != 0) {
    *doc = failure(d, action,
                   error_of("Bad request",
                            "Bad request - Action name not known"));
    return 400;
  }
  if (is_write && !authorized) {
    *doc = failure(d, action,
                   error_of("Authorization Error",
                            "Access denied: not authorized for this action"));
    return 403;
  }
  if (is_write) {
    n = ++d->writes;
    if (d->faults.fail_every && n % d->faults.fail_every == 0) {
      *doc = failure(d, action, error_of("Internal Server Error",
                                         "Internal server error"));
      return 500;
    }
  }
  if (strcmp(action, "package_create") == 0) {
    char pid[32];

    if ((verr = validate(d, args, NULL))) {
      *doc = failure(d, action, verr);
      return 409;
    }
    pkg = json_deep_copy(args);
    snprintf(pid, sizeof(pid), "pkg-%u", ++d->next_id);
    json_object_set_new(pkg, "id", json_string(pid));
    json_object_set_new(pkg, "state", json_string("active"));
    json_object_set(d->packages, name, pkg);
    json_object_set_new(
        d->creates, name,
        json_integer(json_integer_value(json_object_get(d->creates, name)) +
                     1));
    *doc = ok(d, action, pkg);
  } else {
    const char *key = id ? id : name;
    const char *k;
    json_t *v;

    pkg = NULL;
    if (key && !(pkg = json_object_get(d->packages, key)))
      json_object_foreach(d->packages, k, v) {
        if (strcmp(json_string_value(json_object_get(v, "id")), key) == 0) {
          pkg = v;
          break;
        }
      }
    /* A deleted package is visible to an authorized caller only. */
    if (!pkg || (!authorized &&
                 strcmp(json_string_value(json_object_get(pkg, "state")),
                        "deleted") == 0)) {
      *doc = failure(d, action, error_of("Not Found Error", "Not found"));
      return 404;
    }
    if (strcmp(action, "package_show") == 0) {
      *doc = ok(d, action, json_deep_copy(pkg));
      return 200;
    }
    if (strcmp(action, "package_delete") == 0) {
      json_object_set_new(pkg, "state", json_string("deleted"));
      *doc = ok(d, action, json_null());
    } else {
      json_t *upd = json_deep_copy(args);
      const char *old_name = json_object_iter_key(
          json_object_iter_at(d->packages, json_string_value(
                                               json_object_get(pkg, "name"))));

      if (!json_object_get(upd, "name"))
        json_object_set(upd, "name", json_object_get(pkg, "name"));
      if ((verr = validate(d, upd, pkg))) {
        json_decref(upd);
        *doc = failure(d, action, verr);
        return 409;
      }
      json_object_set(upd, "id", json_object_get(pkg, "id"));
      if (!json_object_get(upd, "state"))
        json_object_set_new(upd, "state", json_string("active"));
      if (old_name)
        json_object_del(d->packages, old_name);
      json_object_set(d->packages,
                      json_string_value(json_object_get(upd, "name")), upd);
      *doc = ok(d, action, upd);
    }
  }
  if (strcmp(action, "package_create") == 0 && d->faults.fail_after_apply &&
      ++d->creates_seen % d->faults.fail_after_apply == 0) {
    json_decref(*doc);
    *doc = failure(d, action, error_of("Internal Server Error",
                                       "Internal server error"));
    return 500;
  }
  return 200;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
  hv_ckan_double *d = cls;
  request_ctx *ctx = *con_cls;
  const char *prefix = "/api/3/action/", *action, *auth;
  json_t *args = NULL, *doc = NULL;
  char name[128];
  unsigned delay;
  int status, authorized;

  (void)version;
  if (!ctx) {
    if (!(ctx = hv_calloc(1, sizeof(*ctx))))
      return MHD_NO;
    hv_buf_init(&ctx->body, MAX_BODY);
    *con_cls = ctx;
    return MHD_YES;
  }
  if (*upload_size) {
    if (hv_buf_add(&ctx->body, upload, *upload_size) < 0)
      return MHD_NO;
    *upload_size = 0;
    return MHD_YES;
  }
  if (strncmp(url, prefix, strlen(prefix)) != 0)
    return send_json(c, 404, failure(d, "", error_of("Not Found Error",
                                                     "Not found")));
  action = url + strlen(prefix);
  if (strcmp(method, "GET") == 0) {
    const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                 "id");

    args = id ? json_pack("{s:s}", "id", id) : json_object();
  } else {
    args = json_loadb(ctx->body.ptr ? ctx->body.ptr : "", ctx->body.len, 0,
                      NULL);
    if (!json_is_object(args)) {
      json_decref(args);
      pthread_mutex_lock(&d->lock);
      record(d, action, NULL, 400);
      doc = failure(d, action,
                    error_of("Bad request", "Bad request - JSON Error: could "
                             "not decode the request body"));
      pthread_mutex_unlock(&d->lock);
      return send_json(c, 400, doc);
    }
  }
  auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
  pthread_mutex_lock(&d->lock);
  authorized = auth && strcmp(auth, d->token) == 0;
  status = handle(d, action, args, authorized, &doc, name, sizeof(name));
  record(d, action, name, status);
  delay = d->faults.delay_ms;
  pthread_mutex_unlock(&d->lock);
  json_decref(args);
  if (delay) {
    struct timespec ts = {(time_t)(delay / 1000),
                          (long)(delay % 1000) * 1000000L};

    nanosleep(&ts, NULL);
  }
  return send_json(c, status, doc);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  request_ctx *ctx = *con_cls;

  (void)cls;
  (void)c;
  (void)toe;
  if (ctx) {
    hv_buf_fini(&ctx->body);
    hv_free(ctx);
    *con_cls = NULL;
  }
}

int hv_ckan_double_start(hv_ckan_double **out, const char *token,
                         hv_error *err)
{
  hv_ckan_double *d = hv_calloc(1, sizeof(*d));
  struct sockaddr_in addr;
  const union MHD_DaemonInfo *info;

  if (!d || !(d->token = hv_strdup(token)) || !(d->packages = json_object()) ||
      !(d->orgs = json_array()) || !(d->creates = json_object())) {
    hv_ckan_double_stop(d);
    return hv_error_oom(err);
  }
  pthread_mutex_init(&d->lock, NULL);
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  d->daemon = MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL,
      NULL, on_request, d, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, d,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30, MHD_OPTION_END);
  if (!d->daemon) {
    hv_ckan_double_stop(d);
    return hv_error_set(err, HV_EIO, "ckan double: cannot start on loopback");
  }
  info = MHD_get_daemon_info(d->daemon, MHD_DAEMON_INFO_BIND_PORT);
  d->port = info ? info->port : 0;
  *out = d;
  return 0;
}

void hv_ckan_double_stop(hv_ckan_double *d)
{
  if (!d)
    return;
  if (d->daemon) {
    MHD_stop_daemon(d->daemon);
    pthread_mutex_destroy(&d->lock);
  }
  json_decref(d->packages);
  json_decref(d->orgs);
  json_decref(d->creates);
  hv_free(d->token);
  hv_free(d->calls);
  hv_free(d);
}

char *hv_ckan_double_url(const hv_ckan_double *d, char *buf, size_t size)
{
  snprintf(buf, size, "http://127.0.0.1:%u", (unsigned)d->port);
  return buf;
}

void hv_ckan_double_add_org(hv_ckan_double *d, const char *name)
{
  pthread_mutex_lock(&d->lock);
  json_array_append_new(d->orgs, json_string(name));
  pthread_mutex_unlock(&d->lock);
}

void hv_ckan_double_set_faults(hv_ckan_double *d, const hv_ckan_faults *f)
{
  pthread_mutex_lock(&d->lock);
  d->faults = *f;
  d->writes = 0;
  d->creates_seen = 0;
  pthread_mutex_unlock(&d->lock);
}

size_t hv_ckan_double_calls(hv_ckan_double *d, const char *action)
{
  return hv_ckan_double_calls_for(d, action, NULL, 0);
}

size_t hv_ckan_double_calls_for(hv_ckan_double *d, const char *action,
                                const char *name, int status)
{
  size_t i, n = 0;

  pthread_mutex_lock(&d->lock);
  for (i = 0; i < d->n_calls; i++)
    if ((!action || strcmp(d->calls[i].action, action) == 0) &&
        (!name || strcmp(d->calls[i].name, name) == 0) &&
        (!status || d->calls[i].status == status))
      n++;
  pthread_mutex_unlock(&d->lock);
  return n;
}

int hv_ckan_double_call(hv_ckan_double *d, size_t i, hv_ckan_call *out)
{
  int rc = -1;

  pthread_mutex_lock(&d->lock);
  if (i < d->n_calls) {
    *out = d->calls[i];
    rc = 0;
  }
  pthread_mutex_unlock(&d->lock);
  return rc;
}

size_t hv_ckan_double_active(hv_ckan_double *d)
{
  const char *k;
  json_t *v;
  size_t n = 0;

  pthread_mutex_lock(&d->lock);
  json_object_foreach(d->packages, k, v) {
    (void)k;
    n += strcmp(json_string_value(json_object_get(v, "state")), "active") == 0;
  }
  pthread_mutex_unlock(&d->lock);
  return n;
}

json_t *hv_ckan_double_package(hv_ckan_double *d, const char *name)
{
  json_t *p;

  pthread_mutex_lock(&d->lock);
  p = json_deep_copy(json_object_get(d->packages, name));
  pthread_mutex_unlock(&d->lock);
  return p;
}

size_t hv_ckan_double_creates(hv_ckan_double *d, const char *name)
{
  size_t n;

  pthread_mutex_lock(&d->lock);
  n = (size_t)json_integer_value(json_object_get(d->creates, name));
  pthread_mutex_unlock(&d->lock);
  return n;
}
