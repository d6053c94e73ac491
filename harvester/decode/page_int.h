/*
 * Internals shared by decode/syntax.c (reading a body) and decode/page.c
 * (paging and split). Nothing outside harvester/decode includes this.
 */
#ifndef HV_DECODE_PAGE_INT_H
#define HV_DECODE_PAGE_INT_H

#include <stddef.h>

#include "decode/page.h"
#include "model/graph.h"
#include "util/error.h"

/* Returns 1 for ASCII whitespace. */
int hv__text_is_ws(unsigned char c);

/* Returns the length of the Unicode space (NBSP and kin) at p, or 0. */
size_t hv__text_unicode_space(const char *p, size_t n);

/* Appends one line to the page's warning, "; "-separated. */
int hv__page_warn(hv_page *page, hv_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Parses body as `syntax` into g, mending what portals commonly get wrong
 * (a line of text before the Turtle; mis-encoded bytes in a term) and
 * recording each repair in the page's warning. Returns 0, HV_EPARSE,
 * HV_EFORMAT or HV_ENOMEM.
 */
int hv__page_parse(hv_page *page, hv_graph *g, const char *syntax,
                   const char *body, size_t len, const char *base,
                   hv_error *err);

#endif
