/* cmd_quarantine_list.c — `mugai quarantine list`: the entries a filter selects, newest first, as
 * an aligned table sized to the terminal (Japanese text counted in columns) or as JSON.
 * Owns the store and policy of one run; reads only. */
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_json.h"
#include "cli/quarantine_cmds.h"

#define PROGRAM "mugai quarantine list"

static const char description[] =
    "Lists the originals in the quarantine, newest first: id, time stored (local), verdict,\n"
    "reason, envelope sender, first recipient (+N more), Subject. Columns are aligned; Japanese\n"
    "text takes two columns a character; on a terminal (or with $COLUMNS) the Subject is cut to\n"
    "fit. --json prints a JSON array with every field instead, for scripts.\n"
    "\n"
    "TIME is 2026-12-01, \"2026-12-01 12:00\" (local time) or a duration ago (7d, 12h).\n"
    "Filters combine (all must match); --rcpt is an exact address (case ignored), --from any\n"
    "part of the envelope sender or the From header, --sender the exact envelope sender (case\n"
    "ignored). --locked: only originals holding a password-protected archive that still waits\n"
    "for its password (PPAP: never released; an unlock or a release ends the wait).\n"
    "\n"
    "Exit status: 0 listed (also when nothing matched), 2 usage or configuration error,\n"
    "75 the store cannot be read, 77 permission denied (run as root or the store's owner).\n";

enum { COL_ID, COL_STORED, COL_VERDICT, COL_REASON, COL_FROM, COL_RCPT, COL_COUNT };
static const char *const titles[COL_COUNT] = {"ID", "STORED", "VERDICT", "REASON", "FROM", "RCPT"};

typedef struct {
  gboolean json;
  gboolean first;
  gsize widths[COL_COUNT];
  gsize subject; /* columns left for the Subject; G_MAXSIZE: no limit */
} list_out;

/* Fixed columns for id, time, verdict and reason (the longest reason word); the addresses get a
 * share of what the terminal leaves, the Subject the rest, so rows never wrap. */
static void
size_columns(list_out *o, gsize terminal)
{
  const gsize fixed[] = {26, 16, 7, 18};
  gsize used = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
    used += (o->widths[i] = fixed[i]) + 1;
  if (terminal == 0) {
    o->widths[COL_FROM] = o->widths[COL_RCPT] = 28;
    o->subject = G_MAXSIZE;
    return;
  }
  gsize rest = terminal > used + 2 ? terminal - used - 2 : 0; /* two separators follow */
  gsize address = CLAMP(rest * 3 / 10, 8, 28);
  o->widths[COL_FROM] = o->widths[COL_RCPT] = address;
  o->subject = rest > 2 * address ? rest - 2 * address : 0;
}

static void
print_cells(const list_out *o, const char *const cells[COL_COUNT], const char *subject)
{
  g_autoptr(GString) line = g_string_new(NULL);
  for (gsize i = 0; i < COL_COUNT; i++) {
    mugai_qcli_append_cell(line, *cells[i] ? cells[i] : "-", o->widths[i], TRUE);
    g_string_append_c(line, ' ');
  }
  mugai_qcli_append_cell(line, subject, o->subject, FALSE);
  while (line->len && line->str[line->len - 1] == ' ')
    g_string_truncate(line, line->len - 1);
  puts(line->str);
}

static gboolean
print_row(const mugai_quarantine_entry *e, gpointer data)
{
  list_out *o = data;
  if (o->json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    mugai_qcli_entry_json(b, e, FALSE);
    g_autofree char *text = mugai_qcli_json_text(b, FALSE);
    printf("%s%s", o->first ? "[\n" : ",\n", text);
    o->first = FALSE;
    return TRUE;
  }
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_local(e->time);
  g_autofree char *when = t ? g_date_time_format(t, "%Y-%m-%d %H:%M") : g_strdup("?");
  guint n = g_strv_length(e->rcpts);
  g_autofree char *rcpt =
      n > 1 ? g_strdup_printf("%s +%u", e->rcpts[0], n - 1) : g_strdup(n ? e->rcpts[0] : "");
  const char *cells[COL_COUNT] = {e->id, when, e->verdict, e->reason, e->mail_from, rcpt};
  print_cells(o, cells, e->subject);
  return TRUE;
}

