/*
 * The profile loader (see profile.h): reads the tab-separated tables of a
 * profile directory and per-source extension files into hash maps whose
 * strings all live in one arena, so that a loaded profile costs a few
 * allocations and is freed in one sweep.
 *
 * Each map is open addressing over a growing array of entries; a key may
 * carry several values (a CKAN group standing for two themes) chained by
 * index. Indices rather than pointers, because the entry array moves when
 * it grows.
 */
#include "map/profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model/graph.h"
#include "util/alloc.h"
#include "util/file.h"
#include "util/hash.h"

/* Profile tables are small; anything larger is not a profile table. */
#define TABLE_MAX ((size_t)16 << 20)
#define MAX_FIELDS 8

typedef struct ment {
  const char *key; /* arena string */
  const char *val; /* arena string */
  const char *aux; /* arena string or NULL: a table-specific extra */
  size_t next;     /* 1 + index of the key's next value, or 0 */
  size_t key_len;  /* strlen(key), for the prefix match of namespaces */
  int noslash;     /* namespaces: aux is "noslash" */
} ment;

typedef struct smap {
  ment *ents;
  size_t len, cap;
  size_t *slots; /* 1 + index into ents, or 0 for empty */
  size_t nslots; /* power of two, or 0 */
  size_t nkeys;  /* distinct keys */
} smap;

struct hv_profile {
  hv_arena arena;
  smap ns;             /* namespace variant -> canonical, aux = kind */
  unsigned char ns_probe[32]; /* bit set: byte NS_PROBE of each variant */
  int ns_short;        /* a variant is NS_PROBE bytes long or shorter */
  smap licenses;       /* licence IRI -> code, aux = "yes"/"no"/"" */
  smap license_alias;  /* normalised text -> licence IRI */
  smap themes;         /* theme IRI -> code */
  smap theme_alias;    /* normalised text -> theme IRIs */
  smap filetypes;      /* file-type IRI -> code */
  smap filetype_alias; /* normalised text -> file-type IRI */
  smap ft_media;       /* file-type IRI -> media types (multi) */
  smap languages;      /* language IRI -> code */
  smap language_alias; /* normalised text -> language IRI */
  smap contributors;   /* contributor IRI -> state key or "" */
  smap states;         /* state key -> name */
  smap rollups;        /* geocoding IRI prefix -> digits */
  smap drops;          /* dropped predicate IRI -> "" */
  const char *def_contributor;
  const char *def_publisher;
  const char *def_license;
};

static void smap_fini(smap *m)
{
  hv_free(m->ents);
  hv_free(m->slots);
  memset(m, 0, sizeof(*m));
}

static size_t smap_slot(const smap *m, const char *key)
{
  size_t i = (size_t)hv_hash_str(key) & (m->nslots - 1);

  while (m->slots[i] && strcmp(m->ents[m->slots[i] - 1].key, key) != 0)
    i = (i + 1) & (m->nslots - 1);
  return i;
}

static const ment *smap_find(const smap *m, const char *key)
{
  size_t i;

  if (!m->nslots)
    return NULL;
  i = smap_slot(m, key);
  return m->slots[i] ? &m->ents[m->slots[i] - 1] : NULL;
}

static int smap_rehash(smap *m)
{
  size_t n = m->nslots ? m->nslots * 2 : 64, i;
  size_t *old = m->slots, oldn = m->nslots;

  m->slots = hv_calloc(n, sizeof(*m->slots));
  if (!m->slots) {
    m->slots = old;
    return HV_ENOMEM;
  }
  m->nslots = n;
  for (i = 0; i < oldn; i++)
    if (old[i])
      m->slots[smap_slot(m, m->ents[old[i] - 1].key)] = old[i];
  hv_free(old);
  return 0;
}

