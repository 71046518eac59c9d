/* sqlite_open.c — opening the SQLite backend's store (see sqlite_store.h): its layout made when
 * missing, given to its owner, or checked for what this process may do with it, with errors an
 * admin can act on. Owns what it returns. */
#include "quarantine/sqlite_store.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "quarantine/quarantine_id.h"

gboolean
mugai_sqlite_fail(GError **error, int code, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, MUGAI_QUARANTINE_ERROR, code, text);
  return FALSE;
}

gboolean
mugai_sqlite_index_fail(GError **error, const GError *local)
{
  int code = MUGAI_QUARANTINE_ERROR_INDEX;
  if (g_error_matches(local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND))
    code = MUGAI_QUARANTINE_ERROR_NOT_FOUND;
  else if (g_error_matches(local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_CLAIMED))
    code = MUGAI_QUARANTINE_ERROR_CLAIMED;
  return mugai_sqlite_fail(error, code, "%s", local->message);
}

/* "owned by mugai:mugai, mode 0750": who may read PATH, for an error message. */
static char *
owner_text(const char *path)
{
  struct stat st;
  if (stat(path, &st) != 0)
    return g_strdup("");
  struct passwd *pw = getpwuid(st.st_uid);
  struct group *gr = getgrgid(st.st_gid);
  g_autofree char *user = pw ? g_strdup(pw->pw_name) : g_strdup_printf("%u", (unsigned) st.st_uid);
  g_autofree char *group = gr ? g_strdup(gr->gr_name) : g_strdup_printf("%u", (unsigned) st.st_gid);
  return g_strdup_printf(" (owned by %s:%s, mode %04o): run this as root, as %s or as a member "
                         "of group %s",
                         user, group, (unsigned) (st.st_mode & 07777), user, group);
}

/* May this process use the existing store at DIR? The error says why not and whose it is. */
static gboolean
check_access(const char *dir, const char *index, GError **error)
{
  struct stat st;
  if (stat(dir, &st) != 0 && errno == ENOENT)
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_MISSING,
                             "no quarantine at %s ([quarantine] dir):"
                             " nothing has been stored there yet",
                             dir);
  if (access(dir, R_OK | X_OK) != 0) {
    g_autofree char *owner = owner_text(dir);
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                             "permission denied: cannot read the quarantine %s%s", dir, owner);
  }
  if (stat(index, &st) != 0 && errno == ENOENT)
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_MISSING, "no quarantine index %s",
                             index);
  /* SQLite in WAL mode writes its -shm file even to read: write access is needed. */
  if (access(index, R_OK | W_OK) != 0) {
    g_autofree char *owner = owner_text(index);
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                  "permission denied: cannot use the quarantine index %s%s", index, owner);
  }
  /* And it creates -wal and -shm beside the index when no one has it open. */
  g_autofree char *wal = g_strconcat(index, "-wal", NULL);
  if (access(wal, F_OK) != 0 && access(dir, W_OK) != 0) {
    g_autofree char *owner = owner_text(dir);
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                             "permission denied: cannot create %s for the index in the"
                             " quarantine %s%s",
                             wal, dir, owner);
  }
  return TRUE;
}

/* Who the store at DIR belongs to (see store.h): the named USER and GROUP, else DIR's owner. */
static gboolean
resolve_owner(const char *dir, const char *user, const char *group, mugai_durable_owner *owner,
              GError **error)
{
  struct stat st;
  gboolean exists = stat(dir, &st) == 0;
  owner->uid = exists ? (gint64) st.st_uid : (gint64) geteuid();
  owner->gid = exists ? (gint64) st.st_gid : (gint64) getegid();
  if (user != NULL && *user != '\0') {
    struct passwd *pw = getpwnam(user);
    if (pw == NULL)
      return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO,
                               "quarantine %s: [quarantine] user %s does not exist", dir, user);
    owner->uid = pw->pw_uid;
    owner->gid = pw->pw_gid;
  }
  if (group != NULL && *group != '\0') {
    struct group *gr = getgrnam(group);
    if (gr == NULL)
      return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO,
                               "quarantine %s: [quarantine] group %s does not exist", dir, group);
    owner->gid = gr->gr_gid;
  }
  return TRUE;
}

/* The index file is made here, not by SQLite, so that settle_index() gives it its owner and mode
 * before SQLite makes the -wal and -shm files from them. */
static gboolean
make_index_file(const char *dir, const char *index, GError **error)
{
  int fd = open(index, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, MUGAI_QINDEX_MODE);
  if (fd < 0 && errno == EEXIST)
    return TRUE;
  if (fd < 0) {
    g_set_error(error, MUGAI_DURABLE_ERROR, MUGAI_DURABLE_ERROR_IO, "cannot create %s: %s", index,
                g_strerror(errno));
    return FALSE;
  }
  close(fd);
  return mugai_durable_sync_dir(dir, error);
}

