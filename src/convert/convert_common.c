/* convert_common.c — what both sides of the worker pipe share: the default limits, the names of
 * the warning bits and of the unlock statuses (the worker writes them, the client reads them back). No parser here, so
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


/* ---- unlock statuses ------------------------------------------------------------------------ */

static const char *const unlock_names[] = {"opened", "wrong_password", "unsupported", "refused",
                                           "failed"};
G_STATIC_ASSERT(G_N_ELEMENTS(unlock_names) == MUGAI_UNLOCK_FAILED + 1);

const char *
mugai_unlock_status_name(mugai_unlock_status status)
{
  return (guint) status < G_N_ELEMENTS(unlock_names) ? unlock_names[status] : "failed";
}

gboolean
mugai_unlock_status_from_name(const char *name, mugai_unlock_status *status)
{
  for (guint i = 0; i < G_N_ELEMENTS(unlock_names); i++)
    if (g_strcmp0(name, unlock_names[i]) == 0) {
      *status = (mugai_unlock_status) i;
      return TRUE;
    }
  return FALSE;
}