static int smap_push(smap *m, const char *key, const char *val,
                     const char *aux)
{
  if (m->len == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 32;
    ment *e = hv_realloc(m->ents, cap * sizeof(*e));

    if (!e)
      return HV_ENOMEM;
    m->ents = e;
    m->cap = cap;
  }
  m->ents[m->len].key = key;
  m->ents[m->len].val = val;
  m->ents[m->len].aux = aux;
  m->ents[m->len].next = 0;
  m->ents[m->len].key_len = strlen(key);
  m->ents[m->len].noslash = aux && strcmp(aux, "noslash") == 0;
  m->len++;
  return 0;
}

/*
 * Adds key -> val. Returns 0 when added or already present with the same
 * value, 1 when key holds another value and multi is 0 (nothing changed;
 * *clash names the value it holds), HV_ENOMEM.
 */
static int smap_put(smap *m, const char *key, const char *val,
                    const char *aux, int multi, const char **clash)
{
  size_t i, e;
  int rc;

  if ((m->nkeys + 1) * 2 > m->nslots && (rc = smap_rehash(m)) < 0)
    return rc;
  i = smap_slot(m, key);
  if (!m->slots[i]) {
    if ((rc = smap_push(m, key, val, aux)) < 0)
      return rc;
    m->slots[i] = m->len;
    m->nkeys++;
    return 0;
  }
  for (e = m->slots[i];; e = m->ents[e - 1].next) {
    if (strcmp(m->ents[e - 1].val, val) == 0)
      return 0;
    if (!m->ents[e - 1].next)
      break;
  }
  if (!multi) {
    if (clash)
      *clash = m->ents[m->slots[i] - 1].val;
    return 1;
  }
  if ((rc = smap_push(m, key, val, aux)) < 0)
    return rc;
  m->ents[e - 1].next = m->len;
  return 0;
}

/* Length in bytes of a white-space character at s, or 0. */
static size_t space_len(const unsigned char *s)
{
  if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f' ||
      *s == '\v')
    return 1;
  if (s[0] == 0xC2 && s[1] == 0xA0)
    return 2;
  if (s[0] == 0xE2 && s[1] == 0x80 && s[2] == 0xAF)
    return 3;
  return 0;
}

/*
 * Writes the normalised form of s into dst (up to cap bytes, no NUL) and
 * returns its full length, so that a first call with cap 0 sizes it.
 */
