/* test_links.c — links as the reader sees them: the normal form, the scheme allow-list including
 * obfuscated forms, each defang kind on and off, IDN punycode notes, the phishing check
 * (mismatch and no-mismatch cases), the report's cap, length limits and the plain-text pass. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sanitize/links.h"
#include "thread_cpu_time.h"

enum { WEB = 1, MAIL = 2, TEL = 4, ALL = 7 };

static mugai_link_options opts(int kinds)
{
  return (mugai_link_options){ .defang_web = (kinds & WEB) != 0,
                               .defang_mailto = (kinds & MAIL) != 0,
                               .defang_tel = (kinds & TEL) != 0 };
}

/* ---- one target: kind, what is shown, the punycode note, the comparison host ---- */

typedef struct {
  const char *name;
  const char *href;
  int defang;
  mugai_link_kind kind;
  const char *display; /* NULL: not shown */
  const char *note;
  const char *host;
} ParseCase;

static const ParseCase parse_cases[] = {
  { "web_link_is_shown_as_written", "https://example.com/a?b=1#c", 0, MUGAI_LINK_WEB,
    "https://example.com/a?b=1#c", NULL, "example.com" },
  { "https_is_defanged_to_hxxps_with_bracketed_dots", "https://example.com/a", WEB, MUGAI_LINK_WEB,
    "hxxps://example[.]com/a", NULL, "example.com" },
  { "http_is_defanged_to_hxxp", "http://www.example.co.jp/", WEB, MUGAI_LINK_WEB,
    "hxxp://www[.]example[.]co[.]jp/", NULL, "www.example.co.jp" },
  { "ftp_is_defanged_to_fxp", "ftp://files.example.org/pub/a.txt", WEB, MUGAI_LINK_WEB,
    "fxp://files[.]example[.]org/pub/a.txt", NULL, "files.example.org" },
  { "web_defang_leaves_mailto_alone", "mailto:a@example.com", WEB, MUGAI_LINK_MAILTO,
    "mailto:a@example.com", NULL, "example.com" },
  { "mailto_is_defanged_at_colon_at_sign_and_domain_dots", "mailto:a.b@example.com", MAIL,
    MUGAI_LINK_MAILTO, "mailto[:]a.b[@]example[.]com", NULL, "example.com" },
  { "mailto_defang_covers_every_address_and_the_query",
    "mailto:a@example.com,b@example.jp?cc=c@example.net&subject=Hi.", MAIL, MUGAI_LINK_MAILTO,
    "mailto[:]a[@]example[.]com,b[@]example[.]jp?cc=c[@]example[.]net&subject=Hi.", NULL,
    "example.com" },
  { "mailto_defang_leaves_web_alone", "https://example.com/", MAIL, MUGAI_LINK_WEB,
    "https://example.com/", NULL, "example.com" },
  { "tel_is_defanged_at_its_colon", "tel:+81-3-1234-5678", TEL, MUGAI_LINK_TEL,
    "tel[:]+81-3-1234-5678", NULL, NULL },
  { "tel_defang_leaves_web_alone", "http://example.com/", TEL, MUGAI_LINK_WEB,
    "http://example.com/", NULL, "example.com" },
  { "tel_without_defang_is_as_written", "tel:0120-000-000", WEB | MAIL, MUGAI_LINK_TEL,
    "tel:0120-000-000", NULL, NULL },
  { "upper_case_scheme_is_lowered_and_host_compared_in_lower_case", "HTTPS://Example.COM/Path",
    WEB, MUGAI_LINK_WEB, "hxxps://Example[.]COM/Path", NULL, "example.com" },
  { "userinfo_and_port_are_defanged_and_host_is_after_the_last_at",
    "http://bank.example.jp@evil.example:8080/x", WEB, MUGAI_LINK_WEB,
    "hxxp://bank[.]example[.]jp[@]evil[.]example:8080/x", NULL, "evil.example" },
  { "backslashes_after_the_scheme_are_read_as_slashes", "https:\\\\evil.example\\@bank.jp/", 0,
    MUGAI_LINK_WEB, "https:\\\\evil.example\\@bank.jp/", NULL, "evil.example" },
  { "nested_url_in_query_is_defanged_too",
    "https://click.example.com/?u=https://evil.example/&w=www.evil.example", WEB, MUGAI_LINK_WEB,
    "hxxps://click[.]example[.]com/?u=hxxps://evil.example/&w=www[.]evil.example", NULL,
    "click.example.com" },
  { "scheme_relative_target_is_web", "//cdn.example.com/x", WEB, MUGAI_LINK_WEB,
    "//cdn[.]example[.]com/x", NULL, "cdn.example.com" },
  { "relative_target_is_shown_trimmed_and_never_defanged", "  /path/page.html ", ALL,
    MUGAI_LINK_RELATIVE, "/path/page.html", NULL, NULL },
  { "idn_host_is_followed_by_its_punycode", "https://例え.jp/", 0, MUGAI_LINK_WEB,
    "https://例え.jp/", "xn--r8jz45g.jp", "xn--r8jz45g.jp" },
  { "idn_host_defanged_has_a_defanged_note", "https://例え.jp/", WEB, MUGAI_LINK_WEB,
    "hxxps://例え[.]jp/", "xn--r8jz45g[.]jp", "xn--r8jz45g.jp" },
  { "idn_mail_domain_gets_a_note", "mailto:info@例え.jp", 0, MUGAI_LINK_MAILTO,
    "mailto:info@例え.jp", "xn--r8jz45g.jp", "xn--r8jz45g.jp" },
  { "percent_encoded_host_gets_its_decoded_form", "https://%65xample.com/", 0, MUGAI_LINK_WEB,
    "https://%65xample.com/", "example.com", "example.com" },
  { "punycode_host_is_shown_as_is_without_note", "https://xn--r8jz45g.jp/", 0, MUGAI_LINK_WEB,
    "https://xn--r8jz45g.jp/", NULL, "xn--r8jz45g.jp" },
  { "trailing_dot_of_host_is_ignored", "https://example.jp./", 0, MUGAI_LINK_WEB,
    "https://example.jp./", NULL, "example.jp" },
  { "full_width_url_is_normalised", "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ａ", 0, MUGAI_LINK_WEB,
    "https://example.com/a", NULL, "example.com" },
  { "full_width_url_is_defanged_in_its_normal_form", "ｈｔｔｐｓ：／／ＥＸＡＭＰＬＥ．ｃｏｍ／", WEB,
    MUGAI_LINK_WEB, "hxxps://EXAMPLE[.]com/", NULL, "example.com" },
  { "ideographic_full_stops_are_dots", "https://example。co｡jp/", WEB, MUGAI_LINK_WEB,
    "hxxps://example[.]co[.]jp/", NULL, "example.co.jp" },
  { "full_width_at_sign_in_mailto_is_an_at_sign", "mailto:info＠example．jp", MAIL,
    MUGAI_LINK_MAILTO, "mailto[:]info[@]example[.]jp", NULL, "example.jp" },
  { "bidi_and_zero_width_characters_are_removed", "https://exa\u200Bmple.com/\u202Egpj.exe", 0,
    MUGAI_LINK_WEB, "https://example.com/gpj.exe", NULL, "example.com" },
  { "tab_and_newline_inside_are_removed", "ht\ttps://exa\nmple.jp/", 0, MUGAI_LINK_WEB,
    "https://example.jp/", NULL, "example.jp" },
  { "javascript_is_dropped", "javascript:alert(1)", 0, MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "mixed_case_javascript_is_dropped", "JaVaScRiPt:alert(1)", 0, MUGAI_LINK_DROPPED, NULL, NULL,
    NULL },
  { "full_width_javascript_is_dropped", "ｊａｖａｓｃｒｉｐｔ：alert(1)", 0, MUGAI_LINK_DROPPED,
    NULL, NULL, NULL },
  { "javascript_with_tab_newline_inside_is_dropped", "java\tscr\nipt:alert(1)", 0,
    MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "javascript_with_leading_spaces_and_controls_is_dropped", " \x01\x1f javascript:x", 0,
    MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "javascript_after_ideographic_space_and_nbsp_is_dropped", "　\u00A0javascript:x", 0,
    MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "javascript_with_zero_width_space_is_dropped", "java\u200Bscript:x", 0, MUGAI_LINK_DROPPED,
    NULL, NULL, NULL },
  { "javascript_with_space_inside_scheme_is_dropped", "java script:x", 0, MUGAI_LINK_DROPPED,
    NULL, NULL, NULL },
  { "vbscript_is_dropped", "VBScript:msgbox", 0, MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "data_is_dropped", "data:text/html;base64,PHNjcmlwdD4=", 0, MUGAI_LINK_DROPPED, NULL, NULL,
    NULL },
  { "full_width_data_is_dropped", "ｄａｔａ：text/html,x", 0, MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "unknown_scheme_is_dropped", "file://server/share", 0, MUGAI_LINK_DROPPED, NULL, NULL, NULL },
  { "fragment_only_is_nothing", "#top", 0, MUGAI_LINK_NONE, NULL, NULL, NULL },
  { "empty_is_nothing", "  ", 0, MUGAI_LINK_NONE, NULL, NULL, NULL },
};

