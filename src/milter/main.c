/* main.c — mugai-milter: load the configuration and the engines once, then hand the socket to
 * libmilter's thread pool. Owns the milter state for the life of the process. */
#include <gmime/gmime.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config/config.h"
#include "convert/converter_worker.h"
#include "milter/callbacks.h"
#include "milter/config_reload.h"
#include "milter/log.h"
#include "milter/notify.h"
#include "milter/ppap.h"
#include "milter/privileges.h"
#include "milter/quarantine_open.h"
#include "milter/status.h"
#include "milter/drain.h"
#include "milter/signals.h"
#include "sanitize/sanitize.h"
#include "scan/scan_open.h"
#include <clamav.h>

static const char description[] =
    "mugai-milter sanitizes inbound mail for Postfix: HTML becomes text, attachments are removed\n"
    "and named in a notice, and one clean text/plain message goes on. Every internal failure\n"
    "answers 451 4.3.0 (TEMPFAIL), so Postfix keeps the message.\n"
    "\n"
    "Postfix main.cf:\n"
    "  smtpd_milters = inet:127.0.0.1:8895\n"
    "  milter_default_action = tempfail\n"
    "\n"
    "SOCKET is unix:/path/to/socket or inet:PORT@HOST (as other milters take it).\n"
    "Started as root, it opens the socket, then becomes [milter] user (and group) before it\n"
    "loads an engine or reads a message; a unix socket is given to that user and group, mode\n"
    "0660 (add postfix to the group). Without [milter] user it stays root and warns.\n"
    "Without -c, /etc/mugai/mugai.conf is read when it exists, else the embedded default.\n"
    "One line per message goes to syslog (mail facility), led by the Postfix queue ID.\n"
    "\n"
    "Every part is scanned for viruses ([scan] backend: libclamav, loaded at start; clamd; or\n"
    "none). The signatures are reloaded in the background, without a pause, when [scan]\n"
    "database_dir changes (checked every reload_interval) or on SIGHUP. The start-up log line\n"
    "and `mugai scan-info` give the engine version, signature count and signature date.\n"
    "Without a usable scanner every message is answered 451 (fail closed).\n"
    "\n"
    "Signals: SIGHUP reloads the configuration (validated first: a bad file keeps the one in\n"
    "force and the log says why; messages in progress finish under the old one) and the\n"
    "signatures; SIGTERM and SIGINT stop at once, after the messages being sanitized (those\n"
    "still arriving are deferred by the MTA). The loaded file's\n"
    "SHA-256 is logged at load and compared with the file on disk every\n"
    "[milter] config_check_interval (a change without a reload is logged as a warning).\n"
    "\n"
    "Exit status: 0 after a clean stop, 2 usage or configuration error, 1 runtime failure.\n";

typedef struct {
  char *config;
  char *socket;
  gboolean foreground;
  gboolean version;
} options;

static void
options_clear(options *o)
{
  g_free(o->config);
  g_free(o->socket);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(options, options_clear)

static gboolean
parse_options(int *argc, char ***argv, options *o)
{
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config, "Configuration file", "FILE"},
    {"socket", 'p', 0, G_OPTION_ARG_STRING, &o->socket, "Milter socket (overrides [milter] socket)",
     "SOCKET"},
    {"foreground", 'f', 0, G_OPTION_ARG_NONE, &o->foreground,
     "Stay in the foreground and log to stderr too", NULL},
    {"version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Show the version and exit", NULL},
    G_OPTION_ENTRY_NULL,
  };
  g_autoptr(GOptionContext) context = g_option_context_new("- mugai mail sanitization milter");
  g_option_context_set_summary(context, "Usage: mugai-milter [-c FILE] [-p SOCKET] [-f]");
  g_option_context_set_description(context, description);
  g_option_context_add_main_entries(context, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(context, argc, argv, &error)) {
    fprintf(stderr, "mugai-milter: %s (see mugai-milter -h)\n", error->message);
    return FALSE;
  }
  if (*argc > 1) {
    fprintf(stderr, "mugai-milter: unexpected argument '%s' (see mugai-milter -h)\n", (*argv)[1]);
    return FALSE;
  }
  return TRUE;
}

