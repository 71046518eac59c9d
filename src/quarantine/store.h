/* store.h — the quarantine: every original mugai keeps, exact bytes as received, with what it
 * decided about it, shared by every milter thread and the `mugai quarantine` commands at once.
 * This is the one API the milter and the CLI use; which backend keeps the entries
 * ([quarantine] in the configuration) is invisible to them (backend.h: the interface a backend
 * implements; sqlite_store.h: the SQLite one, originals as files beside a SQLite index).
 *
 * Every backend keeps these promises:
 *  - mugai_quarantine_store() is durable before it returns, and on failure nothing is indexed;
 *  - an entry is never listed whose original cannot be read;
 *  - each delete, purge, release and repair is recorded in the append-only audit table in the
 *    same transaction as the change itself, so the audit never misses one nor names one undone.
 * Thread-safe: mugai_quarantine_store() from any thread; the rest from one thread at a time.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "quarantine/audit.h"
#include "quarantine/contacts.h"
#include "quarantine/entry.h"
#include "quarantine/fsck.h"
#include "sanitize/spool.h"

#define MUGAI_QUARANTINE_ERROR (mugai_quarantine_error_quark())
GQuark mugai_quarantine_error_quark(void);
typedef enum {
  MUGAI_QUARANTINE_ERROR_MISSING,    /* no store there */
  MUGAI_QUARANTINE_ERROR_PERMISSION, /* the caller may not read or write it */
  MUGAI_QUARANTINE_ERROR_IO,         /* an original could not be written, read or removed */
  MUGAI_QUARANTINE_ERROR_INDEX,      /* the index failed */
  MUGAI_QUARANTINE_ERROR_NOT_FOUND,  /* no entry with that id */
  MUGAI_QUARANTINE_ERROR_CLAIMED,    /* another release of that entry is in progress */
} mugai_quarantine_error;

typedef struct mugai_quarantine mugai_quarantine;

/* (transfer full) (nullable) the store CONFIG ([quarantine]) names. For the SQLite backend: DIR
 * (absolute), belonging to [quarantine] user and group (see sqlite_store.h). CREATE: what is
 * missing is made, as the milter and `mugai sanitize` do; else it must exist, and a caller who
 * may not use it gets PERMISSION with the owner named. */
mugai_quarantine *mugai_quarantine_open(const mugai_quarantine_policy *config, gboolean create,
                                        GError **error);
void mugai_quarantine_free(mugai_quarantine *q); /* NULL-safe */

/* `mugai quarantine init` (INIT: create the schema of the store CONFIG names) and `migrate`
 * (bring an older schema up to this mugai's): *BEFORE and *AFTER get the schema versions found
 * and left (0: none). FALSE in *MANAGED (and nothing done) for a backend that does this itself
 * whenever it is opened (SQLite); the PostgreSQL one leaves it to the admin, once for all the
 * hosts sharing the database. */
gboolean mugai_quarantine_setup(const mugai_quarantine_policy *config, gboolean init,
                                gboolean *managed, int *before, int *after, GError **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_quarantine, mugai_quarantine_free)

/* TRUE when Q is the store CONFIG names (a reload that changed it needs a new one). */
gboolean mugai_quarantine_is_at(const mugai_quarantine *q, const mugai_quarantine_policy *config);
/* (transfer none) where Q is, for messages ("/var/spool/mugai/quarantine"). */
const char *mugai_quarantine_get_location(const mugai_quarantine *q);

/* Store the LEN bytes at DATA as ENTRY's original and index ENTRY, durably. Concurrent stores
 * may share one commit (the SQLite backend's group commit); none returns before its own. */
gboolean mugai_quarantine_store(mugai_quarantine *q, const mugai_quarantine_entry *entry,
                                const guint8 *data, gsize len, GError **error);
/* The same for everything written to SPOOL, which the backend reads a piece at a time
 * (mugai_spool_read_at), so a large spooled original is never resident whole. Only where
 * mugai_quarantine_can_store_spool() (the SQLite backend). */
gboolean mugai_quarantine_can_store_spool(const mugai_quarantine *q);
gboolean mugai_quarantine_store_spool(mugai_quarantine *q, const mugai_quarantine_entry *entry,
                                      const mugai_spool *spool, GError **error);

