/* ooxml_xlsx.c — an Excel workbook as text: each sheet under "[Sheet: name]", in workbook order,
 * one line per row, cells separated by tabs (empty cells kept so columns stay aligned).
 *
 * Shared strings are resolved (phonetic guides, <rPh>, left out: furigana is not cell text), and
 * numbers whose cell style has a date format are shown as dates, since Excel stores a date as a
 * day count (1900 system; the 1904 system when the workbook says so). Formulas are not
 * evaluated: the cached value is the text. Owns nothing between calls.
 */
#include "convert/ooxml.h"

#include <string.h>

#define NS_S "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_RDOC "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

typedef struct {
  mugai_convert_ctx *ctx;
  mugai_convert_result *r;
  GPtrArray *strings;     /* shared strings */
  GArray *xf_date;        /* cellXfs index → gboolean: a date format */
  GHashTable *date_fmts;  /* custom numFmtId (GUINT_TO_POINTER) in use as dates */
  gboolean date1904;
  /* parse state */
  GString *cur;
  gboolean in_si, in_t, in_rph, in_cellxfs, in_v, in_is;
  GPtrArray *sheet_names, *sheet_rids;
  /* current cell */
  char *cell_type;
  guint cell_style, col, pos; /* pos: the column the text so far ends in */
  gint last_col;              /* -1 at the start of a row */
  guint cells;
} xlsx;

/* Built-in number formats that are dates or times (ECMA-376 18.8.30, plus the CJK ones). */
static gboolean
builtin_date(guint id)
{
  return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
         (id >= 50 && id <= 58);
}

/* A custom format code is a date when it has y/d/h/s or an era (e/g) outside quotes, [..] and
 * escapes: "yyyy/m/d" and "[$-411]ggge年" are, "0.00" and "#,##0\"日\"" are not. */
static gboolean
code_is_date(const char *code)
{
  gboolean quoted = FALSE;
  for (const char *p = code; *p; p++) {
    if (*p == '"')
      quoted = !quoted;
    else if (quoted)
      continue;
    else if (*p == '\\' && p[1])
      p++;
    else if (*p == '[') {
      const char *end = strchr(p, ']');
      if (end == NULL)
        return FALSE;
      if (p[1] == 'h' || p[1] == 'm' || p[1] == 's')
        return TRUE; /* [h]:mm elapsed time */
      p = end;
    } else if (strchr("yYdDhHsSeg", *p))
      return TRUE;
  }
  return FALSE;
}

static char *
serial_to_date(double serial, gboolean date1904)
{
  if (serial < 0 || serial > 2958465.0) /* past 9999-12-31: not a date, show the number */
    return g_strdup_printf("%g", serial);
  gint64 days = (gint64) serial;
  double frac = serial - (double) days;
  gint64 secs = (gint64) (frac * 86400.0 + 0.5);
  if (secs >= 86400) {
    days++;
    secs -= 86400;
  }
  g_autoptr(GDateTime) base = date1904 ? g_date_time_new_utc(1904, 1, 1, 0, 0, 0)
                              /* Excel counts 1900-02-29, which never was: day 60 and on are one off */
                              : g_date_time_new_utc(1899, 12, days >= 60 ? 30 : 31, 0, 0, 0);
  g_autoptr(GDateTime) d = g_date_time_add_seconds(base, (gdouble) (days * 86400 + secs));
  if (d == NULL)
    return g_strdup_printf("%g", serial);
  if (days == 0 && !date1904 && secs)
    return g_date_time_format(d, "%H:%M:%S");
  return g_date_time_format(d, secs ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d");
}

/* ---- workbook.xml, styles.xml, sharedStrings.xml ------------------------------------------- */

static gboolean
workbook_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
            xmlTextReaderPtr reader)
{
  (void) text;
  xlsx *x = user;
  if (ev != MUGAI_XML_START || g_strcmp0(ns, NS_S) != 0)
    return TRUE;
  if (strcmp(local, "sheet") == 0) {
    char *name = mugai_xml_attr(reader, NULL, "name");
    char *rid = mugai_xml_attr(reader, NS_RDOC, "id");
    g_ptr_array_add(x->sheet_names, name ? name : g_strdup(""));
    g_ptr_array_add(x->sheet_rids, rid ? rid : g_strdup(""));
  } else if (strcmp(local, "workbookPr") == 0) {
    g_autofree char *v = mugai_xml_attr(reader, NULL, "date1904");
    x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
  }
  return TRUE;
}

