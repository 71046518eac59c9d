/* eml.c — an attached message (message/rfc822, .eml) as text, with GMime: its From, To, Cc,
 * Date and Subject (RFC 2047 decoded), then each text part (HTML through the engine's
 * HTML → text) in order; any other part is named, not converted. Parts count against
 * max_entries. Owns the parsed message for one call.
 */
#include "convert/convert_private.h"

#include <gmime/gmime.h>
#include <string.h>

#include "sanitize/charset.h"

#include "sanitize/gmime_autoptr.h"

typedef struct {
  mugai_convert_ctx *ctx;
  mugai_convert_result *r;
  guint parts;
} eml_walk;

static void
part_text(eml_walk *w, GMimePart *part, gboolean html)
{
  GMimeDataWrapper *content = g_mime_part_get_content(part);
  if (content == NULL)
    return;
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
  /* Decoded (base64/QP) into memory; the caller's max_member bounds the attachment itself. */
  if (g_mime_data_wrapper_write_to_stream(content, mem) < 0)
    return;
  GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  mugai_convert_result sub = {.kind = html ? "html" : "text", .text = g_string_new(NULL)};
  mugai_convert_limits limits = *w->ctx->limits;
  limits.max_output = limits.max_output > w->r->text->len ? limits.max_output - w->r->text->len : 0;
  mugai_convert_ctx ctx = *w->ctx;
  ctx.limits = &limits;
  const char *charset = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
  if (html) {
    mugai_convert_html(&ctx, bytes->data, bytes->len, &sub);
  } else if (charset) {
    /* The label is the sender's word for it: the engine decodes by it, or detects when wrong. */
    g_autofree char *utf8 = mugai_charset_to_utf8(charset, (const char *) bytes->data, bytes->len, NULL, NULL);
    mugai_convert_text(&ctx, utf8, strlen(utf8), &sub);
  } else {
    mugai_convert_text(&ctx, bytes->data, bytes->len, &sub);
  }
  w->r->warnings |= sub.warnings;
  mugai_convert_out(w->ctx, w->r, "\n", 1);
  mugai_convert_out(w->ctx, w->r, sub.text->str, (gssize) sub.text->len);
  g_string_free(sub.text, TRUE);
}

static void
each_part(GMimeObject *parent, GMimeObject *part, gpointer user)
{
  (void) parent;
  eml_walk *w = user;
  if (++w->parts > w->ctx->limits->max_entries) {
    w->r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
    return;
  }
  if (w->r->warnings & MUGAI_CONVERT_WARN_TRUNCATED || !GMIME_IS_PART(part))
    return;
  GMimeContentType *ct = g_mime_object_get_content_type(part);
  const char *name = g_mime_part_get_filename(GMIME_PART(part));
  gboolean attachment = name != NULL;
  if (!attachment && g_mime_content_type_is_type(ct, "text", "plain"))
    part_text(w, GMIME_PART(part), FALSE);
  else if (!attachment && g_mime_content_type_is_type(ct, "text", "html"))
    part_text(w, GMIME_PART(part), TRUE);
  else {
    g_autofree char *type = g_mime_content_type_get_mime_type(ct);
    w->r->warnings |= MUGAI_CONVERT_WARN_SKIPPED;
    mugai_convert_outf(w->ctx, w->r, "\n[attachment: %s (%s), not converted]\n",
                       name ? name : "(no name)", type);
  }
}

void
mugai_convert_eml(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r)
{
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer(data, len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeMessage) message = g_mime_parser_construct_message(parser, NULL);
  if (message == NULL) {
    mugai_convert_fail(r, "damaged message");
    return;
  }
  static const char *const headers[] = {"From", "To", "Cc", "Date", "Subject", NULL};
  for (const char *const *h = headers; *h; h++) {
    const char *raw = g_mime_object_get_header(GMIME_OBJECT(message), *h);
    if (raw == NULL)
      continue;
    g_autofree char *decoded = g_mime_utils_header_decode_text(NULL, raw);
    g_autofree char *valid = g_utf8_make_valid(decoded, -1);
    mugai_convert_outf(ctx, r, "%s: %s\n", *h, g_strstrip(valid));
  }
  eml_walk w = {.ctx = ctx, .r = r};
  g_mime_message_foreach(message, each_part, &w);
}
