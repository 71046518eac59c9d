/* pdf.c — a PDF's text with poppler's GLib binding: the document title, then each page's text
 * (poppler's reading order) after a "--- page N/M ---" marker, up to max_pages.
 *
 * An encrypted PDF is named as such and never opened with a guessed password (not even the empty
 * user password poppler would try: any password at all means the sender meant it closed).
 * Japanese text in non-embedded CID fonts needs poppler-data's CMaps, which poppler opens
 * read-only on first use. Owns the PopplerDocument for one call.
 */
#include "convert/convert_private.h"

#include <poppler.h>
#include <string.h>

void
mugai_convert_pdf(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r)
{
  r->kind = "pdf";
  r->unit = "pages";
  g_autoptr(GBytes) bytes = g_bytes_new_static(data, len);
  g_autoptr(GError) error = NULL;
  /* A document with an empty user password opens with NULL; that is still encryption. */
  PopplerDocument *doc = poppler_document_new_from_bytes(bytes, NULL, &error);
  if (doc == NULL) {
    if (g_error_matches(error, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED)) {
      r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
      mugai_convert_fail(r, "encrypted");
    } else {
      mugai_convert_fail(r, "damaged PDF: %.200s", error ? error->message : "unreadable");
    }
    return;
  }
  int n = poppler_document_get_n_pages(doc);
  r->count = n > 0 ? (guint) n : 0;
  g_autofree char *title = poppler_document_get_title(doc);
  if (title && *g_strstrip(title))
    mugai_convert_outf(ctx, r, "Title: %s\n\n", title);
  for (int i = 0; i < n; i++) {
    if ((guint) i >= ctx->limits->max_pages) {
      r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
      break;
    }
    PopplerPage *page = poppler_document_get_page(doc, i);
    g_autofree char *text = page ? poppler_page_get_text(page) : NULL;
    g_clear_object(&page);
    if (!mugai_convert_outf(ctx, r, "%s--- page %d/%d ---\n", i ? "\n" : "", i + 1, n))
      break;
    if (text && !mugai_convert_out(ctx, r, text, -1))
      break;
    if (text && *text && text[strlen(text) - 1] != '\n' && !mugai_convert_out(ctx, r, "\n", 1))
      break;
  }
  g_object_unref(doc);
}
