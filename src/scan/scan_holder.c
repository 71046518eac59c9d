/* scan_holder.c — the shared scanner and its reload thread (see scan_holder.h).
 *
 * One mutex guards the current scanner pointer and the failure text, held only to swap or take a
 * reference, never while an engine loads. The thread alone builds scanners and reads the
 * signature directory, so a slow load never blocks a message.
 */
#include "scan/scan_holder.h"

#include <syslog.h>
#include <glib/gstdio.h>
#include "scan/clamav.h"
#include "scan/scan_open.h"

/* A scanner and how many messages scan with it now. The holder keeps its own reference until no
 * message uses it, so the engine is always freed on the reload thread (freeing 500 000
 * signatures takes 70 ms: no message waits for it). */
typedef struct {
  mugai_scanner *scanner;
  guint users; /* guarded by the holder's lock */
} held_scanner;

struct mugai_scan_holder {
  mugai_policy *policy; /* (transfer full) the [scan] settings the next rebuild uses; guarded */
  mugai_scan_log_fn log;
  gpointer log_data;
  GMutex lock;
  GCond wake;     /* the thread: a reload asked, the stop, a retired scanner's last user gone */
  held_scanner *current;  /* (nullable) guarded by lock */
  GPtrArray *retired;   /* held_scanner *: swapped out, still in use; guarded by lock */
  char *failure;          /* (nullable) why there is no scanner; guarded by lock */
  gboolean reload_asked;  /* guarded by lock */
  gboolean stopping;      /* guarded by lock */
  guint generation;       /* guarded by lock */
  gint64 loaded_at;       /* guarded by lock: Unix time the scanner in force was put in force */
  char *fingerprint;      /* the thread's own: what database_dir or clamd looked like */
  GThread *thread;        /* (nullable) */
};

static void
say(mugai_scan_holder *h, int priority, const char *format, ...) G_GNUC_PRINTF(3, 4);

static void
say(mugai_scan_holder *h, int priority, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  g_autofree char *message = g_strdup_vprintf(format, ap);
  va_end(ap);
  if (h->log)
    h->log(priority, message, h->log_data);
}

static gint
compare_names(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(char *const *) a, *(char *const *) b);
}

/* Name, size and modification time of every signature file in DIR, hashed: freshclam replacing
 * one (write, then rename) changes it; its own files and download directories do not.
 * "missing: ..." when DIR cannot be read. (transfer full) */
