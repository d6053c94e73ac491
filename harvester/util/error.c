/*
 * The error table and the fixed-size error record (see error.h).
 */
#include "util/error.h"

#include <stdio.h>
#include <string.h>

const char *hv_strerror(int code)
{
  switch (code) {
  case HV_OK:
    return "success";
#define XX(name, value, text) \
  case HV_##name:             \
    return text;
    HV_ERR_MAP(XX)
#undef XX
  }
  return "unknown error";
}

const char *hv_err_name(int code)
{
  switch (code) {
  case HV_OK:
    return "HV_OK";
#define XX(name, value, text) \
  case HV_##name:             \
    return "HV_" #name;
    HV_ERR_MAP(XX)
#undef XX
  }
  return "HV_UNKNOWN";
}

int hv_error_vset(hv_error *err, int code, const char *fmt, va_list ap)
{
  if (err) {
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
  }
  return code;
}

int hv_error_set(hv_error *err, int code, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  hv_error_vset(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void hv_error_prefix(hv_error *err, const char *fmt, ...)
{
  char joined[HV_ERROR_MSG_MAX];
  size_t used;
  va_list ap;
  int n;

  if (!err)
    return;
  va_start(ap, fmt);
  n = vsnprintf(joined, sizeof(joined), fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  used = (size_t)n < sizeof(joined) ? (size_t)n : sizeof(joined) - 1;
  /* The message is cut, never the prefix: the context says where. */
  memcpy(joined + used, err->msg,
         strnlen(err->msg, sizeof(joined) - 1 - used));
  joined[used + strnlen(err->msg, sizeof(joined) - 1 - used)] = '\0';
  memcpy(err->msg, joined, sizeof(err->msg));
}

void hv_error_clear(hv_error *err)
{
  if (err) {
    err->code = HV_OK;
    err->msg[0] = '\0';
  }
}

int hv_error_oom(hv_error *err)
{
  return hv_error_set(err, HV_ENOMEM, "out of memory");
}
