/* test_payload_strip.c — which lines mugai_payloads_defuse() (sanitize/payload_strip.h) leaves
 * out of a text: every block's marker lines, wherever the block starts (the text's first line,
 * the last, after prose, past the offset the caller gives), and nothing of a text whose markers
 * stand anywhere but at the start of a line (BinHex's stands anywhere in its line). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include "sanitize/payload_strip.h"

typedef struct {
  const char *text;
  gsize from;
  const char *expected;
  guint blocks;
  const char *first_type; /* of the first record, when blocks > 0 */
} Case;

#define UU_DATA "M5&AI<R!I<R!A('1E<W0@;V8@=75E;F-O9&EN9PH`\n`\n"

static const Case cases[] = {
  {"begin 644 a.exe\n" UU_DATA "end\nafter\n", 0, UU_DATA "after\n", 1,
   "application/x-uuencode"},
  {"prose\nbegin 644 a.exe\n" UU_DATA "end\n", 0, "prose\n" UU_DATA, 1, "application/x-uuencode"},
  {"ご連絡です。\n=ybegin line=128 size=3 name=a.bin\nabc\n=yend size=3\n", 0,
   "ご連絡です。\nabc\n", 1, "application/x-yenc"},
  {"stray\n=ypart begin=1 end=3\nx\n", 0, "stray\nx\n", 0, NULL},
  {"text\n-----BEGIN PGP MESSAGE-----\n\nhQEMA\n-----END PGP MESSAGE-----", 0,
   "text\n[BEGIN PGP MESSAGE]\n\nhQEMA\n[END PGP MESSAGE]\n", 1, "application/pgp-encrypted"},
  {"see (This file must be converted with BinHex 4.0)\n:abc\n", 0, ":abc\n", 1,
   "application/mac-binhex40"},
  /* Past FROM only: the caller's own text before it stays as it is. */
  {"begin 644 x\nkept\nbegin 644 a.exe\n" UU_DATA "end\n", 17, "begin 644 x\nkept\n" UU_DATA, 1,
   "application/x-uuencode"},
  /* Markers inside a line open nothing. */
  {"we begin 644 tomorrow\nx=ybegin line=1\n a -----BEGIN PGP MESSAGE\n", 0,
   "we begin 644 tomorrow\nx=ybegin line=1\n a -----BEGIN PGP MESSAGE\n", 0, NULL},
  {"", 0, "", 0, NULL},
  {"b", 0, "b", 0, NULL},
};

static void
defuses_as_expected(void **state)
{
  (void) state;
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    const Case *c = &cases[i];
    g_autoptr(GString) text = g_string_new(c->text);
    g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_payload_free);
    guint blocks = mugai_payloads_defuse(text, c->from, 8, found);
    if (strcmp(text->str, c->expected) != 0 || blocks != c->blocks)
      fail_msg("case %zu: got %u blocks and \"%s\"", i, blocks, text->str);
    assert_int_equal(found->len, c->blocks);
    if (c->blocks > 0) {
      const mugai_payload *p = g_ptr_array_index(found, 0);
      assert_string_equal(p->type, c->first_type);
      assert_non_null(p->sha256);
      assert_int_equal(strlen(p->sha256), 64);
    }
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(defuses_as_expected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
