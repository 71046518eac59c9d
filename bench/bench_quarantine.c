/* bench_quarantine.c — what keeping originals costs: store throughput (entries/s) of the real
 * store (SQLite: the original and its entry in one group-committed transaction; PostgreSQL: the
 * same in one transaction of the server) from several threads as the milter's are, and a large
 * index to time `mugai quarantine list` on.
 * Not a test: numbers only.
 *
 *   bench_quarantine store STORE THREADS COUNT [SIZE]
 *       THREADS threads store COUNT originals of SIZE bytes (default 20000) each into STORE;
 *       prints entries/s and the wall time of one store call (median, p99): what a message
 *       waits for its original to be durable.
 *   bench_quarantine fill STORE N
 *       adds N entries to the index of STORE (one recipient, two parts each; no originals: list
 *       reads only the index) spread over the last 30 days, in transactions of 10 000 (SQLite:
 *       through the index's insert; PostgreSQL: the same rows by COPY).
 * STORE is a directory (the SQLite store, made when missing) or a PostgreSQL dsn ("host=... "
 * or "postgresql://..."; its schema made with `mugai quarantine init` first).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "quarantine/index.h"
#include "quarantine/pg_store.h"
#include "quarantine/quarantine_id.h"
#include "quarantine/store.h"

typedef struct {
  mugai_quarantine *q;
  guint count;
  const guint8 *data;
  gsize size;
  double *latencies; /* ms of each store call, COUNT of them */
} worker;

static mugai_quarantine_entry *
sample_entry(gint64 when, guint n)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  g_free(e->id);
  e->id = mugai_quarantine_id_new(when);
  e->time = when;
  g_free(e->mail_from);
  e->mail_from = g_strdup_printf("sender%u@example.com", n % 5000);
  g_strfreev(e->rcpts);
  e->rcpts = g_new0(char *, 2);
  e->rcpts[0] = g_strdup_printf("user%u@city.example.lg.jp", n % 2000);
  g_free(e->subject);
  e->subject = g_strdup_printf("【お知らせ】請求書の送付について %u", n);
  g_free(e->reason);
  e->reason = g_strdup(n % 50 == 0 ? "virus" : "none");
  g_free(e->verdict);
  e->verdict = g_strdup(n % 50 == 0 ? "reject" : "deliver");
  g_free(e->actions);
  e->actions = g_strdup("html2text,removed");
  for (int i = 0; i < 2; i++) {
    mugai_quarantine_part *p = g_new0(mugai_quarantine_part, 1);
    p->path = g_strdup_printf("%d", i + 1);
    p->type = g_strdup(i ? "application/pdf" : "text/html");
    p->detected_type = g_strdup(i ? "application/pdf" : "");
    p->name = g_strdup(i ? "見積書.pdf" : "");
    p->size = 20000;
    p->sha256 = g_strdup("e5c62df5dab5c87b6a015ef3d43597074d1eec433b15f51aec63b8582d0e4ab4");
    p->action = g_strdup(i ? "removed" : "converted");
    p->reason = g_strdup(i ? "attachment" : "body");
    g_ptr_array_add(e->parts, p);
  }
  return e;
}

static gpointer
store_worker(gpointer data)
{
  worker *w = data;
  for (guint i = 0; i < w->count; i++) {
    g_autoptr(mugai_quarantine_entry) e = sample_entry(g_get_real_time() / G_USEC_PER_SEC, i);
    e->size = w->size;
    GError *error = NULL;
    gint64 t0 = g_get_monotonic_time();
    if (!mugai_quarantine_store(w->q, e, w->data, w->size, &error)) {
      fprintf(stderr, "store: %s\n", error->message);
      exit(1);
    }
    w->latencies[i] = (g_get_monotonic_time() - t0) / 1000.0;
  }
  return NULL;
}

