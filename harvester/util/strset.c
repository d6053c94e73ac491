/*
 * String set (see strset.h). FNV-1a hashing and linear probing; the table
 * doubles at half full, which keeps probes short for the few thousand
 * URLs a source has.
 */
#include "util/strset.h"

#include <stdint.h>
#include <string.h>

#include "util/alloc.h"
#include "util/hash.h"
#include "util/error.h"

void hv_strset_fini(hv_strset *set)
{
  size_t i;

  for (i = 0; i < set->cap; i++)
    hv_free(set->slots[i]);
  hv_free(set->slots);
  set->slots = NULL;
  set->cap = 0;
  set->len = 0;
}

static size_t find_slot(char **slots, size_t cap, const char *key)
{
  size_t i = (size_t)hv_hash_str(key) & (cap - 1);

  while (slots[i] && strcmp(slots[i], key) != 0)
    i = (i + 1) & (cap - 1);
  return i;
}

int hv_strset_has(const hv_strset *set, const char *key)
{
  if (!set->cap)
    return 0;
  return set->slots[find_slot(set->slots, set->cap, key)] != NULL;
}

static int grow(hv_strset *set)
{
  size_t cap = set->cap ? set->cap * 2 : 16;
  char **slots = hv_calloc(cap, sizeof(*slots));
  size_t i;

  if (!slots)
    return HV_ENOMEM;
  for (i = 0; i < set->cap; i++) {
    if (set->slots[i])
      slots[find_slot(slots, cap, set->slots[i])] = set->slots[i];
  }
  hv_free(set->slots);
  set->slots = slots;
  set->cap = cap;
  return 0;
}

int hv_strset_add(hv_strset *set, const char *key)
{
  size_t i;
  char *copy;

  if (hv_strset_has(set, key))
    return 0;
  if ((set->len + 1) * 2 > set->cap && grow(set) < 0)
    return HV_ENOMEM;
  if (!(copy = hv_strdup(key)))
    return HV_ENOMEM;
  i = find_slot(set->slots, set->cap, key);
  set->slots[i] = copy;
  set->len++;
  return 1;
}
