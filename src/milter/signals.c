/* signals.c — SIGHUP for mugai, SIGTERM and SIGINT for libmilter (see signals.h).
 *
 * libmilter starts a thread that sigwait()s for SIGHUP, SIGTERM and SIGINT and stops the milter on
 * any of them; no libmilter call changes that set. So mugai-milter defines sigwait() itself: the
 * linker binds libmilter's call to the executable's own definition, which waits for the same set
 * without SIGHUP. SIGHUP is then waited for by mugai's thread alone. The signals are blocked in
 * every thread, so none is ever delivered to a handler, only taken by one of the two waits.
 *
 * A stop would take up to 5 s: libmilter sets its stop flag, then waits for the lock its listener
 * holds while it polls the socket, and the listener looks at the flag only when that poll times
 * out (MI_CHK_TIME). So on SIGTERM or SIGINT a waker thread interrupts the listener's poll with a
 * handled signal (EINTR, after which it looks again) until smfi_main() has returned. Its first
 * signal waits WAKE_EVERY_US, by when libmilter's signal thread has set the flag: a listener woken
 * before it would poll again and hand its lock to that thread at a moment it does not expect.
 */
#include "milter/signals.h"

#include <errno.h>
#include <signal.h>
#include <pthread.h>

#define WAKE_EVERY_US (10 * 1000)
#define WAKE_TRIES    600 /* 6 s: longer than libmilter's own poll, which then ends it anyway */

static void (*hup_callback)(gpointer data);
static pthread_t listener_tid; /* the thread in smfi_main(), once mugai_signals_wake_here() ran */
static gboolean listener_known;
static gint listener_done;
static pthread_t waker_tid;
static gint waker_running;
static gpointer hup_data;

/* The signal that interrupts the listener's poll; handled, so that the poll returns EINTR. */
static int
wake_signal(void)
{
  return SIGRTMIN + 1;
}

static void
on_wake(int sig)
{
  (void) sig;
}

void
mugai_signals_block(void)
{
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, wake_signal());
  pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void *
waker_thread(void *unused)
{
  (void) unused;
  for (int i = 0; i < WAKE_TRIES; i++) {
    g_usleep(WAKE_EVERY_US);
    if (g_atomic_int_get(&listener_done))
      break;
    pthread_kill(listener_tid, wake_signal());
  }
  return NULL;
}

/* Called on SIGTERM or SIGINT, before libmilter sees it; one waker for the process's life. */
static void
start_waker(void)
{
  if (!listener_known || !g_atomic_int_compare_and_exchange(&waker_running, 0, 1))
    return;
  if (pthread_create(&waker_tid, NULL, waker_thread, NULL) != 0)
    g_atomic_int_set(&waker_running, 0); /* the stop still happens, at libmilter's pace */
}

void
mugai_signals_wake_here(void)
{
  struct sigaction sa = {.sa_handler = on_wake};
  sigemptyset(&sa.sa_mask);
  sigaction(wake_signal(), &sa, NULL);
  listener_tid = pthread_self();
  listener_known = TRUE;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, wake_signal());
  pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

void
mugai_signals_listener_returned(void)
{
  g_atomic_int_set(&listener_done, 1);
  if (g_atomic_int_get(&waker_running))
    pthread_join(waker_tid, NULL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, wake_signal());
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
      if (got == SIGTERM || got == SIGINT)
        start_waker();
      *sig = got;
      return 0;
    }
    if (errno != EINTR)
      return errno;
  }
}

/* The SIGHUP thread, joinable: a stop sets STOPPING and sends the thread a SIGHUP of its own,
 * which its wait takes like any other. A reload in progress finishes first. */
static pthread_t hup_tid;
static gboolean hup_running;
static gint hup_stopping;

static void *
hup_thread(void *unused)
{
  (void) unused;
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  for (;;) {
    int got = sigwaitinfo(&hup, NULL);
    if (g_atomic_int_get(&hup_stopping))
      return NULL;
    if (got == SIGHUP)
      hup_callback(hup_data);
  }
}

void
mugai_signals_on_hup(void (*on_hup)(gpointer data), gpointer data)
{
  g_return_if_fail(!hup_running);
  hup_callback = on_hup;
  hup_data = data;
  g_atomic_int_set(&hup_stopping, 0);
  int err = pthread_create(&hup_tid, NULL, hup_thread, NULL);
  if (err != 0)
    g_error("cannot start the SIGHUP thread: %s", g_strerror(err));
  hup_running = TRUE;
}

void
mugai_signals_stop_hup(void)
{
  if (!hup_running)
    return;
  g_atomic_int_set(&hup_stopping, 1);
  pthread_kill(hup_tid, SIGHUP);
  pthread_join(hup_tid, NULL);
  hup_running = FALSE;
}
