/* report_json.h — the JSON report of one sanitize run (`mugai sanitize --report-json`).
 *
 * Version 1 fields are a contract with admins' scripts: version, verdict, reply {code, status,
 * text} or null, direction, actions (words), parts [{path, type, detected_type, name, size,
 * sha256, action, reason}]. Later versions add fields, never rename these. */
#pragma once
#include "sanitize/sanitize.h"

/* (transfer full) pretty-printed JSON text, ending in "\n". */
char *mugai_report_json(const mugai_result *result, const mugai_envelope *envelope);
