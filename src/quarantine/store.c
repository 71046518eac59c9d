/* store.c — the backend-neutral quarantine (see store.h): picks the backend [quarantine] names
 * and passes every call on to it (backend.h). Owns the backend's context; decides nothing. */
#include "quarantine/store.h"

#include <string.h>
#include <unistd.h>
#include "quarantine/backend.h"

G_DEFINE_QUARK(mugai - quarantine - error - quark, mugai_quarantine_error)

struct mugai_quarantine {
  const mugai_quarantine_backend *backend;
  void *ctx;
};

/* The backend [quarantine] backend names. */
static const mugai_quarantine_backend *
backend_for(const mugai_quarantine_policy *config)
{
  switch (config->backend) {
  case MUGAI_QUARANTINE_BACKEND_POSTGRESQL:
    return &mugai_pg_backend;
  case MUGAI_QUARANTINE_BACKEND_SQLITE:
  default:
    return &mugai_sqlite_backend;
  }
}

mugai_quarantine *
mugai_quarantine_open(const mugai_quarantine_policy *config, gboolean create, GError **error)
{
  const mugai_quarantine_backend *backend = backend_for(config);
  void *ctx = backend->open(config, create, error);
  if (ctx == NULL)
    return NULL;
  mugai_quarantine *q = g_new0(mugai_quarantine, 1);
  q->backend = backend;
  q->ctx = ctx;
  return q;
}

void
mugai_quarantine_free(mugai_quarantine *q)
{
  if (q == NULL)
    return;
  q->backend->free(q->ctx);
  g_free(q);
}

gboolean
mugai_quarantine_setup(const mugai_quarantine_policy *config, gboolean init, gboolean *managed,
                       int *before, int *after, GError **error)
{
  const mugai_quarantine_backend *backend = backend_for(config);
  *before = *after = 0;
  *managed = backend->setup != NULL;
  return backend->setup == NULL || backend->setup(config, init, before, after, error);
}

gboolean
mugai_quarantine_is_at(const mugai_quarantine *q, const mugai_quarantine_policy *config)
{
  return q->backend == backend_for(config) && q->backend->is_at(q->ctx, config);
}

const char *
mugai_quarantine_get_location(const mugai_quarantine *q)
{
  return q->backend->get_location(q->ctx);
}

gboolean
mugai_quarantine_store(mugai_quarantine *q, const mugai_quarantine_entry *entry, const guint8 *data,
                       gsize len, GError **error)
{
  return q->backend->store(q->ctx, entry, data, len, error);
}

mugai_quarantine_entry *
mugai_quarantine_get(mugai_quarantine *q, const char *id, GError **error)
{
  return q->backend->get(q->ctx, id, error);
}

gboolean
mugai_quarantine_read_original(mugai_quarantine *q, const char *id,
                               mugai_quarantine_write_fn write, gpointer user_data, GError **error)
{
  return q->backend->read_original(q->ctx, id, write, user_data, error);
}

gboolean
mugai_quarantine_list(mugai_quarantine *q, const mugai_quarantine_filter *filter,
                      mugai_quarantine_row_fn fn, gpointer data, GError **error)
{
  return q->backend->list(q->ctx, filter, fn, data, error);
}

gboolean
mugai_quarantine_delete(mugai_quarantine *q, const char *id, const char *reason, GError **error)
{
  return q->backend->remove(q->ctx, id, reason, error);
}

char *
mugai_quarantine_claim_release(mugai_quarantine *q, const char *id, guint stale_after,
                               GError **error)
{
  /* Unique across hosts and processes, and telling an admin refused whose release is running. */
  g_autofree char *claim = g_strdup_printf("%s pid %ld #%08x%08x", g_get_host_name(),
                                           (long) getpid(), g_random_int(), g_random_int());
  if (!q->backend->claim_release(q->ctx, id, claim, stale_after, error))
    return NULL;
  return g_steal_pointer(&claim);
}

gboolean
mugai_quarantine_finish_release(mugai_quarantine *q, const char *id, const char *claim,
                                const char *reason, const char *detail, GError **error)
{
  return q->backend->finish_release(q->ctx, id, claim, reason, detail, error);
}

gboolean
mugai_quarantine_give_back_release(mugai_quarantine *q, const char *id, const char *claim,
                                   GError **error)
{
  return q->backend->give_back_release(q->ctx, id, claim, error);
}

gboolean
mugai_quarantine_purge(mugai_quarantine *q, gint64 before, const char *reason,
                       mugai_quarantine_progress_fn progress, gpointer data, guint64 *removed,
                       GError **error)
{
  return q->backend->purge(q->ctx, before, reason, progress, data, removed, error);
}

GPtrArray *
mugai_quarantine_audit_list(mugai_quarantine *q, GError **error)
{
  return q->backend->audit_list(q->ctx, error);
}

gboolean
mugai_quarantine_get_stats(mugai_quarantine *q, mugai_quarantine_stats *stats, GError **error)
{
  memset(stats, 0, sizeof *stats);
  stats->by_reason = g_ptr_array_new_with_free_func(g_free);
  return q->backend->get_stats(q->ctx, stats, error);
}

void
mugai_quarantine_stats_clear(mugai_quarantine_stats *stats)
{
  if (stats->by_reason)
    g_ptr_array_unref(stats->by_reason);
  memset(stats, 0, sizeof *stats);
}

gboolean
mugai_quarantine_fsck(mugai_quarantine *q, gint64 grace, gboolean repair,
                      mugai_quarantine_fsck_report *report, GError **error)
{
  mugai_quarantine_fsck_report_init(report);
  return q->backend->fsck(q->ctx, grace, repair, report, error);
}

gboolean
mugai_quarantine_run_in_background(mugai_quarantine *q, GError **error)
{
  return q->backend->run_in_background == NULL || q->backend->run_in_background(q->ctx, error);
}

void
mugai_quarantine_set_fault(mugai_quarantine *q, mugai_quarantine_fault fault)
{
  if (q->backend->set_fault)
    q->backend->set_fault(q->ctx, fault);
}
