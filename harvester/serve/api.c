/*
 * The daemon's HTTP side on libmicrohttpd: the JSON admin API under
 * /api, the operator page, /metrics, /healthz, /readyz and the optional
 * served catalog.
 *
 * Threading: libmicrohttpd polls its sockets from a small pool of its
 * own threads (api_threads), so a client that sends half a request and
 * stalls holds only its socket until the connection timeout; other
 * clients are served by the same threads meanwhile. The handlers share
 * one store connection under api_mu and never hold it over the network
 * (an endpoint check fetches without it).
 *
 * Authorisation: every /api request carries "Authorization: Bearer
 * TOKEN". An admin token sees everything; a state token sees only the
 * sources (and their runs, volumes, audit rows) of its state: another
 * state's source answers 404 as if it did not exist, and creating a
 * source for another state is 403. Every change is written to the audit
 * table in the same transaction as the change itself. The quality report
 * of a state token is its own state's; the outbox, shared by all states,
 * is for admin tokens only.
 */
/* strptime */
#define _XOPEN_SOURCE 700

#include "serve/serve.h"
#include "serve/serve_int.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "fetch/fetch.h"
#include "util/alloc.h"

/* Runs listed per source and at most per request. */
#define RUNS_DEFAULT 20
#define RUNS_MAX 500

/* Datasets per page of a source's findings, by default and at most. */
#define FINDINGS_PAGE_DEFAULT 20
#define FINDINGS_PAGE_MAX 200

/* Rules shown in a run's findings summary. */
#define RUN_TOP_RULES 5

typedef struct req_ctx {
  hv_buf body;
  int too_big;
} req_ctx;

/* Who is asking. */
typedef struct who {
  int64_t token_id;
  char scope[8];
  int admin;
  char actor[40];
} who;

/* ---- responses --------------------------------------------------------- */

static enum MHD_Result send_raw(struct MHD_Connection *c, unsigned status,
                                const char *type, const void *data,
                                size_t len, const char *extra_name,
                                const char *extra_value)
{
  struct MHD_Response *r;
  enum MHD_Result ok;

  r = MHD_create_response_from_buffer(len, (void *)data,
                                      MHD_RESPMEM_MUST_COPY);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "Cache-Control", "no-store");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  if (extra_name)
    MHD_add_response_header(r, extra_name, extra_value);
  ok = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ok;
}

/* Sends doc (taking it) as JSON. */
static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 json_t *doc)
{
  char *text;
  enum MHD_Result ok;

  if (!doc)
    return send_raw(c, 500, "application/json",
                    "{\"error\":\"out of memory\"}", 25, NULL, NULL);
  text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(doc);
  if (!text)
    return MHD_NO;
  ok = send_raw(c, status, "application/json", text, strlen(text), NULL,
                NULL);
  free(text);
  return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
                                  const char *fmt, ...)
{
  char msg[HV_ERROR_MSG_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  return send_json(c, status,
                   json_pack("{s:s, s:i}", "error", msg, "status",
                             (int)status));
}

/* The HTTP status for a store or validation error code. */
static unsigned status_of(int code)
{
  switch (code) {
  case HV_EINVAL: return 400;
  case HV_ENOTFOUND: return 404;
  case HV_EEXISTS: return 409;
  case HV_EPOLICY: return 422;
  case HV_ECANCELED: return 503;
  default: return 500;
  }
}

/* ---- small helpers ----------------------------------------------------- */

static json_t *counts_json(const hv_ledger_counts *c)
{
  return json_pack(
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}",
      "requests", (json_int_t)c->requests, "bytes", (json_int_t)c->bytes,
      "pages_fetched", (json_int_t)c->pages_fetched, "pages_not_modified",
      (json_int_t)c->pages_not_modified, "pages_failed",
      (json_int_t)c->pages_failed, "datasets_new",
      (json_int_t)c->datasets_new, "datasets_updated",
      (json_int_t)c->datasets_updated, "datasets_unchanged",
      (json_int_t)c->datasets_unchanged, "datasets_deleted",
      (json_int_t)c->datasets_deleted, "datasets_rejected",
      (json_int_t)c->datasets_rejected, "distributions",
      (json_int_t)c->distributions, "seconds", c->seconds);
}

static json_t *run_json(const hv_run_info *r)
{
  return json_pack("{s:I, s:s, s:s, s:s, s:s?, s:I, s:I, s:o}", "id",
                   (json_int_t)r->row.id, "source", r->source_name, "state",
                   r->state, "status", r->row.status, "message",
                   r->row.message, "started_at",
                   (json_int_t)r->row.started_at, "finished_at",
                   (json_int_t)r->row.finished_at, "counts",
                   counts_json(&r->counts));
}

/* Whether w may see a thing of state. */
static int may_see(const who *w, const char *state)
{
  return w->admin || (state && strcmp(w->scope, state) == 0);
}

/* Parses YYYY-MM-DD into unix seconds (UTC midnight). */
static int parse_date(const char *s, int64_t *out)
{
  struct tm tm;
  char *end;

  memset(&tm, 0, sizeof(tm));
  if (!s || strlen(s) != 10 || !(end = strptime(s, "%Y-%m-%d", &tm)) || *end)
    return -1;
  *out = (int64_t)timegm(&tm);
  return 0;
}

/* Copies of the settings a handler needs, read under mu. */
typedef struct settings {
  int allow_loopback, allow_private, catalog, catalog_page_size;
  char default_cron[128];
  char catalog_base[256];
} settings;

static void read_settings(hv_server *srv, settings *s)
{
  uv_mutex_lock(&srv->mu);
  s->allow_loopback = srv->cfg.allow_loopback;
  s->allow_private = srv->cfg.allow_private;
  s->catalog = srv->cfg.catalog;
  s->catalog_page_size = srv->cfg.catalog_page_size;
  snprintf(s->default_cron, sizeof(s->default_cron), "%s",
           srv->cfg.default_cron);
  if (srv->cfg.catalog_base)
    snprintf(s->catalog_base, sizeof(s->catalog_base), "%s",
             srv->cfg.catalog_base);
  else
    snprintf(s->catalog_base, sizeof(s->catalog_base), "http://%s:%u",
             srv->cfg.listen_host, (unsigned)srv->port);
  uv_mutex_unlock(&srv->mu);
}

