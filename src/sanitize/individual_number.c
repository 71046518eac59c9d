/* individual_number.c — find individual numbers in text (see individual_number.h).
 *
 * A small scanner by hand: the forms are few and fixed, and a regular expression could not check
 * the digit. Digits may be ASCII or full-width (U+FF10..U+FF19); between the groups of four one
 * separator: a space, U+3000, '-', U+FF0D, U+2010..U+2015 or U+2212 (what IMEs type for a hyphen).
 */
#include "sanitize/individual_number.h"

guint
mugai_individual_number_check_digit(const guint8 d[11])
{
  guint sum = 0;
  for (guint n = 1; n <= 11; n++) { /* P(n) is the n-th digit from the right, Q(n) its weight */
    guint p = d[11 - n];
    guint q = n <= 6 ? n + 1 : n - 5;
    sum += p * q;
  }
  guint r = sum % 11;
  return r <= 1 ? 0 : 11 - r;
}

/* The digit value of the character at P (-1 if none); *NEXT is past it. */
static int
digit_at(const char *p, const char *end, const char **next)
{
  if (p >= end)
    return -1;
  if (*p >= '0' && *p <= '9') {
    *next = p + 1;
    return *p - '0';
  }
  gunichar c = g_utf8_get_char_validated(p, end - p);
  if (c >= 0xFF10 && c <= 0xFF19) {
    *next = g_utf8_next_char(p);
    return (int) (c - 0xFF10);
  }
  return -1;
}

static gboolean
is_separator(const char *p, const char *end, const char **next)
{
  if (p >= end)
    return FALSE;
  if (*p == ' ' || *p == '-') {
    *next = p + 1;
    return TRUE;
  }
  gunichar c = g_utf8_get_char_validated(p, end - p);
  if (c == 0x3000 || c == 0xFF0D || (c >= 0x2010 && c <= 0x2015) || c == 0x2212) {
    *next = g_utf8_next_char(p);
    return TRUE;
  }
  return FALSE;
}

/* Twelve digits from P, in one run or as 4-4-4 with separators; *AFTER past them, *SEPARATED
 * whether it was grouped. */
static gboolean
read_number(const char *p, const char *end, guint8 d[12], const char **after, gboolean *separated)
{
  const char *q = p, *next = NULL;
  guint n = 0;
  int sep_kind = -1; /* 0: one run, 1: groups of four, each ended by a separator */
  while (n < 12) {
    int v = digit_at(q, end, &next);
    if (v < 0)
      return FALSE;
    d[n++] = (guint8) v;
    q = next;
    if (n == 4 || n == 8) {
      const char *s = NULL;
      gboolean has_separator = is_separator(q, end, &s);
      int kind = has_separator ? 1 : 0;
      if (sep_kind >= 0 && kind != sep_kind)
        return FALSE;
      sep_kind = kind;
      if (has_separator)
        q = s;
    }
  }
  *after = q;
  *separated = sep_kind == 1;
  return TRUE;
}

/* A separator then a digit at P: the grouped number goes on (a card number in groups of four). */
static gboolean
group_follows(const char *p, const char *end)
{
  const char *s = NULL, *next = NULL;
  return is_separator(p, end, &s) && digit_at(s, end, &next) >= 0;
}

/* A digit then a separator right before P: P starts the second group of something longer. */
static gboolean
group_precedes(const char *text, const char *p, const char *end)
{
  const char *sep = p > text ? g_utf8_find_prev_char(text, p) : NULL;
  const char *s = NULL, *next = NULL;
  if (sep == NULL || !is_separator(sep, end, &s) || s != p)
    return FALSE;
  const char *digit = sep > text ? g_utf8_find_prev_char(text, sep) : NULL;
  return digit != NULL && digit_at(digit, end, &next) >= 0 && next == sep;
}

gboolean
mugai_individual_number_find(const char *text, gsize len, gsize *at)
{
  const char *end = text + len, *prev_digit_end = NULL;
  for (const char *p = text; p < end;) {
    const char *next = NULL;
    if (digit_at(p, end, &next) < 0) {
      p = p + 1;
      continue;
    }
    gboolean starts_run = prev_digit_end != p; /* no digit right before */
    guint8 d[12];
    const char *after = NULL;
    gboolean separated = FALSE;
    if (starts_run && read_number(p, end, d, &after, &separated) &&
        digit_at(after, end, &next) < 0 &&
        !(separated && (group_follows(after, end) || group_precedes(text, p, end))) &&
        mugai_individual_number_check_digit(d) == d[11]) {
      if (at)
        *at = (gsize) (p - text);
      return TRUE;
    }
    digit_at(p, end, &next);
    prev_digit_end = next;
    p = next;
  }
  return FALSE;
}
