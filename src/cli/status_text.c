/* status_text.c — see status_text.h. */
#include "cli/status_text.h"
#include <stdio.h>
#include <string.h>
#include "util/units.h"

gint64
mugai_status_num(JsonObject *o, const char *name)
{
  return o ? json_object_get_int_member_with_default(o, name, 0) : 0;
}

const char *
mugai_status_str(JsonObject *o, const char *name)
{
  return o ? json_object_get_string_member_with_default(o, name, "") : "";
}

JsonObject *
mugai_status_obj(JsonObject *o, const char *name)
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
  g_autofree char *up = span(now - mugai_status_num(m, "started"));
  printf("mugai-milter: running, pid %" G_GINT64_FORMAT " as uid %" G_GINT64_FORMAT " on %s, "
         "version %s, up %s\n",
         mugai_status_num(m, "pid"), mugai_status_num(m, "uid"), mugai_status_str(m, "host"),
         mugai_status_str(m, "version"), up);
  JsonObject *config = mugai_status_obj(m, "config");
  printf("configuration in force: %s (sha256 %s)\n", mugai_status_str(config, "source"),
         mugai_status_str(config, "sha256"));
  JsonObject *reload = mugai_status_obj(m, "last_reload");
  g_autofree char *when = local_time(mugai_status_num(reload, "time"));
  if (mugai_status_num(reload, "time"))
    printf("last reload: %s, %s%s%s\n", when, mugai_status_str(reload, "result"),
           strcmp(mugai_status_str(reload, "result"), "refused") == 0 ? ": " : "",
           strcmp(mugai_status_str(reload, "result"), "refused") == 0
               ? mugai_status_str(reload, "detail")
               : "");
  else
    printf("last reload: none since start\n");
  JsonObject *s = mugai_status_obj(m, "scanner");
  if (strcmp(mugai_status_str(s, "backend"), "none") == 0) {
    printf("scanner: none (mail is not scanned)\n");
  } else if (json_object_get_boolean_member_with_default(s, "ready", FALSE)) {
    g_autofree char *built = local_time(mugai_status_num(s, "signature_time"));
    g_autofree char *loaded = local_time(mugai_status_num(s, "loaded"));
    printf("scanner: %s %s, %" G_GINT64_FORMAT " signatures, newest built %s (%.1f days old, "
           "max %.1f), loaded %s\n",
           mugai_status_str(s, "backend"), mugai_status_str(s, "engine"),
           mugai_status_num(s, "signatures"), built,
           (now - mugai_status_num(s, "signature_time")) / 86400.0,
           mugai_status_num(s, "max_signature_age") / 86400.0, loaded);
  } else {
    printf("scanner: %s NOT USABLE: %s\n", mugai_status_str(s, "backend"),
           mugai_status_str(s, "failure"));
  }
  JsonObject *n = mugai_status_obj(m, "messages");
  printf("messages since start: %" G_GINT64_FORMAT " (delivered %" G_GINT64_FORMAT
         ", rejected %" G_GINT64_FORMAT ", tempfailed %" G_GINT64_FORMAT
         ", discarded %" G_GINT64_FORMAT ", held %" G_GINT64_FORMAT "), viruses %" G_GINT64_FORMAT
         "\n",
         mugai_status_num(n, "total"), mugai_status_num(n, "delivered"),
         mugai_status_num(n, "rejected"), mugai_status_num(n, "tempfailed"),
         mugai_status_num(n, "discarded"), mugai_status_num(n, "held"),
         mugai_status_num(n, "virus"));
}

void
mugai_status_print_text(JsonObject *report, gint64 now)
{
  JsonObject *m = mugai_status_obj(report, "milter");
  if (m)
    print_milter(m, now);
  else
    printf("mugai-milter: NOT RUNNING\n");
  JsonObject *q = mugai_status_obj(report, "quarantine");
  if (q) {
    char size[MUGAI_SIZE_TEXT_MAX];
    g_autofree char *oldest = local_time(mugai_status_num(q, "oldest"));
    printf("quarantine: %" G_GINT64_FORMAT " entries, %s%s%s%s (%s)\n",
           mugai_status_num(q, "entries"),
           mugai_format_size((guint64) mugai_status_num(q, "bytes"), size),
           mugai_status_num(q, "bytes") < 1024 ? " B" : "",
           mugai_status_num(q, "oldest") ? ", oldest " : "",
           mugai_status_num(q, "oldest") ? oldest : "", mugai_status_str(q, "location"));
  }
  JsonObject *clock = mugai_status_obj(report, "clock");
  if (json_object_get_boolean_member_with_default(clock, "synchronised", FALSE))
    printf("clock: synchronised\n");
  else
    printf("clock: NOT SYNCHRONISED (maximum error %" G_GINT64_FORMAT " ms)\n",
           mugai_status_num(clock, "max_error_ms"));
  JsonArray *problems = json_object_get_array_member(report, "problems");
  for (guint i = 0; i < json_array_get_length(problems); i++)
    printf("%s: %s\n",
           i == 0 && strcmp(mugai_status_str(report, "health"), "critical") == 0 ? "critical"
                                                                                 : "problem",
           json_array_get_string_element(problems, i));
  printf("health: %s\n", mugai_status_str(report, "health"));
}