static void parses_as_expected(void **state)
{
  const ParseCase *c = *state;
  mugai_link_options o = opts(c->defang);
  mugai_link link;
  mugai_link_parse(c->href, strlen(c->href), &o, &link);
  assert_int_equal(link.kind, c->kind);
  if (c->display)
    assert_string_equal(link.display, c->display);
  else
    assert_null(link.display);
  if (c->note)
    assert_string_equal(link.note, c->note);
  else
    assert_null(link.note);
  if (c->host)
    assert_string_equal(link.host, c->host);
  else
    assert_null(link.host);
  assert_int_equal(link.defanged, c->display && strcmp(c->display, link.url) != 0
                                     && (c->kind != MUGAI_LINK_RELATIVE));
  mugai_link_clear(&link);
}

/* ---- visible text vs target ---- */

typedef struct {
  const char *name;
  const char *href;
  const char *text;
  gboolean mismatch;
} MatchCase;

static const MatchCase match_cases[] = {
  { "text_url_of_another_host_is_a_mismatch", "https://click.mailer.example.com/r?id=1",
    "https://www.city.example.lg.jp/", TRUE },
  { "tracking_redirect_with_japanese_text_is_fine", "https://click.example.com/?u=abc",
    "詳しくはこちら", FALSE },
  { "click_here_is_fine", "https://evil.example/", "click here", FALSE },
  { "text_url_of_same_host_is_fine", "https://www.example.jp/news?utm=1",
    "https://www.example.jp/", FALSE },
  { "bare_domain_text_of_parent_host_is_fine", "https://www.example.jp/", "example.jp", FALSE },
  { "www_text_of_bare_host_is_fine", "https://example.jp/", "www.example.jp", FALSE },
  { "www_text_of_sibling_subdomain_is_fine", "https://shop.example.jp/", "www.example.jp", FALSE },
  { "host_that_only_starts_with_the_text_is_a_mismatch", "https://example.jp.evil.com/",
    "example.jp", TRUE },
  { "lookalike_suffix_is_a_mismatch", "https://evilexample.jp/", "example.jp", TRUE },
  { "sibling_subdomains_are_a_mismatch", "https://mail.example.jp/", "shop.example.jp", TRUE },
  { "bare_domain_inside_japanese_text_is_found", "https://click.mailer.example.com/",
    "市のサイトwww.city.example.lg.jpへ", TRUE },
  { "full_width_domain_text_is_normalised", "https://evil.example/", "ｂａｎｋ．ｅｘａｍｐｌｅ．ｊｐ",
    TRUE },
  { "full_width_domain_text_of_the_target_is_fine", "https://bank.example.jp/login",
    "ｂａｎｋ．ｅｘａｍｐｌｅ．ｊｐ", FALSE },
  { "case_and_trailing_dot_do_not_matter", "https://Bank.Example.JP./", "BANK.example.jp.", FALSE },
  { "idn_text_and_punycode_target_match", "https://xn--r8jz45g.jp/", "https://例え.jp/", FALSE },
  { "idn_text_and_other_target_mismatch", "https://xn--r8jz45g.com/", "https://例え.jp/", TRUE },
  { "userinfo_trick_is_a_mismatch", "https://bank.example.jp@evil.example/",
    "https://bank.example.jp/", TRUE },
  { "file_names_are_not_hosts", "https://cdn.example.com/report.pdf", "report.pdf", FALSE },
  { "version_numbers_are_not_hosts", "https://cdn.example.com/", "ver.2.0", FALSE },
  { "address_text_for_web_target_is_no_host", "https://forms.example.com/contact",
    "info@example.jp", FALSE },
  { "address_text_for_mailto_target_is_compared", "mailto:info@evil.example",
    "info@bank.example.jp", TRUE },
  { "address_text_of_mailto_target_is_fine", "mailto:koho@city.example.lg.jp",
    "koho@city.example.lg.jp", FALSE },
  { "tel_target_never_mismatches", "tel:0120-000-000", "www.bank.example.jp", FALSE },
  { "relative_target_never_mismatches", "/login", "www.bank.example.jp", FALSE },
  { "text_naming_the_target_among_others_is_fine", "https://www.example.jp/",
    "example.co.jp / www.example.jp", FALSE },
};