static size_t norm_into(const char *s, char *dst, size_t cap)
{
  const unsigned char *p = (const unsigned char *)s;
  size_t n = 0, sp;
  int pending = 0;

  while (*p) {
    if ((sp = space_len(p)) > 0) {
      pending = n > 0;
      p += sp;
      continue;
    }
    if (pending) {
      if (n < cap)
        dst[n] = ' ';
      n++;
      pending = 0;
    }
    if (n < cap)
      dst[n] = (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : (char)*p;
    n++;
    p++;
  }
  return n;
}

int hv_profile_normalize(hv_buf *out, const char *s)
{
  size_t n = norm_into(s, NULL, 0);
  int rc;

  if ((rc = hv_buf_grow(out, n)) < 0)
    return rc;
  norm_into(s, out->ptr + out->len, n);
  out->len += n;
  out->ptr[out->len] = '\0';
  return 0;
}

/* Normalises s into key (HV_PROFILE_KEY_MAX + 1 bytes); -1 if too long. */
static int norm_key(const char *s, char *key)
{
  size_t n = norm_into(s, key, HV_PROFILE_KEY_MAX);

  if (n > HV_PROFILE_KEY_MAX)
    return -1;
  key[n] = '\0';
  return 0;
}

/* One row of a table, fields NUL-terminated in the file's buffer. */
typedef struct row {
  char *f[MAX_FIELDS];
  size_t n;
  const char *path;
  long line;
} row;

typedef int (*row_fn)(hv_profile *p, const row *r, hv_error *err);

static char *adup(hv_profile *p, const char *s, hv_error *err)
{
  char *d = hv_arena_strdup(&p->arena, s);

  if (!d)
    hv_error_oom(err);
  return d;
}

/*
 * Reads dir/name, checks its header against the expected one and calls
 * fn on every data row, which has exactly the header's number of fields.
 */
static int load_table(hv_profile *p, const char *dir, const char *name,
                      const char *header, row_fn fn, hv_error *err)
{
  hv_buf path = HV_BUF_INIT(4096), data = HV_BUF_INIT(TABLE_MAX);
  size_t ncols = 1;
  const char *h;
  char *line, *eol;
  long lineno = 0;
  int seen_header = 0, rc;
  row r;

  for (h = header; *h; h++)
    ncols += *h == '\t';
  if ((rc = hv_buf_addf(&path, "%s/%s", dir, name)) < 0) {
    rc = hv_error_set(err, rc, "profile path too long: %s", dir);
    goto cleanup;
  }
  if ((rc = hv_file_read(path.ptr, &data, err)) < 0)
    goto cleanup;
  r.path = path.ptr;
  for (line = data.ptr; *line; line = eol) {
    char *f;

    lineno++;
    eol = strchr(line, '\n');
    if (eol)
      *eol++ = '\0';
    else
      eol = line + strlen(line);
    if (*line && line[strlen(line) - 1] == '\r')
      line[strlen(line) - 1] = '\0';
    if (line[0] == '#' || line[0] == '\0')
      continue;
    if (!seen_header) {
      if (strcmp(line, header) != 0) {
        rc = hv_error_set(err, HV_EPARSE,
                          "%s:%ld: header is not the expected columns", r.path,
                          lineno);
        goto cleanup;
      }
      seen_header = 1;
      continue;
    }
    r.n = 0;
    r.line = lineno;
    for (f = line;; f++) {
      char *tab = strchr(f, '\t');

      if (r.n < MAX_FIELDS)
        r.f[r.n] = f;
      r.n++;
      if (!tab)
        break;
      *tab = '\0';
      f = tab;
    }
    if (r.n != ncols) {
      rc = hv_error_set(err, HV_EPARSE,
                        "%s:%ld: expected %zu tab-separated fields, found %zu",
                        r.path, lineno, ncols, r.n);
      goto cleanup;
    }
    if ((rc = fn(p, &r, err)) < 0)
      goto cleanup;
  }
  if (!seen_header)
    rc = hv_error_set(err, HV_EPARSE, "%s: no header line", r.path);

cleanup:
  hv_buf_fini(&path);
  hv_buf_fini(&data);
  return rc;
}

static int put_checked(smap *m, const char *key, const char *val,
                       const char *aux, int multi, const char *path,
                       long line, hv_error *err)
{
  const char *clash = NULL;
  int rc = smap_put(m, key, val, aux, multi, &clash);

  if (rc < 0)
    return hv_error_oom(err);
  if (rc > 0)
    return hv_error_set(err, HV_EPARSE,
                        "%s:%ld: \"%s\" already maps to %s, not %s", path,
                        line, key, clash, val);
  return 0;
}

/*
 * Adds the alias text -> target to map, where target must be an entry of
 * vocab; the stored value is the vocabulary's own copy of the IRI.
 */
static int put_alias(hv_profile *p, smap *map, const smap *vocab,
                     const char *what, const char *text, const char *target,
                     int multi, const char *path, long line, hv_error *err)
{
  char key[HV_PROFILE_KEY_MAX + 1];
  const ment *t = smap_find(vocab, target);
  char *k;

  if (!t)
    return hv_error_set(err, HV_EPARSE, "%s:%ld: %s is not a known %s",
                        path, line, target, what);
  if (norm_key(text, key) < 0 || key[0] == '\0')
    return hv_error_set(err, HV_EPARSE,
                        "%s:%ld: alias is empty or longer than %d bytes",
                        path, line, HV_PROFILE_KEY_MAX);
  if (!(k = adup(p, key, err)))
    return HV_ENOMEM;
  return put_checked(map, k, t->key, NULL, multi, path, line, err);
}

static int is_iri(const char *s)
{
  return strncmp(s, "http://", 7) == 0 || strncmp(s, "https://", 8) == 0;
}

/* Adds a vocabulary entry keyed by IRI, and the IRI as its own alias. */
static int put_vocab(hv_profile *p, smap *vocab, smap *aliases,
                     const char *what, const row *r, const char *val,
                     const char *aux, hv_error *err)
{
  char *iri, *v, *a = NULL;
  int rc;

  if (!is_iri(r->f[0]))
    return hv_error_set(err, HV_EPARSE, "%s:%ld: %s IRI expected, got \"%s\"",
                        r->path, r->line, what, r->f[0]);
  if (!(iri = adup(p, r->f[0], err)) || !(v = adup(p, val, err)) ||
      (aux && !(a = adup(p, aux, err))))
    return HV_ENOMEM;
  if ((rc = put_checked(vocab, iri, v, a, 0, r->path, r->line, err)) < 0)
    return rc;
  if (!aliases)
    return 0;
  return put_alias(p, aliases, vocab, what, iri, iri,
                   aliases == &p->theme_alias, r->path, r->line, err);
}

/* hv_profile_fix_iri sees every predicate of every triple, and almost
 * none is a namespace variant. One byte of each variant, the one after
 * "http://" or the second slash of "https://", is kept in a bit set, so
 * that most IRIs are turned away by one test. */
#define NS_PROBE 7

static int ns_row(hv_profile *p, const row *r, hv_error *err)
{
  char *v, *c, *k;

  if (!is_iri(r->f[0]) || !is_iri(r->f[1]))
    return hv_error_set(err, HV_EPARSE, "%s:%ld: namespace IRIs expected",
                        r->path, r->line);
  if (strcmp(r->f[2], "prefix") != 0 && strcmp(r->f[2], "noslash") != 0)
    return hv_error_set(err, HV_EPARSE,
                        "%s:%ld: kind \"%s\" is neither prefix nor noslash",
                        r->path, r->line, r->f[2]);
  if (!(v = adup(p, r->f[0], err)) || !(c = adup(p, r->f[1], err)) ||
      !(k = adup(p, r->f[2], err)))
    return HV_ENOMEM;
  if (strlen(v) > NS_PROBE)
    p->ns_probe[(unsigned char)v[NS_PROBE] >> 3] |=
        (unsigned char)(1u << (v[NS_PROBE] & 7));
  else
    p->ns_short = 1;
  return put_checked(&p->ns, v, c, k, 0, r->path, r->line, err);
}

static int license_row(hv_profile *p, const row *r, hv_error *err)
{
  const char *open = r->f[4];

  if (strcmp(open, "yes") != 0 && strcmp(open, "no") != 0 && *open)
    return hv_error_set(err, HV_EPARSE,
                        "%s:%ld: open must be yes, no or empty, not \"%s\"",
                        r->path, r->line, open);
  return put_vocab(p, &p->licenses, &p->license_alias, "licence", r,
                   r->f[1], open, err);
}

static int license_alias_row(hv_profile *p, const row *r, hv_error *err)
{
  return put_alias(p, &p->license_alias, &p->licenses, "licence", r->f[0],
                   r->f[1], 0, r->path, r->line, err);
}

static int theme_row(hv_profile *p, const row *r, hv_error *err)
{
  return put_vocab(p, &p->themes, &p->theme_alias, "theme", r, r->f[1],
                   NULL, err);
}

static int theme_alias_row(hv_profile *p, const row *r, hv_error *err)
{
  return put_alias(p, &p->theme_alias, &p->themes, "theme", r->f[0],
                   r->f[1], 1, r->path, r->line, err);
}

static int filetype_row(hv_profile *p, const row *r, hv_error *err)
{
  return put_vocab(p, &p->filetypes, &p->filetype_alias, "file type", r,
                   r->f[1], NULL, err);
}

/*
 * A media-type alias also records the media type under its file type, so
 * that a format can give a media type back where it has exactly one.
 * Legacy spellings carry another kind and stay out of that list.
 */
static int filetype_alias_row(hv_profile *p, const row *r, hv_error *err)
{
  char key[HV_PROFILE_KEY_MAX + 1];
  const ment *t;
  char *k;
  int rc;

  if ((rc = put_alias(p, &p->filetype_alias, &p->filetypes, "file type",
                      r->f[0], r->f[1], 0, r->path, r->line, err)) < 0)
    return rc;
  if (strcmp(r->f[2], "media-type") != 0)
    return 0;
  t = smap_find(&p->filetypes, r->f[1]);
  if (norm_key(r->f[0], key) < 0 || !(k = adup(p, key, err)))
    return HV_ENOMEM;
  return put_checked(&p->ft_media, t->key, k, NULL, 1, r->path, r->line,
                     err);
}

/* A language: its IRI, and as aliases its EU code, ISO 639-1 and 639-2/B
 * codes and its German and English names. */
static int language_row(hv_profile *p, const row *r, hv_error *err)
{
  size_t i;
  int rc;

  if ((rc = put_vocab(p, &p->languages, &p->language_alias, "language", r,
                      r->f[1], NULL, err)) < 0)
    return rc;
  for (i = 1; i < 6; i++)
    if (*r->f[i] &&
        (rc = put_alias(p, &p->language_alias, &p->languages, "language",
                        r->f[i], r->f[0], 0, r->path, r->line, err)) < 0)
      return rc;
  return 0;
}

static int state_key_ok(const char *s)
{
  return strcmp(s, "bund") == 0 ||
         (s[0] >= '0' && s[0] <= '1' && s[1] >= '0' && s[1] <= '9' &&
          s[2] == '\0' && strcmp(s, "00") != 0 && strcmp(s, "16") <= 0);
}

static int contributor_row(hv_profile *p, const row *r, hv_error *err)
{
  if (*r->f[3] && !state_key_ok(r->f[3]))
    return hv_error_set(err, HV_EPARSE,
                        "%s:%ld: state \"%s\" is not 01..16, bund or empty",
                        r->path, r->line, r->f[3]);
  return put_vocab(p, &p->contributors, NULL, "contributor", r, r->f[3],
                   NULL, err);
}

static int geocoding_row(hv_profile *p, const row *r, hv_error *err)
{
  char *k, *v;

  if (strcmp(r->f[0], "state") == 0) {
    if (!state_key_ok(r->f[1]))
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: \"%s\" is not a state key", r->path,
                          r->line, r->f[1]);
    if (!(k = adup(p, r->f[1], err)) || !(v = adup(p, r->f[2], err)))
      return HV_ENOMEM;
    return put_checked(&p->states, k, v, NULL, 0, r->path, r->line, err);
  }
  if (strcmp(r->f[0], "rollup") == 0) {
    if (!is_iri(r->f[1]) || strcmp(r->f[3], "2") != 0)
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: rollup needs an IRI prefix and 2 digits",
                          r->path, r->line);
    if (!(k = adup(p, r->f[1], err)) || !(v = adup(p, r->f[3], err)))
      return HV_ENOMEM;
    return put_checked(&p->rollups, k, v, NULL, 0, r->path, r->line, err);
  }
  return hv_error_set(err, HV_EPARSE,
                      "%s:%ld: kind \"%s\" is neither state nor rollup",
                      r->path, r->line, r->f[0]);
}

