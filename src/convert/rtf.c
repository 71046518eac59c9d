/* rtf.c — the text of an RTF document: paragraphs, tabs, table cells; \uN Unicode and \'hh bytes
 * in the document's code page (\ansicpg, or the current font's \fcharset: 128 is Shift_JIS, as
 * Japanese Word writes it), decoded through the engine's charset decoder.
 *
 * Hand-written because Debian has no maintained C library that only reads RTF text (librtf and
 * unrtf are programs, not libraries), and the text subset is small: groups, control words, three
 * escapes. Destinations that are not body text (font and colour tables, styles, document info,
 * pictures, objects, \* extensions) are skipped; \object names an embedded object. Bounded:
 * group nesting by max_xml_depth, \bin skips at most what remains, output by max_output.
 * Owns nothing between calls.
 */
#include "convert/convert_private.h"

#include <string.h>

#include "sanitize/charset.h"

typedef struct {
  gboolean skip;   /* inside a destination that is not text */
  guint uc;        /* bytes to skip after \uN (\ucN) */
  gint codepage;   /* of the current font, 0: the document's */
  gboolean fonttbl;
} rtf_state;

typedef struct {
  mugai_convert_ctx *ctx;
  mugai_convert_result *r;
  GArray *stack;         /* rtf_state */
  GByteArray *pending;   /* 8-bit text not yet decoded */
  gint ansicpg;
  GHashTable *font_cp;   /* font number → code page */
  gint cur_font;         /* the font being defined in \fonttbl */
  guint skip_bytes;      /* after \uN */
} rtf;

static const char *
codepage_label(gint cp)
{
  switch (cp) {
  case 932: return "Shift_JIS";
  case 936: return "GBK";
  case 949: return "EUC-KR";
  case 950: return "Big5";
  case 1250: return "windows-1250";
  case 1251: return "windows-1251";
  case 1253: return "windows-1253";
  case 1254: return "windows-1254";
  case 65001: return "UTF-8";
  default: return "windows-1252";
  }
}

static gint
charset_codepage(gint fcharset)
{
  switch (fcharset) {
  case 128: return 932;
  case 134: return 936;
  case 129: return 949;
  case 136: return 950;
  case 238: return 1250;
  case 204: return 1251;
  case 161: return 1253;
  case 162: return 1254;
  default: return 0;
  }
}

static rtf_state *
top(rtf *p)
{
  return &g_array_index(p->stack, rtf_state, p->stack->len - 1);
}

static gboolean
flush(rtf *p)
{
  if (p->pending->len == 0)
    return TRUE;
  gint cp = top(p)->codepage ? top(p)->codepage : p->ansicpg;
  gsize n = 0;
  g_autofree char *utf8 = mugai_charset_to_utf8(codepage_label(cp), (const char *) p->pending->data,
                                                p->pending->len, &n, NULL);
  g_byte_array_set_size(p->pending, 0);
  return mugai_convert_out(p->ctx, p->r, utf8, (gssize) n);
}

static gboolean
emit(rtf *p, const char *s)
{
  return flush(p) && mugai_convert_out(p->ctx, p->r, s, -1);
}

static gboolean
text_byte(rtf *p, guint8 c)
{
  if (p->skip_bytes) {
    p->skip_bytes--;
    return TRUE;
  }
  if (top(p)->skip || top(p)->fonttbl)
    return TRUE;
  g_byte_array_append(p->pending, &c, 1);
  return p->pending->len < 4096 || flush(p);
}

static const char *const skipped_destinations[] = {
  "fonttbl", "colortbl", "stylesheet", "info", "pict", "object", "themedata", "colorschememapping",
  "datastore", "latentstyles", "listtable", "listoverridetable", "rsidtbl", "generator",
  "xmlnstbl", "header", "footer", "headerl", "headerr", "footerl", "footerr", "fldinst", NULL};

