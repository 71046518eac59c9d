/* pg_read.c — the PostgreSQL backend's reads: an entry, the original in chunks, lists, the
 * audit, stats (see pg_store.h). Each is one read-only transaction, so what it returns is one
 * consistent view while hosts store and release around it. Every value is bound. */
#include "quarantine/pg_store.h"

#include <string.h>

#define READ_CHUNK 65536 /* bytes; a literal: it is also the text of a parameter */
#define ENTRY_COLUMNS                                                                              \
  "id, time, queue_id, client, direction, mail_from, from_header, subject,"                        \
  " size, verdict, reason, actions, signatures, released, host, locked"
#define READ_ONLY "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

static gint64
int_at(const PGresult *r, int row, int col) {
  return g_ascii_strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static void
set_text(char **field, const PGresult *r, int row, int col) {
  g_free(*field);
  *field = g_strdup(PQgetvalue(r, row, col));
}

/* An entry from ROW of ENTRY_COLUMNS (no recipients, parts or report). */
static mugai_quarantine_entry *
entry_from_row(const PGresult *r, int row) {
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  char **texts[] = {&e->id,        NULL,        &e->queue_id,   &e->client, &e->direction,
                    &e->mail_from, &e->from,    &e->subject,    NULL,       &e->verdict,
                    &e->reason,    &e->actions, &e->signatures, NULL,       &e->host};
  for (int i = 0; i < (int) G_N_ELEMENTS(texts); i++)
    if (texts[i])
      set_text(texts[i], r, row, i);
  e->time = int_at(r, row, 1);
  e->size = (guint64) int_at(r, row, 8);
  e->released = int_at(r, row, 13);
  e->locked = strcmp(PQgetvalue(r, row, 15), "t") == 0;
  return e;
}

typedef struct {
  const char *id;
  mugai_quarantine_entry *entry; /* (transfer full) what get found */
} get_job;

static gboolean
load_parts(PGconn *c, mugai_quarantine_entry *e, GError **error) {
  const char *params[] = {e->id};
  PGresult *r = mugai_pg_query(c,
                               "SELECT path, type, detected_type, name, size, sha256, action,"
                               " reason FROM part WHERE entry_id = $1 ORDER BY seq",
                               1, params, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples(r); i++) {
    mugai_quarantine_part *p = g_new0(mugai_quarantine_part, 1);
    char **texts[] = {&p->path, &p->type,   &p->detected_type, &p->name,
                      NULL,     &p->sha256, &p->action,        &p->reason};
    for (int k = 0; k < (int) G_N_ELEMENTS(texts); k++)
      if (texts[k])
        set_text(texts[k], r, i, k);
    p->size = (guint64) int_at(r, i, 4);
    g_ptr_array_add(e->parts, p);
  }
  PQclear(r);
  return TRUE;
}

static gboolean
get_work(PGconn *c, gpointer data, GError **error) {
  get_job *job = data;
  const char *params[] = {job->id};
  PGresult *r = mugai_pg_query(c,
                               "SELECT " ENTRY_COLUMNS ", report,"
                               " (SELECT string_agg(addr, E'\\n' ORDER BY seq) FROM rcpt"
                               " WHERE rcpt.entry_id = entry.id) FROM entry WHERE id = $1",
                               1, params, error);
  if (r == NULL)
    return FALSE;
  if (PQntuples(r) == 0) {
    PQclear(r);
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_NOT_FOUND, "no quarantine entry %s",
                         job->id);
  }
  g_autoptr(mugai_quarantine_entry) e = entry_from_row(r, 0);
  set_text(&e->report_json, r, 0, 16);
  if (!PQgetisnull(r, 0, 17)) {
    g_strfreev(e->rcpts);
    e->rcpts = g_strsplit(PQgetvalue(r, 0, 17), "\n", -1);
  }
  PQclear(r);
  if (!load_parts(c, e, error))
    return FALSE;
  job->entry = g_steal_pointer(&e);
  return TRUE;
}

mugai_quarantine_entry *
mugai_pg_get(void *s, const char *id, GError **error) {
  get_job job = {.id = id};
  if (!mugai_pg_transaction(s, READ_ONLY, get_work, &job, error)) {
    mugai_quarantine_entry_free(job.entry);
    return NULL;
  }
  return job.entry;
}

typedef struct {
  const char *id;
  mugai_quarantine_write_fn write;
  gpointer user_data;
} read_job;

/* Chunk by chunk with substring() (1-based), each fetched as binary: the column is stored
 * uncompressed (pg_schema.c), so the server reads only the chunk's TOAST pages, and neither side
 * holds the whole original. */
