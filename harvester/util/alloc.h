/*
 * The project's allocator. All of govharvest's own allocations go through
 * these functions so that tests can make the Nth allocation fail and check
 * that every path reports a clean error and leaks nothing. Memory from
 * libraries is released with that library's own free function.
 */
#ifndef HV_UTIL_ALLOC_H
#define HV_UTIL_ALLOC_H

#include <stddef.h>

void *hv_malloc(size_t size);
void *hv_calloc(size_t count, size_t size);
void *hv_realloc(void *ptr, size_t size);
void hv_free(void *ptr); /* NULL-safe */

/* Returns a copy of s (NULL for NULL) owned by the caller. */
char *hv_strdup(const char *s);
/* Returns a NUL-terminated copy of the first n bytes of s. */
char *hv_strndup(const char *s, size_t n);

/*
 * Test hook: after `n` more successful allocations, every allocation
 * fails until hv_alloc_fail_reset(). n < 0 disables failure injection.
 */
void hv_alloc_fail_after(long n);
void hv_alloc_fail_reset(void);

#endif
