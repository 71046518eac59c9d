/* password_mail.c — PPAP on the password mail's side (see password_mail.h). Owns the candidates
 * of one call; the attempts go to the result, which frees them. */
#include "sanitize/password_mail.h"

#include "sanitize/passwords.h"

/* The candidates' passwords as the NULL-terminated array the unlocker takes (strings lent from
 * CANDIDATES, which has each password once). (transfer container) */
static const char **
passwords_of(const GPtrArray *candidates)
{
  const char **out = g_new0(const char *, candidates->len + 1);
  for (guint i = 0; i < candidates->len; i++)
    out[i] = ((const mugai_password_candidate *) g_ptr_array_index(candidates, i))->password;
  return out;
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
  g_autoptr(GPtrArray) candidates =
      mugai_password_candidates(text->str, text->len, policy->ppap.passwords);
  if (candidates->len == 0)
    return TRUE;
  g_autofree const char **passwords = passwords_of(candidates);
  g_autoptr(GError) error = NULL;
  const char *sender = envelope->mail_from ? envelope->mail_from : "";
  if (!unlocker->vtable->try_passwords(unlocker->ctx, sender, envelope->rcpts, passwords,
                                       result->unlock_attempts, &error)) {
    *failure = g_strdup_printf("PPAP: %s", error ? error->message : "unlocking failed");
    return FALSE;
  }
  /* Only a password that opened something is masked, wherever it stands: one that opened nothing
   * is not the archive's, and the reader may need to tell the sender what came. */
  guint n = g_strv_length((char **) passwords);
  g_autofree gboolean *masked = g_new0(gboolean, n);
  for (guint i = 0; i < result->unlock_attempts->len; i++) {
    const mugai_unlock_attempt *a = g_ptr_array_index(result->unlock_attempts, i);
    gboolean opened = a->state == MUGAI_UNLOCK_ATTEMPT_OPENED;
    result->actions[opened ? MUGAI_ACTION_UNLOCKED : MUGAI_ACTION_UNLOCK_FAILED]++;
    if (opened && a->password >= 0 && (guint) a->password < n && !masked[a->password]) {
      masked[a->password] = TRUE;
      result->actions[MUGAI_ACTION_PASSWORD_MASKED] +=
          mugai_password_mask_all(text, passwords[a->password]);
    }
  }
  return TRUE;
}
