/*
 * Volumes over a period, computed from the ledger's rows (report.h).
 *
 * One pass over the ledger up to the end of the period collects the
 * rows; flows are summed from the rows inside the period, and the stock
 * of datasets held is replayed day by day from the very first row, since
 * what a state holds on the first day of the period is everything its
 * sources gained and lost before it.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/alloc.h"

#define DAY 86400

/* The rows read from the ledger. */
typedef struct entries {
  hv_ledger_entry *e;
  size_t n, cap;
} entries;

/* A row being built, with what is needed to count distinct things. */
typedef struct group {
  hv_volume v;
  int64_t last_run;   /* runs are adjacent in the walk: count changes */
  int64_t *sources;   /* distinct source ids harvested */
  size_t n_sources, cap_sources;
  int64_t held;       /* datasets held at the current replay day */
  double held_sum;    /* sum of the days' end values */
} group;

typedef struct groups {
  group *g;
  size_t n, cap;
} groups;

static int collect(const hv_ledger_entry *e, void *payload)
{
  entries *es = payload;
  hv_ledger_entry *grown;

  if (es->n == es->cap) {
    size_t cap = es->cap ? es->cap * 2 : 64;

    if (!(grown = hv_realloc(es->e, cap * sizeof(*grown))))
      return HV_ENOMEM;
    es->e = grown;
    es->cap = cap;
  }
  es->e[es->n++] = *e;
  return 0;
}

static int64_t day_floor(int64_t t)
{
  return t - ((t % DAY) + DAY) % DAY;
}

/* The first second of the month after the one t falls in. */
static int64_t next_month(int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_mon++;
  return (int64_t)timegm(&tm);
}

static int64_t month_floor(int64_t t)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  tm.tm_mday = 1;
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  return (int64_t)timegm(&tm);
}

static void month_key(int64_t t, char *buf, size_t cap)
{
  time_t tt = (time_t)t;
  struct tm tm;

  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m", &tm);
}

/* Finds or adds the group of key; NULL when out of memory. */
static group *group_get(groups *gs, const char *key, const char *state)
{
  group *grown;
  size_t i;

  for (i = 0; i < gs->n; i++) {
    if (strcmp(gs->g[i].v.key, key) == 0)
      return &gs->g[i];
  }
  if (gs->n == gs->cap) {
    size_t cap = gs->cap ? gs->cap * 2 : 32;

    if (!(grown = hv_realloc(gs->g, cap * sizeof(*grown))))
      return NULL;
    gs->g = grown;
    gs->cap = cap;
  }
  memset(&gs->g[gs->n], 0, sizeof(gs->g[gs->n]));
  snprintf(gs->g[gs->n].v.key, sizeof(gs->g[gs->n].v.key), "%s", key);
  snprintf(gs->g[gs->n].v.state, sizeof(gs->g[gs->n].v.state), "%s", state);
  gs->g[gs->n].last_run = -1;
  return &gs->g[gs->n++];
}

/* Counts a source once per group; returns 0 or HV_ENOMEM. */
static int add_source(group *g, int64_t source_id)
{
  int64_t *grown;
  size_t i;

  for (i = 0; i < g->n_sources; i++) {
    if (g->sources[i] == source_id)
      return 0;
  }
  if (g->n_sources == g->cap_sources) {
    size_t cap = g->cap_sources ? g->cap_sources * 2 : 8;

    if (!(grown = hv_realloc(g->sources, cap * sizeof(*grown))))
      return HV_ENOMEM;
    g->sources = grown;
    g->cap_sources = cap;
  }
  g->sources[g->n_sources++] = source_id;
  g->v.sources_harvested++;
  return 0;
}

/* Adds the flows of e to a group. */
static int add_flows(group *g, const hv_ledger_entry *e)
{
  hv_ledger_counts_add(&g->v.counts, &e->counts);
  if (e->run_id != g->last_run) {
    g->v.runs++;
    g->last_run = e->run_id;
  }
  return add_source(g, e->source_id);
}

/*
 * A source counts as registered in a period it was harvested in even if
 * its row is younger (a store rebuilt from an older one keeps the runs).
 */
