/* keep.c — store the original a result asks to keep (see keep.h). Owns nothing. */
#include "quarantine/keep.h"

#include "quarantine/quarantine_id.h"

gboolean
mugai_quarantine_keep(mugai_quarantine *q, const char *id, mugai_spool *spool,
                      const mugai_envelope *envelope, mugai_result *result)
{
  if (!result->quarantine)
    return TRUE;
  g_autoptr(GError) error = NULL;
  const guint8 *data = NULL;
  gsize len = 0;
  if (q != NULL && mugai_spool_view(spool, &data, &len, &error)) {
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
