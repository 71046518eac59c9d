/* fuzz_original_codec.c — libFuzzer target for original_codec.c, the zstd frames the SQLite
 * quarantine keeps originals in. The first byte picks:
 *   even: the rest is a stored blob (what a damaged or tampered index holds) read through the
 *         reader for an entry of a size the second byte gives: it may fail, but never give more
 *         than that size, and when it succeeds it gave exactly that size, the frame's recorded
 *         size if it has one;
 *   odd:  the rest is an original: compressed (or kept as it came) and read back, which must give
 *         exactly it, in pieces of at most 64 KiB.
 * A crash, leak, sanitizer report or abort() is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "quarantine/original_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
collect(const guint8 *data, gsize len, gpointer bytes, GError **error)
{
  (void) error;
  if (len == 0 || len > 64 * 1024)
    abort();
  g_byte_array_append(bytes, data, (guint) len);
  return TRUE;
}

/* BLOB through a reader for an entry of SIZE bytes, fed in pieces of STEP: the output, or NULL. */
static GByteArray *
read_blob(const guint8 *blob, gsize len, gsize step, guint64 size)
{
  GByteArray *out = g_byte_array_new();
  mugai_original_reader *r = mugai_original_reader_new(collect, out, size);
  gboolean ok = TRUE;
  for (gsize at = 0; ok && at < len; at += step)
    ok = mugai_original_reader_feed(r, blob + at, MIN(step, len - at), NULL);
  ok = ok && mugai_original_reader_finish(r, NULL);
  mugai_original_reader_free(r);
  if (out->len > size || (ok && out->len != size))
    abort();
  if (!ok)
    g_clear_pointer(&out, g_byte_array_unref);
  return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  const guint8 *rest = data + 2;
  gsize n = size - 2;
  gsize step = 1 + data[1] % 97 * 53;
  if ((data[0] & 1) == 0) {
    guint64 entry_size = (guint64) data[1] << 12;
    GByteArray *out = read_blob(rest, n, step, entry_size);
    if (out) {
      gint64 recorded = mugai_original_frame_size(rest, n);
      if (recorded >= 0 && (guint64) recorded != out->len)
        abort();
      g_byte_array_unref(out);
    }
    return 0;
  }
  GBytes *frame = mugai_original_compress(rest, n);
  if (frame == NULL)
    return 0; /* kept as it came */
  gsize framed = 0;
  const guint8 *p = g_bytes_get_data(frame, &framed);
  if (framed > n - n / 8 || mugai_original_frame_size(p, framed) != (gint64) n)
    abort();
  GByteArray *out = read_blob(p, framed, step, n);
  if (out == NULL || out->len != n || memcmp(out->data, rest, n) != 0)
    abort();
  g_byte_array_unref(out);
  g_bytes_unref(frame);
  return 0;
}
