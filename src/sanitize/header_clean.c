/* header_clean.c — clean the delivered header values (see header_clean.h).
 *
 * Why: a Subject in raw Shift_JIS or raw ISO-2022-JP reads as 文字化け in every client, a
 * control character in a value can break a client's parser, and a 100 KB header is an attack,
 * not information. Values that are already valid (ASCII, encoded-words, or UTF-8 as RFC 6532
 * allows) are never touched, so ordinary mail keeps its headers byte for byte.
 * Owns: nothing past one call.
 */
#include "sanitize/header_clean.h"

#include <string.h>
#include "sanitize/charset.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"
#include "sanitize/headers.h"

static const char *const address_headers[] = {
  "From", "To", "Cc", "Bcc", "Reply-To", "Sender", "Resent-From", "Resent-To", "Resent-Cc",
  "Resent-Sender", "Mail-Followup-To", "Mail-Reply-To",
};

static gboolean
is_address_header(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(address_headers); i++)
    if (g_ascii_strcasecmp(name, address_headers[i]) == 0)
      return TRUE;
  return FALSE;
}

/* A C1 control (U+0080..U+009F, e.g. the terminal's CSI) in UTF-8: C2 80..9F. */
static gboolean
is_c1(const char *p)
{
  return (guchar) p[0] == 0xC2 && (guchar) p[1] >= 0x80 && (guchar) p[1] <= 0x9F;
}

/* What is wrong with VALUE: 8-bit that is not UTF-8, or ESC (raw ISO-2022-JP): it must be
 * decoded; *CONTROLS: it holds control characters other than the folding line ends. */
static gboolean
needs_decoding(const char *value, gboolean *controls)
{
  gboolean decode = !g_utf8_validate(value, -1, NULL);
  *controls = FALSE;
  for (const char *p = value; *p; p++) {
    guchar c = (guchar) *p;
    if (c == 0x1b)
      decode = TRUE;
    else if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f || is_c1(p))
      *controls = TRUE;
  }
  return decode;
}

#define WORD_TEXT_MAX 45 /* UTF-8 bytes per encoded-word: "=?UTF-8?B?" + 60 + "?=" < 76 */

/* UTF8 as RFC 2047 B-encoded words separated by spaces: nothing of it is read as structure
 * (no specials, no quotes), whatever characters it holds. */
static void
append_encoded_words(GString *out, const char *utf8, gsize len)
{
  const char *p = utf8, *end = utf8 + len;
  while (p < end) {
    const char *stop = p;
    while (stop < end && (gsize) (g_utf8_next_char(stop) - p) <= WORD_TEXT_MAX)
      stop = g_utf8_next_char(stop);
    if (stop == p)
      stop = g_utf8_next_char(p);
    g_autofree char *b64 = g_base64_encode((const guchar *) p, (gsize) (stop - p));
    g_string_append_printf(out, "%s=?UTF-8?B?%s?=", p == utf8 ? "" : " ", b64);
    p = stop;
  }
}

/* Where the ISO-2022-JP escape at I ends: after the ESC ( B / ESC ( J that returns to ASCII, or
 * at the end of the value. Its bytes are ASCII and may look like specials, so they stay one run. */
static gsize
jis_run_end(const char *v, gsize i, gsize len)
{
  for (gsize j = i + 1; j + 2 < len; j++)
    if (v[j] == 0x1b && v[j + 1] == '(' && (v[j + 2] == 'B' || v[j + 2] == 'J'))
      return j + 3;
  return len;
}

/* The end of the word (atom, encoded-word, address part) starting at I. */
static gsize
word_end(const char *v, gsize i, gsize len)
{
  while (i < len && !strchr(" \t\n,;:()<>\"", v[i]))
    i = v[i] == 0x1b ? jis_run_end(v, i, len) : i + 1;
  return i;
}

static gboolean
is_raw(const char *v, gsize from, gsize to)
{
  for (gsize i = from; i < to; i++)
    if ((guchar) v[i] >= 0x80 || v[i] == 0x1b)
      return TRUE;
  return FALSE;
}

/* A structured value (addresses, message IDs, Received) keeps its structure byte for byte: only
 * the words and quoted strings holding raw 8-bit or ISO-2022-JP text become encoded-words of that
 * text, decoded in the charset detected for the whole value; inside <...> a raw byte becomes
 * '?'. So a display name can never turn into an address, and no address is lost. */
