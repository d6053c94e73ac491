/*
 * The cost model file and the key table it may name (the format of both
 * is documented in profiles/cost/README.md), and the names of the states
 * and metrics they use.
 *
 * Both are line-oriented, one directive per line, so that every mistake
 * can be reported as "FILE:LINE: reason" and a reviewer can read the
 * model that produced a bill without knowing the program.
 */
#include "report/report.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/file.h"

#define MAX_MODEL ((size_t)1 << 20)
#define MAX_TOKENS 20

static const char *const state_keys[HV_N_STATES] = {
    "01", "02", "03", "04", "05", "06", "07", "08", "09",
    "10", "11", "12", "13", "14", "15", "16", "bund"};

static const char *const metric_names[HV_METRIC_COUNT] = {
    "endpoints", "datasets_held", "requests", "bytes",
    "runs", "pages", "distributions"};

static const char *const price_names[HV_PRICE_COUNT] = {
    "base", "endpoint", "datasets_1000", "gb", "run"};

int hv_state_slot(const char *key)
{
  int i;

  for (i = 0; key && i < HV_N_STATES; i++) {
    if (strcmp(state_keys[i], key) == 0)
      return i;
  }
  return -1;
}

const char *hv_state_key(int slot)
{
  return slot >= 0 && slot < HV_N_STATES ? state_keys[slot] : "";
}

const char *hv_metric_name(hv_metric m)
{
  return (int)m >= 0 && m < HV_METRIC_COUNT ? metric_names[m] : NULL;
}

double hv_metric_value(const hv_volume *v, hv_metric m)
{
  switch (m) {
  case HV_METRIC_ENDPOINTS: return (double)v->sources_harvested;
  case HV_METRIC_DATASETS_HELD: return v->datasets_held_avg;
  case HV_METRIC_REQUESTS: return (double)v->counts.requests;
  case HV_METRIC_BYTES: return (double)v->counts.bytes;
  case HV_METRIC_RUNS: return (double)v->runs;
  case HV_METRIC_PAGES: return (double)v->counts.pages_fetched;
  case HV_METRIC_DISTRIBUTIONS: return (double)v->counts.distributions;
  default: return 0;
  }
}

/* ---- lexical helpers ---------------------------------------------------- */

/*
 * Splits line (modified in place) at blanks into at most MAX_TOKENS
 * tokens, stopping at a '#' that starts a token. Returns the count, or
 * -1 when there are too many.
 */
static int tokenize(char *line, char **tok)
{
  int n = 0;
  char *p = line;

  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r')
      *p++ = '\0';
    if (!*p || *p == '#')
      break;
    if (n == MAX_TOKENS)
      return -1;
    tok[n++] = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\r')
      p++;
  }
  *p = '\0';
  return n;
}

/* Parses YYYY-MM-DD as UTC midnight; 0 or -1. */
static int parse_date(const char *s, int64_t *out)
{
  struct tm tm;
  int y, mo, d;
  char tail;
  time_t t;

  if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3)
    return -1;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  t = timegm(&tm);
  /* timegm normalises 2026-02-30; a real date survives unchanged. */
  if (tm.tm_year != y - 1900 || tm.tm_mon != mo - 1 || tm.tm_mday != d)
    return -1;
  *out = (int64_t)t;
  return 0;
}

