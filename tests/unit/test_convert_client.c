/* test_convert_client.c — the spawner (convert_client.c) as the milter's threads will use it:
 * several conversions at once from several threads, each with its own worker, and afterwards no
 * descriptor and no child left in this process. The hostile and misbehaving workers are the
 * convert_worker script test's; this is about running it in a threaded caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "convert/convert_client.h"

#define THREADS 4
#define RUNS 5

static const char *const docs[] = {"sample.pdf", "sample.docx", "sample.xlsx", "bomb.docx", "encrypted.pdf"};

static GBytes *
doc(const char *name)
{
  const char *dir = g_getenv("MUGAI_CONVERT_DOCS");
  assert_non_null(dir);
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  assert_true(g_file_get_contents(path, &data, &len, NULL));
  return g_bytes_new_take(g_steal_pointer(&data), len);
}

static guint
open_fds(void)
{
  guint n = 0;
  g_autoptr(GDir) d = g_dir_open("/proc/self/fd", 0, NULL);
  assert_non_null(d);
  while (g_dir_read_name(d))
    n++;
  return n;
}

typedef struct {
  GBytes *docs[G_N_ELEMENTS(docs)];
  gint failures;
} shared;

/* Each thread converts every document RUNS times; what each must give is fixed. */
static gpointer
worker_thread(gpointer user)
{
  shared *s = user;
  mugai_convert_client_options o;
  mugai_convert_client_options_init(&o);
  o.program = MUGAI_TEST_CONVERT_WORKER;
  o.timeout_ms = 60000;
  for (int run = 0; run < RUNS; run++)
    for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
      gsize len = 0;
      const void *data = g_bytes_get_data(s->docs[i], &len);
      g_autoptr(mugai_convert_outcome) r = mugai_convert_run(&o, data, len, NULL, docs[i]);
      gboolean ok;
      if (i == 0)
        ok = r->status == MUGAI_CONVERT_DONE && strstr(r->text->str, "日本語のテキスト") && r->count == 2;
      else if (i == 1)
        ok = r->status == MUGAI_CONVERT_DONE && strstr(r->text->str, "請求書のご送付について");
      else if (i == 2)
        ok = r->status == MUGAI_CONVERT_DONE && strstr(r->text->str, "2024-04-01");
      else if (i == 3)
        ok = r->status == MUGAI_CONVERT_REFUSED && strstr(r->reason, "larger than the member limit");
      else
        ok = r->status == MUGAI_CONVERT_REFUSED && g_strcmp0(r->reason, "encrypted") == 0 &&
             (r->warnings & MUGAI_CONVERT_WARN_ENCRYPTED);
      if (!ok) {
        g_printerr("%s: status %s reason %s\n", docs[i], mugai_convert_status_name(r->status),
                   r->reason ? r->reason : "");
        g_atomic_int_inc(&s->failures);
      }
    }
  return NULL;
}

static void
threads_convert_at_once_and_leave_nothing_behind(void **state)
{
  (void) state;
  shared s = {0};
  for (gsize i = 0; i < G_N_ELEMENTS(docs); i++)
    s.docs[i] = doc(docs[i]);
  guint fds_before = open_fds();
  GThread *t[THREADS];
  for (int i = 0; i < THREADS; i++)
    t[i] = g_thread_new("convert", worker_thread, &s);
  for (int i = 0; i < THREADS; i++)
    g_thread_join(t[i]);
  assert_int_equal(g_atomic_int_get(&s.failures), 0);
  assert_int_equal(open_fds(), fds_before);
  /* every worker was reaped: this process has no child at all */
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
  for (gsize i = 0; i < G_N_ELEMENTS(docs); i++)
    g_bytes_unref(s.docs[i]);
}

static void
empty_input_is_answered(void **state)
{
  (void) state;
  mugai_convert_client_options o;
  mugai_convert_client_options_init(&o);
  o.program = MUGAI_TEST_CONVERT_WORKER;
  g_autoptr(mugai_convert_outcome) r = mugai_convert_run(&o, "", 0, "text/plain", "empty.txt");
  assert_int_equal(r->status, MUGAI_CONVERT_DONE);
  assert_string_equal(r->kind, "text");
  assert_int_equal(r->text->len, 0);
  assert_true(r->peak_rss_kb > 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(threads_convert_at_once_and_leave_nothing_behind),
    cmocka_unit_test(empty_input_is_answered),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