static void checks_text_as_expected(void **state)
{
  const MatchCase *c = *state;
  mugai_link link;
  mugai_link_report report;
  mugai_link_report_init(&report);
  mugai_link_parse(c->href, strlen(c->href), NULL, &link);
  assert_int_equal(mugai_link_check_text(&link, c->text, strlen(c->text), NULL, &report),
                   c->mismatch);
  assert_int_equal(report.mismatched_total, c->mismatch ? 1 : 0);
  assert_int_equal(report.mismatched->len, c->mismatch ? 1 : 0);
  mugai_link_clear(&link);
  mugai_link_report_clear(&report);
}

/* ---- plain text ---- */

typedef struct {
  const char *name;
  int defang;
  const char *in;
  const char *out;
  guint defanged;
} TextCase;

static const TextCase text_cases[] = {
  { "no_defang_leaves_text_as_written", 0, "見て https://example.com/ と www.example.com",
    "見て https://example.com/ と www.example.com", 0 },
  { "url_at_start_and_end_of_text", WEB, "https://a.example.jp/x と https://b.example.jp",
    "hxxps://a[.]example[.]jp/x と hxxps://b[.]example[.]jp", 2 },
  { "url_in_japanese_brackets_ends_at_the_bracket", WEB, "「https://example.jp/」",
    "「hxxps://example[.]jp/」", 1 },
  { "url_in_full_width_parentheses_ends_at_them", WEB, "（https://example.jp/a）",
    "（hxxps://example[.]jp/a）", 1 },
  { "url_directly_before_japanese_text_ends_there", WEB,
    "詳しくはhttps://example.jp/をご覧ください。", "詳しくはhxxps://example[.]jp/をご覧ください。", 1 },
  { "url_before_ideographic_full_stop_ends_there", WEB, "こちら https://example.jp。次",
    "こちら hxxps://example[.]jp。次", 1 },
  { "trailing_ascii_punctuation_is_left_out", WEB,
    "See https://example.com/a. Or (https://example.com/b), ok?",
    "See hxxps://example[.]com/a. Or (hxxps://example[.]com/b), ok?", 2 },
  { "balanced_parentheses_stay_in_the_url", WEB, "https://en.example.org/wiki/A_(b)!",
    "hxxps://en[.]example[.]org/wiki/A_(b)!", 1 },
  { "www_name_is_defanged", WEB, "www.example.com/path を参照", "www[.]example[.]com/path を参照", 1 },
  /* The sweep after the token passes: no linkifier, however liberal, finds a start in these. */
  { "www_inside_a_word_loses_its_dot", WEB, "awww.example.com", "awww[.]example[.]com", 1 },
  { "bare_domain_with_a_known_tld_is_defanged", WEB, "詳細は example.com まで、資料.zip は別",
    "詳細は example[.]com まで、資料.zip は別", 1 },
  { "idn_url_gets_its_punycode", WEB, "見て https://例え.jp/ です",
    "見て hxxps://例え[.]jp/ (xn--r8jz45g[.]jp) です", 1 },
  { "idn_host_ends_before_japanese_text", WEB, "https://例え.jpです",
    "hxxps://例え[.]jp (xn--r8jz45g[.]jp)です", 1 },
  { "full_width_url_is_left_as_written_without_defang", MAIL, "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／",
    "ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／", 0 },
  { "full_width_url_is_replaced_by_its_defanged_normal_form", WEB,
    "「ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｃｏｍ／ａ」", "「hxxps://example[.]com/a」", 1 },
  { "mailto_url_is_defanged", MAIL, "mailto:info@example.jp まで",
    "mailto[:]info[@]example[.]jp まで", 1 },
  { "bare_address_is_defanged_with_mailto", MAIL, "連絡先：koho@city.example.lg.jp。",
    "連絡先：koho[@]city[.]example[.]lg[.]jp。", 1 },
  { "url_after_ideographic_full_stop_is_found", WEB, "です。https://example.jp",
    "です。hxxps://example[.]jp", 1 },
  { "full_width_address_is_normalised_and_defanged", MAIL, "ｉｎｆｏ＠ｅｘａｍｐｌｅ．ｊｐ",
    "info[@]example[.]jp", 1 },
  { "address_without_domain_dot_loses_its_at", MAIL, "user@localhost", "user[@]localhost", 1 },
  { "chain_of_addresses_loses_every_at", MAIL, "a@b.jp@c.jp@d.jp@e.jp@f.jp@evil.example",
    "a[@]b[.]jp[@]c[.]jp[@]d.jp[@]e.jp[@]f.jp[@]evil.example", 6 },
  { "bare_address_is_left_by_web_defang", WEB, "a@example.com", "a@example.com", 0 },
  { "tel_url_is_defanged", TEL, "電話 tel:+81-3-1234-5678 まで", "電話 tel[:]+81-3-1234-5678 まで", 1 },
  { "bare_numbers_are_left", TEL, "電話 03-1234-5678", "電話 03-1234-5678", 0 },
  { "each_kind_only_when_asked", WEB | TEL, "https://a.jp mailto:b@c.jp tel:1",
    "hxxps://a[.]jp mailto:b@c.jp tel[:]1", 2 },
  { "redirect_with_nested_url_is_one_url", WEB, "https://r.example.com/?u=https://evil.example/x",
    "hxxps://r[.]example[.]com/?u=hxxps://evil.example/x", 1 },
  { "defanged_text_is_not_defanged_again", ALL,
    "hxxps://example[.]com mailto[:]a[@]b[.]jp a[@]b[.]jp tel[:]1 www[.]a[.]jp",
    "hxxps://example[.]com mailto[:]a[@]b[.]jp a[@]b[.]jp tel[:]1 www[.]a[.]jp", 0 },
  { "scheme_glued_to_a_word_is_defanged_too", WEB, "xhttps://example.com 1.http://e.jp -ftp://x",
    "xhxxps://example.com 1.hxxp://e.jp -fxp://x", 3 },
  { "scheme_alone_is_defanged", WEB, "https:// と http://", "hxxps:// と hxxp://", 2 },
  { "file_url_is_defanged", WEB, "file://server/share/a.exe", "fxle://server/share/a.exe", 1 },
  { "unc_path_is_defanged", WEB, "共有: \\\\fileserver\\share\\a.xlsx と \\\\ だけ",
    "共有: [\\\\]fileserver\\share\\a.xlsx と \\\\ だけ", 1 },
  { "url_after_equals_sign_is_found", WEB, "url=https://example.com", "url=hxxps://example[.]com",
    1 },
  { "invalid_utf8_ends_a_url_and_is_left", WEB, "https://example.com/a\xff\xfe b",
    "hxxps://example[.]com/a\xff\xfe b", 1 },
};

