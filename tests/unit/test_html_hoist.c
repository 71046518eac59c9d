/* test_html_hoist.c — which text html_hoist.h lifts out of a document before gumbo parses it,
 * which it must leave where it is (tags, unquoted values, comments, raw text, everything after
 * a tag that switches the tokenizer), and that the text nodes get the bytes back. That the
 * rendered text is the same either way is checked by every case of test_html2text.c and by
 * fuzz_html2text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize/html_hoist.h"

#define LONG_JA "日本語の文章がここに続きます" /* 42 bytes: long enough to lift */

/* The runs lifted from HTML, joined by "|" ("" when nothing was). */
static char *
lifted(const char *html)
{
  mugai_html_hoist h;
  GString *out = g_string_new(NULL);
  if (mugai_html_hoist_lift(&h, html, strlen(html))) {
    assert_true(h.html->len < strlen(html));
    for (guint i = 0; i < h.runs->len; i++) {
      const mugai_html_run *r = &g_array_index(h.runs, mugai_html_run, i);
      g_string_append_printf(out, "%s%.*s", i ? "|" : "", (int) r->length, html + r->offset);
    }
  }
  mugai_html_hoist_clear(&h);
  return g_string_free(out, FALSE);
}

static void
text_between_tags_is_lifted_without_its_white_space(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<p>  " LONG_JA "\n</p><div>" LONG_JA "</div>");
  assert_string_equal(runs, LONG_JA "|" LONG_JA);
}

static void
short_runs_stay(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<p>短い</p><td>abc</td>");
  assert_string_equal(runs, "");
}

static void
quoted_values_are_lifted_whole_and_the_tag_ends_after_them(void **state)
{
  (void) state;
  g_autofree char *runs =
      lifted("<p title=\"a > " LONG_JA "\" alt='" LONG_JA " > b' x=" LONG_JA ">" LONG_JA "</p>");
  assert_string_equal(runs, "a > " LONG_JA "|" LONG_JA " > b|" LONG_JA);
}

/* gumbo's tree builder compares formatting elements' attributes: equal values, one run. */
static void
equal_values_share_a_placeholder(void **state)
{
  (void) state;
  static const char html[] = "<font face=\"Arial, sans-serif\">a</font><font face=\"Arial, sans-serif\">"
                             "b</font><font face=\"Arial, serif\">c</font>";
  mugai_html_hoist h;
  assert_true(mugai_html_hoist_lift(&h, html, sizeof html - 1));
  assert_int_equal(h.runs->len, 2);
  assert_string_equal(h.html->str, "<font face=\"\xf3\xb0\x80\x80\">a</font><font face=\"\xf3\xb0\x80\x80\">"
                                   "b</font><font face=\"\xf3\xb0\x80\x81\">c</font>");
  mugai_html_hoist_clear(&h);
}

static void
values_with_references_or_read_by_the_tree_builder_stay(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<a href=\"https://example.jp/?a=1&amp;b=2\" x=\"short\">"
                                 "<input TYPE=\"hidden      \"><input type='checkbox  '>"
                                 "<annotation-xml encoding=\"text/html   \">"
                                 "<a href=\"https://example.jp/news/1.html\">");
  assert_string_equal(runs, "https://example.jp/news/1.html");
}

static void
comments_doctype_and_bogus_comments_stay(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\">"
                                 "<!-- " LONG_JA " --> one " LONG_JA "<!--> two " LONG_JA
                                 "<!---> three " LONG_JA "<!-- x --!> four " LONG_JA
                                 "<? " LONG_JA " > five " LONG_JA "</ " LONG_JA ">");
  assert_string_equal(runs, "one " LONG_JA "|two " LONG_JA "|three " LONG_JA "|four " LONG_JA
                            "|five " LONG_JA);
}

static void
runs_end_at_references_and_cr(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<p>" LONG_JA "&amp;" LONG_JA "&notit;" LONG_JA "\r\n" LONG_JA "</p>");
  assert_string_equal(runs, LONG_JA "|" LONG_JA "|" LONG_JA "|" LONG_JA);
}