static int
compare_doubles(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static gboolean
is_dsn(const char *store)
{
  return strchr(store, '=') != NULL || g_str_has_prefix(store, "postgres");
}

/* STORE: the SQLite store at a directory, made when missing, or the PostgreSQL one a dsn names. */
static mugai_quarantine *
open_store(const char *store, GError **error)
{
  mugai_quarantine_policy config = {.dir = (char *) "", .dsn = (char *) "",
                                    .user = (char *) "", .group = (char *) ""};
  if (is_dsn(store)) {
    config.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL;
    config.dsn = (char *) store;
  } else {
    config.dir = (char *) store;
  }
  return mugai_quarantine_open(&config, TRUE, error);
}

static int
run_store(const char *dir, guint threads, guint count, gsize size)
{
  GError *error = NULL;
  mugai_quarantine *q = open_store(dir, &error);
  if (q == NULL || !mugai_quarantine_run_in_background(q, &error)) { /* as mugai-milter runs it */
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  guint8 *data = g_malloc(size);
  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) ("abcdefghij\r\n"[i % 12]);
  worker *w = g_new0(worker, threads);
  GThread **t = g_new0(GThread *, threads);
  double *all = g_new0(double, (gsize) threads *count);
  gint64 start = g_get_monotonic_time();
  for (guint i = 0; i < threads; i++) {
    w[i] = (worker){q, count, data, size, all + (gsize) i * count};
    t[i] = g_thread_new("store", store_worker, &w[i]);
  }
  for (guint i = 0; i < threads; i++)
    g_thread_join(t[i]);
  double seconds = (g_get_monotonic_time() - start) / 1e6;
  gsize n = (gsize) threads * count;
  qsort(all, n, sizeof *all, compare_doubles);
  printf("store: %u threads x %u entries of %zu bytes: %.2f s, %.0f entries/s, store call "
         "median %.2f ms, p99 %.2f ms\n",
         threads, count, size, seconds, n / seconds, all[n / 2], all[n * 99 / 100]);
  g_free(all);
  g_free(t);
  g_free(w);
  g_free(data);
  mugai_quarantine_free(q);
  return 0;
}

/* Entry I of N, its time spread over the 30 days before NOW. */
static mugai_quarantine_entry *
fill_entry(gint64 now, guint i, guint n)
{
  return sample_entry(now - (gint64) (30 * 86400.0 * (n - i) / n), i);
}

static gboolean
fill_sqlite(const char *dir, guint n, GError **error)
{
  g_autofree char *index = g_build_filename(dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = mugai_qindex_open(index, FALSE, error);
  if (db == NULL)
    return FALSE;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  gboolean ok = TRUE;
  for (guint i = 0; ok && i < n; i++) {
    if (i % 10000 == 0)
      ok = mugai_qindex_exec(db, "BEGIN", error);
    g_autoptr(mugai_quarantine_entry) e = fill_entry(now, i, n);
    ok = ok && mugai_qindex_insert(db, e, error);
    if (ok && (i % 10000 == 9999 || i + 1 == n))
      ok = mugai_qindex_exec(db, "COMMIT", error);
  }
  mugai_qindex_close(db);
  return ok;
}

/* S as a field of COPY's text format onto OUT. */
static void
copy_field(GString *out, const char *s)
{
  for (; *s; s++) {
    if (*s == '\\' || *s == '\t' || *s == '\n' || *s == '\r')
      g_string_append_c(out, '\\');
    g_string_append_c(out, *s == '\t' ? 't' : *s == '\n' ? 'n' : *s == '\r' ? 'r' : *s);
  }
}

static void
copy_row(GString *out, const char *const *fields, gsize n)
{
  for (gsize i = 0; i < n; i++) {
    if (i)
      g_string_append_c(out, '\t');
    copy_field(out, fields[i]);
  }
  g_string_append_c(out, '\n');
}

/* The rows of ENTRIES for TABLE ("entry", "rcpt", "part") onto OUT, columns as pg_schema.c has
 * them (entry.seq and the claim left to their defaults). */
static void
copy_rows(GString *out, const char *table, GPtrArray *entries)
{
  for (guint k = 0; k < entries->len; k++) {
    const mugai_quarantine_entry *e = g_ptr_array_index(entries, k);
    if (strcmp(table, "entry") == 0) {
      g_autofree char *time = g_strdup_printf("%" G_GINT64_FORMAT, e->time);
      g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, e->size);
      const char *f[] = {e->id,      time,       e->queue_id,   e->client,     e->direction,
                         e->mail_from, e->from,  e->subject,    size,          e->verdict,
                         e->reason,  e->actions, e->signatures, e->report_json, "0", e->host};
      copy_row(out, f, G_N_ELEMENTS(f));
    } else if (strcmp(table, "rcpt") == 0) {
      for (guint i = 0; e->rcpts[i]; i++) {
        g_autofree char *seq = g_strdup_printf("%u", i);
        const char *f[] = {e->id, seq, e->rcpts[i]};
        copy_row(out, f, G_N_ELEMENTS(f));
      }
    } else {
      for (guint i = 0; i < e->parts->len; i++) {
        const mugai_quarantine_part *p = g_ptr_array_index(e->parts, i);
        g_autofree char *seq = g_strdup_printf("%u", i);
        g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, p->size);
        const char *f[] = {e->id,   seq,  p->path,   p->type,   p->detected_type,
                           p->name, size, p->sha256, p->action, p->reason};
        copy_row(out, f, G_N_ELEMENTS(f));
      }
    }
  }
}