int hv__api_check_url_policy(const hv_serve_config *cfg, const char *url,
                             hv_error *err)
{
  hv_fetch_opts opts = HV_FETCH_OPTS_INIT;
  struct addrinfo hints, *res = NULL, *ai;
  CURLU *u = NULL;
  char *host = NULL;
  size_t len;
  int rc = 0;

  opts.allow_loopback = cfg->allow_loopback;
  opts.allow_private = cfg->allow_private;
  if ((rc = hv_fetch_check_url(url, err)) < 0)
    return rc;
  if (!(u = curl_url()))
    return hv_error_oom(err);
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    rc = hv_error_set(err, HV_EINVAL, "url '%.80s' does not parse", url);
    goto cleanup;
  }
  len = strlen(host);
  if (host[0] == '[' && len > 2) { /* IPv6 literal */
    memmove(host, host + 1, len - 2);
    host[len - 2] = '\0';
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, NULL, &hints, &res) != 0)
    goto cleanup; /* unresolvable now: the fetcher checks at connect */
  for (ai = res; ai; ai = ai->ai_next) {
    const void *addr = ai->ai_family == AF_INET
                           ? (const void *)&((struct sockaddr_in *)
                                                 ai->ai_addr)->sin_addr
                           : (const void *)&((struct sockaddr_in6 *)
                                                 ai->ai_addr)->sin6_addr;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    if ((rc = hv_fetch_check_addr(&opts, ai->ai_family, addr, err)) < 0) {
      hv_error_prefix(err, "url '%.80s': ", url);
      break;
    }
  }

cleanup:
  if (res)
    freeaddrinfo(res);
  curl_free(host);
  curl_url_cleanup(u);
  return rc;
}

/* ---- authentication ---------------------------------------------------- */

/* Returns 0 with *w filled, or queues a 401 and returns -1. */
static int authenticate(hv_server *srv, struct MHD_Connection *c, who *w,
                        enum MHD_Result *sent)
{
  const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                              "Authorization");
  hv_token_info info;
  hv_error err = HV_ERROR_INIT;
  int rc;

  if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
    *sent = send_error(c, 401,
                       "missing bearer token: send 'Authorization: Bearer "
                       "TOKEN' (create one with 'govharvest token create')");
    return -1;
  }
  memset(&info, 0, sizeof(info));
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_token_lookup(srv->api_store, h + 7, &info, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0) {
    *sent = rc == HV_ENOTFOUND
                ? send_error(c, 401, "token is not known or was revoked")
                : send_error(c, 500, "%s", err.msg);
    return -1;
  }
  w->token_id = info.id;
  snprintf(w->scope, sizeof(w->scope), "%s", info.scope);
  w->admin = strcmp(info.scope, HV_SCOPE_ADMIN) == 0;
  snprintf(w->actor, sizeof(w->actor), "token %" PRId64 " (%s)", info.id,
           info.scope);
  hv_token_info_fini(&info);
  return 0;
}

/* ---- sources ----------------------------------------------------------- */

/* What a source's JSON shows besides its row; NULL fields: look up. */
typedef struct source_extra {
  int preloaded;            /* 1: the two below are final */
  const hv_run_info *last;  /* newest run or NULL */
  const char *stored_cron;  /* cron stored with the source or NULL */
} source_extra;

/*
 * The source as JSON, with its effective schedule and last run. Call
 * with api_mu held. A list passes what it loaded for all sources at once
 * in x; a single source (x NULL) is looked up here.
 */
static json_t *source_json(hv_server *srv, const hv_source *s,
                           const settings *set, const source_extra *x)
{
  const char *cron, *origin = "config";
  char *stored = NULL, cron_copy[128] = "";
  hv_run_info *runs = NULL;
  const hv_run_info *last = NULL;
  size_t n = 0;
  hv_error err = HV_ERROR_INIT;
  json_t *doc;
  int running;

  uv_mutex_lock(&srv->mu);
  running = hv__names_has(&srv->running, s->name) ? 2
            : hv__names_has(&srv->queued, s->name) ? 1
                                                   : 0;
  /* cron points into the configuration: copy it while it is valid. */
  if ((cron = hv_serve_config_schedule(&srv->cfg, s->name)))
    snprintf(cron_copy, sizeof(cron_copy), "%s", cron);
  uv_mutex_unlock(&srv->mu);
  if (x && x->preloaded) {
    last = x->last;
  } else {
    if (hv_store_run_info_list(srv->api_store, NULL, s->name, 0, 1, &runs,
                               &n, &err) == 0 &&
        n > 0)
      last = &runs[0];
    hv_store_schedule_get(srv->api_store, s->id, &stored, &err);
  }
  if (!cron_copy[0]) {
    const char *own = x && x->preloaded ? x->stored_cron : stored;
    origin = own ? "source" : "default";
    snprintf(cron_copy, sizeof(cron_copy), "%s",
             own ? own : set->default_cron);
  }
  doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:i, s:b, s:I, s:s, "
                  "s:s, s:s, s:o}",
                  "name", s->name, "state", s->state, "kind", s->kind, "url",
                  s->url, "format", s->format_hint, "contributor",
                  s->contributor_id, "priority", s->priority, "enabled",
                  s->enabled, "created_at", (json_int_t)s->created_at,
                  "schedule", cron_copy, "schedule_from", origin, "activity",
                  running == 2   ? "running"
                  : running == 1 ? "queued"
                                 : "idle",
                  "last_run", last ? run_json(last) : json_null());
  hv_run_info_list_free(runs, n);
  hv_free(stored);
  return doc;
}

static enum MHD_Result sources_list(hv_server *srv, struct MHD_Connection *c,
                                    const who *w)
{
  hv_source *list = NULL;
  hv_run_info *runs = NULL;
  hv_metric_row *crons = NULL;
  size_t n = 0, n_runs = 0, n_crons = 0, i, r = 0, k = 0;
  hv_error err = HV_ERROR_INIT;
  settings set;
  json_t *arr = json_array();
  int rc;

  read_settings(srv, &set);
  /* Three queries for the whole list, not two per source: the list is
   * what the page polls while runs are going on. */
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_source_list(srv->api_store, &list, &n, &err);
  if (rc == 0)
    rc = hv_store_run_info_latest(srv->api_store, &runs, &n_runs, &err);
  if (rc == 0)
    rc = hv_store_schedule_list(srv->api_store, &crons, &n_crons, &err);
  if (rc < 0) {
    uv_mutex_unlock(&srv->api_mu);
    json_decref(arr);
    hv_source_list_free(list, n);
    hv_run_info_list_free(runs, n_runs);
    hv_free(crons);
    return send_error(c, 500, "%s", err.msg);
  }
  for (i = 0; i < n; i++) {
    source_extra x = {1, NULL, NULL};
    /* runs and crons are ordered by source id; the sources by name. */
    for (r = 0; r < n_runs && runs[r].row.source_id != list[i].id; r++)
      ;
    for (k = 0; k < n_crons && crons[k].value[0] != list[i].id; k++)
      ;
    x.last = r < n_runs ? &runs[r] : NULL;
    x.stored_cron = k < n_crons ? crons[k].label1 : NULL;
    if (may_see(w, list[i].state))
      json_array_append_new(arr, source_json(srv, &list[i], &set, &x));
  }
  uv_mutex_unlock(&srv->api_mu);
  hv_source_list_free(list, n);
  hv_run_info_list_free(runs, n_runs);
  hv_free(crons);
  return send_json(c, 200, json_pack("{s:o}", "sources", arr));
}

