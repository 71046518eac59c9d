/* status_text.h — `mugai status` for a person: the report cmd_status.c builds, as lines. */
#pragma once
#include <json-glib/json-glib.h>

/* REPORT (the object --json prints) on standard output, times relative to NOW. */
void mugai_status_print_text(JsonObject *report, gint64 now);
