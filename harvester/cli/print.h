/*
 * Output of run reports and volume reports, as human tables or as JSON
 * for scripts. Shared by `govharvest run`, `report volumes` and `demo`.
 */
#ifndef HV_CLI_PRINT_H
#define HV_CLI_PRINT_H

#include <stdio.h>

#include "harvest/harvest.h"
#include "store/store.h"

/* Prints one line per source: status, pages, datasets, requests, bytes. */
void hv_print_run_reports(FILE *out, const hv_source_report *reports,
                          size_t n, int json);

/* Prints per-state volumes and a total line. */
void hv_print_volumes(FILE *out, const hv_volume_row *rows, size_t n,
                      int json);

/* Human-readable byte count ("1.2 MB"). */
void hv_format_bytes(char *buf, size_t cap, int64_t bytes);

#endif
