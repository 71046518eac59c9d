/* ppap.c — the milter's unlocker (see ppap.h). Owns the ids it lists for one call. */
#include "milter/ppap.h"

#include <string.h>
#include <syslog.h>
#include "milter/log.h"
#include "quarantine/unlock.h"

/* Held originals looked at per recipient of one password mail, newest first. */
#define HELD_LOOKED_AT 8
/* How long past its window a held archive is still named ("too late") in a password mail. */
#define TOO_LATE_SHOWN (7 * 86400)

/* Unlocks run one at a time, on a store handle of their own: the milter's handle is shared by
 * every message thread for store() only, and its other calls (list, claim, release) are not
 * made for threads at once (store.h); the SQLite backend shares one connection with the group
 * commit. Opened at the first password mail, again when a reload moved the store. */
G_LOCK_DEFINE_STATIC(unlocking);
static mugai_quarantine *unlock_store; /* guarded by UNLOCKING */

/* The unlock handle for CONFIG; NULL with ERROR when it cannot be opened. Under UNLOCKING. */
static mugai_quarantine *
store_for(const mugai_quarantine_policy *config, GError **error)
{
  if (unlock_store && !mugai_quarantine_is_at(unlock_store, config))
    g_clear_pointer(&unlock_store, mugai_quarantine_free);
  if (unlock_store == NULL)
    unlock_store = mugai_quarantine_open(config, FALSE, error);
  return unlock_store;
}

void
mugai_milter_ppap_shutdown(void)
{
  G_LOCK(unlocking);
  g_clear_pointer(&unlock_store, mugai_quarantine_free);
  G_UNLOCK(unlocking);
}

typedef struct {
  GPtrArray *ids;   /* char *: entries found, each once */
  GHashTable *seen; /* ids already in IDS (borrowed keys) */
} found;

static gboolean
collect(const mugai_quarantine_entry *entry, gpointer data)
{
  found *f = data;
  if (g_hash_table_contains(f->seen, entry->id))
    return TRUE;
  char *id = g_strdup(entry->id);
  g_ptr_array_add(f->ids, id);
  g_hash_table_add(f->seen, id);
  return TRUE;
}

/* The waiting entries from SENDER to any of RCPTS stored since SINCE, newest first per
 * recipient. FALSE with ERROR when the store cannot answer. */
static gboolean
list_held(mugai_quarantine *q, const char *sender, const char *const *rcpts, gint64 since,
          found *f, GError **error)
{
  for (guint i = 0; rcpts[i] != NULL; i++) {
    mugai_quarantine_filter filter = {.since = since, .rcpt = rcpts[i], .sender = sender,
                                      .locked_only = TRUE, .released = 0,
                                      .limit = HELD_LOOKED_AT};
    if (!mugai_quarantine_list(q, &filter, collect, f, error))
      return FALSE;
  }
  return TRUE;
}

static void
log_attempt(const mugai_milter_ppap *p, const mugai_unlock_attempt *a)
{
  g_autofree char *names = g_strescape(a->names ? a->names : "", NULL);
  g_autofree char *detail = g_strescape(a->detail ? a->detail : "", NULL);
  const char *what = a->state == MUGAI_UNLOCK_ATTEMPT_OPENED     ? "opened, text sent"
                     : a->state == MUGAI_UNLOCK_ATTEMPT_TOO_LATE ? "too late, not tried"
                                                                 : "not opened";
  mugai_log(LOG_INFO, "%s: PPAP: held %s (\"%.200s\") %s: %.300s", p->queue_id, a->quarantine_id,
            names, what, detail);
}

/* "a.zip, b.zip": the removed zips of ENTRY as its index names them. (transfer full) */
static char *
removed_zip_names(const mugai_quarantine_entry *entry)
{
  GString *out = g_string_new(NULL);
  for (guint i = 0; i < entry->parts->len; i++) {
    const mugai_quarantine_part *part = g_ptr_array_index(entry->parts, i);
    gsize n = strlen(part->name);
    if (strcmp(part->action, "removed") == 0 && n > 4 &&
        g_ascii_strcasecmp(part->name + n - 4, ".zip") == 0)
      g_string_append_printf(out, "%s%s", out->len ? ", " : "", part->name);
  }
  return g_string_free(out, FALSE);
}

