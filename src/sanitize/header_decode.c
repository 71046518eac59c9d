/* header_decode.c — header text and part file names as UTF-8 (see header_decode.h).
 *
 * Does: RFC 2047 encoded-words as mail clients read them (runs of words in one charset joined as
 * bytes before decoding, words glued to text or inside quotes decoded, malformed words kept as
 * text); RFC 2231 parameters (charset'lang'%XX, continuations); raw 8-bit bytes detected.
 * Owns: nothing past one call.
 * Never: recursion, a scan that revisits input (hostile headers run to megabytes), output that
 * is not valid UTF-8 or holds control characters, a directory in a file name.
 * Why by hand: GMime decodes words and parameters through iconv, and glibc's ISO-2022-JP lacks
 * CP50220, so "①議事録㈱.pdf" came out as "?ゝ鳥?録??.pdf". Every byte here goes through
 * mugai_charset_to_utf8() instead.
 */
#include "sanitize/header_decode.h"

#include <string.h>
#include "sanitize/charset.h"

#define CHARSET_MAX 64   /* longest "charset*lang" an encoded-word may name; real ones are < 20 */
#define SEGMENTS_MAX 100 /* RFC 2231 continuations kept; real names use a handful */

static gboolean wsp(char c)
{
  return c == ' ' || c == '\t';
}

/* C0 and C1 controls and DEL become spaces: a decoded CR LF must not reach a header or log
 * line, nor a C1 CSI (U+009B) a terminal that shows the report. S is valid UTF-8, so a C1
 * character is the two bytes C2 80..9F, and two spaces keep the length. */
static char *controls_to_spaces(char *s)
{
  for (char *p = s; *p; p++) {
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
    else if ((guchar)p[0] == 0xC2 && (guchar)p[1] >= 0x80 && (guchar)p[1] <= 0x9F)
      p[0] = p[1] = ' ';
  }
  return s;
}

/* RAW without folding (RFC 5322 drops the CRLF before WSP; a lone CR or LF has no place in a
 * value either) and without outer whitespace. (transfer full) */
static char *unfold(const char *raw, gsize *len)
{
  gsize n = strlen(raw), o = 0, b = 0;
  char *out = g_malloc(n + 1);
  for (gsize i = 0; i < n; i++)
    if (raw[i] != '\r' && raw[i] != '\n')
      out[o++] = raw[i];
  while (b < o && wsp(out[b]))
    b++;
  while (o > b && wsp(out[o - 1]))
    o--;
  memmove(out, out + b, o - b);
  out[o - b] = '\0';
  *len = o - b;
  return out;
}

/* ---- RFC 2047 */

static int b64_value(char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Base64 as senders write it: missing padding is forgiven, and padding ends a quantum rather
 * than the word (some senders glue padded chunks). parse_word() has checked the alphabet. */
static void b_decode(const char *s, gsize n, GByteArray *out)
{
  guint acc = 0, bits = 0;
  for (gsize i = 0; i < n; i++) {
    if (s[i] == '=') {
      acc = bits = 0;
      continue;
    }
    acc = ((acc << 6) | (guint)b64_value(s[i])) & 0xFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      guint8 byte = (guint8)(acc >> bits);
      g_byte_array_append(out, &byte, 1);
    }
  }
}

static void q_decode(const char *s, gsize n, GByteArray *out)
{
  for (gsize i = 0; i < n; i++) {
    guint8 c = (guint8)s[i];
    int hi, lo;
    if (c == '_')
      c = ' ';
    else if (c == '=' && i + 2 < n && (hi = g_ascii_xdigit_value(s[i + 1])) >= 0 &&
             (lo = g_ascii_xdigit_value(s[i + 2])) >= 0) {
      c = (guint8)(hi * 16 + lo);
      i += 2;
    }
    g_byte_array_append(out, &c, 1);
  }
}

