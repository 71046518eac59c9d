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

/* The policy mail from SENDER (nullable; "" is the null sender) to RCPT is judged under: the
 * first [rule NAME] of POLICY (a main policy) that matches both, else POLICY itself (a rule with
 * match_first_contact matches only when FIRST_CONTACT: inbound mail from a sender nobody inside
 * has written to, or one the contacts database could not tell about); its strict
 * variant when SENDER is on [lists] strict_senders, else its allow variant when on allow_senders.
 * A rule matches RCPT when it lists neither recipients nor recipient domains, or lists RCPT in
 * one; and SENDER when it lists no senders, or lists SENDER. (transfer none: owned by POLICY) */
const mugai_policy *mugai_gateway_rule_policy(const mugai_policy *policy, const char *sender,
                                              const char *rcpt, gboolean first_contact);

/* Does a [rule NAME] of POLICY (a main policy) have match_first_contact: must a sender be looked
 * up in the contacts database? */
gboolean mugai_gateway_uses_first_contact(const mugai_policy *policy);

/* Is SENDER on [lists] allow_senders of POLICY (a main policy), and not on strict_senders? */
gboolean mugai_gateway_sender_allowed(const mugai_policy *policy, const char *sender);

/* "[rule NAME]" for the policy of a rule, "the main policy" for the main one, with " for the
 * allow list" for a [lists] variant. (transfer full) */
char *mugai_gateway_policy_name(const mugai_policy *policy);

/* The largest message DIRECTION allows from SENDER under any policy a recipient may choose: what
 * can be checked at MAIL FROM, before the recipients are known. */
guint64 mugai_gateway_size_cap_for_sender(const mugai_policy *policy, mugai_direction direction,
                                          const char *sender);

/* Refuse RESULT as too big for DIRECTION: 552 5.3.4 naming the limit and the direction. */
void mugai_gateway_refuse_size(mugai_result *result, const mugai_policy *policy,
                               mugai_direction direction);
