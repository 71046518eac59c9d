/* contacts.c — the milter's lookups and learning of [contacts] (see contacts.h).
 *
 * Owns nothing: the store is the state's (quarantine_open.h). Never decides a rule (gateway.c
 * does) and never lets a failed lookup make mail look known.
 */
#include "milter/contacts.h"

#include "milter/log.h"
#include "milter/quarantine_open.h"
#include "quarantine/store.h"
#include "sanitize/gateway.h"

gboolean
mugai_milter_first_contact(mugai_milter_state *state, const mugai_policy *policy,
                           const char *queue_id, const char *sender)
{
  mugai_quarantine *q = mugai_milter_quarantine(state, policy);
  g_autofree char *who = g_strescape(sender, NULL);
  if (q == NULL) {
    mugai_log_warning("%s: sender <%.100s>: no quarantine database to look up [contacts] in; "
                      "judged as a first contact", queue_id, who);
    return TRUE;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gboolean known = FALSE;
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_contact_known(q, sender,
                                      policy->contacts.known_by == MUGAI_CONTACTS_KNOWN_DOMAIN,
                                      now - (gint64) policy->contacts.retention, &known, &error)) {
    mugai_log_warning("%s: sender <%.100s>: [contacts] lookup failed: %s; judged as a first "
                      "contact", queue_id, who, error->message);
    return TRUE;
  }
  return !known;
}

void
mugai_milter_learn_contacts(mugai_milter_state *state, const mugai_policy *policy,
                            const char *queue_id, const char *sender, const char *const *rcpts)
{
  if (!policy->contacts.learn || sender == NULL || *sender == '\0')
    return;
  /* Keyed by the inside user: mail relayed for an outside sender teaches nothing. */
  if (policy->gateway.internal_domains[0] && !mugai_gateway_internal_address(policy, sender))
    return;
  g_autoptr(GPtrArray) outside = g_ptr_array_new();
  for (gsize i = 0; rcpts && rcpts[i]; i++)
    if (!mugai_gateway_internal_address(policy, rcpts[i]))
      g_ptr_array_add(outside, (gpointer) rcpts[i]);
  if (outside->len == 0)
    return;
  g_ptr_array_add(outside, NULL);
  mugai_quarantine *q = mugai_milter_quarantine(state, policy);
  if (q == NULL)
    return; /* no store (or not reached yet): nothing to learn into */
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_contacts_learn(q, sender, (const char *const *) outside->pdata,
                                       g_get_real_time() / G_USEC_PER_SEC, &error))
    mugai_log_warning("%s: [contacts] not learned from <%.100s>: %s", queue_id, sender,
                      error->message);
}
