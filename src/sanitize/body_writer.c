/* body_writer.c — transfer-encode the sanitized text (see body_writer.h), with GMime's encoders. */
#include "sanitize/body_writer.h"

#include <gmime/gmime.h>
#include <string.h>

/* Longest line SMTP lets through unencoded is 998 octets; stay well below to be safe with relays. */
#define MAX_7BIT_LINE 900

/* Bytes of TEXT at or above 0x80. Written so that the compiler vectorizes it: it reads every
 * delivered text whole. */
static gsize
count_non_ascii(const char *text, gsize len)
{
  gsize n = 0;
  for (gsize i = 0; i < len; i++)
    n += (guchar) text[i] >> 7;
  return n;
}

/* ASCII TEXT (the caller counted): no CR, no NUL, no line over MAX_7BIT_LINE. */
static gboolean
is_short_lined(const char *text, gsize len)
{
  if (memchr(text, '\r', len) || memchr(text, '\0', len))
    return FALSE;
  const char *p = text, *end = text + len;
  for (const char *nl; p < end; p = nl + 1) {
    nl = memchr(p, '\n', (gsize) (end - p));
    if (nl == NULL)
      nl = end;
    if (nl - p > MAX_7BIT_LINE)
      return FALSE;
  }
  return TRUE;
}

/* "\n" → "\r\n" into OUT. */
static void
append_crlf(GByteArray *out, const char *data, gsize len)
{
  const char *p = data, *end = data + len;
  for (const char *nl; (nl = memchr(p, '\n', (gsize) (end - p))) != NULL; p = nl + 1) {
    g_byte_array_append(out, (const guint8 *) p, (guint) (nl - p));
    g_byte_array_append(out, (const guint8 *) "\r\n", 2);
  }
  g_byte_array_append(out, (const guint8 *) p, (guint) (end - p));
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
    while (pos < len && n < ENCODE_CHUNK) { /* a line at a time, its "\n" made "\r\n" */
      const char *nl = canonical ? memchr(text + pos, '\n', len - pos) : NULL;
      gsize take = MIN((nl ? (gsize) (nl - text) : len) - pos, ENCODE_CHUNK - n);
      memcpy(in + n, text + pos, take);
      n += take;
      pos += take;
      if (nl && pos == (gsize) (nl - text)) {
        in[n++] = '\r';
        in[n++] = '\n';
        pos++;
      }
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
  gsize non_ascii = count_non_ascii(text, len);
  if (non_ascii == 0 && is_short_lined(text, len)) {
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