/* Unlock, or name as too late, the entry ID. FALSE with ERROR for what a retry may mend. */
static gboolean
try_entry(const mugai_milter_ppap *p, mugai_quarantine *q, const char *id, const char *sender,
          const char *const *passwords, gint64 now, GPtrArray *attempts, GError **error)
{
  g_autoptr(mugai_quarantine_entry) entry = mugai_quarantine_get(q, id, error);
  if (entry == NULL)
    return g_error_matches(*error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND)
               ? (g_clear_error(error), TRUE) /* purged meanwhile */
               : FALSE;
  mugai_unlock_attempt *a = g_new0(mugai_unlock_attempt, 1);
  a->password = -1;
  gboolean late = entry->time < now - (gint64) p->policy->ppap.window;
  if (late || p->services->converter == NULL) { /* not tried: named as the index has it */
    a->quarantine_id = g_strdup(id);
    a->time = entry->time;
    a->names = removed_zip_names(entry);
    a->state = late ? MUGAI_UNLOCK_ATTEMPT_TOO_LATE : MUGAI_UNLOCK_ATTEMPT_NOT_OPENED;
    if (!late)
      a->detail = g_strdup_printf("no converter: %s", p->services->converter_failure
                                                          ? p->services->converter_failure
                                                          : "not available");
  } else {
    g_autofree char *reason = g_strdup_printf("PPAP: password mail %s", p->queue_id);
    g_autofree char *by = g_strdup_printf("password-mail:%s:<%s>", p->queue_id, sender);
    mugai_unlock_job job = {.q = q, .policy = p->policy, .services = p->services,
                            .passwords = passwords, .reason = reason, .by = by};
    if (!mugai_quarantine_unlock(&job, entry, a, error)) {
      mugai_unlock_attempt_free(a);
      return FALSE;
    }
  }
  log_attempt(p, a);
  g_ptr_array_add(attempts, a);
  return TRUE;
}

static gboolean
try_passwords(gpointer ctx, const char *sender, const char *const *rcpts,
              const char *const *passwords, GPtrArray *attempts, GError **error)
{
  const mugai_milter_ppap *p = ctx;
  if (p->q == NULL || *sender == '\0') /* nothing held; the null sender sends no PPAP */
    return TRUE;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gint64 since = now - (gint64) p->policy->ppap.window - TOO_LATE_SHOWN;
  found f = {.ids = g_ptr_array_new_with_free_func(g_free),
             .seen = g_hash_table_new(g_str_hash, g_str_equal)};
  gboolean ok = TRUE;
  G_LOCK(unlocking);
  mugai_quarantine *q = store_for(&p->policy->quarantine, error);
  ok = q != NULL && list_held(q, sender, rcpts, since, &f, error);
  for (guint i = 0; ok && i < f.ids->len; i++)
    ok = try_entry(p, q, g_ptr_array_index(f.ids, i), sender, passwords, now, attempts, error);
  G_UNLOCK(unlocking);
  g_hash_table_unref(f.seen);
  g_ptr_array_unref(f.ids);
  return ok;
}

static const mugai_unlocker_vtable milter_unlocker = {.try_passwords = try_passwords};

void
mugai_milter_ppap_init(mugai_milter_ppap *p, mugai_quarantine *q, const mugai_policy *policy,
                       const mugai_services *services, const char *queue_id)
{
  *p = (mugai_milter_ppap){.q = q, .policy = policy, .services = services,
                           .queue_id = queue_id ? queue_id : "NOQUEUE"};
  p->unlocker = (mugai_unlocker){.vtable = &milter_unlocker, .ctx = p};
}
