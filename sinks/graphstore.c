/*
 * The SPARQL 1.1 Graph Store HTTP Protocol sink.
 *
 * Every dataset lives in a named graph of its own, so replacing or
 * removing one never touches another:
 *
 *   graph IRI = graph_base + escape(source) + "/" + escape(key)
 *
 * where escape percent-encodes every byte but A-Z a-z 0-9 - . _ ~ and
 * graph_base defaults to "urn:govharvest:dataset:". The key is the
 * harvest's identity of the dataset within its source, so the IRI stays
 * the same across runs and changes of the dataset's content.
 *
 * put is "PUT endpoint?graph=IRI" with the canonical N-Triples as body
 * (which replaces the graph), delete is "DELETE endpoint?graph=IRI"; a
 * 404 on delete means the graph is already gone, which is success. Both
 * are idempotent. With catalog_graph and update_endpoint set, each
 * operation then updates the dataset's dcat:CatalogRecord (IRI: graph
 * IRI + "#record") in that graph through SPARQL Update, carrying the
 * canonical hash (spdx:checksum) and the dataset's modified time.
 *
 * Status mapping: 2xx done; 401/403 halt the sink (credentials); 408,
 * 429 and 5xx retry; other 4xx park the operation with the answer.
 */
#include "sinks/sink.h"

#include <string.h>

#include "sinks/http.h"
#include "util/alloc.h"

#define DEFAULT_GRAPH_BASE "urn:govharvest:dataset:"
#define ANSWER_QUOTE 200

typedef struct gs_sink {
  hv_http *http;
  char *endpoint;        /* Graph Store endpoint */
  char *graph_base;
  char *content_type;
  char *catalog_graph;   /* NULL: no catalog records */
  char *update_endpoint; /* SPARQL Update endpoint for the records */
} gs_sink;

typedef struct gs_op {
  hv_sink *s;
  hv_sink_cb cb;
  void *payload;
  int is_put;
  char *graph;   /* graph IRI */
  char *update;  /* record update to send after the graph, or NULL */
} gs_op;

static void gs_op_free(gs_op *o)
{
  hv_free(o->graph);
  hv_free(o->update);
  hv_free(o);
}

/* Appends the graph IRI of item. */
static int graph_iri(const gs_sink *g, const hv_sink_item *item, hv_buf *b)
{
  int rc;

  if ((rc = hv_buf_addstr(b, g->graph_base)) < 0)
    return rc;
  /* Named by the published identity, so the graph stays when another
   * copy becomes the published one; per copy without one. */
  if (item->identity)
    return hv_http_escape(b, item->identity);
  if ((rc = hv_http_escape(b, item->source)) == 0 &&
      (rc = hv_buf_addc(b, '/')) == 0)
    rc = hv_http_escape(b, item->key);
  return rc;
}

/* Appends s as the body of an N-Triples literal. */
static int add_literal(hv_buf *b, const char *s)
{
  int rc = 0;

  for (; *s && rc == 0; s++) {
    if (*s == '"' || *s == '\\')
      rc = hv_buf_addc(b, '\\');
    if (rc == 0) {
      if (*s == '\n')
        rc = hv_buf_addstr(b, "\\n");
      else if (*s == '\r')
        rc = hv_buf_addstr(b, "\\r");
      else
        rc = hv_buf_addc(b, *s);
    }
  }
  return rc;
}

/* Builds the SPARQL Update that replaces (put) or removes the record. */
static int record_update(const gs_sink *g, const hv_sink_item *item,
                         const char *graph, int is_put, hv_buf *b)
{
  int rc;

  rc = hv_buf_addf(b,
                   "DELETE WHERE { GRAPH <%s> { <%s#record> ?p ?o } } ;\n"
                   "DELETE WHERE { GRAPH <%s> { <%s#checksum> ?p ?o } }",
                   g->catalog_graph, graph, g->catalog_graph, graph);
  if (rc < 0 || !is_put)
    return rc;
  rc = hv_buf_addf(
      b,
      " ;\nINSERT DATA { GRAPH <%s> {\n"
      "  <%s#record> a <http://www.w3.org/ns/dcat#CatalogRecord> ;\n"
      "    <http://xmlns.com/foaf/0.1/primaryTopic> <%s> ;\n"
      "    <http://spdx.org/rdf/terms#checksum> <%s#checksum> ;\n"
      "    <http://purl.org/dc/terms/identifier> \"",
      g->catalog_graph, graph, item->uri ? item->uri : graph, graph);
  if (rc == 0 && (rc = add_literal(b, item->identity ? item->identity
                                                    : item->key)) == 0)
    rc = hv_buf_addstr(b, "\"");
  if (rc == 0 && item->modified) {
    if ((rc = hv_buf_addstr(b, " ;\n    <http://purl.org/dc/terms/modified> "
                               "\"")) == 0 &&
        (rc = add_literal(b, item->modified)) == 0)
      rc = hv_buf_addstr(b, "\"");
  }
  if (rc == 0)
    rc = hv_buf_addf(
        b,
        " .\n  <%s#checksum> <http://spdx.org/rdf/terms#algorithm>"
        " <http://spdx.org/rdf/terms#checksumAlgorithm_sha256> ;\n"
        "    <http://spdx.org/rdf/terms#checksumValue> \"%s\" .\n} }",
        graph, item->hash ? item->hash : "");
  return rc;
}

