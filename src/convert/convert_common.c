/* convert_common.c — what both sides of the worker pipe share: the default limits and the names
 * of the warning bits (the worker writes them, the client reads them back). No parser here, so
 * the client library links none of poppler, libxml2 or libarchive.
 */
#include "convert/convert.h"

#include <string.h>

void
mugai_convert_limits_init(mugai_convert_limits *limits)
{
  *limits = (mugai_convert_limits){
    .max_output = 4 << 20,
    .max_expanded = 64 << 20,
    .max_member = 16 << 20,
    .max_entries = 2000,
    .max_depth = 2,
    .max_xml_depth = 128, /* below libxml2's own 256, so ours is the limit that speaks */
    .max_pages = 2000,
    .max_cells = 1000000,
  };
}

/* ---- warnings ------------------------------------------------------------------------------- */


char *
mugai_convert_warnings_to_string(guint warnings)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; mugai_convert_warning_name(i); i++)
    if (warnings & (1u << i))
      g_string_append_printf(s, "%s%s", s->len ? "," : "", mugai_convert_warning_name(i));
  return g_string_free(s, FALSE);
}

guint
mugai_convert_warnings_from_string(const char *names)
{
  guint bits = 0;
  g_auto(GStrv) parts = g_strsplit(names ? names : "", ",", -1);
  for (char **p = parts; *p; p++)
    for (guint i = 0; mugai_convert_warning_name(i); i++)
      if (strcmp(*p, mugai_convert_warning_name(i)) == 0)
        bits |= 1u << i;
  return bits;
}