static gboolean
read_work(PGconn *c, gpointer data, GError **error) {
  read_job *job = data;
  const char *params[] = {job->id};
  PGresult *r = mugai_pg_query(c, "SELECT octet_length(data) FROM original WHERE entry_id = $1", 1,
                               params, error);
  if (r == NULL)
    return FALSE;
  gint64 size = PQntuples(r) ? int_at(r, 0, 0) : -1;
  PQclear(r);
  if (size < 0)
    return mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_IO,
                         "the original of %s is not in the database", job->id);
  for (gint64 at = 0; at < size; at += READ_CHUNK) {
    g_autofree char *from = g_strdup_printf("%" G_GINT64_FORMAT, at + 1);
    const char *values[] = {job->id, from, G_STRINGIFY(READ_CHUNK)};
    r = PQexecParams(c,
                     "SELECT substring(data FROM $2::integer FOR $3::integer) FROM original"
                     " WHERE entry_id = $1",
                     3, NULL, values, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
      mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "quarantine database: %s",
                    PQresultStatus(r) == PGRES_TUPLES_OK ? "the original went away"
                                                         : g_strstrip(PQresultErrorMessage(r)));
      PQclear(r);
      return FALSE;
    }
    gboolean ok = job->write((const guint8 *) PQgetvalue(r, 0, 0), (gsize) PQgetlength(r, 0, 0),
                             job->user_data, error);
    PQclear(r);
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

gboolean
mugai_pg_read_original(void *s, const char *id, mugai_quarantine_write_fn write, gpointer user_data,
                       GError **error) {
  read_job job = {id, write, user_data};
  return mugai_pg_transaction(s, READ_ONLY, read_work, &job, error);
}

typedef struct {
  const mugai_quarantine_filter *filter;
  mugai_quarantine_row_fn fn;
  gpointer data;
} list_job;

/* The SQL of FILTER, its parameters added to PARAMS (strings owned by the array). */
static char *
list_sql(const mugai_quarantine_filter *f, GPtrArray *params) {
  GString *sql =
      g_string_new("SELECT " ENTRY_COLUMNS ", (SELECT string_agg(addr, E'\\n' ORDER"
                   " BY seq) FROM rcpt WHERE rcpt.entry_id = entry.id) FROM entry WHERE true");
#define PARAM(fmt, value) (g_ptr_array_add(params, g_strdup_printf(fmt, value)), params->len)
  if (f->since)
    g_string_append_printf(sql, " AND time >= $%u", PARAM("%" G_GINT64_FORMAT, f->since));
  if (f->until)
    g_string_append_printf(sql, " AND time < $%u", PARAM("%" G_GINT64_FORMAT, f->until));
  if (f->reason)
    g_string_append_printf(sql, " AND reason = $%u", PARAM("%s", f->reason));
  if (f->rcpt)
    g_string_append_printf(sql,
                           " AND id IN (SELECT entry_id FROM rcpt WHERE lower(addr) ="
                           " lower($%u))",
                           PARAM("%s", f->rcpt));
  /* As entry_waiting is made (lower(mail_from), WHERE locked), so that the planner can use it. */
  if (f->sender)
    g_string_append_printf(sql, " AND lower(mail_from) = lower($%u)", PARAM("%s", f->sender));
  if (f->from) {
    guint n = PARAM("%s", f->from);
    g_string_append_printf(sql,
                           " AND (strpos(lower(mail_from), lower($%u)) > 0 OR"
                           " strpos(lower(from_header), lower($%u)) > 0)",
                           n, n);
  }
#undef PARAM
  if (f->virus_only)
    g_string_append(sql, " AND signatures <> ''");
  if (f->locked_only)
    g_string_append(sql, " AND locked");
  if (f->released >= 0)
    g_string_append(sql, f->released ? " AND released <> 0" : " AND released = 0");
  g_string_append(sql, " ORDER BY time DESC, seq DESC"); /* seq: the order of stores */
  if (f->limit)
    g_string_append_printf(sql, " LIMIT %" G_GUINT64_FORMAT, f->limit);
  return g_string_free(sql, FALSE);
}

#define LIST_FETCH 1000

/* The rows of one FETCH from the list cursor to JOB's callback; FALSE in *MORE when it asked to
 * stop or the cursor is done. */
