/* policy.c — lifetime of the immutable, reference-counted mugai_policy.
 *
 * Owns: allocation (g_atomic_rc_box, so milter threads may ref/unref concurrently) and the strings
 * inside a policy. The default values are not listed here: they come from the key table in
 * config.c, the same table the parser and the dump walk, so there is no second list to drift.
 * Never: modify a policy that has been handed out.
 */
#include "config/policy.h"

#include "config/config.h"

/* A policy made without reading any text; sha256 stays "" because no text was hashed. */
#define BUILTIN_SOURCE "(built-in defaults)"

mugai_policy *mugai_policy_new_defaults(void)
{
  mugai_policy *policy = g_atomic_rc_box_new0(mugai_policy);
  policy->source = g_strdup(BUILTIN_SOURCE);
  policy->sha256 = g_strdup("");
  mugai_config_set_defaults(policy);
  return policy;
}

mugai_policy *mugai_policy_ref(mugai_policy *policy)
{
  g_return_val_if_fail(policy != NULL, NULL);
  return g_atomic_rc_box_acquire(policy);
}

static void policy_clear(gpointer data)
{
  mugai_policy *policy = data;
  g_free(policy->source);
  g_free(policy->sha256);
  g_free(policy->milter_socket);
  g_free(policy->spool_dir);
  g_free(policy->subject_tag);
  g_strfreev(policy->gateway.internal_domains);
  g_strfreev(policy->gateway.internal_networks);
  if (policy->gateway.internal_masks)
    g_ptr_array_unref(policy->gateway.internal_masks);
  g_strfreev(policy->gateway.outbound_daemon_names);
  g_free(policy->gateway.external_subject_tag);
  g_strfreev(policy->autoforward.exempt_senders);
  g_strfreev(policy->autoforward.exempt_recipients);
  g_free(policy->autoforward.clause);
  g_strfreev(policy->impersonation.exempt_senders);
  g_free(policy->impersonation.clause);
  g_strfreev(policy->authentication.trusted_authserv_ids);
  g_free(policy->authentication.clause);
  g_free(policy->scan.database_dir);
  g_free(policy->scan.temp_dir);
  g_free(policy->scan.clamd_socket);
  for (int i = 0; i < MUGAI_LANG_COUNT; i++) {
    g_free(policy->notice_template[i].path);
    g_free(policy->notice_template[i].text);
  }
}

void mugai_policy_unref(mugai_policy *policy)
{
  if (policy == NULL)
    return;
  g_atomic_rc_box_release_full(policy, policy_clear);
}
