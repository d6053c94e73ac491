/*
 * Trying an endpoint before it is saved: fetch its first page with the
 * harvest's own fetcher and policy, pick the syntax, decode it, find the
 * Hydra next page, and map a few of its datasets with the profile so the
 * operator sees the findings GovData would record.
 *
 * The check runs on the HTTP thread that asked for it, on a private
 * libuv loop that lives for the one fetch: the daemon's loop never waits
 * for a remote server, and other HTTP threads go on serving.
 */
#include "serve/serve_int.h"

#include <string.h>

#include "decode/page.h"
#include "fetch/fetch.h"
#include "harvest/assess.h"
#include "map/map.h"
#include "util/alloc.h"

/* Datasets shown and mapped, and findings reported, at most. */
#define SAMPLE_DATASETS 5
#define MAX_FINDINGS 50
/* A check waits this long for the first page. */
#define CHECK_TIMEOUT_MS 20000

typedef struct fetch_outcome {
  int done;
  int status;
  hv_error err;
  long http_status;
  char *body;
  size_t len;
  char *content_type;
  char *effective_url;
  double seconds;
} fetch_outcome;

static void on_fetched(int status, const hv_fetch_result *r,
                       const hv_error *err, void *payload)
{
  fetch_outcome *o = payload;

  o->done = 1;
  o->status = status;
  o->err = *err;
  o->http_status = r->status;
  o->seconds = r->seconds;
  if (status == 0) {
    o->body = hv_strndup(r->body, r->len);
    o->len = o->body ? r->len : 0;
  }
  o->content_type = r->content_type ? hv_strdup(r->content_type) : NULL;
  o->effective_url = r->effective_url ? hv_strdup(r->effective_url) : NULL;
}

static void fetch_once(const hv_serve_config *policy, size_t max_body,
                       const char *url, fetch_outcome *o)
{
  hv_fetch_opts opts = HV_FETCH_OPTS_INIT;
  hv_fetcher *f = NULL;
  uv_loop_t loop;
  int rc;

  opts.allow_loopback = policy->allow_loopback;
  opts.allow_private = policy->allow_private;
  opts.max_body = max_body;
  opts.total_timeout_ms = CHECK_TIMEOUT_MS;
  opts.max_attempts = 1;
  if ((rc = uv_loop_init(&loop)) != 0) {
    o->status = hv_error_set(&o->err, HV_ENOMEM, "loop: %s", uv_strerror(rc));
    return;
  }
  if ((rc = hv_fetcher_new(&f, &loop, &opts, &o->err)) == 0) {
    if ((rc = hv_fetcher_get(f, url, NULL, NULL, on_fetched, o, &o->err)) < 0)
      o->status = rc;
    else
      uv_run(&loop, UV_RUN_DEFAULT);
    hv_fetcher_close(f);
    uv_run(&loop, UV_RUN_DEFAULT);
  } else {
    o->status = rc;
  }
  uv_loop_close(&loop);
}

static json_t *findings_json(const hv_findings *f, size_t from,
                             size_t *budget)
{
  json_t *arr = json_array();
  size_t i;

  for (i = from; i < f->len && *budget > 0; i++, (*budget)--) {
    const hv_finding *x = &f->items[i];
    json_array_append_new(
        arr, json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}",
                       "rule", x->rule, "severity",
                       hv_severity_name(x->severity), "subject", x->subject,
                       "predicate", x->predicate, "old", x->old_value, "new",
                       x->new_value, "message", x->message, "message_de",
                       x->message_de));
  }
  return arr;
}

int hv__check_endpoint(hv_server *srv, const char *url,
                       const char *format_hint, json_t **out, hv_error *err)
{
  hv_serve_config policy;
  fetch_outcome o;
  hv_page page;
  hv_error derr = HV_ERROR_INIT;
  hv_findings findings;
  json_t *doc = NULL, *sample, *rejected;
  size_t max_body, i, budget = MAX_FINDINGS;
  int rc = 0;

  memset(&o, 0, sizeof(o));
  memset(&page, 0, sizeof(page));
  memset(&policy, 0, sizeof(policy));
  hv_findings_init(&findings);
  uv_mutex_lock(&srv->mu);
  policy.allow_loopback = srv->cfg.allow_loopback;
  policy.allow_private = srv->cfg.allow_private;
  max_body = srv->cfg.max_body;
  uv_mutex_unlock(&srv->mu);

  fetch_once(&policy, max_body, url, &o);
  uv_mutex_lock(&srv->mu);
  hv__histogram_add(&srv->fetch_seconds, o.seconds);
  uv_mutex_unlock(&srv->mu);
  if (o.status < 0 || o.err.code == HV_EHTTP) {
    doc = json_pack("{s:b, s:s, s:s, s:I}", "ok", 0, "url", url, "error",
                    o.err.msg[0] ? o.err.msg : "fetch failed", "http_status",
                    (json_int_t)o.http_status);
    goto done;
  }
  if (hv_page_decode(&page, o.body, o.len, o.content_type, format_hint,
                     o.effective_url ? o.effective_url : url, &derr) < 0) {
    doc = json_pack("{s:b, s:s, s:s, s:I, s:s?, s:I}", "ok", 0, "url", url,
                    "error", derr.msg, "http_status",
                    (json_int_t)o.http_status, "content_type",
                    o.content_type, "bytes", (json_int_t)o.len);
    goto done;
  }
  sample = json_array();
  for (i = 0; i < page.n_datasets && i < SAMPLE_DATASETS; i++) {
    const hv_dataset_graph *d = &page.datasets[i];
    json_t *item = json_pack(
        "{s:s, s:s?, s:s?, s:s?, s:I, s:I}", "key", d->key, "uri", d->uri,
        "identifier", d->identifier, "modified", d->modified,
        "distributions", (json_int_t)d->distributions, "triples",
        (json_int_t)d->graph.len);
    {
      hv_graph mapped;
      size_t before = findings.len;
      hv_graph_init(&mapped);
      if (hv_assess_dataset(srv->profile, NULL, &d->graph, d->uri, &mapped,
                            &findings, &derr) == 0)
        json_object_set_new(item, "findings",
                            findings_json(&findings, before, &budget));
      hv_graph_fini(&mapped);
    }
    json_array_append_new(sample, item);
  }
  rejected = json_array();
  for (i = 0; i < page.n_rejected && i < 20; i++)
    json_array_append_new(rejected,
                          json_pack("{s:s, s:s}", "subject",
                                    page.rejected[i].subject, "reason",
                                    page.rejected[i].reason));
  doc = json_pack("{s:b, s:s, s:I, s:s?, s:s, s:I, s:I, s:I, s:b, s:s?, "
                  "s:s?, s:o, s:o, s:b, s:f}",
                  "ok", 1, "url", url, "http_status",
                  (json_int_t)o.http_status, "content_type", o.content_type,
                  "syntax", page.syntax, "bytes", (json_int_t)o.len,
                  "triples", (json_int_t)page.triples, "datasets",
                  (json_int_t)page.n_datasets, "paged",
                  page.next_url != NULL, "next_page", page.next_url,
                  "warning", page.warning, "sample", sample, "rejected",
                  rejected, "mapped", 1, "seconds",
                  o.seconds);

done:
  if (!doc)
    rc = hv_error_oom(err);
  else
    *out = doc;
  hv_findings_fini(&findings);
  hv_page_fini(&page);
  hv_free(o.body);
  hv_free(o.content_type);
  hv_free(o.effective_url);
  return rc;
}
