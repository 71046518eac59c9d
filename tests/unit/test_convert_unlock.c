/* test_convert_unlock.c — PPAP: a password-protected archive opened in a real mugai-convert
 * worker (unlock.c behind main.c --unlock, reached through unlock_client.c), as the sanitizer
 * will see it. The archives are written here with libarchive's own writer (ZipCrypto and AES-256
 * zips; it cannot encrypt 7z, so 7-Zip AES comes from the 7z program when it is installed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "convert/convert_client.h"
#include "convert/converter_worker.h"

typedef struct {
  const char *name;
  mode_t type;      /* 0: a regular file */
  const void *data; /* regular files: LEN bytes; NULL and LEN: LEN zero bytes */
  gsize len;
  const char *link; /* symlinks: the target */
} spec;

static la_ssize_t
append(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

static void
write_data(struct archive *a, const spec *s)
{
  if (s->data) {
    assert_int_equal(archive_write_data(a, s->data, s->len), (la_ssize_t) s->len);
    return;
  }
  g_autofree guint8 *zeros = g_malloc0(1 << 20);
  for (gsize left = s->len; left > 0; left -= MIN(left, (gsize) 1 << 20))
    assert_true(archive_write_data(a, zeros, MIN(left, (gsize) 1 << 20)) > 0);
}

#define ZIPCRYPTO "zip:encryption=zipcrypt"
#define AES256 "zip:encryption=aes256"
#define STORED "zip:compression=store"

/* A zip of the N entries of SPECS, written with libarchive's OPTIONS (nullable) and PASSWORD
 * (nullable: no encryption). */
static GBytes *
make_zip(const char *opts, const char *password, const spec *specs, gsize n)
{
  GByteArray *out = g_byte_array_new();
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  if (opts)
    assert_int_equal(archive_write_set_options(a, opts), ARCHIVE_OK);
  if (password)
    assert_int_equal(archive_write_set_passphrase(a, password), ARCHIVE_OK);
  assert_int_equal(archive_write_open(a, out, NULL, append, NULL), ARCHIVE_OK);
  for (gsize i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, specs[i].name);
    archive_entry_set_filetype(e, specs[i].type ? specs[i].type : AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (specs[i].link)
      archive_entry_set_symlink(e, specs[i].link);
    archive_entry_set_size(e, specs[i].type ? 0 : (la_int64_t) specs[i].len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (!specs[i].type)
      write_data(a, &specs[i]);
    archive_entry_free(e);
  }
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return g_byte_array_free_to_bytes(out);
}

static mugai_convert_client_options
options(void)
{
  mugai_convert_client_options o;
  mugai_convert_client_options_init(&o);
  o.program = MUGAI_TEST_CONVERT_WORKER;
  o.timeout_ms = 60000; /* the ASan build on a loaded machine */
  return o;
}

static mugai_unlock_outcome *
run(const mugai_convert_client_options *o, GBytes *zip, const char *const *passwords)
{
  gsize len = 0;
  const void *data = g_bytes_get_data(zip, &len);
  mugai_unlock_outcome *r = mugai_convert_unlock_run(o, data, len, passwords);
  if (r->unlock.status != MUGAI_UNLOCK_OPENED)
    g_print("# %s: %s\n", mugai_unlock_status_name(r->unlock.status), r->unlock.failure);
  assert_non_null(r->unlock.members);
  return r;
}

static void
assert_member(const mugai_unlock *u, guint i, const char *name, const void *data, gsize len)
{
  assert_true(i < u->members->len);
  const mugai_unlocked_member *m = u->members->pdata[i];
  assert_string_equal(m->name, name);
  gsize got = 0;
  const void *bytes = g_bytes_get_data(m->data, &got);
  assert_int_equal(got, len);
  assert_memory_equal(bytes, data, len);
}

/* 1 MiB that does not compress, and a Japanese text: what a PPAP zip holds. */
static GBytes *
noise(gsize len)
{
  guint8 *b = g_malloc(len);
  GRand *r = g_rand_new_with_seed(42);
  for (gsize i = 0; i < len; i++)
    b[i] = (guint8) g_rand_int(r);
  g_rand_free(r);
  return g_bytes_new_take(b, len);
}

static const char text[] = "見積書を送付いたします。\r\n";

static void
opens_with_the_right_password_among_wrong_ones(const char *encryption, const char *label)
{
  g_autoptr(GBytes) bin = noise(1 << 20);
  gsize bin_len = 0;
  const void *bin_data = g_bytes_get_data(bin, &bin_len);
  const spec specs[] = {{"見積書.txt", 0, text, strlen(text), NULL},
                        {"data/図面.bin", 0, bin_data, bin_len, NULL}};
  g_autoptr(GBytes) zip = make_zip(encryption, "Pa$$ 語!", specs, G_N_ELEMENTS(specs));
  const char *const passwords[] = {"wrong1", "Wrong2", "pa$$ 語!", "1234", "abcd", "x", "Pa$$ 語",
                                   "Pa$$ 語!", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  g_print("# %s: 8 passwords (the right one last) on 1 MiB in %" G_GUINT64_FORMAT " ms, peak "
          "%" G_GUINT64_FORMAT " kB\n", label, r->elapsed_ms, r->peak_rss_kb);
  assert_int_equal(r->run, MUGAI_CONVERT_DONE);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_null(r->unlock.failure);
  assert_int_equal(r->unlock.password_index, 7);
  assert_int_equal(r->unlock.members->len, 2);
  assert_int_equal(r->unlock.skipped, 0);
  assert_member(&r->unlock, 0, "見積書.txt", text, strlen(text));
  assert_member(&r->unlock, 1, "data/図面.bin", bin_data, bin_len);
}

static void
zipcrypto_opens_with_the_right_password_among_wrong_ones(void **state)
{
  (void) state;
  opens_with_the_right_password_among_wrong_ones(ZIPCRYPTO, "ZipCrypto");
}

static void
aes256_opens_with_the_right_password_among_wrong_ones(void **state)
{
  (void) state;
  opens_with_the_right_password_among_wrong_ones(AES256, "AES-256");
}

static void
only_wrong_passwords_say_so(void **state)
{
  (void) state;
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL}};
  const char *const passwords[] = {"wrong", "also wrong", "nope", NULL};
  mugai_convert_client_options o = options();
  for (int aes = 0; aes < 2; aes++) {
    g_autoptr(GBytes) zip = make_zip(aes ? AES256 : ZIPCRYPTO, "secret", specs, 1);
    g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
    assert_int_equal(r->run, MUGAI_CONVERT_DONE);
    assert_int_equal(r->unlock.status, MUGAI_UNLOCK_WRONG_PASSWORD);
    /* (a prefix: 1 wrong ZipCrypto password in 256 passes the quick check, and says so after) */
    assert_true(g_str_has_prefix(r->unlock.failure,
                                 "wrong password: none of the 3 passwords opened it"));
    assert_int_equal(r->unlock.password_index, -1);
    assert_int_equal(r->unlock.members->len, 0);
  }
}

/* Whether libarchive, in this process, gets past ZIP's quick password check with PASSWORD and
 * then fails on the data (what 1 wrong password in 256 does with ZipCrypto). */
static gboolean
passes_the_quick_check_only(GBytes *zip, const char *password)
{
  struct archive *a = archive_read_new();
  archive_read_support_format_zip(a);
  archive_read_add_passphrase(a, password);
  gsize len = 0;
  const void *data = g_bytes_get_data(zip, &len);
  struct archive_entry *e;
  gboolean only = FALSE;
  if (archive_read_open_memory(a, data, len) == ARCHIVE_OK &&
      archive_read_next_header(a, &e) == ARCHIVE_OK) {
    char buf[4096];
    la_ssize_t n;
    while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
      ;
    only = n < 0 && !g_str_has_prefix(archive_error_string(a), "Incorrect passphrase");
  }
  archive_read_free(a);
  return only;
}

/* Why one pass per password: a wrong one that passes the check first must not hide the right
 * one after it, and alone it is a wrong password, said with the doubt it leaves. */
static void
a_wrong_password_that_passes_the_check_does_not_hide_the_right_one(void **state)
{
  (void) state;
  g_autoptr(GBytes) bin = noise(64 << 10);
  const spec specs[] = {{"a.bin", 0, g_bytes_get_data(bin, NULL), g_bytes_get_size(bin), NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, 1);
  char lucky[16] = "";
  for (int i = 0; i < 100000 && !*lucky; i++) {
    g_snprintf(lucky, sizeof lucky, "wrong%d", i);
    if (!passes_the_quick_check_only(zip, lucky))
      *lucky = '\0';
  }
  assert_true(*lucky);
  mugai_convert_client_options o = options();
  const char *const both[] = {lucky, "secret", NULL};
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, both);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(r->unlock.password_index, 1);
  assert_member(&r->unlock, 0, "a.bin", g_bytes_get_data(bin, NULL), g_bytes_get_size(bin));
  const char *const alone[] = {lucky, NULL};
  g_autoptr(mugai_unlock_outcome) w = run(&o, zip, alone);
  assert_int_equal(w->unlock.status, MUGAI_UNLOCK_WRONG_PASSWORD);
  assert_string_equal(w->unlock.failure, "wrong password (past the quick check, the data did not "
                                         "check out: a wrong password or a damaged archive)");
}

static void
an_archive_without_encryption_opens_with_the_first(void **state)
{
  (void) state;
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL}};
  g_autoptr(GBytes) zip = make_zip(NULL, NULL, specs, 1);
  const char *const passwords[] = {"whatever", "else", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(r->unlock.password_index, 0);
  assert_member(&r->unlock, 0, "a.txt", text, strlen(text));
}

