/* test_html_arena.c — gumbo's arena (sanitize/html_arena.h): aligned, separate blocks of any size,
 * all freed at once; its pool keeps a parse's chunks for the next parse (whose pages the kernel
 * then need not fault in and zero again), never those over MUGAI_HTML_ARENA_KEEP, and never more
 * than MUGAI_HTML_ARENA_POOL of them, from any number of threads. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include "sanitize/html2text.h"
#include "sanitize/html_arena.h"

static void
blocks_are_aligned_separate_and_whole(void **state)
{
  (void) state;
  mugai_html_arena arena = {.next_size = 4096};
  GPtrArray *blocks = g_ptr_array_new();
  GArray *sizes = g_array_new(FALSE, FALSE, sizeof(gsize));
  GRand *r = g_rand_new_with_seed(11);
  for (int i = 0; i < 3000; i++) { /* small ones, and some past any chunk (a chunk of their own) */
    gsize size = i % 500 == 499 ? 3 * 1024 * 1024 : (gsize) g_rand_int_range(r, 0, 3000);
    guint8 *p = mugai_html_arena_alloc(&arena, size);
    assert_non_null(p);
    assert_int_equal((guintptr) p % 16, 0);
    memset(p, i & 0xff, size);
    g_ptr_array_add(blocks, p);
    g_array_append_val(sizes, size);
  }
  for (guint i = 0; i < blocks->len; i++) { /* no block overwrote another */
    const guint8 *p = g_ptr_array_index(blocks, i);
    gsize size = g_array_index(sizes, gsize, i);
    for (gsize j = 0; j < size; j += 97)
      assert_int_equal(p[j], i & 0xff);
  }
  mugai_html_arena_free(&arena, g_ptr_array_index(blocks, 0)); /* a no-op: all go at clear */
  mugai_html_arena_clear(&arena);
  assert_null(arena.head);
  g_rand_free(r);
  g_array_free(sizes, TRUE);
  g_ptr_array_free(blocks, TRUE);
}

/* A newsletter-like document of about LEN bytes. */
static GString *
newsletter(gsize len)
{
  GString *html = g_string_new("<html><body>");
  for (int i = 0; html->len < len; i++)
    g_string_append_printf(html, "<p style=\"margin:0\">第%d号 お知らせ <a href=\"https://example.jp/%d\">"
                           "詳しく</a></p><table><tr><td>%d</td><td>会議室</td></tr></table>\n", i, i, i);
  g_string_append(html, "</body></html>");
  return html;
}

static char *
parse(const GString *html)
{
  mugai_html_options options = {0};
  char *text = mugai_html_to_text(html->str, html->len, &options, NULL);
  assert_non_null(strstr(text, "第3号 お知らせ"));
  return text;
}

#define POOL_MAX (MUGAI_HTML_ARENA_POOL * MUGAI_HTML_ARENA_KEEP)

static void
a_parse_leaves_its_chunks_for_the_next(void **state)
{
  (void) state;
  mugai_html_arena_drain();
  assert_int_equal(mugai_html_arena_kept_bytes(), 0);
  g_autoptr(GString) html = newsletter(150 * 1024); /* chunks of 600 KB and up */
  g_free(parse(html));
  gsize kept = mugai_html_arena_kept_bytes();
  assert_true(kept >= 600 * 1024);
  assert_true(kept <= POOL_MAX);
  /* The next arena takes a kept chunk instead of a new one, and gives it back. */
  mugai_html_arena arena = {.next_size = 32 * 1024};
  assert_non_null(mugai_html_arena_alloc(&arena, 100));
  assert_true(mugai_html_arena_kept_bytes() < kept);
  mugai_html_arena_clear(&arena);
  assert_int_equal(mugai_html_arena_kept_bytes(), kept);
  g_free(parse(html)); /* the same document again: no more is kept than for the first */
  assert_int_equal(mugai_html_arena_kept_bytes(), kept);
  mugai_html_arena_drain();
  assert_int_equal(mugai_html_arena_kept_bytes(), 0);
}

static void
chunks_over_the_keep_size_go_back_to_malloc(void **state)
{
  (void) state;
  mugai_html_arena_drain();
  mugai_html_arena arena = {.next_size = 4 * MUGAI_HTML_ARENA_KEEP};
  memset(mugai_html_arena_alloc(&arena, 1000), 1, 1000);
  memset(mugai_html_arena_alloc(&arena, 2 * MUGAI_HTML_ARENA_KEEP), 2, 2 * MUGAI_HTML_ARENA_KEEP);
  mugai_html_arena_clear(&arena);
  assert_int_equal(mugai_html_arena_kept_bytes(), 0);
}

static gpointer
parse_many(gpointer data)
{
  const GString *html = data;
  mugai_html_options options = {0};
  for (int i = 0; i < 20; i++) {
    g_autofree char *text = mugai_html_to_text(html->str, html->len, &options, NULL);
    if (strstr(text, "第1号 お知らせ") == NULL)
      return GINT_TO_POINTER(1);
  }
  return GINT_TO_POINTER(0);
}

static void
parses_on_many_threads_keep_the_pool_bounded(void **state)
{
  (void) state;
  g_autoptr(GString) html = newsletter(200 * 1024);
  GThread *threads[8];
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++) /* more than the pool holds */
    threads[i] = g_thread_new("parse", parse_many, html);
  for (guint i = 0; i < G_N_ELEMENTS(threads); i++)
    assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[i])), 0);
  assert_true(mugai_html_arena_kept_bytes() > 0);
  assert_true(mugai_html_arena_kept_bytes() <= POOL_MAX);
  mugai_html_arena_drain();
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(blocks_are_aligned_separate_and_whole),
    cmocka_unit_test(a_parse_leaves_its_chunks_for_the_next),
    cmocka_unit_test(chunks_over_the_keep_size_go_back_to_malloc),
    cmocka_unit_test(parses_on_many_threads_keep_the_pool_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
