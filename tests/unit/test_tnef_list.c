/* test_tnef_list.c — tnef_list.c on winmail.dat streams built here attribute by attribute, as
 * Outlook writes them ([MS-OXTNEF]): names a reader would recognise (CP932 titles, the UTF-16
 * long file name), sizes, nested archives, and streams cut, corrupted or lying about lengths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#include "sanitize/tnef_list.h"

#define SJIS_SEIKYU_PDF "\x90\xbf\x8b\x81\x8f\x91.pdf"   /* 請求書.pdf in CP932 */
#define SJIS_MITSUMORI "\x8c\xa9\x90\xcf\x8f\x91.xlsx" /* 見積書.xlsx in CP932 */

#define LVL_MESSAGE 1
#define LVL_ATTACHMENT 2
#define ATT_TNEF_VERSION 0x00089006u
#define ATT_OEM_CODEPAGE 0x00069007u
#define ATT_MESSAGE_CLASS 0x00078008u
#define ATT_ATTACH_REND_DATA 0x00069002u
#define ATT_ATTACH_TITLE 0x00018010u
#define ATT_ATTACH_DATA 0x0006800Fu
#define ATT_ATTACHMENT 0x00069005u

static const mugai_archive_limits limits_default = {2, 500, 32u << 20, 0, 0};

static void
put_u16(GByteArray *b, guint v)
{
  guint8 x[2] = {v & 0xFF, (v >> 8) & 0xFF};
  g_byte_array_append(b, x, 2);
}

static void
put_u32(GByteArray *b, guint32 v)
{
  guint8 x[4] = {v & 0xFF, (v >> 8) & 0xFF, (v >> 16) & 0xFF, (v >> 24) & 0xFF};
  g_byte_array_append(b, x, 4);
}

static GByteArray *
tnef_new(void)
{
  GByteArray *b = g_byte_array_new();
  put_u32(b, 0x223E9F78u);
  put_u16(b, 0x0001); /* key */
  return b;
}

/* One attribute with its checksum (+ CHECKSUM_DELTA, to corrupt it). */
static void
put_attr_sum(GByteArray *b, guint level, guint32 id, const void *data, gsize len,
             guint checksum_delta)
{
  guint8 lvl = (guint8) level;
  g_byte_array_append(b, &lvl, 1);
  put_u32(b, id);
  put_u32(b, (guint32) len);
  g_byte_array_append(b, data, (guint) len);
  guint sum = 0;
  for (gsize i = 0; i < len; i++)
    sum += ((const guint8 *) data)[i];
  put_u16(b, (sum + checksum_delta) & 0xFFFF);
}

static void
put_attr(GByteArray *b, guint level, guint32 id, const void *data, gsize len)
{
  put_attr_sum(b, level, id, data, len, 0);
}

static void
put_header(GByteArray *b, guint32 codepage)
{
  static const guint8 version[4] = {0x00, 0x00, 0x01, 0x00};
  put_attr(b, LVL_MESSAGE, ATT_TNEF_VERSION, version, 4);
  if (codepage) {
    guint8 cp[8] = {codepage & 0xFF, (codepage >> 8) & 0xFF, 0, 0, 0, 0, 0, 0};
    put_attr(b, LVL_MESSAGE, ATT_OEM_CODEPAGE, cp, 8);
  }
  put_attr(b, LVL_MESSAGE, ATT_MESSAGE_CLASS, "IPM.Microsoft Mail.Note", 24);
}

/* attAttachRendData, attAttachTitle (TITLE with its NUL), attAttachData. */
static void
put_attachment(GByteArray *b, const char *title, const void *data, gsize len)
{
  static const guint8 rend[14] = {0x01, 0x00, 0xFF, 0xFF, 0xFF, 0xFF};
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend, sizeof rend);
  if (title)
    put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_TITLE, title, strlen(title) + 1);
  if (data)
    put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_DATA, data, len);
}

/* ---- MAPI property blocks ------------------------------------------------------------------- */

static void
pad4(GByteArray *b)
{
  static const guint8 zero[3] = {0};
  if (b->len % 4)
    g_byte_array_append(b, zero, 4 - b->len % 4);
}