/* 100 MB of zeros in 100 KB: refused on its declared size, before any inflating. */
static void
a_bomb_is_refused_fast_naming_the_limit(void **state)
{
  (void) state;
  const spec specs[] = {{"zeros.bin", 0, NULL, 100u << 20, NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, 1);
  const char *const passwords[] = {"a", "b", "c", "d", "e", "f", "g", "secret", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  g_print("# a %zu-byte zip of 100 MiB refused in %" G_GUINT64_FORMAT " ms\n",
          g_bytes_get_size(zip), r->elapsed_ms);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_REFUSED);
  assert_string_equal(r->unlock.failure, "a member too large when unpacked (more than 16 MiB)");
  assert_true(r->elapsed_ms < 10000);
  assert_int_equal(r->unlock.members->len, 0);
}

/* The central directory says 1000 bytes; the deflate stream gives 32 MiB: counted, and stopped. */
static void
a_bomb_that_lies_about_its_size_is_stopped_while_inflating(void **state)
{
  (void) state;
  const spec specs[] = {{"liar.bin", 0, NULL, 32u << 20, NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, 1);
  gsize len = g_bytes_get_size(zip);
  g_autofree guint8 *patched = g_memdup2(g_bytes_get_data(zip, NULL), len);
  guint8 *cd = memmem(patched, len, "PK\1\2", 4);
  assert_non_null(cd);
  guint32 size = GUINT32_TO_LE(1000);
  memcpy(cd + 24, &size, 4); /* uncompressed size */
  guint8 *local = memmem(patched, len, "PK\3\4", 4);
  guint32 local_size = 0;
  memcpy(&local_size, local + 22, 4);
  if (GUINT32_FROM_LE(local_size) != 0) /* 0: the sizes follow the data */
    memcpy(local + 22, &size, 4);
  g_autoptr(GBytes) liar = g_bytes_new(patched, len);
  const char *const passwords[] = {"secret", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, liar, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_REFUSED);
  assert_string_equal(r->unlock.failure, "a member too large when unpacked (more than 16 MiB)");
}

/* A limit at N and N+1: AT_ZIP opens with AT's limits (MEMBERS files), OVER_ZIP is refused
 * with OVER's for REASON. The password is "secret". */
static void
opened_at_refused_over(const mugai_convert_client_options *at, GBytes *at_zip, guint members,
                       const mugai_convert_client_options *over, GBytes *over_zip,
                       const char *reason)
{
  const char *const passwords[] = {"secret", NULL};
  g_autoptr(mugai_unlock_outcome) opened = run(at, at_zip, passwords);
  assert_int_equal(opened->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(opened->unlock.members->len, members);
  g_autoptr(mugai_unlock_outcome) refused = run(over, over_zip, passwords);
  assert_int_equal(refused->unlock.status, MUGAI_UNLOCK_REFUSED);
  assert_string_equal(refused->unlock.failure, reason);
  assert_int_equal(refused->unlock.members->len, 0);
}

static void
all_members_together_are_capped(void **state)
{
  (void) state;
  const spec specs[] = {{"1", 0, NULL, 1u << 20, NULL}, {"2", 0, NULL, 1u << 20, NULL},
                        {"3", 0, NULL, 1u << 20, NULL}};
  g_autoptr(GBytes) zip = make_zip(AES256, "secret", specs, G_N_ELEMENTS(specs));
  mugai_convert_client_options at = options(), over = options();
  at.limits.max_expanded = 3u << 20;
  over.limits.max_expanded = (3u << 20) - 1;
  opened_at_refused_over(&at, zip, 3, &over, zip,
                         "too large when unpacked (more than 3145727 bytes)");
}

static void
entries_are_capped_at_n_not_n_plus_one(void **state)
{
  (void) state;
  spec specs[11];
  char names[11][8];
  for (int i = 0; i < 11; i++) {
    g_snprintf(names[i], sizeof names[i], "f%d", i);
    specs[i] = (spec){names[i], 0, "x", 1, NULL};
  }
  mugai_convert_client_options o = options();
  o.limits.max_entries = 10;
  g_autoptr(GBytes) ten = make_zip(ZIPCRYPTO, "secret", specs, 10);
  g_autoptr(GBytes) eleven = make_zip(ZIPCRYPTO, "secret", specs, 11);
  opened_at_refused_over(&o, ten, 10, &o, eleven, "more than 10 entries");
}

/* Names are labels: "../../x" and "/tmp/y" come back as they are, and nothing is written. */
static void
traversal_names_come_back_as_names_and_nothing_is_written(void **state)
{
  (void) state;
  g_autofree char *up = g_strdup_printf("../../mugai-unlock-%d", (int) getpid());
  g_autofree char *abs = g_strdup_printf("/tmp/mugai-unlock-abs-%d", (int) getpid());
  g_autofree char *mixed = g_strdup_printf("dir/../../mugai-unlock-mixed-%d", (int) getpid());
  g_autofree char *longest = g_strnfill(MUGAI_UNLOCK_MAX_NAME_BYTES + 500, 'n');
  const spec specs[] = {{up, 0, "up", 2, NULL}, {abs, 0, "abs", 3, NULL},
                        {mixed, 0, "mixed", 5, NULL}, {"dir/", AE_IFDIR, NULL, 0, NULL},
                        {longest, 0, "long", 4, NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, G_N_ELEMENTS(specs));
  const char *const passwords[] = {"secret", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(r->unlock.members->len, 4); /* the directory: left out, not counted */
  assert_int_equal(r->unlock.skipped, 0);
  assert_member(&r->unlock, 0, up, "up", 2);
  assert_member(&r->unlock, 1, abs, "abs", 3);
  assert_member(&r->unlock, 2, mixed, "mixed", 5);
  longest[MUGAI_UNLOCK_MAX_NAME_BYTES] = '\0'; /* a label: cut */
  assert_member(&r->unlock, 3, longest, "long", 4);
  /* the worker runs in our working directory */
  const char *base[] = {up, abs, mixed};
  for (gsize i = 0; i < G_N_ELEMENTS(base); i++) {
    g_autofree char *name = g_path_get_basename(base[i]);
    g_autofree char *in_tmp = g_build_filename("/tmp", name, NULL);
    assert_false(g_file_test(base[i], G_FILE_TEST_EXISTS));
    assert_false(g_file_test(name, G_FILE_TEST_EXISTS));
    assert_false(g_file_test(in_tmp, G_FILE_TEST_EXISTS));
  }
  assert_false(g_file_test("dir", G_FILE_TEST_EXISTS));
}

static void
a_symlink_is_skipped_and_counted(void **state)
{
  (void) state;
  const spec specs[] = {{"passwd", AE_IFLNK, NULL, 0, "/etc/passwd"},
                        {"a.txt", 0, text, strlen(text), NULL}};
  g_autoptr(GBytes) zip = make_zip(AES256, "secret", specs, G_N_ELEMENTS(specs));
  const char *const passwords[] = {"secret", NULL};
  mugai_convert_client_options o = options();
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(r->unlock.skipped, 1);
  assert_int_equal(r->unlock.members->len, 1);
  assert_member(&r->unlock, 0, "a.txt", text, strlen(text));
}

static void
damaged_input_is_refused(void **state)
{
  (void) state;
  const char *const passwords[] = {"secret", NULL};
  mugai_convert_client_options o = options();
  /* not an archive at all */
  g_autoptr(GBytes) junk = noise(4096);
  g_autoptr(mugai_unlock_outcome) r = run(&o, junk, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_REFUSED);
  assert_non_null(r->unlock.failure);
  /* a stored, unencrypted member whose bytes changed: its CRC says so, whatever the password */
  const spec specs[] = {{"a.txt", 0, "0123456789abcdef", 16, NULL}};
  g_autoptr(GBytes) zip = make_zip(STORED, NULL, specs, 1);
  gsize len = g_bytes_get_size(zip);
  g_autofree guint8 *bad = g_memdup2(g_bytes_get_data(zip, NULL), len);
  guint8 *at = memmem(bad, len, "0123", 4);
  assert_non_null(at);
  at[0] ^= 0xff;
  g_autoptr(GBytes) damaged = g_bytes_new(bad, len);
  g_autoptr(mugai_unlock_outcome) d = run(&o, damaged, passwords);
  assert_int_equal(d->unlock.status, MUGAI_UNLOCK_REFUSED);
  assert_true(g_str_has_prefix(d->unlock.failure, "damaged archive: "));
}

/* libarchive 3.6 cannot decrypt 7-Zip AES: said so, with and without encrypted headers. */
static void
seven_zip_aes_is_unsupported(void **state)
{
  (void) state;
  g_autofree char *seven = g_find_program_in_path("7z");
  if (seven == NULL)
    seven = g_find_program_in_path("7za");
  if (seven == NULL) {
    g_print("# no 7z or 7za (Debian: p7zip-full, deploy/install-deps.sh): 7-Zip AES not tested\n");
    skip();
  }
  g_autofree char *dir = g_dir_make_tmp("mugai-unlock-7z-XXXXXX", NULL);
  g_autofree char *member = g_build_filename(dir, "a.txt", NULL);
  assert_true(g_file_set_contents(member, text, -1, NULL));
  const char *const passwords[] = {"wrong", "secret", NULL};
  mugai_convert_client_options o = options();
  for (int he = 0; he < 2; he++) {
    g_autofree char *out = g_build_filename(dir, he ? "he.7z" : "plain.7z", NULL);
    const char *argv[] = {seven, "a", "-bd", "-psecret", he ? "-mhe=on" : "-mhe=off", out, member,
                          NULL};
    int status = -1;
    assert_true(g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, NULL, &status, NULL));
    assert_int_equal(status, 0);
    g_autofree char *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(out, &data, &len, NULL));
    g_autoptr(GBytes) archive = g_bytes_new(data, len);
    g_autoptr(mugai_unlock_outcome) r = run(&o, archive, passwords);
    assert_int_equal(r->unlock.status, MUGAI_UNLOCK_UNSUPPORTED);
    assert_string_equal(r->unlock.failure, "7-Zip AES encryption is not supported");
    g_unlink(out);
  }
  g_unlink(member);
  g_rmdir(dir);
}

static void
passwords_that_cannot_be_framed_are_refused_by_the_client(void **state)
{
  (void) state;
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, 1);
  mugai_convert_client_options o = options();
  o.program = "/nonexistent/never-started"; /* no worker may start for these */
  const char *const crlf[] = {"good", "secret\r\nsecond", NULL};
  const char *const lf[] = {"a\nb", NULL};
  const char *const empty[] = {"", NULL};
  const char *const none[] = {NULL};
  const char *const *cases[] = {crlf, lf, empty, none};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(mugai_unlock_outcome) r = run(&o, zip, cases[i]);
    assert_int_equal(r->unlock.status, MUGAI_UNLOCK_FAILED);
    assert_int_equal(r->run, MUGAI_CONVERT_ERROR);
    assert_null(strstr(r->unlock.failure, "never-started"));
  }
  const char *many[MUGAI_UNLOCK_MAX_PASSWORDS + 2] = {NULL};
  for (int i = 0; i <= MUGAI_UNLOCK_MAX_PASSWORDS; i++)
    many[i] = "pw";
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, many);
  assert_string_equal(r->unlock.failure, "more than 32 passwords");
}

