/* fsck.h — what `mugai quarantine fsck` found and did, in terms any backend can fill: lines for
 * the admin, a summary line in the backend's own words, named counts for scripts and tests, and
 * the two facts the command acts on (something left to an admin; entries dropped as lost).
 * What each backend checks: sqlite_store.h for the SQLite one. Owns its lines and counts.
 */
#pragma once
#include <glib.h>

typedef struct {
  GPtrArray *lines;         /* char *: one line per thing found or done */
  char *summary;            /* one line of counts, as the backend words them */
  guint64 left_to_admin;    /* found, and not fsck's to change (the command exits 1) */
  guint64 entries_dropped;  /* entries removed (or, dry, to be) since their original is lost */
  GHashTable *counts;       /* char * name → guint64 * count, the backend's own */
} mugai_quarantine_fsck_report;

/* Make R an empty report (before a backend fills it). */
void mugai_quarantine_fsck_report_init(mugai_quarantine_fsck_report *r);
void mugai_quarantine_fsck_report_clear(mugai_quarantine_fsck_report *r);
/* Add LINE, printf-style. */
void mugai_quarantine_fsck_report_say(mugai_quarantine_fsck_report *r, const char *format, ...)
    G_GNUC_PRINTF(2, 3);
void mugai_quarantine_fsck_report_set_count(mugai_quarantine_fsck_report *r, const char *name,
                                            guint64 count);
/* The count NAME ("orphans_removed"), 0 when the backend keeps none of that name. */
guint64 mugai_quarantine_fsck_report_count(const mugai_quarantine_fsck_report *r, const char *name);
