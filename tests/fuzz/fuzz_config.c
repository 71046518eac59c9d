/* fuzz_config.c — libFuzzer target for the config parser (config.c): the input as a mugai.conf,
 * and as a [lists] file. An admin's file is not hostile mail, but a parser that reads input must
 * hold for any bytes: no crash, leak or sanitizer report, a problem list on failure, and a policy
 * that dumps to a text which parses again to the same dump (what `config check -v` promises).
 * Inputs naming /dev, /proc or /sys are skipped: templates and lists are files the parser opens,
 * and a device could block the run. */
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
names_a_device(const char *text, gsize len)
{
  static const char *const roots[] = {"/dev", "/proc", "/sys"};
  for (gsize i = 0; i < G_N_ELEMENTS(roots); i++)
    if (g_strstr_len(text, (gssize) len, roots[i]) != NULL)
      return TRUE;
  return FALSE;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *) data;
  if (names_a_device(text, size))
    return 0;
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(mugai_policy) policy = mugai_config_parse(text, size, "fuzz.conf", problems, &error);
  if (policy == NULL) {
    if (error == NULL || problems->len == 0)
      abort(); /* a refusal always says why */
  } else {
    g_autofree char *dump = mugai_config_dump(policy);
    g_autoptr(GError) again_error = NULL;
    g_autoptr(mugai_policy) again = mugai_config_parse(dump, strlen(dump), "dump", NULL,
                                                       &again_error);
    if (again == NULL)
      abort(); /* the dump of a valid policy must parse */
    g_autofree char *dump2 = mugai_config_dump(again);
    if (strcmp(strchr(dump, '['), strchr(dump2, '[')) != 0)
      abort(); /* and give the same policy */
  }
  g_autoptr(GError) list_error = NULL;
  g_auto(GStrv) senders = mugai_config_parse_sender_list(text, size, "fuzz.list", NULL,
                                                         &list_error);
  if ((senders == NULL) == (list_error == NULL))
    abort();
  return 0;
}
