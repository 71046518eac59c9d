/* spool.h — where a message being received waits for end-of-data: in memory up to a threshold
 * ([milter] spool_memory), then in a private, already-unlinked temp file in [milter] spool_dir,
 * so memory stays flat in message size and nothing is left on disk after a crash.
 * Shared by the milter and `mugai sanitize`, so both feed the core the same way, and used by the
 * core for a decoded part the scanner must see whole.
 * Owns its buffer, file descriptor and mapping; mugai_spool_free() releases all three. */
#pragma once
#include <gmime/gmime.h>

#define MUGAI_SPOOL_ERROR (mugai_spool_error_quark())
GQuark mugai_spool_error_quark(void);
typedef enum {
  MUGAI_SPOOL_ERROR_OPEN,    /* cannot create the temp file */
  MUGAI_SPOOL_ERROR_WRITE,   /* write failed */
  MUGAI_SPOOL_ERROR_NOSPACE, /* disk full */
} mugai_spool_error;

typedef struct mugai_spool mugai_spool;

mugai_spool *mugai_spool_new(const char *dir, gsize memory_max); /* (transfer full), no I/O yet */
void mugai_spool_free(mugai_spool *spool);                        /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_spool, mugai_spool_free)

gboolean mugai_spool_write(mugai_spool *spool, const void *data, gsize len, GError **error);
guint64 mugai_spool_get_size(const mugai_spool *spool);
gboolean mugai_spool_is_on_disk(const mugai_spool *spool);
/* (transfer none) the file's descriptor, -1 while the spool is in memory. Read it with pread
 * only: the spool writes through its file position. */
int mugai_spool_get_fd(const mugai_spool *spool);
/* LEN bytes from OFFSET into BUF, without mapping anything; FALSE (with ERROR) when fewer are
 * there. */
gboolean mugai_spool_read_at(const mugai_spool *spool, guint64 offset, void *buf, gsize len,
                             GError **error);

/* Everything written so far as one read-only block: the buffer itself, or the file mapped
 * (page cache, not heap: memory stays flat). Valid until the next write or mugai_spool_free().
 * *DATA is NULL when nothing was written. */
gboolean mugai_spool_view(mugai_spool *spool, const guint8 **data, gsize *len, GError **error);

/* A new stream over everything written so far, positioned at its start. (transfer full)
 * Valid while SPOOL lives; do not write to SPOOL while it is in use. */
GMimeStream *mugai_spool_get_stream(mugai_spool *spool, GError **error);
