/*
 * Arithmetic on ledger counts, shared by the harvest (run totals) and
 * the reports (period totals).
 */
#include "store/store.h"

void hv_ledger_counts_add(hv_ledger_counts *sum, const hv_ledger_counts *d)
{
  sum->requests += d->requests;
  sum->bytes += d->bytes;
  sum->pages_fetched += d->pages_fetched;
  sum->pages_not_modified += d->pages_not_modified;
  sum->pages_failed += d->pages_failed;
  sum->datasets_new += d->datasets_new;
  sum->datasets_updated += d->datasets_updated;
  sum->datasets_unchanged += d->datasets_unchanged;
  sum->datasets_deleted += d->datasets_deleted;
  sum->datasets_rejected += d->datasets_rejected;
  sum->distributions += d->distributions;
  sum->seconds += d->seconds;
}
