/*
 * Five-field cron expressions for the scheduler (see serve.h): a parser
 * into bit sets and a search for the next matching minute.
 *
 * The search walks calendar fields rather than minutes: a day that does
 * not match skips to the next midnight, an hour to the next full hour, so
 * finding "once a year" costs a few hundred steps, not half a million.
 * All times are UTC (timegm), so there are no daylight-saving gaps.
 */
#include "serve/serve.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct field_spec {
  const char *name;
  int min, max;
  const char *const *names; /* names for min.., or NULL */
} field_spec;

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec", NULL};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed",
                                         "thu", "fri", "sat", NULL};

static const field_spec fields[5] = {
    {"minute", 0, 59, NULL},   {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL}, {"month", 1, 12, month_names},
    {"day of week", 0, 7, wday_names}};

/* Reads a number or a name of f at *p; returns 0 or -1. */
static int read_value(const char **p, const field_spec *f, int *out)
{
  const char *s = *p;
  int i;

  if (isdigit((unsigned char)*s)) {
    long v = 0;
    while (isdigit((unsigned char)*s) && v < 1000)
      v = v * 10 + (*s++ - '0');
    *out = (int)v;
    *p = s;
    return 0;
  }
  if (f->names) {
    for (i = 0; f->names[i]; i++) {
      if (strncasecmp(s, f->names[i], 3) == 0 &&
          !isalpha((unsigned char)s[3])) {
        *out = f->min + i;
        *p = s + 3;
        return 0;
      }
    }
  }
  return -1;
}

/* Parses one field text (NUL-terminated) into bits. */
static int parse_field(const char *expr, const char *text,
                       const field_spec *f, uint64_t *bits, int *any,
                       hv_error *err)
{
  const char *p = text;

  *bits = 0;
  *any = strcmp(text, "*") == 0;
  for (;;) {
    int lo, hi, step = 1, v;

    if (*p == '*') {
      lo = f->min;
      hi = f->max;
      p++;
    } else {
      if (read_value(&p, f, &lo) < 0)
        return hv_error_set(err, HV_EINVAL,
                            "cron '%s': %s '%s' is not a number, range or "
                            "list",
                            expr, f->name, text);
      hi = lo;
      if (*p == '-') {
        p++;
        if (read_value(&p, f, &hi) < 0)
          return hv_error_set(err, HV_EINVAL,
                              "cron '%s': %s '%s' has a range without an "
                              "end",
                              expr, f->name, text);
      }
    }
    if (*p == '/') {
      long s = 0;
      p++;
      if (!isdigit((unsigned char)*p))
        return hv_error_set(err, HV_EINVAL,
                            "cron '%s': %s '%s' has a step that is not a "
                            "number",
                            expr, f->name, text);
      while (isdigit((unsigned char)*p) && s < 1000)
        s = s * 10 + (*p++ - '0');
      if (s < 1 || s > f->max)
        return hv_error_set(err, HV_EINVAL,
                            "cron '%s': %s step %ld is out of range 1-%d",
                            expr, f->name, s, f->max);
      step = (int)s;
      *any = 0;
    }
    if (lo < f->min || lo > f->max || hi < f->min || hi > f->max)
      return hv_error_set(err, HV_EINVAL,
                          "cron '%s': %s %d is out of range %d-%d", expr,
                          f->name, lo < f->min || lo > f->max ? lo : hi,
                          f->min, f->max);
    if (lo > hi)
      return hv_error_set(err, HV_EINVAL,
                          "cron '%s': %s range %d-%d runs backwards", expr,
                          f->name, lo, hi);
    for (v = lo; v <= hi; v += step)
      *bits |= (uint64_t)1 << v;
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p != '\0')
      return hv_error_set(err, HV_EINVAL,
                          "cron '%s': %s '%s' has an unexpected '%c'", expr,
                          f->name, text, *p);
    return 0;
  }
}

int hv_cron_parse(hv_cron *out, const char *expr, hv_error *err)
{
  static const struct {
    const char *name, *expr;
  } macros[] = {{"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},
                {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
                {"@monthly", "0 0 1 * *"},  {"@yearly", "0 0 1 1 *"},
                {"@annually", "0 0 1 1 *"}};
  char text[5][32];
  const char *p, *src = expr;
  uint64_t bits[5];
  int any[5], rc;
  size_t i, n = 0;
  hv_cron c;

  if (!expr)
    return hv_error_set(err, HV_EINVAL, "cron expression is missing");
  for (i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
    if (strcmp(expr, macros[i].name) == 0)
      src = macros[i].expr;
  }
  p = src;
  for (;;) {
    size_t len = 0;
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    if (n == 5)
      return hv_error_set(err, HV_EINVAL,
                          "cron '%.80s' has more than 5 fields (minute hour "
                          "day-of-month month day-of-week)",
                          expr);
    while (p[len] && p[len] != ' ' && p[len] != '\t')
      len++;
    if (len >= sizeof(text[0]))
      return hv_error_set(err, HV_EINVAL, "cron '%.80s': field %zu is too "
                          "long", expr, n + 1);
    memcpy(text[n], p, len);
    text[n][len] = '\0';
    p += len;
    n++;
  }
  if (n != 5)
    return hv_error_set(err, HV_EINVAL,
                        "cron '%.80s' has %zu fields, needs 5 (minute hour "
                        "day-of-month month day-of-week)",
                        expr, n);
  for (i = 0; i < 5; i++) {
    if ((rc = parse_field(expr, text[i], &fields[i], &bits[i], &any[i],
                          err)) < 0)
      return rc;
  }
  memset(&c, 0, sizeof(c));
  c.minutes = bits[0];
  c.hours = (uint32_t)bits[1];
  c.mdays = (uint32_t)bits[2];
  c.months = (uint16_t)bits[3];
  /* 7 is Sunday as well as 0. */
  c.wdays = (uint8_t)((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
  c.mday_any = any[2];
  c.wday_any = any[4];
  *out = c;
  return 0;
}

static int day_matches(const hv_cron *c, const struct tm *tm)
{
  int md = (c->mdays >> tm->tm_mday) & 1;
  int wd = (c->wdays >> tm->tm_wday) & 1;

  if (c->mday_any && c->wday_any)
    return 1;
  if (c->mday_any)
    return wd;
  if (c->wday_any)
    return md;
  return md || wd;
}

int64_t hv_cron_next(const hv_cron *c, int64_t after)
{
  int64_t t = (after / 60 + 1) * 60, limit = after + 5LL * 366 * 86400;
  struct tm tm;
  time_t tt;

  while (t <= limit) {
    tt = (time_t)t;
    gmtime_r(&tt, &tm);
    if (!((c->months >> (tm.tm_mon + 1)) & 1)) {
      /* To the first day of the next month. */
      tm.tm_mon++;
      tm.tm_mday = 1;
      tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
      t = (int64_t)timegm(&tm);
      continue;
    }
    if (!day_matches(c, &tm)) {
      t += 86400 - (tm.tm_hour * 3600 + tm.tm_min * 60);
      continue;
    }
    if (!((c->hours >> tm.tm_hour) & 1)) {
      t += 3600 - tm.tm_min * 60;
      continue;
    }
    if (!((c->minutes >> tm.tm_min) & 1)) {
      t += 60;
      continue;
    }
    return t;
  }
  return -1;
}
