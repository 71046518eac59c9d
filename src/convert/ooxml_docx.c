/* ooxml_docx.c — what OOXML packages share (relationships, macro/object/link flags) and the text
 * of a Word document (word/document.xml): paragraphs, tabs and breaks, tables as tab-separated
 * rows. Deleted revisions (w:delText) and field codes (w:instrText) are not text a reader sees.
 * Owns nothing between calls.
 */
#include "convert/ooxml.h"

#include <string.h>

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_R "http://schemas.openxmlformats.org/package/2006/relationships"
#define HYPERLINK_TYPE "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"

gboolean
mugai_ooxml_walk(mugai_convert_ctx *ctx, mugai_zip *zip, const char *name, mugai_xml_cb cb,
                 gpointer user, mugai_convert_result *r)
{
  GBytes *part = mugai_zip_get(zip, name);
  if (part == NULL) {
    const char *why = g_hash_table_lookup(zip->unread, name);
    if (why && strcmp(why, "encrypted") == 0)
      r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
    mugai_convert_fail(r, "%.100s: %s", name, why ? why : "missing (damaged document)");
    return FALSE;
  }
  g_autofree char *failure = NULL;
  if (!mugai_xml_walk(part, ctx->limits->max_xml_depth, cb, user, &failure)) {
    mugai_convert_fail(r, "%.100s: %s", name, failure);
    return FALSE;
  }
  return TRUE;
}

/* ---- relationships -------------------------------------------------------------------------- */

typedef struct {
  GHashTable *map;
  char *dir;          /* folder of the source part, "" or "xl/" */
  gboolean external;  /* a non-hyperlink external target was seen */
} rels_walk;

/* "../media/x.png" against "ppt/slides/" → "ppt/media/x.png"; "/xl/a.xml" → "xl/a.xml". */
static char *
resolve_target(const char *dir, const char *target)
{
  g_autofree char *joined = target[0] == '/' ? g_strdup(target + 1) : g_strconcat(dir, target, NULL);
  g_auto(GStrv) parts = g_strsplit(joined, "/", -1);
  GPtrArray *out = g_ptr_array_new();
  for (char **p = parts; *p; p++) {
    if (strcmp(*p, "..") == 0) {
      if (out->len)
        g_ptr_array_remove_index(out, out->len - 1);
    } else if (**p && strcmp(*p, ".") != 0) {
      g_ptr_array_add(out, *p);
    }
  }
  g_ptr_array_add(out, NULL);
  char *s = g_strjoinv("/", (char **) out->pdata);
  g_ptr_array_unref(out);
  return s;
}

static gboolean
rels_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
        xmlTextReaderPtr reader)
{
  (void) text;
  rels_walk *w = user;
  if (ev != MUGAI_XML_START || g_strcmp0(ns, NS_R) != 0 || strcmp(local, "Relationship") != 0)
    return TRUE;
  g_autofree char *id = mugai_xml_attr(reader, NULL, "Id");
  g_autofree char *target = mugai_xml_attr(reader, NULL, "Target");
  g_autofree char *mode = mugai_xml_attr(reader, NULL, "TargetMode");
  g_autofree char *type = mugai_xml_attr(reader, NULL, "Type");
  if (g_strcmp0(mode, "External") == 0) {
    if (g_strcmp0(type, HYPERLINK_TYPE) != 0)
      w->external = TRUE;
    return TRUE;
  }
  if (id && target && w->map)
    g_hash_table_insert(w->map, g_steal_pointer(&id), resolve_target(w->dir, target));
  return TRUE;
}

static char *
rels_name(const char *part)
{
  g_autofree char *dir = g_path_get_dirname(part);
  g_autofree char *base = g_path_get_basename(part);
  if (strcmp(dir, ".") == 0)
    return g_strdup_printf("_rels/%s.rels", base);
  return g_strdup_printf("%s/_rels/%s.rels", dir, base);
}

GHashTable *
mugai_ooxml_rels(mugai_convert_ctx *ctx, mugai_zip *zip, const char *part)
{
  GHashTable *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *name = rels_name(part);
  g_autofree char *dir = g_path_get_dirname(part);
  rels_walk w = {.map = map, .dir = strcmp(dir, ".") == 0 ? g_strdup("") : g_strconcat(dir, "/", NULL)};
  GBytes *bytes = mugai_zip_get(zip, name);
  g_autofree char *failure = NULL;
  if (bytes)
    mugai_xml_walk(bytes, ctx->limits->max_xml_depth, rels_cb, &w, &failure);
  g_free(w.dir);
  return map;
}