static const struct table {
  const char *name;
  const char *header;
  row_fn fn;
} tables[] = {
    {"namespaces.tsv", "variant\tcanonical\tkind\tnote", ns_row},
    {"licenses.tsv", "iri\tcode\tlabel_de\tlabel_en\topen", license_row},
    {"license_aliases.tsv", "alias\tlicense\tkind", license_alias_row},
    {"themes.tsv", "iri\tcode\tlabel_de\tlabel_en", theme_row},
    {"theme_aliases.tsv", "alias\ttheme\tkind", theme_alias_row},
    {"filetypes.tsv", "iri\tcode\tlabel\tdeprecated", filetype_row},
    {"filetype_aliases.tsv", "alias\tfiletype\tkind", filetype_alias_row},
    {"contributors.tsv", "iri\tid\tlabel\tstate\tcomment", contributor_row},
    {"geocoding.tsv", "kind\tkey\tname\tdigits", geocoding_row},
    {"languages.tsv", "iri\tcode\tiso639_1\tiso639_2b\tlabel_de\tlabel_en",
     language_row},
};

int hv_profile_new(hv_profile **out, const char *dir, hv_error *err)
{
  hv_profile *p = hv_calloc(1, sizeof(*p));
  size_t i;
  int rc = 0;

  if (!p)
    return hv_error_oom(err);
  hv_arena_init(&p->arena);
  for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
    if ((rc = load_table(p, dir, tables[i].name, tables[i].header,
                         tables[i].fn, err)) < 0)
      goto cleanup;
  *out = p;
  p = NULL;

cleanup:
  hv_profile_free(p);
  return rc;
}

