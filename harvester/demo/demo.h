/*
 * `govharvest demo`: a complete harvest of bundled sample handover
 * points, served on loopback by a server the demo starts and stops
 * itself, into a fresh store.
 */
#ifndef HV_DEMO_DEMO_H
#define HV_DEMO_DEMO_H

#include <stdio.h>

#include "util/error.h"

typedef struct hv_demo_opts {
  const char *demo_dir; /* holds sources.tsv and www/ */
  const char *db_path;  /* replaced if it exists */
  const char *out_dir;  /* files sink output */
} hv_demo_opts;

#define HV_DEMO_OPTS_INIT \
  {HV_DEMO_DIR, "govharvest-demo.db", "govharvest-demo-out"}

/*
 * Runs the demo and prints its summary to out. Returns 0 when the demo
 * ran (sources that fail by design are part of it), or a negative code
 * when it could not (missing sample data, port, store).
 */
int hv_demo_run(const hv_demo_opts *opts, FILE *out, hv_error *err);

#endif
