/* links.c — one link target: its normal form, scheme class, host, defanged display and punycode
 * note; host comparison; the report.
 *
 * What it does: normalises a target once (NFKC, IDNA full stops, controls and invisible/bidi
 * characters removed, scheme lower-cased), classifies it on that form against the allow-list,
 * finds the host the way browsers do (slashes or backslashes after the scheme, the last "@" of
 * the authority, port and brackets), derives the comparison host (percent-decoded, NFKC again,
 * lower case, no trailing dot, punycode) and writes what the reader is shown.
 *
 * What it owns: the strings of each mugai_link it fills and of the warnings in a report.
 *
 * What it must never do: call a target with a scheme off the allow-list shown; leave a control,
 * bidi or invisible character in anything it returns; read more than MUGAI_LINK_MAX_BYTES of a
 * target; log; keep state between calls.
 */
#include "sanitize/links_private.h"

#include <string.h>

#define NORM_MAX      (4 * MUGAI_LINK_MAX_BYTES) /* NFKC can grow text; a longer form is dropped */
#define WARN_TEXT_MAX 200                        /* bytes of a warning's text or target */
#define SCHEME_MAX    16

/* Characters that show nothing (or reorder what is shown) and that a reader cannot see in a URL:
 * soft hyphen, joiners, bidi controls, variation selectors, BOM, fillers, tags. */
static gboolean is_invisible(gunichar c)
{
  return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160
         || (c >= 0x17B4 && c <= 0x17B5) || (c >= 0x180B && c <= 0x180F)
         || (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E)
         || (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F)
         || c == 0xFEFF || c == 0xFFA0 || (c >= 0xFFF0 && c <= 0xFFF8)
         || (c >= 0xE0000 && c <= 0xE0FFF);
}

static gboolean is_control(gunichar c)
{
  return c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0);
}

/* Printable ASCII (space to tilde) only: its NFKC form is itself, and it holds no control,
 * invisible character or ideographic full stop, so normalise() only trims it. Most targets are. */
static gboolean is_printable_ascii(const char *s, gsize len)
{
  for (gsize i = 0; i < len; i++)
    if ((guchar) s[i] < 0x20 || (guchar) s[i] > 0x7E)
      return FALSE;
  return TRUE;
}

/* The normal form every check and display uses. NULL when the input or the form is too long. */
static GString *normalise(const char *s, gsize len)
{
  g_autofree char *valid = NULL;
  if (len > MUGAI_LINK_MAX_BYTES)
    return NULL;
  if (is_printable_ascii(s, len)) { /* the same result as below, without NFKC's cost */
    while (len > 0 && *s == ' ')
      s++, len--;
    while (len > 0 && s[len - 1] == ' ')
      len--;
    return g_string_new_len(s, (gssize) len);
  }
  if (!g_utf8_validate_len(s, len, NULL)) {
    valid = g_utf8_make_valid(s, (gssize) len);
    s = valid;
    len = strlen(valid);
  }
  g_autofree char *nfkc = g_utf8_normalize(s, (gssize) len, G_NORMALIZE_NFKC);
  if (!nfkc)
    return NULL;
  GString *out = g_string_sized_new(strlen(nfkc));
  for (const char *p = nfkc; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (is_control(c) || is_invisible(c))
      continue; /* browsers drop tab and newline anywhere in a URL; we drop every control */
    if (c == 0x3002 || c == 0xFF61 || c == 0xFF0E)
      g_string_append_c(out, '.'); /* UTS 46 maps the ideographic full stops to "." */
    else
      g_string_append_unichar(out, c);
  }
  gsize start = 0;
  while (start < out->len && out->str[start] == ' ')
    start++; /* NFKC turned U+3000 and NBSP into spaces: trimmed like ASCII ones */
  g_string_erase(out, 0, (gssize) start);
  while (out->len > 0 && out->str[out->len - 1] == ' ')
    g_string_truncate(out, out->len - 1);
  if (out->len > NORM_MAX) {
    g_string_free(out, TRUE);
    return NULL;
  }
  return out;
}

typedef struct {
  mugai_link_kind kind;
  GString *url;
  gsize scheme_len;           /* "scheme:" at the start of url, 0 if none */
  gsize auth_start, auth_end; /* web: userinfo@host:port; mailto: the addresses before "?" */
  gsize host_start, host_end;
} Parsed;

static gboolean is_slash(char c)
{
  return c == '/' || c == '\\'; /* browsers read "\" as "/" in http(s) and ftp URLs */
}

/* Offset just past "scheme:" (0 if U is relative), the scheme lower-cased into SCHEME. Spaces
 * inside are skipped, as html2text always did, so "java script:" still counts as javascript. */