void hv_profile_free(hv_profile *p)
{
  if (!p)
    return;
  smap_fini(&p->ns);
  smap_fini(&p->licenses);
  smap_fini(&p->license_alias);
  smap_fini(&p->themes);
  smap_fini(&p->theme_alias);
  smap_fini(&p->filetypes);
  smap_fini(&p->filetype_alias);
  smap_fini(&p->ft_media);
  smap_fini(&p->languages);
  smap_fini(&p->language_alias);
  smap_fini(&p->contributors);
  smap_fini(&p->states);
  smap_fini(&p->rollups);
  smap_fini(&p->drops);
  hv_arena_fini(&p->arena);
  hv_free(p);
}

/* Splits line at white space into at most max fields; returns the count,
 * or max + 1 when there are more. */
static size_t split_words(char *line, char **w, size_t max)
{
  size_t n = 0;
  char *s = line;

  for (;;) {
    while (*s == ' ' || *s == '\t')
      s++;
    if (!*s)
      return n;
    if (n == max)
      return max + 1;
    w[n++] = s;
    while (*s && *s != ' ' && *s != '\t')
      s++;
    if (*s)
      *s++ = '\0';
  }
}

/* Handles one directive of a source file; words are NUL-terminated. */
static int source_directive(hv_profile *p, char **w, size_t n,
                            const char *path, long line, hv_error *err)
{
  const char *iri = n > 0 ? w[n - 1] : NULL;
  const char **slot = NULL;
  const ment *known = NULL;
  char text[HV_PROFILE_KEY_MAX + 1];
  size_t i, len = 0;
  char *d;

  if (strcmp(w[0], "license-alias") == 0 || strcmp(w[0], "theme-alias") == 0 ||
      strcmp(w[0], "filetype-alias") == 0) {
    if (n < 3)
      return hv_error_set(err, HV_EPARSE, "%s:%ld: %s needs <text> <iri>",
                          path, line, w[0]);
    /* The alias text is the words between directive and IRI, joined by
     * one space, which is what normalisation would make of them anyway. */
    for (i = 1; i + 1 < n; i++) {
      size_t wl = strlen(w[i]);

      if (len + wl + 1 > HV_PROFILE_KEY_MAX)
        return hv_error_set(err, HV_EPARSE, "%s:%ld: alias text too long",
                            path, line);
      if (len)
        text[len++] = ' ';
      memcpy(text + len, w[i], wl);
      len += wl;
    }
    text[len] = '\0';
    if (w[0][0] == 'l')
      return put_alias(p, &p->license_alias, &p->licenses, "licence", text,
                       iri, 0, path, line, err);
    if (w[0][0] == 't')
      return put_alias(p, &p->theme_alias, &p->themes, "theme", text, iri, 1,
                       path, line, err);
    return put_alias(p, &p->filetype_alias, &p->filetypes, "file type", text,
                     iri, 0, path, line, err);
  }
  if (strcmp(w[0], "default") == 0) {
    if (n != 3)
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: default needs <what> <iri>", path, line);
    if (strcmp(w[1], "contributor") == 0) {
      slot = &p->def_contributor;
      known = smap_find(&p->contributors, iri);
    } else if (strcmp(w[1], "license") == 0) {
      slot = &p->def_license;
      known = smap_find(&p->licenses, iri);
    } else if (strcmp(w[1], "publisher") == 0) {
      slot = &p->def_publisher;
    } else {
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: unknown default \"%s\" (contributor, "
                          "publisher or license)",
                          path, line, w[1]);
    }
    if (!is_iri(iri) || (slot != &p->def_publisher && !known))
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: %s is not a known %s IRI", path, line,
                          iri, w[1]);
    if (!(d = adup(p, iri, err)))
      return HV_ENOMEM;
    *slot = d;
    return 0;
  }
  if (strcmp(w[0], "drop") == 0) {
    if (n != 2 || !is_iri(iri))
      return hv_error_set(err, HV_EPARSE,
                          "%s:%ld: drop needs one predicate IRI", path, line);
    if (!(d = adup(p, iri, err)))
      return HV_ENOMEM;
    return put_checked(&p->drops, d, "", NULL, 0, path, line, err);
  }
  return hv_error_set(err, HV_EPARSE, "%s:%ld: unknown directive \"%s\"",
                      path, line, w[0]);
}

