/* headers.c — header split, rebuild and drop table (see headers.h).
 *
 * The split is hand-written on purpose: it must reproduce what Postfix passes to a milter (header
 * lines until the first non-header line), which GMime's parser neither promises nor reports.
 */
#include "sanitize/headers.h"

#include <string.h>

#define READ_CHUNK 16384

/* Headers that describe the body: when mugai replaces the body they would lie, so they go. */
/* Inbound headers that make a client do something beyond showing text: request a read receipt
 * (sent from the LGWAN side to the internet), or draw an image. The documented drop table; later
 * policy extends it. */
static const char *const active_headers[] = {
  "Disposition-Notification-To", "Disposition-Notification-Options", "Return-Receipt-To",
  "X-Confirm-Reading-To", "Read-Receipt-To", "X-Face", "Face",
};

static const char *const mime_headers[] = {
  "MIME-Version",     "Content-Type",        "Content-Transfer-Encoding",
  "Content-Disposition", "Content-ID",       "Content-Description",
  "Content-Location", "Content-Base",        "Content-MD5",
  "Content-Language", "Content-Features",    "Content-Duration",
};

GPtrArray *
mugai_headers_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify) mugai_header_free);
}

/* A field name is printable ASCII other than ':' and space (RFC 5322 ftext), then ':', with the
 * obsolete white space before the colon allowed as Postfix allows it. Returns the name's length
 * (0: not a header) and in *COLON the colon's offset. */
static gsize
field_name_length(const char *line, gsize len, gsize *colon)
{
  gsize i = 0;
  while (i < len && line[i] > 32 && line[i] < 127 && line[i] != ':')
    i++;
  gsize name_len = i;
  while (i < len && (line[i] == ' ' || line[i] == '\t'))
    i++;
  if (name_len == 0 || i >= len || line[i] != ':')
    return 0;
  *colon = i;
  return name_len;
}

static gsize
line_end(const char *data, gsize len, gsize start, gsize *next)
{
  const char *nl = memchr(data + start, '\n', len - start);
  gsize end = nl ? (gsize) (nl - data) : len;
  *next = nl ? end + 1 : len;
  if (end > start && data[end - 1] == '\r')
    end--;
  return end;
}

gsize
mugai_headers_split(const char *data, gsize len, GPtrArray *headers)
{
  gsize pos = 0;
  mugai_header *current = NULL;
  GString *value = NULL;
  while (pos < len) {
    gsize next;
    gsize end = line_end(data, len, pos, &next);
    const char *line = data + pos;
    gsize line_len = end - pos;
    if (line_len == 0) { /* the empty line ends the headers and is not part of the body */
      pos = next;
      break;
    }
    if ((line[0] == ' ' || line[0] == '\t') && current) {
      /* Like Postfix's header_size_limit: the excess of a huge header is discarded (GMime's
       * parser slows down with the square of a header's length). */
      if (value->len + 1 + line_len <= MUGAI_HEADER_MAX) {
        g_string_append_c(value, '\n');
        g_string_append_len(value, line, line_len);
      }
      pos = next;
      continue;
    }
    gsize colon = 0;
    gsize name_len = field_name_length(line, line_len, &colon);
    if (name_len == 0)
      break; /* not a header: like Postfix, the body starts here */
    if (current)
      current->value = g_string_free(value, FALSE);
    current = g_new0(mugai_header, 1);
    current->name = g_strndup(line, name_len);
    if (colon > name_len)
      current->gap = g_strndup(line + name_len, colon - name_len);
    value = g_string_new_len(line + colon + 1, MIN(line_len - colon - 1, MUGAI_HEADER_MAX));
    g_ptr_array_add(headers, current);
    pos = next;
  }
  if (current)
    current->value = g_string_free(value, FALSE);
  return pos;
}

GPtrArray *
mugai_headers_read(GMimeStream *raw, guint64 cap, char **failure)
{
  g_autoptr(GByteArray) block = g_byte_array_new();
  char buf[READ_CHUNK];
  if (g_mime_stream_reset(raw) == -1) {
    *failure = g_strdup("cannot rewind the message");
    return NULL;
  }
  gssize n = 0;
  gboolean ended = FALSE;
  while (!ended && block->len < cap && (n = g_mime_stream_read(raw, buf, sizeof buf)) > 0) {
    gsize from = block->len > 3 ? block->len - 3 : 0;
    g_byte_array_append(block, (const guint8 *) buf, (guint) n);
    ended = memmem(block->data + from, block->len - from, "\n\r\n", 3) ||
            memmem(block->data + from, block->len - from, "\n\n", 2);
  }
  if (!ended && n < 0 && !g_mime_stream_eos(raw)) {
    *failure = g_strdup("read error while reading the headers again");
    return NULL;
  }
  GPtrArray *headers = mugai_headers_new();
  mugai_headers_split((const char *) block->data, block->len, headers);
  return headers;
}