/* Loads the source name if w may see it; else queues 404. */
static int load_source(hv_server *srv, struct MHD_Connection *c, const who *w,
                       const char *name, hv_source *out, enum MHD_Result *sent)
{
  hv_error err = HV_ERROR_INIT;
  int rc;

  memset(out, 0, sizeof(*out));
  rc = hv_store_source_get(srv->api_store, name, out, &err);
  if (rc == 0 && !may_see(w, out->state)) {
    hv_source_fini(out);
    rc = HV_ENOTFOUND;
  }
  if (rc < 0) {
    *sent = rc == HV_ENOTFOUND
                ? send_error(c, 404, "no source named '%.64s'%s%s", name,
                             w->admin ? "" : " in state ",
                             w->admin ? "" : w->scope)
                : send_error(c, 500, "%s", err.msg);
    return -1;
  }
  return 0;
}

/* Parses the request body as one JSON object; queues 400 if it is not. */
static json_t *parse_body(struct MHD_Connection *c, const req_ctx *rc,
                          enum MHD_Result *sent)
{
  json_error_t jerr;
  json_t *doc;

  if (!rc->body.ptr || rc->body.len == 0) {
    *sent = send_error(c, 400, "request body is empty: send a JSON object");
    return NULL;
  }
  doc = json_loadb(rc->body.ptr, rc->body.len, JSON_REJECT_DUPLICATES,
                   &jerr);
  if (!doc) {
    *sent = send_error(c, 400, "malformed JSON at line %d, column %d: %s",
                       jerr.line, jerr.column, jerr.text);
    return NULL;
  }
  if (!json_is_object(doc)) {
    json_decref(doc);
    *sent = send_error(c, 400, "request body must be a JSON object");
    return NULL;
  }
  return doc;
}

/* Takes optional string field key from doc into *slot (NULL clears it
 * when the value is JSON null). Returns 0, or -1 with msg filled. */
static int take_string(json_t *doc, const char *key, char **slot,
                       int nullable, char *msg, size_t cap)
{
  json_t *v = json_object_get(doc, key);
  char *copy;

  if (!v)
    return 0;
  if (json_is_null(v) && nullable) {
    hv_free(*slot);
    *slot = NULL;
    return 0;
  }
  if (!json_is_string(v)) {
    snprintf(msg, cap, "field '%s' must be a string%s", key,
             nullable ? " or null" : "");
    return -1;
  }
  if (!(copy = hv_strdup(json_string_value(v)))) {
    snprintf(msg, cap, "out of memory");
    return -1;
  }
  hv_free(*slot);
  *slot = copy;
  return 0;
}

/*
 * Applies the fields of doc to src (create: every field; update: those
 * present) and reads the schedule into *cron (NULL: none given; "" in
 * *cron_clear when the body cleared it). Returns 0 or -1 with msg.
 */
static int apply_fields(json_t *doc, hv_source *src, int creating,
                        char **cron, int *cron_clear, char *msg, size_t cap)
{
  static const char *const known[] = {"name",        "state",    "kind",
                                      "url",         "format",   "contributor",
                                      "priority",    "enabled",  "schedule",
                                      NULL};
  const char *key;
  json_t *v;
  size_t i;

  json_object_foreach(doc, key, v) {
    for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
      ;
    if (!known[i]) {
      snprintf(msg, cap, "unknown field '%.40s'; known: name, state, kind, "
               "url, format, contributor, priority, enabled, schedule", key);
      return -1;
    }
  }
  if (!creating && (v = json_object_get(doc, "name")) &&
      (!json_is_string(v) || strcmp(json_string_value(v), src->name) != 0)) {
    snprintf(msg, cap, "field 'name' cannot change (the source is '%s')",
             src->name);
    return -1;
  }
  if ((creating && take_string(doc, "name", &src->name, 0, msg, cap) < 0) ||
      take_string(doc, "state", &src->state, 0, msg, cap) < 0 ||
      take_string(doc, "kind", &src->kind, 0, msg, cap) < 0 ||
      take_string(doc, "url", &src->url, 0, msg, cap) < 0 ||
      take_string(doc, "format", &src->format_hint, 1, msg, cap) < 0 ||
      take_string(doc, "contributor", &src->contributor_id, 1, msg, cap) < 0)
    return -1;
  if ((v = json_object_get(doc, "priority"))) {
    if (!json_is_integer(v) || json_integer_value(v) < -1000 ||
        json_integer_value(v) > 1000) {
      snprintf(msg, cap, "field 'priority' must be an integer in "
               "-1000..1000");
      return -1;
    }
    src->priority = (int)json_integer_value(v);
  }
  if ((v = json_object_get(doc, "enabled"))) {
    if (!json_is_boolean(v)) {
      snprintf(msg, cap, "field 'enabled' must be true or false");
      return -1;
    }
    src->enabled = json_is_true(v);
  }
  if ((v = json_object_get(doc, "schedule"))) {
    if (json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
      *cron_clear = 1;
    } else if (!json_is_string(v)) {
      snprintf(msg, cap, "field 'schedule' must be a cron string or null");
      return -1;
    } else if (strlen(json_string_value(v)) > 64) {
      snprintf(msg, cap, "field 'schedule' is longer than 64 characters");
      return -1;
    } else {
      hv_cron parsed;
      hv_error cerr = HV_ERROR_INIT;
      if (hv_cron_parse(&parsed, json_string_value(v), &cerr) < 0) {
        snprintf(msg, cap, "field 'schedule': %.400s", cerr.msg);
        return -1;
      }
      if (!(*cron = hv_strdup(json_string_value(v)))) {
        snprintf(msg, cap, "out of memory");
        return -1;
      }
    }
  }
  if (creating && !src->name) {
    snprintf(msg, cap, "field 'name' is required");
    return -1;
  }
  if (creating && !src->url) {
    snprintf(msg, cap, "field 'url' is required");
    return -1;
  }
  return 0;
}