static gboolean
styles_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
          xmlTextReaderPtr reader)
{
  (void) text;
  xlsx *x = user;
  if (g_strcmp0(ns, NS_S) != 0)
    return TRUE;
  if (strcmp(local, "cellXfs") == 0)
    x->in_cellxfs = ev == MUGAI_XML_START;
  if (ev != MUGAI_XML_START)
    return TRUE;
  if (strcmp(local, "numFmt") == 0) {
    g_autofree char *id = mugai_xml_attr(reader, NULL, "numFmtId");
    g_autofree char *code = mugai_xml_attr(reader, NULL, "formatCode");
    if (id && code && code_is_date(code))
      g_hash_table_add(x->date_fmts, GUINT_TO_POINTER((guint) g_ascii_strtoull(id, NULL, 10)));
  } else if (strcmp(local, "xf") == 0 && x->in_cellxfs) {
    g_autofree char *id = mugai_xml_attr(reader, NULL, "numFmtId");
    guint n = id ? (guint) g_ascii_strtoull(id, NULL, 10) : 0;
    gboolean date = builtin_date(n) || g_hash_table_contains(x->date_fmts, GUINT_TO_POINTER(n));
    g_array_append_val(x->xf_date, date);
  }
  return TRUE;
}

static gboolean
strings_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
           xmlTextReaderPtr reader)
{
  (void) reader;
  xlsx *x = user;
  if (ev == MUGAI_XML_TEXT) {
    if (x->in_si && x->in_t && !x->in_rph && x->cur->len < x->ctx->limits->max_output)
      g_string_append(x->cur, text);
    return TRUE;
  }
  if (g_strcmp0(ns, NS_S) != 0)
    return TRUE;
  gboolean start = ev == MUGAI_XML_START;
  if (strcmp(local, "si") == 0) {
    x->in_si = start;
    if (start)
      g_string_truncate(x->cur, 0);
    else if (x->strings->len < x->ctx->limits->max_cells)
      g_ptr_array_add(x->strings, g_strdup(x->cur->str));
  } else if (strcmp(local, "t") == 0) {
    x->in_t = start;
  } else if (strcmp(local, "rPh") == 0) {
    x->in_rph = start;
  }
  return TRUE;
}

/* ---- a worksheet ---------------------------------------------------------------------------- */

/* "BC12" → 54 (0-based column), or -1. */
static gint
column_of(const char *ref)
{
  gint col = 0, letters = 0;
  for (; *ref >= 'A' && *ref <= 'Z'; ref++, letters++) {
    if (letters == 3)
      return -1;
    col = col * 26 + (*ref - 'A' + 1);
  }
  return letters ? col - 1 : -1;
}

static gboolean
emit_cell(xlsx *x)
{
  if (++x->cells > x->ctx->limits->max_cells) {
    x->r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
    return FALSE;
  }
  const char *value = x->cur->str;
  g_autofree char *shown = NULL;
  const char *t = x->cell_type ? x->cell_type : "n";
  if (strcmp(t, "s") == 0) {
    guint64 i = g_ascii_strtoull(value, NULL, 10);
    value = i < x->strings->len ? x->strings->pdata[i] : "";
  } else if (strcmp(t, "b") == 0) {
    value = strcmp(value, "1") == 0 ? "TRUE" : "FALSE";
  } else if (strcmp(t, "n") == 0 && *value && x->cell_style < x->xf_date->len &&
             g_array_index(x->xf_date, gboolean, x->cell_style)) {
    value = shown = serial_to_date(g_ascii_strtod(value, NULL), x->date1904);
  }
  if (*value == '\0')
    return TRUE;
  /* Tabs up to this cell's column (at most a row's width of them; the output cap bounds it). */
  for (; x->pos < x->col; x->pos++)
    if (!mugai_convert_out(x->ctx, x->r, "\t", 1))
      return FALSE;
  if (!mugai_convert_out(x->ctx, x->r, value, -1))
    return FALSE;
  return TRUE;
}

