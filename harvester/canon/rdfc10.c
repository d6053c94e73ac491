/*
 * RDF Dataset Canonicalization, W3C RDFC-1.0 (see rdfc10.h).
 *
 * The harvester hashes every dataset graph it sees, so this file is on
 * the hot path and is written to do little work in the common case: each
 * term is serialized once into one buffer, quads refer to those strings,
 * blank nodes become small integers, and issuers are integer arrays. A
 * dataset graph whose blank nodes all differ in their own quads (the
 * usual DCAT shape) then costs one sorted hash per blank node plus one
 * sort of the output lines, with a fixed number of allocations.
 *
 * Only blank nodes with equal first-degree hashes reach the N-degree
 * step, whose cost grows with the factorial of the number of related
 * blank nodes sharing a hash. A counter of N-degree calls and
 * permutations stops such graphs with HV_ELIMIT instead of letting one
 * hostile document stall a harvest.
 */
#include "canon/rdfc10.h"

#include "util/alloc.h"

#include <nettle/sha2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Longest hex digest (SHA-384) plus NUL. */
#define HEX_MAX (2 * SHA384_DIGEST_SIZE + 1)

/*
 * Hash N-Degree Quads recurses along chains of look-alike blank nodes;
 * bounding the depth bounds the stack (a few hundred bytes per level)
 * whatever the work limit is.
 */
#define MAX_DEPTH 512

/* Internal buffers hold data derived from an already bounded graph. */
#define SCRATCH_MAX (((size_t)-1) / 4)

/* Quad positions; the predicate never holds a blank node. */
enum { POS_S = 0, POS_P = 1, POS_O = 2, POS_G = 3 };

typedef struct cquad {
  const char *t[4]; /* serialized s, p, o, g; g is "" for the default */
  size_t len[4];    /* their lengths */
  int bn[4];        /* blank node index per position, -1 if none */
  unsigned char dup; /* set while preparing: repeats an earlier quad */
} cquad;

/* An identifier issuer: issued numbers per blank node, in issue order. */
typedef struct issuer {
  int *id;    /* per blank node: issued number, or -1 */
  int *order; /* blank nodes in the order their numbers were issued */
  int n;      /* numbers issued so far */
} issuer;

typedef struct hasher {
  hv_rdfc10_alg alg;
  union {
    struct sha256_ctx s256;
    struct sha512_ctx s384; /* nettle's SHA-384 context is SHA-512's */
  } u;
} hasher;

/* A line to sort; equal lines are interchangeable, so no tie-break. */
typedef struct line {
  const char *s; /* an offset into the buffer until it stops growing */
  size_t len;
} line;

/* One related blank node of Hash N-Degree Quads, keyed by its hash. */
typedef struct related {
  char hash[HEX_MAX];
  int bn;
  size_t seq;
} related;

typedef struct canon {
  hv_rdfc10_alg alg;
  unsigned long work;  /* N-degree calls plus permutations so far */
  unsigned long limit; /* HV_ELIMIT beyond this */
  int depth;           /* current Hash N-Degree Quads recursion depth */
  hv_error *err;

  hv_buf terms;   /* every serialized term, back to back */
  cquad *q;       /* unique quads, in input order */
  size_t nq;
  const char **label; /* blank node labels, sorted, index = blank node */
  int nbn;
  size_t *bq_off; /* quads of blank node i: bq[bq_off[i] .. bq_off[i+1]) */
  size_t *bq;
  char *h1;       /* first-degree hash of blank node i at i * HEX_MAX */
  issuer canon;   /* the canonical issuer, prefix c14n */

  hv_buf lines;   /* scratch for serialized lines */
  line *linev;    /* one slot per quad */
} canon;

/* ---- hashing ---------------------------------------------------------- */

static void hasher_init(hasher *h, hv_rdfc10_alg alg)
{
  h->alg = alg;
  if (alg == HV_RDFC10_SHA384)
    sha384_init(&h->u.s384);
  else
    sha256_init(&h->u.s256);
}

static void hasher_update(hasher *h, const void *data, size_t len)
{
  if (h->alg == HV_RDFC10_SHA384)
    sha384_update(&h->u.s384, len, data);
  else
    sha256_update(&h->u.s256, len, data);
}

