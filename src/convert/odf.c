/* odf.c — OpenDocument text, spreadsheet and presentation (content.xml) as text: paragraphs and
 * headings one a line; sheets under "[Sheet: name]" with tab-separated rows (dates shown as the
 * ISO date ODF stores, repeated rows and cells expanded but counted against max_cells, trailing
 * empty cells dropped); slides under "[Slide N: name]". Macros (Basic/, Scripts/), embedded
 * objects (Object N/) and an encrypted package (manifest encryption-data) are flagged.
 * Owns nothing between calls.
 */
#include "convert/ooxml.h"

#include <string.h>

#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_TABLE "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_DRAW "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
#define NS_XLINK "http://www.w3.org/1999/xlink"

typedef struct {
  mugai_convert_ctx *ctx;
  mugai_convert_result *r;
  guint in_p;           /* text:p / text:h nesting */
  gboolean in_cell, in_annotation;
  GString *cell;        /* the current cell's text */
  char *cell_date;      /* office:date-value of the current cell */
  guint cell_repeat, row_repeat, pending_tabs;
  GString *row;         /* the current row */
  guint cells;
} odf_walk;

static guint
attr_count(xmlTextReaderPtr reader, const char *ns, const char *local)
{
  g_autofree char *v = mugai_xml_attr(reader, ns, local);
  guint64 n = v ? g_ascii_strtoull(v, NULL, 10) : 1;
  return n == 0 ? 1 : (guint) MIN(n, (guint64) G_MAXUINT);
}

static gboolean
text_event(odf_walk *w, gboolean start, const char *local, xmlTextReaderPtr reader)
{
  GString *to = w->in_cell ? w->cell : NULL;
  const char *add = NULL;
  g_autofree char *spaces = NULL;
  if (strcmp(local, "p") == 0 || strcmp(local, "h") == 0) {
    w->in_p += start ? 1 : (w->in_p ? -1 : 0);
    if (!start)
      add = w->in_cell ? " " : "\n";
  } else if (start && strcmp(local, "tab") == 0) {
    add = "\t";
  } else if (start && strcmp(local, "line-break") == 0) {
    add = w->in_cell ? " " : "\n";
  } else if (start && strcmp(local, "s") == 0) {
    add = spaces = g_strnfill(MIN(attr_count(reader, NS_TEXT, "c"), 64u), ' ');
  }
  if (add == NULL || w->in_annotation)
    return TRUE;
  if (to) {
    if (to->len < w->ctx->limits->max_output)
      g_string_append(to, add);
    return TRUE;
  }
  return mugai_convert_out(w->ctx, w->r, add, -1);
}

/* A cell repeated N times is N cells (up to max_cells in all); empty ones only become tabs when
 * a non-empty cell follows. */
static gboolean
end_cell(odf_walk *w)
{
  g_strstrip(w->cell->str);
  w->cell->len = strlen(w->cell->str);
  const char *value = w->cell_date ? w->cell_date : w->cell->str;
  for (guint i = 0; i < w->cell_repeat; i++) {
    if (++w->cells > w->ctx->limits->max_cells) {
      w->r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
      return FALSE;
    }
    if (*value == '\0') {
      w->pending_tabs++;
      continue;
    }
    if (w->row->len >= w->ctx->limits->max_output) {
      w->r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
      return FALSE;
    }
    if (w->row->len || w->pending_tabs)
      for (guint t = 0; t < w->pending_tabs + (w->row->len ? 1 : 0); t++)
        g_string_append_c(w->row, '\t');
    w->pending_tabs = 0;
    g_string_append(w->row, value);
  }
  return TRUE;
}

static gboolean
end_row(odf_walk *w)
{
  /* Repeated empty rows (a sheet's filler to row 1048576) are one empty line at most. */
  guint repeat = w->row->len ? w->row_repeat : 1;
  for (guint i = 0; i < repeat; i++) {
    if (w->row->len && ++w->cells > w->ctx->limits->max_cells) {
      w->r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
      return FALSE;
    }
    if (!mugai_convert_out(w->ctx, w->r, w->row->str, (gssize) w->row->len) ||
        !mugai_convert_out(w->ctx, w->r, "\n", 1))
      return FALSE;
  }
  return TRUE;
}

