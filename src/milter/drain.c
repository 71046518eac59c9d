/* drain.c — the count of callbacks inside the shared state (see drain.h).
 *
 * Two sequentially consistent atomics instead of a lock, so that the message path takes no
 * shared mutex: a callback raises INSIDE and then reads STOPPING; the stop sets STOPPING and then
 * reads INSIDE. Either the callback sees the stop, or the stop sees the callback.
 */
#include "milter/drain.h"

#define POLL_US (10 * 1000)

static gint inside;
static gint stopping;

gboolean
mugai_drain_enter(void)
{
  g_atomic_int_inc(&inside);
  if (!g_atomic_int_get(&stopping))
    return TRUE;
  mugai_drain_leave();
  return FALSE;
}

void
mugai_drain_leave(void)
{
  g_atomic_int_add(&inside, -1);
}

guint
mugai_drain_stop(guint seconds)
{
  g_atomic_int_set(&stopping, 1);
  gint64 deadline = g_get_monotonic_time() + (gint64) seconds * G_USEC_PER_SEC;
  while (g_atomic_int_get(&inside) > 0 && g_get_monotonic_time() < deadline)
    g_usleep(POLL_US); /* a stop is rare: polling keeps the message path free of a condition */
  return (guint) MAX(g_atomic_int_get(&inside), 0);
}
