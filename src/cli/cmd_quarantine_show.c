/* cmd_quarantine_show.c — `mugai quarantine show ID`: one entry's metadata, its MIME parts as a
 * tree with what was done to each and why, the reply; --json the same as an object; --raw the
 * original itself (never binary to a terminal unless --force). Owns one run's store; reads only.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include "cli/cli.h"
#include "cli/quarantine_cli.h"
#include "cli/quarantine_cmds.h"
#include "cli/quarantine_json.h"
#include "quarantine/quarantine_id.h"

#define PROGRAM "mugai quarantine show"

static const char description[] =
    "Shows one original in the quarantine: when and from whom it came (the gateway host that\n"
    "stored it, queue ID, client, envelope), its decoded From and Subject, what mugai decided\n"
    "(verdict, reason, SMTP reply, actions, virus signatures) and each MIME part (IMAP part\n"
    "number, declared and detected type, file name, size, SHA-256) with what was done to it and\n"
    "why. The host is \"-\" for an original stored before mugai recorded hosts. \"locked\" is\n"
    "shown for an original holding a password-protected archive kept for its password (PPAP).\n"
    "\n"
    "--raw writes the original exactly as it was received (headers as Postfix passed them, then\n"
    "the body) to standard output; to a terminal only when it is text, or with --force.\n"
    "\n"
    "Exit status: 0 shown, 2 usage or configuration error, 4 no entry with that id, 75 the store\n"
    "cannot be read, 77 permission denied.\n";

/* The reply text of the JSON report ("550 5.7.1 Virus found: X"); "" when none. */
static char *
reply_of(const char *report)
{
  g_autoptr(JsonNode) root = json_from_string(report, NULL);
  JsonObject *o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
  JsonNode *reply = o ? json_object_get_member(o, "reply") : NULL;
  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT(reply))
    return g_strdup("");
  JsonObject *r = json_node_get_object(reply);
  return g_strdup_printf("%s %s %s", json_object_get_string_member_with_default(r, "code", ""),
                         json_object_get_string_member_with_default(r, "status", ""),
                         json_object_get_string_member_with_default(r, "text", ""));
}

static void
print_parts(const mugai_quarantine_entry *e)
{
  printf("parts:\n");
  for (guint i = 0; i < e->parts->len; i++) {
    const mugai_quarantine_part *p = g_ptr_array_index(e->parts, i);
    guint depth = 0;
    for (const char *c = p->path; *c; c++)
      depth += *c == '.';
    g_autoptr(GString) line = g_string_new("  ");
    for (guint d = 0; d < depth; d++)
      g_string_append(line, "  ");
    g_string_append_printf(line, "%s %s", p->path, p->type);
    if (*p->detected_type && strcmp(p->detected_type, p->type) != 0)
      g_string_append_printf(line, " (detected %s)", p->detected_type);
    if (*p->name)
      g_string_append_printf(line, " \"%s\"", p->name);
    if (strcmp(p->action, "container") != 0)
      g_string_append_printf(line, " %" G_GUINT64_FORMAT " bytes", p->size);
    g_string_append_printf(line, ": %s", p->action);
    if (*p->reason)
      g_string_append_printf(line, " (%s)", p->reason);
    if (*p->sha256 && strcmp(p->action, "removed") == 0)
      g_string_append_printf(line, " sha256 %s", p->sha256);
    puts(line->str);
  }
}

static void
print_entry(const mugai_quarantine_entry *e)
{
  g_autofree char *when = mugai_qcli_format_time(e->time);
  g_autofree char *rcpts = g_strjoinv(">, <", e->rcpts);
  g_autofree char *reply = reply_of(e->report_json);
  g_autofree char *released = e->released ? mugai_qcli_format_time(e->released) : g_strdup("never");
  printf("id:         %s\n", e->id);
  printf("stored:     %s\n", when);
  printf("host:       %s\n", *e->host ? e->host : "-");
  printf("queue id:   %s\n", *e->queue_id ? e->queue_id : "-");
  printf("client:     %s\n", *e->client ? e->client : "-");
  printf("direction:  %s\n", e->direction);
  printf("envelope:   <%s> -> <%s>\n", e->mail_from, rcpts);
  printf("From:       %s\n", e->from);
  printf("Subject:    %s\n", e->subject);
  printf("size:       %" G_GUINT64_FORMAT " bytes\n", e->size);
  gboolean sanitized = strcmp(e->verdict, "deliver") == 0;
  printf("verdict:    %s%s%s\n", e->verdict,
         sanitized ? " (sanitized copy delivered)" : ", reason ", sanitized ? "" : e->reason);
  if (*reply)
    printf("reply:      %s\n", reply);
  printf("actions:    %s\n", e->actions);
  if (*e->signatures)
    printf("virus:      %s\n", e->signatures);
  printf("released:   %s\n", released);
  /* PPAP: a release (an unlock that sent the archive's text, or an admin's) ends the wait. */
  if (e->locked && e->released)
    printf("locked:     yes (held for its password until released)\n");
  else if (e->locked)
    printf("locked:     yes (an archive waits for its password)\n");
  print_parts(e);
}

