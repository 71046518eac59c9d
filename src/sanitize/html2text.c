/* html2text.c — readable plain text from HTML mail, through gumbo's HTML5 parser.
 *
 * What it does: parses once with gumbo, walks the tree once with an explicit stack (no C
 * recursion at any depth) and writes what a browser shows: blocks on their own lines (p,
 * headings, lists, tables, pre, blockquote set off by one blank line), "- "/"N. " list markers
 * indented 2 spaces per level, cells joined by " | " (empty leading/trailing cells skipped),
 * <pre> verbatim, white space collapsed, "text <URL>" links (targets normalised, checked and
 * optionally defanged by links.h; a phishing tell recorded), "[image: alt]" images, ruby as
 * "漢字（かんじ）", <hr> as a dash line. Headings are plain paragraphs, no markers. A source
 * newline between two CJK characters vanishes (CSS Text segment breaks, as in Firefox), so
 * wrapped Japanese stays unbroken. NBSP becomes a space; C0/C1 controls and DEL are dropped.
 *
 * What it owns: the returned string, and for the call's duration an arena holding gumbo's whole
 * parse tree (freed in one go: gumbo_destroy_output() recurses once per nesting level).
 *
 * What it must never do: output anything from script, style, head/title, template, noscript,
 * iframe, object, embed, applet, svg, math, comments, or elements that are `hidden` or styled
 * display:none; show a link target whose normal form (links.h) has a scheme other than http(s),
 * mailto, tel, ftp (or none); leave a URL of a defanged kind live anywhere in its output; exceed
 * max_output (marker included); recurse on input depth; log.
 *
 * Options: max_output 0 means no cap. max_depth 0 means HTML_DEFAULT_DEPTH. Elements deeper than
 * max_depth keep their line breaks but lose list, link, table, pre and ruby handling; hiding
 * rules still apply at every depth.
 *
 * Known limit: gumbo 0.10.1 spends time proportional to the open-element depth on each tag, so a
 * hostile document of N nested blocks costs O(N^2) in gumbo_parse, which cannot be interrupted.
 * tag_budget_end() estimates that cost before parsing and cuts the input past the cost of 20 000
 * nested elements (about 0.6 s here); flat documents of any length are not cut.
 */
#include "sanitize/html2text.h"

#include <gumbo.h>
#include <string.h>

#include "sanitize/html_arena.h"
#include "sanitize/html_hoist.h"

#define HTML_DEFAULT_DEPTH 256
#define HTML_MAX_COST ((guint64) 20000 * 20001 / 2) /* see tag_budget_end() */
#define HTML_END_TAG_REACH 8 /* open elements an end tag may close at once in the estimate */
#define TAG_NAME_MAX 16      /* bytes of a tag name the estimate reads */
#define HTML_INPUT_MAX     ((gsize)1 << 30) /* gumbo takes < 4 GiB; mail parts are far smaller */
#define LIST_START_MAX     1000000000       /* keeps "N. " markers short and free of overflow */
#define INDENT_MAX         8                /* list levels that still indent (2 spaces each) */
#define TRUNC_MARK         "\n[...]\n"
#define HR_LINE            "----------------------------------------"

enum { /* per-tag rendering flags */
  F_SKIP = 1 << 0,  /* never rendered, with its whole subtree */
  F_BLOCK = 1 << 1, /* starts and ends on its own line */
  F_PARA = 1 << 2,  /* and is set off by a blank line */
  F_PRE = 1 << 3,   /* text inside is verbatim */
  F_LIST = 1 << 4,  /* ul, ol and their old synonyms */
  F_VOID = 1 << 5,  /* has no children: rendered on the spot, no stack frame */
};