/* Make what is missing of the store at DIR. With a named owner DIR itself is the store's too:
 * SQLite creates files in it, so the milter's user must be able to write it. */
static gboolean
make_store(const char *dir, const char *index, const mugai_durable_owner *owner, gboolean named,
           GError **error)
{
  g_autoptr(GError) local = NULL;
  char real[PATH_MAX]; /* an admin may have made DIR a symlink: the directory it names */
  if (mugai_durable_mkdirs(dir, owner, &local) &&
      (!named || realpath(dir, real) == NULL ||
       mugai_durable_settle(real, owner, MUGAI_DURABLE_DIR_MODE, &local)) &&
      make_index_file(dir, index, &local))
    return TRUE;
  int code = g_error_matches(local, MUGAI_DURABLE_ERROR, MUGAI_DURABLE_ERROR_IO) &&
                     access(dir, W_OK) != 0
                 ? MUGAI_QUARANTINE_ERROR_PERMISSION
                 : MUGAI_QUARANTINE_ERROR_IO;
  return mugai_sqlite_fail(error, code, "quarantine %s: %s", dir, local->message);
}

/* The index, -wal and -shm files as the store's, where an older mugai or a umask left them
 * otherwise; before SQLite opens them, which gives new -wal and -shm files the index's owner
 * (as root) and mode. Another process may remove -wal and -shm meanwhile; a link an admin made
 * is left alone. */
static gboolean
settle_index(const char *index, const mugai_durable_owner *owner, GError **error)
{
  static const char *const suffixes[] = {"", "-wal", "-shm"};
  for (gsize i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *path = g_strconcat(index, suffixes[i], NULL);
    g_autoptr(GError) local = NULL;
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
      continue;
    if (!mugai_durable_settle(path, owner, MUGAI_QINDEX_MODE, &local) &&
        !(lstat(path, &st) != 0 && errno == ENOENT))
      return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO, "quarantine: %s", local->message);
  }
  return TRUE;
}


mugai_sqlite_store *
mugai_sqlite_store_open(const mugai_quarantine_policy *config, gboolean create, GError **error)
{
  const char *dir = config->dir, *user = config->user, *group = config->group;
  g_return_val_if_fail(dir != NULL && g_path_is_absolute(dir), NULL);
  g_autofree char *index = g_build_filename(dir, MUGAI_QINDEX_FILE, NULL);
  g_autoptr(GError) local = NULL;
  gboolean named = (user != NULL && *user != '\0') || (group != NULL && *group != '\0');
  /* What root makes in a store goes to its owner (the milter's user), so that the milter can
   * always write where an admin stored an original with `mugai sanitize`. */
  mugai_durable_owner owner;
  if (!resolve_owner(dir, user, group, &owner, error))
    return NULL;
  if (create) {
    if (!make_store(dir, index, &owner, named, error) ||
        !resolve_owner(dir, user, group, &owner, error)) /* a DIR just made: whose it became */
      return NULL;
  } else if (!check_access(dir, index, error)) {
    return NULL;
  }
  if (create && !settle_index(index, &owner, error))
    return NULL;
  sqlite3 *db = mugai_qindex_open(index, create, &local);
  if (db == NULL) {
    mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", local->message);
    return NULL;
  }
  mugai_sqlite_store *q = g_new0(mugai_sqlite_store, 1);
  q->owner = owner;
  q->dir = g_strdup(dir);
  q->db = db;
  g_mutex_init(&q->lock);
  g_cond_init(&q->committed);
  q->queue = g_ptr_array_new();
  g_mutex_init(&q->contacts_lock);
  g_mutex_init(&q->contacts_write_lock);
  q->contacts_pending = mugai_sqlite_contacts_rows_new();
  return q;
}

void
mugai_sqlite_store_free(mugai_sqlite_store *q)
{
  if (q == NULL)
    return;
  g_assert(q->queue->len == 0 && !q->committing);
  mugai_sqlite_contacts_close(q, NULL); /* a failure loses learned rows only: relearned later */
  g_ptr_array_unref(q->contacts_pending);
  g_mutex_clear(&q->contacts_write_lock);
  g_mutex_clear(&q->contacts_lock);
  mugai_sqlite_checkpointer_stop(q->checkpointer, q->db);
  mugai_qindex_close(q->db);
  g_ptr_array_unref(q->queue);
  g_cond_clear(&q->committed);
  g_mutex_clear(&q->lock);
  g_free(q->dir);
  g_free(q);
}

char *
mugai_sqlite_store_path_of(const mugai_sqlite_store *s, const char *id)
{
  g_autofree char *rel = mugai_quarantine_id_relpath(id);
  return g_build_filename(s->dir, rel, NULL);
}