/* Parses a non-negative amount with at most two decimals into cents. */
static int parse_cents(const char *s, int64_t *out)
{
  int64_t v = 0;
  int decimals = -1;

  if (!*s)
    return -1;
  for (; *s; s++) {
    if (*s == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (!isdigit((unsigned char)*s) || decimals == 2 ||
        v > (INT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (*s - '0');
    if (decimals >= 0)
      decimals++;
  }
  if (decimals == 0)
    return -1; /* "12." */
  while (decimals < 2) {
    if (v > INT64_MAX / 10)
      return -1;
    v *= 10;
    decimals = decimals < 0 ? 1 : decimals + 1;
  }
  *out = v;
  return 0;
}

/* Parses a finite non-negative decimal number; 0 or -1. */
static int parse_number(const char *s, double *out)
{
  char *end;
  double v;

  if (!*s || !(isdigit((unsigned char)*s) || *s == '.'))
    return -1;
  errno = 0;
  v = strtod(s, &end);
  if (*end || errno || !isfinite(v) || v < 0)
    return -1;
  *out = v;
  return 0;
}

static int find_name(const char *const *names, int n, const char *s)
{
  int i;

  for (i = 0; i < n; i++) {
    if (strcmp(names[i], s) == 0)
      return i;
  }
  return -1;
}

/*
 * Cuts the next line out of the text at *at, which ends at end: the
 * newline becomes a NUL and *at moves past it. Returns the line, or NULL
 * when none is left; the empty rest after a final newline is no line.
 */
static char *next_line(char **at, const char *end)
{
  char *line = *at, *nl;

  if (!line || line == end)
    return NULL;
  if ((nl = strchr(line, '\n'))) {
    *nl = '\0';
    *at = nl + 1;
  } else {
    *at = NULL;
  }
  return line;
}

/* ---- key table ---------------------------------------------------------- */

int hv_key_table_load(const char *path, int year, double *pct, char *source,
                      size_t cap, hv_error *err)
{
  hv_buf b = HV_BUF_INIT(MAX_MODEL);
  char *line, *next, *tok[MAX_TOKENS];
  int lineno = 0, col = -1, n, i, seen[HV_N_STATES] = {0}, n_years = 0;
  int have_source = 0;
  double sum = 0;
  int rc;

  for (i = 0; i < HV_N_STATES; i++)
    pct[i] = 0;
  if (source && cap)
    source[0] = '\0';
  if ((rc = hv_file_read(path, &b, err)) < 0)
    goto cleanup;
  next = b.ptr;
  while ((line = next_line(&next, b.ptr + b.len))) {
    char *full;

    lineno++;
    full = line + strspn(line, " \t");
    if (strncmp(full, "source ", 7) == 0) {
      if (source)
        snprintf(source, cap, "%s", full + 7);
      have_source = 1;
      continue;
    }
    if ((n = tokenize(line, tok)) < 0) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%d: too many fields", path,
                        lineno);
      goto cleanup;
    }
    if (n == 0)
      continue;
    if (strcmp(tok[0], "year") == 0) {
      if (n_years) {
        rc = hv_error_set(err, HV_EPARSE, "%s:%d: a second 'year' line",
                          path, lineno);
        goto cleanup;
      }
      n_years = n - 1;
      for (i = 1; i < n; i++) {
        if (atoi(tok[i]) == year && strlen(tok[i]) == 4)
          col = i;
      }
      continue;
    }
    if ((i = hv_state_slot(tok[0])) < 0 || i == HV_N_STATES - 1) {
      rc = hv_error_set(err, HV_EPARSE,
                        "%s:%d: '%s' is neither 'source', 'year' nor a "
                        "state key 01..16", path, lineno, tok[0]);
      goto cleanup;
    }
    if (!n_years || n != n_years + 1) {
      rc = hv_error_set(err, HV_EPARSE,
                        "%s:%d: expected one share per year of the 'year' "
                        "line (%d)", path, lineno, n_years);
      goto cleanup;
    }
    if (seen[i]) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%d: state %s listed twice", path,
                        lineno, tok[0]);
      goto cleanup;
    }
    seen[i] = 1;
    if (col > 0) {
      if (parse_number(tok[col], &pct[i]) < 0) {
        rc = hv_error_set(err, HV_EPARSE, "%s:%d: share '%s' is not a "
                          "number", path, lineno, tok[col]);
        goto cleanup;
      }
      sum += pct[i];
    }
  }
  if (!have_source) {
    rc = hv_error_set(err, HV_EPARSE, "%s:%d: no 'source' line naming where "
                      "the figures come from", path, lineno);
    goto cleanup;
  }
  if (col < 0) {
    rc = hv_error_set(err, HV_EPARSE, "%s:%d: no column for year %d", path,
                      lineno, year);
    goto cleanup;
  }
  for (i = 0; i < HV_N_STATES - 1; i++) {
    if (!seen[i]) {
      rc = hv_error_set(err, HV_EPARSE, "%s:%d: state %s is missing", path,
                        lineno, state_keys[i]);
      goto cleanup;
    }
  }
  /* The published tables have five decimals and sum to 100. */
  if (fabs(sum - 100.0) > 0.0005) {
    rc = hv_error_set(err, HV_EPARSE, "%s:%d: the shares of %d sum to %.5f, "
                      "not 100", path, lineno, year, sum);
    goto cleanup;
  }

