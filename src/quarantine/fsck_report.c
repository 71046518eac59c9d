/* fsck_report.c — the backend-neutral fsck report (see fsck.h). Owns its lines and counts. */
#include "quarantine/fsck.h"

#include <string.h>

void
mugai_quarantine_fsck_report_init(mugai_quarantine_fsck_report *r)
{
  memset(r, 0, sizeof *r);
  r->lines = g_ptr_array_new_with_free_func(g_free);
  r->summary = g_strdup("");
  r->counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
mugai_quarantine_fsck_report_clear(mugai_quarantine_fsck_report *r)
{
  if (r->lines)
    g_ptr_array_unref(r->lines);
  if (r->counts)
    g_hash_table_unref(r->counts);
  g_free(r->summary);
  memset(r, 0, sizeof *r);
}

void
mugai_quarantine_fsck_report_say(mugai_quarantine_fsck_report *r, const char *format, ...)
{
  va_list args;
  va_start(args, format);
  g_ptr_array_add(r->lines, g_strdup_vprintf(format, args));
  va_end(args);
}

void
mugai_quarantine_fsck_report_set_count(mugai_quarantine_fsck_report *r, const char *name,
                                       guint64 count)
{
  guint64 *n = g_new(guint64, 1);
  *n = count;
  g_hash_table_insert(r->counts, g_strdup(name), n);
}

guint64
mugai_quarantine_fsck_report_count(const mugai_quarantine_fsck_report *r, const char *name)
{
  const guint64 *n = r->counts ? g_hash_table_lookup(r->counts, name) : NULL;
  return n ? *n : 0;
}
