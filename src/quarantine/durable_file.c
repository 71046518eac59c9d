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

/* Give PATH (or FD, when >= 0) to OWNER when this process may and should. */
static gboolean
give_away(int fd, const char *path, const mugai_durable_owner *owner, GError **error)
{
  if (owner == NULL || owner->uid < 0 || geteuid() != 0)
    return TRUE;
  int rc = fd >= 0 ? fchown(fd, (uid_t) owner->uid, (gid_t) owner->gid)
                   : lchown(path, (uid_t) owner->uid, (gid_t) owner->gid);
  return rc == 0 ? TRUE : fail(error, errno, "cannot give to the store's owner", path);
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
  if (mkdir(dir, 0750) != 0) {
    if (errno == EEXIST) /* another thread was first */
      return TRUE;
    return fail(error, errno, "cannot create directory", dir);
  }
  return give_away(-1, dir, owner, error) && mugai_durable_sync_dir(parent, error);
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
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0)
    return fail(error, errno, "cannot create", tmp);
  /* A simulated crash leaves what a real one would: the temp file, for fsck to remove. */
  if (simulated(fail_at, MUGAI_DURABLE_STEP_WRITE, tmp, error)) {
    close(fd);
    return FALSE;
  }
  gboolean ok = give_away(fd, tmp, owner, error) && write_all(fd, data, len, tmp, error);
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
