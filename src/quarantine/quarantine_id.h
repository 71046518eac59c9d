/* quarantine_id.h — quarantine ids and where each original lives in the store.
 *
 * An id is "YYYYMMDD-HHMMSS-XXXXXXXXXX": the UTC second it was made, then 40 random bits in lower
 * case hex, so ids sort by time, a person can read one out over the phone, and two milter
 * processes never make the same one. The layout hashes on the random part, two levels of 256
 * directories ("objects/ab/cd/ID"), so millions of entries leave a few hundred files per
 * directory. Pure except for the clock and the random source.
 */
#pragma once
#include <glib.h>

#define MUGAI_QUARANTINE_ID_LEN 26 /* strlen("20261201-123139-a1b2c3d4e5") */

/* (transfer full) a new id for NOW (Unix seconds). */
char *mugai_quarantine_id_new(gint64 now);

/* TRUE when ID has the shape of an id (so it is safe in a path). */
gboolean mugai_quarantine_id_valid(const char *id);

/* The Unix time an id (valid) was made at. */
gint64 mugai_quarantine_id_time(const char *id);

/* (transfer full) "objects/ab/cd" for ID (valid), relative to the store directory. */
char *mugai_quarantine_id_subdir(const char *id);

/* (transfer full) "objects/ab/cd/ID", relative to the store directory. */
char *mugai_quarantine_id_relpath(const char *id);
