/* test_charset.c — charset.c against real Japanese mail bytes.
 *
 * Vectors come from Python's cp932 / euc_jp / iso2022_jp / utf-7 codecs; the CP50220 ones (NEC row
 * 13 and NEC-selected IBM rows, which Python's iso2022_jp refuses) are cp932 bytes turned into JIS
 * pairs by hand: ① 0x2D21, ㈱ 0x2D6A, Ⅲ 0x2D37, 髙 0x7C62 (Shift_JIS 0xEEE0).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize/charset.h"
#include "sanitize/charset_encode.h"

#define FFFD "\xef\xbf\xbd"
#define ESC "\x1b"
#define JIS_HELLO ESC "$B" "\x24\x33\x24\x73\x24\x4b\x24\x41\x24\x4f" ESC "(B"    /* こんにちは */
#define JIS_EXT ESC "$B" "\x2d\x21\x2d\x6a\x2d\x37\x7c\x62" ESC "(B"              /* ①㈱Ⅲ髙 */
#define SJIS_TEXT "\x93\xfa\x96\x7b\x8c\xea\x83\x65\x83\x4c\x83\x58\x83\x67"      /* 日本語テキスト */
#define EUC_TEXT "\xc6\xfc\xcb\xdc\xb8\xec\xa5\xc6\xa5\xad\xa5\xb9\xa5\xc8"       /* 日本語テキスト */
#define EUC_HELLO "\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf"                      /* こんにちは */
#define UTF8_TEXT "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88"

typedef struct {
  const char *name;     /* the behaviour, as the test is reported */
  const char *label;    /* NULL: no charset parameter */
  const char *in;
  size_t in_len;
  const char *want;     /* expected UTF-8 */
  const char *used;
  gboolean detected;
  gsize replacements;
} decode_case;

#define IN(s) s, sizeof(s) - 1