static void processes_text_as_expected(void **state)
{
  const TextCase *c = *state;
  mugai_link_options o = opts(c->defang);
  mugai_link_report report;
  mugai_link_report_init(&report);
  g_autoptr(GString) s = g_string_new(c->in);
  mugai_links_process_text(s, 0, &o, &report);
  assert_string_equal(s->str, c->out);
  assert_int_equal(report.defanged, c->defanged);
  mugai_link_report_clear(&report);
}

/* ---- the rest ---- */

static void hosts_related_compares_by_subdomain(void **state)
{
  (void)state;
  assert_true(mugai_link_hosts_related("example.jp", "example.jp"));
  assert_true(mugai_link_hosts_related("a.b.example.jp", "example.jp"));
  assert_true(mugai_link_hosts_related("example.jp", "a.example.jp"));
  assert_true(mugai_link_hosts_related("www.example.jp", "example.jp"));
  assert_false(mugai_link_hosts_related("example.jp.evil.com", "example.jp"));
  assert_false(mugai_link_hosts_related("badexample.jp", "example.jp"));
  assert_false(mugai_link_hosts_related("example.com", "com")); /* a bare TLD is no one's parent */
}

static void report_keeps_twenty_warnings_and_counts_all(void **state)
{
  (void)state;
  mugai_link_report report;
  mugai_link_report_init(&report);
  mugai_link link;
  mugai_link_parse("https://evil.example/", strlen("https://evil.example/"), NULL, &link);
  for (guint i = 0; i < 25; i++) {
    g_autofree char *text = g_strdup_printf("https://bank%u.example.jp/", i);
    assert_true(mugai_link_check_text(&link, text, strlen(text), NULL, &report));
  }
  assert_int_equal(report.mismatched_total, 25);
  assert_int_equal(report.mismatched->len, MUGAI_LINK_WARNINGS_MAX);
  const mugai_link_warning *w = report.mismatched->pdata[19];
  assert_string_equal(w->text, "https://bank19.example.jp/");
  assert_string_equal(w->target, "https://evil.example/");
  mugai_link_clear(&link);
  mugai_link_report_clear(&report);
  assert_null(report.mismatched);
  mugai_link_report_clear(&report); /* twice is fine */
}

