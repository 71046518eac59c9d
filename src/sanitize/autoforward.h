/* autoforward.h — was this message forwarded automatically (a rule, not a person)?
 *
 * The policies mugai serves forbid staff to forward mail automatically. What such forwarding
 * leaves behind is looked for in the message's own headers and its envelope; each finding names
 * the marker, for the reply, the log line and the report. Conservative on purpose: replies,
 * auto-replies (vacation, out of office), delivery reports and forwards a person wrote (a new
 * message quoting or attaching the old one) carry none of these markers.
 */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"
#include "sanitize/sanitize.h"

/* The marker that shows MESSAGE (with ENVELOPE) was forwarded automatically, as "Header: value"
 * (escaped, at most 200 bytes), or NULL when there is none or the [autoforward] rule does not
 * apply (direction, exemptions). (transfer full) */
char *mugai_autoforward_marker(const mugai_policy *policy, GMimeMessage *message,
                               const mugai_envelope *envelope);
