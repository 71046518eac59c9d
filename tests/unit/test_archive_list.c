/* test_archive_list.c — archive_list.c on archives built here with libarchive's writer: what the
 * reader of the notice would see (names, sizes, password protection, nesting) and that hostile
 * input (bombs, caps at N and N+1, cut and corrupted bytes, random bytes) ends with flags, not a
 * crash. Japanese names are the CP932 bytes Windows writes without zip's UTF-8 flag.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <gio/gio.h>
#include <locale.h>
#include <string.h>

#include "sanitize/archive_list.h"
#include "sanitize/notice.h"
#include "thread_cpu_time.h"

#define SJIS_SEIKYU "\x90\xbf\x8b\x81\x8f\x91" /* 請求書 in CP932 */

typedef struct {
  const char *name;
  const void *data; /* NULL: a directory */
  gsize len;
} member;

#define FILE_M(n, s) {n, s, sizeof(s) - 1}

static la_ssize_t
write_cb(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

/* An archive of MEMBERS in FORMAT ("zip", "7zip", "pax", "raw"), FILTER (nullable: "gzip",
 * "bzip2"), writer OPTIONS (nullable) and PASSPHRASE (nullable). */
static GBytes *
build(const char *format, const char *filter, const char *options, const char *passphrase,
      const member *members, gsize n)
{
  GByteArray *out = g_byte_array_new();
  struct archive *w = archive_write_new();
  assert_int_equal(archive_write_set_format_by_name(w, format), ARCHIVE_OK);
  if (filter)
    assert_int_equal(archive_write_add_filter_by_name(w, filter), ARCHIVE_OK);
  if (options)
    assert_int_equal(archive_write_set_options(w, options), ARCHIVE_OK);
  if (passphrase)
    assert_int_equal(archive_write_set_passphrase(w, passphrase), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(w, 1); /* no block padding: bytes as a mail carries them */
  assert_int_equal(archive_write_open2(w, out, NULL, write_cb, NULL, NULL), ARCHIVE_OK);
  for (gsize i = 0; i < n; i++) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, members[i].name);
    archive_entry_set_filetype(e, members[i].data ? AE_IFREG : AE_IFDIR);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, members[i].data ? (la_int64_t) members[i].len : 0);
    archive_entry_set_mtime(e, 1700000000, 0);
    assert_true(archive_write_header(w, e) >= ARCHIVE_WARN);
    if (members[i].data && members[i].len)
      assert_int_equal(archive_write_data(w, members[i].data, members[i].len),
                       (la_ssize_t) members[i].len);
    archive_entry_free(e);
  }
  assert_int_equal(archive_write_close(w), ARCHIVE_OK);
  archive_write_free(w);
  return g_byte_array_free_to_bytes(out);
}

static GBytes *
build_zip(const member *members, gsize n)
{
  return build("zip", NULL, NULL, NULL, members, n);
}

static const mugai_archive_limits default_limits = {2, 500, 32u << 20, 0, 0};

static mugai_archive_listing *
list_bytes(GBytes *bytes, const mugai_archive_limits *limits)
{
  gsize len;
  const guint8 *data = g_bytes_get_data(bytes, &len);
  assert_true(mugai_archive_detect(data, len));
  mugai_archive_listing *listing = mugai_archive_list(data, len, limits);
  assert_non_null(listing);
  for (guint i = 0; i < listing->entries->len; i++) {
    mugai_archive_entry *e = g_ptr_array_index(listing->entries, i);
    assert_true(g_utf8_validate(e->name, -1, NULL));
  }
  return listing;
}

static mugai_archive_entry *
entry_at(mugai_archive_listing *listing, guint i)
{
  assert_true(i < listing->entries->len);
  return g_ptr_array_index(listing->entries, i);
}

static void
assert_entry(mugai_archive_listing *listing, guint i, const char *name, guint depth)
{
  mugai_archive_entry *e = entry_at(listing, i);
  assert_string_equal(e->name, name);
  assert_int_equal(e->depth, depth);
}

static void
assert_flags(const mugai_archive_listing *l, gboolean encrypted, gboolean truncated,
             gboolean damaged)
{
  assert_int_equal(l->encrypted, encrypted);
  assert_int_equal(l->truncated, truncated);
  assert_int_equal(l->damaged, damaged);
}

/* ---- what the reader sees ------------------------------------------------------------------- */

static void
zip_members_listed_with_sizes_directories_left_out(void **state)
{
  (void) state;
  static const char csv[1000] = "id,amount\n";
  const member m[] = {FILE_M("a.txt", "hello"), {"dir/", NULL, 0}, {"dir/b.csv", csv, sizeof csv}};
  g_autoptr(GBytes) zip = build_zip(m, G_N_ELEMENTS(m));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_string_equal(l->format, "zip");
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "a.txt", 0);
  assert_entry(l, 1, "dir/b.csv", 0);
  assert_true(entry_at(l, 0)->size_known);
  assert_int_equal(entry_at(l, 0)->size, 5);
  assert_int_equal(entry_at(l, 1)->size, 1000);
  assert_false(entry_at(l, 0)->encrypted);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static void
