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
  g_free(policy->milter_user);
  g_free(policy->milter_group);
  g_free(policy->milter_status_file);
  g_free(policy->subject_tag);
  g_free(policy->banner);
  g_strfreev(policy->gateway.internal_domains);
  g_strfreev(policy->gateway.internal_networks);
  if (policy->gateway.internal_masks)
    g_ptr_array_unref(policy->gateway.internal_masks);
  g_strfreev(policy->gateway.outbound_daemon_names);
  g_free(policy->gateway.external_subject_tag);
  g_strfreev(policy->autoforward.exempt_senders);
  g_strfreev(policy->autoforward.exempt_recipients);
  g_free(policy->autoforward.clause);
  g_free(policy->impersonation.clause);
  mugai_direction_policy *directions[] = {&policy->inbound, &policy->outbound};
  for (gsize i = 0; i < G_N_ELEMENTS(directions); i++) {
    g_free(directions[i]->size_clause);
    g_free(directions[i]->shown_clause);
    g_free(directions[i]->individual_number_clause);
    g_free(directions[i]->attachment_clause);
    g_strfreev(directions[i]->convert_types);
    g_strfreev(directions[i]->reject_types);
    g_free(directions[i]->reject_type_clause);
  }
  g_free(policy->convert.worker);
  g_strfreev(policy->impersonation.exempt_senders);
  g_strfreev(policy->ratelimit.exempt_senders);
  g_strfreev(policy->ratelimit.exempt_clients);
  if (policy->ratelimit.exempt_client_masks)
    g_ptr_array_unref(policy->ratelimit.exempt_client_masks);
  g_free(policy->ratelimit.clause);
  g_strfreev(policy->authentication.trusted_authserv_ids);
  g_free(policy->authentication.clause);
  g_free(policy->scan.database_dir);
  g_free(policy->scan.temp_dir);
  g_free(policy->scan.clamd_socket);
  g_free(policy->quarantine.dir);
  g_free(policy->quarantine.dsn);
  g_free(policy->quarantine.release_relay);
  g_free(policy->quarantine.user);
  g_free(policy->quarantine.group);
  g_free(policy->lists.allow.path);
  g_free(policy->lists.allow.sha256);
  g_free(policy->lists.strict.path);
  g_free(policy->lists.strict.sha256);
  g_strfreev(policy->lists.allow_senders);
  g_strfreev(policy->lists.strict_senders);
  mugai_policy_unref(policy->allow_variant);
  mugai_policy_unref(policy->strict_variant);
  g_free(policy->notify.from);
  g_strfreev(policy->notify.sendmail_command);
  g_free(policy->notify.sendmail_text);
  g_free(policy->notify.contact);
  g_free(policy->rule.name);
  g_strfreev(policy->rule.match_rcpt);
  g_strfreev(policy->rule.match_rcpt_domain);
  g_strfreev(policy->rule.match_sender);
  g_free(policy->rule.clause);
  if (policy->rules)
    g_ptr_array_unref(policy->rules);
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

gboolean mugai_quarantine_policy_enabled(const mugai_quarantine_policy *q)
{
  return q->backend == MUGAI_QUARANTINE_BACKEND_POSTGRESQL || *q->dir != '\0';
}
