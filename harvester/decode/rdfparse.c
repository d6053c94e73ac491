/*
 * raptor → hv_graph (see rdfparse.h).
 *
 * raptor calls back once per statement; the callback copies the terms
 * into the graph's arena. Errors arrive through the world's log handler;
 * the first error wins because later ones are usually its echoes.
 */
#include "decode/rdfparse.h"

#include <libxml/parser.h>
#include <raptor2.h>
#include <string.h>

typedef struct parse_ctx {
  hv_graph *graph;
  hv_error *err;
  raptor_parser *parser; /* for the line of errors logged without one */
  int failed;            /* an error was logged or a copy failed */
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

static void on_statement(void *user_data, raptor_statement *st)
{
  parse_ctx *ctx = user_data;
  hv_quad q;

  if (ctx->failed)
    return;
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

void hv_rdf_global_init(void)
{
  xmlInitParser();
}

int hv_rdf_parse(hv_graph *g, const char *syntax, const char *data, size_t len,
                 const char *base_uri, hv_error *err)
{
  parse_ctx ctx = {g, err, NULL, 0};
  raptor_world *world = NULL;
  raptor_parser *parser = NULL;
  raptor_uri *base = NULL;
  int rc = 0;

  if (!(world = raptor_new_world()) || raptor_world_open(world) != 0) {
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
    raptor_free_world(world);
  return rc;
}
