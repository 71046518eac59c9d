/* test_unlock_message.c — PPAP's MIME side (quarantine/unlock_message.c) and its notice lines
 * (sanitize/notice_ppap.c), on messages built here: which parts of a held original are the
 * password-protected zips (a protected zip, not a plain one, not a protected 7z-like name), and
 * the message that brings the opened files — its headers as the recipient's client shows them,
 * file names that are labels and never paths, the files' bytes exact — and what the password
 * mail's notice says for each outcome. The worker and the relay are the e2e test's
 * (e2e/test_ppap_e2e.py). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "quarantine/unlock_message.h"
#include "sanitize/gmime_autoptr.h"
#include "sanitize/notice_ppap.h"
#include "sanitize/sanitize.h"

static la_ssize_t
append(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

/* A zip holding "memo.txt", encrypted with PASSWORD (NULL: not encrypted). */
static GByteArray *
zip_of(const char *password)
{
  GByteArray *out = g_byte_array_new();
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  if (password) {
    assert_int_equal(archive_write_set_options(a, "zip:encryption=zipcrypt"), ARCHIVE_OK);
    assert_int_equal(archive_write_set_passphrase(a, password), ARCHIVE_OK);
  }
  assert_int_equal(archive_write_open(a, out, NULL, append, NULL), ARCHIVE_OK);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname_utf8(e, "memo.txt");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, 6);
  assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
  assert_int_equal(archive_write_data(a, "hello\n", 6), 6);
  archive_entry_free(e);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

static void
add_base64_part(GString *m, const char *name, const GByteArray *data)
{
  g_autofree char *b64 = g_base64_encode(data->data, data->len);
  g_string_append_printf(m, "--b\r\nContent-Type: application/zip; name=\"%s\"\r\n"
                            "Content-Disposition: attachment; filename=\"%s\"\r\n"
                            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n", name, name, b64);
}

/* The held original: a text, a protected zip, a plain zip. */
static GString *
original(void)
{
  GString *m = g_string_new("From: =?UTF-8?B?5bGx55Sw?= <yamada@example.co.jp>\r\n"
                            "To: taro@city.example.lg.jp\r\n"
                            "Subject: =?UTF-8?B?6LOH5paZ?=\r\n" /* 資料 */
                            "Message-ID: <orig-1@example.co.jp>\r\n"
                            "Received: from somewhere\r\n"
                            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                            "--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nhi\r\n");
  g_autoptr(GByteArray) locked = zip_of("secret");
  g_autoptr(GByteArray) open = zip_of(NULL);
  add_base64_part(m, "locked.zip", locked);
  add_base64_part(m, "open.zip", open);
  g_string_append(m, "--b--\r\n");
  return m;
}

static mugai_limits
limits(void)
{
  g_autoptr(mugai_policy) p = mugai_policy_new_defaults();
  return p->limits;
}

static void
finds_only_the_protected_zip(void **state)
{
  (void) state;
  g_autoptr(GString) m = original();
  mugai_limits l = limits();
  g_autoptr(GPtrArray) found = mugai_unlock_find_archives((const guint8 *) m->str, m->len, &l);
  assert_int_equal(found->len, 1);
  const mugai_locked_archive *a = g_ptr_array_index(found, 0);
  assert_string_equal(a->name, "locked.zip");
  assert_int_equal(a->open.status, MUGAI_UNLOCK_FAILED); /* not tried yet */
  g_autofree char *names = mugai_unlock_archive_names(found, FALSE);
  assert_string_equal(names, "locked.zip");
  g_autofree char *opened = mugai_unlock_archive_names(found, TRUE);
  assert_string_equal(opened, ""); /* none opened yet */
  /* an archive over [limits] archive_size is not looked at */
  l.archive_bytes = 64;
  g_autoptr(GPtrArray) none = mugai_unlock_find_archives((const guint8 *) m->str, m->len, &l);
  assert_int_equal(none->len, 0);
  /* and what is no message gives nothing */
  g_autoptr(GPtrArray) junk = mugai_unlock_find_archives((const guint8 *) "\0\1\2", 3, &l);
  assert_int_equal(junk->len, 0);
}

static mugai_unlocked_member *
member(const char *name, const char *data)
{
  mugai_unlocked_member *m = g_new0(mugai_unlocked_member, 1);
  m->name = g_strdup(name);
  m->data = g_bytes_new(data, strlen(data));
  return m;
}

/* The archives of the original, as if the worker had opened the first. */
static GPtrArray *
opened_archives(void)
{
  GPtrArray *archives = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_locked_archive_free);
  mugai_locked_archive *a = g_new0(mugai_locked_archive, 1);
  a->name = g_strdup("資料.zip");
  a->data = g_bytes_new_static("", 0);
  a->open.status = MUGAI_UNLOCK_OPENED;
  a->open.members = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_unlocked_member_free);
  g_ptr_array_add(a->open.members, member("../../../etc/報告.txt", "中身\n"));
  g_ptr_array_add(a->open.members, member("C:\\dir\\x.csv", "a,b\n"));
  g_ptr_array_add(a->open.members, member("dir/..", "dots\n"));
  g_ptr_array_add(archives, a);
  mugai_locked_archive *b = g_new0(mugai_locked_archive, 1);
  b->name = g_strdup("other.zip");
  b->data = g_bytes_new_static("", 0);
  b->open = (mugai_unlock){.status = MUGAI_UNLOCK_WRONG_PASSWORD, .password_index = -1};
  g_ptr_array_add(archives, b);
  return archives;
}

