/* buf.c — a growing byte buffer with a hard cap fixed at creation (curl's "toobig" rule).
 *
 * Owns its GByteArray. An append that would pass the cap fails and leaves the buffer exactly as
 * it was, so a caller can turn "too big" into a verdict instead of a half-filled buffer.
 * Never: grow past the cap, or abort on a large length (GByteArray lengths are guint, so the cap
 * is also clamped to G_MAXUINT).
 */
#include "util/buf.h"

#include <string.h>

mugai_buf *mugai_buf_new(gsize cap)
{
  mugai_buf *buf = g_new0(mugai_buf, 1);
  buf->bytes = g_byte_array_new();
  buf->cap = MIN(cap, (gsize) G_MAXUINT);
  return buf;
}

void mugai_buf_free(mugai_buf *buf)
{
  if (buf == NULL)
    return;
  g_byte_array_unref(buf->bytes);
  g_free(buf);
}

gboolean mugai_buf_append(mugai_buf *buf, const void *data, gsize len)
{
  g_return_val_if_fail(buf != NULL, FALSE);
  g_return_val_if_fail(data != NULL || len == 0, FALSE);

  /* Compare as "room left" so len + used can never wrap around. */
  if (len > buf->cap - buf->bytes->len)
    return FALSE;
  if (len > 0)
    g_byte_array_append(buf->bytes, data, (guint) len);
  return TRUE;
}

gboolean mugai_buf_append_str(mugai_buf *buf, const char *str)
{
  g_return_val_if_fail(str != NULL, FALSE);
  return mugai_buf_append(buf, str, strlen(str));
}
