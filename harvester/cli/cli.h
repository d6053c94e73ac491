/*
 * The govharvest command line: parses argv, dispatches to a command and
 * maps its outcome to the documented exit codes.
 */
#ifndef HV_CLI_CLI_H
#define HV_CLI_CLI_H

/* Exit codes (documented in README.md and `govharvest --help`). */
#define HV_EXIT_OK 0        /* everything succeeded */
#define HV_EXIT_FAILURE 1   /* a run had failed pages, or a command failed */
#define HV_EXIT_USAGE 2     /* bad command line */
#define HV_EXIT_HELD 3      /* a run held its deletions (mass delete) */
#define HV_EXIT_STORE 4     /* the store could not be opened or written */

/* Runs the command line; returns the process exit code. */
int hv_cli_main(int argc, char **argv);

#endif
