/* sqlite_contacts.c — the SQLite backend's [contacts] table (contacts.h, index.h's contact).
 *
 * Owns: the store's two contacts connections and the rows learned but not written yet. Why
 * connections of their own: the writer of originals is held by the group commit through its
 * fsync, and a lookup (on every inbound message) must not wait for that, nor for a batch of
 * learned rows waiting for the write lock: the reader only reads (in WAL mode a read never waits
 * for a writer), the writer is used outside the lock the lookups take. Why learning is batched: a row is worth less than a message, so it is written
 * with synchronous=NORMAL (no fsync at the commit; WAL keeps the file consistent, a power loss
 * may lose the last rows, which the next mail teaches again), in one transaction per 512 rows or
 * second; the rows waiting are looked at by every lookup, so nothing learned is missed meanwhile.
 * Never: treat a sender as known when the database could not answer.
 */
#include "quarantine/sqlite_store.h"

#include <string.h>

#define PENDING_MAX 512                  /* rows learned before they are written */
#define PENDING_AGE (1 * G_USEC_PER_SEC) /* or when the oldest has waited this long */
#define CONTACTS_BUSY_MS 5000            /* a purge holds the write lock for at most this */
#define PURGE_BATCH 5000

typedef struct {
  char *user, *addr, *domain;
  gint64 time;
} learned_row;

static void
learned_row_free(gpointer data)
{
  learned_row *r = data;
  g_free(r->user);
  g_free(r->addr);
  g_free(r->domain);
  g_free(r);
}

GPtrArray *
mugai_sqlite_contacts_rows_new(void)
{
  return g_ptr_array_new_with_free_func(learned_row_free);
}

/* A connection for [contacts] (the reader or the writer), or NULL with ERROR. */
static sqlite3 *
open_connection(const mugai_sqlite_store *q, GError **error)
{
  g_autofree char *index = g_build_filename(q->dir, MUGAI_QINDEX_FILE, NULL);
  g_autoptr(GError) local = NULL;
  sqlite3 *db = mugai_qindex_open(index, FALSE, &local);
  /* A cache of 16 MB holds the upper levels of the table and its indexes: a year of 2000
   * users' mail is a million rows, ~350 MB (bench/bench_contacts.c). */
  if (db == NULL ||
      !mugai_qindex_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-16384;", &local)) {
    mugai_qindex_close(db);
    return mugai_sqlite_index_fail(error, local), NULL;
  }
  sqlite3_busy_timeout(db, CONTACTS_BUSY_MS);
  /* Checkpoints are the writer's (or the checkpointer's): this connection's commits stay short. */
  sqlite3_wal_autocheckpoint(db, 0);
  return db;
}

static gboolean
upsert(sqlite3 *db, const char *user, const char *addr, const char *domain, gint64 time,
       gboolean pinned, GError **error)
{
  sqlite3_stmt *st = mugai_qindex_cached(
      db,
      "INSERT INTO contact (user, addr, domain, last_seen, pinned) VALUES (?1, ?2, ?3, ?4, ?5)"
      " ON CONFLICT (user, addr) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen),"
      " pinned = max(pinned, excluded.pinned)",
      error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, domain, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, time);
  sqlite3_bind_int(st, 5, pinned ? 1 : 0);
  int rc = sqlite3_step(st);
  mugai_qindex_done_cached(st);
  if (rc == SQLITE_DONE)
    return TRUE;
  g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "contact: %s",
              sqlite3_errmsg(db));
  return FALSE;
}

/* Write ROWS in one transaction on the writer connection (one write at a time). They are
 * dropped even when it fails: they are learned again from the next mail, and a database that
 * keeps failing must not grow memory. Called without the lock: lookups go on meanwhile. */
static gboolean
write_rows(mugai_sqlite_store *q, const GPtrArray *rows, GError **error)
{
  if (rows->len == 0)
    return TRUE;
  g_mutex_lock(&q->contacts_write_lock);
  if (q->contacts_writer == NULL)
    q->contacts_writer = open_connection(q, error);
  sqlite3 *db = q->contacts_writer;
  g_autoptr(GError) local = NULL;
  gboolean ok = db != NULL && mugai_qindex_run(db, "BEGIN IMMEDIATE", &local);
  for (guint i = 0; ok && i < rows->len; i++) {
    const learned_row *r = g_ptr_array_index(rows, i);
    ok = upsert(db, r->user, r->addr, r->domain, r->time, FALSE, &local);
  }
  if (ok && !mugai_qindex_run(db, "COMMIT", &local))
    ok = FALSE;
  if (!ok && db != NULL) {
    mugai_qindex_run(db, "ROLLBACK", NULL);
    mugai_sqlite_index_fail(error, local);
  }
  g_mutex_unlock(&q->contacts_write_lock);
  return ok;
}

