/* fuzz_html2text.c — libFuzzer target for the HTML→text path alone, as walk.c runs it: the
 * bytes of a text/html part, their <meta> charset sniffed (mugai_html_sniff_charset), decoded
 * to UTF-8 (mugai_charset_to_utf8) and rendered (mugai_html_to_text) under a 64 KB cap, then
 * again under a small cap and depth that the input length picks, so the truncation and
 * flattening paths run as often as the rest.
 * A crash, leak or sanitizer report is a bug, and so is a broken promise of html2text.h: the
 * text is valid UTF-8 with no NUL, at most max_output bytes, no C0 control other than "\n" and
 * "\t", no DEL or C1 control, and no trailing blank line; a cut text ends with the "[...]" line.
 * The sniffed charset, if any, is a short name made of name characters. And the text is the
 * same, byte for byte, when gumbo parses the document whole instead of with its long text runs
 * lifted out (html_hoist.h): any difference means the lifting misread the tokenizer's state. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sanitize/charset.h"
#include "sanitize/html2text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP_LARGE (64 * 1024)
#define TRUNC_LINE "[...]\n"

static void
check_sniffed(const char *cs)
{
  if (cs == NULL)
    return;
  gsize n = strlen(cs);
  if (n == 0 || n > 40)
    abort();
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum(cs[i]) && strchr("-_.:+", cs[i]) == NULL)
      abort();
}

static void
check_text(const char *text, gsize cap, gboolean truncated)
{
  gsize n = strlen(text); /* the result is a C string: a NUL inside would cut it short */
  if (!g_utf8_validate(text, (gssize) n, NULL))
    abort();
  if (cap > 0 && n > cap)
    abort();
  for (const char *p = text; *p; p = g_utf8_next_char(p)) {
    gunichar u = g_utf8_get_char(p);
    if ((u < 0x20 && u != '\n' && u != '\t') || (u >= 0x7F && u <= 0x9F))
      abort();
  }
  if (n >= 2 && text[n - 1] == '\n' && text[n - 2] == '\n')
    abort(); /* a trailing blank line */
  if (n > 0 && text[n - 1] != '\n')
    abort(); /* non-empty text ends its last line */
  gsize mark = sizeof TRUNC_LINE - 1;
  if (truncated && (n < mark || strcmp(text + n - mark, TRUNC_LINE) != 0))
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *bytes = (const char *) data;
  g_autofree char *label = mugai_html_sniff_charset(bytes, size);
  check_sniffed(label);
  gsize len = 0;
  mugai_charset_info info = {0};
  g_autofree char *utf8 = mugai_charset_to_utf8(label, bytes, size, &len, &info);
  if (info.used == NULL || !g_utf8_validate(utf8, (gssize) len, NULL) || utf8[len] != '\0')
    abort();

  /* walk.c's options, with a fuzzing-size cap */
  mugai_html_options large = {.max_output = CAP_LARGE, .max_depth = 256};
  gboolean cut = FALSE;
  g_autofree char *text = mugai_html_to_text(utf8, len, &large, &cut);
  check_text(text, large.max_output, cut);
  mugai_html_options whole = large;
  whole.whole = TRUE;
  gboolean whole_cut = FALSE;
  g_autofree char *whole_text = mugai_html_to_text(utf8, len, &whole, &whole_cut);
  if (strcmp(text, whole_text) != 0 || cut != whole_cut)
    abort();

  /* A small cap (8..263 bytes: above the marker's own length) and shallow depth. */
  mugai_html_options small = {.max_output = 8 + size % 256, .max_depth = 1 + size % 16};
  cut = FALSE;
  g_autofree char *short_text = mugai_html_to_text(utf8, len, &small, &cut);
  check_text(short_text, small.max_output, cut);
  return 0;
}