static int harvested_before(const entries *es, int64_t source_id,
                            int64_t limit)
{
  size_t i;

  for (i = 0; i < es->n; i++) {
    if (es->e[i].source_id == source_id && es->e[i].started_at < limit)
      return 1;
  }
  return 0;
}

static int by_key(const void *a, const void *b)
{
  return strcmp(((const hv_volume *)a)->key, ((const hv_volume *)b)->key);
}

/* The key of the group a ledger row belongs to, for state and source. */
static const char *row_key(hv_report_by by, const hv_ledger_entry *e)
{
  return by == HV_BY_SOURCE ? e->source_name : e->state;
}

int hv_volumes_compute(hv_store *s, int64_t from, int64_t to,
                       hv_report_by by, hv_volumes **out, hv_error *err)
{
  entries es = {NULL, 0, 0};
  groups gs = {NULL, 0, 0};
  hv_holding *hold = NULL;
  size_t n_hold = 0, i, next = 0, m;
  hv_volumes *v = NULL;
  group total;
  int64_t state_held[HV_N_STATES] = {0};
  int state_seen[HV_N_STATES] = {0};
  int64_t d, day_end;
  char key[16];
  group *g;
  int rc;

  memset(&total, 0, sizeof(total));
  total.last_run = -1;
  if (from && to && to <= from) {
    rc = hv_error_set(err, HV_EINVAL, "volumes: the period ends before it "
                      "starts");
    goto cleanup;
  }
  if ((rc = hv_store_ledger_foreach(s, to, collect, &es, err)) < 0) {
    if (rc == HV_ENOMEM)
      rc = hv_error_oom(err);
    goto cleanup;
  }
  if ((rc = hv_store_holdings(s, &hold, &n_hold, err)) < 0)
    goto cleanup;
  if (!from)
    from = es.n ? day_floor(es.e[0].started_at) : day_floor(to);
  if (!to)
    to = es.n ? day_floor(es.e[es.n - 1].started_at) + DAY : from;
  if (to < from)
    to = from;
  if (!(v = hv_calloc(1, sizeof(*v)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  v->from = from;
  v->to = to;
  v->days = (to - from) / DAY;
  v->by = by;

  /* Months of the period, for the monthly line and month rows. */
  for (d = month_floor(from); d < to; d = next_month(d))
    v->n_months++;
  if (v->n_months &&
      !(v->months = hv_calloc(v->n_months, sizeof(*v->months)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (m = 0, d = month_floor(from); d < to; d = next_month(d))
    v->months[m++] = d;
  if (!(v->series = hv_calloc(HV_N_STATES, sizeof(*v->series)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  v->n_series = HV_N_STATES;
  for (i = 0; i < HV_N_STATES; i++) {
    snprintf(v->series[i].state, sizeof(v->series[i].state), "%s",
             hv_state_key((int)i));
    if (v->n_months && !(v->series[i].held = hv_calloc(
                             v->n_months, sizeof(*v->series[i].held)))) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }

  /* Rows: every month, or every state / source seen or registered. */
  for (m = 0; m < v->n_months && by == HV_BY_MONTH; m++) {
    month_key(v->months[m], key, sizeof(key));
    if (!group_get(&gs, key, "")) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }
  for (i = 0; i < n_hold; i++) {
    if (hold[i].created_at >= to && !harvested_before(&es, hold[i].source_id, to))
      continue;
    if (by == HV_BY_MONTH) {
      for (m = 0; m < gs.n; m++) {
        if (hold[i].created_at < next_month(v->months[m]) ||
            harvested_before(&es, hold[i].source_id,
                             next_month(v->months[m])))
          gs.g[m].v.sources_registered++;
      }
    } else {
      if (!(g = group_get(&gs, by == HV_BY_SOURCE ? hold[i].name
                                                   : hold[i].state,
                          hold[i].state))) {
        rc = hv_error_oom(err);
        goto cleanup;
      }
      g->v.sources_registered++;
    }
    total.v.sources_registered++;
  }
  for (i = 0; i < es.n; i++) {
    const hv_ledger_entry *e = &es.e[i];

    if (by == HV_BY_MONTH) {
      if (e->started_at < from)
        continue;
      month_key(e->started_at, key, sizeof(key));
      g = group_get(&gs, key, "");
    } else {
      g = group_get(&gs, row_key(by, e), e->state);
    }
    if (!g) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
    if (e->started_at >= from &&
        ((rc = add_flows(g, e)) < 0 || (rc = add_flows(&total, e)) < 0)) {
      rc = hv_error_oom(err);
      goto cleanup;
    }
  }

  /*
   * The stock, replayed day by day: a row counts at the end of the day
   * its run started. Rows before the period only build the start value.
   */
  for (d = from, m = 0; d < to; d += DAY) {
    day_end = d + DAY;
    for (; next < es.n && es.e[next].started_at < day_end; next++) {
      const hv_ledger_entry *e = &es.e[next];
      int64_t delta = e->counts.datasets_new - e->counts.datasets_deleted;
      int slot = hv_state_slot(e->state);

      if (by != HV_BY_MONTH && (g = group_get(&gs, row_key(by, e), e->state)))
        g->held += delta;
      total.held += delta;
      if (slot >= 0) {
        state_held[slot] += delta;
        state_seen[slot] = 1;
      }
    }
    for (i = 0; i < gs.n && by != HV_BY_MONTH; i++)
      gs.g[i].held_sum += (double)gs.g[i].held;
    total.held_sum += (double)total.held;
    if (by == HV_BY_MONTH) {
      /* Month rows hold the total stock of their own days. */
      for (i = 0; i < gs.n; i++) {
        if (d >= v->months[i] && d < next_month(v->months[i])) {
          gs.g[i].held_sum += (double)total.held;
          gs.g[i].held = total.held;
        }
      }
    }
    /* The last day of a month seen leaves the month's end value. */
    while (m + 1 < v->n_months && d >= v->months[m + 1])
      m++;
    for (i = 0; i < HV_N_STATES && v->n_months; i++)
      v->series[i].held[m] = state_held[i];
  }
  for (i = 0; i < gs.n; i++) {
    int64_t days = v->days;

    if (by == HV_BY_MONTH) {
      int64_t a = v->months[i] > from ? v->months[i] : from;
      int64_t b = next_month(v->months[i]) < to ? next_month(v->months[i])
                                                 : to;

      days = (b - a) / DAY;
    }
    gs.g[i].v.datasets_held_avg = days ? gs.g[i].held_sum / (double)days : 0;
    gs.g[i].v.datasets_held_end = gs.g[i].held;
  }
  total.v.datasets_held_avg =
      v->days ? total.held_sum / (double)v->days : 0;
  total.v.datasets_held_end = total.held;
  snprintf(total.v.key, sizeof(total.v.key), "total");

  /* Keep only the states that ever held something in the line chart. */
  for (i = 0, m = 0; i < HV_N_STATES; i++) {
    if (!state_seen[i]) {
      hv_free(v->series[i].held);
      continue;
    }
    v->series[m++] = v->series[i];
  }
  v->n_series = m;

  if (gs.n && !(v->rows = hv_calloc(gs.n, sizeof(*v->rows)))) {
    rc = hv_error_oom(err);
    goto cleanup;
  }
  for (i = 0; i < gs.n; i++)
    v->rows[i] = gs.g[i].v;
  v->n = gs.n;
  if (v->n)
    qsort(v->rows, v->n, sizeof(*v->rows), by_key);
  v->total = total.v;
  *out = v;
  v = NULL;

cleanup:
  for (i = 0; i < gs.n; i++)
    hv_free(gs.g[i].sources);
  hv_free(gs.g);
  hv_free(total.sources);
  hv_free(es.e);
  hv_free(hold);
  hv_volumes_free(v);
  return rc;
}

void hv_volumes_free(hv_volumes *v)
{
  size_t i;

  if (!v)
    return;
  for (i = 0; i < v->n_series; i++)
    hv_free(v->series[i].held);
  hv_free(v->series);
  hv_free(v->months);
  hv_free(v->rows);
  hv_free(v);
}

const hv_volume *hv_volumes_find(const hv_volumes *v, const char *key)
{
  size_t i;

  for (i = 0; i < v->n; i++) {
    if (strcmp(v->rows[i].key, key) == 0)
      return &v->rows[i];
  }
  return NULL;
}
