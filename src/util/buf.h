/* buf.h — a growing byte buffer with a hard cap set at creation (curl's "toobig" rule).
 * Owns its GByteArray; an append that would pass the cap fails and leaves the buffer unchanged. */
#pragma once
#include <glib.h>

typedef struct {
  GByteArray *bytes;
  gsize cap;
} mugai_buf;

mugai_buf *mugai_buf_new(gsize cap);           /* (transfer full) */
void mugai_buf_free(mugai_buf *buf);           /* NULL-safe */
gboolean mugai_buf_append(mugai_buf *buf, const void *data, gsize len); /* FALSE: over cap */
gboolean mugai_buf_append_str(mugai_buf *buf, const char *str);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_buf, mugai_buf_free)
