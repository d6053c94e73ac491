/*
 * Reading a harvested body (see page.h and page_int.h): choose its
 * syntax and parse it into a graph.
 *
 * Handover points are messy, so the syntax choice trusts an operator's
 * format hint first, the server's Content-Type second and the bytes
 * themselves last, and bodies that are plainly not RDF (an HTML error page
 * served with status 200, JSON, binary data, nothing at all) are named as
 * such instead of surfacing as a confusing parser error. Parsing mends
 * what a portal commonly gets wrong without losing the page: a line of
 * text before the Turtle, mis-encoded bytes in a term.
 */
#include "decode/page.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/page_int.h"
#include "decode/rdfparse.h"
#include "util/alloc.h"
#include "util/buf.h"

#define SNIFF_MAX 4096   /* bytes looked at when guessing the syntax */
#define TITLE_SCAN 65536 /* bytes searched for an HTML <title> */
#define TITLE_MAX 80     /* characters of an HTML title quoted in errors */
#define EXCERPT_MAX 40   /* characters of unknown content quoted in errors */
#define NONE SIZE_MAX    /* "not found" for offsets */

/* ------------------------------------------------------------------ */
/* Byte-level helpers                                                  */
/* ------------------------------------------------------------------ */

int hv__text_is_ws(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

static int lower(int c)
{
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Returns 1 if the n bytes at p start with word, ignoring ASCII case. */
static int starts_ci(const char *p, size_t n, const char *word)
{
  size_t i;

  for (i = 0; word[i]; i++)
    if (i >= n || lower((unsigned char)p[i]) != lower((unsigned char)word[i]))
      return 0;
  return 1;
}

/* Returns the offset of needle in hay[0..n), ignoring case, or NONE. */
static size_t find_ci(const char *hay, size_t n, const char *needle)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (starts_ci(hay + i, n - i, needle))
      return i;
  return NONE;
}

/* Length of a UTF-8 no-break or zero-width space at p, else 0. */
size_t hv__text_unicode_space(const char *p, size_t n)
{
  const unsigned char *u = (const unsigned char *)p;

  if (n >= 2 && u[0] == 0xc2 && u[1] == 0xa0) /* U+00A0 */
    return 2;
  if (n >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
      (u[2] == 0xaf || u[2] == 0x87 || u[2] == 0x8b)) /* U+202F 2007 200B */
    return 3;
  if (n >= 3 && u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) /* U+FEFF */
    return 3;
  return 0;
}

/* Skips a UTF-8 BOM and whitespace; returns the offset of the first byte. */
static size_t skip_bom_ws(const char *body, size_t len)
{
  size_t i = 0;

  if (len >= 3 && memcmp(body, "\xef\xbb\xbf", 3) == 0)
    i = 3;
  while (i < len && hv__text_is_ws((unsigned char)body[i]))
    i++;
  return i;
}

/*
 * Writes a printable, quoted-safe excerpt of p (at most max characters,
 * stopping at a line end) into out: controls become '?', so the result
 * stays one line whatever the body holds.
 */
static void excerpt(char *out, size_t size, const char *p, size_t n,
                    size_t max)
{
  size_t i, o = 0;

  for (i = 0; i < n && o + 1 < size && i < max; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c == '\n' || c == '\r')
      break;
    out[o++] = (char)(c < 0x20 || c == 0x7f || c == '"' ? '?' : c);
  }
  while (o > 0 && out[o - 1] == ' ')
    o--;
  /* Never end inside a UTF-8 sequence. */
  while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
    o--;
  if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
    o--;
  out[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* Syntax choice                                                       */
/* ------------------------------------------------------------------ */

typedef struct name_map {
  const char *name;
  const char *syntax;
} name_map;

static const name_map hint_names[] = {
    {"rdfxml", "rdfxml"},     {"rdf/xml", "rdfxml"}, {"xml", "rdfxml"},
    {"turtle", "turtle"},     {"ttl", "turtle"},     {"ntriples", "ntriples"},
    {"n-triples", "ntriples"}, {"nt", "ntriples"},   {"nquads", "nquads"},
    {NULL, NULL}};

static const name_map media_types[] = {
    {"text/turtle", "turtle"},
    {"application/x-turtle", "turtle"},
    {"application/rdf+xml", "rdfxml"},
    {"application/xml", "rdfxml"},
    {"text/xml", "rdfxml"},
    {"application/n-triples", "ntriples"},
    {"application/n-quads", "nquads"},
    {NULL, NULL}};

/* Looks up the media type of a Content-Type value (parameters ignored). */
static const char *syntax_for_type(const char *ct)
{
  const char *end;
  size_t n, i;

  while (*ct && hv__text_is_ws((unsigned char)*ct))
    ct++;
  end = strchr(ct, ';');
  n = end ? (size_t)(end - ct) : strlen(ct);
  while (n > 0 && hv__text_is_ws((unsigned char)ct[n - 1]))
    n--;
  for (i = 0; media_types[i].name; i++)
    if (strlen(media_types[i].name) == n &&
        starts_ci(ct, n, media_types[i].name))
      return media_types[i].syntax;
  return NULL;
}

/*
 * Copies the text of the first <title> of an HTML page into out, with
 * runs of whitespace collapsed, or an empty string if there is none
 * within the first TITLE_SCAN bytes.
 */
static void html_title(char *out, size_t size, const char *body, size_t len)
{
  size_t n = len < TITLE_SCAN ? len : TITLE_SCAN;
  size_t at = find_ci(body, n, "<title");
  size_t end, i, o = 0;
  int space = 0;

  out[0] = '\0';
  if (at == NONE)
    return;
  while (at < n && body[at] != '>')
    at++;
  if (at >= n)
    return;
  at++;
  end = find_ci(body + at, n - at, "</title");
  end = end == NONE ? n : at + end;
  for (i = at; i < end && o < TITLE_MAX && o + 1 < size; i++) {
    unsigned char c = (unsigned char)body[i];
    if (hv__text_is_ws(c) || c < 0x20) {
      space = o > 0;
      continue;
    }
    if (space && o + 2 < size)
      out[o++] = ' ';
    space = 0;
    out[o++] = (char)(c == '"' ? '\'' : c);
  }
  out[o] = '\0';
  excerpt(out, size, out, o, o);
}

/* Skips an XML prolog, comments and a DOCTYPE; returns the next offset. */
static size_t skip_xml_misc(const char *p, size_t n, size_t i)
{
  for (;;) {
    size_t end;

    while (i < n && hv__text_is_ws((unsigned char)p[i]))
      i++;
    if (i + 1 < n && p[i] == '<' && p[i + 1] == '?')
      end = find_ci(p + i, n - i, "?>");
    else if (starts_ci(p + i, n - i, "<!--"))
      end = find_ci(p + i, n - i, "-->");
    else
      return i;
    if (end == NONE)
      return n;
    i += end + 2;
  }
}

/*
 * Reports bodies that are certainly not RDF in any syntax we read: empty,
 * binary, HTML or JSON. Returns 0 if the body may be RDF.
 */
static int refuse_non_rdf(const char *body, size_t len,
                          const char *content_type, hv_error *err)
{
  size_t start = skip_bom_ws(body, len);
  size_t n = len < SNIFF_MAX ? len : SNIFF_MAX;
  size_t i, at;
  char title[TITLE_MAX * 2];
  int json;

  if (start >= len)
    return hv_error_set(err, HV_EFORMAT, "empty body (%zu bytes%s)", len,
                        len ? " of whitespace" : "");
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)body[i];
    if (c == 0 || (c < 0x20 && !hv__text_is_ws(c))) {
      if (len >= 2 && (unsigned char)body[0] == 0x1f &&
          (unsigned char)body[1] == 0x8b)
        return hv_error_set(err, HV_EFORMAT,
                            "binary data instead of RDF (gzip-compressed "
                            "body that was not decoded)");
      return hv_error_set(err, HV_EFORMAT,
                          "binary data instead of RDF (byte 0x%02x at "
                          "offset %zu)",
                          c, i);
    }
  }
  at = skip_xml_misc(body, n, start);
  if (starts_ci(body + at, n - at, "<!doctype html") ||
      starts_ci(body + at, n - at, "<html") ||
      starts_ci(body + at, n - at, "<head") ||
      starts_ci(body + at, n - at, "<body")) {
    html_title(title, sizeof(title), body, len);
    if (title[0])
      return hv_error_set(err, HV_EFORMAT,
                          "HTML page instead of RDF (title: %s)", title);
    return hv_error_set(err, HV_EFORMAT, "HTML page instead of RDF");
  }
  json = body[start] == '{';
  if (body[start] == '[') {
    /* Turtle may open with "[ a dcat:Dataset ]", JSON with "[{". */
    at = start + 1 + skip_bom_ws(body + start + 1, len - start - 1);
    json = at < len && body[at] == '{';
  }
  if (json) {
    int ld = find_ci(body, n, "\"@context\"") != NONE ||
             (content_type && find_ci(content_type, strlen(content_type),
                                      "ld+json") != NONE);
    if (ld)
      return hv_error_set(err, HV_EFORMAT,
                          "JSON-LD is not supported yet (body is a JSON-LD "
                          "document)");
    return hv_error_set(err, HV_EFORMAT,
                        "JSON document instead of RDF (JSON-LD is not "
                        "supported yet)");
  }
  return 0;
}

