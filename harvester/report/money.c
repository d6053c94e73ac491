/*
 * Money in integer cents: splitting a total into shares that add up to
 * it exactly, and printing cents as euros.
 *
 * Why largest share_rest: rounding every share on its own can lose or
 * invent a cent per payer, and a bill whose parts do not add up to its
 * total is not one anybody can sign. Flooring every exact quota leaves
 * fewer than n cents over; handing them out by the largest fractional
 * part moves no share by a cent or more from its quota, and breaking
 * ties by index (state key order) makes the result reproducible.
 */
#include "report/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/alloc.h"

typedef struct share_rest {
  double frac;
  size_t index;
} share_rest;

/* Largest fraction first, then lower index. */
static int by_remainder(const void *a, const void *b)
{
  const share_rest *x = a, *y = b;

  if (x->frac != y->frac)
    return x->frac < y->frac ? 1 : -1;
  return (x->index > y->index) - (x->index < y->index);
}

int hv_money_allocate(int64_t total_cents, const double *weights, size_t n,
                      int64_t *out, hv_error *err)
{
  share_rest *rem = NULL;
  long double sum = 0, quota;
  int64_t given = 0, left;
  size_t i;
  int rc = 0;

  if (total_cents < 0)
    return hv_error_set(err, HV_EINVAL, "allocation: the total is negative");
  for (i = 0; i < n; i++) {
    if (!isfinite(weights[i]) || weights[i] < 0)
      return hv_error_set(err, HV_EINVAL,
                          "allocation: weight %zu is not a non-negative "
                          "number", i);
    sum += weights[i];
  }
  if (!(sum > 0))
    return hv_error_set(err, HV_EINVAL,
                        "allocation: every weight is zero, nothing to "
                        "allocate by");
  if (!(rem = hv_calloc(n, sizeof(*rem))))
    return hv_error_oom(err);
  for (i = 0; i < n; i++) {
    quota = (long double)total_cents * weights[i] / sum;
    out[i] = (int64_t)floorl(quota);
    /* Rounding error can put a quota a hair above its true value. */
    if (out[i] > total_cents)
      out[i] = total_cents;
    rem[i].frac = (double)(quota - (long double)out[i]);
    rem[i].index = i;
    given += out[i];
  }
  qsort(rem, n, sizeof(*rem), by_remainder);
  left = total_cents - given;
  /*
   * In exact arithmetic 0 <= left < n; the loops keep the sum exact even
   * if floating point rounding strays from that by a cent.
   */
  for (i = 0; left > 0; i = (i + 1) % n) {
    if (weights[rem[i].index] > 0) {
      out[rem[i].index]++;
      left--;
    }
  }
  /* Taking back goes from the smallest share_rest up. */
  for (i = n; left < 0;) {
    i = (i == 0 ? n : i) - 1;
    if (out[rem[i].index] > 0) {
      out[rem[i].index]--;
      left++;
    }
  }
  hv_free(rem);
  return rc;
}

void hv_money_format(char *buf, size_t cap, int64_t cents)
{
  uint64_t abs = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;

  snprintf(buf, cap, "%s%llu.%02llu", cents < 0 ? "-" : "",
           (unsigned long long)(abs / 100), (unsigned long long)(abs % 100));
}
