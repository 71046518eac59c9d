/* test_header_decode.c — header_decode.c against the header bytes Japanese mail really carries.
 *
 * Vectors were built with Python: base64/quoted-printable of cp932, utf-8 and euc_jp bytes; the
 * CP50220 ones (①㈱Ⅲ髙, which Python's iso2022_jp refuses) are cp932 bytes turned into JIS pairs
 * as tests/golden/make_inputs.py does. Raw 8-bit bytes are spelt \xNN throughout.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize/gmime_autoptr.h"
#include "sanitize/header_decode.h"
#include "thread_cpu_time.h"

/* "①議事録㈱.pdf" as CP50220, one word; then cut after "ESC $" and inside the second pair */
#define W_JIS "=?ISO-2022-JP?B?GyRCLSE1RDt2Tz8tahsoQi5wZGY=?="
#define W_JIS_CUT_ESC "=?ISO-2022-JP?B?GyQ=?= =?iso-2022-jp?b?Qi0hNUQ7dk8/LWobKEIucGRm?="
#define W_JIS_CUT_PAIR "=?ISO-2022-JP?B?GyRCLSE1?=\r\n =?ISO-2022-JP?B?RDt2Tz8tahsoQi5wZGY=?="
#define JIS_NAME "①議事録㈱.pdf"
#define W_SHIRYO "=?UTF-8?B?6LOH5paZ?=" /* 資料 */
#define SJIS_SUBJECT /* 【重要】会議のお知らせ */ \
  "\x81\x79\x8f\x64\x97\x76\x81\x7a\x89\xef\x8b\x63\x82\xcc\x82\xa8\x92\x6d\x82\xe7\x82\xb9"
#define SJIS_DAME "\x95\x5c\x83\x5c\x97\x5c\x92\xe8\x2e\x78\x6c\x73"      /* 表ソ予定.xls */
#define SJIS_YOTEIHYO "\x97\x5c\x92\xe8\x95\x5c"                          /* 予定表: ends 0x5C */
#define UTF8_REPORT "\xe5\xa0\xb1\xe5\x91\x8a\xe6\x9b\xb8\x2e\x70\x64\x66" /* 報告書.pdf */
#define JIS_KAIGI "\x1b\x24\x42\x32\x71\x35\x44\x1b\x28\x42"               /* 会議 */
#define EUC_NAME "\xb5\xc4\xbb\xf6\xcf\xbf\xa4\xce\xa4\xb4\xb0\xc6\xc6\xe2\x2e\x74\x78\x74"

typedef struct {
  const char *name; /* the behaviour, as the test is reported */
  const char *raw;
  const char *want; /* NULL: only valid UTF-8 without controls is asserted */
} text_case;

