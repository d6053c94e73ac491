/*
 * A growable byte buffer with a hard upper bound.
 *
 * Every buffer that holds outside input (a response body, a decoded page)
 * has a cap chosen by its owner; growing past it fails with HV_ETOOBIG
 * instead of eating the machine's memory. The content is always
 * NUL-terminated so text consumers can use it directly.
 */
#ifndef HV_UTIL_BUF_H
#define HV_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct hv_buf {
  char *ptr;  /* content, NUL-terminated; NULL until first add */
  size_t len; /* bytes of content, without the NUL */
  size_t cap; /* bytes allocated */
  size_t max; /* hard cap on len */
} hv_buf;

#define HV_BUF_INIT(max) {NULL, 0, 0, (max)}

void hv_buf_init(hv_buf *b, size_t max);
void hv_buf_fini(hv_buf *b); /* frees the content; b can be reused */
void hv_buf_reset(hv_buf *b); /* keeps the allocation, empties the content */

/*
 * Makes room for extra more bytes (plus the NUL) without changing the
 * content, so a producer can write into ptr + len directly. Returns 0,
 * HV_ENOMEM or HV_ETOOBIG.
 */
int hv_buf_grow(hv_buf *b, size_t extra);

/* Appends len bytes. Returns 0, HV_ENOMEM or HV_ETOOBIG (b unchanged). */
int hv_buf_add(hv_buf *b, const void *data, size_t len);
int hv_buf_addstr(hv_buf *b, const char *s);
int hv_buf_addc(hv_buf *b, char c);
int hv_buf_addf(hv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Hands the content to the caller (free with hv_free) and empties b.
 * Returns an empty string, not NULL, for an empty buffer; NULL on OOM.
 */
char *hv_buf_detach(hv_buf *b, size_t *len_out);

#endif
