/* dsn.c — hiding the password of a PostgreSQL connection string (see dsn.h). Two patterns, not a
 * parser: what libpq accepts and they miss is a value quoted in a way libpq refuses anyway. */
#include "util/dsn.h"

char *
mugai_dsn_redact(const char *dsn) {
  /* URI: scheme://user:PASSWORD@host; conninfo or URI query: password='...' or password=... */
  static const char *const patterns[][2] = {
      {"^(postgres(?:ql)?://[^:/@?]*:)[^@/?]*@", "\\1***@"},
      {"(?i)(\\bpassword\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|[^\\s&]*)", "\\1***"},
  };
  g_autofree char *text = g_strdup(dsn ? dsn : "");
  for (gsize i = 0; i < G_N_ELEMENTS(patterns); i++) {
    g_autoptr(GRegex) re = g_regex_new(patterns[i][0], G_REGEX_OPTIMIZE, 0, NULL);
    g_assert(re != NULL);
    char *next = g_regex_replace(re, text, -1, 0, patterns[i][1], 0, NULL);
    if (next != NULL) {
      g_free(text);
      text = next;
    }
  }
  return g_steal_pointer(&text);
}
