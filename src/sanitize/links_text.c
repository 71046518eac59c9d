/* links_text.c — URLs inside text: the plain-text defanging pass and the hosts a link's visible
 * text names (the phishing check).
 *
 * What it does: scans UTF-8 text once for what mail clients auto-link — "http(s)://", "ftp://",
 * "mailto:", "tel:", "www." and bare e-mail addresses — in ASCII or full-width forms, and, for
 * the phishing check only, bare domains with a known top-level domain. A URL starts after a
 * character that cannot precede one (Japanese text directly before it is fine) and ends at one
 * that cannot be in it: white space, <>"`{}|\^, Japanese punctuation and full-width brackets,
 * quotes and ！？，；; then trailing .,:;!?'" and unbalanced ) or ] are left out. Non-ASCII
 * letters count in a host (IDN) only before its first ASCII label, so "例え.jpです" is the host
 * "例え.jp" followed by text; a path is ASCII or its full-width forms.
 *
 * What it owns: nothing beyond each call. Work is linear in the text: each start is tried once,
 * and a scan never runs past MUGAI_LINK_MAX_BYTES (a host past HOST_MAX characters).
 *
 * What it must never do: change text other than the URLs of the kinds asked for; touch invalid
 * UTF-8; treat text without a host as naming one; log.
 */
#include "sanitize/links_private.h"

#include <string.h>

#define HOST_MAX       255  /* characters of a host or domain scanned */
#define LOCAL_MAX      64   /* characters of an address's local part */
#define CHECK_TEXT_MAX 2048 /* bytes of a link's visible text searched for hosts */
#define CHECK_HOSTS    8    /* hosts named in one visible text that are compared */
#define DEFANG_PASSES  2    /* token passes at most (see mugai_links_process_text) */

typedef enum { TOK_URL, TOK_WWW, TOK_EMAIL, TOK_DOMAIN } TokKind;

typedef struct {
  gsize start, end;
  TokKind kind;
} Token;

typedef struct {
  const char *s;
  gsize end; /* scanning stops here */
} Text;

/* The character at I (U+FFFD for a byte of invalid UTF-8, which ends any URL); *NEXT after it. */
static gunichar char_at(const Text *t, gsize i, gsize *next)
{
  gunichar c = g_utf8_get_char_validated(t->s + i, (gssize) (t->end - i));
  if (c == (gunichar) -1 || c == (gunichar) -2) {
    *next = i + 1;
    return 0xFFFD;
  }
  *next = i + (gsize) g_utf8_skip[(guchar) t->s[i]];
  return c;
}

/* Full-width ASCII as ASCII, the ideographic full stops as ".", ASCII in lower case. */
static gunichar fold(gunichar c)
{
  if (c >= 0xFF01 && c <= 0xFF5E)
    c -= 0xFEE0;
  else if (c == 0x3002 || c == 0xFF61)
    c = '.';
  return c < 0x80 ? (gunichar) g_ascii_tolower((gchar) c) : c;
}