static hv_sink_status classify(long status)
{
  if (status >= 200 && status < 300)
    return HV_SINK_OK;
  if (status == 401 || status == 403)
    return HV_SINK_HALT;
  if (status == 408 || status == 429 || status >= 500)
    return HV_SINK_RETRY;
  return HV_SINK_PARK;
}

static void finish(gs_op *o, hv_sink_status st, const hv_error *err)
{
  hv_sink_cb cb = o->cb;
  void *payload = o->payload;

  gs_op_free(o);
  cb(st, err, payload);
}

static void on_record(int rc, long status, const char *body, size_t len,
                      const hv_error *herr, void *payload)
{
  gs_op *o = payload;
  hv_error err = HV_ERROR_INIT;
  hv_sink_status st;

  if (rc < 0) {
    finish(o, rc == HV_ECANCELED ? HV_SINK_RETRY : HV_SINK_RETRY, herr);
    return;
  }
  st = classify(status);
  if (st != HV_SINK_OK) {
    char answer[ANSWER_QUOTE];

    hv_http_one_line(body, len, answer, sizeof(answer));
    hv_error_set(&err, HV_ESINK, "catalog record of %s: HTTP %ld: %s",
                 o->graph, status, answer);
  }
  finish(o, st, &err);
}

static void on_graph(int rc, long status, const char *body, size_t len,
                     const hv_error *herr, void *payload)
{
  gs_op *o = payload;
  gs_sink *g = o->s->impl;
  hv_error err = HV_ERROR_INIT;
  hv_sink_status st;
  hv_buf form = HV_BUF_INIT((size_t)1 << 20);

  if (rc < 0) {
    finish(o, HV_SINK_RETRY, herr);
    return;
  }
  st = classify(status);
  if (!o->is_put && status == 404)
    st = HV_SINK_OK; /* already gone */
  if (st != HV_SINK_OK) {
    char answer[ANSWER_QUOTE];

    hv_http_one_line(body, len, answer, sizeof(answer));
    hv_error_set(&err, HV_ESINK, "%s graph %s: HTTP %ld: %s",
                 o->is_put ? "PUT" : "DELETE", o->graph, status,
                 answer[0] ? answer : "(no body)");
    finish(o, st, &err);
    return;
  }
  if (!o->update) {
    finish(o, HV_SINK_OK, NULL);
    return;
  }
  {
    hv_http_request req = {"POST", g->update_endpoint,
                           "application/x-www-form-urlencoded", NULL, 0};

    if (hv_buf_addstr(&form, "update=") < 0 ||
        hv_http_escape(&form, o->update) < 0) {
      hv_error_oom(&err);
      finish(o, HV_SINK_RETRY, &err);
      goto cleanup;
    }
    req.body = form.ptr;
    req.body_len = form.len;
    if (hv_http_send(g->http, &req, on_record, o, &err) < 0)
      finish(o, HV_SINK_RETRY, &err);
  }

cleanup:
  hv_buf_fini(&form);
}

