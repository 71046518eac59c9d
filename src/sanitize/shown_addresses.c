/* shown_addresses.c — count the outside addresses a message shows (see shown_addresses.h). */
#include "sanitize/shown_addresses.h"

#include <string.h>
#include "sanitize/gateway.h"
#include "sanitize/gmime_autoptr.h"

static void
collect(const mugai_policy *policy, InternetAddressList *list, GHashTable *outside)
{
  for (int i = 0; list && i < internet_address_list_length(list); i++) {
    InternetAddress *a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      collect(policy, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), outside);
      continue;
    }
    const char *addr = internet_address_mailbox_get_idn_addr(INTERNET_ADDRESS_MAILBOX(a));
    if (addr && *addr && !mugai_gateway_internal_address(policy, addr))
      g_hash_table_add(outside, g_ascii_strdown(addr, -1));
  }
}

guint
mugai_shown_external_addresses(const mugai_policy *policy, GMimeMessage *message)
{
  g_autoptr(GHashTable) outside = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  collect(policy, g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_TO), outside);
  collect(policy, g_mime_message_get_addresses(message, GMIME_ADDRESS_TYPE_CC), outside);
  return g_hash_table_size(outside);
}