static void hasher_hex(hasher *h, char out[HEX_MAX])
{
  static const char hex[] = "0123456789abcdef";
  unsigned char digest[SHA384_DIGEST_SIZE];
  size_t n, i;

  if (h->alg == HV_RDFC10_SHA384) {
    n = SHA384_DIGEST_SIZE;
    sha384_digest(&h->u.s384, n, digest);
  } else {
    n = SHA256_DIGEST_SIZE;
    sha256_digest(&h->u.s256, n, digest);
  }
  for (i = 0; i < n; i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  out[2 * n] = '\0';
}

/* ---- small helpers ---------------------------------------------------- */

/* Writes "_:" prefix number into dst (at least 32 bytes); returns length. */
static size_t fmt_label(char *dst, const char *prefix, int n)
{
  char digits[16];
  size_t len = 0, nd = 0;

  dst[len++] = '_';
  dst[len++] = ':';
  while (*prefix)
    dst[len++] = *prefix++;
  do {
    digits[nd++] = (char)('0' + n % 10);
    n /= 10;
  } while (n > 0);
  while (nd > 0)
    dst[len++] = digits[--nd];
  dst[len] = '\0';
  return len;
}

/* Code point order of UTF-8 strings is their byte order. */
static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
  int c = memcmp(a, b, alen < blen ? alen : blen);

  if (c != 0)
    return c;
  return alen < blen ? -1 : alen > blen;
}

static int line_cmp(const void *pa, const void *pb)
{
  const line *a = pa, *b = pb;

  return bytes_cmp(a->s, a->len, b->s, b->len);
}

