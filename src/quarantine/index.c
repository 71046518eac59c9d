/* index.c — the SQLite index of the quarantine (see index.h).
 *
 * Owns: the schema, written once here. Every value is bound, never pasted into SQL. Never logs.
 */
#include "quarantine/index.h"

#include <string.h>

G_DEFINE_QUARK(mugai - qindex - error - quark, mugai_qindex_error)

/* 1: the first; 2: entry.host (who stored it) and entry.claim, claim_time (a release in
 * progress), added in place to an index of version 1; 3: the originals themselves, in table
 * original (those stored before stay files under objects/, sqlite_store.h); 4: table contact,
 * who inside has written to whom outside ([contacts], contacts.h); 5: entry.locked (PPAP: an
 * archive that waits for its password) and the index entry_waiting that finds those waiting; 6:
 * original.codec (an original kept as one zstd frame, original_codec.h). */
#define SCHEMA_VERSION 6
#define BUSY_TIMEOUT_MS 30000 /* a purge of 100 000 rows holds the write lock for seconds */

/* PPAP: the entries that wait for a password mail from one sender, since a time (the milter's
 * lookup for each inbound mail that may carry a password). Partial, so it holds only locked
 * entries; NOCASE, so that the sender's case-blind match uses it (see mugai_qindex_list()). */
#define WAITING_INDEX                                                                              \
  "CREATE INDEX IF NOT EXISTS entry_waiting ON entry(mail_from COLLATE NOCASE, time)"              \
  " WHERE locked = 1;"

/* A table of its own, so that listing and searching entries never reads an original's pages. */
#define ORIGINAL_TABLE                                                                             \
  "CREATE TABLE IF NOT EXISTS original (entry_id TEXT PRIMARY KEY REFERENCES entry(id) ON "       \
  "DELETE CASCADE, data BLOB NOT NULL);"

/* From version 5: how the original is held (mugai_original_codec). Those stored before are as
 * they came. In every schema, after ORIGINAL_TABLE. */
#define CODEC_COLUMN "ALTER TABLE original ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;"

/* One row per (internal user, external address): what bounds the table is the number of pairs
 * seen within [contacts] retention, not the number of messages. Addresses are stored lower case.
 * The lookup of a sender is one probe of contact_addr (or contact_domain); the purge walks
 * contact_time. */
