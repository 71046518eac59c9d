/* test_filetype.c — libmagic behind its handle pool (sanitize/filetype.h): the true type of
 * content, also from many threads at once (more threads than the pool has handles: the ones
 * without a handle wait for one and get the right answer). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include "sanitize/filetype.h"

static const struct {
  const char *bytes;
  gsize len;
  const char *type;
} samples[] = {
    {"%PDF-1.4\n1 0 obj\n<< >>\nendobj\n", 29, "application/pdf"},
    {"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0", 29, "image/png"},
    {"GIF89a\x01\0\x01\0\0\0\0", 13, "image/gif"},
    {"\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20, "image/jpeg"},
    {"\xff\xd8\xff\xdb\0\x43\0\x08\x06\x06\x07\x06", 12, "image/jpeg"},
    {"GIF87a\x01\0\x01\0\0\0\0", 13, "image/gif"},
    {"%PDF-", 5, "application/pdf"},
};

typedef struct {
  mugai_filetype *filetype;
  guint wrong;
} job;

static gpointer
detect_many(gpointer data)
{
  job *j = data;
  for (guint i = 0; i < 300; i++) {
    gsize k = i % G_N_ELEMENTS(samples);
    g_autofree char *type = mugai_filetype_detect(j->filetype, samples[k].bytes, samples[k].len, NULL);
    if (strcmp(type, samples[k].type) != 0)
      g_atomic_int_inc(&j->wrong);
  }
  return NULL;
}

static void
names_true_types(void **state)
{
  (void) state;
  GError *error = NULL;
  mugai_filetype *f = mugai_filetype_new(&error);
  assert_non_null(f);
  for (gsize k = 0; k < G_N_ELEMENTS(samples); k++) {
    g_autofree char *type = mugai_filetype_detect(f, samples[k].bytes, samples[k].len, NULL);
    assert_string_equal(type, samples[k].type);
  }
  g_autofree char *empty = mugai_filetype_detect(f, "", 0, NULL);
  assert_string_equal(empty, "application/x-empty");
  mugai_filetype_free(f);
}

/* The declared type spares libmagic only where libmagic would say the same. */
static void
declared_type_vouched_by_its_signature(void **state)
{
  (void) state;
  GError *error = NULL;
  mugai_filetype *f = mugai_filetype_new(&error);
  assert_non_null(f);
  for (gsize k = 0; k < G_N_ELEMENTS(samples); k++) {
    g_autofree char *upper = g_ascii_strup(samples[k].type, -1);
    g_autofree char *type = mugai_filetype_detect(f, samples[k].bytes, samples[k].len, upper);
    assert_string_equal(type, samples[k].type);
  }
  /* A signature of another type, or one cut short: libmagic tells. */
  g_autofree char *pdf = mugai_filetype_detect(f, samples[0].bytes, samples[0].len, "image/png");
  assert_string_equal(pdf, "application/pdf");
  g_autofree char *gif = mugai_filetype_detect(f, "GIF89a\x01\0\x01\0\0\0\0", 13,
                                               "application/pdf");
  assert_string_equal(gif, "image/gif");
  static const char text[] = "%PDF is what we send\n";
  g_autofree char *short_sig = mugai_filetype_detect(f, text, sizeof text - 1, "application/pdf");
  assert_string_equal(short_sig, "text/plain");
  static const char bare_png[] = "\x89PNG\r\n\x1a\n\0\0\0\0\0\0\0\0\0\0\0\0";
  g_autofree char *bare = mugai_filetype_detect(f, bare_png, sizeof bare_png - 1, "image/png");
  assert_string_equal(bare, "application/octet-stream");
  static const char exe[] = "MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
  g_autofree char *disguised = mugai_filetype_detect(f, exe, sizeof exe - 1, "image/jpeg");
  assert_string_not_equal(disguised, "image/jpeg");
  mugai_filetype_free(f);
}

static void
many_threads_share_a_few_handles(void **state)
{
  (void) state;
  GError *error = NULL;
  job j = {mugai_filetype_new(&error), 0};
  assert_non_null(j.filetype);
  GThread *threads[16];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("detect", detect_many, &j);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  assert_int_equal(j.wrong, 0);
  mugai_filetype_free(j.filetype);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(names_true_types),
      cmocka_unit_test(declared_type_vouched_by_its_signature),
      cmocka_unit_test(many_threads_share_a_few_handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
