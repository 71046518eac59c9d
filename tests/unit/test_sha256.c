/* test_sha256.c — the parts' SHA-256 (util/sha256.h) is the standard one: the FIPS 180-2 vectors,
 * and the same digest as GLib's for data given in pieces of every size, after a reset too. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <string.h>
#include "util/sha256.h"

static char *
digest_of(const char *s)
{
  g_autoptr(mugai_sha256) h = mugai_sha256_new();
  mugai_sha256_update(h, s, strlen(s));
  return mugai_sha256_hex(h);
}

static void
known_vectors(void **state)
{
  (void) state;
  g_autofree char *empty = digest_of("");
  assert_string_equal(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  g_autofree char *abc = digest_of("abc");
  assert_string_equal(abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  g_autofree char *two_blocks =
      digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
  assert_string_equal(two_blocks,
                      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
pieces_give_the_digest_of_the_whole(void **state)
{
  (void) state;
  GRand *r = g_rand_new_with_seed(7);
  gsize len = 200000;
  guint8 *data = g_malloc(len);
  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int(r);
  g_autofree char *want = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
  g_autoptr(mugai_sha256) h = mugai_sha256_new();
  mugai_sha256_update(h, "garbage", 7);
  mugai_sha256_reset(h);
  for (gsize at = 0, piece = 1; at < len; at += piece, piece = piece * 3 % 65537 + 1)
    mugai_sha256_update(h, data + at, MIN(piece, len - at));
  g_autofree char *got = mugai_sha256_hex(h);
  assert_string_equal(got, want);
  g_free(data);
  g_rand_free(r);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(known_vectors),
      cmocka_unit_test(pieces_give_the_digest_of_the_whole),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