static char *
content_of(GMimeObject *part)
{
  g_autoptr(GMimeStream) mem = g_mime_stream_mem_new();
  g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(part)), mem);
  GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  return g_strndup((const char *) bytes->data, bytes->len);
}

static void
the_opened_message_names_files_by_their_last_component(void **state)
{
  (void) state;
  g_autoptr(GString) m = original();
  g_autoptr(GPtrArray) archives = opened_archives();
  g_autoptr(GByteArray) out = mugai_unlock_build_message(
      (const guint8 *) m->str, m->len, archives, "20261202-010203-abcdef0123", 1764637200,
      MUGAI_LANG_JA);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer((const char *) out->data,
                                                                    out->len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser, NULL);
  assert_non_null(msg);
  assert_string_equal(g_mime_message_get_subject(msg), "【パスワード解除】資料");
  assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"),
                      "<orig-1@example.co.jp>");
  assert_string_equal(g_mime_object_get_header(GMIME_OBJECT(msg), "References"),
                      "<orig-1@example.co.jp>");
  assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "Received"));
  g_autofree char *from = internet_address_list_to_string(g_mime_message_get_from(msg), NULL,
                                                          FALSE);
  assert_string_equal(from, "山田 <yamada@example.co.jp>");
  GMimeMultipart *mixed = GMIME_MULTIPART(g_mime_message_get_mime_part(msg));
  assert_int_equal(g_mime_multipart_get_count(mixed), 4); /* the text and three files */
  g_autofree char *intro = content_of(g_mime_multipart_get_part(mixed, 0));
  assert_non_null(strstr(intro, "パスワード付きファイル（資料.zip）")); /* other.zip did not open */
  assert_non_null(strstr(intro, "(隔離ID: 20261202-010203-abcdef0123)"));
  const char *names[] = {"報告.txt", "x.csv", "file"};
  const char *bytes[] = {"中身\n", "a,b\n", "dots\n"};
  for (int i = 0; i < 3; i++) {
    GMimeObject *part = g_mime_multipart_get_part(mixed, i + 1);
    assert_string_equal(g_mime_part_get_filename(GMIME_PART(part)), names[i]);
    g_autofree char *data = content_of(part);
    assert_string_equal(data, bytes[i]);
  }
}

static void
a_message_without_subject_or_id_gets_the_mark_alone(void **state)
{
  (void) state;
  static const char bare[] = "From: a@example.com\r\n\r\nhi\r\n";
  g_autoptr(GPtrArray) archives = opened_archives();
  g_autoptr(GByteArray) out = mugai_unlock_build_message(
      (const guint8 *) bare, sizeof bare - 1, archives, "20261202-010203-abcdef0123", 0,
      MUGAI_LANG_EN);
  g_autoptr(GMimeStream) stream = g_mime_stream_mem_new_with_buffer((const char *) out->data,
                                                                    out->len);
  g_autoptr(GMimeParser) parser = g_mime_parser_new_with_stream(stream);
  g_autoptr(GMimeMessage) msg = g_mime_parser_construct_message(parser, NULL);
  assert_string_equal(g_mime_message_get_subject(msg), "[Unlocked]");
  assert_null(g_mime_object_get_header(GMIME_OBJECT(msg), "In-Reply-To"));
  g_autofree char *intro =
      content_of(g_mime_multipart_get_part(GMIME_MULTIPART(g_mime_message_get_mime_part(msg)), 0));
  assert_non_null(strstr(intro, "This mail brings the contents of the password-protected file"));
}