#define BLK (F_BLOCK)
#define PAR (F_BLOCK | F_PARA)
static const guint8 tag_flags[GUMBO_TAG_LAST + 1] = {
  [GUMBO_TAG_HEAD] = F_SKIP, [GUMBO_TAG_TITLE] = F_SKIP, [GUMBO_TAG_SCRIPT] = F_SKIP,
  [GUMBO_TAG_STYLE] = F_SKIP, [GUMBO_TAG_TEMPLATE] = F_SKIP, [GUMBO_TAG_NOSCRIPT] = F_SKIP,
  [GUMBO_TAG_IFRAME] = F_SKIP, [GUMBO_TAG_OBJECT] = F_SKIP, [GUMBO_TAG_EMBED] = F_SKIP,
  [GUMBO_TAG_APPLET] = F_SKIP, [GUMBO_TAG_SVG] = F_SKIP, [GUMBO_TAG_MATH] = F_SKIP,
  [GUMBO_TAG_NOEMBED] = F_SKIP, [GUMBO_TAG_NOFRAMES] = F_SKIP, [GUMBO_TAG_FRAMESET] = F_SKIP,
  [GUMBO_TAG_AUDIO] = F_SKIP, [GUMBO_TAG_VIDEO] = F_SKIP, [GUMBO_TAG_CANVAS] = F_SKIP,
  [GUMBO_TAG_DATALIST] = F_SKIP, [GUMBO_TAG_RP] = F_SKIP, /* rt gets its own parentheses */
  [GUMBO_TAG_P] = PAR, [GUMBO_TAG_H1] = PAR, [GUMBO_TAG_H2] = PAR, [GUMBO_TAG_H3] = PAR,
  [GUMBO_TAG_H4] = PAR, [GUMBO_TAG_H5] = PAR, [GUMBO_TAG_H6] = PAR,
  [GUMBO_TAG_BLOCKQUOTE] = PAR, [GUMBO_TAG_TABLE] = PAR, [GUMBO_TAG_DL] = PAR,
  [GUMBO_TAG_UL] = PAR | F_LIST, [GUMBO_TAG_OL] = PAR | F_LIST, [GUMBO_TAG_MENU] = PAR | F_LIST,
  [GUMBO_TAG_DIR] = PAR | F_LIST, [GUMBO_TAG_PRE] = PAR | F_PRE, [GUMBO_TAG_LISTING] = PAR | F_PRE,
  [GUMBO_TAG_XMP] = PAR | F_PRE, [GUMBO_TAG_PLAINTEXT] = PAR | F_PRE,
  [GUMBO_TAG_TEXTAREA] = BLK | F_PRE, [GUMBO_TAG_DIV] = BLK, [GUMBO_TAG_LI] = BLK,
  [GUMBO_TAG_TR] = BLK, [GUMBO_TAG_CAPTION] = BLK, [GUMBO_TAG_ADDRESS] = BLK,
  [GUMBO_TAG_SECTION] = BLK, [GUMBO_TAG_ARTICLE] = BLK, [GUMBO_TAG_HEADER] = BLK,
  [GUMBO_TAG_FOOTER] = BLK, [GUMBO_TAG_NAV] = BLK, [GUMBO_TAG_MAIN] = BLK, [GUMBO_TAG_ASIDE] = BLK,
  [GUMBO_TAG_HGROUP] = BLK, [GUMBO_TAG_FIGURE] = BLK, [GUMBO_TAG_FIGCAPTION] = BLK,
  [GUMBO_TAG_DT] = BLK, [GUMBO_TAG_DD] = BLK, [GUMBO_TAG_FORM] = BLK, [GUMBO_TAG_FIELDSET] = BLK,
  [GUMBO_TAG_LEGEND] = BLK, [GUMBO_TAG_CENTER] = BLK, [GUMBO_TAG_DETAILS] = BLK,
  [GUMBO_TAG_SUMMARY] = BLK, [GUMBO_TAG_SELECT] = BLK, [GUMBO_TAG_OPTION] = BLK,
  [GUMBO_TAG_OPTGROUP] = BLK, [GUMBO_TAG_HR] = BLK | F_VOID,
  [GUMBO_TAG_BR] = F_VOID, [GUMBO_TAG_WBR] = F_VOID, [GUMBO_TAG_IMG] = F_VOID,
  [GUMBO_TAG_IMAGE] = F_VOID, [GUMBO_TAG_INPUT] = F_VOID, [GUMBO_TAG_AREA] = F_VOID,
  [GUMBO_TAG_BASE] = F_VOID, [GUMBO_TAG_BASEFONT] = F_VOID, [GUMBO_TAG_BGSOUND] = F_VOID,
  [GUMBO_TAG_COL] = F_VOID, [GUMBO_TAG_FRAME] = F_VOID, [GUMBO_TAG_KEYGEN] = F_VOID,
  [GUMBO_TAG_LINK] = F_VOID, [GUMBO_TAG_META] = F_VOID, [GUMBO_TAG_PARAM] = F_VOID,
  [GUMBO_TAG_SOURCE] = F_VOID, [GUMBO_TAG_TRACK] = F_VOID,
};
#undef BLK
#undef PAR

/* ---- output state ---- */

enum { SP_NONE, SP_SPACE, SP_SEGBREAK }; /* pending collapsible white space */

typedef struct {
  GString *out;
  gsize budget;        /* bytes of text allowed before the truncation marker */
  gboolean full;       /* budget reached: stop walking */
  guint max_depth;
  guint nl_need;       /* '\n' wanted at the end of out before the next text (2 = blank line) */
  guint nl_run;        /* '\n' now at the end of out */
  guint space;         /* SP_* */
  guint verbatim;      /* open pre-like elements */
  guint list_depth, table_depth;
  gboolean ordered;    /* innermost list is an ol */
  gint64 next_number;  /* its next item number */
  char marker[32];     /* list marker waiting for the item's first text */
  gboolean row_has;    /* the current table row has shown text */
  guint row_seps;      /* " | " owed before the next text in this row */
  mugai_link *link;    /* open link's target, parsed (owned), NULL if none or not shown */
  gssize link_start;   /* offset of the link's first text, -1 before it */
  const mugai_link_options *links; /* nullable */
  mugai_link_report *report;       /* nullable */
  const mugai_html_hoist *hoist;   /* nullable: the runs lifted out of what gumbo parsed */
  GString *restored;               /* a text node with its runs back (scratch, with hoist) */
  GString *restored_value;         /* an attribute's value with its run back (the same) */
} H2T;

