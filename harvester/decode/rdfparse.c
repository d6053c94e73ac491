/*
 * raptor → hv_graph (see rdfparse.h).
 *
 * raptor calls back once per statement; the callback copies the terms
 * into the graph's arena. Errors arrive through the world's log handler;
 * the first error wins because later ones are usually its echoes.
 */
#include "decode/rdfparse.h"

#include "util/alloc.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <raptor2.h>
#include <string.h>

typedef struct parse_ctx {
  hv_graph *graph;
  hv_error *err;
  raptor_parser *parser; /* for the line of errors logged without one */
  int failed;            /* an error was logged or a copy failed */
  int line_syntax;       /* N-Triples or N-Quads: IRIs checked strictly */
  hv_rdf_repairs *repairs; /* NULL: refuse bad text instead of repairing */
  hv_buf fixed[8];       /* repaired strings of the current statement */
} parse_ctx;

static void term_from_raptor(hv_term *out, raptor_term *t)
{
  memset(out, 0, sizeof(*out));
  if (!t) {
    out->kind = HV_TERM_NONE;
    return;
  }
  switch (t->type) {
  case RAPTOR_TERM_TYPE_URI:
    out->kind = HV_TERM_IRI;
    out->value = (const char *)raptor_uri_as_string(t->value.uri);
    break;
  case RAPTOR_TERM_TYPE_BLANK:
    out->kind = HV_TERM_BLANK;
    out->value = (const char *)t->value.blank.string;
    break;
  case RAPTOR_TERM_TYPE_LITERAL:
    out->kind = HV_TERM_LITERAL;
    out->value = (const char *)t->value.literal.string;
    if (t->value.literal.language && t->value.literal.language_len)
      out->lang = (const char *)t->value.literal.language;
    else if (t->value.literal.datatype)
      out->datatype =
          (const char *)raptor_uri_as_string(t->value.literal.datatype);
    break;
  case RAPTOR_TERM_TYPE_UNKNOWN:
  default:
    out->kind = HV_TERM_NONE;
    break;
  }
}

/*
 * Returns why the n bytes at s cannot be the text of an RDF term, or NULL
 * if they can. raptor's N-Triples and N-Quads readers pass NUL bytes and
 * malformed UTF-8 through unchecked: a NUL silently cuts the term short
 * in our NUL-terminated copy, and a stray lead byte swallows the next
 * byte, so the canonical form written from such a term reads back as a
 * different graph (or not at all) and its hash means nothing.
 */
/*
 * Returns the length of the well-formed UTF-8 sequence at s[i] (1 to 4),
 * or 0 for a NUL byte or a malformed sequence (overlong forms, UTF-16
 * surrogates, code points past U+10FFFF, cut or stray bytes).
 */