static void
add_attempt(mugai_result *r, mugai_unlock_attempt_state state, const char *detail)
{
  mugai_unlock_attempt *a = g_new0(mugai_unlock_attempt, 1);
  a->quarantine_id = g_strdup("20261202-010203-abcdef0123");
  a->names = g_strdup("a.zip");
  a->time = 1764637200;
  a->state = state;
  a->detail = g_strdup(detail);
  g_ptr_array_add(r->unlock_attempts, a);
}

static void
the_notice_says_what_each_attempt_did(void **state)
{
  (void) state;
  g_autoptr(mugai_result) r = mugai_result_new(MUGAI_DIRECTION_IN);
  add_attempt(r, MUGAI_UNLOCK_ATTEMPT_OPENED, "250 2.0.0 Ok: queued as X");
  add_attempt(r, MUGAI_UNLOCK_ATTEMPT_NOT_OPENED, "wrong password: none of the 2 passwords opened it");
  add_attempt(r, MUGAI_UNLOCK_ATTEMPT_NOT_OPENED, "a member too large when unpacked (more than 16 MiB)");
  add_attempt(r, MUGAI_UNLOCK_ATTEMPT_NOT_OPENED, "opened, but a virus was found in it: Eicar");
  add_attempt(r, MUGAI_UNLOCK_ATTEMPT_TOO_LATE, NULL);
  g_autoptr(GString) ja = g_string_new(NULL);
  mugai_notice_ppap_attempts(ja, MUGAI_LANG_JA, r, 3600);
  g_auto(GStrv) lines = g_strsplit(ja->str, "\n", -1);
  assert_int_equal(g_strv_length(lines), 6);
  assert_non_null(strstr(lines[0], "パスワード付きファイル（a.zip、"));
  assert_non_null(strstr(lines[0], "このメールのパスワードで開きました"));
  assert_null(strstr(lines[0], "abcdef0123")); /* an opened one needs no id */
  assert_non_null(strstr(lines[1], "を開けませんでした（パスワードが違います）。"));
  assert_non_null(strstr(lines[1], "（隔離ID: 20261202-010203-abcdef0123）"));
  assert_non_null(strstr(lines[2], "（展開すると大きすぎます: a member too large when unpacked "
                                   "(more than 16 MiB)）"));
  assert_non_null(strstr(lines[3], "開けましたが、中にウイルスが見つかりました: "));
  assert_non_null(strstr(lines[4], "パスワードを待つ時間（1時間）を過ぎていたため開いていません"));
  g_autoptr(GString) en = g_string_new(NULL);
  mugai_notice_ppap_attempts(en, MUGAI_LANG_EN, r, 1800);
  assert_non_null(strstr(en->str, "did not open the password-protected file (a.zip, in the mail "
                                  "of "));
  assert_non_null(strstr(en->str, "): wrong password. The file stays in the quarantine (ID "
                                  "20261202-010203-abcdef0123)."));
  assert_non_null(strstr(en->str, "after the wait for its password (30 minutes)"));
}

static void
waits_read_as_people_say_them(void **state)
{
  (void) state;
  const struct {
    guint64 seconds;
    const char *ja, *en;
  } cases[] = {{60, "1分", "1 minute"}, {5400, "90分", "90 minutes"}, {3600, "1時間", "1 hour"},
               {7 * 86400, "7日", "7 days"}, {86400, "1日", "1 day"}, {30, "1分", "1 minute"}};
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *ja = mugai_notice_ppap_duration(MUGAI_LANG_JA, cases[i].seconds);
    g_autofree char *en = mugai_notice_ppap_duration(MUGAI_LANG_EN, cases[i].seconds);
    assert_string_equal(ja, cases[i].ja);
    assert_string_equal(en, cases[i].en);
  }
}

int
main(void)
{
  mugai_sanitize_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(finds_only_the_protected_zip),
      cmocka_unit_test(the_opened_message_names_files_by_their_last_component),
      cmocka_unit_test(a_message_without_subject_or_id_gets_the_mark_alone),
      cmocka_unit_test(the_notice_says_what_each_attempt_did),
      cmocka_unit_test(waits_read_as_people_say_them),
  };
  int failed = cmocka_run_group_tests(tests, NULL, NULL);
  g_mime_shutdown();
  return failed;
}
