/* index.h — the quarantine's SQLite index (WAL): schema, inserts, lookups, the audit table.
 *
 * Tables: entry (one row per original), rcpt (its envelope recipients, indexed for --rcpt),
 * part (each MIME part the report lists), audit (append-only: triggers refuse UPDATE and
 * DELETE), original (the exact bytes as received, committed with the entry; deleted with it),
 * contact (who inside wrote to whom outside: sqlite_contacts.c).
 * Originals stored by a mugai before index version 3 are files beside it (sqlite_store.h). A
 * connection is used by one thread at a time (the store serialises its writer).
 */
#pragma once
#include <sqlite3.h>
#include "quarantine/original_codec.h"
#include "quarantine/store.h"

#define MUGAI_QINDEX_FILE "index.sqlite"
/* The index's mode, which SQLite copies to -wal and -shm: the store's group reads and writes it,
 * since SQLite in WAL mode writes -shm even to read. */
#define MUGAI_QINDEX_MODE 0660

#define MUGAI_QINDEX_ERROR (mugai_qindex_error_quark())
GQuark mugai_qindex_error_quark(void);
typedef enum {
  MUGAI_QINDEX_ERROR_SQLITE,    /* SQLite said no (message included) */
  MUGAI_QINDEX_ERROR_NOT_FOUND, /* no entry with that id */
  MUGAI_QINDEX_ERROR_VERSION,   /* made by a newer mugai */
  MUGAI_QINDEX_ERROR_CLAIMED,   /* another release holds a live claim on the entry */
} mugai_qindex_error;

/* (transfer full) (nullable) the index at PATH, its schema created when CREATE (else the file
 * must exist). WAL, synchronous=FULL (a commit is on disk when it returns), a busy timeout so
 * the milter and the CLI wait for each other instead of failing. */
sqlite3 *mugai_qindex_open(const char *path, gboolean create, GError **error);
void mugai_qindex_close(sqlite3 *db); /* NULL-safe */

gboolean mugai_qindex_exec(sqlite3 *db, const char *sql, GError **error);
/* One statement SQL (a literal: BEGIN, SAVEPOINT, COMMIT...), kept prepared on DB for the next
 * time: for what every store runs. */
gboolean mugai_qindex_run(sqlite3 *db, const char *sql, GError **error);
/* (transfer none) (nullable) the statement SQL kept prepared on DB (used by one thread at a
 * time), for a query run on every message; give it back with mugai_qindex_done_cached(), never
 * finalize it. */
sqlite3_stmt *mugai_qindex_cached(sqlite3 *db, const char *sql, GError **error);
void mugai_qindex_done_cached(sqlite3_stmt *st); /* reset, bindings cleared */

/* One entry with its recipients and parts; in the caller's transaction. */
gboolean mugai_qindex_insert(sqlite3 *db, const mugai_quarantine_entry *entry, GError **error);

/* The LEN bytes at DATA as the original of entry ID (inserted before, in the same transaction),
 * held as CODEC says (DATA: a zstd frame of the original for MUGAI_ORIGINAL_ZSTD). */
gboolean mugai_qindex_insert_original(sqlite3 *db, const char *id, const guint8 *data, gsize len,
                                      mugai_original_codec codec, GError **error);
/* The same for everything written to SPOOL, read a piece at a time. */
gboolean mugai_qindex_insert_original_spool(sqlite3 *db, const char *id, const mugai_spool *spool,
                                            GError **error);

/* Hand the original of ID to WRITE in pieces of at most 64 KiB; NOT_FOUND when the index holds
 * none (an entry of an older mugai, whose original is a file, or none at all). */
gboolean mugai_qindex_read_original(sqlite3 *db, const char *id, mugai_quarantine_write_fn write,
                                    gpointer user_data, GError **error);

/* (transfer full) (nullable) the entry ID with its recipients and parts; NOT_FOUND when none. */
mugai_quarantine_entry *mugai_qindex_get(sqlite3 *db, const char *id, GError **error);

/* Remove the entry ID's rows; NOT_FOUND when there is none. */
gboolean mugai_qindex_delete(sqlite3 *db, const char *id, GError **error);

/* Claim releasing ID as CLAIM at NOW, one conditional UPDATE: taken when ID has no claim or one
 * made at STALE_BEFORE or earlier; else CLAIMED (naming the holder) or NOT_FOUND. */
gboolean mugai_qindex_claim(sqlite3 *db, const char *id, const char *claim, gint64 now,
                            gint64 stale_before, GError **error);

/* Mark ID released at WHEN, and let go of CLAIM if it is still ID's; NOT_FOUND when ID is gone. */
gboolean mugai_qindex_finish_claim(sqlite3 *db, const char *id, const char *claim, gint64 when,
                                   GError **error);

/* Let go of CLAIM on ID if it is still ID's. */
gboolean mugai_qindex_give_back_claim(sqlite3 *db, const char *id, const char *claim,
                                      GError **error);

/* Calls FN for each entry FILTER selects, newest first (see mugai_quarantine_list()). */
gboolean mugai_qindex_list(sqlite3 *db, const mugai_quarantine_filter *filter,
                           mugai_quarantine_row_fn fn, gpointer data, GError **error);

/* (transfer full) the ids of entries stored before BEFORE, oldest first, at most MAX. */
GPtrArray *mugai_qindex_ids_before(sqlite3 *db, gint64 before, guint max, GError **error);

/* One audit record naming this process's user (audit.h), in the caller's transaction. */
gboolean mugai_qindex_audit_add(sqlite3 *db, const char *action, const char *id, const char *reason,
                                const char *detail, GError **error);
/* (transfer full) mugai_quarantine_audit_row *, oldest first. */
GPtrArray *mugai_qindex_audit_list(sqlite3 *db, GError **error);

/* Fill STATS (by_reason made, empty). */
gboolean mugai_qindex_get_stats(sqlite3 *db, mugai_quarantine_stats *stats, GError **error);
