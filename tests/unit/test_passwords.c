/* test_passwords.c — the passwords of PPAP "password mails" as people write them, in Japanese and
 * English, are found (once each, in order, at their byte offsets); prose around a marker is not;
 * masks land on the right bytes; hostile input (16 MB, packed markers, invalid UTF-8, NUL bytes)
 * stays quick and safe. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "sanitize/passwords.h"

static GPtrArray *
find(const char *text)
{
  return mugai_password_candidates(text, strlen(text), 16);
}

/* The candidates of TEXT are exactly the NULL-terminated list that follows. */
static void
expect(const char *text, ...)
{
  g_autoptr(GPtrArray) got = find(text);
  va_list ap;
  va_start(ap, text);
  guint i = 0;
  for (const char *want; (want = va_arg(ap, const char *)) != NULL; i++) {
    if (i >= got->len)
      fail_msg("%s: candidate %u (%s) missing", text, i, want);
    const mugai_password_candidate *c = g_ptr_array_index(got, i);
    if (strcmp(c->password, want) != 0)
      fail_msg("%s: candidate %u is \"%s\", not \"%s\"", text, i, c->password, want);
    /* The span holds the raw token the candidate comes from. */
    assert_true(c->offset + c->length <= strlen(text));
  }
  va_end(ap);
  if (got->len != i)
    fail_msg("%s: %u candidates, not %u (first extra: %s)", text, got->len, i,
             ((const mugai_password_candidate *) g_ptr_array_index(got, i))->password);
}

static void
expect_none(const char *text)
{
  expect(text, NULL);
}

/* The first candidate of TEXT sits at the bytes of its first occurrence of TOKEN. */
static void
expect_span(const char *text, const char *token)
{
  g_autoptr(GPtrArray) got = find(text);
  assert_true(got->len >= 1);
  const mugai_password_candidate *c = g_ptr_array_index(got, 0);
  assert_int_equal(c->offset, (gsize) (strstr(text, token) - text));
  assert_int_equal(c->length, strlen(token));
}

static void
japanese_markers_and_separators(void **state)
{
  (void) state;
  expect("パスワード：Abc123", "Abc123", NULL);
  expect("パスワードは Abc123 です。", "Abc123", NULL);
  expect("パスワードはabc123です。", "abc123", NULL); /* Japanese ends the token */
  expect("パスワード=Abc123\n", "Abc123", NULL);
  expect("パスワード　→　Qw12er", "Qw12er", NULL); /* U+3000 and an arrow */
  expect("パスコード は 9876", "9876", NULL);
  expect("暗証番号：4321。", "4321", NULL);
  expect("解凍キー「abcd99」", "abcd99", NULL);
  expect("解凍用：zzz123", "zzz123", NULL);
  expect("密码：mima2024、密碼: mima2025", "mima2024", "mima2025", NULL);
  expect("パスワード(半角)：Ab12cd", "Ab12cd", NULL); /* a note in parentheses */
  expect("【パスワード】 Rq55tz", "Rq55tz", NULL);    /* the marker in a heading bracket */
  expect_span("お世話になります。\nパスワード：Abc123\nよろしく", "Abc123");
}

static void
markers_in_any_width_and_dash(void **state)
{
  (void) state;
  expect("ＰＷ：abcd1234", "abcd1234", NULL);
  expect("ｐｗ:abcd1235", "abcd1235", NULL);
  expect("ﾊﾟｽﾜｰﾄﾞ：Xy12ab", "Xy12ab", NULL);
  expect("パスワ－ド: qwer1234", "qwer1234", NULL);
  expect("パスワ-ド=qwer5678", "qwer5678", NULL);
  expect("PASSWORD: Upper999", "Upper999", NULL);
}

static void
latin_markers(void **state)
{
  (void) state;
  expect("PW: abc-123", "abc-123", NULL);
  expect("Passwd=foo_bar1", "foo_bar1", NULL);
  expect("P/W: hoge1234", "hoge1234", NULL);
  expect("PIN: 4321", "4321", NULL);
  expect("pwd: qwe123", "qwe123", NULL);
  expect("Passcode -> 555777", "555777", NULL);
  expect("PWは abcd777 です", "abcd777", NULL);
  expect("[PW] zz99yy", "zz99yy", NULL);
  expect("The password is Secret99!", "Secret99!", NULL);
  expect("PINコード：2468", "2468", NULL);
}

