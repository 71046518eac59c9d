/* sender_list.c — the text of a [lists] file: one sender address or domain per line, checked
 * as the config checks them, normalized (lower case, domains without "@"), sorted and unique. */
#include "config/config_private.h"

#include <string.h>

static gint compare_strings(gconstpointer a, gconstpointer b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

char **mugai_config_parse_sender_list(const char *text, gsize len, const char *source,
                                      GPtrArray *problems, GError **error)
{
  g_return_val_if_fail(text != NULL && source != NULL, NULL);
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) { /* a Windows editor's byte-order mark */
    text += 3;
    len -= 3;
  }
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) all = g_string_new(NULL);
  guint bad = 0, line = 1;
  for (const char *p = text, *end = text + len; p < end; line++) {
    const char *nl = memchr(p, '\n', (gsize) (end - p));
    gsize n = nl ? (gsize) (nl - p) : (gsize) (end - p);
    gboolean has_nul = memchr(p, '\0', n) != NULL;
    g_autofree char *copy = g_strndup(p, n);
    p = nl ? nl + 1 : end;
    char *t = g_strstrip(copy);
    g_autofree char *why = NULL;
    if (has_nul || !g_utf8_validate(t, -1, NULL))
      why = g_strdup("this line contains a NUL byte or is not valid UTF-8");
    else if (*t == '\0' || *t == '#')
      continue;
    else
      why = config_check_address_or_domain(t);
    if (why == NULL) {
      g_ptr_array_add(items, g_ascii_strdown(t[0] == '@' ? t + 1 : t, -1)); /* "@x" means "x" */
      continue;
    }
    if (bad++ < MAX_REPORTED) {
      char *found = g_strdup_printf("%s:%u: %s", source, line, why);
      g_string_append_printf(all, "%s%s", all->len ? "\n" : "", found);
      if (problems != NULL)
        g_ptr_array_add(problems, found);
      else
        g_free(found);
    }
  }
  if (bad > 0) {
    if (bad > MAX_REPORTED)
      g_string_append_printf(all, "\n%s: and %u more problems", source, bad - MAX_REPORTED);
    g_set_error_literal(error, MUGAI_CONFIG_ERROR, MUGAI_CONFIG_ERROR_INVALID, all->str);
    return NULL;
  }
  g_ptr_array_sort(items, compare_strings);
  GPtrArray *unique = g_ptr_array_new();
  for (guint i = 0; i < items->len; i++)
    if (unique->len == 0 || strcmp(unique->pdata[unique->len - 1], items->pdata[i]) != 0)
      g_ptr_array_add(unique, g_strdup(items->pdata[i]));
  g_ptr_array_add(unique, NULL);
  return (char **) g_ptr_array_free(unique, FALSE);
}