/* Returns 1 if the line at p starts a Turtle directive. */
static int is_directive(const char *p, size_t n)
{
  static const char *const words[] = {"@prefix", "@base", "prefix", "base"};
  size_t i;

  for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    size_t w = strlen(words[i]);
    if (starts_ci(p, n, words[i]) && w < n && hv__text_is_ws((unsigned char)p[w]))
      return 1;
  }
  return 0;
}

/* Returns 1 if p starts with an N-Triples style <iri> (no spaces). */
static int is_iri_start(const char *p, size_t n)
{
  size_t i;
  int colon = 0;

  if (n < 3 || p[0] != '<')
    return 0;
  for (i = 1; i < n && p[i] != '>'; i++) {
    if (hv__text_is_ws((unsigned char)p[i]) || p[i] == '<' || p[i] == '"')
      return 0;
    colon |= p[i] == ':';
  }
  return i < n && colon;
}

/*
 * Returns the offset of the first line at or after `from` that starts a
 * Turtle directive, or NONE. Lines are looked at only within limit bytes.
 */
static size_t find_directive_line(const char *body, size_t len, size_t from,
                                  size_t limit)
{
  size_t i = from;

  if (limit < len)
    len = limit;
  while (i < len) {
    size_t j = i;
    while (j < len && (body[j] == ' ' || body[j] == '\t'))
      j++;
    if (is_directive(body + j, len - j))
      return i;
    while (i < len && body[i] != '\n')
      i++;
    i++;
  }
  return NONE;
}

