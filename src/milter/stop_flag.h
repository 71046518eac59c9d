/* stop_flag.h — a periodic background thread that shutdown can wake and join.
 *
 * Why: a detached thread that sleeps with g_usleep() keeps running while main() frees the state
 * it reads, and the status thread could write its file again after shutdown removed it (a
 * status file saying "running" for a milter that stopped). A thread started here sleeps on a
 * condition instead; mugai_stop_flag_stop() wakes it and waits until it has returned.
 *
 * A mugai_stop_flag is static and zero-initialised (GLib's GMutex and GCond allow that); one
 * thread per flag.
 */
#pragma once
#include <glib.h>

typedef struct {
  GMutex lock;
  GCond cond;
  gboolean stop;
  GThread *thread; /* (nullable) until started, and again once joined */
} mugai_stop_flag;

/* Runs FN(DATA) in a new thread named NAME. */
void mugai_stop_flag_start(mugai_stop_flag *flag, const char *name, GThreadFunc fn, gpointer data);

/* Sleeps up to SECONDS. Returns TRUE when a stop was asked for: the thread should return. */
gboolean mugai_stop_flag_wait(mugai_stop_flag *flag, guint64 seconds);

/* Asks the thread to stop and joins it; does nothing when it was never started. */
void mugai_stop_flag_stop(mugai_stop_flag *flag);
