/* sqlite_store.c — the SQLite backend's operations and its group commit (see sqlite_store.h),
 * and its table of functions (backend.h).
 *
 * Owns: through the store, the index connection used for writing and the queue of rows waiting
 * for a commit. Never: answer before the row is committed, or remove a file before its row is
 * gone.
 */
#include "quarantine/sqlite_store.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "quarantine/quarantine_id.h"

#define PURGE_BATCH 1000
#define READ_CHUNK (64 * 1024)

/* A row waiting for the commit that takes it, with its original. */
typedef struct {
  const mugai_quarantine_entry *entry;
  const guint8 *data;       /* the original (LEN bytes) as CODEC holds it, or the one in SPOOL */
  const mugai_spool *spool; /* (nullable) */
  gsize len;
  mugai_original_codec codec;
  mugai_quarantine_fault fault;
  gboolean done;
  GError *error; /* (nullable) set by the committer when its row failed */
} pending_row;

/* ROW's entry and original, or neither (the caller's savepoint is rolled back on FALSE). */
static gboolean
insert_row(sqlite3 *db, pending_row *row)
{
  if (!mugai_qindex_insert(db, row->entry, &row->error) ||
      !(row->spool
            ? mugai_qindex_insert_original_spool(db, row->entry->id, row->spool, &row->error)
            : mugai_qindex_insert_original(db, row->entry->id, row->data, row->len, row->codec,
                                           &row->error)))
    return FALSE;
  if (row->fault == MUGAI_QUARANTINE_FAULT_NONE)
    return TRUE;
  g_set_error(&row->error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE,
              "simulated crash before the commit");
  return FALSE;
}

/* Commit ROWS (pending_row *) in one transaction, each in a savepoint so one bad row fails alone.
 * Called without the lock, by the one thread that set committing. */
static void
commit_rows(sqlite3 *db, GPtrArray *rows)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mugai_qindex_run(db, "BEGIN IMMEDIATE", &error);
  for (guint i = 0; ok && i < rows->len; i++) {
    pending_row *row = g_ptr_array_index(rows, i);
    mugai_qindex_run(db, "SAVEPOINT row", NULL);
    if (!insert_row(db, row))
      mugai_qindex_run(db, "ROLLBACK TO row", NULL);
    mugai_qindex_run(db, "RELEASE row", NULL);
  }
  if (ok && !mugai_qindex_run(db, "COMMIT", &error)) {
    mugai_qindex_run(db, "ROLLBACK", NULL);
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
index_row(mugai_sqlite_store *q, const mugai_quarantine_entry *entry, const guint8 *data,
          const mugai_spool *spool, gsize len, mugai_original_codec codec, GError **error)
{
  pending_row row = {.entry = entry, .data = data, .spool = spool, .len = len, .codec = codec,
                     .fault = q->fault};
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
  mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", row.error->message);
  g_error_free(row.error);
  return FALSE;
}

static gboolean
sqlite_store(void *ctx, const mugai_quarantine_entry *entry, const guint8 *data,
             gsize len, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_return_val_if_fail(mugai_quarantine_id_valid(entry->id), FALSE);
  /* Compressed here, on the caller's thread, not by the one committing for everyone. */
  g_autoptr(GBytes) frame = mugai_original_compress(data, len);
  if (frame == NULL)
    return index_row(q, entry, data, NULL, len, MUGAI_ORIGINAL_RAW, error);
  gsize n = 0;
  const guint8 *framed = g_bytes_get_data(frame, &n);
  return index_row(q, entry, framed, NULL, n, MUGAI_ORIGINAL_ZSTD, error);
}

/* The committer reads SPOOL while the caller waits (mugai_spool_read_at: nothing is mapped). */
static gboolean
sqlite_store_spool(void *ctx, const mugai_quarantine_entry *entry, const mugai_spool *spool,
                   GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_return_val_if_fail(mugai_quarantine_id_valid(entry->id), FALSE);
  return index_row(q, entry, NULL, spool, 0, MUGAI_ORIGINAL_RAW, error);
}

/* Remove the files an older mugai stored for IDS (their rows are gone), then make each directory
 * touched durable once. An original in the index went with its row. */
static gboolean
remove_files(mugai_sqlite_store *q, const GPtrArray *ids, GError **error)
{
  g_autoptr(GHashTable) dirs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < ids->len; i++) {
    g_autofree char *path = mugai_sqlite_store_path_of(q, g_ptr_array_index(ids, i));
    if (unlink(path) == 0)
      g_hash_table_add(dirs, g_path_get_dirname(path));
    else if (errno != ENOENT && errno != ENOTDIR)
      return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO, "cannot remove %s: %s", path,
                               g_strerror(errno));
  }
  GHashTableIter it;
  gpointer dir;
  g_hash_table_iter_init(&it, dirs);
  while (g_hash_table_iter_next(&it, &dir, NULL)) {
    g_autoptr(GError) local = NULL;
    if (!mugai_durable_sync_dir(dir, &local))
      return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO, "%s", local->message);
  }
  return TRUE;
}