static char *
reencode_words(const char *value)
{
  gsize len = strlen(value);
  mugai_charset_info info = {0};
  g_free(mugai_charset_to_utf8(NULL, value, len, NULL, &info));
  GString *out = g_string_sized_new(len * 2);
  for (gsize i = 0; i < len;) {
    char c = value[i];
    gsize j = i + 1;
    if (c == '<') {
      for (; i < len && value[i] != '>'; i++)
        g_string_append_c(out, (guchar) value[i] >= 0x80 || value[i] == 0x1b ? '?' : value[i]);
      continue;
    }
    if (c == '"') {
      while (j < len && value[j] != '"')
        j = value[j] == 0x1b ? jis_run_end(value, j, len) : j + 1 + (value[j] == '\\' && j + 1 < len);
      j = MIN(j + 1, len);
    } else if (c == ' ' || c == '\t' || c == '\n' || strchr(",;:()>", c) != NULL) {
      g_string_append_c(out, c);
      i++;
      continue;
    } else {
      j = word_end(value, i, len);
      /* Raw words in a row are one phrase: encoded apart, the spaces between them would go. */
      for (gsize k = j; is_raw(value, i, j);) {
        while (k < len && (value[k] == ' ' || value[k] == '\t'))
          k++;
        gsize e = k < len && !strchr(",;:()<>\"\n", value[k]) ? word_end(value, k, len) : k;
        if (e == k || !is_raw(value, k, e))
          break;
        j = k = e;
      }
    }
    if (!is_raw(value, i, j)) {
      g_string_append_len(out, value + i, (gssize) (j - i));
    } else {
      gsize from = i + (c == '"'), to = j - (c == '"' && j > i + 1 && value[j - 1] == '"');
      gsize n = 0;
      g_autofree char *utf8 = mugai_charset_to_utf8(info.used, value + from, to - from, &n, NULL);
      append_encoded_words(out, utf8, n);
    }
    i = j;
  }
  return g_string_free(out, FALSE);
}

static gboolean
is_unstructured(const char *name)
{
  static const char *const structured[] = {
    "Message-ID", "In-Reply-To", "References", "Received", "Return-Path", "Date",
    "Resent-Message-ID", "Resent-Date", "Content-ID", "DKIM-Signature", "ARC-Seal",
    "ARC-Message-Signature", "Authentication-Results", "ARC-Authentication-Results",
  };
  if (is_address_header(name))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(structured); i++)
    if (g_ascii_strcasecmp(name, structured[i]) == 0)
      return FALSE;
  return TRUE;
}

/* VALUE as a client would show it, written for the wire: an unstructured value (Subject, X-*)
 * decoded whole and encoded as RFC 2047 UTF-8 text; a structured one word by word. */
static char *
reencode(const char *name, const char *value)
{
  if (!is_unstructured(name)) {
    g_autofree char *words = reencode_words(value);
    return g_str_has_prefix(words, " ") ? g_steal_pointer(&words) : g_strconcat(" ", words, NULL);
  }
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  g_autofree char *text = mugai_header_decode_text(value);
  g_autofree char *encoded = g_mime_utils_header_encode_text(format, text, "UTF-8");
  return g_strconcat(" ", encoded, NULL);
}

/* VALUE (valid UTF-8) without control characters, C1 included (the folding "\n" kept).
 * (transfer full) */
