/* clamd.c — the clamd backend of the scanner interface (see clamd.h).
 *
 * Owns one clamd_scanner per mugai_clamd_new(), counted with g_atomic_ref_count: the socket as
 * configured, its addresses (resolved once), and the info from clamd's VERSION. All of it is fixed
 * at creation; a scan keeps its state on its own stack and its own connection, so threads share
 * nothing else. Must never log, take SIGPIPE, or let a failed connection, a timeout or an answer it
 * cannot read pass as clean.
 *
 * Plain POSIX sockets and poll(), not GSocketClient: GIO's timeouts are whole seconds, and INSTREAM
 * needs send(MSG_NOSIGNAL) and reading clamd's answer after it stopped taking data (over
 * StreamMaxLength it answers, then closes while we are still sending), which is shortest said
 * directly.
 */
#include "scan/clamd.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/units.h"

#define DEFAULT_TIMEOUT_MS 30000
#define CHUNK_SIZE (64 * 1024) /* per INSTREAM chunk: any size below StreamMaxLength will do */
#define REPLY_MAX 4096         /* clamd's answers are one short line: more is not clamd */
#define QUOTE_MAX 200
#define LIMIT_PREFIX "Heuristics.Limits.Exceeded."
#define STREAM_LIMIT_REPLY "INSTREAM size limit exceeded" /* then ". ERROR" (1.4) */

typedef struct {
  struct sockaddr_storage addr;
  socklen_t len;
} clamd_address;

typedef struct {
  mugai_scanner scanner; /* the interface; ctx points back here */
  gatomicrefcount refs;  /* one per holder: the owner, each message scanning */
  char *socket;          /* as configured, for every message */
  GArray *addresses;     /* of clamd_address, tried in turn */
  guint timeout_ms;
  gint64 max_signature_age;
  char *engine_name;
  char *signature_source;
  mugai_scan_info info;
  void (*freed)(gpointer data);
  gpointer freed_data;
} clamd_scanner;

/* What one VERSION answer says. */
typedef struct {
  char *version; /* "1.4.6" */
  guint64 daily; /* the daily database's number; 0: none loaded */
  gint64 built;  /* its build time, Unix seconds */
} clamd_version;

static void
clamd_version_clear(clamd_version *v)
{
  g_clear_pointer(&v->version, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(clamd_version, clamd_version_clear)

/* REPLY as a message shows it: escaped, at most QUOTE_MAX bytes. (transfer full) */
static char *
quoted(const char *reply)
{
  g_autofree char *cut = g_strndup(reply, QUOTE_MAX);
  g_autofree char *escaped = g_strescape(cut, NULL);
  return g_strdup_printf("\"%s\"%s", escaped, strlen(reply) > QUOTE_MAX ? "..." : "");
}

/* ---- the socket's spelling ---- */

static gboolean
unix_address(clamd_scanner *c, const char *path, GError **error)
{
  clamd_address a = {0};
  struct sockaddr_un *un = (struct sockaddr_un *) &a.addr;
  if (path[0] != '/' || path[1] == '\0' || strlen(path) >= sizeof un->sun_path) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                "clamd socket \"%s\": the path must be absolute and shorter than %zu bytes",
                c->socket, sizeof un->sun_path);
    return FALSE;
  }
  un->sun_family = AF_UNIX;
  g_strlcpy(un->sun_path, path, sizeof un->sun_path);
  a.len = (socklen_t) sizeof *un;
  g_array_append_val(c->addresses, a);
  return TRUE;
}

/* "PORT@HOST", HOST a name or an address; a name is resolved here, once, so that no scan waits on
 * DNS. */