static void
log_scan_event(int priority, const char *message, gpointer data)
{
  (void) data;
  mugai_log(priority, "%s%s", priority <= LOG_ERR ? "error: " : priority == LOG_WARNING ? "warning: " : "", message);
}

static const char *config_path; /* -c FILE, or NULL: reloads read what the start read */

static void
on_sighup(gpointer data)
{
  mugai_milter_state *state = data;
  mugai_log_info("SIGHUP: reloading the configuration and the virus signatures");
  mugai_config_reload(state, config_path);
}

/* libmilter answers end of data in several small writes; over TCP, Nagle holds each after the
 * first until the MTA's delayed ACK, 40 ms a message. libmilter keeps its listening socket to
 * itself, so it is found among the open descriptors; Linux hands TCP_NODELAY on to every
 * connection accepted from it. */
static void
disable_nagle_on_listener(void)
{
  for (int fd = 0; fd < 1024; fd++) {
    int accepting = 0;
    socklen_t len = sizeof accepting;
    struct sockaddr_storage addr;
    socklen_t addr_len = sizeof addr;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) != 0 || !accepting ||
        getsockname(fd, (struct sockaddr *) &addr, &addr_len) != 0 ||
        (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
      continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
      mugai_log_warning("cannot set TCP_NODELAY on the milter socket: %s", g_strerror(errno));
  }
}

/* The workers that turn attachments into text: the program and their number are read once, at
 * start (a reload keeps them). Without them mugai runs on and removes what it would convert. */
static void
open_converter(mugai_milter_state *state)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = mugai_converter_worker_program(state->policy->convert.worker);
  state->converter = mugai_converter_worker_new(program, state->policy->convert.workers, &error);
  if (state->converter == NULL) {
    state->converter_failure = g_strdup(error->message);
    mugai_log_warning("%s: attachments of [inbound] convert types are removed, not converted",
                      error->message);
  }
}

/* Everything that reads mail or runs threads, started after the socket is open, the process
 * detached and root given up: the engines load as the user they reload as, and no thread is lost
 * to daemon()'s fork. The scanner may still be loading when this returns: until it is ready,
 * messages are answered 451. */
static void
start_engines(mugai_milter_state *state)
{
  state->scanners = mugai_scan_holder_new(state->policy, log_scan_event, NULL);
  state->rates = mugai_rate_limiter_new(state->policy->ratelimit.window, MUGAI_RATE_LIMIT_MAX_KEYS);
  open_converter(state);
  mugai_signals_on_hup(on_sighup, state);
  mugai_config_watch_start(state);
  mugai_notify_start();
  mugai_status_start(state);
}

/* Open SOCKET (as root, when started as root), detach unless FOREGROUND, become [milter] user. */
static gboolean
listen_and_drop_root(mugai_milter_state *state, const char *socket, gboolean foreground)
{
  if (smfi_register(*mugai_milter_desc(state)) == MI_FAILURE) {
    mugai_log_fatal("smfi_register failed");
    return FALSE;
  }
  if (smfi_setconn((char *) socket) == MI_FAILURE || smfi_opensocket(1) == MI_FAILURE) {
    mugai_log_fatal("cannot listen on %s", socket);
    return FALSE;
  }
  disable_nagle_on_listener();
  const mugai_policy *p = state->policy;
  g_autoptr(GError) error = NULL;
  if (!mugai_socket_give(socket, p->milter_user, p->milter_group, &error)) {
    mugai_log_fatal("%s", error->message);
    return FALSE;
  }
  if (!foreground && daemon(0, 0) != 0) {
    mugai_log_fatal("cannot detach: %s", g_strerror(errno));
    return FALSE;
  }
  g_autofree char *warning = NULL;
  if (!mugai_privileges_drop(p->milter_user, p->milter_group, &warning, &error)) {
    mugai_log_fatal("%s", error->message);
    return FALSE;
  }
  if (warning)
    mugai_log_warning("%s", warning);
  return TRUE;
}

static int run_started(mugai_milter_state *state, const char *socket);

