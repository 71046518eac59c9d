/* store.h — the quarantine: originals as files under hashed directories, described by a SQLite
 * index, shared by every milter thread and the `mugai quarantine` commands at once.
 *
 *   DIR/objects/ab/cd/ID   the original, exact bytes as received (mode 0640, directories 2770)
 *   DIR/tmp/ID.tmp         being written (a crash may leave one; fsck removes it)
 *   DIR/index.sqlite       the index (WAL; with its -wal and -shm files, mode 0660)
 *
 * Storing is durable before it returns: the file is written, fsynced and renamed into place, its
 * directory fsynced, then its row committed. Rows of concurrent messages are committed together
 * (group commit): a thread that finds a commit in progress queues its row and waits, the next
 * commit takes every row queued, and no caller returns before the commit of its own row.
 * A file is always in place before its row exists and removed only after its row is gone, so a
 * crash between any two steps leaves at most a file without a row, which fsck removes (Postfix
 * still holds that message: it was never answered).
 * Thread-safe: mugai_quarantine_store() from any thread; the rest from one thread at a time.
 */
#pragma once
#include <glib.h>
#include "quarantine/durable_file.h"
#include "quarantine/entry.h"
#include "quarantine/index.h"

#define MUGAI_QUARANTINE_ERROR (mugai_quarantine_error_quark())
GQuark mugai_quarantine_error_quark(void);
typedef enum {
  MUGAI_QUARANTINE_ERROR_MISSING,    /* no store at that directory */
  MUGAI_QUARANTINE_ERROR_PERMISSION, /* the caller may not read or write it */
  MUGAI_QUARANTINE_ERROR_IO,         /* a file could not be written, read or removed */
  MUGAI_QUARANTINE_ERROR_INDEX,      /* the index failed */
  MUGAI_QUARANTINE_ERROR_NOT_FOUND,  /* no entry with that id */
} mugai_quarantine_error;

typedef struct mugai_quarantine mugai_quarantine;

/* (transfer full) (nullable) the store at DIR (absolute), belonging to USER and GROUP
 * ([quarantine] user and group, nullable): "" or NULL USER is the owner of DIR when it exists,
 * else this process; "" or NULL GROUP the login group of USER, else DIR's group, else this
 * process's. CREATE: what is missing is made (with its index), as the milter and `mugai sanitize`
 * do; as root, everything made is given to that owner, and with USER or GROUP named DIR and the
 * index files are given to it too (modes: durable_file.h, MUGAI_QINDEX_MODE). Else it must exist,
 * and a caller who may not use it gets PERMISSION with the owner named. */
mugai_quarantine *mugai_quarantine_open(const char *dir, const char *user, const char *group,
                                        gboolean create, GError **error);
void mugai_quarantine_free(mugai_quarantine *q); /* NULL-safe */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_quarantine, mugai_quarantine_free)

const char *mugai_quarantine_get_dir(const mugai_quarantine *q); /* (transfer none) */
/* (transfer none) who what the store makes belongs to (see mugai_quarantine_open()). */
const mugai_durable_owner *mugai_quarantine_get_owner(const mugai_quarantine *q);
/* (transfer none) the index connection, for queries of the single-threaded CLI. */
sqlite3 *mugai_quarantine_get_db(mugai_quarantine *q);
/* (transfer full) the absolute path of the original of ID (valid). */
char *mugai_quarantine_path_of(const mugai_quarantine *q, const char *id);

/* Store the LEN bytes at DATA as ENTRY's original and index ENTRY, durably (see above). On
 * failure nothing is indexed (a file may remain, for fsck). */
gboolean mugai_quarantine_store(mugai_quarantine *q, const mugai_quarantine_entry *entry,
                                const guint8 *data, gsize len, GError **error);

/* Remove ID (its row and audit record in one transaction, then its file). */
gboolean mugai_quarantine_delete(mugai_quarantine *q, const char *id, const char *reason,
                                 GError **error);

/* Record that ID was released now: marked released and an audit record with REASON and DETAIL
 * (where it went), in one transaction. */
gboolean mugai_quarantine_record_release(mugai_quarantine *q, const char *id, const char *reason,
                                         const char *detail, GError **error);

/* Remove every entry stored before BEFORE, in batches; PROGRESS (nullable) is called after each
 * batch with the count so far. *REMOVED gets the count. One audit record per run. */
typedef void (*mugai_quarantine_progress_fn)(guint64 done, gpointer data);
gboolean mugai_quarantine_purge(mugai_quarantine *q, gint64 before, const char *reason,
                                mugai_quarantine_progress_fn progress, gpointer data,
                                guint64 *removed, GError **error);

/* Test hooks: make the next stores stop at STEP (a simulated crash: the file step as
 * durable_file.h says; INDEX after the file is in place, before its row). */
typedef enum {
  MUGAI_QUARANTINE_FAULT_NONE,
  MUGAI_QUARANTINE_FAULT_WRITE = MUGAI_DURABLE_STEP_WRITE,
  MUGAI_QUARANTINE_FAULT_FSYNC = MUGAI_DURABLE_STEP_FSYNC,
  MUGAI_QUARANTINE_FAULT_RENAME = MUGAI_DURABLE_STEP_RENAME,
  MUGAI_QUARANTINE_FAULT_INDEX,
} mugai_quarantine_fault;
void mugai_quarantine_set_fault(mugai_quarantine *q, mugai_quarantine_fault fault);
