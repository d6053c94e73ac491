/*
 * Allocation wrappers with failure injection for the OOM tests.
 *
 * The countdown is an atomic so that thread-pool work sharing the
 * allocator sees one consistent budget; production runs never set it.
 */
#include "util/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;

static int should_fail(void)
{
  long left = atomic_load(&fail_countdown);

  if (left < 0)
    return 0;
  if (left == 0)
    return 1;
  atomic_fetch_sub(&fail_countdown, 1);
  return 0;
}

void *hv_malloc(size_t size)
{
  if (should_fail())
    return NULL;
  return malloc(size ? size : 1);
}

void *hv_calloc(size_t count, size_t size)
{
  if (should_fail())
    return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}

void *hv_realloc(void *ptr, size_t size)
{
  if (should_fail())
    return NULL;
  return realloc(ptr, size ? size : 1);
}

void hv_free(void *ptr)
{
  free(ptr);
}

char *hv_strndup(const char *s, size_t n)
{
  char *copy;

  if (!s)
    return NULL;
  copy = hv_malloc(n + 1);
  if (!copy)
    return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

char *hv_strdup(const char *s)
{
  return s ? hv_strndup(s, strlen(s)) : NULL;
}

void hv_alloc_fail_after(long n)
{
  atomic_store(&fail_countdown, n);
}

void hv_alloc_fail_reset(void)
{
  atomic_store(&fail_countdown, -1);
}
