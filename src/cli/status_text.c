/* status_text.c — see status_text.h. */
#include "cli/status_text.h"
#include <stdio.h>
#include <string.h>
#include "util/units.h"

static gint64
num(JsonObject *o, const char *name)
{
  return o && json_object_has_member(o, name) && !json_object_get_null_member(o, name)
             ? json_object_get_int_member(o, name)
             : 0;
}

static const char *
str(JsonObject *o, const char *name)
{
  return o && json_object_has_member(o, name) ? json_object_get_string_member(o, name) : "";
}

static JsonObject *
obj(JsonObject *o, const char *name)
{
  return o && json_object_has_member(o, name) && !json_object_get_null_member(o, name)
             ? json_object_get_object_member(o, name)
             : NULL;
}

/* (transfer full) "2026-12-01 12:40:21" in local time. */
static char *
local_time(gint64 t)
{
  g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
  return d ? g_date_time_format(d, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
}

/* (transfer full) "3 d 04:05:06" for SECONDS. */
static char *
span(gint64 seconds)
{
  gint64 s = MAX(seconds, 0);
  return s >= 86400
             ? g_strdup_printf("%" G_GINT64_FORMAT " d %02d:%02d:%02d", s / 86400,
                               (int) (s % 86400 / 3600), (int) (s % 3600 / 60), (int) (s % 60))
             : g_strdup_printf("%02d:%02d:%02d", (int) (s / 3600), (int) (s % 3600 / 60),
                               (int) (s % 60));
}

static void
print_milter(JsonObject *m, gint64 now)
{
  g_autofree char *up = span(now - num(m, "started"));
  printf("mugai-milter: running, pid %" G_GINT64_FORMAT " as uid %" G_GINT64_FORMAT " on %s, "
         "version %s, up %s\n",
         num(m, "pid"), num(m, "uid"), str(m, "host"), str(m, "version"), up);
  JsonObject *config = obj(m, "config");
  printf("configuration in force: %s (sha256 %s)\n", str(config, "source"), str(config, "sha256"));
  JsonObject *reload = obj(m, "last_reload");
  g_autofree char *when = local_time(num(reload, "time"));
  if (num(reload, "time"))
    printf("last reload: %s, %s%s%s\n", when, str(reload, "result"),
           strcmp(str(reload, "result"), "refused") == 0 ? ": " : "",
           strcmp(str(reload, "result"), "refused") == 0 ? str(reload, "detail") : "");
  else
    printf("last reload: none since start\n");
  JsonObject *s = obj(m, "scanner");
  if (strcmp(str(s, "backend"), "none") == 0) {
    printf("scanner: none (mail is not scanned)\n");
  } else if (json_object_get_boolean_member_with_default(s, "ready", FALSE)) {
    g_autofree char *built = local_time(num(s, "signature_time"));
    g_autofree char *loaded = local_time(num(s, "loaded"));
    printf("scanner: %s %s, %" G_GINT64_FORMAT " signatures, newest built %s (%.1f days old, "
           "max %.1f), loaded %s\n",
           str(s, "backend"), str(s, "engine"), num(s, "signatures"), built,
           (now - num(s, "signature_time")) / 86400.0, num(s, "max_signature_age") / 86400.0,
           loaded);
  } else {
    printf("scanner: %s NOT USABLE: %s\n", str(s, "backend"), str(s, "failure"));
  }
  JsonObject *n = obj(m, "messages");
  printf("messages since start: %" G_GINT64_FORMAT " (delivered %" G_GINT64_FORMAT
         ", rejected %" G_GINT64_FORMAT ", tempfailed %" G_GINT64_FORMAT
         ", discarded %" G_GINT64_FORMAT ", held %" G_GINT64_FORMAT "), viruses %" G_GINT64_FORMAT
         "\n",
         num(n, "total"), num(n, "delivered"), num(n, "rejected"), num(n, "tempfailed"),
         num(n, "discarded"), num(n, "held"), num(n, "virus"));
}

void
mugai_status_print_text(JsonObject *report, gint64 now)
{
  JsonObject *m = obj(report, "milter");
  if (m)
    print_milter(m, now);
  else
    printf("mugai-milter: NOT RUNNING\n");
  JsonObject *q = obj(report, "quarantine");
  if (q) {
    char size[MUGAI_SIZE_TEXT_MAX];
    g_autofree char *oldest = local_time(num(q, "oldest"));
    printf("quarantine: %" G_GINT64_FORMAT " entries, %s%s%s%s (%s)\n", num(q, "entries"),
           mugai_format_size((guint64) num(q, "bytes"), size), num(q, "bytes") < 1024 ? " B" : "",
           num(q, "oldest") ? ", oldest " : "", num(q, "oldest") ? oldest : "", str(q, "location"));
  }
  JsonObject *clock = obj(report, "clock");
  if (json_object_get_boolean_member_with_default(clock, "synchronised", FALSE))
    printf("clock: synchronised\n");
  else
    printf("clock: NOT SYNCHRONISED (maximum error %" G_GINT64_FORMAT " ms)\n",
           num(clock, "max_error_ms"));
  JsonArray *problems = json_object_get_array_member(report, "problems");
  for (guint i = 0; i < json_array_get_length(problems); i++)
    printf("%s: %s\n",
           i == 0 && strcmp(str(report, "health"), "critical") == 0 ? "critical" : "problem",
           json_array_get_string_element(problems, i));
  printf("health: %s\n", str(report, "health"));
}
