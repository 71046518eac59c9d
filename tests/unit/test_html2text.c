/* test_html2text.c — what a reader gets from HTML mail: exact text for each rendering rule,
 * the hiding rules, hostile input (depth, controls, malformed markup), the output cap, and links
 * through links.h (normal form, defanging per kind, IDN notes, the mismatch report). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize/html2text.h"

typedef struct {
  const char *name;
  const char *html;
  const char *expected;
} Case;

static const mugai_html_options default_options = { .max_output = 1 << 20, .max_depth = 256 };

#define NEWSLETTER_HTML \
  "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\">" \
  "<title>○○市メールマガジン</title>\n<style>td{font-size:14px}</style></head>\n<body>\n" \
  "<span style=\"display:none\">プレヘッダー：今月のお知らせ</span>\n" \
  "<table width=\"100%\" cellpadding=\"0\" cellspacing=\"0\"><tr><td align=\"center\">\n" \
  "<table width=\"600\">\n" \
  "<tr><td><a href=\"https://www.city.example.lg.jp/\"><img src=\"logo.png\" alt=\"○○市役所\"></a></td></tr>\n" \
  "<tr><td><h1>広報メールマガジン 第128号</h1></td></tr>\n" \
  "<tr><td>\n<h2>防災訓練のお知らせ</h2>\n" \
  "<p>令和6年4月20日（土）午前9時から、\n市内各地区で防災訓練を実施します。\n" \
  "詳しくは<a href=\"https://www.city.example.lg.jp/bousai/\">市ホームページ</a>をご覧ください。</p>\n" \
  "<table border=\"1\"><tr><th>日程</th><th>会場</th></tr>\n" \
  "<tr><td>4月20日</td><td>中央公民館</td></tr></table>\n</td></tr>\n" \
  "<tr><td style=\"font-size:12px;color:#777\">\n" \
  "<p>配信停止は<a href=\"https://mail.city.example.lg.jp/stop?id=1&amp;lang=ja\">こちら</a>。<br>\n" \
  "発行：○○市役所 広報課　<a href=\"mailto:koho@city.example.lg.jp\">koho@city.example.lg.jp</a></p>\n" \
  "<img src=\"https://track.example.com/o.gif\" width=\"1\" height=\"1\" alt=\"\">\n" \
  "</td></tr></table>\n</td></tr></table>\n<script>track();</script>\n</body></html>\n"

#define NEWSLETTER_TEXT \
  "[image: ○○市役所] <https://www.city.example.lg.jp/>\n\n" \
  "広報メールマガジン 第128号\n\n" \
  "防災訓練のお知らせ\n\n" \
  "令和6年4月20日（土）午前9時から、市内各地区で防災訓練を実施します。" \
  "詳しくは市ホームページ <https://www.city.example.lg.jp/bousai/>をご覧ください。\n\n" \
  "日程 | 会場\n" \
  "4月20日 | 中央公民館\n\n" \
  "配信停止はこちら <https://mail.city.example.lg.jp/stop?id=1&lang=ja>。\n" \
  "発行：○○市役所 広報課　koho@city.example.lg.jp\n"

static const Case cases[] = {
  /* Found by fuzz_html2text: four alike formatting elements ("Noah's Ark" keeps three) around
   * a misnested link; lifted attribute values must compare as the originals do. */
  { "four_alike_fonts_around_a_misnested_link_as_gumbo_nests_them",
    "<font face=\"Arial, Helvetica, sans-serif\"size=\"2\"><font face=\"Arial, Helvetica, sans-serif\""
    "size=\"2\"><font face=\"Arial, Helvetica, sans-serif\"size=\"2\"><font face=\"Arial, Helvetica, "
    "sans-serif\"size=\"2\"></font></font><a href=t></font>></font> ",
    "<t>> <t>\n" },
  { "paragraphs_are_separated_by_one_blank_line",
    "<p>一つ目</p><p>二つ目</p>後の文", "一つ目\n\n二つ目\n\n後の文\n" },
  { "br_breaks_lines_and_two_br_leave_one_blank_line",
    "一行目<br>二行目<br><br>三行目", "一行目\n二行目\n\n三行目\n" },
  { "br_at_end_of_block_adds_no_line", "<div>a<br></div><div>b</div>", "a\nb\n" },
  { "div_holding_only_br_is_a_blank_line", "<div>a</div><div><br></div><div>b</div>", "a\n\nb\n" },
  { "nbsp_spacer_lines_never_make_two_blank_lines",
    "<p>a</p><p>&nbsp;</p><div>&nbsp;</div><div>&nbsp;</div><p>b</p>", "a\n\nb\n" },
  { "headings_are_own_paragraphs_without_markers",
    "<h1>大見出し</h1>本文<h3>小見出し</h3><p>段落</p>", "大見出し\n\n本文\n\n小見出し\n\n段落\n" },
  { "nested_lists_indent_two_spaces_and_ol_honours_start",
    "<ul><li>りんご<ul><li>ふじ</li><li>つがる</li></ul></li><li>みかん</li></ul>"
    "<ol start=\"3\"><li>three</li><li>four<ol><li>four-one</li></ol></li></ol>",
    "- りんご\n  - ふじ\n  - つがる\n- みかん\n\n3. three\n4. four\n  1. four-one\n" },
  { "list_start_is_bounded_and_junk_start_means_one",
    "<ol start=\"99999999999999\"><li>a</li></ol><ol start=\" -2\"><li>b</li></ol>"
    "<ol start=\"x\"><li>c</li></ol>",
    "1000000000. a\n\n-2. b\n\n1. c\n" },
  { "list_item_continuation_lines_are_indented", "<ul><li>一<br>二</li></ul>", "- 一\n  二\n" },
  { "unclosed_list_items_still_get_markers", "<ul><li>a<li>b</ul>", "- a\n- b\n" },
  { "table_rows_become_lines_with_cell_separators",
    "<table><tr><th>名前</th><th>電話</th><th></th></tr>"
    "<tr><td>山田</td><td></td><td>備考あり</td></tr><tr><td></td><td>090</td></tr></table>",
    "名前 | 電話\n山田 |  | 備考あり\n090\n" },
  { "nested_tables_are_flattened_to_lines",
    "<table><tr><td>外<table><tr><td>内1</td><td>内2</td></tr></table></td><td>外2</td></tr></table>",
    "外\n内1 | 内2\n外2\n" },
  { "pre_text_is_kept_verbatim",
    "<p>前</p><pre>  code  line1\n\tindented\n\n  last</pre><p>後</p>",
    "前\n\n  code  line1\n\tindented\n\n  last\n\n後\n" },
  { "pre_inside_list_keeps_the_list_indent", "<ul><li><pre>a\n  b</pre></li></ul>", "- a\n    b\n" },
  { "whitespace_collapses_across_inline_tags", "<p>a <b>b</b> c</p>", "a b c\n" },
  { "leading_trailing_and_repeated_whitespace_collapses",
    "<p>  a\n\n  <i> b </i>  c  </p>", "a b c\n" },
  { "japanese_split_over_inline_tags_gets_no_spaces", "<p>こん<b>にち</b>は</p>", "こんにちは\n" },
  { "source_newline_between_japanese_characters_disappears",
    "<p>これは\n  改行を含む\n文章です。\nEnglish\nwords</p>",
    "これは改行を含む文章です。 English words\n" },
  { "explicit_space_between_japanese_words_is_kept", "<p>日本 語</p>", "日本 語\n" },
  { "ideographic_space_is_text_not_collapsible_space", "<p>　字下げ　　全角</p>", "　字下げ　　全角\n" },
  { "link_shows_target_after_its_text",
    "<p>日本語の<a href=\"https://example.jp/a\">リンク</a>です</p>",
    "日本語のリンク <https://example.jp/a>です\n" },
  { "link_whose_text_is_its_target_shows_it_once",
    "<a href=\"https://example.jp/\">https://example.jp/</a>", "https://example.jp/\n" },
  { "link_without_text_shows_its_target",
    "<a href=\"https://example.jp/x\"><img src=\"b.png\"></a>", "<https://example.jp/x>\n" },
  { "mailto_link_to_its_own_text_shows_text_once",
    "<a href=\"mailto:info@example.jp\">info@example.jp</a>", "info@example.jp\n" },
  { "mailto_link_with_other_text_shows_target",
    "<a href=\"mailto:info@example.jp\">お問い合わせ</a>", "お問い合わせ <mailto:info@example.jp>\n" },
  { "tel_link_to_its_own_number_shows_number_once",
    "電話 <a href=\"tel:0120-000-000\">0120-000-000</a>", "電話 0120-000-000\n" },
  { "javascript_link_target_is_dropped", "<a href=\"javascript:alert(1)\">押す</a>", "押す\n" },
  { "mixed_case_javascript_with_leading_spaces_is_dropped",
    "<a href=\"  JaVaScRiPt:alert(1)\">押す</a>", "押す\n" },
  { "javascript_with_tab_or_entity_inside_scheme_is_dropped",
    "<a href=\"java&#9;script:alert(1)\">a</a><a href=\"&#x6A;ava&#x0A;script:x\">b</a>", "ab\n" },
  { "data_and_vbscript_targets_are_dropped",
    "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">a</a> <a href=\"VBScript:msgbox\">b</a>", "a b\n" },
  { "other_schemes_such_as_file_are_dropped", "<a href=\"file://server/share\">共有</a>", "共有\n" },
  { "fragment_only_target_is_dropped", "<a href=\"#top\">ページ先頭へ</a>", "ページ先頭へ\n" },
  { "relative_target_is_kept_trimmed", "<a href=\" /path/page.html \">相対</a>", "相対 </path/page.html>\n" },
  { "newline_inside_target_is_removed",
    "<a href=\"https://exa\nmple.jp/\">x</a>", "x <https://example.jp/>\n" },
  { "anchor_without_href_is_plain_text", "<a name=\"top\">アンカー</a>", "アンカー\n" },
  { "image_alt_text_is_bracketed_and_trimmed",
    "<p>前<img src=\"a.png\" alt=\" 地図 \">後</p>", "前[image: 地図]後\n" },
  { "image_without_alt_or_blank_alt_shows_nothing",
    "<p>a<img src=\"a.png\"><img alt=\"\"><img alt=\"  \">b</p>", "ab\n" },
  { "script_style_head_title_template_noscript_are_omitted",
    "<head><title>題名</title><style>p{}</style><script>var x;</script></head><body>"
    "<template><p>テンプレ</p></template><noscript>JS無効</noscript><p>本文</p>"
    "<script>alert(1)</script><title>題2</title></body>",
    "本文\n" },
  { "embedded_content_is_omitted",
    "<p>本文</p><iframe src=\"x\">枠</iframe><svg><text>図</text></svg><object>物</object>"
    "<math><mi>x</mi></math><embed src=\"e\">", "本文\n" },
  { "comments_are_omitted", "前<!-- コメント -->後<!--[if mso]>MSO<![endif]-->", "前後\n" },
  { "hidden_and_display_none_are_omitted",
    "<p>本文</p><div hidden>隠し</div><span style=\"DISPLAY : None !important\">隠し2</span>"
    "<span style=\"color:red;display:none\">隠し3</span><span style=\"color:red\">見える</span>",
    "本文\n\n見える\n" },
  { "display_values_other_than_none_are_shown",
    "<span style=\"xdisplay:none\">a</span><span style=\"display:none-ish\">b</span>"
    "<span style=\"display:block; visibility:hidden\">c</span>", "abc\n" },
  { "entities_are_decoded", "<p>&amp; &nbsp; &#x3042;&lt;&gt;&quot;</p>", "&   あ<>\"\n" },
  { "leading_nbsp_indents_the_line", "<p>&nbsp;&nbsp;字下げ</p>", "  字下げ\n" },
  { "unclosed_tags_and_stray_end_tags_are_tolerated",
    "<p>一<p>二</b>三<div>四", "一\n\n二三\n\n四\n" },
  { "stray_end_p_makes_an_empty_paragraph", "前</p>後", "前\n\n後\n" },
  { "hr_becomes_a_dash_line", "上<hr>下", "上\n----------------------------------------\n下\n" },
  { "blockquote_is_set_off_by_blank_lines", "<p>返信です</p><blockquote>元の文</blockquote>続き",
    "返信です\n\n元の文\n\n続き\n" },
  { "ruby_reading_follows_in_parentheses",
    "<ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>と<ruby>読<rt>よ</rt></ruby>む",
    "漢字（かんじ）と読（よ）む\n" },
  { "crlf_source_line_ends_collapse_like_newlines", "<p>a\r\nb</p>", "a b\n" },
  { "empty_input_gives_empty_text", "", "" },
  { "whitespace_and_comments_only_give_empty_text", "  \n <!-- x --> \t", "" },
  { "realistic_japanese_newsletter_renders_fully", NEWSLETTER_HTML, NEWSLETTER_TEXT },
};