/* A stand-in worker: a shell script in a fresh directory, removed by the caller. */
static char *
script(const char *dir, const char *body)
{
  char *path = g_build_filename(dir, "worker.sh", NULL);
  g_autofree char *all = g_strdup_printf("#!/bin/sh\n%s\n", body);
  assert_true(g_file_set_contents(path, all, -1, NULL));
  assert_int_equal(g_chmod(path, 0700), 0);
  return path;
}

static void
passwords_are_never_on_argv_or_in_the_environment(void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp("mugai-unlock-XXXXXX", NULL);
  g_autofree char *seen = g_build_filename(dir, "seen", NULL);
  g_autofree char *body = g_strdup_printf("echo \"$0 $*\" > %s; env >> %s; exit 1", seen, seen);
  g_autofree char *program = script(dir, body);
  mugai_convert_client_options o = options();
  o.program = program;
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "Sekr1t-PPAP", specs, 1);
  const char *const passwords[] = {"Sekr1t-PPAP", NULL};
  g_autoptr(mugai_unlock_outcome) r = run(&o, zip, passwords);
  assert_int_equal(r->unlock.status, MUGAI_UNLOCK_FAILED);
  assert_string_equal(r->unlock.failure, "crashed (no valid answer)");
  g_autofree char *words = NULL;
  assert_true(g_file_get_contents(seen, &words, NULL, NULL));
  assert_non_null(strstr(words, "--unlock=1"));
  assert_null(strstr(words, "Sekr1t"));
  g_unlink(seen);
  g_unlink(program);
  g_rmdir(dir);
}

