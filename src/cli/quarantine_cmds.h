/* quarantine_cmds.h — the entry point of each `mugai quarantine` subcommand (one file each),
 * dispatched by cmd_quarantine.c. ARGV[0] is the subcommand's name. */
#pragma once

int mugai_cmd_quarantine_list(int argc, char **argv);
int mugai_cmd_quarantine_show(int argc, char **argv); /* show, show --raw */
int mugai_cmd_quarantine_extract(int argc, char **argv);
int mugai_cmd_quarantine_delete(int argc, char **argv);
int mugai_cmd_quarantine_purge(int argc, char **argv);
int mugai_cmd_quarantine_fsck(int argc, char **argv);
int mugai_cmd_quarantine_stats(int argc, char **argv);
int mugai_cmd_quarantine_audit(int argc, char **argv);
int mugai_cmd_quarantine_release(int argc, char **argv);
int mugai_cmd_quarantine_unlock(int argc, char **argv);
int mugai_cmd_quarantine_init(int argc, char **argv);    /* init (cmd_quarantine_schema.c) */
int mugai_cmd_quarantine_migrate(int argc, char **argv); /* migrate */
