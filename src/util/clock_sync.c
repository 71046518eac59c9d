/* clock_sync.c — see clock_sync.h. adjtimex with no mode set only reads the kernel's state. */
#include "util/clock_sync.h"
#include <sys/timex.h>

gboolean
mugai_clock_synchronised(gint64 *error_ms)
{
  struct timex tx = {0};
  int state = ntp_adjtime(&tx);
  if (error_ms)
    *error_ms = tx.maxerror / 1000; /* microseconds */
  return state != -1 && state != TIME_ERROR && !(tx.status & STA_UNSYNC);
}
