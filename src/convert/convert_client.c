/* convert_client.c — run one mugai-convert worker and collect its answer (see convert_client.h).
 *
 * Owns, for one call: the worker process, a socketpair for its stdin (send() with MSG_NOSIGNAL,
 * so a worker that dies early cannot SIGPIPE the milter) and pipes for its stdout and stderr, all
 * close-on-exec so a worker spawned by another thread at the same moment inherits none of them;
 * the child also closes every descriptor from 3 up (posix_spawn_file_actions_addclosefrom_np).
 * It must never: fork(), block without a deadline, read more than the output cap, or return
 * before the worker is reaped. The worker leads its own process group, and a timeout or a cap
 * kills the whole group, so nothing it started (a wrapper script's child) outlives it.
 */
#include "convert/convert_client.h"

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
#define HEADER_MAX 4096    /* the framed answer's header lines */

void
mugai_convert_client_options_init(mugai_convert_client_options *options)
{
  *options = (mugai_convert_client_options){.timeout_ms = 30000, .memory_mb = 1024};
  mugai_convert_limits_init(&options->limits);
}

const char *
mugai_convert_status_name(mugai_convert_status status)
{
  static const char *const names[] = {"done", "refused", "timeout", "limit", "crashed", "error"};
  return (guint) status < G_N_ELEMENTS(names) ? names[status] : "error";
}

void
mugai_convert_outcome_free(mugai_convert_outcome *outcome)
{
  if (outcome == NULL)
    return;
  g_free(outcome->reason);
  g_free(outcome->kind);
  g_free(outcome->unit);
  if (outcome->text)
    g_string_free(outcome->text, TRUE);
  g_free(outcome);
}