/* Write what was learned so far and wait for it (the admin's commands, the close). */
static gboolean
write_pending_now(mugai_sqlite_store *q, GError **error)
{
  g_mutex_lock(&q->contacts_lock);
  g_autoptr(GPtrArray) rows = q->contacts_pending;
  q->contacts_pending = g_ptr_array_new_with_free_func(learned_row_free);
  q->contacts_written = g_get_monotonic_time();
  g_mutex_unlock(&q->contacts_lock);
  return write_rows(q, rows, error);
}

gboolean
mugai_sqlite_contacts_learn(void *ctx, const char *user, const char *const *addrs, gint64 now,
                            GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_mutex_lock(&q->contacts_lock);
  for (gsize i = 0; addrs[i]; i++) {
    learned_row *r = g_new0(learned_row, 1);
    r->user = g_strdup(user);
    r->addr = g_strdup(addrs[i]);
    r->domain = g_strdup(strrchr(addrs[i], '@') + 1);
    r->time = now;
    g_ptr_array_add(q->contacts_pending, r);
  }
  /* Due, and no other thread writing: this one takes the batch, which lookups still see. */
  GPtrArray *rows = NULL;
  if (q->contacts_writing == NULL &&
      (q->contacts_pending->len >= PENDING_MAX ||
       g_get_monotonic_time() - q->contacts_written >= PENDING_AGE)) {
    rows = q->contacts_writing = q->contacts_pending;
    q->contacts_pending = g_ptr_array_new_with_free_func(learned_row_free);
    q->contacts_written = g_get_monotonic_time();
  }
  g_mutex_unlock(&q->contacts_lock);
  if (rows == NULL)
    return TRUE;
  gboolean ok = write_rows(q, rows, error);
  g_mutex_lock(&q->contacts_lock);
  q->contacts_writing = NULL;
  g_mutex_unlock(&q->contacts_lock);
  g_ptr_array_unref(rows);
  return ok;
}

/* Is ADDR (or DOMAIN, nullable) among ROWS (nullable), learned and not written yet? Called with
 * the lock held. */
static gboolean
rows_know(const GPtrArray *rows, const char *addr, const char *domain, gint64 since)
{
  for (guint i = 0; rows && i < rows->len; i++) {
    const learned_row *r = g_ptr_array_index(rows, i);
    if (r->time >= since &&
        (domain ? strcmp(r->domain, domain) == 0 : strcmp(r->addr, addr) == 0))
      return TRUE;
  }
  return FALSE;
}

gboolean
mugai_sqlite_contact_known(void *ctx, const char *addr, const char *domain, gint64 since,
                           gboolean *known, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_mutex_lock(&q->contacts_lock);
  gboolean ok = TRUE;
  if (rows_know(q->contacts_pending, addr, domain, since) ||
      rows_know(q->contacts_writing, addr, domain, since)) {
    *known = TRUE;
    g_mutex_unlock(&q->contacts_lock);
    return TRUE;
  }
  g_autoptr(GError) local = NULL;
  if (q->contacts_reader == NULL)
    q->contacts_reader = open_connection(q, error);
  sqlite3 *db = q->contacts_reader;
  sqlite3_stmt *st = NULL;
  if (db != NULL)
    st = mugai_qindex_cached(db,
                             domain ? "SELECT 1 FROM contact WHERE domain = ?1 AND"
                                      " (last_seen >= ?2 OR pinned) LIMIT 1"
                                    : "SELECT 1 FROM contact WHERE addr = ?1 AND"
                                      " (last_seen >= ?2 OR pinned) LIMIT 1",
                             &local);
  if (st != NULL) {
    sqlite3_bind_text(st, 1, domain ? domain : addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
      *known = rc == SQLITE_ROW;
    else
      g_set_error(&local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "contact: %s",
                  sqlite3_errmsg(db));
    mugai_qindex_done_cached(st);
  }
  if (db != NULL && local != NULL)
    ok = mugai_sqlite_index_fail(error, local);
  else if (db == NULL)
    ok = FALSE;
  g_mutex_unlock(&q->contacts_lock);
  return ok;
}

static char *
column(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return g_strdup(t ? (const char *) t : "");
}

gboolean
mugai_sqlite_contacts_list(void *ctx, const char *user, mugai_contact_row_fn fn, gpointer data,
                           GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  gboolean ok = write_pending_now(q, &local); /* what this process learned, too */
  sqlite3_stmt *st = NULL;
  if (ok && sqlite3_prepare_v2(q->db,
                               "SELECT user, addr, domain, last_seen, pinned FROM contact"
                               " WHERE ?1 IS NULL OR user = ?1 ORDER BY user, addr",
                               -1, &st, NULL) != SQLITE_OK)
    g_set_error(&local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "contact: %s",
                sqlite3_errmsg(q->db));
  if (st == NULL) {
    if (local == NULL) /* the write failed with a quarantine error already */
      return FALSE;
    return mugai_sqlite_index_fail(error, local);
  }
  if (user)
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    mugai_contact c = {column(st, 0), column(st, 1), column(st, 2), sqlite3_column_int64(st, 3),
                       sqlite3_column_int(st, 4) != 0};
    gboolean more = fn(&c, data);
    g_free(c.user);
    g_free(c.addr);
    g_free(c.domain);
    if (!more) {
      rc = SQLITE_DONE;
      break;
    }
  }
  if (rc != SQLITE_DONE)
    g_set_error(&local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "contact: %s",
                sqlite3_errmsg(q->db));
  sqlite3_finalize(st);
  return local == NULL || mugai_sqlite_index_fail(error, local);
}

