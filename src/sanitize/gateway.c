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
}
