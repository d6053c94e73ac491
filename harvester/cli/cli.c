/*
 * Command dispatch (see cli.h).
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int hv_cli_main(int argc, char **argv)
{
  if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
    printf("govharvest %s\n", HV_VERSION);
    return HV_EXIT_OK;
  }
  fprintf(stderr, "usage: govharvest COMMAND [OPTIONS]\n");
  return HV_EXIT_USAGE;
}
