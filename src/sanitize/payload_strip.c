/* payload_strip.c — defuse uuencode, yEnc and BinHex blocks in text (see payload_strip.h).
 *
 * Hand-written because no maintained library finds these inside free text: GMime decodes them
 * only when a MIME header declares them. Line-based and linear: one pass to find candidates
 * (memmem on their markers), one pass per block to find its end.
 */
#include "sanitize/payload_strip.h"

#include <string.h>

void
mugai_payload_free(mugai_payload *payload)
{
  if (payload == NULL)
    return;
  g_free(payload->name);
  g_free(payload->sha256);
  g_free(payload);
}

/* Offset just past the line that starts at POS (past its "\n"), or the text's end. */
static gsize
next_line(const GString *text, gsize pos)
{
  const char *nl = memchr(text->str + pos, '\n', text->len - pos);
  return nl ? (gsize) (nl - text->str) + 1 : text->len;
}

static gsize
line_length(const GString *text, gsize pos)
{
  gsize end = next_line(text, pos);
  if (end > pos && text->str[end - 1] == '\n')
    end--;
  return end - pos;
}

static gboolean
line_is(const GString *text, gsize pos, const char *word)
{
  gsize len = line_length(text, pos);
  while (len > 0 && (text->str[pos + len - 1] == ' ' || text->str[pos + len - 1] == '\t'))
    len--;
  return len == strlen(word) && memcmp(text->str + pos, word, len) == 0;
}

/* "begin 644 name" or "begin-base64 644 name": returns the name's offset, or 0 if not a start. */
static gsize
uu_start(const GString *text, gsize pos, gboolean *base64)
{
  const char *s = text->str + pos;
  gsize len = line_length(text, pos);
  gsize i = 0;
  if (len >= 13 && memcmp(s, "begin-base64 ", 13) == 0) {
    *base64 = TRUE;
    i = 13;
  } else if (len >= 6 && memcmp(s, "begin ", 6) == 0) {
    *base64 = FALSE;
    i = 6;
  } else {
    return 0;
  }
  gsize digits = 0;
  while (i < len && s[i] >= '0' && s[i] <= '7' && digits < 5) {
    i++;
    digits++;
  }
  if (digits < 3 || digits > 4 || (i < len && s[i] != ' '))
    return 0;
  return pos + (i < len ? i + 1 : i);
}

/* A uuencoded data line: its first character gives its length, all characters in ` to `. */
static gboolean
uu_data_line(const GString *text, gsize pos)
{
  gsize len = line_length(text, pos);
  if (len == 0)
    return FALSE;
  for (gsize i = 0; i < len; i++) {
    guchar c = (guchar) text->str[pos + i];
    if (c < 0x20 || c > 0x60)
      return FALSE;
  }
  return TRUE;
}

/* End (exclusive) of the block starting at POS: the line after the one that is exactly END_WORD,
 * or, without one, after the last line DATA accepts. */
static gsize
block_end(const GString *text, gsize pos, const char *end_word,
          gboolean (*data)(const GString *, gsize))
{
  gsize last_data = next_line(text, pos);
  for (gsize line = last_data; line < text->len; line = next_line(text, line)) {
    if (line_is(text, line, end_word))
      return next_line(text, line);
    if (data && !data(text, line))
      return last_data;
    last_data = next_line(text, line);
  }
  return data ? last_data : text->len;
}

static char *
name_after(const GString *text, gsize pos, gsize name_at, const char *key)
{
  gsize len = line_length(text, pos);
  const char *line = text->str + pos;
  const char *start = NULL;
  if (key) {
    const char *k = g_strstr_len(line, len, key);
    start = k ? k + strlen(key) : NULL;
  } else if (name_at > pos && name_at < pos + len) {
    start = text->str + name_at;
  }
  if (start == NULL)
    return NULL;
  g_autofree char *name = g_strndup(start, (gsize) (line + len - start));
  g_strstrip(name);
  return *name ? g_utf8_make_valid(name, -1) : NULL;
}