int hv_profile_load_source(hv_profile *p, const char *path, hv_error *err)
{
  hv_buf data = HV_BUF_INIT(TABLE_MAX);
  char *line, *eol, *w[64];
  long lineno = 0;
  size_t n;
  int rc;

  if ((rc = hv_file_read(path, &data, err)) < 0)
    goto cleanup;
  for (line = data.ptr; *line; line = eol) {
    lineno++;
    eol = strchr(line, '\n');
    if (eol)
      *eol++ = '\0';
    else
      eol = line + strlen(line);
    n = strlen(line);
    if (n && line[n - 1] == '\r')
      line[n - 1] = '\0';
    n = split_words(line, w, 64);
    if (n == 0 || w[0][0] == '#')
      continue;
    if (n > 64) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%ld: too many words", path,
                        lineno);
      goto cleanup;
    }
    if ((rc = source_directive(p, w, n, path, lineno, err)) < 0)
      goto cleanup;
  }

cleanup:
  hv_buf_fini(&data);
  return rc;
}

const char *hv_profile_namespace(const hv_profile *p, const char *ns)
{
  const ment *e = smap_find(&p->ns, ns);

  return e && strcmp(e->aux, "prefix") == 0 ? e->val : NULL;
}

int hv_profile_fix_iri(const hv_profile *p, const char *iri, hv_buf *out)
{
  const ment *best = NULL;
  size_t i, bestlen = 0, len;
  unsigned char probe;
  int rc;

  if (!p->ns_short) {
    if (strnlen(iri, NS_PROBE + 1) <= NS_PROBE)
      return 0;
    probe = (unsigned char)iri[NS_PROBE];
    if (!(p->ns_probe[probe >> 3] & (1u << (probe & 7))))
      return 0;
  }
  len = strlen(iri);

  /* Every predicate of every triple comes through here, so the variants'
   * lengths are kept with them and compared first. */
  for (i = 0; i < p->ns.len; i++) {
    const ment *e = &p->ns.ents[i];
    size_t n = e->key_len;

    if (n <= bestlen || n > len || iri[n - 1] != e->key[n - 1] ||
        memcmp(iri, e->key, n) != 0)
      continue;
    /* The slash-less form only counts when a local name follows at once:
     * ".../dcatdecontributorID", not ".../dcatde/..." or "dcatde" itself. */
    if (e->noslash &&
        !((iri[n] >= 'a' && iri[n] <= 'z') || (iri[n] >= 'A' && iri[n] <= 'Z')))
      continue;
    best = e;
    bestlen = n;
  }
  if (!best || strcmp(best->key, best->val) == 0)
    return 0;
  if ((rc = hv_buf_addstr(out, best->val)) < 0 ||
      (rc = hv_buf_addstr(out, iri + bestlen)) < 0)
    return rc;
  return 1;
}

