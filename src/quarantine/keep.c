/* keep.c — store the original a result asks to keep (see keep.h). Owns nothing. */
#include "quarantine/keep.h"

#include "quarantine/quarantine_id.h"

/* Bytes of a spooled original that the entry's From and Subject are read from: the header block,
 * which the sanitizer caps far below this. */
#define HEADER_PREFIX (1024 * 1024)

/* A spooled original handed to the store to read a piece at a time: a mapping of it would be
 * resident whole (a 50 MB message held mugai-milter's VmRSS at 85 MB). */
static gboolean
store_spooled(mugai_quarantine *q, const char *id, mugai_spool *spool,
              const mugai_envelope *envelope, mugai_result *result, GError **error)
{
  gsize head_len = (gsize) MIN(mugai_spool_get_size(spool), (guint64) HEADER_PREFIX);
  g_autofree guint8 *head = g_malloc(MAX(head_len, 1));
  if (!mugai_spool_read_at(spool, 0, head, head_len, error))
    return FALSE;
  g_autoptr(mugai_quarantine_entry) entry =
      mugai_quarantine_entry_build(id, mugai_quarantine_id_time(id), head, head_len, envelope,
                                   result);
  entry->size = mugai_spool_get_size(spool);
  return mugai_quarantine_store_spool(q, entry, spool, error);
}

gboolean
mugai_quarantine_keep(mugai_quarantine *q, const char *id, mugai_spool *spool,
                      const mugai_envelope *envelope, mugai_result *result)
{
  if (!result->quarantine)
    return TRUE;
  g_autoptr(GError) error = NULL;
  const guint8 *data = NULL;
  gsize len = 0;
  if (q != NULL && mugai_spool_is_on_disk(spool) && mugai_quarantine_can_store_spool(q)) {
    g_free(result->quarantine_id);
    result->quarantine_id = g_strdup(id); /* so the report kept with it names it too */
    if (store_spooled(q, id, spool, envelope, result, &error))
      return TRUE;
    g_clear_pointer(&result->quarantine_id, g_free);
  } else if (q != NULL && mugai_spool_view(spool, &data, &len, &error)) {
    g_free(result->quarantine_id);
    result->quarantine_id = g_strdup(id); /* so the report kept with it names it too */
    g_autoptr(mugai_quarantine_entry) entry =
        mugai_quarantine_entry_build(id, mugai_quarantine_id_time(id), data, len, envelope, result);
    if (mugai_quarantine_store(q, entry, data, len, &error))
      return TRUE;
    g_clear_pointer(&result->quarantine_id, g_free);
  }
  g_autofree char *why =
      g_strdup_printf("original not kept: %s", error ? error->message : "no quarantine is open");
  mugai_result_set_refusal(result, MUGAI_VERDICT_TEMPFAIL, MUGAI_REASON_INTERNAL, why);
  result->quarantine = FALSE;
  return FALSE;
}
