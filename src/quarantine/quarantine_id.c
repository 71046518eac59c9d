/* quarantine_id.c — ids and the hashed layout (see quarantine_id.h). Owns nothing. */
#include "quarantine/quarantine_id.h"

#include <string.h>

#define RANDOM_HEX 10

char *
mugai_quarantine_id_new(gint64 now)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now);
  g_autofree char *stamp = g_date_time_format(t, "%Y%m%d-%H%M%S");
  /* g_random_* is seeded per process from /dev/urandom: enough for ids, which are not secrets. */
  guint64 r = ((guint64) g_random_int() << 32 | g_random_int()) & G_GUINT64_CONSTANT(0xffffffffff);
  return g_strdup_printf("%s-%0*" G_GINT64_MODIFIER "x", stamp, RANDOM_HEX, r);
}

gboolean
mugai_quarantine_id_valid(const char *id)
{
  static const char shape[] = "dddddddd-dddddd-hhhhhhhhhh";
  if (id == NULL || strlen(id) != MUGAI_QUARANTINE_ID_LEN)
    return FALSE;
  for (gsize i = 0; i < MUGAI_QUARANTINE_ID_LEN; i++) {
    char c = id[i];
    gboolean ok = shape[i] == 'd'   ? g_ascii_isdigit(c)
                  : shape[i] == 'h' ? (g_ascii_isdigit(c) || (c >= 'a' && c <= 'f'))
                                    : c == shape[i];
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gint64
mugai_quarantine_id_time(const char *id)
{
  g_return_val_if_fail(mugai_quarantine_id_valid(id), 0);
  int v[6] = {0};
  const int at[6][2] = {{0, 4}, {4, 2}, {6, 2}, {9, 2}, {11, 2}, {13, 2}};
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < at[i][1]; j++)
      v[i] = v[i] * 10 + (id[at[i][0] + j] - '0');
  g_autoptr(GDateTime) t = g_date_time_new_utc(v[0], v[1], v[2], v[3], v[4], v[5]);
  return t ? g_date_time_to_unix(t) : 0;
}

char *
mugai_quarantine_id_subdir(const char *id)
{
  g_return_val_if_fail(mugai_quarantine_id_valid(id), NULL);
  const char *r = id + MUGAI_QUARANTINE_ID_LEN - RANDOM_HEX;
  return g_strdup_printf("objects/%.2s/%.2s", r, r + 2);
}

char *
mugai_quarantine_id_relpath(const char *id)
{
  g_autofree char *sub = mugai_quarantine_id_subdir(id);
  return sub ? g_strdup_printf("%s/%s", sub, id) : NULL;
}
