/* backend.h — what a quarantine backend implements: a table of functions over its own context,
 * as scan/scanner.h does for scanners. store.c picks the backend [quarantine] names and passes
 * each mugai_quarantine_* call on; a new backend is one more file with one of these tables and a
 * line in store.c's list. The promises every backend keeps are store.h's; its errors are in
 * MUGAI_QUARANTINE_ERROR. CTX is the backend's; only store(), contacts_learn() and
 * contact_known() are called from many threads. What the contact_* get is lower case, checked by
 * store.c (mugai_contact_normalize()).
 */
#pragma once
#include "quarantine/store.h"

typedef struct {
  const char *name; /* as [quarantine] backend names it: "sqlite" */
  /* (transfer full) (nullable) a context for the store CONFIG names (see mugai_quarantine_open) */
  void *(*open)(const mugai_quarantine_policy *config, gboolean create, GError **error);
  /* (nullable: the backend keeps its schema itself when opened) `mugai quarantine init` (INIT)
   * and `migrate` (see mugai_quarantine_setup) */
  gboolean (*setup)(const mugai_quarantine_policy *config, gboolean init, int *before, int *after,
                    GError **error);
  void (*free)(void *ctx);
  gboolean (*is_at)(const void *ctx, const mugai_quarantine_policy *config);
  const char *(*get_location)(const void *ctx);

  gboolean (*store)(void *ctx, const mugai_quarantine_entry *entry, const guint8 *data, gsize len,
                    GError **error);
  /* (nullable) the same for SPOOL's contents (see mugai_quarantine_store_spool) */
  gboolean (*store_spool)(void *ctx, const mugai_quarantine_entry *entry,
                          const mugai_spool *spool, GError **error);
  mugai_quarantine_entry *(*get)(void *ctx, const char *id, GError **error);
  gboolean (*read_original)(void *ctx, const char *id, mugai_quarantine_write_fn write,
                            gpointer user_data, GError **error);
  gboolean (*list)(void *ctx, const mugai_quarantine_filter *filter, mugai_quarantine_row_fn fn,
                   gpointer data, GError **error);
  gboolean (*remove)(void *ctx, const char *id, const char *reason, GError **error);
  gboolean (*purge)(void *ctx, gint64 before, const char *reason,
                    mugai_quarantine_progress_fn progress, gpointer data, guint64 *removed,
                    GError **error);

  /* CLAIM: the holder's text, made by store.c ("HOST pid N #RANDOM"), shown to who is refused */
  gboolean (*claim_release)(void *ctx, const char *id, const char *claim, guint stale_after,
                            GError **error);
  gboolean (*finish_release)(void *ctx, const char *id, const char *claim, const char *reason,
                             const char *detail, GError **error);
  gboolean (*give_back_release)(void *ctx, const char *id, const char *claim, GError **error);

  GPtrArray *(*audit_list)(void *ctx, GError **error);
  gboolean (*get_stats)(void *ctx, mugai_quarantine_stats *stats, GError **error);
  gboolean (*fsck)(void *ctx, gint64 grace, gboolean repair, mugai_quarantine_fsck_report *report,
                   GError **error);
  /* [contacts] (store.h: mugai_quarantine_contact*); learn and known thread-safe, as store() */
  gboolean (*contacts_learn)(void *ctx, const char *user, const char *const *addrs, gint64 now,
                             GError **error);
  gboolean (*contact_known)(void *ctx, const char *addr, const char *domain, gint64 since,
                            gboolean *known, GError **error); /* DOMAIN NULL: ADDR only */
  gboolean (*contacts_list)(void *ctx, const char *user, mugai_contact_row_fn fn, gpointer data,
                            GError **error);
  gboolean (*contact_add)(void *ctx, const char *user, const char *addr, const char *domain,
                          gint64 now, GError **error);
  gboolean (*contact_remove)(void *ctx, const char *user, const char *addr, GError **error);
  gboolean (*contacts_purge)(void *ctx, gint64 before, guint64 *removed, GError **error);
  /* (nullable) see mugai_quarantine_run_in_background() */
  gboolean (*run_in_background)(void *ctx, GError **error);
  void (*set_fault)(void *ctx, mugai_quarantine_fault fault); /* (nullable) test hook */
} mugai_quarantine_backend;

/* The backends built in. */
extern const mugai_quarantine_backend mugai_sqlite_backend; /* sqlite_store.c */
extern const mugai_quarantine_backend mugai_pg_backend;     /* pg_store.c */