static void
brackets_delimit_the_token(void **state)
{
  (void) state;
  expect("解凍パスワード【 xY9#kLm2 】", "xY9#kLm2", NULL);
  expect("パスワード『Ab.cd,ef』", "Ab.cd,ef", NULL);   /* inside brackets nothing is trimmed */
  expect("Password: \"p@ss w0rd\"", "p@ss w0rd", NULL); /* spaces inside brackets stay */
  expect("Password: p@ss w0rd", "p@ss", NULL);          /* outside, a space ends it */
  expect("PW: (abc123", "abc123", NULL);                /* an opener without its closer */
  expect_span("解凍パスワード【 xY9#kLm2 】です", "xY9#kLm2");
}

static void
trailing_punctuation_is_tried_both_ways(void **state)
{
  (void) state;
  expect("The password is Secret99.", "Secret99", "Secret99.", NULL);
  expect("(PW: abc123)", "abc123", "abc123)", NULL);
  expect("PW: f(x)=y1", "f(x)=y1", NULL); /* its own parenthesis stays */
  expect("PW: abc123, then the file", "abc123", "abc123,", NULL);
}

static void
full_width_token_gives_both_forms(void **state)
{
  (void) state;
  const char *text = "パスワード「ｈｉｊ７８９」";
  expect(text, "ｈｉｊ７８９", "hij789", NULL);
  g_autoptr(GPtrArray) got = find(text);
  const mugai_password_candidate *a = g_ptr_array_index(got, 0), *b = g_ptr_array_index(got, 1);
  assert_int_equal(a->offset, strlen("パスワード「"));
  assert_int_equal(a->length, strlen("ｈｉｊ７８９"));
  assert_int_equal(b->offset, a->offset);
  assert_int_equal(b->length, a->length);
  expect("パスワード：ＡＢＣ１２３。", "ＡＢＣ１２３", "ABC123", NULL); /* 。ends it */
  expect("パスワード：ＡＢＣ１２３．", "ＡＢＣ１２３", "ABC123", NULL); /* so does ． */
}

static void
password_on_a_following_line(void **state)
{
  (void) state;
  expect("パスワードは下記の通りです。\n\nAbc123\n\nよろしくお願いします。", "Abc123", NULL);
  expect("パスワード：\n  Abc124\n", "Abc124", NULL);
  expect("> パスワード：\n> Zx98cv\n", "Zx98cv", NULL); /* quoted */
  expect("【パスワード】\n【 Br4nd 】\n", "Br4nd", NULL);
  expect("The password is below.\n\n  Tr0ub4dor\n", "Tr0ub4dor", NULL);
  expect("パスワード：\n以下をご確認ください\nQq12ww\n", "Qq12ww", NULL); /* 2nd non-empty line */
  expect_span("パスワードは以下です\n\nAbc123\n", "Abc123");
  /* Too far: three blank lines, or a third non-empty line, or a line that is not one token. */
  expect_none("パスワード：\n\n\n\nabc123\n");
  expect_none("パスワード：\n一行目\n二行目\nabc123\n");
  expect_none("パスワード：\nabc123 and more words\n");
}

static void
prose_after_markers_gives_nothing(void **state)
{
  (void) state;
  expect_none("The passage was long, the compass pointed north.");
  expect_none("PWM制御の資料を送ります。");
  expect_none("パスワードは別途お送りします");
  expect_none("パスワードは別途お送りします。\n\n田中");
  expect_none("パスワードを忘れた場合はこちら https://example.jp/reset");
  expect_none("Password reset: https://example.com/reset?id=1");
  expect_none("パスワード再設定：www.example.jp");
  expect_none("I will pass the file to you.");
  expect_none("パスワード【別途送付】");
  expect_none("パスワード：----------");
  expect_none("パスワード：abc"); /* under 4 characters */
  expect_none("Your password has expired.");
  expect_none("The password is below.");
  expect_none("spin pinned bypass: x1234"); /* not words of their own */
  expect_none("パスワード付きzipファイルを送ります。");
}

static void
next_marker_is_not_a_token(void **state)
{
  (void) state;
  expect("パスワード PW: abcd1234", "abcd1234", NULL);
  expect("解凍用パスワード：kk11jj", "kk11jj", NULL);
  expect("PW: pass1234", "pass1234", NULL); /* a password may start like a marker */
}

