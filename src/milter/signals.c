/* signals.c — SIGHUP for mugai, SIGTERM and SIGINT for libmilter (see signals.h).
 *
 * libmilter starts a thread that sigwait()s for SIGHUP, SIGTERM and SIGINT and stops the milter on
 * any of them; no libmilter call changes that set. So mugai-milter defines sigwait() itself: the
 * linker binds libmilter's call to the executable's own definition, which waits for the same set
 * without SIGHUP. SIGHUP is then waited for by mugai's thread alone. The signals are blocked in
 * every thread, so none is ever delivered to a handler, only taken by one of the two waits.
 */
#include "milter/signals.h"

#include <errno.h>
#include <signal.h>
#include <pthread.h>

static void (*hup_callback)(gpointer data);
static gpointer hup_data;

void
mugai_signals_block(void)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/* The sigwait() libmilter calls: its own set, minus SIGHUP. Same contract as POSIX sigwait(). */
int sigwait(const sigset_t *set, int *sig);

int
sigwait(const sigset_t *set, int *sig)
{
  sigset_t without = *set;
  sigdelset(&without, SIGHUP);
  for (;;) {
    int got = sigwaitinfo(&without, NULL);
    if (got > 0) {
      *sig = got;
      return 0;
    }
    if (errno != EINTR)
      return errno;
  }
}

static gpointer
hup_thread(gpointer unused)
{
  (void) unused;
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  for (;;) {
    if (sigwaitinfo(&hup, NULL) == SIGHUP)
      hup_callback(hup_data);
  }
  return NULL;
}

void
mugai_signals_on_hup(void (*on_hup)(gpointer data), gpointer data)
{
  hup_callback = on_hup;
  hup_data = data;
  g_thread_unref(g_thread_new("mugai-sighup", hup_thread, NULL));
}
