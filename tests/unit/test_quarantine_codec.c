/* test_quarantine_codec.c — originals kept as zstd frames (quarantine/original_codec.h) and what
 * the SQLite store does with them:
 *   - mail text is kept as a frame that reads back byte for byte, in pieces of at most 64 KiB,
 *     whatever the pieces it is fed in; random bytes, tiny and huge (over 4 MiB) originals are
 *     kept as they came;
 *   - a damaged, cut or padded frame, or one of another size than its entry, is an error that
 *     says so, never other bytes;
 *   - through the store: the index holds the frame (codec 1), much smaller than the original
 *     (one past SQLite's 1 MB piece too), threads storing at once each get their own back, fsck
 *     finds the sizes right; a damaged frame or an unknown codec fails the read, and fsck
 *     reports a frame whose header is gone;
 *   - an index of version 5 gains the codec column in place and keeps reading its originals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <string.h>
#include "quarantine/fsck.h"
#include "quarantine/index.h"
#include "quarantine/keep.h"
#include "quarantine/quarantine_id.h"
#include "temp_tree.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01 12:00:00 UTC */

/* (transfer full) LEN bytes of what mail looks like: headers, then Japanese quoted-printable
 * lines that differ from one another (a counter in each), so zstd finds text, not one repeat. */
static GByteArray *
mail_text(gsize len)
{
  GByteArray *b = g_byte_array_new();
  static const char head[] = "From: a@example.jp\r\nSubject: =?UTF-8?B?5aCx5ZGK?=\r\n\r\n";
  g_byte_array_append(b, (const guint8 *) head, sizeof head - 1);
  for (guint i = 0; b->len < len; i++) {
    g_autofree char *line =
        g_strdup_printf("=E4=BB=A4=E5=92=8C%u=E5=B9=B4=E5=BA=A6 item %u: =E4=BC=9A=E8=AD=B0=\r\n",
                        i % 97, i * 2654435761u % 100003);
    g_byte_array_append(b, (const guint8 *) line, (guint) strlen(line));
  }
  g_byte_array_set_size(b, (guint) len);
  return b;
}

static gsize largest_piece;

static gboolean
collect(const guint8 *data, gsize len, gpointer bytes, GError **error)
{
  (void) error;
  largest_piece = MAX(largest_piece, len);
  g_byte_array_append(bytes, data, (guint) len);
  return TRUE;
}

/* FRAME decoded through a reader fed STEP bytes at a time for an entry of SIZE bytes: the bytes,
 * or NULL with ERROR set. */
static GByteArray *
decode(GBytes *frame, gsize step, guint64 size, GError **error)
{
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(frame, &n);
  GByteArray *out = g_byte_array_new();
  g_autoptr(mugai_original_reader) r = mugai_original_reader_new(collect, out, size);
  for (gsize at = 0; at < n; at += step)
    if (!mugai_original_reader_feed(r, p + at, MIN(step, n - at), error)) {
      g_byte_array_unref(out);
      return NULL;
    }
  if (!mugai_original_reader_finish(r, error)) {
    g_byte_array_unref(out);
    return NULL;
  }
  return out;
}

static void
mail_text_is_kept_as_a_frame_and_reads_back_in_pieces(void **state)
{
  (void) state;
  g_autoptr(GByteArray) text = mail_text(300 * 1024 + 7);
  g_autoptr(GBytes) frame = mugai_original_compress(text->data, text->len);
  assert_non_null(frame);
  gsize n = g_bytes_get_size(frame);
  assert_true(n < text->len / 2);
  assert_int_equal(mugai_original_frame_size(g_bytes_get_data(frame, NULL), n), text->len);
  static const gsize steps[] = {1, 1000, 65536, 1 << 20};
  for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
    largest_piece = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GByteArray) back = decode(frame, steps[i], text->len, &error);
    assert_non_null(back);
    assert_int_equal(back->len, text->len);
    assert_memory_equal(back->data, text->data, text->len);
    assert_true(largest_piece <= 64 * 1024);
  }
}

