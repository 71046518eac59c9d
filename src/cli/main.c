/* main.c — `mugai`: dispatch to a subcommand. Owns nothing. */
#include <clamav.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "sanitize/sanitize.h"

static const char usage[] =
    "Usage: mugai COMMAND [OPTION...]\n"
    "\n"
    "mugai is the admin command of the mugai mail sanitization gateway.\n"
    "\n"
    "Commands:\n"
    "  sanitize [MESSAGE.eml]   sanitize one message exactly as mugai-milter would, and write the\n"
    "                           message Postfix would deliver to standard output\n"
    "  config check             validate the configuration file before a reload\n"
    "  config diff -c OLD -c NEW DIR...\n"
    "                           judge saved messages under both configurations and list each\n"
    "                           message whose verdict or actions would change\n"
    "  lists export|import NAME [FILE]\n"
    "                           print, or check and install, the [lists] file of NAME (allow or\n"
    "                           strict)\n"
    "  quarantine list|show|extract|release|delete|purge|fsck|stats|audit\n"
    "                           review the originals mugai kept ([quarantine] dir)\n"
    "  contacts list|export|add|remove\n"
    "                           who inside has written to whom outside ([contacts]): what\n"
    "                           makes inbound mail a first contact\n"
    "  scan-info                load the virus scanner as mugai-milter would and show its engine\n"
    "                           version, signature count and signature date\n"
    "  status [--json]          is mugai-milter running and healthy: uptime, last reload,\n"
    "                           scanner and signature age, messages and verdicts since start,\n"
    "                           quarantine size, clock synchronisation (exit 0 ok, 1 warnings,\n"
    "                           75 not running or failing closed)\n"
    "\n"
    "Options:\n"
    "  -h, --help               show this help (COMMAND --help for a command's own)\n"
    "  -V, --version            show the version\n"
    "\n"
    "Configuration: -c FILE, else /etc/mugai/mugai.conf when it exists, else the embedded default.\n"
    "Exit status: 0 delivered or success, 1 (config diff) some message would change, 2 usage or\n"
    "configuration error, 3 nothing delivered (rejected, discarded or held), 75 temporary failure\n"
    "(internal or I/O error).\n";

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fputs(usage, stderr);
    return MUGAI_EXIT_USAGE;
  }
  const char *command = argv[1];
  if (strcmp(command, "-h") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "help") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(command, "-V") == 0 || strcmp(command, "--version") == 0) {
    printf("mugai %s (GMime %u.%u.%u, libclamav %s)\n", MUGAI_VERSION, gmime_major_version,
           gmime_minor_version, gmime_micro_version, cl_retver());
    return 0;
  }
  mugai_sanitize_init();
  int status;
  if (strcmp(command, "sanitize") == 0) {
    status = mugai_cmd_sanitize(argc - 1, argv + 1);
  } else if (strcmp(command, "status") == 0) {
    status = mugai_cmd_status(argc - 1, argv + 1);
  } else if (strcmp(command, "scan-info") == 0) {
    status = mugai_cmd_scan_info(argc - 1, argv + 1);
  } else if (strcmp(command, "quarantine") == 0) {
    status = mugai_cmd_quarantine(argc - 1, argv + 1);
  } else if (strcmp(command, "contacts") == 0) {
    status = mugai_cmd_contacts(argc - 1, argv + 1);
  } else if (strcmp(command, "lists") == 0) {
    status = mugai_cmd_lists(argc - 1, argv + 1);
  } else if (strcmp(command, "config") == 0) {
    status = mugai_cmd_config(argc - 1, argv + 1);
  } else {
    fprintf(stderr, "mugai: unknown command '%s'\n\n%s", command, usage);
    status = MUGAI_EXIT_USAGE;
  }
  g_mime_shutdown();
  return status;
}
