/* units.c — parse (and write back) the size and duration syntaxes admins write in mugai.conf.
 *
 * Pure: no allocation, no locale. Strict on purpose: a value that is not understood exactly must
 * be rejected, not guessed at. So no sign, no space ("10 M" is rejected), no fraction ("1.5M"),
 * no hex, and only ASCII digits (a full-width "１０M" typed through a Japanese IME is an error,
 * not zero). Never: allocate, log, or read past the terminating NUL.
 */
#include "util/units.h"

#include <errno.h>

/* Reads the run of ASCII digits at the start of TEXT. FALSE when there is none or on overflow. */
static gboolean parse_count(const char *text, guint64 *count, const char **end)
{
  /* g_ascii_strtoull alone would accept leading spaces, '+' and '-' (wrapping "-1" to 2^64-1). */
  if (!g_ascii_isdigit(text[0]))
    return FALSE;
  char *stop = NULL;
  errno = 0;
  guint64 value = g_ascii_strtoull(text, &stop, 10);
  if (errno == ERANGE)
    return FALSE;
  *count = value;
  *end = stop;
  return TRUE;
}

/* *OUT = COUNT * UNIT, FALSE if that does not fit in 64 bits. */
static gboolean scale(guint64 count, guint64 unit, guint64 *out)
{
  if (count > G_MAXUINT64 / unit)
    return FALSE;
  *out = count * unit;
  return TRUE;
}

gboolean mugai_parse_size(const char *text, guint64 *bytes)
{
  g_return_val_if_fail(text != NULL, FALSE);
  g_return_val_if_fail(bytes != NULL, FALSE);

  guint64 count = 0;
  const char *p = NULL;
  if (!parse_count(text, &count, &p))
    return FALSE;

  guint shift = 0;
  switch (g_ascii_tolower(*p)) {
  case 'k': shift = 10; p++; break;
  case 'm': shift = 20; p++; break;
  case 'g': shift = 30; p++; break;
  default: break;
  }
  if (*p == 'b' || *p == 'B')
    p++;
  if (*p != '\0')
    return FALSE;
  return scale(count, G_GUINT64_CONSTANT(1) << shift, bytes);
}

gboolean mugai_parse_duration(const char *text, guint64 *seconds)
{
  g_return_val_if_fail(text != NULL, FALSE);
  g_return_val_if_fail(seconds != NULL, FALSE);

  guint64 count = 0;
  const char *p = NULL;
  if (!parse_count(text, &count, &p))
    return FALSE;

  /* Lower case only: "5M" reads as five months to many people, and a config value that can be
   * misread must be rejected rather than taken as minutes. */
  guint64 unit = 1;
  switch (*p) {
  case 's': unit = 1; p++; break;
  case 'm': unit = 60; p++; break;
  case 'h': unit = 60 * 60; p++; break;
  case 'd': unit = 24 * 60 * 60; p++; break;
  case 'w': unit = 7 * 24 * 60 * 60; p++; break;
  default: break;
  }
  if (*p != '\0')
    return FALSE;
  return scale(count, unit, seconds);
}

gboolean mugai_parse_uint(const char *text, guint64 *value)
{
  g_return_val_if_fail(text != NULL, FALSE);
  g_return_val_if_fail(value != NULL, FALSE);

  guint64 count = 0;
  const char *p = NULL;
  if (!parse_count(text, &count, &p) || *p != '\0')
    return FALSE;
  *value = count;
  return TRUE;
}

const char *mugai_format_size(guint64 bytes, char buf[MUGAI_SIZE_TEXT_MAX])
{
  static const struct { guint shift; char unit; } units[] = {{30, 'G'}, {20, 'M'}, {10, 'K'}};
  for (gsize i = 0; bytes != 0 && i < G_N_ELEMENTS(units); i++) {
    guint64 one = G_GUINT64_CONSTANT(1) << units[i].shift;
    if (bytes % one == 0) {
      g_snprintf(buf, MUGAI_SIZE_TEXT_MAX, "%" G_GUINT64_FORMAT "%c", bytes / one, units[i].unit);
      return buf;
    }
  }
  g_snprintf(buf, MUGAI_SIZE_TEXT_MAX, "%" G_GUINT64_FORMAT, bytes);
  return buf;
}

const char *mugai_format_duration(guint64 seconds, char buf[MUGAI_DURATION_TEXT_MAX])
{
  if (seconds >= 86400 && seconds % 86400 == 0)
    g_snprintf(buf, MUGAI_DURATION_TEXT_MAX, "%" G_GUINT64_FORMAT "d", seconds / 86400);
  else if (seconds >= 3600 && seconds % 3600 == 0)
    g_snprintf(buf, MUGAI_DURATION_TEXT_MAX, "%" G_GUINT64_FORMAT "h", seconds / 3600);
  else
    g_snprintf(buf, MUGAI_DURATION_TEXT_MAX, "%" G_GUINT64_FORMAT "s", seconds);
  return buf;
}
