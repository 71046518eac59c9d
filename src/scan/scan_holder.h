/* scan_holder.h — the scanner mugai-milter's threads share, kept fresh without a pause.
 *
 * At start the scanner [scan] names is opened (a failure is logged and leaves no scanner: every
 * message then gets the scan_error answer, fail closed). A background thread then checks
 * database_dir (libclamav) or clamd's signature version (clamd) every reload_interval, and
 * rebuilds at once when asked (SIGHUP). A new scanner is built on that thread, beside the one in
 * use, and swapped in atomically; scans in flight finish on the old one, which the thread frees
 * after the last of them. A failed rebuild keeps the old scanner and logs why. No message waits
 * for a load or a free.
 *
 * Owns the current scanner, the thread, and a reference to the policy it was built for.
 */
#pragma once
#include <glib.h>
#include "config/policy.h"
#include "sanitize/scanner.h"

typedef struct mugai_scan_holder mugai_scan_holder;

/* How the holder reports what it did: PRIORITY is a syslog priority (LOG_INFO, LOG_ERR...).
 * Called from the holder's thread, or from mugai_scan_holder_new()'s caller. */
typedef void (*mugai_scan_log_fn)(int priority, const char *message, gpointer data);

/* Open the scanner for POLICY's [scan] and start the thread. Never NULL; with backend none it
 * holds no scanner (the thread waits for a reload that may change that). (transfer full) */
mugai_scan_holder *mugai_scan_holder_new(mugai_policy *policy, mugai_scan_log_fn log,
                                         gpointer log_data);

/* (nullable) the scanner in force now, lent to the caller's message until it gives it back with
 * mugai_scan_holder_put() (never unref it: the holder frees retired engines on its own thread,
 * not on a message's). NULL when none could be loaded, and then *FAILURE (transfer full) says
 * why. Thread-safe. */
mugai_scanner *mugai_scan_holder_get(mugai_scan_holder *holder, char **failure);

/* Give back SCANNER (nullable) from mugai_scan_holder_get(). Thread-safe. */
void mugai_scan_holder_put(mugai_scan_holder *holder, mugai_scanner *scanner);

/* A reloaded configuration: the next rebuild, asked for now, uses POLICY's [scan] (a new
 * backend, socket, directory or limits); until it succeeds the scanner in force stays. */
void mugai_scan_holder_set_policy(mugai_scan_holder *holder, mugai_policy *policy);

/* Ask for a rebuild now (SIGHUP). Async-signal-unsafe: call from a normal thread. */
void mugai_scan_holder_reload(mugai_scan_holder *holder);

/* How many rebuilds have succeeded since start (for tests and the log). */
guint mugai_scan_holder_generation(mugai_scan_holder *holder);

/* The Unix time the scanner in force was loaded; 0 when there is none. Thread-safe. */
gint64 mugai_scan_holder_loaded_at(mugai_scan_holder *holder);

/* Stop the thread (waits for a rebuild in progress) and drop the scanner. NULL-safe. */
void mugai_scan_holder_free(mugai_scan_holder *holder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mugai_scan_holder, mugai_scan_holder_free)