int
mugai_cmd_quarantine_list(int argc, char **argv)
{
  g_autofree char *config = NULL, *since = NULL, *until = NULL, *reason = NULL, *rcpt = NULL,
                  *from = NULL, *sender = NULL;
  gboolean json = FALSE, virus = FALSE, released = FALSE, locked = FALSE;
  gint64 limit = 0;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array instead of the table", NULL},
      {"since", 0, 0, G_OPTION_ARG_STRING, &since, "Stored at or after TIME", "TIME"},
      {"until", 0, 0, G_OPTION_ARG_STRING, &until, "Stored before TIME", "TIME"},
      {"reason", 0, 0, G_OPTION_ARG_FILENAME, &reason, "Reason word (virus, autoforward, none...)",
       "WORD"},
      {"rcpt", 0, 0, G_OPTION_ARG_FILENAME, &rcpt, "An envelope recipient", "ADDR"},
      {"from", 0, 0, G_OPTION_ARG_FILENAME, &from, "In the envelope sender or From header", "TEXT"},
      {"sender", 0, 0, G_OPTION_ARG_FILENAME, &sender, "The exact envelope sender", "ADDR"},
      {"virus", 0, 0, G_OPTION_ARG_NONE, &virus, "Only originals with a virus", NULL},
      {"released", 0, 0, G_OPTION_ARG_NONE, &released, "Only originals released already", NULL},
      {"locked", 0, 0, G_OPTION_ARG_NONE, &locked,
       "Only originals whose archive waits for its password", NULL},
      {"limit", 0, 0, G_OPTION_ARG_INT64, &limit, "At most N entries", "N"},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("- list the quarantine");
  g_option_context_set_summary(context,
                               "Usage: mugai quarantine list [-c FILE] [--json] "
                               "[--since TIME] [--until TIME] [--reason WORD] [--rcpt ADDR] "
                               "[--from TEXT] [--sender ADDR] [--virus] [--released] "
                               "[--locked] [--limit N]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  mugai_quarantine_filter filter = {.reason = reason,
                                .rcpt = rcpt,
                                .from = from,
                                .sender = sender,
                                .virus_only = virus,
                                .locked_only = locked,
                                .released = released ? 1 : -1};
  if (locked) /* waiting: locked and never released */
    filter.released = 0;
  /* Taken as bytes (GOption would convert from a C locale and fail), so checked here. */
  const char *texts[] = {reason, rcpt, from, sender};
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    if (texts[i] && !g_utf8_validate(texts[i], -1, NULL)) {
      fprintf(stderr, PROGRAM ": options must be UTF-8 text\n");
      return MUGAI_EXIT_USAGE;
    }
  if (argc > 1 || limit < 0 || (locked && released) ||
      (since && !mugai_qcli_parse_time(since, &filter.since)) ||
      (until && !mugai_qcli_parse_time(until, &filter.until))) {
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n",
            argc > 1             ? "unexpected argument"
            : limit < 0          ? "--limit must not be negative"
            : locked && released ? "--locked and --released exclude each other"
                                 : "TIME is not a date or a duration");
    return MUGAI_EXIT_USAGE;
  }
  filter.limit = (guint64) limit;
  int status = 0;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, PROGRAM, NULL, &status);
  if (q == NULL)
    return status;
  list_out out = {.json = json, .first = TRUE};
  size_columns(&out, mugai_qcli_terminal_width());
  if (!json)
    print_cells(&out, titles, "SUBJECT");
  if (!mugai_quarantine_list(q, &filter, print_row, &out, &error)) {
    fflush(stdout);
    return mugai_qcli_fail(PROGRAM, error);
  }
  if (json)
    printf(out.first ? "[]\n" : "\n]\n");
  return fflush(stdout) == 0 ? 0 : MUGAI_EXIT_TEMPFAIL;
}