static GPtrArray *
worker_argv(const mugai_convert_client_options *o, const char *program, const char *mime,
            const char *name)
{
  const mugai_convert_limits *l = &o->limits;
  guint cpu = o->cpu_seconds ? o->cpu_seconds : (o->timeout_ms + 999) / 1000;
  GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(argv, g_strdup(program));
  if (mime)
    g_ptr_array_add(argv, g_strdup_printf("--type=%s", mime));
  if (name)
    g_ptr_array_add(argv, g_strdup_printf("--name=%s", name));
  g_ptr_array_add(argv, g_strdup_printf("--cpu=%u", MAX(cpu, 1u)));
  g_ptr_array_add(argv, g_strdup_printf("--memory=%u", o->memory_mb));
  g_ptr_array_add(argv, g_strdup_printf("--max-output=%zu", l->max_output));
  g_ptr_array_add(argv, g_strdup_printf("--max-expanded=%zu", l->max_expanded));
  g_ptr_array_add(argv, g_strdup_printf("--max-member=%zu", l->max_member));
  g_ptr_array_add(argv, g_strdup_printf("--max-entries=%u", l->max_entries));
  g_ptr_array_add(argv, g_strdup_printf("--max-depth=%u", l->max_depth));
  g_ptr_array_add(argv, g_strdup_printf("--max-pages=%u", l->max_pages));
  g_ptr_array_add(argv, g_strdup_printf("--max-cells=%u", l->max_cells));
  g_ptr_array_add(argv, g_strdup_printf("--max-xml-depth=%u", l->max_xml_depth));
  g_ptr_array_add(argv, NULL);
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
spawn_worker(const mugai_convert_client_options *o, const char *mime, const char *name, worker *w,
             char **reason)
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
  g_autoptr(GPtrArray) argv = worker_argv(o, program, mime, name);
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

/* Feed DATA and collect stdout (capped at MAX_OUT) and a stderr tail until both are closed. */
static pump_end
pump(worker *w, const guint8 *data, gsize len, GByteArray *out, gsize max_out, GByteArray *err,
     gint64 deadline)
{
  gsize sent = 0;
  guint8 buf[65536];
  if (len == 0) {
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
    if (idx_in >= 0 && p[idx_in].revents) {
      ssize_t k = send(w->in, data + sent, MIN(len - sent, (gsize) 65536), MSG_NOSIGNAL);
      if (k > 0)
        sent += (gsize) k;
      /* A worker that stopped reading (input too large, or dead) ends the feed, not the call. */
      if ((k < 0 && errno != EAGAIN && errno != EINTR) || sent == len) {
        shutdown(w->in, SHUT_WR);
        close_fd(&w->in);
      }
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

/* The worker's words are untrusted bytes: stored as valid UTF-8, a repeated key replacing. */
static void
set_str(char **slot, const char *value)
{
  g_free(*slot);
  *slot = g_utf8_make_valid(value, -1);
}

/* Parse "key: value" lines, an empty line and exactly length bytes of text. */
static gboolean
parse_answer(GByteArray *out, mugai_convert_outcome *o)
{
  if (out->len == 0)
    return FALSE;
  const char *s = (const char *) out->data;
  const char *end = g_strstr_len(s, MIN(out->len, (guint) HEADER_MAX), "\n\n");
  if (end == NULL)
    return FALSE;
  g_autofree char *head = g_strndup(s, (gsize) (end - s));
  const char *body = end + 2;
  gsize body_len = out->len - (gsize) (body - s);
  g_auto(GStrv) lines = g_strsplit(head, "\n", -1);
  gboolean have_length = FALSE, ok = FALSE;
  for (char **l = lines; *l; l++) {
    char *colon = strstr(*l, ": ");
    const char *value = colon ? colon + 2 : "";
    if (colon == NULL && !g_str_has_suffix(*l, ":"))
      return FALSE;
    if (colon)
      *colon = '\0';
    else
      (*l)[strlen(*l) - 1] = '\0';
    if (strcmp(*l, "status") == 0)
      ok = strcmp(value, "ok") == 0;
    else if (strcmp(*l, "kind") == 0)
      set_str(&o->kind, value);
    else if (strcmp(*l, "unit") == 0)
      set_str(&o->unit, value);
    else if (strcmp(*l, "count") == 0)
      o->count = (guint) MIN(g_ascii_strtoull(value, NULL, 10), (guint64) G_MAXUINT);
    else if (strcmp(*l, "warnings") == 0)
      o->warnings = mugai_convert_warnings_from_string(value);
    else if (strcmp(*l, "reason") == 0)
      set_str(&o->reason, value);
    else if (strcmp(*l, "length") == 0)
      have_length = g_ascii_strtoull(value, NULL, 10) == body_len;
  }
  if (!have_length || !g_utf8_validate_len(body, body_len, NULL))
    return FALSE;
  o->status = ok ? MUGAI_CONVERT_DONE : MUGAI_CONVERT_REFUSED;
  if (ok)
    g_string_append_len(o->text, body, (gssize) body_len);
  else if (o->reason == NULL)
    o->reason = g_strdup("not convertible");
  return TRUE;
}

/* Why the worker died by SIG, from the signal and its last words on stderr. */
static void
judge_signal(mugai_convert_outcome *o, int sig, GByteArray *err, const struct rusage *ru,
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

mugai_convert_outcome *
mugai_convert_run(const mugai_convert_client_options *options, const void *data, gsize len,
                  const char *mime, const char *name)
{
  mugai_convert_outcome *o = g_new0(mugai_convert_outcome, 1);
  o->text = g_string_new(NULL);
  o->kind = g_strdup("");
  gint64 t0 = g_get_monotonic_time();
  guint timeout = options->timeout_ms ? options->timeout_ms : 30000;
  worker w = {-1, -1, -1, -1};
  if (!spawn_worker(options, mime, name, &w, &o->reason)) {
    o->status = MUGAI_CONVERT_ERROR;
    return o;
  }
  g_autoptr(GByteArray) out = g_byte_array_new();
  g_autoptr(GByteArray) err = g_byte_array_new();
  gsize max_out = options->limits.max_output + HEADER_MAX;
  pump_end end = pump(&w, data, len, out, max_out, err, t0 + (gint64) timeout * 1000);
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
  guint cpu = options->cpu_seconds ? options->cpu_seconds : (timeout + 999) / 1000;
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
    judge_signal(o, WTERMSIG(st), err, &ru, MAX(cpu, 1u));
  } else if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
    o->status = MUGAI_CONVERT_LIMIT;
    o->reason = g_strdup("input too large");
  } else if (!(WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 1)) ||
             !parse_answer(out, o)) {
    g_string_truncate(o->text, 0);
    g_clear_pointer(&o->reason, g_free);
    o->status = MUGAI_CONVERT_CRASHED;
    o->reason = WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 1
                  ? g_strdup_printf("crashed (exit status %d)", WEXITSTATUS(st))
                  : g_strdup("crashed (no valid answer)");
  }
  return o;
}