static const char *alias_get(const smap *m, const char *text, size_t i)
{
  char key[HV_PROFILE_KEY_MAX + 1];
  const ment *e;

  if (norm_key(text, key) < 0 || !(e = smap_find(m, key)))
    return NULL;
  while (i-- > 0) {
    if (!e->next)
      return NULL;
    e = &m->ents[e->next - 1];
  }
  return e->val;
}

const char *hv_profile_license(const hv_profile *p, const char *text)
{
  return alias_get(&p->license_alias, text, 0);
}

const char *hv_profile_filetype(const hv_profile *p, const char *text)
{
  return alias_get(&p->filetype_alias, text, 0);
}

const char *hv_profile_theme(const hv_profile *p, const char *text, size_t i)
{
  return alias_get(&p->theme_alias, text, i);
}

const char *hv_profile_language(const hv_profile *p, const char *text)
{
  return alias_get(&p->language_alias, text, 0);
}

int hv_profile_is_language(const hv_profile *p, const char *iri)
{
  return smap_find(&p->languages, iri) != NULL;
}

const char *hv_profile_filetype_media_type(const hv_profile *p,
                                           const char *iri)
{
  const ment *e = smap_find(&p->ft_media, iri);

  return e && !e->next ? e->val : NULL;
}

int hv_profile_is_license(const hv_profile *p, const char *iri)
{
  return smap_find(&p->licenses, iri) != NULL;
}

