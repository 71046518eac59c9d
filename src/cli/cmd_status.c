/* cmd_status.c — `mugai status`: what a monitoring system needs in one command. The milter's own
 * state comes from the status file it writes ([milter] status_file, milter/status.h); the rest is
 * looked at here: the configuration on disk against the one in force, the quarantine's size, the
 * clock. Owns the policy, the parsed status and the report of one run. */
#include <errno.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "cli/cli.h"
#include "cli/status_text.h"
#include "config/config.h"
#include "quarantine/store.h"
#include "util/clock_sync.h"
#include "util/units.h"

static const char description[] =
    "Shows whether mugai-milter is running and healthy: its process and uptime, the\n"
    "configuration in force (and whether the file on disk still matches it), the last reload,\n"
    "the virus scanner and the age of its signatures, messages and verdicts since start, the\n"
    "quarantine's size, and whether the system clock is synchronised. The milter's part comes\n"
    "from [milter] status_file, which it rewrites every 10 seconds; a file older than 30\n"
    "seconds, or whose process is gone, means the milter is not running.\n"
    "\n"
    "--json prints the same as one JSON object: \"health\" (ok, warning or critical),\n"
    "\"problems\" (one text each), \"milter\" (the status file, or null), \"config_on_disk\",\n"
    "\"quarantine\" (or null) and \"clock\".\n"
    "\n"
    "Exit status:\n"
    "  0   running, nothing to report\n"
    "  1   running, with warnings (clock not synchronised, configuration changed on disk without\n"
    "      a reload, last reload refused, signatures past half of [scan] max_signature_age,\n"
    "      quarantine not readable)\n"
    "  2   usage or configuration error (a file on disk that is not valid: the milter runs on\n"
    "      the one it loaded; `mugai config check` names the problems)\n"
    "  75  not running, or failing closed (no usable scanner: every message is answered 451)\n";

typedef struct {
  GPtrArray *warnings; /* char *: each thing to look at */
  GPtrArray *critical; /* char *: mail does not flow */
} health;