static gboolean
inet_addresses(clamd_scanner *c, const char *rest, GError **error)
{
  const char *at = strchr(rest, '@');
  g_autofree char *port = at ? g_strndup(rest, (gsize) (at - rest)) : NULL;
  guint64 number = 0;
  if (at == NULL || at[1] == '\0' || !mugai_parse_uint(port, &number) || number < 1 ||
      number > 65535) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                "clamd socket \"%s\": write inet:PORT@HOST, PORT from 1 to 65535", c->socket);
    return FALSE;
  }
  struct addrinfo hints = {
      .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *found = NULL;
  int rc = getaddrinfo(at + 1, port, &hints, &found);
  if (rc != 0) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                "clamd at %s: cannot resolve %s: %s", c->socket, at + 1,
                rc == EAI_SYSTEM ? g_strerror(errno) : gai_strerror(rc));
    return FALSE;
  }
  for (const struct addrinfo *ai = found; ai != NULL; ai = ai->ai_next) {
    clamd_address a = {.len = ai->ai_addrlen};
    if (ai->ai_addrlen > sizeof a.addr)
      continue;
    memcpy(&a.addr, ai->ai_addr, ai->ai_addrlen);
    g_array_append_val(c->addresses, a);
  }
  freeaddrinfo(found);
  return TRUE;
}

static gboolean
parse_socket(clamd_scanner *c, GError **error)
{
  const char *s = c->socket;
  if (g_str_has_prefix(s, "unix:"))
    return unix_address(c, s + strlen("unix:"), error);
  if (s[0] == '/')
    return unix_address(c, s, error);
  if (g_str_has_prefix(s, "inet:"))
    return inet_addresses(c, s + strlen("inet:"), error);
  g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
              "clamd socket \"%s\" is not unix:/PATH, /PATH or inet:PORT@HOST", s);
  return FALSE;
}

/* ---- I/O, each wait bounded by timeout_ms ---- */

/* Waits until FD is ready for EVENTS. FALSE with errno set, ETIMEDOUT when the time ran out. */
static gboolean
wait_ready(int fd, short events, guint timeout_ms, short *revents)
{
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  for (;;) {
    gint64 left_ms = (deadline - g_get_monotonic_time() + 999) / 1000;
    if (left_ms <= 0) {
      errno = ETIMEDOUT;
      return FALSE;
    }
    struct pollfd p = {.fd = fd, .events = events};
    int n = poll(&p, 1, (int) MIN(left_ms, G_MAXINT));
    if (n > 0) {
      *revents = p.revents;
      return TRUE;
    }
    if (n == 0)
      errno = ETIMEDOUT;
    if (n == 0 || errno != EINTR)
      return FALSE;
  }
}

static void
set_io_error(const clamd_scanner *c, const char *what, int err, GError **error)
{
  if (err == ETIMEDOUT)
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                "clamd at %s: %s: timed out after %u ms", c->socket, what, c->timeout_ms);
  else
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE, "clamd at %s: %s: %s",
                c->socket, what, g_strerror(err));
}

/* A connected, non-blocking socket to A, or -1 with errno set. */
static int
connect_address(const clamd_address *a, guint timeout_ms)
{
  int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  gint64 deadline = g_get_monotonic_time() + (gint64) timeout_ms * 1000;
  int err = 0;
  while (connect(fd, (const struct sockaddr *) &a->addr, a->len) != 0) {
    err = errno;
    /* A unix socket whose listen queue is full refuses at once instead of queueing us. */
    if (err == EAGAIN && a->addr.ss_family == AF_UNIX && g_get_monotonic_time() < deadline) {
      g_usleep(10 * 1000);
      continue;
    }
    if (err == EAGAIN)
      err = ETIMEDOUT;
    else if (err == EINPROGRESS || err == EINTR) {
      short revents = 0;
      socklen_t len = sizeof err;
      if (!wait_ready(fd, POLLOUT, timeout_ms, &revents))
        err = errno;
      else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    }
    break;
  }
  if (err != 0) {
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

static int
clamd_connect(const clamd_scanner *c, GError **error)
{
  int err = ENOENT;
  for (guint i = 0; i < c->addresses->len; i++) {
    int fd = connect_address(&g_array_index(c->addresses, clamd_address, i), c->timeout_ms);
    if (fd >= 0)
      return fd;
    err = errno;
  }
  set_io_error(c, "connect", err, error);
  return -1;
}

typedef enum {
  SEND_DONE,
  SEND_CUT,    /* clamd answered or hung up before taking it all: its answer may say why */
  SEND_FAILED, /* no point reading */
} send_status;

/* Sends LEN bytes. Anything but SEND_DONE sets ERROR. */
static send_status
send_all(const clamd_scanner *c, int fd, const void *data, gsize len, GError **error)
{
  const guint8 *p = data;
  while (len > 0) {
    short revents = 0;
    if (!wait_ready(fd, POLLOUT | POLLIN, c->timeout_ms, &revents)) {
      set_io_error(c, "send", errno, error);
      return SEND_FAILED;
    }
    if (revents & (POLLIN | POLLHUP)) { /* clamd speaks only once it has it all, or gave up */
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                  "clamd at %s: stopped taking data", c->socket);
      return SEND_CUT;
    }
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK)
        continue;
      set_io_error(c, "send", err, error);
      return err == EPIPE || err == ECONNRESET ? SEND_CUT : SEND_FAILED;
    }
    p += n;
    len -= (gsize) n;
  }
  return SEND_DONE;
}

