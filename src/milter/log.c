/* log.c — syslog plus optional stderr mirror (see log.h). The only logger of the milter. */
#include "milter/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <glib.h>

static gboolean mirror_to_stderr; /* set once in main() before any thread starts */

/* Under systemd, stderr is the journal (JOURNAL_STREAM names it), which gets syslog's lines as
 * well: mirrored there, each line would be in the journal twice. */
void
mugai_log_open(gboolean foreground)
{
  mirror_to_stderr = foreground && g_getenv("JOURNAL_STREAM") == NULL;
  openlog("mugai-milter", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
mugai_log(int priority, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *line = g_strdup_vprintf(format, args);
  va_end(args);
  syslog(priority, "%s", line);
  if (mirror_to_stderr) {
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%f%:z");
    fprintf(stderr, "%.26s mugai-milter: %s\n", stamp, line);
  }
}
