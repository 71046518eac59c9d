/* fuzz_passwords.c — libFuzzer target for passwords.c: the input read as the text of a password
 * mail (with its length: NUL bytes included), its candidates, and the text masked with all of
 * them and with the first one everywhere.
 * What passwords.h promises, and so what is asserted: at most MAX candidates, each password once,
 * never empty, valid UTF-8 without control characters, at most MUGAI_PASSWORD_MAX_BYTES; each
 * span inside the text, and the span's bytes the password or (full-width) its NFKC form; masking
 * a valid text leaves valid UTF-8 (spans fall on character boundaries) and no more masks than
 * spans. A crash, leak or sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "sanitize/passwords.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANDIDATES_MAX 8

static void
check_candidate(const char *text, size_t size, const mugai_password_candidate *c)
{
  const char *pw = c->password;
  gsize n = strlen(pw);
  if (n == 0 || n > MUGAI_PASSWORD_MAX_BYTES || !g_utf8_validate(pw, -1, NULL))
    abort();
  for (const char *p = pw; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      abort();
  if (c->length == 0 || c->length > size || c->offset > size - c->length)
    abort();
  const char *span = text + c->offset;
  if (c->length == n && memcmp(span, pw, n) == 0)
    return;
  g_autofree char *ascii = g_utf8_normalize(span, (gssize) c->length, G_NORMALIZE_NFKC);
  if (ascii == NULL || strcmp(ascii, pw) != 0)
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  g_autoptr(GPtrArray) found = mugai_password_candidates(text, size, CANDIDATES_MAX);
  if (found->len > CANDIDATES_MAX)
    abort();
  for (guint i = 0; i < found->len; i++) {
    const mugai_password_candidate *c = g_ptr_array_index(found, i);
    check_candidate(text, size, c);
    for (guint j = 0; j < i; j++)
      if (strcmp(((const mugai_password_candidate *) g_ptr_array_index(found, j))->password,
                 c->password) == 0)
        abort();
  }
  gboolean valid = g_utf8_validate_len(text, size, NULL);
  g_autoptr(GString) masked = g_string_new_len(text, (gssize) size);
  if (mugai_password_mask(masked, found) > found->len)
    abort();
  if (valid && !g_utf8_validate_len(masked->str, masked->len, NULL))
    abort();
  if (found->len > 0) {
    const mugai_password_candidate *first = g_ptr_array_index(found, 0);
    g_autoptr(GString) all = g_string_new_len(text, (gssize) size);
    guint n = mugai_password_mask_all(all, first->password);
    if (strlen(first->password) >= 4 && n == 0)
      abort(); /* its own span at least */
    if (valid && !g_utf8_validate_len(all->str, all->len, NULL))
      abort();
  }
  return 0;
}
