/* original_codec.h — how the SQLite index holds an original: as it came, or as one zstd frame.
 *
 * Why: every changed mail's original is written twice by SQLite (its WAL, then the checkpoint
 * into the database) and made durable; that was a fifth of mugai-milter's CPU on an ordinary
 * 60 KB mail, in proportion to the bytes. Mail is text (quoted-printable, base64): zstd's
 * fastest level makes a third of it at about 700 MB/s, far less than writing it costs. An
 * original is kept as it came when that saves less than an eighth (already compressed
 * attachments), so a read of those costs nothing more.
 *
 * The frame records the original's size and an xxh64 checksum of it, which reading verifies.
 */
#pragma once
#include <glib.h>
#include "quarantine/store.h"

/* The values of the index's column original.codec. */
typedef enum {
  MUGAI_ORIGINAL_RAW = 0,  /* the bytes as they came */
  MUGAI_ORIGINAL_ZSTD = 1, /* one zstd frame, with the content size and checksum */
} mugai_original_codec;

/* (transfer full) (nullable) the LEN bytes at DATA as a zstd frame, when that is at most seven
 * eighths of LEN; NULL to keep them as they are (under 512 bytes or over 4 MiB, incompressible,
 * or zstd failed).
 * Thread-safe: compression contexts are kept in a small pool, not made for every call. */
GBytes *mugai_original_compress(const guint8 *data, gsize len);

/* The size a frame's header records (HEAD: its first bytes, at least 18 for any frame), or -1
 * when HEAD is not the start of a frame that records it. */
gint64 mugai_original_frame_size(const guint8 *head, gsize len);

/* A frame read in pieces: what it decodes to goes to WRITE in pieces of at most 64 KiB, memory
 * flat in the original's size. Anything but SIZE bytes out (its entry's size), a damaged frame,
 * a wrong checksum or a frame that ends early is an error (MUGAI_QUARANTINE_ERROR_INDEX);
 * WRITE's own errors come back as they are. */
typedef struct mugai_original_reader mugai_original_reader;
mugai_original_reader *mugai_original_reader_new(mugai_quarantine_write_fn write,
                                                 gpointer user_data, guint64 size);
gboolean mugai_original_reader_feed(mugai_original_reader *r, const guint8 *data, gsize len,
                                    GError **error);
/* TRUE when the frame was whole, its checksum right and SIZE bytes came out. */
gboolean mugai_original_reader_finish(mugai_original_reader *r, GError **error);
void mugai_original_reader_free(mugai_original_reader *r); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_original_reader, mugai_original_reader_free)
