/*
 * SHA-256 helpers (nettle) for content hashes and the canonical dataset
 * hash. Hex digests are lowercase, 64 characters plus NUL.
 */
#ifndef HV_UTIL_HASH_H
#define HV_UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HV_SHA256_HEX_LEN 64

/* Writes the hex SHA-256 of data into out (HV_SHA256_HEX_LEN + 1 bytes). */
void hv_sha256_hex(const void *data, size_t len,
                   char out[HV_SHA256_HEX_LEN + 1]);

/* FNV-1a of a NUL-terminated string, for in-memory hash tables. */
uint64_t hv_hash_str(const char *s);

#endif
