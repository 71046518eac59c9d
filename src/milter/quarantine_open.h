/* quarantine_open.h — the milter's quarantine store: opened once at start, and for PostgreSQL
 * opened later when the database could not be reached at start (a host restarted during an
 * outage still passes what needs no quarantine, and defers with 451 what does, as while running). */
#pragma once
#include "milter/callbacks.h"

/* Open the store of STATE's [quarantine] (none: TRUE). FALSE (logged) stops the start: an SQLite
 * store that cannot be opened or made. A PostgreSQL database that cannot be reached, or whose
 * schema is missing or of another version, is logged and left to mugai_milter_quarantine(). */
gboolean mugai_milter_quarantine_open(mugai_milter_state *state);

/* (nullable) (transfer none) the store in force for POLICY's [quarantine]: NULL when there is none
 * or the configuration names another one (a reload changed it), or the database has not been
 * reached yet; then at most every MUGAI_QUARANTINE_RETRY seconds one caller tries to open it
 * (the others do not wait). Thread-safe. */
mugai_quarantine *mugai_milter_quarantine(mugai_milter_state *state, const mugai_policy *policy);

#define MUGAI_QUARANTINE_RETRY 5
