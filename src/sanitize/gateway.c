/* gateway.c — direction and size cap (see gateway.h). */
#include "sanitize/gateway.h"

#include <gio/gio.h>
#include <string.h>
#include "util/units.h"

gboolean
mugai_gateway_in_networks(const GPtrArray *masks, const char *addr)
{
  if (masks == NULL || masks->len == 0 || addr == NULL)
    return FALSE;
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string(addr);
  for (guint i = 0; address && i < masks->len; i++) {
    GInetAddressMask *mask = g_ptr_array_index(masks, i);
    if (g_inet_address_get_family(address) == g_inet_address_mask_get_family(mask) &&
        g_inet_address_mask_matches(mask, address))
      return TRUE;
  }
  return FALSE;
}

mugai_direction
mugai_gateway_direction(const mugai_policy *policy, const char *client_addr,
                        const char *daemon_name)
{
  const mugai_gateway_policy *g = &policy->gateway;
  if (mugai_gateway_in_networks(g->internal_masks, client_addr))
    return MUGAI_DIRECTION_OUT;
  for (gsize i = 0; daemon_name && g->outbound_daemon_names && g->outbound_daemon_names[i]; i++)
    if (strcmp(daemon_name, g->outbound_daemon_names[i]) == 0)
      return MUGAI_DIRECTION_OUT;
  return MUGAI_DIRECTION_IN;
}

gboolean
mugai_gateway_internal_domain(const mugai_policy *policy, const char *domain)
{
  gsize l = domain ? strlen(domain) : 0;
  for (gsize i = 0; l && policy->gateway.internal_domains[i]; i++) {
    const char *d = policy->gateway.internal_domains[i];
    gsize dl = strlen(d);
    if (g_ascii_strcasecmp(domain, d) == 0 ||
        (l > dl && domain[l - dl - 1] == '.' && g_ascii_strcasecmp(domain + l - dl, d) == 0))
      return TRUE;
  }
  return FALSE;
}

gboolean
mugai_gateway_internal_address(const mugai_policy *policy, const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  return at != NULL && mugai_gateway_internal_domain(policy, at + 1);
}