typedef struct {
  const char *charset; /* not NUL-terminated; the RFC 2231 "*lang" is cut off */
  gsize charset_len;
  char enc;            /* 'B' or 'Q' */
  const char *text;
  gsize text_len;
  const char *end;     /* just past "?=" */
} enc_word;

/* The encoded-word at P (which starts "=?"), if well-formed. Each part stops at the next '?'
 * and the text is a '?'-free run that only the word three '?' back can claim, so failed
 * attempts on hostile input cost linear time in total. */
static gboolean parse_word(const char *p, const char *end, enc_word *w)
{
  const char *cs = p + 2, *q = cs;
  while (q < end && q - cs < CHARSET_MAX && *q != '?' && (guchar)*q > 0x20 && (guchar)*q < 0x7f)
    q++;
  if (q + 3 > end || q[0] != '?' || q[2] != '?')
    return FALSE;
  const char *star = memchr(cs, '*', (gsize)(q - cs));
  w->charset = cs;
  w->charset_len = (gsize)((star ? star : q) - cs);
  w->enc = g_ascii_toupper(q[1]);
  if (w->charset_len == 0 || (w->enc != 'B' && w->enc != 'Q'))
    return FALSE;
  const char *t = q + 3, *e = t;
  for (; e < end && *e != '?' && (guchar)*e > 0x20 && (guchar)*e < 0x7f; e++)
    if (w->enc == 'B' && *e != '=' && b64_value(*e) < 0)
      return FALSE; /* "=?UTF-8?B?@@@?=" is text, not an empty word */
  if (e + 2 > end || e[0] != '?' || e[1] != '=')
    return FALSE;
  w->text = t;
  w->text_len = (gsize)(e - t);
  w->end = e + 2;
  return TRUE;
}

typedef struct {
  GString *out;
  GByteArray *bytes;             /* decoded bytes of the open run of encoded-words */
  char charset[CHARSET_MAX + 1]; /* the run's charset; "" when no run is open */
} decoder;

/* Text outside encoded-words: ASCII as it is; 8-bit bytes or a raw ISO-2022-JP escape sniffed. */
static void append_raw(GString *out, const char *s, gsize n)
{
  gboolean plain = TRUE;
  for (gsize i = 0; i < n && plain; i++)
    plain = (guchar)s[i] < 0x80 && s[i] != 0x1B;
  if (plain) {
    g_string_append_len(out, s, (gssize)n);
    return;
  }
  gsize len;
  g_autofree char *u = mugai_charset_to_utf8(NULL, s, n, &len, NULL);
  g_string_append_len(out, u, (gssize)len);
}

static void flush_run(decoder *d)
{
  if (d->charset[0] == '\0')
    return;
  gsize len;
  g_autofree char *u = mugai_charset_to_utf8(d->charset, (const char *)d->bytes->data,
                                             d->bytes->len, &len, NULL);
  g_string_append_len(d->out, u, (gssize)len);
  g_byte_array_set_size(d->bytes, 0);
  d->charset[0] = '\0';
}

/* Word W after the text GAP. Blank gaps between words vanish (RFC 2047 6.2); a word in the
 * run's charset joins the run as bytes, because senders cut characters and ISO-2022-JP escape
 * sequences across words and only the joined bytes decode. */
static void add_word(decoder *d, const enc_word *w, const char *gap, gsize gap_len)
{
  gboolean blank = TRUE;
  for (gsize i = 0; i < gap_len && blank; i++)
    blank = wsp(gap[i]);
  gboolean same = strlen(d->charset) == w->charset_len &&
                  g_ascii_strncasecmp(d->charset, w->charset, w->charset_len) == 0;
  if (d->charset[0] == '\0' || !blank) {
    flush_run(d);
    append_raw(d->out, gap, gap_len);
  } else if (!same) {
    flush_run(d);
  }
  if (d->charset[0] == '\0') {
    memcpy(d->charset, w->charset, w->charset_len);
    d->charset[w->charset_len] = '\0';
  }
  if (w->enc == 'B')
    b_decode(w->text, w->text_len, d->bytes);
  else
    q_decode(w->text, w->text_len, d->bytes);
}

