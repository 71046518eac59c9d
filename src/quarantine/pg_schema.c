/* pg_schema.c — the PostgreSQL backend's schema, its version, and `mugai quarantine init` /
 * `migrate` (see pg_store.h).
 *
 * Owns: the schema, written once here. A new version appends a step to migrations[] and bumps
 * MUGAI_PG_SCHEMA_VERSION; the steps run in order in one transaction, so a migration is all or
 * nothing (PostgreSQL's DDL is transactional). mugai never changes the schema when it opens the
 * store: with many hosts on one database, that is the admin's step, done once.
 */
#include "quarantine/pg_store.h"

#include <string.h>

/* Version 1. Times are Unix seconds (bigint), as the SQLite index keeps them. entry.seq is the
 * order of stores, to list entries of one second newest first. */
static const char schema[] =
    "CREATE TABLE mugai_schema (version integer NOT NULL);"
    "CREATE TABLE entry ("
    " id text PRIMARY KEY, seq bigserial NOT NULL, time bigint NOT NULL, queue_id text NOT NULL,"
    " client text NOT NULL, direction text NOT NULL, mail_from text NOT NULL,"
    " from_header text NOT NULL, subject text NOT NULL, size bigint NOT NULL,"
    " verdict text NOT NULL, reason text NOT NULL, actions text NOT NULL,"
    " signatures text NOT NULL, report text NOT NULL, released bigint NOT NULL DEFAULT 0,"
    " host text NOT NULL DEFAULT '', claim text NOT NULL DEFAULT '',"
    " claim_time bigint NOT NULL DEFAULT 0);"
    "CREATE INDEX entry_time ON entry (time);"
    "CREATE TABLE rcpt (entry_id text NOT NULL REFERENCES entry (id) ON DELETE CASCADE,"
    " seq integer NOT NULL, addr text NOT NULL);"
    "CREATE INDEX rcpt_addr ON rcpt (lower(addr));"
    "CREATE INDEX rcpt_entry ON rcpt (entry_id);"
    "CREATE TABLE part (entry_id text NOT NULL REFERENCES entry (id) ON DELETE CASCADE,"
    " seq integer NOT NULL, path text NOT NULL, type text NOT NULL, detected_type text NOT NULL,"
    " name text NOT NULL, size bigint NOT NULL, sha256 text NOT NULL, action text NOT NULL,"
    " reason text NOT NULL);"
    "CREATE INDEX part_entry ON part (entry_id);"
    /* EXTERNAL: kept uncompressed, so substring() reads only the chunks it returns */
    "CREATE TABLE original (entry_id text PRIMARY KEY REFERENCES entry (id) ON DELETE CASCADE,"
    " data bytea NOT NULL);"
    "ALTER TABLE original ALTER COLUMN data SET STORAGE EXTERNAL;"
    "CREATE TABLE audit (seq bigserial PRIMARY KEY, time bigint NOT NULL, \"user\" text NOT NULL,"
    " uid bigint NOT NULL, action text NOT NULL, entry_id text NOT NULL, reason text NOT NULL,"
    " detail text NOT NULL);"
    "CREATE FUNCTION mugai_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'the audit log is append-only'; END$$;"
    "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION mugai_audit_append_only();"
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION mugai_audit_append_only();"
    "INSERT INTO mugai_schema VALUES (1);";

/* Version 2: who inside wrote to whom outside ([contacts], pg_contacts.c), one row per pair,
 * addresses lower case; the lookup probes contact_addr or contact_domain, the purge contact_time. */
#define CONTACT_TABLE                                                                              \
  "CREATE TABLE contact (\"user\" text NOT NULL, addr text NOT NULL, domain text NOT NULL,"        \
  " last_seen bigint NOT NULL, pinned boolean NOT NULL DEFAULT false,"                             \
  " PRIMARY KEY (\"user\", addr));"                                                                \
  "CREATE INDEX contact_addr ON contact (addr, last_seen);"                                        \
  "CREATE INDEX contact_domain ON contact (domain, last_seen);"                                    \
  "CREATE INDEX contact_time ON contact (last_seen);"

