/*
 * Plain-text tables for the CLI's human output: columns sized to their
 * widest cell, numbers right-aligned, one header line and a rule.
 */
#ifndef HV_CLI_TABLE_H
#define HV_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

typedef struct hv_table hv_table;

/*
 * Creates a table with n_cols columns. headers[i] names column i; a
 * header starting with '>' (not printed) marks a right-aligned column.
 */
hv_table *hv_table_new(size_t n_cols, const char *const *headers);

/* Adds a row of n_cols cells (copied). Returns 0 or HV_ENOMEM. */
int hv_table_add(hv_table *t, const char *const *cells);

/* Adds a row from printf-style cells separated by '\t' in fmt's output. */
int hv_table_addf(hv_table *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void hv_table_print(const hv_table *t, FILE *out);
void hv_table_free(hv_table *t); /* NULL-safe */

#endif