/* Links through links.h: what is shown with each defang kind, and what the report counts. */
typedef struct {
  const char *name;
  gboolean web, mailto, tel;
  const char *html;
  const char *expected;
  guint defanged, dropped, idn, mismatched;
} LinkCase;

static const LinkCase link_cases[] = {
  { "full_width_target_is_shown_normalised", FALSE, FALSE, FALSE,
    "<a href=\"ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ａ\">サイト</a>", "サイト <https://example.com/a>\n",
    0, 0, 0, 0 },
  { "full_width_text_of_its_own_target_shows_the_normal_form_after_it", FALSE, FALSE, FALSE,
    "<a href=\"ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／\">ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／</a>",
    "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ <https://example.com/>\n", 0, 0, 0, 0 },
  { "full_width_javascript_is_dropped_and_counted", FALSE, FALSE, FALSE,
    "<a href=\"ｊａｖａｓｃｒｉｐｔ：alert(1)\">押す</a>", "押す\n", 0, 1, 0, 0 },
  { "entity_written_javascript_is_dropped", FALSE, FALSE, FALSE,
    "<a href=\"&#106;avascript:alert(1)\">a</a><a href=\"&#x4A;AVA&#x53;CRIPT&colon;x\">b</a>",
    "ab\n", 0, 2, 0, 0 },
  { "javascript_behind_controls_and_ideographic_space_is_dropped", FALSE, FALSE, FALSE,
    "<a href=\"&#x3000;&#x1;\tjava&#x200B;script:x\">a</a>", "a\n", 0, 1, 0, 0 },
  { "vbscript_and_data_are_counted_as_dropped", FALSE, FALSE, FALSE,
    "<a href=\"vbscript:x\">a</a><a href=\"DATA:text/html,x\">b</a><a href=\"#top\">c</a>", "abc\n",
    0, 2, 0, 0 },
  { "idn_target_is_followed_by_its_punycode", FALSE, FALSE, FALSE,
    "<a href=\"https://例え.jp/\">例え</a>", "例え <https://例え.jp/> (xn--r8jz45g.jp)\n", 0, 0, 1, 0 },
  { "idn_text_of_its_own_target_gets_the_punycode_after_it", FALSE, FALSE, FALSE,
    "<a href=\"https://例え.jp/\">https://例え.jp/</a>", "https://例え.jp/ (xn--r8jz45g.jp)\n",
    0, 0, 1, 0 },
  { "web_defang_rewrites_targets_and_urls_in_text", TRUE, FALSE, FALSE,
    "<p>本文 https://x.example.jp/ と <a href=\"https://example.com/a\">サイト</a> と "
    "<a href=\"mailto:a@example.jp\">連絡</a></p>",
    "本文 hxxps://x[.]example[.]jp/ と サイト <hxxps://example[.]com/a> と 連絡 <mailto:a@example.jp>\n",
    2, 0, 0, 0 },
  { "web_defang_rewrites_a_link_text_that_is_its_target", TRUE, FALSE, FALSE,
    "<a href=\"https://www.example.jp/\">https://www.example.jp/</a>",
    "hxxps://www[.]example[.]jp/\n", 1, 0, 0, 0 },
  { "web_defang_of_idn_text_of_its_own_target", TRUE, FALSE, FALSE,
    "<a href=\"https://例え.jp/\">https://例え.jp/</a>", "hxxps://例え[.]jp/ (xn--r8jz45g[.]jp)\n",
    1, 0, 1, 0 },
  { "web_defang_catches_a_www_target_without_scheme", TRUE, FALSE, FALSE,
    "<a href=\"www.example.com\">x</a>", "x <www[.]example[.]com>\n", 1, 0, 0, 0 },
  { "mailto_defang_rewrites_targets_and_addresses_in_text", FALSE, TRUE, FALSE,
    "<a href=\"mailto:koho@city.example.lg.jp\">お問い合わせ</a> / "
    "<a href=\"mailto:koho@city.example.lg.jp\">koho@city.example.lg.jp</a> "
    "<a href=\"https://example.com/\">web</a>",
    "お問い合わせ <mailto[:]koho[@]city[.]example[.]lg[.]jp> / koho[@]city[.]example[.]lg[.]jp "
    "web <https://example.com/>\n", 2, 0, 0, 0 },
  { "tel_defang_rewrites_tel_targets_only", FALSE, FALSE, TRUE,
    "<a href=\"tel:+81-3-1234-5678\">電話</a> <a href=\"tel:0120-000-000\">0120-000-000</a> "
    "<a href=\"mailto:a@example.jp\">m</a>",
    "電話 <tel[:]+81-3-1234-5678> 0120-000-000 m <mailto:a@example.jp>\n", 1, 0, 0, 0 },
  { "visible_url_of_another_host_is_a_mismatch", FALSE, FALSE, FALSE,
    "<a href=\"https://click.mailer.example.com/r?id=1\">https://www.city.example.lg.jp/</a>",
    "https://www.city.example.lg.jp/ <https://click.mailer.example.com/r?id=1>\n", 0, 0, 0, 1 },
  { "tracking_redirect_behind_japanese_text_is_no_mismatch", FALSE, FALSE, FALSE,
    "<a href=\"https://click.example.com/?u=abc\">詳しくはこちら</a>",
    "詳しくはこちら <https://click.example.com/?u=abc>\n", 0, 0, 0, 0 },
  { "image_alt_naming_another_host_is_a_mismatch", FALSE, FALSE, FALSE,
    "<a href=\"https://evil.example/\"><img alt=\"bank.example.jp\"></a>",
    "[image: bank.example.jp] <https://evil.example/>\n", 0, 0, 0, 1 },
  { "newsletter_links_raise_no_mismatch", FALSE, FALSE, FALSE, NEWSLETTER_HTML, NEWSLETTER_TEXT,
    0, 0, 0, 0 },
  { "newsletter_with_every_kind_defanged", TRUE, TRUE, TRUE, NEWSLETTER_HTML,
    "[image: ○○市役所] <hxxps://www[.]city[.]example[.]lg[.]jp/>\n\n"
    "広報メールマガジン 第128号\n\n"
    "防災訓練のお知らせ\n\n"
    "令和6年4月20日（土）午前9時から、市内各地区で防災訓練を実施します。"
    "詳しくは市ホームページ <hxxps://www[.]city[.]example[.]lg[.]jp/bousai/>をご覧ください。\n\n"
    "日程 | 会場\n"
    "4月20日 | 中央公民館\n\n"
    "配信停止はこちら <hxxps://mail[.]city[.]example[.]lg[.]jp/stop?id=1&lang=ja>。\n"
    "発行：○○市役所 広報課　koho[@]city[.]example[.]lg[.]jp\n",
    4, 0, 0, 0 },
};

