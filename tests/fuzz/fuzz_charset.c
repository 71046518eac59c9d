/* fuzz_charset.c — libFuzzer target for mugai_charset_to_utf8() alone. The first byte picks the
 * label from a table (the labels Japanese mail carries, others iconv knows, stateful ones, broken
 * ones); label 0 means "the label is the input up to its first newline", so the fuzzer also
 * writes labels of its own. The rest is the part's bytes.
 * What charset.h promises, and so what is asserted: the result is valid UTF-8, NUL-terminated,
 * *OUT_LEN is its length (so no NUL inside: g_utf8_validate refuses one), info->used is a name.
 * Beyond that, two properties callers lean on: 7-bit text without ESC, SO, SI or NUL comes back
 * byte for byte under no label and under the ASCII-compatible labels decoded by hand (us-ascii,
 * UTF-8, Latin-1/Windows-1252); and valid UTF-8 labelled UTF-8 (no NUL, no ESC) comes back as it
 * was. A crash, leak or sanitizer report is a bug. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sanitize/charset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FROM_INPUT ((const char *) 1) /* table marker: label read from the input */
#define LABEL_INPUT_MAX 64

typedef enum { SAME_NONE, SAME_ASCII, SAME_UTF8 } same_kind;

static const struct {
  const char *label;
  same_kind same; /* which inputs must come back unchanged */
} labels[] = {
  {FROM_INPUT, SAME_NONE}, {NULL, SAME_ASCII}, {"", SAME_ASCII}, {"us-ascii", SAME_ASCII},
  {"ISO-2022-JP", SAME_NONE}, {"iso-2022-jp-2", SAME_NONE}, {"ISO-2022-JP-3", SAME_NONE},
  {"CP50221", SAME_NONE}, {"Shift_JIS", SAME_NONE}, {"CP932", SAME_NONE},
  {"EUC-JP", SAME_NONE}, {"UTF-8", SAME_UTF8}, {"utf8", SAME_UTF8}, {"UTF-7", SAME_NONE},
  {"iso-8859-1", SAME_ASCII}, {"windows-1252", SAME_ASCII}, {"latin1", SAME_ASCII},
  {"\"UTF-8\"", SAME_UTF8}, {" Shift_JIS ", SAME_NONE}, {"bogus", SAME_NONE},
  {"x-unknown", SAME_NONE}, {"utf-8//TRANSLIT", SAME_NONE}, {"UTF-8/", SAME_NONE},
  {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", SAME_NONE}, /* 41: over LABEL_MAX */
  {"UTF-16", SAME_NONE}, {"UTF-16LE", SAME_NONE}, {"UTF-16BE", SAME_NONE},
  {"UTF-32", SAME_NONE}, {"UCS-2", SAME_NONE}, {"GB18030", SAME_NONE}, {"GBK", SAME_NONE},
  {"BIG5", SAME_NONE}, {"BIG5-HKSCS", SAME_NONE}, {"EUC-KR", SAME_NONE},
  {"ISO-2022-KR", SAME_NONE}, {"ISO-2022-CN", SAME_NONE}, {"ISO-2022-CN-EXT", SAME_NONE},
  {"HZ", SAME_NONE}, {"EUC-JISX0213", SAME_NONE}, {"SHIFT_JISX0213", SAME_NONE},
  {"EUC-TW", SAME_NONE}, {"TSCII", SAME_NONE}, {"KOI8-R", SAME_NONE}, {"ISO-8859-2", SAME_NONE},
  {"ISO-8859-7", SAME_NONE}, {"TIS-620", SAME_NONE}, {"IBM037", SAME_NONE},
  {"UTF-7-IMAP", SAME_NONE},
};

static gboolean
plain_ascii(const char *d, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar) d[i];
    if (c >= 0x80 || c == 0 || c == 0x1B || c == 0x0E || c == 0x0F)
      return FALSE;
  }
  return TRUE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size == 0)
    return 0;
  guint pick = data[0] % G_N_ELEMENTS(labels);
  const char *d = (const char *) data + 1;
  gsize n = size - 1;
  g_autofree char *own = NULL;
  const char *label = labels[pick].label;
  if (label == FROM_INPUT) {
    const char *nl = memchr(d, '\n', MIN(n, (gsize) LABEL_INPUT_MAX));
    gsize k = nl ? (gsize) (nl - d) : MIN(n, (gsize) LABEL_INPUT_MAX);
    own = g_strndup(d, k); /* stops at a NUL too: a C string is what callers have */
    label = own;
    d += nl ? k + 1 : k;
    n -= nl ? k + 1 : k;
  }
  gsize out_len = 12345;
  mugai_charset_info info = {0};
  g_autofree char *out = mugai_charset_to_utf8(label, n ? d : NULL, n, &out_len, &info);
  if (out == NULL || out[out_len] != '\0' || !g_utf8_validate(out, (gssize) out_len, NULL))
    abort();
  if (info.used == NULL || info.used[0] == '\0')
    abort();
  /* The same call without the optional outputs gives the same bytes. */
  g_autofree char *again = mugai_charset_to_utf8(label, n ? d : NULL, n, NULL, NULL);
  if (strlen(again) != out_len || memcmp(again, out, out_len) != 0)
    abort();
  same_kind same = labels[pick].same;
  gboolean must_match = (same == SAME_ASCII && plain_ascii(d, n)) ||
                        (same == SAME_UTF8 && memchr(d, 0, n) == NULL &&
                         memchr(d, 0x1B, n) == NULL && g_utf8_validate(d, (gssize) n, NULL));
  if (must_match && (out_len != n || memcmp(out, d, n) != 0))
    abort();
  return 0;
}
