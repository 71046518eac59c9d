/* worker_spawn.c — run one mugai-convert worker and collect its answer (see worker_spawn.h).
 *
 * Owns, for one call: the worker process, a socketpair for its stdin (send() with MSG_NOSIGNAL,
 * so a worker that dies early cannot SIGPIPE the milter) and pipes for its stdout and stderr, all
 * close-on-exec so a worker spawned by another thread at the same moment inherits none of them;
 * the child also closes every descriptor from 3 up (posix_spawn_file_actions_addclosefrom_np).
 * It must never: fork(), block without a deadline, read more than the output cap, or return
 * before the worker is reaped. The worker leads its own process group, and a timeout or a cap
 * kills the whole group, so nothing it started (a wrapper script's child) outlives it.
 */
#include "convert/worker_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define STDERR_KEEP 4096   /* tail of the worker's diagnostics kept to tell why it died */

static guint
cpu_seconds(const mugai_convert_client_options *o)
{
  guint timeout = o->timeout_ms ? o->timeout_ms : 30000;
  return MAX(o->cpu_seconds ? o->cpu_seconds : (timeout + 999) / 1000, 1u);
}

GPtrArray *
mugai_worker_argv(const mugai_convert_client_options *o)
{
  const mugai_convert_limits *l = &o->limits;
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(o->program ? o->program : MUGAI_CONVERT_PROGRAM));
  g_ptr_array_add(argv, g_strdup_printf("--cpu=%u", cpu_seconds(o)));
  g_ptr_array_add(argv, g_strdup_printf("--memory=%u", o->memory_mb));
  g_ptr_array_add(argv, g_strdup_printf("--max-output=%zu", l->max_output));
  g_ptr_array_add(argv, g_strdup_printf("--max-expanded=%zu", l->max_expanded));
  g_ptr_array_add(argv, g_strdup_printf("--max-member=%zu", l->max_member));
  g_ptr_array_add(argv, g_strdup_printf("--max-entries=%u", l->max_entries));
  g_ptr_array_add(argv, g_strdup_printf("--max-depth=%u", l->max_depth));
  g_ptr_array_add(argv, g_strdup_printf("--max-pages=%u", l->max_pages));
  g_ptr_array_add(argv, g_strdup_printf("--max-cells=%u", l->max_cells));
  g_ptr_array_add(argv, g_strdup_printf("--max-xml-depth=%u", l->max_xml_depth));
  return argv;
}

/* The worker gets no environment of ours (no LD_PRELOAD, no proxy settings), only the sanitizer
 * runtime's options when a test sets them. */
static GPtrArray *
worker_env(void)
{
  GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(env, g_strdup("PATH=/usr/bin:/bin"));
  static const char *const pass[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
  for (gsize i = 0; i < G_N_ELEMENTS(pass); i++) {
    const char *v = g_getenv(pass[i]);
    if (v)
      g_ptr_array_add(env, g_strdup_printf("%s=%s", pass[i], v));
  }
  g_ptr_array_add(env, NULL);
  return env;
}

typedef struct {
  int in, out, err;      /* parent ends, -1 when closed */
  pid_t pid;
} worker;

static gboolean
spawn_worker(const mugai_convert_client_options *o, GPtrArray *argv, worker *w, char **reason)
{
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
      pipe2(err, O_CLOEXEC) != 0) {
    *reason = g_strdup_printf("cannot create pipes: %s", g_strerror(errno));
    for (int i = 0; i < 2; i++) {
      if (in[i] >= 0) close(in[i]);
      if (out[i] >= 0) close(out[i]);
      if (err[i] >= 0) close(err[i]);
    }
    return FALSE;
  }
  const char *program = o->program ? o->program : MUGAI_CONVERT_PROGRAM;
  g_autoptr(GPtrArray) env = worker_env();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa, err[1], STDERR_FILENO);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  /* The milter's signal mask and ignored signals (SIGPIPE) are not the worker's. Its own
   * process group (pgid = its pid), so that a kill reaches whatever it started too (a wrapper
   * script's child). */
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  int rc = posix_spawn(&w->pid, program, &fa, &attr, (char **) argv->pdata, (char **) env->pdata);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(in[1]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    *reason = g_strdup_printf("cannot start %s: %s", program, g_strerror(rc));
    close(in[0]);
    close(out[0]);
    close(err[0]);
    return FALSE;
  }
  w->in = in[0];
  w->out = out[0];
  w->err = err[0];
  fcntl(w->in, F_SETFL, O_NONBLOCK);
  fcntl(w->out, F_SETFL, O_NONBLOCK);
  fcntl(w->err, F_SETFL, O_NONBLOCK);
  return TRUE;
}