void
mugai_header_write(GByteArray *out, const char *name, const char *value, gboolean add_space)
{
  g_byte_array_append(out, (const guint8 *) name, strlen(name));
  g_byte_array_append(out, (const guint8 *) ":", 1);
  if (add_space && value[0] != ' ' && value[0] != '\t')
    g_byte_array_append(out, (const guint8 *) " ", 1);
  const char *p = value;
  while (*p) {
    gsize run = strcspn(p, "\r\n"); /* copy runs; every line end becomes CRLF, bare CRs go */
    g_byte_array_append(out, (const guint8 *) p, (guint) run);
    p += run;
    if (*p == '\n')
      g_byte_array_append(out, (const guint8 *) "\r\n", 2);
    if (*p)
      p++;
  }
  g_byte_array_append(out, (const guint8 *) "\r\n", 2);
}

void
mugai_headers_write_block(GByteArray *out, const GPtrArray *headers)
{
  for (guint i = 0; i < headers->len; i++) {
    const mugai_header *h = g_ptr_array_index(headers, i);
    mugai_header_write(out, h->name, h->value, FALSE);
  }
  g_byte_array_append(out, (const guint8 *) "\r\n", 2);
}

GHashTable *
mugai_header_counter_new(void)
{
  return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

guint
mugai_header_counter_next(GHashTable *counter, const char *name)
{
  char *key = g_ascii_strdown(name, -1);
  guint occurrence = GPOINTER_TO_UINT(g_hash_table_lookup(counter, key)) + 1;
  g_hash_table_replace(counter, key, GUINT_TO_POINTER(occurrence));
  return occurrence;
}

static gboolean
in_table(const char *name, const char *const *table, gsize n)
{
  for (gsize i = 0; i < n; i++)
    if (g_ascii_strcasecmp(name, table[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
mugai_header_is_forged(const char *name)
{
  return g_ascii_strncasecmp(name, "X-Mugai-", 8) == 0;
}

gboolean
mugai_header_is_dropped(const char *name, const mugai_result *result)
{
  if (mugai_header_is_forged(name))
    return TRUE;
  if (result->direction == MUGAI_DIRECTION_IN &&
      in_table(name, active_headers, G_N_ELEMENTS(active_headers)))
    return TRUE;
  return result->rewrite_mime && in_table(name, mime_headers, G_N_ELEMENTS(mime_headers));
}

gboolean
mugai_header_is_removed(const char *name, guint occurrence, const mugai_result *result)
{
  return mugai_header_is_dropped(name, result) ||
         (result->remove_headers->len && mugai_result_header_removed(result, name, occurrence));
}

/* The new value RESULT gives the OCCURRENCE-th header NAME, or NULL. Changes are recorded in
 * header order, so *CURSOR walks them once: rendering stays linear in the number of headers. */
static const char *
changed_value(const mugai_result *result, guint *cursor, const char *name, guint occurrence)
{
  if (*cursor >= result->change_headers->len)
    return NULL;
  const mugai_header_change *c = g_ptr_array_index(result->change_headers, *cursor);
  if (c->occurrence != occurrence || g_ascii_strcasecmp(c->name, name) != 0)
    return NULL;
  (*cursor)++;
  return c->value;
}

void
mugai_headers_render(GByteArray *out, const GPtrArray *input, const mugai_result *result)
{
  g_autoptr(GHashTable) seen = mugai_header_counter_new();
  guint cursor = 0;
  for (guint i = 0; i < input->len; i++) {
    const mugai_header *header = g_ptr_array_index(input, i);
    guint occurrence = mugai_header_counter_next(seen, header->name);
    if (mugai_header_is_removed(header->name, occurrence, result))
      continue;
    /* A kept header goes out byte for byte as received, obsolete "Name :" form included,
     * unless mugai replaced its value (as smfi_chgheader() does in place). */
    const char *value = changed_value(result, &cursor, header->name, occurrence);
    g_autofree char *spelled = header->gap ? g_strconcat(header->name, header->gap, NULL) : NULL;
    mugai_header_write(out, spelled ? spelled : header->name, value ? value : header->value, FALSE);
  }
  for (guint i = 0; i < result->add_headers->len; i++) {
    const mugai_header *header = g_ptr_array_index(result->add_headers, i);
    mugai_header_write(out, header->name, header->value, TRUE);
  }
  g_byte_array_append(out, (const guint8 *) "\r\n", 2);
}
