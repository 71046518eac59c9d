/* convert.c — the converters' front door: the type → converter table, the capped text writer and
 * the result (see convert.h).
 *
 * Owns nothing between calls. The type comes from libmagic (the caller's filetype.h), the file
 * name is only a hint: it tells CSV from plain text and never makes a binary type readable as
 * text. What it must never do: guess a type that parses bytes the detected type does not promise.
 */
#include "convert/convert_private.h"

#include <gmime/gmime.h>
#include <libxml/parser.h>
#include <string.h>

/* libxml2's default loader fetches whatever a document names (file or, without NONET, network):
 * documents we read have no business loading anything, so every load fails. */
static xmlParserInputPtr
refuse_entity_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
  (void) url;
  (void) id;
  (void) ctxt;
  return NULL;
}

void
mugai_convert_init(void)
{
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    xmlInitParser();
    g_mime_init(); /* for attached messages (eml.c) */
    xmlSetExternalEntityLoader(refuse_entity_loader);
    g_once_init_leave(&once, 1);
  }
}

/* ---- text writer ---------------------------------------------------------------------------- */

gboolean
mugai_convert_out(mugai_convert_ctx *ctx, mugai_convert_result *result, const char *s, gssize len)
{
  if (result->warnings & MUGAI_CONVERT_WARN_TRUNCATED)
    return FALSE;
  gsize n = len < 0 ? strlen(s) : (gsize) len;
  gsize room = ctx->limits->max_output > result->text->len
                 ? ctx->limits->max_output - result->text->len : 0;
  if (n <= room) {
    g_string_append_len(result->text, s, (gssize) n);
    return TRUE;
  }
  /* Cut at a character boundary, so the text stays valid UTF-8. */
  const char *end = s + room;
  while (end > s && ((guchar) *end & 0xC0) == 0x80)
    end--;
  g_string_append_len(result->text, s, end - s);
  result->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
  return FALSE;
}

gboolean
mugai_convert_outf(mugai_convert_ctx *ctx, mugai_convert_result *result, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *s = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  return mugai_convert_out(ctx, result, s, -1);
}

void
mugai_convert_fail(mugai_convert_result *result, const char *fmt, ...)
{
  if (result->failure != NULL)
    return;
  va_list ap;
  va_start(ap, fmt);
  result->failure = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_string_truncate(result->text, 0);
}

/* ---- dispatch ------------------------------------------------------------------------------- */

