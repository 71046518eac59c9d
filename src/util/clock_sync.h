/* clock_sync.h — is the system clock synchronised? The policies require correct time in logs:
 * mugai-milter warns loudly when it is not, and `mugai status` says so. */
#pragma once
#include <glib.h>

/* TRUE when the kernel says an NTP client keeps the clock synchronised (adjtimex: STA_UNSYNC
 * clear), as timedatectl's "System clock synchronized" does; *ERROR_MS (nullable) the kernel's
 * estimate of the maximum error, in milliseconds. */
gboolean mugai_clock_synchronised(gint64 *error_ms);