static void
health_clear(health *h)
{
  g_clear_pointer(&h->warnings, g_ptr_array_unref);
  g_clear_pointer(&h->critical, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(health, health_clear)

/* (transfer full) (nullable) the milter's status object in PATH; NULL with H's critical note
 * when there is none, it cannot be read, or its writer is gone. */
static JsonParser *
read_milter_status(const char *path, gint64 now, health *h)
{
  if (*path == '\0') {
    g_ptr_array_add(h->critical, g_strdup("[milter] status_file is empty: the milter's state "
                                          "cannot be seen"));
    return NULL;
  }
  g_autoptr(JsonParser) parser = json_parser_new();
  g_autoptr(GError) error = NULL;
  if (!json_parser_load_from_file(parser, path, &error) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
    g_ptr_array_add(h->critical, g_strdup_printf("mugai-milter is not running (%s: %s)", path,
                                                 error ? error->message : "not a status object"));
    return NULL;
  }
  JsonObject *o = json_node_get_object(json_parser_get_root(parser));
  gint64 pid = mugai_status_num(o, "pid"), age = now - mugai_status_num(o, "written");
  gboolean alive = pid > 0 && (kill((pid_t) pid, 0) == 0 || errno == EPERM);
  if (!alive || age > 3 * MAX(mugai_status_num(o, "interval"), 1)) {
    g_ptr_array_add(h->critical,
                    g_strdup_printf("mugai-milter is not running (%s was written %" G_GINT64_FORMAT
                                    " s ago by pid %" G_GINT64_FORMAT "%s)",
                                    path, age, pid, alive ? "" : ", which is gone"));
    return NULL;
  }
  return g_steal_pointer(&parser);
}

/* Warnings of the milter's own state M: its scanner, its last reload, the file in force. */
static void
judge_milter(JsonObject *m, const char *sha256_on_disk, gint64 now, health *h)
{
  JsonObject *scanner = mugai_status_obj(m, "scanner");
  gboolean none = strcmp(mugai_status_str(scanner, "backend"), "none") == 0;
  if (!none && !(scanner && json_object_get_boolean_member_with_default(scanner, "ready", FALSE)))
    g_ptr_array_add(h->critical, g_strdup_printf("no usable virus scanner (%s): every message "
                                                 "is answered 451",
                                                 mugai_status_str(scanner, "failure")));
  gint64 max_age = mugai_status_num(scanner, "max_signature_age");
  gint64 age = now - mugai_status_num(scanner, "signature_time");
  if (!none && mugai_status_num(scanner, "signature_time") && max_age && age > max_age / 2)
    g_ptr_array_add(h->warnings,
                    g_strdup_printf("the signatures are %.1f days old ([scan] max_signature_age "
                                    "%.1f days: past it every message is answered 451)",
                                    age / 86400.0, max_age / 86400.0));
  JsonObject *reload = mugai_status_obj(m, "last_reload");
  if (strcmp(mugai_status_str(reload, "result"), "refused") == 0)
    g_ptr_array_add(h->warnings, g_strdup_printf("the last reload was refused: %s",
                                                 mugai_status_str(reload, "detail")));
  JsonObject *config = mugai_status_obj(m, "config");
  if (sha256_on_disk && strcmp(sha256_on_disk, mugai_status_str(config, "sha256")) != 0)
    g_ptr_array_add(h->warnings, g_strdup_printf("%s changed on disk without a reload (check it "
                                                 "with `mugai config check`, then send SIGHUP)",
                                                 mugai_status_str(config, "source")));
}

/* The quarantine's numbers onto B (null when there is none); a store this user cannot read is a
 * warning, not a failure of the gateway. */
static void
add_quarantine(JsonBuilder *b, const mugai_policy *policy, health *h)
{
  json_builder_set_member_name(b, "quarantine");
  if (!mugai_quarantine_policy_enabled(&policy->quarantine)) {
    json_builder_add_null_value(b);
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_quarantine) q = mugai_quarantine_open(&policy->quarantine, FALSE, &error);
  mugai_quarantine_stats stats = {0};
  if (q == NULL || !mugai_quarantine_get_stats(q, &stats, &error)) {
    g_ptr_array_add(h->warnings, g_strdup_printf("quarantine: %s", error->message));
    json_builder_add_null_value(b);
    return;
  }
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "location");
  json_builder_add_string_value(b, mugai_quarantine_get_location(q));
  json_builder_set_member_name(b, "entries");
  json_builder_add_int_value(b, (gint64) stats.entries);
  json_builder_set_member_name(b, "bytes");
  json_builder_add_int_value(b, (gint64) stats.bytes);
  json_builder_set_member_name(b, "oldest");
  json_builder_add_int_value(b, stats.oldest);
  json_builder_end_object(b);
  mugai_quarantine_stats_clear(&stats);
}

static void
add_strings(JsonBuilder *b, const char *name, GPtrArray *items)
{
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (guint i = 0; i < items->len; i++)
    json_builder_add_string_value(b, g_ptr_array_index(items, i));
  json_builder_end_array(b);
}

/* The whole report as one JSON object (what --json prints and the text is made from). */
static JsonNode *
build_report(const mugai_policy *policy, gint64 now, health *h)
{
  g_autoptr(JsonParser) status = read_milter_status(policy->milter_status_file, now, h);
  JsonObject *m = status ? json_node_get_object(json_parser_get_root(status)) : NULL;
  g_autofree char *on_disk = NULL;
  if (strcmp(policy->source, MUGAI_EMBEDDED_SOURCE) != 0)
    on_disk = mugai_config_file_sha256(policy->source, NULL);
  gboolean same_file =
      m && strcmp(mugai_status_str(mugai_status_obj(m, "config"), "source"), policy->source) == 0;
  if (m)
    judge_milter(m, same_file ? on_disk : NULL, now, h);
  gint64 max_error_ms = 0;
  gboolean synced = mugai_clock_synchronised(&max_error_ms);
  if (!synced)
    g_ptr_array_add(
        h->warnings,
        g_strdup_printf("the system clock is not synchronised (maximum error %" G_GINT64_FORMAT
                        " ms): log times may be wrong; run an NTP "
                        "client (systemd-timesyncd, chrony)",
                        max_error_ms));
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "milter");
  if (m)
    json_builder_add_value(b, json_node_copy(json_parser_get_root(status)));
  else
    json_builder_add_null_value(b);
  json_builder_set_member_name(b, "config_on_disk");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "source");
  json_builder_add_string_value(b, policy->source);
  json_builder_set_member_name(b, "sha256");
  json_builder_add_string_value(b, on_disk ? on_disk : policy->sha256);
  json_builder_end_object(b);
  add_quarantine(b, policy, h);
  json_builder_set_member_name(b, "clock");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "synchronised");
  json_builder_add_boolean_value(b, synced);
  json_builder_set_member_name(b, "max_error_ms");
  json_builder_add_int_value(b, max_error_ms);
  json_builder_end_object(b);
  json_builder_set_member_name(b, "health");
  json_builder_add_string_value(b, h->critical->len   ? "critical"
                                   : h->warnings->len ? "warning"
                                                      : "ok");
  g_autoptr(GPtrArray) problems = g_ptr_array_new();
  g_ptr_array_extend(problems, h->critical, NULL, NULL);
  g_ptr_array_extend(problems, h->warnings, NULL, NULL);
  add_strings(b, "problems", problems);
  json_builder_end_object(b);
  return json_builder_get_root(b);
}

static int
exit_status(const health *h)
{
  return h->critical->len ? MUGAI_EXIT_TEMPFAIL : h->warnings->len ? 1 : 0;
}

int
mugai_cmd_status(int argc, char **argv)
{
  g_autofree char *path = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &path, "Configuration file", "FILE"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON object", NULL},
      G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context =
      g_option_context_new("- show whether mugai-milter is healthy");
  g_option_context_set_summary(context, "Usage: mugai status [-c FILE] [--json]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, &argc, &argv, &error) || argc > 1) {
    fprintf(stderr, "mugai status: %s (see mugai status --help)\n",
            error ? error->message : "unexpected argument");
    return MUGAI_EXIT_USAGE;
  }
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(mugai_policy) policy = mugai_config_load(path, problems, &error);
  if (policy == NULL) {
    fprintf(stderr, "mugai status: configuration error:\n%s\n", error->message);
    return MUGAI_EXIT_USAGE;
  }
  g_auto(health)
      h = {g_ptr_array_new_with_free_func(g_free), g_ptr_array_new_with_free_func(g_free)};
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(JsonNode) report = build_report(policy, now, &h);
  if (json) {
    g_autoptr(JsonGenerator) g = json_generator_new();
    json_generator_set_root(g, report);
    json_generator_set_pretty(g, TRUE);
    g_autofree char *text = json_generator_to_data(g, NULL);
    printf("%s\n", text);
  } else {
    mugai_status_print_text(json_node_get_object(report), now);
  }
  return exit_status(&h);
}