static const decode_case decode_cases[] = {
  {"iso2022jp_label_decodes_hiragana", "ISO-2022-JP", IN(JIS_HELLO), "こんにちは", "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_label_decodes_nec_row13_and_ibm_extensions", "iso-2022-jp", IN(JIS_EXT), "①㈱Ⅲ髙",
   "ISO-2022-JP", FALSE, 0},
  {"cp50220_label_is_read_as_iso2022jp", "CP50220", IN("a" JIS_EXT "b"), "a①㈱Ⅲ髙b", "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_esc_paren_i_gives_halfwidth_katakana", "iso-2022-jp", IN(ESC "(I\x3a\x5d" ESC "(B!"),
   "ｺﾝ!", "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_so_si_gives_halfwidth_katakana", "iso-2022-jp", IN("x\x0e\x3a\x5d\x0fy"), "xｺﾝy",
   "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_jisx0212_decoded_through_eucjp_ms", "iso-2022-jp-1", IN(ESC "$(D\x30\x21" ESC "(B"), "丂",
   "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_esc_paren_j_reads_as_ascii", "iso-2022-jp", IN(ESC "(Jc:\\tmp" ESC "(B"), "c:\\tmp",
   "ISO-2022-JP", FALSE, 0},
  {"iso2022jp_escape_cut_off_at_end_gives_one_replacement", "iso-2022-jp",
   IN(ESC "$B\x24\x33\x24\x73" ESC "("), "こん" FFFD, "ISO-2022-JP", FALSE, 1},
  {"iso2022jp_pair_cut_off_at_end_gives_one_replacement", "iso-2022-jp", IN(ESC "$B\x24\x33\x24"),
   "こ" FFFD, "ISO-2022-JP", FALSE, 1},
  {"iso2022jp_undefined_jis_cell_replaced_alone", "iso-2022-jp", IN(ESC "$B\x24\x33\x2f\x21\x24\x73"),
   "こ" FFFD "ん", "ISO-2022-JP", FALSE, 1},
  {"iso2022jp2_foreign_designation_replaced_per_character", "iso-2022-jp-2",
   IN("a" ESC "$A\x30\x21\x30\x22" ESC "(Bb"), "a" FFFD FFFD "b", "ISO-2022-JP", FALSE, 2},
  {"shift_jis_label_decodes_nec_and_ibm_extensions", "Shift_JIS",
   IN("\x87\x40\x87\x8a\x87\x56\xee\xe0\xfb\xfc"), "①㈱Ⅲ髙髙", "CP932", FALSE, 0},
  {"quoted_mixed_case_label_is_normalised", " \"X-SJIS\" ", IN(SJIS_TEXT), "日本語テキスト", "CP932",
   FALSE, 0},
  {"euc_jp_label_decodes_text", "EUC-JP", IN(EUC_TEXT), "日本語テキスト", "EUC-JP", FALSE, 0},
  {"utf8_label_passes_valid_text", "utf-8", IN(UTF8_TEXT), "日本語テキスト", "UTF-8", FALSE, 0},
  {"invalid_utf8_under_utf8_label_replaced_only_where_bad", "UTF-8",
   IN("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xff\xe3\x83\x86\xe3\x82\xad\xe3\x82\xb9\xe3\x83\x88\xe3\x81"),
   "日本語" FFFD "テキスト" FFFD, "UTF-8", FALSE, 2},
  {"unlabelled_shift_jis_detected_as_cp932", NULL, IN(SJIS_TEXT), "日本語テキスト", "CP932", TRUE, 0},
  {"unlabelled_euc_jp_detected", NULL, IN(EUC_TEXT), "日本語テキスト", "EUC-JP", TRUE, 0},
  {"unlabelled_euc_jp_hiragana_preferred_over_clean_cp932_reading", NULL, IN(EUC_HELLO), "こんにちは",
   "EUC-JP", TRUE, 0},
  {"unlabelled_utf8_detected_not_latin1", NULL, IN(UTF8_TEXT), "日本語テキスト", "UTF-8", TRUE, 0},
  {"unlabelled_iso2022jp_detected", NULL, IN(JIS_HELLO), "こんにちは", "ISO-2022-JP", TRUE, 0},
  {"us_ascii_label_on_utf8_data_detected_as_utf8", "us-ascii", IN(UTF8_TEXT), "日本語テキスト", "UTF-8",
   TRUE, 0},
  {"us_ascii_label_on_ascii_kept_as_is", "US-ASCII", IN("plain text\r\n"), "plain text\r\n", "US-ASCII",
   FALSE, 0},
  {"utf7_label_decodes", "UTF-7", IN("+MFMwkzBrMGEwbw-"), "こんにちは", "UTF-7", FALSE, 0},
  {"unknown_label_on_utf8_data_detected", "x-foo", IN(UTF8_TEXT), "日本語テキスト", "UTF-8", TRUE, 0},
  {"empty_input_gives_empty_string", NULL, IN(""), "", "US-ASCII", FALSE, 0},
  {"iso2022jp_label_on_shift_jis_data_overruled", "iso-2022-jp", IN(SJIS_TEXT), "日本語テキスト", "CP932",
   TRUE, 0},
  {"shift_jis_label_on_utf8_data_overruled", "shift_jis", IN(UTF8_TEXT), "日本語テキスト", "UTF-8", TRUE,
   0},
  {"shift_jis_label_on_iso2022jp_data_overruled", "shift_jis", IN(JIS_HELLO), "こんにちは", "ISO-2022-JP",
   TRUE, 0},
  {"latin1_label_reads_windows_1252", "ISO-8859-1", IN("caf\xe9 \x80"), "café €", "WINDOWS-1252", FALSE, 0},
  {"latin1_label_over_shift_jis_reads_as_cp932", "ISO-8859-1", IN("\x82\xa8\x92\x6d\x82\xe7\x82\xb9\x81\x46\x8e\xf3\x95\x74\x82\xcd\x82\x58\x8e\x9e\x82\xa9\x82\xe7\x82\xc5\x82\xb7\x81\x42"),
   "お知らせ：受付は９時からです。", "CP932", TRUE, 0},
  {"windows_1252_label_over_euc_jp_reads_as_euc_jp", "windows-1252", IN("\xbc\xf5\xc9\xd5\xa4\xcf\xa3\xb9\xbb\xfe\xa4\xab\xa4\xe9\xa4\xc7\xa4\xb9\xa1\xa3"),
   "受付は９時からです。", "EUC-JP", TRUE, 0},
  {"latin1_label_over_french_stays_latin1", "ISO-8859-1", IN("na\xefve r\xe9sum\xe9 cr\xe8me \xa9"),
   "naïve résumé crème ©", "WINDOWS-1252", FALSE, 0},
  {"unlabelled_latin1_falls_back_to_windows_1252", NULL, IN("caf\xe9 au lait"), "café au lait",
   "WINDOWS-1252", TRUE, 0},
  {"truncated_unlabelled_shift_jis_stays_japanese", NULL, IN(SJIS_TEXT "\x93"), "日本語テキスト" FFFD,
   "CP932", TRUE, 1},
  {"other_iconv_charset_decoded_and_named", "iso-8859-15", IN("\xa4"), "€", "ISO-8859-15", FALSE, 0},
  {"label_with_iconv_flags_is_not_passed_to_iconv", "utf-8//IGNORE", IN("a\xff" "b"), "aÿb",
   "WINDOWS-1252", TRUE, 0},
  {"nul_byte_becomes_replacement", NULL, IN("a\0b"), "a" FFFD "b", "US-ASCII", FALSE, 1},
};

