/* cmd_sanitize.c — `mugai sanitize`: one message through the same code path as the milter.
 *
 * stdout gets the message Postfix would deliver and nothing else, and only on exit 0; the last
 * line on stderr is the milter's summary line. Owns the policy, spool and result of one run; the
 * judging itself is judge.c's (shared with `mugai config diff`).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "cli/judge.h"
#include "cli/message_reader.h"
#include "config/config.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/headers.h"
#include "sanitize/notification.h"
#include "sanitize/report_json.h"
#include "sanitize/sanitize.h"

static const char description[] =
    "Reads one message (MESSAGE.eml, or standard input) and applies exactly what mugai-milter\n"
    "applies at end of data. Writes the message Postfix would deliver to standard output (only\n"
    "when the exit status is 0) and, as the last line on standard error, the summary line the\n"
    "milter logs, with the SMTP reply when the message is refused or deferred.\n"
    "\n"
    "Exit status:\n"
    "  0   a message is delivered (sanitized or unchanged)\n"
    "  2   usage or configuration error\n"
    "  3   nothing is delivered (rejected, discarded or held; a virus found is 3)\n"
    "  75  temporary failure: an internal or I/O error, or no usable virus scanner ([scan]);\n"
    "      Postfix would keep the message\n"
    "\n"
    "The message is scanned with the engine [scan] names, loaded for this run (with the official\n"
    "signatures that takes seconds; `mugai scan-info` shows what would be loaded).\n";

typedef struct {
  char *config;
  mugai_judge_options envelope;
  char *report_json;
  char *notification;
  char **files;
} options;

static void
options_clear(options *o)
{
  g_free(o->config);
  mugai_judge_options_clear(&o->envelope);
  g_free(o->report_json);
  g_free(o->notification);
  g_strfreev(o->files);
}

static int
parse_options(int argc, char **argv, options *o)
{
  GOptionEntry config_entry[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file", "FILE"},
    G_OPTION_ENTRY_NULL,
  };
  GOptionEntry entries[] = {
    {"report-json", 0, 0, G_OPTION_ARG_FILENAME, &o->report_json,
     "Write the JSON report here (on exit 0, 3 and 75)", "FILE"},
    {"notification", 0, 0, G_OPTION_ARG_FILENAME, &o->notification,
     "Write the mail [notify] would send the sender here (only when one is due)", "FILE"},
    {"queue-id", 0, 0, G_OPTION_ARG_STRING, &o->envelope.queue_id,
     "Queue ID to show in the summary", "ID"},
    {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o->files, NULL, "[MESSAGE.eml]"},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("[MESSAGE.eml] - sanitize one message");
  g_option_context_set_summary(context, "Usage: mugai sanitize [-c FILE] [--from ADDR] "
                                        "[--rcpt ADDR]... [--client IP] [--direction in|out]\n"
                                        "                      [--daemon-name NAME] [--size BYTES] "
                                        "[--report-json FILE] [--notification FILE]\n"
                                        "                      [MESSAGE.eml]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, config_entry, NULL);
  mugai_judge_add_options(context, &o->envelope);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error)) {
    fprintf(stderr, "mugai sanitize: %s (see mugai sanitize --help)\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  if (o->files && g_strv_length(o->files) > 1) {
    fputs("mugai sanitize: one message at a time\n", stderr);
    return MUGAI_EXIT_USAGE;
  }
  if (!mugai_judge_options_valid(&o->envelope, "mugai sanitize"))
    return MUGAI_EXIT_USAGE;
  return 0;
}

static gboolean
write_report(const char *path, const mugai_result *result, const mugai_envelope *envelope)
{
  g_autofree char *json = mugai_report_json(result, envelope);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, json, -1, &error)) {
    fprintf(stderr, "mugai sanitize: cannot write the report: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

/* The mail the milter would send the sender ([notify]), when one is due. */
static gboolean
write_notification(const char *path, const mugai_policy *policy, const mugai_envelope *envelope,
                   const mugai_read_message *message, const mugai_result *result)
{
  if (!mugai_notification_due(policy, envelope, message->headers, result))
    return TRUE;
  g_autoptr(GDateTime) now = g_date_time_new_now_local();
  g_autoptr(GByteArray) mail = mugai_notification_build(policy, envelope, message->headers,
                                                        result, now);
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(path, (const char *) mail->data, mail->len, &error)) {
    fprintf(stderr, "mugai sanitize: cannot write the notification: %s\n", error->message);
    return FALSE;
  }
  return TRUE;
}

