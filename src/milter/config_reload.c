/* config_reload.c — SIGHUP reload and the tamper check (see config_reload.h). */
#include "milter/config_reload.h"
#include "milter/status.h"

#include <string.h>
#include "config/config.h"
#include "milter/log.h"
#include "milter/stop_flag.h"
#include "util/units.h"

/* (transfer full) the policy new connections get now. */
static mugai_policy *
policy_now(mugai_milter_state *state)
{
  g_mutex_lock(&state->lock);
  mugai_policy *policy = mugai_policy_ref(state->policy);
  g_mutex_unlock(&state->lock);
  return policy;
}

void
mugai_config_reload(mugai_milter_state *state, const char *path)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_policy) fresh = mugai_config_load(path, problems, &error);
  g_autoptr(mugai_policy) old = policy_now(state);
  if (fresh == NULL) {
    mugai_log(LOG_ERR, "error: reload: the configuration is not valid; the one in force stays "
                       "(%s, sha256 %s):", old->source, old->sha256);
    for (guint i = 0; i < problems->len; i++)
      mugai_log(LOG_ERR, "error: reload: %s", (const char *) g_ptr_array_index(problems, i));
    if (problems->len == 0)
      mugai_log(LOG_ERR, "error: reload: %s", error->message);
    g_ptr_array_add(problems, NULL);
    g_autofree char *all = problems->len > 1 ? g_strjoinv("; ", (char **) problems->pdata) : NULL;
    mugai_status_note_reload(FALSE, all ? all : error->message);
    mugai_status_write(state);
    mugai_scan_holder_reload(state->scanners); /* the signatures are reloaded all the same */
    return;
  }
  if (strcmp(fresh->quarantine.dir, old->quarantine.dir) != 0 ||
      strcmp(fresh->quarantine.dsn, old->quarantine.dsn) != 0 ||
      fresh->quarantine.backend != old->quarantine.backend)
    mugai_log_warning("reload: [quarantine] backend, dir or dsn changed: that takes a restart; "
                      "until then every message whose original must be kept is deferred (451)");
  if (strcmp(fresh->milter_socket, old->milter_socket) != 0)
    mugai_log_warning("reload: [milter] socket changed to %s: that takes a restart; still "
                      "listening on the old one", fresh->milter_socket);
  g_mutex_lock(&state->lock);
  mugai_policy *replaced = state->policy;
  state->policy = mugai_policy_ref(fresh);
  g_mutex_unlock(&state->lock);
  mugai_policy_unref(replaced); /* connections in progress hold their own reference */
  mugai_log_info("reload: configuration %s loaded (sha256 %s, was %s); new connections use it",
                 fresh->source, fresh->sha256, old->sha256);
  mugai_status_note_reload(TRUE, fresh->sha256);
  mugai_status_write(state);
  mugai_scan_holder_set_policy(state->scanners, fresh);
  /* The counts stay (the new thresholds apply from the next message on) unless their unit, the
   * window, changed. */
  char was[MUGAI_DURATION_TEXT_MAX], now[MUGAI_DURATION_TEXT_MAX];
  if (mugai_rate_limiter_set_window(state->rates, fresh->ratelimit.window))
    mugai_log_info("reload: [ratelimit] window changed from %s to %s: the counts start again",
                   mugai_format_duration(old->ratelimit.window, was),
                   mugai_format_duration(fresh->ratelimit.window, now));
}

/* One file the policy in force was read from: what it held then, what it holds now. */
typedef struct {
  const char *path;
  const char *loaded; /* sha256 */
  char *on_disk;      /* sha256, or NULL with error set */
  GError *error;
} watched_file;

/* Compare the files the policy in force came from (the config file and its [lists] files) with
 * those files now, and warn once per change (*LAST_WARNED: the state last warned about). The
 * embedded default has no file. */
static void
check_once(mugai_milter_state *state, char **last_warned)
{
  g_autoptr(mugai_policy) policy = policy_now(state);
  if (strcmp(policy->source, MUGAI_EMBEDDED_SOURCE) == 0)
    return;
  watched_file files[] = {{policy->source, policy->sha256, NULL, NULL},
                          {policy->lists.allow.path, policy->lists.allow.sha256, NULL, NULL},
                          {policy->lists.strict.path, policy->lists.strict.sha256, NULL, NULL}};
  g_autoptr(GString) now = g_string_new(NULL);
  gboolean changed = FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    watched_file *f = &files[i];
    if (f->path == NULL || *f->path == '\0')
      continue;
    f->on_disk = mugai_config_file_sha256(f->path, &f->error);
    g_string_append_printf(now, "%s\n", f->on_disk ? f->on_disk : f->error->message);
    changed = changed || g_strcmp0(f->on_disk, f->loaded) != 0;
  }
  if (!changed) {
    g_clear_pointer(last_warned, g_free);
  } else if (g_strcmp0(*last_warned, now->str) != 0) { /* said once per change */
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
      const watched_file *f = &files[i];
      if (f->error != NULL)
        mugai_log_warning("tamper check: %s, in force, cannot be read again: %s (loaded sha256 "
                          "%s)", f->path, f->error->message, f->loaded);
      else if (f->on_disk != NULL && strcmp(f->on_disk, f->loaded) != 0)
        mugai_log_warning("tamper check: %s changed on disk without a reload: loaded sha256 %s, "
                          "on disk sha256 %s (send SIGHUP to load it after `mugai config "
                          "check`)", f->path, f->loaded, f->on_disk);
    }
    g_free(*last_warned);
    *last_warned = g_strdup(now->str);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
    g_free(files[i].on_disk);
    g_clear_error(&files[i].error);
  }
}

static mugai_stop_flag watch_stop;

static gpointer
watch_thread(gpointer data)
{
  mugai_milter_state *state = data;
  g_autofree char *last_warned = NULL;
  for (;;) {
    guint64 interval;
    {
      g_autoptr(mugai_policy) policy = policy_now(state);
      interval = MAX(policy->config_check_interval, (guint64) 1);
    }
    if (mugai_stop_flag_wait(&watch_stop, interval))
      break;
    check_once(state, &last_warned);
  }
  return NULL;
}

void
mugai_config_watch_start(mugai_milter_state *state)
{
  mugai_stop_flag_start(&watch_stop, "mugai-tamper", watch_thread, state);
}

void
mugai_config_watch_stop(void)
{
  mugai_stop_flag_stop(&watch_stop);
}