enum { K_NONE, K_LIST, K_LI, K_LINK, K_ROW, K_TABLE, K_PRE, K_RT };

typedef struct {
  const GumboVector *children;
  guint next, brk, kind;
  union {
    struct { gboolean ordered; gint64 next; } list;
    struct { mugai_link *link; gssize start; } link; /* the outer link, owned by the frame */
    struct { gboolean has; guint seps; } row;
  } saved;
} Frame;

static guint flags_of(GumboTag tag)
{
  return tag_flags[(guint)tag <= GUMBO_TAG_LAST ? tag : GUMBO_TAG_UNKNOWN];
}

/* Appends within the budget; past it, cuts at a character boundary and stops the walk. */
static void append(H2T *st, const char *s, gsize n)
{
  if (st->full)
    return;
  if (n > st->budget - st->out->len) {
    gsize m = st->budget - st->out->len;
    while (m > 0 && ((guchar)s[m] & 0xC0) == 0x80)
      m--;
    g_string_append_len(st->out, s, m);
    st->full = TRUE;
    return;
  }
  g_string_append_len(st->out, s, n);
}

/* Ends the line. Outside <pre>, a line left empty by trimming (a "&nbsp;" spacer) still
 * counts, but never makes a second blank line in a row. */
static void newline(H2T *st, gboolean verbatim)
{
  GString *o = st->out;
  gsize n = o->len;
  guint t = 0;
  while (n > 0 && (o->str[n - 1] == ' ' || o->str[n - 1] == '\t'))
    n--; /* trailing spaces go */
  g_string_truncate(o, n);
  while (t < 2 && t < o->len && o->str[o->len - 1 - t] == '\n')
    t++;
  st->nl_run = t;
  if (o->len == 0 || (!verbatim && t >= 2))
    return;
  append(st, "\n", 1);
  st->nl_run = t + 1;
}

static void want_break(H2T *st, guint n)
{
  st->nl_need = MAX(st->nl_need, n);
}

static void write_breaks(H2T *st)
{
  guint want = MIN(st->nl_need, 2); /* never more than one blank line in a row */
  st->nl_need = 0;
  if (st->out->len == 0)
    return; /* no leading blank lines */
  for (guint i = 0; i < 2 && st->nl_run < want && !st->full; i++)
    newline(st, FALSE);
}

static gboolean is_cjk(gunichar c)
{
  return (c >= 0x2E80 && c <= 0x9FFF && !(c >= 0x3130 && c <= 0x318F)) /* minus Hangul */
         || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F)
         || (c >= 0xFF00 && c <= 0xFF9F) || (c >= 0xFFE0 && c <= 0xFFE6)
         || (c >= 0x20000 && c <= 0x3FFFD);
}

static gboolean cjk_pair(const H2T *st, const char *next)
{
  const char *prev = g_utf8_find_prev_char(st->out->str, st->out->str + st->out->len);
  return prev && is_cjk(g_utf8_get_char(prev)) && is_cjk(g_utf8_get_char(next));
}

static void line_prefix(H2T *st)
{
  static const char spaces[2 * INDENT_MAX + 1] = "                ";
  guint levels = MIN(st->list_depth, INDENT_MAX);
  if (st->marker[0]) {
    append(st, spaces, 2 * (levels ? levels - 1 : 0));
    append(st, st->marker, strlen(st->marker));
    st->marker[0] = '\0';
  } else {
    append(st, spaces, 2 * levels);
  }
}

/* Settles what is pending (line breaks, indent and marker, cell separators, one space) before
 * text that starts at NEXT (valid UTF-8). */
static void prepare(H2T *st, const char *next)
{
  if (st->nl_need > st->nl_run)
    write_breaks(st);
  st->nl_need = 0;
  if (st->out->len == 0 || st->nl_run > 0) {
    line_prefix(st); /* leading spaces and separators of a line are dropped */
  } else if (st->row_seps > 0) {
    for (guint i = 0; i < st->row_seps; i++)
      append(st, " | ", 3);
  } else if (st->space == SP_SPACE || (st->space == SP_SEGBREAK && !cjk_pair(st, next))) {
    append(st, " ", 1);
  }
  st->space = SP_NONE;
  st->row_seps = 0;
  st->nl_run = 0;
  st->row_has = TRUE;
  if (st->link && st->link_start < 0)
    st->link_start = (gssize)st->out->len;
}

/* Text bytes without newlines or controls. */
static void put(H2T *st, const char *s, gsize n)
{
  if (n == 0 || st->full)
    return;
  prepare(st, s);
  append(st, s, n);
}