/* Is there a payload starting at the line POS? Sets *END and fills PAYLOAD. */
static gboolean
payload_at(const GString *text, gsize pos, gsize *end, mugai_payload *payload)
{
  gboolean base64 = FALSE;
  gsize name_at = uu_start(text, pos, &base64);
  if (name_at && (name_at < pos + line_length(text, pos) || uu_data_line(text, next_line(text, pos)))) {
    payload->type = "application/x-uuencode";
    payload->name = name_after(text, pos, name_at, NULL);
    *end = base64 ? block_end(text, pos, "====", NULL) : block_end(text, pos, "end", uu_data_line);
    return TRUE;
  }
  if (line_length(text, pos) >= 8 && memcmp(text->str + pos, "=ybegin ", 8) == 0) {
    payload->type = "application/x-yenc";
    payload->name = name_after(text, pos, 0, "name=");
    gsize stop = text->len; /* yEnc data is any bytes: the block runs to =yend or the end */
    for (gsize line = next_line(text, pos); line < text->len; line = next_line(text, line)) {
      if (line_length(text, line) >= 5 && memcmp(text->str + line, "=yend", 5) == 0) {
        stop = next_line(text, line);
        break;
      }
    }
    *end = stop;
    return TRUE;
  }
  if (g_strstr_len(text->str + pos, line_length(text, pos), "(This file must be converted with BinHex")) {
    payload->type = "application/mac-binhex40";
    gsize stop = text->len;
    gboolean started = FALSE;
    for (gsize line = next_line(text, pos); line < text->len; line = next_line(text, line)) {
      gsize len = line_length(text, line);
      if (!started && len > 0 && text->str[line] == ':')
        started = TRUE;
      if (started && len > 0 && text->str[line + len - 1] == ':' && (len > 1 || line != pos)) {
        stop = next_line(text, line);
        break;
      }
    }
    *end = stop;
    return TRUE;
  }
  return FALSE;
}

static gboolean
has_marker(const GString *text, gsize from)
{
  const char *s = text->str + from;
  gsize len = text->len - from;
  return memmem(s, len, "begin", 5) || memmem(s, len, "=ybegin", 7) || memmem(s, len, "BinHex", 6);
}

/* The lines that make a client decode the block: its first line, and the end markers. */
static gboolean
is_marker(const GString *text, gsize line, gsize start)
{
  if (line == start)
    return TRUE;
  gsize len = line_length(text, line);
  const char *s = text->str + line;
  return line_is(text, line, "end") || line_is(text, line, "====") ||
         (len >= 7 && memcmp(s, "=ypart ", 7) == 0) || (len >= 5 && memcmp(s, "=yend", 5) == 0);
}

/* Rewrite [START, END) of TEXT without its marker lines; returns the new end. */
static gsize
defuse(GString *text, gsize start, gsize end)
{
  GString *kept = g_string_sized_new(end - start);
  for (gsize line = start; line < end; line = next_line(text, line))
    if (!is_marker(text, line, start))
      g_string_append_len(kept, text->str + line, (gssize) (MIN(next_line(text, line), end) - line));
  g_string_erase(text, (gssize) start, (gssize) (end - start));
  g_string_insert_len(text, (gssize) start, kept->str, (gssize) kept->len);
  gsize new_end = start + kept->len;
  g_string_free(kept, TRUE);
  return new_end;
}

guint
mugai_payloads_defuse(GString *text, gsize from, GPtrArray *found)
{
  if (from >= text->len || !has_marker(text, from))
    return 0;
  guint removed = 0;
  gsize pos = from;
  while (pos < text->len) {
    mugai_payload payload = {0};
    gsize end = 0;
    if (!payload_at(text, pos, &end, &payload)) {
      pos = next_line(text, pos);
      continue;
    }
    mugai_payload *copy = g_new0(mugai_payload, 1);
    *copy = payload;
    copy->size = end - pos;
    copy->sha256 = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *) text->str + pos,
                                               end - pos);
    g_ptr_array_add(found, copy);
    pos = defuse(text, pos, end);
    removed++;
  }
  return removed;
}
