/* units.h — parse the value syntaxes admins write in the config: sizes and durations.
 * Pure functions; no allocation. */
#pragma once
#include <glib.h>

/* "123", "10K", "10M", "1G" (K = 2^10, M = 2^20, G = 2^30; case-insensitive, optional "B").
 * FALSE on anything else, on overflow, or on a negative number. */
gboolean mugai_parse_size(const char *text, guint64 *bytes);

/* "30s", "5m", "2h", "3d", "1w"; a bare number means seconds. FALSE on anything else/overflow. */
gboolean mugai_parse_duration(const char *text, guint64 *seconds);

/* "123": ASCII digits only (no sign, space or unit). FALSE on anything else or on overflow. */
gboolean mugai_parse_uint(const char *text, guint64 *value);

/* BYTES in the largest unit that is exact ("1M", "3K", "1536"), so mugai_parse_size() reads it back
 * to the same number. Writes into BUF and returns it. */
#define MUGAI_SIZE_TEXT_MAX 24
const char *mugai_format_size(guint64 bytes, char buf[MUGAI_SIZE_TEXT_MAX]);

/* SECONDS as admins write them: whole days or hours as such ("3d", "1h"), anything else in
 * seconds ("60s", "90s"), so mugai_parse_duration() reads it back. Writes into BUF, returns it. */
#define MUGAI_DURATION_TEXT_MAX 24
const char *mugai_format_duration(guint64 seconds, char buf[MUGAI_DURATION_TEXT_MAX]);