#define CONTACT_TABLE                                                                              \
  "CREATE TABLE IF NOT EXISTS contact (user TEXT NOT NULL, addr TEXT NOT NULL,"                    \
  " domain TEXT NOT NULL, last_seen INTEGER NOT NULL, pinned INTEGER NOT NULL DEFAULT 0,"          \
  " PRIMARY KEY (user, addr)) WITHOUT ROWID;"                                                      \
  "CREATE INDEX IF NOT EXISTS contact_addr ON contact(addr, last_seen);"                           \
  "CREATE INDEX IF NOT EXISTS contact_domain ON contact(domain, last_seen);"                       \
  "CREATE INDEX IF NOT EXISTS contact_time ON contact(last_seen);"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS entry ("
    " id TEXT PRIMARY KEY, time INTEGER NOT NULL, queue_id TEXT NOT NULL, client TEXT NOT NULL,"
    " direction TEXT NOT NULL, mail_from TEXT NOT NULL, from_header TEXT NOT NULL,"
    " subject TEXT NOT NULL, size INTEGER NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,"
    " actions TEXT NOT NULL, signatures TEXT NOT NULL, report TEXT NOT NULL,"
    " released INTEGER NOT NULL DEFAULT 0, host TEXT NOT NULL DEFAULT '',"
    " claim TEXT NOT NULL DEFAULT '', claim_time INTEGER NOT NULL DEFAULT 0,"
    " locked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS entry_time ON entry(time);" WAITING_INDEX
    "CREATE TABLE IF NOT EXISTS rcpt (entry_id TEXT NOT NULL REFERENCES entry(id) ON DELETE "
    "CASCADE,"
    " addr TEXT NOT NULL COLLATE NOCASE);"
    "CREATE INDEX IF NOT EXISTS rcpt_addr ON rcpt(addr);"
    "CREATE INDEX IF NOT EXISTS rcpt_entry ON rcpt(entry_id);"
    "CREATE TABLE IF NOT EXISTS part (entry_id TEXT NOT NULL REFERENCES entry(id) ON DELETE "
    "CASCADE,"
    " seq INTEGER NOT NULL, path TEXT NOT NULL, type TEXT NOT NULL, detected_type TEXT NOT NULL,"
    " name TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, action TEXT NOT NULL,"
    " reason TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS part_entry ON part(entry_id);"
    "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT "
    "NULL,"
    " user TEXT NOT NULL, uid INTEGER NOT NULL, action TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " reason TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    ORIGINAL_TABLE CONTACT_TABLE CODEC_COLUMN;

/* From version 4: entry.locked, at the end of entry as in the schema above. Entries stored
 * before are not locked: no mugai before held an archive for its password. */
#define LOCKED_COLUMN                                                                              \
  "ALTER TABLE entry ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;" WAITING_INDEX

/* From version 1: the columns version 2 added, at the end of entry as in the schema above.
 * Entries stored before keep host "": which host stored them was not recorded. */
static const char migrate_from_1[] =
    "ALTER TABLE entry ADD COLUMN host TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE entry ADD COLUMN claim TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE entry ADD COLUMN claim_time INTEGER NOT NULL DEFAULT 0;" ORIGINAL_TABLE
    CONTACT_TABLE LOCKED_COLUMN CODEC_COLUMN;
/* From version 2: the tables versions 3 and 4 added, the columns versions 5 and 6 did. */
static const char migrate_from_2[] = ORIGINAL_TABLE CONTACT_TABLE LOCKED_COLUMN CODEC_COLUMN;
/* From version 3: the table version 4 added (empty: nothing is learned from mail before). */
static const char migrate_from_3[] = CONTACT_TABLE LOCKED_COLUMN CODEC_COLUMN;
static const char migrate_from_4[] = LOCKED_COLUMN CODEC_COLUMN;
static const char migrate_from_5[] = CODEC_COLUMN;

static gboolean
sql_fail(sqlite3 *db, GError **error, const char *what)
{
  g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "%s: %s", what,
              db ? sqlite3_errmsg(db) : "out of memory");
  return FALSE;
}

gboolean
mugai_qindex_exec(sqlite3 *db, const char *sql, GError **error)
{
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
    return TRUE;
  g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_SQLITE, "index: %s",
              msg ? msg : "error");
  sqlite3_free(msg);
  return FALSE;
}

static gint64
user_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  gint64 v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

static gboolean
too_new(gint64 v, GError **error)
{
  g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_VERSION,
              "index version %" G_GINT64_FORMAT " was made by a newer mugai (this one knows %d)", v,
              SCHEMA_VERSION);
  return FALSE;
}

/* Create the schema of a new index, or bring an older one up to SCHEMA_VERSION in place. The
 * version is read again under the write lock: another process may have just done it. */
static gboolean
ensure_schema(sqlite3 *db, GError **error)
{
  gint64 v = user_version(db);
  if (v > SCHEMA_VERSION)
    return too_new(v, error);
  if (v == SCHEMA_VERSION)
    return TRUE;
  if (!mugai_qindex_exec(db, "BEGIN IMMEDIATE", error))
    return FALSE;
  v = user_version(db);
  g_autofree char *version = g_strdup_printf("PRAGMA user_version = %d;", SCHEMA_VERSION);
  static const char *const steps[SCHEMA_VERSION] = {schema, migrate_from_1, migrate_from_2,
                                                    migrate_from_3, migrate_from_4,
                                                    migrate_from_5};
  gboolean ok = TRUE;
  if (v > SCHEMA_VERSION)
    ok = too_new(v, error);
  else if (v < 0)
    ok = sql_fail(db, error, "index version");
  else if (v < SCHEMA_VERSION)
    ok = mugai_qindex_exec(db, steps[v], error) && mugai_qindex_exec(db, version, error);
  if (ok && mugai_qindex_exec(db, "COMMIT", error))
    return TRUE;
  mugai_qindex_exec(db, "ROLLBACK", NULL);
  return FALSE;
}

