/* test_scan_clamd.c — the clamd scanner against real clamd processes the test starts itself.
 *
 * Each clamd is /usr/sbin/clamd (clamav-daemon) with a private clamd.conf, socket, log and pid file
 * in a temporary directory and the test signature database of scan_test_db.h. It is stopped at the
 * end, and killed by the kernel if this program dies first (PR_SET_PDEATHSIG). The main one also
 * loads a daily.cud the test builds: the unsigned container that libclamav loads without Talos'
 * signature, so clamd reports a daily version and build time as it does with freshclam's
 * daily.cld. This program and its clamds run in Asia/Tokyo, so reading clamd's zone-less build
 * time as local time is checked. Only the timeout test uses a fake listener: it tests mugai's own
 * timeout, not clamd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <clamav.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scan/clamd.h"
#include "scan_test_db.h"

#define CLAMD "/usr/sbin/clamd"
#define DAILY 27474
#define START_SECONDS 30
/* The main clamd's limits: small, so that the tests over them stay small. */
#define STREAM_MAX (1024 * 1024)
#define FILE_MAX (256 * 1024)

typedef struct {
  char *dir;    /* clamd.conf, clamd.sock, clamd.log, clamd.pid; also its TemporaryDirectory */
  char *path;   /* the unix socket */
  char *socket; /* "unix:" path, as mugai spells it */
  char *inet;   /* "inet:PORT@127.0.0.1", or NULL */
  GPid pid;
} clamd_proc;

typedef struct {
  mugai_scanner *scanner; /* over the unix socket, default timeout, age not checked; first: the
                           * shared scan_contract_* tests read it */
  char *db;               /* the test signatures and a daily.cud */
  gint64 daily_built;
  clamd_proc *clamd;
} fixture;

/* ---- running clamd ---- */

static void
die_with_parent(gpointer unused)
{
  (void) unused;
  prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static guint16
free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *) &a, &len), 0);
  close(fd);
  return ntohs(a.sin_port);
}

/* COMMAND (a z-command, sent with its NUL) to the clamd at PATH, our own small client: its answer
 * (transfer full), or NULL when it does not answer within 2 s. */
static char *
clamd_command(const char *path, const char *command)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  g_strlcpy(a.sun_path, path, sizeof a.sun_path);
  struct timeval two = {.tv_sec = 2};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &two, sizeof two);
  GString *reply = g_string_new(NULL);
  gboolean ok =
      connect(fd, (struct sockaddr *) &a, sizeof a) == 0 &&
      send(fd, command, strlen(command) + 1, MSG_NOSIGNAL) == (ssize_t) strlen(command) + 1;
  char buf[512];
  ssize_t n;
  while (ok && (n = recv(fd, buf, sizeof buf, 0)) > 0)
    g_string_append_len(reply, buf, n);
  close(fd);
  if (!ok || reply->len == 0) {
    g_string_free(reply, TRUE);
    return NULL;
  }
  return g_string_free(reply, FALSE); /* the NUL ends the C string */
}

static void
clamd_fail(clamd_proc *p, const char *why)
{
  g_autofree char *log_path = g_build_filename(p->dir, "clamd.log", NULL);
  g_autofree char *log = NULL;
  g_file_get_contents(log_path, &log, NULL, NULL);
  fail_msg("clamd %s; its log:\n%s", why, log ? log : "(none)");
}

