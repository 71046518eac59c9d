/* zip_doc.c — a zip is a Word/Excel/PowerPoint or OpenDocument file, or an archive of files:
 * told apart by its members ([Content_Types].xml and the main part; the ODF "mimetype" member),
 * never by the file name. An archive's members of a supported type are converted one level down
 * (to limits->max_depth), each under a "=== name (kind, N unit) ===" line; others are named.
 * Owns the zip it reads for one call.
 */
#include "convert/ooxml.h"

#include <string.h>

/* Pictures, fonts, thumbnails, OLE payloads, media and programs are never text: not inflated at
 * all, so they spend none of max_expanded. (Skipping by name only ever converts less.) */
static gboolean
want_doc_member(const char *name, gint64 declared, gpointer user)
{
  (void) declared;
  (void) user;
  static const char *const skip[] = {"word/media/", "xl/media/", "ppt/media/", "Pictures/",
                                     "Thumbnails/", "word/embeddings/", "xl/embeddings/",
                                     "ppt/embeddings/", "word/fonts/", "ppt/fonts/", NULL};
  static const char *const binary_ext[] = {
    ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".heic", ".webp", ".emf", ".wmf",
    ".mp3", ".mp4", ".m4a", ".mov", ".avi", ".wav", ".exe", ".dll", ".msi", ".iso", ".dmg", NULL};
  for (const char *const *s = skip; *s; s++)
    if (g_str_has_prefix(name, *s))
      return FALSE;
  g_autofree char *lower = g_ascii_strdown(name, -1);
  for (const char *const *e = binary_ext; *e; e++)
    if (g_str_has_suffix(lower, *e))
      return FALSE;
  return TRUE;
}

/* Convert one member into R under its own header line (ctx->converted counts it when its text
 * went in). */
static void
convert_member(mugai_convert_ctx *ctx, const char *name, GBytes *bytes, mugai_convert_result *r)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(bytes, &len);
  const char *kind = mugai_convert_kind(data, len, NULL, name);
  if (kind == NULL || ctx->depth + 1 > ctx->limits->max_depth) {
    r->warnings |= MUGAI_CONVERT_WARN_SKIPPED;
    mugai_convert_outf(ctx, r, "%s=== %s (not converted) ===\n", r->text->len ? "\n" : "", name);
    return;
  }
  /* The member's text goes to a result of its own, capped by what is left of ours. */
  mugai_convert_limits sub_limits = *ctx->limits;
  sub_limits.max_output = ctx->limits->max_output > r->text->len ? ctx->limits->max_output - r->text->len : 0;
  mugai_convert_ctx sub = *ctx;
  sub.limits = &sub_limits;
  sub.depth++;
  g_autoptr(mugai_convert_result) m = g_new0(mugai_convert_result, 1);
  m->text = g_string_new(NULL);
  mugai_convert_into(&sub, data, len, NULL, name, m);
  ctx->expanded = sub.expanded;
  ctx->entries = sub.entries;
  ctx->converted = sub.converted;
  r->warnings |= m->warnings;
  g_autofree char *what = m->unit ? g_strdup_printf("%s, %u %s", m->kind, m->count, m->unit)
                                  : g_strdup(m->kind);
  if (m->failure) {
    mugai_convert_outf(ctx, r, "%s=== %s (%s: not converted: %s) ===\n", r->text->len ? "\n" : "",
                       name, what, m->failure);
    return;
  }
  if (mugai_convert_outf(ctx, r, "%s=== %s (%s) ===\n", r->text->len ? "\n" : "", name, what))
    mugai_convert_out(ctx, r, m->text->str, (gssize) m->text->len);
  if (strcmp(m->kind, "zip") != 0) /* a zip inside counted its own members */
    ctx->converted++;
}

/* A plain zip: each member of a type we read, under a line naming it. A zip none of whose
 * members could be read is a failure (at the top: the file itself), so that the sanitizer names
 * the file and lists what is in it (which files, which are encrypted) instead of delivering a
 * page of "not converted". */
static void
convert_archive(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r)
{
  r->kind = "zip";
  r->unit = "files";
  if (zip->encrypted)
    r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
  for (guint i = 0; i < zip->names->len; i++) {
    const char *name = zip->names->pdata[i];
    GBytes *bytes = mugai_zip_get(zip, name);
    r->count++;
    if (bytes == NULL) {
      const char *why = g_hash_table_lookup(zip->unread, name);
      r->warnings |= MUGAI_CONVERT_WARN_SKIPPED;
      mugai_convert_outf(ctx, r, "%s=== %s (not converted: %s) ===\n", r->text->len ? "\n" : "",
                         name, why ? why : "not read");
      continue;
    }
    convert_member(ctx, name, bytes, r);
    if (r->warnings & MUGAI_CONVERT_WARN_TRUNCATED)
      break;
  }
  /* Only the file itself: a zip inside keeps its lines, which name what was left out. */
  if (ctx->converted == 0 && ctx->depth == 0)
    mugai_convert_fail(r, "%s", zip->encrypted ? "encrypted" : "nothing in it could be converted");
}

void
mugai_convert_zip(mugai_convert_ctx *ctx, const void *data, gsize len, const char *name,
                  mugai_convert_result *r)
{
  (void) name;
  g_autofree char *failure = NULL;
  g_autoptr(mugai_zip) zip = mugai_zip_read(ctx, data, len, want_doc_member, NULL, &failure);
  if (zip == NULL) {
    mugai_convert_fail(r, "%s", failure);
    return;
  }
  GBytes *mt = mugai_zip_get(zip, "mimetype");
  g_autofree char *mimetype = mt ? g_strndup(g_bytes_get_data(mt, NULL), MIN(g_bytes_get_size(mt), 200u)) : NULL;
  gboolean ooxml = mugai_zip_contains(zip, "[Content_Types].xml");
  if (ooxml && mugai_zip_contains(zip, "word/document.xml"))
    mugai_ooxml_docx(ctx, zip, r);
  else if (ooxml && mugai_zip_contains(zip, "xl/workbook.xml"))
    mugai_ooxml_xlsx(ctx, zip, r);
  else if (ooxml && mugai_zip_contains(zip, "ppt/presentation.xml"))
    mugai_ooxml_pptx(ctx, zip, r);
  else if (mimetype && g_str_has_prefix(mimetype, "application/vnd.oasis.opendocument."))
    mugai_odf(ctx, zip, mimetype, r);
  else
    convert_archive(ctx, zip, r);
}