static void warning_is_display_safe_and_defanged_when_asked(void **state)
{
  (void)state;
  mugai_link_options o = opts(WEB);
  mugai_link_report report;
  mugai_link_report_init(&report);
  mugai_link link;
  mugai_link_parse("https://例え.com/", strlen("https://例え.com/"), &o, &link);
  static const char text[] = "\u202Ehttps://www.city.example.lg.jp/\n\x01 ログイン";
  assert_true(mugai_link_check_text(&link, text, sizeof text - 1, &o, &report));
  const mugai_link_warning *w = report.mismatched->pdata[0];
  assert_string_equal(w->text, "hxxps://www[.]city[.]example[.]lg[.]jp/ ログイン");
  assert_string_equal(w->target, "hxxps://例え[.]com/ (xn--r8jz45g[.]com)");
  mugai_link_clear(&link);
  mugai_link_report_clear(&report);
}

static void long_warning_text_is_cut_with_an_ellipsis(void **state)
{
  (void)state;
  mugai_link_report report;
  mugai_link_report_init(&report);
  mugai_link link;
  mugai_link_parse("https://evil.example/", strlen("https://evil.example/"), NULL, &link);
  g_autoptr(GString) text = g_string_new("www.bank.example.jp ");
  for (guint i = 0; i < 100; i++)
    g_string_append(text, "あ");
  assert_true(mugai_link_check_text(&link, text->str, text->len, NULL, &report));
  const mugai_link_warning *w = report.mismatched->pdata[0];
  assert_true(strlen(w->text) <= 200 + strlen("…"));
  assert_true(g_str_has_suffix(w->text, "あ…"));
  assert_true(g_utf8_validate(w->text, -1, NULL));
  mugai_link_clear(&link);
  mugai_link_report_clear(&report);
}