/* Create (name NULL) or update a source from the body. */
static enum MHD_Result source_write(hv_server *srv, struct MHD_Connection *c,
                                    const who *w, const req_ctx *ctx,
                                    const char *name)
{
  hv_source src;
  hv_serve_config policy;
  settings set;
  json_t *doc = NULL, *out = NULL;
  char msg[HV_ERROR_MSG_MAX], *cron = NULL, *detail = NULL;
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result sent = MHD_NO;
  int cron_clear = 0, rc, creating = name == NULL;
  unsigned status;

  memset(&src, 0, sizeof(src));
  if (!(doc = parse_body(c, ctx, &sent)))
    return sent;
  read_settings(srv, &set);
  if (!creating) {
    uv_mutex_lock(&srv->api_mu);
    rc = load_source(srv, c, w, name, &src, &sent);
    uv_mutex_unlock(&srv->api_mu);
    if (rc < 0)
      goto done;
  } else {
    src.enabled = 1;
    if (!(src.kind = hv_strdup("dcat-rdf")) ||
        (!w->admin && !(src.state = hv_strdup(w->scope)))) {
      sent = send_error(c, 500, "out of memory");
      goto done;
    }
  }
  if (apply_fields(doc, &src, creating, &cron, &cron_clear, msg,
                   sizeof(msg)) < 0) {
    sent = send_error(c, 400, "%s", msg);
    goto done;
  }
  if (!src.state) {
    sent = send_error(c, 400, "field 'state' is required (01..16 or bund)");
    goto done;
  }
  if (!w->admin && strcmp(src.state, w->scope) != 0) {
    sent = send_error(c, 403,
                      "this token is for state %s and cannot give a source "
                      "to state %.8s",
                      w->scope, src.state);
    goto done;
  }
  if ((rc = hv_source_validate(&src, &err)) < 0) {
    sent = send_error(c, 400, "%s", err.msg);
    goto done;
  }
  memset(&policy, 0, sizeof(policy));
  policy.allow_loopback = set.allow_loopback;
  policy.allow_private = set.allow_private;
  if ((rc = hv__api_check_url_policy(&policy, src.url, &err)) < 0) {
    sent = send_error(c, status_of(rc), "%s%s", err.msg,
                      rc == HV_EPOLICY
                          ? " (refused: such addresses need allow_loopback "
                            "or allow_private in the daemon's configuration)"
                          : "");
    goto done;
  }
  detail = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);

  uv_mutex_lock(&srv->api_mu);
  if ((rc = hv_store_begin(srv->api_store, &err)) == 0) {
    rc = creating ? hv_store_source_add(srv->api_store, &src, &err)
                  : hv_store_source_update(srv->api_store, &src, &err);
    if (rc == 0 && (cron || cron_clear))
      rc = hv_store_schedule_set(srv->api_store, src.id, cron, &err);
    if (rc == 0)
      rc = hv_store_audit_add(srv->api_store, w->token_id, w->actor,
                              creating ? "source.create" : "source.update",
                              src.name, src.state, detail, &err);
    if (rc == 0)
      rc = hv_store_commit(srv->api_store, &err);
    if (rc < 0)
      hv_store_rollback(srv->api_store);
  }
  if (rc == 0)
    out = source_json(srv, &src, &set, NULL);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0) {
    status = status_of(rc);
    sent = send_error(c, status, "%s", err.msg);
    goto done;
  }
  hv__serve_sources_changed(srv);
  hv__serve_log("info", creating ? "source_created" : "source_updated",
                json_pack("{s:s, s:s, s:s}", "source", src.name, "state",
                          src.state, "actor", w->actor));
  sent = send_json(c, creating ? 201 : 200, out);

done:
  json_decref(doc);
  hv_source_fini(&src);
  hv_free(cron);
  free(detail);
  return sent;
}

static enum MHD_Result source_delete(hv_server *srv, struct MHD_Connection *c,
                                     const who *w, const char *name)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result sent = MHD_NO;
  int rc, busy;

  uv_mutex_lock(&srv->mu);
  busy = hv__names_has(&srv->running, name) ||
         hv__names_has(&srv->queued, name);
  uv_mutex_unlock(&srv->mu);
  uv_mutex_lock(&srv->api_mu);
  if (load_source(srv, c, w, name, &src, &sent) < 0) {
    uv_mutex_unlock(&srv->api_mu);
    return sent;
  }
  if (busy) {
    uv_mutex_unlock(&srv->api_mu);
    hv_source_fini(&src);
    return send_error(c, 409, "source '%s' is running; delete it after the "
                      "run", name);
  }
  if ((rc = hv_store_begin(srv->api_store, &err)) == 0) {
    rc = hv_store_source_remove(srv->api_store, name, &err);
    if (rc == 0)
      rc = hv_store_audit_add(srv->api_store, w->token_id, w->actor,
                              "source.delete", name, src.state, NULL, &err);
    if (rc == 0)
      rc = hv_store_commit(srv->api_store, &err);
    if (rc < 0)
      hv_store_rollback(srv->api_store);
  }
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    sent = send_error(c, status_of(rc), "%s", err.msg);
  else {
    hv__serve_sources_changed(srv);
    sent = send_json(c, 200, json_pack("{s:s, s:b}", "name", name,
                                       "deleted", 1));
  }
  hv_source_fini(&src);
  return sent;
}