/* Version 3: entry.locked (PPAP: an archive that waits for its password; false for every entry
 * stored before), and entry_waiting, partial, for the lookup of the entries from one sender
 * (case ignored, as rcpt_addr) waiting since a time (pg_read.c's list with a sender). */
#define LOCKED_COLUMN                                                                              \
  "ALTER TABLE entry ADD COLUMN locked boolean NOT NULL DEFAULT false;"                            \
  "CREATE INDEX entry_waiting ON entry (lower(mail_from), time) WHERE locked;"

/* migrations[i] brings version i + 1 to i + 2. */
static const char *const migrations[] = {CONTACT_TABLE, LOCKED_COLUMN};

/* The version on C: 0 when there is no schema, -1 (ERROR set) when it cannot be read. */
static int
version_of(PGconn *c, GError **error) {
  PGresult *r = mugai_pg_query(c, "SELECT to_regclass('mugai_schema') IS NOT NULL", 0, NULL, error);
  if (r == NULL)
    return -1;
  gboolean exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
  PQclear(r);
  if (!exists)
    return 0;
  r = mugai_pg_query(c, "SELECT max(version) FROM mugai_schema", 0, NULL, error);
  if (r == NULL)
    return -1;
  int v = (int) g_ascii_strtoll(PQgetvalue(r, 0, 0), NULL, 10);
  PQclear(r);
  return v;
}

gboolean
mugai_pg_schema_check(PGconn *c, GError **error) {
  int v = version_of(c, error);
  if (v < 0)
    return FALSE;
  if (v == 0)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_MISSING,
                         "no quarantine schema in the database: run mugai quarantine init");
  if (v < MUGAI_PG_SCHEMA_VERSION)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX,
                         "the quarantine schema is version %d, this mugai needs %d: run mugai "
                         "quarantine migrate",
                         v, MUGAI_PG_SCHEMA_VERSION);
  if (v > MUGAI_PG_SCHEMA_VERSION)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX,
                         "the quarantine schema is version %d, made by a newer mugai (this one "
                         "knows %d)",
                         v, MUGAI_PG_SCHEMA_VERSION);
  return TRUE;
}

typedef struct {
  gboolean init;
  int before, after;
} setup_job;

static gboolean
setup_work(PGconn *c, gpointer data, GError **error) {
  setup_job *job = data;
  /* Two hosts running init at once: the second waits here, then finds the schema made. */
  if (!mugai_pg_command(c, "SELECT pg_advisory_xact_lock(hashtext('mugai quarantine schema'))", 0,
                        NULL, NULL, error))
    return FALSE;
  int v = version_of(c, error);
  if (v < 0)
    return FALSE;
  job->before = job->after = v;
  if (v > MUGAI_PG_SCHEMA_VERSION)
    return mugai_pg_schema_check(c, error);
  if (v == 0 && !job->init)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_MISSING,
                         "no quarantine schema to migrate: run mugai quarantine init");
  if (v == 0 && !mugai_pg_command(c, schema, 0, NULL, NULL, error))
    return FALSE;
  for (int from = v == 0 ? 1 : v; from < MUGAI_PG_SCHEMA_VERSION; from++) {
    g_autofree char *set = g_strdup_printf("UPDATE mugai_schema SET version = %d", from + 1);
    if (!mugai_pg_command(c, migrations[from - 1], 0, NULL, NULL, error) ||
        !mugai_pg_command(c, set, 0, NULL, NULL, error))
      return FALSE;
  }
  job->after = MUGAI_PG_SCHEMA_VERSION;
  return TRUE;
}

gboolean
mugai_pg_schema_setup(mugai_pg_store *s, gboolean init, int *before, int *after, GError **error) {
  setup_job job = {.init = init};
  gboolean ok = mugai_pg_transaction(s, "BEGIN", setup_work, &job, error);
  *before = job.before;
  *after = job.after;
  return ok;
}
