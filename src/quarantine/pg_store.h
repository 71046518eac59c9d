/* pg_store.h — the PostgreSQL backend (backend.h): the index and the originals themselves in one
 * database, shared by every gateway host; private to pg_*.c.
 *
 * Tables (pg_schema.c): entry, rcpt, part as in the SQLite index; original (entry_id, data
 * bytea), one row per entry; audit (append-only: a trigger refuses UPDATE, DELETE and
 * TRUNCATE); mugai_schema (the schema's version). Why the originals are bytea in the database
 * and not files on a shared path: one INSERT of the entry and its original in one transaction
 * makes the commit the only durability point, so no failover can leave an entry without its
 * original or an original without its entry (a shared file system would need its own fsync and
 * rename to be durable, and an fsck across two systems that fail separately); every host reads
 * them through the same connection it already has; backups and replicas take both at once. The
 * cost is the database's size (originals are at most [limits] message_size, 64 MB by default,
 * within bytea's 1 GB), and reads are done in 64 KiB substring()s of an uncompressed column
 * (STORAGE EXTERNAL), so no process holds a 64 MB original twice.
 *
 * Connections: a small pool (at most MUGAI_PG_POOL), so milter threads storing at once each have
 * their own (PostgreSQL groups their commits itself). A connection found broken is dropped and
 * the next call connects again: while the server is unreachable every call fails with INDEX (the
 * milter answers 451 to what it must keep, the rest flows), and the first call after it is back
 * succeeds. A transaction that fails on a connection that is still good is rolled back.
 */
#pragma once
#include <libpq-fe.h>
#include "quarantine/backend.h"

#define MUGAI_PG_POOL 8
#define MUGAI_PG_SCHEMA_VERSION 3

typedef struct {
  char *dsn;      /* [quarantine] dsn */
  char *location; /* the dsn with its password hidden, for messages */
  GMutex lock;    /* guards the pool */
  GCond freed;    /* a connection went back to the pool */
  PGconn *idle[MUGAI_PG_POOL];
  guint n_idle, n_open; /* connections in idle[], and all (idle and in use) */
  mugai_quarantine_fault fault;
} mugai_pg_store;

/* pg_conn.c: the pool. (transfer full) (nullable) a connection of S's, good at the time, taken
 * from the pool or made (waiting while MUGAI_PG_POOL are in use); INDEX when none can be made. */
PGconn *mugai_pg_take(mugai_pg_store *s, GError **error);
/* Give C back to the pool, or drop it when broken or inside a transaction (NULL-safe). */
void mugai_pg_give(mugai_pg_store *s, PGconn *c);

/* (transfer full) (nullable) the result of SQL with N text PARAMS (NULL: SQL NULL) when it
 * succeeded (tuples or a command); else an INDEX error naming what failed. */
PGresult *mugai_pg_query(PGconn *c, const char *sql, int n, const char *const *params,
                         GError **error);
/* SQL with N PARAMS run for its effect; *ROWS (nullable) the rows it changed. */
gboolean mugai_pg_command(PGconn *c, const char *sql, int n, const char *const *params,
                          guint64 *rows, GError **error);
/* FALSE, with a MUGAI_QUARANTINE_ERROR CODE and the text FORMAT makes. */
gboolean mugai_pg_fail(GError **error, int code, const char *format, ...) G_GNUC_PRINTF(3, 4);

/* A transaction's work on C; FALSE (with ERROR) rolls it back. */
typedef gboolean (*mugai_pg_work)(PGconn *c, gpointer data, GError **error);
/* Run WORK in one transaction begun by BEGIN_SQL ("BEGIN", "BEGIN ... READ ONLY"), committed
 * when it returns TRUE. A connection from the pool that turns out dead at BEGIN (the server
 * restarted since) is replaced once, so the first call after an outage does not fail. */
gboolean mugai_pg_transaction(mugai_pg_store *s, const char *begin_sql, mugai_pg_work work,
                              gpointer data, GError **error);

/* pg_schema.c: is the schema on C at MUGAI_PG_SCHEMA_VERSION? MISSING (none: run init) or
 * INDEX (older: run migrate; newer: a newer mugai made it) otherwise. */
gboolean mugai_pg_schema_check(PGconn *c, GError **error);
/* Create the schema (INIT) or bring an older one up (else); *BEFORE and *AFTER the versions
 * found and left (0: none). One transaction under an advisory lock: hosts may run it at once. */
gboolean mugai_pg_schema_setup(mugai_pg_store *s, gboolean init, int *before, int *after,
                               GError **error);

/* pg_read.c: the reads of backend.h, on S (the void * is the backend's context). */
mugai_quarantine_entry *mugai_pg_get(void *s, const char *id, GError **error);
gboolean mugai_pg_read_original(void *s, const char *id, mugai_quarantine_write_fn write,
                                gpointer user_data, GError **error);
gboolean mugai_pg_list(void *s, const mugai_quarantine_filter *filter, mugai_quarantine_row_fn fn,
                       gpointer data, GError **error);
GPtrArray *mugai_pg_audit_list(void *s, GError **error);
gboolean mugai_pg_get_stats(void *s, mugai_quarantine_stats *stats, GError **error);

/* pg_contacts.c: the [contacts] operations of backend.h, on S. */
gboolean mugai_pg_contacts_learn(void *s, const char *user, const char *const *addrs, gint64 now,
                                 GError **error);
gboolean mugai_pg_contact_known(void *s, const char *addr, const char *domain, gint64 since,
                                gboolean *known, GError **error);
gboolean mugai_pg_contacts_list(void *s, const char *user, mugai_contact_row_fn fn, gpointer data,
                                GError **error);
gboolean mugai_pg_contact_add(void *s, const char *user, const char *addr, const char *domain,
                              gint64 now, GError **error);
gboolean mugai_pg_contact_remove(void *s, const char *user, const char *addr, GError **error);
gboolean mugai_pg_contacts_purge(void *s, gint64 before, guint64 *removed, GError **error);

/* pg_fsck.c: every entry against its original (see fsck.h). */
gboolean mugai_pg_store_fsck(mugai_pg_store *s, gint64 grace, gboolean repair,
                             mugai_quarantine_fsck_report *report, GError **error);

/* pg_store.c: one audit record naming this process's user, at the
 * server's time, in C's transaction. */
gboolean mugai_pg_audit_add(PGconn *c, const char *action, const char *id, const char *reason,
                            const char *detail, GError **error);
