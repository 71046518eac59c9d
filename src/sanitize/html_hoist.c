/* html_hoist.c — see html_hoist.h. The states below follow the tokenizer section of the HTML
 * standard (13.2.5); only what decides where data characters and quoted attribute values are
 * matters here, so a tag's name and attribute names are skipped, never kept. */
#include "sanitize/html_hoist.h"

#include <string.h>

#define HOIST_MIN_RUN 8 /* bytes; gumbo's cost is per character, a placeholder is one */
/* A placeholder is one character of the supplementary private use area A, U+F0000 + its
 * index: gumbo keeps it as it is (it turns control characters into U+FFFD). In UTF-8 they are
 * the 4-byte forms F3 B0..BF 80..BF 80..BF; a document holding one is not lifted. */
#define MARK_FIRST 0xF0000
#define MARK_COUNT 0xFFFE /* to U+FFFFD: U+FFFFE and U+FFFFF are noncharacters */
#define MARK_LEN   4
#define NAME_MAX_KEPT 12 /* enough for every tag name that matters here */

typedef struct {
  mugai_html_hoist *h;
  const char *copied; /* the original up to here is in h->html already */
  GHashTable *values; /* lifted attribute value (owned copy) -> its index + 1 */
} lifter;

static gboolean
is_html_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Replaces [A, B) by the placeholder of run INDEX. */
static void
put_mark(lifter *l, const char *a, const char *b, guint index)
{
  mugai_html_hoist *h = l->h;
  g_string_append_len(h->html, l->copied, a - l->copied);
  char mark[MARK_LEN];
  g_unichar_to_utf8(MARK_FIRST + index, mark);
  g_string_append_len(h->html, mark, MARK_LEN);
  l->copied = b;
}

/* Replaces [A, B) by a new run's placeholder when it is long enough and valid UTF-8 (which holds
 * no NUL either: g_utf8_validate refuses one within its length); returns its index + 1, or 0. */
static guint
lift(lifter *l, const char *a, const char *b)
{
  if ((gsize) (b - a) < HOIST_MIN_RUN || (l->h->runs && l->h->runs->len >= MARK_COUNT) ||
      !g_utf8_validate(a, b - a, NULL))
    return 0;
  mugai_html_hoist *h = l->h;
  if (h->html == NULL) {
    h->html = g_string_sized_new(1024);
    h->runs = g_array_new(FALSE, FALSE, sizeof(mugai_html_run));
  }
  put_mark(l, a, b, h->runs->len);
  mugai_html_run r = {(gsize) (a - h->source), (gsize) (b - a)};
  g_array_append_val(h->runs, r);
  return h->runs->len;
}

/* A data run [A, B): its white space at both ends stays, since the tree builder treats white
 * space apart (in a table, the head, after a <pre>). */
static void
lift_run(lifter *l, const char *a, const char *b)
{
  while (a < b && is_html_space(*a))
    a++;
  while (b > a && is_html_space(b[-1]))
    b--;
  (void) lift(l, a, b);
}

/* A quoted attribute value [A, B), whole, unless it holds a character reference, CR or NUL
 * (which gumbo decodes or replaces) or it is one that the tree builder reads: an <input>'s
 * type, a MathML annotation's encoding. Equal values get the same placeholder: the tree
 * builder compares formatting elements' attributes ("Noah's Ark" keeps at most three alike). */
static void
lift_value(lifter *l, const char *name, gsize name_len, const char *a, const char *b)
{
  if ((name_len == 4 && g_ascii_strncasecmp(name, "type", 4) == 0) ||
      (name_len == 8 && g_ascii_strncasecmp(name, "encoding", 8) == 0) ||
      (gsize) (b - a) < HOIST_MIN_RUN || memchr(a, '&', (gsize) (b - a)) ||
      memchr(a, '\r', (gsize) (b - a)) || memchr(a, '\0', (gsize) (b - a)))
    return;
  if (l->values == NULL)
    l->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  char *key = g_strndup(a, (gsize) (b - a)); /* no NUL inside, as checked */
  guint seen = GPOINTER_TO_UINT(g_hash_table_lookup(l->values, key));
  if (seen > 0) {
    put_mark(l, a, b, seen - 1);
    g_free(key);
    return;
  }
  guint index = lift(l, a, b);
  if (index > 0)
    g_hash_table_insert(l->values, key, GUINT_TO_POINTER(index));
  else
    g_free(key);
}

/* Data state from P to END (the next '<'): runs end at a character reference (whose name,
 * digits and ';' are left to gumbo) and at CR (which gumbo turns into LF). */
