/*
 * Arena, graph and canonical N-Triples term writer (see graph.h).
 */
#include "model/graph.h"

#include "util/alloc.h"

#include <string.h>

#define ARENA_CHUNK 16384

struct hv_arena_chunk {
  hv_arena_chunk *next;
  size_t size;    /* usable bytes in data */
  char data[];    /* string storage */
};

void hv_arena_init(hv_arena *a)
{
  a->head = NULL;
  a->used = 0;
  a->total = 0;
}

void hv_arena_fini(hv_arena *a)
{
  hv_arena_chunk *c = a->head;

  while (c) {
    hv_arena_chunk *next = c->next;
    hv_free(c);
    c = next;
  }
  hv_arena_init(a);
}

char *hv_arena_strndup(hv_arena *a, const char *s, size_t n)
{
  char *p;

  if (!a->head || a->head->size - a->used < n + 1) {
    /* Oversized strings get a chunk of their own so the common small
     * strings keep filling the current one. */
    size_t size = n + 1 > ARENA_CHUNK ? n + 1 : ARENA_CHUNK;
    hv_arena_chunk *c = hv_malloc(sizeof(*c) + size);
    if (!c)
      return NULL;
    c->size = size;
    if (n + 1 > ARENA_CHUNK && a->head) {
      c->next = a->head->next;
      a->head->next = c;
      a->total += size;
      memcpy(c->data, s, n);
      c->data[n] = '\0';
      return c->data;
    }
    c->next = a->head;
    a->head = c;
    a->used = 0;
    a->total += size;
  }
  p = a->head->data + a->used;
  memcpy(p, s, n);
  p[n] = '\0';
  a->used += n + 1;
  return p;
}

char *hv_arena_strdup(hv_arena *a, const char *s)
{
  return hv_arena_strndup(a, s, strlen(s));
}

void hv_graph_init(hv_graph *g)
{
  g->quads = NULL;
  g->len = 0;
  g->cap = 0;
  hv_arena_init(&g->arena);
}

void hv_graph_fini(hv_graph *g)
{
  hv_free(g->quads);
  hv_arena_fini(&g->arena);
  g->quads = NULL;
  g->len = 0;
  g->cap = 0;
}

static int grow(hv_graph *g, hv_error *err)
{
  size_t cap;
  hv_quad *q;

  if (g->len < g->cap)
    return 0;
  cap = g->cap ? g->cap * 2 : 64;
  q = hv_realloc(g->quads, cap * sizeof(*q));
  if (!q)
    return hv_error_oom(err);
  g->quads = q;
  g->cap = cap;
  return 0;
}

static int copy_term(hv_arena *a, hv_term *dst, const hv_term *src)
{
  dst->kind = src->kind;
  dst->value = NULL;
  dst->datatype = NULL;
  dst->lang = NULL;
  if (src->kind == HV_TERM_NONE)
    return 0;
  if (!(dst->value = hv_arena_strdup(a, src->value ? src->value : "")))
    return HV_ENOMEM;
  if (src->kind != HV_TERM_LITERAL)
    return 0;
  if (src->lang && src->lang[0]) {
    if (!(dst->lang = hv_arena_strdup(a, src->lang)))
      return HV_ENOMEM;
  } else if (src->datatype && strcmp(src->datatype, HV_XSD_STRING) != 0) {
    if (!(dst->datatype = hv_arena_strdup(a, src->datatype)))
      return HV_ENOMEM;
  }
  return 0;
}

int hv_graph_add(hv_graph *g, const hv_quad *q, hv_error *err)
{
  hv_quad copy;

  if (grow(g, err) < 0)
    return HV_ENOMEM;
  if (copy_term(&g->arena, &copy.s, &q->s) < 0 ||
      copy_term(&g->arena, &copy.p, &q->p) < 0 ||
      copy_term(&g->arena, &copy.o, &q->o) < 0 ||
      copy_term(&g->arena, &copy.g, &q->g) < 0)
    return hv_error_oom(err);
  g->quads[g->len++] = copy;
  return 0;
}

int hv_graph_add_owned(hv_graph *g, const hv_quad *q, hv_error *err)
{
  if (grow(g, err) < 0)
    return HV_ENOMEM;
  g->quads[g->len++] = *q;
  return 0;
}

static int str_eq(const char *a, const char *b)
{
  if (a == b)
    return 1;
  if (!a || !b)
    return 0;
  return strcmp(a, b) == 0;
}