static char *
directory_fingerprint(const char *dir)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) listing = g_dir_open(dir, 0, &error);
  if (listing == NULL)
    return g_strconcat("missing: ", error->message, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  const char *name;
  while ((name = g_dir_read_name(listing)) != NULL)
    if (mugai_clamav_is_database_file(name))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, compare_names);
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  for (guint i = 0; i < names->len; i++) {
    const char *n = g_ptr_array_index(names, i);
    g_autofree char *path = g_build_filename(dir, n, NULL);
    GStatBuf st;
    if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    g_autofree char *line = g_strdup_printf("%s\n%lld\n%lld.%09ld\n", n, (long long) st.st_size,
                                            (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    g_checksum_update(sum, (const guchar *) line, (gssize) strlen(line));
  }
  return g_strdup(g_checksum_get_string(sum));
}

/* What the scanner's signatures are, for clamd: its engine and signature build time. */
static char *
scanner_fingerprint(mugai_scanner *scanner)
{
  const mugai_scan_info *info = mugai_scanner_get_info(scanner);
  return g_strdup_printf("%s/%" G_GINT64_FORMAT "/%u", info->engine, info->signature_time,
                         info->signatures);
}

static void
held_scanner_free(held_scanner *g)
{
  mugai_scanner_unref(g->scanner); /* the holder's reference: the last one once users is 0 */
  g_free(g);
}

/* Free the retired scanners no message uses any more. Called on the reload thread only. */
static void
free_unused(mugai_scan_holder *h)
{
  g_autoptr(GPtrArray) done = g_ptr_array_new_with_free_func((GDestroyNotify) held_scanner_free);
  g_mutex_lock(&h->lock);
  for (guint i = h->retired->len; i-- > 0;) {
    held_scanner *g = g_ptr_array_index(h->retired, i);
    if (g->users == 0)
      g_ptr_array_add(done, g_ptr_array_steal_index_fast(h->retired, i));
  }
  g_mutex_unlock(&h->lock);
} /* DONE is freed here, outside the lock */

/* Put FRESH (transfer full, nullable) in force, or record FAILURE when there is none. */
static void
swap_in(mugai_scan_holder *h, mugai_scanner *fresh, const char *failure)
{
  g_mutex_lock(&h->lock);
  if (fresh != NULL) {
    if (h->current != NULL)
      g_ptr_array_add(h->retired, h->current); /* messages in flight finish on it */
    h->current = g_new0(held_scanner, 1);
    h->current->scanner = fresh;
    g_clear_pointer(&h->failure, g_free);
    h->generation++;
    h->loaded_at = g_get_real_time() / G_USEC_PER_SEC;
  } else if (h->current == NULL) {
    g_free(h->failure);
    h->failure = g_strdup(failure);
  }
  g_mutex_unlock(&h->lock);
  free_unused(h);
}

static gboolean
have_scanner(mugai_scan_holder *h)
{
  g_mutex_lock(&h->lock);
  gboolean have = h->current != NULL;
  g_mutex_unlock(&h->lock);
  return have;
}

/* (transfer full) the policy in force now. */
static mugai_policy *
policy_now(mugai_scan_holder *h)
{
  g_mutex_lock(&h->lock);
  mugai_policy *policy = mugai_policy_ref(h->policy);
  g_mutex_unlock(&h->lock);
  return policy;
}

/* [scan] backend = none (at start or by a reload): no scanner, and no failure either. */
static void
drop_scanner(mugai_scan_holder *h)
{
  g_mutex_lock(&h->lock);
  if (h->current != NULL)
    g_ptr_array_add(h->retired, g_steal_pointer(&h->current));
  g_clear_pointer(&h->failure, g_free);
  g_clear_pointer(&h->fingerprint, g_free);
  g_mutex_unlock(&h->lock);
  free_unused(h);
  say(h, LOG_WARNING, "[scan] backend = none: mail is NOT scanned for viruses "
                      "(every message says not-scanned in X-Mugai-Actions)");
}

/* Build a new scanner when the signatures changed (or FORCED) and swap it in. STARTING: the
 * first load, whose failure is not a "reload" failure. */
static void
rebuild(mugai_scan_holder *h, gboolean forced, gboolean starting)
{
  g_autoptr(mugai_policy) policy = policy_now(h);
  const mugai_scan_policy *scan = &policy->scan;
  if (scan->backend == MUGAI_SCAN_BACKEND_NONE) {
    if (starting || forced)
      drop_scanner(h);
    return;
  }
  gboolean libclamav = scan->backend == MUGAI_SCAN_BACKEND_LIBCLAMAV;
  g_autofree char *fingerprint = libclamav ? directory_fingerprint(scan->database_dir) : NULL;
  if (libclamav && !forced && !starting && g_strcmp0(fingerprint, h->fingerprint) == 0)
    return;
  /* clamd is asked every interval (cheap) and is news only when its signatures changed. */
  if (!starting && (libclamav || forced))
    say(h, LOG_INFO, "%s: %s, loading the signatures again",
        libclamav ? scan->database_dir : scan->clamd_socket,
        forced ? "reload asked (SIGHUP)" : "signatures changed");
  gint64 began = g_get_monotonic_time();
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_scanner) fresh = mugai_scan_open(scan, NULL, NULL, &error);
  double seconds = (double) (g_get_monotonic_time() - began) / G_USEC_PER_SEC;
  if (libclamav) {
    g_free(h->fingerprint);
    h->fingerprint = g_steal_pointer(&fingerprint);
  }
  if (fresh == NULL) {
    gboolean kept = have_scanner(h);
    if (!libclamav && !starting && !forced && g_strcmp0(h->fingerprint, error->message) == 0)
      return; /* clamd still down: said once already */
    if (!libclamav) {
      g_free(h->fingerprint);
      h->fingerprint = g_strdup(error->message);
    }
    say(h, LOG_ERR, "virus scanner %s: %s; %s", starting ? "not loaded" : "reload failed",
        error->message,
        kept ? "the signatures loaded before stay in force"
             : "every message is answered as [scan] scan_error says until it loads");
    swap_in(h, NULL, error->message);
    return;
  }
  if (!libclamav) { /* clamd reloads itself: only a change of its signatures is news */
    g_autofree char *now = scanner_fingerprint(fresh);
    gboolean same = g_strcmp0(now, h->fingerprint) == 0 && have_scanner(h);
    g_free(h->fingerprint);
    h->fingerprint = g_steal_pointer(&now);
    if (same && !forced)
      return;
  }
  g_autofree char *what = mugai_scan_describe(fresh);
  say(h, LOG_INFO, "virus scanner %s in %.2fs: %s", starting ? "loaded" : "reloaded", seconds,
      what);
  swap_in(h, g_steal_pointer(&fresh), NULL);
}

