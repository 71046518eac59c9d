/* text.c — text-shaped attachments: plain text, CSV, TSV, ICS and VCF in any charset (the engine's
 * detection, sanitize/charset.h) and HTML (the engine's HTML → text, sanitize/html2text.h).
 * CSV and TSV stay as their lines, which read as rows; ICS and VCF have their folded lines
 * joined (RFC 5545 3.1, RFC 6350 3.2) so a long SUMMARY reads as one line. Owns nothing.
 */
#include "convert/convert_private.h"

#include <string.h>

#include "sanitize/charset.h"
#include "sanitize/html2text.h"

/* CRLF → LF; with UNFOLD, a line break followed by a space or tab is removed with that char. */
static char *
normalise_lines(const char *s, gsize len, gboolean unfold, gsize *out_len)
{
  GString *out = g_string_sized_new(len);
  for (gsize i = 0; i < len; i++) {
    if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
      continue;
    if (s[i] == '\n' && unfold && i + 1 < len && (s[i + 1] == ' ' || s[i + 1] == '\t')) {
      i++;
      continue;
    }
    g_string_append_c(out, s[i] == '\r' ? '\n' : s[i]);
  }
  *out_len = out->len;
  return g_string_free(out, FALSE);
}

void
mugai_convert_text(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r)
{
  gsize utf8_len = 0;
  g_autofree char *utf8 = mugai_charset_to_utf8(NULL, data, len, &utf8_len, NULL);
  gboolean unfold = strcmp(r->kind, "ics") == 0 || strcmp(r->kind, "vcf") == 0;
  gsize n = 0;
  g_autofree char *text = normalise_lines(utf8, utf8_len, unfold, &n);
  mugai_convert_out(ctx, r, text, (gssize) n);
  if (r->text->len && r->text->str[r->text->len - 1] != '\n')
    mugai_convert_out(ctx, r, "\n", 1);
}

void
mugai_convert_html(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r)
{
  g_autofree char *label = mugai_html_sniff_charset(data, len);
  gsize utf8_len = 0;
  g_autofree char *utf8 = mugai_charset_to_utf8(label, data, len, &utf8_len, NULL);
  mugai_html_options options = {.max_output = ctx->limits->max_output,
                                .max_depth = ctx->limits->max_xml_depth};
  gboolean truncated = FALSE;
  g_autofree char *text = mugai_html_to_text(utf8, utf8_len, &options, &truncated);
  mugai_convert_out(ctx, r, text, -1);
  if (truncated)
    r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
  if (r->text->len && r->text->str[r->text->len - 1] != '\n')
    mugai_convert_out(ctx, r, "\n", 1);
}