static void
close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

typedef enum { PUMP_EOF, PUMP_TIMEOUT, PUMP_TOO_BIG, PUMP_IO } pump_end;

/* What goes to the worker's stdin: HEAD, then DATA. */
typedef struct {
  const guint8 *head, *data;
  gsize head_len, len, sent; /* SENT counts both */
} feed;

/* Send what the socket takes of F; TRUE when all of it is sent or the worker stopped reading. */
static gboolean
send_some(worker *w, feed *f)
{
  gboolean in_head = f->sent < f->head_len;
  const guint8 *from = in_head ? f->head + f->sent : f->data + (f->sent - f->head_len);
  gsize left = in_head ? f->head_len - f->sent : f->head_len + f->len - f->sent;
  ssize_t k = send(w->in, from, MIN(left, (gsize) 65536), MSG_NOSIGNAL);
  if (k > 0)
    f->sent += (gsize) k;
  /* A worker that stopped reading (input too large, or dead) ends the feed, not the call. */
  return (k < 0 && errno != EAGAIN && errno != EINTR) || f->sent == f->head_len + f->len;
}

/* Feed F and collect stdout (capped at MAX_OUT) and a stderr tail until both are closed. */
static pump_end
pump(worker *w, feed *f, GByteArray *out, gsize max_out, GByteArray *err, gint64 deadline)
{
  guint8 buf[65536];
  if (f->head_len + f->len == 0) {
    shutdown(w->in, SHUT_WR);
    close_fd(&w->in);
  }
  while (w->out >= 0 || w->err >= 0) {
    struct pollfd p[3];
    nfds_t n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (w->in >= 0) { p[n] = (struct pollfd){.fd = w->in, .events = POLLOUT}; idx_in = (int) n++; }
    if (w->out >= 0) { p[n] = (struct pollfd){.fd = w->out, .events = POLLIN}; idx_out = (int) n++; }
    if (w->err >= 0) { p[n] = (struct pollfd){.fd = w->err, .events = POLLIN}; idx_err = (int) n++; }
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    if (left <= 0)
      return PUMP_TIMEOUT;
    int rc = poll(p, n, (int) MIN(left, (gint64) G_MAXINT));
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc < 0)
      return PUMP_IO;
    if (idx_in >= 0 && p[idx_in].revents && send_some(w, f)) {
      shutdown(w->in, SHUT_WR);
      close_fd(&w->in);
    }
    if (idx_out >= 0 && p[idx_out].revents) {
      ssize_t k = read(w->out, buf, sizeof buf);
      if (k > 0) {
        if (out->len + (gsize) k > max_out)
          return PUMP_TOO_BIG;
        g_byte_array_append(out, buf, (guint) k);
      } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(&w->out);
      }
    }
    if (idx_err >= 0 && p[idx_err].revents) {
      ssize_t k = read(w->err, buf, sizeof buf);
      if (k > 0) {
        g_byte_array_append(err, buf, (guint) k);
        if (err->len > STDERR_KEEP)
          g_byte_array_remove_range(err, 0, err->len - STDERR_KEEP);
      } else if (k == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_fd(&w->err);
      }
    }
  }
  return PUMP_EOF;
}

