/*
 * Near duplicates: published datasets from different sources that look
 * alike without sharing an identifier or IRI (see hv_neardup_find).
 *
 * Comparing every pair is 2·10^10 comparisons at 200,000 datasets, so
 * the candidates come from MinHash and LSH banding: each dataset's
 * feature set (title words and word pairs, publisher, distribution URLs)
 * gets a signature of HV_NEARDUP_HASHES minima of independent hash
 * functions; the probability that two sets agree in one position is
 * their Jaccard similarity J. The signature is cut into HV_NEARDUP_BANDS
 * bands of HV_NEARDUP_ROWS rows, and two datasets become candidates when
 * any band agrees completely, which happens with probability
 * 1 - (1 - J^ROWS)^BANDS: with 16 bands of 4 rows that is 0.9998 at
 * J = 0.8, 0.94 at J = 0.6 and 0.64 at J = 0.5, so the default threshold
 * of 0.8 loses about one pair in 5,000. Each candidate is then checked
 * with the exact Jaccard similarity of the two feature sets, so no pair
 * is reported below the threshold.
 */
#include "dedup/dedup.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

#define RDF_TYPE "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
#define DCAT_DATASET "<http://www.w3.org/ns/dcat#Dataset>"
#define DCT_TITLE "<http://purl.org/dc/terms/title>"
#define DCT_PUBLISHER "<http://purl.org/dc/terms/publisher>"
#define FOAF_NAME "<http://xmlns.com/foaf/0.1/name>"
#define DCAT_ACCESS "<http://www.w3.org/ns/dcat#accessURL>"
#define DCAT_DOWNLOAD "<http://www.w3.org/ns/dcat#downloadURL>"

/* ---- features ----------------------------------------------------------- */

/* One N-Triples statement, pointing into the document. */
typedef struct triple {
  const char *s, *p, *o;
  size_t s_len, p_len, o_len;
} triple;

/* Splits the line [p, end) into a triple; returns 0 or -1. */
static int split_line(const char *p, const char *end, triple *t)
{
  const char *q;

  if (p >= end || *p == '#')
    return -1;
  q = memchr(p, ' ', (size_t)(end - p));
  if (!q)
    return -1;
  t->s = p;
  t->s_len = (size_t)(q - p);
  p = q + 1;
  q = memchr(p, ' ', (size_t)(end - p));
  if (!q)
    return -1;
  t->p = p;
  t->p_len = (size_t)(q - p);
  p = q + 1;
  /* The object runs to the final " ." of the line. */
  q = end;
  while (q > p && (q[-1] == ' ' || q[-1] == '.' || q[-1] == '\r'))
    q--;
  t->o = p;
  t->o_len = (size_t)(q - p);
  return t->o_len ? 0 : -1;
}

static int tok_is(const char *t, size_t len, const char *s)
{
  return strlen(s) == len && memcmp(t, s, len) == 0;
}

/* Appends the unescaped value of a literal object to b. */
static int literal_value(const char *o, size_t len, hv_buf *b)
{
  size_t i;
  int rc = 0;

  if (len < 2 || o[0] != '"')
    return -1;
  for (i = 1; i < len && o[i] != '"' && rc == 0; i++) {
    char c = o[i];

    if (c == '\\' && i + 1 < len) {
      c = o[++i];
      c = c == 'n' ? ' ' : c == 't' ? ' ' : c == 'r' ? ' ' : c;
    }
    rc = hv_buf_addc(b, c);
  }
  return rc;
}

typedef struct featset {
  uint64_t *v;
  size_t n, cap;
} featset;

static int feat_add(featset *f, const char *prefix, const char *s,
                    size_t len, hv_buf *scratch)
{
  hv_buf_reset(scratch);
  if (hv_buf_addstr(scratch, prefix) < 0 || hv_buf_add(scratch, s, len) < 0)
    return HV_ENOMEM;
  if (f->n == f->cap) {
    size_t ncap = f->cap ? f->cap * 2 : 16;
    uint64_t *nv = hv_realloc(f->v, ncap * sizeof(*nv));

    if (!nv)
      return HV_ENOMEM;
    f->v = nv;
    f->cap = ncap;
  }
  f->v[f->n++] = hv_hash_str(scratch->ptr);
  return 0;
}

static int cmp_u64(const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

  return x < y ? -1 : x > y;
}

static int word_char(unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c >= 0x80;
}

