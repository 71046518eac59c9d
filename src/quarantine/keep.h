/* keep.h — the one way the milter and `mugai sanitize` keep an original: the same bytes, the same
 * entry, the same answer when it fails. */
#pragma once
#include "quarantine/store.h"
#include "sanitize/sanitize.h"
#include "sanitize/spool.h"

/* When RESULT asks for its original to be kept (result->quarantine), store the message in SPOOL
 * (headers as the milter rebuilt them, then the body) under ID, indexed with ENVELOPE and
 * RESULT, and name ID in result->quarantine_id. On failure RESULT becomes the internal tempfail
 * (451 4.3.0) with the reason in its detail, and FALSE is returned: the message must not be
 * answered otherwise. TRUE also when nothing needed keeping. */
gboolean mugai_quarantine_keep(mugai_quarantine *q, const char *id, mugai_spool *spool,
                               const mugai_envelope *envelope, mugai_result *result);