sqlite3 *
mugai_qindex_open(const char *path, gboolean create, GError **error)
{
  sqlite3 *db = NULL;
  int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
    g_autofree char *what = g_strdup_printf("cannot open %s", path);
    sql_fail(db, error, what);
    sqlite3_close(db);
    return NULL;
  }
  sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
  if (!mugai_qindex_exec(db,
                         "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                         "PRAGMA journal_size_limit=16777216;" /* a 64 MB original's WAL */
                         "PRAGMA foreign_keys=ON;",
                         error) ||
      !ensure_schema(db, error)) {
    g_prefix_error(error, "%s: ", path);
    sqlite3_close(db);
    return NULL;
  }
  return db;
}

void
mugai_qindex_close(sqlite3 *db)
{
  if (db == NULL)
    return;
  sqlite3_stmt *st;
  while ((st = sqlite3_next_stmt(db, NULL)) != NULL) /* the cached ones (see cached()) */
    sqlite3_finalize(st);
  sqlite3_close(db);
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    sql_fail(db, error, "index");
    return NULL;
  }
  return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *value)
{
  sqlite3_bind_text(st, i, value ? value : "", -1, SQLITE_STATIC);
}

/* The statements of every store, kept prepared on their connection: parsing them again for each
 * message cost about as much as running them (callgrind: 40 % of a store's instructions). Their
 * SQL is prepared with CACHED in front, so no statement another function prepared (and will
 * finalize) is taken for one; the connection is used by one thread at a time. A cached statement
 * is given back with done_cached(), never finalized; mugai_qindex_close() finalizes them. */
#define CACHED "/* cached */ "

/* The statement SQL (without CACHED), prepared once on DB. */
static sqlite3_stmt *
cached(sqlite3 *db, const char *sql, GError **error)
{
  for (sqlite3_stmt *st = sqlite3_next_stmt(db, NULL); st; st = sqlite3_next_stmt(db, st)) {
    const char *text = sqlite3_sql(st);
    if (!sqlite3_stmt_busy(st) && g_str_has_prefix(text, CACHED) &&
        strcmp(text + strlen(CACHED), sql) == 0)
      return st;
  }
  g_autofree char *text = g_strconcat(CACHED, sql, NULL);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
    sqlite3_finalize(st);
    sql_fail(db, error, "index");
    return NULL;
  }
  return st;
}

/* Give back a cached statement: reset, its bindings (pointers into the caller's data) cleared. */
static void
done_cached(sqlite3_stmt *st)
{
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

/* Step the cached ST to its end and give it back. */
static gboolean
run_cached(sqlite3 *db, sqlite3_stmt *st, GError **error)
{
  gboolean ok = sqlite3_step(st) == SQLITE_DONE || sql_fail(db, error, "index");
  done_cached(st);
  return ok;
}

sqlite3_stmt *
mugai_qindex_cached(sqlite3 *db, const char *sql, GError **error)
{
  return cached(db, sql, error);
}

void
mugai_qindex_done_cached(sqlite3_stmt *st)
{
  done_cached(st);
}

gboolean
mugai_qindex_run(sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = cached(db, sql, error);
  return st != NULL && run_cached(db, st, error);
}

/* Step ST to its end (an INSERT, UPDATE or DELETE) and finalize it. */
static gboolean
run(sqlite3 *db, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? TRUE : sql_fail(db, error, "index");
}

/* run() for a statement that changes the row of entry ID: NOT_FOUND when there is none. */
static gboolean
run_on_entry(sqlite3 *db, sqlite3_stmt *st, const char *id, GError **error)
{
  if (!run(db, st, error))
    return FALSE;
  if (sqlite3_changes(db) == 0) {
    g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND, "no quarantine entry %s",
                id);
    return FALSE;
  }
  return TRUE;
}

static gboolean
insert_parts(sqlite3 *db, const mugai_quarantine_entry *e, GError **error)
{
  sqlite3_stmt *st = cached(db, "INSERT INTO part VALUES (?,?,?,?,?,?,?,?,?,?)", error);
  if (st == NULL)
    return FALSE;
  for (guint i = 0; i < e->parts->len; i++) {
    const mugai_quarantine_part *p = g_ptr_array_index(e->parts, i);
    sqlite3_reset(st);
    bind_text(st, 1, e->id);
    sqlite3_bind_int64(st, 2, i);
    bind_text(st, 3, p->path);
    bind_text(st, 4, p->type);
    bind_text(st, 5, p->detected_type);
    bind_text(st, 6, p->name);
    sqlite3_bind_int64(st, 7, (sqlite3_int64) p->size);
    bind_text(st, 8, p->sha256);
    bind_text(st, 9, p->action);
    bind_text(st, 10, p->reason);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sql_fail(db, error, "index part");
      done_cached(st);
      return FALSE;
    }
  }
  done_cached(st);
  return TRUE;
}