static gpointer
reload_thread(gpointer data)
{
  mugai_scan_holder *h = data;
  g_mutex_lock(&h->lock);
  guint64 interval = MAX(h->policy->scan.reload_interval, (guint64) 1);
  gint64 next_check = g_get_monotonic_time() + (gint64) interval * G_USEC_PER_SEC;
  while (!h->stopping) {
    if (!h->reload_asked && !g_cond_wait_until(&h->wake, &h->lock, next_check))
      next_check = 0; /* the interval is over */
    if (h->stopping)
      break;
    gboolean forced = h->reload_asked;
    gboolean due = next_check == 0 || g_get_monotonic_time() >= next_check;
    h->reload_asked = FALSE;
    g_mutex_unlock(&h->lock);
    free_unused(h); /* also when woken because a retired scanner's last user is done */
    if (forced || due)
      rebuild(h, forced, FALSE);
    g_mutex_lock(&h->lock);
    if (forced || due) { /* a reload may have changed the interval too */
      interval = MAX(h->policy->scan.reload_interval, (guint64) 1);
      next_check = g_get_monotonic_time() + (gint64) interval * G_USEC_PER_SEC;
    }
  }
  g_mutex_unlock(&h->lock);
  return NULL;
}

mugai_scan_holder *
mugai_scan_holder_new(mugai_policy *policy, mugai_scan_log_fn log, gpointer log_data)
{
  mugai_scan_holder *h = g_new0(mugai_scan_holder, 1);
  h->policy = mugai_policy_ref(policy);
  h->log = log;
  h->log_data = log_data;
  g_mutex_init(&h->lock);
  g_cond_init(&h->wake);
  h->retired = g_ptr_array_new();
  rebuild(h, FALSE, TRUE); /* the thread runs for backend none too: a reload may change it */
  h->thread = g_thread_new("mugai-scan-reload", reload_thread, h);
  return h;
}

mugai_scanner *
mugai_scan_holder_get(mugai_scan_holder *holder, char **failure)
{
  g_mutex_lock(&holder->lock);
  mugai_scanner *scanner = NULL;
  if (holder->current != NULL) {
    holder->current->users++;
    scanner = holder->current->scanner;
  }
  if (failure != NULL)
    *failure = scanner ? NULL : g_strdup(holder->failure);
  g_mutex_unlock(&holder->lock);
  return scanner;
}

void
mugai_scan_holder_put(mugai_scan_holder *holder, mugai_scanner *scanner)
{
  if (scanner == NULL)
    return;
  g_mutex_lock(&holder->lock);
  held_scanner *g = holder->current && holder->current->scanner == scanner ? holder->current : NULL;
  for (guint i = 0; g == NULL && i < holder->retired->len; i++) {
    held_scanner *r = g_ptr_array_index(holder->retired, i);
    if (r->scanner == scanner)
      g = r;
  }
  g_assert(g != NULL && g->users > 0);
  if (--g->users == 0 && g != holder->current)
    g_cond_signal(&holder->wake); /* the thread frees it */
  g_mutex_unlock(&holder->lock);
}

void
mugai_scan_holder_set_policy(mugai_scan_holder *holder, mugai_policy *policy)
{
  g_mutex_lock(&holder->lock);
  mugai_policy *old = holder->policy;
  holder->policy = mugai_policy_ref(policy);
  holder->reload_asked = TRUE;
  g_cond_signal(&holder->wake);
  g_mutex_unlock(&holder->lock);
  mugai_policy_unref(old);
}

void
mugai_scan_holder_reload(mugai_scan_holder *holder)
{
  g_mutex_lock(&holder->lock);
  holder->reload_asked = TRUE;
  g_cond_signal(&holder->wake);
  g_mutex_unlock(&holder->lock);
}

guint
mugai_scan_holder_generation(mugai_scan_holder *holder)
{
  g_mutex_lock(&holder->lock);
  guint generation = holder->generation;
  g_mutex_unlock(&holder->lock);
  return generation;
}

gint64
mugai_scan_holder_loaded_at(mugai_scan_holder *holder)
{
  g_mutex_lock(&holder->lock);
  gint64 t = holder->current ? holder->loaded_at : 0;
  g_mutex_unlock(&holder->lock);
  return t;
}

void
mugai_scan_holder_free(mugai_scan_holder *holder)
{
  if (holder == NULL)
    return;
  g_mutex_lock(&holder->lock);
  holder->stopping = TRUE;
  g_cond_signal(&holder->wake);
  g_mutex_unlock(&holder->lock);
  if (holder->thread)
    g_thread_join(holder->thread);
  /* Every message is done by now (libmilter has returned): nothing is in use. */
  for (guint i = 0; i < holder->retired->len; i++)
    held_scanner_free(g_ptr_array_index(holder->retired, i));
  g_ptr_array_unref(holder->retired);
  if (holder->current)
    held_scanner_free(holder->current);
  g_free(holder->failure);
  g_free(holder->fingerprint);
  mugai_policy_unref(holder->policy);
  g_mutex_clear(&holder->lock);
  g_cond_clear(&holder->wake);
  g_free(holder);
}