/* (transfer full) (nullable) the entry ID with its recipients, parts and report; NOT_FOUND. */
mugai_quarantine_entry *mugai_quarantine_get(mugai_quarantine *q, const char *id, GError **error);

/* Receives the original in pieces, in order; FALSE (with ERROR) stops the read. */
typedef gboolean (*mugai_quarantine_write_fn)(const guint8 *data, gsize len, gpointer user_data,
                                              GError **error);
/* Hand the original of ID to WRITE, in pieces of at most 64 KiB: memory stays flat for a 64 MB
 * original whatever the backend, and the caller chooses where it goes (stdout, a spool). */
gboolean mugai_quarantine_read_original(mugai_quarantine *q, const char *id,
                                        mugai_quarantine_write_fn write, gpointer user_data,
                                        GError **error);

/* (transfer full) (nullable) the original of ID read into a spool as POLICY's [milter] spool_dir
 * and spool_memory make one (memory up to that, then a private unlinked file): what a release
 * or an unlock reads an original into. NULL with ERROR when it cannot be read. */
mugai_spool *mugai_quarantine_read_original_spool(mugai_quarantine *q, const mugai_policy *policy,
                                                  const char *id, GError **error);

/* What a list selects; NULL / 0 fields do not filter. */
typedef struct {
  gint64 since, until; /* time >= since, time < until */
  const char *reason;  /* reason word */
  const char *rcpt;    /* an envelope recipient (case ignored) */
  const char *from;    /* envelope sender or From header contains it (case ignored) */
  gboolean virus_only; /* only entries with a virus signature */
  const char *sender;  /* the envelope sender is exactly this (case ignored) */
  gboolean locked_only;/* only entries holding an archive that waits for its password (PPAP) */
  int released;        /* -1 any, 0 never released, 1 released */
  guint64 limit;       /* 0 = all */
} mugai_quarantine_filter;

/* Called for each entry a list selects (with its recipients; parts and report not loaded; lent
 * for the call); returns FALSE to stop. */
typedef gboolean (*mugai_quarantine_row_fn)(const mugai_quarantine_entry *entry, gpointer data);
/* Calls FN for each entry FILTER selects, newest first. */
gboolean mugai_quarantine_list(mugai_quarantine *q, const mugai_quarantine_filter *filter,
                               mugai_quarantine_row_fn fn, gpointer data, GError **error);

/* Remove ID (its entry and an audit record, then its original). */
gboolean mugai_quarantine_delete(mugai_quarantine *q, const char *id, const char *reason,
                                 GError **error);

/* A release is claimed before anything is sent, so that releases of one entry at once, from any
 * host, send it once: claim, send, then finish; or give the claim back when nothing was sent.
 * The claim is one atomic conditional update: it is taken when the entry has no claim, or one
 * older than STALE_AFTER seconds (left by a releaser that crashed), which is taken over. An entry
 * released before may be claimed again (released again, to --to addresses say). */
#define MUGAI_QUARANTINE_CLAIM_STALE 600

/* (transfer full) (nullable) a claim on releasing ID, to hand to finish or give back; CLAIMED,
 * naming who holds it since when, while another live claim is held; NOT_FOUND. */
char *mugai_quarantine_claim_release(mugai_quarantine *q, const char *id, guint stale_after,
                                     GError **error);

/* Record that ID, claimed as CLAIM, was released now: marked released, the claim let go, and an
 * audit record with REASON and DETAIL (where it went), in one transaction. Recorded even when
 * the claim was taken over meanwhile: the original was sent. */
gboolean mugai_quarantine_finish_release(mugai_quarantine *q, const char *id, const char *claim,
                                         const char *reason, const char *detail, GError **error);

/* Let go of CLAIM on ID, nothing sent: nothing is marked, and a release may claim it at once. */
gboolean mugai_quarantine_give_back_release(mugai_quarantine *q, const char *id,
                                            const char *claim, GError **error);

/* Remove every entry stored before BEFORE, in batches; PROGRESS (nullable) is called after each
 * batch with the count so far. *REMOVED gets the count. One audit record per run. */
