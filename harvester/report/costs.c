/*
 * A cost model applied to a period's volumes: who pays for how many
 * days, what weight each payer gets under the model's key, and the
 * shares in cents (report.h).
 *
 * Pro rata by days scales a payer's weight, not the total: with a fixed
 * total, the days a state did not pay for are carried by those that did,
 * so the bill still adds up to the total. With unit prices the total is
 * the sum of the payers' priced usage, each scaled by its paying days.
 */
#include "report/report.h"

#include <math.h>
#include <string.h>

/* Which states pay, for how many days, as share->pays/paying_days. */
static void payer_days(const hv_cost_model *m, int slot, int64_t days,
                       const hv_handover *hv, size_t n_hv,
                       hv_cost_share *sh)
{
  int is_land = slot < HV_N_STATES - 1;

  switch (m->payers) {
  case HV_PAYERS_WITHOUT_HANDOVER:
    sh->paying_days = is_land ? hv_handover_days_without(
                                    hv, n_hv, sh->state, m->from, m->to)
                              : 0;
    break;
  case HV_PAYERS_ALL:
    sh->paying_days = is_land ? days : 0;
    break;
  case HV_PAYERS_LIST:
    sh->paying_days = m->payer_list[slot] ? days : 0;
    break;
  }
  sh->pays = sh->paying_days > 0;
  if (!sh->pays)
    sh->fraction = 0;
  else if (m->prorata_days)
    sh->fraction = (double)sh->paying_days / (double)days;
  else
    sh->fraction = 1;
}

/* Priced usage of one payer in cents, before its pro rata factor. */
static double usage(const hv_cost_model *m, const hv_cost_share *sh)
{
  return (double)m->prices[HV_PRICE_BASE] +
         (double)m->prices[HV_PRICE_ENDPOINT] *
             sh->metrics[HV_METRIC_ENDPOINTS] +
         (double)m->prices[HV_PRICE_DATASETS_1000] *
             sh->metrics[HV_METRIC_DATASETS_HELD] / 1000.0 +
         (double)m->prices[HV_PRICE_GB] * sh->metrics[HV_METRIC_BYTES] /
             1e9 +
         (double)m->prices[HV_PRICE_RUN] * sh->metrics[HV_METRIC_RUNS];
}

int hv_costs_compute(const hv_cost_model *m, const hv_volumes *v,
                     const hv_handover *hv, size_t n_hv, hv_costs *out,
                     hv_error *err)
{
  double sums[HV_METRIC_COUNT] = {0}, weights[HV_N_STATES] = {0};
  double key_sum = 0, wsum = 0, usage_sum = 0;
  int64_t days = (m->to - m->from) / 86400, cents[HV_N_STATES];
  int i, k, payers = 0;
  int rc;

  memset(out, 0, sizeof(*out));
  for (i = 0; i < HV_N_STATES; i++) {
    hv_cost_share *sh = &out->shares[i];
    const hv_volume *row;

    snprintf(sh->state, sizeof(sh->state), "%s", hv_state_key(i));
    payer_days(m, i, days, hv, n_hv, sh);
    if ((row = hv_volumes_find(v, sh->state))) {
      for (k = 0; k < HV_METRIC_COUNT; k++)
        sh->metrics[k] = hv_metric_value(row, (hv_metric)k);
    }
    sh->key_pct = m->key_pct[i];
    if (!sh->pays)
      continue;
    payers++;
    for (k = 0; k < HV_METRIC_COUNT; k++)
      sums[k] += sh->metrics[k];
    key_sum += sh->key_pct;
  }
  if (!payers)
    return hv_error_set(err, HV_EINVAL,
                        "costs: no state pays in %s's period", m->path);
  for (k = 0; k < HV_METRIC_COUNT; k++)
    wsum += m->weights[k];

  for (i = 0; i < HV_N_STATES; i++) {
    hv_cost_share *sh = &out->shares[i];
    double by_volume = 0, by_key = 0;

    if (!sh->pays)
      continue;
    if (!m->has_total) {
      sh->usage_cents = sh->fraction * usage(m, sh);
      usage_sum += sh->usage_cents;
    }
    for (k = 0; k < HV_METRIC_COUNT && wsum > 0; k++) {
      if (sums[k] > 0)
        by_volume += m->weights[k] / wsum * sh->metrics[k] / sums[k];
    }
    if (key_sum > 0)
      by_key = sh->key_pct / key_sum;
    switch (m->key) {
    case HV_KEY_USAGE: sh->weight = sh->usage_cents; break;
    case HV_KEY_VOLUME: sh->weight = sh->fraction * by_volume; break;
    case HV_KEY_KOENIGSTEIN: sh->weight = sh->fraction * by_key; break;
    case HV_KEY_HYBRID:
      sh->weight = sh->fraction * (m->base_share * by_key +
                                   (1 - m->base_share) * by_volume);
      break;
    }
    weights[i] = sh->weight;
  }
  out->total_cents = m->has_total ? m->total_cents : llround(usage_sum);
  if (out->total_cents == 0)
    return 0;
  if ((rc = hv_money_allocate(out->total_cents, weights, HV_N_STATES, cents,
                              err)) < 0)
    return hv_error_set(err, rc, "costs: %s: the payers have no volume or "
                        "key share to allocate by", m->path);
  for (i = 0; i < HV_N_STATES; i++)
    out->shares[i].cents = cents[i];
  return 0;
}
