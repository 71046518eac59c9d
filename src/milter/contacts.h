/* contacts.h — the milter's side of [contacts]: the sender of inbound mail looked up at MAIL FROM,
 * the recipients of accepted outbound mail learned at its end. The decisions are the policy's
 * (gateway.h); this only asks the quarantine's database and logs what went wrong.
 */
#pragma once
#include "milter/callbacks.h"

/* Is inbound mail from SENDER a first contact: has nobody inside written to it within POLICY's
 * [contacts] retention? TRUE also when it cannot be told (no store, a database error: logged
 * with QUEUE_ID), so such mail gets the stricter rule, never the laxer one. */
gboolean mugai_milter_first_contact(mugai_milter_state *state, const mugai_policy *policy,
                                    const char *queue_id, const char *sender);

/* Accepted outbound mail from SENDER to RCPTS (NULL-terminated): remember each recipient outside
 * [gateway] internal_domains as written to by SENDER, when POLICY's [contacts] learn says so. A
 * failure is logged; the mail is not affected. */
void mugai_milter_learn_contacts(mugai_milter_state *state, const mugai_policy *policy,
                                 const char *queue_id, const char *sender,
                                 const char *const *rcpts);
