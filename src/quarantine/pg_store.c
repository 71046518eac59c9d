/* pg_store.c — the PostgreSQL backend's writes: open, store, delete, purge, the release claims,
 * and its table of functions (backend.h); the reads are pg_read.c's (see pg_store.h).
 *
 * Owns: through the store, its pool. Never: answer before the commit of the entry with its
 * original, or use a host's clock where two hosts must agree (claims use the server's now()).
 * A store whose COMMIT got no answer (the server failed over just then) is reported failed, so
 * Postfix sends the message again: at worst a whole entry of a message stored twice, never half.
 */
#include "quarantine/pg_store.h"

#include <string.h>
#include "quarantine/quarantine_id.h"
#include "util/dsn.h"

#define PURGE_BATCH "1000"
#define NOW_SQL "extract(epoch FROM now())::bigint"

gboolean
mugai_pg_audit_add(PGconn *c, const char *action, const char *id, const char *reason,
                   const char *detail, GError **error) {
  gint64 uid = 0;
  g_autofree char *who = mugai_quarantine_audit_actor(&uid);
  g_autofree char *uid_text = g_strdup_printf("%" G_GINT64_FORMAT, uid);
  const char *params[] = {who, uid_text, action, id, reason ? reason : "", detail ? detail : ""};
  return mugai_pg_command(c,
                          "INSERT INTO audit (time, \"user\", uid, action, entry_id, reason,"
                          " detail) VALUES (" NOW_SQL ", $1, $2, $3, $4, $5, $6)",
                          6, params, NULL, error);
}

static gboolean
insert_entry(PGconn *c, const mugai_quarantine_entry *e, GError **error) {
  g_autofree char *time = g_strdup_printf("%" G_GINT64_FORMAT, e->time);
  g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, e->size);
  g_autofree char *released = g_strdup_printf("%" G_GINT64_FORMAT, e->released);
  const char *params[] = {e->id,         time,           e->queue_id, e->client,
                          e->direction,  e->mail_from,   e->from,     e->subject,
                          size,          e->verdict,     e->reason,   e->actions,
                          e->signatures, e->report_json, released,    e->host,
                          e->locked ? "true" : "false"};
  return mugai_pg_command(c,
                          "INSERT INTO entry (id, time, queue_id, client, direction, mail_from,"
                          " from_header, subject, size, verdict, reason, actions, signatures,"
                          " report, released, host, locked) VALUES ($1, $2, $3, $4, $5, $6, $7,"
                          " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
                          17, params, NULL, error);
}

static gboolean
insert_rcpts_and_parts(PGconn *c, const mugai_quarantine_entry *e, GError **error) {
  for (guint i = 0; e->rcpts[i]; i++) {
    g_autofree char *seq = g_strdup_printf("%u", i);
    const char *params[] = {e->id, seq, e->rcpts[i]};
    if (!mugai_pg_command(c, "INSERT INTO rcpt VALUES ($1, $2, $3)", 3, params, NULL, error))
      return FALSE;
  }
  for (guint i = 0; i < e->parts->len; i++) {
    const mugai_quarantine_part *p = g_ptr_array_index(e->parts, i);
    g_autofree char *seq = g_strdup_printf("%u", i);
    g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, p->size);
    const char *params[] = {e->id,   seq,  p->path,   p->type,   p->detected_type,
                            p->name, size, p->sha256, p->action, p->reason};
    if (!mugai_pg_command(c, "INSERT INTO part VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                          10, params, NULL, error))
      return FALSE;
  }
  return TRUE;
}

typedef struct {
  const mugai_quarantine_entry *entry;
  const guint8 *data;
  gsize len;
  mugai_quarantine_fault fault;
} store_job;

/* The entry, its recipients and parts, and its original (sent as binary, not escaped), in the
 * caller's transaction: its COMMIT makes all of them durable at once. */
static gboolean
store_work(PGconn *c, gpointer data, GError **error) {
  store_job *job = data;
  if (!insert_entry(c, job->entry, error) || !insert_rcpts_and_parts(c, job->entry, error))
    return FALSE;
  const char *values[] = {job->entry->id, job->data ? (const char *) job->data : ""};
  const int lengths[] = {0, (int) job->len};
  const int formats[] = {0, 1};
  PGresult *r =
      PQexecParams(c, "INSERT INTO original VALUES ($1, $2)", 2, NULL, values, lengths, formats, 0);
  gboolean ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok)
    mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "quarantine database: %s",
                  g_strstrip(PQresultErrorMessage(r)));
  PQclear(r);
  if (ok && job->fault != MUGAI_QUARANTINE_FAULT_NONE)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX,
                         "quarantine: simulated crash before the commit");
  return ok;
}

