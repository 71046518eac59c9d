/* part_scan.h — (private to sanitize/) the virus scanner's view of the walk: every decoded leaf a
 * client could open is scanned whole, its outcome recorded on the part; an infection or a scanner
 * failure stops the walk, a part too big to scan is remembered and the walk goes on.
 */
#pragma once
#include <gmime/gmime.h>
#include "sanitize/spool.h"
#include "sanitize/walk.h"

/* A new spool for the whole decoded content of one part (in memory up to [milter] spool_memory,
 * then a private file in spool_dir), or NULL when WALK has no scanner. (transfer full) */
mugai_spool *mugai_part_scan_spool_new(const mugai_walk *walk);

/* Scan PART's decoded content, SIZE bytes: in WHOLE when it was spooled there (nullable), else
 * all in PREFIX. Records the outcome on PART and in WALK. No-op without a scanner. */
void mugai_part_scan(mugai_walk *walk, mugai_part *part, guint64 size, const GByteArray *prefix,
                     mugai_spool *whole);

/* Scan the message as received ([scan] raw_message), RAW from its start. */
void mugai_part_scan_raw(mugai_walk *walk, GMimeStream *raw);

/* Scan TEXT, the new body as the reader gets it (UTF-8, before its transfer encoding): the last
 * check of the output invariant, covering what reaches the reader from outside any leaf part (a
 * prologue shown because the structure is broken, a second reading of the body). */
void mugai_part_scan_delivered(mugai_walk *walk, const char *text, gsize len);