static void
lift_data(lifter *l, const char *p, const char *end)
{
  const char *amp = memchr(p, '&', (gsize) (end - p)), *cr = memchr(p, '\r', (gsize) (end - p));
  while (p < end) {
    if (amp && amp < p)
      amp = memchr(p, '&', (gsize) (end - p));
    if (cr && cr < p)
      cr = memchr(p, '\r', (gsize) (end - p));
    const char *stop = amp && (!cr || amp < cr) ? amp : cr ? cr : end;
    lift_run(l, p, stop);
    if (stop == end)
      return;
    p = stop + 1;
    if (*stop == '&')
      while (p < end && (g_ascii_isalnum(*p) || *p == '#' || *p == ';'))
        p++;
  }
}

/* The first placeholder-like character in [P, END), or NULL. F3 starts no character of any
 * script in use (U+C0000 to U+FFFFF), so memchr skips fast. */
static const char *
find_mark(const char *p, const char *end)
{
  for (; (p = memchr(p, '\xF3', (gsize) (end - p))) != NULL; p++) {
    if (end - p >= MARK_LEN && (guchar) p[1] >= 0xB0 && (guchar) p[1] <= 0xBF)
      return p;
  }
  return NULL;
}

static const char *
past_gt(const char *p, const char *end)
{
  const char *gt = memchr(p, '>', (gsize) (end - p));
  return gt ? gt + 1 : end;
}

/* From a tag's name (just past "<" or "</") to just past its ">", through the tag name and
 * attribute states; END when the document ends inside it. NAME gets the name in lower case
 * ("" when it is longer than NAME_MAX_KEPT - 1: no tag that matters here is). */