/* Guesses the syntax from the first bytes of a body that may be RDF. */
static const char *sniff(const char *body, size_t len, hv_error *err)
{
  size_t n = len < SNIFF_MAX ? len : SNIFF_MAX;
  size_t i = skip_bom_ws(body, len);
  char ex[EXCERPT_MAX * 4];

  /* Comment lines do not tell Turtle from N-Triples; look past them. */
  while (i < n && body[i] == '#') {
    while (i < n && body[i] != '\n')
      i++;
    i += skip_bom_ws(body + i, n - i);
  }
  /* Only comments: an empty Turtle document, which parses to nothing. */
  if (i >= n)
    return "turtle";
  if (body[i] == '<') {
    if (is_iri_start(body + i, n - i))
      return "turtle";
    /* An XML prolog, rdf:RDF or a typed node element as the root. */
    return "rdfxml";
  }
  if (is_directive(body + i, n - i) || starts_ci(body + i, n - i, "_:") ||
      body[i] == '[')
    return "turtle";
  /* A line of prose before the Turtle (seen on real handover points):
   * let the parser try, it recovers from this case (see parse_turtle). */
  if (find_directive_line(body, len, i, SNIFF_MAX) != NONE)
    return "turtle";
  excerpt(ex, sizeof(ex), body + i, n - i, EXCERPT_MAX);
  hv_error_set(err, HV_EFORMAT,
               "unrecognised content, not RDF/XML, Turtle or N-Triples "
               "(starts with \"%s\")",
               ex);
  return NULL;
}

const char *hv_page_pick_syntax(const char *body, size_t len,
                                const char *content_type,
                                const char *format_hint, hv_error *err)
{
  const char *syntax;
  size_t i;

  if (!body)
    len = 0;
  if (format_hint && format_hint[0]) {
    for (i = 0; hint_names[i].name; i++)
      if (strlen(hint_names[i].name) == strlen(format_hint) &&
          starts_ci(format_hint, strlen(format_hint), hint_names[i].name))
        break;
    if (!hint_names[i].name) {
      hv_error_set(err, HV_EFORMAT,
                   "unknown format hint '%s' (expected rdfxml, turtle or "
                   "ntriples)",
                   format_hint);
      return NULL;
    }
    if (refuse_non_rdf(body, len, content_type, err) < 0)
      return NULL;
    return hint_names[i].syntax;
  }
  /* The body is checked first even when the server names an RDF type:
   * an error page served as text/turtle is still an error page. */
  if (refuse_non_rdf(body, len, content_type, err) < 0)
    return NULL;
  if (content_type && (syntax = syntax_for_type(content_type)) != NULL)
    return syntax;
  return sniff(body, len, err);
}

/* ------------------------------------------------------------------ */
/* Parsing with the prose-prefix recovery                              */
/* ------------------------------------------------------------------ */

/* Returns the line number of a "line N: ..." parse message, or 0. */
static long error_line(const hv_error *err)
{
  if (strncmp(err->msg, "line ", 5) != 0)
    return 0;
  return strtol(err->msg + 5, NULL, 10);
}

