/* scan_open.h — the scanner that [scan] asks for, built the same way for mugai-milter (at start
 * and on every reload) and for `mugai sanitize`, and described the same way to admins.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/scanner.h"

/* A new scanner for SCAN: a libclamav engine loaded from database_dir, or a clamd client that has
 * answered. Costly for libclamav (seconds, hundreds of MB with the official signatures): at start
 * and on reload only. (transfer full) NULL with ERROR set on failure; NULL without an error for
 * backend none. FREED (nullable) is called with DATA once the scanner's engine is freed. */
mugai_scanner *mugai_scan_open(const mugai_scan_policy *scan, void (*freed)(gpointer data),
                               gpointer data, GError **error);

/* "ClamAV 1.4.6, 3 signatures, newest built 2026-12-01T08:00:00Z (daily.cld, 0.2 days old)":
 * what the scanner reports, for the start-up log line and `mugai scan-info`. (transfer full) */
char *mugai_scan_describe(mugai_scanner *scanner);
