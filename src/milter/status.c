/* status.c — see status.h. */
#include "milter/status.h"
#include <errno.h>
#include <json-glib/json-glib.h>
#include <stdatomic.h>
#include <unistd.h>
#include "milter/log.h"
#include "milter/stop_flag.h"
#include "util/clock_sync.h"

static const char *const verdict_names[] = {[MUGAI_VERDICT_DELIVER] = "delivered",
                                            [MUGAI_VERDICT_REJECT] = "rejected",
                                            [MUGAI_VERDICT_TEMPFAIL] = "tempfailed",
                                            [MUGAI_VERDICT_DISCARD] = "discarded",
                                            [MUGAI_VERDICT_HOLD] = "held"};
#define N_VERDICTS G_N_ELEMENTS(verdict_names)

static atomic_uint_fast64_t verdict_counts[N_VERDICTS];
static atomic_uint_fast64_t virus_count;
static gint64 started_at; /* set before the thread starts */

static GMutex reload_lock; /* guards the three below */
static gint64 reload_time;
static gboolean reload_ok;
static char *reload_detail;

static GMutex write_lock;      /* one writer at a time: the thread, or a reload */
static char *last_write_error; /* guarded by write_lock: said once per change */

void
mugai_status_count(mugai_verdict verdict, gboolean virus)
{
  if ((guint) verdict < N_VERDICTS)
    atomic_fetch_add(&verdict_counts[verdict], 1);
  if (virus)
    atomic_fetch_add(&virus_count, 1);
}

void
mugai_status_note_reload(gboolean ok, const char *detail)
{
  g_mutex_lock(&reload_lock);
  reload_time = g_get_real_time() / G_USEC_PER_SEC;
  reload_ok = ok;
  g_free(reload_detail);
  reload_detail = g_strdup(detail);
  g_mutex_unlock(&reload_lock);
}

static mugai_policy *
policy_now(mugai_milter_state *state)
{
  g_mutex_lock(&state->lock);
  mugai_policy *p = mugai_policy_ref(state->policy);
  g_mutex_unlock(&state->lock);
  return p;
}

static void
add_scanner(JsonBuilder *b, mugai_milter_state *state, const mugai_policy *policy)
{
  json_builder_set_member_name(b, "scanner");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "backend");
  json_builder_add_string_value(b, policy->scan.backend == MUGAI_SCAN_BACKEND_LIBCLAMAV
                                       ? "libclamav"
                                   : policy->scan.backend == MUGAI_SCAN_BACKEND_CLAMD ? "clamd"
                                                                                      : "none");
  g_autofree char *failure = NULL;
  mugai_scanner *scanner = mugai_scan_holder_get(state->scanners, &failure);
  json_builder_set_member_name(b, "ready");
  json_builder_add_boolean_value(b, scanner != NULL);
  if (scanner) {
    const mugai_scan_info *info = mugai_scanner_get_info(scanner);
    json_builder_set_member_name(b, "engine");
    json_builder_add_string_value(b, info->engine);
    json_builder_set_member_name(b, "signatures");
    json_builder_add_int_value(b, info->signatures);
    json_builder_set_member_name(b, "signature_time");
    json_builder_add_int_value(b, info->signature_time);
    json_builder_set_member_name(b, "loaded");
    json_builder_add_int_value(b, mugai_scan_holder_loaded_at(state->scanners));
  } else if (failure) {
    json_builder_set_member_name(b, "failure");
    json_builder_add_string_value(b, failure);
  }
  mugai_scan_holder_put(state->scanners, scanner);
  json_builder_set_member_name(b, "max_signature_age");
  json_builder_add_int_value(b, (gint64) policy->scan.max_signature_age);
  json_builder_end_object(b);
}

static void
add_counts(JsonBuilder *b)
{
  json_builder_set_member_name(b, "messages");
  json_builder_begin_object(b);
  guint64 total = 0;
  for (gsize i = 0; i < N_VERDICTS; i++) {
    guint64 n = atomic_load(&verdict_counts[i]);
    total += n;
    json_builder_set_member_name(b, verdict_names[i]);
    json_builder_add_int_value(b, (gint64) n);
  }
  json_builder_set_member_name(b, "total");
  json_builder_add_int_value(b, (gint64) total);
  json_builder_set_member_name(b, "virus");
  json_builder_add_int_value(b, (gint64) atomic_load(&virus_count));
  json_builder_end_object(b);
}

