/* charset_encode.h — the sanitized text in ISO-2022-JP, for sites whose clients still expect it
 * ([output] charset = iso-2022-jp). Pure; safe from any thread.
 */
#pragma once
#include <glib.h>

/* Encode LEN bytes of UTF-8 TEXT ("\n" line ends) as ISO-2022-JP the way Windows writes it:
 * JIS X 0208 plus the NEC row 13 (①, ㈱, Ⅲ) and NEC-selected IBM rows (髙, 﨑), every line
 * ending in ASCII; half-width kana in full width (ｶﾞ → ガ), as CP50220 does. Returns NULL when
 * some character has no such form (emoji, most other scripts, U+FFFD) or TEXT is not valid
 * UTF-8: the caller then sends UTF-8. (transfer full) (nullable) */
GByteArray *mugai_charset_utf8_to_iso2022jp(const char *text, gsize len);