static void
mapi_long(GByteArray *m, guint id, guint32 value)
{
  put_u16(m, 0x0003);
  put_u16(m, id);
  put_u32(m, value);
}

/* A variable-length value (string, binary): count 1, length, bytes, padding. */
static void
mapi_var(GByteArray *m, guint type, guint id, const void *data, gsize len)
{
  put_u16(m, type);
  put_u16(m, id);
  put_u32(m, 1);
  put_u32(m, (guint32) len);
  g_byte_array_append(m, data, (guint) len);
  pad4(m);
}

static void
mapi_unicode(GByteArray *m, guint id, const char *utf8)
{
  glong n;
  gunichar2 *u = g_utf8_to_utf16(utf8, -1, NULL, &n, NULL);
  mapi_var(m, 0x001F, id, u, (gsize) (n + 1) * 2);
  g_free(u);
}

/* A named property (GUID + string name) and a multi-valued long, which a walker must skip. */
static void
mapi_hard_to_skip(GByteArray *m)
{
  static const guint8 guid[16] = {0x08, 0x20, 0x06};
  put_u16(m, 0x0003);
  put_u16(m, 0x8005);
  g_byte_array_append(m, guid, 16);
  put_u32(m, 1); /* kind: string name */
  put_u32(m, 10);
  g_byte_array_append(m, (const guint8 *) "N\0a\0m\0e\0\0\0", 10);
  pad4(m);
  put_u32(m, 42);
  put_u16(m, 0x1003); /* PT_MV_LONG */
  put_u16(m, 0x6000);
  put_u32(m, 3);
  put_u32(m, 1);
  put_u32(m, 2);
  put_u32(m, 3);
  put_u16(m, 0x0040); /* PT_SYSTIME */
  put_u16(m, 0x3007);
  put_u32(m, 0x11111111);
  put_u32(m, 0x01d00000);
}

static GByteArray *
mapi_block(guint32 count)
{
  GByteArray *m = g_byte_array_new();
  put_u32(m, count);
  return m;
}

/* ---- helpers -------------------------------------------------------------------------------- */

static mugai_archive_listing *
list_stream(GByteArray *b, const mugai_archive_limits *limits)
{
  assert_true(mugai_tnef_detect(b->data, b->len));
  mugai_archive_listing *l = mugai_tnef_list(b->data, b->len, limits);
  assert_non_null(l);
  assert_string_equal(l->format, "tnef");
  for (guint i = 0; i < l->entries->len; i++)
    assert_true(g_utf8_validate(((mugai_archive_entry *) g_ptr_array_index(l->entries, i))->name,
                                -1, NULL));
  return l;
}

static mugai_archive_entry *
entry_at(mugai_archive_listing *l, guint i)
{
  assert_true(i < l->entries->len);
  return g_ptr_array_index(l->entries, i);
}

static void
assert_entry(mugai_archive_listing *l, guint i, const char *name, guint64 size, guint depth)
{
  mugai_archive_entry *e = entry_at(l, i);
  assert_string_equal(e->name, name);
  assert_true(e->size_known);
  assert_int_equal(e->size, size);
  assert_int_equal(e->depth, depth);
  assert_false(e->encrypted);
}

/* ---- what the reader sees ------------------------------------------------------------------- */

static void
one_attachment_named_by_title_with_size(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 1252);
  put_attachment(b, "report.pdf", "%PDF-1.4 body", 13);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 1);
  assert_entry(l, 0, "report.pdf", 13, 0);
  assert_false(l->damaged);
  assert_false(l->truncated);
  assert_false(l->encrypted);
}

static void
two_attachments_cp932_titles_decoded(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, SJIS_SEIKYU_PDF, "%PDF", 4);
  put_attachment(b, SJIS_MITSUMORI, "PK..xlsx?", 9);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "請求書.pdf", 4, 0);
  assert_entry(l, 1, "見積書.xlsx", 9, 0);
  assert_false(l->damaged);
}

static void
cp932_title_without_codepage_still_decoded(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 0);
  put_attachment(b, SJIS_SEIKYU_PDF, "x", 1);
  put_attachment(b, "\xe8\xab\x8b\xe6\xb1\x82.txt", "y", 1); /* UTF-8 bytes stay UTF-8 */
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_entry(l, 0, "請求書.pdf", 1, 0);
  assert_entry(l, 1, "請求.txt", 1, 0);
}

