/* passwords.c — the passwords a PPAP "password mail" gives, and their masking (see passwords.h).
 *
 * One pass over the text, one character at a time: each character is folded on its own (ASCII
 * lower case, full-width ASCII to ASCII, half-width katakana with its sound mark to full-width,
 * white space to ' '), so every offset stays a byte offset in the original text and no
 * normalised copy of a 16 MB text is made. Each marker found costs a bounded amount of work
 * (separators, one token, two following lines), the runs a token is cut from and the line ends
 * are remembered, and no more than MARKERS_MAX markers are read: time stays linear in the text
 * however markers are packed into it.
 * Owns nothing past a call; never logs, never looks at anything but the text it is given.
 */
#include "sanitize/passwords.h"

#include <string.h>

#define MIN_CHARS 4          /* "the", "and", "は" and the like; PINs and zip passwords have 4+ */
#define SEP_MAX 16           /* separator characters read between a marker and its token */
#define NOTE_MAX 16          /* characters of a "(半角)" note skipped after a marker */
#define ANNOUNCE_BYTES 96    /* how far "下記の通り" / "below" is looked for after a marker */
#define NEXT_LINE_MAX 256    /* a longer following line is prose, not a password alone */
#define NEXT_LINES 2         /* non-empty lines read after the marker's line */
#define BLANK_LINES 2        /* blank lines skipped on the way */
#define OCCURRENCES_MAX 4096 /* marker spans mugai_password_mask_all() masks */
#define MARKERS_MAX 1000     /* markers read per text: a password mail has a handful */

typedef struct {
  const char *folded; /* lower case, full-width katakana; ー stands for any dash */
  gboolean latin;     /* needs a non-letter either side and an explicit separator */
} Marker;

/* Longest first where one is a prefix of another: the first match is the longest. */
static const Marker markers[] = {
    {"passphrase", TRUE},
    {"password", TRUE},
    {"passcode", TRUE},
    {"passwd", TRUE},
    {"pass", TRUE},
    {"pwd", TRUE},
    {"pw", TRUE},
    {"p/w", TRUE},
    {"pinコード", TRUE},
    {"pin番号", TRUE},
    {"pin", TRUE},
    {"パスワード", FALSE},
    {"パスフレーズ", FALSE},
    {"パスコード", FALSE},
    {"暗証番号", FALSE},
    {"暗証コード", FALSE},
    {"解凍パスワード", FALSE},
    {"解凍キー", FALSE},
    {"解凍コード", FALSE},
    {"解凍用", FALSE},
    {"密码", FALSE},
    {"密碼", FALSE},
};

/* Lower-case English words that follow "password is" / "PW:" in prose, never as the password. */
static const char *const stop_words[] = {
    "below",    "above",     "attached", "following", "follows", "sent", "separately", "reset",
    "required", "protected", "expired",  "changed",   "here",    "same", "later",      "unknown",
    "none",     "null",      "please",   "your",      "this",    "that", "will",
};

/* Announce that the password stands on a following line. */
static const char *const announce_words[] = {"下記", "以下", "次の", "below", "follow"};

typedef gboolean (*EmitFn)(void *ctx, gsize offset, gsize length, const char *password);

typedef struct {
  const char *text, *end;
  EmitFn emit;
  void *ctx;
  gboolean stop;
  const char *run_from,
      *run_end; /* a token run already measured: from run_from on it ends at run_end */
  const char *line_from, *line_end;  /* the '\n' (or end) after line_from */
  const char *looked_after;          /* the line end whose following lines were read */
  const char *quiet_from, *quiet_to; /* no announcing word starts in between */
  guint markers;
} Scan;

