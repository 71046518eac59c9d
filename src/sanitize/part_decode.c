/* part_decode.c — a leaf's content decoded once (see part_decode.h). */
#include "sanitize/part_decode.h"

#include "sanitize/gmime_autoptr.h"
#include "sanitize/qp_decode.h"
#include "util/sha256.h"

#define READ_CHUNK 65536

void
mugai_decoded_clear(mugai_decoded *d)
{
  g_free(d->sha256);
  if (d->kept)
    g_byte_array_unref(d->kept);
  mugai_spool_free(d->whole);
}

/* Text parts labelled base64 whose content is plainly prose (words separated by spaces, which no
 * base64 encoder writes) are read as they are, as mail clients show them; decoding them as base64
 * would turn readable text into garbage. */
static gboolean
base64_label_is_false(GMimeStream *source)
{
  char buf[4096];
  if (g_mime_stream_reset(source) == -1)
    return FALSE;
  gssize n = g_mime_stream_read(source, buf, sizeof buf);
  if (n <= 0)
    return FALSE;
  guint lines = 0, prose = 0;
  gssize start = 0;
  for (gssize i = 0; i <= n; i++) {
    if (i < n && buf[i] != '\n')
      continue;
    gssize a = start, b = i;
    start = i + 1;
    while (a < b && g_ascii_isspace(buf[a]))
      a++;
    while (b > a && g_ascii_isspace(buf[b - 1]))
      b--;
    if (a == b)
      continue;
    lines++;
    for (gssize j = a; j < b; j++) {
      guchar c = (guchar) buf[j];
      if (c == ' ' || c == '\t' || !(g_ascii_isalnum(c) || c == '+' || c == '/' || c == '=')) {
        prose++;
        break;
      }
    }
  }
  return lines > 0 && prose * 2 >= lines;
}

/* Past the first KEEP bytes the whole content goes to OUT->whole (given by the caller, or NULL):
 * what was kept first, then every further byte. */
static gboolean
spool_beyond(mugai_decoded *out, const char *rest, gsize len, gboolean first, char **failure)
{
  g_autoptr(GError) error = NULL;
  if ((first && !mugai_spool_write(out->whole, out->kept->data, out->kept->len, &error)) ||
      (error == NULL && !mugai_spool_write(out->whole, rest, len, &error))) {
    *failure = g_strdup_printf("cannot keep a part for the virus scanner: %s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* A part's content as it is read: through GMime's filter for base64 and uuencode, through
 * qp_decode.h for quoted-printable (see there why). */
typedef struct {
  GMimeStream *source;   /* the part's stream, transfer-encoded */
  GMimeStream *filtered; /* (owned) over source, decoding it; NULL when raw is set */
  guint8 *raw; /* (owned) READ_CHUNK - 2 bytes of quoted-printable, decoded here; NULL if not QP */
  mugai_qp_decoder qp_state;
} content_reader;

static void
content_reader_init(content_reader *r, GMimeDataWrapper *content, gboolean as_text)
{
  r->source = g_mime_data_wrapper_get_stream(content);
  GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
  if (as_text && encoding == GMIME_CONTENT_ENCODING_BASE64 && base64_label_is_false(r->source))
    encoding = GMIME_CONTENT_ENCODING_DEFAULT;
  if (encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE) {
    r->raw = g_malloc(READ_CHUNK - 2);
    return;
  }
  r->filtered = g_mime_stream_filter_new(r->source);
  if (encoding != GMIME_CONTENT_ENCODING_DEFAULT) {
    g_autoptr(GMimeFilter) filter = g_mime_filter_basic_new(encoding, FALSE);
    g_mime_stream_filter_add(GMIME_STREAM_FILTER(r->filtered), filter);
  }
}

static void
content_reader_clear(content_reader *r)
{
  g_clear_object(&r->filtered);
  g_clear_pointer(&r->raw, g_free);
}

/* Up to READ_CHUNK decoded bytes into BUF; 0 at the end, -1 on a read error. */
static gssize
read_content(content_reader *r, char *buf)
{
  if (r->raw == NULL)
    return g_mime_stream_read(r->filtered, buf, READ_CHUNK);
  for (;;) { /* a chunk of soft line breaks alone decodes to nothing: read on */
    gssize n = g_mime_stream_read(r->source, (char *) r->raw, READ_CHUNK - 2);
    if (n <= 0)
      return n;
    gsize out = mugai_qp_decode_step(&r->qp_state, r->raw, (gsize) n, (guint8 *) buf);
    if (out > 0)
      return (gssize) out;
  }
}

/* mugai_part_decode()'s loop over R. */
static gboolean
decode_content(content_reader *r, gsize keep, mugai_sha256 *sum, mugai_decoded *out, char **failure)
{
  if (g_mime_stream_reset(r->source) == -1) {
    *failure = g_strdup("cannot rewind a part's stream");
    return FALSE;
  }
  g_autofree char *buf = g_malloc(READ_CHUNK);
  gssize n;
  while ((n = read_content(r, buf)) > 0) {
    mugai_sha256_update(sum, buf, (gsize) n);
    out->size += n;
    gsize room = keep > out->kept->len ? keep - out->kept->len : 0;
    g_byte_array_append(out->kept, (const guint8 *) buf, MIN(room, (gsize) n));
    if ((gsize) n > room) {
      if (out->whole && !spool_beyond(out, buf + room, (gsize) n - room, !out->cut, failure))
        return FALSE;
      out->cut = TRUE;
    }
  }
  if (n < 0 && !g_mime_stream_eos(r->raw ? r->source : r->filtered)) {
    *failure = g_strdup("read error while decoding a part");
    return FALSE;
  }
  return TRUE;
}

/* Streams the content once: one read, one hash, the first bytes kept, the rest spooled. */
gboolean
mugai_part_decode(GMimePart *part, gsize keep, gboolean as_text, mugai_decoded *out, char **failure)
{
  g_autoptr(mugai_sha256) sum = mugai_sha256_new();
  out->kept = g_byte_array_sized_new(MIN(keep, (gsize) READ_CHUNK));
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content && g_mime_data_wrapper_get_stream(content)) {
    content_reader r = {0};
    content_reader_init(&r, content, as_text);
    gboolean ok = decode_content(&r, keep, sum, out, failure);
    content_reader_clear(&r);
    if (!ok)
      return FALSE;
  }
  out->sha256 = mugai_sha256_hex(sum);
  return TRUE;
}