static void
add_config(JsonBuilder *b, const mugai_policy *policy)
{
  json_builder_set_member_name(b, "config");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "source");
  json_builder_add_string_value(b, policy->source);
  json_builder_set_member_name(b, "sha256");
  json_builder_add_string_value(b, policy->sha256);
  json_builder_end_object(b);
  g_mutex_lock(&reload_lock);
  json_builder_set_member_name(b, "last_reload");
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "time");
  json_builder_add_int_value(b, reload_time);
  if (reload_time) {
    json_builder_set_member_name(b, "result");
    json_builder_add_string_value(b, reload_ok ? "loaded" : "refused");
    json_builder_set_member_name(b, "detail");
    json_builder_add_string_value(b, reload_detail ? reload_detail : "");
  }
  json_builder_end_object(b);
  g_mutex_unlock(&reload_lock);
}

static char *
status_json(mugai_milter_state *state, const mugai_policy *policy, gboolean synced)
{
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "pid");
  json_builder_add_int_value(b, getpid());
  json_builder_set_member_name(b, "uid");
  json_builder_add_int_value(b, getuid());
  json_builder_set_member_name(b, "version");
  json_builder_add_string_value(b, MUGAI_VERSION);
  json_builder_set_member_name(b, "host");
  json_builder_add_string_value(b, g_get_host_name());
  json_builder_set_member_name(b, "started");
  json_builder_add_int_value(b, started_at);
  json_builder_set_member_name(b, "written");
  json_builder_add_int_value(b, g_get_real_time() / G_USEC_PER_SEC);
  json_builder_set_member_name(b, "interval");
  json_builder_add_int_value(b, MUGAI_STATUS_INTERVAL);
  json_builder_set_member_name(b, "clock_synchronised");
  json_builder_add_boolean_value(b, synced);
  add_config(b, policy);
  add_scanner(b, state, policy);
  add_counts(b);
  json_builder_end_object(b);
  g_autoptr(JsonGenerator) g = json_generator_new();
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  json_generator_set_root(g, root);
  json_generator_set_pretty(g, TRUE);
  return json_generator_to_data(g, NULL);
}

void
mugai_status_write(mugai_milter_state *state)
{
  g_autoptr(mugai_policy) policy = policy_now(state);
  if (*policy->milter_status_file == '\0')
    return;
  g_autofree char *text = status_json(state, policy, mugai_clock_synchronised(NULL));
  g_autoptr(GError) error = NULL;
  g_mutex_lock(&write_lock);
  g_autofree char *dir = g_path_get_dirname(policy->milter_status_file);
  g_mkdir_with_parents(dir, 0755); /* /run/mugai under a plain root start; systemd makes it else */
  /* Written to a temporary file and renamed: a reader never sees half of it. */
  gboolean ok = g_file_set_contents_full(policy->milter_status_file, text, -1,
                                         G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error);
  if (!ok && g_strcmp0(last_write_error, error->message) != 0)
    mugai_log_warning("status file: %s (`mugai status` cannot see this milter)", error->message);
  g_free(last_write_error);
  last_write_error = ok ? NULL : g_strdup(error->message);
  g_mutex_unlock(&write_lock);
}

void
mugai_status_remove(mugai_milter_state *state)
{
  g_autoptr(mugai_policy) policy = policy_now(state);
  g_mutex_lock(&write_lock);
  if (*policy->milter_status_file)
    unlink(policy->milter_status_file);
  g_mutex_unlock(&write_lock);
}

/* Warn when the clock's state changes (and at start when it is not synchronised). */
static void
check_clock(gboolean *was_synced, gboolean first)
{
  gint64 error_ms = 0;
  gboolean synced = mugai_clock_synchronised(&error_ms);
  if (!synced && (first || *was_synced))
    mugai_log(LOG_WARNING,
              "warning: the system clock is not synchronised (maximum error %" G_GINT64_FORMAT
              " ms): log and quarantine times may be wrong; run an NTP client "
              "(systemd-timesyncd, chrony)",
              error_ms);
  else if (synced && !first && !*was_synced)
    mugai_log_info("the system clock is synchronised again");
  *was_synced = synced;
}

static mugai_stop_flag status_stop;

static gpointer
status_thread(gpointer data)
{
  mugai_milter_state *state = data;
  gboolean synced = TRUE;
  check_clock(&synced, TRUE);
  do {
    mugai_status_write(state);
    if (mugai_stop_flag_wait(&status_stop, MUGAI_STATUS_INTERVAL))
      break;
    check_clock(&synced, FALSE);
  } while (TRUE);
  return NULL;
}

void
mugai_status_start(mugai_milter_state *state)
{
  started_at = g_get_real_time() / G_USEC_PER_SEC;
  mugai_stop_flag_start(&status_stop, "mugai-status", status_thread, state);
}

void
mugai_status_stop(void)
{
  mugai_stop_flag_stop(&status_stop);
}
