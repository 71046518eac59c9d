/* pg_contacts.c — the PostgreSQL backend's [contacts] table (contacts.h; pg_schema.c version 2),
 * one for every gateway host sharing the database: what one host learned, every host knows.
 *
 * A lookup is one query on a pooled connection (no transaction of its own). Learning is one
 * transaction per message with synchronous_commit off: the server writes it with its next WAL
 * flush instead of making this message wait for an fsync (a crash of the server may lose the last
 * rows, which the next mail teaches again). Never: treat a sender as known when the database
 * could not answer.
 */
#include "quarantine/pg_store.h"

#include <string.h>

#define PURGE_BATCH "5000"

static char *
number(gint64 n)
{
  return g_strdup_printf("%" G_GINT64_FORMAT, n);
}

typedef struct {
  const char *user, *addr, *domain;
  const char *const *addrs;
  gint64 time;
  guint64 rows;
  const char *sql;
  mugai_contact_row_fn fn;
  gpointer data;
} contact_job;

#define UPSERT                                                                                     \
  "INSERT INTO contact (\"user\", addr, domain, last_seen, pinned) VALUES ($1, $2, $3, $4, $5)"    \
  " ON CONFLICT (\"user\", addr) DO UPDATE SET"                                                    \
  " last_seen = greatest(contact.last_seen, excluded.last_seen),"                                  \
  " pinned = contact.pinned OR excluded.pinned"

static gboolean
learn_work(PGconn *c, gpointer data, GError **error)
{
  contact_job *job = data;
  if (!mugai_pg_command(c, "SET LOCAL synchronous_commit = off", 0, NULL, NULL, error))
    return FALSE;
  g_autofree char *time = number(job->time);
  for (gsize i = 0; job->addrs[i]; i++) {
    const char *params[] = {job->user, job->addrs[i], strrchr(job->addrs[i], '@') + 1, time,
                            "false"};
    if (!mugai_pg_command(c, UPSERT, 5, params, NULL, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
mugai_pg_contacts_learn(void *s, const char *user, const char *const *addrs, gint64 now,
                        GError **error)
{
  contact_job job = {.user = user, .addrs = addrs, .time = now};
  return mugai_pg_transaction(s, "BEGIN", learn_work, &job, error);
}

gboolean
mugai_pg_contact_known(void *s, const char *addr, const char *domain, gint64 since,
                       gboolean *known, GError **error)
{
  PGconn *c = mugai_pg_take(s, error);
  if (c == NULL)
    return FALSE;
  g_autofree char *time = number(since);
  const char *params[] = {domain ? domain : addr, time};
  PGresult *r = mugai_pg_query(c,
                               domain ? "SELECT 1 FROM contact WHERE domain = $1 AND"
                                        " (last_seen >= $2 OR pinned) LIMIT 1"
                                      : "SELECT 1 FROM contact WHERE addr = $1 AND"
                                        " (last_seen >= $2 OR pinned) LIMIT 1",
                               2, params, error);
  mugai_pg_give(s, c);
  if (r == NULL)
    return FALSE;
  *known = PQntuples(r) > 0;
  PQclear(r);
  return TRUE;
}

static gboolean
list_work(PGconn *c, gpointer data, GError **error)
{
  contact_job *job = data;
  const char *params[] = {job->user};
  PGresult *r = mugai_pg_query(c,
                               "SELECT \"user\", addr, domain, last_seen, pinned FROM contact"
                               " WHERE $1::text IS NULL OR \"user\" = $1 ORDER BY \"user\", addr",
                               1, params, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples(r); i++) {
    mugai_contact row = {PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                         g_ascii_strtoll(PQgetvalue(r, i, 3), NULL, 10),
                         strcmp(PQgetvalue(r, i, 4), "t") == 0};
    if (!job->fn(&row, job->data))
      break;
  }
  PQclear(r);
  return TRUE;
}

gboolean
mugai_pg_contacts_list(void *s, const char *user, mugai_contact_row_fn fn, gpointer data,
                       GError **error)
{
  contact_job job = {.user = user, .fn = fn, .data = data};
  return mugai_pg_transaction(s, "BEGIN READ ONLY", list_work, &job, error);
}

/* An admin's change (JOB->sql) with its audit record, in one transaction. */
static gboolean
change_work(PGconn *c, gpointer data, GError **error)
{
  contact_job *job = data;
  g_autofree char *time = number(job->time);
  const char *params[] = {job->user, job->addr, job->domain, time, "true"};
  guint64 rows = 0;
  if (!mugai_pg_command(c, job->sql, job->domain ? 5 : 2, params, &rows, error))
    return FALSE;
  if (rows == 0)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_NOT_FOUND, "no contact %s -> %s",
                         job->user, job->addr);
  g_autofree char *detail = g_strdup_printf("%s -> %s", job->user, job->addr);
  return mugai_pg_audit_add(c, job->domain ? "contact-add" : "contact-remove", "", "admin",
                            detail, error);
}

gboolean
mugai_pg_contact_add(void *s, const char *user, const char *addr, const char *domain,
                     gint64 now, GError **error)
{
  contact_job job = {.user = user, .addr = addr, .domain = domain, .time = now, .sql = UPSERT};
  return mugai_pg_transaction(s, "BEGIN", change_work, &job, error);
}

gboolean
mugai_pg_contact_remove(void *s, const char *user, const char *addr, GError **error)
{
  contact_job job = {.user = user, .addr = addr,
                     .sql = "DELETE FROM contact WHERE \"user\" = $1 AND addr = $2"};
  return mugai_pg_transaction(s, "BEGIN", change_work, &job, error);
}

static gboolean
purge_work(PGconn *c, gpointer data, GError **error)
{
  contact_job *job = data;
  g_autofree char *before = number(job->time);
  const char *params[] = {before};
  return mugai_pg_command(c,
                          "DELETE FROM contact WHERE (\"user\", addr) IN (SELECT \"user\", addr"
                          " FROM contact WHERE last_seen < $1 AND NOT pinned LIMIT " PURGE_BATCH
                          ")",
                          1, params, &job->rows, error);
}

/* In batches, each its own transaction, as the purge of entries. */
gboolean
mugai_pg_contacts_purge(void *s, gint64 before, guint64 *removed, GError **error)
{
  contact_job job = {.time = before};
  do {
    if (!mugai_pg_transaction(s, "BEGIN", purge_work, &job, error))
      return FALSE;
    *removed += job.rows;
  } while (job.rows > 0);
  return TRUE;
}
