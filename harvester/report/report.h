/*
 * The reports read from the store: per-state volumes over a period, the
 * cost model that turns them into each state's share of a bill, the
 * reconciliation of the ledger against what the store holds, and their
 * renderings as a table, CSV, JSON or one self-contained HTML file.
 *
 * Flows and stocks. Requests, bytes, pages, runs, dataset changes,
 * superseded copies and findings are flows: a report sums them over the
 * runs that started in the period. Datasets held is a stock: the
 * ledger's flows (new minus deleted) summed from the first run up to a
 * day give the datasets held at the end of that day, and the report
 * averages that over the days of the period (and gives the value at its
 * end). A source holds every copy it delivered that is not deleted:
 * published, superseded or quarantined (see hv_holding). Each rendering
 * says which figure is which.
 *
 * Money is integer cents throughout (see hv_money_allocate for the
 * rounding rule that makes the shares add up exactly to the total).
 */
#ifndef HV_REPORT_REPORT_H
#define HV_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/error.h"

/* ---- volumes ----------------------------------------------------------- */

typedef enum hv_report_by {
  HV_BY_STATE = 0,
  HV_BY_SOURCE,
  HV_BY_MONTH
} hv_report_by;

/*
 * The figures of one report row. Superseded datasets and findings are
 * flows in counts like the others: datasets_superseded sums, per run,
 * the copies the source delivered that were superseded after it (the
 * duplicate volume that source causes); the findings are those the runs
 * recorded for the datasets they wrote new or updated, by severity.
 */
typedef struct hv_volume {
  char key[80];               /* state key, source name or YYYY-MM */
  char state[8];              /* the row's state; "" for a month row */
  int64_t sources_registered; /* sources in the store created before to */
  int64_t sources_harvested;  /* distinct sources with runs in the period */
  int64_t runs;               /* distinct runs in the period */
  hv_ledger_counts counts;    /* flows summed over the period */
  double datasets_held_avg;    /* stock: mean of the days' end values */
  int64_t datasets_held_end;   /* stock at the end of the period */
} hv_volume;

/* Datasets held per state at the end of each month of the period. */
typedef struct hv_held_series {
  char state[8];
  int64_t *held; /* n_months values */
} hv_held_series;

typedef struct hv_volumes {
  int64_t from, to;   /* the period: [from, to), UTC midnights */
  int64_t days;       /* (to - from) / 86400 */
  hv_report_by by;
  hv_volume *rows;    /* ordered by key */
  size_t n;
  hv_volume total;    /* key "total" */
  size_t n_months;
  int64_t *months;    /* first second of each month in the period */
  hv_held_series *series; /* one per state that held datasets */
  size_t n_series;
} hv_volumes;

/*
 * Computes the volumes of [from, to) (unix seconds at UTC midnight;
 * from 0: the day of the first run; to 0: the day after the last) from
 * the ledger, grouped by `by`. *out is owned by the caller and released
 * with hv_volumes_free. HV_EINVAL if to <= from.
 */
int hv_volumes_compute(hv_store *s, int64_t from, int64_t to,
                       hv_report_by by, hv_volumes **out, hv_error *err);
void hv_volumes_free(hv_volumes *v); /* NULL-safe */

/* The row of key (a state key when grouped by state), or NULL. */
const hv_volume *hv_volumes_find(const hv_volumes *v, const char *key);

/* ---- money ------------------------------------------------------------- */

/*
 * Splits total_cents (>= 0) into n shares proportional to weights (each
 * >= 0, at least one > 0) by the largest-remainder rule: every share
 * first gets the whole cents of its exact quota total * w / sum(w); the
 * cents left over (fewer than n) go one each to the shares with the
 * largest fractional remainders, ties to the lower index. The shares add
 * up to total_cents exactly, and none differs from its quota by a cent
 * or more. Returns 0, or HV_EINVAL for a negative or non-finite weight,
 * a negative total or no positive weight.
 */