static void
a_worker_killed_by_the_timeout_or_a_signal_is_failed(void **state)
{
  (void) state;
  g_autofree char *dir = g_dir_make_tmp("mugai-unlock-XXXXXX", NULL);
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL}};
  g_autoptr(GBytes) zip = make_zip(ZIPCRYPTO, "secret", specs, 1);
  const char *const passwords[] = {"secret", NULL};
  mugai_convert_client_options o = options();
  o.timeout_ms = 300;
  g_autofree char *sleeper = script(dir, "cat > /dev/null; exec sleep 30");
  o.program = sleeper;
  g_autoptr(mugai_unlock_outcome) slow = run(&o, zip, passwords);
  assert_int_equal(slow->unlock.status, MUGAI_UNLOCK_FAILED);
  assert_int_equal(slow->run, MUGAI_CONVERT_TIMEOUT);
  assert_string_equal(slow->unlock.failure, "timeout after 300 ms");
  assert_true(slow->elapsed_ms < 5000);
  g_unlink(sleeper);
  g_autofree char *crasher = script(dir, "cat > /dev/null; kill -SEGV $$");
  o.program = crasher;
  o.timeout_ms = 60000;
  g_autoptr(mugai_unlock_outcome) crash = run(&o, zip, passwords);
  assert_int_equal(crash->unlock.status, MUGAI_UNLOCK_FAILED);
  assert_int_equal(crash->run, MUGAI_CONVERT_CRASHED);
  assert_string_equal(crash->unlock.failure, "crashed (signal 11)");
  g_unlink(crasher);
  g_rmdir(dir);
}