static void
each_password_once_in_order(void **state)
{
  (void) state;
  const char *text = "PW: abc123\n> PW: abc123\nパスワード：def456\nPW: abc123";
  expect(text, "abc123", "def456", NULL);
  expect_span(text, "abc123");
}

static void
at_most_max(void **state)
{
  (void) state;
  const char *text = "PW: aaaa1 PW: bbbb2 PW: cccc3 PW: dddd4 PW: eeee5";
  g_autoptr(GPtrArray) three = mugai_password_candidates(text, strlen(text), 3);
  assert_int_equal(three->len, 3);
  assert_string_equal(((mugai_password_candidate *) g_ptr_array_index(three, 2))->password,
                      "cccc3");
  g_autoptr(GPtrArray) none = mugai_password_candidates(text, strlen(text), 0);
  assert_int_equal(none->len, 0);
}

static void
max_bytes_respected(void **state)
{
  (void) state;
  g_autofree char *at_max = g_strnfill(MUGAI_PASSWORD_MAX_BYTES, 'a');
  g_autofree char *over = g_strnfill(MUGAI_PASSWORD_MAX_BYTES + 1, 'b');
  g_autofree char *t1 = g_strdup_printf("PW: %s\n", at_max);
  g_autofree char *t2 = g_strdup_printf("PW: %s\n", over);
  g_autofree char *t3 = g_strdup_printf("PW: 「%s」", over);
  expect(t1, at_max, NULL);
  expect_none(t2);
  expect_none(t3);
}

static void
invalid_utf8_and_nul_bytes(void **state)
{
  (void) state;
  static const char bad[] = "PW: abc123 \xff\xfe";
  g_autoptr(GPtrArray) a = mugai_password_candidates(bad, sizeof bad - 1, 16);
  assert_int_equal(a->len, 0);
  static const char nul[] = "PW: abcd1\0PW: efgh2\0";
  g_autoptr(GPtrArray) b = mugai_password_candidates(nul, sizeof nul - 1, 16);
  assert_int_equal(b->len, 2); /* NUL is white space */
  assert_string_equal(((mugai_password_candidate *) g_ptr_array_index(b, 1))->password, "efgh2");
  /* fuzz_passwords: an opening bracket as the text's last character, on a following line. */
  expect_none("【パスワード】\n【");
  expect_none("パスワード：「");
  static const char split[] = "PW: abc\xe3\0\x81\x82";
  g_autoptr(GPtrArray) c = mugai_password_candidates(split, sizeof split - 1, 16);
  assert_int_equal(c->len, 0);
  g_autoptr(GPtrArray) d = mugai_password_candidates(NULL, 0, 16);
  assert_int_equal(d->len, 0);
}

static void
mask_replaces_the_token_bytes(void **state)
{
  (void) state;
  const char *text = "田中様\nパスワード：Abc123\n解凍パスワード【 xY9#kLm2 】です。\n以上";
  g_autoptr(GPtrArray) got = find(text);
  assert_int_equal(got->len, 2);
  g_autoptr(GString) s = g_string_new(text);
  assert_int_equal(mugai_password_mask(s, got), 2);
  assert_string_equal(s->str,
                      "田中様\nパスワード：********\n解凍パスワード【 ******** 】です。\n以上");
}

static void
mask_merges_shared_spans(void **state)
{
  (void) state;
  const char *text = "パスワード「ｈｉｊ７８９」、PW: abc123.";
  g_autoptr(GPtrArray) got = find(text);
  assert_int_equal(got->len, 4); /* raw, ASCII; trimmed, whole */
  g_autoptr(GString) s = g_string_new(text);
  assert_int_equal(mugai_password_mask(s, got), 2);
  assert_string_equal(s->str, "パスワード「********」、PW: ********");
  /* Spans that are not in the text are ignored. */
  mugai_password_candidate bogus = {G_MAXSIZE - 2, 5, (char *) "x"};
  g_autoptr(GPtrArray) one = g_ptr_array_new();
  g_ptr_array_add(one, &bogus);
  g_autoptr(GString) t = g_string_new("short");
  assert_int_equal(mugai_password_mask(t, one), 0);
  assert_string_equal(t->str, "short");
}