int hv_term_equal(const hv_term *a, const hv_term *b)
{
  return a->kind == b->kind && str_eq(a->value, b->value) &&
         str_eq(a->datatype, b->datatype) && str_eq(a->lang, b->lang);
}

static int str_cmp(const char *a, const char *b)
{
  if (a == b)
    return 0;
  if (!a)
    return -1;
  if (!b)
    return 1;
  return strcmp(a, b);
}

int hv_term_cmp(const hv_term *a, const hv_term *b)
{
  int c;

  if (a->kind != b->kind)
    return a->kind < b->kind ? -1 : 1;
  if ((c = str_cmp(a->value, b->value)) != 0)
    return c;
  if ((c = str_cmp(a->datatype, b->datatype)) != 0)
    return c;
  return str_cmp(a->lang, b->lang);
}

/*
 * Canonical N-Triples escaping for literals: \" \\ \n \r and the other
 * named escapes \b \t \f as ECHAR, remaining controls and DEL as \u00XX,
 * everything else (including all non-ASCII UTF-8) as is.
 */
static int write_lexical(hv_buf *b, const char *s)
{
  int rc = 0;
  const char *run = s;

  for (; *s && rc == 0; s++) {
    unsigned char c = (unsigned char)*s;
    const char *esc = NULL;
    char ubuf[8];

    switch (c) {
    case '"': esc = "\\\""; break;
    case '\\': esc = "\\\\"; break;
    case '\n': esc = "\\n"; break;
    case '\r': esc = "\\r"; break;
    case '\t': esc = "\\t"; break;
    case '\b': esc = "\\b"; break;
    case '\f': esc = "\\f"; break;
    default:
      if (c < 0x20 || c == 0x7f) {
        static const char hex[] = "0123456789ABCDEF";
        memcpy(ubuf, "\\u00", 4);
        ubuf[4] = hex[c >> 4];
        ubuf[5] = hex[c & 15];
        ubuf[6] = '\0';
        esc = ubuf;
      }
    }
    if (esc) {
      if ((rc = hv_buf_add(b, run, (size_t)(s - run))) == 0)
        rc = hv_buf_addstr(b, esc);
      run = s + 1;
    }
  }
  if (rc == 0)
    rc = hv_buf_add(b, run, (size_t)(s - run));
  return rc;
}

int hv_term_write_nt(hv_buf *b, const hv_term *t)
{
  int rc;

  switch (t->kind) {
  case HV_TERM_IRI:
    if ((rc = hv_buf_addc(b, '<')) == 0 && (rc = hv_buf_addstr(b, t->value)) == 0)
      rc = hv_buf_addc(b, '>');
    return rc;
  case HV_TERM_BLANK:
    if ((rc = hv_buf_add(b, "_:", 2)) == 0)
      rc = hv_buf_addstr(b, t->value);
    return rc;
  case HV_TERM_LITERAL:
    if ((rc = hv_buf_addc(b, '"')) < 0 || (rc = write_lexical(b, t->value)) < 0 ||
        (rc = hv_buf_addc(b, '"')) < 0)
      return rc;
    if (t->lang) {
      if ((rc = hv_buf_addc(b, '@')) == 0)
        rc = hv_buf_addstr(b, t->lang);
    } else if (t->datatype) {
      if ((rc = hv_buf_add(b, "^^<", 3)) == 0 &&
          (rc = hv_buf_addstr(b, t->datatype)) == 0)
        rc = hv_buf_addc(b, '>');
    }
    return rc;
  case HV_TERM_NONE:
    break;
  }
  return HV_EINVAL;
}

int hv_quad_write_nq(hv_buf *b, const hv_quad *q)
{
  int rc;

  if ((rc = hv_term_write_nt(b, &q->s)) < 0 || (rc = hv_buf_addc(b, ' ')) < 0 ||
      (rc = hv_term_write_nt(b, &q->p)) < 0 || (rc = hv_buf_addc(b, ' ')) < 0 ||
      (rc = hv_term_write_nt(b, &q->o)) < 0)
    return rc;
  if (q->g.kind != HV_TERM_NONE) {
    if ((rc = hv_buf_addc(b, ' ')) < 0 || (rc = hv_term_write_nt(b, &q->g)) < 0)
      return rc;
  }
  return hv_buf_add(b, " .\n", 3);
}
