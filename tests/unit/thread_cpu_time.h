/* thread_cpu_time.h — the CPU time of the calling thread, for the tests that bound the cost of a
 * hostile input (linear, not quadratic): CPU, not wall time, so tests running beside them on a
 * loaded machine do not count. */
#pragma once
#include <glib.h>
#include <time.h>

static inline gint64
thread_cpu_usec(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}