static gboolean
sqlite_remove(void *ctx, const char *id, const char *reason, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  if (!mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local))
    return mugai_sqlite_index_fail(error, local);
  if (!mugai_qindex_delete(q->db, id, &local) ||
      !mugai_qindex_audit_add(q->db, "delete", id, reason, "", &local) ||
      !mugai_qindex_exec(q->db, "COMMIT", &local)) {
    mugai_qindex_exec(q->db, "ROLLBACK", NULL);
    return mugai_sqlite_index_fail(error, local);
  }
  g_autoptr(GPtrArray) ids = g_ptr_array_new();
  g_ptr_array_add(ids, (gpointer) id);
  return remove_files(q, ids, error);
}

static gboolean
sqlite_claim_release(void *ctx, const char *id, const char *claim, guint stale_after,
                     GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  return mugai_qindex_claim(q->db, id, claim, now, now - (gint64) stale_after, &local) ||
         mugai_sqlite_index_fail(error, local);
}

static gboolean
sqlite_finish_release(void *ctx, const char *id, const char *claim, const char *reason,
                      const char *detail, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  if (!mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local) ||
      !mugai_qindex_finish_claim(q->db, id, claim, now, &local) ||
      !mugai_qindex_audit_add(q->db, "release", id, reason, detail, &local) ||
      !mugai_qindex_exec(q->db, "COMMIT", &local)) {
    mugai_qindex_exec(q->db, "ROLLBACK", NULL);
    return mugai_sqlite_index_fail(error, local);
  }
  return TRUE;
}

static gboolean
sqlite_give_back_release(void *ctx, const char *id, const char *claim, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  return mugai_qindex_give_back_claim(q->db, id, claim, &local) ||
         mugai_sqlite_index_fail(error, local);
}

static gboolean
sqlite_purge(void *ctx, gint64 before, const char *reason,
             mugai_quarantine_progress_fn progress, gpointer data, guint64 *removed,
             GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  *removed = 0;
  for (;;) {
    g_autoptr(GPtrArray) ids = mugai_qindex_ids_before(q->db, before, PURGE_BATCH, &local);
    if (ids == NULL)
      return mugai_sqlite_index_fail(error, local);
    if (ids->len == 0)
      break;
    gboolean ok = mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local);
    for (guint i = 0; ok && i < ids->len; i++)
      ok = mugai_qindex_delete(q->db, g_ptr_array_index(ids, i), &local);
    if (!ok || !mugai_qindex_exec(q->db, "COMMIT", &local)) {
      mugai_qindex_exec(q->db, "ROLLBACK", NULL);
      return mugai_sqlite_index_fail(error, local);
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
    return mugai_sqlite_index_fail(error, local);
  return TRUE;
}
static mugai_quarantine_entry *
sqlite_get(void *ctx, const char *id, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  mugai_quarantine_entry *e = mugai_qindex_get(q->db, id, &local);
  if (e == NULL)
    mugai_sqlite_index_fail(error, local);
  return e;
}

/* The original in the index, else the file of an older mugai; read in pieces: a 64 MB original
 * never sits in memory here. */
static gboolean
sqlite_read_original(void *ctx, const char *id, mugai_quarantine_write_fn write,
                     gpointer user_data, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_return_val_if_fail(mugai_quarantine_id_valid(id), FALSE);
  g_autoptr(GError) local = NULL;
  if (mugai_qindex_read_original(q->db, id, write, user_data, &local))
    return TRUE;
  if (!g_error_matches(local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND)) {
    if (local->domain == MUGAI_QINDEX_ERROR)
      return mugai_sqlite_index_fail(error, local);
    g_propagate_error(error, g_steal_pointer(&local)); /* WRITE's own error */
    return FALSE;
  }
  g_autofree char *path = mugai_sqlite_store_path_of(q, id);
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO, "cannot open %s: %s", path,
                             g_strerror(errno));
  g_autofree guint8 *buf = g_malloc(READ_CHUNK);
  gboolean ok = TRUE;
  ssize_t n;
  while (ok && (n = read(fd, buf, READ_CHUNK)) != 0) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      ok = mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_IO, "cannot read %s: %s", path,
                             g_strerror(errno));
    else
      ok = write(buf, (gsize) n, user_data, error);
  }
  close(fd);
  return ok;
}

