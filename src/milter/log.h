/* log.h — the milter's one diagnostics module: syslog (LOG_MAIL) with Postfix's severity words,
 * mirrored to stderr when running in the foreground (-f). */
#pragma once
#include <glib.h>
#include <syslog.h>

void mugai_log_open(gboolean foreground);
void mugai_log(int priority, const char *format, ...) G_GNUC_PRINTF(2, 3);
#define mugai_log_info(...) mugai_log(LOG_INFO, __VA_ARGS__)
#define mugai_log_warning(...) mugai_log(LOG_WARNING, "warning: " __VA_ARGS__)
#define mugai_log_fatal(...) mugai_log(LOG_CRIT, "fatal: " __VA_ARGS__)