enum { C_TEXT, C_SPACE, C_NL, C_CTRL, C_C2 };

/* Each byte's class, looked up: emit_text() and strip_controls() ask it of every byte of the
 * document. 0xC2 leads U+0080..U+00BF: C1 controls and NBSP. */
#define T C_TEXT
#define S C_SPACE
#define N C_NL
#define X C_CTRL
static const guint8 byte_classes[256] = {
  X, X, X, X, X, X, X, X, X, S, N, X, S, N, X, X, /* TAB LF VT FF CR */
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  S, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, /* space */
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, X, /* DEL */
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, C_C2, T, T, T, T, T, T, T, T, T, T, T, T, T, /* 0xC2 */
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
  T, T, T, T, T, T, T, T, T, T, T, T, T, T, T, T,
};
#undef T
#undef S
#undef N
#undef X

static int byte_class(guchar c)
{
  return byte_classes[c];
}

/* Handles a C_CTRL or C_C2 byte at S; returns the bytes consumed. */
static gsize put_special(H2T *st, const char *s, const char *end)
{
  if ((guchar)s[0] != 0xC2 || end - s < 2)
    return 1; /* C0 control, DEL or a stray byte: dropped */
  guchar c = (guchar)s[1];
  if (c == 0xA0)
    put(st, " ", 1); /* NBSP: a space that does not collapse */
  else if (c > 0x9F)
    put(st, s, 2); /* Latin-1 punctuation such as © */
  return 2;        /* C1 controls are dropped */
}

/* Browser white-space collapsing: runs become one space, and a run holding a newline between
 * two CJK characters becomes nothing. Inside pre-like elements, spaces, tabs and newlines stay. */
static void emit_text(H2T *st, const char *s, gsize n)
{
  const char *end = s + n;
  gboolean pre = st->verbatim > 0;
  while (s < end && !st->full) {
    const char *run = s;
    while (s < end && (byte_class((guchar)*s) == C_TEXT || (pre && (*s == ' ' || *s == '\t'))))
      s++;
    if (s > run) {
      put(st, run, (gsize)(s - run));
      continue;
    }
    int c = byte_class((guchar)*s);
    if (c == C_CTRL || c == C_C2) {
      s += put_special(st, s, end);
      continue;
    }
    if (pre && *s == '\n' && st->out->len > 0) { /* pre's blank lines stay, leading ones go */
      write_breaks(st);
      newline(st, TRUE);
    } else if (!pre && c == C_NL) {
      st->space = SP_SEGBREAK;
    } else if (!pre && st->space == SP_NONE) {
      st->space = SP_SPACE;
    }
    s++; /* in pre, CR and FF are dropped */
  }
}

/* ---- attributes ---- */

static gboolean is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static const char *skip_spaces(const char *s)
{
  while (is_space(*s))
    s++;
  return s;
}

/* Does an inline style contain "display: none" as one of its declarations? */
static gboolean style_hides(const char *s)
{
  while (s) {
    s = skip_spaces(s);
    if (g_ascii_strncasecmp(s, "display", 7) == 0) {
      const char *v = skip_spaces(s + 7);
      if (*v == ':') {
        v = skip_spaces(v + 1);
        if (g_ascii_strncasecmp(v, "none", 4) == 0) {
          v = skip_spaces(v + 4);
          if (*v == '\0' || *v == ';' || *v == '!')
            return TRUE;
        }
      }
    }
    s = strchr(s, ';');
    if (s)
      s++;
  }
  return FALSE;
}

/* A's value as the document wrote it: a long quoted value was lifted (html_hoist.h). Valid until
 * the next call. */
static const char *attr_value(H2T *st, const GumboAttribute *a)
{
  if (!st->hoist)
    return a->value;
  gsize n = strlen(a->value);
  return mugai_html_hoist_restore(st->hoist, a->value, &n, st->restored_value);
}

static gboolean is_hidden(H2T *st, const GumboElement *el)
{
  if (el->tag_namespace != GUMBO_NAMESPACE_HTML || (flags_of(el->tag) & F_SKIP))
    return TRUE;
  for (guint i = 0; i < el->attributes.length; i++) {
    const GumboAttribute *a = el->attributes.data[i];
    if (strcmp(a->name, "hidden") == 0 ||
        (strcmp(a->name, "style") == 0 && style_hides(attr_value(st, a))))
      return TRUE;
  }
  return FALSE;
}

/* Trims what browsers trim from alt text: C0 controls and spaces at both ends. */
static const char *trim_c0(const char *s, gsize *len)
{
  gsize n = strlen(s);
  while (n > 0 && (guchar)*s <= 0x20)
    s++, n--;
  while (n > 0 && (guchar)s[n - 1] <= 0x20)
    n--;
  *len = n;
  return s;
}

