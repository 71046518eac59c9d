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
    g_autofree char *type = mugai_filetype_detect(j->filetype, samples[k].bytes, samples[k].len);
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
    g_autofree char *type = mugai_filetype_detect(f, samples[k].bytes, samples[k].len);
    assert_string_equal(type, samples[k].type);
  }
  g_autofree char *empty = mugai_filetype_detect(f, "", 0);
  assert_string_equal(empty, "application/x-empty");
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
      cmocka_unit_test(many_threads_share_a_few_handles),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
