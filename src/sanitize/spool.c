/* spool.c — memory-then-file spool (see spool.h). */
#include "sanitize/spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct mugai_spool {
  char *dir;
  gsize memory_max;
  GByteArray *memory; /* contents while they fit in memory_max */
  int fd;             /* -1 until spilled to disk */
  guint64 size;
  void *map;          /* (nullable) the file mapped by mugai_spool_view() */
  gsize map_len;
};

G_DEFINE_QUARK(mugai-spool-error-quark, mugai_spool_error)

static void
unmap(mugai_spool *spool)
{
  if (spool->map != NULL)
    munmap(spool->map, spool->map_len);
  spool->map = NULL;
  spool->map_len = 0;
}

mugai_spool *
mugai_spool_new(const char *dir, gsize memory_max)
{
  mugai_spool *spool = g_new0(mugai_spool, 1);
  spool->dir = g_strdup(dir);
  spool->memory_max = memory_max;
  spool->memory = g_byte_array_new();
  spool->fd = -1;
  return spool;
}

void
mugai_spool_free(mugai_spool *spool)
{
  if (spool == NULL)
    return;
  unmap(spool);
  if (spool->fd >= 0)
    close(spool->fd);
  g_byte_array_unref(spool->memory);
  g_free(spool->dir);
  g_free(spool);
}

/* A file nobody else can open: O_TMPFILE where the file system has it, else mkstemp + unlink. */
static int
open_private_file(const char *dir, GError **error)
{
  int fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (saved == EOPNOTSUPP || saved == EISDIR || saved == EINVAL) {
    g_autofree char *path = g_build_filename(dir, "mugai-spool-XXXXXX", NULL);
    fd = g_mkstemp_full(path, O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) {
      unlink(path);
      return fd;
    }
    saved = errno;
  }
  g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN, "cannot create a spool file in %s: %s",
              dir, g_strerror(saved));
  return -1;
}

static gboolean
write_all(int fd, const void *data, gsize len, GError **error)
{
  const char *p = data;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int saved = errno;
      g_set_error(error, MUGAI_SPOOL_ERROR,
                  saved == ENOSPC || saved == EDQUOT ? MUGAI_SPOOL_ERROR_NOSPACE
                                                     : MUGAI_SPOOL_ERROR_WRITE,
                  "cannot write the spool file: %s", g_strerror(saved));
      return FALSE;
    }
    p += n;
    len -= (gsize) n;
  }
  return TRUE;
}

gboolean
mugai_spool_write(mugai_spool *spool, const void *data, gsize len, GError **error)
{
  unmap(spool);
  if (spool->fd < 0 && spool->size + len <= spool->memory_max) {
    g_byte_array_append(spool->memory, data, len);
    spool->size += len;
    return TRUE;
  }
  if (spool->fd < 0) { /* past the threshold: move what we have to disk, then stream there */
    int fd = open_private_file(spool->dir, error);
    if (fd < 0)
      return FALSE;
    spool->fd = fd;
    if (!write_all(fd, spool->memory->data, spool->memory->len, error))
      return FALSE;
    g_byte_array_set_size(spool->memory, 0);
  }
  if (!write_all(spool->fd, data, len, error))
    return FALSE;
  spool->size += len;
  return TRUE;
}

guint64
mugai_spool_get_size(const mugai_spool *spool)
{
  return spool->size;
}

gboolean
mugai_spool_is_on_disk(const mugai_spool *spool)
{
  return spool->fd >= 0;
}

int
mugai_spool_get_fd(const mugai_spool *spool)
{
  return spool->fd;
}

gboolean
mugai_spool_read_at(const mugai_spool *spool, guint64 offset, void *buf, gsize len, GError **error)
{
  if (offset > spool->size || len > spool->size - offset) {
    g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN,
                "cannot read %zu bytes at %" G_GUINT64_FORMAT " of a %" G_GUINT64_FORMAT
                "-byte spool", len, offset, spool->size);
    return FALSE;
  }
  if (len == 0)
    return TRUE; /* an empty spool has no buffer to copy from */
  if (spool->fd < 0) {
    memcpy(buf, spool->memory->data + offset, len);
    return TRUE;
  }
  for (gsize got = 0; got < len;) {
    ssize_t n = pread(spool->fd, (guint8 *) buf + got, len - got, (off_t) (offset + got));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN,
                  "cannot read the spool file: %s", n < 0 ? g_strerror(errno) : "it ended early");
      return FALSE;
    }
    got += (gsize) n;
  }
  return TRUE;
}

gboolean
mugai_spool_view(mugai_spool *spool, const guint8 **data, gsize *len, GError **error)
{
  *data = NULL;
  *len = 0;
  if (spool->fd < 0 || spool->size == 0) {
    *data = spool->memory->len ? spool->memory->data : NULL;
    *len = spool->memory->len;
    return TRUE;
  }
  if (spool->map == NULL) {
    if (spool->size > G_MAXSIZE) {
      g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN, "spool file too large to map");
      return FALSE;
    }
    void *map = mmap(NULL, (gsize) spool->size, PROT_READ, MAP_PRIVATE, spool->fd, 0);
    if (map == MAP_FAILED) {
      g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN, "cannot map the spool file: %s",
                  g_strerror(errno));
      return FALSE;
    }
    spool->map = map;
    spool->map_len = (gsize) spool->size;
  }
  *data = spool->map;
  *len = spool->map_len;
  return TRUE;
}

GMimeStream *
mugai_spool_get_stream(mugai_spool *spool, GError **error)
{
  if (spool->fd < 0) {
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(spool->memory);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE); /* the spool keeps the bytes */
    return stream;
  }
  int fd = dup(spool->fd);
  if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
    g_set_error(error, MUGAI_SPOOL_ERROR, MUGAI_SPOOL_ERROR_OPEN, "cannot reopen the spool file: %s",
                g_strerror(errno));
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  return g_mime_stream_fs_new_with_bounds(fd, 0, (gint64) spool->size);
}
