/*
 * The report module's pure parts: the largest-remainder split (a
 * property test over random totals and weights), cost model files with
 * errors refused with their line and reason, the shipped key table, and
 * the handover periods' cut-and-merge in a real store file.
 */
#include "tools/hvtest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "store/store.h"
#include "util/alloc.h"

static void shares_sum_to_the_total(void **state)
{
  double w[HV_N_STATES];
  int64_t out[HV_N_STATES], sum;
  hv_error err = HV_ERROR_INIT;
  int iter, i, n;

  (void)state;
  srand(20260101);
  for (iter = 0; iter < 5000; iter++) {
    long double wsum = 0;
    int64_t total = (int64_t)rand() * 977 % 1000000000;

    n = 1 + rand() % HV_N_STATES;
    for (i = 0; i < n; i++) {
      w[i] = rand() % 4 == 0 ? 0 : (double)rand() / RAND_MAX * 1000;
      wsum += w[i];
    }
    if (wsum == 0)
      w[0] = 1, wsum = 1;
    HV_ASSERT_OK(hv_money_allocate(total, w, (size_t)n, out, &err), &err);
    for (sum = 0, i = 0; i < n; i++) {
      long double quota = (long double)total * w[i] / wsum;

      sum += out[i];
      /* No share is a cent or more away from its exact quota. */
      assert_true(out[i] >= 0);
      assert_true(fabsl((long double)out[i] - quota) < 1.0L);
      if (w[i] == 0)
        assert_int_equal(out[i], 0);
    }
    assert_int_equal(sum, total);
  }
}

static void ties_go_to_the_lower_index(void **state)
{
  double w[3] = {1, 1, 1};
  int64_t out[3];
  hv_error err = HV_ERROR_INIT;
  char buf[32];

  (void)state;
  HV_ASSERT_OK(hv_money_allocate(100, w, 3, out, &err), &err);
  assert_int_equal(out[0], 34);
  assert_int_equal(out[1], 33);
  assert_int_equal(out[2], 33);
  w[0] = w[1] = w[2] = 0;
  assert_int_equal(hv_money_allocate(100, w, 3, out, &err), HV_EINVAL);
  w[1] = -1;
  assert_int_equal(hv_money_allocate(100, w, 3, out, &err), HV_EINVAL);
  hv_money_format(buf, sizeof(buf), 123456);
  assert_string_equal(buf, "1234.56");
  hv_money_format(buf, sizeof(buf), -5);
  assert_string_equal(buf, "-0.05");
}

/* Model texts with one mistake each, and the message they must give. */
static const struct {
  const char *text;
  const char *message;
} bad_models[] = {
    {"period 2026-01-01\n", ":1: 'period' takes two dates"},
    {"period 2026-02-30 2026-04-01\n", ":1: '2026-02-30' is not a date"},
    {"period 2026-04-01 2026-01-01\n", ":1: the period ends before"},
    {"# c\nperiod 2026-01-01 2026-04-01\ntotal 10,5\n",
     ":3: '10,5' is not an amount"},
    {"period 2026-01-01 2026-04-01\ntotal 1.005\n",
     ":2: '1.005' is not an amount"},
    {"period 2026-01-01 2026-04-01\nfrobnicate 1\n",
     ":2: unknown directive 'frobnicate'"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nallocation volume\n",
     ":3: allocation volume needs at least one positive 'weight'"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nallocation volume\n"
     "weight speed 1\n",
     ":4: unknown metric 'speed'"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nprice run 1\n",
     ":3: a model has a 'total' or unit prices, not both"},
    {"period 2026-01-01 2026-04-01\ntotal 1\n",
     ":2: a total needs an 'allocation"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nallocation koenigstein\n",
     ":3: allocation koenigstein needs a 'key_table"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nallocation hybrid\n"
     "weight runs 1\nkey_table x.txt 2016\n",
     ":3: allocation hybrid needs a 'base_share' line"},
    {"period 2026-01-01 2026-04-01\ntotal 1\npayers states 01 99\n",
     ":3: '99' is not a state key"},
    {"period 2026-01-01 2026-04-01\nperiod 2026-01-01 2026-04-01\n",
     ":2: 'period' given twice (first on line 1)"},
    {"period 2026-01-01 2026-04-01\ntotal 1\nallocation volume\n"
     "weight runs 1\nbase_share 0.5\n",
     ":5: base_share applies to allocation hybrid only"},
};

