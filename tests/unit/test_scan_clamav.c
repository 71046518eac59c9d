/* test_scan_clamav.c — the libclamav scanner against a signature database the test writes itself.
 *
 * Nothing is downloaded: EICAR is an .ndb body signature of its 68 bytes (libclamav has no
 * built-in EICAR, an empty database finds nothing), the project's own test signatures are an .ndb
 * body signature (MUGAI.Test.Sig) and an .hdb file hash (MUGAI.Test.Hash). Signatures from files
 * outside a signed CVD come back with libclamav's ".UNOFFICIAL" suffix: that is the name a user
 * sees. The database and the zips come from scan_test_db.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <clamav.h>
#include <string.h>
#include <glib/gstdio.h>
#include <utime.h>

#include "scan/clamav.h"
#include "scan_test_db.h"

typedef struct {
  mugai_scanner *scanner; /* first: the shared scan_contract_* tests read it */
  char *dir;
} fixture;

static mugai_scanner *
load(const char *dir, const mugai_clamav_limits *limits, GError **error)
{
  mugai_clamav_config config = {.database_dir = dir};
  if (limits)
    config.limits = *limits;
  return mugai_clamav_new(&config, error);
}

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->dir = make_database();
  g_autoptr(GError) error = NULL;
  f->scanner = load(f->dir, NULL, &error);
  if (f->scanner == NULL)
    fail_msg("load: %s", error->message);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  mugai_scanner_unref(f->scanner);
  remove_database(f->dir);
  g_free(f);
  return 0;
}

/* ---- detections ---- */

/* ---- limits ---- */

static void
part_over_max_filesize_is_too_big(void **state)
{
  fixture *f = *state;
  mugai_clamav_limits limits = {.max_filesize = 1000};
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_scanner) scanner = load(f->dir, &limits, &error);
  assert_non_null(scanner);
  g_autofree char *big = g_strnfill(1001, 'a');
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(mugai_scanner_scan(scanner, (const guint8 *) big, 1001, "big.bin", &result),
                   MUGAI_SCAN_TOO_BIG);
  assert_string_equal(result.signature, "Heuristics.Limits.Exceeded.MaxFileSize");
  assert_non_null(strstr(result.detail, "max_filesize (1000 bytes)"));
  big[1000] = '\0'; /* at the limit: scanned */
  assert_scan_str(scanner, big, MUGAI_SCAN_CLEAN, NULL);
}

/* libclamav 1.4.6 alone cuts a zip member that inflates past max_filesize to its first
 * max_filesize bytes, rounded down to the 8 KiB it inflates at a time (with this 4096-byte limit:
 * nothing at all), and calls the zip clean with no Heuristics.Limits alert, even with
 * CL_SCAN_HEURISTIC_EXCEEDS_MAX and EICAR in the member's first bytes
 * (test_scan_clamav_limits.c pins that). clamav.c gives libclamav 64 KiB more and stops every
 * member over mugai's max_filesize itself: this 5000-byte member is inflated whole and refused,
 * TOO_BIG MaxFileSize with its size in the detail, on every scan (not cached as clean). At the
 * limit it is scanned. */
