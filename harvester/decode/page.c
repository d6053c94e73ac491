/*
 * Page decoding (see page.h): read the body (syntax.c), find the Hydra
 * link to the next page and cut the page graph into one graph per
 * dcat:Dataset.
 *
 * The split indexes the page graph once by subject and then walks, for
 * every dataset, the nodes it reaches. The walk stops at other datasets,
 * catalogs, catalog records and Hydra paging nodes, so that a link between
 * datasets stays a link and page-level bookkeeping never leaks into a
 * dataset. Memory is a small multiple of the page graph.
 */
#include "decode/page.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/page_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define KEY_PREFIX "urn:govharvest:identifier:"
#define NONE SIZE_MAX    /* "no quad" / "no node" in the index arrays */

/* ------------------------------------------------------------------ */
/* Node index                                                          */
/* ------------------------------------------------------------------ */

enum {
  NODE_DATASET = 1 << 0, /* typed dcat:Dataset or object of dcat:dataset */
  NODE_STOP = 1 << 1,    /* catalog, record or Hydra node: never walked */
  NODE_VIEW = 1 << 2     /* hydra:PagedCollection / PartialCollectionView */
};

typedef struct node {
  const char *value;  /* IRI or blank label, in the page graph's arena */
  hv_term_kind kind;  /* HV_TERM_IRI or HV_TERM_BLANK */
  size_t first_seen;  /* first quad mentioning it as subject or object */
  size_t first_quad;  /* first quad with it as subject, NONE if none */
  size_t last_quad;   /* last such quad, for appending to the chain */
  size_t stamp;       /* 1 + index of the dataset walk that last saw it */
  unsigned flags;     /* NODE_* */
} node;

typedef struct page_index {
  const hv_graph *g;
  node *nodes;      /* at most two per quad */
  size_t n_nodes;
  size_t *slots;    /* open addressing: node index + 1, 0 = empty */
  size_t n_slots;   /* a power of two */
  size_t *subj;     /* per quad: subject node */
  size_t *obj;      /* per quad: object node or NONE for literals */
  size_t *next;     /* per quad: next quad with the same subject, or NONE */
} page_index;

static size_t hash_term(const char *s, hv_term_kind kind)
{
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)kind;

  for (; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return (size_t)h;
}

/* Returns the node of term t (an IRI or blank node), adding it if new. */
static size_t node_of(page_index *ix, const hv_term *t, size_t quad)
{
  size_t mask = ix->n_slots - 1;
  size_t h = hash_term(t->value, t->kind) & mask;
  node *nd;

  for (;;) {
    size_t slot = ix->slots[h];
    if (slot == 0)
      break;
    nd = &ix->nodes[slot - 1];
    if (nd->kind == t->kind && strcmp(nd->value, t->value) == 0)
      return slot - 1;
    h = (h + 1) & mask;
  }
  nd = &ix->nodes[ix->n_nodes];
  nd->value = t->value;
  nd->kind = t->kind;
  nd->first_seen = quad;
  nd->first_quad = NONE;
  nd->last_quad = NONE;
  nd->stamp = 0;
  nd->flags = 0;
  ix->slots[h] = ++ix->n_nodes;
  return ix->n_nodes - 1;
}

static int is_node_term(const hv_term *t)
{
  return t->kind == HV_TERM_IRI || t->kind == HV_TERM_BLANK;
}

static int is_iri(const hv_term *t, const char *iri)
{
  return t->kind == HV_TERM_IRI && strcmp(t->value, iri) == 0;
}

static void index_fini(page_index *ix)
{
  hv_free(ix->nodes);
  hv_free(ix->slots);
  hv_free(ix->subj);
  hv_free(ix->obj);
  hv_free(ix->next);
}