static void renders_links_as_expected(void **state)
{
  const LinkCase *c = *state;
  const mugai_link_options lo = { .defang_web = c->web, .defang_mailto = c->mailto,
                                  .defang_tel = c->tel };
  mugai_link_report report;
  mugai_link_report_init(&report);
  const mugai_html_options o = { .max_output = 1 << 20, .max_depth = 256, .links = &lo,
                                 .report = &report };
  char *text = mugai_html_to_text(c->html, strlen(c->html), &o, NULL);
  assert_string_equal(text, c->expected);
  g_free(text);
  const mugai_html_options whole = { .max_output = 1 << 20, .max_depth = 256, .links = &lo,
                                     .whole = TRUE };
  text = mugai_html_to_text(c->html, strlen(c->html), &whole, NULL);
  assert_string_equal(text, c->expected);
  g_free(text);
  assert_int_equal(report.defanged, c->defanged);
  assert_int_equal(report.dropped, c->dropped);
  assert_int_equal(report.idn, c->idn);
  assert_int_equal(report.mismatched_total, c->mismatched);
  mugai_link_report_clear(&report);
}

/* Every case also runs with gumbo parsing the document whole (no runs lifted, html_hoist.h):
 * the text must be the same byte for byte. */
static char *convert(const char *html, gsize len, const mugai_html_options *o, gboolean *truncated)
{
  char *text = mugai_html_to_text(html, len, o, truncated);
  assert_non_null(text);
  assert_true(g_utf8_validate(text, -1, NULL));
  mugai_html_options whole = *o;
  whole.whole = TRUE;
  whole.report = NULL; /* counted once */
  gboolean whole_truncated = FALSE;
  g_autofree char *whole_text = mugai_html_to_text(html, len, &whole, &whole_truncated);
  assert_string_equal(text, whole_text);
  if (truncated)
    assert_int_equal(*truncated, whole_truncated);
  return text;
}

