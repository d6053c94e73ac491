/*
 * The served catalog: the store's active datasets as a Hydra-paged
 * DCAT-AP.de endpoint (Turtle or RDF/XML through raptor's serializers),
 * so that a state without a handover point of its own can run govharvest
 * as one. Page N holds datasets in the store's key order; each page
 * carries the dcat:Catalog with its dcat:dataset links and a
 * hydra:PartialCollectionView with first, last, previous and next.
 *
 * Each dataset comes from its stored canonical N-Triples. Their blank
 * nodes are labelled per dataset (_:c14n0 in every one), so they are
 * relabelled "d<N>_<label>" on the way out, or two datasets' nodes would
 * merge.
 *
 * One raptor world serves every request, under api_mu; freeing a world
 * can run libxml2's global cleanup, which must not happen while a run
 * parses, so it lives until the daemon stops.
 */
#include "serve/serve_int.h"

#include <raptor2.h>
#include <stdio.h>
#include <string.h>

#include "decode/page.h"
#include "decode/rdfparse.h"
#include "model/graph.h"
#include "util/alloc.h"

typedef struct walk {
  raptor_world *world;
  raptor_serializer *ser;
  raptor_uri *catalog;   /* the catalog node */
  size_t index;          /* datasets seen so far */
  size_t from, to;       /* this page: [from, to) */
  int full;              /* the walk stopped because the page is full */
  hv_error *err;
} walk;

static raptor_term *term_of(raptor_world *w, const hv_term *t, size_t ds)
{
  char label[256];
  raptor_uri *dt = NULL;
  raptor_term *out;

  switch (t->kind) {
  case HV_TERM_IRI:
    return raptor_new_term_from_uri_string(w,
                                           (const unsigned char *)t->value);
  case HV_TERM_BLANK:
    snprintf(label, sizeof(label), "d%zu_%s", ds,
             strncmp(t->value, "_:", 2) == 0 ? t->value + 2 : t->value);
    return raptor_new_term_from_blank(w, (const unsigned char *)label);
  case HV_TERM_LITERAL:
    if (t->datatype)
      dt = raptor_new_uri(w, (const unsigned char *)t->datatype);
    out = raptor_new_term_from_literal(w, (const unsigned char *)t->value, dt,
                                       (const unsigned char *)t->lang);
    if (dt)
      raptor_free_uri(dt);
    return out;
  default:
    return NULL;
  }
}

/* Serializes one statement made of the three terms (taken). */
static int emit(walk *wk, raptor_term *s, raptor_term *p, raptor_term *o)
{
  raptor_statement *st;
  int rc;

  if (!s || !p || !o) {
    if (s)
      raptor_free_term(s);
    if (p)
      raptor_free_term(p);
    if (o)
      raptor_free_term(o);
    return hv_error_oom(wk->err);
  }
  st = raptor_new_statement_from_nodes(wk->world, s, p, o, NULL);
  if (!st)
    return hv_error_oom(wk->err);
  rc = raptor_serializer_serialize_statement(wk->ser, st);
  raptor_free_statement(st);
  return rc ? hv_error_set(wk->err, HV_EIO, "catalog: serializer refused a "
                           "statement")
            : 0;
}

static raptor_term *iri(raptor_world *w, const char *s)
{
  return raptor_new_term_from_uri_string(w, (const unsigned char *)s);
}

static int on_dataset(const hv_dataset_row *row, void *payload)
{
  walk *wk = payload;
  hv_graph g;
  size_t i, ds = wk->index++;
  const hv_term *node = NULL;
  int rc = 0;

  if (ds < wk->from)
    return 0;
  if (ds >= wk->to) {
    /* A negative return is the only way to stop the store's walk. */
    wk->full = 1;
    return HV_ELIMIT;
  }
  hv_graph_init(&g);
  if ((rc = hv_rdf_parse(&g, "ntriples", row->payload, row->payload_len,
                         NULL, wk->err)) < 0) {
    hv_error_prefix(wk->err, "catalog: dataset %s: ", row->key);
    goto cleanup;
  }
  for (i = 0; i < g.len && rc == 0; i++) {
    const hv_quad *q = &g.quads[i];
    if (!node && q->p.kind == HV_TERM_IRI &&
        strcmp(q->p.value, HV_RDF "type") == 0 &&
        q->o.kind == HV_TERM_IRI &&
        strcmp(q->o.value, HV_DCAT "Dataset") == 0)
      node = &q->s;
    rc = emit(wk, term_of(wk->world, &q->s, ds),
              term_of(wk->world, &q->p, ds), term_of(wk->world, &q->o, ds));
  }
  if (rc == 0 && node)
    rc = emit(wk, raptor_new_term_from_uri(wk->world, wk->catalog),
              iri(wk->world, HV_DCAT "dataset"),
              term_of(wk->world, node, ds));

cleanup:
  hv_graph_fini(&g);
  return rc;
}

static raptor_term *count_literal(raptor_world *w, long long n)
{
  char text[32];
  raptor_uri *dt = raptor_new_uri(
      w, (const unsigned char *)"http://www.w3.org/2001/XMLSchema#integer");
  raptor_term *t;

  snprintf(text, sizeof(text), "%lld", n);
  t = raptor_new_term_from_literal(w, (const unsigned char *)text, dt, NULL);
  if (dt)
    raptor_free_uri(dt);
  return t;
}