static gboolean
sheet_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
         xmlTextReaderPtr reader)
{
  xlsx *x = user;
  if (ev == MUGAI_XML_TEXT) {
    if ((x->in_v || (x->in_is && x->in_t && !x->in_rph)) && x->cur->len < x->ctx->limits->max_output)
      g_string_append(x->cur, text);
    return TRUE;
  }
  if (g_strcmp0(ns, NS_S) != 0)
    return TRUE;
  gboolean start = ev == MUGAI_XML_START;
  if (strcmp(local, "row") == 0) {
    x->pos = 0;
    x->last_col = -1;
    return start || mugai_convert_out(x->ctx, x->r, "\n", 1);
  }
  if (strcmp(local, "c") == 0) {
    if (!start)
      return emit_cell(x);
    g_free(x->cell_type);
    x->cell_type = mugai_xml_attr(reader, NULL, "t");
    g_autofree char *s = mugai_xml_attr(reader, NULL, "s");
    g_autofree char *ref = mugai_xml_attr(reader, NULL, "r");
    x->cell_style = s ? (guint) g_ascii_strtoull(s, NULL, 10) : 0;
    gint col = ref ? column_of(ref) : -1;
    if (col <= x->last_col) /* no reference, or cells out of order: the next column */
      col = x->last_col + 1;
    x->last_col = col;
    x->col = (guint) col;
    g_string_truncate(x->cur, 0);
    return TRUE;
  }
  if (strcmp(local, "v") == 0)
    x->in_v = start;
  else if (strcmp(local, "is") == 0)
    x->in_is = start;
  else if (strcmp(local, "t") == 0)
    x->in_t = start;
  else if (strcmp(local, "rPh") == 0)
    x->in_rph = start;
  return TRUE;
}

void
mugai_ooxml_xlsx(mugai_convert_ctx *ctx, mugai_zip *zip, mugai_convert_result *r)
{
  r->kind = "xlsx";
  r->unit = "sheets";
  mugai_ooxml_flags(zip, r);
  xlsx x = {.ctx = ctx, .r = r, .cur = g_string_new(NULL), .last_col = -1};
  x.strings = g_ptr_array_new_with_free_func(g_free);
  x.xf_date = g_array_new(FALSE, FALSE, sizeof(gboolean));
  x.date_fmts = g_hash_table_new(g_direct_hash, g_direct_equal);
  x.sheet_names = g_ptr_array_new_with_free_func(g_free);
  x.sheet_rids = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GHashTable) rels = mugai_ooxml_rels(ctx, zip, "xl/workbook.xml");
  if (!mugai_ooxml_walk(ctx, zip, "xl/workbook.xml", workbook_cb, &x, r))
    goto out;
  if (mugai_zip_get(zip, "xl/styles.xml") &&
      !mugai_ooxml_walk(ctx, zip, "xl/styles.xml", styles_cb, &x, r))
    goto out;
  if (mugai_zip_get(zip, "xl/sharedStrings.xml") &&
      !mugai_ooxml_walk(ctx, zip, "xl/sharedStrings.xml", strings_cb, &x, r))
    goto out;
  x.in_t = x.in_rph = FALSE;
  for (guint i = 0; i < x.sheet_names->len && i < ctx->limits->max_pages; i++) {
    const char *target = g_hash_table_lookup(rels, x.sheet_rids->pdata[i]);
    r->count++;
    if (!mugai_convert_outf(ctx, r, "%s[Sheet: %s]\n", i ? "\n" : "", (char *) x.sheet_names->pdata[i]))
      break;
    if (target == NULL || mugai_zip_get(zip, target) == NULL)
      continue; /* a chart sheet, or a sheet part the package lacks: its name is all there is */
    if (!mugai_ooxml_walk(ctx, zip, target, sheet_cb, &x, r))
      break;
    if (r->warnings & MUGAI_CONVERT_WARN_TRUNCATED)
      break;
  }
  if (x.sheet_names->len > ctx->limits->max_pages)
    r->warnings |= MUGAI_CONVERT_WARN_TRUNCATED;
out:
  g_string_free(x.cur, TRUE);
  g_ptr_array_unref(x.strings);
  g_array_unref(x.xf_date);
  g_hash_table_unref(x.date_fmts);
  g_ptr_array_unref(x.sheet_names);
  g_ptr_array_unref(x.sheet_rids);
  g_free(x.cell_type);
}