typedef void (*mugai_quarantine_progress_fn)(guint64 done, gpointer data);
gboolean mugai_quarantine_purge(mugai_quarantine *q, gint64 before, const char *reason,
                                mugai_quarantine_progress_fn progress, gpointer data,
                                guint64 *removed, GError **error);

/* (transfer full) mugai_quarantine_audit_row *, oldest first. */
GPtrArray *mugai_quarantine_audit_list(mugai_quarantine *q, GError **error);

/* What `mugai quarantine stats` shows. */
typedef struct {
  guint64 entries, bytes, released, viruses;
  guint64 waiting;       /* PPAP: locked and never released, an archive waiting for its password */
  gint64 oldest, newest; /* 0 when empty */
  GPtrArray *by_reason;  /* char *: "WORD COUNT", most first */
} mugai_quarantine_stats;

gboolean mugai_quarantine_get_stats(mugai_quarantine *q, mugai_quarantine_stats *stats,
                                    GError **error);
void mugai_quarantine_stats_clear(mugai_quarantine_stats *stats);

/* Check the store against itself after a crash or damage, repairing what it safely can unless
 * REPAIR is FALSE; what was found goes to REPORT (fsck.h), in the backend's own terms. Work
 * younger than GRACE seconds is left alone: a store may be in progress. */
gboolean mugai_quarantine_fsck(mugai_quarantine *q, gint64 grace, gboolean repair,
                               mugai_quarantine_fsck_report *report, GError **error);

/* For a long-running process storing from many threads (mugai-milter): the store's housekeeping
 * moves off the path of each store (SQLite: WAL checkpoints on a thread of its own). Once, after
 * the open; FALSE (ERROR set) when it cannot, and the store works as before. */
gboolean mugai_quarantine_run_in_background(mugai_quarantine *q, GError **error);

/* Test hook: with COMMIT the next stores fail just before their commit (a simulated crash: the
 * original and its entry are committed together or not at all, on either backend). */
typedef enum {
  MUGAI_QUARANTINE_FAULT_NONE,
  MUGAI_QUARANTINE_FAULT_COMMIT,
} mugai_quarantine_fault;
void mugai_quarantine_set_fault(mugai_quarantine *q, mugai_quarantine_fault fault);

/* [contacts]: who inside has written to whom outside (contacts.h). The milter learns and looks
 * senders up from every message thread: _learn() and _known() are thread-safe; the others (the
 * admin's) are used from one thread at a time, as the rest of this API. */

/* Remember that USER wrote to each of ADDRS (NULL-terminated) at NOW. Not durable on return:
 * rows are written in batches without an fsync of their own (SQLite: at most 512 or one second
 * later, or when the store is closed), and visible to mugai_quarantine_contact_known() at once. */
gboolean mugai_quarantine_contacts_learn(mugai_quarantine *q, const char *user,
                                         const char *const *addrs, gint64 now, GError **error);

/* *KNOWN: has anyone inside written to SENDER (BY_DOMAIN: to any address at its domain) at SINCE
 * or later, or an admin pinned it? One indexed lookup. FALSE (ERROR set, *KNOWN untouched) when
 * the database cannot answer: the caller must then not treat SENDER as known. */
gboolean mugai_quarantine_contact_known(mugai_quarantine *q, const char *sender,
                                        gboolean by_domain, gint64 since, gboolean *known,
                                        GError **error);

/* Calls FN for each row (of USER only, when not NULL), by user then address. */
gboolean mugai_quarantine_contacts_list(mugai_quarantine *q, const char *user,
                                        mugai_contact_row_fn fn, gpointer data, GError **error);

/* Pin USER → ADDR (added by an admin at NOW, never purged); an existing row becomes pinned. An
 * audit record says who did it, in the same transaction. */
gboolean mugai_quarantine_contact_add(mugai_quarantine *q, const char *user, const char *addr,
                                      gint64 now, GError **error);

/* Remove the row USER → ADDR (learned or pinned), audited; NOT_FOUND when there is none. */
gboolean mugai_quarantine_contact_remove(mugai_quarantine *q, const char *user, const char *addr,
                                         GError **error);

/* Remove the rows last seen before BEFORE that are not pinned; *REMOVED gets the count. */
gboolean mugai_quarantine_contacts_purge(mugai_quarantine *q, gint64 before, guint64 *removed,
                                         GError **error);
