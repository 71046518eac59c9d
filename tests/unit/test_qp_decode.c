/* test_qp_decode.c — mugai's quoted-printable decoder (sanitize/qp_decode.h) gives what GMime's
 * g_mime_encoding_quoted_decode_step() gives, byte for byte: known cases (Japanese, soft breaks,
 * bad escapes, an escape cut at the end), then random input rich in escapes, in random chunks. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <gmime/gmime.h>
#include <string.h>
#include "sanitize/qp_decode.h"

/* IN decoded in pieces of PIECE bytes (0: whole). (transfer full) */
static GByteArray *
decode_ours(const guint8 *in, gsize len, gsize piece)
{
  GByteArray *out = g_byte_array_new();
  mugai_qp_decoder d = {0};
  guint8 *buf = g_malloc((piece ? piece : len) + 2);
  for (gsize at = 0; at < len;) {
    gsize n = piece ? MIN(piece, len - at) : len;
    gsize got = mugai_qp_decode_step(&d, in + at, n, buf);
    assert_true(got <= n + 2);
    g_byte_array_append(out, buf, (guint) got);
    at += n;
  }
  g_free(buf);
  return out;
}

/* The same through GMime's decoder, in one go. (transfer full) */
static GByteArray *
decode_gmime(const guint8 *in, gsize len)
{
  GByteArray *out = g_byte_array_sized_new((guint) len + 3);
  int state = 0;
  guint32 save = 0;
  g_byte_array_set_size(out, (guint) len + 3);
  gsize got = g_mime_encoding_quoted_decode_step(in, len, out->data, &state, &save);
  g_byte_array_set_size(out, (guint) got);
  return out;
}

static void
assert_same(const guint8 *in, gsize len, gsize piece)
{
  GByteArray *want = decode_gmime(in, len);
  GByteArray *got = decode_ours(in, len, piece);
  assert_int_equal(got->len, want->len);
  assert_memory_equal(got->data, want->data, want->len);
  g_byte_array_unref(want);
  g_byte_array_unref(got);
}

static void
assert_decodes(const char *in, const char *want)
{
  GByteArray *got = decode_ours((const guint8 *) in, strlen(in), 0);
  g_byte_array_append(got, (const guint8 *) "", 1);
  assert_string_equal((const char *) got->data, want);
  g_byte_array_unref(got);
  for (gsize piece = 1; piece <= 4; piece++)
    assert_same((const guint8 *) in, strlen(in), piece);
}

static void
known_cases(void **state)
{
  (void) state;
  assert_decodes("=E3=81=82=e3=81=84", "あい");
  assert_decodes("plain text, no escape", "plain text, no escape");
  assert_decodes("soft=\nbreak and=\r\nCRLF", "softbreak andCRLF");
  assert_decodes("=G1 =4 x", "=G1 =4 x"); /* bad escapes stay as they are */
  assert_decodes("==41", "==41");         /* the third character is not read as a new escape */
  assert_decodes("a=\r", "a");            /* an escape cut at the end is dropped, as GMime does */
  assert_decodes("a=4", "a");
  assert_decodes("a=", "a");
  assert_decodes("=\n=\n=\n", "");
  assert_decodes("=0D=0A=00x", "\r\n"); /* NUL included: the C string ends there */
}

static void
random_input_in_random_pieces(void **state)
{
  (void) state;
  static const char alphabet[] = "=====0123456789ABCDEFabcdefg\r\n\n \t\x80\xe3\x00";
  GRand *r = g_rand_new_with_seed(20261202);
  for (int round = 0; round < 2000; round++) {
    gsize len = (gsize) g_rand_int_range(r, 0, 300);
    guint8 *in = g_malloc(len + 1);
    for (gsize i = 0; i < len; i++)
      in[i] = (guint8) alphabet[g_rand_int_range(r, 0, (gint32) sizeof alphabet)];
    assert_same(in, len, 0);
    assert_same(in, len, (gsize) g_rand_int_range(r, 1, 8));
    g_free(in);
  }
  g_rand_free(r);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(known_cases),
      cmocka_unit_test(random_input_in_random_pieces),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
