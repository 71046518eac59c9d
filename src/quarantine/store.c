/* store.c — the quarantine store and its group commit (see store.h).
 *
 * Owns: the index connection used for writing and the queue of rows waiting for a commit.
 * Never: answer before the row is committed, or remove a file before its row is gone.
 */
#include "quarantine/store.h"

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

G_DEFINE_QUARK(mugai - quarantine - error - quark, mugai_quarantine_error)

#define PURGE_BATCH 1000

/* A row waiting for the commit that takes it. */
typedef struct {
  const mugai_quarantine_entry *entry;
  gboolean done;
  GError *error; /* (nullable) set by the committer when its row failed */
} pending_row;

struct mugai_quarantine {
  char *dir;
  char *tmp_dir;
  sqlite3 *db;
  GMutex lock;         /* guards the queue and the flag below */
  GCond committed;     /* signalled after every commit */
  mugai_durable_owner owner; /* of DIR: what root creates in it goes to them */
  GPtrArray *queue;    /* pending_row *, not yet taken by a commit */
  gboolean committing; /* a thread is committing (it alone uses db meanwhile) */
  mugai_quarantine_fault fault;
};

static gboolean q_fail(GError **error, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
q_fail(GError **error, int code, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, MUGAI_QUARANTINE_ERROR, code, text);
  return FALSE;
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
    return q_fail(error, MUGAI_QUARANTINE_ERROR_MISSING,
                  "no quarantine at %s ([quarantine] dir):"
                  " nothing has been stored there yet",
                  dir);
  if (access(dir, R_OK | X_OK) != 0) {
    g_autofree char *owner = owner_text(dir);
    return q_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                  "permission denied: cannot read the quarantine %s%s", dir, owner);
  }
  if (stat(index, &st) != 0 && errno == ENOENT)
    return q_fail(error, MUGAI_QUARANTINE_ERROR_MISSING, "no quarantine index %s", index);
  /* SQLite in WAL mode writes its -shm file even to read: write access is needed. */
  if (access(index, R_OK | W_OK) != 0) {
    g_autofree char *owner = owner_text(index);
    return q_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                  "permission denied: cannot use the quarantine index %s%s", index, owner);
  }
  /* And it creates -wal and -shm beside the index when no one has it open. */
  g_autofree char *wal = g_strconcat(index, "-wal", NULL);
  if (access(wal, F_OK) != 0 && access(dir, W_OK) != 0) {
    g_autofree char *owner = owner_text(dir);
    return q_fail(error, MUGAI_QUARANTINE_ERROR_PERMISSION,
                  "permission denied: cannot create %s for the index in the quarantine %s%s", wal,
                  dir, owner);
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
      return q_fail(error, MUGAI_QUARANTINE_ERROR_IO,
                    "quarantine %s: [quarantine] user %s does not exist", dir, user);
    owner->uid = pw->pw_uid;
    owner->gid = pw->pw_gid;
  }
  if (group != NULL && *group != '\0') {
    struct group *gr = getgrnam(group);
    if (gr == NULL)
      return q_fail(error, MUGAI_QUARANTINE_ERROR_IO,
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
  g_autofree char *tmp = g_build_filename(dir, "tmp", NULL);
  g_autofree char *objects = g_build_filename(dir, "objects", NULL);
  g_autoptr(GError) local = NULL;
  char real[PATH_MAX]; /* an admin may have made DIR a symlink: the directory it names */
  if (mugai_durable_mkdirs(dir, owner, &local) &&
      (!named || realpath(dir, real) == NULL ||
       mugai_durable_settle(real, owner, MUGAI_DURABLE_DIR_MODE, &local)) &&
      mugai_durable_mkdirs(tmp, owner, &local) && mugai_durable_mkdirs(objects, owner, &local) &&
      make_index_file(dir, index, &local))
    return TRUE;
  int code = g_error_matches(local, MUGAI_DURABLE_ERROR, MUGAI_DURABLE_ERROR_IO) &&
                     access(dir, W_OK) != 0
                 ? MUGAI_QUARANTINE_ERROR_PERMISSION
                 : MUGAI_QUARANTINE_ERROR_IO;
  return q_fail(error, code, "quarantine %s: %s", dir, local->message);
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
      return q_fail(error, MUGAI_QUARANTINE_ERROR_IO, "quarantine: %s", local->message);
  }
  return TRUE;
}