static gboolean
insert_rcpts(sqlite3 *db, const mugai_quarantine_entry *e, GError **error)
{
  sqlite3_stmt *st = cached(db, "INSERT INTO rcpt VALUES (?,?)", error);
  if (st == NULL)
    return FALSE;
  for (guint i = 0; e->rcpts[i]; i++) {
    sqlite3_reset(st);
    bind_text(st, 1, e->id);
    bind_text(st, 2, e->rcpts[i]);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sql_fail(db, error, "index recipient");
      done_cached(st);
      return FALSE;
    }
  }
  done_cached(st);
  return TRUE;
}

gboolean
mugai_qindex_insert(sqlite3 *db, const mugai_quarantine_entry *e, GError **error)
{
  sqlite3_stmt *st = cached(db,
                             "INSERT INTO entry (id, time, queue_id, client, direction, mail_from,"
                             " from_header, subject, size, verdict, reason, actions, signatures,"
                             " report, released, host, locked)"
                             " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                             error);
  if (st == NULL)
    return FALSE;
  const char *texts[] = {e->queue_id, e->client, e->direction, e->mail_from, e->from, e->subject};
  bind_text(st, 1, e->id);
  sqlite3_bind_int64(st, 2, e->time);
  for (int i = 0; i < (int) G_N_ELEMENTS(texts); i++)
    bind_text(st, 3 + i, texts[i]);
  sqlite3_bind_int64(st, 9, (sqlite3_int64) e->size);
  bind_text(st, 10, e->verdict);
  bind_text(st, 11, e->reason);
  bind_text(st, 12, e->actions);
  bind_text(st, 13, e->signatures);
  bind_text(st, 14, e->report_json);
  sqlite3_bind_int64(st, 15, e->released);
  bind_text(st, 16, e->host);
  sqlite3_bind_int(st, 17, e->locked ? 1 : 0);
  return run_cached(db, st, error) && insert_rcpts(db, e, error) && insert_parts(db, e, error);
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return g_strdup(t ? (const char *) t : "");
}

#define ENTRY_COLUMNS                                                                              \
  "id, time, queue_id, client, direction, mail_from, from_header, subject,"                        \
  " size, verdict, reason, actions, signatures, released, host, locked"

/* An entry from a row of ENTRY_COLUMNS (no recipients, parts or report). */
static mugai_quarantine_entry *
entry_from_row(sqlite3_stmt *st)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  char **texts[] = {&e->queue_id, &e->client, &e->direction, &e->mail_from, &e->from, &e->subject};
  g_free(e->id);
  e->id = column_text(st, 0);
  e->time = sqlite3_column_int64(st, 1);
  for (int i = 0; i < (int) G_N_ELEMENTS(texts); i++) {
    g_free(*texts[i]);
    *texts[i] = column_text(st, 2 + i);
  }
  e->size = (guint64) sqlite3_column_int64(st, 8);
  char **more[] = {&e->verdict, &e->reason, &e->actions, &e->signatures};
  for (int i = 0; i < (int) G_N_ELEMENTS(more); i++) {
    g_free(*more[i]);
    *more[i] = column_text(st, 9 + i);
  }
  e->released = sqlite3_column_int64(st, 13);
  g_free(e->host);
  e->host = column_text(st, 14);
  e->locked = sqlite3_column_int(st, 15) != 0;
  return e;
}

static gboolean
load_rcpts(sqlite3 *db, mugai_quarantine_entry *e, GError **error)
{
  sqlite3_stmt *st = prepare(db, "SELECT addr FROM rcpt WHERE entry_id = ? ORDER BY rowid", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, e->id);
  GPtrArray *rcpts = g_ptr_array_new();
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(rcpts, column_text(st, 0));
  g_ptr_array_add(rcpts, NULL);
  sqlite3_finalize(st);
  g_strfreev(e->rcpts);
  e->rcpts = (char **) g_ptr_array_free(rcpts, FALSE);
  return TRUE;
}