/* A clamd on DB, ready to answer. TCP: also on a loopback port. EXTRA: more clamd.conf lines. */
static clamd_proc *
clamd_start(const char *db, gboolean tcp, const char *extra)
{
  if (!g_file_test(CLAMD, G_FILE_TEST_IS_EXECUTABLE))
    fail_msg("%s is missing: these tests need a real clamd (apt install clamav-daemon)", CLAMD);
  clamd_proc *p = g_new0(clamd_proc, 1);
  p->dir = g_dir_make_tmp("mugai-clamd-XXXXXX", NULL);
  assert_non_null(p->dir);
  p->path = g_build_filename(p->dir, "clamd.sock", NULL);
  p->socket = g_strconcat("unix:", p->path, NULL);
  g_autoptr(GString) conf = g_string_new(NULL);
  g_string_append_printf(conf,
                         "Foreground yes\nLocalSocket %s\nDatabaseDirectory %s\n"
                         "TemporaryDirectory %s\nPidFile %s/clamd.pid\nLogFile %s/clamd.log\n"
                         "SelfCheck 0\n%s",
                         p->path, db, p->dir, p->dir, p->dir, extra ? extra : "");
  if (tcp) {
    guint16 port = free_port();
    g_string_append_printf(conf, "TCPSocket %u\nTCPAddr 127.0.0.1\n", port);
    p->inet = g_strdup_printf("inet:%u@127.0.0.1", port);
  }
  write_file(p->dir, "clamd.conf", conf->str);
  g_autofree char *conf_path = g_build_filename(p->dir, "clamd.conf", NULL);
  char *argv[] = {CLAMD, "-c", conf_path, NULL};
  g_autoptr(GError) error = NULL;
  if (!g_spawn_async(NULL, argv, NULL,
                     G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                         G_SPAWN_STDERR_TO_DEV_NULL,
                     die_with_parent, NULL, &p->pid, &error))
    fail_msg("cannot start %s: %s", CLAMD, error->message);
  gint64 deadline = g_get_monotonic_time() + START_SECONDS * G_USEC_PER_SEC;
  for (;;) {
    g_autofree char *pong = clamd_command(p->path, "zPING");
    if (g_strcmp0(pong, "PONG") == 0)
      return p;
    int status = 0;
    if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
      p->pid = 0;
      clamd_fail(p, "exited before answering");
    }
    if (g_get_monotonic_time() > deadline) {
      kill(p->pid, SIGKILL);
      clamd_fail(p, "did not answer PING in time");
    }
    g_usleep(20 * 1000);
  }
}

static void
clamd_stop(clamd_proc *p)
{
  if (p == NULL)
    return;
  if (p->pid > 0) {
    kill(p->pid, SIGTERM);
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
    int status = 0;
    while (waitpid(p->pid, &status, WNOHANG) == 0) {
      if (g_get_monotonic_time() > deadline) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &status, 0);
        break;
      }
      g_usleep(20 * 1000);
    }
    g_spawn_close_pid(p->pid);
  }
  remove_database(p->dir); /* the files clamd left, then the directory */
  g_free(p->path);
  g_free(p->socket);
  g_free(p->inet);
  g_free(p);
}

/* A daily.cud in DIR: a 512-byte "ClamAV-VDB:" header, then a gzip'd tar of daily.info (the same
 * header fields, then each file's name, size and SHA-256) and daily.ndb, one harmless signature.
 * The .cud kind is the unsigned one: no Talos signature needed. */
static void
write_daily_cud(const char *dir, guint version, gint64 built)
{
  g_autofree char *dummy = hex("MUGAI-DAILY-TEST-DUMMY");
  g_autofree char *ndb = g_strdup_printf("MUGAI.Daily.Dummy:0:*:%s\n", dummy);
  g_autofree char *sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, ndb, -1);
  /* time text:version:signatures:functionality level:MD5 (not checked in a .cud):signature:
   * builder:build time */
  g_autofree char *head =
      g_strdup_printf("ClamAV-VDB:01 Jan 2026 00-00 +0000:%u:1:90:%s:x:mugai:%" G_GINT64_FORMAT,
                      version, "00000000000000000000000000000000", built);
  g_autofree char *info = g_strdup_printf("%s\ndaily.ndb:%zu:%s\n", head, strlen(ndb), sha);

  gsize cap = 64 * 1024, used = 0;
  g_autofree guint8 *tar = g_malloc(cap);
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_ustar(a), ARCHIVE_OK);
  assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open_memory(a, tar, cap, &used), ARCHIVE_OK);
  const char *names[] = {"daily.info", "daily.ndb"};
  const char *texts[] = {info, ndb};
  for (int i = 0; i < 2; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, names[i]);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t) strlen(texts[i]));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, texts[i], strlen(texts[i])),
                     (la_ssize_t) strlen(texts[i]));
    archive_entry_free(e);
  }
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);

  g_autoptr(GByteArray) cud = g_byte_array_new();
  g_byte_array_append(cud, (const guint8 *) head, (guint) strlen(head));
  while (cud->len < 512)
    g_byte_array_append(cud, (const guint8 *) " ", 1);
  g_byte_array_append(cud, tar, (guint) used);
  g_autofree char *path = g_build_filename(dir, "daily.cud", NULL);
  assert_true(g_file_set_contents(path, (const char *) cud->data, cud->len, NULL));
}

