/* pg_fsck.c — the PostgreSQL backend's fsck (see pg_store.h). A store is one transaction, so
 * there is nothing a crash leaves half-done; what is left to check is damage: the schema's
 * version, every entry against its original (an entry without one, say after an admin's DELETE
 * FROM original, is removed and the loss audited, as the SQLite fsck does), and each original's
 * size against its entry (reported, never changed). Counts (fsck.h): files (originals), rows
 * (entries), lost_rows_removed, size_mismatches. GRACE is not needed: no store is ever visible
 * before its commit. */
#include "quarantine/pg_store.h"

typedef struct {
  gboolean repair;
  guint64 originals, entries, lost, mismatched;
  mugai_quarantine_fsck_report *report;
} fsck_job;

/* The entries without an original, each removed (when repairing) with an audit record. */
static gboolean
lost_work(PGconn *c, gpointer data, GError **error) {
  fsck_job *job = data;
  PGresult *r = mugai_pg_query(c,
                               "SELECT e.id FROM entry e LEFT JOIN original o ON"
                               " o.entry_id = e.id WHERE o.entry_id IS NULL ORDER BY e.id",
                               0, NULL, error);
  if (r == NULL)
    return FALSE;
  gboolean ok = TRUE;
  for (int i = 0; ok && i < PQntuples(r); i++) {
    const char *id = PQgetvalue(r, i, 0);
    const char *params[] = {id};
    job->lost++;
    mugai_quarantine_fsck_report_say(job->report,
                                     "%s: in the database, but its original is "
                                     "missing%s",
                                     id, job->repair ? "; entry removed" : "");
    ok = !job->repair ||
         (mugai_pg_command(c, "DELETE FROM entry WHERE id = $1", 1, params, NULL, error) &&
          mugai_pg_audit_add(c, "fsck", id, "original missing", "", error));
  }
  PQclear(r);
  return ok;
}

static gboolean
count_work(PGconn *c, gpointer data, GError **error) {
  fsck_job *job = data;
  if (!mugai_pg_schema_check(c, error))
    return FALSE;
  PGresult *r = mugai_pg_query(c,
                               "SELECT (SELECT count(*) FROM entry), (SELECT count(*) FROM"
                               " original)",
                               0, NULL, error);
  if (r == NULL)
    return FALSE;
  job->entries = g_ascii_strtoull(PQgetvalue(r, 0, 0), NULL, 10);
  job->originals = g_ascii_strtoull(PQgetvalue(r, 0, 1), NULL, 10);
  PQclear(r);
  r = mugai_pg_query(c,
                     "SELECT e.id, e.size, octet_length(o.data) FROM entry e JOIN original o"
                     " ON o.entry_id = e.id WHERE octet_length(o.data) <> e.size ORDER BY e.id",
                     0, NULL, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples(r); i++) {
    job->mismatched++;
    mugai_quarantine_fsck_report_say(job->report,
                                     "%s: its original is %s bytes, its entry says "
                                     "%s; kept",
                                     PQgetvalue(r, i, 0), PQgetvalue(r, i, 2), PQgetvalue(r, i, 1));
  }
  PQclear(r);
  return TRUE;
}

gboolean
mugai_pg_store_fsck(mugai_pg_store *s, gint64 grace, gboolean repair,
                    mugai_quarantine_fsck_report *report, GError **error) {
  (void) grace;
  fsck_job job = {.repair = repair, .report = report};
  if (!mugai_pg_transaction(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", count_work, &job,
                            error) ||
      !mugai_pg_transaction(s, repair ? "BEGIN" : "BEGIN READ ONLY", lost_work, &job, error))
    return FALSE;
  const struct {
    const char *name;
    guint64 n;
  } counts[] = {{"files", job.originals},
                {"rows", job.entries},
                {"lost_rows_removed", job.lost},
                {"size_mismatches", job.mismatched}};
  for (gsize i = 0; i < G_N_ELEMENTS(counts); i++)
    mugai_quarantine_fsck_report_set_count(report, counts[i].name, counts[i].n);
  report->left_to_admin = job.mismatched;
  report->entries_dropped = job.lost;
  g_free(report->summary);
  report->summary =
      g_strdup_printf("schema version %d; %" G_GUINT64_FORMAT " originals, %" G_GUINT64_FORMAT
                      " entries; %s %" G_GUINT64_FORMAT
                      " entries without an original; %" G_GUINT64_FORMAT " size mismatches",
                      MUGAI_PG_SCHEMA_VERSION, job.originals, job.entries,
                      repair ? "removed" : "would remove", job.lost, job.mismatched);
  return TRUE;
}