static void
random_bytes_tiny_and_huge_originals_are_kept_as_they_came(void **state)
{
  (void) state;
  enum { SIZE = 200 * 1024 };
  g_autofree guint8 *noise = g_malloc(SIZE);
  GRand *rand = g_rand_new_with_seed(11);
  for (gsize i = 0; i < SIZE; i++)
    noise[i] = (guint8) g_rand_int(rand);
  g_rand_free(rand);
  assert_null(mugai_original_compress(noise, SIZE));
  g_autoptr(GByteArray) huge = mail_text(4 * 1024 * 1024 + 1); /* a second copy of most of it */
  assert_null(mugai_original_compress(huge->data, huge->len));
  g_autoptr(GByteArray) largest = mail_text(4 * 1024 * 1024);
  g_autoptr(GBytes) frame = mugai_original_compress(largest->data, largest->len);
  assert_non_null(frame);
  static const char tiny[] = "From: a@example.jp\r\n\r\nhi\r\n";
  assert_null(mugai_original_compress((const guint8 *) tiny, sizeof tiny - 1));
  assert_int_equal(mugai_original_frame_size((const guint8 *) tiny, sizeof tiny - 1), -1);
}

/* FRAME read for an entry of SIZE bytes is an error mentioning WHY, never other bytes. */
static void
assert_refused(GBytes *frame, guint64 size, const char *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) back = decode(frame, 4096, size, &error);
  assert_null(back);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  if (strstr(error->message, why) == NULL)
    fail_msg("\"%s\" does not say \"%s\"", error->message, why);
}

static void
a_damaged_cut_padded_or_wrong_sized_frame_is_refused(void **state)
{
  (void) state;
  g_autoptr(GByteArray) text = mail_text(100 * 1024);
  g_autoptr(GBytes) frame = mugai_original_compress(text->data, text->len);
  assert_non_null(frame);
  gsize n = 0;
  const guint8 *p = g_bytes_get_data(frame, &n);

  g_autofree guint8 *flipped = g_memdup2(p, n);
  flipped[n / 2] ^= 0x55;
  g_autoptr(GBytes) damaged = g_bytes_new(flipped, n);
  assert_refused(damaged, text->len, "damaged");

  g_autoptr(GBytes) cut = g_bytes_new(p, n - 9);
  assert_refused(cut, text->len, "ends early");

  g_autoptr(GByteArray) padded = g_byte_array_new();
  g_byte_array_append(padded, p, (guint) n);
  g_byte_array_append(padded, (const guint8 *) "From: x\r\n", 9);
  g_autoptr(GBytes) after = g_bytes_new(padded->data, padded->len);
  assert_refused(after, text->len, "after its end");

  assert_refused(frame, text->len - 1, "larger than its entry");
  assert_refused(frame, text->len + 1, "shorter than its entry");

  g_autoptr(GBytes) empty = g_bytes_new("", 0);
  assert_refused(empty, text->len, "ends early");
}

/* ---- through the SQLite store ------------------------------------------------------------- */

typedef struct {
  char *tmp, *dir;
  mugai_quarantine *q;
} fixture;

static mugai_quarantine *
open_store(const char *dir)
{
  mugai_quarantine_policy config = {.dir = (char *) dir, .user = "", .group = ""};
  g_autoptr(GError) error = NULL;
  mugai_quarantine *q = mugai_quarantine_open(&config, TRUE, &error);
  if (q == NULL)
    fail_msg("%s", error->message);
  return q;
}

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->tmp = g_dir_make_tmp("mugai-codec-XXXXXX", NULL);
  f->dir = g_build_filename(f->tmp, "store", NULL);
  f->q = open_store(f->dir);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  mugai_quarantine_free(f->q);
  temp_tree_remove(f->tmp);
  g_free(f->tmp);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* (transfer full) an entry stored in F with DATA as its original. */
static mugai_quarantine_entry *
stored(fixture *f, const guint8 *data, gsize len)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  g_free(e->id);
  e->id = mugai_quarantine_id_new(NOW);
  e->time = NOW;
  e->size = len;
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_store(f->q, e, data, len, &error))
    fail_msg("%s", error->message);
  return e;
}