static enum MHD_Result source_trigger(hv_server *srv, struct MHD_Connection *c,
                                      const who *w, const char *name)
{
  hv_source src;
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result sent = MHD_NO;
  int rc;

  uv_mutex_lock(&srv->api_mu);
  if (load_source(srv, c, w, name, &src, &sent) < 0) {
    uv_mutex_unlock(&srv->api_mu);
    return sent;
  }
  rc = hv__serve_trigger(srv, name, &err);
  if (rc == 0)
    rc = hv_store_audit_add(srv->api_store, w->token_id, w->actor,
                            "run.trigger", name, src.state, NULL, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    sent = send_error(c, status_of(rc), "%s", err.msg);
  else
    sent = send_json(c, 202, json_pack("{s:s, s:s}", "source", name,
                                       "activity", "queued"));
  hv_source_fini(&src);
  return sent;
}

/* ---- runs, reports, audit ------------------------------------------------ */

/*
 * Adds the findings summary of run_id to its JSON: the datasets it
 * wrote, counts by severity and the top rules.
 */
static int run_findings_add(hv_server *srv, json_t *run, int64_t run_id,
                            hv_error *err)
{
  hv_run_findings f;
  json_t *rules, *doc;
  size_t i;
  int rc;

  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_run_findings(srv->api_store, run_id, RUN_TOP_RULES, &f, err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return rc;
  rules = json_array();
  for (i = 0; i < f.n_rules; i++)
    json_array_append_new(
        rules, json_pack("{s:s, s:s, s:I, s:I}", "rule", f.rules[i].rule,
                         "severity", f.rules[i].severity, "findings",
                         (json_int_t)f.rules[i].findings, "datasets",
                         (json_int_t)f.rules[i].datasets));
  doc = json_pack("{s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:o}", "datasets",
                  (json_int_t)f.datasets, "with_violations",
                  (json_int_t)f.with_violations, "with_warnings",
                  (json_int_t)f.with_warnings, "by_severity", "violation",
                  (json_int_t)f.violations, "warning",
                  (json_int_t)f.warnings, "info", (json_int_t)f.infos,
                  "top_rules", rules);
  hv_run_findings_fini(&f);
  if (!doc || json_object_set_new(run, "findings", doc) < 0)
    return hv_error_oom(err);
  return 0;
}

static enum MHD_Result runs_list(hv_server *srv, struct MHD_Connection *c,
                                 const who *w, const char *source,
                                 int64_t run_id)
{
  const char *limit_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                    "limit");
  hv_run_info *runs = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;
  long limit = RUNS_DEFAULT;
  json_t *arr;
  int rc;

  if (limit_s) {
    char *end;
    limit = strtol(limit_s, &end, 10);
    if (*end || limit < 1 || limit > RUNS_MAX)
      return send_error(c, 400, "limit must be a number in 1..%d, not "
                        "'%.20s'", RUNS_MAX, limit_s);
  }
  if (!source)
    source = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "source");
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_run_info_list(srv->api_store, w->admin ? NULL : w->scope,
                              source, run_id, (size_t)limit, &runs, &n, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  if (run_id > 0) {
    json_t *one = n ? run_json(&runs[0]) : NULL;
    hv_run_info_list_free(runs, n);
    if (!one)
      return send_error(c, 404, "no run %" PRId64 "%s%s", run_id,
                        w->admin ? "" : " in state ",
                        w->admin ? "" : w->scope);
    if (run_findings_add(srv, one, run_id, &err) < 0) {
      json_decref(one);
      return send_error(c, 500, "%s", err.msg);
    }
    return send_json(c, 200, one);
  }
  arr = json_array();
  for (i = 0; i < n; i++)
    json_array_append_new(arr, run_json(&runs[i]));
  hv_run_info_list_free(runs, n);
  return send_json(c, 200, json_pack("{s:o}", "runs", arr));
}

static enum MHD_Result volumes(hv_server *srv, struct MHD_Connection *c,
                               const who *w)
{
  const char *from_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                   "from");
  const char *to_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                 "to");
  hv_volume_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  int64_t from = 0, to = 0;
  size_t n = 0, i;
  json_t *arr;
  int rc;

  if ((from_s && parse_date(from_s, &from) < 0) ||
      (to_s && parse_date(to_s, &to) < 0))
    return send_error(c, 400, "from and to must be dates YYYY-MM-DD, not "
                      "'%.20s'", from_s && parse_date(from_s, &from) < 0
                                     ? from_s : to_s);
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_report_volumes(srv->api_store, from, to, &rows, &n, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  arr = json_array();
  for (i = 0; i < n; i++) {
    if (!may_see(w, rows[i].state))
      continue;
    json_array_append_new(
        arr, json_pack("{s:s, s:I, s:I, s:o}", "state", rows[i].state,
                       "sources", (json_int_t)rows[i].sources, "runs",
                       (json_int_t)rows[i].runs, "counts",
                       counts_json(&rows[i].counts)));
  }
  hv_free(rows);
  return send_json(c, 200, json_pack("{s:s?, s:s?, s:o}", "from", from_s,
                                     "to", to_s, "states", arr));
}

static enum MHD_Result audit_list(hv_server *srv, struct MHD_Connection *c,
                                  const who *w)
{
  hv_audit_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0, i;
  json_t *arr;
  int rc;

  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_audit_list(srv->api_store, w->admin ? NULL : w->scope, 200,
                           &rows, &n, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  arr = json_array();
  for (i = 0; i < n; i++) {
    json_t *detail = rows[i].detail ? json_loads(rows[i].detail, 0, NULL)
                                    : NULL;
    json_array_append_new(
        arr, json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:o?}", "id",
                       (json_int_t)rows[i].id, "at", (json_int_t)rows[i].at,
                       "actor", rows[i].actor, "action", rows[i].action,
                       "target", rows[i].target, "state", rows[i].state,
                       "detail", detail));
  }
  hv_audit_list_free(rows, n);
  return send_json(c, 200, json_pack("{s:o}", "audit", arr));
}

/*
 * Reads the positive whole-number query argument name into *out (def if
 * absent). Queues 400 and returns -1 when it is not one in 1..max.
 */
static int query_long(struct MHD_Connection *c, const char *name, long def,
                      long max, long *out, enum MHD_Result *sent)
{
  const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
  char *end;

  *out = def;
  if (!v)
    return 0;
  *out = strtol(v, &end, 10);
  if (!*v || *end || *out < 1 || *out > max) {
    *sent = send_error(c, 400, "%s must be a number in 1..%ld, not '%.20s'",
                       name, max, v);
    return -1;
  }
  return 0;
}

/*
 * The quality report as `govharvest report quality` computes it, per
 * source and reporting state. A state token gets its own state's lines
 * only; asking for another state is 403.
 */
static enum MHD_Result quality(hv_server *srv, struct MHD_Connection *c,
                               const who *w)
{
  const char *state = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                  "state");
  const char *source = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                   "source");
  hv_quality_report rep;
  hv_error err = HV_ERROR_INIT;
  json_t *totals, *rules;
  size_t i;
  int rc;

  if (state && !hv_state_valid(state))
    return send_error(c, 400, "state must be 01..16 or bund, not '%.20s'",
                      state);
  if (!w->admin) {
    if (state && strcmp(state, w->scope) != 0)
      return send_error(c, 403, "a token of state %s sees only its own "
                        "state's quality report", w->scope);
    state = w->scope;
  }
  memset(&rep, 0, sizeof(rep));
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_report_quality(srv->api_store, source, state, &rep, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  totals = json_array();
  rules = json_array();
  for (i = 0; i < rep.n_totals; i++) {
    const hv_quality_total *t = &rep.totals[i];
    json_array_append_new(
        totals, json_pack("{s:s, s:s, s:I, s:I, s:I}", "source", t->source,
                          "state", t->state, "datasets",
                          (json_int_t)t->datasets, "with_violations",
                          (json_int_t)t->with_violations, "with_warnings",
                          (json_int_t)t->with_warnings));
  }
  for (i = 0; i < rep.n_rows; i++) {
    const hv_quality_row *r = &rep.rows[i];
    json_array_append_new(
        rules, json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "source",
                         r->source, "state", r->state, "rule", r->rule,
                         "severity", r->severity, "findings",
                         (json_int_t)r->findings, "datasets",
                         (json_int_t)r->datasets));
  }
  hv_quality_report_free(&rep);
  return send_json(c, 200, json_pack("{s:s?, s:s?, s:o, s:o}", "state",
                                     state, "source", source, "totals",
                                     totals, "rules", rules));
}