static gboolean
pg_store(void *ctx, const mugai_quarantine_entry *entry, const guint8 *data, gsize len,
         GError **error) {
  mugai_pg_store *s = ctx;
  g_return_val_if_fail(mugai_quarantine_id_valid(entry->id), FALSE);
  if (len > G_MAXINT32) /* bytea and libpq's lengths stop at 1 GB and 2 GB */
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_IO,
                         "quarantine: %s is too big for the "
                         "database (%" G_GSIZE_FORMAT " bytes)",
                         entry->id, len);
  store_job job = {entry, data, len, s->fault};
  return mugai_pg_transaction(s, "BEGIN", store_work, &job, error);
}

typedef struct {
  const char *id, *claim, *reason, *detail;
  guint stale_after;
  gint64 before;
  guint64 removed;
} change_job;

static gboolean
not_found(GError **error, const char *id) {
  return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_NOT_FOUND, "no quarantine entry %s", id);
}

static gboolean
remove_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  guint64 rows = 0;
  const char *params[] = {job->id};
  if (!mugai_pg_command(c, "DELETE FROM entry WHERE id = $1", 1, params, &rows, error))
    return FALSE; /* its original, recipients and parts go with it (ON DELETE CASCADE) */
  if (rows == 0)
    return not_found(error, job->id);
  return mugai_pg_audit_add(c, "delete", job->id, job->reason, "", error);
}

static gboolean
pg_remove(void *ctx, const char *id, const char *reason, GError **error) {
  change_job job = {.id = id, .reason = reason};
  return mugai_pg_transaction(ctx, "BEGIN", remove_work, &job, error);
}

static gboolean
purge_batch_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  g_autofree char *before = g_strdup_printf("%" G_GINT64_FORMAT, job->before);
  const char *params[] = {before};
  return mugai_pg_command(c,
                          "DELETE FROM entry WHERE id IN (SELECT id FROM entry WHERE time < $1"
                          " ORDER BY time LIMIT " PURGE_BATCH ")",
                          1, params, &job->removed, error);
}

static gboolean
purge_audit_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  return mugai_pg_audit_add(c, "purge", "", job->reason, job->detail, error);
}

/* In batches, each its own transaction: a purge of 100 000 entries does not hold one for long. */
static gboolean
pg_purge(void *ctx, gint64 before, const char *reason, mugai_quarantine_progress_fn progress,
         gpointer data, guint64 *removed, GError **error) {
  change_job job = {.before = before, .reason = reason};
  *removed = 0;
  do {
    if (!mugai_pg_transaction(ctx, "BEGIN", purge_batch_work, &job, error))
      return FALSE;
    *removed += job.removed;
    if (job.removed && progress)
      progress(*removed, data);
  } while (job.removed > 0);
  g_autofree char *detail = g_strdup_printf(
      "%" G_GUINT64_FORMAT " entries stored before %" G_GINT64_FORMAT, *removed, before);
  job.detail = detail;
  return mugai_pg_transaction(ctx, "BEGIN", purge_audit_work, &job, error);
}

/* After a claim on ID was refused: who holds it since when, or NOT_FOUND. */
static gboolean
claim_refused(PGconn *c, const char *id, GError **error) {
  const char *params[] = {id};
  PGresult *r =
      mugai_pg_query(c, "SELECT claim, claim_time FROM entry WHERE id = $1", 1, params, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return not_found(error, id);
  }
  g_autofree char *holder = g_strdup(PQgetvalue(r, 0, 0));
  g_autoptr(GDateTime) since =
      g_date_time_new_from_unix_local(g_ascii_strtoll(PQgetvalue(r, 0, 1), NULL, 10));
  PQclear(r);
  g_autofree char *when = since ? g_date_time_format(since, "%Y-%m-%d %H:%M:%S") : g_strdup("?");
  return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_CLAIMED,
                       "%s is being released already, by %s since %s", id, holder, when);
}

/* One conditional UPDATE, at the server's time: of two hosts claiming at once, PostgreSQL's row
 * lock lets one update the row and the other re-check it, claimed, and update nothing. */
static gboolean
claim_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  g_autofree char *stale = g_strdup_printf("%u", job->stale_after);
  const char *params[] = {job->id, job->claim, stale};
  guint64 rows = 0;
  if (!mugai_pg_command(c,
                        "UPDATE entry SET claim = $2, claim_time = " NOW_SQL " WHERE id = $1"
                        " AND (claim = '' OR claim_time <= " NOW_SQL " - $3::bigint)",
                        3, params, &rows, error))
    return FALSE;
  return rows == 1 || claim_refused(c, job->id, error);
}

static gboolean
pg_claim_release(void *ctx, const char *id, const char *claim, guint stale_after, GError **error) {
  change_job job = {.id = id, .claim = claim, .stale_after = stale_after};
  return mugai_pg_transaction(ctx, "BEGIN", claim_work, &job, error);
}

static gboolean
finish_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  const char *params[] = {job->id, job->claim};
  guint64 rows = 0;
  /* Every SET expression sees the row as it was: the claim is tested before it is cleared. */
  if (!mugai_pg_command(c,
                        "UPDATE entry SET released = " NOW_SQL ","
                        " claim_time = CASE WHEN claim = $2 THEN 0 ELSE claim_time END,"
                        " claim = CASE WHEN claim = $2 THEN '' ELSE claim END WHERE id = $1",
                        2, params, &rows, error))
    return FALSE;
  if (rows == 0)
    return not_found(error, job->id);
  return mugai_pg_audit_add(c, "release", job->id, job->reason, job->detail, error);
}

