/* durable_file.c — write-fsync-rename (see durable_file.h). Owns only file descriptors it closes.
 */
#include "quarantine/durable_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(mugai - durable - error - quark, mugai_durable_error)

static gboolean
fail(GError **error, int err, const char *what, const char *path)
{
  int code = err == ENOSPC || err == EDQUOT ? MUGAI_DURABLE_ERROR_NOSPACE
             : err == EEXIST                ? MUGAI_DURABLE_ERROR_EXISTS
                                            : MUGAI_DURABLE_ERROR_IO;
  g_set_error(error, MUGAI_DURABLE_ERROR, code, "%s %s: %s", what, path, g_strerror(err));
  return FALSE;
}

gboolean
mugai_durable_sync_dir(const char *dir, GError **error)
{
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return fail(error, errno, "cannot open directory", dir);
  if (fsync(fd) != 0) {
    int err = errno;
    close(fd);
    return fail(error, err, "cannot fsync directory", dir);
  }
  close(fd);
  return TRUE;
}

/* Give FD (PATH, for messages; O_PATH when BY_PATH) to OWNER when this process may and should,
 * then MODE: after the chown, which may clear the setgid bit. */
static gboolean
settle_fd(int fd, gboolean by_path, const char *path, const mugai_durable_owner *owner, guint mode,
          GError **error)
{
  struct stat st;
  if (fstat(fd, &st) != 0)
    return fail(error, errno, "cannot stat", path);
  gboolean root = geteuid() == 0;
  gboolean give = root && owner != NULL && owner->uid >= 0 &&
                  (st.st_uid != (uid_t) owner->uid ||
                   (owner->gid >= 0 && st.st_gid != (gid_t) owner->gid));
  if (give && fchownat(fd, "", (uid_t) owner->uid, (gid_t) owner->gid, AT_EMPTY_PATH) != 0)
    return fail(error, errno, "cannot give to the store's owner", path);
  if (!give && ((st.st_mode & 07777) == mode || (!root && st.st_uid != geteuid())))
    return TRUE; /* right already, or not this process's to change */
  /* The /proc name of an O_PATH descriptor is its file, even were PATH replaced meanwhile. */
  g_autofree char *self = by_path ? g_strdup_printf("/proc/self/fd/%d", fd) : NULL;
  if ((by_path ? chmod(self, mode) : fchmod(fd, mode)) != 0)
    return fail(error, errno, "cannot set the mode of", path);
  return TRUE;
}

/* Through an O_PATH descriptor: closing it does not drop the POSIX locks this process's SQLite
 * holds on the index and its -shm (closing any other descriptor of those files would, and
 * another process would then rebuild the -shm under our mapping). */
gboolean
mugai_durable_settle(const char *path, const mugai_durable_owner *owner, guint mode,
                     GError **error)
{
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return fail(error, errno, "cannot open", path);
  struct stat st;
  gboolean ok = fstat(fd, &st) == 0 || fail(error, errno, "cannot stat", path);
  if (ok && !S_ISDIR(st.st_mode) && !(S_ISREG(st.st_mode) && st.st_nlink == 1)) {
    g_set_error(error, MUGAI_DURABLE_ERROR, MUGAI_DURABLE_ERROR_IO,
                "%s is neither a directory nor a file with one link: left alone", path);
    ok = FALSE;
  }
  ok = ok && settle_fd(fd, TRUE, path, owner, mode, error);
  close(fd);
  return ok;
}

gboolean
mugai_durable_mkdirs(const char *dir, const mugai_durable_owner *owner, GError **error)
{
  struct stat st;
  if (stat(dir, &st) == 0)
    return S_ISDIR(st.st_mode) ? TRUE : fail(error, ENOTDIR, "cannot use", dir);
  g_autofree char *parent = g_path_get_dirname(dir);
  if (strcmp(parent, dir) != 0 && !mugai_durable_mkdirs(parent, owner, error))
    return FALSE;
  if (mkdir(dir, 0700) != 0) {
    if (errno == EEXIST) /* another thread was first */
      return TRUE;
    return fail(error, errno, "cannot create directory", dir);
  }
  return mugai_durable_settle(dir, owner, MUGAI_DURABLE_DIR_MODE, error) &&
         mugai_durable_sync_dir(parent, error);
}

static gboolean
write_all(int fd, const guint8 *data, gsize len, const char *path, GError **error)
{
  while (len > 0) {
    ssize_t n = write(fd, data, MIN(len, (gsize) 1 << 30));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return fail(error, errno, "cannot write", path);
    data += n;
    len -= (gsize) n;
  }
  return TRUE;
}

static gboolean
simulated(mugai_durable_step at, mugai_durable_step step, const char *path, GError **error)
{
  if (at != step)
    return FALSE;
  g_set_error(error, MUGAI_DURABLE_ERROR, MUGAI_DURABLE_ERROR_IO, "%s: simulated crash", path);
  return TRUE;
}

gboolean
mugai_durable_write(const char *tmp_dir, const char *dir, const char *name, const guint8 *data,
                    gsize len, const mugai_durable_owner *owner, mugai_durable_step fail_at,
                    GError **error)
{
  g_autofree char *tmp_name = g_strconcat(name, ".tmp", NULL);
  g_autofree char *tmp = g_build_filename(tmp_dir, tmp_name, NULL);
  g_autofree char *final = g_build_filename(dir, name, NULL);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, MUGAI_DURABLE_FILE_MODE);
  if (fd < 0)
    return fail(error, errno, "cannot create", tmp);
  /* A simulated crash leaves what a real one would: the temp file, for fsck to remove. */
  if (simulated(fail_at, MUGAI_DURABLE_STEP_WRITE, tmp, error)) {
    close(fd);
    return FALSE;
  }
  gboolean ok = settle_fd(fd, FALSE, tmp, owner, MUGAI_DURABLE_FILE_MODE, error) &&
                write_all(fd, data, len, tmp, error);
  if (ok && simulated(fail_at, MUGAI_DURABLE_STEP_FSYNC, tmp, error)) {
    close(fd);
    return FALSE;
  }
  if (ok && fdatasync(fd) != 0)
    ok = fail(error, errno, "cannot fsync", tmp);
  if (close(fd) != 0 && ok)
    ok = fail(error, errno, "cannot close", tmp);
  if (ok && simulated(fail_at, MUGAI_DURABLE_STEP_RENAME, tmp, error))
    return FALSE;
  if (ok && access(final, F_OK) == 0) /* ids are unique; a taken name is a bug or damage */
    ok = fail(error, EEXIST, "cannot store", final);
  if (ok && rename(tmp, final) != 0)
    ok = fail(error, errno, "cannot rename into", final);
  if (!ok) {
    unlink(tmp);
    return FALSE;
  }
  return mugai_durable_sync_dir(dir, error);
}