static void
archive_member_over_max_filesize_is_too_big(void **state)
{
  fixture *f = *state;
  mugai_clamav_limits limits = {.max_filesize = 4096};
  g_autoptr(mugai_scanner) scanner = load(f->dir, &limits, NULL);
  assert_non_null(scanner);
  gsize size = 5000;
  g_autofree char *member = g_strnfill(size, 'A');
  memcpy(member, EICAR, sizeof(EICAR) - 1);
  g_autoptr(GBytes) over = zip_of("over.bin", member, size, NULL);
  assert_true(g_bytes_get_size(over) < 4096);
  for (int round = 0; round < 2; round++) {
    g_auto(mugai_scan_result) result = {0};
    assert_int_equal(mugai_scanner_scan(scanner, g_bytes_get_data(over, NULL),
                                        g_bytes_get_size(over), "part", &result),
                     MUGAI_SCAN_TOO_BIG);
    assert_string_equal(result.signature, "Heuristics.Limits.Exceeded.MaxFileSize");
    assert_string_equal(result.detail, "too big to scan: an archive member of at least 5000 bytes, "
                                       "over max_filesize (4096 bytes)");
  }
  g_autoptr(GBytes) within = zip_of("within.bin", member, (gsize) 4096, NULL);
  assert_scan(scanner, within, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

static void
nesting_over_max_recursion_is_too_big(void **state)
{
  fixture *f = *state;
  mugai_clamav_limits limits = {.max_recursion = 2};
  g_autoptr(mugai_scanner) scanner = load(f->dir, &limits, NULL);
  assert_non_null(scanner);
  g_autoptr(GBytes) z1 = zip_of("a.txt", "text\n", (gsize) 5, NULL);
  g_autoptr(GBytes) z2 = zip_of("1.zip", g_bytes_get_data(z1, NULL), g_bytes_get_size(z1), NULL);
  g_autoptr(GBytes) z3 = zip_of("2.zip", g_bytes_get_data(z2, NULL), g_bytes_get_size(z2), NULL);
  assert_scan(scanner, z3, MUGAI_SCAN_TOO_BIG, "Heuristics.Limits.Exceeded.MaxRecursion");
  /* A real signature beside the limit hit wins: the user is told about the virus. */
  g_autoptr(GBytes) mixed =
      zip_of("2.zip", g_bytes_get_data(z2, NULL), g_bytes_get_size(z2), EICAR_MEMBER, NULL);
  assert_scan(scanner, mixed, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

static void
members_over_max_files_is_too_big(void **state)
{
  fixture *f = *state;
  mugai_clamav_limits limits = {.max_files = 2};
  g_autoptr(mugai_scanner) scanner = load(f->dir, &limits, NULL);
  assert_non_null(scanner);
  g_autoptr(GBytes) zip = zip_of("1.txt", "one\n", (gsize) 4, "2.txt", "two\n", (gsize) 4, "3.txt",
                                 "three\n", (gsize) 6, "4.txt", "four\n", (gsize) 5, NULL);
  assert_scan(scanner, zip, MUGAI_SCAN_TOO_BIG, "Heuristics.Limits.Exceeded.MaxFiles");
}

/* ---- loading ---- */

static void
missing_database_is_no_database(void **state)
{
  (void) state;
  g_autoptr(GError) error = NULL;
  assert_null(load("/nonexistent/mugai-clamav", NULL, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE));
  assert_non_null(strstr(error->message, "/nonexistent/mugai-clamav"));

  char *empty = g_dir_make_tmp("mugai-scan-XXXXXX", NULL);
  write_file(empty, "freshclam.dat", "not signatures");
  g_clear_error(&error);
  assert_null(load(empty, NULL, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_NO_DATABASE));
  remove_database(empty);
}

static void
corrupt_ndb_is_load_failed_with_libclamav_reason(void **state)
{
  (void) state;
  char *dir = make_database();
  write_file(dir, "broken.ndb", "Broken.Sig:0:*:zz\n");
  g_autoptr(GError) error = NULL;
  assert_null(load(dir, NULL, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_LOAD_FAILED));
  assert_non_null(strstr(error->message, "Malformed database"));
  assert_non_null(strstr(error->message, "broken.ndb"));
  assert_non_null(strstr(error->message, "line 1"));
  remove_database(dir);
}

static void
set_all_mtimes(const char *dir, gint64 when)
{
  g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(listing)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    struct utimbuf times = {.actime = (time_t) when, .modtime = (time_t) when};
    assert_int_equal(g_utime(path, &times), 0);
  }
}

static void
signature_age_is_plain_files_mtime(void **state)
{
  (void) state;
  char *dir = make_database();
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  set_all_mtimes(dir, now - 5 * DAY);
  g_autofree char *ndb = g_build_filename(dir, "mugai-test.ndb", NULL);
  struct utimbuf newer = {.actime = (time_t) (now - 5 * DAY + 60),
                          .modtime = (time_t) (now - 5 * DAY + 60)};
  assert_int_equal(g_utime(ndb, &newer), 0); /* the newest file decides */
  g_autoptr(GError) error = NULL;
  mugai_clamav_config config = {.database_dir = dir, .max_signature_age = 6 * DAY};
  g_autoptr(mugai_scanner) scanner = mugai_clamav_new(&config, &error);
  if (scanner == NULL)
    fail_msg("load: %s", error->message);
  const mugai_scan_info *info = mugai_scanner_get_info(scanner);
  gint64 age = mugai_scan_info_age(info, g_get_real_time() / G_USEC_PER_SEC);
  assert_in_range(age, 5 * DAY - 60 - 5, 5 * DAY - 60 + 5);
  assert_string_equal(info->signature_source, "mugai-test.ndb");
  g_autofree char *engine = g_strconcat("ClamAV ", cl_retver(), NULL);
  assert_string_equal(info->engine, engine);
  assert_int_equal(info->signatures, 3);
  remove_database(dir);
}

static void
signatures_over_max_age_are_too_old(void **state)
{
  (void) state;
  char *dir = make_database();
  set_all_mtimes(dir, g_get_real_time() / G_USEC_PER_SEC - 5 * DAY);
  g_autoptr(GError) error = NULL;
  mugai_clamav_config config = {.database_dir = dir, .max_signature_age = 4 * DAY};
  assert_null(mugai_clamav_new(&config, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_TOO_OLD));
  assert_non_null(strstr(error->message, "5.0 days ago"));
  assert_non_null(strstr(error->message, "max_signature_age is 4.0 days"));
  remove_database(dir);
}

/* A CVD/CLD's age is the build time in its header, not when freshclam wrote the file. */
static void
signature_time_of_cvd_is_its_header(void **state)
{
  (void) state;
  char *dir = make_database();
  set_all_mtimes(dir, 1000000000); /* 2001: older than the header below */
  GString *head = g_string_new("ClamAV-VDB:14 Jan 2024 09-13 -0500:27153:2050000:90:"
                               "0123456789abcdef0123456789abcdef:dsig:builder:1705241580");
  while (head->len < 512)
    g_string_append_c(head, ' ');
  g_string_append(head, "not a real database body");
  write_file(dir, "daily.cld", head->str);
  g_string_free(head, TRUE);
  gint64 when = 0;
  g_autofree char *source = NULL;
  g_autoptr(GError) error = NULL;
  if (!mugai_clamav_signature_time(dir, &when, &source, &error))
    fail_msg("signature time: %s", error->message);
  assert_int_equal(when, 1705241580);
  assert_string_equal(source, "daily.cld");

  write_file(dir, "daily.cld", "garbage header");
  g_clear_pointer(&source, g_free);
  assert_false(mugai_clamav_signature_time(dir, &when, &source, &error));
  assert_true(g_error_matches(error, MUGAI_SCAN_ERROR_DOMAIN, MUGAI_SCAN_ERROR_LOAD_FAILED));
  remove_database(dir);
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
        return GINT_TO_POINTER(1);
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
  thread_case cases[] = {
      {"eicar", eicar, MUGAI_SCAN_INFECTED, EICAR_NAME},
      {"zip", outer, MUGAI_SCAN_INFECTED, EICAR_NAME},
      {"marker", marker, MUGAI_SCAN_INFECTED, MARKER_NAME},
      {"clean", clean, MUGAI_SCAN_CLEAN, NULL},
      {NULL, NULL, 0, NULL},
  };
  gpointer args[] = {f->scanner, cases};
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new("scan", scan_many, args);
  for (int i = 0; i < 4; i++)
    assert_null(g_thread_join(threads[i]));
}

/* A temp file holding LEN bytes of DATA, its position left at its end as a spool leaves it. */
static int
file_of(const void *data, gsize len)
{
  g_autofree char *path = NULL;
  int fd = g_file_open_tmp("mugai-scan-XXXXXX", &path, NULL);
  assert_true(fd >= 0);
  g_unlink(path);
  assert_int_equal(write(fd, data, len), (ssize_t) len);
  return fd;
}

static void
assert_scan_fd(mugai_scanner *scanner, int fd, guint64 len, mugai_scan_verdict want,
               const char *signature)
{
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(mugai_scanner_scan_fd(scanner, fd, len, "part.bin", &result), want);
  if (signature)
    assert_string_equal(result.signature, signature);
}

/* libclamav reads a spooled part from its file: the same answers as for the bytes in memory,
 * for exactly the LEN bytes asked (a hash signature matches the file's first LEN bytes only). */
static void
file_is_scanned_as_its_bytes(void **state)
{
  fixture *f = *state;
  mugai_clamav_limits limits = {.max_filesize = 100000};
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_scanner) scanner = load(f->dir, &limits, &error);
  assert_non_null(scanner);
  assert_true(mugai_scanner_can_scan_fd(scanner));
  int eicar = file_of(EICAR, sizeof(EICAR) - 1);
  assert_scan_fd(scanner, eicar, sizeof(EICAR) - 1, MUGAI_SCAN_INFECTED, EICAR_NAME);
  g_autoptr(GBytes) zip = zip_of(EICAR_MEMBER, NULL);
  int zipped = file_of(g_bytes_get_data(zip, NULL), g_bytes_get_size(zip));
  assert_scan_fd(scanner, zipped, g_bytes_get_size(zip), MUGAI_SCAN_INFECTED, EICAR_NAME);
  int hashed = file_of(HASHED "x", strlen(HASHED) + 1);
  assert_scan_fd(scanner, hashed, strlen(HASHED), MUGAI_SCAN_INFECTED, HASHED_NAME);
  assert_scan_fd(scanner, hashed, strlen(HASHED) + 1, MUGAI_SCAN_CLEAN, NULL);
  g_autofree char *text = g_strnfill(100001, 'a');
  int big = file_of(text, 100001);
  assert_scan_fd(scanner, big, 100001, MUGAI_SCAN_TOO_BIG, "Heuristics.Limits.Exceeded.MaxFileSize");
  assert_scan_fd(scanner, big, 100000, MUGAI_SCAN_CLEAN, NULL);
  assert_scan_fd(scanner, big, 0, MUGAI_SCAN_CLEAN, NULL);
  close(eicar);
  close(zipped);
  close(hashed);
  close(big);
}

/* A file of LEN bytes of text with EICAR as its last bytes. */
static int
file_ending_in_eicar(gsize len)
{
  g_autofree char *text = g_strnfill(len, 'a');
  memcpy(text + len - (sizeof(EICAR) - 1), EICAR, sizeof(EICAR) - 1);
  return file_of(text, len);
}

/* A spooled part up to 8 MB is mapped and scanned in place, a larger one read through
 * libclamav's aging map: both find what is at the very end of the LEN bytes asked, neither
 * looks past them, and a file shorter than LEN is an error, never clean. */
static void
file_scanned_to_its_end_mapped_or_read(void **state)
{
  fixture *f = *state;
  const gsize sizes[] = {2 << 20, 8 << 20, (8 << 20) + 1}; /* the last one read, not mapped */
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    int fd = file_ending_in_eicar(sizes[i]);
    assert_scan_fd(f->scanner, fd, sizes[i], MUGAI_SCAN_INFECTED, EICAR_NAME);
    assert_scan_fd(f->scanner, fd, sizes[i] - 1, MUGAI_SCAN_CLEAN, NULL);
    close(fd);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(sizes); i++) {
    g_autofree char *text = g_strnfill(4096, 'a');
    int fd = file_of(text, 4096);
    assert_scan_fd(f->scanner, fd, sizes[i], MUGAI_SCAN_ERROR, NULL);
    close(fd);
  }
}

/* Signatures that grow too old while the engine is loaded: every scan after that moment is an
 * error, for bytes and for files, EICAR included (never clean, never a stale "infected"). */
static void
signatures_growing_too_old_fail_every_scan(void **state)
{
  (void) state;
  char *dir = make_database();
  set_all_mtimes(dir, g_get_real_time() / G_USEC_PER_SEC - DAY + 2);
  g_autoptr(GError) error = NULL;
  mugai_clamav_config config = {.database_dir = dir, .max_signature_age = DAY};
  g_autoptr(mugai_scanner) scanner = mugai_clamav_new(&config, &error);
  assert_non_null(scanner);
  assert_scan_str(scanner, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  g_usleep(3 * G_USEC_PER_SEC);
  g_auto(mugai_scan_result) result = {0};
  assert_int_equal(mugai_scanner_scan(scanner, (const guint8 *) EICAR, sizeof(EICAR) - 1, NULL,
                                      &result),
                   MUGAI_SCAN_ERROR);
  assert_non_null(strstr(result.detail, "max_signature_age is 1.0 days"));
  int fd = file_of(EICAR, sizeof(EICAR) - 1);
  assert_scan_fd(scanner, fd, sizeof(EICAR) - 1, MUGAI_SCAN_ERROR, NULL);
  close(fd);
  remove_database(dir);
}

static void
count_freed(gpointer data)
{
  (*(int *) data)++;
}

static void
engine_freed_after_last_unref(void **state)
{
  fixture *f = *state;
  int freed = 0;
  mugai_clamav_config config = {.database_dir = f->dir, .freed = count_freed, .freed_data = &freed};
  mugai_scanner *owner = mugai_clamav_new(&config, NULL);
  assert_non_null(owner);
  mugai_scanner *in_flight = mugai_scanner_ref(owner); /* a message still scanning */
  mugai_scanner_unref(owner);                          /* the reload swapped it out */
  assert_int_equal(freed, 0);
  assert_scan_str(in_flight, EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  mugai_scanner_unref(in_flight);
  assert_int_equal(freed, 1);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      SCAN_CONTRACT_TESTS,
      cmocka_unit_test(part_over_max_filesize_is_too_big),
      cmocka_unit_test(file_is_scanned_as_its_bytes),
      cmocka_unit_test(file_scanned_to_its_end_mapped_or_read),
      cmocka_unit_test(archive_member_over_max_filesize_is_too_big),
      cmocka_unit_test(nesting_over_max_recursion_is_too_big),
      cmocka_unit_test(members_over_max_files_is_too_big),
      cmocka_unit_test(missing_database_is_no_database),
      cmocka_unit_test(corrupt_ndb_is_load_failed_with_libclamav_reason),
      cmocka_unit_test(signature_age_is_plain_files_mtime),
      cmocka_unit_test(signatures_over_max_age_are_too_old),
      cmocka_unit_test(signatures_growing_too_old_fail_every_scan),
      cmocka_unit_test(signature_time_of_cvd_is_its_header),
      cmocka_unit_test(four_threads_scan_at_once),
      cmocka_unit_test(engine_freed_after_last_unref),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