static gint64 list_start(H2T *st, const GumboElement *el)
{
  const GumboAttribute *a = gumbo_get_attribute(&el->attributes, "start");
  if (!a)
    return 1;
  const char *s = skip_spaces(attr_value(st, a));
  char *end;
  gint64 v = g_ascii_strtoll(s, &end, 10);
  return end == s ? 1 : CLAMP(v, -LIST_START_MAX, LIST_START_MAX);
}

/* ---- elements ---- */

static void render_void(H2T *st, const GumboElement *el)
{
  if (el->tag == GUMBO_TAG_BR) {
    st->nl_need = MAX(st->nl_need, st->nl_run) + 1; /* "a<br><br>b" leaves a blank line */
    st->space = SP_NONE;
  } else if (el->tag == GUMBO_TAG_HR) {
    want_break(st, 1);
    put(st, HR_LINE, sizeof HR_LINE - 1);
    want_break(st, 1);
  } else if (el->tag == GUMBO_TAG_IMG || el->tag == GUMBO_TAG_IMAGE) {
    const GumboAttribute *a = gumbo_get_attribute(&el->attributes, "alt");
    gsize n = 0;
    const char *alt = a ? trim_c0(attr_value(st, a), &n) : NULL;
    if (n > 0) {
      put(st, "[image: ", 8);
      emit_text(st, alt, n);
      put(st, "]", 1);
    }
  }
}

static void link_free(mugai_link *link)
{
  mugai_link_clear(link);
  g_free(link);
}

/* Parses the target once and keeps it, if shown, until close_link() (or walk()'s cleanup after an
 * early stop) needs it with the link text. */
static void open_link(H2T *st, Frame *f, const GumboElement *el)
{
  const GumboAttribute *a = gumbo_get_attribute(&el->attributes, "href");
  f->kind = K_LINK;
  f->saved.link.link = st->link;
  f->saved.link.start = st->link_start;
  st->link = NULL;
  st->link_start = -1;
  if (!a)
    return;
  mugai_link *link = g_new(mugai_link, 1);
  const char *href = attr_value(st, a);
  mugai_link_parse(href, strlen(href), st->links, link);
  if (link->kind == MUGAI_LINK_DROPPED && st->report)
    st->report->dropped++;
  if (link->kind != MUGAI_LINK_DROPPED && link->kind != MUGAI_LINK_NONE)
    st->link = link;
  else
    link_free(link);
}

enum { TEXT_OTHER, TEXT_URL, TEXT_SCHEMELESS };

/* Is the link text its target (TEXT_URL), or the target without its mailto:/tel: scheme? */
static int text_is_target(const char *t, gsize tn, const char *url)
{
  static const char *const prefixes[] = { "", "mailto:", "tel:" };
  gsize un = strlen(url);
  for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++) {
    gsize k = strlen(prefixes[i]);
    if (un == k + tn && g_ascii_strncasecmp(url, prefixes[i], k) == 0
        && memcmp(t, url + k, tn) == 0)
      return i == 0 ? TEXT_URL : TEXT_SCHEMELESS;
  }
  return TEXT_OTHER;
}

static gboolean defangs_any(const mugai_link_options *o)
{
  return o && (o->defang_web || o->defang_mailto || o->defang_tel);
}

/* Text rewritten in place (defanging makes it longer) is cut back to the budget. */
static void enforce_budget(H2T *st)
{
  gsize m = st->budget;
  if (st->out->len <= m)
    return;
  while (m > 0 && ((guchar) st->out->str[m] & 0xC0) == 0x80)
    m--;
  g_string_truncate(st->out, m);
  st->full = TRUE;
}

/* " (xn--...)" after a host the reader would not otherwise see in ASCII. */
static void put_note(H2T *st, const mugai_link *link)
{
  if (!link->note)
    return;
  st->space = SP_SPACE;
  put(st, "(", 1);
  emit_text(st, link->note, strlen(link->note));
  put(st, ")", 1);
  if (st->report)
    st->report->idn++;
}

/* The link text is its target, shown once. A defanged kind has the text itself rewritten by the
 * plain-text pass; FALSE when that pass does not recognise a text with a scheme (the target then
 * follows). A number or address without its scheme it does not recognise is no live link. */
static gboolean show_text_as_target(H2T *st, const mugai_link *link, int how)
{
  if (!link->defanged) {
    put_note(st, link);
    return TRUE;
  }
  mugai_link_report counts = { 0 };
  mugai_links_process_text(st->out, (gsize) st->link_start, st->links, &counts);
  if (counts.defanged == 0)
    return how == TEXT_SCHEMELESS;
  if (st->report) {
    st->report->defanged += counts.defanged;
    st->report->idn += counts.idn;
  }
  enforce_budget(st);
  return TRUE;
}

/* After the link text: " <URL>" unless the text already says it; the phishing check. LINK is
 * the open one, lent by the caller. */
