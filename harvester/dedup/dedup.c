/*
 * The pure rules of deduplication (see dedup.h): identifier
 * normalisation, dct:modified as an instant, the winner order and the
 * grouping of copies into datasets. Nothing here touches the store, so
 * the unit tests drive every rule with plain arrays.
 */
#include "dedup/dedup.h"

#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"

/* ---- identifier normalisation ------------------------------------------ */

static int is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

static char lower(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int is_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

int hv_dedup_normalize_id(const char *raw, hv_buf *out, hv_error *err)
{
  hv_buf tmp = HV_BUF_INIT(out->max);
  const char *p = raw ? raw : "";
  const char *v, *host_end, *port;
  size_t len, start = out->len;
  int rc = 0, space = 0;

  /* Steps 1 and 2: collapse white space, lower-case ASCII. */
  while (is_space((unsigned char)*p))
    p++;
  for (; *p; p++) {
    if (is_space((unsigned char)*p)) {
      space = 1;
      continue;
    }
    if (space && (rc = hv_buf_addc(&tmp, ' ')) < 0)
      goto fail;
    space = 0;
    if ((rc = hv_buf_addc(&tmp, lower(*p))) < 0)
      goto fail;
  }
  if (tmp.len == 0) {
    rc = hv_error_set(err, HV_EINVAL,
                      "dedup: identifier '%.80s' is empty after "
                      "normalisation",
                      raw ? raw : "");
    goto cleanup;
  }

  /* Step 3: URL forms. */
  v = tmp.ptr;
  if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0) {
    size_t path_end;

    v += v[4] == 's' ? 8 : 7;
    host_end = v + strcspn(v, "/?#");
    port = memchr(v, ':', (size_t)(host_end - v));
    if (port && ((host_end - port == 3 && strncmp(port, ":80", 3) == 0) ||
                 (host_end - port == 4 && strncmp(port, ":443", 4) == 0))) {
      if ((rc = hv_buf_add(out, v, (size_t)(port - v))) < 0)
        goto fail;
      v = host_end;
    }
    len = strlen(v);
    path_end = strcspn(v, "?#");
    if (path_end > 0 && v[path_end - 1] == '/') {
      if ((rc = hv_buf_add(out, v, path_end - 1)) < 0 ||
          (rc = hv_buf_add(out, v + path_end, len - path_end)) < 0)
        goto fail;
    } else if ((rc = hv_buf_add(out, v, len)) < 0) {
      goto fail;
    }
  } else if ((rc = hv_buf_add(out, v, tmp.len)) < 0) {
    goto fail;
  }

  /* Step 4: percent escapes with upper-case hex digits. */
  for (len = start; len + 2 < out->len; len++) {
    char *e = out->ptr + len;

    if (e[0] == '%' && is_hex(e[1]) && is_hex(e[2])) {
      if (e[1] >= 'a')
        e[1] = (char)(e[1] - 'a' + 'A');
      if (e[2] >= 'a')
        e[2] = (char)(e[2] - 'a' + 'A');
      len += 2;
    }
  }
  if (out->len == start) {
    rc = hv_error_set(err, HV_EINVAL,
                      "dedup: identifier '%.80s' is empty after "
                      "normalisation",
                      raw ? raw : "");
    goto cleanup;
  }
  goto cleanup;

fail:
  if (rc == HV_ENOMEM)
    hv_error_oom(err);
  else
    hv_error_set(err, rc, "dedup: identifier '%.80s...' too long",
                 raw ? raw : "");

cleanup:
  hv_buf_fini(&tmp);
  return rc;
}

/* ---- dct:modified ------------------------------------------------------- */

/* Reads exactly n digits at *p into *out and advances *p. */
static int digits(const char **p, int n, int *out)
{
  int v = 0, i;

  for (i = 0; i < n; i++) {
    char c = (*p)[i];

    if (c < '0' || c > '9')
      return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
  int64_t era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
  static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

  return m == 2 && leap ? 29 : dm[m - 1];
}

int hv_dedup_parse_modified(const char *s, int64_t *out)
{
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
  int64_t usec = 0, t;

  if (!p)
    return -1;
  while (is_space((unsigned char)*p))
    p++;
  if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
      *p++ != '-' || digits(&p, 2, &d) < 0)
    return -1;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
    return -1;
  if (*p == 'T') {
    p++;
    if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
      return -1;
    if (*p == ':') {
      p++;
      if (digits(&p, 2, &sec) < 0)
        return -1;
      if (*p == '.') {
        int64_t scale = 100000;

        p++;
        if (*p < '0' || *p > '9')
          return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
          usec += (*p - '0') * scale;
          scale /= 10;
        }
      }
    }
    /* 24:00:00 is the end of the day in xsd; nothing else past 23. */
    if (h > 24 || mi > 59 || sec > 59 ||
        (h == 24 && (mi || sec || usec)))
      return -1;
  }
  if (*p == 'Z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    sign = *p++ == '-' ? -1 : 1;
    if (digits(&p, 2, &zh) < 0 || *p++ != ':' || digits(&p, 2, &zm) < 0 ||
        zh > 14 || zm > 59)
      return -1;
  }
  while (is_space((unsigned char)*p))
    p++;
  if (*p)
    return -1;
  t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  /* A local time of +02:00 is two hours ahead of UTC: subtract. */
  t -= (int64_t)sign * (zh * 3600 + zm * 60);
  *out = t * 1000000 + usec;
  return 0;
}