/* Headers rendered with the result's edits, then the new body or the original one. */
static gboolean
write_delivered(FILE *out, const mugai_read_message *message, const mugai_result *result,
                GError **error)
{
  g_autoptr(GByteArray) head = g_byte_array_new();
  mugai_headers_render(head, message->headers, result);
  if (fwrite(head->data, 1, head->len, out) != head->len)
    goto io_error;
  if (result->body) {
    if (fwrite(result->body->data, 1, result->body->len, out) != result->body->len)
      goto io_error;
  } else {
    GMimeStream *all = mugai_spool_get_stream(message->spool, error);
    if (all == NULL)
      return FALSE;
    g_autoptr(GMimeStream) body = g_mime_stream_substream(all, (gint64) message->body_offset, -1);
    g_object_unref(all);
    /* Plain fwrite: GMime's file stream seeks, which fails when stdout is a pipe. */
    char buf[65536];
    gssize n;
    while ((n = g_mime_stream_read(body, buf, sizeof buf)) > 0)
      if (fwrite(buf, 1, (size_t) n, out) != (size_t) n)
        goto io_error;
    if (n < 0)
      goto io_error;
  }
  if (fflush(out) == 0)
    return TRUE;
io_error:
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot write the message to standard output");
  return FALSE;
}

static int
exit_status_for(mugai_verdict verdict)
{
  switch (verdict) {
  case MUGAI_VERDICT_DELIVER:
    return MUGAI_EXIT_DELIVERED;
  case MUGAI_VERDICT_TEMPFAIL:
    return MUGAI_EXIT_TEMPFAIL;
  default:
    return MUGAI_EXIT_REFUSED;
  }
}

int
mugai_cmd_sanitize(int argc, char **argv)
{
  options o = {0};
  int status = parse_options(argc, argv, &o);
  if (status != 0) {
    options_clear(&o);
    return status;
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_policy) policy = mugai_config_load(o.config, problems, &error);
  if (policy == NULL) {
    fprintf(stderr, "mugai sanitize: configuration error:\n%s\n", error->message);
    options_clear(&o);
    return MUGAI_EXIT_USAGE;
  }
  g_autoptr(mugai_judge) judge = mugai_judge_new(policy, "mugai sanitize");
  mugai_judge_keep_originals(judge);
  gint64 start = g_get_monotonic_time();
  mugai_envelope envelope;
  mugai_read_message message = {0};
  g_autoptr(mugai_result) result = mugai_judge_message(judge, &o.envelope,
                                                       o.files ? o.files[0] : NULL, &envelope,
                                                       &message, NULL);
  double ms = (g_get_monotonic_time() - start) / 1000.0;

  status = exit_status_for(result->verdict);
  if (status == MUGAI_EXIT_DELIVERED && !write_delivered(stdout, &message, result, &error)) {
    mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, error->message);
    status = MUGAI_EXIT_TEMPFAIL;
  }
  if (o.report_json && !write_report(o.report_json, result, &envelope))
    status = MUGAI_EXIT_TEMPFAIL;
  if (o.notification && !write_notification(o.notification, policy, &envelope, &message, result))
    status = MUGAI_EXIT_TEMPFAIL;
  g_autofree char *line = mugai_summary_line(&envelope, result, ms);
  fprintf(stderr, "%s\n", line);
  mugai_read_message_clear(&message);
  options_clear(&o);
  return status;
}