/* clamd's answer, up to the NUL that ends it (transfer full); NULL with ERROR set. */
static char *
read_reply(const clamd_scanner *c, int fd, GError **error)
{
  char buf[REPLY_MAX];
  gsize used = 0;
  for (;;) {
    short revents = 0;
    if (!wait_ready(fd, POLLIN, c->timeout_ms, &revents)) {
      if (errno == ETIMEDOUT)
        g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                    "clamd at %s: no answer within %u ms", c->socket, c->timeout_ms);
      else
        set_io_error(c, "recv", errno, error);
      return NULL;
    }
    ssize_t n = recv(fd, buf + used, sizeof buf - used, 0);
    if (n < 0) {
      int err = errno;
      if (err == EINTR || err == EAGAIN || err == EWOULDBLOCK)
        continue;
      set_io_error(c, "recv", err, error);
      return NULL;
    }
    if (n == 0 && used == 0) {
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                  "clamd at %s: closed the connection without an answer", c->socket);
      return NULL;
    }
    if (n == 0) {
      g_autofree char *part = g_strndup(buf, used);
      g_autofree char *q = quoted(part);
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                  "clamd at %s: answer cut short: %s", c->socket, q);
      return NULL;
    }
    const char *nul = memchr(buf + used, '\0', (gsize) n);
    used += (gsize) n;
    if (nul != NULL)
      return g_strndup(buf, (gsize) (nul - buf));
    if (used == sizeof buf) {
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                  "clamd at %s: an answer longer than %d bytes is not clamd's", c->socket,
                  REPLY_MAX);
      return NULL;
    }
  }
}

/* ---- VERSION ---- */

/* clamd prints the build time in C's asctime layout, "Tue Dec  1 08:00:00 2026", in its host's
 * local time with no zone: read in ours (see clamd.h). The weekday is not checked. */
static gboolean
parse_build_time(const char *text, gint64 *time)
{
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  g_auto(GStrv) words = g_strsplit(text, " ", -1);
  const char *field[5];
  guint n = 0;
  for (char **w = words; *w != NULL; w++)
    if (**w != '\0') {
      if (n == G_N_ELEMENTS(field))
        return FALSE;
      field[n++] = *w;
    }
  if (n != G_N_ELEMENTS(field))
    return FALSE;
  gint month = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(months); i++)
    if (strcmp(field[1], months[i]) == 0)
      month = (gint) i + 1;
  g_auto(GStrv) clock = g_strsplit(field[3], ":", -1);
  guint64 day = 0, year = 0, hms[3] = {0};
  if (month == 0 || g_strv_length(clock) != 3 || !mugai_parse_uint(field[2], &day) ||
      !mugai_parse_uint(field[4], &year) || year < 1970 || year > 9999 || day > 31)
    return FALSE;
  for (int i = 0; i < 3; i++)
    if (!mugai_parse_uint(clock[i], &hms[i]) || hms[i] > 60)
      return FALSE;
  g_autoptr(GTimeZone) zone = g_time_zone_new_local();
  g_autoptr(GDateTime) when = g_date_time_new(zone, (gint) year, month, (gint) day, (gint) hms[0],
                                              (gint) hms[1], (gdouble) hms[2]);
  if (when == NULL)
    return FALSE;
  *time = g_date_time_to_unix(when);
  return TRUE;
}

