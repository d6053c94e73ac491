/*
 * The govharvest command line: parses argv, dispatches to a command and
 * maps its outcome to the documented exit codes.
 */
#ifndef HV_CLI_CLI_H
#define HV_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "harvest/harvest.h"
#include "store/store.h"

/* Exit codes (documented in README.md and `govharvest --help`). */
#define HV_EXIT_OK 0      /* everything succeeded */
#define HV_EXIT_FAILURE 1 /* a source failed, or a command failed */
#define HV_EXIT_USAGE 2   /* bad command line */
#define HV_EXIT_HELD 3    /* a run held its deletions (mass delete) */
#define HV_EXIT_STORE 4   /* the store could not be opened or written */

/* Runs the command line; returns the process exit code. */
int hv_cli_main(int argc, char **argv);

/*
 * Harvests the sources, prints the run report to out (a table, or JSON),
 * writes the files sink into out_dir if not NULL, and returns the exit
 * code the run deserves (HV_EXIT_OK, _FAILURE or _HELD).
 */
int hv_cli_harvest(hv_store *store, const hv_source *sources, size_t n,
                   const hv_harvest_opts *opts, const char *out_dir,
                   int json, FILE *out);

#endif