static gboolean
table_event(odf_walk *w, gboolean start, const char *local, xmlTextReaderPtr reader)
{
  if (strcmp(local, "table") == 0 && start) {
    g_autofree char *name = mugai_xml_attr(reader, NS_TABLE, "name");
    if (g_strcmp0(w->r->kind, "ods") == 0)
      w->r->count++;
    return mugai_convert_outf(w->ctx, w->r, "%s[%s: %s]\n", w->r->text->len ? "\n" : "",
                              g_strcmp0(w->r->kind, "ods") == 0 ? "Sheet" : "Table",
                              name ? name : "");
  }
  if (strcmp(local, "table-row") == 0) {
    if (!start)
      return end_row(w);
    g_string_truncate(w->row, 0);
    w->pending_tabs = 0;
    w->row_repeat = attr_count(reader, NS_TABLE, "number-rows-repeated");
  } else if (strcmp(local, "table-cell") == 0 || strcmp(local, "covered-table-cell") == 0) {
    w->in_cell = start;
    if (!start)
      return end_cell(w);
    g_string_truncate(w->cell, 0);
    g_clear_pointer(&w->cell_date, g_free);
    g_autofree char *type = mugai_xml_attr(reader, NS_OFFICE, "value-type");
    if (g_strcmp0(type, "date") == 0)
      w->cell_date = mugai_xml_attr(reader, NS_OFFICE, "date-value");
    w->cell_repeat = attr_count(reader, NS_TABLE, "number-columns-repeated");
  }
  return TRUE;
}

static gboolean
odf_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
       xmlTextReaderPtr reader)
{
  odf_walk *w = user;
  if (ev == MUGAI_XML_TEXT) {
    if (!w->in_p || w->in_annotation)
      return TRUE;
    if (w->in_cell) {
      if (w->cell->len < w->ctx->limits->max_output)
        g_string_append(w->cell, text);
      return TRUE;
    }
    return mugai_convert_out(w->ctx, w->r, text, -1);
  }
  gboolean start = ev == MUGAI_XML_START;
  if (g_strcmp0(ns, NS_OFFICE) == 0 && strcmp(local, "annotation") == 0)
    w->in_annotation = start;
  if (g_strcmp0(ns, NS_TEXT) == 0)
    return text_event(w, start, local, reader);
  if (g_strcmp0(ns, NS_TABLE) == 0)
    return table_event(w, start, local, reader);
  if (g_strcmp0(ns, NS_DRAW) == 0 && start && strcmp(local, "page") == 0) {
    g_autofree char *name = mugai_xml_attr(reader, NS_DRAW, "name");
    w->r->count++;
    return mugai_convert_outf(w->ctx, w->r, "%s[Slide %u%s%s]\n", w->r->count > 1 ? "\n" : "",
                              w->r->count, name ? ": " : "", name ? name : "");
  }
  if (g_strcmp0(ns, NS_DRAW) == 0 && start && strcmp(local, "object") == 0) {
    g_autofree char *href = mugai_xml_attr(reader, NS_XLINK, "href");
    if (href && !g_str_has_prefix(href, "./") && strchr(href, ':'))
      w->r->warnings |= MUGAI_CONVERT_WARN_EXTERNAL_LINKS;
  }
  return TRUE;
}

static void
odf_flags(mugai_zip *zip, mugai_convert_result *r)
{
  if (mugai_zip_has_prefix(zip, "Basic/") || mugai_zip_has_prefix(zip, "Scripts/"))
    r->warnings |= MUGAI_CONVERT_WARN_MACROS;
  if (mugai_zip_has_prefix(zip, "Object ") || mugai_zip_has_prefix(zip, "ObjectReplacements/"))
    r->warnings |= MUGAI_CONVERT_WARN_EMBEDDED;
  GBytes *manifest = mugai_zip_get(zip, "META-INF/manifest.xml");
  gsize len = 0;
  const char *m = manifest ? g_bytes_get_data(manifest, &len) : NULL;
  if (zip->encrypted || (m && g_strstr_len(m, (gssize) len, "encryption-data")))
    r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
}

void
mugai_odf(mugai_convert_ctx *ctx, mugai_zip *zip, const char *mimetype, mugai_convert_result *r)
{
  r->kind = strstr(mimetype, "spreadsheet") ? "ods" : strstr(mimetype, "presentation") ? "odp" : "odt";
  r->unit = strcmp(r->kind, "ods") == 0 ? "sheets" : strcmp(r->kind, "odp") == 0 ? "slides" : NULL;
  odf_flags(zip, r);
  if (r->warnings & MUGAI_CONVERT_WARN_ENCRYPTED) {
    mugai_convert_fail(r, "encrypted");
    return;
  }
  odf_walk w = {.ctx = ctx, .r = r, .cell = g_string_new(NULL), .row = g_string_new(NULL),
                .cell_repeat = 1, .row_repeat = 1};
  mugai_ooxml_walk(ctx, zip, "content.xml", odf_cb, &w, r);
  g_string_free(w.cell, TRUE);
  g_string_free(w.row, TRUE);
  g_free(w.cell_date);
}
