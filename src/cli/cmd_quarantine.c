/* cmd_quarantine.c — `mugai quarantine SUBCOMMAND`: dispatch, and the overview --help. */
#include <stdio.h>
#include "cli/cli.h"
#include "cli/quarantine_cmds.h"

static const char usage[] =
    "Usage: mugai quarantine SUBCOMMAND [OPTION...]\n"
    "\n"
    "The originals mugai kept ([quarantine] dir, or dsn): every message it sanitized, held, rejected for\n"
    "a virus or refused by a rule of the policy, stored as received before Postfix got its "
    "answer.\n"
    "\n"
    "Subcommands (each takes -c FILE; SUBCOMMAND --help for its own options):\n"
    "  list [--json] [filters]      the entries, newest first\n"
    "  show ID [--json] [--raw]     one entry: metadata, its MIME parts, what was done and why;\n"
    "                               --raw prints the original itself\n"
    "  extract ID --part PATH -o FILE\n"
    "                               one part of the original, decoded (PATH as in the report)\n"
    "  release ID --reason TEXT [--to ADDR]... [--force] [--sanitized [--profile NAME]]\n"
    "                               send the original on through [quarantine] release_relay\n"
    "                               (audited)\n"
    "  unlock ID --password-file FILE [--reason TEXT]\n"
    "                               open its password-protected zip (PPAP) and send the files,\n"
    "                               sanitized, through the release relay (audited)\n"
    "  delete ID --reason TEXT      remove one entry (audited)\n"
    "  purge [--older-than 90d] --reason TEXT\n"
    "                               remove entries past [quarantine] retention (audited)\n"
    "  fsck [--dry-run]             reconcile files and index after a crash\n"
    "  stats [--json]               how many entries, how big, by reason\n"
    "  audit [--json|--csv]         who deleted, purged or released what, when and why\n"
    "  init                         create the schema ([quarantine] backend = postgresql)\n"
    "  migrate                      bring an older schema up to this mugai's version\n"
    "\n"
    "Exit status: 0 success, 2 usage or configuration error, 3 release or unlock refused (a\n"
    "virus, a wrong password, or another release of the entry in progress), 4 no entry with\n"
    "that id, 75 the store or the relay failed (I/O, index), 77 permission denied.\n";

static const mugai_cli_subcommand commands[] = {
    {"list", mugai_cmd_quarantine_list},       {"show", mugai_cmd_quarantine_show},
    {"extract", mugai_cmd_quarantine_extract}, {"delete", mugai_cmd_quarantine_delete},
    {"purge", mugai_cmd_quarantine_purge},     {"fsck", mugai_cmd_quarantine_fsck},
    {"stats", mugai_cmd_quarantine_stats},     {"audit", mugai_cmd_quarantine_audit},
    {"release", mugai_cmd_quarantine_release}, {"init", mugai_cmd_quarantine_init},
    {"migrate", mugai_cmd_quarantine_migrate}, {"unlock", mugai_cmd_quarantine_unlock},
};

int
mugai_cmd_quarantine(int argc, char **argv)
{
  return mugai_cli_run_subcommand("quarantine", commands, G_N_ELEMENTS(commands), usage, argc,
                                  argv);
}