static void
style_and_title_are_skipped_to_their_end_tags(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<title>" LONG_JA "</title><style>p{} </style2> " LONG_JA
                                 "</STYLE >" LONG_JA);
  assert_string_equal(runs, LONG_JA);
}

static void
nothing_is_lifted_after_a_tag_that_switches_the_tokenizer(void **state)
{
  (void) state;
  static const char *const tags[] = {"script", "plaintext", "svg", "math", "select", "frameset",
                                     "textarea", "xmp", "iframe", "noembed", "noframes",
                                     "noscript"};
  for (gsize i = 0; i < G_N_ELEMENTS(tags); i++) {
    g_autofree char *html = g_strdup_printf("<p>before " LONG_JA "</p><%s>" LONG_JA "</%s>"
                                            "<p>after " LONG_JA "</p>", tags[i], tags[i]);
    g_autofree char *runs = lifted(html);
    assert_string_equal(runs, "before " LONG_JA);
  }
}

static void
a_document_holding_a_placeholder_character_is_not_lifted(void **state)
{
  (void) state;
  g_autofree char *a = lifted("<p>" LONG_JA "</p>\xf3\xb0\x80\x80");     /* U+F0000 */
  g_autofree char *b = lifted("<p>" LONG_JA "\xf3\xbf\xbf\xbd</p>");     /* U+FFFFD */
  assert_string_equal(a, "");
  assert_string_equal(b, "");
}

static void
invalid_utf8_is_not_lifted(void **state)
{
  (void) state;
  g_autofree char *runs = lifted("<p>" LONG_JA "\xff</p><p>" LONG_JA "</p>");
  assert_string_equal(runs, LONG_JA);
}

static void
restore_gives_the_bytes_back_and_leaves_strangers(void **state)
{
  (void) state;
  static const char html[] = "<p>first " LONG_JA "</p><p>second " LONG_JA "</p>";
  mugai_html_hoist h;
  assert_true(mugai_html_hoist_lift(&h, html, sizeof html - 1));
  /* U+F0001, then U+F0009 (no run of this document), then U+F0000, then a cut one */
  static const char node[] = "x\xf3\xb0\x80\x81y\xf3\xb0\x80\x89\xf3\xb0\x80\x80z\xf3\xb0";
  GString *scratch = g_string_new(NULL);
  gsize len = sizeof node - 1;
  const char *back = mugai_html_hoist_restore(&h, node, &len, scratch);
  assert_string_equal(back, "xsecond " LONG_JA "y\xf3\xb0\x80\x89" "first " LONG_JA "z\xf3\xb0");
  assert_int_equal(len, strlen(back));
  static const char plain[] = "no placeholder here";
  len = sizeof plain - 1;
  assert_ptr_equal(mugai_html_hoist_restore(&h, plain, &len, scratch), plain); /* not copied */
  assert_int_equal(len, sizeof plain - 1);
  g_string_free(scratch, TRUE);
  mugai_html_hoist_clear(&h);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(text_between_tags_is_lifted_without_its_white_space),
      cmocka_unit_test(short_runs_stay),
      cmocka_unit_test(quoted_values_are_lifted_whole_and_the_tag_ends_after_them),
      cmocka_unit_test(values_with_references_or_read_by_the_tree_builder_stay),
      cmocka_unit_test(equal_values_share_a_placeholder),
      cmocka_unit_test(comments_doctype_and_bogus_comments_stay),
      cmocka_unit_test(runs_end_at_references_and_cr),
      cmocka_unit_test(style_and_title_are_skipped_to_their_end_tags),
      cmocka_unit_test(nothing_is_lifted_after_a_tag_that_switches_the_tokenizer),
      cmocka_unit_test(a_document_holding_a_placeholder_character_is_not_lifted),
      cmocka_unit_test(invalid_utf8_is_not_lifted),
      cmocka_unit_test(restore_gives_the_bytes_back_and_leaves_strangers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
