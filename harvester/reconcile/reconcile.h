/*
 * Reconcile decisions that must be right before anything is deleted.
 *
 * Deletion is the one irreversible thing a harvest does to a catalog, so
 * the rule lives in one pure function: delete only after a complete,
 * successful run, and never more than a set share of the source's
 * datasets unless an operator overrides it.
 */
#ifndef HV_RECONCILE_RECONCILE_H
#define HV_RECONCILE_RECONCILE_H

#include <stddef.h>

typedef enum hv_delete_decision {
  HV_DELETE_NONE = 0,   /* nothing vanished */
  HV_DELETE_APPLY,      /* delete the vanished datasets */
  HV_DELETE_SKIP_FAILED, /* the run failed somewhere: keep everything */
  HV_DELETE_HOLD        /* too many would go: keep everything, hold run;
                           the harvest quarantines the published ones
                           (store.h, hv_store_dataset_quarantine_unseen) */
} hv_delete_decision;

#define HV_DEFAULT_MAX_DELETE_SHARE 0.20

/*
 * Decides what to do with `vanished` of `active` datasets after a run.
 * run_failed: any page failed or the paging was cut short.
 * max_share: largest share of `active` that may be deleted (0..1).
 */
hv_delete_decision hv_reconcile_decide_deletes(size_t active, size_t vanished,
                                               int run_failed,
                                               double max_share,
                                               int allow_mass_delete);

#endif
