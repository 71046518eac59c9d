/* impersonation.c — claims of an inside sender on inbound mail (see impersonation.h). */
#include "sanitize/impersonation.h"

#include <string.h>
#include "sanitize/gateway.h"

void
mugai_impersonation_free(mugai_impersonation *imp)
{
  if (imp == NULL)
    return;
  g_free(imp->claimed);
  g_free(imp->real);
  g_free(imp);
}

/* The first thing shaped like an address in TEXT ("...taro@city.example.lg.jp..."), lower case;
 * NULL when there is none. (transfer full) */
static char *
address_in_text(const char *text)
{
  static GRegex *re; /* compiled once; GRegex matching is thread-safe */
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    re = g_regex_new("[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+", G_REGEX_OPTIMIZE, 0,
                     NULL);
    g_once_init_leave(&once, 1);
  }
  g_autoptr(GMatchInfo) match = NULL;
  if (text == NULL || !g_regex_match(re, text, 0, &match))
    return NULL;
  g_autofree char *found = g_match_info_fetch(match, 0);
  return g_ascii_strdown(found, -1);
}

static mugai_impersonation *
claim_in(const mugai_policy *policy, InternetAddressList *list, const char *header)
{
  for (int i = 0; list && i < internet_address_list_length(list); i++) {
    InternetAddress *a = internet_address_list_get_address(list, i);
    if (!INTERNET_ADDRESS_IS_MAILBOX(a))
      continue;
    const char *addr = internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(a));
    if (addr == NULL || *addr == '\0')
      continue;
    mugai_impersonation *imp = NULL;
    g_autofree char *shown = address_in_text(internet_address_get_name(a));
    if (mugai_gateway_internal_address(policy, addr)) {
      imp = g_new0(mugai_impersonation, 1);
      imp->claimed = g_ascii_strdown(addr, -1);
    } else if (shown != NULL && g_ascii_strcasecmp(shown, addr) != 0) {
      imp = g_new0(mugai_impersonation, 1);
      imp->claimed = g_steal_pointer(&shown);
      imp->real = g_ascii_strdown(addr, -1);
    }
    if (imp) {
      imp->header = header;
      return imp;
    }
  }
  return NULL;
}

mugai_impersonation *
mugai_impersonation_find(const mugai_policy *policy, GMimeMessage *message,
                         const mugai_envelope *envelope)
{
  if (policy->impersonation.action == MUGAI_IMPERSONATION_NO ||
      envelope->direction != MUGAI_DIRECTION_IN ||
      mugai_gateway_address_listed(policy->impersonation.exempt_senders, envelope->mail_from))
    return NULL;
  static const struct { GMimeAddressType type; const char *header; } fields[] = {
    {GMIME_ADDRESS_TYPE_FROM, "From"},
    {GMIME_ADDRESS_TYPE_SENDER, "Sender"},
    {GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
    mugai_impersonation *imp =
        claim_in(policy, g_mime_message_get_addresses(message, fields[i].type), fields[i].header);
    if (imp)
      return imp;
  }
  return NULL;
}
