/*
 * Error codes and the error record that travels with every fallible call.
 *
 * Every fallible function returns int: 0 on success, a negative HV_E*
 * code on failure, and fills the caller's hv_error with a one-line message
 * naming what was wrong and where. The record lives in the caller's frame
 * or job, never in a global, so concurrent jobs never overwrite each
 * other's causes, and reporting out-of-memory cannot itself fail.
 */
#ifndef HV_UTIL_ERROR_H
#define HV_UTIL_ERROR_H

#include <stdarg.h>

#define HV_ERR_MAP(XX)                                                   \
  XX(ENOMEM, -1, "out of memory")                                        \
  XX(EINVAL, -2, "invalid argument")                                     \
  XX(EIO, -3, "I/O error")                                               \
  XX(EHTTP, -4, "HTTP error")                                            \
  XX(ETIMEDOUT, -5, "timed out")                                         \
  XX(ECONNECT, -6, "connection failed")                                  \
  XX(ETOOBIG, -7, "too big")                                             \
  XX(EPARSE, -8, "parse error")                                          \
  XX(EFORMAT, -9, "unsupported or unrecognised format")                  \
  XX(EMAP, -10, "mapping error")                                         \
  XX(ESTORE, -11, "store error")                                         \
  XX(ENOTFOUND, -12, "not found")                                        \
  XX(EEXISTS, -13, "already exists")                                     \
  XX(EPOLICY, -14, "refused by policy")                                  \
  XX(ECANCELED, -15, "operation canceled")                               \
  XX(ELIMIT, -16, "limit reached")                                       \
  XX(ESINK, -17, "sink error")

typedef enum hv_errno {
  HV_OK = 0,
#define XX(name, value, text) HV_##name = value,
  HV_ERR_MAP(XX)
#undef XX
} hv_errno;

#define HV_ERROR_MSG_MAX 512

typedef struct hv_error {
  int code;                   /* HV_OK or a negative HV_E* value */
  char msg[HV_ERROR_MSG_MAX]; /* one line, NUL-terminated, never malloc'd */
} hv_error;

#define HV_ERROR_INIT {HV_OK, {0}}

/* Returns the fixed description of code ("out of memory"). */
const char *hv_strerror(int code);

/* Returns the symbolic name of code ("HV_ENOMEM"). */
const char *hv_err_name(int code);

/*
 * Records code and a printf-style message in err (which may be NULL) and
 * returns code, so that callers can write `return hv_error_set(...)`.
 */
int hv_error_set(hv_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The format attribute lets clang check callers' formats and accept the
 * non-literal one passed on to vsnprintf here. */
int hv_error_vset(hv_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Prepends context ("source by-berlin: ") to a message already in err,
 * keeping its code. Used once at a boundary, never layer by layer.
 */
void hv_error_prefix(hv_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Resets err to HV_OK with an empty message. */
void hv_error_clear(hv_error *err);

/* Sets HV_ENOMEM with a static message; cannot fail. */
int hv_error_oom(hv_error *err);

#endif