cleanup:
  hv_buf_fini(&b);
  return rc;
}

/* ---- model -------------------------------------------------------------- */

/* Line numbers of the directives, for the checks made at the end. */
typedef struct seen_lines {
  int period, total, price, payers, prorata, allocation, base_share, weight;
  int key_table, title;
} seen_lines;

#define FAIL(...)                                                          \
  do {                                                                     \
    rc = hv_error_set(err, HV_EPARSE, __VA_ARGS__);                        \
    goto cleanup;                                                          \
  } while (0)

/* Handles one directive line; returns 0 or HV_EPARSE. */
static int directive(hv_cost_model *m, seen_lines *sl, char **tok, int n,
                     const char *path, int lineno, hv_error *err)
{
  const char *d = tok[0];
  int rc = 0, i, k;

#define ONCE(field)                                                        \
  do {                                                                     \
    if (sl->field)                                                         \
      FAIL("%s:%d: '%s' given twice (first on line %d)", path, lineno, d,  \
           sl->field);                                                     \
    sl->field = lineno;                                                    \
  } while (0)
#define ARGS(count, what)                                                  \
  do {                                                                     \
    if (n != (count) + 1)                                                  \
      FAIL("%s:%d: '%s' takes %s", path, lineno, d, what);                 \
  } while (0)

  if (strcmp(d, "period") == 0) {
    ONCE(period);
    ARGS(2, "two dates: FROM TO (YYYY-MM-DD, TO exclusive)");
    if (parse_date(tok[1], &m->from) < 0)
      FAIL("%s:%d: '%s' is not a date (YYYY-MM-DD)", path, lineno, tok[1]);
    if (parse_date(tok[2], &m->to) < 0)
      FAIL("%s:%d: '%s' is not a date (YYYY-MM-DD)", path, lineno, tok[2]);
    if (m->to <= m->from)
      FAIL("%s:%d: the period ends before it starts", path, lineno);
  } else if (strcmp(d, "total") == 0) {
    ONCE(total);
    ARGS(1, "one amount in euros, like 90000.00");
    if (parse_cents(tok[1], &m->total_cents) < 0)
      FAIL("%s:%d: '%s' is not an amount in euros with at most two "
           "decimals", path, lineno, tok[1]);
    m->has_total = 1;
  } else if (strcmp(d, "price") == 0) {
    if (!sl->price)
      sl->price = lineno;
    ARGS(2, "a unit and an amount: base|endpoint|datasets_1000|gb|run "
            "EUROS");
    if ((k = find_name(price_names, HV_PRICE_COUNT, tok[1])) < 0)
      FAIL("%s:%d: unknown price '%s': use base, endpoint, datasets_1000, "
           "gb or run", path, lineno, tok[1]);
    if (parse_cents(tok[2], &m->prices[k]) < 0)
      FAIL("%s:%d: '%s' is not an amount in euros with at most two "
           "decimals", path, lineno, tok[2]);
  } else if (strcmp(d, "payers") == 0) {
    ONCE(payers);
    if (n < 2)
      FAIL("%s:%d: 'payers' takes without-handover, all, or states KEY...",
           path, lineno);
    if (strcmp(tok[1], "without-handover") == 0 && n == 2) {
      m->payers = HV_PAYERS_WITHOUT_HANDOVER;
    } else if (strcmp(tok[1], "all") == 0 && n == 2) {
      m->payers = HV_PAYERS_ALL;
    } else if (strcmp(tok[1], "states") == 0 && n > 2) {
      m->payers = HV_PAYERS_LIST;
      for (i = 2; i < n; i++) {
        if ((k = hv_state_slot(tok[i])) < 0)
          FAIL("%s:%d: '%s' is not a state key (01..16 or bund)", path,
               lineno, tok[i]);
        m->payer_list[k] = 1;
      }
    } else {
      FAIL("%s:%d: 'payers' takes without-handover, all, or states KEY...",
           path, lineno);
    }
  } else if (strcmp(d, "prorata") == 0) {
    ONCE(prorata);
    ARGS(1, "days or none");
    if (strcmp(tok[1], "days") == 0)
      m->prorata_days = 1;
    else if (strcmp(tok[1], "none") == 0)
      m->prorata_days = 0;
    else
      FAIL("%s:%d: prorata '%s': use days or none", path, lineno, tok[1]);
  } else if (strcmp(d, "allocation") == 0) {
    static const char *const keys[] = {"usage", "volume", "koenigstein",
                                       "hybrid"};

    ONCE(allocation);
    ARGS(1, "usage, volume, koenigstein or hybrid");
    if ((k = find_name(keys, 4, tok[1])) < 0)
      FAIL("%s:%d: allocation '%s': use usage, volume, koenigstein or "
           "hybrid", path, lineno, tok[1]);
    m->key = (hv_alloc_key)k;
  } else if (strcmp(d, "base_share") == 0) {
    ONCE(base_share);
    ARGS(1, "a fraction between 0 and 1");
    if (parse_number(tok[1], &m->base_share) < 0 || m->base_share > 1)
      FAIL("%s:%d: base_share '%s' is not a fraction between 0 and 1", path,
           lineno, tok[1]);
  } else if (strcmp(d, "weight") == 0) {
    if (!sl->weight)
      sl->weight = lineno;
    ARGS(2, "a metric and a number");
    if ((k = find_name(metric_names, HV_METRIC_COUNT, tok[1])) < 0)
      FAIL("%s:%d: unknown metric '%s': use endpoints, datasets_held, "
           "requests, bytes, runs, pages or distributions", path, lineno,
           tok[1]);
    if (parse_number(tok[2], &m->weights[k]) < 0)
      FAIL("%s:%d: weight '%s' is not a non-negative number", path, lineno,
           tok[2]);
  } else if (strcmp(d, "key_table") == 0) {
    ONCE(key_table);
    ARGS(2, "a file and a year");
    if (strlen(tok[2]) != 4 || (m->key_year = atoi(tok[2])) < 1949)
      FAIL("%s:%d: '%s' is not a year", path, lineno, tok[2]);
    if (tok[1][0] == '/') {
      snprintf(m->key_table, sizeof(m->key_table), "%s", tok[1]);
    } else {
      const char *slash = strrchr(path, '/');
      int dir = slash ? (int)(slash - path) + 1 : 0;

      snprintf(m->key_table, sizeof(m->key_table), "%.*s%s", dir, path,
               tok[1]);
    }
  } else {
    FAIL("%s:%d: unknown directive '%s'", path, lineno, d);
  }

cleanup:
  return rc;
#undef ONCE
#undef ARGS
}

