/* notification.h — the mail that tells an inside sender why their outbound message was refused,
 * in Japanese first and English after ([notify] refused_outbound).
 *
 * SMTP replies are ASCII and mail clients show the bounce Postfix writes in English, so staff
 * learn the reason, the policy clause and what to do from this mail instead. Built here, not sent:
 * the milter hands it to sendmail, `mugai sanitize --notification FILE` writes it. Pure: no I/O.
 */
#pragma once
#include <glib.h>
#include "sanitize/sanitize.h"

/* Is a notification due for RESULT? Only for a refusal (reject, discard or hold) of outbound mail
 * whose envelope sender is not null and is inside ([gateway] internal_domains, when set), and
 * which is not itself automatic (Auto-Submitted other than "no", Precedence bulk, junk or list):
 * a notification must never start a loop or reach the outside. HEADERS (nullable): mugai_header *
 * of the refused message as received. */
gboolean mugai_notification_due(const mugai_policy *policy, const mugai_envelope *envelope,
                                const GPtrArray *headers, const mugai_result *result);

/* The notification to ENVELOPE's sender, as a message with LF line ends (what sendmail reads):
 * Auto-Submitted: auto-generated, UTF-8 text in base64. NOW: its Date. (transfer full) */
GByteArray *mugai_notification_build(const mugai_policy *policy, const mugai_envelope *envelope,
                                     const GPtrArray *headers, const mugai_result *result,
                                     GDateTime *now);
