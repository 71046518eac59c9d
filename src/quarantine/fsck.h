/* fsck.h — reconcile the quarantine's files with its index after a crash or damage.
 *
 * A file without a row (a crash after the file was written, before its row was committed, or
 * after a row was deleted, before its file was) is removed: its message was never answered, so
 * Postfix still has it, or it was deleted on purpose. A temp file is removed. A row without a
 * file (damage: the store never makes one) is removed and the loss recorded in the audit table.
 * A file whose size differs from its row is reported, never changed. A directory, original or
 * index file whose group or mode is not the store's (mugai_quarantine_get_owner(), the modes of
 * durable_file.h and index.h) is given them when repairing: by root (with the store's user), or
 * a mode by the file's own user. Files younger than GRACE
 * seconds are left alone, since a milter thread may be between its file and its row right now.
 */
#pragma once
#include "quarantine/store.h"

typedef struct {
  guint64 files;             /* originals found */
  guint64 rows;              /* rows in the index */
  guint64 temp_removed;      /* temp files removed */
  guint64 orphans_removed;   /* files without a row, removed */
  guint64 lost_rows_removed; /* rows without a file, removed */
  guint64 size_mismatches;   /* files whose size differs from their row (kept) */
  guint64 strangers;         /* files in objects/ that are not originals (kept) */
  guint64 owners_wrong;      /* group or mode not the store's (fixed when repairing, if may) */
  guint64 owners_unfixed;    /* of those, what this run may not or could not fix */
  GPtrArray *lines;          /* char *: one line per thing found or done */
} mugai_quarantine_fsck_report;

/* REPAIR FALSE only reports what it would do. */
gboolean mugai_quarantine_fsck(mugai_quarantine *q, gint64 grace, gboolean repair,
                               mugai_quarantine_fsck_report *report, GError **error);
void mugai_quarantine_fsck_report_clear(mugai_quarantine_fsck_report *report);
