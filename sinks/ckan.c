/*
 * The CKAN action API sink (see ckan.h).
 *
 * put:    package_show {id: NAME}
 *           found  → package_update (also revives a deleted package)
 *           404    → package_create
 * delete: package_delete {id: NAME}; 404 means already gone.
 *
 * Both are idempotent: the name is derived from the dataset key, so a
 * resend finds the package the first send made and updates it to the
 * same content. The API token goes in the Authorization header.
 *
 * Answers are read from CKAN's envelope ({success, result} or {success:
 * false, error: {__type, message or field messages}}): 403 halts the
 * sink (token), 409 "Validation Error" parks the operation with the
 * field messages, 5xx, 408, 429 and network failures retry, any other
 * answer parks it with the error quoted.
 *
 * Mapping (ckanext-dcat + ckanext-dcatde field names): dct:title →
 * title, dct:description → notes, dcat:keyword → tags, dcat:theme →
 * groups (the theme code, lower-cased: .../data-theme/ECON → econ),
 * dcat:landingPage → url, dcatde:maintainer / dct:creator names and
 * mboxes → maintainer(_email) / author(_email), dcat:distribution →
 * resources (url from accessURL or downloadURL, name, description,
 * format code, license), the first distribution's licence → license_id,
 * and extras for identifier, issued, modified, contributorID,
 * politicalGeocodingURI, geocodingText, originator_name, uri, guid,
 * harvest_source and harvest_key. Repeated values of an extra are
 * written as a JSON list in the string, as ckanext-dcat does.
 */
#include "sinks/ckan.h"

#include <stdio.h>
#include <string.h>

#include "decode/rdfparse.h"
#include "model/graph.h"
#include "sinks/http.h"
#include "util/alloc.h"
#include "util/hash.h"

#define DCT "http://purl.org/dc/terms/"
#define DCAT "http://www.w3.org/ns/dcat#"
#define DCATDE "http://dcat-ap.de/def/dcatde/"
#define FOAF "http://xmlns.com/foaf/0.1/"
#define VCARD "http://www.w3.org/2006/vcard/ns#"
#define RDF_TYPE "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#define ANSWER_QUOTE 300

/* ---- names -------------------------------------------------------------- */

/* The name of the parts (source and key, or one identity) joined by
 * "-"; the hash that keeps lossy names distinct is over whole. */
static void make_name(const char *const *parts, int n_parts,
                      const char *whole_text, size_t whole_len,
                      char out[HV_CKAN_NAME_MAX + 1])
{
  char hex[HV_SHA256_HEX_LEN + 1];
  size_t n = 0, i;
  int lossy = 0, dash = 0;
  int k;

  for (k = 0; k < n_parts; k++) {
    const char *p;

    if (k == 1) {
      if (n < HV_CKAN_NAME_MAX && n > 0 && !dash)
        out[n++] = '-';
      dash = 1;
    }
    for (p = parts[k]; *p; p++) {
      char c = *p;

      if (c >= 'A' && c <= 'Z') {
        c = (char)(c - 'A' + 'a');
        lossy = 1;
      }
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-') {
        dash = 0;
      } else {
        lossy = 1;
        if (dash)
          continue;
        c = '-';
        dash = 1;
      }
      if (n < HV_CKAN_NAME_MAX)
        out[n++] = c;
      else
        lossy = 1;
    }
  }
  while (n > 0 && out[n - 1] == '-') {
    n--;
    lossy = 1;
  }
  if (n < 2)
    lossy = 1;
  out[n] = '\0';
  if (!lossy)
    return;
  hv_sha256_hex(whole_text, whole_len, hex);
  if (n > HV_CKAN_NAME_MAX - 13)
    n = HV_CKAN_NAME_MAX - 13;
  while (n > 0 && out[n - 1] == '-')
    n--;
  i = n;
  if (i > 0)
    out[i++] = '-';
  memcpy(out + i, hex, 12);
  out[i + 12] = '\0';
}

