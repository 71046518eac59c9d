/* scan_test_db.h — the test signature database and test archives, shared by the scanner tests.
 *
 * Nothing is downloaded: EICAR is an .ndb body signature of its 68 bytes (libclamav has no
 * built-in EICAR, an empty database finds nothing), the project's own test signatures are an .ndb
 * body signature (MUGAI.Test.Sig) and an .hdb file hash (MUGAI.Test.Hash). Signatures from files
 * outside a signed CVD come back with libclamav's ".UNOFFICIAL" suffix: that is the name a user
 * sees (clamd reports the same names). Zips are built in memory with libarchive.
 * Also the detections every backend must make alike (scan_contract_*), as cmocka tests whose
 * fixture starts with the mugai_scanner * under test.
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
#include "sanitize/scanner.h"

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


G_GNUC_UNUSED static void
assert_scan_len(mugai_scanner *scanner, const void *data, gsize len, mugai_scan_verdict want,
                const char *signature)
{
  g_auto(mugai_scan_result) result = {0};
  mugai_scan_verdict got = mugai_scanner_scan(scanner, data, len, "part", &result);
  if (got != want || g_strcmp0(result.signature, signature) != 0)
    fail_msg("verdict %s signature %s detail %s; want %s %s", mugai_scan_verdict_name(got),
             result.signature, result.detail, mugai_scan_verdict_name(want), signature);
}

G_GNUC_UNUSED static void
assert_scan(mugai_scanner *scanner, GBytes *data, mugai_scan_verdict want, const char *signature)
{
  gsize len;
  const guint8 *bytes = g_bytes_get_data(data, &len);
  assert_scan_len(scanner, bytes, len, want, signature);
}

G_GNUC_UNUSED static void
assert_scan_str(mugai_scanner *scanner, const char *text, mugai_scan_verdict want,
                const char *signature)
{
  assert_scan_len(scanner, text, strlen(text), want, signature);
}

/* The scanner of a fixture whose first member is the mugai_scanner * under test. */
#define CONTRACT_SCANNER(state) (*(mugai_scanner **) *(state))

G_GNUC_UNUSED static void
scan_contract_finds_eicar_raw(void **state)
{
  assert_scan_str(CONTRACT_SCANNER(state), EICAR, MUGAI_SCAN_INFECTED, EICAR_NAME);
  assert_scan_str(CONTRACT_SCANNER(state), EICAR "\r\n", MUGAI_SCAN_INFECTED,
                  EICAR_NAME); /* as saved by a client */
}

G_GNUC_UNUSED static void
scan_contract_finds_eicar_inside_zip(void **state)
{
  g_autoptr(GBytes) zip = zip_of("readme.txt", "hello\n", (gsize) 6, EICAR_MEMBER, NULL);
  assert_scan(CONTRACT_SCANNER(state), zip, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

G_GNUC_UNUSED static void
scan_contract_finds_eicar_inside_zip_inside_zip(void **state)
{
  g_autoptr(GBytes) inner = zip_of(EICAR_MEMBER, NULL);
  g_autoptr(GBytes) outer =
      zip_of("inner.zip", g_bytes_get_data(inner, NULL), g_bytes_get_size(inner), NULL);
  assert_scan(CONTRACT_SCANNER(state), outer, MUGAI_SCAN_INFECTED, EICAR_NAME);
}

G_GNUC_UNUSED static void
scan_contract_finds_project_signature_in_text(void **state)
{
  assert_scan_str(CONTRACT_SCANNER(state), "Dear user,\r\nplease see " MARKER " below.\r\n",
                  MUGAI_SCAN_INFECTED, MARKER_NAME);
}

G_GNUC_UNUSED static void
scan_contract_finds_project_file_by_hash(void **state)
{
  assert_scan_str(CONTRACT_SCANNER(state), HASHED, MUGAI_SCAN_INFECTED, HASHED_NAME);
  assert_scan_str(CONTRACT_SCANNER(state), HASHED "x", MUGAI_SCAN_CLEAN,
                  NULL); /* one byte more: another hash */
}

G_GNUC_UNUSED static void
scan_contract_clean_data_is_clean(void **state)
{
  assert_scan_str(CONTRACT_SCANNER(state), "Subject-less text, nothing to see here.\r\n",
                  MUGAI_SCAN_CLEAN, NULL);
  assert_scan_str(CONTRACT_SCANNER(state), "", MUGAI_SCAN_CLEAN, NULL);
  g_autoptr(GBytes) zip = zip_of("a.txt", "just text\n", (gsize) 10, NULL);
  assert_scan(CONTRACT_SCANNER(state), zip, MUGAI_SCAN_CLEAN, NULL);
}

/* The contract, for a backend's test list. */
#define SCAN_CONTRACT_TESTS                                                                        \
  cmocka_unit_test(scan_contract_finds_eicar_raw),                                                 \
      cmocka_unit_test(scan_contract_finds_eicar_inside_zip),                                      \
      cmocka_unit_test(scan_contract_finds_eicar_inside_zip_inside_zip),                           \
      cmocka_unit_test(scan_contract_finds_project_signature_in_text),                             \
      cmocka_unit_test(scan_contract_finds_project_file_by_hash),                                  \
      cmocka_unit_test(scan_contract_clean_data_is_clean)
