/* message_reader.c — file → milter-equivalent spool (see message_reader.h). */
#include "cli/message_reader.h"

#include <errno.h>
#include <string.h>
#include "sanitize/headers.h"

#define CHUNK 65536

/* Does BUF hold the empty line that ends the headers? Only the bytes from FROM on are new, so
 * the search stays linear in the header block's size. */
static gboolean
header_block_complete(const GByteArray *buf, gsize from)
{
  const char *data = (const char *) buf->data;
  if (buf->len == 0)
    return FALSE;
  if (data[0] == '\n' || (buf->len >= 2 && data[0] == '\r' && data[1] == '\n'))
    return TRUE;
  gsize start = from > 2 ? from - 2 : 0;
  const char *s = data + start;
  gsize len = buf->len - start;
  /* A line that is not a header also ends the block (Postfix's rule); mugai_headers_split() finds
   * it later, so reading on to the empty line only costs memory, never correctness. */
  return memmem(s, len, "\n\n", 2) || memmem(s, len, "\n\r\n", 3);
}

/* Copy DATA to the spool with every line ending as CRLF, carrying a pending CR across chunks. */
static gboolean
spool_crlf(mugai_spool *spool, const char *data, gsize len, gboolean *pending_cr, GError **error)
{
  GByteArray *out = g_byte_array_sized_new(len + len / 16 + 2);
  gsize start = 0;
  const char *nl;
  while (start < len && (nl = memchr(data + start, '\n', len - start)) != NULL) {
    gsize at = (gsize) (nl - data);
    gboolean has_cr = at > 0 ? data[at - 1] == '\r' : *pending_cr;
    g_byte_array_append(out, (const guint8 *) data + start, at - start);
    g_byte_array_append(out, (const guint8 *) (has_cr ? "\n" : "\r\n"), has_cr ? 1 : 2);
    start = at + 1;
  }
  g_byte_array_append(out, (const guint8 *) data + start, len - start);
  if (len > 0)
    *pending_cr = data[len - 1] == '\r';
  gboolean ok = mugai_spool_write(spool, out->data, out->len, error);
  g_byte_array_unref(out);
  return ok;
}

static gboolean
read_chunk(FILE *input, GByteArray *buf, gsize *got, GError **error)
{
  gsize old = buf->len;
  g_byte_array_set_size(buf, old + CHUNK);
  *got = fread(buf->data + old, 1, CHUNK, input);
  g_byte_array_set_size(buf, old + *got);
  if (*got == 0 && ferror(input)) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot read the message: %s",
                g_strerror(errno));
    return FALSE;
  }
  return TRUE;
}

/* Drop a leading mbox "From sender date" line: it is an envelope, not a header. */
static gsize
skip_mbox_from(const GByteArray *buf)
{
  if (buf->len < 5 || memcmp(buf->data, "From ", 5) != 0)
    return 0;
  const guint8 *nl = memchr(buf->data, '\n', buf->len);
  return nl ? (gsize) (nl - buf->data) + 1 : 0;
}

gboolean
mugai_read_message_from(FILE *input, const char *spool_dir, gsize spool_memory,
                        mugai_read_message *out, GError **error)
{
  out->headers = mugai_headers_new();
  out->spool = mugai_spool_new(spool_dir, spool_memory);
  g_autoptr(GByteArray) head = g_byte_array_new();
  gsize got = 1;
  gsize scanned = 0;
  while (got > 0 && !header_block_complete(head, scanned)) {
    scanned = head->len;
    if (!read_chunk(input, head, &got, error))
      return FALSE;
  }

  gsize from_line = skip_mbox_from(head);
  const char *data = (const char *) head->data + from_line;
  gsize len = head->len - from_line;
  gsize body_start = mugai_headers_split(data, len, out->headers);
  g_autoptr(GByteArray) rebuilt = g_byte_array_new();
  mugai_headers_write_block(rebuilt, out->headers);
  out->body_offset = rebuilt->len;
  if (!mugai_spool_write(out->spool, rebuilt->data, rebuilt->len, error))
    return FALSE;

  gboolean pending_cr = FALSE;
  if (!spool_crlf(out->spool, data + body_start, len - body_start, &pending_cr, error))
    return FALSE;
  char last = len > body_start ? data[len - 1] : '\n';
  g_autoptr(GByteArray) chunk = g_byte_array_new();
  while (got > 0) {
    g_byte_array_set_size(chunk, 0);
    if (!read_chunk(input, chunk, &got, error))
      return FALSE;
    if (!spool_crlf(out->spool, (const char *) chunk->data, chunk->len, &pending_cr, error))
      return FALSE;
    if (chunk->len)
      last = (char) chunk->data[chunk->len - 1];
  }
  /* SMTP ends every line, the last one too, with CRLF: Postfix hands the milter nothing less. */
  if (last != '\n')
    return mugai_spool_write(out->spool, pending_cr ? "\n" : "\r\n", pending_cr ? 1 : 2, error);
  return TRUE;
}

void
mugai_read_message_clear(mugai_read_message *message)
{
  if (message->headers)
    g_ptr_array_unref(message->headers);
  mugai_spool_free(message->spool);
  memset(message, 0, sizeof *message);
}