/* The sanitizer's way in: the converter interface on worker slots, limits from the policy. */
static void
the_converter_unlocks_on_its_worker_slots(void **state)
{
  (void) state;
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_converter) c = mugai_converter_worker_new(MUGAI_TEST_CONVERT_WORKER, 1, &error);
  assert_non_null(c);
  mugai_conversion_limits limits = {.timeout_ms = 60000, .cpu_seconds = 60, .memory_mb = 1024,
                                    .max_output = 1 << 20, .max_expanded = 1 << 20,
                                    .max_member = 1 << 20, .max_entries = 10};
  const spec specs[] = {{"a.txt", 0, text, strlen(text), NULL},
                        {"big", 0, NULL, 2u << 20, NULL}};
  g_autoptr(GBytes) small = make_zip(AES256, "secret", specs, 1);
  const char *const passwords[] = {"no", "secret", NULL};
  g_auto(mugai_unlock) u = {0};
  mugai_converter_unlock(c, g_bytes_get_data(small, NULL), g_bytes_get_size(small), passwords,
                         &limits, &u);
  assert_int_equal(u.status, MUGAI_UNLOCK_OPENED);
  assert_int_equal(u.password_index, 1);
  assert_member(&u, 0, "a.txt", text, strlen(text));
  g_autoptr(GBytes) big = make_zip(AES256, "secret", specs, 2);
  g_auto(mugai_unlock) refused = {0};
  mugai_converter_unlock(c, g_bytes_get_data(big, NULL), g_bytes_get_size(big), passwords,
                         &limits, &refused);
  assert_int_equal(refused.status, MUGAI_UNLOCK_REFUSED);
  assert_string_equal(refused.failure, "a member too large when unpacked (more than 1 MiB)");
  assert_int_equal(refused.members->len, 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(zipcrypto_opens_with_the_right_password_among_wrong_ones),
    cmocka_unit_test(aes256_opens_with_the_right_password_among_wrong_ones),
    cmocka_unit_test(only_wrong_passwords_say_so),
    cmocka_unit_test(a_wrong_password_that_passes_the_check_does_not_hide_the_right_one),
    cmocka_unit_test(an_archive_without_encryption_opens_with_the_first),
    cmocka_unit_test(a_bomb_is_refused_fast_naming_the_limit),
    cmocka_unit_test(a_bomb_that_lies_about_its_size_is_stopped_while_inflating),
    cmocka_unit_test(all_members_together_are_capped),
    cmocka_unit_test(entries_are_capped_at_n_not_n_plus_one),
    cmocka_unit_test(traversal_names_come_back_as_names_and_nothing_is_written),
    cmocka_unit_test(a_symlink_is_skipped_and_counted),
    cmocka_unit_test(damaged_input_is_refused),
    cmocka_unit_test(seven_zip_aes_is_unsupported),
    cmocka_unit_test(passwords_that_cannot_be_framed_are_refused_by_the_client),
    cmocka_unit_test(passwords_are_never_on_argv_or_in_the_environment),
    cmocka_unit_test(a_worker_killed_by_the_timeout_or_a_signal_is_failed),
    cmocka_unit_test(the_converter_unlocks_on_its_worker_slots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