mugai_quarantine *
mugai_quarantine_open(const char *dir, const char *user, const char *group, gboolean create,
                      GError **error)
{
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
    q_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", local->message);
    return NULL;
  }
  mugai_quarantine *q = g_new0(mugai_quarantine, 1);
  q->owner = owner;
  q->dir = g_strdup(dir);
  q->tmp_dir = g_build_filename(dir, "tmp", NULL);
  q->db = db;
  g_mutex_init(&q->lock);
  g_cond_init(&q->committed);
  q->queue = g_ptr_array_new();
  return q;
}

void
mugai_quarantine_free(mugai_quarantine *q)
{
  if (q == NULL)
    return;
  g_assert(q->queue->len == 0 && !q->committing);
  mugai_qindex_close(q->db);
  g_ptr_array_unref(q->queue);
  g_cond_clear(&q->committed);
  g_mutex_clear(&q->lock);
  g_free(q->tmp_dir);
  g_free(q->dir);
  g_free(q);
}

const char *
mugai_quarantine_get_dir(const mugai_quarantine *q)
{
  return q->dir;
}

const mugai_durable_owner *
mugai_quarantine_get_owner(const mugai_quarantine *q)
{
  return &q->owner;
}

sqlite3 *
mugai_quarantine_get_db(mugai_quarantine *q)
{
  return q->db;
}

char *
mugai_quarantine_path_of(const mugai_quarantine *q, const char *id)
{
  g_autofree char *rel = mugai_quarantine_id_relpath(id);
  return g_build_filename(q->dir, rel, NULL);
}

void
mugai_quarantine_set_fault(mugai_quarantine *q, mugai_quarantine_fault fault)
{
  q->fault = fault;
}

/* Commit ROWS (pending_row *) in one transaction, each in a savepoint so one bad row fails alone.
 * Called without the lock, by the one thread that set committing. */
static void
commit_rows(sqlite3 *db, GPtrArray *rows)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mugai_qindex_exec(db, "BEGIN IMMEDIATE", &error);
  for (guint i = 0; ok && i < rows->len; i++) {
    pending_row *row = g_ptr_array_index(rows, i);
    mugai_qindex_exec(db, "SAVEPOINT row", NULL);
    if (mugai_qindex_insert(db, row->entry, &row->error)) {
      mugai_qindex_exec(db, "RELEASE row", NULL);
    } else {
      mugai_qindex_exec(db, "ROLLBACK TO row", NULL);
      mugai_qindex_exec(db, "RELEASE row", NULL);
    }
  }
  if (ok && !mugai_qindex_exec(db, "COMMIT", &error)) {
    mugai_qindex_exec(db, "ROLLBACK", NULL);
    ok = FALSE;
  }
  for (guint i = 0; !ok && i < rows->len; i++) {
    pending_row *row = g_ptr_array_index(rows, i);
    if (row->error == NULL)
      row->error = g_error_copy(error);
  }
}

/* Queue ENTRY's row and return once a commit has taken it (group commit; see store.h). */
static gboolean
index_row(mugai_quarantine *q, const mugai_quarantine_entry *entry, GError **error)
{
  pending_row row = {.entry = entry};
  g_mutex_lock(&q->lock);
  g_ptr_array_add(q->queue, &row);
  while (!row.done) {
    if (q->committing) {
      g_cond_wait(&q->committed, &q->lock);
      continue;
    }
    q->committing = TRUE; /* this thread commits everything queued so far, its own row too */
    GPtrArray *rows = q->queue;
    q->queue = g_ptr_array_new();
    g_mutex_unlock(&q->lock);
    commit_rows(q->db, rows);
    g_mutex_lock(&q->lock);
    for (guint i = 0; i < rows->len; i++)
      ((pending_row *) g_ptr_array_index(rows, i))->done = TRUE;
    g_ptr_array_unref(rows);
    q->committing = FALSE;
    g_cond_broadcast(&q->committed);
  }
  g_mutex_unlock(&q->lock);
  if (row.error == NULL)
    return TRUE;
  q_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", row.error->message);
  g_error_free(row.error);
  return FALSE;
}

gboolean
mugai_quarantine_store(mugai_quarantine *q, const mugai_quarantine_entry *entry, const guint8 *data,
                       gsize len, GError **error)
{
  g_return_val_if_fail(mugai_quarantine_id_valid(entry->id), FALSE);
  g_autofree char *sub = mugai_quarantine_id_subdir(entry->id);
  g_autofree char *dir = g_build_filename(q->dir, sub, NULL);
  g_autoptr(GError) local = NULL;
  mugai_durable_step step = q->fault <= MUGAI_QUARANTINE_FAULT_RENAME
                                ? (mugai_durable_step) q->fault
                                : MUGAI_DURABLE_STEP_NONE;
  if (!mugai_durable_mkdirs(dir, &q->owner, &local) ||
      !mugai_durable_write(q->tmp_dir, dir, entry->id, data ? data : (const guint8 *) "", len,
                           &q->owner, step, &local))
    return q_fail(error, MUGAI_QUARANTINE_ERROR_IO, "quarantine: %s", local->message);
  if (q->fault == MUGAI_QUARANTINE_FAULT_INDEX)
    return q_fail(error, MUGAI_QUARANTINE_ERROR_INDEX,
                  "quarantine: simulated crash before the "
                  "index");
  if (index_row(q, entry, error))
    return TRUE;
  g_autofree char *path = g_build_filename(dir, entry->id, NULL);
  unlink(path); /* best effort: a file left without its row is fsck's */
  return FALSE;
}