static gboolean
load_parts(sqlite3 *db, mugai_quarantine_entry *e, GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "SELECT path, type, detected_type, name, size, sha256, action,"
                             " reason FROM part WHERE entry_id = ? ORDER BY seq",
                             error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, e->id);
  while (sqlite3_step(st) == SQLITE_ROW) {
    mugai_quarantine_part *p = g_new0(mugai_quarantine_part, 1);
    p->path = column_text(st, 0);
    p->type = column_text(st, 1);
    p->detected_type = column_text(st, 2);
    p->name = column_text(st, 3);
    p->size = (guint64) sqlite3_column_int64(st, 4);
    p->sha256 = column_text(st, 5);
    p->action = column_text(st, 6);
    p->reason = column_text(st, 7);
    g_ptr_array_add(e->parts, p);
  }
  sqlite3_finalize(st);
  return TRUE;
}

mugai_quarantine_entry *
mugai_qindex_get(sqlite3 *db, const char *id, GError **error)
{
  sqlite3_stmt *st = prepare(db, "SELECT " ENTRY_COLUMNS ", report FROM entry WHERE id = ?", error);
  if (st == NULL)
    return NULL;
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    if (rc == SQLITE_DONE)
      g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND, "no quarantine entry %s",
                  id);
    else
      sql_fail(db, error, "index");
    sqlite3_finalize(st);
    return NULL;
  }
  g_autoptr(mugai_quarantine_entry) e = entry_from_row(st);
  g_free(e->report_json);
  e->report_json = column_text(st, 16);
  sqlite3_finalize(st);
  if (!load_rcpts(db, e, error) || !load_parts(db, e, error))
    return NULL;
  return g_steal_pointer(&e);
}

/* Up to this size an original is bound in one piece (SQLite copies it once into its record);
 * a larger one is written into a zeroblob in pieces, so memory does not follow its size. */
#define ORIGINAL_BIND_MAX (1024 * 1024)
#define ORIGINAL_PIECE (1024 * 1024)
#define ORIGINAL_READ_PIECE (64 * 1024) /* what mugai_quarantine_read_original() promises */

/* Write LEN bytes into the zeroblob of the original at ROWID: DATA's, or with DATA NULL SPOOL's,
 * read a piece at a time (a spooled original is never resident whole). */
static gboolean
write_original_pieces(sqlite3 *db, sqlite3_int64 rowid, const guint8 *data,
                      const mugai_spool *spool, gsize len, GError **error)
{
  sqlite3_blob *blob = NULL;
  if (sqlite3_blob_open(db, "main", "original", "data", rowid, 1, &blob) != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return sql_fail(db, error, "index original");
  }
  g_autofree guint8 *buf = data ? NULL : g_malloc(MIN(len, (gsize) ORIGINAL_PIECE));
  int rc = SQLITE_OK;
  for (gsize at = 0; rc == SQLITE_OK && at < len; at += ORIGINAL_PIECE) {
    gsize n = MIN(ORIGINAL_PIECE, len - at);
    if (buf && !mugai_spool_read_at(spool, at, buf, n, error)) {
      sqlite3_blob_close(blob);
      return FALSE;
    }
    rc = sqlite3_blob_write(blob, buf ? buf : data + at, (int) n, (int) at);
  }
  sqlite3_blob_close(blob);
  return rc == SQLITE_OK ? TRUE : sql_fail(db, error, "index original");
}