static void target_over_the_limit_is_dropped(void **state)
{
  (void)state;
  g_autoptr(GString) href = g_string_new("https://example.jp/");
  while (href->len < MUGAI_LINK_MAX_BYTES)
    g_string_append_c(href, 'a');
  mugai_link link;
  mugai_link_parse(href->str, href->len, NULL, &link);
  assert_int_equal(link.kind, MUGAI_LINK_WEB); /* exactly at the limit: shown */
  mugai_link_clear(&link);
  g_string_append_c(href, 'a');
  mugai_link_parse(href->str, href->len, NULL, &link);
  assert_int_equal(link.kind, MUGAI_LINK_DROPPED);
  assert_null(link.display);
  mugai_link_clear(&link);
}

static void long_url_in_text_is_defanged_at_its_start(void **state)
{
  (void)state;
  mugai_link_options o = opts(WEB);
  g_autoptr(GString) s = g_string_new("x https://example.jp/");
  for (guint i = 0; i < 3 * MUGAI_LINK_MAX_BYTES; i++)
    g_string_append_c(s, 'a');
  gsize len = s->len;
  mugai_links_process_text(s, 0, &o, NULL);
  assert_true(g_str_has_prefix(s->str, "x hxxps://example[.]jp/aaa"));
  assert_int_equal(s->len, len + 2); /* one bracketed dot; the rest as written */
  assert_null(strstr(s->str, "https://"));
}