/* Adds the title's words and word pairs, ASCII lower-cased. */
static int title_features(featset *f, const char *title, hv_buf *scratch)
{
  hv_buf word = HV_BUF_INIT(1 << 20), pair = HV_BUF_INIT(1 << 20);
  const char *p = title;
  int rc = 0;

  while (*p) {
    while (*p && !word_char((unsigned char)*p))
      p++;
    if (!*p)
      break;
    /* pair holds "previous word" + ' ' from the last round. */
    hv_buf_reset(&word);
    for (; word_char((unsigned char)*p); p++)
      if ((rc = hv_buf_addc(&word, (*p >= 'A' && *p <= 'Z')
                                       ? (char)(*p - 'A' + 'a')
                                       : *p)) < 0)
        goto cleanup;
    if ((rc = feat_add(f, "w:", word.ptr, word.len, scratch)) < 0)
      goto cleanup;
    /* The pair of neighbours keeps some of the title's word order. */
    if (pair.len &&
        ((rc = hv_buf_add(&pair, word.ptr, word.len)) < 0 ||
         (rc = feat_add(f, "b:", pair.ptr, pair.len, scratch)) < 0))
      goto cleanup;
    hv_buf_reset(&pair);
    if ((rc = hv_buf_add(&pair, word.ptr, word.len)) < 0 ||
        (rc = hv_buf_addc(&pair, ' ')) < 0)
      goto cleanup;
  }

cleanup:
  hv_buf_fini(&word);
  hv_buf_fini(&pair);
  return rc;
}

int hv_neardup_features(const char *nt, size_t len, uint64_t **out,
                        size_t *n_out, char **title_out, hv_error *err)
{
  const char *end = nt + len, *p, *eol;
  const char *ds = NULL, *pub = NULL;
  size_t ds_len = 0, pub_len = 0, i, k;
  featset f = {NULL, 0, 0};
  hv_buf title = HV_BUF_INIT(1 << 20), scratch = HV_BUF_INIT(1 << 20);
  triple t;
  int rc = 0, have_title = 0;

  /* Pass 1: the dataset node and its publisher. */
  for (p = nt; p < end; p = eol + 1) {
    if (!(eol = memchr(p, '\n', (size_t)(end - p))))
      eol = end;
    if (split_line(p, eol, &t) < 0)
      continue;
    if (!ds && tok_is(t.p, t.p_len, RDF_TYPE) &&
        tok_is(t.o, t.o_len, DCAT_DATASET)) {
      ds = t.s;
      ds_len = t.s_len;
    }
  }
  /* Pass 2: title, publisher, URLs. */
  for (p = nt; p < end; p = eol + 1) {
    if (!(eol = memchr(p, '\n', (size_t)(end - p))))
      eol = end;
    if (split_line(p, eol, &t) < 0)
      continue;
    if (ds && t.s_len == ds_len && memcmp(t.s, ds, ds_len) == 0) {
      if (!have_title && tok_is(t.p, t.p_len, DCT_TITLE)) {
        if (literal_value(t.o, t.o_len, &title) < 0 && title.len == 0)
          continue;
        have_title = 1;
      } else if (!pub && tok_is(t.p, t.p_len, DCT_PUBLISHER)) {
        pub = t.o;
        pub_len = t.o_len;
        if (pub[0] == '<' &&
            (rc = feat_add(&f, "p:", pub, pub_len, &scratch)) < 0)
          goto oom;
      }
    } else if (tok_is(t.p, t.p_len, DCAT_ACCESS) ||
               tok_is(t.p, t.p_len, DCAT_DOWNLOAD)) {
      if ((rc = feat_add(&f, "u:", t.o, t.o_len, &scratch)) < 0)
        goto oom;
    }
  }
  /* A blank-node publisher is known by its name. */
  if (pub && pub[0] == '_') {
    for (p = nt; p < end; p = eol + 1) {
      if (!(eol = memchr(p, '\n', (size_t)(end - p))))
        eol = end;
      if (split_line(p, eol, &t) == 0 && t.s_len == pub_len &&
          memcmp(t.s, pub, pub_len) == 0 && tok_is(t.p, t.p_len, FOAF_NAME)) {
        hv_buf name = HV_BUF_INIT(1 << 20);

        rc = literal_value(t.o, t.o_len, &name);
        if (rc == 0 && name.len)
          rc = feat_add(&f, "p:", name.ptr, name.len, &scratch);
        hv_buf_fini(&name);
        if (rc == HV_ENOMEM)
          goto oom;
        break;
      }
    }
  }
  if (have_title && title.len &&
      (rc = title_features(&f, title.ptr, &scratch)) < 0)
    goto oom;
  if (f.n) {
    qsort(f.v, f.n, sizeof(*f.v), cmp_u64);
    for (i = 1, k = 1; i < f.n; i++)
      if (f.v[i] != f.v[k - 1])
        f.v[k++] = f.v[i];
    f.n = k;
  }
  if (title_out) {
    if (!(*title_out = hv_strdup(title.len ? title.ptr : "")))
      goto oom;
  }
  *out = f.v;
  *n_out = f.n;
  f.v = NULL;
  rc = 0;
  goto cleanup;

oom:
  rc = hv_error_oom(err);

cleanup:
  hv_free(f.v);
  hv_buf_fini(&title);
  hv_buf_fini(&scratch);
  return rc;
}

