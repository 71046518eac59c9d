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

gboolean
mugai_quarantine_can_store_spool(const mugai_quarantine *q)
{
  return q->backend->store_spool != NULL;
}

gboolean
mugai_quarantine_store_spool(mugai_quarantine *q, const mugai_quarantine_entry *entry,
                             const mugai_spool *spool, GError **error)
{
  g_return_val_if_fail(mugai_quarantine_can_store_spool(q) && spool != NULL, FALSE);
  return q->backend->store_spool(q->ctx, entry, spool, error);
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

static gboolean
spool_write(const guint8 *data, gsize len, gpointer spool, GError **error)
{
  return mugai_spool_write(spool, data, len, error);
}

mugai_spool *
mugai_quarantine_read_original_spool(mugai_quarantine *q, const mugai_policy *policy,
                                     const char *id, GError **error)
{
  g_autoptr(mugai_spool) spool = mugai_spool_new(policy->spool_dir, policy->spool_memory);
  if (!mugai_quarantine_read_original(q, id, spool_write, spool, error))
    return NULL;
  return g_steal_pointer(&spool);
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

char *
mugai_contact_normalize(const char *addr, char **domain)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  if (at == NULL || at == addr || at[1] == '\0' || strlen(addr) > 320) /* RFC 5321's maximum */
    return NULL;
  char *lower = g_ascii_strdown(addr, -1);
  *domain = g_strdup(lower + (at - addr) + 1);
  return lower;
}

static gboolean
not_an_address(GError **error, const char *what, const char *addr)
{
  g_autofree char *shown = g_strescape(addr ? addr : "", NULL);
  g_set_error(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX,
              "%s \"%.100s\" is not an address (user@domain)", what, shown);
  return FALSE;
}

gboolean
mugai_quarantine_contacts_learn(mugai_quarantine *q, const char *user, const char *const *addrs,
                                gint64 now, GError **error)
{
  g_autofree char *u_domain = NULL;
  g_autofree char *u = mugai_contact_normalize(user, &u_domain);
  if (u == NULL)
    return not_an_address(error, "sender", user);
  g_autoptr(GPtrArray) lower = g_ptr_array_new_with_free_func(g_free);
  for (gsize i = 0; addrs[i]; i++) {
    g_autofree char *domain = NULL;
    char *a = mugai_contact_normalize(addrs[i], &domain);
    if (a != NULL) /* a recipient that is no address (postmaster) is nobody to learn */
      g_ptr_array_add(lower, a);
  }
  if (lower->len == 0)
    return TRUE;
  g_ptr_array_add(lower, NULL);
  return q->backend->contacts_learn(q->ctx, u, (const char *const *) lower->pdata, now, error);
}

gboolean
mugai_quarantine_contact_known(mugai_quarantine *q, const char *sender, gboolean by_domain,
                               gint64 since, gboolean *known, GError **error)
{
  g_autofree char *domain = NULL;
  g_autofree char *addr = mugai_contact_normalize(sender, &domain);
  if (addr == NULL) { /* the null sender, or no address: nobody has written to it */
    *known = FALSE;
    return TRUE;
  }
  return q->backend->contact_known(q->ctx, addr, by_domain ? domain : NULL, since, known, error);
}

gboolean
mugai_quarantine_contacts_list(mugai_quarantine *q, const char *user, mugai_contact_row_fn fn,
                               gpointer data, GError **error)
{
  g_autofree char *u = user ? g_ascii_strdown(user, -1) : NULL;
  return q->backend->contacts_list(q->ctx, u, fn, data, error);
}

gboolean
mugai_quarantine_contact_add(mugai_quarantine *q, const char *user, const char *addr, gint64 now,
                             GError **error)
{
  g_autofree char *u_domain = NULL, *domain = NULL;
  g_autofree char *u = mugai_contact_normalize(user, &u_domain);
  g_autofree char *a = mugai_contact_normalize(addr, &domain);
  if (u == NULL)
    return not_an_address(error, "user", user);
  if (a == NULL)
    return not_an_address(error, "address", addr);
  return q->backend->contact_add(q->ctx, u, a, domain, now, error);
}

gboolean
mugai_quarantine_contact_remove(mugai_quarantine *q, const char *user, const char *addr,
                                GError **error)
{
  g_autofree char *u = g_ascii_strdown(user, -1);
  g_autofree char *a = g_ascii_strdown(addr, -1);
  return q->backend->contact_remove(q->ctx, u, a, error);
}

gboolean
mugai_quarantine_contacts_purge(mugai_quarantine *q, gint64 before, guint64 *removed,
                                GError **error)
{
  *removed = 0;
  return q->backend->contacts_purge(q->ctx, before, removed, error);
}