/* A source's datasets with findings, a page at a time, worst first. */
static enum MHD_Result source_findings(hv_server *srv,
                                      struct MHD_Connection *c, const who *w,
                                      const char *name)
{
  hv_dataset_findings *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result sent = MHD_NO;
  hv_source src;
  int64_t total = 0;
  long page, size;
  size_t n = 0, i, k;
  json_t *arr;
  int rc;

  if (query_long(c, "page", 1, 1000000, &page, &sent) < 0 ||
      query_long(c, "page_size", FINDINGS_PAGE_DEFAULT, FINDINGS_PAGE_MAX,
                 &size, &sent) < 0)
    return sent;
  uv_mutex_lock(&srv->api_mu);
  if (load_source(srv, c, w, name, &src, &sent) < 0) {
    uv_mutex_unlock(&srv->api_mu);
    return sent;
  }
  rc = hv_store_source_findings(srv->api_store, src.id,
                                (size_t)(page - 1) * (size_t)size,
                                (size_t)size, &rows, &n, &total, &err);
  uv_mutex_unlock(&srv->api_mu);
  hv_source_fini(&src);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  arr = json_array();
  for (i = 0; i < n; i++) {
    json_t *items = json_array();
    for (k = 0; k < rows[i].n_items; k++) {
      const hv_finding_row *f = &rows[i].items[k];
      json_array_append_new(
          items, json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "rule", f->rule,
                           "severity", f->severity, "predicate",
                           f->predicate, "message", f->message,
                           "message_de", f->message_de));
    }
    json_array_append_new(
        arr, json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I, s:o}", "key",
                       rows[i].key, "uri", rows[i].uri, "identifier",
                       rows[i].identifier, "violations",
                       (json_int_t)rows[i].violations, "warnings",
                       (json_int_t)rows[i].warnings, "run",
                       (json_int_t)rows[i].run_id, "findings", items));
  }
  hv_dataset_findings_free(rows, n);
  return send_json(c, 200, json_pack("{s:s, s:i, s:i, s:I, s:o}", "source",
                                     name, "page", (int)page, "page_size",
                                     (int)size, "total", (json_int_t)total,
                                     "datasets", arr));
}

/*
 * The outbox per configured sink and the last drain. The outbox is
 * shared by every state's datasets, so it is for admin tokens only.
 */
static enum MHD_Result outbox(hv_server *srv, struct MHD_Connection *c,
                              const who *w)
{
  hv_outbox_count *counts = NULL;
  hv_error err = HV_ERROR_INIT;
  hv_outbox_stats last;
  char last_error[HV_ERROR_MSG_MAX];
  int64_t last_at;
  uint64_t drains;
  size_t n = 0, i, k;
  json_t *sinks;
  int rc;

  if (!w->admin)
    return send_error(c, 403, "the outbox is shared by all states: it needs "
                      "an admin token");
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_outbox_counts(srv->api_store, &counts, &n, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    return send_error(c, 500, "%s", err.msg);
  uv_mutex_lock(&srv->mu);
  last = srv->last_drain;
  last_at = srv->last_drain_at;
  drains = srv->drains;
  snprintf(last_error, sizeof(last_error), "%s", srv->last_drain_error);
  uv_mutex_unlock(&srv->mu);
  sinks = json_array();
  /* Configured sinks first (with zeros before their first operation),
   * then sinks that only the store still knows. */
  for (i = 0; i < srv->n_sinks; i++) {
    const hv_outbox_count *cnt = NULL;
    for (k = 0; k < n; k++) {
      if (strcmp(counts[k].sink, srv->sinks[i].name) == 0)
        cnt = &counts[k];
    }
    json_array_append_new(
        sinks, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I}", "name",
                         srv->sinks[i].name, "type", srv->sinks[i].type,
                         "configured", 1, "pending",
                         (json_int_t)(cnt ? cnt->pending : 0), "parked",
                         (json_int_t)(cnt ? cnt->parked : 0), "done",
                         (json_int_t)(cnt ? cnt->done : 0), "dropped",
                         (json_int_t)(cnt ? cnt->dropped : 0),
                         "oldest_pending",
                         (json_int_t)(cnt ? cnt->oldest_pending : 0)));
  }
  for (k = 0; k < n; k++) {
    int configured = 0;
    for (i = 0; i < srv->n_sinks; i++)
      configured |= strcmp(counts[k].sink, srv->sinks[i].name) == 0;
    if (configured)
      continue;
    json_array_append_new(
        sinks, json_pack("{s:s, s:n, s:b, s:I, s:I, s:I, s:I, s:I}", "name",
                         counts[k].sink, "type", "configured", 0, "pending",
                         (json_int_t)counts[k].pending, "parked",
                         (json_int_t)counts[k].parked, "done",
                         (json_int_t)counts[k].done, "dropped",
                         (json_int_t)counts[k].dropped, "oldest_pending",
                         (json_int_t)counts[k].oldest_pending));
  }
  hv_outbox_counts_free(counts, n);
  return send_json(
      c, 200,
      json_pack("{s:o, s:I, s:o}", "sinks", sinks, "drains",
                (json_int_t)drains, "last_drain",
                last_at ? json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s?}",
                                    "at", (json_int_t)last_at, "done",
                                    (json_int_t)last.done, "failed",
                                    (json_int_t)last.failed, "parked",
                                    (json_int_t)last.parked, "left",
                                    (json_int_t)last.left, "halted",
                                    (json_int_t)last.halted, "error",
                                    last_error[0] ? last_error
                                    : last.message[0] ? last.message
                                                      : NULL)
                        : json_null()));
}

static enum MHD_Result check(hv_server *srv, struct MHD_Connection *c,
                             const req_ctx *ctx)
{
  hv_serve_config policy;
  settings set;
  json_t *doc, *url, *fmt, *report = NULL;
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result sent = MHD_NO;
  int rc;

  if (!(doc = parse_body(c, ctx, &sent)))
    return sent;
  url = json_object_get(doc, "url");
  fmt = json_object_get(doc, "format");
  if (!json_is_string(url)) {
    sent = send_error(c, 400, "field 'url' is required and must be a "
                      "string");
    goto done;
  }
  if (fmt && !json_is_null(fmt) &&
      (!json_is_string(fmt) ||
       (strcmp(json_string_value(fmt), "rdfxml") != 0 &&
        strcmp(json_string_value(fmt), "turtle") != 0 &&
        strcmp(json_string_value(fmt), "ntriples") != 0))) {
    sent = send_error(c, 400, "field 'format' must be rdfxml, turtle, "
                      "ntriples or null");
    goto done;
  }
  read_settings(srv, &set);
  memset(&policy, 0, sizeof(policy));
  policy.allow_loopback = set.allow_loopback;
  policy.allow_private = set.allow_private;
  if ((rc = hv__api_check_url_policy(&policy, json_string_value(url),
                                     &err)) < 0) {
    sent = send_error(c, status_of(rc), "%s", err.msg);
    goto done;
  }
  if ((rc = hv__check_endpoint(srv, json_string_value(url),
                               json_is_string(fmt) ? json_string_value(fmt)
                                                   : NULL,
                               &report, &err)) < 0) {
    sent = send_error(c, 500, "%s", err.msg);
    goto done;
  }
  sent = send_json(c, 200, report);

done:
  json_decref(doc);
  return sent;
}

