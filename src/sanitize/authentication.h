/* authentication.h — [authentication]: the SPF, DKIM and DMARC results the gateway's own
 * authenticators (OpenDKIM, OpenDMARC, rspamd, running as milters before mugai) wrote into
 * Authentication-Results headers of an inbound message, and every other copy of that header.
 *
 * Which copies are the gateway's own (RFC 8601 §5: a sender can write any header, including one
 * naming our authserv-id): Postfix shows a milter every header except its own Received header,
 * and those milters insert theirs at position 1, right below it. So the trusted headers are the
 * ones mugai sees above the first Received header (the one the previous hop wrote; every MTA
 * adds one) whose authserv-id is in trusted_authserv_ids. For each method the topmost trusted
 * header that reports it counts: a sender connecting straight to the MX without a Received
 * header of its own could put a copy above every Received, but the authenticators insert theirs
 * above anything the message brought. Every other Authentication-Results header (other
 * authserv-ids, forged copies below a Received, ones without an authserv-id) is removed.
 */
#pragma once
#include "config/policy.h"
#include "sanitize/result.h"

/* Read HEADERS (mugai_header *, as Postfix passed them) of an inbound message under POLICY: the
 * trusted results go into RESULT (auth_id, auth_checks: SPF, then DKIM, then DMARC), every
 * untrusted Authentication-Results header becomes a removal. Nothing happens when no authserv-id
 * is trusted. FALSE when there are more untrusted copies than MUGAI_HEADER_CHANGES_MAX (RESULT
 * is then refused as malformed_headers: thousands of them are an attack on the MTA). */
gboolean mugai_authentication_read(const mugai_policy *policy, const GPtrArray *headers,
                                   mugai_result *result);

/* (transfer none) (nullable) RESULT's trusted DMARC result when it is fail. */
const mugai_auth_check *mugai_authentication_dmarc_fail(const mugai_result *result);
