/* durable_file.h — the quarantine's directories made durable and given to the store's owner, and
 * the owner and modes of what is in it (the originals themselves are in the index since version
 * 3; an older mugai wrote them here with write-fsync-rename).
 * Owns nothing it does not close before returning. Never logs.
 */
#pragma once
#include <glib.h>

#define MUGAI_DURABLE_ERROR (mugai_durable_error_quark())
GQuark mugai_durable_error_quark(void);
typedef enum {
  MUGAI_DURABLE_ERROR_IO,      /* open, write, fsync, rename or mkdir failed */
  MUGAI_DURABLE_ERROR_NOSPACE, /* the disk is full */
  MUGAI_DURABLE_ERROR_EXISTS,  /* the final name is taken */
} mugai_durable_error;

/* Who what is created must belong to: the owner of the store, so that root running `mugai
 * sanitize` or `mugai quarantine` never leaves a directory the milter's user cannot write.
 * Applied only when the process runs as root (nobody else may give files away). */
typedef struct {
  gint64 uid, gid; /* -1: leave as created */
} mugai_durable_owner;

/* The modes of what is created, set explicitly (the umask must not decide what the group gets).
 * Directories are group-writable and setgid: SQLite creates the index's -wal and -shm files
 * beside it when a group member's `mugai quarantine` opens it first, delete, purge and fsck
 * unlink originals, and setgid keeps every file a member creates in the store's group, so the
 * milter and the other members can open it. Originals are never rewritten: read-only. Others get
 * nothing: originals are private mail. */
#define MUGAI_DURABLE_DIR_MODE 02770
#define MUGAI_DURABLE_FILE_MODE 0640

/* Give PATH to OWNER (nullable; only as root) and MODE, where they differ. PATH must be a
 * directory or a file with one link, never followed if a symlink: group members may write the
 * store, and must not make root give away a file they linked into it. */
gboolean mugai_durable_settle(const char *path, const mugai_durable_owner *owner, guint mode,
                              GError **error);

/* Make DIR and its missing parents (MUGAI_DURABLE_DIR_MODE), owned by OWNER (nullable); each
 * directory created is made durable in its parent. */
gboolean mugai_durable_mkdirs(const char *dir, const mugai_durable_owner *owner, GError **error);

/* fsync the directory DIR, so the names created or removed in it are durable. */
gboolean mugai_durable_sync_dir(const char *dir, GError **error);