/* One change of an admin's with its audit record, in one transaction on the writer. */
static gboolean
audited(mugai_sqlite_store *q, const char *sql, const char *user, const char *addr,
        const char *domain, gint64 now, const char *action, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *detail = g_strdup_printf("%s -> %s", user, addr);
  sqlite3_stmt *st = NULL;
  gboolean ok = mugai_qindex_exec(q->db, "BEGIN IMMEDIATE", &local);
  if (ok && sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
    ok = FALSE;
  else if (ok) {
    sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
    if (domain)
      sqlite3_bind_text(st, 3, domain, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 4)
      sqlite3_bind_int64(st, 4, now);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok && local == NULL)
    g_set_error(&local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "contact: %s",
                sqlite3_errmsg(q->db));
  sqlite3_finalize(st);
  if (ok && domain == NULL && sqlite3_changes(q->db) == 0) {
    g_set_error(&local, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND,
                "no contact %s -> %s", user, addr);
    ok = FALSE;
  }
  if (ok && mugai_qindex_audit_add(q->db, action, "", "admin", detail, &local) &&
      mugai_qindex_exec(q->db, "COMMIT", &local))
    return TRUE;
  mugai_qindex_exec(q->db, "ROLLBACK", NULL);
  return mugai_sqlite_index_fail(error, local);
}

gboolean
mugai_sqlite_contact_add(void *ctx, const char *user, const char *addr, const char *domain,
                         gint64 now, GError **error)
{
  return audited(ctx,
                 "INSERT INTO contact (user, addr, domain, last_seen, pinned)"
                 " VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT (user, addr) DO UPDATE"
                 " SET pinned = 1, last_seen = max(last_seen, excluded.last_seen)",
                 user, addr, domain, now, "contact-add", error);
}

gboolean
mugai_sqlite_contact_remove(void *ctx, const char *user, const char *addr, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  write_pending_now(q, &local); /* a row learned just now would come back after the remove */
  return audited(ctx, "DELETE FROM contact WHERE user = ?1 AND addr = ?2", user, addr,
                 NULL, 0, "contact-remove", error);
}

/* In batches, so that the milter's learning waits for the write lock a short while at most. */
gboolean
mugai_sqlite_contacts_purge(void *ctx, gint64 before, guint64 *removed, GError **error)
{
  mugai_sqlite_store *q = ctx;
  g_autoptr(GError) local = NULL;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(q->db,
                         "DELETE FROM contact WHERE (user, addr) IN (SELECT user, addr FROM"
                         " contact WHERE last_seen < ?1 AND NOT pinned LIMIT " G_STRINGIFY(
                             PURGE_BATCH) ")",
                         -1, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    return mugai_sqlite_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "contact: %s",
                             sqlite3_errmsg(q->db));
  }
  sqlite3_bind_int64(st, 1, before);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_DONE && sqlite3_changes(q->db) > 0) {
    *removed += (guint64) sqlite3_changes(q->db);
    sqlite3_reset(st);
  }
  if (rc != SQLITE_DONE)
    mugai_sqlite_fail(&local, MUGAI_QUARANTINE_ERROR_INDEX, "contact: %s", sqlite3_errmsg(q->db));
  sqlite3_finalize(st);
  if (local != NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  return TRUE;
}

gboolean
mugai_sqlite_contacts_close(mugai_sqlite_store *q, GError **error)
{
  gboolean ok = write_pending_now(q, error);
  mugai_qindex_close(q->contacts_reader);
  q->contacts_reader = NULL;
  mugai_qindex_close(q->contacts_writer);
  q->contacts_writer = NULL;
  return ok;
}