static const text_case text_cases[] = {
  {"iso2022jp_b_word_keeps_nec_extension_characters", W_JIS, JIS_NAME},
  {"iso2022jp_ibm_extension_and_roman_numeral_decoded", "=?ISO-2022-JP?B?GyRCfGI2Ni03GyhC?=",
   "髙橋Ⅲ"},
  {"iso2022jp_words_cut_mid_escape_joined_before_decoding", W_JIS_CUT_ESC, JIS_NAME},
  {"iso2022jp_words_cut_mid_character_across_folding_joined", W_JIS_CUT_PAIR, JIS_NAME},
  {"utf8_words_cut_mid_character_joined", "=?UTF-8?B?6Ziy5w==?= =?UTF-8?B?gb3jgaDjgojjgoo=?=",
   "防災だより"},
  {"shift_jis_b_word_decoded", "=?Shift_JIS?B?i2OOlpheLnhsc3g=?=", "議事録.xlsx"},
  {"utf8_q_word_underscore_is_space", "=?utf-8?q?=E8=AD=B0=E4=BA=8B_=E9=8C=B2?=", "議事 録"},
  {"mixed_charsets_in_one_subject_blank_between_words_dropped",
   "Re: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?= =?UTF-8?B?6LOH5paZ?= =?Shift_JIS?Q?=91=97=95=74?= (2)",
   "Re: 会議資料送付 (2)"},
  {"rfc2231_language_suffix_accepted", "=?UTF-8*ja?B?44GK55+l44KJ44Gb?=", "お知らせ"},
  {"word_glued_to_text_decoded", "Fw:" W_SHIRYO "(2)", "Fw:資料(2)"},
  {"word_inside_quotes_decoded", "\"" W_SHIRYO "\"", "\"資料\""},
  {"space_between_word_and_text_kept", W_SHIRYO " and " W_SHIRYO, "資料 and 資料"},
  {"folding_unfolded_and_tab_shown_as_space", " Meeting\r\n\tnotes\r\n", "Meeting notes"},
  {"malformed_b_text_left_intact", "=?UTF-8?B?@@@?=", "=?UTF-8?B?@@@?="},
  {"truncated_word_left_intact", "=?x?", "=?x?"},
  {"unknown_encoding_left_intact", "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
  {"empty_charset_left_intact", "=??B?QQ==?=", "=??B?QQ==?="},
  {"unterminated_word_left_intact", "=?UTF-8?B?QQ== tail", "=?UTF-8?B?QQ== tail"},
  {"malformed_word_beside_good_word_keeps_both", "=?x? " W_SHIRYO, "=?x? 資料"},
  {"q_word_with_bad_hex_keeps_equals", "=?UTF-8?Q?100=ZZ?=", "100=ZZ"},
  {"b_word_without_padding_decoded", "=?UTF-8?B?QUI?=", "AB"},
  {"raw_shift_jis_subject_detected", SJIS_SUBJECT, "【重要】会議のお知らせ"},
  {"raw_utf8_subject_kept", UTF8_REPORT, "報告書.pdf"},
  {"raw_iso2022jp_subject_detected", JIS_KAIGI " memo", "会議 memo"},
  {"decoded_crlf_becomes_space", "=?UTF-8?Q?a=0D=0Ab?=", "a  b"},
  {"unknown_charset_gives_valid_utf8", "=?x-unknown?B?gYKDhA==?=", NULL},
  {"ascii_unchanged", "Hello, world", "Hello, world"},
  {"empty_value_gives_empty_string", "", ""},
};

typedef struct {
  const char *name;
  const char *raw;
  const char *want;
} address_case;

static const address_case address_cases[] = {
  {"display_name_decoded_address_kept",
   "=?ISO-2022-JP?B?GyRCTmtMWhsoQiAbJEIwbE86GyhC?= <suzuki@example.co.jp>",
   "鈴木 一郎 <suzuki@example.co.jp>"},
  {"quoted_display_name_decoded", "\"" W_SHIRYO "\" <a@example.jp>", "\"資料\" <a@example.jp>"},
  {"word_inside_angle_brackets_untouched", W_SHIRYO " <" W_SHIRYO "@example.jp>",
   "資料 <" W_SHIRYO "@example.jp>"},
  {"every_name_in_a_folded_list_decoded",
   "a <a@x.jp>,\r\n " W_SHIRYO " <b@x.jp>, " W_JIS " <c@x.jp>",
   "a <a@x.jp>, 資料 <b@x.jp>, " JIS_NAME " <c@x.jp>"},
  {"comment_decoded", "a@x.jp (" W_SHIRYO ")", "a@x.jp (資料)"},
  {"unclosed_angle_bracket_kept", W_SHIRYO " <a@x.jp", "資料 <a@x.jp"},
  {"bare_address_unchanged", "taro@city.example.lg.jp", "taro@city.example.lg.jp"},
};

typedef struct {
  const char *name;
  const char *headers; /* the part's header block, without the blank line */
  const char *want;    /* NULL: the part has no name */
} name_case;

static const name_case name_cases[] = {
  {"iso2022jp_word_in_quoted_filename_decoded",
   "Content-Disposition: attachment; filename=\"" W_JIS "\"\r\n", JIS_NAME},
  {"iso2022jp_name_cut_mid_escape_in_quotes_joined",
   "Content-Type: application/pdf; name=\"" W_JIS_CUT_ESC "\"\r\n", JIS_NAME},
  {"words_folded_inside_quoted_filename_joined",
   "Content-Disposition: attachment; filename=\"" W_SHIRYO "\r\n " W_SHIRYO ".doc\"\r\n",
   "資料資料.doc"},
  {"shift_jis_word_unquoted_decoded",
   "Content-Disposition: attachment; filename==?Shift_JIS?B?i2OOlpheLnhsc3g=?=\r\n", "議事録.xlsx"},
  {"type_name_used_without_disposition", "Content-Type: application/pdf; name=\"a.pdf\"\r\n",
   "a.pdf"},
  {"disposition_filename_preferred_over_type_name",
   "Content-Type: application/pdf; name=\"type.pdf\"\r\n"
   "Content-Disposition: attachment; filename=\"disp.pdf\"\r\n", "disp.pdf"},
  {"rfc2231_utf8_continuations_joined",
   "Content-Disposition: attachment;\r\n filename*0*=UTF-8''%E4%BC%9A%E8%AD%B0;\r\n"
   " filename*1*=%E8%B3%87%E6%96%99;\r\n filename*2=\"_v2.docx\"\r\n", "会議資料_v2.docx"},
  {"rfc2231_continuations_sorted_by_index",
   "Content-Disposition: attachment; filename*1*=%E8%B3%87%E6%96%99.txt;"
   " filename*0*=utf-8'ja'%E4%BC%9A%E8%AD%B0\r\n", "会議資料.txt"},
  {"rfc2231_iso2022jp_percent_encoded_keeps_nec_extensions",
   "Content-Disposition: attachment; filename*=iso-2022-jp'ja'"
   "%1B%24%42%2D%21%35%44%3B%76%4F%3F%2D%6A%1B%28%42%2E%70%64%66\r\n", JIS_NAME},
  {"rfc2231_preferred_over_plain_filename",
   "Content-Disposition: attachment; filename=\"fallback.pdf\";"
   " filename*=UTF-8''%E5%A0%B1%E5%91%8A.pdf\r\n", "報告.pdf"},
  {"rfc2231_plain_segments_carrying_a_cut_word_decoded",
   "Content-Type: text/plain; name*0=\"=?ISO-2022-JP?B?GyRC\"; name*1=\"O3FOQRsoQg==?=.txt\"\r\n",
   "資料.txt"},
  {"rfc2231_missing_index_ends_the_name",
   "Content-Disposition: attachment; filename*0=a; filename*2=c\r\n", "a"},
  {"rfc2231_without_charset_detected",
   "Content-Disposition: attachment; filename*=''%E5%A0%B1%E5%91%8A.pdf\r\n", "報告.pdf"},
  {"rfc2231_percent_crlf_becomes_space",
   "Content-Disposition: attachment; filename*=UTF-8''a%0D%0Ab.txt\r\n", "a  b.txt"},
  {"raw_shift_jis_filename_keeps_5c_trail_bytes",
   "Content-Disposition: attachment; filename=\"" SJIS_DAME "\"\r\n", "表ソ予定.xls"},
  {"raw_shift_jis_name_ending_in_5c_before_quote",
   "Content-Disposition: attachment; filename=\"" SJIS_YOTEIHYO "\"; size=10\r\n", "予定表"},
  {"raw_utf8_filename_kept", "Content-Disposition: attachment; filename=\"" UTF8_REPORT "\"\r\n",
   "報告書.pdf"},
  {"raw_euc_jp_filename_detected", "Content-Disposition: attachment; filename=" EUC_NAME "\r\n",
   "議事録のご案内.txt"},
  {"malformed_word_in_filename_left_intact",
   "Content-Disposition: attachment; filename=\"=?UTF-8?B?@@@?=\"\r\n", "=?UTF-8?B?@@@?="},
  {"windows_directory_stripped_escaped",
   "Content-Disposition: attachment; filename=\"C:\\\\Users\\\\x\\\\a.exe\"\r\n", "a.exe"},
  {"windows_directory_stripped_unescaped",
   "Content-Disposition: attachment; filename=\"C:\\Users\\x\\a.exe\"\r\n", "a.exe"},
  {"unix_directory_traversal_stripped",
   "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n", "passwd"},
  {"drive_letter_without_slash_stripped", "Content-Disposition: attachment; filename=C:a.exe\r\n",
   "a.exe"},
  {"drive_letter_after_a_directory_stripped",
   "Content-Disposition: attachment; filename=\"dir/C:evil.exe\"\r\n", "evil.exe"},
  {"directory_in_encoded_word_stripped",
   "Content-Disposition: attachment; filename==?UTF-8?Q?=2E=2E/=E8=B3=87=E6=96=99?=\r\n", "資料"},
  {"dot_dot_alone_gives_null", "Content-Disposition: attachment; filename=\"..\"\r\n", NULL},
  {"no_name_gives_null",
   "Content-Type: application/pdf\r\nContent-Disposition: attachment\r\n", NULL},
  {"empty_filename_falls_back_to_type_name",
   "Content-Type: application/pdf; name=\"b.pdf\"\r\n"
   "Content-Disposition: attachment; filename=\"\"\r\n", "b.pdf"},
  {"duplicate_parameter_first_wins",
   "Content-Disposition: attachment; filename=first.pdf; filename=second.pdf\r\n", "first.pdf"},
  {"parameter_names_case_insensitive", "Content-Disposition: attachment; FileName=A.pdf\r\n",
   "A.pdf"},
  {"unquoted_value_with_spaces_trimmed",
   "Content-Disposition: attachment; filename= my file.pdf  ; size=3\r\n", "my file.pdf"},
  {"quoted_semicolon_kept", "Content-Disposition: attachment; filename=\"a;b.pdf\"\r\n",
   "a;b.pdf"},
  {"quoted_pair_unescaped",
   "Content-Disposition: attachment; filename=\"say \\\"hi\\\".txt\"\r\n", "say \"hi\".txt"},
};

static void test_text_case(void **state)
{
  const text_case *c = *state;
  g_autofree char *got = mugai_header_decode_text(c->raw);
  assert_non_null(got);
  assert_true(g_utf8_validate(got, -1, NULL));
  for (const char *p = got; *p; p++)
    assert_false((guchar)*p < 0x20 || *p == 0x7f);
  if (c->want != NULL)
    assert_string_equal(got, c->want);
}

static void test_address_case(void **state)
{
  const address_case *c = *state;
  g_autofree char *got = mugai_header_decode_address(c->raw);
  assert_string_equal(got, c->want);
}

/* A GMimePart parsed from HEADERS and a one-line body, as walk.c gets it. */
static GMimeObject *parse_part(const char *headers, gsize len)
{
  GByteArray *bytes = g_byte_array_new();
  g_byte_array_append(bytes, (const guint8 *)headers, (guint)len);
  g_byte_array_append(bytes, (const guint8 *)"\r\nbody\r\n", 8);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_byte_array(bytes);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  GMimeObject *part = g_mime_parser_construct_part(parser, NULL);
  assert_non_null(part);
  return part;
}

static void test_name_case(void **state)
{
  const name_case *c = *state;
  GMimeObject *part = parse_part(c->headers, strlen(c->headers));
  g_autofree char *got = mugai_part_filename(part);
  if (c->want == NULL)
    assert_null(got);
  else
    assert_string_equal(got, c->want);
  g_object_unref(part);
}

static void null_header_gives_null(void **state)
{
  (void)state;
  assert_null(mugai_header_decode_text(NULL));
  assert_null(mugai_header_decode_address(NULL));
}

/* The raw accessor is what makes the rest work: GMime's own value is decoded through iconv. */
static void raw_header_is_the_undecoded_value(void **state)
{
  (void)state;
  static const char h[] = "Content-Type: application/pdf; name=\"" W_JIS "\"\r\n";
  GMimeObject *part = parse_part(h, sizeof h - 1);
  const char *raw = mugai_object_get_raw_header(part, "content-type");
  assert_non_null(raw);
  assert_non_null(strstr(raw, W_JIS));
  assert_null(mugai_object_get_raw_header(part, "Content-Disposition"));
  g_object_unref(part);
}

/* Continuations are capped at 100 segments: index 99 is kept, index 100 is not. */
static void continuations_capped_at_100_segments(void **state)
{
  (void)state;
  for (guint count = 100; count <= 101; count++) {
    g_autoptr(GString) h = g_string_new("Content-Disposition: attachment");
    for (guint i = 0; i < count; i++)
      g_string_append_printf(h, ";\r\n filename*%u=%c", i, i == 99 ? 'z' : i == 100 ? 'y' : 'x');
    g_string_append(h, "\r\n");
    GMimeObject *part = parse_part(h->str, h->len);
    g_autofree char *got = mugai_part_filename(part);
    assert_non_null(got);
    assert_int_equal(strlen(got), 100);
    assert_int_equal(got[99], 'z');
    g_object_unref(part);
  }
}

/* Random headers built from the characters the parsers branch on: valid UTF-8, no controls. */
static void any_bytes_give_valid_utf8_without_controls(void **state)
{
  (void)state;
  static const char alphabet[] = "=?=?BbQq*'%;\"\\<> \t\r\nA/_-9\x1b\x81\x95\x5c\xe3\xff\x00";
  static const char *const prefixes[] = {"attachment; filename=", "attachment; filename*=",
                                         "a; filename*0*=", "a; filename=\"", "x/y; name="};
  GRand *rand = g_rand_new_with_seed(20261123);
  char buf[256];
  for (int round = 0; round < 2000; round++) {
    gsize len = (gsize)g_rand_int_range(rand, 0, sizeof buf);
    for (gsize i = 0; i < len; i++)
      buf[i] = alphabet[g_rand_int_range(rand, 0, sizeof alphabet - 2)];
    buf[len] = '\0';
    g_autofree char *text = mugai_header_decode_text(buf);
    g_autofree char *addr = mugai_header_decode_address(buf);
    assert_true(g_utf8_validate(text, -1, NULL) && g_utf8_validate(addr, -1, NULL));
    for (const char *p = text; *p; p++)
      assert_false((guchar)*p < 0x20);
    /* the same bytes as a parameter value (the parser itself refuses bare CR/LF in headers) */
    g_strdelimit(buf, "\r\n", ' ');
    g_autofree char *h = g_strconcat("Content-Disposition: ", prefixes[round % 5], buf,
                                     "\r\n", NULL);
    GMimeObject *part = parse_part(h, strlen(h));
    g_autofree char *name = mugai_part_filename(part);
    assert_true(name == NULL || (g_utf8_validate(name, -1, NULL) && *name != '\0' &&
                                 strchr(name, '/') == NULL && strchr(name, '\\') == NULL));
    g_object_unref(part);
  }
  g_rand_free(rand);
}

/* Megabyte header values, hostile and benign, decode in linear time. Only our calls are timed:
 * GMime's own parser is quadratic on "=?a?b?cccc" runs (a minute per MB), so that value is not
 * put through it here. */
static void megabyte_values_finish_quickly(void **state)
{
  (void)state;
  static const struct {
    const char *unit;
    gboolean gmime_parses_quickly;
  } units[] = {
    {"=?UTF-8?B?44GC?= ", TRUE},           /* one run of 60 000 words */
    {"=?UTF-8?B?44GC?= " SJIS_DAME, TRUE}, /* a charset call per word and per raw run */
    {"=?=?=?", TRUE},                      /* starts that never finish */
    {"=?a?b?cccc", FALSE},                 /* a word that stops at the third '?' */
    {"<<<<=?x", TRUE},                     /* address mode: '<' without '>' */
    {"; filename*0*=x", TRUE},             /* one parameter repeated 70 000 times */
  };
  gint64 spent = 0;
  for (gsize k = 0; k < G_N_ELEMENTS(units); k++) {
    g_autoptr(GString) v = g_string_new("attachment; filename=\"");
    while (v->len < (1u << 20))
      g_string_append(v, units[k].unit);
    gint64 start = thread_cpu_usec();
    g_autofree char *text = mugai_header_decode_text(v->str);
    g_autofree char *addr = mugai_header_decode_address(v->str);
    spent += thread_cpu_usec() - start;
    assert_true(g_utf8_validate(text, -1, NULL) && g_utf8_validate(addr, -1, NULL));
    if (k == 0)
      assert_non_null(strstr(text, "あああ"));
    if (!units[k].gmime_parses_quickly)
      continue;
    g_string_prepend(v, "Content-Disposition: ");
    g_string_append(v, "\r\n");
    GMimeObject *part = parse_part(v->str, v->len);
    start = thread_cpu_usec();
    g_autofree char *name = mugai_part_filename(part);
    spent += thread_cpu_usec() - start;
    if (k == 0)
      assert_non_null(strstr(name, "あああ"));
    g_object_unref(part);
  }
  /* about 0.3 s of CPU unsanitized; the bound leaves room for sanitizer builds, not for
   * quadratic. CPU time of this thread, so other tests running beside it do not count. */
  assert_true(spent < 10 * G_USEC_PER_SEC);
}

/* No C1 control (U+0080..U+009F, e.g. U+0085 NEL, U+009B CSI) survives either: header_decode.h
 * promises values "without control characters", and these are controls as much as CR and ESC
 * (seen while writing fuzz_header_decode). Reached through UTF-8 and through charsets that map
 * 0x80-0x9F to C1 (ISO-8859-2 here), in text, address and file name alike. */
static void c1_controls_become_spaces(void **state)
{
  (void)state;
  static const char *const values[] = {"=?UTF-8?Q?a=C2=85b=C2=9Bc?=", "=?iso-8859-2?Q?a=85b=9Bc?=",
                                       "a\xc2\x85" "b\xc2\x9b" "c"};
  for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
    g_autofree char *text = mugai_header_decode_text(values[i]);
    g_autofree char *addr = mugai_header_decode_address(values[i]);
    g_autofree char *h = g_strconcat("Content-Disposition: attachment; filename=\"", values[i],
                                     ".txt\"\r\n", NULL);
    GMimeObject *part = parse_part(h, strlen(h));
    g_autofree char *name = mugai_part_filename(part);
    g_object_unref(part);
    const char *got[] = {text, addr, name};
    for (gsize k = 0; k < G_N_ELEMENTS(got); k++) {
      assert_non_null(got[k]);
      assert_true(g_utf8_validate(got[k], -1, NULL));
      assert_true(got[k][0] == 'a' && strchr(got[k], 'b') && strchr(got[k], 'c'));
      for (const char *p = got[k]; *p; p = g_utf8_next_char(p)) {
        gunichar u = g_utf8_get_char(p);
        assert_false(u < 0x20 || (u >= 0x7F && u <= 0x9F));
      }
    }
  }
}