/* Where the next encoded-word may start: "=?", outside <...> in address mode. A '<' with no '>'
 * after it means no later '<' has one either, so the search for '>' fails at most once. */
static const char *next_start(const char *p, const char *end, gboolean address, gboolean *no_gt)
{
  while (p + 1 < end) {
    if (p[0] == '=' && p[1] == '?')
      return p;
    if (address && p[0] == '<' && !*no_gt) {
      const char *gt = memchr(p, '>', (gsize)(end - p));
      if (gt != NULL) {
        p = gt + 1;
        continue;
      }
      *no_gt = TRUE;
    }
    p++;
  }
  return end;
}

static char *decode(const char *raw, gboolean address)
{
  if (raw == NULL)
    return NULL;
  gsize len;
  g_autofree char *v = unfold(raw, &len);
  const char *p = v, *lit = v, *end = v + len;
  gboolean no_gt = FALSE;
  decoder d = {g_string_sized_new(len + 16), g_byte_array_new(), ""};
  while ((p = next_start(p, end, address, &no_gt)) < end) {
    enc_word w;
    if (!parse_word(p, end, &w)) {
      p++;
      continue;
    }
    add_word(&d, &w, lit, (gsize)(p - lit));
    p = lit = w.end;
  }
  flush_run(&d);
  append_raw(d.out, lit, (gsize)(end - lit));
  g_byte_array_unref(d.bytes);
  return controls_to_spaces(g_string_free(d.out, FALSE));
}

char *mugai_header_decode_text(const char *raw)
{
  return decode(raw, FALSE);
}

char *mugai_header_decode_address(const char *raw)
{
  return decode(raw, TRUE);
}

/* ---- RFC 2045/2231 parameters */

typedef struct {
  char *plain;                         /* name= */
  char *ext;                           /* name*=charset'lang'%XX */
  char *seg[SEGMENTS_MAX];             /* name*N= and name*N*= */
  gboolean seg_encoded[SEGMENTS_MAX];
} name_param;

typedef enum { FORM_NONE, FORM_PLAIN, FORM_EXT, FORM_SEGMENT } param_form;

static void name_param_clear(name_param *np)
{
  g_free(np->plain);
  g_free(np->ext);
  for (gsize i = 0; i < SEGMENTS_MAX; i++)
    g_free(np->seg[i]);
}

static gboolean sjis_lead(guchar c)
{
  return (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC);
}

/* A quoted string's content from P (past the opening quote) into OUT; returns the position past
 * the closing quote. Only \" and \\ are escapes: senders leave "C:\dir\a.exe" unescaped. With
 * SJIS, a byte after a Shift_JIS lead byte is its trail byte even when it is 0x5C: the raw name
 * 予定表 ends 0x95 0x5C, which the usual reading takes for an escaped closing quote. */