static int gs_start(hv_sink *s, const hv_sink_item *item, int is_put,
                    hv_sink_cb cb, void *payload)
{
  gs_sink *g = s->impl;
  hv_buf iri = HV_BUF_INIT(64 << 10), url = HV_BUF_INIT(64 << 10);
  hv_buf upd = HV_BUF_INIT((size_t)1 << 20);
  hv_error err = HV_ERROR_INIT;
  gs_op *o = NULL;
  int rc;

  if ((rc = graph_iri(g, item, &iri)) < 0 ||
      (rc = hv_buf_addstr(&url, g->endpoint)) < 0 ||
      (rc = hv_buf_addstr(&url, strchr(g->endpoint, '?') ? "&graph="
                                                         : "?graph=")) < 0 ||
      (rc = hv_http_escape(&url, iri.ptr)) < 0)
    goto cleanup;
  if (!(o = hv_calloc(1, sizeof(*o)))) {
    rc = HV_ENOMEM;
    goto cleanup;
  }
  o->s = s;
  o->cb = cb;
  o->payload = payload;
  o->is_put = is_put;
  if (!(o->graph = hv_strdup(iri.ptr))) {
    rc = HV_ENOMEM;
    goto cleanup;
  }
  if (g->catalog_graph) {
    if ((rc = record_update(g, item, o->graph, is_put, &upd)) < 0)
      goto cleanup;
    o->update = hv_buf_detach(&upd, NULL);
    if (!o->update) {
      rc = HV_ENOMEM;
      goto cleanup;
    }
  }
  {
    hv_http_request req = {is_put ? "PUT" : "DELETE", url.ptr,
                           is_put ? g->content_type : NULL,
                           is_put ? item->payload : NULL,
                           is_put ? item->payload_len : 0};

    if ((rc = hv_http_send(g->http, &req, on_graph, o, &err)) < 0)
      goto cleanup;
  }
  o = NULL; /* now owned by the request */

cleanup:
  if (o)
    gs_op_free(o);
  hv_buf_fini(&iri);
  hv_buf_fini(&url);
  hv_buf_fini(&upd);
  return rc;
}

static int gs_put(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                  void *payload)
{
  return gs_start(s, item, 1, cb, payload);
}

static int gs_delete(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                     void *payload)
{
  return gs_start(s, item, 0, cb, payload);
}

static void gs_free(gs_sink *g)
{
  hv_free(g->endpoint);
  hv_free(g->graph_base);
  hv_free(g->content_type);
  hv_free(g->catalog_graph);
  hv_free(g->update_endpoint);
  hv_free(g);
}

static int dup_setting(const hv_sink_conf *c, const char *key,
                       const char *def, char **out, hv_error *err)
{
  const char *v = hv_sink_conf_get(c, key);

  if (!v)
    v = def;
  if (v && !(*out = hv_strdup(v)))
    return hv_error_oom(err);
  return 0;
}

static int gs_open(hv_sink *s, const hv_sink_conf *conf,
                   const hv_sink_env *env, hv_error *err)
{
  gs_sink *g;
  int rc;

  if (!hv_sink_conf_get(conf, "endpoint"))
    return hv_error_set(err, HV_EINVAL,
                        "%s:%d: sink %s: 'endpoint' (the Graph Store URL) is "
                        "required",
                        conf->path, conf->line, conf->name);
  if (!(g = hv_calloc(1, sizeof(*g))))
    return hv_error_oom(err);
  if ((rc = dup_setting(conf, "endpoint", NULL, &g->endpoint, err)) < 0 ||
      (rc = dup_setting(conf, "graph_base", DEFAULT_GRAPH_BASE,
                        &g->graph_base, err)) < 0 ||
      (rc = dup_setting(conf, "content_type", "application/n-triples",
                        &g->content_type, err)) < 0 ||
      (rc = dup_setting(conf, "catalog_graph", NULL, &g->catalog_graph,
                        err)) < 0 ||
      (rc = dup_setting(conf, "update_endpoint", NULL, &g->update_endpoint,
                        err)) < 0)
    goto fail;
  if (g->catalog_graph && !g->update_endpoint) {
    rc = hv_error_set(err, HV_EINVAL,
                      "%s:%d: sink %s: catalog_graph needs update_endpoint "
                      "(SPARQL Update)",
                      conf->path, conf->line, conf->name);
    goto fail;
  }
  if ((rc = hv_http_from_conf(&g->http, conf, env->loop, NULL, err)) < 0)
    goto fail;
  s->impl = g;
  return 0;

fail:
  gs_free(g);
  return rc;
}

static void gs_close(hv_sink *s)
{
  gs_sink *g = s->impl;

  hv_http_close(g->http);
  gs_free(g);
}

static int gs_describe(const hv_sink *s, hv_buf *out)
{
  const gs_sink *g = s->impl;

  return hv_buf_addf(out, "SPARQL Graph Store %s (graphs %s...)%s%s",
                     g->endpoint, g->graph_base,
                     g->catalog_graph ? ", catalog graph " : "",
                     g->catalog_graph ? g->catalog_graph : "");
}

const hv_sink_type hv_sink_graphstore = {
    "graphstore", 0,        gs_open,  gs_put,     gs_delete,
    NULL,         gs_close, gs_describe};