static void
mask_all_masks_every_occurrence(void **state)
{
  (void) state;
  const char *text = "パスワード：ｈｉｊ７８９ｘ\n前回の hij789x と同じ。xhij789x は別。\n"
                     "> PW: hij789x";
  g_autoptr(GPtrArray) got = find(text);
  assert_int_equal(got->len, 2);
  const mugai_password_candidate *ascii = g_ptr_array_index(got, 1);
  assert_string_equal(ascii->password, "hij789x");
  g_autoptr(GString) s = g_string_new(text);
  assert_int_equal(mugai_password_mask_all(s, ascii->password), 3);
  assert_string_equal(s->str, "パスワード：********\n前回の ******** と同じ。xhij789x は別。\n"
                              "> PW: ********");
  g_autoptr(GString) t = g_string_new("abc abc");
  assert_int_equal(mugai_password_mask_all(t, "abc"), 0); /* never a candidate */
  assert_int_equal(mugai_password_mask_all(t, NULL), 0);
}

static void
markers_past_the_cap_are_not_read(void **state)
{
  (void) state;
  /* 1000 markers are read (a password mail has a handful); the 1001st is not. */
  GString *t = g_string_new("");
  for (int i = 0; i < 999; i++)
    g_string_append(t, "PW:\n");
  g_string_append(t, "PW: abcd1234\n");
  expect(t->str, "abcd1234", NULL);
  g_string_prepend(t, "PW:\n");
  expect_none(t->str);
  g_string_free(t, TRUE);
}

static double
seconds_for(const char *text, gsize len, guint *count)
{
  gint64 t0 = g_get_monotonic_time();
  g_autoptr(GPtrArray) got = mugai_password_candidates(text, len, 16);
  *count = got->len;
  return (double) (g_get_monotonic_time() - t0) / 1e6;
}

static void
huge_texts_stay_linear(void **state)
{
  (void) state;
  const gsize size = 16u << 20;
  /* 16 MB of Japanese and English prose with no marker. */
  const char *unit = "お世話になっております。資料を送付いたします。Please see the attached file. ";
  GString *prose = g_string_sized_new(size + 256);
  while (prose->len < size)
    g_string_append(prose, unit);
  guint n;
  double t = seconds_for(prose->str, prose->len, &n);
  assert_int_equal(n, 0);
  printf("# 16 MB without a marker: %.3f s\n", t);
  g_string_free(prose, TRUE);
  /* Markers packed into one line, each with an ASCII run, a bracket or a dash after it. */
  const char *packed[] = {"PW:-", "PW:(-", "パスワード下記", "p", "PW:\n", "ﾊﾟｽﾜｰﾄﾞ「"};
  for (gsize i = 0; i < G_N_ELEMENTS(packed); i++) {
    GString *h = g_string_sized_new(size + 16);
    while (h->len < size)
      g_string_append(h, packed[i]);
    t = seconds_for(h->str, h->len, &n);
    g_autofree char *shown = g_strescape(packed[i], NULL);
    printf("# 16 MB of \"%s\" repeated: %.3f s, %u candidates\n", shown, t, n);
    g_string_free(h, TRUE);
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(japanese_markers_and_separators),
      cmocka_unit_test(markers_in_any_width_and_dash),
      cmocka_unit_test(latin_markers),
      cmocka_unit_test(brackets_delimit_the_token),
      cmocka_unit_test(trailing_punctuation_is_tried_both_ways),
      cmocka_unit_test(full_width_token_gives_both_forms),
      cmocka_unit_test(password_on_a_following_line),
      cmocka_unit_test(prose_after_markers_gives_nothing),
      cmocka_unit_test(next_marker_is_not_a_token),
      cmocka_unit_test(each_password_once_in_order),
      cmocka_unit_test(at_most_max),
      cmocka_unit_test(max_bytes_respected),
      cmocka_unit_test(invalid_utf8_and_nul_bytes),
      cmocka_unit_test(mask_replaces_the_token_bytes),
      cmocka_unit_test(mask_merges_shared_spans),
      cmocka_unit_test(mask_all_masks_every_occurrence),
      cmocka_unit_test(markers_past_the_cap_are_not_read),
      cmocka_unit_test(huge_texts_stay_linear),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
