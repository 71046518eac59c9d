/* body_writer.c — transfer-encode the sanitized text (see body_writer.h), with GMime's encoders. */
#include "sanitize/body_writer.h"

#include <gmime/gmime.h>
#include <string.h>

/* Longest line SMTP lets through unencoded is 998 octets; stay well below to be safe with relays. */
#define MAX_7BIT_LINE 900

static gboolean
is_short_lined_ascii(const char *text, gsize len, gsize *non_ascii)
{
  gsize line = 0;
  gboolean ok = TRUE;
  *non_ascii = 0;
  for (gsize i = 0; i < len; i++) {
    guchar c = (guchar) text[i];
    if (c >= 0x80) {
      (*non_ascii)++;
      ok = FALSE;
    } else if (c == '\n') {
      line = 0;
    } else if (c == '\r' || c == 0 || ++line > MAX_7BIT_LINE) {
      ok = FALSE;
    }
  }
  return ok;
}

/* "\n" → "\r\n" into OUT. */
static void
append_crlf(GByteArray *out, const char *data, gsize len)
{
  gsize start = 0;
  for (gsize i = 0; i < len; i++) {
    if (data[i] == '\n') {
      g_byte_array_append(out, (const guint8 *) data + start, i - start);
      g_byte_array_append(out, (const guint8 *) "\r\n", 2);
      start = i + 1;
    }
  }
  g_byte_array_append(out, (const guint8 *) data + start, len - start);
}

#define ENCODE_CHUNK 49152 /* input bytes per encoder step: a multiple of 3 and of 4 */

/* TEXT transfer-encoded with ENCODING into one array sized once for the result: the input is
 * fed in chunks (its "\n" made "\r\n" first when CANONICAL, as base64 needs), and the encoder's
 * "\n" line ends become "\r\n" on the way out, so no second copy of a long text is ever made. */
static GByteArray *
encode_with(GMimeContentEncoding encoding, const char *text, gsize len, gboolean canonical)
{
  gsize lines = 0;
  for (const char *p = text, *end = text + len; (p = memchr(p, '\n', (gsize) (end - p))); p++)
    lines++;
  gsize input = len + (canonical ? lines : 0);
  GMimeEncoding state;
  g_mime_encoding_init_encode(&state, encoding);
  gsize encoded = g_mime_encoding_outlen(&state, input);
  GByteArray *out = g_byte_array_sized_new((guint) MIN(encoded + encoded / 38 + 64, (gsize) G_MAXUINT));
  g_autofree char *in = g_malloc(2 * ENCODE_CHUNK);
  g_autofree char *buf = g_malloc(g_mime_encoding_outlen(&state, 2 * ENCODE_CHUNK) + 16);
  gsize pos = 0;
  for (;;) {
    gsize n = 0;
    while (pos < len && n < ENCODE_CHUNK) {
      if (canonical && text[pos] == '\n')
        in[n++] = '\r';
      in[n++] = text[pos++];
    }
    gsize m = pos < len ? g_mime_encoding_step(&state, in, n, buf)
                        : g_mime_encoding_flush(&state, in, n, buf);
    append_crlf(out, buf, m);
    if (pos >= len)
      break;
  }
  return out;
}

GByteArray *
mugai_body_encode(const char *text, gsize len, const char **cte)
{
  gsize non_ascii = 0;
  if (is_short_lined_ascii(text, len, &non_ascii)) {
    *cte = "7bit";
    GByteArray *out = g_byte_array_sized_new(len + len / 30 + 2);
    append_crlf(out, text, len);
    return out;
  }
  if (non_ascii * 6 > len) { /* mostly Japanese: base64 is about a third smaller than QP */
    /* base64 encodes the canonical form, so the CRLF line ends go in before encoding. */
    *cte = "base64";
    return encode_with(GMIME_CONTENT_ENCODING_BASE64, text, len, TRUE);
  }
  *cte = "quoted-printable";
  return encode_with(GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE, text, len, FALSE);
}
