/*
 * A set of strings with open addressing, owning copies of its keys.
 * Used for the per-source visited set of page URLs, where A→B→A paging
 * loops must stop, and for other small membership checks.
 */
#ifndef HV_UTIL_STRSET_H
#define HV_UTIL_STRSET_H

#include <stddef.h>

typedef struct hv_strset {
  char **slots; /* NULL or an owned key */
  size_t cap;   /* power of two, or 0 before the first add */
  size_t len;
} hv_strset;

#define HV_STRSET_INIT {NULL, 0, 0}

void hv_strset_fini(hv_strset *set);

/* Returns 1 if key is in the set, else 0. */
int hv_strset_has(const hv_strset *set, const char *key);

/* Adds a copy of key. Returns 1 if added, 0 if present, HV_ENOMEM. */
int hv_strset_add(hv_strset *set, const char *key);

#endif
