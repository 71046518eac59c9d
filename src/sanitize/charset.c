/* charset.c — the bytes of a text part, in whatever charset it claims or really has, as UTF-8.
 *
 * Does: label normalisation with the meanings Windows clients give labels (Shift_JIS = CP932,
 * ISO-2022-JP = CP50220, EUC-JP = EUC-JP-MS); incremental decoding that turns each undecodable
 * unit into one U+FFFD and goes on; a hand-written ISO-2022-JP decoder; sniffing of unlabelled or
 * mislabelled data (ISO-2022-JP, UTF-8, CP932, EUC-JP); the HTML <meta> charset prescan.
 * Owns: nothing past one call; every iconv descriptor is opened and closed inside the call.
 * Never: static mutable state (the milter calls this from many threads), logging, a pointer into
 * the caller's label in the result, or output that is not valid NUL-terminated UTF-8.
 */
#include "sanitize/charset.h"

#include <errno.h>
#include <string.h>

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */
#define LABEL_MAX 40               /* real charset names are far shorter; longer is garbage */
#define ICONV_CHUNK 1024           /* input offered to one g_iconv call */
#define JIS_RUN_MAX 4096           /* pending pairs are decoded in chunks: memory stays flat */
#define SNIFF_WINDOW 1024          /* HTML prescan looks no further, as browsers do */

typedef enum {
  CS_UNKNOWN, CS_ASCII, CS_UTF8, CS_CP932, CS_JIS, CS_EUCJP, CS_UTF7, CS_1252, CS_ICONV,
} cs_kind;

static const char *const kind_names[] = {
  [CS_UNKNOWN] = "OTHER", [CS_ASCII] = "US-ASCII", [CS_UTF8] = "UTF-8", [CS_CP932] = "CP932",
  [CS_JIS] = "ISO-2022-JP", [CS_EUCJP] = "EUC-JP", [CS_UTF7] = "UTF-7",
  [CS_1252] = "WINDOWS-1252", [CS_ICONV] = "OTHER",
};

static const struct {
  const char *label;
  cs_kind kind;
} label_table[] = {
  {"us-ascii", CS_ASCII}, {"ascii", CS_ASCII}, {"ansi_x3.4-1968", CS_ASCII}, {"7bit", CS_ASCII},
  {"utf-8", CS_UTF8}, {"utf8", CS_UTF8}, {"unicode-1-1-utf-8", CS_UTF8},
  {"shift_jis", CS_CP932}, {"shift-jis", CS_CP932}, {"sjis", CS_CP932}, {"x-sjis", CS_CP932},
  {"ms_kanji", CS_CP932}, {"windows-31j", CS_CP932}, {"cp932", CS_CP932}, {"ms932", CS_CP932},
  {"csshiftjis", CS_CP932}, {"cswindows31j", CS_CP932}, {"x-ms-cp932", CS_CP932},
  {"iso-2022-jp", CS_JIS}, {"csiso2022jp", CS_JIS}, {"iso-2022-jp-ms", CS_JIS},
  {"iso-2022-jp-1", CS_JIS}, {"iso-2022-jp-2", CS_JIS}, {"csiso2022jp2", CS_JIS},
  {"iso-2022-jp-3", CS_JIS}, {"iso-2022-jp-2004", CS_JIS}, {"cp50220", CS_JIS},
  {"cp50221", CS_JIS}, {"cp50222", CS_JIS},
  {"euc-jp", CS_EUCJP}, {"x-euc-jp", CS_EUCJP}, {"eucjp", CS_EUCJP}, {"euc-jp-ms", CS_EUCJP},
  {"eucjp-ms", CS_EUCJP}, {"cseucpkdfmtjapanese", CS_EUCJP},
  {"utf-7", CS_UTF7}, {"utf7", CS_UTF7},
  /* Mail labelled Latin-1 that uses 0x80-0x9F means Windows-1252 (as WHATWG decides too). */
  {"windows-1252", CS_1252}, {"cp1252", CS_1252}, {"x-cp1252", CS_1252}, {"iso-8859-1", CS_1252},
  {"iso8859-1", CS_1252}, {"iso_8859-1", CS_1252}, {"latin1", CS_1252}, {"l1", CS_1252},
};