void hv_ckan_name(const char *source, const char *key,
                  char out[HV_CKAN_NAME_MAX + 1])
{
  hv_buf whole = HV_BUF_INIT((size_t)1 << 20);
  const char *parts[2] = {source, key};

  if (hv_buf_addf(&whole, "%s\n%s", source, key) == 0)
    make_name(parts, 2, whole.ptr, whole.len, out);
  else
    make_name(parts, 2, key, strlen(key), out);
  hv_buf_fini(&whole);
}

void hv_ckan_identity_name(const char *identity,
                           char out[HV_CKAN_NAME_MAX + 1])
{
  make_name(&identity, 1, identity, strlen(identity), out);
}

/* The package name of item: from its identity, else its copy. */
static void item_name(const hv_sink_item *item,
                      char out[HV_CKAN_NAME_MAX + 1])
{
  if (item->identity)
    hv_ckan_identity_name(item->identity, out);
  else
    hv_ckan_name(item->source, item->key, out);
}

/* ---- mapping ------------------------------------------------------------ */

static int is_iri(const hv_term *t, const char *iri)
{
  return t->kind == HV_TERM_IRI && strcmp(t->value, iri) == 0;
}

/* The preferred literal of (s, p): German, then untagged, then any. */
static const char *literal(const hv_graph *g, const hv_term *s, const char *p)
{
  const char *best = NULL;
  int best_rank = 0;
  size_t i;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    int rank;

    if (!hv_term_equal(&q->s, s) || !is_iri(&q->p, p))
      continue;
    if (q->o.kind != HV_TERM_LITERAL && q->o.kind != HV_TERM_IRI)
      continue;
    rank = q->o.lang ? (strncmp(q->o.lang, "de", 2) == 0 ? 3 : 1) : 2;
    if (rank > best_rank) {
      best = q->o.value;
      best_rank = rank;
    }
  }
  return best;
}

/* The first object node of (s, p), or NULL. */
static const hv_term *object(const hv_graph *g, const hv_term *s,
                             const char *p)
{
  size_t i;

  for (i = 0; i < g->len; i++)
    if (hv_term_equal(&g->quads[i].s, s) && is_iri(&g->quads[i].p, p))
      return &g->quads[i].o;
  return NULL;
}

/* The last path segment of an IRI, lower-cased, into out. */
static void code_of(const char *iri, char *out, size_t size)
{
  const char *seg = strrchr(iri, '/');
  const char *hash = strrchr(iri, '#');
  size_t n = 0;

  if (hash && (!seg || hash > seg))
    seg = hash;
  seg = seg ? seg + 1 : iri;
  for (; *seg && n + 1 < size; seg++)
    out[n++] = (char)(*seg >= 'A' && *seg <= 'Z' ? *seg - 'A' + 'a' : *seg);
  out[n] = '\0';
}

/* Strips "mailto:" from an mbox. */
static const char *mail(const char *v)
{
  return v && strncmp(v, "mailto:", 7) == 0 ? v + 7 : v;
}

static int set_str(json_t *obj, const char *key, const char *v)
{
  if (!v)
    return 0;
  return json_object_set_new(obj, key, json_string(v)) == 0 ? 0 : HV_ENOMEM;
}

/* Adds an extra whose value is every object of (s, p), one or a list. */
static int add_extra_all(json_t *extras, const hv_graph *g, const hv_term *s,
                         const char *p, const char *key)
{
  json_t *vals = json_array(), *extra;
  char *dumped = NULL;
  const char *value;
  size_t i;
  int rc = 0;

  if (!vals)
    return HV_ENOMEM;
  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];

    if (hv_term_equal(&q->s, s) && is_iri(&q->p, p) &&
        q->o.kind != HV_TERM_BLANK &&
        json_array_append_new(vals, json_string(q->o.value)) != 0) {
      rc = HV_ENOMEM;
      goto cleanup;
    }
  }
  if (json_array_size(vals) == 0)
    goto cleanup;
  if (json_array_size(vals) == 1) {
    value = json_string_value(json_array_get(vals, 0));
  } else {
    if (!(dumped = json_dumps(vals, JSON_COMPACT))) {
      rc = HV_ENOMEM;
      goto cleanup;
    }
    value = dumped;
  }
  if (!(extra = json_pack("{s:s, s:s}", "key", key, "value", value)) ||
      json_array_append_new(extras, extra) != 0)
    rc = HV_ENOMEM;

