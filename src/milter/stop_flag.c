/* stop_flag.c — a periodic background thread that shutdown can wake and join (see stop_flag.h). */
#include "milter/stop_flag.h"

void
mugai_stop_flag_start(mugai_stop_flag *flag, const char *name, GThreadFunc fn, gpointer data)
{
  g_mutex_lock(&flag->lock);
  flag->stop = FALSE;
  g_mutex_unlock(&flag->lock);
  flag->thread = g_thread_new(name, fn, data);
}

gboolean
mugai_stop_flag_wait(mugai_stop_flag *flag, guint64 seconds)
{
  gint64 until =
      g_get_monotonic_time() + (gint64) MIN(seconds, (guint64) G_MAXINT32) * G_USEC_PER_SEC;
  g_mutex_lock(&flag->lock);
  while (!flag->stop && g_cond_wait_until(&flag->cond, &flag->lock, until))
    ; /* woken early without a stop: wait out the rest */
  gboolean stop = flag->stop;
  g_mutex_unlock(&flag->lock);
  return stop;
}

void
mugai_stop_flag_stop(mugai_stop_flag *flag)
{
  if (flag->thread == NULL)
    return;
  g_mutex_lock(&flag->lock);
  flag->stop = TRUE;
  g_cond_broadcast(&flag->cond);
  g_mutex_unlock(&flag->lock);
  g_thread_join(flag->thread);
  flag->thread = NULL;
}