gboolean
mugai_qindex_insert_original(sqlite3 *db, const char *id, const guint8 *data, gsize len,
                             mugai_original_codec codec, GError **error)
{
  if (len > G_MAXINT) /* sqlite3_blob_write's offsets are ints */
    return sql_fail(db, error, "index original: too big");
  sqlite3_stmt *st =
      cached(db, "INSERT INTO original (entry_id, data, codec) VALUES (?, ?, ?)", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  if (len <= ORIGINAL_BIND_MAX)
    sqlite3_bind_blob64(st, 2, data ? (const void *) data : "", len, SQLITE_STATIC);
  else
    sqlite3_bind_zeroblob64(st, 2, len);
  sqlite3_bind_int(st, 3, (int) codec);
  return run_cached(db, st, error) &&
         (len <= ORIGINAL_BIND_MAX ||
          write_original_pieces(db, sqlite3_last_insert_rowid(db), data, NULL, len, error));
}

gboolean
mugai_qindex_insert_original_spool(sqlite3 *db, const char *id, const mugai_spool *spool,
                                   GError **error)
{
  guint64 len = mugai_spool_get_size(spool);
  if (len > G_MAXINT)
    return sql_fail(db, error, "index original: too big");
  sqlite3_stmt *st = cached(db, "INSERT INTO original (entry_id, data) VALUES (?, ?)", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  sqlite3_bind_zeroblob64(st, 2, len);
  return run_cached(db, st, error) &&
         write_original_pieces(db, sqlite3_last_insert_rowid(db), NULL, spool, (gsize) len, error);
}

/* Where ID's original is and how it is held. */
typedef struct {
  sqlite3_int64 rowid; /* 0 when the index holds none */
  mugai_original_codec codec;
  gint64 size; /* its entry's */
} original_row;

static gboolean
original_row_of(sqlite3 *db, const char *id, original_row *row, GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "SELECT o.rowid, o.codec, e.size FROM original o"
                             " JOIN entry e ON e.id = o.entry_id WHERE o.entry_id = ?",
                             error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  *row = (original_row) {0};
  if (rc == SQLITE_ROW) {
    row->rowid = sqlite3_column_int64(st, 0);
    row->codec = (mugai_original_codec) sqlite3_column_int(st, 1);
    row->size = sqlite3_column_int64(st, 2);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_fail(db, error, "index original");
  return TRUE;
}

/* The blob's LEN bytes to WRITE, or through a zstd frame's READER when it is one. */
static gboolean
read_pieces(sqlite3 *db, sqlite3_blob *blob, int len, mugai_original_reader *reader,
            mugai_quarantine_write_fn write, gpointer user_data, GError **error)
{
  g_autofree guint8 *buf = g_malloc(MIN(ORIGINAL_READ_PIECE, MAX(len, 1)));
  for (int at = 0; at < len; at += ORIGINAL_READ_PIECE) {
    int n = MIN(ORIGINAL_READ_PIECE, len - at);
    if (sqlite3_blob_read(blob, buf, n, at) != SQLITE_OK)
      return sql_fail(db, error, "index original");
    if (!(reader ? mugai_original_reader_feed(reader, buf, (gsize) n, error)
                 : write(buf, (gsize) n, user_data, error)))
      return FALSE;
  }
  return reader == NULL || mugai_original_reader_finish(reader, error);
}

gboolean
mugai_qindex_read_original(sqlite3 *db, const char *id, mugai_quarantine_write_fn write,
                           gpointer user_data, GError **error)
{
  original_row row;
  if (!original_row_of(db, id, &row, error))
    return FALSE;
  if (row.rowid == 0) {
    g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND,
                "no original of %s in the index", id);
    return FALSE;
  }
  if (row.codec != MUGAI_ORIGINAL_RAW && row.codec != MUGAI_ORIGINAL_ZSTD) {
    g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_VERSION,
                "index original: held in a way this mugai does not know (codec %d)", row.codec);
    return FALSE;
  }
  sqlite3_blob *blob = NULL;
  if (sqlite3_blob_open(db, "main", "original", "data", row.rowid, 0, &blob) != SQLITE_OK) {
    sqlite3_blob_close(blob);
    return sql_fail(db, error, "index original");
  }
  g_autoptr(mugai_original_reader) reader =
      row.codec == MUGAI_ORIGINAL_ZSTD
          ? mugai_original_reader_new(write, user_data, (guint64) MAX(row.size, 0))
          : NULL;
  gboolean ok = read_pieces(db, blob, sqlite3_blob_bytes(blob), reader, write, user_data, error);
  sqlite3_blob_close(blob);
  return ok;
}

gboolean
mugai_qindex_delete(sqlite3 *db, const char *id, GError **error)
{
  sqlite3_stmt *st = prepare(db, "DELETE FROM entry WHERE id = ?", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  return run_on_entry(db, st, id, error);
}

/* After a claim on ID was refused: who holds it since when, or NOT_FOUND. */
static gboolean
claim_refused(sqlite3 *db, const char *id, GError **error)
{
  sqlite3_stmt *st = prepare(db, "SELECT claim, claim_time FROM entry WHERE id = ?", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_NOT_FOUND, "no quarantine entry %s",
                id);
    return FALSE;
  }
  g_autofree char *holder = column_text(st, 0);
  g_autoptr(GDateTime) since = g_date_time_new_from_unix_local(sqlite3_column_int64(st, 1));
  sqlite3_finalize(st);
  g_autofree char *when = since ? g_date_time_format(since, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
  g_set_error(error, MUGAI_QINDEX_ERROR, MUGAI_QINDEX_ERROR_CLAIMED,
              "%s is being released already, by %s since %s", id, holder, when);
  return FALSE;
}

gboolean
mugai_qindex_claim(sqlite3 *db, const char *id, const char *claim, gint64 now, gint64 stale_before,
                   GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "UPDATE entry SET claim = ?, claim_time = ?"
                             " WHERE id = ? AND (claim = '' OR claim_time <= ?)",
                             error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, claim);
  sqlite3_bind_int64(st, 2, now);
  bind_text(st, 3, id);
  sqlite3_bind_int64(st, 4, stale_before);
  if (!run(db, st, error))
    return FALSE;
  return sqlite3_changes(db) == 1 || claim_refused(db, id, error);
}

gboolean
mugai_qindex_finish_claim(sqlite3 *db, const char *id, const char *claim, gint64 when,
                          GError **error)
{
  /* Every SET expression sees the row as it was: the claim is tested before it is cleared. */
  sqlite3_stmt *st = prepare(db,
                             "UPDATE entry SET released = ?1,"
                             " claim_time = CASE WHEN claim = ?2 THEN 0 ELSE claim_time END,"
                             " claim = CASE WHEN claim = ?2 THEN '' ELSE claim END WHERE id = ?3",
                             error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, 1, when);
  bind_text(st, 2, claim);
  bind_text(st, 3, id);
  return run_on_entry(db, st, id, error);
}

gboolean
mugai_qindex_give_back_claim(sqlite3 *db, const char *id, const char *claim, GError **error)
{
  sqlite3_stmt *st =
      prepare(db, "UPDATE entry SET claim = '', claim_time = 0 WHERE id = ? AND claim = ?", error);
  if (st == NULL)
    return FALSE;
  bind_text(st, 1, id);
  bind_text(st, 2, claim);
  return run(db, st, error);
}

gboolean
mugai_qindex_list(sqlite3 *db, const mugai_quarantine_filter *f,
                  mugai_quarantine_row_fn fn, gpointer data,
                  GError **error)
{
  g_autoptr(GString) sql = g_string_new("SELECT " ENTRY_COLUMNS ", (SELECT group_concat(addr, "
                                        "char(10)) FROM rcpt WHERE entry_id = entry.id)"
                                        " FROM entry WHERE 1");
  if (f->since)
    g_string_append(sql, " AND time >= :since");
  if (f->until)
    g_string_append(sql, " AND time < :until");
  if (f->reason)
    g_string_append(sql, " AND reason = :reason");
  if (f->rcpt)
    g_string_append(sql, " AND id IN (SELECT entry_id FROM rcpt WHERE addr = :rcpt)");
  if (f->from)
    g_string_append(sql, " AND (instr(lower(mail_from), lower(:from)) OR"
                         " instr(lower(from_header), lower(:from)))");
  if (f->virus_only)
    g_string_append(sql, " AND signatures != ''");
  /* As entry_waiting is made (NOCASE, locked = 1), so that the planner can use it. */
  if (f->sender)
    g_string_append(sql, " AND mail_from = :sender COLLATE NOCASE");
  if (f->locked_only)
    g_string_append(sql, " AND locked = 1");
  if (f->released >= 0)
    g_string_append(sql, f->released ? " AND released != 0" : " AND released = 0");
  g_string_append(sql, " ORDER BY time DESC, rowid DESC"); /* rowid: the order of commits */
  if (f->limit)
    g_string_append_printf(sql, " LIMIT %" G_GUINT64_FORMAT, f->limit);
  sqlite3_stmt *st = prepare(db, sql->str, error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":since"), f->since);
  sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":until"), f->until);
  bind_text(st, sqlite3_bind_parameter_index(st, ":reason"), f->reason);
  bind_text(st, sqlite3_bind_parameter_index(st, ":rcpt"), f->rcpt);
  bind_text(st, sqlite3_bind_parameter_index(st, ":from"), f->from);
  bind_text(st, sqlite3_bind_parameter_index(st, ":sender"), f->sender);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_autoptr(mugai_quarantine_entry) e = entry_from_row(st);
    const char *rcpts = (const char *) sqlite3_column_text(st, 16);
    if (rcpts) {
      g_strfreev(e->rcpts);
      e->rcpts = g_strsplit(rcpts, "\n", -1);
    }
    if (!fn(e, data)) {
      rc = SQLITE_DONE;
      break;
    }
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? TRUE : sql_fail(db, error, "index");
}

