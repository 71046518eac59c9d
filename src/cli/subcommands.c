/* subcommands.c — `mugai GROUP SUBCOMMAND ...` dispatch, shared by the groups (see cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

int
mugai_cli_run_subcommand(const char *group, const mugai_cli_subcommand *commands, gsize count,
                         const char *usage, int argc, char **argv)
{
  if (argc < 2) {
    fputs(usage, stderr);
    return MUGAI_EXIT_USAGE;
  }
  if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  for (gsize i = 0; i < count; i++)
    if (strcmp(argv[1], commands[i].name) == 0)
      return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "mugai %s: unknown subcommand '%s'\n\n%s", group, argv[1], usage);
  return MUGAI_EXIT_USAGE;
}
