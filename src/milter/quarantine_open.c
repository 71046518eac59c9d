/* quarantine_open.c — see quarantine_open.h. state->quarantine is written once (NULL to a store)
 * and read by every message: atomically. */
#include "milter/quarantine_open.h"
#include "milter/log.h"

static GMutex opening;   /* one opener at a time; the others go on without the store */
static gint64 last_try;  /* monotonic µs of the last attempt; guarded by opening */
static char *last_error; /* what the last attempt said, logged once per change; same guard */

/* A PostgreSQL database that cannot be reached, or whose schema is missing or of another version
 * (hosts upgraded before `mugai quarantine init` or `migrate` ran): it may be ready in a moment,
 * and every host of the site shares it. */
static gboolean
database_not_ready(const mugai_quarantine_policy *q, const GError *error)
{
  return q->backend == MUGAI_QUARANTINE_BACKEND_POSTGRESQL &&
         (g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX) ||
          g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_MISSING));
}

/* One attempt with the opening lock held; TRUE when the store is open now. */
static gboolean
try_open(mugai_milter_state *state, const mugai_quarantine_policy *q, GError **error)
{
  mugai_quarantine *store = mugai_quarantine_open(q, TRUE, error);
  last_try = g_get_monotonic_time();
  if (store == NULL)
    return FALSE;
  g_autoptr(GError) background = NULL;
  if (!mugai_quarantine_run_in_background(store, &background)) /* slower, but it stores */
    mugai_log_warning("quarantine: checkpoints stay in the commits: %s", background->message);
  g_atomic_pointer_set(&state->quarantine, store);
  mugai_log_info("quarantine: originals are kept in %s", mugai_quarantine_get_location(store));
  g_clear_pointer(&last_error, g_free);
  return TRUE;
}

gboolean
mugai_milter_quarantine_open(mugai_milter_state *state)
{
  const mugai_quarantine_policy *q = &state->policy->quarantine;
  if (!mugai_quarantine_policy_enabled(q))
    return TRUE;
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&opening);
  gboolean ok = try_open(state, q, &error);
  if (!ok && database_not_ready(q, error)) {
    mugai_log(LOG_ERR,
              "error: %s; messages whose original must be kept are deferred (451) until "
              "it can be used (tried again every %d s)",
              error->message, MUGAI_QUARANTINE_RETRY);
    last_error = g_strdup(error->message);
    ok = TRUE;
  } else if (!ok) {
    mugai_log_fatal("%s", error->message);
  }
  g_mutex_unlock(&opening);
  return ok;
}

mugai_quarantine *
mugai_milter_quarantine(mugai_milter_state *state, const mugai_policy *policy)
{
  mugai_quarantine *store = g_atomic_pointer_get(&state->quarantine);
  if (store != NULL)
    return mugai_quarantine_is_at(store, &policy->quarantine) ? store : NULL;
  const mugai_quarantine_policy *at_start = &state->policy_at_start->quarantine;
  if (!mugai_quarantine_policy_enabled(at_start) || !g_mutex_trylock(&opening))
    return NULL;
  if (g_atomic_pointer_get(&state->quarantine) == NULL &&
      g_get_monotonic_time() - last_try >= MUGAI_QUARANTINE_RETRY * G_USEC_PER_SEC) {
    g_autoptr(GError) error = NULL;
    if (!try_open(state, at_start, &error) && g_strcmp0(last_error, error->message) != 0) {
      mugai_log(LOG_ERR, "error: %s; still deferring what must be kept", error->message);
      g_free(last_error);
      last_error = g_strdup(error->message);
    }
  }
  g_mutex_unlock(&opening);
  store = g_atomic_pointer_get(&state->quarantine);
  return store && mugai_quarantine_is_at(store, &policy->quarantine) ? store : NULL;
}