static void bad_models_are_refused_with_line_and_reason(void **state)
{
  char *dir = hv_test_tmpdir(), path[600];
  hv_cost_model m;
  hv_error err = HV_ERROR_INIT;
  size_t i;
  FILE *fp;

  (void)state;
  assert_non_null(dir);
  snprintf(path, sizeof(path), "%s/model.cost", dir);
  for (i = 0; i < sizeof(bad_models) / sizeof(bad_models[0]); i++) {
    assert_non_null(fp = fopen(path, "w"));
    fputs(bad_models[i].text, fp);
    fclose(fp);
    assert_int_equal(hv_cost_model_load(&m, path, &err), HV_EPARSE);
    if (strncmp(err.msg, path, strlen(path)) != 0 ||
        !strstr(err.msg, bad_models[i].message))
      fail_msg("model %zu: expected \"%s\" in \"%s\"", i,
               bad_models[i].message, err.msg);
  }
  hv_test_rmtree(dir);
  hv_free(dir);
}

static void shipped_key_table_and_models_load(void **state)
{
  static const char *const models[] = {"volume", "koenigstein", "hybrid",
                                       "prices"};
  double pct[HV_N_STATES], sum = 0;
  char path[600], source[256];
  hv_cost_model m;
  hv_error err = HV_ERROR_INIT;
  int i;

  (void)state;
  snprintf(path, sizeof(path), "%s/profiles/cost/koenigsteiner-schluessel.txt",
           HV_SOURCE_DIR);
  HV_ASSERT_OK(hv_key_table_load(path, 2016, pct, source, sizeof(source),
                                 &err),
               &err);
  for (i = 0; i < HV_N_STATES; i++)
    sum += pct[i];
  assert_float_equal(sum, 100.0, 1e-6);
  assert_float_equal(pct[4], 21.14424, 1e-9); /* Nordrhein-Westfalen */
  assert_float_equal(pct[16], 0, 0);          /* the federation */
  assert_non_null(strstr(source, "GWK"));
  assert_int_equal(hv_key_table_load(path, 2014, pct, NULL, 0, &err),
                   HV_EPARSE);
  assert_non_null(strstr(err.msg, "no column for year 2014"));
  for (i = 0; i < 4; i++) {
    snprintf(path, sizeof(path), "%s/profiles/cost/example-%s.cost",
             HV_SOURCE_DIR, models[i]);
    HV_ASSERT_OK(hv_cost_model_load(&m, path, &err), &err);
    assert_int_equal((m.to - m.from) / 86400, 90);
  }
}

static void handover_periods_cut_and_merge(void **state)
{
  char *dir = hv_test_tmpdir(), path[600];
  hv_store *s = NULL;
  hv_handover *hv = NULL;
  size_t n = 0;
  hv_error err = HV_ERROR_INIT;
  const int64_t d = 86400, jan1 = 1767225600; /* 2026-01-01 */

  (void)state;
  assert_non_null(dir);
  snprintf(path, sizeof(path), "%s/s.db", dir);
  HV_ASSERT_OK(hv_store_open(&s, path, &err), &err);
  HV_ASSERT_OK(hv_store_handover_set(s, "09", jan1 + 31 * d, 0, 1, &err),
               &err);
  HV_ASSERT_OK(hv_store_handover_set(s, "09", jan1 + 40 * d, jan1 + 50 * d,
                                     0, &err),
               &err);
  HV_ASSERT_OK(hv_store_handover_list(s, "09", &hv, &n, &err), &err);
  assert_int_equal(n, 2);
  assert_int_equal(hv[0].since, jan1 + 31 * d);
  assert_int_equal(hv[0].until, jan1 + 40 * d);
  assert_int_equal(hv[1].since, jan1 + 50 * d);
  assert_int_equal(hv[1].until, 0);
  assert_int_equal(hv_handover_days_without(hv, n, "09", jan1, jan1 + 90 * d),
                   31 + 10);
  assert_int_equal(hv_handover_days_without(hv, n, "02", jan1, jan1 + 90 * d),
                   90);
  hv_free(hv);
  /* Filling the gap merges the periods into one. */
  HV_ASSERT_OK(hv_store_handover_set(s, "09", jan1 + 40 * d, jan1 + 50 * d,
                                     1, &err),
               &err);
  HV_ASSERT_OK(hv_store_handover_list(s, "09", &hv, &n, &err), &err);
  assert_int_equal(n, 1);
  assert_int_equal(hv[0].since, jan1 + 31 * d);
  hv_free(hv);
  assert_int_equal(hv_store_handover_set(s, "17", jan1, 0, 1, &err),
                   HV_EINVAL);
  assert_int_equal(hv_store_handover_set(s, "09", jan1, jan1, 1, &err),
                   HV_EINVAL);
  hv_store_close(s);
  hv_test_rmtree(dir);
  hv_free(dir);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shares_sum_to_the_total),
      cmocka_unit_test(ties_go_to_the_lower_index),
      cmocka_unit_test(bad_models_are_refused_with_line_and_reason),
      cmocka_unit_test(shipped_key_table_and_models_load),
      cmocka_unit_test(handover_periods_cut_and_merge),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
