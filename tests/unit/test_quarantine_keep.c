/* test_quarantine_keep.c — mugai_quarantine_keep() (quarantine/keep.h) on the SQLite backend with
 * the original in a spool: in memory, and spooled to a file, which the store reads a piece at a
 * time instead of mapping it. Either way the entry names the message's From and Subject and its
 * whole size, and the original reads back byte for byte; a spool file that turns out shorter
 * than its size keeps nothing and answers TEMPFAIL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include "quarantine/keep.h"
#include "quarantine/quarantine_id.h"
#include "temp_tree.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01 12:00:00 UTC */
#define BIG (3 * 1024 * 1024 + 12345)      /* several of the store's 1 MB pieces, the last cut */

static const char headers[] = "From: =?UTF-8?B?5pel5pys?= <a@example.com>\r\n"
                              "Subject: =?UTF-8?B?6KuL5rGC5pu4?=\r\n\r\n";

typedef struct {
  char *tmp;
  mugai_quarantine *q;
  GByteArray *message; /* headers and BIG bytes of body */
} fixture;

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->tmp = g_dir_make_tmp("mugai-keep-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename(f->tmp, "store", NULL);
  mugai_quarantine_policy config = {.dir = dir, .user = "", .group = ""};
  g_autoptr(GError) error = NULL;
  f->q = mugai_quarantine_open(&config, TRUE, &error);
  if (f->q == NULL)
    fail_msg("%s", error->message);
  f->message = g_byte_array_new();
  g_byte_array_append(f->message, (const guint8 *) headers, sizeof headers - 1);
  GRand *rand = g_rand_new_with_seed(7);
  for (gsize i = 0; i < BIG; i++) {
    guint8 b = (guint8) g_rand_int_range(rand, 0, 256);
    g_byte_array_append(f->message, &b, 1);
  }
  g_rand_free(rand);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  mugai_quarantine_free(f->q);
  g_byte_array_unref(f->message);
  temp_tree_remove(f->tmp);
  g_free(f->tmp);
  g_free(f);
  return 0;
}

/* F's message in a spool that keeps MEMORY_MAX bytes in memory (0: all of it on disk). */
static mugai_spool *
spool_of(fixture *f, gsize memory_max)
{
  mugai_spool *spool = mugai_spool_new(f->tmp, memory_max);
  g_autoptr(GError) error = NULL;
  if (!mugai_spool_write(spool, f->message->data, f->message->len, &error))
    fail_msg("%s", error->message);
  return spool;
}

static gboolean
collect(const guint8 *data, gsize len, gpointer bytes, GError **error)
{
  (void) error;
  g_byte_array_append(bytes, data, (guint) len);
  return TRUE;
}

static const char *const rcpts[] = {"x@city.example.lg.jp", NULL};
static const mugai_envelope envelope = {.mail_from = "a@example.com", .rcpts = rcpts,
                                        .direction = MUGAI_DIRECTION_IN, .queue_id = "4XyzQ1"};

/* Keep F's message from SPOOL; check the entry and the original read back. */
static void
assert_kept(fixture *f, mugai_spool *spool)
{
  g_autoptr(mugai_result) result = mugai_result_new(MUGAI_DIRECTION_IN);
  result->quarantine = TRUE;
  g_autofree char *id = mugai_quarantine_id_new(NOW);
  assert_true(mugai_quarantine_keep(f->q, id, spool, &envelope, result));
  assert_string_equal(result->quarantine_id, id);
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_quarantine_entry) e = mugai_quarantine_get(f->q, id, &error);
  if (e == NULL)
    fail_msg("%s", error->message);
  assert_string_equal(e->from, "日本 <a@example.com>");
  assert_string_equal(e->subject, "請求書");
  assert_int_equal(e->size, f->message->len);
  g_autoptr(GByteArray) back = g_byte_array_new();
  if (!mugai_quarantine_read_original(f->q, id, collect, back, &error))
    fail_msg("%s", error->message);
  assert_int_equal(back->len, f->message->len);
  assert_memory_equal(back->data, f->message->data, back->len);
}

static void
spooled_original_is_kept_whole(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_spool) spool = spool_of(f, 0);
  assert_true(mugai_spool_is_on_disk(spool));
  assert_true(mugai_quarantine_can_store_spool(f->q));
  assert_kept(f, spool);
}

static void
original_in_memory_is_kept_whole(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_spool) spool = spool_of(f, f->message->len);
  assert_false(mugai_spool_is_on_disk(spool));
  assert_kept(f, spool);
}

/* The file lost its tail behind the spool's back: the store cannot read the size it was given. */
static void
short_spool_file_keeps_nothing(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_spool) spool = spool_of(f, 0);
  assert_int_equal(ftruncate(mugai_spool_get_fd(spool), (off_t) (f->message->len - 1000)), 0);
  g_autoptr(mugai_result) result = mugai_result_new(MUGAI_DIRECTION_IN);
  result->quarantine = TRUE;
  g_autofree char *id = mugai_quarantine_id_new(NOW);
  assert_false(mugai_quarantine_keep(f->q, id, spool, &envelope, result));
  assert_int_equal(result->verdict, MUGAI_VERDICT_TEMPFAIL);
  assert_null(result->quarantine_id);
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_quarantine_entry) e = mugai_quarantine_get(f->q, id, &error);
  assert_null(e);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(spooled_original_is_kept_whole, setup, teardown),
      cmocka_unit_test_setup_teardown(original_in_memory_is_kept_whole, setup, teardown),
      cmocka_unit_test_setup_teardown(short_spool_file_keeps_nothing, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