/* ---- the winner order --------------------------------------------------- */

static int cmp_str(const char *a, const char *b)
{
  int c = strcmp(a ? a : "", b ? b : "");

  return c < 0 ? -1 : c > 0;
}

/* Returns the deciding rule's number (1..5) and the sign in *sign. */
static int compare_rule(const hv_dedup_copy *a, const hv_dedup_copy *b,
                        int *sign)
{
  int64_t ma = 0, mb = 0;
  int ha = hv_dedup_parse_modified(a->modified, &ma) == 0;
  int hb = hv_dedup_parse_modified(b->modified, &mb) == 0;
  int c;

  if (ha != hb) {
    *sign = ha ? -1 : 1;
    return 1;
  }
  if (ha && ma != mb) {
    *sign = ma > mb ? -1 : 1;
    return 2;
  }
  if (a->priority != b->priority) {
    *sign = a->priority > b->priority ? -1 : 1;
    return 3;
  }
  if (a->arrival != b->arrival) {
    *sign = a->arrival < b->arrival ? -1 : 1;
    return 4;
  }
  if ((c = cmp_str(a->source, b->source)) != 0 ||
      (c = cmp_str(a->key, b->key)) != 0) {
    *sign = c;
    return 5;
  }
  *sign = a->id < b->id ? -1 : a->id > b->id;
  return 5;
}

int hv_dedup_compare(const hv_dedup_copy *a, const hv_dedup_copy *b)
{
  int sign;

  compare_rule(a, b, &sign);
  return sign;
}

const char *hv_dedup_compare_reason(const hv_dedup_copy *a,
                                    const hv_dedup_copy *b)
{
  static const char *const reasons[] = {
      "", "modified date present", "newer modified", "higher priority",
      "earlier arrival", "name order"};
  int sign;

  return reasons[compare_rule(a, b, &sign)];
}

/* ---- grouping ----------------------------------------------------------- */

/* An open-addressing map from strings to the first copy index. */
typedef struct smap {
  const char **keys;
  size_t *vals;
  size_t cap;
} smap;

static int smap_init(smap *m, size_t n)
{
  m->cap = 16;
  while (m->cap < n * 2 + 2)
    m->cap <<= 1;
  m->keys = hv_calloc(m->cap, sizeof(*m->keys));
  m->vals = hv_calloc(m->cap, sizeof(*m->vals));
  return m->keys && m->vals ? 0 : HV_ENOMEM;
}

static void smap_fini(smap *m)
{
  hv_free(m->keys);
  hv_free(m->vals);
  memset(m, 0, sizeof(*m));
}

/* Returns the slot of key: filled (keys[slot] != NULL) or empty. */
static size_t smap_slot(const smap *m, const char *key)
{
  size_t i = (size_t)hv_hash_str(key) & (m->cap - 1);

  while (m->keys[i] && strcmp(m->keys[i], key) != 0)
    i = (i + 1) & (m->cap - 1);
  return i;
}