static gboolean
control_word(rtf *p, const char *word, gboolean has_arg, glong arg)
{
  rtf_state *st = top(p);
  if (strcmp(word, "object") == 0)
    p->r->warnings |= MUGAI_CONVERT_WARN_EMBEDDED;
  if (strcmp(word, "fonttbl") == 0) {
    st->fonttbl = TRUE;
    return TRUE;
  }
  if (st->fonttbl) {
    if (strcmp(word, "f") == 0)
      p->cur_font = (gint) arg;
    else if (strcmp(word, "fcharset") == 0)
      g_hash_table_insert(p->font_cp, GINT_TO_POINTER(p->cur_font),
                          GINT_TO_POINTER(charset_codepage((gint) arg)));
    return TRUE;
  }
  for (const char *const *d = skipped_destinations; *d; d++)
    if (strcmp(word, *d) == 0) {
      st->skip = TRUE;
      return TRUE;
    }
  if (st->skip)
    return TRUE;
  if (strcmp(word, "ansicpg") == 0 && has_arg)
    p->ansicpg = (gint) arg;
  else if (strcmp(word, "f") == 0 && has_arg) {
    if (!flush(p))
      return FALSE;
    st->codepage = GPOINTER_TO_INT(g_hash_table_lookup(p->font_cp, GINT_TO_POINTER((gint) arg)));
  } else if (strcmp(word, "uc") == 0 && has_arg)
    st->uc = (guint) CLAMP(arg, 0, 8);
  else if (strcmp(word, "u") == 0 && has_arg) {
    gunichar c = (gunichar) (arg < 0 ? arg + 65536 : arg);
    char buf[8] = {0};
    if (!g_unichar_validate(c))
      c = 0xFFFD;
    g_unichar_to_utf8(c, buf);
    p->skip_bytes = st->uc;
    return emit(p, buf);
  } else if (strcmp(word, "par") == 0 || strcmp(word, "line") == 0 || strcmp(word, "row") == 0 ||
             strcmp(word, "sect") == 0 || strcmp(word, "page") == 0)
    return emit(p, "\n");
  else if (strcmp(word, "tab") == 0 || strcmp(word, "cell") == 0)
    return emit(p, "\t");
  return TRUE;
}

/* One control word or symbol at S (after the backslash); returns the bytes consumed. */
static gsize
control(rtf *p, const guint8 *s, gsize n, gboolean *go)
{
  if (n == 0)
    return 0;
  if (!g_ascii_isalpha(s[0])) {
    if (s[0] == '\'' && n >= 3 && g_ascii_isxdigit(s[1]) && g_ascii_isxdigit(s[2])) {
      *go = text_byte(p, (guint8) (g_ascii_xdigit_value(s[1]) * 16 + g_ascii_xdigit_value(s[2])));
      return 3;
    }
    if (s[0] == '*')
      top(p)->skip = TRUE;
    else if (s[0] == '\\' || s[0] == '{' || s[0] == '}')
      *go = text_byte(p, s[0]);
    else if (s[0] == '~')
      *go = emit(p, " ");
    return 1;
  }
  char word[33];
  gsize i = 0;
  while (i < n && g_ascii_isalpha(s[i]) && i < sizeof word - 1) {
    word[i] = (char) s[i];
    i++;
  }
  word[i] = '\0';
  while (i < n && g_ascii_isalpha(s[i]))
    i++; /* an over-long word is cut, not read on as text */
  gboolean neg = i < n && s[i] == '-', has_arg = FALSE;
  if (neg)
    i++;
  glong arg = 0;
  while (i < n && g_ascii_isdigit(s[i])) {
    if (arg < 100000000)
      arg = arg * 10 + (s[i] - '0');
    has_arg = TRUE;
    i++;
  }
  if (neg)
    arg = -arg;
  if (i < n && s[i] == ' ')
    i++;
  if (strcmp(word, "bin") == 0 && has_arg && arg > 0) {
    gsize skip = MIN((gsize) arg, n - i); /* binary data: never text */
    return i + skip;
  }
  *go = control_word(p, word, has_arg, arg);
  return i;
}

void
mugai_convert_rtf(mugai_convert_ctx *ctx, const void *data, gsize len, mugai_convert_result *r)
{
  rtf p = {.ctx = ctx, .r = r, .stack = g_array_new(FALSE, TRUE, sizeof(rtf_state)),
           .pending = g_byte_array_new(), .ansicpg = 1252,
           .font_cp = g_hash_table_new(g_direct_hash, g_direct_equal)};
  rtf_state base = {.uc = 1};
  g_array_append_val(p.stack, base);
  const guint8 *s = data;
  gboolean go = TRUE;
  for (gsize i = 0; go && i < len;) {
    guint8 c = s[i++];
    if (c == '{') {
      if (!flush(&p))
        break;
      if (p.stack->len > ctx->limits->max_xml_depth) {
        mugai_convert_fail(r, "RTF nested deeper than %u", ctx->limits->max_xml_depth);
        break;
      }
      rtf_state copy = *top(&p);
      g_array_append_val(p.stack, copy);
    } else if (c == '}') {
      if (!flush(&p))
        break;
      if (p.stack->len > 1)
        g_array_set_size(p.stack, p.stack->len - 1);
    } else if (c == '\\') {
      i += control(&p, s + i, len - i, &go);
    } else if (c != '\r' && c != '\n') {
      go = text_byte(&p, c);
    }
  }
  if (r->failure == NULL)
    flush(&p);
  g_array_unref(p.stack);
  g_byte_array_unref(p.pending);
  g_hash_table_unref(p.font_cp);
  if (r->failure == NULL && r->text->len && r->text->str[r->text->len - 1] != '\n')
    mugai_convert_out(ctx, r, "\n", 1);
}