static void renders_as_expected(void **state)
{
  const Case *c = *state;
  gboolean truncated = TRUE;
  g_autofree char *text = convert(c->html, strlen(c->html), &default_options, &truncated);
  assert_string_equal(text, c->expected);
  assert_false(truncated);
}

static void controls_and_nul_are_removed(void **state)
{
  (void)state;
  static const char html[] = "<p>a\x01" "b\x7f" "c\xc2\x85" "d\x00" "e\x1b[31mf</p>";
  g_autofree char *text = convert(html, sizeof html - 1, &default_options, NULL);
  assert_string_equal(text, "abcde[31mf\n");
}

static void controls_written_as_entities_are_removed(void **state)
{
  (void)state;
  static const char html[] = "<p>a&#1;b&#x7f;c&#x1b;d&#0;e</p>";
  g_autofree char *text = convert(html, sizeof html - 1, &default_options, NULL);
  assert_string_equal(text, "abcd\xef\xbf\xbd" "e\n");
}

static void invalid_utf8_becomes_replacement_characters(void **state)
{
  (void)state;
  static const char html[] = "<p>\xff" "a\xe3\x81</p>";
  g_autofree char *text = convert(html, sizeof html - 1, &default_options, NULL);
  assert_string_equal(text, "\xef\xbf\xbd" "a\xef\xbf\xbd\n");
}

