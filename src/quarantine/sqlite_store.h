/* sqlite_store.h — the SQLite backend (backend.h): originals and what describes them in one SQLite
 * database; private to sqlite_*.c and its tests.
 *
 *   DIR/index.sqlite       the index and the originals, exact bytes as received (WAL; with its
 *                          -wal and -shm files, mode 0660; index.h)
 *   DIR/objects/ab/cd/ID   an original stored by a mugai before index version 3 (mode 0640,
 *                          directories 2770): read, removed and checked as before, never made
 *   DIR/tmp/ID.tmp         left by such a mugai's unfinished store; fsck removes it
 *
 * Storing is durable before it returns: the entry and its original are committed in one
 * transaction (synchronous=FULL: the WAL is fsynced). Rows of concurrent messages are committed
 * together (group commit): a thread that finds a commit in progress queues its row and waits,
 * the next commit takes every row queued, and no caller returns before the commit of its own
 * row. So one fsync serves every message of a burst, and a crash leaves a message either stored
 * whole or not at all (Postfix still holds it then: it was never answered). Run in the
 * background (mugai-milter), the WAL is checkpointed on a thread of its own, so no commit waits
 * for the copy of megabytes of originals into the database file and its fsync.
 *
 * Owners: the store at DIR belongs to [quarantine] user and group: "" USER is the owner of DIR
 * when it exists, else this process; "" GROUP the login group of USER, else DIR's group, else
 * this process's. As root, everything made is given to that owner, and with USER or GROUP named
 * DIR and the index files are given to it too (modes: durable_file.h, MUGAI_QINDEX_MODE).
 *
 * fsck: an entry without an original (damage: the store never makes one) is removed and the loss
 * recorded in the audit table; an original whose size differs from its entry is reported, never
 * changed. Of an older mugai's files: a file without a row (a crash after the file was written,
 * before its row was committed, or after a row was deleted, before its file was) is removed: its
 * message was never answered, so Postfix still has it, or it was deleted on purpose. A temp file
 * is removed. A directory, original or index file whose group or mode is not the store's is
 * given them when repairing: by root (with the store's user), or a mode by the file's own user.
 * Files younger than GRACE seconds are left alone. Its counts (fsck.h): files (originals found,
 * in the index or as files), rows, temp_removed, orphans_removed, lost_rows_removed,
 * size_mismatches, strangers, owners_wrong, owners_unfixed.
 */
#pragma once
#include <sqlite3.h>
#include "quarantine/backend.h"
#include "quarantine/durable_file.h"
#include "quarantine/index.h"

/* WAL checkpoints on a thread of their own (sqlite_checkpoint.c). */
typedef struct mugai_sqlite_checkpointer mugai_sqlite_checkpointer;

typedef struct {
  char *dir;
  sqlite3 *db;
  mugai_durable_owner owner; /* of DIR: what root creates in it goes to them */
  GMutex lock;               /* guards the queue and the flag below */
  GCond committed;           /* signalled after every commit */
  GPtrArray *queue;          /* rows not yet taken by a commit (sqlite_store.c) */
  gboolean committing;       /* a thread is committing (it alone uses db meanwhile) */
  mugai_quarantine_fault fault;
  mugai_sqlite_checkpointer *checkpointer; /* (nullable) when run in the background */
  /* [contacts] (sqlite_contacts.c): connections of their own, so that a lookup never waits for
   * a commit of originals (nor its fsync) or of learned rows, and the rows not written yet. */
  GMutex contacts_lock;        /* guards the four below */
  sqlite3 *contacts_reader;    /* (nullable) lookups; opened at first use */
  GPtrArray *contacts_pending; /* of learned rows (sqlite_contacts.c) */
  GPtrArray *contacts_writing; /* (nullable) the batch being written, still looked at */
  gint64 contacts_written;     /* monotonic time of the last write of them */
  GMutex contacts_write_lock;  /* one write at a time on the writer below */
  sqlite3 *contacts_writer;    /* (nullable) learned rows are committed on it */
} mugai_sqlite_store;

/* (transfer full) (nullable) the store at CONFIG's dir (sqlite_open.c). */
mugai_sqlite_store *mugai_sqlite_store_open(const mugai_quarantine_policy *config, gboolean create,
                                            GError **error);
void mugai_sqlite_store_free(mugai_sqlite_store *s); /* NULL-safe */

/* (transfer full) (nullable) checkpoints of WRITER's WAL (the index at INDEX) on a thread with a
 * connection of its own, PASSIVE, once the WAL holds 1000 frames after a commit and every 10 s;
 * SQLite's automatic checkpoints inside WRITER's commits stop. Stop before closing WRITER. */
mugai_sqlite_checkpointer *mugai_sqlite_checkpointer_start(sqlite3 *writer, const char *index,
                                                           GError **error);
void mugai_sqlite_checkpointer_stop(mugai_sqlite_checkpointer *c, sqlite3 *writer); /* NULL-safe */

/* (transfer full) an empty array of learned rows, for contacts_pending (sqlite_contacts.c). */
GPtrArray *mugai_sqlite_contacts_rows_new(void);
/* Write the contacts learned and not written yet, and close their connections (sqlite_contacts.c);
 * FALSE (logged by nobody: the caller's) when the write failed. Before mugai_sqlite_store_free. */
gboolean mugai_sqlite_contacts_close(mugai_sqlite_store *s, GError **error);

/* The [contacts] operations of backend.h (sqlite_contacts.c), on the store S. */
gboolean mugai_sqlite_contacts_learn(void *s, const char *user, const char *const *addrs,
                                     gint64 now, GError **error);
gboolean mugai_sqlite_contact_known(void *s, const char *addr, const char *domain, gint64 since,
                                    gboolean *known, GError **error);
gboolean mugai_sqlite_contacts_list(void *s, const char *user, mugai_contact_row_fn fn,
                                    gpointer data, GError **error);
gboolean mugai_sqlite_contact_add(void *s, const char *user, const char *addr,
                                  const char *domain, gint64 now, GError **error);
gboolean mugai_sqlite_contact_remove(void *s, const char *user, const char *addr,
                                     GError **error);
gboolean mugai_sqlite_contacts_purge(void *s, gint64 before, guint64 *removed, GError **error);

/* (transfer full) the absolute path of the original of ID (valid). */
char *mugai_sqlite_store_path_of(const mugai_sqlite_store *s, const char *id);

/* FALSE, with a MUGAI_QUARANTINE_ERROR CODE and the text FORMAT makes. */
gboolean mugai_sqlite_fail(GError **error, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);
/* FALSE, with LOCAL (an index error) as a MUGAI_QUARANTINE_ERROR: NOT_FOUND and CLAIMED stay. */
gboolean mugai_sqlite_index_fail(GError **error, const GError *local);

/* Files against rows (sqlite_fsck.c; see above). */
gboolean mugai_sqlite_store_fsck(mugai_sqlite_store *s, gint64 grace, gboolean repair,
                                 mugai_quarantine_fsck_report *report, GError **error);
