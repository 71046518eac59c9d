/* cmd_quarantine_audit.c — `mugai quarantine audit`: the append-only record of every release,
 * delete, purge and fsck repair (who, when, what, why), as text, JSON or CSV. Reads only. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "cli/quarantine_json.h"

#define PROGRAM "mugai quarantine audit"

static const char description[] =
    "Prints the audit table, oldest first: sequence number, time, Unix user (and the sudo user\n"
    "behind root), action (release, delete, purge, fsck), entry id, reason and detail. The table\n"
    "is append-only: the index refuses to change or remove a record. --json prints an array,\n"
    "--csv RFC 4180 CSV with a header line (for a spreadsheet).\n"
    "\n"
    "Exit status: 0, 2 usage or configuration error, 75 the store failed, 77 permission denied.\n";

static void
csv_field(GString *out, const char *text, gboolean last)
{
  g_string_append_c(out, '"');
  for (const char *p = text; *p; p++) {
    if (*p == '"')
      g_string_append_c(out, '"');
    g_string_append_c(out, *p);
  }
  g_string_append(out, last ? "\"\r\n" : "\",");
}

static void
print_csv(const GPtrArray *rows)
{
  g_autoptr(GString) out = g_string_new("seq,time,user,uid,action,id,reason,detail\r\n");
  for (guint i = 0; i < rows->len; i++) {
    const mugai_quarantine_audit_row *r = g_ptr_array_index(rows, i);
    g_autofree char *seq = g_strdup_printf("%" G_GINT64_FORMAT, r->seq);
    g_autofree char *when = mugai_qcli_format_time(r->time);
    g_autofree char *uid = g_strdup_printf("%" G_GINT64_FORMAT, r->uid);
    const char *fields[] = {seq, when, r->user, uid, r->action, r->id, r->reason, r->detail};
    for (gsize f = 0; f < G_N_ELEMENTS(fields); f++)
      csv_field(out, fields[f], f + 1 == G_N_ELEMENTS(fields));
  }
  fwrite(out->str, 1, out->len, stdout);
}

static void
print_json(const GPtrArray *rows)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (guint i = 0; i < rows->len; i++) {
    const mugai_quarantine_audit_row *r = g_ptr_array_index(rows, i);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "seq");
    json_builder_add_int_value(b, r->seq);
    json_builder_set_member_name(b, "time");
    json_builder_add_int_value(b, r->time);
    json_builder_set_member_name(b, "uid");
    json_builder_add_int_value(b, r->uid);
    const char *names[] = {"user", "action", "id", "reason", "detail"};
    const char *values[] = {r->user, r->action, r->id, r->reason, r->detail};
    for (gsize f = 0; f < G_N_ELEMENTS(names); f++) {
      json_builder_set_member_name(b, names[f]);
      json_builder_add_string_value(b, values[f]);
    }
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  g_autofree char *text = mugai_qcli_json_text(b, TRUE);
  puts(text);
}

static void
print_text(const GPtrArray *rows)
{
  for (guint i = 0; i < rows->len; i++) {
    const mugai_quarantine_audit_row *r = g_ptr_array_index(rows, i);
    g_autofree char *when = mugai_qcli_format_time(r->time);
    g_autoptr(GString) line = g_string_new(NULL);
    g_string_append_printf(line, "%" G_GINT64_FORMAT " %s %s %s %s", r->seq, when, r->user,
                           r->action, *r->id ? r->id : "-");
    g_string_append(line, " reason=\"");
    mugai_qcli_append_cell(line, r->reason, G_MAXSIZE, FALSE);
    g_string_append_c(line, '"');
    if (*r->detail) {
      g_string_append_c(line, ' ');
      mugai_qcli_append_cell(line, r->detail, G_MAXSIZE, FALSE);
    }
    puts(line->str);
  }
}

int
mugai_cmd_quarantine_audit(int argc, char **argv)
{
  g_autofree char *config = NULL;
  gboolean json = FALSE, csv = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL},
      {"csv", 0, 0, G_OPTION_ARG_NONE, &csv, "Print CSV", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("- show who did what to the quarantine");
  g_option_context_set_summary(context, "Usage: mugai quarantine audit [-c FILE] [--json|--csv]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 1 || (json && csv)) {
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n",
            error       ? error->message
            : argc != 1 ? "unexpected argument"
                        : "--json and --csv exclude each other");
    return MUGAI_EXIT_USAGE;
  }
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, PROGRAM, NULL, &status);
  if (q == NULL)
    return status;
  g_autoptr(GPtrArray) rows = mugai_quarantine_audit_list(q, &error);
  if (rows == NULL)
    return mugai_qcli_fail(PROGRAM, error);
  if (json)
    print_json(rows);
  else if (csv)
    print_csv(rows);
  else
    print_text(rows);
  return fflush(stdout) == 0 ? 0 : MUGAI_EXIT_TEMPFAIL;
}