static void text_before_from_is_untouched(void **state)
{
  (void)state;
  mugai_link_options o = opts(WEB);
  g_autoptr(GString) s = g_string_new("https://a.jp/ https://b.jp/");
  mugai_links_process_text(s, 14, &o, NULL);
  assert_string_equal(s->str, "https://a.jp/ hxxps://b[.]jp/");
}

static void null_options_do_nothing(void **state)
{
  (void)state;
  g_autoptr(GString) s = g_string_new("https://a.jp/");
  mugai_links_process_text(s, 0, NULL, NULL);
  assert_string_equal(s->str, "https://a.jp/");
}

static void many_urls_in_text_are_processed_in_linear_time(void **state)
{
  (void)state;
  mugai_link_options o = opts(ALL);
  g_autoptr(GString) s = g_string_new(NULL);
  for (guint i = 0; i < 20000; i++)
    g_string_append(s, "a.a-a_a@ https://x.jp/ ");
  gint64 t0 = thread_cpu_usec();
  mugai_links_process_text(s, 0, &o, NULL);
  assert_true(thread_cpu_usec() - t0 < 5 * G_USEC_PER_SEC); /* CPU seconds: linear, not quadratic */
  assert_true(g_str_has_prefix(s->str, "a.a-a_a@ hxxps://x[.]jp/ "));
}

#define N(a) G_N_ELEMENTS(a)

int main(void)
{
  static const struct CMUnitTest extra[] = {
    cmocka_unit_test(hosts_related_compares_by_subdomain),
    cmocka_unit_test(report_keeps_twenty_warnings_and_counts_all),
    cmocka_unit_test(warning_is_display_safe_and_defanged_when_asked),
    cmocka_unit_test(long_warning_text_is_cut_with_an_ellipsis),
    cmocka_unit_test(target_over_the_limit_is_dropped),
    cmocka_unit_test(long_url_in_text_is_defanged_at_its_start),
    cmocka_unit_test(text_before_from_is_untouched),
    cmocka_unit_test(null_options_do_nothing),
    cmocka_unit_test(many_urls_in_text_are_processed_in_linear_time),
  };
  struct CMUnitTest tests[N(parse_cases) + N(match_cases) + N(text_cases) + N(extra)];
  gsize k = 0;
  for (gsize i = 0; i < N(parse_cases); i++)
    tests[k++] = (struct CMUnitTest){ .name = parse_cases[i].name, .test_func = parses_as_expected,
                                      .initial_state = (void *)&parse_cases[i] };
  for (gsize i = 0; i < N(match_cases); i++)
    tests[k++] = (struct CMUnitTest){ .name = match_cases[i].name,
                                      .test_func = checks_text_as_expected,
                                      .initial_state = (void *)&match_cases[i] };
  for (gsize i = 0; i < N(text_cases); i++)
    tests[k++] = (struct CMUnitTest){ .name = text_cases[i].name,
                                      .test_func = processes_text_as_expected,
                                      .initial_state = (void *)&text_cases[i] };
  for (gsize i = 0; i < N(extra); i++)
    tests[k++] = extra[i];
  return _cmocka_run_group_tests("links", tests, k, NULL, NULL);
}
