/*
 * Deletion guard (see reconcile.h).
 */
#include "reconcile/reconcile.h"

hv_delete_decision hv_reconcile_decide_deletes(size_t active, size_t vanished,
                                               int run_failed,
                                               double max_share,
                                               int allow_mass_delete)
{
  if (vanished == 0)
    return HV_DELETE_NONE;
  if (run_failed)
    return HV_DELETE_SKIP_FAILED;
  if (allow_mass_delete)
    return HV_DELETE_APPLY;
  /* Compare in integers scaled by the share so 20 % of 5 is exactly 1. */
  if ((double)vanished > max_share * (double)active + 1e-9)
    return HV_DELETE_HOLD;
  return HV_DELETE_APPLY;
}