static void
long_unicode_filename_preferred_over_short_title(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, "SEIKYU~1.PDF", "%PDF-1.7", 8);
  g_autoptr(GByteArray) m = mapi_block(4);
  mapi_long(m, 0x3705, 1); /* PR_ATTACH_METHOD: by value */
  mapi_hard_to_skip(m);    /* counts as 3 properties */
  m->data[0] = 6;
  mapi_unicode(m, 0x3707, "請求書（2024年度）.pdf");
  mapi_unicode(m, 0x3001, "display");
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACHMENT, m->data, m->len);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 1);
  assert_entry(l, 0, "請求書（2024年度）.pdf", 8, 0);
  assert_false(l->damaged);
}

static void
long_string8_filename_read_in_codepage(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, "MITSUM~1.XLS", "xl", 2);
  g_autoptr(GByteArray) m = mapi_block(1);
  mapi_var(m, 0x001E, 0x3707, SJIS_MITSUMORI, sizeof SJIS_MITSUMORI); /* with its NUL */
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACHMENT, m->data, m->len);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_entry(l, 0, "見積書.xlsx", 2, 0);
}

static void
codepage_after_attachments_still_applies(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_attachment(b, SJIS_SEIKYU_PDF, "x", 1);
  guint8 cp[8] = {0xA4, 0x03}; /* 932 */
  put_attr(b, LVL_MESSAGE, ATT_OEM_CODEPAGE, cp, 8);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_entry(l, 0, "請求書.pdf", 1, 0);
}

static void
embedded_message_named_not_opened(void **state)
{
  (void) state;
  g_autoptr(GByteArray) inner = tnef_new();
  put_attachment(inner, "inner-secret.exe", "MZ", 2);
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 1252);
  static const guint8 rend[14] = {0x01};
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend, sizeof rend);
  g_autoptr(GByteArray) obj = g_byte_array_new();
  static const guint8 iid[16] = {0x0A, 0x03, 0x02};
  g_byte_array_append(obj, iid, 16);
  g_byte_array_append(obj, inner->data, inner->len);
  g_autoptr(GByteArray) m = mapi_block(3);
  mapi_long(m, 0x3705, 5); /* ATTACH_EMBEDDED_MSG */
  mapi_unicode(m, 0x3001, "Re: 見積もりの件");
  mapi_var(m, 0x000D, 0x3701, obj->data, obj->len);
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACHMENT, m->data, m->len);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 1); /* the message inside is not walked */
  assert_entry(l, 0, "Re: 見積もりの件", inner->len, 0);
  assert_false(l->damaged);
}

static la_ssize_t
write_cb(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

static GByteArray *
zip_of(const char *name, const char *body, const char *encryption)
{
  GByteArray *out = g_byte_array_new();
  struct archive *w = archive_write_new();
  archive_write_set_format_zip(w);
  if (encryption) {
    assert_int_equal(archive_write_set_options(w, encryption), ARCHIVE_OK);
    archive_write_set_passphrase(w, "pw");
  }
  archive_write_open2(w, out, NULL, write_cb, NULL, NULL);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_size(e, (la_int64_t) strlen(body));
  archive_write_header(w, e);
  archive_write_data(w, body, strlen(body));
  archive_entry_free(e);
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

static void
zip_attachment_members_listed_one_level_down(void **state)
{
  (void) state;
  g_autoptr(GByteArray) zip = zip_of(SJIS_SEIKYU_PDF, "%PDF", "zip:encryption=zipcrypt");
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, "docs.zip", zip->data, zip->len);
  put_attachment(b, "after.txt", "a", 1);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 3);
  assert_entry(l, 0, "docs.zip", zip->len, 0);
  mugai_archive_entry *inner = entry_at(l, 1);
  assert_string_equal(inner->name, "請求書.pdf");
  assert_int_equal(inner->depth, 1);
  assert_true(inner->encrypted); /* PPAP inside winmail.dat */
  assert_true(l->encrypted);
  assert_entry(l, 2, "after.txt", 1, 0);

  mugai_archive_limits flat = limits_default;
  flat.max_depth = 0;
  g_autoptr(mugai_archive_listing) top = list_stream(b, &flat);
  assert_int_equal(top->entries->len, 2);
  assert_false(top->encrypted);
}

