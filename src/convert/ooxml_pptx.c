/* ooxml_pptx.c — a PowerPoint deck as text: each slide, in presentation order, under
 * "[Slide N: title]" (the title placeholder's text), then the text of its other shapes, one
 * paragraph a line. Speaker notes are not included. Owns nothing between calls.
 */
#include "convert/ooxml.h"

#include <string.h>

#define NS_P "http://schemas.openxmlformats.org/presentationml/2006/main"
#define NS_A "http://schemas.openxmlformats.org/drawingml/2006/main"
#define NS_RDOC "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

typedef struct {
  mugai_convert_ctx *ctx;
  GPtrArray *rids;     /* slide relationship ids in order */
  GString *title, *body, *shape;
  gboolean in_t, shape_is_title;
  guint in_sp;
} pptx;

static gboolean
presentation_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local,
                const char *text, xmlTextReaderPtr reader)
{
  (void) text;
  pptx *p = user;
  if (ev == MUGAI_XML_START && g_strcmp0(ns, NS_P) == 0 && strcmp(local, "sldId") == 0) {
    char *rid = mugai_xml_attr(reader, NS_RDOC, "id");
    if (rid)
      g_ptr_array_add(p->rids, rid);
  }
  return TRUE;
}

/* Text is collected per shape (both caps at max_output), then goes to the title or the body. */
static gboolean
slide_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
         xmlTextReaderPtr reader)
{
  pptx *p = user;
  gsize cap = p->ctx->limits->max_output;
  if (ev == MUGAI_XML_TEXT) {
    if (p->in_sp && p->in_t && p->shape->len < cap)
      g_string_append(p->shape, text);
    return TRUE;
  }
  gboolean start = ev == MUGAI_XML_START;
  if (g_strcmp0(ns, NS_P) == 0 && strcmp(local, "sp") == 0) {
    if (start && p->in_sp++ == 0) {
      g_string_truncate(p->shape, 0);
      p->shape_is_title = FALSE;
    } else if (!start && p->in_sp && --p->in_sp == 0) {
      g_strstrip(p->shape->str);
      p->shape->len = strlen(p->shape->str);
      GString *to = p->shape_is_title && p->title->len == 0 ? p->title : p->body;
      if (p->shape->len && to->len < cap)
        g_string_append_printf(to, "%s%s", p->shape->str, to == p->body ? "\n" : "");
    }
  } else if (start && g_strcmp0(ns, NS_P) == 0 && strcmp(local, "ph") == 0) {
    g_autofree char *type = mugai_xml_attr(reader, NULL, "type");
    p->shape_is_title = g_strcmp0(type, "title") == 0 || g_strcmp0(type, "ctrTitle") == 0;
  } else if (g_strcmp0(ns, NS_A) == 0) {
    if (strcmp(local, "t") == 0)
      p->in_t = start;
    else if (!start && strcmp(local, "p") == 0 && p->in_sp && p->shape->len < cap)
      g_string_append_c(p->shape, p->shape_is_title ? ' ' : '\n');
    else if (start && strcmp(local, "br") == 0 && p->in_sp && p->shape->len < cap)
      g_string_append_c(p->shape, p->shape_is_title ? ' ' : '\n');
  }
  return TRUE;
}

void
mugai_ooxml_pptx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r)
{
  r->kind = "pptx";
  r->unit = "slides";
  mugai_ooxml_flags(zip, r);
  pptx p = {.ctx = ctx, .rids = g_ptr_array_new_with_free_func(g_free), .title = g_string_new(NULL),
            .body = g_string_new(NULL), .shape = g_string_new(NULL)};
  g_autoptr(GHashTable) rels = mugai_ooxml_rels(ctx, zip, "ppt/presentation.xml");
  if (mugai_ooxml_walk(ctx, zip, "ppt/presentation.xml", presentation_cb, &p, r)) {
    for (guint i = 0; i < p.rids->len; i++) {
      if (i >= ctx->limits->max_pages) {
        r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
        break;
      }
      const char *target = g_hash_table_lookup(rels, p.rids->pdata[i]);
      if (target == NULL || mugai_zip_get(zip, target) == NULL)
        continue;
      g_string_truncate(p.title, 0);
      g_string_truncate(p.body, 0);
      p.in_sp = 0;
      p.in_t = FALSE;
      if (!mugai_ooxml_walk(ctx, zip, target, slide_cb, &p, r))
        break;
      r->count++;
      g_strstrip(p.title->str);
      if (!mugai_convert_outf(ctx, r, "%s[Slide %u%s%s]\n%s", r->count > 1 ? "\n" : "", r->count,
                              *p.title->str ? ": " : "", p.title->str, p.body->str))
        break;
    }
  }
  g_ptr_array_unref(p.rids);
  g_string_free(p.title, TRUE);
  g_string_free(p.body, TRUE);
  g_string_free(p.shape, TRUE);
}
