/* cmd_quarantine_fsck.c — `mugai quarantine fsck` (files against the index, after a crash) and
 * `stats` (how much is kept, by reason). Owns one run's store. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "cli/quarantine_json.h"
#include "quarantine/fsck.h"
#include "util/units.h"

static const char fsck_description[] =
    "Reconciles the originals with the index, as needed after a crash or a full disk:\n"
    "  an entry whose original is gone (damage): the entry is removed, recorded in the audit\n"
    "  an original whose size differs from its entry: reported, kept\n"
    "Of the files a mugai before index version 3 stored under objects/:\n"
    "  a temp file of an unfinished store: removed\n"
    "  a file without an index entry (stored but never answered, so Postfix still has the\n"
    "    message; or deleted but not yet unlinked): removed\n"
    "  a stranger in objects/: reported, kept\n"
    "  a directory, original or index file whose group or mode is not the store's\n"
    "    ([quarantine] group; directories 2770, originals 0640, index 0660): fixed when\n"
    "    run as root (also given to [quarantine] user) or as the file's user, else reported\n"
    "Files younger than --grace (default 10m) are left alone: a store may be in progress.\n"
    "Safe while mugai-milter runs. --dry-run only says what it would do.\n"
    "With [quarantine] backend = postgresql a store is one transaction, so there is no crash\n"
    "debris: fsck checks the schema version, removes (and audits) an entry whose original is\n"
    "gone, and reports an original whose size differs from its entry; --grace does not apply.\n"
    "\n"
    "Exit status: 0 consistent (or made so), 1 something was found that fsck leaves to an admin\n"
    "(size mismatch, stranger, a group or mode only root may fix), 2 usage or configuration\n"
    "error, 75 the store failed, 77 permission denied.\n";

static const char stats_description[] =
    "Prints the number of originals, their total size, the oldest and newest, how many were\n"
    "released and how many hold a virus, and the count per reason; --json as an object.\n"
    "\"waiting\" counts the originals holding an archive that waits for its password (PPAP:\n"
    "never released); the line is printed only when there are any.\n"
    "\n"
    "Exit status: 0, 2 usage or configuration error, 75 the store failed, 77 permission denied.\n";


int
mugai_cmd_quarantine_fsck(int argc, char **argv)
{
  const char *program = "mugai quarantine fsck";
  g_autofree char *config = NULL, *grace_text = NULL;
  gboolean dry_run = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Change nothing, say what would be done",
       NULL},
      {"grace", 0, 0, G_OPTION_ARG_STRING, &grace_text, "Leave files younger than this (10m)",
       "AGE"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      mugai_qcli_context_new(NULL, "Usage: mugai quarantine fsck [-c FILE] [--dry-run] [--grace AGE]",
                  fsck_description, entries);
  g_autoptr(GError) error = NULL;
  guint64 grace = 600;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1 ||
      (grace_text && !mugai_parse_duration(grace_text, &grace))) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error       ? error->message
            : argc != 1 ? "unexpected argument"
                        : "--grace is not a duration",
            program);
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, NULL, &status);
  if (q == NULL)
    return status;
  mugai_quarantine_fsck_report r;
  if (!mugai_quarantine_fsck(q, (gint64) grace, !dry_run, &r, &error)) {
    mugai_quarantine_fsck_report_clear(&r);
    return mugai_qcli_fail(program, error);
  }
  for (guint i = 0; i < r.lines->len; i++)
    printf("%s\n", (const char *) g_ptr_array_index(r.lines, i));
  printf("%s\n", r.summary);
  if (!dry_run && r.entries_dropped)
    mugai_qcli_syslog("fsck", "", "entries without a file removed", "");
  int result = r.left_to_admin ? 1 : 0;
  mugai_quarantine_fsck_report_clear(&r);
  return result;
}

int
mugai_cmd_quarantine_stats(int argc, char **argv)
{
  const char *program = "mugai quarantine stats";
  g_autofree char *config = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      mugai_qcli_context_new(NULL, "Usage: mugai quarantine stats [-c FILE] [--json]", stats_description, entries);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error ? error->message : "unexpected argument", program);
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, NULL, &status);
  if (q == NULL)
    return status;
  mugai_quarantine_stats s;
  if (!mugai_quarantine_get_stats(q, &s, &error)) {
    mugai_quarantine_stats_clear(&s);
    return mugai_qcli_fail(program, error);
  }
  g_autofree char *oldest = s.oldest ? mugai_qcli_format_time(s.oldest) : g_strdup("-");
  g_autofree char *newest = s.newest ? mugai_qcli_format_time(s.newest) : g_strdup("-");
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    const char *names[] = {"entries", "bytes",  "released", "viruses",
                           "waiting", "oldest", "newest"};
    gint64 values[] = {(gint64) s.entries, (gint64) s.bytes,   (gint64) s.released,
                       (gint64) s.viruses, (gint64) s.waiting, s.oldest,
                       s.newest};
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
      json_builder_set_member_name(b, names[i]);
      json_builder_add_int_value(b, values[i]);
    }
    json_builder_set_member_name(b, "by_reason");
    json_builder_begin_object(b);
    for (guint i = 0; i < s.by_reason->len; i++) {
      g_auto(GStrv) kv = g_strsplit(g_ptr_array_index(s.by_reason, i), " ", 2);
      json_builder_set_member_name(b, kv[0]);
      json_builder_add_int_value(b, g_ascii_strtoll(kv[1], NULL, 10));
    }
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autofree char *text = mugai_qcli_json_text(b, TRUE);
    puts(text);
  } else {
    printf("entries:   %" G_GUINT64_FORMAT " (%" G_GUINT64_FORMAT " bytes)\n", s.entries, s.bytes);
    printf("oldest:    %s\nnewest:    %s\n", oldest, newest);
    printf("released:  %" G_GUINT64_FORMAT "\nvirus:     %" G_GUINT64_FORMAT "\n", s.released,
           s.viruses);
    if (s.waiting)
      printf("waiting:   %" G_GUINT64_FORMAT " (locked, for a password)\n", s.waiting);
    for (guint i = 0; i < s.by_reason->len; i++)
      printf("reason:    %s\n", (const char *) g_ptr_array_index(s.by_reason, i));
  }
  mugai_quarantine_stats_clear(&s);
  return 0;
}