static void test_decode_case(void **state)
{
  const decode_case *c = *state;
  mugai_charset_info info = {NULL, FALSE, 99};
  gsize out_len = 12345;
  char *out = mugai_charset_to_utf8(c->label, c->in, c->in_len, &out_len, &info);
  assert_non_null(out);
  assert_string_equal(out, c->want);
  assert_int_equal(out_len, strlen(c->want));
  assert_true(g_utf8_validate(out, -1, NULL));
  assert_string_equal(info.used, c->used);
  assert_int_equal(info.detected, c->detected);
  assert_int_equal(info.replacements, c->replacements);
  g_free(out);
}

typedef struct {
  const char *name;
  const char *html;
  const char *want; /* NULL: no charset found */
} sniff_case;

static const sniff_case sniff_cases[] = {
  {"html_meta_charset_found", "<html><head><meta charset=\"Shift_JIS\"></head>", "Shift_JIS"},
  {"html_meta_charset_unquoted_any_case", "<HTML><META CHARSET=euc-jp>", "euc-jp"},
  {"html_http_equiv_content_type_found",
   "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-2022-jp\">", "iso-2022-jp"},
  {"html_http_equiv_after_content_single_quoted",
   "<meta content='text/html;charset=UTF-8' http-equiv='content-type' />", "UTF-8"},
  {"html_without_meta_gives_null", "<html><body><p>charset=utf-8</p></body></html>", NULL},
  {"html_meta_in_comment_ignored", "<!-- <meta charset=\"cp932\"> --><p>x</p>", NULL},
  {"html_http_equiv_other_than_content_type_ignored",
   "<meta http-equiv=\"refresh\" content=\"0; charset=utf-8\">", NULL},
  {"html_charset_with_junk_rejected", "<meta charset=\"utf-8/../x\">", NULL},
};

static void test_sniff_case(void **state)
{
  const sniff_case *c = *state;
  char *got = mugai_html_sniff_charset(c->html, strlen(c->html));
  if (c->want == NULL)
    assert_null(got);
  else
    assert_string_equal(got, c->want);
  g_free(got);
}

static void html_meta_beyond_1024_bytes_ignored(void **state)
{
  (void)state;
  GString *html = g_string_new("<html><head>");
  while (html->len < 1100)
    g_string_append(html, "<p>padding</p>\n");
  g_string_append(html, "<meta charset=\"utf-8\">");
  char *got = mugai_html_sniff_charset(html->str, html->len);
  assert_null(got);
  /* a tag cut by the window end gives nothing either */
  g_string_truncate(html, 1005); /* the value is open at byte 1024 */
  g_string_append(html, "<meta charset=\"utf-8\">");
  got = mugai_html_sniff_charset(html->str, html->len);
  assert_null(got);
  /* the same tag inside the window is found */
  got = mugai_html_sniff_charset("<meta charset=\"utf-8\">", 22);
  assert_string_equal(got, "utf-8");
  g_free(got);
  g_string_free(html, TRUE);
}

static const char *const hostile_labels[] = {
  NULL, "", "utf-8", "iso-2022-jp", "shift_jis", "euc-jp", "utf-7", "us-ascii", "iso-8859-1",
  "x-foo", "utf-16", "gb18030", "iso-2022-kr", "\"", "utf-8//TRANSLIT",
};

static void any_bytes_under_any_label_give_valid_utf8(void **state)
{
  (void)state;
  GRand *rand = g_rand_new_with_seed(20240601);
  static const char biased[] = "\x1b$B(@I\x0e\x0f\x81\x8f\xa4\xe3\x21\x7e";
  guchar buf[512];
  for (int round = 0; round < 3000; round++) {
    gsize len = (gsize)g_rand_int_range(rand, 0, sizeof buf);
    for (gsize i = 0; i < len; i++) /* odd rounds: any byte; even: ESC, SO/SI and lead bytes */
      buf[i] = (round & 1) ? (guchar)g_rand_int(rand)
                           : (guchar)biased[g_rand_int_range(rand, 0, sizeof biased - 1)];
    const char *label = hostile_labels[round % G_N_ELEMENTS(hostile_labels)];
    mugai_charset_info info;
    gsize out_len;
    char *out = mugai_charset_to_utf8(label, (const char *)buf, len, &out_len, &info);
    assert_non_null(out);
    assert_int_equal(strlen(out), out_len);
    assert_true(g_utf8_validate(out, (gssize)out_len, NULL));
    assert_non_null(info.used);
    g_free(out);
  }
  g_rand_free(rand);
}

/* Several MB of bytes that fail every decoder must finish in linear time, not stall a worker. */
/* A UTF-8 label in a spelling mugai does not know goes to iconv, whose UTF-8 decoder passes
 * surrogates and code points past U+10FFFF through: found by fuzz_charset. */