static void null_input_with_zero_length_gives_empty_text(void **state)
{
  (void)state;
  g_autofree char *text = convert(NULL, 0, &default_options, NULL);
  assert_string_equal(text, "");
}

static char *nest(const char *open, const char *middle, const char *close, guint n)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < n; i++)
    g_string_append(s, open);
  g_string_append(s, middle);
  for (guint i = 0; i < n; i++)
    g_string_append(s, close);
  return g_string_free(s, FALSE);
}

static void ten_thousand_nested_divs_keep_their_text(void **state)
{
  (void)state;
  g_autofree char *html = nest("<div>", "深い<b>本文</b>", "</div>", 10000);
  g_autofree char *text = convert(html, strlen(html), &default_options, NULL);
  assert_string_equal(text, "深い本文\n");
}

/* The budget is on nesting, not on length: a long flat newsletter keeps all of its text. */
static void two_hundred_thousand_flat_tags_are_all_rendered(void **state)
{
  (void)state;
  const mugai_html_options o = { .max_output = 0, .max_depth = 0 };
  g_autofree char *html = nest("<p><b>段落</b></p>", "", "", 100000);
  gboolean truncated = TRUE;
  g_autofree char *text = convert(html, strlen(html), &o, &truncated);
  assert_false(truncated);
  assert_int_equal(strlen(text), 100000 * strlen("段落\n\n") - 1);
}