static void close_link(H2T *st, const mugai_link *link)
{
  gsize tn = 0;
  const char *text = NULL;
  if (st->link_start >= 0 && (gsize)st->link_start < st->out->len) {
    text = st->out->str + st->link_start;
    tn = st->out->len - (gsize)st->link_start;
    while (tn > 0 && is_space(text[tn - 1]))
      tn--;
  }
  if (tn > 0 && st->report)
    mugai_link_check_text(link, text, tn, st->links, st->report);
  int how = tn > 0 ? text_is_target(text, tn, link->url) : TEXT_OTHER;
  if (how != TEXT_OTHER && show_text_as_target(st, link, how))
    return;
  if (tn > 0 && st->space == SP_NONE)
    st->space = SP_SPACE; /* "text <URL>" */
  put(st, "<", 1);
  emit_text(st, link->display, strlen(link->display));
  put(st, ">", 1);
  put_note(st, link);
  if (st->report && link->defanged)
    st->report->defanged++;
}

static void enter_special(H2T *st, Frame *f, const GumboElement *el)
{
  guint fl = flags_of(el->tag);
  if (fl & F_LIST) {
    f->kind = K_LIST;
    f->saved.list.ordered = st->ordered;
    f->saved.list.next = st->next_number;
    st->list_depth++;
    st->ordered = el->tag == GUMBO_TAG_OL;
    st->next_number = st->ordered ? list_start(st, el) : 1;
  } else if (fl & F_PRE) {
    f->kind = K_PRE;
    st->verbatim++;
  } else if (el->tag == GUMBO_TAG_LI) {
    f->kind = K_LI;
    if (st->list_depth > 0 && st->ordered)
      g_snprintf(st->marker, sizeof st->marker, "%" G_GINT64_FORMAT ". ", st->next_number++);
    else
      g_strlcpy(st->marker, "- ", sizeof st->marker);
  } else if (el->tag == GUMBO_TAG_A) {
    open_link(st, f, el);
  } else if (el->tag == GUMBO_TAG_TABLE) {
    f->kind = K_TABLE;
    st->table_depth++;
  } else if (el->tag == GUMBO_TAG_TR) {
    f->kind = K_ROW;
    f->saved.row.has = st->row_has;
    f->saved.row.seps = st->row_seps;
    st->row_has = FALSE;
    st->row_seps = 0;
  } else if (el->tag == GUMBO_TAG_TD || el->tag == GUMBO_TAG_TH) {
    if (st->row_has)
      st->row_seps++; /* empty cells between two shown ones still count */
  } else if (el->tag == GUMBO_TAG_RT) {
    f->kind = K_RT;
    put(st, "（", sizeof "（" - 1);
  }
}

static void enter(H2T *st, Frame *f, const GumboElement *el, gboolean flat)
{
  guint fl = flags_of(el->tag);
  f->kind = K_NONE;
  f->brk = 0;
  if (fl & F_BLOCK) {
    f->brk = (fl & F_PARA) ? 2 : 1;
    if (((fl & F_LIST) && st->list_depth > 0) || (el->tag == GUMBO_TAG_TABLE && st->table_depth > 0))
      f->brk = 1; /* nested lists and layout tables hug their surroundings */
    want_break(st, f->brk);
  }
  if (!flat)
    enter_special(st, f, el);
}

static void leave(H2T *st, const Frame *f)
{
  switch (f->kind) {
  case K_LIST:
    st->list_depth--;
    st->ordered = f->saved.list.ordered;
    st->next_number = f->saved.list.next;
    break;
  case K_LI:
    st->marker[0] = '\0'; /* an empty item shows nothing */
    break;
  case K_LINK:
    if (st->link) {
      close_link(st, st->link);
      link_free(st->link);
    }
    st->link = f->saved.link.link;
    st->link_start = f->saved.link.start;
    break;
  case K_ROW:
    st->row_has = f->saved.row.has;
    st->row_seps = f->saved.row.seps;
    break;
  case K_TABLE:
    st->table_depth--;
    break;
  case K_PRE:
    st->verbatim--;
    break;
  case K_RT:
    put(st, "）", sizeof "）" - 1);
    break;
  default:
    break;
  }
  if (f->brk)
    want_break(st, f->brk);
}

