/* charset_encode.c — UTF-8 to ISO-2022-JP (see charset_encode.h).
 *
 * Why not iconv: glibc's ISO-2022-JP encoder rejects the CP932 extension characters (①, ㈱, 髙)
 * that Japanese mail is full of, and has no CP50220. The reverse table is instead built once
 * from mugai's own ISO-2022-JP decoder (charset.c), so whatever mugai writes it also reads back
 * to the same characters: JIS X 0208 wins where the NEC rows repeat a character.
 */
#include "sanitize/charset_encode.h"

#include "sanitize/charset.h"

#define ESC_KANJI "\x1b$B"
#define ESC_ASCII "\x1b(B"

/* gunichar → (row << 8 | cell), JIS rows 0x21..0x7E as mugai decodes them. Never freed: it is
 * built once per process and read by every thread. */
static GHashTable *
reverse_table(void)
{
  static gsize once = 0;
  static GHashTable *table = NULL;
  if (g_once_init_enter(&once)) {
    GHashTable *t = g_hash_table_new(NULL, NULL);
    for (guint row = 0x21; row <= 0x7E; row++) {
      for (guint cell = 0x21; cell <= 0x7E; cell++) {
        char jis[8] = {'\x1b', '$', 'B', (char) row, (char) cell, '\x1b', '(', 'B'};
        mugai_charset_info info = {0};
        gsize n = 0;
        g_autofree char *utf8 = mugai_charset_to_utf8("ISO-2022-JP", jis, sizeof jis, &n, &info);
        if (info.replacements || n == 0 || g_utf8_strlen(utf8, (gssize) n) != 1)
          continue;
        gunichar c = g_utf8_get_char(utf8);
        if (c < 0x80 || (c >= 0xE000 && c <= 0xF8FF))
          continue; /* ASCII has its own mode; user-defined rows mean nothing elsewhere */
        if (!g_hash_table_contains(t, GUINT_TO_POINTER(c)))
          g_hash_table_insert(t, GUINT_TO_POINTER(c), GUINT_TO_POINTER(row << 8 | cell));
      }
    }
    table = t;
    g_once_init_leave(&once, 1);
  }
  return table;
}

/* Append the JIS pair of C (kanji mode on); FALSE when C has none. */
static gboolean
append_kanji(GByteArray *out, GHashTable *table, gunichar c, gboolean *kanji)
{
  gpointer code = g_hash_table_lookup(table, GUINT_TO_POINTER(c));
  if (code == NULL)
    return FALSE;
  if (!*kanji)
    g_byte_array_append(out, (const guint8 *) ESC_KANJI, 3);
  *kanji = TRUE;
  guint v = GPOINTER_TO_UINT(code);
  guint8 pair[2] = {(guint8) (v >> 8), (guint8) (v & 0xFF)};
  g_byte_array_append(out, pair, 2);
  return TRUE;
}

static gboolean
is_halfwidth_kana(gunichar c)
{
  return c >= 0xFF61 && c <= 0xFF9F;
}

GByteArray *
mugai_charset_utf8_to_iso2022jp(const char *text, gsize len)
{
  if (!g_utf8_validate(text, (gssize) len, NULL))
    return NULL;
  GHashTable *table = reverse_table();
  g_autoptr(GByteArray) out = g_byte_array_sized_new(len + len / 4 + 16);
  gboolean kanji = FALSE;
  const char *end = text + len;
  for (const char *p = text; p < end; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (c < 0x80) {
      if (c == 0x1b || c == 0x0e || c == 0x0f)
        return NULL; /* would switch the reader's decoder: not text this encoder may write */
      if (kanji)
        g_byte_array_append(out, (const guint8 *) ESC_ASCII, 3);
      kanji = FALSE;
      guint8 b = (guint8) c;
      g_byte_array_append(out, &b, 1);
    } else if (is_halfwidth_kana(c)) {
      /* ISO-2022-JP has no half-width kana: a run of them goes out in full width, sound marks
       * joined (ｶﾞ → ガ), as Windows' CP50220 writes them. */
      const char *run = p;
      while (g_utf8_next_char(p) < end && is_halfwidth_kana(g_utf8_get_char(g_utf8_next_char(p))))
        p = g_utf8_next_char(p);
      g_autofree char *full = g_utf8_normalize(run, g_utf8_next_char(p) - run, G_NORMALIZE_NFKC);
      for (const char *q = full; q && *q; q = g_utf8_next_char(q))
        if (!append_kanji(out, table, g_utf8_get_char(q), &kanji))
          return NULL;
    } else if (!append_kanji(out, table, c, &kanji)) {
      return NULL;
    }
  }
  if (kanji)
    g_byte_array_append(out, (const guint8 *) ESC_ASCII, 3);
  return g_steal_pointer(&out);
}