/* SQL on F's index beside the store (one integer back, or -1 without a row). */
static gint64
index_sql(const fixture *f, const char *sql, const char *id)
{
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  if (id)
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  gint64 v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* The blob of ID's row in F's index, as it is there. */
static GByteArray *
original_blob(const fixture *f, const char *id)
{
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(
      sqlite3_prepare_v2(db, "SELECT data FROM original WHERE entry_id = ?", -1, &st, NULL),
      SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  GByteArray *b = g_byte_array_new();
  g_byte_array_append(b, sqlite3_column_blob(st, 0), (guint) sqlite3_column_bytes(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return b;
}

/* ID's blob replaced by DATA behind mugai's back (a damaged or tampered index). */
static void
set_original_blob(const fixture *f, const char *id, const guint8 *data, gsize len)
{
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt *st = NULL;
  assert_int_equal(
      sqlite3_prepare_v2(db, "UPDATE original SET data = ? WHERE entry_id = ?", -1, &st, NULL),
      SQLITE_OK);
  sqlite3_bind_blob(st, 1, data, (int) len, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, id, -1, SQLITE_TRANSIENT);
  assert_int_equal(sqlite3_step(st), SQLITE_DONE);
  assert_int_equal(sqlite3_changes(db), 1);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

static void
assert_reads_back(fixture *f, const char *id, const guint8 *data, gsize len)
{
  g_autoptr(GByteArray) back = g_byte_array_new();
  g_autoptr(GError) error = NULL;
  largest_piece = 0;
  if (!mugai_quarantine_read_original(f->q, id, collect, back, &error))
    fail_msg("%s", error->message);
  assert_int_equal(back->len, len);
  assert_memory_equal(back->data, data, len);
  assert_true(largest_piece <= 64 * 1024);
}

/* fsck's dry run over F: how many size mismatches it reports. */
static guint64
fsck_mismatches(fixture *f)
{
  mugai_quarantine_fsck_report r;
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_fsck(f->q, 0, FALSE, &r, &error))
    fail_msg("%s", error->message);
  guint64 n = mugai_quarantine_fsck_report_count(&r, "size_mismatches");
  mugai_quarantine_fsck_report_clear(&r);
  return n;
}

static void
the_store_keeps_mail_as_a_frame_and_noise_as_it_came(void **state)
{
  fixture *f = *state;
  g_autoptr(GByteArray) text = mail_text(2 * 1024 * 1024 + 3); /* past SQLite's 1 MB piece */
  g_autoptr(mugai_quarantine_entry) mail = stored(f, text->data, text->len);
  assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", mail->id), 1);
  assert_true(index_sql(f, "SELECT length(data) FROM original WHERE entry_id = ?", mail->id) <
              (gint64) text->len / 2);
  assert_reads_back(f, mail->id, text->data, text->len);

  /* Base64 of random bytes (an attachment): a frame of three quarters, past 1 MB, which SQLite
   * is given in pieces. */
  g_autofree guint8 *raw = g_malloc(2 * 1024 * 1024);
  for (gsize i = 0; i < 2 * 1024 * 1024; i++)
    raw[i] = (guint8) g_random_int();
  g_autofree char *b64 = g_base64_encode(raw, 2 * 1024 * 1024);
  gsize b64_len = strlen(b64);
  g_autoptr(mugai_quarantine_entry) attached = stored(f, (const guint8 *) b64, b64_len);
  assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", attached->id), 1);
  assert_true(index_sql(f, "SELECT length(data) FROM original WHERE entry_id = ?", attached->id) >
              1024 * 1024);
  assert_reads_back(f, attached->id, (const guint8 *) b64, b64_len);

  enum { SIZE = 70 * 1024 };
  g_autofree guint8 *noise = g_malloc(SIZE);
  for (gsize i = 0; i < SIZE; i++)
    noise[i] = (guint8) g_random_int();
  g_autoptr(mugai_quarantine_entry) zip = stored(f, noise, SIZE);
  assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", zip->id), 0);
  assert_int_equal(index_sql(f, "SELECT length(data) FROM original WHERE entry_id = ?", zip->id),
                   SIZE);
  assert_reads_back(f, zip->id, noise, SIZE);
  assert_int_equal(fsck_mismatches(f), 0);
}

static void
a_damaged_frame_in_the_index_fails_the_read_and_fsck_says_so(void **state)
{
  fixture *f = *state;
  g_autoptr(GByteArray) text = mail_text(80 * 1024);
  g_autoptr(mugai_quarantine_entry) e = stored(f, text->data, text->len);
  /* A byte in the middle of the frame changed behind mugai's back. */
  g_autoptr(GByteArray) frame = original_blob(f, e->id);
  frame->data[frame->len / 2] ^= 0x55;
  set_original_blob(f, e->id, frame->data, frame->len);
  g_autoptr(GByteArray) back = g_byte_array_new();
  g_autoptr(GError) error = NULL;
  assert_false(mugai_quarantine_read_original(f->q, e->id, collect, back, &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  assert_non_null(strstr(error->message, "damaged"));
  /* Its header cut: fsck cannot read the size it records. */
  set_original_blob(f, e->id, (const guint8 *) "\x28\xb5\x2f\xfd", 4);
  assert_int_equal(fsck_mismatches(f), 1);
  /* A codec this mugai does not know (a newer one's): refused, not read as it is. */
  g_autoptr(mugai_quarantine_entry) other = stored(f, text->data, text->len);
  index_sql(f, "UPDATE original SET codec = 7 WHERE entry_id = ?", other->id);
  g_clear_error(&error);
  assert_false(mugai_quarantine_read_original(f->q, other->id, collect, back, &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  assert_non_null(strstr(error->message, "does not know"));
}

typedef struct {
  fixture *f;
  guint seed;
  mugai_quarantine_entry *entries[20];
  GByteArray *texts[20];
} writer_job;

/* Twenty originals of its own, each different, stored from this thread. */
static gpointer
writer(gpointer data)
{
  writer_job *job = data;
  for (guint i = 0; i < G_N_ELEMENTS(job->entries); i++) {
    job->texts[i] = mail_text(20 * 1024 + job->seed * 1000 + i * 37);
    g_autofree char *tag = g_strdup_printf("thread %u mail %u\r\n", job->seed, i);
    memcpy(job->texts[i]->data + job->texts[i]->len - strlen(tag), tag, strlen(tag));
    job->entries[i] = stored(job->f, job->texts[i]->data, job->texts[i]->len);
  }
  return NULL;
}

/* Four threads compressing at once (the pool hands each its own context): every original reads
 * back as its own, every one a frame. */
static void
threads_storing_at_once_each_get_their_own_back(void **state)
{
  fixture *f = *state;
  writer_job jobs[4];
  GThread *threads[4];
  for (guint t = 0; t < 4; t++) {
    jobs[t] = (writer_job){.f = f, .seed = t};
    threads[t] = g_thread_new("writer", writer, &jobs[t]);
  }
  for (guint t = 0; t < 4; t++)
    g_thread_join(threads[t]);
  for (guint t = 0; t < 4; t++)
    for (guint i = 0; i < G_N_ELEMENTS(jobs[t].entries); i++) {
      const char *id = jobs[t].entries[i]->id;
      assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", id), 1);
      assert_reads_back(f, id, jobs[t].texts[i]->data, jobs[t].texts[i]->len);
      mugai_quarantine_entry_free(jobs[t].entries[i]);
      g_byte_array_unref(jobs[t].texts[i]);
    }
}

/* An index of version 5 (originals as they came, no codec column) opens at version 6: its
 * original reads back as it was, and the next one is kept as a frame. */
static void
an_index_of_version_5_gains_the_codec_in_place(void **state)
{
  fixture *f = *state;
  g_autoptr(GByteArray) text = mail_text(40 * 1024);
  g_autoptr(mugai_quarantine_entry) old = stored(f, text->data, text->len);
  mugai_quarantine_free(g_steal_pointer(&f->q));
  set_original_blob(f, old->id, text->data, text->len); /* as version 5 kept it */
  index_sql(f, "UPDATE original SET codec = 0 WHERE entry_id = ?", old->id);
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "ALTER TABLE original DROP COLUMN codec; PRAGMA user_version = 5",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  f->q = open_store(f->dir);
  assert_int_equal(index_sql(f, "PRAGMA user_version", NULL), 6);
  assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", old->id), 0);
  assert_reads_back(f, old->id, text->data, text->len);
  g_autoptr(mugai_quarantine_entry) fresh = stored(f, text->data, text->len);
  assert_int_equal(index_sql(f, "SELECT codec FROM original WHERE entry_id = ?", fresh->id), 1);
  assert_reads_back(f, fresh->id, text->data, text->len);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mail_text_is_kept_as_a_frame_and_reads_back_in_pieces),
      cmocka_unit_test(random_bytes_tiny_and_huge_originals_are_kept_as_they_came),
      cmocka_unit_test(a_damaged_cut_padded_or_wrong_sized_frame_is_refused),
      cmocka_unit_test_setup_teardown(the_store_keeps_mail_as_a_frame_and_noise_as_it_came, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_damaged_frame_in_the_index_fails_the_read_and_fsck_says_so,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(threads_storing_at_once_each_get_their_own_back, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(an_index_of_version_5_gains_the_codec_in_place, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