/* Why the worker died by SIG, from the signal and its last words on stderr. */
static void
judge_signal(mugai_worker_end *o, int sig, GByteArray *err, const struct rusage *ru,
             guint cpu_limit)
{
  g_autofree char *tail = g_strndup(err->len ? (const char *) err->data : "", err->len);
  gboolean oom = strstr(tail, "failed to allocate") || strstr(tail, "bad_alloc") ||
                 strstr(tail, "out of memory") || strstr(tail, "Out of memory");
  if (sig == SIGXCPU || (sig == SIGKILL && (guint64) ru->ru_utime.tv_sec + (guint64) ru->ru_stime.tv_sec >= cpu_limit)) {
    o->status = MUGAI_CONVERT_LIMIT;
    o->reason = g_strdup("CPU time limit");
  } else if (oom && (sig == SIGABRT || sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP)) {
    o->status = MUGAI_CONVERT_LIMIT;
    o->reason = g_strdup("memory limit");
  } else if (sig == SIGSYS) {
    o->status = MUGAI_CONVERT_CRASHED;
    o->reason = g_strdup("crashed (signal 31: forbidden system call)");
  } else {
    o->status = MUGAI_CONVERT_CRASHED;
    o->reason = g_strdup_printf("crashed (signal %d)", sig);
  }
}

/* How the reaped worker ended, when it did not answer in time and within the cap. */
static void
judge_end(mugai_worker_end *o, pump_end end, int st, GByteArray *err, const struct rusage *ru,
          const mugai_convert_client_options *options)
{
  guint timeout = options->timeout_ms ? options->timeout_ms : 30000;
  if (end == PUMP_TIMEOUT) {
    o->status = MUGAI_CONVERT_TIMEOUT;
    o->reason = g_strdup_printf("timeout after %u ms", timeout);
  } else if (end == PUMP_TOO_BIG) {
    o->status = MUGAI_CONVERT_LIMIT;
    o->reason = g_strdup("output too large");
  } else if (end == PUMP_IO) {
    o->status = MUGAI_CONVERT_ERROR;
    o->reason = g_strdup_printf("reading the worker: %s", g_strerror(errno));
  } else if (WIFSIGNALED(st)) {
    judge_signal(o, WTERMSIG(st), err, ru, cpu_seconds(options));
  } else if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
    o->status = MUGAI_CONVERT_LIMIT;
    o->reason = g_strdup("input too large");
  } else if (!WIFEXITED(st) || WEXITSTATUS(st) > 1) {
    o->status = MUGAI_CONVERT_CRASHED;
    o->reason = g_strdup_printf("crashed (exit status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
  } else {
    o->status = MUGAI_CONVERT_DONE;
  }
}

void
mugai_worker_run(const mugai_convert_client_options *options, GPtrArray *argv, const guint8 *head,
                 gsize head_len, const guint8 *data, gsize len, gsize max_out,
                 mugai_worker_end *o)
{
  *o = (mugai_worker_end){.out = g_byte_array_new()};
  gint64 t0 = g_get_monotonic_time();
  guint timeout = options->timeout_ms ? options->timeout_ms : 30000;
  worker w = {-1, -1, -1, -1};
  if (!spawn_worker(options, argv, &w, &o->reason)) {
    o->status = MUGAI_CONVERT_ERROR;
    return;
  }
  g_autoptr(GByteArray) err = g_byte_array_new();
  feed f = {.head = head, .head_len = head_len, .data = data, .len = len};
  pump_end end = pump(&w, &f, o->out, max_out, err, t0 + (gint64) timeout * 1000);
  /* The worker and its process group: its pid, hence the group's id, cannot be reused before
   * we reap it. */
  if (end != PUMP_EOF)
    kill(-w.pid, SIGKILL);
  close_fd(&w.in);
  close_fd(&w.out);
  close_fd(&w.err);
  int st = 0;
  struct rusage ru = {0};
  while (wait4(w.pid, &st, 0, &ru) < 0 && errno == EINTR)
    ;
  o->peak_rss_kb = (guint64) MAX(ru.ru_maxrss, 0);
  o->elapsed_ms = (guint64) ((g_get_monotonic_time() - t0) / 1000);
  judge_end(o, end, st, err, &ru, options);
}

void
mugai_worker_end_clear(mugai_worker_end *end)
{
  g_clear_pointer(&end->reason, g_free);
  g_clear_pointer(&end->out, g_byte_array_unref);
  *end = (mugai_worker_end){0};
}