ppap_zip_encrypted(const char *options)
{
  const member m[] = {FILE_M(SJIS_SEIKYU ".pdf", "%PDF-1.4 secret"), FILE_M("b.txt", "x")};
  g_autoptr(GBytes) zip = build("zip", NULL, options, "passw0rd", m, G_N_ELEMENTS(m));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_string_equal(l->format, "zip");
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "請求書.pdf", 0); /* names of an encrypted zip are in the clear */
  assert_true(entry_at(l, 0)->encrypted);
  assert_true(entry_at(l, 1)->encrypted);
  assert_int_equal(entry_at(l, 0)->size, 15);
  assert_flags(l, TRUE, FALSE, FALSE);
}

static void
zipcrypto_zip_reported_encrypted(void **state)
{
  (void) state;
  ppap_zip_encrypted("zip:encryption=zipcrypt");
}

static void
aes256_zip_reported_encrypted(void **state)
{
  (void) state;
  ppap_zip_encrypted("zip:encryption=aes256");
}

static void
nested_zip_members_follow_their_parent_one_level_down(void **state)
{
  (void) state;
  const member in[] = {FILE_M("x.pdf", "%PDF"), FILE_M("y.doc", "doc")};
  g_autoptr(GBytes) inner = build_zip(in, G_N_ELEMENTS(in));
  const member out[] = {FILE_M("readme.txt", "read me"),
                        {"inner.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)},
                        FILE_M("z.txt", "z")};
  g_autoptr(GBytes) zip = build_zip(out, G_N_ELEMENTS(out));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_int_equal(l->entries->len, 5);
  assert_entry(l, 0, "readme.txt", 0);
  assert_entry(l, 1, "inner.zip", 0);
  assert_entry(l, 2, "x.pdf", 1);
  assert_entry(l, 3, "y.doc", 1);
  assert_entry(l, 4, "z.txt", 0);
  assert_int_equal(entry_at(l, 3)->size, 3);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static void
nested_archive_found_by_magic_not_by_name(void **state)
{
  (void) state;
  const member in[] = {FILE_M("hidden.exe", "MZ")};
  g_autoptr(GBytes) inner = build_zip(in, 1);
  const member out[] = {{"photo.jpg", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)},
                        FILE_M("fake.zip", "just text, not a zip")};
  g_autoptr(GBytes) zip = build_zip(out, G_N_ELEMENTS(out));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_int_equal(l->entries->len, 3);
  assert_entry(l, 0, "photo.jpg", 0);
  assert_entry(l, 1, "hidden.exe", 1);
  assert_entry(l, 2, "fake.zip", 0);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static void
encrypted_nested_zip_makes_listing_encrypted(void **state)
{
  (void) state;
  const member in[] = {FILE_M("secret.xlsx", "PK..")};
  g_autoptr(GBytes) inner = build("zip", NULL, "zip:encryption=aes256", "pw", in, 1);
  const member out[] = {{"inner.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)}};
  g_autoptr(GBytes) zip = build_zip(out, 1);
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_int_equal(l->entries->len, 2);
  assert_false(entry_at(l, 0)->encrypted);
  assert_entry(l, 1, "secret.xlsx", 1);
  assert_true(entry_at(l, 1)->encrypted);
  assert_flags(l, TRUE, FALSE, FALSE);
}

static void
cp932_name_without_utf8_flag_reads_as_japanese(void **state)
{
  (void) state;
  /* In the C locale libarchive's writer stores the bytes as given and sets no UTF-8 flag: what
   * Explorer's "send to compressed folder" on Japanese Windows produces. */
  const member m[] = {FILE_M(SJIS_SEIKYU ".pdf", "%PDF"), FILE_M("\x8e\x91\x97\xbf/a.txt", "a")};
  g_autoptr(GBytes) zip = build_zip(m, G_N_ELEMENTS(m));
  assert_non_null(memmem(g_bytes_get_data(zip, NULL), g_bytes_get_size(zip), SJIS_SEIKYU, 6));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_entry(l, 0, "請求書.pdf", 0);
  assert_entry(l, 1, "資料/a.txt", 0);
}

static void
utf8_flagged_name_read_in_c_locale(void **state)
{
  (void) state;
  /* Written in a UTF-8 locale, the writer sets the UTF-8 flag; libarchive alone would then fail
   * to convert the name to the reader's C locale and give no name at all. */
  locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  assert_non_null(utf8);
  locale_t old = uselocale(utf8);
  const member m[] = {FILE_M("請求書.pdf", "%PDF")};
  g_autoptr(GBytes) zip = build_zip(m, 1);
  uselocale(old);
  freelocale(utf8);
  assert_true(uselocale((locale_t) 0) == LC_GLOBAL_LOCALE);
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_entry(l, 0, "請求書.pdf", 0);
  assert_flags(l, FALSE, FALSE, FALSE);
  assert_true(uselocale((locale_t) 0) == LC_GLOBAL_LOCALE); /* the caller's locale is back */
}

static void
control_characters_become_spaces_bidi_kept_for_the_notice_to_drop(void **state)
{
  (void) state;
  const member m[] = {FILE_M("a\x01" "b\n.txt", "x"), FILE_M("invoice\xe2\x80\xae" "fdp.exe", "MZ"),
                      FILE_M("bad\xff\xfe.txt", "y")};
  g_autoptr(GBytes) zip = build_zip(m, G_N_ELEMENTS(m));
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  assert_entry(l, 0, "a b .txt", 0);
  assert_entry(l, 1, "invoice\xe2\x80\xae" "fdp.exe", 0);
  g_autofree char *shown = mugai_notice_display_name(entry_at(l, 1)->name);
  assert_string_equal(shown, "invoicefdp.exe"); /* no right-to-left override reaches the reader */
  assert_non_null(strstr(entry_at(l, 2)->name, "bad")); /* invalid bytes: still valid UTF-8 */
}

static void
long_name_cut_on_a_character_boundary(void **state)
{
  (void) state;
  GString *name = g_string_new(NULL);
  while (name->len < 3000)
    g_string_append(name, "請");
  const member m[] = {{name->str, "x", 1}};
  g_autoptr(GBytes) zip = build_zip(m, 1);
  g_string_free(name, TRUE);
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &default_limits);
  const char *got = entry_at(l, 0)->name;
  assert_true(strlen(got) <= MUGAI_ARCHIVE_NAME_MAX);
  assert_true(strlen(got) > MUGAI_ARCHIVE_NAME_MAX - 3);
  assert_true(g_str_has_prefix(got, "請請"));
}

static void
tar_gz_members_listed(void **state)
{
  (void) state;
  const member m[] = {FILE_M("src/main.c", "int main(void){}"), FILE_M("README", "readme")};
  g_autoptr(GBytes) tgz = build("pax", "gzip", NULL, NULL, m, G_N_ELEMENTS(m));
  g_autoptr(mugai_archive_listing) l = list_bytes(tgz, &default_limits);
  assert_string_equal(l->format, "tar.gz");
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "src/main.c", 0);
  assert_int_equal(entry_at(l, 0)->size, 16);
  assert_entry(l, 1, "README", 0);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static GBytes *
gzip_with_name(const char *stored_name, const void *data, gsize len)
{
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GFileInfo) info = g_file_info_new();
  g_file_info_set_name(info, stored_name);
  g_zlib_compressor_set_file_info(z, info);
  g_autoptr(GOutputStream) mem = g_memory_output_stream_new_resizable();
  g_autoptr(GOutputStream) gz = g_converter_output_stream_new(mem, G_CONVERTER(z));
  assert_true(g_output_stream_write_all(gz, data, len, NULL, NULL, NULL));
  assert_true(g_output_stream_close(gz, NULL, NULL));
  return g_memory_output_stream_steal_as_bytes(G_MEMORY_OUTPUT_STREAM(mem));
}

static void
gzip_of_one_file_lists_its_stored_name_and_size(void **state)
{
  (void) state;
  static const char text[5000] = "plain text, not a tar";
  g_autoptr(GBytes) gz = gzip_with_name("report.csv", text, sizeof text);
  g_autoptr(mugai_archive_listing) l = list_bytes(gz, &default_limits);
  assert_string_equal(l->format, "gzip");
  assert_int_equal(l->entries->len, 1);
  assert_entry(l, 0, "report.csv", 0);
  assert_true(entry_at(l, 0)->size_known);
  assert_int_equal(entry_at(l, 0)->size, 5000);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static void
gzip_of_a_zip_lists_the_zip_inside(void **state)
{
  (void) state;
  const member in[] = {FILE_M("inside.txt", "i")};
  g_autoptr(GBytes) zip = build_zip(in, 1);
  g_autoptr(GBytes) gz = gzip_with_name(SJIS_SEIKYU ".zip", g_bytes_get_data(zip, NULL),
                                        g_bytes_get_size(zip));
  g_autoptr(mugai_archive_listing) l = list_bytes(gz, &default_limits);
  assert_string_equal(l->format, "gzip");
  assert_int_equal(l->entries->len, 2);
  assert_entry(l, 0, "請求書.zip", 0);
  assert_entry(l, 1, "inside.txt", 1);
}

static void
bzip2_of_one_file_lists_one_nameless_member(void **state)
{
  (void) state;
  const member m[] = {FILE_M("ignored", "some text that is no archive at all")};
  g_autoptr(GBytes) bz = build("raw", "bzip2", NULL, NULL, m, 1);
  g_autoptr(mugai_archive_listing) l = list_bytes(bz, &default_limits);
  assert_string_equal(l->format, "bzip2");
  assert_int_equal(l->entries->len, 1);
  assert_entry(l, 0, "", 0);
  assert_true(entry_at(l, 0)->size_known); /* read whole to look inside, so it is known */
  assert_int_equal(entry_at(l, 0)->size, 35);
}

static void
sevenzip_with_nested_zip_listed(void **state)
{
  (void) state;
  const member in[] = {FILE_M("deep.txt", "d")};
  g_autoptr(GBytes) zip = build_zip(in, 1);
  const member m[] = {FILE_M("a.txt", "aaaa"),
                      {"b.zip", g_bytes_get_data(zip, NULL), g_bytes_get_size(zip)}};
  g_autoptr(GBytes) sz = build("7zip", NULL, NULL, NULL, m, G_N_ELEMENTS(m));
  g_autoptr(mugai_archive_listing) l = list_bytes(sz, &default_limits);
  assert_string_equal(l->format, "7z");
  assert_int_equal(l->entries->len, 3);
  assert_entry(l, 0, "a.txt", 0);
  assert_entry(l, 1, "b.zip", 0);
  assert_entry(l, 2, "deep.txt", 1);
  assert_int_equal(entry_at(l, 0)->size, 4);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static guint32
crc32_of(const guint8 *p, gsize len)
{
  guint32 crc = 0xFFFFFFFFu;
  for (gsize i = 0; i < len; i++) {
    crc ^= p[i];
    for (int k = 0; k < 8; k++)
      crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
  }
  return ~crc;
}

static void
put_le(guint8 *p, guint64 v, int n)
{
  for (int i = 0; i < n; i++)
    p[i] = (guint8) (v >> (8 * i));
}

/* A 7z made with "7z a -p -mhe": its header is itself packed through the AES coder, so nothing,
 * not even the names, can be listed. libarchive cannot write one: this is the smallest one. */
static void
sevenzip_with_encrypted_headers_reported_encrypted(void **state)
{
  (void) state;
  static const guint8 next[] = {
    0x17,                                     /* kEncodedHeader */
    0x06, 0x00, 0x01, 0x09, 0x10, 0x00,       /* kPackInfo: pos 0, 1 stream, kSize 16, kEnd */
    0x07, 0x0B, 0x01, 0x00,                   /* kUnPackInfo, kFolder, 1 folder, not external */
    0x01, 0x24, 0x06, 0xF1, 0x07, 0x01,       /* 1 coder: 4-byte id 06F10701 (AES-256 + SHA-256) */
    0x02, 0x13, 0x00,                         /* its properties */
    0x0C, 0x10, 0x00,                         /* kCodersUnPackSize 16, kEnd */
    0x00,                                     /* kEnd */
  };
  guint8 file[32 + 16 + sizeof next];
  memset(file, 0, sizeof file);
  memcpy(file, "7z\xbc\xaf\x27\x1c\x00\x04", 8);
  memset(file + 32, 0xA5, 16); /* the encrypted header bytes */
  memcpy(file + 48, next, sizeof next);
  put_le(file + 12, 16, 8);          /* next header offset, after the signature header */
  put_le(file + 20, sizeof next, 8); /* next header size */
  put_le(file + 28, crc32_of(next, sizeof next), 4);
  put_le(file + 8, crc32_of(file + 12, 20), 4);
  assert_true(mugai_archive_detect(file, sizeof file));
  g_autoptr(mugai_archive_listing) l = mugai_archive_list(file, sizeof file, &default_limits);
  assert_int_equal(l->entries->len, 0);
  assert_true(l->encrypted);
  assert_false(l->damaged);
}

/* ---- limits at N and N+1 -------------------------------------------------------------------- */

static GBytes *
zip_of_n(guint n)
{
  member *m = g_new0(member, n);
  char **names = g_new0(char *, n + 1);
  for (guint i = 0; i < n; i++) {
    names[i] = g_strdup_printf("f%03u.txt", i);
    m[i] = (member){names[i], "x", 1};
  }
  GBytes *zip = build_zip(m, n);
  g_strfreev(names);
  g_free(m);
  return zip;
}

static void
entries_at_cap_all_listed_one_more_truncates(void **state)
{
  (void) state;
  mugai_archive_limits limits = {2, 5, 1 << 20, 0, 0};
  g_autoptr(GBytes) five = zip_of_n(5);
  g_autoptr(mugai_archive_listing) l5 = list_bytes(five, &limits);
  assert_int_equal(l5->entries->len, 5);
  assert_false(l5->truncated);
  g_autoptr(GBytes) six = zip_of_n(6);
  g_autoptr(mugai_archive_listing) l6 = list_bytes(six, &limits);
  assert_int_equal(l6->entries->len, 5);
  assert_entry(l6, 4, "f004.txt", 0);
  assert_true(l6->truncated);
  assert_false(l6->damaged);
}

static void
entry_cap_counts_nested_entries_too(void **state)
{
  (void) state;
  g_autoptr(GBytes) inner = zip_of_n(4);
  const member out[] = {{"in.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)},
                        FILE_M("after.txt", "a")};
  g_autoptr(GBytes) zip = build_zip(out, 2);
  mugai_archive_limits limits = {2, 3, 1 << 20, 0, 0};
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &limits);
  assert_int_equal(l->entries->len, 3);
  assert_entry(l, 2, "f001.txt", 1);
  assert_true(l->truncated);
}

/* A chain: level0.zip holds level1.zip ... holds leaf.txt, LEVELS zips in all. */
static GBytes *
zip_chain(guint levels)
{
  const member leaf[] = {FILE_M("leaf.txt", "leaf")};
  GBytes *cur = build_zip(leaf, 1);
  for (guint i = levels - 1; i > 0; i--) {
    g_autofree char *name = g_strdup_printf("level%u.zip", i);
    const member m[] = {{name, g_bytes_get_data(cur, NULL), g_bytes_get_size(cur)}};
    GBytes *next = build_zip(m, 1);
    g_bytes_unref(cur);
    cur = next;
  }
  return cur;
}

static void
depth_at_cap_reaches_leaf_one_less_truncates(void **state)
{
  (void) state;
  g_autoptr(GBytes) chain = zip_chain(4); /* level1..3.zip at depths 0..2, leaf.txt at depth 3 */
  mugai_archive_limits limits = {3, 100, 1 << 20, 0, 0};
  g_autoptr(mugai_archive_listing) full = list_bytes(chain, &limits);
  assert_int_equal(full->entries->len, 4);
  assert_entry(full, 0, "level1.zip", 0);
  assert_entry(full, 2, "level3.zip", 2);
  assert_entry(full, 3, "leaf.txt", 3);
  assert_false(full->truncated);
  limits.max_depth = 2;
  g_autoptr(mugai_archive_listing) cut = list_bytes(chain, &limits);
  assert_int_equal(cut->entries->len, 3);
  assert_entry(cut, 2, "level3.zip", 2);
  assert_true(cut->truncated);
  limits.max_depth = 0;
  g_autoptr(mugai_archive_listing) top = list_bytes(chain, &limits);
  assert_int_equal(top->entries->len, 1);
  assert_true(top->truncated); /* level1.zip is an archive left closed: more is inside */
}

static void
deep_chain_bounded_by_depth_cap(void **state)
{
  (void) state;
  g_autoptr(GBytes) chain = zip_chain(MUGAI_ARCHIVE_DEPTH_CAP + 6);
  mugai_archive_limits limits = {1000, 1000, 1 << 20, 0, 0};
  g_autoptr(mugai_archive_listing) l = list_bytes(chain, &limits);
  assert_int_equal(l->entries->len, MUGAI_ARCHIVE_DEPTH_CAP + 1);
  assert_int_equal(entry_at(l, l->entries->len - 1)->depth, MUGAI_ARCHIVE_DEPTH_CAP);
  assert_true(l->truncated);
}

static void
nested_member_over_size_cap_listed_not_opened(void **state)
{
  (void) state;
  const member in[] = {FILE_M("inside.txt", "inside")};
  g_autoptr(GBytes) inner = build_zip(in, 1);
  gsize inner_len = g_bytes_get_size(inner);
  const member out[] = {{"big.zip", g_bytes_get_data(inner, NULL), inner_len}};
  g_autoptr(GBytes) zip = build_zip(out, 1);
  mugai_archive_limits limits = {2, 100, inner_len, 0, 0};
  g_autoptr(mugai_archive_listing) at = list_bytes(zip, &limits);
  assert_int_equal(at->entries->len, 2);
  assert_false(at->truncated);
  limits.max_nested_bytes = inner_len - 1;
  g_autoptr(mugai_archive_listing) over = list_bytes(zip, &limits);
  assert_int_equal(over->entries->len, 1);
  assert_entry(over, 0, "big.zip", 0);
  assert_int_equal(entry_at(over, 0)->size, inner_len);
  assert_true(over->truncated);
  assert_false(over->damaged);
}

/* ---- bombs ---------------------------------------------------------------------------------- */

static void
zip_bomb_member_listed_from_headers_without_inflating(void **state)
{
  (void) state;
  gsize big = 64u << 20;
  guint8 *zeros = g_malloc0(big);
  const member m[] = {{"zeros.bin", zeros, big}, FILE_M("after.txt", "a")};
  g_autoptr(GBytes) zip = build_zip(m, 2);
  g_free(zeros);
  assert_true(g_bytes_get_size(zip) < big / 100);
  mugai_archive_limits limits = {2, 100, 1 << 20, 1 << 20, 0};
  gint64 start = thread_cpu_usec();
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &limits);
  assert_true(thread_cpu_usec() - start < 2 * G_USEC_PER_SEC); /* read from headers, not inflated */
  assert_int_equal(l->entries->len, 2);
  assert_int_equal(entry_at(l, 0)->size, big);
  assert_flags(l, FALSE, FALSE, FALSE);
}

static void
tar_gz_bomb_stops_at_scan_bytes(void **state)
{
  (void) state;
  gsize big = 16u << 20;
  guint8 *zeros = g_malloc0(big);
  const member m[] = {FILE_M("first.txt", "1"), {"zeros.bin", zeros, big},
                      FILE_M("after.txt", "a")};
  g_autoptr(GBytes) tgz = build("pax", "gzip", NULL, NULL, m, 3);
  g_free(zeros);
  mugai_archive_limits limits = {0, 100, 1 << 20, 1 << 20, 0};
  g_autoptr(mugai_archive_listing) cut = list_bytes(tgz, &limits);
  assert_true(cut->entries->len >= 1 && cut->entries->len <= 2);
  assert_entry(cut, 0, "first.txt", 0);
  assert_true(cut->truncated);
  assert_false(cut->damaged);
  limits.max_scan_bytes = 0; /* the default is plenty for 16 MB */
  g_autoptr(mugai_archive_listing) all = list_bytes(tgz, &limits);
  assert_int_equal(all->entries->len, 3);
  assert_false(all->truncated);
}

static void
passed_deadline_stops_listing(void **state)
{
  (void) state;
  g_autoptr(GBytes) zip = zip_of_n(3);
  mugai_archive_limits limits = {2, 100, 1 << 20, 0, 1};
  g_autoptr(mugai_archive_listing) l = list_bytes(zip, &limits);
  assert_int_equal(l->entries->len, 0);
  assert_true(l->truncated);
  assert_false(l->damaged);
}

/* ---- damage and random bytes ---------------------------------------------------------------- */

static void
cut_zip_flags_damaged_keeps_what_was_read(void **state)
{
  (void) state;
  static const char body[4000] = "first member body";
  const member m[] = {{"one.txt", body, sizeof body}, {"two.txt", body, sizeof body}};
  g_autoptr(GBytes) zip = build("zip", NULL, "zip:compression=store", NULL, m, 2);
  gsize len = g_bytes_get_size(zip);
  const guint8 *data = g_bytes_get_data(zip, NULL);
  for (gsize cut = 4; cut < len; cut += 97) {
    g_autoptr(mugai_archive_listing) l = mugai_archive_list(data, cut, &default_limits);
    assert_true(l->entries->len <= 2);
    if (cut > 4100) /* the first member is whole: it is listed even without a central directory */
      assert_entry(l, 0, "one.txt", 0);
  }
  g_autoptr(mugai_archive_listing) half = mugai_archive_list(data, len / 2 + 40, &default_limits);
  assert_true(half->damaged);
}

static void
random_bytes_not_detected_listing_says_unknown(void **state)
{
  (void) state;
  GRand *rand = g_rand_new_with_seed(7);
  guint8 buf[4096];
  for (int round = 0; round < 200; round++) {
    for (gsize i = 0; i < sizeof buf; i++)
      buf[i] = (guint8) g_rand_int(rand);
    buf[0] = 'A' + round % 20; /* no magic by chance */
    assert_false(mugai_archive_detect(buf, sizeof buf));
    g_autoptr(mugai_archive_listing) l = mugai_archive_list(buf, sizeof buf, &default_limits);
    assert_string_equal(l->format, "unknown");
    assert_int_equal(l->entries->len, 0);
    assert_true(l->damaged);
  }
  g_rand_free(rand);
  const char *text = "Hello,\r\nthis is plain text.\r\n";
  assert_false(mugai_archive_detect((const guint8 *) text, strlen(text)));
  g_autoptr(mugai_archive_listing) l = mugai_archive_list((const guint8 *) text, strlen(text),
                                                          &default_limits);
  assert_string_equal(l->format, "unknown");
  g_autoptr(mugai_archive_listing) empty = mugai_archive_list(NULL, 0, &default_limits);
  assert_true(empty->damaged);
}

/* Every archive this file builds, cut and with bytes flipped: names stay valid UTF-8 and nothing
 * crashes (ASan build). */
static void
mutated_archives_never_crash(void **state)
{
  (void) state;
  const member in[] = {FILE_M(SJIS_SEIKYU ".pdf", "%PDF-1.7 ....."), FILE_M("b", "bbbbbbbb")};
  g_autoptr(GBytes) inner = build_zip(in, 2);
  const member m[] = {FILE_M("a.txt", "aaaaaaaaaaaaaaaaaaaaaa"),
                      {"in.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)}};
  GBytes *seeds[] = {
    build_zip(m, 2), build("pax", "gzip", NULL, NULL, m, 2), build("7zip", NULL, NULL, NULL, m, 2),
    build("zip", NULL, "zip:encryption=aes256", "pw", m, 2), build("cpio", "xz", NULL, NULL, m, 2),
    build("iso9660", NULL, NULL, NULL, m, 2), build("raw", "gzip", NULL, NULL, m, 1),
  };
  GRand *rand = g_rand_new_with_seed(20240601);
  for (gsize s = 0; s < G_N_ELEMENTS(seeds); s++) {
    gsize len;
    const guint8 *orig = g_bytes_get_data(seeds[s], &len);
    assert_true(mugai_archive_detect(orig, len));
    for (int round = 0; round < 150; round++) {
      guint8 *buf = g_memdup2(orig, len);
      gsize n = (gsize) g_rand_int_range(rand, 1, (gint32) len + 1);
      for (int k = g_rand_int_range(rand, 1, 9); k > 0; k--)
        buf[g_rand_int_range(rand, 0, (gint32) n)] = (guint8) g_rand_int(rand);
      mugai_archive_limits limits = {3, 50, 1 << 20, 8 << 20, 0};
      mugai_archive_listing *l = mugai_archive_list(buf, n, &limits);
      assert_non_null(l->format);
      assert_true(l->entries->len <= 50);
      for (guint i = 0; i < l->entries->len; i++)
        assert_true(g_utf8_validate(entry_at(l, i)->name, -1, NULL));
      mugai_archive_listing_free(l);
      g_free(buf);
    }
    g_bytes_unref(seeds[s]);
  }
  g_rand_free(rand);
}

/* ---- detection ------------------------------------------------------------------------------ */

typedef struct {
  const char *name;
  gsize offset;
  const char *bytes;
  gsize len;
  gboolean want;
} detect_case;

#define D(name, off, s, want) {name, off, s, sizeof(s) - 1, want}
static const detect_case detect_cases[] = {
  D("zip_local_header", 0, "PK\x03\x04\x14\x00", TRUE),
  D("empty_zip", 0, "PK\x05\x06\x00\x00", TRUE),
  D("sevenzip", 0, "7z\xbc\xaf\x27\x1c\x00\x04", TRUE),
  D("rar4", 0, "Rar!\x1a\x07\x00", TRUE),
  D("rar5", 0, "Rar!\x1a\x07\x01\x00", TRUE),
  D("gzip", 0, "\x1f\x8b\x08\x00", TRUE),
  D("bzip2", 0, "BZh91AY&SY", TRUE),
  D("xz", 0, "\xfd" "7zXZ\x00\x00", TRUE),
  D("cab", 0, "MSCF\x00\x00\x00\x00", TRUE),
  D("tar_ustar_at_257", 257, "ustar\x00" "00", TRUE),
  D("iso9660_at_32769", 32769, "CD001\x01", TRUE),
  D("lha", 0, "\x20\x00-lh5-", TRUE),
  D("plain_text", 0, "Dear customer,\r\n", FALSE),
  D("bzip_word_in_text", 0, "BZh is not a level", FALSE),
  D("uuencode_is_text_not_archive", 0, "begin 644 file.txt\n", FALSE),
  D("pdf", 0, "%PDF-1.7\n", FALSE),
  D("windows_exe", 0, "MZ\x90\x00", FALSE),
  D("tnef_is_not_a_libarchive_format", 0, "\x78\x9f\x3e\x22\x01\x00", FALSE),
};
#undef D

static void
test_detect_case(void **state)
{
  const detect_case *c = *state;
  gsize len = c->offset + c->len + 16;
  guint8 *buf = g_malloc0(len);
  memset(buf, 'x', c->offset);
  memcpy(buf + c->offset, c->bytes, c->len);
  assert_int_equal(mugai_archive_detect(buf, len), c->want);
  assert_false(mugai_archive_detect(buf, c->offset + 2)); /* cut inside the magic: no */
  g_free(buf);
}

static void
office_documents_are_not_archives_to_list(void **state)
{
  (void) state;
  /* A .docx or .odt is a zip, but the reader wants the document's name, not its XML parts. */
  const member docx[] = {FILE_M("[Content_Types].xml", "<Types/>"),
                         FILE_M("word/document.xml", "<w/>")};
  const member odt[] = {FILE_M("mimetype", "application/vnd.oasis.opendocument.text")};
  const member jar[] = {FILE_M("META-INF/MANIFEST.MF", "Manifest-Version: 1.0")};
  g_autoptr(GBytes) d = build("zip", NULL, "zip:compression=store", NULL, docx, 2);
  g_autoptr(GBytes) o = build("zip", NULL, "zip:compression=store", NULL, odt, 1);
  g_autoptr(GBytes) j = build_zip(jar, 1);
  assert_false(mugai_archive_detect(g_bytes_get_data(d, NULL), g_bytes_get_size(d)));
  assert_false(mugai_archive_detect(g_bytes_get_data(o, NULL), g_bytes_get_size(o)));
  assert_true(mugai_archive_detect(g_bytes_get_data(j, NULL), g_bytes_get_size(j)));
  /* Asked to, the lister still lists one. */
  g_autoptr(mugai_archive_listing) l =
      mugai_archive_list(g_bytes_get_data(d, NULL), g_bytes_get_size(d), &default_limits);
  assert_int_equal(l->entries->len, 2);
}

/* ---- threads -------------------------------------------------------------------------------- */

static gpointer
list_in_thread(gpointer data)
{
  GBytes *zip = data;
  for (int i = 0; i < 50; i++) {
    g_autoptr(mugai_archive_listing) l =
        mugai_archive_list(g_bytes_get_data(zip, NULL), g_bytes_get_size(zip), &default_limits);
    if (l->entries->len != 2 ||
        strcmp(((mugai_archive_entry *) g_ptr_array_index(l->entries, 1))->name, "請求書.pdf") != 0)
      return GINT_TO_POINTER(1);
  }
  return GINT_TO_POINTER(uselocale((locale_t) 0) == LC_GLOBAL_LOCALE ? 0 : 1);
}

static void
listings_in_parallel_threads_agree(void **state)
{
  (void) state;
  const member in[] = {FILE_M(SJIS_SEIKYU ".pdf", "%PDF")};
  g_autoptr(GBytes) inner = build_zip(in, 1);
  const member m[] = {{"in.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner)}};
  g_autoptr(GBytes) zip = build_zip(m, 1);
  GThread *threads[4];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("list", list_in_thread, zip);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    assert_int_equal(GPOINTER_TO_INT(g_thread_join(threads[i])), 0);
}

static void
listing_free_accepts_null(void **state)
{
  (void) state;
  mugai_archive_listing_free(NULL);
}

int
main(void)
{
  const struct CMUnitTest fixed[] = {
    cmocka_unit_test(zip_members_listed_with_sizes_directories_left_out),
    cmocka_unit_test(zipcrypto_zip_reported_encrypted),
    cmocka_unit_test(aes256_zip_reported_encrypted),
    cmocka_unit_test(nested_zip_members_follow_their_parent_one_level_down),
    cmocka_unit_test(nested_archive_found_by_magic_not_by_name),
    cmocka_unit_test(encrypted_nested_zip_makes_listing_encrypted),
    cmocka_unit_test(cp932_name_without_utf8_flag_reads_as_japanese),
    cmocka_unit_test(utf8_flagged_name_read_in_c_locale),
    cmocka_unit_test(control_characters_become_spaces_bidi_kept_for_the_notice_to_drop),
    cmocka_unit_test(long_name_cut_on_a_character_boundary),
    cmocka_unit_test(tar_gz_members_listed),
    cmocka_unit_test(gzip_of_one_file_lists_its_stored_name_and_size),
    cmocka_unit_test(gzip_of_a_zip_lists_the_zip_inside),
    cmocka_unit_test(bzip2_of_one_file_lists_one_nameless_member),
    cmocka_unit_test(sevenzip_with_nested_zip_listed),
    cmocka_unit_test(sevenzip_with_encrypted_headers_reported_encrypted),
    cmocka_unit_test(entries_at_cap_all_listed_one_more_truncates),
    cmocka_unit_test(entry_cap_counts_nested_entries_too),
    cmocka_unit_test(depth_at_cap_reaches_leaf_one_less_truncates),
    cmocka_unit_test(deep_chain_bounded_by_depth_cap),
    cmocka_unit_test(nested_member_over_size_cap_listed_not_opened),
    cmocka_unit_test(zip_bomb_member_listed_from_headers_without_inflating),
    cmocka_unit_test(tar_gz_bomb_stops_at_scan_bytes),
    cmocka_unit_test(passed_deadline_stops_listing),
    cmocka_unit_test(cut_zip_flags_damaged_keeps_what_was_read),
    cmocka_unit_test(random_bytes_not_detected_listing_says_unknown),
    cmocka_unit_test(mutated_archives_never_crash),
    cmocka_unit_test(office_documents_are_not_archives_to_list),
    cmocka_unit_test(listings_in_parallel_threads_agree),
    cmocka_unit_test(listing_free_accepts_null),
  };
  struct CMUnitTest tests[G_N_ELEMENTS(fixed) + G_N_ELEMENTS(detect_cases)];
  gsize n = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(fixed); i++)
    tests[n++] = fixed[i];
  for (gsize i = 0; i < G_N_ELEMENTS(detect_cases); i++)
    tests[n++] = (struct CMUnitTest){detect_cases[i].name, test_detect_case, NULL, NULL,
                                     (void *) &detect_cases[i]};
  return cmocka_run_group_tests_name("archive_list", tests, NULL, NULL);
}