static gboolean
copy_table(PGconn *c, const char *table, GPtrArray *entries, GError **error)
{
  g_autofree char *sql = g_strdup_printf(
      "COPY %s FROM STDIN",
      strcmp(table, "entry") == 0 ? "entry (id, time, queue_id, client, direction, mail_from,"
                                    " from_header, subject, size, verdict, reason, actions,"
                                    " signatures, report, released, host)"
                                  : table);
  PGresult *r = PQexec(c, sql);
  gboolean ok = PQresultStatus(r) == PGRES_COPY_IN;
  PQclear(r);
  g_autoptr(GString) rows = g_string_new(NULL);
  copy_rows(rows, table, entries);
  ok = ok && PQputCopyData(c, rows->str, (int) rows->len) == 1 && PQputCopyEnd(c, NULL) == 1;
  r = PQgetResult(c);
  ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  while ((r = PQgetResult(c)) != NULL)
    PQclear(r);
  return ok || mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "COPY %s: %s", table,
                             PQerrorMessage(c));
}

/* COPY, in transactions of 10 000 entries: a row at a time over the network would take a quarter
 * of an hour for a million (the rows are what a store inserts, the insert is not measured). */
static gboolean
fill_postgresql(const char *dsn, guint n, GError **error)
{
  PGconn *c = PQconnectdb(dsn);
  gboolean ok = PQstatus(c) == CONNECTION_OK ||
                mugai_pg_fail(error, MUGAI_QUARANTINE_ERROR_INDEX, "%s", PQerrorMessage(c));
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  const char *tables[] = {"entry", "rcpt", "part"};
  for (guint i = 0; ok && i < n; i += 10000) {
    g_autoptr(GPtrArray) batch =
        g_ptr_array_new_with_free_func((GDestroyNotify) mugai_quarantine_entry_free);
    for (guint k = i; k < n && k < i + 10000; k++)
      g_ptr_array_add(batch, fill_entry(now, k, n));
    ok = mugai_pg_command(c, "BEGIN", 0, NULL, NULL, error);
    for (gsize t = 0; ok && t < G_N_ELEMENTS(tables); t++)
      ok = copy_table(c, tables[t], batch, error);
    ok = ok && mugai_pg_command(c, "COMMIT", 0, NULL, NULL, error);
  }
  PQfinish(c);
  return ok;
}

static int
run_fill(const char *store, guint n)
{
  GError *error = NULL;
  mugai_quarantine *q = open_store(store, &error); /* made (SQLite), or its schema checked */
  if (q == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  mugai_quarantine_free(q);
  gint64 start = g_get_monotonic_time();
  if (!(is_dsn(store) ? fill_postgresql(store, n, &error) : fill_sqlite(store, n, &error))) {
    fprintf(stderr, "fill: %s\n", error->message);
    g_error_free(error);
    return 1;
  }
  printf("fill: %u index entries in %.1f s\n", n, (g_get_monotonic_time() - start) / 1e6);
  return 0;
}

int
main(int argc, char **argv)
{
  if (argc >= 5 && strcmp(argv[1], "store") == 0)
    return run_store(argv[2], (guint) g_ascii_strtoull(argv[3], NULL, 10),
                     (guint) g_ascii_strtoull(argv[4], NULL, 10),
                     argc > 5 ? (gsize) g_ascii_strtoull(argv[5], NULL, 10) : 20000);
  if (argc == 4 && strcmp(argv[1], "fill") == 0)
    return run_fill(argv[2], (guint) g_ascii_strtoull(argv[3], NULL, 10));
  fprintf(stderr, "usage: bench_quarantine store STORE THREADS COUNT [SIZE] | fill STORE N (STORE: a directory or a dsn)\n");
  return 2;
}