static int related_cmp(const void *pa, const void *pb)
{
  const related *a = pa, *b = pb;
  int c = strcmp(a->hash, b->hash);

  if (c != 0)
    return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int label_cmp(const void *pa, const void *pb)
{
  return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

/*
 * Orders quads so that equal ones end up adjacent, the first in input
 * order first. Any total order does; comparing lengths before bytes and
 * objects before subjects (which repeat most) keeps comparisons short.
 */
static int quadp_cmp(const void *pa, const void *pb)
{
  static const int order[4] = {POS_O, POS_P, POS_S, POS_G};
  const cquad *a = *(const cquad *const *)pa, *b = *(const cquad *const *)pb;
  int i, c;

  for (i = 0; i < 4; i++) {
    int k = order[i];

    if (a->len[k] != b->len[k])
      return a->len[k] < b->len[k] ? -1 : 1;
    if ((c = memcmp(a->t[k], b->t[k], a->len[k])) != 0)
      return c;
  }
  return a < b ? -1 : a > b;
}

static int issuer_new(issuer *is, int nbn)
{
  int i;

  is->id = hv_malloc(2 * (size_t)(nbn ? nbn : 1) * sizeof(int));
  if (!is->id)
    return HV_ENOMEM;
  is->order = is->id + nbn;
  for (i = 0; i < nbn; i++)
    is->id[i] = -1;
  is->n = 0;
  return 0;
}

static void issuer_copy(issuer *dst, const issuer *src, int nbn)
{
  memcpy(dst->id, src->id, 2 * (size_t)nbn * sizeof(int));
  dst->n = src->n;
}

static void issuer_free(issuer *is)
{
  hv_free(is->id);
  is->id = NULL;
}

/* Issues the next number to bn unless it has one; returns bn's number. */
static int issue(issuer *is, int bn)
{
  if (is->id[bn] < 0) {
    is->id[bn] = is->n;
    is->order[is->n++] = bn;
  }
  return is->id[bn];
}

/* Lexicographic successor of the permutation p; 0 after the last one. */
static int next_permutation(int *p, int k)
{
  int i = k - 2, j, t;

  while (i >= 0 && p[i] >= p[i + 1])
    i--;
  if (i < 0)
    return 0;
  j = k - 1;
  while (p[j] <= p[i])
    j--;
  t = p[i];
  p[i] = p[j];
  p[j] = t;
  for (i++, j = k - 1; i < j; i++, j--) {
    t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return 1;
}

static int over_limit(canon *c)
{
  return hv_error_set(c->err, HV_ELIMIT,
                      "RDFC-1.0: more than %lu hash steps needed for %d "
                      "blank nodes; graph has too many indistinguishable "
                      "blank nodes",
                      c->limit, c->nbn);
}

/* ---- preparation ------------------------------------------------------ */

static int find_label(const canon *c, const char *label)
{
  const char **hit = bsearch(&label, c->label, (size_t)c->nbn,
                             sizeof(*c->label), label_cmp);

  return (int)(hit - c->label);
}

/*
 * Serializes every term once, numbers the blank nodes by label, drops
 * duplicate quads (a dataset is a set) and builds each blank node's
 * list of quads.
 */
static int prepare(canon *c, const hv_graph *g)
{
  size_t (*offs)[4] = NULL;
  cquad **sorted = NULL;
  size_t *cur;
  size_t i, k, nlab = 0;
  int rc = 0, pos;

  if (g->len == 0)
    return 0;
  if (!(offs = hv_malloc(g->len * sizeof(*offs))) ||
      !(c->q = hv_malloc(g->len * sizeof(*c->q))) ||
      !(c->label = hv_malloc(3 * g->len * sizeof(*c->label))) ||
      !(sorted = hv_malloc(g->len * sizeof(*sorted))) ||
      !(c->linev = hv_malloc(g->len * sizeof(*c->linev)))) {
    rc = hv_error_oom(c->err);
    goto cleanup;
  }
  for (i = 0; i < g->len; i++) {
    const hv_quad *src = &g->quads[i];
    const hv_term *t[4] = {&src->s, &src->p, &src->o, &src->g};

    if (src->s.kind == HV_TERM_NONE || src->p.kind == HV_TERM_NONE ||
        src->o.kind == HV_TERM_NONE) {
      rc = hv_error_set(c->err, HV_EINVAL,
                        "RDFC-1.0: quad %zu lacks a subject, predicate or "
                        "object",
                        i + 1);
      goto cleanup;
    }
    if (src->p.kind == HV_TERM_BLANK) {
      rc = hv_error_set(c->err, HV_EINVAL,
                        "RDFC-1.0: quad %zu has blank node _:%s as predicate",
                        i + 1, src->p.value);
      goto cleanup;
    }
    for (pos = 0; pos < 4; pos++) {
      offs[i][pos] = c->terms.len;
      if (t[pos]->kind == HV_TERM_NONE)
        continue;
      if (t[pos]->kind == HV_TERM_BLANK)
        c->label[nlab++] = t[pos]->value;
      if ((rc = hv_term_write_nt(&c->terms, t[pos])) < 0) {
        rc = hv_error_oom(c->err);
        goto cleanup;
      }
    }
  }
  /* Pointers into terms are only stable once it has stopped growing. */
  for (i = 0; i < g->len; i++) {
    for (pos = 0; pos < 4; pos++) {
      size_t end = pos < 3 ? offs[i][pos + 1]
                           : (i + 1 < g->len ? offs[i + 1][0] : c->terms.len);
      c->q[i].t[pos] = c->terms.ptr ? c->terms.ptr + offs[i][pos] : "";
      c->q[i].len[pos] = end - offs[i][pos];
    }
    sorted[i] = &c->q[i];
  }

  qsort(c->label, nlab, sizeof(*c->label), label_cmp);
  for (i = 0, k = 0; i < nlab; i++) {
    if (k == 0 || strcmp(c->label[k - 1], c->label[i]) != 0)
      c->label[k++] = c->label[i];
  }
  c->nbn = (int)k;

  /* Mark duplicates (all but the first in input order), then compact. */
  qsort(sorted, g->len, sizeof(*sorted), quadp_cmp);
  for (i = 0; i < g->len; i++)
    c->q[i].dup = 0;
  for (i = 1; i < g->len; i++) {
    const cquad *a = sorted[i - 1], *b = sorted[i];
    int same = 1;

    for (pos = 0; pos < 4 && same; pos++)
      same = bytes_cmp(a->t[pos], a->len[pos], b->t[pos], b->len[pos]) == 0;
    sorted[i]->dup = (unsigned char)same;
  }
  for (i = 0, k = 0; i < g->len; i++) {
    if (!c->q[i].dup) {
      const hv_quad *src = &g->quads[i];
      const hv_term *t[4] = {&src->s, &src->p, &src->o, &src->g};

      c->q[k] = c->q[i];
      for (pos = 0; pos < 4; pos++)
        c->q[k].bn[pos] = t[pos]->kind == HV_TERM_BLANK
                              ? find_label(c, t[pos]->value)
                              : -1;
      k++;
    }
  }
  c->nq = k;

  /* Blank node to quads map, as one array sliced per blank node. A quad
   * that names a blank node twice is listed once for it. */
  if (!(c->bq_off = hv_calloc((size_t)c->nbn + 1, sizeof(*c->bq_off))) ||
      !(c->bq = hv_malloc(3 * c->nq * sizeof(*c->bq))) ||
      !(c->h1 = hv_malloc((size_t)(c->nbn ? c->nbn : 1) * HEX_MAX))) {
    rc = hv_error_oom(c->err);
    goto cleanup;
  }
  for (i = 0; i < c->nq; i++) {
    const int *bn = c->q[i].bn;

    if (bn[POS_S] >= 0)
      c->bq_off[bn[POS_S] + 1]++;
    if (bn[POS_O] >= 0 && bn[POS_O] != bn[POS_S])
      c->bq_off[bn[POS_O] + 1]++;
    if (bn[POS_G] >= 0 && bn[POS_G] != bn[POS_S] && bn[POS_G] != bn[POS_O])
      c->bq_off[bn[POS_G] + 1]++;
  }
  for (k = 0; k < (size_t)c->nbn; k++)
    c->bq_off[k + 1] += c->bq_off[k];
  /* Fill each slice through a cursor that starts at the slice's offset;
   * `offs` is no longer needed and is large enough to hold the cursors. */
  cur = (size_t *)offs;
  memcpy(cur, c->bq_off, (size_t)c->nbn * sizeof(*cur));
  for (i = 0; i < c->nq; i++) {
    const int *bn = c->q[i].bn;

    if (bn[POS_S] >= 0)
      c->bq[cur[bn[POS_S]]++] = i;
    if (bn[POS_O] >= 0 && bn[POS_O] != bn[POS_S])
      c->bq[cur[bn[POS_O]]++] = i;
    if (bn[POS_G] >= 0 && bn[POS_G] != bn[POS_S] && bn[POS_G] != bn[POS_O])
      c->bq[cur[bn[POS_G]]++] = i;
  }

cleanup:
  hv_free(offs);
  hv_free(sorted);
  return rc;
}

/* ---- lines ------------------------------------------------------------ */

/*
 * Appends q as an N-Quads line plus a NUL separator to c->lines, writing
 * lab[pos] (of length lablen[pos]) for the blank node at each position.
 */
static int add_line(canon *c, const cquad *q, const char *const lab[4],
                    const size_t lablen[4])
{
  int pos, rc = 0;

  for (pos = 0; pos < 4 && rc == 0; pos++) {
    if (q->len[pos] == 0)
      break; /* only the default graph is empty */
    if (pos > 0)
      rc = hv_buf_addc(&c->lines, ' ');
    if (rc == 0) {
      if (q->bn[pos] >= 0)
        rc = hv_buf_add(&c->lines, lab[pos], lablen[pos]);
      else
        rc = hv_buf_add(&c->lines, q->t[pos], q->len[pos]);
    }
  }
  if (rc == 0)
    rc = hv_buf_add(&c->lines, " .\n", 4); /* includes the NUL */
  return rc;
}

/* Fixes the line pointers after c->lines stopped growing and sorts. */
static void sort_lines(canon *c, size_t n)
{
  size_t i;

  if (n == 0)
    return;
  for (i = 0; i < n; i++)
    c->linev[i].s = c->lines.ptr + (size_t)(uintptr_t)c->linev[i].s;
  qsort(c->linev, n, sizeof(*c->linev), line_cmp);
}

/* RDFC-1.0 4.6, Hash First Degree Quads, for blank node bn. */
static int hash_first_degree(canon *c, int bn)
{
  size_t i, n = 0;
  hasher h;

  hv_buf_reset(&c->lines);
  for (i = c->bq_off[bn]; i < c->bq_off[bn + 1]; i++) {
    const cquad *q = &c->q[c->bq[i]];
    const char *lab[4];
    size_t lablen[4] = {3, 3, 3, 3};
    size_t start = c->lines.len;
    int pos;

    for (pos = 0; pos < 4; pos++)
      lab[pos] = q->bn[pos] == bn ? "_:a" : "_:z";
    if (add_line(c, q, lab, lablen) < 0)
      return hv_error_oom(c->err);
    c->linev[n].s = (const char *)(uintptr_t)start;
    c->linev[n].len = c->lines.len - start - 1;
    n++;
  }
  sort_lines(c, n);
  hasher_init(&h, c->alg);
  for (i = 0; i < n; i++)
    hasher_update(&h, c->linev[i].s, c->linev[i].len);
  hasher_hex(&h, c->h1 + (size_t)bn * HEX_MAX);
  return 0;
}

/* ---- N-degree --------------------------------------------------------- */

/* RDFC-1.0 4.7, Hash Related Blank Node. */
static void hash_related(canon *c, int rel, const cquad *q, int pos,
                         const issuer *is, char out[HEX_MAX])
{
  static const char posch[4] = {'s', 'p', 'o', 'g'};
  char lab[32];
  const char *id;
  size_t idlen;
  hasher h;

  if (c->canon.id[rel] >= 0) {
    idlen = fmt_label(lab, "c14n", c->canon.id[rel]);
    id = lab;
  } else if (is->id[rel] >= 0) {
    idlen = fmt_label(lab, "b", is->id[rel]);
    id = lab;
  } else {
    id = c->h1 + (size_t)rel * HEX_MAX;
    idlen = strlen(id);
  }
  hasher_init(&h, c->alg);
  hasher_update(&h, &posch[pos], 1);
  if (pos != POS_G)
    hasher_update(&h, q->t[POS_P], q->len[POS_P]); /* "<iri>" */
  hasher_update(&h, id, idlen);
  hasher_hex(&h, out);
}

/* True if path (so far) can no longer beat the chosen one (5.4.4.3). */
static int path_loses(const hv_buf *path, const hv_buf *chosen, int have)
{
  return have && path->len >= chosen->len &&
         bytes_cmp(path->ptr, path->len, chosen->ptr, chosen->len) > 0;
}

/*
 * RDFC-1.0 4.8, Hash N-Degree Quads, for blank node bn. The issuer is
 * replaced in place by the chosen issuer, as step 5.6 says; callers that
 * need the old one pass a copy. Writes the hash to out.
 */
static int hash_n_degree(canon *c, int bn, issuer *is, char out[HEX_MAX])
{
  related *rel = NULL;
  int *perm = NULL, *rec = NULL;
  issuer copy = {NULL, NULL, 0}, chosen_is = {NULL, NULL, 0};
  hv_buf path = HV_BUF_INIT(SCRATCH_MAX), chosen = HV_BUF_INIT(SCRATCH_MAX);
  size_t nrel = 0, i, gs, ge;
  hasher data;
  int rc = 0;

  if (++c->work > c->limit) {
    rc = over_limit(c);
    goto cleanup;
  }
  if (c->depth >= MAX_DEPTH) {
    rc = hv_error_set(c->err, HV_ELIMIT,
                      "RDFC-1.0: blank node _:%s needs N-degree hashing "
                      "nested deeper than %d levels",
                      c->label[bn], MAX_DEPTH);
    goto cleanup;
  }
  rel = hv_malloc(3 * (c->bq_off[bn + 1] - c->bq_off[bn] + 1) * sizeof(*rel));
  if (!rel) {
    rc = hv_error_oom(c->err);
    goto cleanup;
  }
  for (i = c->bq_off[bn]; i < c->bq_off[bn + 1]; i++) {
    static const int positions[3] = {POS_S, POS_O, POS_G};
    const cquad *q = &c->q[c->bq[i]];
    int j;

    for (j = 0; j < 3; j++) {
      int r = q->bn[positions[j]];

      if (r < 0 || r == bn)
        continue;
      hash_related(c, r, q, positions[j], is, rel[nrel].hash);
      rel[nrel].bn = r;
      rel[nrel].seq = nrel;
      nrel++;
    }
  }
  qsort(rel, nrel, sizeof(*rel), related_cmp);
  if (nrel > 0) {
    if (!(perm = hv_malloc(nrel * sizeof(*perm))) ||
        !(rec = hv_malloc(nrel * sizeof(*rec))) ||
        issuer_new(&copy, c->nbn) < 0 || issuer_new(&chosen_is, c->nbn) < 0) {
      rc = hv_error_oom(c->err);
      goto cleanup;
    }
  }

  hasher_init(&data, c->alg);
  for (gs = 0; gs < nrel; gs = ge) {
    int k, have = 0;

    for (ge = gs + 1; ge < nrel && strcmp(rel[ge].hash, rel[gs].hash) == 0;)
      ge++;
    hasher_update(&data, rel[gs].hash, strlen(rel[gs].hash));
    k = (int)(ge - gs);
    for (i = 0; i < (size_t)k; i++)
      perm[i] = (int)i;
    do {
      int j, nrec = 0, loses = 0;

      if (++c->work > c->limit) {
        rc = over_limit(c);
        goto cleanup;
      }
      issuer_copy(&copy, is, c->nbn);
      hv_buf_reset(&path);
      for (j = 0; j < k && !loses; j++) {
        int r = rel[gs + (size_t)perm[j]].bn;
        char lab[32];
        size_t len;

        if (c->canon.id[r] >= 0) {
          len = fmt_label(lab, "c14n", c->canon.id[r]);
        } else {
          if (copy.id[r] < 0)
            rec[nrec++] = r;
          len = fmt_label(lab, "b", issue(&copy, r));
        }
        if (hv_buf_add(&path, lab, len) < 0) {
          rc = hv_error_oom(c->err);
          goto cleanup;
        }
        loses = path_loses(&path, &chosen, have);
      }
      for (j = 0; j < nrec && !loses; j++) {
        char h[HEX_MAX], lab[32];
        size_t len;

        c->depth++;
        rc = hash_n_degree(c, rec[j], &copy, h);
        c->depth--;
        if (rc < 0)
          goto cleanup;
        len = fmt_label(lab, "b", issue(&copy, rec[j]));
        if (hv_buf_add(&path, lab, len) < 0 || hv_buf_addc(&path, '<') < 0 ||
            hv_buf_addstr(&path, h) < 0 || hv_buf_addc(&path, '>') < 0) {
          rc = hv_error_oom(c->err);
          goto cleanup;
        }
        loses = path_loses(&path, &chosen, have);
      }
      if (!loses && (!have || bytes_cmp(path.ptr, path.len, chosen.ptr,
                                        chosen.len) < 0)) {
        hv_buf_reset(&chosen);
        if (hv_buf_add(&chosen, path.ptr, path.len) < 0) {
          rc = hv_error_oom(c->err);
          goto cleanup;
        }
        issuer_copy(&chosen_is, &copy, c->nbn);
        have = 1;
      }
    } while (next_permutation(perm, k));
    hasher_update(&data, chosen.ptr, chosen.len);
    issuer_copy(is, &chosen_is, c->nbn);
  }
  hasher_hex(&data, out);

cleanup:
  hv_free(rel);
  hv_free(perm);
  hv_free(rec);
  issuer_free(&copy);
  issuer_free(&chosen_is);
  hv_buf_fini(&path);
  hv_buf_fini(&chosen);
  return rc;
}

/* ---- the algorithm ---------------------------------------------------- */

/* Sorts blank node indices by first-degree hash, ties by index. */
static int bn_by_h1(const void *pa, const void *pb, const char *h1)
{
  int a = *(const int *)pa, b = *(const int *)pb;
  int c = strcmp(h1 + (size_t)a * HEX_MAX, h1 + (size_t)b * HEX_MAX);

  if (c != 0)
    return c;
  return a < b ? -1 : a > b;
}

/* Insertion sort: blank node counts are small and qsort has no context. */
static void sort_by_h1(int *v, int n, const char *h1)
{
  int i, j;

  for (i = 1; i < n; i++) {
    int x = v[i];

    for (j = i; j > 0 && bn_by_h1(&v[j - 1], &x, h1) > 0; j--)
      v[j] = v[j - 1];
    v[j] = x;
  }
}

/* A result of step 5.2: an N-degree hash and the issuer it chose. */
typedef struct ndresult {
  char hash[HEX_MAX];
  issuer is;
  int seq;
} ndresult;

static int ndresult_cmp(const void *pa, const void *pb)
{
  const ndresult *a = pa, *b = pb;
  int c = strcmp(a->hash, b->hash);

  if (c != 0)
    return c;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Steps 5.1 to 5.3 for one group of blank nodes sharing a hash. */
static int label_group(canon *c, const int *group, int n)
{
  ndresult *res;
  int i, nres = 0, rc = 0;

  if (!(res = hv_calloc((size_t)n, sizeof(*res))))
    return hv_error_oom(c->err);
  for (i = 0; i < n; i++) {
    if (c->canon.id[group[i]] >= 0)
      continue;
    if (issuer_new(&res[nres].is, c->nbn) < 0) {
      rc = hv_error_oom(c->err);
      goto cleanup;
    }
    res[nres].seq = nres;
    issue(&res[nres].is, group[i]);
    nres++;
    if ((rc = hash_n_degree(c, group[i], &res[nres - 1].is,
                            res[nres - 1].hash)) < 0)
      goto cleanup;
  }
  qsort(res, (size_t)nres, sizeof(*res), ndresult_cmp);
  for (i = 0; i < nres; i++) {
    int j;

    for (j = 0; j < res[i].is.n; j++)
      issue(&c->canon, res[i].is.order[j]);
  }

cleanup:
  for (i = 0; i < nres; i++)
    issuer_free(&res[i].is);
  hv_free(res);
  return rc;
}

/* Steps 3 to 5: first-degree hashes, unique ones first, then the rest. */
static int label_blank_nodes(canon *c)
{
  int *v = NULL;
  int i, j, rc = 0;

  if ((rc = issuer_new(&c->canon, c->nbn)) < 0) {
    rc = hv_error_oom(c->err);
    goto cleanup;
  }
  if (c->nbn == 0)
    goto cleanup;
  if (!(v = hv_malloc((size_t)c->nbn * sizeof(*v)))) {
    rc = hv_error_oom(c->err);
    goto cleanup;
  }
  for (i = 0; i < c->nbn; i++) {
    if ((rc = hash_first_degree(c, i)) < 0)
      goto cleanup;
    v[i] = i;
  }
  sort_by_h1(v, c->nbn, c->h1);
  for (i = 0; i < c->nbn; i = j) {
    for (j = i + 1; j < c->nbn && strcmp(c->h1 + (size_t)v[i] * HEX_MAX,
                                         c->h1 + (size_t)v[j] * HEX_MAX) == 0;)
      j++;
    if (j - i == 1)
      issue(&c->canon, v[i]);
  }
  for (i = 0; i < c->nbn; i = j) {
    for (j = i + 1; j < c->nbn && strcmp(c->h1 + (size_t)v[i] * HEX_MAX,
                                         c->h1 + (size_t)v[j] * HEX_MAX) == 0;)
      j++;
    if (j - i > 1 && (rc = label_group(c, v + i, j - i)) < 0)
      goto cleanup;
  }

cleanup:
  hv_free(v);
  return rc;
}

/* Steps 6 and 7: relabel, sort, drop repeated lines, append to out. */
static int write_canonical(canon *c, hv_buf *out)
{
  char labs[4][32];
  size_t i, n = 0;

  hv_buf_reset(&c->lines);
  for (i = 0; i < c->nq; i++) {
    const cquad *q = &c->q[i];
    const char *lab[4] = {labs[0], labs[1], labs[2], labs[3]};
    size_t lablen[4] = {0, 0, 0, 0};
    size_t start = c->lines.len;
    int pos;

    for (pos = 0; pos < 4; pos++) {
      if (q->bn[pos] >= 0)
        lablen[pos] = fmt_label(labs[pos], "c14n", c->canon.id[q->bn[pos]]);
    }
    if (add_line(c, q, lab, lablen) < 0)
      return hv_error_oom(c->err);
    c->linev[n].s = (const char *)(uintptr_t)start;
    c->linev[n].len = c->lines.len - start - 1;
    n++;
  }
  sort_lines(c, n);
  for (i = 0; i < n; i++) {
    int rc;

    if (i > 0 && c->linev[i].len == c->linev[i - 1].len &&
        memcmp(c->linev[i].s, c->linev[i - 1].s, c->linev[i].len) == 0)
      continue;
    if ((rc = hv_buf_add(out, c->linev[i].s, c->linev[i].len)) < 0) {
      if (rc == HV_ETOOBIG)
        return hv_error_set(c->err, rc,
                            "RDFC-1.0: canonical N-Quads exceed the output "
                            "limit of %zu bytes",
                            out->max);
      return hv_error_oom(c->err);
    }
  }
  return 0;
}

static int write_issued(canon *c, hv_buf *map)
{
  int i;

  for (i = 0; i < c->nbn; i++) {
    if (hv_buf_addf(map, "%s c14n%d\n", c->label[i], c->canon.id[i]) < 0)
      return hv_error_set(c->err, HV_ENOMEM,
                          "RDFC-1.0: cannot append the issued identifier map");
  }
  return 0;
}

static void truncate_buf(hv_buf *b, size_t len)
{
  if (b && b->len > len) {
    b->len = len;
    b->ptr[len] = '\0';
  }
}

int hv_rdfc10_canonicalize_opts(const hv_graph *g, const hv_rdfc10_opts *opts,
                                hv_buf *out, hv_error *err)
{
  static const hv_rdfc10_opts defaults = HV_RDFC10_OPTS_INIT;
  canon c;
  size_t out_len = out->len;
  size_t map_len = 0;
  int rc;

  if (!opts)
    opts = &defaults;
  if (opts->version != HV_RDFC10_OPTS_VERSION ||
      (opts->alg != HV_RDFC10_SHA256 && opts->alg != HV_RDFC10_SHA384))
    return hv_error_set(err, HV_EINVAL,
                        "RDFC-1.0: unsupported options (version %u, hash %d)",
                        opts->version, (int)opts->alg);
  if (opts->issued_out)
    map_len = opts->issued_out->len;

  memset(&c, 0, sizeof(c));
  c.alg = opts->alg;
  c.limit = opts->work_limit ? opts->work_limit : HV_RDFC10_WORK_LIMIT_DEFAULT;
  c.err = err;
  hv_buf_init(&c.terms, SCRATCH_MAX);
  hv_buf_init(&c.lines, SCRATCH_MAX);

  if ((rc = prepare(&c, g)) < 0 || (rc = label_blank_nodes(&c)) < 0 ||
      (rc = write_canonical(&c, out)) < 0)
    goto cleanup;
  if (opts->issued_out && (rc = write_issued(&c, opts->issued_out)) < 0)
    goto cleanup;

cleanup:
  if (rc < 0) {
    truncate_buf(out, out_len);
    truncate_buf(opts->issued_out, map_len);
  }
  hv_buf_fini(&c.terms);
  hv_buf_fini(&c.lines);
  hv_free(c.q);
  hv_free(c.label);
  hv_free(c.bq_off);
  hv_free(c.bq);
  hv_free(c.h1);
  hv_free(c.linev);
  issuer_free(&c.canon);
  return rc;
}

int hv_rdfc10_canonicalize(const hv_graph *g, hv_buf *out, hv_error *err)
{
  return hv_rdfc10_canonicalize_opts(g, NULL, out, err);
}

int hv_rdfc10_hash(const hv_graph *g, char hash_out[HV_SHA256_HEX_LEN + 1],
                   hv_buf *nquads_out, hv_error *err)
{
  hv_buf local = HV_BUF_INIT(SCRATCH_MAX);
  hv_buf *b = nquads_out ? nquads_out : &local;
  size_t start = b->len;
  int rc;

  if ((rc = hv_rdfc10_canonicalize(g, b, err)) == 0)
    hv_sha256_hex(b->ptr ? b->ptr + start : "", b->len - start, hash_out);
  hv_buf_fini(&local);
  return rc;
}