/* ---- routing ------------------------------------------------------------ */

/* Routes /api/... after authentication. */
static enum MHD_Result api(hv_server *srv, struct MHD_Connection *c,
                           const char *method, const char *path,
                           const req_ctx *ctx)
{
  enum MHD_Result sent = MHD_NO;
  char name[80];
  const char *rest;
  who w;
  int get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;

  memset(&w, 0, sizeof(w));
  if (authenticate(srv, c, &w, &sent) < 0)
    return sent;
  if (strcmp(path, "/api/whoami") == 0 && get)
    return send_json(c, 200, json_pack("{s:s, s:b, s:I}", "scope", w.scope,
                                       "admin", w.admin, "token",
                                       (json_int_t)w.token_id));
  if (strcmp(path, "/api/sources") == 0) {
    if (get)
      return sources_list(srv, c, &w);
    if (post)
      return source_write(srv, c, &w, ctx, NULL);
    return send_error(c, 405, "use GET or POST on /api/sources");
  }
  if (strncmp(path, "/api/sources/", 13) == 0) {
    size_t len;
    hv_source src;

    rest = strchr(path + 13, '/');
    len = rest ? (size_t)(rest - (path + 13)) : strlen(path + 13);
    if (len == 0 || len >= sizeof(name))
      return send_error(c, 404, "no such source path");
    memcpy(name, path + 13, len);
    name[len] = '\0';
    if (!rest) {
      if (get) {
        settings set;
        json_t *doc;
        read_settings(srv, &set);
        uv_mutex_lock(&srv->api_mu);
        if (load_source(srv, c, &w, name, &src, &sent) < 0) {
          uv_mutex_unlock(&srv->api_mu);
          return sent;
        }
        doc = source_json(srv, &src, &set, NULL);
        uv_mutex_unlock(&srv->api_mu);
        hv_source_fini(&src);
        return send_json(c, 200, doc);
      }
      if (strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
        return source_write(srv, c, &w, ctx, name);
      if (strcmp(method, "DELETE") == 0)
        return source_delete(srv, c, &w, name);
      return send_error(c, 405, "use GET, PUT, PATCH or DELETE on a source");
    }
    if (strcmp(rest, "/run") == 0) {
      if (!post)
        return send_error(c, 405, "use POST to start a run");
      return source_trigger(srv, c, &w, name);
    }
    if (strcmp(rest, "/runs") == 0 && get) {
      uv_mutex_lock(&srv->api_mu);
      if (load_source(srv, c, &w, name, &src, &sent) < 0) {
        uv_mutex_unlock(&srv->api_mu);
        return sent;
      }
      uv_mutex_unlock(&srv->api_mu);
      hv_source_fini(&src);
      return runs_list(srv, c, &w, name, 0);
    }
    if (strcmp(rest, "/findings") == 0 && get)
      return source_findings(srv, c, &w, name);
    return send_error(c, 404, "no such source path");
  }
  if (strcmp(path, "/api/check") == 0) {
    if (!post)
      return send_error(c, 405, "use POST with {\"url\": ...}");
    return check(srv, c, ctx);
  }
  if (strcmp(path, "/api/runs") == 0 && get)
    return runs_list(srv, c, &w, NULL, 0);
  if (strncmp(path, "/api/runs/", 10) == 0 && get) {
    char *end;
    long long id = strtoll(path + 10, &end, 10);
    if (*end || id <= 0)
      return send_error(c, 404, "no run '%.20s'", path + 10);
    return runs_list(srv, c, &w, NULL, (int64_t)id);
  }
  if (strcmp(path, "/api/reports/volumes") == 0 && get)
    return volumes(srv, c, &w);
  if (strcmp(path, "/api/reports/quality") == 0 && get)
    return quality(srv, c, &w);
  if (strcmp(path, "/api/outbox") == 0 && get)
    return outbox(srv, c, &w);
  if (strcmp(path, "/api/audit") == 0 && get)
    return audit_list(srv, c, &w);
  return send_error(c, 404, "no API endpoint %.8s %.80s", method, path);
}

static enum MHD_Result serve_asset(struct MHD_Connection *c,
                                   const hv__asset *a)
{
  struct MHD_Response *r;
  enum MHD_Result ok;

  r = MHD_create_response_from_buffer(a->len, (void *)a->data,
                                      MHD_RESPMEM_PERSISTENT);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", a->content_type);
  MHD_add_response_header(r, "Cache-Control", "no-cache");
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  /* Everything the page needs is served from here: no external assets,
   * no inline script. */
  MHD_add_response_header(r, "Content-Security-Policy",
                          "default-src 'self'; img-src 'self' data:; "
                          "frame-ancestors 'none'");
  ok = MHD_queue_response(c, 200, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result metrics(hv_server *srv, struct MHD_Connection *c)
{
  hv_buf b = HV_BUF_INIT((size_t)16 << 20);
  hv_error err = HV_ERROR_INIT;
  enum MHD_Result ok;
  int rc;

  uv_mutex_lock(&srv->api_mu);
  rc = hv__metrics_render(srv, &b, &err);
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0)
    ok = send_error(c, 500, "%s", err.msg);
  else
    ok = send_raw(c, 200, "text/plain; version=0.0.4; charset=utf-8",
                  b.ptr ? b.ptr : "", b.len, NULL, NULL);
  hv_buf_fini(&b);
  return ok;
}

static enum MHD_Result readyz(hv_server *srv, struct MHD_Connection *c)
{
  hv_metric_row *rows = NULL;
  hv_error err = HV_ERROR_INIT;
  size_t n = 0;
  int draining, rc;

  uv_mutex_lock(&srv->mu);
  draining = srv->draining;
  uv_mutex_unlock(&srv->mu);
  if (draining)
    return send_error(c, 503, "shutting down");
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_metric_runs(srv->api_store, &rows, &n, &err);
  uv_mutex_unlock(&srv->api_mu);
  hv_free(rows);
  if (rc < 0)
    return send_error(c, 503, "store: %s", err.msg);
  return send_json(c, 200, json_pack("{s:s}", "status", "ready"));
}

/* Whether an If-Modified-Since header covers unix time t. */
static int not_modified_since(const char *ims, int64_t t)
{
  struct tm tm;
  char *end;

  memset(&tm, 0, sizeof(tm));
  if (!ims || !(end = strptime(ims, "%a, %d %b %Y %H:%M:%S GMT", &tm)))
    return 0;
  return t <= (int64_t)timegm(&tm);
}

static enum MHD_Result catalog(hv_server *srv, struct MHD_Connection *c,
                               const char *path)
{
  const char *page_s = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                                   "page");
  const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Accept");
  const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                "If-None-Match");
  const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                "If-Modified-Since");
  const char *syntax = "turtle", *type = "text/turtle; charset=utf-8";
  hv_buf b = HV_BUF_INIT((size_t)256 << 20);
  hv_error err = HV_ERROR_INIT;
  int64_t count = 0, changed = 0, updated = 0;
  char etag[128], lm[64];
  struct MHD_Response *r;
  struct tm tm;
  time_t tt;
  settings set;
  long page = 1;
  int rc, fresh = 0;
  enum MHD_Result ok;

  read_settings(srv, &set);
  if (!set.catalog)
    return send_error(c, 404, "the catalog is not served (catalog = no)");
  if (strcmp(path, "/catalog.rdf") == 0 ||
      (strcmp(path, "/catalog") == 0 && accept &&
       strstr(accept, "application/rdf+xml"))) {
    syntax = "rdfxml";
    type = "application/rdf+xml; charset=utf-8";
  } else if (strcmp(path, "/catalog") != 0 &&
             strcmp(path, "/catalog.ttl") != 0) {
    return send_error(c, 404, "no such catalog path");
  }
  if (page_s) {
    char *end;
    page = strtol(page_s, &end, 10);
    if (*end || page < 1 || page > 100000000)
      return send_error(c, 400, "page must be a number >= 1, not '%.20s'",
                        page_s);
  }
  uv_mutex_lock(&srv->api_mu);
  rc = hv_store_catalog_stamp(srv->api_store, &count, &changed, &updated,
                              &err);
  if (rc == 0) {
    /* The page's content follows from these numbers alone. */
    snprintf(etag, sizeof(etag), "\"c%lld-%lld-%lld-p%ld-%d-%s\"",
             (long long)count, (long long)changed, (long long)updated, page,
             set.catalog_page_size, syntax);
    fresh = inm ? strstr(inm, etag) != NULL || strcmp(inm, "*") == 0
                : not_modified_since(ims, updated);
    if (!fresh)
      rc = hv__catalog_render(srv, syntax, page, set.catalog_base, &b, &err);
  }
  uv_mutex_unlock(&srv->api_mu);
  if (rc < 0) {
    hv_buf_fini(&b);
    return send_error(c, status_of(rc), "%s", err.msg);
  }
  tt = (time_t)(updated ? updated : srv->started_at);
  gmtime_r(&tt, &tm);
  strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  r = fresh ? MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(b.len, b.ptr ? b.ptr : (char *)"",
                                              MHD_RESPMEM_MUST_COPY);
  hv_buf_fini(&b);
  if (!r)
    return MHD_NO;
  MHD_add_response_header(r, "Content-Type", type);
  MHD_add_response_header(r, "ETag", etag);
  MHD_add_response_header(r, "Last-Modified", lm);
  MHD_add_response_header(r, "Vary", "Accept");
  ok = MHD_queue_response(c, fresh ? 304 : 200, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
  hv_server *srv = cls;
  req_ctx *ctx = *con_cls;
  size_t i, limit;

  (void)version;
  uv_mutex_lock(&srv->mu);
  limit = srv->cfg.max_request_body;
  uv_mutex_unlock(&srv->mu);
  if (!ctx) {
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 "Content-Length");
    if (!(ctx = hv_calloc(1, sizeof(*ctx))))
      return MHD_NO;
    hv_buf_init(&ctx->body, limit);
    *con_cls = ctx;
    if (cl && strtoull(cl, NULL, 10) > limit)
      return send_error(c, 413, "request body of %.20s bytes is over the "
                        "limit of %zu bytes", cl, limit);
    return MHD_YES;
  }
  if (*upload_data_size) {
    if (!ctx->too_big &&
        hv_buf_add(&ctx->body, upload_data, *upload_data_size) < 0)
      ctx->too_big = 1;
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (ctx->too_big)
    return send_error(c, 413, "request body is over the limit of %zu bytes",
                      limit);

  if (strncmp(url, "/api/", 5) == 0)
    return api(srv, c, method, url, ctx);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
    return send_error(c, 405, "use GET on %.80s", url);
  if (strcmp(url, "/healthz") == 0)
    return send_json(c, 200, json_pack("{s:s}", "status", "ok"));
  if (strcmp(url, "/readyz") == 0)
    return readyz(srv, c);
  if (strcmp(url, "/metrics") == 0)
    return metrics(srv, c);
  if (strncmp(url, "/catalog", 8) == 0)
    return catalog(srv, c, url);
  for (i = 0; i < hv__www_asset_count; i++) {
    if (strcmp(url, hv__www_assets[i].path) == 0)
      return serve_asset(c, &hv__www_assets[i]);
  }
  return send_error(c, 404, "nothing at %.80s", url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  req_ctx *ctx = *con_cls;

  (void)cls;
  (void)c;
  (void)toe;
  if (ctx) {
    hv_buf_fini(&ctx->body);
    hv_free(ctx);
    *con_cls = NULL;
  }
}

int hv__api_start(hv_server *srv, hv_error *err)
{
  struct sockaddr_storage ss;
  const union MHD_DaemonInfo *info;
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

  memset(&ss, 0, sizeof(ss));
  if (strchr(srv->cfg.listen_host, ':')) {
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(srv->cfg.listen_port);
    if (inet_pton(AF_INET6, srv->cfg.listen_host, &a6->sin6_addr) != 1)
      return hv_error_set(err, HV_EINVAL, "listen address '%s' is not an "
                          "IPv6 address", srv->cfg.listen_host);
    flags |= MHD_USE_IPv6;
  } else {
    struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(srv->cfg.listen_port);
    if (inet_pton(AF_INET, srv->cfg.listen_host, &a4->sin_addr) != 1)
      return hv_error_set(err, HV_EINVAL, "listen address '%s' is not an "
                          "IPv4 address", srv->cfg.listen_host);
  }
  srv->mhd = MHD_start_daemon(
      flags, srv->cfg.listen_port, NULL, NULL, on_request, srv,
      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)srv->cfg.api_threads,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg.connection_timeout,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
  if (!srv->mhd)
    return hv_error_set(err, HV_ECONNECT, "cannot listen on %s:%u (in use, "
                        "or not an address of this machine)",
                        srv->cfg.listen_host, (unsigned)srv->cfg.listen_port);
  info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
  uv_mutex_lock(&srv->mu); /* the HTTP threads already run */
  srv->port = info ? info->port : srv->cfg.listen_port;
  uv_mutex_unlock(&srv->mu);
  return 0;
}

void hv__api_stop(hv_server *srv)
{
  if (srv->mhd) {
    MHD_stop_daemon(srv->mhd);
    srv->mhd = NULL;
  }
}
