/* status_text.h — `mugai status` for a person: the report cmd_status.c builds, as lines. */
#pragma once
#include <json-glib/json-glib.h>

/* REPORT (the object --json prints) on standard output, times relative to NOW. */
void mugai_status_print_text(JsonObject *report, gint64 now);

/* Members of a report's object O (nullable): 0, "" or NULL when O or the member is missing or
 * null. */
gint64 mugai_status_num(JsonObject *o, const char *name);
const char *mugai_status_str(JsonObject *o, const char *name);
JsonObject *mugai_status_obj(JsonObject *o, const char *name);
