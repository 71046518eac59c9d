/* fuzz_unlock.c — libFuzzer target for PPAP's unlock.c: the worker's side of opening a
 * password-protected archive. The first byte picks what the rest becomes: the archive itself
 * (zip, 7z, RAR or anything), or the content of a member of a ZipCrypto or AES-256 zip written
 * here with libarchive's writer under the password "secret" (so the decrypting paths are reached);
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

static la_ssize_t
append(struct archive *a, void *user, const void *buf, size_t len)
{
  (void) a;
  g_byte_array_append(user, buf, (guint) len);
  return (la_ssize_t) len;
}

/* A zip with one member holding DATA, encrypted with "secret" (AES when AES). */
static GByteArray *
wrap(const uint8_t *data, size_t size, gboolean aes)
{
  GByteArray *out = g_byte_array_new();
  struct archive *a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_set_options(a, aes ? "zip:encryption=aes256" : "zip:encryption=zipcrypt");
  archive_write_set_passphrase(a, "secret");
  archive_write_open(a, out, NULL, append, NULL);
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, "../member");
  archive_entry_set_filetype(e, AE_IFREG);
  archive_entry_set_perm(e, 0644);
  archive_entry_set_size(e, (la_int64_t) size);
  archive_write_header(a, e);
  archive_write_data(a, data, size);
  archive_entry_free(e);
  archive_write_close(a);
  archive_write_free(a);
  return out;
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
  guint mode = data[0] % 3, pick = data[1];
  data += 2;
  size -= 2;
  mugai_convert_limits limits;
  mugai_convert_limits_init(&limits);
  limits.max_member = 1024u << (pick % 8);      /* 1 KiB .. 128 KiB */
  limits.max_expanded = 4096u << (pick / 8 % 8); /* 4 KiB .. 512 KiB */
  limits.max_entries = 1 + pick / 64 * 8;
  g_autoptr(GByteArray) zip = mode ? wrap(data, size, mode == 2) : NULL;
  const char *const passwords[] = {"wrong", "secret", NULL};
  mugai_unlock u = {0};
  mugai_unlock_archive(zip ? zip->data : data, zip ? zip->len : size, passwords, 2, &limits, &u);
  check(&u, &limits);
  mugai_unlock_clear(&u);
  return 0;
}
