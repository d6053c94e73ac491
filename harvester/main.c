/*
 * govharvest: the binary is a thin shell over the hvcore library.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
  return hv_cli_main(argc, argv);
}
