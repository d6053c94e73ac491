/*
 * Compression of stored payloads (zstd). Canonical N-Triples repeat the
 * same IRIs over and over; zstd at its fastest level shrinks them about
 * eightfold for a few microseconds a kilobyte, which is far cheaper than
 * writing them to the store's log and file uncompressed.
 */
#ifndef HV_UTIL_COMPRESS_H
#define HV_UTIL_COMPRESS_H

#include <stddef.h>

#include "util/buf.h"
#include "util/error.h"

/* Appends one zstd frame holding src[0..len) to out. */
int hv_compress(hv_buf *out, const void *src, size_t len, hv_error *err);

/*
 * Appends the content of the zstd frame src[0..len) to out (whose cap
 * bounds the result). Returns 0, HV_EPARSE for a damaged frame,
 * HV_ETOOBIG, HV_ENOMEM.
 */
int hv_decompress(hv_buf *out, const void *src, size_t len, hv_error *err);

#endif
