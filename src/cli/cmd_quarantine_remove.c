/* cmd_quarantine_remove.c — `mugai quarantine delete ID` and `purge`: originals removed for good,
 * each removal recorded (Unix user, time, reason) in the audit table and in syslog. Owns one
 * run's store. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "quarantine/quarantine_id.h"
#include "util/units.h"

static const char delete_description[] =
    "Removes one original and its index entry for good. The Unix user, the time and REASON go\n"
    "to the audit table (mugai quarantine audit) and to syslog.\n"
    "\n"
    "Exit status: 0 removed, 2 usage or configuration error, 4 no entry with that id, 75 the\n"
    "store failed, 77 permission denied.\n";

static const char purge_description[] =
    "Removes every original stored longer ago than AGE (default: [quarantine] retention), in\n"
    "batches of 1000, showing the count on standard error as it goes when that is a terminal.\n"
    "One audit record (user, time, REASON, count) and one syslog line per run. It also removes\n"
    "the [contacts] rows last seen longer ago than [contacts] retention (not those an admin\n"
    "added), which keeps that table bounded. Run it daily, e.g. from a systemd timer:\n"
    "mugai quarantine purge --reason retention\n"
    "\n"
    "Exit status: 0 done (also when nothing was old enough), 2 usage or configuration error,\n"
    "75 the store failed (what was removed before stays removed), 77 permission denied.\n";


int
mugai_cmd_quarantine_delete(int argc, char **argv)
{
  const char *program = "mugai quarantine delete";
  g_autofree char *config = NULL, *reason = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, "Why (recorded in the audit)", "TEXT"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = mugai_qcli_context_new(
      "ID - remove one original", "Usage: mugai quarantine delete ID --reason TEXT [-c FILE]",
      delete_description, entries);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2 || !reason ||
      !g_utf8_validate(reason, -1, NULL) || !*g_strstrip(reason)) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error       ? error->message
            : argc != 2 ? "give exactly one ID"
                        : "--reason TEXT (UTF-8) is needed",
            program);
    return MUGAI_EXIT_USAGE;
  }
  const char *id = argv[1];
  if (!mugai_qcli_id_valid(program, id))
    return MUGAI_EXIT_NOT_FOUND;
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, NULL, &status);
  if (q == NULL)
    return status;
  if (!mugai_quarantine_delete(q, id, reason, &error))
    return mugai_qcli_fail(program, error);
  mugai_qcli_syslog("delete", id, reason, NULL);
  printf("%s: deleted\n", id);
  return 0;
}

static void
show_progress(guint64 done, gpointer data)
{
  (void) data;
  fprintf(stderr, "\rmugai quarantine purge: %" G_GUINT64_FORMAT " removed", done);
}

int
mugai_cmd_quarantine_purge(int argc, char **argv)
{
  const char *program = "mugai quarantine purge";
  g_autofree char *config = NULL, *reason = NULL, *age = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"older-than", 0, 0, G_OPTION_ARG_STRING, &age, "Age (default: [quarantine] retention)",
       "AGE"},
      {"reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, "Why (recorded in the audit)", "TEXT"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      mugai_qcli_context_new("- remove old originals",
                  "Usage: mugai quarantine purge --reason TEXT [--older-than AGE] [-c FILE]",
                  purge_description, entries);
  g_autoptr(GError) error = NULL;
  guint64 seconds = 0;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1 || !reason ||
      !g_utf8_validate(reason, -1, NULL) || !*g_strstrip(reason) ||
      (age && !mugai_parse_duration(age, &seconds))) {
    fprintf(stderr, "%s: %s (see %s --help)\n", program,
            error                 ? error->message
            : argc != 1           ? "unexpected argument"
            : !reason || !*reason ? "--reason TEXT (UTF-8) is needed"
                                  : "--older-than is not a duration (90d, 12h)",
            program);
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_policy) policy = NULL;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, program, &policy, &status);
  if (q == NULL)
    return status;
  if (age == NULL)
    seconds = policy->quarantine.retention;
  gint64 before = g_get_real_time() / G_USEC_PER_SEC - (gint64) seconds;
  guint64 removed = 0;
  gboolean tty = isatty(STDERR_FILENO);
  gboolean ok =
      mugai_quarantine_purge(q, before, reason, tty ? show_progress : NULL, NULL, &removed, &error);
  if (tty && removed)
    fputc('\n', stderr);
  char text[MUGAI_DURATION_TEXT_MAX];
  g_autofree char *detail = g_strdup_printf("removed=%" G_GUINT64_FORMAT " older_than=%s", removed,
                                            mugai_format_duration(seconds, text));
  mugai_qcli_syslog("purge", "", reason, detail);
  if (!ok)
    return mugai_qcli_fail(program, error);
  printf("%" G_GUINT64_FORMAT " originals older than %s removed\n", removed, text);
  guint64 contacts = 0;
  gint64 last_seen = g_get_real_time() / G_USEC_PER_SEC - (gint64) policy->contacts.retention;
  if (!mugai_quarantine_contacts_purge(q, last_seen, &contacts, &error))
    return mugai_qcli_fail(program, error);
  printf("%" G_GUINT64_FORMAT " contacts last seen more than %s ago removed\n", contacts,
         mugai_format_duration(policy->contacts.retention, text));
  return 0;
}