/* Names reported in info->used for other charsets iconv decodes; the rest are "OTHER". */
static const char *const other_names[] = {
  "ISO-8859-2", "ISO-8859-5", "ISO-8859-7", "ISO-8859-9", "ISO-8859-15", "WINDOWS-1250",
  "WINDOWS-1251", "KOI8-R", "GB2312", "GBK", "GB18030", "BIG5", "EUC-KR", "ISO-2022-KR",
  "TIS-620", "UTF-16", "UTF-16BE", "UTF-16LE", "UTF-32",
};

typedef struct {
  cs_kind kind;
  char name[LABEL_MAX + 1]; /* lower-cased label; what iconv_open gets for CS_ICONV */
} cs_label;

typedef struct {
  gsize high;          /* bytes >= 0x80 */
  gboolean jis_escape; /* ESC $ B, ESC $ @, ESC $ (, ESC ( I: ISO-2022-JP text */
} cs_profile;

/* Characters a charset name may hold. Nothing else reaches iconv_open: a '/' would smuggle in
 * //TRANSLIT-style flags, and the HTML prescan hands back nothing a log line could choke on. */
static gboolean name_char(char c)
{
  return g_ascii_isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':' || c == '+';
}

static void parse_label(const char *label, cs_label *lab)
{
  lab->kind = CS_ASCII; /* RFC 2045: no charset means us-ascii */
  lab->name[0] = '\0';
  if (label == NULL)
    return;
  const char *b = label, *e = label + strlen(label);
  while (b < e && (g_ascii_isspace(*b) || *b == '"' || *b == '\''))
    b++;
  while (e > b && (g_ascii_isspace(e[-1]) || e[-1] == '"' || e[-1] == '\''))
    e--;
  if (b == e)
    return;
  lab->kind = CS_UNKNOWN;
  if ((gsize)(e - b) > LABEL_MAX)
    return;
  gsize n = (gsize)(e - b);
  for (gsize i = 0; i < n; i++) {
    char c = g_ascii_tolower(b[i]);
    if (!name_char(c))
      return;
    lab->name[i] = c;
  }
  lab->name[n] = '\0';
  lab->kind = CS_ICONV;
  for (gsize i = 0; i < G_N_ELEMENTS(label_table); i++)
    if (strcmp(lab->name, label_table[i].label) == 0)
      lab->kind = label_table[i].kind;
}

static const char *other_name(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(other_names); i++)
    if (g_ascii_strcasecmp(name, other_names[i]) == 0)
      return other_names[i];
  return "OTHER";
}

static void profile_data(const guchar *d, gsize len, cs_profile *p)
{
  p->high = 0;
  p->jis_escape = FALSE;
  for (gsize i = 0; i < len; i++) {
    if (d[i] >= 0x80)
      p->high++;
    else if (d[i] == 0x1B && i + 2 < len &&
             ((d[i + 1] == '$' && (d[i + 2] == 'B' || d[i + 2] == '@' || d[i + 2] == '(')) ||
              (d[i + 1] == '(' && d[i + 2] == 'I')))
      p->jis_escape = TRUE;
  }
}

/* ---- decoders: each appends to OUT and returns how many U+FFFD it wrote; STRICT stops at the
 * first, which is all sniffing needs to know. */

/* Decodes IN through CD. An undecodable unit (UNIT bytes: 1 for free-running text; 2 or 3 for the
 * aligned runs the ISO-2022-JP decoder builds) becomes one U+FFFD and decoding goes on, so a bad
 * byte costs one character, not the rest of the part. Each call is offered at most ICONV_CHUNK
 * bytes: an error restarts the call, and a call may cost as much as the input it is offered
 * (sanitizer interceptors check all of it), which would make hostile input quadratic. */
static gsize utf8_append(const guchar *in, gsize len, gboolean strict, GString *out);

/* iconv's UTF-8 is not always valid UTF-8: glibc passes surrogates and code points past U+10FFFF
 * through when a label names UTF-8 in a spelling mugai does not know ("U+TF-8"). Its output goes
 * through the same check as text labelled UTF-8; it never holds a cut sequence (iconv writes
 * whole characters only). */
static void iconv_out(const gchar *buf, gsize len, GString *out)
{
  utf8_append((const guchar *) buf, len, FALSE, out);
}