/* Twenty thousand nested elements are the most gumbo may be handed (about 0.7 s); past that
 * the rest of the input is cut with the marker, however the nesting is spelled. */
static void nesting_past_the_budget_is_cut_with_a_marker(void **state)
{
  (void)state;
  static const char *const opens[] = {"<div>", "<ul>", "<div></span>", "<b><i>"};
  for (gsize i = 0; i < G_N_ELEMENTS(opens); i++) {
    g_autofree char *html = nest(opens[i], "末尾", "", 40000);
    gboolean truncated = FALSE;
    g_autofree char *text = convert(html, strlen(html), &default_options, &truncated);
    assert_true(truncated);
    assert_null(strstr(text, "末尾"));
    assert_true(g_str_has_suffix(text, "[...]\n"));
  }
  g_autofree char *ok = nest("<div>", "末尾", "", 19000);
  g_autofree char *text = convert(ok, strlen(ok), &default_options, NULL);
  assert_string_equal(text, "末尾\n");
}

static void ten_thousand_unclosed_spans_keep_their_text(void **state)
{
  (void)state;
  g_autofree char *html = nest("<span>", "末尾", "", 10000);
  g_autofree char *text = convert(html, strlen(html), &default_options, NULL);
  assert_string_equal(text, "末尾\n");
}

