/* bench_passwords.c — what reading every inbound mail for PPAP passwords costs: the texts given
 * (UTF-8 files: sanitized bodies, say) searched with mugai_password_candidates() as the sanitizer
 * does for each inbound mail when [ppap] unlock is on.
 *
 * Usage: bench_passwords ROUNDS FILE...   → per file bytes, candidates, µs per search; and the
 * total in ns per byte. */
#include <stdio.h>
#include "sanitize/passwords.h"

int
main(int argc, char **argv)
{
  if (argc < 3) {
    fprintf(stderr, "usage: %s ROUNDS FILE...\n", argv[0]);
    return 2;
  }
  int rounds = (int) CLAMP(g_ascii_strtoull(argv[1], NULL, 10), 1, (guint64) G_MAXINT);
  guint64 bytes = 0;
  gint64 spent = 0;
  for (int f = 2; f < argc; f++) {
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(argv[f], &text, &len, NULL) || !g_utf8_validate(text, len, NULL))
      continue;
    guint found = 0;
    gint64 start = g_get_monotonic_time();
    for (int r = 0; r < rounds; r++) {
      g_autoptr(GPtrArray) c = mugai_password_candidates(text, len, 8);
      found = c->len;
    }
    gint64 us = g_get_monotonic_time() - start;
    printf("%s\t%zu bytes\t%u candidates\t%.2f us\n", argv[f], len, found, (double) us / rounds);
    bytes += len * (guint64) rounds;
    spent += us;
  }
  printf("total: %.2f ns/byte\n", bytes ? spent * 1000.0 / (double) bytes : 0.0);
  return 0;
}
