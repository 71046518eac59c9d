/* quarantine_cli.h — what every `mugai quarantine` subcommand shares: opening the store the
 * configuration names (with the errors an admin can act on), exit codes, times, the audit's
 * syslog line, and display width of Japanese text. */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "quarantine/entry.h"
#include "quarantine/store.h"
#include "sanitize/spool.h"

/* Exit codes of `mugai quarantine` beyond cli.h's: scripts rely on them. */
enum {
  MUGAI_EXIT_NOT_FOUND = 4, /* no entry with that id */
  MUGAI_EXIT_NOPERM = 77,   /* the caller may not read the store (EX_NOPERM) */
};

/* The store of the configuration at CONFIG (nullable: the default file), for PROGRAM ("mugai
 * quarantine list"). NULL, the problem on stderr and *STATUS set when it cannot be opened: no
 * [quarantine] dir (2), no store yet (75), not allowed (77). POLICY (nullable) gets the policy.
 * (transfer full) */
mugai_quarantine *mugai_qcli_open(const char *config, const char *program, mugai_policy **policy,
                                  int *status);

/* Is ID shaped like a quarantine id? FALSE after saying so on stderr (exit MUGAI_EXIT_NOT_FOUND):
 * checked before the store is opened. */
gboolean mugai_qcli_id_valid(const char *program, const char *id);

/* The entry ID of Q. NULL, the problem on stderr and *STATUS set when there is none (4) or the
 * index fails (75). (transfer full) */
mugai_quarantine_entry *mugai_qcli_get_entry(mugai_quarantine *q, const char *program,
                                             const char *id, int *status);

/* (transfer full) the original of ID read through the store into a spool as POLICY's [milter]
 * spool_dir and spool_memory make one (memory up to that, then a private unlinked file), so a
 * 64 MB original costs no more heap than the milter's own spool. NULL, the problem on stderr and
 * *STATUS set (75) when it cannot be read. */
mugai_spool *mugai_qcli_read_original(mugai_quarantine *q, const mugai_policy *policy,
                                      const char *program, const char *id, int *status);

/* A subcommand's option context: ARGS (nullable) after the name, SUMMARY, DESCRIPTION, ENTRIES.
 * (transfer full) */
GOptionContext *mugai_qcli_context_new(const char *args, const char *summary,
                                       const char *description, GOptionEntry *entries);

/* The exit status for a failure of the store, after printing "PROGRAM: MESSAGE" on stderr. */
int mugai_qcli_fail(const char *program, const GError *error);

/* One syslog line (mail facility) for an audited action, as the audit table records it. */
void mugai_qcli_syslog(const char *action, const char *id, const char *reason, const char *detail);

/* "2026-12-01 12:40:21" in local time. (transfer full) */
char *mugai_qcli_format_time(gint64 unix_time);

/* A point in time: "2026-12-01", "2026-12-01 12:00[:00]" / "2026-12-01T12:00" (local time), or
 * a duration ago ("7d", "12h"). FALSE when TEXT is none of these. */
gboolean mugai_qcli_parse_time(const char *text, gint64 *out);

/* Columns TEXT takes on a terminal: East Asian wide characters take two. */
gsize mugai_qcli_text_width(const char *text);

/* Append TEXT to OUT cut to at most WIDTH columns ("…" marks a cut), padded with spaces to
 * WIDTH when PAD. */
void mugai_qcli_append_cell(GString *out, const char *text, gsize width, gboolean pad);

/* Columns of the terminal on standard output; $COLUMNS, else 0 (no limit) when not a terminal. */
gsize mugai_qcli_terminal_width(void);