static size_t utf8_len(const unsigned char *s, size_t n, size_t i)
{
  unsigned char c = s[i];
  size_t k, more;
  unsigned long cp, min;

  if (c == 0)
    return 0;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    more = 1, cp = c & 0x1f, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    more = 2, cp = c & 0x0f, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    more = 3, cp = c & 0x07, min = 0x10000;
  else
    return 0;
  if (n - i <= more)
    return 0;
  for (k = 1; k <= more; k++) {
    if ((s[i + k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i + k] & 0x3f);
  }
  if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
    return 0;
  return more + 1;
}

static const char *bad_text(const unsigned char *s, size_t n)
{
  size_t i = 0, len;

  while (i < n) {
    if (!(len = utf8_len(s, n, i)))
      return s[i] == 0 ? "a NUL byte" : "malformed UTF-8";
    i += len;
  }
  return NULL;
}

/*
 * Writes s[0..n) into out with every NUL byte and every malformed byte
 * replaced by U+FFFD, as a reader of the portal's page would see it.
 */
static int repair_text(hv_buf *out, const unsigned char *s, size_t n)
{
  size_t i = 0, len;
  int rc = 0;

  hv_buf_reset(out);
  while (i < n && rc == 0) {
    if ((len = utf8_len(s, n, i))) {
      rc = hv_buf_add(out, s + i, len);
      i += len;
    } else {
      rc = hv_buf_add(out, "\xef\xbf\xbd", 3);
      i++;
    }
  }
  return rc == 0 ? hv_buf_add(out, "", 0) : rc;
}

/*
 * Returns why the n bytes of an IRI read from N-Triples or N-Quads break
 * that grammar's IRIREF, or NULL. raptor unescapes "\\" and lets spaces,
 * quotes and braces through; canonical N-Quads write IRIs unescaped, so
 * such an IRI comes back from the canonical form as a different one.
 */
static const char *bad_iri(const unsigned char *s, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (s[i] <= 0x20 || strchr("<>\"{}|^`\\", s[i]))
      return "a character IRIs cannot hold";
  return NULL;
}

/* Checks the strings of one raptor term; see bad_text and bad_iri. */
static const char *bad_term(raptor_term *t, int line_syntax)
{
  const unsigned char *s;
  const char *why = NULL;
  size_t n = 0;

  if (!t)
    return NULL;
  switch (t->type) {
  case RAPTOR_TERM_TYPE_URI:
    s = raptor_uri_as_counted_string(t->value.uri, &n);
    why = bad_text(s, n);
    if (!why && line_syntax)
      why = bad_iri(s, n);
    break;
  case RAPTOR_TERM_TYPE_BLANK:
    why = bad_text(t->value.blank.string, t->value.blank.string_len);
    break;
  case RAPTOR_TERM_TYPE_LITERAL:
    why = bad_text(t->value.literal.string, t->value.literal.string_len);
    if (!why && t->value.literal.language)
      why = bad_text(t->value.literal.language,
                     t->value.literal.language_len);
    if (!why && t->value.literal.datatype) {
      s = raptor_uri_as_counted_string(t->value.literal.datatype, &n);
      why = bad_text(s, n);
      if (!why && line_syntax)
        why = bad_iri(s, n);
    }
    break;
  case RAPTOR_TERM_TYPE_UNKNOWN:
  default:
    break;
  }
  return why;
}

/*
 * Replaces the strings of out (read from t) that are not clean text with
 * repaired copies in ctx->fixed[slot], [slot + 1]. Returns 1 if anything
 * was repaired, 0 if not, or a negative code.
 */
static int repair_term(parse_ctx *ctx, hv_term *out, raptor_term *t,
                       size_t slot)
{
  const unsigned char *s = NULL, *dt = NULL;
  size_t n = 0, dn = 0;
  int repaired = 0, rc;

  if (!t)
    return 0;
  if (t->type == RAPTOR_TERM_TYPE_URI) {
    s = raptor_uri_as_counted_string(t->value.uri, &n);
  } else if (t->type == RAPTOR_TERM_TYPE_BLANK) {
    s = t->value.blank.string;
    n = t->value.blank.string_len;
  } else if (t->type == RAPTOR_TERM_TYPE_LITERAL) {
    s = t->value.literal.string;
    n = t->value.literal.string_len;
    if (out->lang && bad_text(t->value.literal.language,
                              t->value.literal.language_len)) {
      out->lang = NULL; /* a broken tag is no tag */
      repaired = 1;
    }
    if (out->datatype)
      dt = raptor_uri_as_counted_string(t->value.literal.datatype, &dn);
  }
  if (s && bad_text(s, n)) {
    if ((rc = repair_text(&ctx->fixed[slot], s, n)) < 0)
      return rc;
    out->value = ctx->fixed[slot].ptr;
    repaired = 1;
  }
  if (dt && bad_text(dt, dn)) {
    if ((rc = repair_text(&ctx->fixed[slot + 1], dt, dn)) < 0)
      return rc;
    out->datatype = ctx->fixed[slot + 1].ptr;
    repaired = 1;
  }
  return repaired;
}

static int line_of(parse_ctx *ctx)
{
  raptor_locator *loc =
      ctx->parser ? raptor_parser_get_locator(ctx->parser) : NULL;

  return loc ? loc->line : -1;
}

static void on_statement(void *user_data, raptor_statement *st)
{
  parse_ctx *ctx = user_data;
  raptor_locator *loc;
  const char *why;
  hv_quad q;

  if (ctx->failed)
    return;
  if (ctx->repairs) {
    raptor_term *terms[4] = {st->subject, st->predicate, st->object,
                             st->graph};
    hv_term *outs[4] = {&q.s, &q.p, &q.o, &q.g};
    int i, r, repaired = 0;

    for (i = 0; i < 4; i++) {
      term_from_raptor(outs[i], terms[i]);
      if ((r = repair_term(ctx, outs[i], terms[i], (size_t)i * 2)) < 0) {
        ctx->failed = 1;
        hv_error_oom(ctx->err);
        return;
      }
      repaired |= r;
    }
    if (repaired && ctx->repairs->terms++ == 0)
      ctx->repairs->first_line = line_of(ctx);
    if (hv_graph_add(ctx->graph, &q, ctx->err) < 0)
      ctx->failed = 1;
    return;
  }
  if ((why = bad_term(st->subject, ctx->line_syntax)) ||
      (why = bad_term(st->predicate, ctx->line_syntax)) ||
      (why = bad_term(st->object, ctx->line_syntax)) ||
      (why = bad_term(st->graph, ctx->line_syntax))) {
    ctx->failed = 1;
    loc = ctx->parser ? raptor_parser_get_locator(ctx->parser) : NULL;
    if (loc && loc->line > 0)
      hv_error_set(ctx->err, HV_EPARSE, "line %d: term with %s", loc->line,
                   why);
    else
      hv_error_set(ctx->err, HV_EPARSE, "term with %s", why);
    return;
  }
  term_from_raptor(&q.s, st->subject);
  term_from_raptor(&q.p, st->predicate);
  term_from_raptor(&q.o, st->object);
  term_from_raptor(&q.g, st->graph);
  if (hv_graph_add(ctx->graph, &q, ctx->err) < 0)
    ctx->failed = 1;
}

static void on_log(void *user_data, raptor_log_message *message)
{
  parse_ctx *ctx = user_data;
  int line;

  if (message->level < RAPTOR_LOG_LEVEL_ERROR || ctx->failed)
    return;
  ctx->failed = 1;
  line = message->locator ? message->locator->line : -1;
  /* Some errors (e.g. an undeclared Turtle prefix) come without a
   * locator; the parser's own position is then the best line we have. */
  if (line <= 0 && ctx->parser && raptor_parser_get_locator(ctx->parser))
    line = raptor_parser_get_locator(ctx->parser)->line;
  if (line > 0)
    hv_error_set(ctx->err, HV_EPARSE, "line %d: %s", line,
                 message->text ? message->text : "syntax error");
  else
    hv_error_set(ctx->err, HV_EPARSE, "%s",
                 message->text ? message->text : "syntax error");
}

/*
 * raptor worlds, one per thread, kept for the life of the process.
 *
 * Freeing a world runs libxml2's global cleanup, which corrupts the heap
 * when another thread is parsing at that moment, so a thread's world is
 * created on its first parse and freed only by hv_rdf_global_cleanup()
 * once no thread parses any more. Creation is serialised because opening
 * a world touches libxml2 state that all threads share. The list keeps
 * every world reachable until then.
 */
typedef struct world_entry {
  struct world_entry *next;
  raptor_world *world;
} world_entry;

static pthread_mutex_t worlds_lock = PTHREAD_MUTEX_INITIALIZER;
static world_entry *worlds;
static _Thread_local raptor_world *this_thread_world;

static raptor_world *thread_world(void)
{
  world_entry *entry;
  raptor_world *world;

  if (this_thread_world)
    return this_thread_world;
  if (!(entry = hv_malloc(sizeof(*entry))))
    return NULL;
  pthread_mutex_lock(&worlds_lock);
  world = raptor_new_world();
  if (world && raptor_world_open(world) != 0) {
    raptor_free_world(world);
    world = NULL;
  }
  if (world) {
    entry->world = world;
    entry->next = worlds;
    worlds = entry;
  }
  pthread_mutex_unlock(&worlds_lock);
  if (!world)
    hv_free(entry);
  this_thread_world = world;
  return world;
}

void hv_rdf_global_cleanup(void)
{
  world_entry *entry;

  pthread_mutex_lock(&worlds_lock);
  while ((entry = worlds)) {
    worlds = entry->next;
    raptor_free_world(entry->world);
    hv_free(entry);
  }
  pthread_mutex_unlock(&worlds_lock);
  /* Only the calling thread can forget its own pointer; the others have
   * stopped parsing, as the contract says. */
  this_thread_world = NULL;
}

void hv_rdf_global_init(void)
{
  xmlInitParser();
}

int hv_rdf_parse(hv_graph *g, const char *syntax, const char *data, size_t len,
                 const char *base_uri, hv_error *err)
{
  return hv_rdf_parse_repairing(g, syntax, data, len, base_uri, NULL, err);
}

int hv_rdf_parse_repairing(hv_graph *g, const char *syntax, const char *data,
                           size_t len, const char *base_uri,
                           hv_rdf_repairs *repairs, hv_error *err)
{
  parse_ctx ctx;
  size_t i;
  raptor_world *world = NULL;
  raptor_parser *parser = NULL;
  raptor_uri *base = NULL;
  int rc = 0;

  memset(&ctx, 0, sizeof(ctx));
  ctx.graph = g;
  ctx.err = err;
  ctx.repairs = repairs;
  for (i = 0; i < sizeof(ctx.fixed) / sizeof(ctx.fixed[0]); i++)
    hv_buf_init(&ctx.fixed[i], len + 64);
  if (!(world = thread_world())) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  raptor_world_set_log_handler(world, &ctx, on_log);
  if (!raptor_world_is_parser_name(world, syntax)) {
    rc = hv_error_set(err, HV_EFORMAT, "no parser for syntax '%s'", syntax);
    goto cleanup;
  }
  if (!(parser = raptor_new_parser(world, syntax)) ||
      !(base = raptor_new_uri(world, (const unsigned char *)(
                                         base_uri ? base_uri : "urn:hv:base")))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  /* A harvested document must never make us fetch or open anything. */
  raptor_parser_set_option(parser, RAPTOR_OPTION_NO_NET, NULL, 1);
  raptor_parser_set_option(parser, RAPTOR_OPTION_NO_FILE, NULL, 1);
  raptor_parser_set_option(parser, RAPTOR_OPTION_LOAD_EXTERNAL_ENTITIES, NULL,
                           0);
  raptor_parser_set_statement_handler(parser, &ctx, on_statement);
  ctx.parser = parser;
  ctx.line_syntax =
      strcmp(syntax, "nquads") == 0 || strcmp(syntax, "ntriples") == 0;

  if (raptor_parser_parse_start(parser, base) != 0 ||
      raptor_parser_parse_chunk(parser, (const unsigned char *)data, len, 1) !=
          0 ||
      ctx.failed) {
    if (err && err->code == HV_OK)
      hv_error_set(err, HV_EPARSE, "%s parse failed", syntax);
    rc = err ? err->code : HV_EPARSE;
    if (rc == HV_OK)
      rc = HV_EPARSE;
  }

cleanup:
  if (base)
    raptor_free_uri(base);
  if (parser)
    raptor_free_parser(parser);
  if (world)
    raptor_world_set_log_handler(world, NULL, NULL);
  for (i = 0; i < sizeof(ctx.fixed) / sizeof(ctx.fixed[0]); i++)
    hv_buf_fini(&ctx.fixed[i]);
  return rc;
}