/* "ClamAV 1.4.6/27474/Tue Dec  1 08:00:00 2026", or "ClamAV 1.4.6" with no daily database. */
static gboolean
parse_version(const clamd_scanner *c, const char *reply, clamd_version *out, GError **error)
{
  g_auto(GStrv) parts = g_str_has_prefix(reply, "ClamAV ")
                            ? g_strsplit(reply + strlen("ClamAV "), "/", 4)
                            : g_new0(char *, 1);
  guint n = g_strv_length(parts);
  gboolean ok = (n == 1 || n == 3) && parts[0][0] != '\0' && strchr(parts[0], ' ') == NULL;
  if (ok && n == 3)
    ok = mugai_parse_uint(parts[1], &out->daily) && out->daily > 0 &&
         parse_build_time(parts[2], &out->built);
  if (!ok) {
    g_autofree char *q = quoted(reply);
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE,
                "clamd at %s: VERSION answered %s, not \"ClamAV VERSION[/DAILY/DATE]\"", c->socket,
                q);
    return FALSE;
  }
  out->version = g_strdup(parts[0]);
  return TRUE;
}

/* One connection, zVERSION, its answer (transfer full); NULL with ERROR set. */
static char *
ask_version(const clamd_scanner *c, GError **error)
{
  static const char command[] = "zVERSION"; /* sent with its NUL */
  int fd = clamd_connect(c, error);
  if (fd < 0)
    return NULL;
  char *reply = NULL;
  if (send_all(c, fd, command, sizeof command, error) == SEND_DONE)
    reply = read_reply(c, fd, error);
  close(fd);
  return reply;
}

static char *
daily_source(guint64 daily)
{
  return g_strdup_printf("clamd daily %" G_GUINT64_FORMAT, daily);
}

/* NULL while the signatures are young enough, else why not (transfer full). The info is as of
 * creation and clamd reloads by itself: before calling them too old, ask clamd what it has now.
 * The answer serves this scan only; nothing shared is updated. */
static char *
signatures_too_old(const clamd_scanner *c)
{
  char *problem =
      mugai_scan_age_problem(c->signature_source, c->info.signature_time, c->max_signature_age);
  if (problem == NULL)
    return NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reply = ask_version(c, &error);
  g_auto(clamd_version) now = {0};
  if (reply == NULL || !parse_version(c, reply, &now, &error)) {
    char *both = g_strdup_printf("%s; asking clamd again: %s", problem, error->message);
    g_free(problem);
    return both;
  }
  g_free(problem);
  if (now.daily == 0)
    return g_strdup_printf("clamd at %s now reports no daily database, so max_signature_age "
                           "cannot be checked",
                           c->socket);
  g_autofree char *source = daily_source(now.daily);
  return mugai_scan_age_problem(source, now.built, c->max_signature_age);
}

/* ---- scanning ---- */

static void
set_error(mugai_scan_result *result, char *take_detail)
{
  result->verdict = MUGAI_SCAN_ERROR;
  result->detail = take_detail;
}

/* The alert names are clamd.conf's option names. */
static char *
limit_detail(const char *which)
{
  if (strcmp(which, "MaxFileSize") == 0)
    return g_strdup("too big to scan: a file over clamd's MaxFileSize");
  if (strcmp(which, "MaxScanSize") == 0)
    return g_strdup("too big to scan: more than clamd's MaxScanSize to scan");
  if (strcmp(which, "MaxRecursion") == 0)
    return g_strdup("too big to scan: archives nested deeper than clamd's MaxRecursion");
  if (strcmp(which, "MaxFiles") == 0)
    return g_strdup("too big to scan: more than clamd's MaxFiles archive members");
  if (strcmp(which, "MaxScanTime") == 0)
    return g_strdup("too big to scan: scan took longer than clamd's MaxScanTime");
  return g_strdup_printf("too big to scan: clamd hit a scan limit (" LIMIT_PREFIX "%s)", which);
}

/* clamd's answer to a verdict. SENT_ALL: clamd took the whole stream; if it did not, only the
 * StreamMaxLength answer is one (clamd scans nothing before the end of the stream). */
