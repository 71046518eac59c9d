/* durable_file.c — the store's directories and owners (see durable_file.h). Owns only file descriptors it closes.
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

/* Give FD (an O_PATH descriptor of PATH, named for messages) to OWNER when this process may and
 * should, then MODE: after the chown, which may clear the setgid bit. */
static gboolean
settle_fd(int fd, const char *path, const mugai_durable_owner *owner, guint mode, GError **error)
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
  g_autofree char *self = g_strdup_printf("/proc/self/fd/%d", fd);
  if (chmod(self, mode) != 0)
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
  ok = ok && settle_fd(fd, path, owner, mode, error);
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