static const char *scan_quoted(const char *p, const char *end, gboolean sjis, GString *out)
{
  gboolean lead = FALSE;
  for (; p < end; p++) {
    guchar c = (guchar)*p;
    if (lead && c >= 0x40) {
      lead = FALSE;
      g_string_append_c(out, (char)c);
      continue;
    }
    lead = FALSE;
    if (c == '"')
      return p + 1;
    if (c == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
      c = (guchar)*++p;
    else if (sjis && sjis_lead(c))
      lead = TRUE;
    g_string_append_c(out, (char)c);
  }
  return end;
}

/* A value at P into OUT: a quoted string (read again as Shift_JIS when the usual reading is not
 * UTF-8), or everything up to ';' trimmed, since senders leave spaces and tspecials unquoted. */
static const char *read_value(const char *p, const char *end, GString *out)
{
  if (p < end && *p == '"') {
    const char *after = scan_quoted(p + 1, end, FALSE, out);
    if (g_utf8_validate(out->str, (gssize)out->len, NULL))
      return after;
    g_string_truncate(out, 0);
    return scan_quoted(p + 1, end, TRUE, out);
  }
  const char *e = memchr(p, ';', (gsize)(end - p)), *t;
  e = e ? e : end;
  for (t = e; t > p && wsp(t[-1]); t--)
    ;
  g_string_append_len(out, p, t - p);
  return e;
}

/* Which form of WANT the parameter name S is; *INDEX and *ENCODED for continuations. Indexes
 * past SEGMENTS_MAX are not names we keep. */
static param_form match_name(const char *s, gsize n, const char *want, guint *index,
                             gboolean *encoded)
{
  gsize w = strlen(want), k = 0;
  if (n < w || g_ascii_strncasecmp(s, want, w) != 0)
    return FORM_NONE;
  if (n == w)
    return FORM_PLAIN;
  if (s[w] != '*')
    return FORM_NONE;
  if (n == w + 1)
    return FORM_EXT;
  guint i = 0;
  for (s += w + 1, n -= w + 1; k < n && g_ascii_isdigit(s[k]); k++)
    if (i < SEGMENTS_MAX)
      i = i * 10 + (guint)(s[k] - '0');
  *encoded = k < n && s[k] == '*';
  if (k == 0 || i >= SEGMENTS_MAX || k + (*encoded ? 1 : 0) != n)
    return FORM_NONE;
  *index = i;
  return FORM_SEGMENT;
}

/* The parameters named WANT in an unfolded Content-Type/-Disposition value, after the type.
 * The first of each form (and of each continuation index) wins. */
static void collect_params(const char *v, gsize len, const char *want, name_param *np)
{
  const char *p = v, *end = v + len;
  g_autoptr(GString) val = g_string_new(NULL);
  while ((p = memchr(p, ';', (gsize)(end - p))) != NULL) {
    for (p++; p < end && wsp(*p); p++)
      ;
    const char *name = p, *name_end;
    while (p < end && *p != '=' && *p != ';')
      p++;
    if (p == end || *p == ';')
      continue;
    for (name_end = p; name_end > name && wsp(name_end[-1]); name_end--)
      ;
    for (p++; p < end && wsp(*p); p++)
      ;
    g_string_truncate(val, 0);
    p = read_value(p, end, val);
    guint i = 0;
    gboolean enc = FALSE;
    param_form form = match_name(name, (gsize)(name_end - name), want, &i, &enc);
    char **slot = form == FORM_PLAIN ? &np->plain : form == FORM_EXT ? &np->ext
                  : form == FORM_SEGMENT ? &np->seg[i] : NULL;
    if (slot != NULL && *slot == NULL) {
      *slot = g_strdup(val->str);
      if (form == FORM_SEGMENT)
        np->seg_encoded[i] = enc;
    }
  }
}

static void percent_decode(const char *s, GByteArray *out)
{
  for (; *s; s++) {
    guint8 c = (guint8)*s;
    int hi, lo;
    if (c == '%' && (hi = g_ascii_xdigit_value(s[1])) >= 0 &&
        (lo = g_ascii_xdigit_value(s[2])) >= 0) {
      c = (guint8)(hi * 16 + lo);
      s += 2;
    }
    g_byte_array_append(out, &c, 1);
  }
}

/* "charset'lang'rest": *CHARSET (NULL if empty or absent: then detected), and where rest is. */
static const char *split_charset(const char *v, char **charset)
{
  const char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
  *charset = q2 && q1 > v ? g_strndup(v, (gsize)(q1 - v)) : NULL;
  return q2 ? q2 + 1 : v;
}

static char *bytes_to_utf8(const char *charset, GByteArray *bytes)
{
  return mugai_charset_to_utf8(charset, (const char *)bytes->data, bytes->len, NULL, NULL);
}

/* The RFC 2231 value: name*, else name*0.. up to the first missing index. Unencoded segments
 * join as they are; with none encoded, the whole is read like a plain value (senders cut
 * encoded-words across segments). (transfer full) (nullable) */
static char *extended_value(const name_param *np)
{
  g_autofree char *charset = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new();
  if (np->ext != NULL) {
    percent_decode(split_charset(np->ext, &charset), bytes);
    return bytes_to_utf8(charset, bytes);
  }
  gsize n = 0;
  gboolean any_encoded = FALSE;
  for (; n < SEGMENTS_MAX && np->seg[n] != NULL; n++)
    any_encoded |= np->seg_encoded[n];
  if (n == 0)
    return NULL;
  if (!any_encoded) {
    g_autoptr(GString) joined = g_string_new(NULL);
    for (gsize i = 0; i < n; i++)
      g_string_append(joined, np->seg[i]);
    return mugai_header_decode_text(joined->str);
  }
  for (gsize i = 0; i < n; i++) {
    const char *s = np->seg[i];
    if (i == 0 && np->seg_encoded[0])
      s = split_charset(s, &charset);
    if (np->seg_encoded[i])
      percent_decode(s, bytes);
    else
      g_byte_array_append(bytes, (const guint8 *)s, (guint)strlen(s));
  }
  return bytes_to_utf8(charset, bytes);
}

/* TAKE_NAME's last path component, trimmed; NULL when nothing usable is left. Done on UTF-8,
 * after decoding: in Shift_JIS 0x5C is also the second byte of ソ and 表. (transfer full) */
static char *last_component(char *take_name)
{
  g_autofree char *name = controls_to_spaces(take_name);
  const char *b = name;
  for (const char *s = name; *s; s++)
    if (*s == '/' || *s == '\\')
      b = s + 1;
  if (g_ascii_isalpha(b[0]) && b[1] == ':')
    b += 2; /* "C:a.exe", "dir/C:a.exe": a drive is a directory too */
  char *r = g_strstrip(g_strdup(b));
  if (*r == '\0' || strcmp(r, ".") == 0 || strcmp(r, "..") == 0)
    g_clear_pointer(&r, g_free);
  return r;
}

const char *mugai_object_get_raw_header(GMimeObject *obj, const char *name)
{
  g_return_val_if_fail(GMIME_IS_OBJECT(obj) && name != NULL, NULL);
  GMimeHeader *h = g_mime_header_list_get_header(g_mime_object_get_header_list(obj), name);
  if (h == NULL)
    return NULL;
  const char *raw = g_mime_header_get_raw_value(h);
  return raw != NULL ? raw : g_mime_header_get_value(h); /* set by code, never parsed */
}

/* Parameter WANT of header HEADER: RFC 2231 forms first, as RFC 2231 clients prefer them. */
static char *param_name(GMimeObject *part, const char *header, const char *want)
{
  const char *raw = mugai_object_get_raw_header(part, header);
  if (raw == NULL)
    return NULL;
  gsize len;
  g_autofree char *v = unfold(raw, &len);
  name_param np = {0};
  collect_params(v, len, want, &np);
  char *name = extended_value(&np);
  if (name == NULL && np.plain != NULL)
    name = mugai_header_decode_text(np.plain);
  name_param_clear(&np);
  return name != NULL ? last_component(name) : NULL;
}

char *mugai_part_filename(GMimeObject *part)
{
  g_return_val_if_fail(GMIME_IS_OBJECT(part), NULL);
  char *name = param_name(part, "Content-Disposition", "filename");
  if (name == NULL)
    name = param_name(part, "Content-Type", "name");
  if (name == NULL && GMIME_IS_PART(part)) { /* a form only GMime's parser reads */
    const char *theirs = g_mime_part_get_filename(GMIME_PART(part));
    if (theirs != NULL)
      name = last_component(g_utf8_make_valid(theirs, -1));
  }
  return name;
}
