/* cli.h — the `mugai` admin command: one entry point per subcommand (one file each). */
#pragma once
#include "config/policy.h"

/* Exit codes, documented in --help and the README; scripts rely on them. */
enum {
  MUGAI_EXIT_DELIVERED = 0, /* a message is delivered (sanitized or not) / command succeeded */
  MUGAI_EXIT_CHANGED = 1,   /* `config diff`: some message would be judged differently */
  MUGAI_EXIT_USAGE = 2,     /* usage or configuration error only */
  MUGAI_EXIT_REFUSED = 3,   /* nothing is delivered: reject, discard, held */
  MUGAI_EXIT_TEMPFAIL = 75, /* any internal or I/O failure (EX_TEMPFAIL) */
};

/* One subcommand of a group (`mugai quarantine list`): its name and entry point, which gets
 * ARGV[0] = the subcommand's name. */
typedef struct {
  const char *name;
  int (*run)(int argc, char **argv);
} mugai_cli_subcommand;

/* `mugai GROUP ...` (ARGV[0] = GROUP): runs the one of COMMANDS (COUNT of them) ARGV[1] names;
 * USAGE on stdout for -h/--help (exit 0), on stderr without a subcommand or for an unknown one
 * (MUGAI_EXIT_USAGE). */
int mugai_cli_run_subcommand(const char *group, const mugai_cli_subcommand *commands, gsize count,
                             const char *usage, int argc, char **argv);

int mugai_cmd_sanitize(int argc, char **argv);
int mugai_cmd_config(int argc, char **argv);
int mugai_cmd_config_diff(int argc, char **argv); /* ARGV[0] is "diff" */
int mugai_cmd_scan_info(int argc, char **argv);
int mugai_cmd_status(int argc, char **argv);
int mugai_cmd_lists(int argc, char **argv);
int mugai_cmd_quarantine(int argc, char **argv);
int mugai_cmd_contacts(int argc, char **argv);

/* Load PATH (nullable: the default file) as `mugai config check` does, every problem printed on
 * stderr as FILE:LINE: [group] key: what is wrong. (transfer full) NULL when it is not valid. */
mugai_policy *mugai_cli_config_load(const char *path);
