/*
 * SHA-256 through nettle (see hash.h).
 */
#include "util/hash.h"

#include <nettle/sha2.h>

void hv_sha256_hex(const void *data, size_t len,
                   char out[HV_SHA256_HEX_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  struct sha256_ctx ctx;
  unsigned char digest[SHA256_DIGEST_SIZE];
  size_t i;

  sha256_init(&ctx);
  sha256_update(&ctx, len, data);
  sha256_digest(&ctx, sizeof(digest), digest);
  for (i = 0; i < sizeof(digest); i++) {
    out[2 * i] = hex[digest[i] >> 4];
    out[2 * i + 1] = hex[digest[i] & 15];
  }
  out[HV_SHA256_HEX_LEN] = '\0';
}

uint64_t hv_hash_str(const char *s)
{
  uint64_t h = 1469598103934665603ull;

  for (; *s; s++) {
    h ^= (unsigned char)*s;
    h *= 1099511628211ull;
  }
  return h;
}
