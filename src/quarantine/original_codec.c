/* original_codec.c — zstd frames of originals, and their reading in pieces (see original_codec.h).
 *
 * Owns: a pool of compression contexts (a context's tables are allocated at its first use and
 * reused; libmilter runs each connection on a thread of its own, so thread-local ones would die
 * with every mail). Never: decode a frame whose window exceeds WINDOW_LOG_MAX, or past its entry's
 * size.
 */
#include "quarantine/original_codec.h"

#include <zstd.h>

/* zstd's fastest standard level: its fast (negative) levels were no faster in mugai-milter under
 * load, and keep less. */
#define LEVEL 1
#define SMALLEST 512 /* below, a frame's header and the call are not worth it */
/* Above, kept as it came: the frame's buffer would add most of the message's size again to the
 * memory it already holds ([milter] spool_memory may be up to 256 MB). */
#define LARGEST ((gsize) 4 << 20)
#define POOL_SIZE 8 /* contexts kept: about one for each thread compressing at once */
/* 8 MiB: what level 1 uses is 512 KiB at most; a frame asking more was not written by mugai. */
#define WINDOW_LOG_MAX 23
#define OUT_PIECE (64 * 1024)

static struct {
  GMutex lock;
  ZSTD_CCtx *kept[POOL_SIZE];
  guint n;
} pool;

static ZSTD_CCtx *
context_take(void)
{
  ZSTD_CCtx *c = NULL;
  g_mutex_lock(&pool.lock);
  if (pool.n > 0)
    c = pool.kept[--pool.n];
  g_mutex_unlock(&pool.lock);
  if (c == NULL && (c = ZSTD_createCCtx()) != NULL &&
      (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, LEVEL)) ||
       ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) ||
       ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)))) {
    ZSTD_freeCCtx(c);
    c = NULL;
  }
  return c;
}

static void
context_give_back(ZSTD_CCtx *c)
{
  ZSTD_CCtx_reset(c, ZSTD_reset_session_only);
  g_mutex_lock(&pool.lock);
  if (pool.n < POOL_SIZE) {
    pool.kept[pool.n++] = c;
    c = NULL;
  }
  g_mutex_unlock(&pool.lock);
  ZSTD_freeCCtx(c);
}

GBytes *
mugai_original_compress(const guint8 *data, gsize len)
{
  if (len < SMALLEST || len > LARGEST)
    return NULL;
  ZSTD_CCtx *c = context_take();
  if (c == NULL)
    return NULL;
  gsize room = len - len / 8; /* a frame must save at least an eighth to be kept */
  guint8 *out = g_malloc(room);
  size_t n = ZSTD_compress2(c, out, room, data, len);
  context_give_back(c);
  if (ZSTD_isError(n)) { /* dstSize_tooSmall above all: not worth it */
    g_free(out);
    return NULL;
  }
  return g_bytes_new_take(g_realloc(out, n), n);
}

gint64
mugai_original_frame_size(const guint8 *head, gsize len)
{
  unsigned long long size = ZSTD_getFrameContentSize(head, len);
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR || size > G_MAXINT64)
    return -1;
  return (gint64) size;
}

struct mugai_original_reader {
  ZSTD_DCtx *dctx;
  mugai_quarantine_write_fn write;
  gpointer user_data;
  guint64 size, out_total; /* what it must give, what it gave so far */
  size_t last;             /* what ZSTD_decompressStream() said last: 0 once a frame is complete */
  guint8 *out;
};

mugai_original_reader *
mugai_original_reader_new(mugai_quarantine_write_fn write, gpointer user_data, guint64 size)
{
  ZSTD_DCtx *dctx = ZSTD_createDCtx();
  if (dctx == NULL ||
      ZSTD_isError(ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, WINDOW_LOG_MAX)))
    g_error("zstd cannot start a decoder"); /* only without memory: as g_malloc does */
  mugai_original_reader *r = g_new0(mugai_original_reader, 1);
  r->dctx = dctx;
  r->write = write;
  r->user_data = user_data;
  r->size = size;
  r->last = 1; /* nothing read yet: not a complete frame */
  r->out = g_malloc(OUT_PIECE);
  return r;
}

static gboolean
damaged(GError **error, const char *why)
{
  g_set_error(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX,
              "index original: the compressed original is damaged (%s)", why);
  return FALSE;
}

/* The N bytes decoded into R->out, to WRITE. */
static gboolean
give(mugai_original_reader *r, gsize n, GError **error)
{
  r->out_total += n;
  if (r->out_total > r->size)
    return damaged(error, "larger than its entry");
  return n == 0 || r->write(r->out, n, r->user_data, error);
}

gboolean
mugai_original_reader_feed(mugai_original_reader *r, const guint8 *data, gsize len, GError **error)
{
  ZSTD_inBuffer in = {data, len, 0};
  while (in.pos < in.size) {
    if (r->last == 0) /* one frame only: bytes after it are not mugai's */
      return damaged(error, "bytes after its end");
    ZSTD_outBuffer out = {r->out, OUT_PIECE, 0};
    r->last = ZSTD_decompressStream(r->dctx, &out, &in);
    if (ZSTD_isError(r->last))
      return damaged(error, ZSTD_getErrorName(r->last));
    if (!give(r, out.pos, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
mugai_original_reader_finish(mugai_original_reader *r, GError **error)
{
  /* Output the decoder may still hold for a full output buffer. */
  while (r->last != 0) {
    ZSTD_inBuffer in = {NULL, 0, 0};
    ZSTD_outBuffer out = {r->out, OUT_PIECE, 0};
    size_t said = ZSTD_decompressStream(r->dctx, &out, &in);
    if (ZSTD_isError(said))
      return damaged(error, ZSTD_getErrorName(said));
    if (out.pos == 0)
      return damaged(error, "it ends early");
    r->last = said;
    if (!give(r, out.pos, error))
      return FALSE;
  }
  /* A frame of other, shorter content (or a skippable frame) is not this entry's original. */
  return r->out_total == r->size || damaged(error, "shorter than its entry");
}

void
mugai_original_reader_free(mugai_original_reader *r)
{
  if (r == NULL)
    return;
  ZSTD_freeDCtx(r->dctx);
  g_free(r->out);
  g_free(r);
}