/* TRUE when DATA would not show as text on a terminal: NUL, control bytes, invalid UTF-8. */
static gboolean
is_binary(const char *data, gsize len)
{
  for (gsize i = 0; i < len; i++) {
    guchar c = (guchar) data[i];
    if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != 0x1b)
      return TRUE;
    if (c == 0x7f)
      return TRUE;
  }
  return !g_utf8_validate_len(data, len, NULL) && memchr(data, 0x1b, len) == NULL;
}

static gboolean
write_stdout(const guint8 *data, gsize len, gpointer user_data, GError **error)
{
  (void) user_data;
  if (fwrite(data, 1, len, stdout) == len)
    return TRUE;
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write to standard output");
  return FALSE;
}

/* The original to standard output: straight through when it goes to a file or a pipe, so memory
 * stays flat; to a terminal only after it has been seen whole to be text (or with FORCE). */
static int
print_raw(mugai_quarantine *q, const mugai_policy *policy, const char *id, gboolean force)
{
  g_autoptr(GError) error = NULL;
  if (force || !isatty(STDOUT_FILENO)) {
    if (!mugai_quarantine_read_original(q, id, write_stdout, NULL, &error))
      return mugai_qcli_fail(PROGRAM, error);
    return fflush(stdout) == 0 ? 0 : MUGAI_EXIT_TEMPFAIL;
  }
  int status = 0;
  g_autoptr(mugai_spool) spool = mugai_qcli_read_original(q, policy, PROGRAM, id, &status);
  if (spool == NULL)
    return status;
  const guint8 *view = NULL;
  gsize len = 0;
  if (!mugai_spool_view(spool, &view, &len, &error)) {
    fprintf(stderr, PROGRAM ": %s\n", error->message);
    return MUGAI_EXIT_TEMPFAIL;
  }
  const char *data = view ? (const char *) view : "";
  if (is_binary(data, len)) {
    fprintf(stderr,
            PROGRAM ": %s holds binary data: not written to a terminal (redirect it, "
                    "or --force)\n",
            id);
    return MUGAI_EXIT_USAGE;
  }
  if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
    return MUGAI_EXIT_TEMPFAIL;
  return 0;
}

int
mugai_cmd_quarantine_show(int argc, char **argv)
{
  g_autofree char *config = NULL;
  gboolean json = FALSE, raw = FALSE, force = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON object", NULL},
      {"raw", 0, 0, G_OPTION_ARG_NONE, &raw, "Print the original as received", NULL},
      {"force", 0, 0, G_OPTION_ARG_NONE, &force, "With --raw: to a terminal even if binary", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("ID - show one quarantined original");
  g_option_context_set_summary(context, "Usage: mugai quarantine show ID [-c FILE] [--json] "
                                        "[--raw [--force]]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc != 2 || (json && raw)) {
    fprintf(stderr, PROGRAM ": %s (see " PROGRAM " --help)\n",
            error         ? error->message
            : json && raw ? "--json and --raw exclude each other"
                          : "give exactly one ID");
    return MUGAI_EXIT_USAGE;
  }
  const char *id = argv[1];
  if (!mugai_qcli_id_valid(PROGRAM, id))
    return MUGAI_EXIT_NOT_FOUND;
  int status = 0;
  g_autoptr(mugai_policy) policy = NULL;
  g_autoptr(mugai_quarantine) q = mugai_qcli_open(config, PROGRAM, &policy, &status);
  if (q == NULL)
    return status;
  g_autoptr(mugai_quarantine_entry) e = mugai_qcli_get_entry(q, PROGRAM, id, &status);
  if (e == NULL)
    return status;
  if (raw)
    return print_raw(q, policy, id, force);
  if (json) {
    g_autoptr(JsonBuilder) b = json_builder_new();
    mugai_qcli_entry_json(b, e, TRUE);
    g_autofree char *text = mugai_qcli_json_text(b, TRUE);
    puts(text);
  } else {
    print_entry(e);
  }
  return fflush(stdout) == 0 ? 0 : MUGAI_EXIT_TEMPFAIL;
}