/* Indexes every quad of g by subject and flags the node types. */
static int index_build(page_index *ix, const hv_graph *g, hv_error *err)
{
  size_t n = g->len ? g->len : 1;
  size_t i;

  memset(ix, 0, sizeof(*ix));
  ix->g = g;
  ix->n_slots = 16;
  while (ix->n_slots < 4 * n)
    ix->n_slots *= 2;
  if (!(ix->nodes = hv_calloc(2 * n, sizeof(*ix->nodes))) ||
      !(ix->slots = hv_calloc(ix->n_slots, sizeof(*ix->slots))) ||
      !(ix->subj = hv_calloc(n, sizeof(*ix->subj))) ||
      !(ix->obj = hv_calloc(n, sizeof(*ix->obj))) ||
      !(ix->next = hv_calloc(n, sizeof(*ix->next))))
    return hv_error_oom(err);

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    node *s;

    ix->subj[i] = node_of(ix, &q->s, i);
    ix->obj[i] = is_node_term(&q->o) ? node_of(ix, &q->o, i) : NONE;
    ix->next[i] = NONE;
    s = &ix->nodes[ix->subj[i]];
    if (s->first_quad == NONE)
      s->first_quad = i;
    else
      ix->next[s->last_quad] = i;
    s->last_quad = i;

    if (is_iri(&q->p, HV_RDF "type") && q->o.kind == HV_TERM_IRI) {
      const char *type = q->o.value;
      if (strcmp(type, HV_DCAT "Dataset") == 0)
        s->flags |= NODE_DATASET;
      else if (strcmp(type, HV_DCAT "Catalog") == 0 ||
               strcmp(type, HV_DCAT "CatalogRecord") == 0 ||
               strcmp(type, HV_HYDRA "Collection") == 0)
        s->flags |= NODE_STOP;
      else if (strcmp(type, HV_HYDRA "PagedCollection") == 0 ||
               strcmp(type, HV_HYDRA "PartialCollectionView") == 0)
        s->flags |= NODE_STOP | NODE_VIEW;
    } else if (is_iri(&q->p, HV_DCAT "dataset") && ix->obj[i] != NONE) {
      ix->nodes[ix->obj[i]].flags |= NODE_DATASET;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Hydra next page                                                     */
/* ------------------------------------------------------------------ */

static int is_next_predicate(const hv_term *p)
{
  return is_iri(p, HV_HYDRA "next") || is_iri(p, HV_HYDRA "nextPage");
}

/*
 * Resolves value against page_url with libcurl's URL parser and stores a
 * copy in *out (hv_free it). Returns 0 with *out NULL if the value cannot
 * be made absolute, 0 with *out set, or HV_ENOMEM.
 */
static int resolve_url(char **out, const char *page_url, const char *value,
                       hv_error *err)
{
  const unsigned int flags = CURLU_NON_SUPPORT_SCHEME;
  CURLU *u = curl_url();
  char *s = NULL;
  int rc = 0;

  *out = NULL;
  if (!u)
    return hv_error_oom(err);
  /* A relative value needs a base; an absolute one replaces it. */
  if (page_url)
    curl_url_set(u, CURLUPART_URL, page_url, flags);
  if (curl_url_set(u, CURLUPART_URL, value, flags) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK) {
    if (!(*out = hv_strdup(s)))
      rc = hv_error_oom(err);
  }
  curl_free(s);
  curl_url_cleanup(u);
  return rc;
}

/* Trims ASCII whitespace and no-break spaces; returns an arena copy. */
static char *trimmed(hv_arena *a, const char *s)
{
  size_t n = strlen(s), k;

  for (;;) {
    if (n > 0 && hv__text_is_ws((unsigned char)*s)) {
      s++;
      n--;
    } else if ((k = hv__text_unicode_space(s, n)) > 0) {
      s += k;
      n -= k;
    } else {
      break;
    }
  }
  while (n > 0) {
    if (hv__text_is_ws((unsigned char)s[n - 1]))
      n--;
    else if (n >= 2 && hv__text_unicode_space(s + n - 2, 2) == 2)
      n -= 2;
    else if (n >= 3 && hv__text_unicode_space(s + n - 3, 3) == 3)
      n -= 3;
    else
      break;
  }
  return hv_arena_strndup(a, s, n);
}

/*
 * Picks the next-page link: the first hydra:next / hydra:nextPage on a
 * PagedCollection or PartialCollectionView node; failing that, the value
 * of such a property anywhere on the page if there is exactly one.
 */
static int find_next(hv_page *page, const page_index *ix, hv_arena *scratch,
                     const char *page_url, hv_error *err)
{
  const hv_graph *g = ix->g;
  const hv_term *chosen = NULL, *only = NULL;
  size_t i;
  int several = 0;
  char *value;
  int rc;

  for (i = 0; i < g->len; i++) {
    const hv_quad *q = &g->quads[i];
    if (!is_next_predicate(&q->p) || q->o.kind == HV_TERM_BLANK)
      continue;
    if (ix->nodes[ix->subj[i]].flags & NODE_VIEW) {
      chosen = &q->o;
      break;
    }
    if (!only)
      only = &q->o;
    else if (strcmp(only->value, q->o.value) != 0)
      several = 1;
  }
  if (!chosen && only && !several)
    chosen = only;
  else if (!chosen && several)
    return hv__page_warn(page, err,
                       "several different hydra next links and no paging "
                       "node to choose from; not following any");
  if (!chosen)
    return 0;
  if (!(value = trimmed(scratch, chosen->value)))
    return hv_error_oom(err);
  if ((rc = resolve_url(&page->next_url, page_url, value, err)) < 0)
    return rc;
  if (!page->next_url)
    return hv__page_warn(page, err,
                       "hydra next link \"%.200s\" is not a usable URL", value);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Split                                                               */
/* ------------------------------------------------------------------ */

/* Returns the label under which a node is named in messages. */
static int node_name(hv_buf *b, const node *nd)
{
  return nd->kind == HV_TERM_BLANK ? hv_buf_addf(b, "_:%s", nd->value)
                                   : hv_buf_addstr(b, nd->value);
}

/*
 * Records a dataset node that cannot be kept. A blank node's label means
 * nothing to the portal's operator, so its title, when it has one, is
 * named as well.
 */
static int reject(hv_page *page, const node *nd, const char *title,
                  const char *reason, hv_error *err)
{
  hv_buf name = HV_BUF_INIT(1 << 20);
  hv_buf why = HV_BUF_INIT(1 << 20);
  hv_rejected *r = &page->rejected[page->n_rejected];
  int rc = 0;

  if (node_name(&name, nd) < 0 || hv_buf_addstr(&why, "dataset ") < 0 ||
      node_name(&why, nd) < 0 ||
      (title && hv_buf_addf(&why, " (title \"%.80s\")", title) < 0) ||
      hv_buf_addf(&why, " %s", reason) < 0 ||
      !(r->subject = hv_buf_detach(&name, NULL)) ||
      !(r->reason = hv_buf_detach(&why, NULL))) {
    hv_free(r->subject);
    r->subject = NULL;
    rc = hv_error_oom(err);
  } else {
    page->n_rejected++;
  }
  hv_buf_fini(&name);
  hv_buf_fini(&why);
  return rc;
}

/*
 * Copies the dataset node's triples and those of every node it reaches
 * into ds->graph, depth first with `stack` (room for every node), and
 * fills the summary fields from the dataset node's own triples.
 */
static int walk_dataset(hv_dataset_graph *ds, page_index *ix, size_t root,
                        size_t walk, size_t *stack, hv_error *err)
{
  const hv_graph *g = ix->g;
  size_t top = 0, q;
  const hv_term *last_dist = NULL;

  ix->nodes[root].stamp = walk + 1;
  stack[top++] = root;
  while (top > 0) {
    size_t cur = stack[--top];
    for (q = ix->nodes[cur].first_quad; q != NONE; q = ix->next[q]) {
      const hv_quad *quad = &g->quads[q];
      size_t o = ix->obj[q];

      /* The terms stay in the page graph's arena, which the page keeps
       * until its datasets are gone: no second copy of every string. */
      if (hv_graph_add_owned(&ds->graph, quad, err) < 0)
        return HV_ENOMEM;
      if (cur == root) {
        if (is_iri(&quad->p, HV_DCAT "distribution") &&
            (!last_dist || !hv_term_equal(last_dist, &quad->o))) {
          ds->distributions++;
          last_dist = &quad->o;
        } else if (is_iri(&quad->p, HV_DCT "identifier") &&
                   quad->o.kind == HV_TERM_LITERAL && !ds->identifier) {
          if (!(ds->identifier = hv_strdup(quad->o.value)))
            return hv_error_oom(err);
        } else if (is_iri(&quad->p, HV_DCT "modified") &&
                   quad->o.kind == HV_TERM_LITERAL && !ds->modified) {
          if (!(ds->modified = hv_strdup(quad->o.value)))
            return hv_error_oom(err);
        }
      }
      /* Classes are vocabulary, not part of the dataset's description. */
      if (o == NONE || is_iri(&quad->p, HV_RDF "type"))
        continue;
      if (ix->nodes[o].stamp == walk + 1 || ix->nodes[o].first_quad == NONE ||
          (ix->nodes[o].flags & (NODE_DATASET | NODE_STOP)))
        continue;
      ix->nodes[o].stamp = walk + 1;
      stack[top++] = o;
    }
  }
  return 0;
}

/* Sort helper: qsort has no payload, so node order is precomputed. */
typedef struct order_item {
  size_t first_seen;
  size_t node;
} order_item;

static int cmp_order(const void *a, const void *b)
{
  const order_item *x = a, *y = b;

  return x->first_seen < y->first_seen ? -1 : x->first_seen > y->first_seen;
}

/* Returns the first literal value of predicate on node, or NULL. */
static const char *first_literal(const page_index *ix, size_t nd,
                                 const char *predicate)
{
  size_t q;

  for (q = ix->nodes[nd].first_quad; q != NONE; q = ix->next[q])
    if (is_iri(&ix->g->quads[q].p, predicate) &&
        ix->g->quads[q].o.kind == HV_TERM_LITERAL)
      return ix->g->quads[q].o.value;
  return NULL;
}

static int split(hv_page *page, page_index *ix, hv_arena *scratch,
                 hv_error *err)
{
  order_item *order = NULL;
  size_t *stack = NULL;
  size_t n_order = 0, i;
  int rc = 0;

  for (i = 0; i < ix->n_nodes; i++)
    n_order += (ix->nodes[i].flags & NODE_DATASET) != 0;
  if (n_order == 0)
    goto cleanup;
  if (!(order = hv_calloc(n_order, sizeof(*order))) ||
      !(stack = hv_calloc(ix->n_nodes, sizeof(*stack))) ||
      !(page->datasets = hv_calloc(n_order, sizeof(*page->datasets))) ||
      !(page->rejected = hv_calloc(n_order, sizeof(*page->rejected)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  n_order = 0;
  for (i = 0; i < ix->n_nodes; i++)
    if (ix->nodes[i].flags & NODE_DATASET) {
      order[n_order].first_seen = ix->nodes[i].first_seen;
      order[n_order++].node = i;
    }
  qsort(order, n_order, sizeof(*order), cmp_order);

  for (i = 0; i < n_order; i++) {
    size_t nd = order[i].node;
    const node *root = &ix->nodes[nd];
    hv_dataset_graph *ds;
    const char *id = NULL;

    if (root->first_quad == NONE) {
      rc = reject(page, root, NULL,
                  "is referenced but not described on this page", err);
      if (rc < 0)
        goto cleanup;
      continue;
    }
    if (root->kind == HV_TERM_BLANK) {
      const char *raw = first_literal(ix, nd, HV_DCT "identifier");
      if (raw && !(id = trimmed(scratch, raw))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      if (!id || !id[0]) {
        rc = reject(page, root, first_literal(ix, nd, HV_DCT "title"),
                    raw ? "has no IRI and an empty dct:identifier"
                        : "has no IRI and no dct:identifier",
                    err);
        if (rc < 0)
          goto cleanup;
        continue;
      }
    }
    ds = &page->datasets[page->n_datasets++];
    hv_graph_init(&ds->graph);
    if (root->kind == HV_TERM_IRI) {
      if (!(ds->uri = hv_strdup(root->value)) ||
          !(ds->key = hv_strdup(root->value))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
    } else {
      size_t n = strlen(KEY_PREFIX) + strlen(id) + 1;
      if (!(ds->key = hv_malloc(n))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      snprintf(ds->key, n, "%s%s", KEY_PREFIX, id);
    }
    if ((rc = walk_dataset(ds, ix, nd, i, stack, err)) < 0)
      goto cleanup;
  }

cleanup:
  hv_free(order);
  hv_free(stack);
  return rc;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */

int hv_page_decode(hv_page *out, const char *body, size_t len,
                   const char *content_type, const char *format_hint,
                   const char *page_url, hv_error *err)
{
  hv_graph g;
  hv_arena scratch;
  page_index ix;
  const char *syntax;
  int rc;

  hv_graph_init(&g);
  hv_arena_init(&scratch);
  memset(&ix, 0, sizeof(ix));
  if (!(syntax = hv_page_pick_syntax(body, len, content_type, format_hint,
                                     err))) {
    rc = err ? err->code : HV_EFORMAT;
    goto cleanup;
  }
  /* raptor 2.0.15's N-Triples parser leaks the terms of a malformed line
   * and accepts lines without the final dot; every N-Triples document is
   * also Turtle, and the Turtle parser is strict and leak-free. */
  if (strcmp(syntax, "ntriples") == 0)
    syntax = "turtle";
  out->syntax = syntax;
  rc = hv__page_parse(out, &g, syntax, body, len, page_url, err);
  if (rc < 0) {
    if (rc == HV_EPARSE)
      hv_error_prefix(err, "%s ", syntax);
    goto cleanup;
  }
  out->triples = g.len;
  if ((rc = index_build(&ix, &g, err)) < 0 ||
      (rc = find_next(out, &ix, &scratch, page_url, err)) < 0 ||
      (rc = split(out, &ix, &scratch, err)) < 0)
    goto cleanup;

cleanup:
  index_fini(&ix);
  hv_arena_fini(&scratch);
  /* The dataset graphs point into g's strings: the page owns it now. */
  out->graph = g;
  return rc;
}

void hv_page_fini(hv_page *page)
{
  size_t i;

  if (!page)
    return;
  for (i = 0; i < page->n_datasets; i++) {
    hv_dataset_graph *ds = &page->datasets[i];
    hv_free(ds->key);
    hv_free(ds->uri);
    hv_free(ds->identifier);
    hv_free(ds->modified);
    hv_graph_fini(&ds->graph);
  }
  for (i = 0; i < page->n_rejected; i++) {
    hv_free(page->rejected[i].subject);
    hv_free(page->rejected[i].reason);
  }
  hv_free(page->datasets);
  hv_graph_fini(&page->graph);
  hv_free(page->rejected);
  hv_free(page->next_url);
  hv_free(page->warning);
  memset(page, 0, sizeof(*page));
}
