/* test_config_safety.c — what mugai refuses to trust on disk (issue 10's hardening): a config
 * file any user may change, or that any user may replace in its directory; a spool directory
 * anyone may swap files in (world-writable without the sticky bit; /var/tmp's sticky one is fine);
 * a quarantine directory anyone may write into; and the [milter] user and group that must
 * exist. Real files in a temporary directory. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "temp_tree.h"

typedef struct {
  char *dir;  /* 0700, ours */
  char *conf; /* DIR/mugai.conf */
} fixture;

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->dir = g_dir_make_tmp("mugai-safety-XXXXXX", NULL);
  f->conf = g_build_filename(f->dir, "mugai.conf", NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  g_chmod(f->dir, 0700);
  temp_tree_remove(f->dir);
  g_free(f->conf);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* F's config holding TEXT (mode MODE), loaded: NULL when valid, else (transfer full) every
 * problem, one per line. */
static char *
load(fixture *f, const char *text, int mode)
{
  assert_true(g_file_set_contents(f->conf, text, -1, NULL));
  assert_int_equal(g_chmod(f->conf, mode), 0);
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  GError *error = NULL;
  mugai_policy *p = mugai_config_load(f->conf, problems, &error);
  if (p != NULL) {
    mugai_policy_unref(p);
    return NULL;
  }
  g_autoptr(GString) all = g_string_new(problems->len ? "" : error->message);
  for (guint i = 0; i < problems->len; i++)
    g_string_append_printf(all, "%s\n", (const char *) g_ptr_array_index(problems, i));
  g_error_free(error);
  return g_string_free(g_steal_pointer(&all), FALSE);
}

static void
a_config_file_anyone_may_change_is_refused(void **state)
{
  fixture *f = *state;
  g_autofree char *why = load(f, "[notice]\nlanguage = en\n", 0666);
  assert_non_null(why);
  assert_non_null(strstr(why, "is writable by every user (mode 0666)"));
  assert_non_null(strstr(why, "chmod o-w"));
  g_free(why);
  why = load(f, "[notice]\nlanguage = en\n", 0644);
  assert_null(why);
}

static void
a_config_file_in_a_directory_anyone_may_write_is_refused(void **state)
{
  fixture *f = *state;
  assert_int_equal(g_chmod(f->dir, 0777), 0);
  g_autofree char *why = load(f, "[notice]\nlanguage = en\n", 0644);
  assert_non_null(why);
  assert_non_null(strstr(why, "(mode 0777, no sticky bit)"));
  g_free(why);
  assert_int_equal(g_chmod(f->dir, 01777), 0); /* as /tmp: nobody may replace another's file */
  why = load(f, "[notice]\nlanguage = en\n", 0644);
  assert_null(why);
}

static void
a_spool_dir_anyone_may_swap_files_in_is_refused(void **state)
{
  fixture *f = *state;
  g_autofree char *spool = g_build_filename(f->dir, "spool", NULL);
  assert_int_equal(g_mkdir(spool, 0700), 0);
  assert_int_equal(g_chmod(spool, 0777), 0);
  g_autofree char *text = g_strdup_printf("[milter]\nspool_dir = %s\n", spool);
  g_autofree char *why = load(f, text, 0600);
  assert_non_null(why);
  assert_non_null(strstr(why, "[milter] spool_dir:"));
  assert_non_null(strstr(why, "no sticky bit"));
  g_free(why);
  assert_int_equal(g_chmod(spool, 01777), 0);
  why = load(f, text, 0600);
  assert_null(why);
  g_free(why);
  /* the default, /var/tmp, is sticky (and a directory that does not exist yet is not refused) */
  why = load(f, "[milter]\nspool_dir = /var/tmp\n", 0600);
  assert_null(why);
}

static void
a_quarantine_dir_anyone_may_write_is_refused(void **state)
{
  fixture *f = *state;
  g_autofree char *store = g_build_filename(f->dir, "quarantine", NULL);
  assert_int_equal(g_mkdir(store, 0700), 0);
  assert_int_equal(g_chmod(store, 01777), 0); /* sticky or not: the store is its owner's */
  g_autofree char *text = g_strdup_printf("[quarantine]\ndir = %s\n", store);
  g_autofree char *why = load(f, text, 0600);
  assert_non_null(why);
  assert_non_null(strstr(why, "[quarantine] dir:"));
  assert_non_null(strstr(why, "writable by every user (mode 1777)"));
  g_free(why);
  assert_int_equal(g_chmod(store, 02770), 0);
  why = load(f, text, 0600);
  assert_null(why);
}

static void
the_milter_user_and_group_must_exist(void **state)
{
  fixture *f = *state;
  g_autofree char *why =
      load(f, "[milter]\nuser = mugai-no-such-user\ngroup = mugai-no-such-group\n", 0600);
  assert_non_null(why);
  assert_non_null(strstr(why, "[milter] user: \"mugai-no-such-user\": no such user"));
  assert_non_null(strstr(why, "[milter] group: \"mugai-no-such-group\": no such group"));
  g_free(why);
  why = load(f, "[milter]\nuser = root\ngroup = root\n", 0600);
  assert_null(why);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_config_file_anyone_may_change_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(a_config_file_in_a_directory_anyone_may_write_is_refused,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_spool_dir_anyone_may_swap_files_in_is_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_quarantine_dir_anyone_may_write_is_refused, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(the_milter_user_and_group_must_exist, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