static gboolean
name_has_ext(const char *name, const char *const *exts)
{
  if (name == NULL)
    return FALSE;
  const char *dot = strrchr(name, '.');
  if (dot == NULL)
    return FALSE;
  for (const char *const *e = exts; *e; e++)
    if (g_ascii_strcasecmp(dot + 1, *e) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
is_zip_mime(const char *mime)
{
  return g_str_has_prefix(mime, "application/zip") || g_str_has_prefix(mime, "application/x-zip") ||
         g_str_has_prefix(mime, "application/vnd.openxmlformats-officedocument.") ||
         g_str_has_prefix(mime, "application/vnd.ms-word.") ||
         g_str_has_prefix(mime, "application/vnd.ms-excel.sheet.") ||
         g_str_has_prefix(mime, "application/vnd.ms-powerpoint.presentation.") ||
         g_str_has_prefix(mime, "application/vnd.oasis.opendocument.");
}

/* When no type was given (a zip member, the worker run by hand): the few magic numbers we need. */
static const char *
sniff_mime(const guint8 *d, gsize len)
{
  if (len >= 5 && memcmp(d, "%PDF-", 5) == 0)
    return "application/pdf";
  if (len >= 4 && memcmp(d, "PK\3\4", 4) == 0)
    return "application/zip";
  if (len >= 5 && memcmp(d, "{\\rtf", 5) == 0)
    return "text/rtf";
  if (memchr(d, '\0', MIN(len, (gsize) 8192)) == NULL)
    return "text/plain";
  return "application/octet-stream";
}

/* Text kinds by name, for text/plain (libmagic calls CSV, ICS and VCF plain text). */
static const char *
text_kind_by_name(const char *name)
{
  static const char *const csv[] = {"csv", NULL}, *const tsv[] = {"tsv", "tab", NULL},
                           *const ics[] = {"ics", "ical", "ifb", NULL},
                           *const vcf[] = {"vcf", "vcard", NULL}, *const eml[] = {"eml", NULL},
                           *const rtf[] = {"rtf", NULL}, *const html[] = {"html", "htm", NULL};
  if (name_has_ext(name, csv))
    return "csv";
  if (name_has_ext(name, tsv))
    return "tsv";
  if (name_has_ext(name, ics))
    return "ics";
  if (name_has_ext(name, vcf))
    return "vcf";
  if (name_has_ext(name, eml))
    return "eml";
  if (name_has_ext(name, rtf))
    return "rtf";
  if (name_has_ext(name, html))
    return "html";
  return "text";
}

const char *
mugai_convert_kind(const void *data, gsize len, const char *mime, const char *name)
{
  if (mime == NULL || *mime == '\0' || strcmp(mime, "application/octet-stream") == 0)
    mime = sniff_mime(data, len);
  if (strcmp(mime, "application/pdf") == 0)
    return "pdf";
  if (is_zip_mime(mime))
    return "zip"; /* which document it is, zip_doc.c tells by its members */
  if (strcmp(mime, "text/html") == 0 || strcmp(mime, "application/xhtml+xml") == 0)
    return "html";
  if (strcmp(mime, "text/rtf") == 0 || strcmp(mime, "application/rtf") == 0)
    return "rtf";
  if (strcmp(mime, "message/rfc822") == 0)
    return "eml";
  if (strcmp(mime, "text/calendar") == 0)
    return "ics";
  if (strcmp(mime, "text/vcard") == 0 || strcmp(mime, "text/x-vcard") == 0)
    return "vcf";
  if (strcmp(mime, "text/csv") == 0)
    return "csv";
  if (g_str_has_prefix(mime, "text/"))
    return text_kind_by_name(name);
  return NULL;
}

void
mugai_convert_into(mugai_convert_ctx *ctx, const void *data, gsize len, const char *mime,
                   const char *name, mugai_convert_result *r)
{
  const char *kind = mugai_convert_kind(data, len, mime, name);
  if (mime && strcmp(mime, "application/encrypted") == 0) {
    /* An encrypted OOXML file is an OLE2 container around the encrypted zip. */
    r->kind = "";
    r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
    mugai_convert_fail(r, "encrypted");
    return;
  }
  if (kind == NULL) {
    r->kind = "";
    mugai_convert_fail(r, "unsupported type %s", mime ? mime : "unknown");
    return;
  }
  r->kind = kind;
  if (strcmp(kind, "pdf") == 0)
    mugai_convert_pdf(ctx, data, len, r);
  else if (strcmp(kind, "zip") == 0)
    mugai_convert_zip(ctx, data, len, name, r);
  else if (strcmp(kind, "html") == 0)
    mugai_convert_html(ctx, data, len, r);
  else if (strcmp(kind, "rtf") == 0)
    mugai_convert_rtf(ctx, data, len, r);
  else if (strcmp(kind, "eml") == 0)
    mugai_convert_eml(ctx, data, len, r);
  else
    mugai_convert_text(ctx, data, len, r);
}

mugai_convert_result *
mugai_convert(const void *data, gsize len, const char *mime, const char *name,
              const mugai_convert_limits *limits)
{
  mugai_convert_init();
  mugai_convert_result *r = g_new0(mugai_convert_result, 1);
  r->text = g_string_new(NULL);
  mugai_convert_ctx ctx = {.limits = limits};
  mugai_convert_into(&ctx, data ? data : "", len, mime, name, r);
  return r;
}

void
mugai_convert_result_free(mugai_convert_result *result)
{
  if (result == NULL)
    return;
  g_free(result->failure);
  g_string_free(result->text, TRUE);
  g_free(result);
}