static gsize read_scheme(const char *u, gsize n, char scheme[SCHEME_MAX])
{
  gsize k = 0;
  for (gsize i = 0; i < n; i++) {
    guchar c = (guchar) u[i];
    if (c == ' ')
      continue;
    if (c == ':') {
      if (k == 0)
        return 0;
      scheme[MIN(k, SCHEME_MAX - 1)] = '\0'; /* a longer scheme matches nothing allowed */
      return i + 1;
    }
    gboolean later = g_ascii_isdigit(c) || c == '+' || c == '-' || c == '.';
    if (!g_ascii_isalpha(c) && (k == 0 || !later))
      return 0; /* cannot be a scheme: a relative URL */
    if (k < SCHEME_MAX - 1)
      scheme[k] = g_ascii_tolower(c);
    else
      scheme[SCHEME_MAX - 2] = '!'; /* too long: spoil it rather than match a prefix */
    k++;
  }
  return 0;
}

static void web_authority(Parsed *p, gsize from)
{
  const char *s = p->url->str;
  gsize n = p->url->len, i = from;
  while (i < n && is_slash(s[i]))
    i++;
  p->auth_start = i;
  while (i < n && !is_slash(s[i]) && s[i] != '?' && s[i] != '#')
    i++;
  p->auth_end = i;
  gsize h = p->auth_start, e;
  for (gsize j = p->auth_start; j < p->auth_end; j++)
    if (s[j] == '@')
      h = j + 1; /* "https://bank.example.jp@evil.example/" goes to evil.example */
  e = h;
  if (h < p->auth_end && s[h] == '[') {
    while (e < p->auth_end && s[e] != ']')
      e++;
    e += e < p->auth_end;
  } else {
    while (e < p->auth_end && s[e] != ':')
      e++;
  }
  p->host_start = h;
  p->host_end = e;
}

static void mail_addresses(Parsed *p, gsize from)
{
  const char *s = p->url->str;
  gsize n = p->url->len, i = from, h = from;
  p->auth_start = from;
  while (i < n && s[i] != '?')
    i++;
  p->auth_end = i;
  for (i = from; i < p->auth_end && s[i] != ','; i++)
    if (s[i] == '@')
      h = i + 1;
  p->host_start = h > from ? h : i; /* no "@": no host */
  p->host_end = i;
}

static void classify(Parsed *p, LinkForm form)
{
  GString *u = p->url;
  char scheme[SCHEME_MAX];
  if (form == LINK_FORM_HOST) {
    p->kind = MUGAI_LINK_WEB;
    web_authority(p, 0);
    return;
  }
  if (form == LINK_FORM_ADDRESS) {
    p->kind = MUGAI_LINK_MAILTO;
    mail_addresses(p, 0);
    return;
  }
  if (u->len == 0 || u->str[0] == '#') {
    p->kind = MUGAI_LINK_NONE; /* no target, or one inside a document the reader does not have */
    return;
  }
  gsize after = read_scheme(u->str, u->len, scheme);
  if (after == 0) {
    gboolean net = u->len > 1 && is_slash(u->str[0]) && is_slash(u->str[1]);
    p->kind = net ? MUGAI_LINK_WEB : MUGAI_LINK_RELATIVE;
    if (net)
      web_authority(p, 0);
    return;
  }
  g_string_erase(u, 0, (gssize) after);
  g_string_prepend_c(u, ':');
  g_string_prepend(u, scheme);
  p->scheme_len = strlen(scheme) + 1;
  if (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 || strcmp(scheme, "ftp") == 0) {
    p->kind = MUGAI_LINK_WEB;
    web_authority(p, p->scheme_len);
  } else if (strcmp(scheme, "mailto") == 0) {
    p->kind = MUGAI_LINK_MAILTO;
    mail_addresses(p, p->scheme_len);
  } else if (strcmp(scheme, "tel") == 0) {
    p->kind = MUGAI_LINK_TEL;
  } else {
    p->kind = MUGAI_LINK_DROPPED;
  }
}

static void ascii_down(char *s)
{
  for (; *s; s++)
    *s = g_ascii_tolower(*s);
}

/* The host as compared: what the browser resolves, in ASCII when IDNA allows. */
static char *comparison_host(const char *h, gsize n)
{
  g_autofree char *raw = g_strndup(h, n);
  g_autofree char *decoded = strchr(raw, '%') ? g_uri_unescape_string(raw, NULL) : NULL;
  const char *src = decoded ? decoded : raw;
  GString *norm = normalise(src, strlen(src)); /* "%EF%BD%85xample" is full-width again */
  if (!norm)
    return NULL;
  char *host = is_printable_ascii(norm->str, norm->len)
                   ? g_ascii_strdown(norm->str, (gssize) norm->len)
                   : g_utf8_strdown(norm->str, (gssize) norm->len);
  g_string_free(norm, TRUE);
  gsize len = strlen(host);
  while (len > 0 && host[len - 1] == '.')
    host[--len] = '\0';
  if (len == 0) {
    g_free(host);
    return NULL;
  }
  if (g_hostname_is_non_ascii(host)) {
    char *ascii = g_hostname_to_ascii(host);
    if (ascii) {
      g_free(host);
      host = ascii;
    }
  }
  ascii_down(host);
  return host;
}

