/* scan_test_db.h — the test signature database and test archives, shared by the scanner tests.
 *
 * Nothing is downloaded: EICAR is an .ndb body signature of its 68 bytes (libclamav has no
 * built-in EICAR, an empty database finds nothing), the project's own test signatures are an .ndb
 * body signature (MUGAI.Test.Sig) and an .hdb file hash (MUGAI.Test.Hash). Signatures from files
 * outside a signed CVD come back with libclamav's ".UNOFFICIAL" suffix: that is the name a user
 * sees (clamd reports the same names). Zips are built in memory with libarchive.
 * Header-only (static functions): each tests/unit/test_*.c is its own program. Include after
 * cmocka.h.
 */
#pragma once
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>

/* Split so that this source file itself is not EICAR to a scanner. */
#define EICAR                                                                                      \
  "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"                                                             \
  "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
#define MARKER "MUGAI-TEST-SIGNATURE-3f9c1d7e"
#define HASHED "mugai test file matched by its md5\n"
#define EICAR_NAME "Eicar-Test-Signature.UNOFFICIAL"
#define MARKER_NAME "MUGAI.Test.Sig.UNOFFICIAL"
#define HASHED_NAME "MUGAI.Test.Hash.UNOFFICIAL"
#define DAY (24 * 60 * 60)

G_GNUC_UNUSED static char *
hex(const char *s)
{
  GString *out = g_string_new(NULL);
  for (const char *p = s; *p; p++)
    g_string_append_printf(out, "%02x", (guint8) *p);
  return g_string_free(out, FALSE);
}

G_GNUC_UNUSED static void
write_file(const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* A directory holding the three test signatures. (transfer full) */
G_GNUC_UNUSED static char *
make_database(void)
{
  char *dir = g_dir_make_tmp("mugai-scan-XXXXXX", NULL);
  assert_non_null(dir);
  g_autofree char *eicar_hex = hex(EICAR);
  g_autofree char *marker_hex = hex(MARKER);
  g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, HASHED, -1);
  g_autofree char *ndb = g_strdup_printf("Eicar-Test-Signature:0:*:%s\nMUGAI.Test.Sig:0:*:%s\n",
                                         eicar_hex, marker_hex);
  g_autofree char *hdb = g_strdup_printf("%s:%zu:MUGAI.Test.Hash\n", md5, strlen(HASHED));
  write_file(dir, "mugai-test.ndb", ndb);
  write_file(dir, "mugai-test.hdb", hdb);
  return dir;
}

G_GNUC_UNUSED static void
remove_database(char *dir)
{
  g_autoptr(GDir) listing = g_dir_open(dir, 0, NULL);
  const char *name;
  while (listing && (name = g_dir_read_name(listing)) != NULL) {
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_unlink(path);
  }
  g_rmdir(dir);
  g_free(dir);
}

/* A zip of the given (name, data, len) members, built in memory. (transfer full) */
G_GNUC_UNUSED static GBytes *
zip_of(const char *name, const void *data, gsize len, ...)
{
  gsize cap = 1024 * 1024, used = 0;
  g_autofree guint8 *buf = g_malloc(cap);
  struct archive *a = archive_write_new();
  assert_int_equal(archive_write_set_format_zip(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
  va_list ap;
  va_start(ap, len);
  while (name != NULL) {
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t) len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t) len);
    archive_entry_free(e);
    name = va_arg(ap, const char *);
    if (name != NULL) {
      data = va_arg(ap, const void *);
      len = va_arg(ap, gsize);
    }
  }
  va_end(ap);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return g_bytes_new(buf, used);
}

#define EICAR_MEMBER "eicar.com", EICAR, (gsize) (sizeof(EICAR) - 1)