gboolean
mugai_gateway_address_listed(char *const *list, const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  for (gsize i = 0; at && list && list[i]; i++) {
    const char *item = list[i];
    if (strchr(item + 1, '@') != NULL ? g_ascii_strcasecmp(item, addr) == 0
                                      : g_ascii_strcasecmp(item[0] == '@' ? item + 1 : item,
                                                           at + 1) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Is the domain of ADDR one of DOMAINS: "example.jp" that domain, ".example.jp" any below it? */
static gboolean
domain_listed(char *const *domains, const char *addr)
{
  const char *at = addr ? strrchr(addr, '@') : NULL;
  gsize l = at ? strlen(at + 1) : 0;
  for (gsize i = 0; l && domains && domains[i]; i++) {
    const char *d = domains[i];
    gsize dl = strlen(d);
    if (d[0] == '.' ? l > dl && g_ascii_strcasecmp(at + 1 + l - dl, d) == 0
                    : g_ascii_strcasecmp(at + 1, d) == 0)
      return TRUE;
  }
  return FALSE;
}

static gboolean
rule_matches_sender(const mugai_rule_match *m, const char *sender)
{
  return !m->match_sender[0] || mugai_gateway_address_listed(m->match_sender, sender);
}

static gboolean
rule_matches_rcpt(const mugai_rule_match *m, const char *rcpt)
{
  if (!m->match_rcpt[0] && !m->match_rcpt_domain[0])
    return TRUE;
  for (gsize i = 0; rcpt && m->match_rcpt[i]; i++)
    if (g_ascii_strcasecmp(m->match_rcpt[i], rcpt) == 0)
      return TRUE;
  return domain_listed(m->match_rcpt_domain, rcpt);
}

static int
compare_item(const void *key, const void *item)
{
  return strcmp(key, *(char *const *) item);
}

/* Is SENDER on the sorted, lower-case list SENDERS (nullable; domains without "@"), as an
 * address or by its domain? Binary search: a list may hold thousands. */
static gboolean
sender_on_list(char *const *senders, const char *sender)
{
  const char *at = senders && sender ? strrchr(sender, '@') : NULL;
  if (at == NULL)
    return FALSE;
  gsize n = g_strv_length((char **) senders);
  g_autofree char *address = g_ascii_strdown(sender, -1);
  const char *domain = address + (at - sender) + 1;
  return bsearch(address, senders, n, sizeof *senders, compare_item) ||
         bsearch(domain, senders, n, sizeof *senders, compare_item);
}

gboolean
mugai_gateway_sender_allowed(const mugai_policy *policy, const char *sender)
{
  return sender_on_list(policy->lists.allow_senders, sender) &&
         !sender_on_list(policy->lists.strict_senders, sender);
}

const mugai_policy *
mugai_gateway_rule_policy(const mugai_policy *policy, const char *sender, const char *rcpt,
                          gboolean first_contact)
{
  const mugai_policy *chosen = policy;
  for (guint i = 0; policy->rules && i < policy->rules->len; i++) {
    const mugai_policy *rule = g_ptr_array_index(policy->rules, i);
    if ((!rule->rule.match_first_contact || first_contact) &&
        rule_matches_sender(&rule->rule, sender) && rule_matches_rcpt(&rule->rule, rcpt)) {
      chosen = rule;
      break;
    }
  }
  if (chosen->strict_variant && sender_on_list(policy->lists.strict_senders, sender))
    return chosen->strict_variant;
  if (chosen->allow_variant && sender_on_list(policy->lists.allow_senders, sender))
    return chosen->allow_variant;
  return chosen;
}

gboolean
mugai_gateway_uses_first_contact(const mugai_policy *policy)
{
  for (guint i = 0; policy->rules && i < policy->rules->len; i++)
    if (((const mugai_policy *) g_ptr_array_index(policy->rules, i))->rule.match_first_contact)
      return TRUE;
  return FALSE;
}

char *
mugai_gateway_policy_name(const mugai_policy *policy)
{
  g_autofree char *base = policy->rule.name ? g_strdup_printf("[rule %s]", policy->rule.name)
                                             : g_strdup("the main policy");
  return policy->rule.list ? g_strdup_printf("%s for the %s list", base, policy->rule.list)
                           : g_steal_pointer(&base);
}

guint64
mugai_gateway_size_cap_for_sender(const mugai_policy *policy, mugai_direction direction,
                                  const char *sender)
{
  guint64 cap = mugai_gateway_size_cap(policy, direction);
  for (guint i = 0; policy->rules && i < policy->rules->len; i++) {
    const mugai_policy *rule = g_ptr_array_index(policy->rules, i);
    if (rule_matches_sender(&rule->rule, sender))
      cap = MAX(cap, mugai_gateway_size_cap(rule, direction));
  }
  return cap;
}

guint64
mugai_gateway_size_cap(const mugai_policy *policy, mugai_direction direction)
{
  const mugai_direction_policy *d = direction == MUGAI_DIRECTION_OUT ? &policy->outbound
                                                                     : &policy->inbound;
  return MIN(d->max_message_bytes, policy->limits.message_bytes);
}

void
mugai_gateway_refuse_size(mugai_result *result, const mugai_policy *policy,
                          mugai_direction direction)
{
  char size[MUGAI_SIZE_TEXT_MAX];
  mugai_format_size(mugai_gateway_size_cap(policy, direction), size);
  const char *way = direction == MUGAI_DIRECTION_OUT ? "outbound" : "inbound";
  g_autofree char *detail = g_strdup_printf("over the %s limit of %s", way, size);
  mugai_result_set_refusal(result, MUGAI_VERDICT_REJECT, MUGAI_REASON_TOO_BIG, detail);
  /* "552 5.3.4 Message too big for this gateway (limit 10M for inbound mail)" */
  mugai_result_reply_note(result, "limit %s for %s mail", size, way);
  const mugai_direction_policy *d = direction == MUGAI_DIRECTION_OUT ? &policy->outbound
                                                                     : &policy->inbound;
  mugai_result_set_clause(result, d->size_clause);
  mugai_result_set_clause(result, policy->rule.clause);
  if (result->rule == NULL)
    result->rule = g_strdup(policy->rule.name);
  result->list = policy->rule.list;
}