static void
set_verdict(const clamd_scanner *c, const char *reply, gsize len, gboolean sent_all,
            const char *send_problem, mugai_scan_result *result)
{
  if (g_str_has_prefix(reply, STREAM_LIMIT_REPLY)) {
    result->verdict = MUGAI_SCAN_TOO_BIG;
    result->signature = g_strdup(LIMIT_PREFIX "StreamMaxLength");
    result->detail = g_strdup_printf(
        "too big to scan: %" G_GSIZE_FORMAT " bytes are more than clamd's StreamMaxLength", len);
    return;
  }
  g_autofree char *q = quoted(reply);
  if (!sent_all) {
    set_error(result, g_strdup_printf("%s, and answered %s", send_problem, q));
    return;
  }
  const char *rest = g_str_has_prefix(reply, "stream: ") ? reply + strlen("stream: ") : NULL;
  gsize rest_len = rest ? strlen(rest) : 0;
  if (rest != NULL && strcmp(rest, "OK") == 0) {
    result->verdict = MUGAI_SCAN_CLEAN;
    return;
  }
  if (rest != NULL && g_str_has_suffix(rest, " FOUND") && rest_len > strlen(" FOUND")) {
    char *name = g_strndup(rest, rest_len - strlen(" FOUND"));
    result->signature = name;
    if (g_str_has_prefix(name, LIMIT_PREFIX)) {
      result->verdict = MUGAI_SCAN_TOO_BIG;
      result->detail = limit_detail(name + strlen(LIMIT_PREFIX));
    } else
      result->verdict = MUGAI_SCAN_INFECTED;
    return;
  }
  set_error(result, g_strdup_printf("clamd at %s: scan failed: %s", c->socket, q));
}

/* zINSTREAM: the command, DATA in chunks of <4-byte length in network order><bytes>, then a
 * zero length. */
static send_status
send_stream(const clamd_scanner *c, int fd, const guint8 *data, gsize len, GError **error)
{
  static const char command[] = "zINSTREAM"; /* sent with its NUL */
  send_status status = send_all(c, fd, command, sizeof command, error);
  for (gsize off = 0; status == SEND_DONE && off < len; off += CHUNK_SIZE) {
    gsize n = MIN((gsize) CHUNK_SIZE, len - off);
    guint32 size = g_htonl((guint32) n);
    status = send_all(c, fd, &size, sizeof size, error);
    if (status == SEND_DONE)
      status = send_all(c, fd, data + off, n, error);
  }
  if (status == SEND_DONE) {
    guint32 end = 0;
    status = send_all(c, fd, &end, sizeof end, error);
  }
  return status;
}

/* A scan without the age check: the verdict is clamd's answer, or ERROR. */
static void
scan_stream(const clamd_scanner *c, const guint8 *data, gsize len, mugai_scan_result *result)
{
  g_autoptr(GError) error = NULL;
  int fd = clamd_connect(c, &error);
  if (fd < 0) {
    set_error(result, g_strdup(error->message));
    return;
  }
  send_status sent = send_stream(c, fd, data, len, &error);
  g_autoptr(GError) read_error = NULL;
  g_autofree char *reply = sent == SEND_FAILED ? NULL : read_reply(c, fd, &read_error);
  close(fd);
  if (reply != NULL)
    set_verdict(c, reply, len, sent == SEND_DONE, error ? error->message : NULL, result);
  else if (error != NULL) /* the send failed first: that says more than a missing answer */
    set_error(result, g_strdup(error->message));
  else
    set_error(result, g_strdup(read_error->message));
}

static void
clamd_scan(gpointer ctx, const guint8 *data, gsize len, const char *name,
           mugai_scan_result *result)
{
  (void) name; /* INSTREAM carries no name */
  const clamd_scanner *c = ctx;
  mugai_scan_result_clear(result);
  char *too_old = signatures_too_old(c);
  if (too_old != NULL) {
    set_error(result, too_old);
    return;
  }
  scan_stream(c, data, len, result);
}

/* ---- the scanner ---- */