static void elements_beyond_max_depth_are_flattened_but_keep_lines(void **state)
{
  (void)state;
  const mugai_html_options o = { .max_output = 4096, .max_depth = 2 };
  static const char html[] = "<div><div><ul><li>項目</li></ul><a href=\"https://x.jp/\">x</a>"
                             "<p>段落</p><span style=\"display:none\">隠し</span></div></div>";
  g_autofree char *text = convert(html, sizeof html - 1, &o, NULL);
  assert_string_equal(text, "項目\n\nx\n\n段落\n");
}

static void output_is_cut_at_a_utf8_boundary_with_a_marker(void **state)
{
  (void)state;
  /* 10 characters of 3 bytes; 17 bytes leave 10 for text once the 7-byte marker is counted */
  const mugai_html_options o = { .max_output = 17, .max_depth = 16 };
  gboolean truncated = FALSE;
  g_autofree char *text = convert("<p>あいうえおかきくけこ</p>", strlen("<p>あいうえおかきくけこ</p>"), &o, &truncated);
  assert_string_equal(text, "あいう\n[...]\n");
  assert_true(truncated);
  assert_true(strlen(text) <= o.max_output);
}

static void output_within_the_cap_is_not_truncated(void **state)
{
  (void)state;
  const mugai_html_options o = { .max_output = 64, .max_depth = 16 };
  gboolean truncated = TRUE;
  g_autofree char *text = convert("<p>あいうえおかきくけこ</p>", strlen("<p>あいうえおかきくけこ</p>"), &o, &truncated);
  assert_string_equal(text, "あいうえおかきくけこ\n");
  assert_false(truncated);
}

static void large_document_is_truncated_within_the_cap(void **state)
{
  (void)state;
  const mugai_html_options o = { .max_output = 1000, .max_depth = 64 };
  g_autofree char *html = nest("<p>日本語の段落です。</p>", "", "", 5000);
  gboolean truncated = FALSE;
  g_autofree char *text = convert(html, strlen(html), &o, &truncated);
  assert_true(truncated);
  assert_true(strlen(text) <= o.max_output);
  assert_true(g_str_has_prefix(text, "日本語の段落です。\n\n日本語の段落です。\n\n"));
  assert_true(g_str_has_suffix(text, "\n[...]\n"));
}

static void zero_max_output_means_no_cap(void **state)
{
  (void)state;
  const mugai_html_options o = { .max_output = 0, .max_depth = 0 };
  g_autofree char *html = nest("<p>段落</p>", "", "", 20000);
  gboolean truncated = TRUE;
  g_autofree char *text = convert(html, strlen(html), &o, &truncated);
  assert_false(truncated);
  assert_int_equal(strlen(text), 20000 * strlen("段落\n\n") - 1);
}

static void mismatch_warning_lists_text_and_target(void **state)
{
  (void)state;
  static const char html[] =
    "<p><a href=\"https://click.mailer.example.com/r?id=1\">https://www.city.example.lg.jp/</a></p>"
    "<p><a href=\"https://www.example.jp/\">example.jp</a></p>";
  const mugai_link_options lo = { .defang_web = TRUE };
  mugai_link_report report;
  mugai_link_report_init(&report);
  const mugai_html_options o = { .max_output = 4096, .max_depth = 64, .links = &lo,
                                 .report = &report };
  g_autofree char *text = convert(html, sizeof html - 1, &o, NULL);
  assert_string_equal(text, "hxxps://www[.]city[.]example[.]lg[.]jp/ "
                            "<hxxps://click[.]mailer[.]example[.]com/r?id=1>\n\n"
                            "example[.]jp <hxxps://www[.]example[.]jp/>\n");
  assert_int_equal(report.mismatched_total, 1);
  assert_int_equal(report.mismatched->len, 1);
  const mugai_link_warning *w = report.mismatched->pdata[0];
  assert_string_equal(w->text, "hxxps://www[.]city[.]example[.]lg[.]jp/");
  assert_string_equal(w->target, "hxxps://click[.]mailer[.]example[.]com/r?id=1");
  mugai_link_report_clear(&report);
}