static gboolean
list_fetch(PGconn *c, list_job *job, gboolean *more, GError **error) {
  PGresult *r = mugai_pg_query(c, "FETCH " G_STRINGIFY(LIST_FETCH) " FROM list", 0, NULL, error);
  if (r == NULL)
    return FALSE;
  *more = PQntuples(r) == LIST_FETCH;
  for (int i = 0; i < PQntuples(r); i++) {
    g_autoptr(mugai_quarantine_entry) e = entry_from_row(r, i);
    if (!PQgetisnull(r, i, 16)) {
      g_strfreev(e->rcpts);
      e->rcpts = g_strsplit(PQgetvalue(r, i, 16), "\n", -1);
    }
    if (!job->fn(e, job->data)) {
      *more = FALSE;
      break;
    }
  }
  PQclear(r);
  return TRUE;
}

/* Through a cursor, LIST_FETCH rows at a time: a list of a million entries is never held whole
 * (libpq keeps a whole result in memory), and the planner aims at the first rows. */
static gboolean
list_work(PGconn *c, gpointer data, GError **error) {
  list_job *job = data;
  g_autoptr(GPtrArray) params = g_ptr_array_new_with_free_func(g_free);
  g_autofree char *sql = list_sql(job->filter, params);
  g_autofree char *declare = g_strconcat("DECLARE list NO SCROLL CURSOR FOR ", sql, NULL);
  if (!mugai_pg_command(c, declare, (int) params->len, (const char *const *) params->pdata, NULL,
                        error))
    return FALSE;
  gboolean more = TRUE;
  while (more)
    if (!list_fetch(c, job, &more, error))
      return FALSE;
  return TRUE;
}

gboolean
mugai_pg_list(void *s, const mugai_quarantine_filter *filter, mugai_quarantine_row_fn fn,
              gpointer data, GError **error) {
  list_job job = {filter, fn, data};
  return mugai_pg_transaction(s, READ_ONLY, list_work, &job, error);
}

static gboolean
audit_work(PGconn *c, gpointer data, GError **error) {
  GPtrArray *rows = data;
  PGresult *r = mugai_pg_query(c,
                               "SELECT seq, time, \"user\", uid, action, entry_id, reason,"
                               " detail FROM audit ORDER BY seq",
                               0, NULL, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples(r); i++) {
    mugai_quarantine_audit_row *a = g_new0(mugai_quarantine_audit_row, 1);
    a->seq = int_at(r, i, 0);
    a->time = int_at(r, i, 1);
    a->user = g_strdup(PQgetvalue(r, i, 2));
    a->uid = int_at(r, i, 3);
    a->action = g_strdup(PQgetvalue(r, i, 4));
    a->id = g_strdup(PQgetvalue(r, i, 5));
    a->reason = g_strdup(PQgetvalue(r, i, 6));
    a->detail = g_strdup(PQgetvalue(r, i, 7));
    g_ptr_array_add(rows, a);
  }
  PQclear(r);
  return TRUE;
}

GPtrArray *
mugai_pg_audit_list(void *s, GError **error) {
  g_autoptr(GPtrArray) rows =
      g_ptr_array_new_with_free_func((GDestroyNotify) mugai_quarantine_audit_row_free);
  if (!mugai_pg_transaction(s, READ_ONLY, audit_work, rows, error))
    return NULL;
  return g_steal_pointer(&rows);
}

static gboolean
stats_work(PGconn *c, gpointer data, GError **error) {
  mugai_quarantine_stats *st = data;
  PGresult *r = mugai_pg_query(c,
                               "SELECT count(*), coalesce(sum(size), 0), coalesce(min(time),"
                               " 0), coalesce(max(time), 0), count(nullif(released, 0)),"
                               " count(nullif(signatures, '')),"
                               " count(*) FILTER (WHERE locked AND released = 0) FROM entry",
                               0, NULL, error);
  if (r == NULL)
    return FALSE;
  st->entries = (guint64) int_at(r, 0, 0);
  st->bytes = (guint64) int_at(r, 0, 1);
  st->oldest = int_at(r, 0, 2);
  st->newest = int_at(r, 0, 3);
  st->released = (guint64) int_at(r, 0, 4);
  st->viruses = (guint64) int_at(r, 0, 5);
  st->waiting = (guint64) int_at(r, 0, 6);
  PQclear(r);
  r = mugai_pg_query(c,
                     "SELECT reason, count(*) AS n FROM entry GROUP BY reason"
                     " ORDER BY n DESC, reason COLLATE \"C\"",
                     0, NULL, error);
  if (r == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples(r); i++)
    g_ptr_array_add(st->by_reason,
                    g_strdup_printf("%s %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1)));
  PQclear(r);
  return TRUE;
}

gboolean
mugai_pg_get_stats(void *s, mugai_quarantine_stats *stats, GError **error) {
  return mugai_pg_transaction(s, READ_ONLY, stats_work, stats, error);
}