/* ---- helpers ---- */

static mugai_scanner *
open_scanner(const char *socket, guint timeout_ms, gint64 max_age, GError **error)
{
  mugai_clamd_config config = {
      .socket = socket, .timeout_ms = timeout_ms, .max_signature_age = max_age};
  return mugai_clamd_new(&config, error);
}

static mugai_scanner *
must_open(const char *socket, guint timeout_ms, gint64 max_age)
{
  g_autoptr(GError) error = NULL;
  mugai_scanner *scanner = open_scanner(socket, timeout_ms, max_age, &error);
  if (scanner == NULL)
    fail_msg("mugai_clamd_new(%s): %s", socket, error->message);
  return scanner;
}

static void
assert_contains(const char *text, const char *part)
{
  if (text == NULL || strstr(text, part) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", text ? text : "(null)", part);
}

/* LEN bytes of 'a' with EICAR at AT (transfer full). */
static guint8 *
filler_with_eicar(gsize len, gsize at)
{
  guint8 *data = g_malloc(len);
  memset(data, 'a', len);
  memcpy(data + at, EICAR, sizeof(EICAR) - 1);
  return data;
}

static gint64
now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

static int
group_setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->db = make_database();
  f->daily_built = now_s() - 2 * DAY;
  write_daily_cud(f->db, DAILY, f->daily_built);
  f->clamd =
      clamd_start(f->db, TRUE, "StreamMaxLength 1M\nMaxFileSize 256K\nAlertExceedsMax yes\n");
  f->scanner = must_open(f->clamd->socket, 0, 0);
  *state = f;
  return 0;
}

static int
group_teardown(void **state)
{
  fixture *f = *state;
  mugai_scanner_unref(f->scanner);
  clamd_stop(f->clamd);
  remove_database(f->db);
  g_free(f);
  return 0;
}

/* ---- detections ---- */

