/* gateway.h — which way a message goes and how big it may be: the parts of the gateway policy
 * that are decided before (or while) the body arrives, shared by the milter (at connect, MAIL
 * FROM and while the body arrives) and `mugai sanitize` (from its options), so both answer alike.
 */
#pragma once
#include "config/policy.h"
#include "sanitize/result.h"

/* Outbound when CLIENT_ADDR (nullable, an IP address) is in [gateway] internal_networks or
 * DAEMON_NAME (nullable, Postfix {daemon_name}) is one of outbound_daemon_names; else inbound. */
mugai_direction mugai_gateway_direction(const mugai_policy *policy, const char *client_addr,
                                        const char *daemon_name);

/* Is ADDR (nullable, an IP address) inside one of MASKS (nullable: none; GInetAddressMask *,
 * parsed when the config loaded)? */
gboolean mugai_gateway_in_networks(const GPtrArray *masks, const char *addr);

/* Is DOMAIN one of [gateway] internal_domains, or below one (ASCII case ignored)? NULL: no. */
gboolean mugai_gateway_internal_domain(const mugai_policy *policy, const char *domain);

/* Is ADDR (user@domain) at an internal domain? */
gboolean mugai_gateway_internal_address(const mugai_policy *policy, const char *addr);

/* Is ADDR (nullable) one of LIST ("user@example.jp", "example.jp", "@example.jp": an address,
 * or every address of a domain), ASCII case ignored? */
gboolean mugai_gateway_address_listed(char *const *list, const char *addr);

/* The largest message DIRECTION allows: its max_message_size, never above [limits] message_size
 * (what mugai parses at all). */
guint64 mugai_gateway_size_cap(const mugai_policy *policy, mugai_direction direction);

/* Refuse RESULT as too big for DIRECTION: 552 5.3.4 naming the limit and the direction. */
void mugai_gateway_refuse_size(mugai_result *result, const mugai_policy *policy,
                               mugai_direction direction);