/* Full-width forms that end a URL although they fold to characters allowed in one. */
static gboolean is_fullwidth_stop(gunichar c)
{
  switch (c) {
  case 0xFF08: case 0xFF09: case 0xFF3B: case 0xFF3D: case 0xFF5B: case 0xFF5D: /* （）［］｛｝ */
  case 0xFF1C: case 0xFF1E: case 0xFF02: case 0xFF07: case 0xFF40: case 0xFF5C: /* ＜＞＂＇｀｜ */
  case 0xFF3C: case 0xFF3E: case 0xFF01: case 0xFF1F: case 0xFF0C: case 0xFF1B: /* ＼＾！？，； */
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean is_ascii_alnum(gunichar f)
{
  return f < 0x80 && g_ascii_isalnum((gchar) f);
}

/* Is F one of the ASCII characters in SET? (strchr() alone would match NUL, and truncate F.) */
static gboolean in_set(gunichar f, const char *set)
{
  return f > 0 && f < 0x80 && strchr(set, (int) f) != NULL;
}

static gboolean is_path_char(gunichar c)
{
  if (is_fullwidth_stop(c) || c == 0x3002 || c == 0xFF61)
    return FALSE; /* "。" is a host dot, never part of a path */
  gunichar f = fold(c);
  return is_ascii_alnum(f) || in_set(f, "-._~:/?#[]@!$&'()*+,;=%");
}

/* Can a URL, address or domain start right after PREV (folded)? Not inside a word or another
 * URL; for a scheme, only not glued to letters or digits. */
static gboolean starts_after(gunichar prev, gboolean scheme)
{
  return !is_ascii_alnum(prev) && !in_set(prev, scheme ? "+-." : "-._@/:%+&=~#?\\");
}

/* Does the text at I spell PAT (ASCII, lower case) in any case or width? *END after it. */
static gboolean spells(const Text *t, gsize i, const char *pat, gsize *end)
{
  for (; *pat; pat++) {
    gsize next;
    if (i >= t->end || fold(char_at(t, i, &next)) != (gunichar) *pat)
      return FALSE;
    i = next;
  }
  *end = i;
  return TRUE;
}

/* End of a host starting at I. ALLOW lists the ASCII punctuation allowed besides "-._" (the
 * authority's ":@" and friends for a URL, none for a domain); IDN letters as described above. */
static gsize scan_host(const Text *t, gsize i, const char *allow, gboolean idn)
{
  gboolean label_ascii = FALSE, ascii_label_seen = FALSE;
  for (guint chars = 0; i < t->end && chars < HOST_MAX; chars++) {
    gsize next;
    gunichar c = char_at(t, i, &next), f = fold(c);
    if (f == '.' || in_set(f, allow)) {
      if (is_fullwidth_stop(c))
        break;
      ascii_label_seen = ascii_label_seen || (f == '.' && label_ascii);
      label_ascii = FALSE;
      if (f != '.')
        ascii_label_seen = FALSE; /* "user@" or ":port": a new host part */
    } else if (is_ascii_alnum(f) || f == '-' || f == '_') {
      label_ascii = TRUE;
    } else if (!(idn && f >= 0x80 && !label_ascii && !ascii_label_seen
                 && (g_unichar_isalnum(c) || g_unichar_ismark(c)))) {
      break;
    }
    i = next;
  }
  return i;
}

static gsize scan_path(const Text *t, gsize i, gsize start)
{
  while (i < t->end) {
    gsize next;
    if (!is_path_char(char_at(t, i, &next)) || next - start > MUGAI_LINK_MAX_BYTES)
      break; /* a character that would take the token past the cap is not taken */
    i = next;
  }
  return i;
}

/* Does [START, END) end with "www." or "mailto:"/"tel:" (folded)? Such a dot or colon stays in
 * the URL: trimmed, it would complete a live name right after the defanged URL. */
static gboolean ends_nested_start(const Text *t, gsize start, gsize end)
{
  static const char *const starts[] = { "www.", "mailto:", "tel:" };
  char tail[8];
  gsize k = sizeof tail - 1, next;
  tail[k] = '\0';
  while (end > start && k > 0) {
    const char *p = g_utf8_find_prev_char(t->s + start, t->s + end);
    end = p ? (gsize) (p - t->s) : start;
    gunichar f = fold(char_at(t, end, &next));
    tail[--k] = f < 0x80 ? (char) f : '?';
  }
  for (gsize i = 0; i < G_N_ELEMENTS(starts); i++)
    if (g_str_has_suffix(tail + k, starts[i]))
      return TRUE;
  return FALSE;
}

/* Leaves out trailing punctuation and closing brackets that open nowhere inside. */
static gsize trim_end(const Text *t, gsize start, gsize end)
{
  gint parens = 0, squares = 0; /* opened minus closed, counted once */
  gsize next;
  for (gsize i = start; i < end; i = next) {
    gunichar f = fold(char_at(t, i, &next));
    parens += f == '(' ? 1 : f == ')' ? -1 : 0;
    squares += f == '[' ? 1 : f == ']' ? -1 : 0;
  }
  while (end > start) {
    const char *p = g_utf8_find_prev_char(t->s + start, t->s + end);
    gsize at = p ? (gsize) (p - t->s) : start;
    gunichar f = fold(char_at(t, at, &next));
    if (f == ')' && parens < 0)
      parens++;
    else if (f == ']' && squares < 0)
      squares++;
    else if (!in_set(f, ".,:;!?'\"") || ends_nested_start(t, start, end))
      break;
    end = at;
  }
  return end;
}

static const char *const gtlds[] = {
  "com", "net", "org", "info", "biz", "edu", "gov", "mil", "int", "name", "pro", "mobi",
  "asia", "xyz", "top", "site", "online", "shop", "store", "app", "dev", "page", "cloud",
  "club", "tech", "blog", "tokyo", "osaka", "nagoya", "yokohama", "kyoto", "okinawa", "kobe",
};

/* ISO 3166 country-code top-level domains, plus eu and uk. */
static const char cctlds[] =
  "ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs "
  "bt bw by bz ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee "
  "eg er es et eu fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm "
  "hn hr ht hu id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb "
  "lc li lk lr ls lt lu lv ly ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz "
  "na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs "
  "ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st su sv sx sy sz tc td tf tg th tj tk tl "
  "tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu wf ws ye yt za zm zw ";

/* Is the last label of the folded domain D a top-level domain? Bare names need one, so that
 * "report.pdf" and "ver.2.0" do not count as hosts. */
static gboolean known_tld(const char *d)
{
  const char *tld = strrchr(d, '.');
  if (!tld || tld == d)
    return FALSE;
  tld++;
  if (g_str_has_prefix(tld, "xn--"))
    return TRUE;
  if (strlen(tld) == 2) {
    for (const char *p = cctlds; *p; p += 3)
      if (p[0] == tld[0] && p[1] == tld[1])
        return TRUE;
    return FALSE;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(gtlds); i++)
    if (strcmp(tld, gtlds[i]) == 0)
      return TRUE;
  return FALSE;
}

/* The folded ASCII form of a domain in [START, END), labels checked; NULL if it is none. */
static char *folded_domain(const Text *t, gsize start, gsize end, gboolean need_tld)
{
  GString *d = g_string_new(NULL);
  for (gsize i = start, next; i < end; i = next)
    g_string_append_unichar(d, fold(char_at(t, i, &next)));
  gboolean ok = d->len > 0 && d->str[0] != '.' && strstr(d->str, "..") == NULL;
  const char *tld = strrchr(d->str, '.');
  ok = ok && tld && strlen(tld + 1) >= 2;
  for (const char *c = tld ? tld + 1 : ""; ok && *c; c++)
    ok = g_ascii_isalpha(*c) || (guchar) *c >= 0x80 || g_str_has_prefix(tld + 1, "xn--");
  if (ok && need_tld)
    ok = known_tld(d->str);
  return g_string_free(d, !ok);
}

/* An e-mail address whose local part starts at I. */
static gboolean match_email(const Text *t, gsize i, Token *tok)
{
  gsize j = i, next;
  guint chars = 0;
  gunichar f = 0;
  while (j < t->end && chars++ < LOCAL_MAX) {
    f = fold(char_at(t, j, &next));
    if (!(is_ascii_alnum(f) || in_set(f, "._%+-")))
      break;
    j = next;
  }
  if (j == i || j >= t->end || f != '@')
    return FALSE;
  char_at(t, j, &next);
  gsize end = trim_end(t, next, scan_host(t, next, "", TRUE));
  g_autofree char *domain = folded_domain(t, next, end, FALSE);
  if (!domain)
    return FALSE;
  *tok = (Token){ i, end, TOK_EMAIL };
  return TRUE;
}

/* A scheme URL, "www." name, address or (with BARE) domain starting at I; PREV is folded. */
static gboolean match_at(const Text *t, gsize i, gunichar prev, gboolean bare, Token *tok)
{
  static const char *const schemes[] = { "https://", "http://", "ftp://", "mailto:", "tel:" };
  gsize after;
  if (starts_after(prev, TRUE)) {
    for (gsize k = 0; k < G_N_ELEMENTS(schemes); k++) {
      if (!spells(t, i, schemes[k], &after))
        continue;
      gsize end = k < 3 ? scan_host(t, after, ":@%!$&'()*+,;=~[]", TRUE) : after;
      end = trim_end(t, i, scan_path(t, end, i));
      if (end <= after)
        return FALSE;
      *tok = (Token){ i, end, TOK_URL };
      return TRUE;
    }
  }
  if (!starts_after(prev, FALSE))
    return FALSE;
  if (spells(t, i, "www.", &after)) {
    gsize host = scan_host(t, after, ":", TRUE), end = trim_end(t, i, scan_path(t, host, i));
    if (end > after) {
      *tok = (Token){ i, end, TOK_WWW };
      return TRUE;
    }
  }
  if (match_email(t, i, tok))
    return TRUE;
  if (!bare)
    return FALSE;
  gsize end = trim_end(t, i, scan_host(t, i, "", FALSE)), next;
  if (end < t->end && fold(char_at(t, end, &next)) == '@')
    return FALSE; /* a local part that was no address */
  g_autofree char *domain = folded_domain(t, i, end, TRUE);
  if (!domain)
    return FALSE;
  *tok = (Token){ i, end, TOK_DOMAIN };
  return TRUE;
}

/* C as seen by starts_after(): full-width letters and digits folded (they glue to a URL like
 * ASCII ones), full-width punctuation and 。 kept (in Japanese text "：" or "。" before a URL is
 * punctuation, not part of it). */
static gunichar before_fold(gunichar c)
{
  return c < 0x80 || is_ascii_alnum(fold(c)) ? fold(c) : c;
}

/* The next token at or after *POS; *POS moves past it (or to the end). */
static gboolean next_token(const Text *t, gsize *pos, gboolean bare, Token *tok)
{
  gsize i = *pos;
  const char *p = i > 0 ? g_utf8_find_prev_char(t->s, t->s + i) : NULL;
  gsize next;
  gunichar prev = p ? before_fold(char_at(t, (gsize) (p - t->s), &next)) : 0;
  while (i < t->end) {
    gunichar c = char_at(t, i, &next);
    if (is_ascii_alnum(fold(c)) && match_at(t, i, prev, bare, tok)) {
      *pos = tok->end;
      return TRUE;
    }
    prev = before_fold(c);
    i = next;
  }
  *pos = i;
  return FALSE;
}

static LinkForm form_of(TokKind kind)
{
  return kind == TOK_URL ? LINK_FORM_URL : kind == TOK_EMAIL ? LINK_FORM_ADDRESS : LINK_FORM_HOST;
}

/* One pass over TEXT from FROM; TRUE if it changed anything. */
static gboolean defang_pass(GString *text, gsize from, const mugai_link_options *options,
                            mugai_link_report *report)
{
  Text t = { text->str, text->len };
  g_autoptr(GString) out = NULL;
  gsize pos = from, copied = from;
  Token tok;
  while (pos < t.end && next_token(&t, &pos, TRUE, &tok)) {
    mugai_link link;
    links_parse_form(t.s + tok.start, tok.end - tok.start, form_of(tok.kind), options, &link);
    if (link.defanged) {
      if (!out)
        out = g_string_sized_new(text->len - from + 64);
      g_string_append_len(out, t.s + copied, (gssize) (tok.start - copied));
      g_string_append(out, link.display);
      if (link.note)
        g_string_append_printf(out, " (%s)", link.note);
      copied = tok.end;
      if (report) {
        report->defanged++;
        report->idn += link.note != NULL;
      }
    }
    mugai_link_clear(&link);
  }
  if (!out)
    return FALSE;
  g_string_append_len(out, t.s + copied, (gssize) (t.end - copied));
  g_string_truncate(text, from);
  g_string_append_len(text, out->str, (gssize) out->len);
  return TRUE;
}

/* Is C (folded) a character an address's local part or domain ends or starts with? */
static gboolean is_address_char(gunichar f)
{
  return is_ascii_alnum(f) || in_set(f, "._%+-");
}

/* The backstop after the token passes: whatever a linkifier could still start a link at — a
 * scheme glued to a word ("xhttp://"), a chain of addresses, a URL the tokenizer gave up on —
 * loses the characters that make it one: every "http://", "https://", "ftp://", "file://", "www."
 * and a UNC path's leading "\\\\" (web), "mailto:" and every "@" between address characters
 * (mailto), "tel:" (tel), in any case and width. Already defanged forms never match again. One
 * linear pass. */
static void sweep(GString *text, gsize from, const mugai_link_options *o, mugai_link_report *report)
{
  static const struct { const char *pat, *defanged; int kind; } rules[] = {
    {"https://", "hxxps://", 0}, {"http://", "hxxp://", 0}, {"ftp://", "fxp://", 0},
    {"file://", "fxle://", 0},   {"www.", "www[.]", 0},     {"mailto:", "mailto[:]", 1},
    {"tel:", "tel[:]", 2},
  };
  const gboolean on[] = {o->defang_web, o->defang_mailto, o->defang_tel};
  Text t = { text->str, text->len };
  g_autoptr(GString) out = NULL;
  gsize copied = from, next = from;
  gunichar prev = 0;
  for (gsize i = from; i < t.end; i = next) {
    gunichar c = char_at(&t, i, &next), f = fold(c);
    const char *replace = NULL;
    gsize end = next;
    for (gsize r = 0; !replace && r < G_N_ELEMENTS(rules); r++)
      if (on[rules[r].kind] && f == (gunichar) rules[r].pat[0] && spells(&t, i, rules[r].pat, &end))
        replace = rules[r].defanged;
    if (!replace && f == '\\' && o->defang_web && next < t.end && spells(&t, i, "\\\\", &end)) {
      gsize after;
      if (end < t.end && is_ascii_alnum(fold(char_at(&t, end, &after))))
        replace = "[\\\\]"; /* a UNC path: clients open it, and Windows sends its credentials */
      else
        end = next;
    }
    if (!replace && f == '@' && o->defang_mailto && is_address_char(prev) && next < t.end) {
      gsize after;
      if (is_address_char(fold(char_at(&t, next, &after))))
        replace = "[@]";
    }
    prev = f;
    if (!replace)
      continue;
    if (!out)
      out = g_string_sized_new(text->len - from + 64);
    g_string_append_len(out, t.s + copied, (gssize) (i - copied));
    g_string_append(out, replace);
    copied = next = end;
    prev = 0;
    if (report)
      report->defanged++;
  }
  if (!out)
    return;
  g_string_append_len(out, t.s + copied, (gssize) (t.end - copied));
  g_string_truncate(text, from);
  g_string_append_len(text, out->str, (gssize) out->len);
}

void mugai_links_process_text(GString *text, gsize from, const mugai_link_options *options,
                              mugai_link_report *report)
{
  g_return_if_fail(text != NULL);
  if (!options || !(options->defang_web || options->defang_mailto || options->defang_tel))
    return;
  /* A pass that changed something runs again: a URL start that began inside a defanged token
   * ("a@www.http://...": the address swallowed "http") is found by the second; the sweep then
   * catches whatever the tokenizer would not take as a link but a client might. */
  for (guint pass = 0; pass < DEFANG_PASSES && defang_pass(text, from, options, report); pass++)
    ;
  sweep(text, from, options, report);
}

/* The comparison host TOK names, or NULL (a phone number; an address unless MAIL). */
static char *token_host(const Text *t, const Token *tok, gboolean mail)
{
  mugai_link link;
  links_parse_form(t->s + tok->start, tok->end - tok->start, form_of(tok->kind), NULL, &link);
  gboolean wanted = link.kind == MUGAI_LINK_WEB || (mail && link.kind == MUGAI_LINK_MAILTO);
  char *host = wanted ? g_steal_pointer(&link.host) : NULL;
  mugai_link_clear(&link);
  return host;
}

gboolean mugai_link_check_text(const mugai_link *link, const char *text, gsize len,
                               const mugai_link_options *options, mugai_link_report *report)
{
  g_return_val_if_fail(link != NULL, FALSE);
  g_return_val_if_fail(text != NULL || len == 0, FALSE);
  if (!link->host || len == 0)
    return FALSE;
  gsize n = MIN(len, CHECK_TEXT_MAX);
  Text t = { text, n };
  gsize pos = 0;
  guint named = 0;
  Token tok;
  while (named < CHECK_HOSTS && next_token(&t, &pos, TRUE, &tok)) {
    g_autofree char *host = token_host(&t, &tok, link->kind == MUGAI_LINK_MAILTO);
    if (!host)
      continue;
    if (mugai_link_hosts_related(host, link->host))
      return FALSE; /* a text naming the target's site too is not a disguise */
    named++;
  }
  if (named == 0)
    return FALSE;
  if (report) {
    g_autoptr(GString) shown = g_string_new_len(text, (gssize) MIN(len, CHECK_TEXT_MAX));
    g_autofree char *target = link->note ? g_strdup_printf("%s (%s)", link->display, link->note)
                                         : g_strdup(link->display);
    mugai_links_process_text(shown, 0, options, NULL);
    links_report_mismatch(report, shown->str, shown->len, target);
  }
  return TRUE;
}
