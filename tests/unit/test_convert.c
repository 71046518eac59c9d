/* test_convert.c — the converters in-process (src/convert/), on the documents
 * tests/convert/make_docs.py writes (MUGAI_CONVERT_DOCS) and on small inputs built here: the text a
 * reader would see, in Japanese and English, the warnings staff must see (macros, embedded objects,
 * external links, encryption), and each limit at N and N+1. Hostile documents end in a failure
 * with a reason, never in a crash or in their bytes passing.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "convert/convert.h"
#include "convert/xml_read.h"

static mugai_convert_limits limits;

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

/* Convert the generated document NAME, told its libmagic type MIME (nullable). */
static mugai_convert_result *
convert_doc(const char *name, const char *mime, const mugai_convert_limits *l)
{
  g_autoptr(GBytes) b = doc(name);
  gsize len = 0;
  const void *data = g_bytes_get_data(b, &len);
  return mugai_convert(data, len, mime, name, l ? l : &limits);
}

static mugai_convert_result *
convert_str(const char *s, const char *mime, const char *name)
{
  return mugai_convert(s, strlen(s), mime, name, &limits);
}

#define assert_has(text, needle) \
  do { \
    if (strstr((text), (needle)) == NULL) \
      fail_msg("\"%s\" not in:\n%s", (needle), (text)); \
  } while (0)
#define assert_lacks(text, needle) assert_null(strstr((text), (needle)))

static int
setup(void **state)
{
  (void) state;
  mugai_convert_limits_init(&limits);
  return 0;
}

/* ---- documents --------------------------------------------------------------------------------- */

static void
pdf_gives_title_pages_and_japanese_text_through_poppler_data(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("sample.pdf", "application/pdf", NULL);
  assert_null(r->failure);
  assert_string_equal(r->kind, "pdf");
  assert_string_equal(r->unit, "pages");
  assert_int_equal(r->count, 2);
  assert_has(r->text->str, "Title: 会議資料 Minutes");
  assert_has(r->text->str, "--- page 1/2 ---\n日本語のテキスト\nHello PDF world");
  assert_has(r->text->str, "--- page 2/2 ---\n市役所\nSecond page");
}