int hv_cost_model_load(hv_cost_model *out, const char *path, hv_error *err)
{
  hv_buf b = HV_BUF_INIT(MAX_MODEL);
  hv_cost_model *m = NULL;
  seen_lines sl;
  char *line, *next, *tok[MAX_TOKENS];
  int lineno = 0, n, i;
  double wsum = 0;
  int rc;

  memset(&sl, 0, sizeof(sl));
  if (!(m = hv_calloc(1, sizeof(*m))))
    return hv_error_oom(err);
  snprintf(m->path, sizeof(m->path), "%s", path);
  if ((rc = hv_file_read(path, &b, err)) < 0)
    goto cleanup;
  next = b.ptr;
  while ((line = next_line(&next, b.ptr + b.len))) {
    char *full;

    lineno++;
    full = line + strspn(line, " \t");
    if (strncmp(full, "title", 5) == 0 && (full[5] == ' ' || !full[5])) {
      if (sl.title)
        FAIL("%s:%d: 'title' given twice (first on line %d)", path, lineno,
             sl.title);
      sl.title = lineno;
      snprintf(m->title, sizeof(m->title), "%s",
               full[5] ? full + 6 + strspn(full + 6, " \t") : "");
      continue;
    }
    if ((n = tokenize(line, tok)) < 0)
      FAIL("%s:%d: too many fields", path, lineno);
    if (n && (rc = directive(m, &sl, tok, n, path, lineno, err)) < 0)
      goto cleanup;
  }
  /* Checks across lines; the line named is the one that is out of place. */
  if (!sl.period)
    FAIL("%s:%d: no 'period FROM TO' line", path, lineno);
  if (sl.total && sl.price)
    FAIL("%s:%d: a model has a 'total' or unit prices, not both (total on "
         "line %d)", path, sl.price, sl.total);
  if (!sl.total && !sl.price)
    FAIL("%s:%d: no 'total' and no 'price' line: nothing to allocate", path,
         lineno);
  if (!sl.payers)
    m->payers = HV_PAYERS_WITHOUT_HANDOVER;
  if (!sl.prorata)
    m->prorata_days = 1;
  if (!sl.allocation) {
    if (sl.total)
      FAIL("%s:%d: a total needs an 'allocation volume|koenigstein|hybrid' "
           "line", path, lineno);
    m->key = HV_KEY_USAGE;
  }
  if (m->key == HV_KEY_USAGE && sl.total)
    FAIL("%s:%d: allocation usage needs unit prices, not a total", path,
         sl.allocation);
  if (m->key != HV_KEY_HYBRID && sl.base_share)
    FAIL("%s:%d: base_share applies to allocation hybrid only", path,
         sl.base_share);
  if (m->key == HV_KEY_HYBRID && !sl.base_share)
    FAIL("%s:%d: allocation hybrid needs a 'base_share' line", path,
         sl.allocation);
  for (i = 0; i < HV_METRIC_COUNT; i++)
    wsum += m->weights[i];
  if ((m->key == HV_KEY_VOLUME || m->key == HV_KEY_HYBRID) && !(wsum > 0))
    FAIL("%s:%d: allocation %s needs at least one positive 'weight' line",
         path, sl.allocation,
         m->key == HV_KEY_VOLUME ? "volume" : "hybrid");
  if ((m->key == HV_KEY_VOLUME || m->key == HV_KEY_USAGE) && sl.weight &&
      m->key == HV_KEY_USAGE)
    FAIL("%s:%d: weights apply to allocation volume or hybrid only", path,
         sl.weight);
  if (m->key == HV_KEY_KOENIGSTEIN && sl.weight)
    FAIL("%s:%d: weights apply to allocation volume or hybrid only", path,
         sl.weight);
  if ((m->key == HV_KEY_KOENIGSTEIN || m->key == HV_KEY_HYBRID) &&
      !sl.key_table)
    FAIL("%s:%d: allocation %s needs a 'key_table FILE YEAR' line", path,
         sl.allocation, m->key == HV_KEY_HYBRID ? "hybrid" : "koenigstein");
  if (sl.key_table && m->key != HV_KEY_KOENIGSTEIN && m->key != HV_KEY_HYBRID)
    FAIL("%s:%d: key_table applies to allocation koenigstein or hybrid",
         path, sl.key_table);
  if (sl.key_table &&
      (rc = hv_key_table_load(m->key_table, m->key_year, m->key_pct,
                              m->key_source, sizeof(m->key_source), err)) < 0)
    goto cleanup;
  *out = *m;

cleanup:
  hv_buf_fini(&b);
  hv_free(m);
  return rc;
}