static void
clamd_free(clamd_scanner *c)
{
  void (*freed)(gpointer) = c->freed;
  gpointer freed_data = c->freed_data;
  if (c->addresses != NULL)
    g_array_unref(c->addresses);
  g_free(c->socket);
  g_free(c->engine_name);
  g_free(c->signature_source);
  g_free(c);
  if (freed != NULL)
    freed(freed_data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(clamd_scanner, clamd_free)

static void
clamd_ref(gpointer ctx)
{
  clamd_scanner *c = ctx;
  g_atomic_ref_count_inc(&c->refs);
}

static void
clamd_unref(gpointer ctx)
{
  clamd_scanner *c = ctx;
  if (g_atomic_ref_count_dec(&c->refs))
    clamd_free(c);
}

static const mugai_scan_info *
clamd_get_info(gpointer ctx)
{
  clamd_scanner *c = ctx;
  return &c->info;
}

static const mugai_scanner_vtable clamd_vtable = {
    .scan = clamd_scan,
    .get_info = clamd_get_info,
    .ref = clamd_ref,
    .unref = clamd_unref,
};

/* Without a daily database VERSION cannot tell local signature files from none at all: clamd must
 * show it has signatures by finding EICAR. Split so that this file is not EICAR to a scanner. */
static gboolean
detects_eicar(const clamd_scanner *c, const char *version_reply, GError **error)
{
  g_autofree char *eicar = g_strconcat("X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR",
                                       "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*", NULL);
  g_auto(mugai_scan_result) result = {0};
  scan_stream(c, (const guint8 *) eicar, strlen(eicar), &result);
  if (result.verdict == MUGAI_SCAN_INFECTED)
    return TRUE;
  if (result.verdict == MUGAI_SCAN_ERROR) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE, "%s", result.detail);
    return FALSE;
  }
  g_autofree char *q = quoted(version_reply);
  g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE,
              "clamd at %s has no usable signatures: no daily database (VERSION answered %s) and "
              "the EICAR test file is %s to it",
              c->socket, q, mugai_scan_verdict_name(result.verdict));
  return FALSE;
}

/* What VERSION said, into the info; FALSE with ERROR when it is not enough to scan with. */
static gboolean
take_version(clamd_scanner *c, const char *reply, GError **error)
{
  g_auto(clamd_version) v = {0};
  if (!parse_version(c, reply, &v, error))
    return FALSE;
  c->engine_name = g_strdup_printf("ClamAV %s (clamd at %s)", v.version, c->socket);
  if (v.daily == 0) {
    if (c->max_signature_age > 0) {
      g_autofree char *q = quoted(reply);
      g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE,
                  "clamd at %s reports no daily database (VERSION answered %s), so "
                  "max_signature_age cannot be checked",
                  c->socket, q);
      return FALSE;
    }
    if (!detects_eicar(c, reply, error))
      return FALSE;
    c->signature_source = g_strdup("clamd local signatures (no daily database, age unknown)");
    c->info.signature_time = 0;
    return TRUE;
  }
  c->signature_source = daily_source(v.daily);
  c->info.signature_time = v.built;
  g_autofree char *too_old =
      mugai_scan_age_problem(c->signature_source, v.built, c->max_signature_age);
  if (too_old != NULL) {
    g_set_error(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_TOO_OLD, "%s (clamd at %s)", too_old,
                c->socket);
    return FALSE;
  }
  return TRUE;
}

mugai_scanner *
mugai_clamd_new(const mugai_clamd_config *config, GError **error)
{
  g_return_val_if_fail(config != NULL && config->socket != NULL, NULL);
  g_autoptr(clamd_scanner) c = g_new0(clamd_scanner, 1);
  g_atomic_ref_count_init(&c->refs);
  c->scanner.vtable = &clamd_vtable;
  c->scanner.ctx = c;
  c->socket = g_strdup(config->socket);
  c->addresses = g_array_new(FALSE, TRUE, sizeof(clamd_address));
  c->timeout_ms = config->timeout_ms ? config->timeout_ms : DEFAULT_TIMEOUT_MS;
  c->max_signature_age = config->max_signature_age;
  if (!parse_socket(c, error))
    return NULL;
  g_autofree char *reply = ask_version(c, error);
  if (reply == NULL || !take_version(c, reply, error))
    return NULL;
  c->info.engine = c->engine_name;
  c->info.signatures = 0; /* clamd does not say */
  c->info.signature_source = c->signature_source;
  c->freed = config->freed; /* only now: a failed creation frees without telling */
  c->freed_data = config->freed_data;
  clamd_scanner *done = g_steal_pointer(&c);
  return &done->scanner;
}