static void
pdf_page_cap_at_n_and_n_plus_1(void **state)
{
  (void) state;
  mugai_convert_limits l = limits;
  l.max_pages = 2;
  g_autoptr(mugai_convert_result) all = convert_doc("sample.pdf", "application/pdf", &l);
  assert_false(all->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  assert_has(all->text->str, "Second page");
  l.max_pages = 1;
  g_autoptr(mugai_convert_result) cut = convert_doc("sample.pdf", "application/pdf", &l);
  assert_true(cut->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  assert_lacks(cut->text->str, "Second page");
}

static void
pdf_encrypted_is_named_not_opened(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("encrypted.pdf", "application/pdf", NULL);
  assert_string_equal(r->failure, "encrypted");
  assert_true(r->warnings & MUGAI_CONVERT_WARN_ENCRYPTED);
  assert_int_equal(r->text->len, 0);
}

static void
pdf_truncated_and_looping_end_cleanly(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) cut = convert_doc("truncated.pdf", "application/pdf", NULL);
  assert_non_null(cut->failure);
  assert_true(g_str_has_prefix(cut->failure, "damaged PDF"));
  /* The page tree that contains itself and the form that draws itself: poppler's own recursion
   * guards stop both; what remains is pages without text. */
  g_autoptr(mugai_convert_result) loop = convert_doc("loop.pdf", "application/pdf", NULL);
  assert_null(loop->failure);
  assert_true(loop->count <= 2);
}

static void
docx_paragraphs_tabs_and_tables_without_deleted_text(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r =
      convert_doc("sample.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", NULL);
  assert_null(r->failure);
  assert_string_equal(r->kind, "docx");
  assert_string_equal(r->text->str, "請求書のご送付について\nInvoice \tNo. 42\n\n品名\t数量\nりんご\t3\n"
                                    "以上、よろしくお願いいたします。\n");
  assert_int_equal(r->warnings, 0);
}

static void
docm_names_macros_embedded_objects_and_external_template(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("macro.docm", "application/zip", NULL);
  assert_null(r->failure);
  assert_has(r->text->str, "マクロ付き文書 with macros");
  assert_true(r->warnings & MUGAI_CONVERT_WARN_MACROS);
  assert_true(r->warnings & MUGAI_CONVERT_WARN_EMBEDDED);
  assert_true(r->warnings & MUGAI_CONVERT_WARN_EXTERNAL_LINKS);
  assert_lacks(r->text->str, "fake-vba");
}

static void
xlsx_sheets_shared_strings_and_dates(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("sample.xlsx", NULL, NULL);
  assert_null(r->failure);
  assert_string_equal(r->kind, "xlsx");
  assert_int_equal(r->count, 2);
  /* 東京都 without its furigana; 45383 in a date style is 2024-04-01; B3 empty keeps its tab */
  assert_string_equal(r->text->str, "[Sheet: 売上]\n日付\t金額\t東京都\n2024-04-01\t1500\n"
                                    "2024-04-02 12:00:00\t\tインライン\ntotal\t1500\t\tTRUE\n\n"
                                    "[Sheet: Notes]\nmemo\n");
  assert_lacks(r->text->str, "トウキョウ");
  g_autoptr(mugai_convert_result) m = convert_doc("macro.xlsm", NULL, NULL);
  assert_true(m->warnings & MUGAI_CONVERT_WARN_MACROS);
  assert_true(m->warnings & MUGAI_CONVERT_WARN_EXTERNAL_LINKS);
}

static void
xlsx_cell_cap_at_n_and_n_plus_1(void **state)
{
  (void) state;
  mugai_convert_limits l = limits;
  l.max_cells = 11; /* the workbook has 11 cells */
  g_autoptr(mugai_convert_result) all = convert_doc("sample.xlsx", NULL, &l);
  assert_false(all->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  l.max_cells = 10;
  g_autoptr(mugai_convert_result) cut = convert_doc("sample.xlsx", NULL, &l);
  assert_true(cut->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  assert_lacks(cut->text->str, "memo");
}

static void
pptx_slides_in_presentation_order_with_titles(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("sample.pptx", NULL, NULL);
  assert_null(r->failure);
  assert_int_equal(r->count, 2);
  assert_string_equal(r->text->str, "[Slide 1: 事業計画]\n第一四半期の目標\nQuarterly goals\n\n"
                                    "[Slide 2: Summary]\nまとめ\n");
}

static void
odf_text_spreadsheet_and_presentation(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) t = convert_doc("sample.odt", "application/vnd.oasis.opendocument.text", NULL);
  assert_string_equal(t->kind, "odt");
  assert_string_equal(t->text->str, "お知らせ\n市役所からのご案内です。\nTab\tand   spaces\nnext line\n");
  g_autoptr(mugai_convert_result) s = convert_doc("sample.ods", NULL, NULL);
  assert_string_equal(s->kind, "ods");
  assert_int_equal(s->count, 1);
  /* a date cell shows its date; a million repeated empty rows are one empty line */
  assert_string_equal(s->text->str, "[Sheet: 名簿]\n氏名\t登録日\n山田太郎\t2024-04-01\n\n");
  g_autoptr(mugai_convert_result) p = convert_doc("sample.odp", NULL, NULL);
  assert_string_equal(p->kind, "odp");
  assert_string_equal(p->text->str, "[Slide 1: 表紙]\n令和6年度 説明会\n\n[Slide 2: Agenda]\n議題一覧\n");
  g_autoptr(mugai_convert_result) m = convert_doc("macro.odt", NULL, NULL);
  assert_true(m->warnings & MUGAI_CONVERT_WARN_MACROS);
  assert_true(m->warnings & MUGAI_CONVERT_WARN_EMBEDDED);
}

static void
ods_repeated_cell_bomb_is_counted_not_produced(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("cellbomb.ods", NULL, NULL);
  assert_true(r->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  assert_true(r->text->len <= limits.max_output);
}

static void
zip_members_converted_to_the_depth_limit(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_doc("bundle.zip", "application/zip", NULL);
  assert_null(r->failure);
  assert_string_equal(r->kind, "zip");
  assert_has(r->text->str, "=== report.docx (docx) ===\n請求書のご送付について\n");
  assert_has(r->text->str, "=== list.csv (csv) ===\n名前,金額\n田中,100\n"); /* from Shift_JIS */
  assert_has(r->text->str, "=== tool.exe (not converted: not text) ===");
  assert_lacks(r->text->str, "MZ");
  assert_has(r->text->str, "=== deeper.txt (text) ===\n奥のファイル"); /* depth 2 */
  assert_true(r->warnings & MUGAI_CONVERT_WARN_SKIPPED);
  mugai_convert_limits l = limits;
  l.max_depth = 1;
  g_autoptr(mugai_convert_result) shallow = convert_doc("bundle.zip", "application/zip", &l);
  assert_has(shallow->text->str, "=== report.docx (docx) ===");
  assert_has(shallow->text->str, "=== deeper.txt (not converted) ===");
  assert_lacks(shallow->text->str, "奥のファイル");
}

static void
zip_member_size_cap_at_n_and_n_plus_1(void **state)
{
  (void) state;
  mugai_convert_limits l = limits;
  l.max_member = 3 << 20; /* big.txt in big.zip is 3 MiB */
  g_autoptr(mugai_convert_result) ok = convert_doc("big.zip", NULL, &l);
  assert_has(ok->text->str, "=== big.txt (text) ===");
  l.max_member = (3 << 20) - 1;
  g_autoptr(mugai_convert_result) over = convert_doc("big.zip", NULL, &l);
  assert_null(over->failure);
  assert_has(over->text->str, "=== big.txt (not converted: larger than the member limit) ===");
  assert_has(over->text->str, "=== small.txt (text) ===\nsmall\n");
}

static void
zip_entry_cap_at_n_and_n_plus_1(void **state)
{
  (void) state;
  mugai_convert_limits l = limits;
  l.max_entries = 4; /* sample.docx has 4 members */
  g_autoptr(mugai_convert_result) ok = convert_doc("sample.docx", NULL, &l);
  assert_null(ok->failure);
  l.max_entries = 3;
  g_autoptr(mugai_convert_result) over = convert_doc("sample.docx", NULL, &l);
  assert_string_equal(over->failure, "more than 3 zip members");
}

/* ---- hostile documents ------------------------------------------------------------------------- */

static void
zip_bomb_in_docx_stops_at_the_member_cap(void **state)
{
  (void) state;
  /* 200 MB declared: not even inflated */
  g_autoptr(mugai_convert_result) r = convert_doc("bomb.docx", NULL, NULL);
  assert_string_equal(r->failure, "word/document.xml: larger than the member limit");
  assert_int_equal(r->text->len, 0);
  /* allowed by the member cap, it is inflated and stopped by the shared budget */
  mugai_convert_limits l = limits;
  l.max_member = 1u << 30;
  l.max_expanded = 1 << 20;
  g_autoptr(mugai_convert_result) r2 = convert_doc("bomb.docx", NULL, &l);
  assert_string_equal(r2->failure, "zip bomb: word/document.xml inflates past the limit");
  /* and the other way round: the member cap stops a member that declares less than it has */
  l.max_member = 1 << 20;
  l.max_expanded = 1u << 30;
  g_autoptr(mugai_convert_result) r3 = convert_doc("liar.docx", NULL, &l);
  assert_string_equal(r3->failure, "zip bomb: word/document.xml inflates past the limit");
}

static void
billion_laughs_xxe_and_deep_nesting_fail_with_a_reason(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) laughs = convert_doc("laughs.docx", NULL, NULL);
  assert_string_equal(laughs->failure, "word/document.xml: XML with a DTD or entities (refused)");
  g_autoptr(mugai_convert_result) xxe = convert_doc("xxe.docx", NULL, NULL);
  assert_non_null(xxe->failure);
  assert_lacks(xxe->text->str, "root:");
  g_autoptr(mugai_convert_result) deep = convert_doc("deep.docx", NULL, NULL);
  assert_string_equal(deep->failure, "word/document.xml: XML nested deeper than 128");
  g_autoptr(mugai_convert_result) cut = convert_doc("truncated.docx", NULL, NULL);
  assert_non_null(cut->failure);
}

static gboolean
count_cb(gpointer user, mugai_xml_event ev, const char *ns, const char *local, const char *text,
         xmlTextReaderPtr reader)
{
  (void) ns, (void) local, (void) text, (void) reader;
  if (ev == MUGAI_XML_START)
    (*(int *) user)++;
  return TRUE;
}

static void
xml_depth_cap_at_n_and_n_plus_1(void **state)
{
  (void) state;
  /* 11 nested elements: depths 0..10 */
  GString *s = g_string_new(NULL);
  for (int i = 0; i < 11; i++)
    g_string_append(s, "<a>");
  for (int i = 0; i < 11; i++)
    g_string_append(s, "</a>");
  g_autoptr(GBytes) b = g_bytes_new(s->str, s->len);
  g_string_free(s, TRUE);
  int n = 0;
  g_autofree char *f1 = NULL, *f2 = NULL;
  assert_true(mugai_xml_walk(b, 10, count_cb, &n, &f1));
  assert_int_equal(n, 11);
  assert_false(mugai_xml_walk(b, 9, count_cb, &n, &f2));
  assert_string_equal(f2, "XML nested deeper than 9");
}

/* ---- text formats ------------------------------------------------------------------------------ */

static void
text_in_any_charset_comes_out_utf8(void **state)
{
  (void) state;
  /* Shift_JIS, EUC-JP and ISO-2022-JP bytes of 会議, unlabelled */
  g_autoptr(mugai_convert_result) sjis = convert_str("\x89\xef\x8b\x63\r\n", "text/plain", "a.txt");
  assert_string_equal(sjis->text->str, "会議\n");
  g_autoptr(mugai_convert_result) euc = convert_str("\xb2\xf1\xb5\xc4 memo\n", "text/plain", NULL);
  assert_string_equal(euc->text->str, "会議 memo\n");
  g_autoptr(mugai_convert_result) jis = convert_str("\x1b$B2q5D\x1b(B\n", "text/plain", NULL);
  assert_string_equal(jis->text->str, "会議\n");
}

static void
csv_tsv_by_name_ics_vcf_unfolded(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) csv = convert_str("a,b\r\n1,2\r\n", "text/plain", "x.csv");
  assert_string_equal(csv->kind, "csv");
  assert_string_equal(csv->text->str, "a,b\n1,2\n");
  g_autoptr(mugai_convert_result) tsv = convert_str("a\tb\n", "text/plain", "x.TSV");
  assert_string_equal(tsv->kind, "tsv");
  g_autoptr(mugai_convert_result) ics = convert_str(
      "BEGIN:VEVENT\r\nSUMMARY:住民説明会の\r\n お知らせ\r\nEND:VEVENT\r\n", "text/calendar", "a.ics");
  assert_string_equal(ics->kind, "ics");
  assert_has(ics->text->str, "SUMMARY:住民説明会のお知らせ\n");
  g_autoptr(mugai_convert_result) vcf = convert_str("BEGIN:VCARD\r\nFN:山田\r\n 太郎\r\nEND:VCARD\r\n",
                                                    "text/plain", "c.vcf");
  assert_string_equal(vcf->kind, "vcf");
  assert_has(vcf->text->str, "FN:山田太郎\n");
}

static void
rtf_text_with_unicode_and_shift_jis_escapes(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_str(
      "{\\rtf1\\ansi\\ansicpg932{\\fonttbl{\\f0\\fcharset128 MS Mincho;}}"
      "{\\colortbl;\\red255\\green0\\blue0;}{\\*\\generator Word;}{\\info{\\title secret}}"
      "\\f0 \\u26085?\\u26412?\\par \\'93\\'fa\\'96\\'7b English\\tab x\\par"
      "{\\object{\\*\\objdata 0102}}{\\pict\\bin4 \x01\x02\x03\x04}end}",
      "text/rtf", "a.rtf");
  assert_null(r->failure);
  assert_string_equal(r->text->str, "日本\n日本 English\tx\nend\n");
  assert_true(r->warnings & MUGAI_CONVERT_WARN_EMBEDDED);
}

static void
rtf_group_nesting_cap(void **state)
{
  (void) state;
  GString *s = g_string_new("{\\rtf1 ");
  for (int i = 0; i < 1000; i++)
    g_string_append_c(s, '{');
  g_autoptr(mugai_convert_result) r = mugai_convert(s->str, s->len, "text/rtf", NULL, &limits);
  g_string_free(s, TRUE);
  assert_string_equal(r->failure, "RTF nested deeper than 128");
}

static void
html_through_the_engine(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_str(
      "<html><head><meta charset=\"utf-8\"><script>alert(1)</script></head>"
      "<body><h1>お知らせ</h1><p>本文 <b>text</b></p></body></html>", "text/html", "a.html");
  assert_string_equal(r->kind, "html");
  assert_has(r->text->str, "お知らせ");
  assert_has(r->text->str, "本文 text");
  assert_lacks(r->text->str, "alert");
}

static void
eml_headers_and_text_parts_attachments_named(void **state)
{
  (void) state;
  g_autoptr(mugai_convert_result) r = convert_str(
      "From: =?UTF-8?B?5bGx55Sw?= <a@example.jp>\r\nSubject: =?ISO-2022-JP?B?GyRCMnE1RBsoQg==?=\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
      "--b\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n\x89\xef\x8b\x63\r\n"
      "--b\r\nContent-Type: application/octet-stream; name=x.exe\r\n"
      "Content-Disposition: attachment; filename=x.exe\r\nContent-Transfer-Encoding: base64\r\n\r\n"
      "TVqQAAMAAAAEAAAA\r\n--b--\r\n", "message/rfc822", "m.eml");
  assert_null(r->failure);
  assert_has(r->text->str, "From: 山田 <a@example.jp>");
  assert_has(r->text->str, "Subject: 会議");
  assert_has(r->text->str, "\n会議\n");
  assert_has(r->text->str, "[attachment: x.exe (application/octet-stream), not converted]");
  assert_lacks(r->text->str, "TVqQ");
}

static void
output_cap_at_n_and_n_plus_1_on_a_character_boundary(void **state)
{
  (void) state;
  mugai_convert_limits l = limits;
  const char *s = "あいう\n"; /* 10 bytes */
  l.max_output = 10;
  g_autoptr(mugai_convert_result) all = mugai_convert(s, strlen(s), "text/plain", NULL, &l);
  assert_string_equal(all->text->str, s);
  assert_false(all->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  l.max_output = 9;
  g_autoptr(mugai_convert_result) cut = mugai_convert(s, strlen(s), "text/plain", NULL, &l);
  assert_true(cut->warnings & MUGAI_CONVERT_WARN_TRUNCATED);
  assert_string_equal(cut->text->str, "あいう");
  l.max_output = 8; /* inside う: cut before it */
  g_autoptr(mugai_convert_result) cut2 = mugai_convert(s, strlen(s), "text/plain", NULL, &l);
  assert_string_equal(cut2->text->str, "あい");
}

static void
unsupported_and_legacy_office_are_refused(void **state)
{
  (void) state;
  static const char ole[] = "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0";
  g_autoptr(mugai_convert_result) doc = mugai_convert(ole, sizeof ole - 1, "application/msword", "a.doc", &limits);
  assert_string_equal(doc->failure, "unsupported type application/msword");
  g_autoptr(mugai_convert_result) enc = mugai_convert(ole, sizeof ole - 1, "application/encrypted", "a.docx", &limits);
  assert_string_equal(enc->failure, "encrypted");
  assert_true(enc->warnings & MUGAI_CONVERT_WARN_ENCRYPTED);
  /* a binary with a .csv name stays binary */
  g_autoptr(mugai_convert_result) bin = mugai_convert(ole, sizeof ole - 1, "application/octet-stream", "a.csv", &limits);
  assert_non_null(bin->failure);
  assert_null(mugai_convert_kind(ole, sizeof ole - 1, "application/x-dosexec", "a.txt"));
}

static void
warning_names_round_trip(void **state)
{
  (void) state;
  guint all = MUGAI_CONVERT_WARN_MACROS | MUGAI_CONVERT_WARN_EMBEDDED | MUGAI_CONVERT_WARN_EXTERNAL_LINKS |
              MUGAI_CONVERT_WARN_ENCRYPTED | MUGAI_CONVERT_WARN_TRUNCATED | MUGAI_CONVERT_WARN_SKIPPED;
  g_autofree char *s = mugai_convert_warnings_to_string(all);
  assert_string_equal(s, "macros,embedded,external_links,encrypted,truncated,skipped");
  assert_int_equal(mugai_convert_warnings_from_string(s), all);
  assert_int_equal(mugai_convert_warnings_from_string("bogus,"), 0);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(pdf_gives_title_pages_and_japanese_text_through_poppler_data),
    cmocka_unit_test(pdf_page_cap_at_n_and_n_plus_1),
    cmocka_unit_test(pdf_encrypted_is_named_not_opened),
    cmocka_unit_test(pdf_truncated_and_looping_end_cleanly),
    cmocka_unit_test(docx_paragraphs_tabs_and_tables_without_deleted_text),
    cmocka_unit_test(docm_names_macros_embedded_objects_and_external_template),
    cmocka_unit_test(xlsx_sheets_shared_strings_and_dates),
    cmocka_unit_test(xlsx_cell_cap_at_n_and_n_plus_1),
    cmocka_unit_test(pptx_slides_in_presentation_order_with_titles),
    cmocka_unit_test(odf_text_spreadsheet_and_presentation),
    cmocka_unit_test(ods_repeated_cell_bomb_is_counted_not_produced),
    cmocka_unit_test(zip_members_converted_to_the_depth_limit),
    cmocka_unit_test(zip_member_size_cap_at_n_and_n_plus_1),
    cmocka_unit_test(zip_entry_cap_at_n_and_n_plus_1),
    cmocka_unit_test(zip_bomb_in_docx_stops_at_the_member_cap),
    cmocka_unit_test(billion_laughs_xxe_and_deep_nesting_fail_with_a_reason),
    cmocka_unit_test(xml_depth_cap_at_n_and_n_plus_1),
    cmocka_unit_test(text_in_any_charset_comes_out_utf8),
    cmocka_unit_test(csv_tsv_by_name_ics_vcf_unfolded),
    cmocka_unit_test(rtf_text_with_unicode_and_shift_jis_escapes),
    cmocka_unit_test(rtf_group_nesting_cap),
    cmocka_unit_test(html_through_the_engine),
    cmocka_unit_test(eml_headers_and_text_parts_attachments_named),
    cmocka_unit_test(output_cap_at_n_and_n_plus_1_on_a_character_boundary),
    cmocka_unit_test(unsupported_and_legacy_office_are_refused),
    cmocka_unit_test(warning_names_round_trip),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