cleanup:
  free(dumped); /* jansson's allocation */
  json_decref(vals);
  return rc;
}

static int add_extra(json_t *extras, const char *key, const char *value)
{
  json_t *extra;

  if (!value)
    return 0;
  if (!(extra = json_pack("{s:s, s:s}", "key", key, "value", value)) ||
      json_array_append_new(extras, extra) != 0)
    return HV_ENOMEM;
  return 0;
}

/* Tag names in CKAN: alphanumerics, space, "-", "_", "." up to 100. */
static void tag_name(const char *kw, char *out, size_t size)
{
  size_t n = 0;
  const unsigned char *p;

  for (p = (const unsigned char *)kw; *p && n + 1 < size; p++)
    out[n++] = (char)((*p >= 0x80 || (*p >= 'a' && *p <= 'z') ||
                       (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                       *p == ' ' || *p == '-' || *p == '_' || *p == '.')
                          ? *p
                          : '-');
  /* Never cut a UTF-8 sequence in half. */
  while (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0x80 &&
         p[0] && ((unsigned char)p[0] & 0xC0) == 0x80)
    n--;
  if (n > 0 && ((unsigned char)out[n - 1] & 0xC0) == 0xC0 && *p)
    n--;
  out[n] = '\0';
}

static int map_resource(const hv_graph *g, const hv_term *d, json_t *res,
                        const char **license)
{
  const char *url = literal(g, d, DCAT "accessURL");
  const char *v;
  char code[64];
  int rc = 0;

  if (!url)
    url = literal(g, d, DCAT "downloadURL");
  rc |= set_str(res, "url", url ? url : "");
  rc |= set_str(res, "name", literal(g, d, DCT "title"));
  rc |= set_str(res, "description", literal(g, d, DCT "description"));
  if ((v = literal(g, d, DCAT "downloadURL")))
    rc |= set_str(res, "download_url", v);
  if ((v = literal(g, d, DCT "format"))) {
    code_of(v, code, sizeof(code));
    /* GovData shows the file type code in upper case (CSV, JSON). */
    for (size_t i = 0; code[i]; i++)
      if (code[i] >= 'a' && code[i] <= 'z')
        code[i] = (char)(code[i] - 'a' + 'A');
    rc |= set_str(res, "format", code);
  }
  if ((v = literal(g, d, DCAT "mediaType")))
    rc |= set_str(res, "mimetype", v);
  if ((v = literal(g, d, DCT "license"))) {
    rc |= set_str(res, "license", v);
    if (!*license)
      *license = v;
  }
  if ((v = literal(g, d, DCT "modified")))
    rc |= set_str(res, "modified", v);
  if ((v = literal(g, d, DCT "issued")))
    rc |= set_str(res, "issued", v);
  if ((v = literal(g, d, DCATDE "licenseAttributionByText")))
    rc |= set_str(res, "licenseAttributionByText", v);
  return rc ? HV_ENOMEM : 0;
}

/* Name and mbox of the agent at (s, p) into the package fields. */
static int map_agent(const hv_graph *g, const hv_term *s, const char *p,
                     json_t *pkg, const char *name_key, const char *mail_key)
{
  const hv_term *a = object(g, s, p);
  int rc = 0;

  if (!a || a->kind == HV_TERM_LITERAL)
    return 0;
  rc |= set_str(pkg, name_key, literal(g, a, FOAF "name"));
  if (mail_key)
    rc |= set_str(pkg, mail_key, mail(literal(g, a, FOAF "mbox")));
  return rc ? HV_ENOMEM : 0;
}

int hv_ckan_package(const hv_sink_item *item, const char *owner_org,
                    json_t **out, hv_error *err)
{
  hv_graph g;
  const hv_term *ds = NULL;
  const char *license = NULL, *v;
  char name[HV_CKAN_NAME_MAX + 1], code[128];
  json_t *pkg = NULL, *tags = NULL, *groups = NULL, *res = NULL,
         *extras = NULL;
  size_t i;
  int rc;

  hv_graph_init(&g);
  if ((rc = hv_rdf_parse(&g, "turtle", item->payload, item->payload_len, NULL,
                         err)) < 0) {
    hv_error_prefix(err, "ckan: dataset %s/%s: ", item->source, item->key);
    goto cleanup;
  }
  for (i = 0; i < g.len && !ds; i++)
    if (is_iri(&g.quads[i].p, RDF_TYPE) &&
        is_iri(&g.quads[i].o, DCAT "Dataset"))
      ds = &g.quads[i].s;
  if (!ds) {
    rc = hv_error_set(err, HV_EMAP, "ckan: dataset %s/%s: no dcat:Dataset in "
                      "its payload", item->source, item->key);
    goto cleanup;
  }
  item_name(item, name);
  rc = HV_ENOMEM;
  if (!(pkg = json_object()) || !(tags = json_array()) ||
      !(groups = json_array()) || !(res = json_array()) ||
      !(extras = json_array()))
    goto oom;
  v = literal(&g, ds, DCT "title");
  if (set_str(pkg, "name", name) || set_str(pkg, "title", v ? v : item->key) ||
      set_str(pkg, "notes", literal(&g, ds, DCT "description")) ||
      set_str(pkg, "url", literal(&g, ds, DCAT "landingPage")) ||
      set_str(pkg, "owner_org", owner_org) || set_str(pkg, "state", "active") ||
      set_str(pkg, "version", literal(&g, ds, "http://www.w3.org/2002/07/owl#"
                                              "versionInfo")))
    goto oom;
  if (map_agent(&g, ds, DCATDE "maintainer", pkg, "maintainer",
                "maintainer_email") ||
      map_agent(&g, ds, DCT "creator", pkg, "author", "author_email"))
    goto oom;
  if (!json_object_get(pkg, "maintainer")) {
    const hv_term *cp = object(&g, ds, DCAT "contactPoint");

    if (cp && cp->kind != HV_TERM_LITERAL &&
        (set_str(pkg, "maintainer", literal(&g, cp, VCARD "fn")) ||
         set_str(pkg, "maintainer_email",
                 mail(literal(&g, cp, VCARD "hasEmail")))))
      goto oom;
  }
  for (i = 0; i < g.len; i++) {
    const hv_quad *q = &g.quads[i];

    if (!hv_term_equal(&q->s, ds))
      continue;
    if (is_iri(&q->p, DCAT "keyword") && q->o.kind == HV_TERM_LITERAL) {
      tag_name(q->o.value, code, sizeof(code) < 101 ? sizeof(code) : 101);
      if (code[0] && json_array_append_new(
                         tags, json_pack("{s:s}", "name", code)) != 0)
        goto oom;
    } else if (is_iri(&q->p, DCAT "theme") && q->o.kind == HV_TERM_IRI) {
      code_of(q->o.value, code, sizeof(code));
      if (code[0] && json_array_append_new(
                         groups, json_pack("{s:s}", "name", code)) != 0)
        goto oom;
    } else if (is_iri(&q->p, DCAT "distribution") &&
               q->o.kind != HV_TERM_LITERAL) {
      json_t *r = json_object();

      if (!r || map_resource(&g, &q->o, r, &license) ||
          json_array_append_new(res, r) != 0)
        goto oom;
    }
  }
  if (set_str(pkg, "license_id", license))
    goto oom;
  if (add_extra_all(extras, &g, ds, DCT "identifier", "identifier") ||
      add_extra(extras, "issued", literal(&g, ds, DCT "issued")) ||
      add_extra(extras, "modified", literal(&g, ds, DCT "modified")) ||
      add_extra_all(extras, &g, ds, DCATDE "contributorID", "contributorID") ||
      add_extra_all(extras, &g, ds, DCATDE "politicalGeocodingURI",
                    "politicalGeocodingURI") ||
      add_extra_all(extras, &g, ds, DCATDE "geocodingText",
                    "geocodingText") ||
      add_extra(extras, "uri", item->uri) ||
      add_extra(extras, "guid", item->uri ? item->uri : item->identifier) ||
      add_extra(extras, "harvest_source", item->source) ||
      add_extra(extras, "harvest_key", item->key))
    goto oom;
  {
    const hv_term *o = object(&g, ds, DCATDE "originator");

    if (o && o->kind != HV_TERM_LITERAL &&
        add_extra(extras, "originator_name", literal(&g, o, FOAF "name")))
      goto oom;
  }
  if (json_object_set(pkg, "tags", tags) ||
      json_object_set(pkg, "groups", groups) ||
      json_object_set(pkg, "resources", res) ||
      json_object_set(pkg, "extras", extras))
    goto oom;
  *out = pkg;
  pkg = NULL;
  rc = 0;
  goto cleanup;

oom:
  rc = hv_error_oom(err);
cleanup:
  json_decref(pkg);
  json_decref(tags);
  json_decref(groups);
  json_decref(res);
  json_decref(extras);
  hv_graph_fini(&g);
  return rc;
}

/* ---- the sink ----------------------------------------------------------- */

typedef struct ckan_sink {
  hv_http *http;
  char *url;          /* CKAN site, without trailing slash */
  char *default_org;  /* `organization` */
  hv_sink_setting *orgs;    /* copies of organization.* settings */
  size_t n_orgs;
} ckan_sink;

typedef enum ckan_step { STEP_SHOW, STEP_WRITE, STEP_DELETE } ckan_step;

typedef struct ckan_op {
  hv_sink *s;
  hv_sink_cb cb;
  void *payload;
  ckan_step step;
  char name[HV_CKAN_NAME_MAX + 1];
  json_t *pkg; /* put: the package body */
} ckan_op;

static void op_finish(ckan_op *o, hv_sink_status st, const hv_error *err)
{
  hv_sink_cb cb = o->cb;
  void *payload = o->payload;

  json_decref(o->pkg);
  hv_free(o);
  cb(st, err, payload);
}

static void on_answer(int rc, long status, const char *body, size_t len,
                      const hv_error *herr, void *payload);

/* POSTs body (a JSON object) to action. */
static int call(ckan_op *o, const char *action, json_t *body, hv_error *err)
{
  ckan_sink *c = o->s->impl;
  hv_buf url = HV_BUF_INIT(64 << 10);
  char *text = json_dumps(body, JSON_COMPACT);
  int rc;

  if (!text || hv_buf_addf(&url, "%s/api/3/action/%s", c->url, action) < 0) {
    rc = hv_error_oom(err);
  } else {
    hv_http_request req = {"POST", url.ptr, "application/json", text,
                           strlen(text)};

    rc = hv_http_send(c->http, &req, on_answer, o, err);
  }
  free(text); /* jansson's allocation */
  hv_buf_fini(&url);
  return rc;
}

/* Writes CKAN's error into err: "__type: message" or field messages. */
static void describe_error(json_t *doc, long status, const char *body,
                           size_t len, const char *action, const char *name,
                           hv_error *err)
{
  json_t *e = json_object_get(doc, "error");
  const char *type = json_string_value(json_object_get(e, "__type"));
  const char *msg = json_string_value(json_object_get(e, "message"));
  char fields[HV_ERROR_MSG_MAX] = "";
  size_t n = 0;
  const char *k;
  json_t *v;

  if (json_is_object(e) && !msg) {
    json_object_foreach(e, k, v) {
      json_t *first = json_is_array(v) ? json_array_get(v, 0) : v;

      if (strcmp(k, "__type") == 0 || !json_is_string(first))
        continue;
      n += (size_t)snprintf(fields + n,
                            n < sizeof(fields) ? sizeof(fields) - n : 0,
                            "%s%s: %s", n ? "; " : "", k,
                            json_string_value(first));
      if (n >= sizeof(fields))
        break;
    }
    msg = fields;
  }
  if (type)
    hv_error_set(err, HV_ESINK, "%s %s: HTTP %ld %s: %s", action, name,
                 status, type, msg && *msg ? msg : "(no message)");
  else {
    char answer[ANSWER_QUOTE];

    hv_http_one_line(body, len, answer, sizeof(answer));
    hv_error_set(err, HV_ESINK, "%s %s: HTTP %ld: %s", action, name, status,
                 answer[0] ? answer : "(no body)");
  }
}

static hv_sink_status classify(long status)
{
  if (status == 401 || status == 403)
    return HV_SINK_HALT;
  if (status == 408 || status == 429 || status >= 500 || status < 200)
    return HV_SINK_RETRY;
  return HV_SINK_PARK;
}

static void on_answer(int rc, long status, const char *body, size_t len,
                      const hv_error *herr, void *payload)
{
  ckan_op *o = payload;
  hv_error err = HV_ERROR_INIT;
  json_t *doc = NULL;
  const char *action = o->step == STEP_SHOW     ? "package_show"
                       : o->step == STEP_DELETE ? "package_delete"
                       : "package_write";
  int ok;

  if (rc < 0) {
    op_finish(o, HV_SINK_RETRY, herr);
    return;
  }
  doc = json_loadb(body, len, 0, NULL);
  ok = status >= 200 && status < 300 && doc &&
       json_is_true(json_object_get(doc, "success"));
  if (o->step == STEP_DELETE) {
    if (ok || status == 404)
      op_finish(o, HV_SINK_OK, NULL);
    else {
      describe_error(doc, status, body, len, action, o->name, &err);
      op_finish(o, classify(status), &err);
    }
    goto cleanup;
  }
  if (o->step == STEP_SHOW) {
    const char *next;

    if (ok)
      next = "package_update";
    else if (status == 404)
      next = "package_create";
    else {
      describe_error(doc, status, body, len, action, o->name, &err);
      op_finish(o, classify(status), &err);
      goto cleanup;
    }
    o->step = STEP_WRITE;
    if (ok && json_object_set_new(o->pkg, "id", json_string(o->name)) != 0) {
      op_finish(o, HV_SINK_RETRY, NULL);
      goto cleanup;
    }
    if (call(o, next, o->pkg, &err) < 0)
      op_finish(o, HV_SINK_RETRY, &err);
    goto cleanup;
  }
  if (ok) {
    op_finish(o, HV_SINK_OK, NULL);
  } else {
    describe_error(doc, status, body, len,
                   json_object_get(o->pkg, "id") ? "package_update"
                                                 : "package_create",
                   o->name, &err);
    op_finish(o, classify(status), &err);
  }

cleanup:
  json_decref(doc);
}

static const char *org_for(const ckan_sink *c, const char *source)
{
  size_t i;

  for (i = 0; i < c->n_orgs; i++)
    if (strcmp(c->orgs[i].key, source) == 0)
      return c->orgs[i].value;
  return c->default_org;
}

static int ckan_put(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                    void *payload)
{
  ckan_sink *c = s->impl;
  hv_error err = HV_ERROR_INIT;
  ckan_op *o;
  json_t *q;
  int rc;

  if (!(o = hv_calloc(1, sizeof(*o))))
    return HV_ENOMEM;
  o->s = s;
  o->cb = cb;
  o->payload = payload;
  o->step = STEP_SHOW;
  item_name(item, o->name);
  if ((rc = hv_ckan_package(item, org_for(c, item->source), &o->pkg, &err)) <
      0) {
    /* A payload the mapping cannot read will not read better later. */
    op_finish(o, rc == HV_ENOMEM ? HV_SINK_RETRY : HV_SINK_PARK, &err);
    return 0;
  }
  if (!(q = json_pack("{s:s}", "id", o->name))) {
    op_finish(o, HV_SINK_RETRY, NULL);
    return 0;
  }
  rc = call(o, "package_show", q, &err);
  json_decref(q);
  if (rc < 0) {
    json_decref(o->pkg);
    hv_free(o);
  }
  return rc;
}

static int ckan_delete(hv_sink *s, const hv_sink_item *item, hv_sink_cb cb,
                       void *payload)
{
  hv_error err = HV_ERROR_INIT;
  ckan_op *o;
  json_t *q;
  int rc;

  if (!(o = hv_calloc(1, sizeof(*o))))
    return HV_ENOMEM;
  o->s = s;
  o->cb = cb;
  o->payload = payload;
  o->step = STEP_DELETE;
  item_name(item, o->name);
  if (!(q = json_pack("{s:s}", "id", o->name))) {
    hv_free(o);
    return HV_ENOMEM;
  }
  rc = call(o, "package_delete", q, &err);
  json_decref(q);
  if (rc < 0)
    hv_free(o);
  return rc;
}

static void ckan_free(ckan_sink *c)
{
  size_t i;

  hv_free(c->url);
  hv_free(c->default_org);
  for (i = 0; i < c->n_orgs; i++) {
    hv_free(c->orgs[i].key);
    hv_free(c->orgs[i].value);
  }
  hv_free(c->orgs);
  hv_free(c);
}

static int ckan_open(hv_sink *s, const hv_sink_conf *conf,
                     const hv_sink_env *env, hv_error *err)
{
  const char *url = hv_sink_conf_get(conf, "url");
  const char *org = hv_sink_conf_get(conf, "organization");
  ckan_sink *c;
  size_t i, n;
  int rc;

  if (!url || (strncmp(url, "http://", 7) != 0 &&
               strncmp(url, "https://", 8) != 0))
    return hv_error_set(err, HV_EINVAL,
                        "%s:%d: sink %s: 'url' must be the CKAN site's "
                        "http(s) URL",
                        conf->path, conf->line, conf->name);
  if (!(c = hv_calloc(1, sizeof(*c))) || !(c->url = hv_strdup(url)) ||
      (org && !(c->default_org = hv_strdup(org))) ||
      !(c->orgs = hv_calloc(conf->n_settings + 1, sizeof(*c->orgs)))) {
    if (c)
      ckan_free(c);
    return hv_error_oom(err);
  }
  n = strlen(c->url);
  while (n > 0 && c->url[n - 1] == '/')
    c->url[--n] = '\0';
  for (i = 0; i < conf->n_settings; i++) {
    const hv_sink_setting *st = &conf->settings[i];

    if (strncmp(st->key, "organization.", 13) != 0)
      continue;
    if (!(c->orgs[c->n_orgs].key = hv_strdup(st->key + 13)) ||
        !(c->orgs[c->n_orgs].value = hv_strdup(st->value))) {
      c->n_orgs++;
      ckan_free(c);
      return hv_error_oom(err);
    }
    c->n_orgs++;
  }
  if ((rc = hv_http_from_conf(&c->http, conf, env->loop, "Authorization",
                              err)) < 0) {
    ckan_free(c);
    return rc;
  }
  s->impl = c;
  return 0;
}

static void ckan_close(hv_sink *s)
{
  ckan_sink *c = s->impl;

  hv_http_close(c->http);
  ckan_free(c);
}

static int ckan_describe(const hv_sink *s, hv_buf *out)
{
  const ckan_sink *c = s->impl;

  return hv_buf_addf(out, "CKAN action API at %s (default organization %s)",
                     c->url, c->default_org ? c->default_org : "none");
}

const hv_sink_type hv_sink_ckan = {"ckan",    0,          ckan_open,
                                   ckan_put,  ckan_delete, NULL,
                                   ckan_close, ckan_describe};