static gboolean
sqlite_list(void *ctx, const mugai_quarantine_filter *filter,
            mugai_quarantine_row_fn fn, gpointer data, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  return mugai_qindex_list(q->db, filter, fn, data, &local) ||
         mugai_sqlite_index_fail(error, local);
}

static GPtrArray *
sqlite_audit_list(void *ctx, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  GPtrArray *rows = mugai_qindex_audit_list(q->db, &local);
  if (rows == NULL)
    mugai_sqlite_index_fail(error, local);
  return rows;
}

static gboolean
sqlite_get_stats(void *ctx, mugai_quarantine_stats *stats, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  return mugai_qindex_get_stats(q->db, stats, &local) || mugai_sqlite_index_fail(error, local);
}

static gboolean
sqlite_is_at(const void *ctx, const mugai_quarantine_policy *config)
{
  const mugai_sqlite_store *q = ctx;
  return strcmp(q->dir, config->dir) == 0;
}

static const char *
sqlite_get_location(const void *ctx)
{
  const mugai_sqlite_store *q = ctx;
  return q->dir;
}

static gboolean
sqlite_run_in_background(void *ctx, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_return_val_if_fail(q->checkpointer == NULL, FALSE);
  g_autofree char *index = g_build_filename(q->dir, MUGAI_QINDEX_FILE, NULL);
  q->checkpointer = mugai_sqlite_checkpointer_start(q->db, index, error);
  return q->checkpointer != NULL;
}

static void
sqlite_set_fault(void *ctx, mugai_quarantine_fault fault)
{
  mugai_sqlite_store *q = ctx;
  q->fault = fault;
}

static void *
sqlite_open(const mugai_quarantine_policy *config, gboolean create, GError **error)
{
  return mugai_sqlite_store_open(config, create, error);
}

static void
sqlite_free(void *ctx)
{
  mugai_sqlite_store_free(ctx);
}

static gboolean
sqlite_fsck(void *ctx, gint64 grace, gboolean repair, mugai_quarantine_fsck_report *report,
            GError **error)
{
  return mugai_sqlite_store_fsck(ctx, grace, repair, report, error);
}

const mugai_quarantine_backend mugai_sqlite_backend = {
    .name = "sqlite",
    .open = sqlite_open,
    .free = sqlite_free,
    .is_at = sqlite_is_at,
    .get_location = sqlite_get_location,
    .store = sqlite_store,
    .store_spool = sqlite_store_spool,
    .get = sqlite_get,
    .read_original = sqlite_read_original,
    .list = sqlite_list,
    .remove = sqlite_remove,
    .purge = sqlite_purge,
    .claim_release = sqlite_claim_release,
    .finish_release = sqlite_finish_release,
    .give_back_release = sqlite_give_back_release,
    .audit_list = sqlite_audit_list,
    .get_stats = sqlite_get_stats,
    .fsck = sqlite_fsck,
    .contacts_learn = mugai_sqlite_contacts_learn,
    .contact_known = mugai_sqlite_contact_known,
    .contacts_list = mugai_sqlite_contacts_list,
    .contact_add = mugai_sqlite_contact_add,
    .contact_remove = mugai_sqlite_contact_remove,
    .contacts_purge = mugai_sqlite_contacts_purge,
    .run_in_background = sqlite_run_in_background,
    .set_fault = sqlite_set_fault,
};
