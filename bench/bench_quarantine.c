/* bench_quarantine.c — what keeping originals costs: store throughput (entries/s) of the real
 * store (write, fsync, rename, fsync of the directory, then the group-committed index row) from
 * several threads as the milter's are, and a large index to time `mugai quarantine list` on.
 * Not a test: numbers only.
 *
 *   bench_quarantine store DIR THREADS COUNT [SIZE]
 *       THREADS threads store COUNT originals of SIZE bytes (default 20000) each into the store
 *       at DIR (made when missing); prints entries/s and the wall time of one store call
 *       (median, p99): what a message waits for its original to be durable.
 *   bench_quarantine fill DIR N
 *       adds N entries to the SQLite index of the store at DIR (one recipient, two parts each;
 *       no files: list reads only the index) spread over the last 30 days, in transactions of
 *       10 000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "quarantine/index.h"
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

/* The SQLite store at DIR, made when missing. */
static mugai_quarantine *
open_store(const char *dir, GError **error)
{
  mugai_quarantine_policy config = {.dir = (char *) dir, .user = (char *) "", .group = (char *) ""};
  return mugai_quarantine_open(&config, TRUE, error);
}

static int
run_store(const char *dir, guint threads, guint count, gsize size)
{
  GError *error = NULL;
  mugai_quarantine *q = open_store(dir, &error);
  if (q == NULL) {
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

static int
run_fill(const char *dir, guint n)
{
  GError *error = NULL;
  mugai_quarantine *q = open_store(dir, &error);
  if (q == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  mugai_quarantine_free(q); /* made; the rows go straight into its SQLite index */
  g_autofree char *index = g_build_filename(dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = mugai_qindex_open(index, FALSE, &error);
  if (db == NULL) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC, start = g_get_monotonic_time();
  for (guint i = 0; i < n; i++) {
    if (i % 10000 == 0 && !mugai_qindex_exec(db, "BEGIN", &error))
      break;
    gint64 when = now - (gint64) (30 * 86400.0 * (n - i) / n);
    g_autoptr(mugai_quarantine_entry) e = sample_entry(when, i);
    if (!mugai_qindex_insert(db, e, &error))
      break;
    if ((i % 10000 == 9999 || i + 1 == n) && !mugai_qindex_exec(db, "COMMIT", &error))
      break;
  }
  if (error) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  printf("fill: %u index entries in %.1f s\n", n, (g_get_monotonic_time() - start) / 1e6);
  mugai_qindex_close(db);
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
  fprintf(stderr, "usage: bench_quarantine store DIR THREADS COUNT [SIZE] | fill DIR N\n");
  return 2;
}