/* ---- limits and damage ---------------------------------------------------------------------- */

static void
attachments_at_cap_listed_one_more_truncates(void **state)
{
  (void) state;
  mugai_archive_limits limits = {2, 3, 1 << 20, 0, 0};
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 1252);
  for (int i = 0; i < 3; i++)
    put_attachment(b, "f.txt", "x", 1);
  g_autoptr(mugai_archive_listing) three = list_stream(b, &limits);
  assert_int_equal(three->entries->len, 3);
  assert_false(three->truncated);
  put_attachment(b, "g.txt", "x", 1);
  g_autoptr(mugai_archive_listing) four = list_stream(b, &limits);
  assert_int_equal(four->entries->len, 3);
  assert_true(four->truncated);
  assert_false(four->damaged);
}

static void
cut_stream_keeps_what_was_listed_and_flags_damaged(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, SJIS_SEIKYU_PDF, "%PDF-1.7 ...", 12);
  guint whole_first = b->len;
  put_attachment(b, "second.doc", "doc body", 8);
  g_autoptr(GHashTable) boundaries = g_hash_table_new(NULL, NULL); /* where a cut looks whole */
  for (guint pos = 6; pos < b->len;) {
    guint32 alen = b->data[pos + 5] | (guint32) b->data[pos + 6] << 8;
    pos += 9 + alen + 2;
    g_hash_table_add(boundaries, GUINT_TO_POINTER(pos));
  }
  for (guint cut = 6; cut < b->len; cut++) {
    g_autoptr(mugai_archive_listing) l = mugai_tnef_list(b->data, cut, &limits_default);
    gboolean whole = cut == 6 || g_hash_table_contains(boundaries, GUINT_TO_POINTER(cut));
    assert_int_equal(l->damaged, !whole);
    if (cut >= whole_first)
      assert_entry(l, 0, "請求書.pdf", 12, 0);
  }
  g_autoptr(mugai_archive_listing) whole = list_stream(b, &limits_default);
  assert_false(whole->damaged);
  assert_int_equal(whole->entries->len, 2);
}

static void
wrong_checksum_listed_but_flagged_damaged(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 1252);
  static const guint8 rend[14] = {0x01};
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend, sizeof rend);
  put_attr_sum(b, LVL_ATTACHMENT, ATT_ATTACH_TITLE, "invoice.xls", 12, 1);
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_DATA, "data", 4);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_int_equal(l->entries->len, 1);
  assert_entry(l, 0, "invoice.xls", 4, 0);
  assert_true(l->damaged);
}

static void
absurd_length_stops_walk_without_reading_past_end(void **state)
{
  (void) state;
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 1252);
  put_attachment(b, "first.txt", "1", 1);
  static const guint8 rend[14] = {0x01};
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACH_REND_DATA, rend, sizeof rend);
  guint8 lvl = LVL_ATTACHMENT;
  g_byte_array_append(b, &lvl, 1);
  put_u32(b, ATT_ATTACH_TITLE);
  put_u32(b, 0xFFFFFFF0u);
  g_byte_array_append(b, (const guint8 *) "short", 5);
  g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
  assert_true(l->damaged);
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "first.txt", 1, 0);
  assert_string_equal(entry_at(l, 1)->name, ""); /* started, never named */
}

static void
absurd_mapi_counts_flag_damaged_keep_title(void **state)
{
  (void) state;
  static const guint32 bad_counts[] = {0xFFFFFFFFu, 0x40000000u, 7};
  for (gsize i = 0; i < G_N_ELEMENTS(bad_counts); i++) {
    g_autoptr(GByteArray) b = tnef_new();
    put_header(b, 1252);
    put_attachment(b, "title.txt", "t", 1);
    g_autoptr(GByteArray) m = mapi_block(bad_counts[i]);
    mapi_long(m, 0x3705, 1);
    put_u16(m, 0x001F); /* a string whose value count is absurd */
    put_u16(m, 0x3707);
    put_u32(m, 0x7FFFFFFF);
    put_attr(b, LVL_ATTACHMENT, ATT_ATTACHMENT, m->data, m->len);
    g_autoptr(mugai_archive_listing) l = list_stream(b, &limits_default);
    assert_true(l->damaged);
    assert_entry(l, 0, "title.txt", 1, 0);
  }
}