static gsize iconv_append(GIConv cd, const guchar *in, gsize len, gsize unit, gboolean strict,
                          GString *out)
{
  gchar buf[4 * ICONV_CHUNK];
  gsize pos = 0, errors = 0;
  g_iconv(cd, NULL, NULL, NULL, NULL);
  while (pos < len) {
    gsize offered = MIN(len - pos, ICONV_CHUNK), left = offered, room = sizeof buf;
    gchar *inp = (gchar *)in + pos, *outp = buf;
    gsize r = g_iconv(cd, &inp, &left, &outp, &room);
    int saved = errno;
    iconv_out(buf, (gsize) (outp - buf), out);
    pos += offered - left;
    gboolean progress = left < offered || outp > buf;
    gboolean chunk_end = saved == EINVAL && pos + left < len; /* a sequence the chunk cut */
    if (r != (gsize)-1 || (progress && (saved == E2BIG || chunk_end)))
      continue;
    /* EILSEQ, or EINVAL for a sequence cut off by the end of the part */
    gsize skip = MIN(unit, len - pos);
    pos += skip;
    g_string_append_len(out, REPLACEMENT, 3);
    errors++;
    if (strict)
      return errors;
  }
  gchar *outp = buf;
  gsize room = sizeof buf;
  g_iconv(cd, NULL, NULL, &outp, &room); /* ends a UTF-7 base64 run */
  iconv_out(buf, (gsize) (outp - buf), out);
  return errors;
}

static GIConv open_decoder(cs_kind kind, const char *name)
{
  switch (kind) {
  case CS_CP932: return g_iconv_open("UTF-8", "CP932");
  case CS_UTF7: return g_iconv_open("UTF-8", "UTF-7");
  case CS_EUCJP: {
    GIConv cd = g_iconv_open("UTF-8", "EUC-JP-MS");
    return cd != (GIConv)-1 ? cd : g_iconv_open("UTF-8", "EUC-JP");
  }
  default: return g_iconv_open("UTF-8", name);
  }
}

/* Length of the well-formed UTF-8 sequence at P, or 0 with *BAD set to the length of its maximal
 * ill-formed subpart (Unicode ch. 3 "best practice": one U+FFFD per subpart). */
static gsize utf8_seq(const guchar *p, gsize left, gsize *bad)
{
  guchar c = p[0], lo = 0x80, hi = 0xBF; /* allowed range of the next byte */
  gsize need;
  if (c >= 0xC2 && c <= 0xDF) {
    need = 1;
  } else if (c >= 0xE0 && c <= 0xEF) { /* no overlongs (E0), no surrogates (ED) */
    need = 2;
    lo = c == 0xE0 ? 0xA0 : 0x80;
    hi = c == 0xED ? 0x9F : 0xBF;
  } else if (c >= 0xF0 && c <= 0xF4) { /* no overlongs (F0), nothing past U+10FFFF (F4) */
    need = 3;
    lo = c == 0xF0 ? 0x90 : 0x80;
    hi = c == 0xF4 ? 0x8F : 0xBF;
  } else {
    *bad = 1;
    return 0;
  }
  for (gsize i = 1; i <= need; i++) {
    if (i >= left || p[i] < lo || p[i] > hi) {
      *bad = i;
      return 0;
    }
    lo = 0x80;
    hi = 0xBF;
  }
  return need + 1;
}

static gsize utf8_append(const guchar *in, gsize len, gboolean strict, GString *out)
{
  gsize errors = 0, start = 0, i = 0;
  while (i < len) {
    guchar c = in[i];
    /* The common cases first, without a call: ASCII, and the three-byte sequences of Japanese
     * text whose lead byte allows any continuation byte (E1-EF but ED). */
    if (c < 0x80) {
      i++;
      continue;
    }
    if (c >= 0xE1 && c <= 0xEF && c != 0xED && len - i >= 3 && (in[i + 1] & 0xC0) == 0x80 &&
        (in[i + 2] & 0xC0) == 0x80) {
      i += 3;
      continue;
    }
    gsize bad = 0, n = utf8_seq(in + i, len - i, &bad);
    if (n > 0) {
      i += n;
      continue;
    }
    g_string_append_len(out, (const char *)in + start, i - start);
    g_string_append_len(out, REPLACEMENT, 3);
    i += bad;
    start = i;
    errors++;
    if (strict)
      return errors;
  }
  g_string_append_len(out, (const char *)in + start, len - start);
  return errors;
}

/* Windows-1252 by hand: the last resort must not depend on iconv, and glibc rejects the five
 * undefined bytes the same way we do (U+FFFD), rather than passing C1 controls through. */
