/*
 * Unit tests for harvester/reconcile: the deletion guard, as one table of
 * situations a run can end in and the decision each must get.
 */
#include "tools/hvtest.h"

#include <stdio.h>

#include "reconcile/reconcile.h"

typedef struct decide_case {
  const char *what;
  size_t active;
  size_t vanished;
  int run_failed;
  double max_share;
  int allow_mass_delete;
  hv_delete_decision want;
} decide_case;

static const char *decision_name(hv_delete_decision d)
{
  switch (d) {
  case HV_DELETE_NONE:
    return "NONE";
  case HV_DELETE_APPLY:
    return "APPLY";
  case HV_DELETE_SKIP_FAILED:
    return "SKIP_FAILED";
  case HV_DELETE_HOLD:
    return "HOLD";
  }
  return "?";
}

static void decide_deletes_table(void **state)
{
  static const decide_case cases[] = {
      {"none vanished", 5, 0, 0, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_NONE},
      {"none vanished in a failed run", 5, 0, 1, HV_DEFAULT_MAX_DELETE_SHARE,
       0, HV_DELETE_NONE},
      {"failed run keeps everything", 5, 1, 1, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_SKIP_FAILED},
      {"failed run beats the override", 5, 5, 1, HV_DEFAULT_MAX_DELETE_SHARE,
       1, HV_DELETE_SKIP_FAILED},
      {"exactly 20 % of 5 (1) applies", 5, 1, 0, HV_DEFAULT_MAX_DELETE_SHARE,
       0, HV_DELETE_APPLY},
      {"2 of 5 holds", 5, 2, 0, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_HOLD},
      {"exactly 20 % of 100 (20) applies", 100, 20, 0,
       HV_DEFAULT_MAX_DELETE_SHARE, 0, HV_DELETE_APPLY},
      {"21 of 100 holds", 100, 21, 0, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_HOLD},
      {"allow_mass_delete overrides the share", 5, 2, 0,
       HV_DEFAULT_MAX_DELETE_SHARE, 1, HV_DELETE_APPLY},
      {"allow_mass_delete lets all go", 5, 5, 0, HV_DEFAULT_MAX_DELETE_SHARE,
       1, HV_DELETE_APPLY},
      {"0 active, nothing vanished", 0, 0, 0, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_NONE},
      {"share 0 holds any deletion", 10, 1, 0, 0.0, 0, HV_DELETE_HOLD},
      {"share 1.0 allows all", 10, 10, 0, 1.0, 0, HV_DELETE_APPLY},
      {"1 of 1 holds at 20 %", 1, 1, 0, HV_DEFAULT_MAX_DELETE_SHARE, 0,
       HV_DELETE_HOLD},
  };
  size_t i;
  int bad = 0;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const decide_case *c = &cases[i];
    hv_delete_decision got = hv_reconcile_decide_deletes(
        c->active, c->vanished, c->run_failed, c->max_share,
        c->allow_mass_delete);

    if (got != c->want) {
      fprintf(stderr, "case '%s': want %s, got %s\n", c->what,
              decision_name(c->want), decision_name(got));
      bad++;
    }
  }
  assert_int_equal(bad, 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(decide_deletes_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
