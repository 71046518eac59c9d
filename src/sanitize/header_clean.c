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
#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"
#include "sanitize/headers.h"

#define READ_CHUNK 16384

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

/* The header block at the start of RAW, up to and including its empty line (or all of RAW). */
static GByteArray *
read_header_block(GMimeStream *raw, guint64 cap, char **failure)
{
  GByteArray *block = g_byte_array_new();
  char buf[READ_CHUNK];
  if (g_mime_stream_reset(raw) == -1) {
    *failure = g_strdup("cannot rewind the message");
    return block;
  }
  gssize n;
  while (block->len < cap && (n = g_mime_stream_read(raw, buf, sizeof buf)) > 0) {
    gsize from = block->len > 3 ? block->len - 3 : 0;
    g_byte_array_append(block, (const guint8 *) buf, (guint) n);
    if (memmem(block->data + from, block->len - from, "\n\r\n", 3) ||
        memmem(block->data + from, block->len - from, "\n\n", 2))
      break;
  }
  return block;
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

/* VALUE decoded as a client would show it, then written for the wire: RFC 2047 UTF-8 words for
 * text, addresses re-serialized with their display names encoded. Leading space included. */
static char *
reencode(const char *name, const char *value)
{
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  if (is_address_header(name)) {
    g_autofree char *shown = mugai_header_decode_address(value);
    g_autoptr(InternetAddressList) list = internet_address_list_parse(NULL, shown);
    if (list && internet_address_list_length(list) > 0) {
      g_autofree char *encoded = internet_address_list_to_string(list, format, TRUE);
      return g_strconcat(" ", encoded, NULL);
    }
  }
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
  char *value = NULL;
  if (needs_decoding(header->value, &controls))
    value = reencode(header->name, header->value);
  else if (controls)
    value = without_controls(header->value);
  if (value == NULL && strlen(header->value) <= cap)
    return NULL;
  if (value == NULL)
    value = g_strdup(header->value);
  cut_value(value, cap);
  return value;
}

/* " [tag] Subject" unless the Subject already carries the tag (a reply to tagged mail). The
 * whole value is written anew, so the space after the tag survives (white space between two
 * encoded-words is not shown). */
static char *
tagged_subject(const char *tag, const char *value)
{
  g_autofree char *shown = value ? mugai_header_decode_text(value) : NULL;
  if (shown && strstr(shown, tag))
    return NULL;
  g_autofree char *text = shown && *shown ? g_strconcat(tag, " ", shown, NULL) : g_strdup(tag);
  g_autoptr(GMimeFormatOptions) format = g_mime_format_options_new();
  g_autofree char *encoded = g_mime_utils_header_encode_text(format, text, "UTF-8");
  return g_strconcat(" ", encoded, NULL);
}

gboolean
mugai_headers_clean(const mugai_policy *policy, GMimeStream *raw, gboolean tag,
                    mugai_result *result, char **failure)
{
  g_autoptr(GByteArray) block = read_header_block(raw, policy->limits.message_bytes, failure);
  if (*failure)
    return FALSE;
  g_autoptr(GPtrArray) headers = mugai_headers_new();
  mugai_headers_split((const char *) block->data, block->len, headers);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  gboolean want_tag = tag && *policy->subject_tag, subject_seen = FALSE;
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    char *key = g_ascii_strdown(h->name, -1);
    guint occurrence = GPOINTER_TO_UINT(g_hash_table_lookup(seen, key)) + 1;
    g_hash_table_replace(seen, key, GUINT_TO_POINTER(occurrence));
    if (mugai_header_is_dropped(h->name, result))
      continue;
    g_autofree char *value = cleaned_value(h, policy->limits.header_bytes);
    if (value)
      result->actions[MUGAI_ACTION_HEADERS_CLEANED]++;
    if (want_tag && !subject_seen && g_ascii_strcasecmp(h->name, "Subject") == 0) {
      subject_seen = TRUE;
      char *tagged = tagged_subject(policy->subject_tag, value ? value : h->value);
      if (tagged) {
        g_free(value);
        value = tagged;
        result->actions[MUGAI_ACTION_SUBJECT_TAGGED]++;
      }
    }
    if (value)
      add_change(result, h->name, occurrence, g_steal_pointer(&value));
  }
  if (want_tag && !subject_seen) {
    g_autofree char *tagged = tagged_subject(policy->subject_tag, NULL);
    mugai_result_add_header(result, "Subject", tagged + 1);
    result->actions[MUGAI_ACTION_SUBJECT_TAGGED]++;
  }
  return TRUE;
}