static void
not_tnef_gives_empty_damaged_listing(void **state)
{
  (void) state;
  static const guint8 text[] = "Hello, not TNEF";
  assert_false(mugai_tnef_detect(text, sizeof text));
  assert_false(mugai_tnef_detect(NULL, 0));
  assert_false(mugai_tnef_detect((const guint8 *) "\x78\x9f\x3e\x22", 4));
  g_autoptr(mugai_archive_listing) l = mugai_tnef_list(text, sizeof text, &limits_default);
  assert_string_equal(l->format, "tnef");
  assert_int_equal(l->entries->len, 0);
  assert_true(l->damaged);
  g_autoptr(GByteArray) bare = tnef_new();
  g_autoptr(mugai_archive_listing) empty = list_stream(bare, &limits_default);
  assert_int_equal(empty->entries->len, 0);
  assert_false(empty->damaged);
}

/* A real-shaped stream with every kind of attribute, cut and with bytes flipped. */
static void
mutated_streams_never_crash(void **state)
{
  (void) state;
  g_autoptr(GByteArray) zip = zip_of("in.txt", "inside", NULL);
  g_autoptr(GByteArray) b = tnef_new();
  put_header(b, 932);
  put_attachment(b, SJIS_SEIKYU_PDF, zip->data, zip->len);
  g_autoptr(GByteArray) m = mapi_block(5);
  mapi_long(m, 0x3705, 1);
  mapi_hard_to_skip(m);
  mapi_unicode(m, 0x3707, "請求書（2024年度）.zip");
  put_attr(b, LVL_ATTACHMENT, ATT_ATTACHMENT, m->data, m->len);
  put_attachment(b, SJIS_MITSUMORI, "PK", 2);
  GRand *rand = g_rand_new_with_seed(932);
  for (int round = 0; round < 3000; round++) {
    guint8 *buf = g_memdup2(b->data, b->len);
    gsize n = (gsize) g_rand_int_range(rand, 6, (gint32) b->len + 1);
    for (int k = g_rand_int_range(rand, 1, 6); k > 0; k--)
      buf[g_rand_int_range(rand, 6, (gint32) n)] = (guint8) g_rand_int(rand);
    mugai_archive_limits limits = {1, 20, 1 << 20, 1 << 20, 0};
    mugai_archive_listing *l = mugai_tnef_list(buf, n, &limits);
    assert_true(l->entries->len <= 20);
    for (guint i = 0; i < l->entries->len; i++)
      assert_true(g_utf8_validate(entry_at(l, i)->name, -1, NULL));
    mugai_archive_listing_free(l);
    g_free(buf);
  }
  g_rand_free(rand);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(one_attachment_named_by_title_with_size),
    cmocka_unit_test(two_attachments_cp932_titles_decoded),
    cmocka_unit_test(cp932_title_without_codepage_still_decoded),
    cmocka_unit_test(long_unicode_filename_preferred_over_short_title),
    cmocka_unit_test(long_string8_filename_read_in_codepage),
    cmocka_unit_test(codepage_after_attachments_still_applies),
    cmocka_unit_test(embedded_message_named_not_opened),
    cmocka_unit_test(zip_attachment_members_listed_one_level_down),
    cmocka_unit_test(attachments_at_cap_listed_one_more_truncates),
    cmocka_unit_test(cut_stream_keeps_what_was_listed_and_flags_damaged),
    cmocka_unit_test(wrong_checksum_listed_but_flagged_damaged),
    cmocka_unit_test(absurd_length_stops_walk_without_reading_past_end),
    cmocka_unit_test(absurd_mapi_counts_flag_damaged_keep_title),
    cmocka_unit_test(not_tnef_gives_empty_damaged_listing),
    cmocka_unit_test(mutated_streams_never_crash),
  };
  return cmocka_run_group_tests_name("tnef_list", tests, NULL, NULL);
}