static int
run(mugai_milter_state *state, const char *socket, gboolean foreground)
{
  if (!listen_and_drop_root(state, socket, foreground))
    return 1;
  start_engines(state);
  int status = run_started(state, socket);
  /* libmilter's workers still serve the open connections: a message being sanitized finishes,
   * later ones are deferred, and main() frees STATE only when no callback reads it. */
  guint seconds = (guint) MIN(state->policy_at_start->limits.seconds_per_message, 600) + 10;
  guint busy = mugai_drain_stop(seconds);
  if (busy > 0)
    mugai_log_warning("%u message(s) still being handled %u s after the stop; exiting anyway "
                      "(the MTA defers them)", busy, seconds);
  /* The background threads read STATE, which main() frees next: stopped and joined first, and the
   * status file removed after the status thread's last write. */
  mugai_signals_stop_hup(); /* a reload writes the status file too */
  mugai_config_watch_stop();
  mugai_status_stop();
  mugai_status_remove(state);
  mugai_log_info(status == 0 ? "stopped" : "stopped after a failure");
  if (busy > 0)
    _exit(status); /* freeing STATE under the callbacks still inside would be worse */
  return status;
}

/* What run() does once the engines are started: 0 after a clean stop. */
static int
run_started(mugai_milter_state *state, const char *socket)
{
  if (!mugai_milter_quarantine_open(state)) /* after detaching: no connection crosses a fork */
    return 1;
  mugai_log_info("starting on %s as uid %u, config %s (sha256 %s)", socket, (unsigned) getuid(),
                 state->policy->source, state->policy->sha256);
  /* A stop asked for while the engines started (the socket is open by then) is a clean stop:
   * libmilter would see it before its listener runs and report a failure. */
  sigset_t pending;
  if (sigpending(&pending) == 0 &&
      (sigismember(&pending, SIGTERM) || sigismember(&pending, SIGINT))) {
    mugai_log_info("stop asked for before it started");
    return 0;
  }
  mugai_signals_wake_here();
  int milter_status = smfi_main();
  mugai_signals_listener_returned();
  return milter_status == MI_SUCCESS ? 0 : 1;
}

int
main(int argc, char **argv)
{
  g_auto(options) o = {0};
  if (!parse_options(&argc, &argv, &o))
    return 2;
  if (o.version) {
    printf("mugai-milter %s (GMime %u.%u.%u, libclamav %s)\n", MUGAI_VERSION, gmime_major_version,
           gmime_minor_version, gmime_micro_version, cl_retver());
    return 0;
  }
  mugai_signals_block(); /* before any thread exists, so that every thread inherits it */
  umask(027);            /* files it makes without an explicit mode: not for everyone */
  mugai_log_open(o.foreground);
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  mugai_milter_state state = {0};
  state.policy = mugai_config_load(o.config, problems, &error);
  if (state.policy == NULL) {
    for (guint i = 0; i < problems->len; i++)
      mugai_log_fatal("%s", (const char *) g_ptr_array_index(problems, i));
    if (problems->len == 0)
      mugai_log_fatal("%s", error->message);
    return 2;
  }
  g_mutex_init(&state.lock);
  state.policy_at_start = mugai_policy_ref(state.policy);
  mugai_sanitize_init(); /* GMime too; before any thread starts */
  state.filetype = mugai_filetype_new(&error);
  int status = 1;
  if (state.filetype == NULL) {
    mugai_log_fatal("%s", error->message);
  } else {
    config_path = o.config;
    status = run(&state, o.socket ? o.socket : state.policy->milter_socket, o.foreground);
  }
  mugai_milter_ppap_shutdown();
  mugai_quarantine_free(state.quarantine);
  mugai_policy_unref(state.policy_at_start);
  mugai_rate_limiter_free(state.rates);
  mugai_scan_holder_free(state.scanners);
  mugai_filetype_free(state.filetype);
  mugai_converter_worker_free(state.converter);
  g_free(state.converter_failure);
  mugai_policy_unref(state.policy);
  g_mutex_clear(&state.lock);
  g_mime_shutdown();
  return status;
}