static gboolean
is_space(gunichar c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == 0 || c == 0xA0 ||
         (c >= 0x2000 && c <= 0x200B) || c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

/* Half-width katakana U+FF61..U+FF9F as NFKC writes them (with no allocation per character). */
static const guint16 half_width[] = {
    0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5, 0x30A7, 0x30A9,
    0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4, 0x30A6, 0x30A8, 0x30AA, 0x30AB,
    0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5, 0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1,
    0x30C4, 0x30C6, 0x30C8, 0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5,
    0x30D8, 0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8, 0x30E9,
    0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x3099, 0x309A,
};

/* ﾊﾟ is two characters for one パ: the sound mark after C (at *PP) is composed with it, as
 * NFKC does, where a composed character exists. */
static gunichar
fold_half_width(gunichar c, const char **pp, const char *end)
{
  gunichar full = half_width[c - 0xFF61];
  const char *n = *pp;
  if (end - n < 3 || (guchar) n[0] != 0xEF || (guchar) n[1] != 0xBE)
    return full;
  gboolean ha = full >= 0x30CF && full <= 0x30DB && (full - 0x30CF) % 3 == 0; /* ハヒフヘホ */
  gboolean voiced = ha || (full >= 0x30AB && full <= 0x30C2 && full % 2 == 1) ||
                    (full >= 0x30C4 && full <= 0x30C8 && full % 2 == 0); /* カ..チ, ツテト */
  if ((guchar) n[2] == 0x9E && (voiced || full == 0x30A6 || full == 0x30EF || full == 0x30F2)) {
    *pp = n + 3; /* ｳﾞ ﾜﾞ ｦﾞ are ヴ ヷ ヺ */
    return full == 0x30A6 ? 0x30F4 : full == 0x30EF ? 0x30F7 : full == 0x30F2 ? 0x30FA : full + 1;
  }
  if ((guchar) n[2] == 0x9F && ha) {
    *pp = n + 3;
    return full + 2;
  }
  return full;
}

/* The character at *PP folded as described above; *PP moves past it (and past a half-width
 * sound mark it absorbed). '\n' stays '\n'. */
static gunichar
fold(const char **pp, const char *end)
{
  const char *p = *pp;
  guchar b = (guchar) *p;
  if (b < 0x80) {
    *pp = p + 1;
    return b != '\n' && is_space(b) ? ' ' : (gunichar) g_ascii_tolower((gchar) b);
  }
  gunichar c = g_utf8_get_char(p);
  const char *next = g_utf8_next_char(p);
  *pp = next;
  /* ，and ．are Japanese punctuation here: they end a token rather than join it. */
  if (c >= 0xFF01 && c <= 0xFF5E && c != 0xFF0C && c != 0xFF0E)
    return (gunichar) g_ascii_tolower((gchar) (c - 0xFEE0));
  if (c >= 0xFF61 && c <= 0xFF9F)
    return fold_half_width(c, pp, end);
  return is_space(c) ? ' ' : c;
}

static gboolean
is_dash(gunichar c)
{
  return c == '-' || c == 0x30FC || (c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0x2500;
}

static gboolean
is_latin_letter(gunichar c)
{
  return c < 0x80 && g_ascii_isalpha((gchar) c);
}

/* Printable ASCII after folding: what a password is made of. */
static gboolean
is_token_char(gunichar c)
{
  return c > 0x20 && c < 0x7F;
}

static gunichar
closer_for(gunichar c)
{
  switch (c) {
  case '(':
    return ')';
  case '[':
    return ']';
  case '<':
    return '>';
  case '"':
    return '"';
  case '\'':
    return '\'';
  case 0x300C:
    return 0x300D; /* 「」 */
  case 0x300E:
    return 0x300F; /* 『』 */
  case 0x3010:
    return 0x3011; /* 【】 */
  case 0x3014:
    return 0x3015; /* 〔〕 */
  case 0x300A:
    return 0x300B; /* 《》 */
  case 0x3008:
    return 0x3009; /* 〈〉 */
  case 0x201C:
    return 0x201D; /* “” */
  case 0x2018:
    return 0x2019; /* ‘’ */
  default:
    return 0;
  }
}

/* A closing bracket after a marker: "【パスワード】abc", "[PW] abc". */
static gboolean
is_closer(gunichar c)
{
  return c == ')' || c == ']' || c == '>' || c == 0x300D || c == 0x300F || c == 0x3011 ||
         c == 0x3015 || c == 0x300B || c == 0x3009;
}

/* Does MARKER's folded text match at P? *AFTER past it. */
static gboolean
marker_matches(const Marker *m, const char *p, const char *end, const char **after)
{
  for (const char *k = m->folded; *k; k = g_utf8_next_char(k)) {
    if (p >= end)
      return FALSE;
    gunichar want = g_utf8_get_char(k);
    gunichar got = fold(&p, end);
    if (want == 0x30FC ? !is_dash(got) : got != want)
      return FALSE;
  }
  *after = p;
  return TRUE;
}

/* The marker at P (FIRST its first character folded, PREV the one before it), or NULL. */
static const Marker *
marker_at(const char *p, const char *end, gunichar first, gunichar prev, const char **after)
{
  if (first != 'p' && first != 0x30D1 && first != 0x6697 && first != 0x89E3 && first != 0x5BC6)
    return NULL; /* p, パ, 暗, 解, 密: most characters stop here */
  if (first == 'p' && is_latin_letter(prev))
    return NULL; /* every marker starting with p is Latin, a word of its own */
  if (first == 'p') { /* pa.., pw.., p/w, pi..: not "please", "product", "http" */
    const char *n = p;
    fold(&n, end);
    gunichar second = n < end ? fold(&n, end) : 0;
    if (second != 'a' && second != 'w' && second != '/' && second != 'i')
      return NULL;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(markers); i++) {
    const Marker *m = &markers[i];
    if (g_utf8_get_char(m->folded) != first || !marker_matches(m, p, end, after))
      continue;
    if (!m->latin)
      return m;
    /* "compass", "passage", "PWM": a Latin marker is a word of its own. */
    const char *n = *after;
    if (n < end && is_latin_letter(fold(&n, end)))
      continue;
    return m;
  }
  return NULL;
}

/* The '\n' ending the line P is in (or END); remembered, so markers along one line are cheap. */
static const char *
line_end(Scan *s, const char *p)
{
  if (s->line_end && p >= s->line_from && p <= s->line_end)
    return s->line_end;
  const char *nl = memchr(p, '\n', (gsize) (s->end - p));
  s->line_from = p;
  s->line_end = nl ? nl : s->end;
  return s->line_end;
}

/* Past the token characters from P. */
static const char *
run_end(Scan *s, const char *p)
{
  if (s->run_end && p >= s->run_from && p < s->run_end)
    return s->run_end;
  const char *q = p;
  while (q < s->end) {
    const char *n = q;
    if (!is_token_char(fold(&n, s->end)))
      break;
    q = n;
  }
  s->run_from = p;
  s->run_end = q;
  return q;
}

typedef struct {
  const char *at;     /* where the token (or the line end) starts; NULL: separators went on */
  gunichar prev;      /* the folded character before AT */
  gboolean explicit_; /* ':', '=', 'は', "is", an arrow or a closing bracket among them */
} Seps;

/* After "パスワード(半角)" or "（英数字）": a note that is not ASCII is skipped like a
 * separator; a parenthesis of ASCII is the password itself ("PW (abc123)"). P is past the '('. */
static const char *
skip_note(const char *p, const char *end)
{
  gboolean note = FALSE;
  for (int n = 0; n < NOTE_MAX && p < end; n++) {
    gunichar c = fold(&p, end);
    if (c == ')' || c == '\n')
      return c == ')' && note ? p : NULL;
    if (!is_token_char(c) && c != ' ')
      note = TRUE;
  }
  return NULL;
}

static Seps
skip_separators(const char *p, const char *end)
{
  Seps r = {NULL, 0, FALSE};
  for (int n = 0; n <= SEP_MAX; n++) {
    if (p >= end) {
      r.at = p;
      return r;
    }
    const char *q = p;
    gunichar c = fold(&q, end);
    if (c == ' ' || c == 0x3001) { /* 、 as in "パスワードは、abc" */
    } else if (c == ':' || c == '=' || c == 0x306F || c == 0x2192 || c == 0x21D2 || is_closer(c)) {
      r.explicit_ = TRUE; /* は, →, ⇒, "】" of "【PW】" */
    } else if (c == '-' && q < end && *q == '>') {
      q++;
      r.explicit_ = TRUE;
    } else if (c == 'i' && end - q >= 2 && (*q == 's' || *q == 'S') &&
               (q[1] == ' ' || q[1] == ':')) {
      q++; /* "password is abc" (only after a space: a Latin marker is never followed by a letter)
            */
      r.explicit_ = TRUE;
    } else if (c == '(' && (q = skip_note(q, end)) != NULL) {
    } else {
      r.at = p;
      return r;
    }
    r.prev = c;
    p = q;
  }
  return r; /* more separators than anyone types: no token */
}

typedef struct {
  const char *start, *end; /* the token's bytes */
  const char *after;       /* past its closing bracket, if any */
  gboolean bracketed;
} Token;

typedef enum { INSIDE_FOUND, INSIDE_REJECT, INSIDE_NO_CLOSER } Inside;

/* The inside of a bracket opened just before P, up to CLOSER on the same line. Spaces inside are
 * part of the password ("「p@ss w0rd」"), except where STRICT; anything not ASCII ("「別途」")
 * rejects it. */
static Inside
read_inside(const char *p, const char *end, gunichar closer, gboolean strict, Token *t)
{
  for (int n = 0; n < SEP_MAX && p < end; n++) {
    const char *q = p;
    if (fold(&q, end) != ' ')
      break;
    p = q;
  }
  t->start = p;
  const char *last = p; /* past the last character that is not a space */
  /* Bounded by what is read, not by what is kept: a line of spaces costs no more. */
  while (p < end && (gsize) (p - t->start) <= MUGAI_PASSWORD_MAX_BYTES + 3 * SEP_MAX) {
    const char *q = p;
    gunichar c = fold(&q, end);
    if (c == closer) {
      if (last == t->start)
        return INSIDE_REJECT; /* "「」" */
      t->end = last;
      t->after = q;
      t->bracketed = TRUE;
      return INSIDE_FOUND;
    }
    if (c == '\n')
      return INSIDE_NO_CLOSER;
    if (*p == ' ' || g_utf8_get_char(p) == 0x3000) {
      if (strict)
        return INSIDE_REJECT;
    } else if (is_token_char(c)) {
      last = q;
    } else {
      return INSIDE_REJECT; /* prose, a tab, a NUL */
    }
    p = q;
  }
  return p >= end ? INSIDE_NO_CLOSER : INSIDE_REJECT;
}

/* The token at P (PREV folded before it). STRICT (a Latin marker without ':' or the like): only
 * a bracketed one, so "pass the file" gives nothing. */
static gboolean
read_token(Scan *s, const char *p, gunichar prev, gboolean strict, Token *t)
{
  const char *q = p;
  gunichar c = fold(&q, s->end);
  gunichar closer = closer_for(c);
  if (closer) {
    Inside in = read_inside(q, s->end, closer, strict, t);
    if (in != INSIDE_NO_CLOSER)
      return in == INSIDE_FOUND;
    if (strict)
      return FALSE;
    prev = c; /* an opener without its closer: the token starts after it */
    p = q;
  } else if (strict) {
    return FALSE;
  }
  if (p >= s->end)
    return FALSE; /* "【" was the text's last character */
  /* "パスワード PW: abc": the token is the next marker's, not this one's. */
  const char *after;
  q = p;
  c = fold(&q, s->end);
  if (marker_at(p, s->end, c, prev, &after) && after < s->end && (*after == ':' || *after == '='))
    return FALSE;
  t->start = p;
  t->end = t->after = run_end(s, p);
  t->bracketed = FALSE;
  return t->end > p;
}

/* Is PW (the NFKC form of a token) a password? Each rule drops what follows a marker in prose. */
static gboolean
acceptable(const char *pw)
{
  gsize n = strlen(pw);
  if (n < MIN_CHARS)
    return FALSE;
  gboolean alnum = FALSE;
  for (const char *p = pw; *p; p++) {
    if ((guchar) *p < 0x20 || (guchar) *p >= 0x7F)
      return FALSE; /* NFKC left something not ASCII: a password is typed in ASCII */
    alnum |= g_ascii_isalnum(*p);
  }
  if (!alnum)
    return FALSE; /* "--------", "***", "...": rules and ellipses */
  /* "パスワード再設定: https://...": a link to a form, not a password. */
  static const char *const url[] = {"http:", "https:", "ftp:", "www.", "mailto:"};
  for (gsize i = 0; i < G_N_ELEMENTS(url); i++)
    if (g_ascii_strncasecmp(pw, url[i], strlen(url[i])) == 0)
      return FALSE;
  if (strstr(pw, "://"))
    return FALSE;
  while (n > 0 && strchr(".,;:!?", pw[n - 1]))
    n--; /* "is below." */
  for (gsize i = 0; i < G_N_ELEMENTS(stop_words); i++)
    if (n == strlen(stop_words[i]) && g_ascii_strncasecmp(pw, stop_words[i], n) == 0)
      return FALSE;
  return TRUE;
}

/* Offer START..END as a candidate, and its ASCII form when it has full-width characters. */
static gboolean
emit_token(Scan *s, const char *start, const char *end)
{
  gsize n = (gsize) (end - start);
  if (n == 0 || n > MUGAI_PASSWORD_MAX_BYTES)
    return FALSE;
  g_autofree char *ascii = g_utf8_normalize(start, (gssize) n, G_NORMALIZE_NFKC);
  if (!ascii || !acceptable(ascii))
    return FALSE;
  g_autofree char *raw = g_strndup(start, n);
  gsize offset = (gsize) (start - s->text);
  if (!s->emit(s->ctx, offset, n, raw) ||
      (strcmp(raw, ascii) != 0 && !s->emit(s->ctx, offset, n, ascii)))
    s->stop = TRUE;
  return TRUE;
}

/* Would the last character of a plain token more likely be the sentence's ("PW: abc123.",
 * "(PW: abc123)")? Then the token without it is offered first, and the whole token after it:
 * a password may end in "." too, and trying one more costs one more try. */
static gboolean
trims(const char *start, const char *end)
{
  char last = end[-1];
  if (strchr(".,;:", last))
    return TRUE;
  if (last == ')' || last == ']')
    return memchr(start, last == ')' ? '(' : '[', (gsize) (end - start)) == NULL;
  return FALSE;
}

static gboolean
emit_forms(Scan *s, const Token *t)
{
  if ((gsize) (t->end - t->start) > MUGAI_PASSWORD_MAX_BYTES + 1)
    return FALSE;
  gboolean any = FALSE;
  if (!t->bracketed && t->end - t->start > 1 && trims(t->start, t->end))
    any = emit_token(s, t->start, t->end - 1);
  if (!s->stop)
    any |= emit_token(s, t->start, t->end);
  return any;
}

static gboolean
only_spaces(const char *p, const char *end)
{
  while (p < end)
    if (fold(&p, end) != ' ')
      return FALSE;
  return TRUE;
}

/* "パスワードは下記の通りです。\n\nAbc123": the password alone on one of the NEXT_LINES
 * non-empty lines after the line ending at NL, past at most BLANK_LINES blank ones; a quoting
 * "> " before it is skipped. Read once per line however many markers it has. */
static void
next_lines(Scan *s, const char *nl)
{
  if (nl >= s->end || nl == s->looked_after)
    return;
  s->looked_after = nl;
  const char *p = nl + 1;
  guint blanks = 0, lines = 0;
  while (p < s->end && lines < NEXT_LINES) {
    gsize room = MIN((gsize) (s->end - p), (gsize) NEXT_LINE_MAX + 1);
    const char *eol = memchr(p, '\n', room);
    if (!eol && room > NEXT_LINE_MAX)
      return;
    if (!eol)
      eol = s->end;
    const char *a = p;
    gunichar prev = ' ';
    while (a < eol) {
      const char *q = a;
      gunichar c = fold(&q, eol);
      if (c != ' ' && c != '>')
        break;
      prev = c;
      a = q;
    }
    Token t;
    if (a == eol) {
      if (++blanks > BLANK_LINES)
        return;
    } else if (++lines, read_token(s, a, prev, FALSE, &t) && only_spaces(t.after, eol) &&
                            emit_forms(s, &t)) {
      return;
    }
    if (eol == s->end)
      return;
    p = eol + 1;
  }
}

static gboolean
announce_word_at(const char *p, const char *eol)
{
  for (gsize i = 0; i < G_N_ELEMENTS(announce_words); i++) {
    gsize n = strlen(announce_words[i]);
    if ((gsize) (eol - p) >= n && g_ascii_strncasecmp(p, announce_words[i], n) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Does the rest of the marker's line say the password follows ("下記の通り", "below")? Where no
 * word starts is remembered, so markers packed into a line do not read the same bytes again. */
static gboolean
announces(Scan *s, const char *p, const char *eol)
{
  const char *stop = p + MIN((gsize) (eol - p), (gsize) ANNOUNCE_BYTES);
  const char *q = p;
  if (s->quiet_to && p >= s->quiet_from && p <= s->quiet_to)
    q = s->quiet_to;
  else
    s->quiet_from = p;
  for (; q < stop; q++)
    if (announce_word_at(q, eol))
      return TRUE;
  s->quiet_to = MAX(q, s->quiet_from);
  return FALSE;
}

static void
after_marker(Scan *s, const Marker *m, const char *after)
{
  Seps sep = skip_separators(after, s->end);
  if (!sep.at)
    return;
  const char *p = sep.at;
  if (p == s->end || *p == '\n') {
    next_lines(s, p); /* "パスワード：\n  Abc123" */
    return;
  }
  Token t;
  if (read_token(s, p, sep.prev, m->latin && !sep.explicit_, &t) && emit_forms(s, &t))
    return;
  const char *eol = line_end(s, p);
  if (announces(s, p, eol))
    next_lines(s, eol);
}

/* Where a marker may start at or after P: the bytes of p/P, ｐ/Ｐ, パ, ﾊ, 暗, 解, 密 (the first
 * characters markers fold from). A table lookup a byte: most of a text is passed over without
 * folding a character, which is what reading every inbound mail costs (bench_passwords). */
static const char *
next_start(const char *p, const char *end)
{
  while (p < end) {
    guchar b = (guchar) *p;
    if (b < 0x80) {
      if (b == 'p' || b == 'P')
        return p;
      p++;
      continue;
    }
    /* The text is valid UTF-8 (valid_text()): step a whole character at a time. */
    gsize n = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    if (n == 3 && end - p >= 3) {
      guchar b1 = (guchar) p[1], b2 = (guchar) p[2];
      if ((b == 0xE3 && b1 == 0x83 && b2 == 0x91) || (b == 0xE6 && b1 == 0x9A && b2 == 0x97) ||
          (b == 0xE8 && b1 == 0xA7 && b2 == 0xA3) || (b == 0xE5 && b1 == 0xAF && b2 == 0x86) ||
          (b == 0xEF && ((b1 == 0xBC && b2 == 0xB0) || (b1 == 0xBD && b2 == 0x90) ||
                         (b1 == 0xBE && b2 == 0x8A))))
        return p;
    }
    p += MIN(n, (gsize) (end - p));
  }
  return end;
}

/* The character before P, folded (' ' at the start of the text). */
static gunichar
folded_before(const Scan *s, const char *p)
{
  const char *start = p > s->text ? g_utf8_find_prev_char(s->text, p) : NULL;
  return start ? fold(&start, s->end) : ' ';
}

static void
scan(Scan *s)
{
  gunichar prev = ' ';
  const char *p = s->text;
  while (p < s->end && !s->stop) {
    const char *skip = next_start(p, s->end);
    if (skip != p) {
      if (skip == s->end)
        return;
      prev = folded_before(s, skip);
      p = skip;
    }
    const char *q = p, *after;
    gunichar c = fold(&q, s->end);
    const Marker *m = marker_at(p, s->end, c, prev, &after);
    if (m) {
      if (++s->markers > MARKERS_MAX)
        return; /* packed markers are no password mail: linear time however they are packed */
      after_marker(s, m, after);
      prev = m->latin ? 'a' : 0x30C9; /* the marker's own last letter, as far as words go */
      p = after; /* not past the token: "解凍用パスワード" has two markers */
    } else {
      prev = c;
      p = q;
    }
  }
}

/* NUL bytes are allowed (read as white space, never part of a password); g_utf8_validate_len()
 * refuses them, so the runs between them are checked one by one. */
static gboolean
valid_text(const char *text, gsize len)
{
  const char *p = text, *end = text + len;
  while (p < end) {
    const char *nul = memchr(p, '\0', (gsize) (end - p));
    const char *stop = nul ? nul : end;
    if (!g_utf8_validate_len(p, (gsize) (stop - p), NULL))
      return FALSE;
    p = nul ? nul + 1 : end;
  }
  return TRUE;
}

typedef struct {
  GPtrArray *out;
  GHashTable *seen; /* each password once; NULL when collecting the occurrences of ONLY */
  const char *only;
  guint max;
} Collect;

static gboolean
collect(void *ctx, gsize offset, gsize length, const char *password)
{
  Collect *c = ctx;
  if (c->only ? strcmp(password, c->only) != 0 : g_hash_table_contains(c->seen, password))
    return TRUE;
  if (c->seen)
    g_hash_table_add(c->seen, g_strdup(password));
  mugai_password_candidate *cand = g_new0(mugai_password_candidate, 1);
  cand->offset = offset;
  cand->length = length;
  cand->password = g_strdup(password);
  g_ptr_array_add(c->out, cand);
  return c->out->len < c->max;
}

static GPtrArray *
find(const char *text, gsize len, guint max, const char *only)
{
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_password_candidate_free);
  if (text == NULL || max == 0 || !valid_text(text, len))
    return out;
  g_autoptr(GHashTable) seen =
      only ? NULL : g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Collect c = {out, seen, only, max};
  Scan s = {.text = text, .end = text + len, .emit = collect, .ctx = &c};
  scan(&s);
  return out;
}

void
mugai_password_candidate_free(mugai_password_candidate *c)
{
  if (c == NULL)
    return;
  g_free(c->password);
  g_free(c);
}

GPtrArray *
mugai_password_candidates(const char *text, gsize len, guint max)
{
  return find(text, len, max, NULL);
}

typedef struct {
  gsize from, to;
} Span;

static gint
span_cmp(gconstpointer a, gconstpointer b)
{
  const Span *x = a, *y = b;
  return x->from < y->from ? -1 : x->from > y->from;
}

static void
add_span(GArray *spans, const GString *text, gsize offset, gsize length)
{
  if (length == 0 || length > text->len || offset > text->len - length)
    return; /* not a span of this text: nothing to mask */
  Span sp = {offset, offset + length};
  g_array_append_val(spans, sp);
}

/* Replace SPANS of TEXT with the mask in one pass (overlapping ones as one): the count. */
static guint
replace_spans(GString *text, GArray *spans)
{
  g_array_sort(spans, span_cmp);
  GString *out = g_string_sized_new(text->len);
  gsize at = 0;
  guint count = 0;
  for (guint i = 0; i < spans->len; i++) {
    Span sp = g_array_index(spans, Span, i);
    if (sp.from < at) {
      at = MAX(at, sp.to); /* "ｈｉｊ７８９" and "hij789" share a span; "abc." holds "abc" */
      continue;
    }
    g_string_append_len(out, text->str + at, (gssize) (sp.from - at));
    g_string_append(out, MUGAI_PASSWORD_MASK);
    at = sp.to;
    count++;
  }
  if (count > 0) {
    g_string_append_len(out, text->str + at, (gssize) (text->len - at));
    g_string_truncate(text, 0);
    g_string_append_len(text, out->str, (gssize) out->len);
  }
  g_string_free(out, TRUE);
  return count;
}

guint
mugai_password_mask(GString *text, const GPtrArray *candidates)
{
  g_return_val_if_fail(text != NULL && candidates != NULL, 0);
  g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));
  for (guint i = 0; i < candidates->len; i++) {
    const mugai_password_candidate *c = g_ptr_array_index(candidates, i);
    add_span(spans, text, c->offset, c->length);
  }
  return replace_spans(text, spans);
}

guint
mugai_password_mask_all(GString *text, const char *password)
{
  g_return_val_if_fail(text != NULL, 0);
  gsize n = password ? strlen(password) : 0;
  if (n < MIN_CHARS || n > MUGAI_PASSWORD_MAX_BYTES)
    return 0; /* never a candidate: masking "abc" everywhere would eat the text */
  g_autoptr(GArray) spans = g_array_new(FALSE, FALSE, sizeof(Span));
  g_autoptr(GPtrArray) found = find(text->str, text->len, OCCURRENCES_MAX, password);
  for (guint i = 0; i < found->len; i++) {
    const mugai_password_candidate *c = g_ptr_array_index(found, i);
    add_span(spans, text, c->offset, c->length);
  }
  /* Every verbatim copy too (a reply quoting it, a second "as said above: abc123"), but not one
   * inside a longer ASCII word: "abc1" of "abc123" is someone else's text. */
  const char *t = text->str, *end = t + text->len;
  for (const char *p = t; (p = memmem(p, (gsize) (end - p), password, n)) != NULL;) {
    gboolean left = p == t || !(g_ascii_isalnum(p[-1]) && g_ascii_isalnum(password[0]));
    gboolean right = p + n == end || !(g_ascii_isalnum(p[n]) && g_ascii_isalnum(password[n - 1]));
    if (left && right) {
      add_span(spans, text, (gsize) (p - t), n);
      p += n;
    } else {
      p++;
    }
  }
  return replace_spans(text, spans);
}