static char *
without_controls(const char *value)
{
  GString *out = g_string_sized_new(strlen(value));
  for (const char *p = value; *p; p++) {
    guchar c = (guchar) *p;
    if (is_c1(p))
      p++; /* both bytes go */
    else if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n')
      g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

/* Cut VALUE (valid UTF-8) to at most CAP bytes, at white space when there is some in the last
 * quarter (so no encoded-word is split), else at a character boundary; then drop the line ends
 * and blanks it ends with. */
static void
cut_value(char *value, gsize cap)
{
  gsize cut = strlen(value);
  if (cut > cap) {
    cut = cap;
    while (cut > 0 && (((guchar) value[cut]) & 0xC0) == 0x80)
      cut--;
    for (gsize i = cut; i > cap - cap / 4; i--) {
      if (value[i] == ' ' || value[i] == '\t' || value[i] == '\n') {
        cut = i;
        break;
      }
    }
  }
  /* A value must not end in a line end (the header block would end with it) nor in blanks:
   * removing a control character can leave one, and so can a cut. */
  while (cut > 1 && (value[cut - 1] == '\n' || value[cut - 1] == ' ' || value[cut - 1] == '\t'))
    cut--;
  value[cut] = '\0';
}

static void
add_change(mugai_result *result, const char *name, guint occurrence, char *take_value)
{
  mugai_header_change *change = g_new0(mugai_header_change, 1);
  change->name = g_strdup(name);
  change->occurrence = occurrence;
  change->value = take_value;
  g_ptr_array_add(result->change_headers, change);
}

/* The cleaned form of HEADER's value, or NULL when it is fine as it is. */
static char *
cleaned_value(const mugai_header *header, gsize cap)
{
  gboolean controls = FALSE;
  gboolean decode = needs_decoding(header->value, &controls);
  if (!decode && !controls && strlen(header->value) <= cap)
    return NULL;
  g_autofree char *decoded = decode ? reencode(header->name, header->value) : NULL;
  /* The words a re-encoding copies as they are (an address, a message ID) keep their controls. */
  char *value = without_controls(decoded ? decoded : header->value);
  cut_value(value, cap);
  return value;
}

/* " [tag1] [tag2] Subject" with each of TAGS the Subject does not carry yet (a reply to tagged
 * mail has them); NULL when it has them all. The whole value is written anew, so the space after
 * a tag survives (white space between two encoded-words is not shown). */
static char *
tagged_subject(const char *const *tags, const char *value)
{
  g_autofree char *shown = value ? mugai_header_decode_text(value) : NULL;
  g_autoptr(GString) prefix = g_string_new(NULL);
  for (gsize i = 0; tags[i]; i++)
    if (!shown || !strstr(shown, tags[i]))
      g_string_append_printf(prefix, "%s%s", prefix->len ? " " : "", tags[i]);
  if (prefix->len == 0)
    return NULL;
  g_autofree char *text = shown && *shown ? g_strconcat(prefix->str, " ", shown, NULL)
                                          : g_strdup(prefix->str);
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  g_autofree char *encoded = g_mime_utils_header_encode_text(format, text, "UTF-8");
  return g_strconcat(" ", encoded, NULL);
}

gboolean
mugai_headers_clean(const mugai_policy *policy, GMimeStream *raw, const char *const *tags,
                    mugai_result *result, char **failure)
{
  g_autoptr(GPtrArray) headers = mugai_headers_read(raw, policy->limits.message_bytes, failure);
  if (headers == NULL)
    return FALSE;
  g_autoptr(GHashTable) seen = mugai_header_counter_new();
  gboolean want_tag = tags && tags[0], subject_seen = FALSE;
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    guint occurrence = mugai_header_counter_next(seen, h->name);
    if (mugai_header_is_removed(h->name, occurrence, result))
      continue;
    g_autofree char *value = cleaned_value(h, policy->limits.header_bytes);
    if (value)
      result->actions[MUGAI_ACTION_HEADERS_CLEANED]++;
    if (want_tag && !subject_seen && g_ascii_strcasecmp(h->name, "Subject") == 0) {
      subject_seen = TRUE;
      char *tagged = tagged_subject(tags, value ? value : h->value);
      if (tagged) {
        g_free(value);
        value = tagged;
        result->actions[MUGAI_ACTION_SUBJECT_TAGGED]++;
      }
    }
    if (value && result->change_headers->len == MUGAI_HEADER_CHANGES_MAX) {
      /* Thousands of broken headers are an attack on the MTA (each change is a search there). */
      mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_HEADERS, NULL);
      return TRUE;
    }
    if (value)
      add_change(result, h->name, occurrence, g_steal_pointer(&value));
  }
  if (want_tag && !subject_seen) {
    g_autofree char *tagged = tagged_subject(tags, NULL);
    mugai_result_add_header(result, "Subject", tagged + 1);
    result->actions[MUGAI_ACTION_SUBJECT_TAGGED]++;
  }
  return TRUE;
}