static size_t uf_find(size_t *parent, size_t i)
{
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

static void uf_union(size_t *parent, size_t a, size_t b)
{
  a = uf_find(parent, a);
  b = uf_find(parent, b);
  /* The lower index becomes the root: any fixed rule will do. */
  if (a < b)
    parent[b] = a;
  else if (b < a)
    parent[a] = b;
}

void hv_dedup_groups_fini(hv_dedup_groups *g)
{
  size_t i;

  if (!g)
    return;
  for (i = 0; i < g->n_collisions; i++)
    hv_free(g->collisions[i].normalised);
  hv_free(g->collisions);
  hv_free(g->group);
  memset(g, 0, sizeof(*g));
}

static int add_collision(hv_dedup_groups *g, size_t *cap, size_t a, size_t b,
                         const char *norm)
{
  if (g->n_collisions == *cap) {
    size_t ncap = *cap ? *cap * 2 : 8;
    hv_dedup_collision *nc =
        hv_realloc(g->collisions, ncap * sizeof(*nc));

    if (!nc)
      return HV_ENOMEM;
    g->collisions = nc;
    *cap = ncap;
  }
  if (!(g->collisions[g->n_collisions].normalised = hv_strdup(norm)))
    return HV_ENOMEM;
  g->collisions[g->n_collisions].a = a;
  g->collisions[g->n_collisions].b = b;
  g->n_collisions++;
  return 0;
}

int hv_dedup_group(const hv_dedup_copy *copies, size_t n,
                   hv_dedup_groups *out, hv_error *err)
{
  hv_dedup_groups g;
  smap by_norm = {0}, by_uri = {0}, by_raw = {0};
  size_t *parent = NULL, *winner = NULL, ccap = 0, i;
  char **norms = NULL;
  hv_buf nb = HV_BUF_INIT(1 << 16);
  hv_error nerr = HV_ERROR_INIT;
  int rc = 0;

  memset(&g, 0, sizeof(g));
  g.n = n;
  if (!(parent = hv_calloc(n ? n : 1, sizeof(*parent))) ||
      !(winner = hv_calloc(n ? n : 1, sizeof(*winner))) ||
      !(norms = hv_calloc(n ? n : 1, sizeof(*norms))) ||
      !(g.group = hv_calloc(n ? n : 1, sizeof(*g.group))) ||
      smap_init(&by_norm, n) < 0 || smap_init(&by_uri, n) < 0 ||
      smap_init(&by_raw, n) < 0)
    goto oom;
  for (i = 0; i < n; i++)
    parent[i] = i;

  for (i = 0; i < n; i++) {
    const hv_dedup_copy *c = &copies[i];
    size_t slot;

    if (c->uri && *c->uri) {
      slot = smap_slot(&by_uri, c->uri);
      if (by_uri.keys[slot]) {
        uf_union(parent, i, by_uri.vals[slot]);
      } else {
        by_uri.keys[slot] = c->uri;
        by_uri.vals[slot] = i;
      }
    }
    if (!c->identifier)
      continue;
    hv_buf_reset(&nb);
    if (hv_dedup_normalize_id(c->identifier, &nb, &nerr) < 0) {
      if (nerr.code == HV_ENOMEM)
        goto oom;
      continue; /* empty or oversized: grouped by IRI only */
    }
    if (!(norms[i] = hv_strdup(nb.ptr)))
      goto oom;
    slot = smap_slot(&by_norm, norms[i]);
    if (!by_norm.keys[slot]) {
      by_norm.keys[slot] = norms[i];
      by_norm.vals[slot] = i;
    } else {
      size_t first = by_norm.vals[slot];
      size_t rslot = smap_slot(&by_raw, c->identifier);

      uf_union(parent, i, first);
      /* A raw form not met before whose key is taken: a collision. */
      if (!by_raw.keys[rslot] &&
          strcmp(copies[first].identifier, c->identifier) != 0 &&
          add_collision(&g, &ccap, first, i, norms[i]) < 0)
        goto oom;
    }
    {
      size_t rslot = smap_slot(&by_raw, c->identifier);

      if (!by_raw.keys[rslot]) {
        by_raw.keys[rslot] = c->identifier;
        by_raw.vals[rslot] = i;
      }
    }
  }

  /* Winners: the best copy of each union-find root. */
  for (i = 0; i < n; i++)
    winner[i] = (size_t)-1;
  for (i = 0; i < n; i++) {
    size_t r = uf_find(parent, i);

    if (winner[r] == (size_t)-1) {
      winner[r] = i;
      g.n_groups++;
    } else if (hv_dedup_compare(&copies[i], &copies[winner[r]]) < 0) {
      winner[r] = i;
    }
  }
  for (i = 0; i < n; i++)
    g.group[i] = winner[uf_find(parent, i)];
  *out = g;
  memset(&g, 0, sizeof(g));
  goto cleanup;

oom:
  rc = hv_error_oom(err);

cleanup:
  if (norms)
    for (i = 0; i < n; i++)
      hv_free(norms[i]);
  hv_free(norms);
  hv_free(parent);
  hv_free(winner);
  smap_fini(&by_norm);
  smap_fini(&by_uri);
  smap_fini(&by_raw);
  hv_buf_fini(&nb);
  hv_dedup_groups_fini(&g);
  return rc;
}
