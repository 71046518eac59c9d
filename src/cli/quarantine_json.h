/* quarantine_json.h — an index entry as the JSON `mugai quarantine list|show --json` print. */
#pragma once
#include <json-glib/json-glib.h>
#include "quarantine/entry.h"

/* Add ENTRY as an object to B: its metadata; with DETAIL its parts and the JSON report too
 * (the report as the object `mugai sanitize --report-json` writes). */
void mugai_qcli_entry_json(JsonBuilder *b, const mugai_quarantine_entry *entry, gboolean detail);

/* (transfer full) B's root as text, pretty when PRETTY. */
char *mugai_qcli_json_text(JsonBuilder *b, gboolean pretty);
