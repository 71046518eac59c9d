/* notice_ppap.h — (private to sanitize/) the notice's lines about PPAP: under a held archive
 * ("waiting for its password"), and in a password mail what its passwords did to the archives
 * held for its sender. Japanese or English as the rest of the notice. Pure. */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/result.h"

/* The indented line under a locked archive in {removed}: it waits WINDOW seconds for its
 * password mail. */
void mugai_notice_ppap_locked(GString *out, mugai_language language, guint64 window);

/* One paragraph per attempt in RESULT->unlock_attempts, for {actions}. */
void mugai_notice_ppap_attempts(GString *out, mugai_language language, const mugai_result *result,
                                guint64 window);

/* "1時間" / "1 hour": WINDOW seconds as the reader reads a wait. (transfer full) */
char *mugai_notice_ppap_duration(mugai_language language, guint64 window);