/* Remove the files of IDS, then make each directory touched durable once. */
static gboolean
remove_files(mugai_quarantine *q, const GPtrArray *ids, GError **error)
{
  g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < ids->len; i++) {
    g_autofree char *path = mugai_quarantine_path_of(q, g_ptr_array_index(ids, i));
    if (unlink(path) != 0 && errno != ENOENT)
      return q_fail(error, MUGAI_QUARANTINE_ERROR_IO, "cannot remove %s: %s", path,
                    g_strerror(errno));
    g_hash_table_add(dirs, g_path_get_dirname(path));
  }
  GHashTableIter it;
  gpointer dir;
  g_hash_table_iter_init(&it, dirs);
  while (g_hash_table_iter_next(&it, &dir, NULL)) {
    g_autoptr(GError) local = NULL;
    if (!mugai_durable_sync_dir(dir, &local))
      return q_fail(error, MUGAI_QUARANTINE_ERROR_IO, "%s", local->message);
  }
  return TRUE;
}

static gboolean
index_fail(GError **error, GError *local)
{
  int code = g_error_matches(local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND)
                 ? MUGAI_QUARANTINE_ERROR_NOT_FOUND
                 : MUGAI_QUARANTINE_ERROR_INDEX;
  return q_fail(error, code, "%s", local->message);
}

gboolean
mugai_quarantine_delete(mugai_quarantine *q, const char *id, const char *reason, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local))
    return index_fail(error, local);
  if (!mugai_qindex_delete(q->db, id, &local) ||
      !mugai_qindex_audit_add(q->db, "delete", id, reason, "", &local) ||
      !mugai_qindex_exec(q->db, "COMMIT", &local)) {
    mugai_qindex_exec(q->db, "ROLLBACK", NULL);
    return index_fail(error, local);
  }
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  g_ptr_array_add(ids, (gpointer) id);
  return remove_files(q, ids, error);
}

gboolean
mugai_quarantine_record_release(mugai_quarantine *q, const char *id, const char *reason,
                                const char *detail, GError **error)
{
  g_autoptr(GError) local = NULL;
  if (!mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local) ||
      !mugai_qindex_mark_released(q->db, id, g_get_real_time() / G_USEC_PER_SEC, &local) ||
      !mugai_qindex_audit_add(q->db, "release", id, reason, detail, &local) ||
      !mugai_qindex_exec(q->db, "COMMIT", &local)) {
    mugai_qindex_exec(q->db, "ROLLBACK", NULL);
    return index_fail(error, local);
  }
  return TRUE;
}

gboolean
mugai_quarantine_purge(mugai_quarantine *q, gint64 before, const char *reason,
                       mugai_quarantine_progress_fn progress, gpointer data, guint64 *removed,
                       GError **error)
{
  g_autoptr(GError) local = NULL;
  *removed = 0;
  for (;;) {
    g_autoptr(GPtrArray) ids = mugai_qindex_ids_before(q->db, before, PURGE_BATCH, &local);
    if (ids == NULL)
      return index_fail(error, local);
    if (ids->len == 0)
      break;
    gboolean ok = mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local);
    for (guint i = 0; ok && i < ids->len; i++)
      ok = mugai_qindex_delete(q->db, g_ptr_array_index(ids, i), &local);
    if (!ok || !mugai_qindex_exec(q->db, "COMMIT", &local)) {
      mugai_qindex_exec(q->db, "ROLLBACK", NULL);
      return index_fail(error, local);
    }
    if (!remove_files(q, ids, error)) /* rows are gone: a file left over is fsck's */
      return FALSE;
    *removed += ids->len;
    if (progress)
      progress(*removed, data);
  }
  g_autofree char *detail = g_strdup_printf(
      "%" G_GUINT64_FORMAT " entries stored before %" G_GINT64_FORMAT, *removed, before);
  if (!mugai_qindex_audit_add(q->db, "purge", "", reason, detail, &local))
    return index_fail(error, local);
  return TRUE;
}