static int setup(void **state)
{
  (void)state;
  g_mime_init();
  return 0;
}

static int teardown(void **state)
{
  (void)state;
  g_mime_shutdown();
  return 0;
}

int main(void)
{
  struct CMUnitTest tests[G_N_ELEMENTS(text_cases) + G_N_ELEMENTS(address_cases) +
                          G_N_ELEMENTS(name_cases) + 6];
  gsize n = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(text_cases); i++)
    tests[n++] = (struct CMUnitTest){text_cases[i].name, test_text_case, NULL, NULL,
                                     (void *)&text_cases[i]};
  for (gsize i = 0; i < G_N_ELEMENTS(address_cases); i++)
    tests[n++] = (struct CMUnitTest){address_cases[i].name, test_address_case, NULL, NULL,
                                     (void *)&address_cases[i]};
  for (gsize i = 0; i < G_N_ELEMENTS(name_cases); i++)
    tests[n++] = (struct CMUnitTest){name_cases[i].name, test_name_case, NULL, NULL,
                                     (void *)&name_cases[i]};
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(null_header_gives_null);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(raw_header_is_the_undecoded_value);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(continuations_capped_at_100_segments);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(any_bytes_give_valid_utf8_without_controls);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(megabyte_values_finish_quickly);
  tests[n++] = (struct CMUnitTest)cmocka_unit_test(c1_controls_become_spaces);
  return cmocka_run_group_tests_name("header_decode", tests, setup, teardown);
}
