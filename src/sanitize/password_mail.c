/* password_mail.c — PPAP on the password mail's side (see password_mail.h). Owns the candidates
 * of one call; the attempts go to the result, which frees them. */
#include "sanitize/password_mail.h"

#include "sanitize/passwords.h"

/* The candidates' passwords, each once, as the NULL-terminated array the unlocker takes
 * (strings lent from CANDIDATES). (transfer container) */
static const char **
unique_passwords(const GPtrArray *candidates, guint max)
{
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  GPtrArray *out = g_ptr_array_new();
  for (guint i = 0; i < candidates->len && out->len < max; i++) {
    const mugai_password_candidate *c = g_ptr_array_index(candidates, i);
    if (g_hash_table_add(seen, c->password))
      g_ptr_array_add(out, c->password);
  }
  g_ptr_array_add(out, NULL);
  return (const char **) g_ptr_array_free(out, FALSE);
}

gboolean
mugai_password_mail(const mugai_policy *policy, const mugai_envelope *envelope,
                    const mugai_services *services, GString *text, mugai_result *result,
                    char **failure)
{
  mugai_unlocker *unlocker = services ? services->unlocker : NULL;
  if (unlocker == NULL || !policy->ppap.unlock || result->direction != MUGAI_DIRECTION_IN ||
      envelope == NULL || envelope->rcpts == NULL || envelope->rcpts[0] == NULL)
    return TRUE;
  /* Every occurrence is kept for masking; the unlocker gets each password once, at most
   * [ppap] passwords of them (more occurrences than that are still masked). */
  g_autoptr(GPtrArray) candidates =
      mugai_password_candidates(text->str, text->len, policy->ppap.passwords * 4);
  if (candidates->len == 0)
    return TRUE;
  g_autofree const char **passwords = unique_passwords(candidates, policy->ppap.passwords);
  g_autoptr(GError) error = NULL;
  const char *sender = envelope->mail_from ? envelope->mail_from : "";
  if (!unlocker->vtable->try_passwords(unlocker->ctx, sender, envelope->rcpts, passwords,
                                       result->unlock_attempts, &error)) {
    *failure = g_strdup_printf("PPAP: %s", error ? error->message : "unlocking failed");
    return FALSE;
  }
  gboolean opened = FALSE;
  for (guint i = 0; i < result->unlock_attempts->len; i++) {
    const mugai_unlock_attempt *a = g_ptr_array_index(result->unlock_attempts, i);
    opened = opened || a->state == MUGAI_UNLOCK_ATTEMPT_OPENED;
    result->actions[a->state == MUGAI_UNLOCK_ATTEMPT_OPENED ? MUGAI_ACTION_UNLOCKED
                                                            : MUGAI_ACTION_UNLOCK_FAILED]++;
  }
  /* Masked only when it opened something: a password that opened nothing is not the archive's,
   * and the reader may need to tell the sender what came. */
  if (opened)
    result->actions[MUGAI_ACTION_PASSWORD_MASKED] = mugai_password_mask(text, candidates);
  return TRUE;
}