static void iconv_output_is_valid_utf8_too(void **state)
{
  (void) state;
  static const char in[] = "\xe2\x91\xa0 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf ok";
  gsize len = 0;
  mugai_charset_info info = {0};
  g_autofree char *out = mugai_charset_to_utf8("U+TF-8", in, sizeof in - 1, &len, &info);
  assert_true(g_utf8_validate(out, (gssize) len, NULL));
  assert_non_null(strstr(out, "\xe2\x91\xa0"));   /* ① survives */
  assert_non_null(strstr(out, "\xef\xbf\xbd"));   /* the rest became U+FFFD */
  assert_non_null(strstr(out, " ok"));
}

static void large_hostile_input_finishes(void **state)
{
  (void)state;
  gsize len = 4u << 20;
  char *junk = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    junk[i] = (i % 3 == 0) ? '\x1b' : (i % 3 == 1) ? '\x81' : '\xff';
  static const char *const labels[] = {NULL, "iso-2022-jp", "utf-8", "shift_jis", "utf-7"};
  gint64 start = g_get_monotonic_time();
  for (gsize k = 0; k < G_N_ELEMENTS(labels); k++) {
    gsize out_len;
    mugai_charset_info info;
    char *out = mugai_charset_to_utf8(labels[k], junk, len, &out_len, &info);
    assert_true(g_utf8_validate(out, (gssize)out_len, NULL));
    assert_true(info.replacements > 0);
    g_free(out);
  }
  assert_true(g_get_monotonic_time() - start < 60 * G_USEC_PER_SEC);
  g_free(junk);
}

/* What mugai writes in ISO-2022-JP reads back, through its own decoder, as the same text: every
 * character of every JIS row it decodes, the CP932 extension rows included. */
static void iso2022jp_output_round_trips_every_character(void **state)
{
  (void)state;
  g_autoptr(GString) all = g_string_new(NULL);
  for (guint row = 0x21; row <= 0x7E; row++) {
    for (guint cell = 0x21; cell <= 0x7E; cell++) {
      char jis[8] = {'\x1b', '$', 'B', (char)row, (char)cell, '\x1b', '(', 'B'};
      mugai_charset_info info = {0};
      g_autofree char *u = mugai_charset_to_utf8("ISO-2022-JP", jis, sizeof jis, NULL, &info);
      gunichar c = g_utf8_get_char(u);
      if (info.replacements == 0 && c >= 0x80 && !(c >= 0xE000 && c <= 0xF8FF))
        g_string_append(all, u);
    }
    g_string_append_c(all, '\n');
  }
  assert_true(all->len > 7000 * 3);
  g_autoptr(GByteArray) jis = mugai_charset_utf8_to_iso2022jp(all->str, all->len);
  assert_non_null(jis);
  for (guint i = 0; i < jis->len; i++)
    assert_true(jis->data[i] < 0x80);
  g_autofree char *back = mugai_charset_to_utf8("ISO-2022-JP", (const char *)jis->data, jis->len, NULL, NULL);
  assert_string_equal(back, all->str);
  g_autoptr(GByteArray) kana = mugai_charset_utf8_to_iso2022jp("ｶﾞｲﾄﾞ①", strlen("ｶﾞｲﾄﾞ①"));
  g_autofree char *kana_back = mugai_charset_to_utf8("ISO-2022-JP", (const char *)kana->data, kana->len, NULL, NULL);
  assert_string_equal(kana_back, "ガイド①");
  assert_null(mugai_charset_utf8_to_iso2022jp("a😀", strlen("a😀")));
  assert_null(mugai_charset_utf8_to_iso2022jp("a\xff", 2));
}

static void null_info_and_out_len_accepted(void **state)
{
  (void)state;
  char *out = mugai_charset_to_utf8("utf-8", "ok", 2, NULL, NULL);
  assert_string_equal(out, "ok");
  g_free(out);
}

int main(void)
{
  struct CMUnitTest tests[G_N_ELEMENTS(decode_cases) + G_N_ELEMENTS(sniff_cases) + 6];
  gsize n = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(decode_cases); i++)
    tests[n++] = (struct CMUnitTest){decode_cases[i].name, test_decode_case, NULL, NULL,
                                     (void *)&decode_cases[i]};
  for (gsize i = 0; i < G_N_ELEMENTS(sniff_cases); i++)
    tests[n++] = (struct CMUnitTest){sniff_cases[i].name, test_sniff_case, NULL, NULL,
                                     (void *)&sniff_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(html_meta_beyond_1024_bytes_ignored);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(any_bytes_under_any_label_give_valid_utf8);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(large_hostile_input_finishes);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(null_info_and_out_len_accepted);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(iconv_output_is_valid_utf8_too);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(iso2022jp_output_round_trips_every_character);
  return cmocka_run_group_tests_name("charset", tests, NULL, NULL);
}