/* The comparison host when the reader would not otherwise see it: the shown host is IDN or
 * percent-encoded. */
static char *host_note(const Parsed *p, const char *host)
{
  g_autofree char *shown = g_strndup(p->url->str + p->host_start, p->host_end - p->host_start);
  gsize len = strlen(shown);
  while (len > 0 && shown[len - 1] == '.')
    shown[--len] = '\0';
  ascii_down(shown);
  for (const char *c = host; *c; c++)
    if ((guchar) *c >= 0x80)
      return NULL; /* IDNA refused it: the Unicode form is all there is to show */
  return strcmp(shown, host) != 0 ? g_strdup(host) : NULL;
}

/* Length of a URL start at S that a client would link, with its defanged form in *REPL. */
static gsize nested_start(const char *s, gsize n, const char **repl)
{
  static const struct { const char *from, *to; } nested[] = {
    { "https://", "hxxps://" }, { "http://", "hxxp://" }, { "ftp://", "fxp://" },
    { "www.", "www[.]" },       { "mailto:", "mailto[:]" }, { "tel:", "tel[:]" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(nested); i++) {
    gsize k = strlen(nested[i].from);
    if (n >= k && g_ascii_strncasecmp(s, nested[i].from, k) == 0) {
      *repl = nested[i].to;
      return k;
    }
  }
  return 0;
}

enum {
  BR_DOTS = 1 << 0, /* every "." bracketed */
  BR_AT = 1 << 1,   /* every "@" bracketed */
  BR_MAIL = 1 << 2, /* each "." after an "@" in the same address bracketed */
};

/* Appends S defanged: in [FROM, TO) the brackets FLAGS ask for, and everywhere any nested URL
 * start (a redirect's "?u=https://..." would be linked by the client), looked for across the
 * whole of S so that none can form where two parts meet. */
static void append_defanged(GString *out, const char *s, gsize n, gsize from, gsize to, guint flags)
{
  gboolean after_at = FALSE;
  for (gsize i = 0; i < n;) {
    const char *repl;
    gsize k = nested_start(s + i, n - i, &repl);
    guint f = i >= from && i < to ? flags : 0;
    if (k > 0) {
      g_string_append(out, repl);
      i += k;
      continue;
    }
    if ((f & BR_AT) && s[i] == '@') {
      g_string_append(out, "[@]");
      after_at = TRUE;
    } else if (s[i] == '.' && ((f & BR_DOTS) || ((f & BR_MAIL) && after_at))) {
      g_string_append(out, "[.]");
    } else {
      after_at = after_at && !strchr(",?&=;", s[i]);
      g_string_append_c(out, s[i]);
    }
    i++;
  }
}

static char *defang(const Parsed *p)
{
  const char *s = p->url->str;
  gsize n = p->url->len;
  GString *out = g_string_sized_new(n + n / 4 + 16);
  if (p->kind == MUGAI_LINK_WEB) {
    if (p->scheme_len > 0)
      g_string_append(out, s[0] == 'f' ? "fxp:" : s[4] == 's' ? "hxxps:" : "hxxp:");
    append_defanged(out, s + p->scheme_len, n - p->scheme_len, p->auth_start - p->scheme_len,
                    p->auth_end - p->scheme_len, BR_DOTS | BR_AT);
  } else if (p->kind == MUGAI_LINK_MAILTO) {
    if (p->scheme_len > 0)
      g_string_append(out, "mailto[:]");
    append_defanged(out, s + p->scheme_len, n - p->scheme_len, 0, G_MAXSIZE, BR_AT | BR_MAIL);
  } else { /* tel */
    g_string_append(out, "tel[:]");
    append_defanged(out, s + p->scheme_len, n - p->scheme_len, 0, 0, 0);
  }
  return g_string_free(out, FALSE);
}

static gboolean wants_defang(const mugai_link_options *o, mugai_link_kind kind)
{
  return o
         && ((kind == MUGAI_LINK_WEB && o->defang_web)
             || (kind == MUGAI_LINK_MAILTO && o->defang_mailto)
             || (kind == MUGAI_LINK_TEL && o->defang_tel));
}

void links_parse_form(const char *s, gsize len, LinkForm form, const mugai_link_options *options,
                      mugai_link *link)
{
  memset(link, 0, sizeof *link);
  Parsed p = { .url = normalise(s, len) };
  if (!p.url) {
    link->kind = MUGAI_LINK_DROPPED; /* too long to show whole; a cut URL leads elsewhere */
    return;
  }
  classify(&p, form);
  link->kind = p.kind;
  if (p.kind == MUGAI_LINK_NONE || p.kind == MUGAI_LINK_DROPPED) {
    g_string_free(p.url, TRUE);
    return;
  }
  if (p.host_end > p.host_start)
    link->host = comparison_host(p.url->str + p.host_start, p.host_end - p.host_start);
  if (link->host)
    link->note = host_note(&p, link->host);
  link->defanged = wants_defang(options, p.kind);
  if (link->defanged) {
    link->display = defang(&p);
    if (link->note) {
      GString *note = g_string_new(NULL);
      append_defanged(note, link->note, strlen(link->note), 0, G_MAXSIZE, BR_DOTS);
      g_free(link->note);
      link->note = g_string_free(note, FALSE);
    }
  } else {
    link->display = g_strdup(p.url->str);
  }
  link->url = g_string_free(p.url, FALSE);
}

void mugai_link_parse(const char *href, gsize len, const mugai_link_options *options,
                      mugai_link *link)
{
  g_return_if_fail(link != NULL);
  g_return_if_fail(href != NULL || len == 0);
  links_parse_form(href ? href : "", len, LINK_FORM_URL, options, link);
}

void mugai_link_clear(mugai_link *link)
{
  if (!link)
    return;
  g_free(link->url);
  g_free(link->display);
  g_free(link->note);
  g_free(link->host);
  memset(link, 0, sizeof *link);
}

static const char *skip_www(const char *h)
{
  return g_str_has_prefix(h, "www.") && strchr(h + 4, '.') ? h + 4 : h;
}

/* Is SUB a subdomain of PARENT? A single-label parent ("com") is no one's parent here. */
static gboolean is_subdomain(const char *sub, const char *parent)
{
  gsize ls = strlen(sub), lp = strlen(parent);
  return strchr(parent, '.') && ls > lp + 1 && sub[ls - lp - 1] == '.'
         && g_ascii_strcasecmp(sub + ls - lp, parent) == 0;
}

gboolean mugai_link_hosts_related(const char *a, const char *b)
{
  g_return_val_if_fail(a != NULL && b != NULL, FALSE);
  a = skip_www(a); /* "www.example.jp" and "shop.example.jp" are one site's names */
  b = skip_www(b);
  return g_ascii_strcasecmp(a, b) == 0 || is_subdomain(a, b) || is_subdomain(b, a);
}

/* ---- report ---- */

static void warning_free(gpointer data)
{
  mugai_link_warning *w = data;
  g_free(w->text);
  g_free(w->target);
  g_free(w);
}

void mugai_link_report_init(mugai_link_report *report)
{
  g_return_if_fail(report != NULL);
  memset(report, 0, sizeof *report);
  report->mismatched = g_ptr_array_new_with_free_func(warning_free);
}

void mugai_link_report_clear(mugai_link_report *report)
{
  if (!report)
    return;
  if (report->mismatched)
    g_ptr_array_unref(report->mismatched);
  memset(report, 0, sizeof *report);
}

/* One line of valid UTF-8 without controls or invisible characters, at most CAP bytes + "…". */
static char *display_safe(const char *s, gsize len, gsize cap)
{
  g_autofree char *valid = g_utf8_make_valid(s, (gssize) len);
  GString *out = g_string_sized_new(MIN(len, cap) + 4);
  gboolean space = FALSE;
  for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    if (is_control(c) || g_unichar_isspace(c)) {
      space = TRUE; /* runs of white space and controls become one space */
      continue;
    }
    if (is_invisible(c))
      continue;
    gsize n = (gsize) (g_utf8_next_char(p) - p);
    if (out->len + n + (space && out->len > 0) > cap) {
      g_string_append(out, "…");
      break;
    }
    if (space && out->len > 0)
      g_string_append_c(out, ' ');
    space = FALSE;
    g_string_append_len(out, p, (gssize) n);
  }
  return g_string_free(out, FALSE);
}

void links_report_mismatch(mugai_link_report *report, const char *text, gsize len,
                           const char *target)
{
  report->mismatched_total++;
  if (!report->mismatched)
    report->mismatched = g_ptr_array_new_with_free_func(warning_free);
  if (report->mismatched->len >= MUGAI_LINK_WARNINGS_MAX)
    return;
  mugai_link_warning *w = g_new0(mugai_link_warning, 1);
  w->text = display_safe(text, len, WARN_TEXT_MAX);
  w->target = display_safe(target, strlen(target), WARN_TEXT_MAX);
  g_ptr_array_add(report->mismatched, w);
}