GPtrArray *
mugai_qindex_ids_before(sqlite3 *db, gint64 before, guint max, GError **error)
{
  sqlite3_stmt *st =
      prepare(db, "SELECT id FROM entry WHERE time < ? ORDER BY time LIMIT ?", error);
  if (st == NULL)
    return NULL;
  sqlite3_bind_int64(st, 1, before);
  sqlite3_bind_int64(st, 2, max);
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(ids, column_text(st, 0));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    g_ptr_array_unref(ids);
    sql_fail(db, error, "index");
    return NULL;
  }
  return ids;
}

gboolean
mugai_qindex_audit_add(sqlite3 *db, const char *action, const char *id, const char *reason,
                       const char *detail, GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "INSERT INTO audit (time, user, uid, action, entry_id, reason,"
                             " detail) VALUES (?,?,?,?,?,?,?)",
                             error);
  if (st == NULL)
    return FALSE;
  gint64 uid = 0;
  g_autofree char *who = mugai_quarantine_audit_actor(&uid);
  sqlite3_bind_int64(st, 1, g_get_real_time() / G_USEC_PER_SEC);
  bind_text(st, 2, who);
  sqlite3_bind_int64(st, 3, uid);
  bind_text(st, 4, action);
  bind_text(st, 5, id);
  bind_text(st, 6, reason);
  bind_text(st, 7, detail);
  return run(db, st, error);
}