/* ---- MinHash and LSH ---------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
  /* The splitmix64 finaliser: a cheap, well-mixing bijection. */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

typedef struct item {
  char *source, *key, *title;
  uint64_t *feat;
  size_t n_feat;
} item;

typedef struct band_entry {
  uint64_t key; /* hash of one band of the signature, with its number */
  uint32_t item;
} band_entry;

typedef struct collect {
  item *items;
  size_t n, cap;
  hv_error *err;
} collect;

static int collect_row(const hv_published_row *row, void *payload)
{
  collect *c = payload;
  item *it;

  if (c->n == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 1024;
    item *ni = hv_realloc(c->items, ncap * sizeof(*ni));

    if (!ni)
      return hv_error_oom(c->err);
    c->items = ni;
    c->cap = ncap;
  }
  it = &c->items[c->n];
  memset(it, 0, sizeof(*it));
  c->n++;
  if (!(it->source = hv_strdup(row->source)) ||
      !(it->key = hv_strdup(row->key)))
    return hv_error_oom(c->err);
  return hv_neardup_features(row->payload, row->payload_len, &it->feat,
                             &it->n_feat, &it->title, c->err);
}

static int cmp_band(const void *a, const void *b)
{
  const band_entry *x = a, *y = b;

  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->item < y->item ? -1 : x->item > y->item;
}

static int cmp_pair64(const void *a, const void *b)
{
  return cmp_u64(a, b);
}

static double jaccard(const item *a, const item *b)
{
  size_t i = 0, j = 0, common = 0;

  while (i < a->n_feat && j < b->n_feat) {
    if (a->feat[i] == b->feat[j]) {
      common++;
      i++;
      j++;
    } else if (a->feat[i] < b->feat[j]) {
      i++;
    } else {
      j++;
    }
  }
  return (double)common / (double)(a->n_feat + b->n_feat - common);
}

static int cmp_result(const void *a, const void *b)
{
  const hv_neardup_pair *x = a, *y = b;
  int c;

  if (x->similarity != y->similarity)
    return x->similarity > y->similarity ? -1 : 1;
  if ((c = strcmp(x->source_a, y->source_a)) != 0 ||
      (c = strcmp(x->key_a, y->key_a)) != 0 ||
      (c = strcmp(x->source_b, y->source_b)) != 0)
    return c;
  return strcmp(x->key_b, y->key_b);
}

void hv_neardup_result_fini(hv_neardup_result *r)
{
  size_t i;

  if (!r)
    return;
  for (i = 0; i < r->n_pairs; i++) {
    hv_free(r->pairs[i].source_a);
    hv_free(r->pairs[i].key_a);
    hv_free(r->pairs[i].title_a);
    hv_free(r->pairs[i].source_b);
    hv_free(r->pairs[i].key_b);
    hv_free(r->pairs[i].title_b);
  }
  hv_free(r->pairs);
  memset(r, 0, sizeof(*r));
}

static char *dup_or_empty(const char *s)
{
  return hv_strdup(s ? s : "");
}