static const char *
skip_tag(lifter *l, const char *p, const char *end, char name[NAME_MAX_KEPT])
{
  gsize n = 0;
  gboolean long_name = FALSE;
  for (; p < end && !is_html_space(*p) && *p != '/' && *p != '>'; p++) {
    if (n < NAME_MAX_KEPT - 1)
      name[n++] = (char) (*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
    else
      long_name = TRUE;
  }
  name[long_name ? 0 : n] = '\0';
  enum { BEFORE_NAME, ATTR_NAME, AFTER_NAME, BEFORE_VALUE, UNQUOTED, AFTER_QUOTED, SELF_CLOSING } s =
      BEFORE_NAME;
  const char *attr = NULL, *attr_end = NULL; /* the last attribute's name */
  while (p < end) {
    char c = *p;
    if (c == '>') /* ends the tag in every state but a quoted value's, skipped whole below */
      return p + 1;
    switch (s) {
    case BEFORE_NAME:
    case AFTER_NAME:
      if (c == '/')
        s = SELF_CLOSING;
      else if (c == '=' && s == AFTER_NAME)
        s = BEFORE_VALUE;
      else if (!is_html_space(c)) {
        s = ATTR_NAME; /* '=' first in a name is part of it */
        attr = p;
      }
      p++;
      attr_end = s == ATTR_NAME ? p : attr_end;
      break;
    case ATTR_NAME:
      s = is_html_space(c) ? AFTER_NAME : c == '/' ? SELF_CLOSING : c == '=' ? BEFORE_VALUE : ATTR_NAME;
      p++;
      attr_end = s == ATTR_NAME ? p : attr_end;
      break;
    case BEFORE_VALUE:
      if (c == '"' || c == '\'') {
        const char *q = memchr(p + 1, c, (gsize) (end - p - 1));
        if (q == NULL)
          return end;
        if (attr)
          lift_value(l, attr, (gsize) (attr_end - attr), p + 1, q);
        p = q + 1;
        s = AFTER_QUOTED;
      } else if (is_html_space(c)) {
        p++;
      } else {
        s = UNQUOTED; /* reconsumed */
      }
      break;
    case UNQUOTED:
      if (is_html_space(c))
        s = BEFORE_NAME;
      p++;
      break;
    case AFTER_QUOTED:
    case SELF_CLOSING:
      if (s == AFTER_QUOTED && c == '/') {
        s = SELF_CLOSING;
        p++;
      } else if (s == AFTER_QUOTED && is_html_space(c)) {
        s = BEFORE_NAME;
        p++;
      } else {
        s = BEFORE_NAME; /* reconsumed */
      }
      break;
    }
  }
  return end;
}

/* From just past "<!--" to just past the comment's end: "-->" or "--!>", or at once for
 * "<!-->" and "<!--->". */
static const char *
skip_comment(const char *p, const char *end)
{
  gsize left = (gsize) (end - p);
  if (left >= 1 && p[0] == '>')
    return p + 1;
  if (left >= 2 && p[0] == '-' && p[1] == '>')
    return p + 2;
  const char *a = memmem(p, left, "-->", 3);
  const char *b = memmem(p, a ? MIN((gsize) (a - p) + 4, left) : left, "--!>", 4);
  if (b && (!a || b < a))
    return (const char *) b + 4;
  return a ? (const char *) a + 3 : end;
}

/* In <style> or <title> (RAWTEXT, RCDATA): to the '<' of the end tag of NAME, or END. */
static const char *
skip_raw(const char *p, const char *end, const char *name)
{
  gsize n = strlen(name);
  for (; (p = memchr(p, '<', (gsize) (end - p))) != NULL; p++) {
    if ((gsize) (end - p) > n + 2 && p[1] == '/' && g_ascii_strncasecmp(p + 2, name, n) == 0 &&
        (is_html_space(p[2 + n]) || p[2 + n] == '/' || p[2 + n] == '>'))
      return p;
  }
  return end;
}

enum { TAG_PLAIN, TAG_RAW, TAG_STOP };

/* Where the tree builder would switch the tokenizer: skipped raw (style, title, whose contents
 * are the same wherever they appear outside the stops), or the end of lifting. */
static int
tag_kind(const char *name)
{
  static const char *const stops[] = {"script", "plaintext", "svg", "math", "select", "frameset",
                                      "textarea", "xmp", "iframe", "noembed", "noframes",
                                      "noscript"};
  if ((name[0] == 's' && strcmp(name, "style") == 0) || (name[0] == 't' && strcmp(name, "title") == 0))
    return TAG_RAW;
  for (gsize i = 0; i < G_N_ELEMENTS(stops); i++)
    if (name[0] == stops[i][0] && strcmp(name, stops[i]) == 0) /* the first letter spares most */
      return TAG_STOP;
  return TAG_PLAIN;
}

/* Past the markup at P (just after '<'); returns NULL where lifting must stop. */
static const char *
skip_markup(lifter *l, const char *p, const char *end)
{
  char name[NAME_MAX_KEPT];
  if (g_ascii_isalpha(*p)) {
    p = skip_tag(l, p, end, name);
    int kind = tag_kind(name);
    return kind == TAG_STOP ? NULL : kind == TAG_RAW ? skip_raw(p, end, name) : p;
  }
  if (*p == '/') {
    if (end - p > 1 && g_ascii_isalpha(p[1]))
      return skip_tag(l, p + 1, end, name);
    return end - p > 1 && p[1] == '>' ? p + 2 : past_gt(p + 1, end); /* "</>", bogus comment */
  }
  if (*p == '!') {
    if (end - p >= 3 && p[1] == '-' && p[2] == '-')
      return skip_comment(p + 3, end);
    return past_gt(p + 1, end); /* DOCTYPE (ends at any '>'), CDATA in HTML, bogus comment */
  }
  if (*p == '?')
    return past_gt(p + 1, end);
  return p; /* the '<' was text */
}

gboolean
mugai_html_hoist_lift(mugai_html_hoist *h, const char *html, gsize len)
{
  memset(h, 0, sizeof *h);
  h->source = html;
  if (len < HOIST_MIN_RUN || find_mark(html, html + len))
    return FALSE;
  lifter l = {h, html, NULL};
  const char *p = html, *end = html + len;
  while (p != NULL && p < end) {
    const char *lt = memchr(p, '<', (gsize) (end - p));
    lift_data(&l, p, lt ? lt : end);
    p = lt && lt + 1 < end ? skip_markup(&l, lt + 1, end) : NULL;
  }
  if (l.values)
    g_hash_table_destroy(l.values);
  if (h->html == NULL)
    return FALSE;
  g_string_append_len(h->html, l.copied, end - l.copied);
  return TRUE;
}

const char *
mugai_html_hoist_restore(const mugai_html_hoist *h, const char *text, gsize *len, GString *scratch)
{
  const char *p = text, *end = text + *len, *m = find_mark(p, end);
  if (m == NULL)
    return text; /* most text nodes and values: nothing copied */
  g_string_truncate(scratch, 0);
  for (; m != NULL; m = find_mark(p, end)) {
    g_string_append_len(scratch, p, m - p);
    gunichar c = g_utf8_get_char_validated(m, MARK_LEN);
    guint index = c - MARK_FIRST; /* wraps for what is no placeholder */
    gsize step = c == (gunichar) -1 || c == (gunichar) -2 ? 1 : MARK_LEN;
    if (step == MARK_LEN && h->runs && index < h->runs->len) {
      const mugai_html_run *r = &g_array_index(h->runs, mugai_html_run, index);
      g_string_append_len(scratch, h->source + r->offset, (gssize) r->length);
    } else {
      g_string_append_len(scratch, m, (gssize) step);
    }
    p = m + step;
  }
  g_string_append_len(scratch, p, end - p);
  *len = scratch->len;
  return scratch->str;
}

void
mugai_html_hoist_clear(mugai_html_hoist *h)
{
  if (h->html)
    g_string_free(h->html, TRUE);
  if (h->runs)
    g_array_free(h->runs, TRUE);
  memset(h, 0, sizeof *h);
}