int hv_money_allocate(int64_t total_cents, const double *weights, size_t n,
                      int64_t *out, hv_error *err);

/* Writes cents as "1234.56" (with a '-' when negative). */
void hv_money_format(char *buf, size_t cap, int64_t cents);

/* ---- cost model ------------------------------------------------------- */

/* The volume figures a model can weight or price. */
typedef enum hv_metric {
  HV_METRIC_ENDPOINTS = 0, /* sources harvested */
  HV_METRIC_DATASETS_HELD, /* average datasets held */
  HV_METRIC_REQUESTS,
  HV_METRIC_BYTES,
  HV_METRIC_RUNS,
  HV_METRIC_PAGES,         /* pages fetched */
  HV_METRIC_DISTRIBUTIONS,
  HV_METRIC_COUNT
} hv_metric;

/* The metric's name in model files ("datasets_held"), or NULL. */
const char *hv_metric_name(hv_metric m);

/* The value of a metric in a volume row. */
double hv_metric_value(const hv_volume *v, hv_metric m);

typedef enum hv_payers {
  HV_PAYERS_WITHOUT_HANDOVER = 0, /* states without a central handover
                                     point, for those days only */
  HV_PAYERS_ALL,                  /* the 16 states */
  HV_PAYERS_LIST                  /* the states named */
} hv_payers;

typedef enum hv_alloc_key {
  HV_KEY_USAGE = 0, /* each payer's own priced usage (unit prices only) */
  HV_KEY_VOLUME,
  HV_KEY_KOENIGSTEIN,
  HV_KEY_HYBRID
} hv_alloc_key;

/* The unit prices of a model, in cents. */
typedef enum hv_price {
  HV_PRICE_BASE = 0,   /* per paying state for the whole period */
  HV_PRICE_ENDPOINT,   /* per source harvested */
  HV_PRICE_DATASETS_1000, /* per 1,000 datasets held (average) */
  HV_PRICE_GB,         /* per 10^9 bytes transferred */
  HV_PRICE_RUN,        /* per run */
  HV_PRICE_COUNT
} hv_price;

/* Number of payer slots: "01".."16" and "bund". */
#define HV_N_STATES 17

typedef struct hv_cost_model {
  char path[512];        /* the file it was read from */
  char title[128];       /* the `title` line, or "" */
  int64_t from, to;      /* the period, UTC midnights */
  int has_total;         /* 1: total_cents is allocated; 0: prices */
  int64_t total_cents;
  int64_t prices[HV_PRICE_COUNT]; /* cents; used when !has_total */
  hv_payers payers;
  int payer_list[HV_N_STATES]; /* HV_PAYERS_LIST: 1 for a named state */
  int prorata_days;      /* 1: a payer pays for its paying days only */
  hv_alloc_key key;
  double base_share;     /* hybrid: the part allocated by the key table */
  double weights[HV_METRIC_COUNT]; /* volume and hybrid */
  char key_table[512];   /* path of the key table, as resolved */
  int key_year;
  char key_source[256];  /* the table's `source` line */
  double key_pct[HV_N_STATES]; /* percent per state for key_year */
} hv_cost_model;

/* The slot of a state key ("01" -> 0, "16" -> 15, "bund" -> 16) or -1. */
int hv_state_slot(const char *key);

/* The state key of a slot. */
const char *hv_state_key(int slot);

/*
 * Reads the model at path (the format is documented in
 * profiles/cost/README.md) and, for the Königsteiner Schlüssel, its key
 * table (a path relative to the model's folder). Returns 0 or HV_EPARSE
 * with "FILE:LINE: reason", or HV_EIO when a file cannot be read.
 */
int hv_cost_model_load(hv_cost_model *out, const char *path, hv_error *err);

