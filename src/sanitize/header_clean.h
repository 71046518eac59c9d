/* header_clean.h — (private to sanitize/) the message's own header values made safe to deliver
 * inbound: raw 8-bit or raw ISO-2022-JP text decoded (charset detected, as for bodies) and
 * written again as RFC 2047 UTF-8, control characters removed, values longer than
 * [limits] header_size cut, and [notice] subject_tag put in front of the Subject.
 * Records each change in the result (name, occurrence, new value) for the milter's
 * smfi_chgheader() and the CLI's rendering alike; never logs.
 */
#pragma once
#include <gmime/gmime.h>
#include "config/policy.h"
#include "sanitize/result.h"

/* Read the header block at the start of RAW (as Postfix passed it) and record the changes its
 * values need into RESULT. TAGS (NULL-terminated, nullable): put in front of the Subject in this
 * order, each unless the Subject already carries it. FALSE (and *FAILURE set, transfer full) on
 * a read error. */
gboolean mugai_headers_clean(const mugai_policy *policy, GMimeStream *raw,
                             const char *const *tags, mugai_result *result, char **failure);
