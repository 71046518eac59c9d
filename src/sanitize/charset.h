/* charset.h — turn the bytes of a text part into valid UTF-8, the way Japanese mail really is.
 *
 * Labels mean what Windows clients write: Shift_JIS → CP932, ISO-2022-JP → CP50220 (JIS X 0208 plus
 * the NEC/IBM extension rows that glibc's ISO-2022-JP rejects: ①, ㈱, Ⅲ, 髙), EUC-JP → EUC-JP-MS.
 * A missing, us-ascii or wrong label on 8-bit data is detected (UTF-8, CP932, EUC-JP), not read as
 * Latin-1. Pure: no globals, no logging; safe from any thread.
 */
#pragma once
#include <glib.h>

typedef struct {
  const char *used;      /* canonical name of the charset actually used (static string) */
  gboolean detected;     /* TRUE when the label was missing or wrong and the data was sniffed */
  gsize replacements;    /* number of U+FFFD written for undecodable bytes */
} mugai_charset_info;

/* Decode LEN bytes of DATA labelled LABEL (nullable). Always returns valid, NUL-terminated UTF-8
 * (transfer full); *OUT_LEN (nullable) gets its length; INFO (nullable) says how. */
char *mugai_charset_to_utf8(const char *label, const char *data, gsize len, gsize *out_len,
                            mugai_charset_info *info);

/* The charset named by an HTML document's <meta charset> / http-equiv Content-Type within its
 * first 1024 bytes, or NULL. (transfer full) */
char *mugai_html_sniff_charset(const char *data, gsize len);