void
mugai_ooxml_flags(mugai_zip *zip, mugai_convert_result *r)
{
  for (guint i = 0; i < zip->names->len; i++) {
    const char *n = zip->names->pdata[i];
    g_autofree char *lower = g_ascii_strdown(n, -1);
    if (g_str_has_suffix(lower, "vbaproject.bin") || strstr(lower, "/vbadata") != NULL)
      r->warnings |= MUGAI_CONVERT_WARN_MACROS;
    if (strstr(lower, "/embeddings/") || strstr(lower, "/activex/"))
      r->warnings |= MUGAI_CONVERT_WARN_EMBEDDED;
    if (strstr(lower, "/externallinks/"))
      r->warnings |= MUGAI_CONVERT_WARN_EXTERNAL_LINKS;
    if (g_str_has_suffix(lower, ".rels")) {
      rels_walk w = {.dir = (char *) ""};
      g_autofree char *failure = NULL;
      GBytes *b = mugai_zip_get(zip, n);
      if (b && mugai_xml_walk(b, 64, rels_cb, &w, &failure) && w.external)
        r->warnings |= MUGAI_CONVERT_WARN_EXTERNAL_LINKS;
    }
  }
  if (zip->encrypted)
    r->warnings |= MUGAI_CONVERT_WARN_ENCRYPTED;
}

/* ---- document.xml --------------------------------------------------------------------------- */

typedef struct {
  mugai_convert_ctx *ctx;
  mugai_convert_result *r;
  gboolean in_body, in_t;
  guint in_cell;      /* table cell nesting */
} docx_walk;

/* The space after a cell's last paragraph and the tab after a row's last cell are separators,
 * not text: one is taken back (never more, or an empty cell would lose its column). */
static void
trim_separator(mugai_convert_result *r, char sep)
{
  if (r->text->len && r->text->str[r->text->len - 1] == sep &&
      !(r->warnings & MUGAI_CONVERT_WARN_TRUNCATED))
    g_string_truncate(r->text, r->text->len - 1);
}

static gboolean
docx_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
        xmlTextReaderPtr reader)
{
  (void) reader;
  docx_walk *w = user;
  if (ev == MUGAI_XML_TEXT)
    return !(w->in_body && w->in_t) || mugai_convert_out(w->ctx, w->r, text, -1);
  if (g_strcmp0(ns, NS_W) != 0)
    return TRUE;
  gboolean start = ev == MUGAI_XML_START;
  if (strcmp(local, "body") == 0)
    w->in_body = start;
  else if (strcmp(local, "t") == 0)
    w->in_t = start;
  else if (strcmp(local, "tc") == 0)
    w->in_cell += start ? 1 : (w->in_cell ? -1 : 0);
  if (!w->in_body || start) {
    if (start && w->in_body && (strcmp(local, "tab") == 0 && !w->in_t))
      return mugai_convert_out(w->ctx, w->r, "\t", 1);
    if (start && w->in_body && (strcmp(local, "br") == 0 || strcmp(local, "cr") == 0))
      return mugai_convert_out(w->ctx, w->r, "\n", 1);
    return TRUE;
  }
  if (strcmp(local, "p") == 0)
    return mugai_convert_out(w->ctx, w->r, w->in_cell ? " " : "\n", 1);
  if (strcmp(local, "tc") == 0) {
    trim_separator(w->r, ' ');
    return mugai_convert_out(w->ctx, w->r, "\t", 1);
  }
  if (strcmp(local, "tr") == 0) {
    trim_separator(w->r, '\t');
    return mugai_convert_out(w->ctx, w->r, "\n", 1);
  }
  return TRUE;
}

void
mugai_ooxml_docx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r)
{
  r->kind = "docx";
  mugai_ooxml_flags(zip, r);
  docx_walk w = {.ctx = ctx, .r = r};
  mugai_ooxml_walk(ctx, zip, "word/document.xml", docx_cb, &w, r);
}