int hv_neardup_find(hv_store *s, const hv_neardup_opts *opts,
                    hv_neardup_result *out, hv_error *err)
{
  hv_neardup_opts o = HV_NEARDUP_OPTS_INIT;
  collect c = {NULL, 0, 0, err};
  band_entry *bands = NULL;
  uint64_t *cand = NULL, seeds[HV_NEARDUP_HASHES];
  size_t n_bands = 0, n_cand = 0, cap_cand = 0, i, j, k;
  hv_neardup_result r;
  size_t cap_pairs = 0;
  int rc;

  memset(&r, 0, sizeof(r));
  if (opts)
    o = *opts;
  if (o.max_bucket == 0)
    o.max_bucket = 500;
  if (!(o.threshold >= 0.0 && o.threshold <= 1.0))
    return hv_error_set(err, HV_EINVAL,
                        "near duplicates: threshold %g is not in 0..1",
                        o.threshold);
  if ((rc = hv_store_published_foreach(s, collect_row, &c, err)) < 0)
    goto cleanup;
  r.datasets = c.n;
  for (i = 0; i < HV_NEARDUP_HASHES; i++)
    seeds[i] = mix64(0x5eed0000ULL + i);
  if (c.n && !(bands = hv_calloc(c.n * HV_NEARDUP_BANDS, sizeof(*bands)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < c.n; i++) {
    uint64_t sig[HV_NEARDUP_HASHES];
    size_t b, h;

    if (c.items[i].n_feat == 0)
      continue; /* nothing to compare by */
    for (h = 0; h < HV_NEARDUP_HASHES; h++) {
      uint64_t m = UINT64_MAX;

      for (j = 0; j < c.items[i].n_feat; j++) {
        uint64_t v = mix64(c.items[i].feat[j] ^ seeds[h]);

        if (v < m)
          m = v;
      }
      sig[h] = m;
    }
    for (b = 0; b < HV_NEARDUP_BANDS; b++) {
      uint64_t key = mix64(b + 1);

      for (h = 0; h < HV_NEARDUP_ROWS; h++)
        key = mix64(key ^ sig[b * HV_NEARDUP_ROWS + h]);
      bands[n_bands].key = key;
      bands[n_bands].item = (uint32_t)i;
      n_bands++;
    }
  }
  qsort(bands, n_bands, sizeof(*bands), cmp_band);
  for (i = 0; i < n_bands; i = j) {
    for (j = i + 1; j < n_bands && bands[j].key == bands[i].key; j++)
      ;
    if (j - i < 2)
      continue;
    if (j - i > o.max_bucket) {
      r.skipped_buckets++;
      continue;
    }
    for (k = i; k < j; k++) {
      size_t m;

      for (m = k + 1; m < j; m++) {
        uint32_t a = bands[k].item, b = bands[m].item;

        /* Copies of one source are that source's business. */
        if (strcmp(c.items[a].source, c.items[b].source) == 0)
          continue;
        if (n_cand == cap_cand) {
          size_t ncap = cap_cand ? cap_cand * 2 : 1024;
          uint64_t *nc = hv_realloc(cand, ncap * sizeof(*nc));

          if (!nc) {
            rc = hv_error_oom(err);
            goto cleanup;
          }
          cand = nc;
          cap_cand = ncap;
        }
        cand[n_cand++] = ((uint64_t)(a < b ? a : b) << 32) | (a < b ? b : a);
      }
    }
  }
  qsort(cand, n_cand, sizeof(*cand), cmp_pair64);
  for (i = 0; i < n_cand; i++) {
    const item *a, *b;
    double sim;
    hv_neardup_pair *p;

    if (i && cand[i] == cand[i - 1])
      continue;
    a = &c.items[cand[i] >> 32];
    b = &c.items[cand[i] & 0xffffffffu];
    if ((sim = jaccard(a, b)) < o.threshold)
      continue;
    if (r.n_pairs == cap_pairs) {
      size_t ncap = cap_pairs ? cap_pairs * 2 : 64;
      hv_neardup_pair *np = hv_realloc(r.pairs, ncap * sizeof(*np));

      if (!np) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      r.pairs = np;
      cap_pairs = ncap;
    }
    /* Within a pair, the smaller (source, key) comes first. */
    if (strcmp(a->source, b->source) > 0) {
      const item *t = a;

      a = b;
      b = t;
    }
    p = &r.pairs[r.n_pairs];
    memset(p, 0, sizeof(*p));
    r.n_pairs++;
    p->similarity = sim;
    if (!(p->source_a = dup_or_empty(a->source)) ||
        !(p->key_a = dup_or_empty(a->key)) ||
        !(p->title_a = dup_or_empty(a->title)) ||
        !(p->source_b = dup_or_empty(b->source)) ||
        !(p->key_b = dup_or_empty(b->key)) ||
        !(p->title_b = dup_or_empty(b->title))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  if (r.n_pairs)
    qsort(r.pairs, r.n_pairs, sizeof(*r.pairs), cmp_result);
  *out = r;
  memset(&r, 0, sizeof(r));
  rc = 0;

cleanup:
  hv_neardup_result_fini(&r);
  for (i = 0; i < c.n; i++) {
    hv_free(c.items[i].source);
    hv_free(c.items[i].key);
    hv_free(c.items[i].title);
    hv_free(c.items[i].feat);
  }
  hv_free(c.items);
  hv_free(bands);
  hv_free(cand);
  return rc;
}