static const gunichar cp1252_c1[32] = {
  0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
  0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
  0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

static gsize cp1252_append(const guchar *in, gsize len, GString *out)
{
  gsize errors = 0;
  for (gsize i = 0; i < len; i++) {
    gunichar u = in[i] >= 0x80 && in[i] < 0xA0 ? cp1252_c1[in[i] - 0x80] : in[i];
    if (u == 0 && in[i] != 0) {
      g_string_append_len(out, REPLACEMENT, 3);
      errors++;
    } else {
      g_string_append_unichar(out, u);
    }
  }
  return errors;
}

/* ---- ISO-2022-JP read as CP50220.
 * Hand-written because glibc has no CP50220: its ISO-2022-JP rejects NEC row 13 (①, ㈱, Ⅲ) and
 * the NEC-selected IBM rows 89-92 (髙) that Windows clients send every day. Each JIS X 0208 pair
 * becomes its Shift_JIS bytes and CP932 decodes them; JIS X 0212 goes through EUC-JP-MS the same
 * way. Pairs are batched into runs so iconv is called per run, not per character. */

enum { G0_ASCII, G0_KANA, G0_X0208, G0_X0213, G0_X0212, G0_OTHER1, G0_OTHER2 };
enum { ESC_IGNORE = -1, ESC_BAD = -2 };

typedef struct {
  GString *out;
  gsize errors;
  gboolean strict;
  GByteArray *run; /* pending Shift_JIS pairs (run_euc FALSE) or EUC-JP triples */
  gboolean run_euc;
  GIConv cd[2]; /* CP932, EUC-JP-MS: opened on first use */
  gboolean tried[2];
} jis_dec;

static void jis_flush(jis_dec *j)
{
  if (j->run->len == 0)
    return;
  int w = j->run_euc ? 1 : 0;
  gsize unit = j->run_euc ? 3 : 2;
  if (!j->tried[w]) {
    j->cd[w] = open_decoder(j->run_euc ? CS_EUCJP : CS_CP932, NULL);
    j->tried[w] = TRUE;
  }
  if (j->cd[w] != (GIConv)-1) {
    j->errors += iconv_append(j->cd[w], j->run->data, j->run->len, unit, j->strict, j->out);
  } else {
    for (gsize i = 0; i < j->run->len; i += unit, j->errors++)
      g_string_append_len(j->out, REPLACEMENT, 3);
  }
  g_byte_array_set_size(j->run, 0);
}

static void jis_put(jis_dec *j, const char *s, gsize n)
{
  jis_flush(j);
  g_string_append_len(j->out, s, n);
}

static void jis_bad(jis_dec *j)
{
  jis_put(j, REPLACEMENT, 3);
  j->errors++;
}

static void jis_push(jis_dec *j, gboolean euc, const guchar *unit, guint n)
{
  if (j->run_euc != euc)
    jis_flush(j);
  j->run_euc = euc;
  g_byte_array_append(j->run, unit, n);
  if (j->run->len >= JIS_RUN_MAX)
    jis_flush(j);
}

/* JIS X 0213 plane 1 shares JIS X 0208's kanji rows, but its rows 9-12, 14-15 and 85-94 are not
 * what CP932 has there: those would decode to the wrong characters, so they are refused. */
static gboolean x0213_row_in_cp932(guchar a)
{
  return a <= 0x28 || a == 0x2D || (a >= 0x30 && a <= 0x74);
}

/* Decodes the graphic character at P in SET; returns the bytes used. */
static gsize jis_graphic(jis_dec *j, int set, const guchar *p, gsize left)
{
  if (set == G0_ASCII) { /* ESC ( J (JIS Roman) too: Windows reads 0x5C as '\', so do we */
    jis_put(j, (const char *)p, 1);
    return 1;
  }
  if (set == G0_KANA || set == G0_OTHER1) {
    if (set == G0_KANA && p[0] <= 0x5F) {
      char u[8];
      jis_put(j, u, (gsize)g_unichar_to_utf8(0xFF61 + (p[0] - 0x21), u));
    } else {
      jis_bad(j);
    }
    return 1;
  }
  if (left < 2 || p[1] < 0x21 || p[1] > 0x7E) {
    jis_bad(j);
    return 1;
  }
  guchar a = p[0], b = p[1];
  if (set == G0_X0208 || (set == G0_X0213 && x0213_row_in_cp932(a))) {
    guchar sjis[2] = {
      (guchar)(((a + 1) >> 1) + (a <= 0x5E ? 0x70 : 0xB0)),
      (guchar)((a & 1) ? b + (b <= 0x5F ? 0x1F : 0x20) : b + 0x7E),
    };
    jis_push(j, FALSE, sjis, 2);
  } else if (set == G0_X0212) {
    guchar euc[3] = {0x8F, a | 0x80, b | 0x80};
    jis_push(j, TRUE, euc, 3);
  } else {
    jis_bad(j);
  }
  return 2;
}

/* Reads the escape sequence at P (P[0] == ESC); returns its length, or 0 when the part ends inside
 * it, and sets *SET to the G0 set it designates or ESC_IGNORE / ESC_BAD. */
static gsize jis_escape(const guchar *p, gsize left, int *set)
{
  gsize i = 1;
  while (i < left && i < 4 && p[i] >= 0x20 && p[i] <= 0x2F)
    i++;
  if (i >= left)
    return 0;
  guchar f = p[i];
  gsize ni = i - 1; /* intermediate bytes */
  if (f < 0x30 || f > 0x7E) {
    *set = ESC_BAD;
    return 1;
  }
  if (ni == 1 && p[1] == '(')
    *set = (f == 'B' || f == 'J' || f == 'H') ? G0_ASCII : f == 'I' ? G0_KANA : G0_OTHER1;
  else if (ni == 1 && p[1] == '$')
    *set = (f == 'B' || f == '@') ? G0_X0208 : G0_OTHER2;
  else if (ni == 2 && p[1] == '$' && p[2] == '(')
    *set = (f == 'B' || f == '@') ? G0_X0208 : (f == 'Q' || f == 'O') ? G0_X0213
         : f == 'D' ? G0_X0212 : G0_OTHER2;
  else if (ni == 0)
    *set = ESC_BAD; /* ESC N / ESC O single shifts of ISO-2022-JP-2 and other controls */
  else
    *set = ESC_IGNORE; /* designations to G1-G3 and announcers (ESC & @) leave G0 alone */
  if (ni == 0 && (f == 'N' || f == 'O') && i + 1 < left)
    return i + 2; /* the single-shifted character goes with its U+FFFD */
  return i + 1;
}

static gsize jis_append(const guchar *d, gsize len, gboolean strict, GString *out)
{
  jis_dec j = {.out = out, .strict = strict, .run = g_byte_array_new(),
               .cd = {(GIConv)-1, (GIConv)-1}};
  int g0 = G0_ASCII;
  gboolean shifted = FALSE; /* SO .. SI: half-width katakana */
  gsize i = 0;
  while (i < len && !(strict && j.errors > 0)) {
    guchar c = d[i];
    if (c == 0x1B) {
      int set = ESC_BAD;
      gsize n = jis_escape(d + i, len - i, &set);
      if (n == 0 || set == ESC_BAD)
        jis_bad(&j); /* one U+FFFD for a broken or cut-off escape sequence */
      else if (set != ESC_IGNORE)
        g0 = set;
      i += n == 0 ? len - i : n;
    } else if (c == 0x0E || c == 0x0F) {
      shifted = c == 0x0E;
      i++;
    } else if (c >= 0xA1 && c <= 0xDF) { /* 8-bit half-width katakana, as CP50222 writers do */
      guchar k = c - 0x80;
      i += jis_graphic(&j, G0_KANA, &k, 1);
    } else if (c >= 0x80) {
      jis_bad(&j);
      i++;
    } else if (c <= 0x20 || c == 0x7F) { /* controls and space stand for themselves in any set */
      jis_put(&j, (const char *)&c, 1);
      i++;
    } else {
      i += jis_graphic(&j, shifted ? G0_KANA : g0, d + i, len - i);
    }
  }
  jis_flush(&j);
  for (int w = 0; w < 2; w++)
    if (j.cd[w] != (GIConv)-1)
      g_iconv_close(j.cd[w]);
  g_byte_array_unref(j.run);
  return j.errors;
}

/* Decodes D as KIND onto OUT; FALSE (OUT untouched) when this system cannot decode KIND. */
static gboolean decode_as(cs_kind kind, const char *name, const guchar *d, gsize len,
                          gboolean strict, GString *out, gsize *errors)
{
  *errors = 0;
  switch (kind) {
  case CS_UNKNOWN: return FALSE;
  case CS_ASCII:
  case CS_UTF8: *errors = utf8_append(d, len, strict, out); return TRUE;
  case CS_1252: *errors = cp1252_append(d, len, out); return TRUE;
  case CS_JIS: *errors = jis_append(d, len, strict, out); return TRUE;
  default: break;
  }
  GIConv cd = open_decoder(kind, name);
  if (cd == (GIConv)-1)
    return FALSE;
  *errors = iconv_append(cd, d, len, 1, strict, out);
  g_iconv_close(cd);
  return TRUE;
}

static gboolean decodes_cleanly(cs_kind kind, const guchar *d, gsize len, GString *out)
{
  gsize errors;
  g_string_truncate(out, 0);
  return decode_as(kind, NULL, d, len, TRUE, out, &errors) && errors == 0;
}

/* How Japanese a decoding looks. Kana and CJK punctuation are the strong signal; kanji count for
 * less because wrong decodings land there too; half-width katakana and private-use characters are
 * what EUC-JP read as CP932 produces. */
static glong japanese_score(const GString *s)
{
  glong score = 0;
  for (const char *p = s->str, *end = s->str + s->len; p < end; p = g_utf8_next_char(p)) {
    gunichar u = g_utf8_get_char(p);
    if (u >= 0x3000 && u <= 0x30FF)
      score += 2;
    else if (u >= 0x4E00 && u <= 0x9FFF)
      score += 1;
    else if (u >= 0xFF61 && u <= 0xFF9F)
      score -= 1;
    else if (u >= 0xE000 && u <= 0xF8FF)
      score -= 4;
  }
  return score;
}

/* Sniffs D: ISO-2022-JP escapes, then plain ASCII, strict UTF-8, then CP932 against EUC-JP. Writes
 * the text to OUT (emptied first) and returns the charset, or CS_UNKNOWN if none decodes cleanly
 * (OUT then holds a partial attempt for the caller to throw away). */
static cs_kind sniff(const guchar *d, gsize len, const cs_profile *p, GString *out)
{
  /* 7-bit text is always "valid UTF-8", so the escapes must be looked at first. */
  if (p->jis_escape && decodes_cleanly(CS_JIS, d, len, out))
    return CS_JIS;
  if (p->high == 0) /* ISO-2022-JP with errors is left to decode_lossy */
    return !p->jis_escape && decodes_cleanly(CS_ASCII, d, len, out) ? CS_ASCII : CS_UNKNOWN;
  if (decodes_cleanly(CS_UTF8, d, len, out))
    return CS_UTF8;
  GString *euc = g_string_new(NULL);
  gboolean sjis_ok = decodes_cleanly(CS_CP932, d, len, out);
  gboolean euc_ok = decodes_cleanly(CS_EUCJP, d, len, euc);
  cs_kind k = CS_UNKNOWN;
  if (euc_ok && (!sjis_ok || japanese_score(euc) > japanese_score(out))) {
    g_string_truncate(out, 0);
    g_string_append_len(out, euc->str, euc->len);
    k = CS_EUCJP;
  } else if (sjis_ok) {
    k = CS_CP932; /* ties go to CP932: it is what most Japanese mail is */
  }
  g_string_free(euc, TRUE);
  return k;
}

/* Nothing decodes cleanly and no label helps: take the reading with the fewest errors if it fails
 * on under a quarter of the 8-bit bytes (a truncated Shift_JIS mail stays Japanese), else read it
 * as Windows-1252, which decodes almost every byte. */
static cs_kind decode_lossy(const guchar *d, gsize len, const cs_profile *p, GString *out,
                            gsize *errors)
{
  g_string_truncate(out, 0);
  if (p->jis_escape) {
    decode_as(CS_JIS, NULL, d, len, FALSE, out, errors);
    return CS_JIS;
  }
  static const cs_kind tries[] = {CS_UTF8, CS_CP932, CS_EUCJP};
  cs_kind best = CS_1252;
  gsize best_errors = G_MAXSIZE, e;
  for (gsize i = 0; i < G_N_ELEMENTS(tries); i++) {
    g_string_truncate(out, 0);
    if (decode_as(tries[i], NULL, d, len, FALSE, out, &e) && e < best_errors && e * 4 < p->high) {
      best = tries[i];
      best_errors = e;
    }
  }
  g_string_truncate(out, 0); /* this rare path may decode twice; the common ones never do */
  decode_as(best, NULL, d, len, FALSE, out, errors);
  return best;
}

/* Whether the label deserves a second look: it failed, or it is ASCII-compatible while the text
 * carries ISO-2022-JP escapes, or it says Latin-1 over 8-bit data (often UTF-8 in fact). */
static gboolean label_doubtful(cs_kind kind, gsize errors, const cs_profile *p)
{
  if (errors > 0)
    return TRUE;
  if (p->jis_escape && kind != CS_JIS && kind != CS_UTF7 && kind != CS_ICONV)
    return TRUE;
  return kind == CS_1252 && p->high > 0;
}

/* A label is overruled only by strong evidence: ISO-2022-JP escapes or valid 8-bit UTF-8, or a
 * clean CP932/EUC-JP reading when the label failed on at least a quarter of the 8-bit bytes (one
 * corrupt byte in a long UTF-8 text must not turn all of it into CP932 mojibake). */
static gboolean overrules(cs_kind k, cs_kind declared, gsize errors, const cs_profile *p)
{
  if (k == CS_UNKNOWN || k == CS_ASCII || k == declared)
    return FALSE;
  if (k == CS_JIS || k == CS_UTF8)
    return TRUE;
  return errors > 0 && errors * 4 >= p->high;
}

/* Decodes with the label, sniffing only if the label looks wrong. CS_UNKNOWN: label unusable. */
static cs_kind decode_declared(const cs_label *lab, const guchar *d, gsize len,
                               const cs_profile *p, GString **out, gsize *errors,
                               gboolean *detected)
{
  if (!decode_as(lab->kind, lab->name, d, len, FALSE, *out, errors))
    return CS_UNKNOWN;
  if (!label_doubtful(lab->kind, *errors, p))
    return lab->kind;
  GString *alt = g_string_sized_new((*out)->len + 16);
  cs_kind k = sniff(d, len, p, alt);
  /* A Latin-1 label never fails, so over Shift_JIS or EUC-JP it would give mojibake without an
   * error: a clean Japanese reading that looks Japanese (half a point per 8-bit byte: kana and
   * kanji, not the half-width katakana and private-use characters a Latin text would turn into)
   * is taken instead. */
  gboolean japanese = lab->kind == CS_1252 && (k == CS_CP932 || k == CS_EUCJP) &&
                      japanese_score(alt) * 2 >= (glong) p->high;
  if (japanese || overrules(k, lab->kind, *errors, p)) {
    GString *tmp = *out;
    *out = alt;
    alt = tmp;
    *errors = 0;
    *detected = TRUE;
  } else {
    k = lab->kind;
  }
  g_string_free(alt, TRUE);
  return k;
}

/* A U+0000 would silently cut the text short for every caller that treats it as a C string
 * (headers, html2text, logs), and text/plain has no business carrying one: it becomes U+FFFD. */
static gsize replace_nul(GString **s)
{
  const char *p = (*s)->str, *end = p + (*s)->len;
  if (memchr(p, '\0', (*s)->len) == NULL)
    return 0;
  GString *clean = g_string_sized_new((*s)->len + 16);
  gsize n = 0;
  for (const char *z; (z = memchr(p, '\0', (gsize)(end - p))) != NULL; p = z + 1, n++) {
    g_string_append_len(clean, p, z - p);
    g_string_append_len(clean, REPLACEMENT, 3);
  }
  g_string_append_len(clean, p, end - p);
  g_string_free(*s, TRUE);
  *s = clean;
  return n;
}

char *mugai_charset_to_utf8(const char *label, const char *data, gsize len, gsize *out_len,
                            mugai_charset_info *info)
{
  const guchar *d = (const guchar *)data;
  if (d == NULL) { /* no bytes: never offset a NULL pointer, even by 0 */
    d = (const guchar *)"";
    len = 0;
  }
  cs_label lab;
  cs_profile p;
  parse_label(label, &lab);
  profile_data(d, len, &p);
  GString *out = g_string_sized_new(MIN(len, (gsize)1 << 20) + 16);
  gsize errors = 0;
  gboolean detected = FALSE;
  cs_kind used = CS_UNKNOWN;
  if (lab.kind != CS_ASCII && lab.kind != CS_UNKNOWN)
    used = decode_declared(&lab, d, len, &p, &out, &errors, &detected);
  if (used == CS_UNKNOWN) { /* no label, us-ascii, or one we cannot use */
    used = sniff(d, len, &p, out);
    if (used == CS_UNKNOWN)
      used = decode_lossy(d, len, &p, out, &errors);
    detected = !(used == CS_ASCII && lab.kind == CS_ASCII);
  }
  errors += replace_nul(&out);
  if (info != NULL) {
    info->used = used == CS_ICONV ? other_name(lab.name) : kind_names[used];
    info->detected = detected;
    info->replacements = errors;
  }
  if (out_len != NULL)
    *out_len = out->len;
  return g_string_free(out, FALSE);
}

/* ---- HTML <meta> prescan (a bounded cut of the WHATWG algorithm) */

typedef struct {
  const guchar *p;
  gsize n;
} span;

static gboolean html_space(guchar c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static gboolean span_is(span s, const char *word)
{
  return s.p != NULL && s.n == strlen(word) &&
         g_ascii_strncasecmp((const char *)s.p, word, s.n) == 0;
}

/* The charset name in S (quotes, spaces trimmed) if it looks like one; hostile pages get NULL. */
static char *charset_token(span s)
{
  while (s.n > 0 && (html_space(s.p[0]) || s.p[0] == '"' || s.p[0] == '\''))
    s.p++, s.n--;
  gsize n = 0;
  while (n < s.n && name_char((char)s.p[n]))
    n++;
  if (n < s.n && !html_space(s.p[n]) && s.p[n] != '"' && s.p[n] != '\'' && s.p[n] != ';')
    return NULL; /* "utf-8/../x" is not a name with junk after it, it is junk */
  return n > 0 && n <= LABEL_MAX ? g_strndup((const char *)s.p, n) : NULL;
}

/* "text/html; charset=X" → X */
static char *charset_from_content(span c)
{
  for (gsize i = 0; i + 7 <= c.n; i++) {
    if (g_ascii_strncasecmp((const char *)c.p + i, "charset", 7) != 0)
      continue;
    gsize k = i + 7;
    while (k < c.n && html_space(c.p[k]))
      k++;
    if (k < c.n && c.p[k] == '=')
      return charset_token((span){c.p + k + 1, c.n - k - 1});
  }
  return NULL;
}

/* Reads one attribute at *I; FALSE at the end of the tag. Always advances. */
static gboolean next_attr(const guchar *d, gsize end, gsize *i, span *name, span *value)
{
  gsize k = *i, s;
  while (k < end && (html_space(d[k]) || d[k] == '/'))
    k++;
  if (k >= end || d[k] == '>') {
    *i = k;
    return FALSE;
  }
  for (s = k; k < end && !html_space(d[k]) && d[k] != '/' && d[k] != '>' && d[k] != '='; k++) {}
  *name = (span){d + s, k - s};
  *value = (span){NULL, 0};
  while (k < end && html_space(d[k]))
    k++;
  if (k < end && d[k] == '=') {
    for (k++; k < end && html_space(d[k]); k++) {}
    guchar q = k < end && (d[k] == '"' || d[k] == '\'') ? d[k++] : 0;
    for (s = k; k < end && (q ? d[k] != q : !html_space(d[k]) && d[k] != '>'); k++) {}
    if (k < end) /* a value cut off by the window end is not trusted */
      *value = (span){d + s, k - s};
    if (q && k < end)
      k++;
  }
  *i = k;
  return TRUE;
}

static char *meta_charset(const guchar *d, gsize end, gsize *i)
{
  span name, value, charset = {NULL, 0}, content = {NULL, 0};
  gboolean pragma = FALSE;
  while (next_attr(d, end, i, &name, &value)) {
    if (span_is(name, "charset") && charset.p == NULL)
      charset = value;
    else if (span_is(name, "http-equiv"))
      pragma = span_is(value, "content-type");
    else if (span_is(name, "content") && content.p == NULL)
      content = value;
  }
  if (charset.p != NULL)
    return charset_token(charset);
  return pragma && content.p != NULL ? charset_from_content(content) : NULL;
}

char *mugai_html_sniff_charset(const char *data, gsize len)
{
  const guchar *d = (const guchar *)data;
  gsize end = MIN(len, SNIFF_WINDOW), i = 0;
  if (d == NULL)
    return NULL;
  while (i < end) {
    const guchar *lt = memchr(d + i, '<', end - i);
    if (lt == NULL)
      return NULL;
    i = (gsize)(lt - d);
    if (end - i >= 4 && memcmp(d + i, "<!--", 4) == 0) { /* a commented-out meta does not count */
      const guchar *close = memmem(d + i + 4, end - i - 4, "-->", 3);
      if (close == NULL)
        return NULL;
      i = (gsize)(close - d) + 3;
    } else if (end - i > 5 && g_ascii_strncasecmp((const char *)d + i, "<meta", 5) == 0 &&
               (html_space(d[i + 5]) || d[i + 5] == '/')) {
      i += 5;
      char *cs = meta_charset(d, end, &i);
      if (cs != NULL)
        return cs;
    } else {
      i++;
    }
  }
  return NULL;
}