/* Counts the lines that start before offset off. */
static long line_of(const char *body, size_t off)
{
  long line = 1;
  size_t i;

  for (i = 0; i < off; i++)
    line += body[i] == '\n';
  return line;
}

/* Returns 1 if the line at p is empty, blank or a comment. */
static int is_blank_or_comment(const char *p, size_t n)
{
  size_t i = 0;

  while (i < n && (p[i] == ' ' || p[i] == '\t'))
    i++;
  return i >= n || p[i] == '#' || p[i] == '\n' || p[i] == '\r';
}

int hv__page_warn(hv_page *page, hv_error *err, const char *fmt, ...)
{
  hv_buf b = HV_BUF_INIT(4096);
  char line[HV_ERROR_MSG_MAX];
  va_list ap;
  int rc;

  va_start(ap, fmt);
  vsnprintf(line, sizeof(line), fmt, ap);
  va_end(ap);
  if ((page->warning && (rc = hv_buf_addf(&b, "%s; ", page->warning)) < 0) ||
      (rc = hv_buf_addstr(&b, line)) < 0) {
    hv_buf_fini(&b);
    return rc == HV_ENOMEM ? hv_error_oom(err) : 0;
  }
  hv_free(page->warning);
  if (!(page->warning = hv_buf_detach(&b, NULL)))
    return hv_error_oom(err);
  return 0;
}

/*
 * Parses with raptor, mending terms that are not clean text (NUL bytes,
 * malformed UTF-8) instead of failing the page, and says so in the
 * page's warning.
 */
static int parse_rdf(hv_page *page, hv_graph *g, const char *syntax,
                     const char *data, size_t len, const char *base,
                     hv_error *err)
{
  hv_rdf_repairs repairs = {0, -1};
  int rc = hv_rdf_parse_repairing(g, syntax, data, len, base, &repairs, err);

  if (rc == 0 && repairs.terms)
    rc = hv__page_warn(page, err,
                     "%zu statement%s had NUL bytes or malformed UTF-8, "
                     "replaced by U+FFFD (first on line %ld)",
                     repairs.terms, repairs.terms == 1 ? "" : "s",
                     repairs.first_line);
  return rc;
}

/*
 * Parses a Turtle page. Some handover points put a line of prose ("Export
 * vom 03.02.2024") before the first @prefix. If parsing fails before the
 * first directive line, that prose is turned into comments in a copy of
 * the body and parsing is retried once; line numbers in later errors still
 * match the original body, and the page carries a warning.
 */
static int parse_turtle(hv_page *page, hv_graph *g, const char *body,
                        size_t len, const char *base, hv_error *err)
{
  hv_buf copy = HV_BUF_INIT(len * 2 + 64);
  size_t dir, i, line_start;
  long bad, dir_line, skipped = 0;
  char ex[EXCERPT_MAX * 4];
  int rc;

  rc = parse_rdf(page, g, "turtle", body, len, base, err);
  if (rc != HV_EPARSE)
    goto cleanup;
  dir = find_directive_line(body, len, 0, len);
  bad = error_line(err);
  if (dir == NONE || dir == 0 || bad <= 0 ||
      bad >= (dir_line = line_of(body, dir)))
    goto cleanup;

  i = skip_bom_ws(body, dir);
  excerpt(ex, sizeof(ex), body + i, dir - i, EXCERPT_MAX);
  line_start = 1;
  rc = 0;
  for (i = 0; i < dir && rc == 0; i++) {
    if (line_start && !is_blank_or_comment(body + i, dir - i)) {
      rc = hv_buf_addc(&copy, '#');
      skipped++;
    }
    if (rc == 0)
      rc = hv_buf_addc(&copy, body[i]);
    line_start = body[i] == '\n';
  }
  if (rc < 0 || hv_buf_add(&copy, body + dir, len - dir) < 0) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  hv_graph_fini(g);
  hv_error_clear(err);
  if ((rc = parse_rdf(page, g, "turtle", copy.ptr, copy.len, base, err)) <
      0)
    goto cleanup;
  rc = hv__page_warn(page, err,
                   "skipped %ld line%s of text before the first Turtle "
                   "directive on line %ld (starts with \"%s\")",
                   skipped, skipped == 1 ? "" : "s", dir_line, ex);

cleanup:
  hv_buf_fini(&copy);
  return rc;
}

int hv__page_parse(hv_page *page, hv_graph *g, const char *syntax,
                   const char *body, size_t len, const char *base,
                   hv_error *err)
{
  if (strcmp(syntax, "turtle") == 0)
    return parse_turtle(page, g, body, len, base, err);
  return parse_rdf(page, g, syntax, body, len, base, err);
}
