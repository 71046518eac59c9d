/* pg_conn.c — the PostgreSQL backend's connections: a small pool, queries with bound parameters,
 * transactions, and errors as MUGAI_QUARANTINE_ERROR (see pg_store.h).
 *
 * Owns: the pool's connections. Never: put a value into SQL text, or show the dsn's password
 * (libpq's own messages name the host and port, not it).
 */
#include "quarantine/pg_store.h"

#include <stdarg.h>
#include <string.h>

/* Seconds a connect may take when the dsn says nothing: a dead server must cost a milter thread
 * seconds, not the TCP timeout, before its message is answered 451. */
#define CONNECT_TIMEOUT "10"

gboolean
mugai_pg_fail(GError **error, int code, const char *format, ...) {
  va_list args;
  va_start(args, format);
  g_autofree char *text = g_strdup_vprintf(format, args);
  va_end(args);
  g_set_error_literal(error, MUGAI_QUARANTINE_ERROR, code, text);
  return FALSE;
}

/* libpq's message for C, without its trailing newline. */
static char *
message_of(PGconn *c) {
  g_autofree char *text = g_strdup(PQerrorMessage(c));
  return g_strdup(g_strstrip(text));
}

/* The server's NOTICEs (libpq prints them on stderr by default) are not ours to show. */
static void
ignore_notice(void *data, const char *message) {
  (void) data;
  (void) message;
}

/* A new connection to S's database, its commits synchronous whatever the server's default (a
 * commit is the durability point of a store). */
static PGconn *
connect_new(mugai_pg_store *s, GError **error) {
  /* dbname is expanded as a conninfo or URI: what the dsn says wins over the keys before it. */
  const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
  const char *const values[] = {CONNECT_TIMEOUT, "mugai", s->dsn, NULL};
  PGconn *c = PQconnectdbParams(keys, values, 1);
  if (c == NULL || PQstatus(c) != CONNECTION_OK) {
    g_autofree char *why = c ? message_of(c) : g_strdup("out of memory");
    PQfinish(c);
    mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX,
                  "quarantine database %s: cannot connect: "
                  "%s",
                  s->location, why);
    return NULL;
  }
  PQsetNoticeProcessor(c, ignore_notice, NULL);
  PGresult *r = PQexec(c, "SET synchronous_commit = on");
  gboolean ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    g_autofree char *why = message_of(c);
    PQfinish(c);
    mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "quarantine database %s: %s", s->location,
                  why);
    return NULL;
  }
  return c;
}

PGconn *
mugai_pg_take(mugai_pg_store *s, GError **error) {
  g_mutex_lock(&s->lock);
  while (s->n_idle == 0 && s->n_open >= MUGAI_PG_POOL)
    g_cond_wait(&s->freed, &s->lock);
  if (s->n_idle > 0) {
    PGconn *c = s->idle[--s->n_idle];
    g_mutex_unlock(&s->lock);
    return c;
  }
  s->n_open++; /* counted before connecting, so no more than the pool connect at once */
  g_mutex_unlock(&s->lock);
  PGconn *c = connect_new(s, error);
  if (c == NULL) {
    g_mutex_lock(&s->lock);
    s->n_open--;
    g_cond_signal(&s->freed);
    g_mutex_unlock(&s->lock);
  }
  return c;
}

void
mugai_pg_give(mugai_pg_store *s, PGconn *c) {
  if (c == NULL)
    return;
  gboolean good = PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE;
  if (!good)
    PQfinish(c); /* the next take connects again */
  g_mutex_lock(&s->lock);
  if (good)
    s->idle[s->n_idle++] = c;
  else
    s->n_open--;
  g_cond_signal(&s->freed);
  g_mutex_unlock(&s->lock);
}

PGresult *
mugai_pg_query(PGconn *c, const char *sql, int n, const char *const *params, GError **error) {
  /* Without parameters, the simple protocol: a schema is many statements in one string. */
  PGresult *r = n == 0 ? PQexec(c, sql) : PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
  ExecStatusType status = PQresultStatus(r);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    return r;
  g_autofree char *why =
      r && *PQresultErrorMessage(r) ? g_strdup(PQresultErrorMessage(r)) : message_of(c);
  PQclear(r);
  mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "quarantine database: %s", g_strstrip(why));
  return NULL;
}

gboolean
mugai_pg_command(PGconn *c, const char *sql, int n, const char *const *params, guint64 *rows,
                 GError **error) {
  PGresult *r = mugai_pg_query(c, sql, n, params, error);
  if (r == NULL)
    return FALSE;
  if (rows)
    *rows = g_ascii_strtoull(PQcmdTuples(r), NULL, 10);
  PQclear(r);
  return TRUE;
}

/* Close every idle connection of S's: one found dead means the server went away (a restart, a
 * failover), and the others made before then are dead too. */
static void
drop_idle(mugai_pg_store *s) {
  g_mutex_lock(&s->lock);
  while (s->n_idle > 0) {
    PQfinish(s->idle[--s->n_idle]);
    s->n_open--;
  }
  g_cond_broadcast(&s->freed);
  g_mutex_unlock(&s->lock);
}

/* BEGIN_SQL on a connection of S's, replacing once one from the pool that is dead (a server
 * restarted since it was last used looks good until a command fails); the retry connects anew. */
static PGconn *
begin(mugai_pg_store *s, const char *begin_sql, GError **error) {
  for (int attempt = 0;; attempt++) {
    PGconn *c = mugai_pg_take(s, error);
    if (c == NULL)
      return NULL;
    g_autoptr(GError) local = NULL;
    if (mugai_pg_command(c, begin_sql, 0, NULL, NULL, &local))
      return c;
    gboolean dead = PQstatus(c) != CONNECTION_OK;
    mugai_pg_give(s, c);
    if (dead)
      drop_idle(s);
    if (!dead || attempt > 0) {
      g_propagate_error(error, g_steal_pointer(&local));
      return NULL;
    }
  }
}

gboolean
mugai_pg_transaction(mugai_pg_store *s, const char *begin_sql, mugai_pg_work work, gpointer data,
                     GError **error) {
  PGconn *c = begin(s, begin_sql, error);
  if (c == NULL)
    return FALSE;
  gboolean ok = work(c, data, error) && mugai_pg_command(c, "COMMIT", 0, NULL, NULL, error);
  if (!ok && PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE)
    PQclear(PQexec(c, "ROLLBACK"));
  mugai_pg_give(s, c);
  return ok;
}
