/* durable_file.h — write bytes so that they survive a crash or a power cut once the call returns:
 * a temp file, fsync, rename into place, fsync of the directory (SQLite's and OpenSMTPD's
 * write-fsync-rename commit). A crash at any step leaves either nothing at the final name or the
 * whole file; a temp file may be left behind for fsck to remove.
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

/* Which step to fail, for the tests of crash recovery and I/O errors (0 = none). */
typedef enum {
  MUGAI_DURABLE_STEP_NONE,
  MUGAI_DURABLE_STEP_WRITE,  /* after the temp file is created */
  MUGAI_DURABLE_STEP_FSYNC,  /* after the data is written */
  MUGAI_DURABLE_STEP_RENAME, /* after the data is durable in the temp file */
} mugai_durable_step;

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

/* Write the LEN bytes at DATA as DIR/NAME (DIR exists), through TMP_DIR/NAME.tmp (same file
 * system), MUGAI_DURABLE_FILE_MODE. FAIL_AT simulates a crash: the call stops at that step and
 * fails, leaving what a crash there would leave. */
gboolean mugai_durable_write(const char *tmp_dir, const char *dir, const char *name,
                             const guint8 *data, gsize len, const mugai_durable_owner *owner,
                             mugai_durable_step fail_at, GError **error);

/* fsync the directory DIR, so the names created or removed in it are durable. */
gboolean mugai_durable_sync_dir(const char *dir, GError **error);