static void mismatch_list_keeps_twenty_and_counts_all(void **state)
{
  (void)state;
  g_autoptr(GString) html = g_string_new(NULL);
  for (guint i = 0; i < 30; i++)
    g_string_append_printf(html, "<p><a href=\"https://evil%u.example/\">%s</a></p>", i,
                           "www.bank.example.jp");
  mugai_link_report report;
  mugai_link_report_init(&report);
  const mugai_html_options o = { .max_output = 1 << 20, .max_depth = 64, .report = &report };
  g_autofree char *text = convert(html->str, html->len, &o, NULL);
  assert_true(g_str_has_prefix(text, "www.bank.example.jp <https://evil0.example/>\n\n"));
  assert_int_equal(report.mismatched_total, 30);
  assert_int_equal(report.mismatched->len, MUGAI_LINK_WARNINGS_MAX);
  const mugai_link_warning *w = report.mismatched->pdata[19];
  assert_string_equal(w->text, "www.bank.example.jp");
  assert_string_equal(w->target, "https://evil19.example/");
  mugai_link_report_clear(&report);
}

static void over_long_target_is_dropped(void **state)
{
  (void)state;
  g_autoptr(GString) html = g_string_new("<a href=\"https://example.jp/");
  while (html->len < 9 + MUGAI_LINK_MAX_BYTES + 1)
    g_string_append_c(html, 'a');
  g_string_append(html, "\">長いリンク</a>");
  mugai_link_report report;
  mugai_link_report_init(&report);
  const mugai_html_options o = { .max_output = 1 << 20, .max_depth = 64, .report = &report };
  g_autofree char *text = convert(html->str, html->len, &o, NULL);
  assert_string_equal(text, "長いリンク\n");
  assert_int_equal(report.dropped, 1);
  mugai_link_report_clear(&report);
}

static void defanged_output_stays_within_the_cap(void **state)
{
  (void)state;
  g_autoptr(GString) html = g_string_new(NULL);
  for (guint i = 0; i < 200; i++)
    g_string_append(html, "<p>a.b.c.d https://a.b.c.d.e.f.g.example.jp/ www.a.b.c.d.jp</p>");
  const mugai_link_options lo = { .defang_web = TRUE };
  const mugai_html_options o = { .max_output = 1000, .max_depth = 64, .links = &lo };
  gboolean truncated = FALSE;
  g_autofree char *text = convert(html->str, html->len, &o, &truncated);
  assert_true(truncated);
  assert_true(strlen(text) <= o.max_output);
  assert_true(g_str_has_suffix(text, "\n[...]\n"));
  assert_null(strstr(text, "https://"));
}

int main(void)
{
  static const struct CMUnitTest extra[] = {
    cmocka_unit_test(controls_and_nul_are_removed),
    cmocka_unit_test(controls_written_as_entities_are_removed),
    cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
    cmocka_unit_test(null_input_with_zero_length_gives_empty_text),
    cmocka_unit_test(ten_thousand_nested_divs_keep_their_text),
    cmocka_unit_test(ten_thousand_unclosed_spans_keep_their_text),
    cmocka_unit_test(two_hundred_thousand_flat_tags_are_all_rendered),
    cmocka_unit_test(nesting_past_the_budget_is_cut_with_a_marker),
    cmocka_unit_test(elements_beyond_max_depth_are_flattened_but_keep_lines),
    cmocka_unit_test(output_is_cut_at_a_utf8_boundary_with_a_marker),
    cmocka_unit_test(output_within_the_cap_is_not_truncated),
    cmocka_unit_test(large_document_is_truncated_within_the_cap),
    cmocka_unit_test(zero_max_output_means_no_cap),
    cmocka_unit_test(mismatch_warning_lists_text_and_target),
    cmocka_unit_test(mismatch_list_keeps_twenty_and_counts_all),
    cmocka_unit_test(over_long_target_is_dropped),
    cmocka_unit_test(defanged_output_stays_within_the_cap),
  };
  struct CMUnitTest tests[G_N_ELEMENTS(cases) + G_N_ELEMENTS(link_cases) + G_N_ELEMENTS(extra)];
  gsize k = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++)
    tests[k++] = (struct CMUnitTest){ .name = cases[i].name,
                                      .test_func = renders_as_expected,
                                      .initial_state = (void *)&cases[i] };
  for (gsize i = 0; i < G_N_ELEMENTS(link_cases); i++)
    tests[k++] = (struct CMUnitTest){ .name = link_cases[i].name,
                                      .test_func = renders_links_as_expected,
                                      .initial_state = (void *)&link_cases[i] };
  for (gsize i = 0; i < G_N_ELEMENTS(extra); i++)
    tests[k++] = extra[i];
  return _cmocka_run_group_tests("html2text", tests, k, NULL, NULL);
}