static gboolean
pg_finish_release(void *ctx, const char *id, const char *claim, const char *reason,
                  const char *detail, GError **error) {
  change_job job = {.id = id, .claim = claim, .reason = reason, .detail = detail};
  return mugai_pg_transaction(ctx, "BEGIN", finish_work, &job, error);
}

static gboolean
give_back_work(PGconn *c, gpointer data, GError **error) {
  change_job *job = data;
  const char *params[] = {job->id, job->claim};
  return mugai_pg_command(c,
                          "UPDATE entry SET claim = '', claim_time = 0"
                          " WHERE id = $1 AND claim = $2",
                          2, params, NULL, error);
}

static gboolean
pg_give_back_release(void *ctx, const char *id, const char *claim, GError **error) {
  change_job job = {.id = id, .claim = claim};
  return mugai_pg_transaction(ctx, "BEGIN", give_back_work, &job, error);
}

static mugai_pg_store *
store_new(const mugai_quarantine_policy *config) {
  mugai_pg_store *s = g_new0(mugai_pg_store, 1);
  s->dsn = g_strdup(config->dsn);
  s->location = mugai_dsn_redact(config->dsn);
  g_mutex_init(&s->lock);
  g_cond_init(&s->freed);
  return s;
}

static void
pg_free(void *ctx) {
  mugai_pg_store *s = ctx;
  if (s == NULL)
    return;
  g_assert(s->n_open == s->n_idle); /* every connection given back */
  for (guint i = 0; i < s->n_idle; i++)
    PQfinish(s->idle[i]);
  g_mutex_clear(&s->lock);
  g_cond_clear(&s->freed);
  g_free(s->dsn);
  g_free(s->location);
  g_free(s);
}

/* The database must be reachable and its schema this mugai's; CREATE changes nothing here (the
 * schema is `mugai quarantine init`'s, pg_schema.c says why). */
static void *
pg_open(const mugai_quarantine_policy *config, gboolean create, GError **error) {
  (void) create;
  mugai_pg_store *s = store_new(config);
  PGconn *c = mugai_pg_take(s, error);
  gboolean ok = c != NULL && mugai_pg_schema_check(c, error);
  mugai_pg_give(s, c);
  if (ok)
    return s;
  if (c != NULL) /* a connect failure names the database already */
    g_prefix_error(error, "%s: ", s->location);
  pg_free(s);
  return NULL;
}

static gboolean
pg_setup(const mugai_quarantine_policy *config, gboolean init, int *before, int *after,
         GError **error) {
  mugai_pg_store *s = store_new(config);
  g_autoptr(GError) local = NULL;
  gboolean ok = mugai_pg_schema_setup(s, init, before, after, &local);
  if (!ok && !g_str_has_prefix(local->message, "quarantine database "))
    g_prefix_error(&local, "%s: ", s->location);
  if (!ok)
    g_propagate_error(error, g_steal_pointer(&local));
  pg_free(s);
  return ok;
}

static gboolean
pg_is_at(const void *ctx, const mugai_quarantine_policy *config) {
  const mugai_pg_store *s = ctx;
  return strcmp(s->dsn, config->dsn) == 0;
}

static const char *
pg_get_location(const void *ctx) {
  const mugai_pg_store *s = ctx;
  return s->location;
}

static void
pg_set_fault(void *ctx, mugai_quarantine_fault fault) {
  mugai_pg_store *s = ctx;
  s->fault = fault;
}

static gboolean
pg_fsck(void *ctx, gint64 grace, gboolean repair, mugai_quarantine_fsck_report *report,
        GError **error) {
  return mugai_pg_store_fsck(ctx, grace, repair, report, error);
}

const mugai_quarantine_backend mugai_pg_backend = {
    .name = "postgresql",
    .open = pg_open,
    .setup = pg_setup,
    .free = pg_free,
    .is_at = pg_is_at,
    .get_location = pg_get_location,
    .store = pg_store,
    .get = mugai_pg_get,
    .read_original = mugai_pg_read_original,
    .list = mugai_pg_list,
    .remove = pg_remove,
    .purge = pg_purge,
    .claim_release = pg_claim_release,
    .finish_release = pg_finish_release,
    .give_back_release = pg_give_back_release,
    .audit_list = mugai_pg_audit_list,
    .get_stats = mugai_pg_get_stats,
    .fsck = pg_fsck,
    .contacts_learn = mugai_pg_contacts_learn,
    .contact_known = mugai_pg_contact_known,
    .contacts_list = mugai_pg_contacts_list,
    .contact_add = mugai_pg_contact_add,
    .contact_remove = mugai_pg_contact_remove,
    .contacts_purge = mugai_pg_contacts_purge,
    .set_fault = pg_set_fault,
};