int hv__catalog_render(hv_server *srv, const char *syntax, long page,
                       const char *base, hv_buf *out, hv_error *err)
{
  const char *ext = strcmp(syntax, "rdfxml") == 0 ? "rdf" : "ttl";
  raptor_world *w = srv->catalog_world;
  void *text = NULL;
  size_t text_len = 0;
  int64_t count = 0, changed, updated;
  long size, last;
  char cat[512], view[600], link[600];
  walk wk;
  int rc;

  memset(&wk, 0, sizeof(wk));
  if (!w) {
    if (!(w = raptor_new_world()) || raptor_world_open(w) != 0) {
      if (w)
        raptor_free_world(w);
      return hv_error_set(err, HV_ENOMEM, "catalog: no raptor world");
    }
    srv->catalog_world = w;
  }
  if ((rc = hv_store_catalog_stamp(srv->api_store, &count, &changed,
                                   &updated, err)) < 0)
    return rc;
  uv_mutex_lock(&srv->mu);
  size = srv->cfg.catalog_page_size;
  uv_mutex_unlock(&srv->mu);
  last = count ? (long)((count + size - 1) / size) : 1;
  if (page > last)
    return hv_error_set(err, HV_ENOTFOUND, "catalog page %ld is past the "
                        "last page %ld", page, last);
  snprintf(cat, sizeof(cat), "%s/catalog", base);
  snprintf(view, sizeof(view), "%s/catalog.%s?page=%ld", base, ext, page);

  wk.world = w;
  wk.err = err;
  wk.from = (size_t)(page - 1) * (size_t)size;
  wk.to = wk.from + (size_t)size;
  if (!(wk.ser = raptor_new_serializer(
            w, strcmp(syntax, "rdfxml") == 0 ? "rdfxml-abbrev" : "turtle")) ||
      !(wk.catalog = raptor_new_uri(w, (const unsigned char *)cat))) {
    rc = hv_error_set(err, HV_ENOMEM, "catalog: cannot make a serializer");
    goto cleanup;
  }
  {
    static const char *const ns[][2] = {
        {HV_DCAT, "dcat"}, {HV_DCT, "dct"}, {HV_HYDRA, "hydra"},
        {"http://dcat-ap.de/def/dcatde/", "dcatde"},
        {"http://xmlns.com/foaf/0.1/", "foaf"}};
    size_t i;
    for (i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
      raptor_uri *u = raptor_new_uri(w, (const unsigned char *)ns[i][0]);
      if (u) {
        raptor_serializer_set_namespace(wk.ser, u,
                                        (const unsigned char *)ns[i][1]);
        raptor_free_uri(u);
      }
    }
  }
  /* No base: every IRI is written absolute. */
  if (raptor_serializer_start_to_string(wk.ser, NULL, &text,
                                        &text_len) != 0) {
    rc = hv_error_set(err, HV_EIO, "catalog: serializer did not start");
    goto cleanup;
  }
  if ((rc = emit(&wk, iri(w, cat), iri(w, HV_RDF "type"),
                 iri(w, HV_DCAT "Catalog"))) < 0 ||
      (rc = emit(&wk, iri(w, cat), iri(w, HV_DCT "title"),
                 raptor_new_term_from_literal(
                     w, (const unsigned char *)"govharvest catalog", NULL,
                     NULL))) < 0 ||
      (rc = emit(&wk, iri(w, view), iri(w, HV_RDF "type"),
                 iri(w, HV_HYDRA "PartialCollectionView"))) < 0 ||
      (rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "totalItems"),
                 count_literal(w, (long long)count))) < 0 ||
      (rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "itemsPerPage"),
                 count_literal(w, size))) < 0)
    goto cleanup;
  snprintf(link, sizeof(link), "%s/catalog.%s?page=1", base, ext);
  if ((rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "first"),
                 iri(w, link))) < 0)
    goto cleanup;
  snprintf(link, sizeof(link), "%s/catalog.%s?page=%ld", base, ext, last);
  if ((rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "last"),
                 iri(w, link))) < 0)
    goto cleanup;
  if (page > 1) {
    snprintf(link, sizeof(link), "%s/catalog.%s?page=%ld", base, ext,
             page - 1);
    if ((rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "previous"),
                   iri(w, link))) < 0)
      goto cleanup;
  }
  if (page < last) {
    snprintf(link, sizeof(link), "%s/catalog.%s?page=%ld", base, ext,
             page + 1);
    if ((rc = emit(&wk, iri(w, view), iri(w, HV_HYDRA "next"),
                   iri(w, link))) < 0)
      goto cleanup;
  }
  rc = hv_store_dataset_foreach(srv->api_store, 0, on_dataset, &wk, err);
  if (rc == HV_ELIMIT && wk.full)
    rc = 0;
  if (rc < 0)
    goto cleanup;
  raptor_serializer_serialize_end(wk.ser);
  raptor_free_serializer(wk.ser);
  wk.ser = NULL; /* the string is complete once the serializer is gone */
  if (hv_buf_add(out, text, text_len) < 0)
    rc = hv_error_set(err, HV_ETOOBIG, "catalog page %ld is too large",
                      page);

cleanup:
  if (wk.ser) {
    raptor_serializer_serialize_end(wk.ser);
    raptor_free_serializer(wk.ser);
  }
  if (text)
    raptor_free_memory(text);
  if (wk.catalog)
    raptor_free_uri(wk.catalog);
  return rc;
}

void hv__catalog_fini(hv_server *srv)
{
  if (srv->catalog_world) {
    raptor_free_world(srv->catalog_world);
    srv->catalog_world = NULL;
  }
}