/* One pass, explicit stack: depth costs heap frames, never C stack. */
static void walk(H2T *st, const GumboNode *document)
{
  GArray *stack = g_array_sized_new(FALSE, TRUE, sizeof(Frame), 64);
  Frame root = { .children = &document->v.document.children };
  g_array_append_val(stack, root);
  while (stack->len > 0 && !st->full) {
    Frame *f = &g_array_index(stack, Frame, stack->len - 1);
    if (f->next >= f->children->length) {
      leave(st, f);
      g_array_set_size(stack, stack->len - 1);
      continue;
    }
    const GumboNode *node = f->children->data[f->next++];
    if (node->type == GUMBO_NODE_TEXT || node->type == GUMBO_NODE_WHITESPACE
        || node->type == GUMBO_NODE_CDATA) {
      const char *text = node->v.text.text;
      gsize n = strlen(text);
      if (st->hoist)
        text = mugai_html_hoist_restore(st->hoist, text, &n, st->restored);
      emit_text(st, text, n);
    } else if (node->type == GUMBO_NODE_ELEMENT && !is_hidden(st, &node->v.element)) {
      const GumboElement *el = &node->v.element;
      if (flags_of(el->tag) & F_VOID) {
        render_void(st, el);
        continue;
      }
      Frame child = { .children = &el->children };
      g_array_append_val(stack, child); /* may move the array: f is stale from here */
      enter(st, &g_array_index(stack, Frame, stack->len - 1), el, stack->len - 1 > st->max_depth);
    } /* comments, templates and hidden elements: nothing */
  }
  /* An early stop leaves frames unleft: the links they saved, and the open one, go here. */
  for (guint i = 0; i < stack->len; i++) {
    const Frame *f = &g_array_index(stack, Frame, i);
    if (f->kind == K_LINK && f->saved.link.link)
      link_free(f->saved.link.link);
  }
  if (st->link)
    link_free(g_steal_pointer(&st->link));
  g_array_free(stack, TRUE);
}

static char *finish(H2T *st, gboolean *truncated)
{
  GString *out = st->out;
  if (defangs_any(st->links)) { /* URLs in the text itself: a client would link them */
    mugai_links_process_text(out, 0, st->links, st->report);
    enforce_budget(st);
  }
  gsize n = out->len;
  while (n > 0 && (out->str[n - 1] == '\n' || out->str[n - 1] == ' ' || out->str[n - 1] == '\t'))
    n--;
  g_string_truncate(out, n);
  if (st->full)
    g_string_append(out, &TRUNC_MARK[n > 0 ? 0 : 1]); /* no leading blank line either */
  else if (n > 0)
    g_string_append_c(out, '\n');
  if (truncated)
    *truncated = *truncated || st->full;
  return g_string_free(out, FALSE);
}

/* Gumbo turns raw control bytes into U+FFFD; the reader should see nothing for them. Returns
 * NULL (and copies nothing) when the input has none, the usual case. */
static GString *strip_controls(const char *s, gsize len)
{
  GString *clean = NULL;
  gsize kept = 0;
  for (gsize i = 0; i < len; i++) {
    int class = byte_class((guchar)s[i]);
    if (class < C_CTRL) /* text, spaces and line ends stay */
      continue;
    gsize drop = 1; /* C0 control or DEL */
    if (class == C_C2)
      drop = i + 1 < len && (guchar)s[i + 1] >= 0x80 && (guchar)s[i + 1] <= 0x9F ? 2 : 0;
    if (drop == 0)
      continue;
    if (!clean)
      clean = g_string_sized_new(len);
    g_string_append_len(clean, s + kept, i - kept);
    i += drop - 1;
    kept = i + 1;
  }
  if (clean)
    g_string_append_len(clean, s + kept, len - kept);
  return clean;
}

/* Elements that never nest in gumbo's tree: void ones, and ones a new start tag of their kind
 * (or their parent's end) closes implicitly. Their start tags leave the depth as it was. */
static gboolean
tag_keeps_depth(const char *name, gsize n)
{
  /* By first letter: this runs for every tag of the input. */
  static const char *const by_letter[26][8] = {
    ['a' - 'a'] = {"area"}, ['b' - 'a'] = {"br", "base"}, ['c' - 'a'] = {"col", "colgroup"},
    ['d' - 'a'] = {"dt", "dd"}, ['e' - 'a'] = {"embed"}, ['h' - 'a'] = {"hr"},
    ['i' - 'a'] = {"img", "input", "image"}, ['k' - 'a'] = {"keygen"}, ['l' - 'a'] = {"link", "li"},
    ['m' - 'a'] = {"meta"}, ['o' - 'a'] = {"option", "optgroup"}, ['p' - 'a'] = {"param", "p"},
    ['r' - 'a'] = {"rb", "rt", "rp", "rtc"}, ['s' - 'a'] = {"source"},
    ['t' - 'a'] = {"track", "tr", "td", "th", "tbody", "thead", "tfoot"}, ['w' - 'a'] = {"wbr"},
  };
  char lower[TAG_NAME_MAX];
  char first = g_ascii_tolower(name[0]);
  if (n > TAG_NAME_MAX || first < 'a' || first > 'z')
    return FALSE;
  for (gsize i = 0; i < n; i++)
    lower[i] = g_ascii_tolower(name[i]);
  const char *const *list = by_letter[first - 'a'];
  for (gsize i = 0; i < G_N_ELEMENTS(by_letter[0]) && list[i] != NULL; i++) {
    gsize k = 0;
    while (k < n && list[i][k] == lower[k]) /* stops at list[i]'s NUL: a name holds none */
      k++;
    if (k == n && list[i][n] == '\0')
      return TRUE;
  }
  return FALSE;
}

