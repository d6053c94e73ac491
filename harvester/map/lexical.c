/*
 * The date syntax shared by the mapping and the check (see lexical.h).
 * Both must agree on what a time zone is, or a date the mapping wrote
 * could be judged malformed by the check.
 */
#include "map/lexical.h"

#include <string.h>

#include "decode/page.h"

int hv__lex_digits(const char **s, int n, int *v)
{
  int i;

  *v = 0;
  for (i = 0; i < n; i++) {
    if ((*s)[i] < '0' || (*s)[i] > '9')
      return 0;
    *v = *v * 10 + ((*s)[i] - '0');
  }
  *s += n;
  return 1;
}

int hv__lex_zone(const char **s)
{
  int h, mi;

  if (**s == 'Z') {
    (*s)++;
    return 1;
  }
  if (**s != '+' && **s != '-')
    return 1;
  (*s)++;
  if (!hv__lex_digits(s, 2, &h) || **s != ':')
    return 0;
  (*s)++;
  if (!hv__lex_digits(s, 2, &mi))
    return 0;
  return mi < 60 && (h < 14 || (h == 14 && mi == 0));
}

int hv__lex_time(const char **s, int *h, int *mi, int *sec)
{
  const char *p = *s;

  if (!hv__lex_digits(&p, 2, h) || *p++ != ':' || !hv__lex_digits(&p, 2, mi) ||
      *p++ != ':' || !hv__lex_digits(&p, 2, sec) || *mi > 59 || *sec > 59)
    return 0;
  if (*p == '.') {
    p++;
    if (*p < '0' || *p > '9')
      return 0;
    while (*p >= '0' && *p <= '9')
      p++;
  }
  *s = p;
  return 1;
}

int hv__lex_is_date_pred(const char *pred)
{
  return strcmp(pred, HV_DCT "modified") == 0 ||
         strcmp(pred, HV_DCT "issued") == 0 ||
         strcmp(pred, HV_DCAT "startDate") == 0 ||
         strcmp(pred, HV_DCAT "endDate") == 0;
}