GPtrArray *
mugai_qindex_audit_list(sqlite3 *db, GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "SELECT seq, time, user, uid, action, entry_id, reason, detail"
                             " FROM audit ORDER BY seq",
                             error);
  if (st == NULL)
    return NULL;
  GPtrArray *rows =
      g_ptr_array_new_with_free_func((GDestroyNotify) mugai_quarantine_audit_row_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    mugai_quarantine_audit_row *r = g_new0(mugai_quarantine_audit_row, 1);
    r->seq = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    r->user = column_text(st, 2);
    r->uid = sqlite3_column_int64(st, 3);
    r->action = column_text(st, 4);
    r->id = column_text(st, 5);
    r->reason = column_text(st, 6);
    r->detail = column_text(st, 7);
    g_ptr_array_add(rows, r);
  }
  sqlite3_finalize(st);
  return rows;
}

gboolean
mugai_qindex_get_stats(sqlite3 *db, mugai_quarantine_stats *s, GError **error)
{
  sqlite3_stmt *st = prepare(db,
                             "SELECT count(*), coalesce(sum(size), 0), coalesce(min(time), 0),"
                             " coalesce(max(time), 0), count(nullif(released, 0)),"
                             " count(nullif(signatures, '')),"
                             " count(CASE WHEN locked = 1 AND released = 0 THEN 1 END) FROM entry",
                             error);
  if (st == NULL)
    return FALSE;
  if (sqlite3_step(st) == SQLITE_ROW) {
    s->entries = (guint64) sqlite3_column_int64(st, 0);
    s->bytes = (guint64) sqlite3_column_int64(st, 1);
    s->oldest = sqlite3_column_int64(st, 2);
    s->newest = sqlite3_column_int64(st, 3);
    s->released = (guint64) sqlite3_column_int64(st, 4);
    s->viruses = (guint64) sqlite3_column_int64(st, 5);
    s->waiting = (guint64) sqlite3_column_int64(st, 6);
  }
  sqlite3_finalize(st);
  st = prepare(
      db, "SELECT reason, count(*) AS n FROM entry GROUP BY reason ORDER BY n DESC, reason", error);
  if (st == NULL)
    return FALSE;
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(s->by_reason, g_strdup_printf("%s %" G_GINT64_FORMAT,
                                                  (const char *) sqlite3_column_text(st, 0),
                                                  (gint64) sqlite3_column_int64(st, 1)));
  sqlite3_finalize(st);
  return TRUE;
}