int hv_profile_is_theme(const hv_profile *p, const char *iri)
{
  return smap_find(&p->themes, iri) != NULL;
}

int hv_profile_is_filetype(const hv_profile *p, const char *iri)
{
  return smap_find(&p->filetypes, iri) != NULL;
}

int hv_profile_is_contributor(const hv_profile *p, const char *iri)
{
  return smap_find(&p->contributors, iri) != NULL;
}

int hv_profile_license_is_open(const hv_profile *p, const char *iri)
{
  const ment *e = smap_find(&p->licenses, iri);

  return e && strcmp(e->aux, "yes") == 0;
}

const char *hv_profile_contributor_state(const hv_profile *p,
                                         const char *iri)
{
  const ment *e = smap_find(&p->contributors, iri);

  return e && *e->val ? e->val : NULL;
}

const char *hv_profile_geocoding_state(const hv_profile *p, const char *iri)
{
  size_t i;

  for (i = 0; i < p->rollups.len; i++) {
    const char *pre = p->rollups.ents[i].key;
    size_t n = strlen(pre);
    char key[3];
    const ment *s;

    if (strncmp(iri, pre, n) != 0)
      continue;
    if (iri[n] < '0' || iri[n] > '9' || iri[n + 1] < '0' || iri[n + 1] > '9')
      return NULL;
    key[0] = iri[n];
    key[1] = iri[n + 1];
    key[2] = '\0';
    s = smap_find(&p->states, key);
    return s ? s->key : NULL;
  }
  return NULL;
}

const char *hv_profile_state_name(const hv_profile *p, const char *key)
{
  const ment *e = smap_find(&p->states, key);

  return e ? e->val : NULL;
}

const char *hv_profile_default_contributor(const hv_profile *p)
{
  return p->def_contributor;
}

const char *hv_profile_default_publisher(const hv_profile *p)
{
  return p->def_publisher;
}

const char *hv_profile_default_license(const hv_profile *p)
{
  return p->def_license;
}

int hv_profile_drops(const hv_profile *p, const char *iri)
{
  return smap_find(&p->drops, iri) != NULL;
}

size_t hv_profile_count(const hv_profile *p, hv_profile_table t)
{
  switch (t) {
  case HV_PROFILE_NAMESPACES: return p->ns.nkeys;
  case HV_PROFILE_LICENSES: return p->licenses.nkeys;
  case HV_PROFILE_LICENSE_ALIASES: return p->license_alias.nkeys;
  case HV_PROFILE_THEMES: return p->themes.nkeys;
  case HV_PROFILE_THEME_ALIASES: return p->theme_alias.nkeys;
  case HV_PROFILE_FILETYPES: return p->filetypes.nkeys;
  case HV_PROFILE_FILETYPE_ALIASES: return p->filetype_alias.nkeys;
  case HV_PROFILE_CONTRIBUTORS: return p->contributors.nkeys;
  case HV_PROFILE_STATES: return p->states.nkeys;
  case HV_PROFILE_LANGUAGES: return p->languages.nkeys;
  case HV_PROFILE_LANGUAGE_ALIASES: return p->language_alias.nkeys;
  }
  return 0;
}