/* Lower-case hash of a tag name of N bytes, for matching end tags to start tags. */
static guint32
tag_hash(const char *name, gsize n)
{
  guint32 h = 5381;
  for (gsize i = 0; i < n; i++)
    h = h * 33 + (guchar) g_ascii_tolower(name[i]);
  return h;
}

/* Gumbo 0.10's tree builder spends time proportional to the open-element depth on each tag (it
 * searches its stack), so deep nesting costs the square of the depth (65 000 nested <ul> in
 * 256 KB: 12 s), and a parse cannot be interrupted. So the cost is estimated before parsing: the
 * sum, over tags, of the depth they meet, with a stack of the elements that nest (an end tag
 * closes the matching one among the top few, as gumbo's implied end tags do; a stray one closes
 * nothing, so the estimate errs high). The input is cut where it passes HTML_MAX_COST, the cost
 * of 20 000 nested elements (0.7 s): a flat newsletter of any length keeps its text, 10 000
 * nested divs too. Returns where the input must end. */
static gsize
tag_budget_end(const char *html, gsize len)
{
  if (len == 0)
    return 0; /* html may be NULL then */
  g_autoptr(GArray) open = g_array_new(FALSE, FALSE, sizeof(guint32));
  guint64 cost = 0;
  const char *end = html + len;
  for (const char *p = html; (p = memchr(p, '<', (gsize) (end - p))) != NULL; p++) {
    gboolean closing = p + 1 < end && p[1] == '/';
    const char *name = p + 1 + closing, *q = name;
    while (q < end && q - name < TAG_NAME_MAX && g_ascii_isalnum(*q))
      q++;
    if (q == name || !g_ascii_isalpha(*name))
      continue;
    gsize n = (gsize) (q - name);
    cost += open->len + 1;
    if (cost > HTML_MAX_COST)
      return (gsize) (p - html);
    if (tag_keeps_depth(name, n))
      continue;
    guint32 h = tag_hash(name, n);
    if (!closing) {
      g_array_append_val(open, h);
      continue;
    }
    for (guint i = open->len, seen = 0; i-- > 0 && seen < HTML_END_TAG_REACH; seen++) {
      if (g_array_index(open, guint32, i) == h) {
        g_array_set_size(open, i);
        break;
      }
    }
  }
  return len;
}

char *mugai_html_to_text(const char *html, gsize len, const mugai_html_options *options,
                         gboolean *truncated)
{
  g_return_val_if_fail(html != NULL || len == 0, NULL);
  g_return_val_if_fail(options != NULL, NULL);
  if (truncated)
    *truncated = len > HTML_INPUT_MAX;
  len = MIN(len, HTML_INPUT_MAX);

  gsize cap = options->max_output ? options->max_output : G_MAXSIZE;
  H2T st = {
    .budget = cap > sizeof TRUNC_MARK - 1 ? cap - (sizeof TRUNC_MARK - 1) : 0,
    .max_depth = options->max_depth ? options->max_depth : HTML_DEFAULT_DEPTH,
    .link_start = -1,
    .links = options->links,
    .report = options->report,
  };
  st.out = g_string_sized_new(MIN(len / 2 + 256, st.budget) + 16);

  mugai_html_arena arena = {.next_size = MAX(len * 4, 32 * 1024)};
  GumboOptions gopt = kGumboDefaultOptions;
  gopt.allocator = mugai_html_arena_alloc;
  gopt.deallocator = mugai_html_arena_free;
  gopt.userdata = &arena;
  gopt.max_errors = 0; /* we never read them; hostile input would make millions */
  GString *clean = strip_controls(html, len);
  if (clean) {
    html = clean->str;
    len = clean->len;
  }
  mugai_html_hoist hoist;
  if (!options->whole && mugai_html_hoist_lift(&hoist, html, len)) {
    html = hoist.html->str;
    len = hoist.html->len;
    st.hoist = &hoist;
    st.restored = g_string_sized_new(1024);
    st.restored_value = g_string_sized_new(256);
  }
  gsize end = tag_budget_end(html, len); /* the lifted runs held no '<': the tags are the same */
  gboolean input_cut = end < len;
  len = end;
  GumboOutput *parsed = gumbo_parse_with_options(&gopt, len ? html : "", len);
  if (parsed && parsed->document)
    walk(&st, parsed->document);
  st.full = st.full || input_cut; /* the reader sees "[...]" where the rest was left out */
  mugai_html_arena_clear(&arena); /* instead of gumbo_destroy_output(), which recurses per level */
  if (st.hoist) {
    mugai_html_hoist_clear(&hoist);
    g_string_free(st.restored, TRUE);
    g_string_free(st.restored_value, TRUE);
  }
  if (clean)
    g_string_free(clean, TRUE);
  return finish(&st, truncated);
}