/*
 * Reads the percentages of year from a key table file (format in
 * profiles/cost/README.md) into pct (HV_N_STATES slots; bund is 0), and
 * its source line into source (cap bytes). HV_EPARSE "FILE:LINE: reason",
 * also when the year is missing or the year's shares do not sum to 100.
 */
int hv_key_table_load(const char *path, int year, double *pct, char *source,
                      size_t cap, hv_error *err);

/* ---- costs ------------------------------------------------------------ */

typedef struct hv_cost_share {
  char state[8];
  int pays;              /* 1 if the state pays anything in the period */
  int64_t paying_days;   /* days of the period it pays for */
  double fraction;       /* paying_days / days, or 1 without pro rata */
  double metrics[HV_METRIC_COUNT]; /* its volumes in the period */
  double key_pct;        /* its key table share, 0 without a table */
  double usage_cents;    /* priced usage before rounding (prices only) */
  double weight;         /* the weight the total was split by */
  int64_t cents;         /* its share of the total */
} hv_cost_share;

typedef struct hv_costs {
  int64_t total_cents;               /* what was allocated */
  hv_cost_share shares[HV_N_STATES]; /* in slot order */
} hv_costs;

/*
 * Applies model m to the volumes v (grouped by state over the model's
 * period) and the handover periods hv (n_hv of them). HV_EINVAL when
 * nobody pays or every weight is zero.
 */
int hv_costs_compute(const hv_cost_model *m, const hv_volumes *v,
                     const hv_handover *hv, size_t n_hv, hv_costs *out,
                     hv_error *err);

/* ---- reconciliation --------------------------------------------------- */

typedef struct hv_reconcile_row {
  int64_t source_id;
  char source[72];
  char state[8];       /* the source's state (its ledger's once removed) */
  int64_t added;       /* sum of datasets_new over the source's runs */
  int64_t deleted;     /* sum of datasets_deleted over them */
  int64_t ledger;      /* added - deleted */
  int64_t store;       /* datasets held in the store; -1: source removed */
  int64_t superseded;  /* of store: superseded copies */
  int64_t quarantined; /* of store: quarantined copies */
} hv_reconcile_row;

typedef struct hv_reconcile {
  hv_reconcile_row *rows; /* by source name, then id */
  size_t n;
  size_t differences;     /* rows of a present source that disagree */
} hv_reconcile;

/*
 * Compares, for every source, the datasets the store holds (every copy
 * not deleted: active, superseded or quarantined; see hv_holding) with
 * the ledger's flows over all its runs (new minus deleted). The rows are
 * per source, whatever states its ledger rows carry, so a source moved
 * to another state still reconciles; per state the figures add up from
 * them. A removed source's row is listed with store -1 and is not a
 * difference (its datasets went with it, its ledger rows stay). Release
 * with hv_reconcile_fini.
 */
int hv_reconcile_compute(hv_store *s, hv_reconcile *out, hv_error *err);
void hv_reconcile_fini(hv_reconcile *r);

/* ---- renderings -------------------------------------------------------- */

typedef enum hv_format {
  HV_FORMAT_TABLE = 0,
  HV_FORMAT_CSV,
  HV_FORMAT_JSON,
  HV_FORMAT_HTML
} hv_format;

/* Parses "table", "csv", "json" or "html"; returns 0 or -1. */
int hv_format_parse(const char *s, hv_format *out);

/* What an HTML report says about where it came from. */
typedef struct hv_report_meta {
  const char *store_path;
  int64_t generated_at;  /* unix seconds */
  const hv_state_row *states; /* names for the keys, may be NULL */
  size_t n_states;
} hv_report_meta;

/*
 * Writes the volume report in format f to out. c and m (both or neither)
 * add the cost shares and the model: the cost report.
 */
int hv_report_write(FILE *out, hv_format f, const hv_volumes *v,
                    const hv_cost_model *m, const hv_costs *c,
                    const hv_report_meta *meta, hv_error *err);

#endif
