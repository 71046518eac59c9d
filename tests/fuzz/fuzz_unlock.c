/* fuzz_unlock.c — libFuzzer target for PPAP's unlock.c: the worker's side of opening a
 * password-protected archive. The first byte picks what the rest becomes: the archive itself
 * (zip, 7z, RAR or anything), the content of a member of a ZipCrypto or AES-256 zip written here
 * with libarchive's writer under the password "secret" (so the decrypting paths are reached), or
 * patches (offset, byte) to such a zip of several entries (a text, a directory, a symlink, a
 * binary member), so damaged and lying headers and encrypted data are reached without a corpus;
 * the second byte picks small limits. mugai_unlock_archive() then tries "wrong" and "secret".
 * A crash, leak or sanitizer report is a bug, and so is a broken promise of unlock.h: a failure
 * unless opened, no members unless opened, members within the limits, names valid UTF-8 of at
 * most MUGAI_UNLOCK_MAX_NAME_BYTES.
 */
#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "convert/unlock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
add(struct archive *a, const char *name, mode_t type, const void *data, size_t size)
{
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, name);
  archive_entry_set_filetype(e, type);
  archive_entry_set_perm(e, 0644);
  if (type == AE_IFLNK)
    archive_entry_set_symlink(e, "/etc/passwd");
  archive_entry_set_size(e, type == AE_IFREG ? (la_int64_t) size : 0);
  archive_write_header(a, e);
  if (type == AE_IFREG)
    archive_write_data(a, data, size);
  archive_entry_free(e);
}

/* A zip encrypted with "secret" (AES when AES): one member holding DATA, or (DATA NULL) the
 * fixed entries that patches are applied to. */
static GByteArray *
make_zip(const uint8_t *data, size_t size, gboolean aes)
{
  /* Room for the members (random data grows a little when deflated) and their headers. */
  GByteArray *out = g_byte_array_sized_new((guint) (2 * size + 65536));
  g_byte_array_set_size(out, 2 * (guint) size + 65536);
  size_t used = 0;
  struct archive *a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_options(a, aes ? "zip:encryption=aes256" : "zip:encryption=zipcrypt");
  archive_write_set_passphrase(a, "secret");
  archive_write_open_memory(a, out->data, out->len, &used);
  if (data) {
    add(a, "../member", AE_IFREG, data, size);
  } else {
    static const char text[] = "見積書を送付いたします。\n";
    guint8 bin[4096];
    for (gsize i = 0; i < sizeof bin; i++)
      bin[i] = (guint8) (i * 7 + i / 13);
    add(a, "見積書.txt", AE_IFREG, text, strlen(text));
    add(a, "dir/", AE_IFDIR, NULL, 0);
    add(a, "link", AE_IFLNK, NULL, 0);
    add(a, "/abs/b.bin", AE_IFREG, bin, sizeof bin);
  }
  if (archive_write_close(a) != ARCHIVE_OK)
    abort(); /* the buffer was too small: a bug of this target */
  archive_write_free(a);
  g_byte_array_set_size(out, (guint) used);
  return out;
}

/* Each 3 bytes of DATA: a 16-bit offset into ZIP and the byte to put there. */
static void
patch(GByteArray *zip, const uint8_t *data, size_t size)
{
  for (size_t i = 0; i + 3 <= size; i += 3)
    zip->data[((guint) data[i] << 8 | data[i + 1]) % zip->len] = data[i + 2];
}

static void
check(const mugai_unlock *u, const mugai_convert_limits *limits)
{
  if (u->members == NULL || (u->status != MUGAI_UNLOCK_OPENED) != (u->failure != NULL) ||
      (u->status != MUGAI_UNLOCK_OPENED && (u->members->len || u->password_index != -1)) ||
      (u->status == MUGAI_UNLOCK_OPENED && (u->password_index < 0 || u->password_index > 1)))
    abort();
  guint64 total = 0;
  for (guint i = 0; i < u->members->len; i++) {
    const mugai_unlocked_member *m = u->members->pdata[i];
    gsize len = g_bytes_get_size(m->data);
    total += len;
    if (len > limits->max_member || strlen(m->name) > MUGAI_UNLOCK_MAX_NAME_BYTES ||
        !g_utf8_validate(m->name, -1, NULL))
      abort();
  }
  if (total > limits->max_expanded || u->members->len > limits->max_entries)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  guint mode = data[0] % 4, pick = data[1];
  data += 2;
  size -= 2;
  mugai_convert_limits limits;
  mugai_convert_limits_init(&limits);
  limits.max_member = 1024u << (pick % 8);      /* 1 KiB .. 128 KiB */
  limits.max_expanded = 4096u << (pick / 8 % 8); /* 4 KiB .. 512 KiB */
  limits.max_entries = 1 + pick / 64 * 8;
  g_autoptr(GByteArray) zip = NULL;
  if (mode == 1 || mode == 2)
    zip = make_zip(data, size, mode == 2);
  else if (mode == 3) {
    zip = make_zip(NULL, 0, pick & 1);
    patch(zip, data, size);
  }
  const char *const passwords[] = {"wrong", "secret", NULL};
  mugai_unlock u = {0};
  mugai_unlock_archive(zip ? zip->data : data, zip ? zip->len : size, passwords, 2, &limits, &u);
  check(&u, &limits);
  mugai_unlock_clear(&u);
  return 0;
}
