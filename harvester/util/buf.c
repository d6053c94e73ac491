/*
 * Bounded growable buffer (see buf.h). Growth doubles, clamped to the cap
 * plus the terminating NUL, so a buffer never allocates past its bound.
 */
#include "util/buf.h"

#include "util/alloc.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

void hv_buf_init(hv_buf *b, size_t max)
{
  b->ptr = NULL;
  b->len = 0;
  b->cap = 0;
  b->max = max;
}

void hv_buf_fini(hv_buf *b)
{
  hv_free(b->ptr);
  b->ptr = NULL;
  b->len = 0;
  b->cap = 0;
}

void hv_buf_reset(hv_buf *b)
{
  b->len = 0;
  if (b->ptr)
    b->ptr[0] = '\0';
}

static int ensure(hv_buf *b, size_t extra)
{
  size_t need, cap;
  char *p;

  if (extra > b->max || b->len > b->max - extra)
    return HV_ETOOBIG;
  need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  cap = b->cap ? b->cap : 256;
  while (cap < need)
    cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
  if (cap > b->max + 1)
    cap = b->max + 1;
  p = hv_realloc(b->ptr, cap);
  if (!p)
    return HV_ENOMEM;
  b->ptr = p;
  b->cap = cap;
  return 0;
}

int hv_buf_grow(hv_buf *b, size_t extra)
{
  int rc = ensure(b, extra);

  if (rc == 0)
    b->ptr[b->len] = '\0';
  return rc;
}

int hv_buf_add(hv_buf *b, const void *data, size_t len)
{
  int rc;

  if ((rc = ensure(b, len)) < 0)
    return rc;
  if (len)
    memcpy(b->ptr + b->len, data, len);
  b->len += len;
  b->ptr[b->len] = '\0';
  return 0;
}

int hv_buf_addstr(hv_buf *b, const char *s)
{
  return hv_buf_add(b, s, strlen(s));
}

int hv_buf_addc(hv_buf *b, char c)
{
  return hv_buf_add(b, &c, 1);
}

int hv_buf_addf(hv_buf *b, const char *fmt, ...)
{
  va_list ap;
  int n, rc;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return HV_EINVAL;
  if ((rc = ensure(b, (size_t)n)) < 0)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

char *hv_buf_detach(hv_buf *b, size_t *len_out)
{
  char *p = b->ptr;

  if (!p)
    p = hv_strdup("");
  if (len_out)
    *len_out = p ? b->len : 0;
  b->ptr = NULL;
  b->len = 0;
  b->cap = 0;
  return p;
}