static void
eicar_across_instream_chunks(void **state)
{
  fixture *f = *state;
  /* Several INSTREAM chunks (64 KiB each), EICAR across the first boundary. */
  g_autofree guint8 *chunks = filler_with_eicar(200 * 1024, 64 * 1024 - 10);
  assert_scan_len(f->scanner, chunks, 200 * 1024, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

static void
every_socket_spelling_reaches_clamd(void **state)
{
  fixture *f = *state;
  const char *spellings[] = {f->clamd->path, f->clamd->socket, f->clamd->inet};
  for (gsize i = 0; i < G_N_ELEMENTS(spellings); i++) {
    g_autoptr(mugai_scanner) scanner = must_open(spellings[i], 0, 0);
    assert_scan_str(scanner, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
    assert_scan_str(scanner, "hello\n", MUGAI_SCAN_CLEAN, NULL);
    assert_contains(mugai_scanner_get_info(scanner)->engine, spellings[i]);
  }
}

/* ---- limits ---- */

/* Over StreamMaxLength clamd answers and closes while mugai is still sending: TOO_BIG, not ERROR
 * (and not CLEAN), over either socket. At StreamMaxLength the stream is taken (and over
 * MaxFileSize here). */
static void
stream_over_stream_max_length_is_too_big(void **state)
{
  fixture *f = *state;
  gsize len = 2 * STREAM_MAX;
  g_autofree guint8 *big = filler_with_eicar(len, len - (sizeof(EICAR) - 1));
  const char *sockets[] = {f->clamd->socket, f->clamd->inet};
  for (gsize i = 0; i < G_N_ELEMENTS(sockets); i++) {
    g_autoptr(mugai_scanner) scanner = must_open(sockets[i], 0, 0);
    g_auto(mugai_scan_result) result = {0};
    assert_int_equal(mugai_scanner_scan(scanner, big, len, "big.bin", &result), MUGAI_SCAN_TOO_BIG);
    assert_string_equal(result.signature, "Heuristics.Limits.Exceeded.StreamMaxLength");
    assert_string_equal(result.detail,
                        "too big to scan: 2097152 bytes are more than clamd's StreamMaxLength");
    mugai_scan_result_clear(&result);
    assert_int_equal(mugai_scanner_scan(scanner, big, STREAM_MAX + 1, "big.bin", &result),
                     MUGAI_SCAN_TOO_BIG);
    assert_string_equal(result.signature, "Heuristics.Limits.Exceeded.StreamMaxLength");
  }
  assert_scan_len(f->scanner, big, STREAM_MAX, MUGAI_SCAN_TOO_BIG,
                  "Heuristics.Limits.Exceeded.MaxFileSize");
}

/* With AlertExceedsMax yes (what mugai needs), a file over MaxFileSize is TOO_BIG, even with
 * EICAR in its first bytes; at MaxFileSize it is scanned. */
static void
file_over_max_file_size_is_too_big(void **state)
{
  fixture *f = *state;
  g_autofree guint8 *data = filler_with_eicar(FILE_MAX + 1, 0);
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(mugai_scanner_scan(f->scanner, data, FILE_MAX + 1, "big.bin", &result),
                   MUGAI_SCAN_TOO_BIG);
  assert_string_equal(result.signature, "Heuristics.Limits.Exceeded.MaxFileSize");
  assert_string_equal(result.detail, "too big to scan: a file over clamd's MaxFileSize");
  assert_scan_len(f->scanner, data, FILE_MAX, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

/* ---- what clamd reports ---- */

static void
info_reports_version_and_daily_build_time(void **state)
{
  fixture *f = *state;
  g_autofree char *version = clamd_command(f->clamd->path, "zVERSION");
  g_autofree char *want_version =
      g_strdup_printf("ClamAV %s/%d/", cl_retver(), DAILY); /* clamd and libclamav: one package */
  assert_true(g_str_has_prefix(version, want_version));
  const mugai_scan_info *info = mugai_scanner_get_info(f->scanner);
  g_autofree char *engine =
      g_strdup_printf("ClamAV %s (clamd at %s)", cl_retver(), f->clamd->socket);
  assert_string_equal(info->engine, engine);
  assert_int_equal(info->signatures, 0); /* clamd does not say */
  assert_int_equal(info->signature_time, f->daily_built);
  assert_string_equal(info->signature_source, "clamd daily 27474");
}

static void
signatures_over_max_age_are_too_old(void **state)
{
  fixture *f = *state;
  g_autoptr(GError) error = NULL;
  assert_null(open_scanner(f->clamd->socket, 0, DAY, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_TOO_OLD));
  assert_contains(error->message, "newest is clamd daily 27474");
  assert_contains(error->message, "2.0 days ago");
  assert_contains(error->message, "max_signature_age is 1.0 days");
  assert_contains(error->message, f->clamd->socket);
  g_autoptr(mugai_scanner) young_enough = must_open(f->clamd->socket, 0, 3 * DAY);
  assert_scan_str(young_enough, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

/* ---- failures ---- */

static void
bad_socket_spellings_are_refused(void **state)
{
  (void) state;
  g_autofree char *long_path = g_strnfill(120, 'x');
  g_autofree char *too_long = g_strconcat("unix:/", long_path, NULL);
  const char *bad[] = {
      "tcp:127.0.0.1:3310", /* spellings of other programs */
      "inet6:3310@::1",
      "clamd.sock", /* relative */
      "unix:clamd.sock",
      "unix:",
      too_long,
      "inet:3310", /* no host */
      "inet:3310@",
      "inet:@127.0.0.1", /* no port, or not one */
      "inet:0@127.0.0.1",
      "inet:65536@127.0.0.1",
      "inet:x3310@127.0.0.1",
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    assert_null(open_scanner(bad[i], 0, 0, &error));
    assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE));
    assert_contains(error->message, bad[i]);
  }
}

static void
unreachable_clamd_is_a_clear_error(void **state)
{
  (void) state;
  g_autoptr(GError) error = NULL;
  assert_null(open_scanner("unix:/nonexistent/mugai/clamd.sock", 0, 0, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE));
  assert_string_equal(
      error->message,
      "clamd at unix:/nonexistent/mugai/clamd.sock: connect: No such file or directory");
  g_clear_error(&error);
  g_autofree char *closed = g_strdup_printf("inet:%u@127.0.0.1", free_port());
  assert_null(open_scanner(closed, 0, 0, &error));
  g_autofree char *refused = g_strdup_printf("clamd at %s: connect: Connection refused", closed);
  assert_string_equal(error->message, refused);
}

/* clamd itself stopped under a scanner: every scan is an ERROR saying why, never CLEAN. */
static void
stopped_clamd_fails_closed(void **state)
{
  (void) state;
  char *db = make_database();
  clamd_proc *p = clamd_start(db, FALSE, NULL);
  g_autoptr(mugai_scanner) scanner = must_open(p->socket, 0, 0);
  assert_scan_str(scanner, "hello\n", MUGAI_SCAN_CLEAN, NULL);
  g_autofree char *socket = g_strdup(p->socket);
  clamd_stop(p);
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(mugai_scanner_scan(scanner, (const guint8 *) "hello\n", 6, "a.txt", &result),
                   MUGAI_SCAN_ERROR);
  g_autofree char *want = g_strdup_printf("clamd at %s: connect: ", socket);
  assert_true(g_str_has_prefix(result.detail, want));
  assert_null(result.signature);
  g_autoptr(GError) error = NULL;
  assert_null(open_scanner(socket, 0, 0, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE));
  assert_true(g_str_has_prefix(error->message, want));
  remove_database(db);
}

static int
listen_unix(const char *path)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  g_strlcpy(a.sun_path, path, sizeof a.sun_path);
  unlink(path);
  assert_int_equal(bind(fd, (struct sockaddr *) &a, sizeof a), 0);
  assert_int_equal(listen(fd, 8), 0);
  return fd;
}

/* A listener that takes connections and never answers, in clamd's place: each wait ends after
 * timeout_ms with an ERROR that says so. */
static void
silent_clamd_times_out(void **state)
{
  (void) state;
  char *db = make_database();
  clamd_proc *p = clamd_start(db, FALSE, NULL);
  g_autoptr(mugai_scanner) scanner = must_open(p->socket, 300, 0);
  g_autofree char *path = g_strdup(p->path);
  g_autofree char *socket = g_strdup(p->socket);
  clamd_stop(p);
  g_autofree char *dir = g_path_get_dirname(path); /* gone with clamd: the fake takes its place */
  assert_int_equal(g_mkdir(dir, 0700), 0);
  int fake = listen_unix(path);

  g_auto(mugai_scan_result) result = {0};
  gint64 began = g_get_monotonic_time();
  assert_int_equal(mugai_scanner_scan(scanner, (const guint8 *) "hello\n", 6, "a.txt", &result),
                   MUGAI_SCAN_ERROR);
  gint64 ms = (g_get_monotonic_time() - began) / 1000;
  assert_in_range(ms, 290, 3000);
  g_autofree char *no_answer = g_strdup_printf("clamd at %s: no answer within 300 ms", socket);
  assert_string_equal(result.detail, no_answer);

  /* Data that does not fit in the socket's buffer: the send waits, then gives up. */
  gsize len = 8 * 1024 * 1024;
  g_autofree guint8 *big = g_malloc0(len);
  mugai_scan_result_clear(&result);
  began = g_get_monotonic_time();
  assert_int_equal(mugai_scanner_scan(scanner, big, len, "big.bin", &result), MUGAI_SCAN_ERROR);
  ms = (g_get_monotonic_time() - began) / 1000;
  assert_in_range(ms, 290, 3000);
  g_autofree char *send_timeout =
      g_strdup_printf("clamd at %s: send: timed out after 300 ms", socket);
  assert_string_equal(result.detail, send_timeout);

  g_autoptr(GError) error = NULL;
  assert_null(open_scanner(socket, 300, 0, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_UNREACHABLE));
  assert_string_equal(error->message, no_answer);
  close(fake);
  unlink(path);
  g_rmdir(dir);
  remove_database(db);
}

/* ---- plain signature files: no daily database ---- */

/* VERSION is just "ClamAV 1.4.6": usable only with the age unchecked and once clamd shows it has
 * signatures (EICAR). Also clamd's default AlertExceedsMax no, pinned: a file over MaxFileSize goes
 * unscanned and clamd calls it OK, EICAR in its first bytes or not. mugai cannot see this over the
 * protocol: clamd.conf must say AlertExceedsMax yes (clamd.h). */
static void
plain_signature_files_are_trusted_only_without_age_check(void **state)
{
  (void) state;
  char *db = make_database();
  clamd_proc *p = clamd_start(db, FALSE, "MaxFileSize 256K\n");
  g_autofree char *version = clamd_command(p->path, "zVERSION");
  g_autofree char *bare = g_strconcat("ClamAV ", cl_retver(), NULL);
  assert_string_equal(version, bare);

  g_autoptr(GError) error = NULL;
  assert_null(open_scanner(p->socket, 0, 7 * DAY, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE));
  assert_contains(error->message, "no daily database");
  assert_contains(error->message, "max_signature_age cannot be checked");

  g_autoptr(mugai_scanner) scanner = must_open(p->socket, 0, 0);
  const mugai_scan_info *info = mugai_scanner_get_info(scanner);
  assert_int_equal(info->signature_time, 0);
  assert_contains(info->signature_source, "no daily database");
  assert_contains(info->engine, bare);
  assert_scan_str(scanner, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);

  g_autofree guint8 *data = filler_with_eicar(FILE_MAX + 1, 0);
  assert_scan_len(scanner, data, FILE_MAX + 1, MUGAI_SCAN_CLEAN, NULL); /* the gap */
  clamd_stop(p);
  remove_database(db);
}

static void
clamd_without_signatures_is_no_database(void **state)
{
  (void) state;
  char *db = g_dir_make_tmp("mugai-scan-XXXXXX", NULL);
  write_file(db, "empty.ndb", "# no signatures\n"); /* clamd starts: "Loaded 0 signatures." */
  clamd_proc *p = clamd_start(db, FALSE, NULL);
  g_autoptr(GError) error = NULL;
  assert_null(open_scanner(p->socket, 0, 0, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE));
  assert_contains(error->message, "has no usable signatures");
  assert_contains(error->message, "the EICAR test file is clean to it");
  clamd_stop(p);
  remove_database(db);
}

/* ---- sharing ---- */

typedef struct {
  const char *name;
  GBytes *data;
  mugai_scan_verdict verdict;
  const char *signature;
} thread_case;

static gpointer
scan_many(gpointer data)
{
  void **args = data;
  mugai_scanner *scanner = args[0];
  const thread_case *cases = args[1];
  for (int round = 0; round < 25; round++)
    for (const thread_case *c = cases; c->name; c++) {
      g_auto(mugai_scan_result) result = {0};
      gsize len;
      const guint8 *bytes = g_bytes_get_data(c->data, &len);
      if (mugai_scanner_scan(scanner, bytes, len, c->name, &result) != c->verdict ||
          g_strcmp0(result.signature, c->signature) != 0)
        return g_strdup_printf("%s: %s %s %s", c->name, mugai_scan_verdict_name(result.verdict),
                               result.signature, result.detail);
    }
  return NULL;
}

static void
four_threads_scan_at_once(void **state)
{
  fixture *f = *state;
  g_autoptr(GBytes) inner = zip_of(EICAR_MEMBER, NULL);
  g_autoptr(GBytes) outer =
      zip_of("inner.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner), NULL);
  g_autoptr(GBytes) eicar = g_bytes_new_static(EICAR, sizeof(EICAR) - 1);
  g_autoptr(GBytes) marker = g_bytes_new_static(MARKER, sizeof(MARKER) - 1);
  g_autoptr(GBytes) clean = g_bytes_new_static("hello\n", 6);
  g_autoptr(GBytes) big = g_bytes_new_take(filler_with_eicar(2 * STREAM_MAX, 0), 2 * STREAM_MAX);
  thread_case cases[] = {
      {"eicar", eicar, MUGAI_SCAN_INFECTED, EICAR_NAME},
      {"zip", outer, MUGAI_SCAN_INFECTED, EICAR_NAME},
      {"marker", marker, MUGAI_SCAN_INFECTED, MARKER_NAME},
      {"clean", clean, MUGAI_SCAN_CLEAN, NULL},
      {"big", big, MUGAI_SCAN_TOO_BIG, "Heuristics.Limits.Exceeded.StreamMaxLength"},
      {NULL, NULL, 0, NULL},
  };
  gpointer args[] = {f->scanner, cases};
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new("scan", scan_many, args);
  for (int i = 0; i < 4; i++) {
    g_autofree char *problem = g_thread_join(threads[i]);
    if (problem != NULL)
      fail_msg("thread %d: %s", i, problem);
  }
}

static void
count_freed(gpointer data)
{
  (*(int *) data)++;
}

static void
scanner_freed_after_last_unref(void **state)
{
  fixture *f = *state;
  int freed = 0;
  mugai_clamd_config config = {
      .socket = f->clamd->socket, .freed = count_freed, .freed_data = &freed};
  mugai_scanner *owner = mugai_clamd_new(&config, NULL);
  assert_non_null(owner);
  mugai_scanner *in_flight = mugai_scanner_ref(owner); /* a message still scanning */
  mugai_scanner_unref(owner);                          /* the reload swapped it out */
  assert_int_equal(freed, 0);
  assert_scan_str(in_flight, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  mugai_scanner_unref(in_flight);
  assert_int_equal(freed, 1);

  g_autoptr(GError) error = NULL;
  config.socket = "unix:/nonexistent/mugai/clamd.sock"; /* a failed creation does not call it */
  assert_null(mugai_clamd_new(&config, &error));
  assert_int_equal(freed, 1);
}

/* ---- clamd's own reloads (last: it changes the main clamd's daily database) ---- */

/* The age is checked on every scan. The daily seen at creation grows too old; clamd, asked again,
 * still has it: ERROR. freshclam brings a new one and clamd reloads: the same scanner scans again,
 * its info still as of creation. */
static void
scans_follow_clamd_reloading_a_fresh_daily(void **state)
{
  fixture *f = *state;
  gint64 max_age = now_s() - f->daily_built + 1;
  g_autoptr(mugai_scanner) scanner = must_open(f->clamd->socket, 0, max_age);
  assert_scan_str(scanner, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  g_usleep(2500 * 1000);
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(
      mugai_scanner_scan(scanner, (const guint8 *) EICAR, sizeof(EICAR) - 1, "e", &result),
      MUGAI_SCAN_ERROR);
  assert_true(g_str_has_prefix(result.detail, "signatures too old: newest is clamd daily 27474"));
  assert_null(result.signature);

  write_daily_cud(f->db, DAILY + 1, now_s() - 3600);
  g_autofree char *reloading = clamd_command(f->clamd->path, "zRELOAD");
  assert_string_equal(reloading, "RELOADING");
  g_autofree char *want = g_strdup_printf("/%d/", DAILY + 1);
  gint64 deadline = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  for (;;) {
    g_autofree char *version = clamd_command(f->clamd->path, "zVERSION");
    if (version != NULL && strstr(version, want) != NULL)
      break;
    if (g_get_monotonic_time() > deadline)
      fail_msg("clamd did not load daily %d: VERSION says %s", DAILY + 1, version);
    g_usleep(50 * 1000);
  }
  assert_scan_str(scanner, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  assert_scan_str(scanner, "hello\n", MUGAI_SCAN_CLEAN, NULL);
  assert_string_equal(mugai_scanner_get_info(scanner)->signature_source, "clamd daily 27474");
}

int
main(void)
{
  /* clamd prints its daily build time in local time without a zone: run both far from UTC. */
  g_setenv("TZ", "Asia/Tokyo", TRUE);
  tzset();
  const struct CMUnitTest tests[] = {
      SCAN_CONTRACT_TESTS,
      cmocka_unit_test(eicar_across_instream_chunks),
      cmocka_unit_test(every_socket_spelling_reaches_clamd),
      cmocka_unit_test(stream_over_stream_max_length_is_too_big),
      cmocka_unit_test(file_over_max_file_size_is_too_big),
      cmocka_unit_test(info_reports_version_and_daily_build_time),
      cmocka_unit_test(signatures_over_max_age_are_too_old),
      cmocka_unit_test(bad_socket_spellings_are_refused),
      cmocka_unit_test(unreachable_clamd_is_a_clear_error),
      cmocka_unit_test(stopped_clamd_fails_closed),
      cmocka_unit_test(silent_clamd_times_out),
      cmocka_unit_test(plain_signature_files_are_trusted_only_without_age_check),
      cmocka_unit_test(clamd_without_signatures_is_no_database),
      cmocka_unit_test(four_threads_scan_at_once),
      cmocka_unit_test(scanner_freed_after_last_unref),
      cmocka_unit_test(scans_follow_clamd_reloading_a_fresh_daily),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
