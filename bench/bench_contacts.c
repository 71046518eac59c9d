/* bench_contacts.c — what [contacts] costs: a synthetic year of outbound mail learned into the
 * real store, purged daily as mugai-quarantine-purge.timer does, then the table's size and the
 * time of the lookup every inbound message makes.
 * Not a test: numbers only.
 *
 *   bench_contacts DIR [USERS] [NEW_PER_WEEK] [WEEKS] [RETENTION_DAYS]
 *       (defaults 2000 20 52 180) into the SQLite store at DIR (made when missing): each week
 *       every user writes to NEW_PER_WEEK addresses never written to before (at 200 domains)
 *       and again to 5 regular partners of their own; one learn call per message, from one
 *       thread, at the simulated time. Each simulated day the rows last seen more than
 *       RETENTION_DAYS before are purged. Prints the learn cost (µs per message), the rows and
 *       the index's size on disk at the end, and the lookup time (median, p99) of 20 000
 *       senders, half of them known (written to within the window), half never seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include "quarantine/index.h"
#include "quarantine/store.h"

#define DAY 86400
#define REGULARS 5
#define LOOKUPS 20000

static double
now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
compare_double(const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static gint64
file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (gint64) st.st_size : 0;
}

static void
learn_one(mugai_quarantine *q, guint user, const char *addr, gint64 when)
{
  g_autofree char *from = g_strdup_printf("user%u@city.example.lg.jp", user);
  const char *to[] = {addr, NULL};
  g_autoptr(GError) error = NULL;
  if (!mugai_quarantine_contacts_learn(q, from, to, when, &error))
    g_error("learn: %s", error->message);
}

/* The address user U wrote to for the Ith time in week W (never written to before). */
static char *
new_address(guint u, guint w, guint i)
{
  return g_strdup_printf("p%u.%u.%u@d%u.example.com", u, w, i, (u * 31 + w * 7 + i) % 200);
}

typedef struct {
  guint users, per_week, weeks;
  gint64 retention, start;
  guint64 messages, purged;
  double learn_us;
  const char *dir;
} year;

/* The rows of the index at DIR, and its size on disk (the WAL checkpointed into it) in *BYTES. */
static gint64
table_size(const char *dir, gint64 *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *index = g_build_filename(dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = mugai_qindex_open(index, FALSE, &error);
  if (db == NULL)
    g_error("%s", error->message);
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM contact", -1, &st, NULL);
  sqlite3_step(st);
  gint64 rows = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  mugai_qindex_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
  mugai_qindex_close(db);
  g_autofree char *wal = g_strconcat(index, "-wal", NULL);
  *bytes = file_size(index) + file_size(wal);
  return rows;
}

/* The synthetic year into Q: each day's mail, then the day's purge; the rows every 13 weeks (a
 * batch of learned rows may still wait in memory then). */
static void
fill(mugai_quarantine *q, year *y)
{
  g_autoptr(GError) error = NULL;
  for (guint day = 0; day < y->weeks * 7; day++) {
    gint64 today = y->start + (gint64) day * DAY;
    guint w = day / 7, weekday = day % 7;
    double t0 = now_us();
    for (guint u = 0; u < y->users; u++) {
      /* Spread over the 5 working days: NEW_PER_WEEK new addresses, the regulars once each. */
      for (guint i = weekday; weekday < 5 && i < y->per_week; i += 5) {
        g_autofree char *addr = new_address(u, w, i);
        learn_one(q, u, addr, today + (gint64) (u % 28800));
        y->messages++;
      }
      if (weekday < REGULARS) {
        g_autofree char *addr = g_strdup_printf("regular%u.%u@partner%u.example.jp", u, weekday,
                                                u % 50);
        learn_one(q, u, addr, today + 30000);
        y->messages++;
      }
    }
    y->learn_us += now_us() - t0;
    guint64 removed = 0;
    if (!mugai_quarantine_contacts_purge(q, today - y->retention, &removed, &error))
      g_error("purge: %s", error->message);
    y->purged += removed;
    if (day % 91 == 90) {
      gint64 bytes = 0;
      gint64 rows = table_size(y->dir, &bytes);
      printf("week %u: %" G_GINT64_FORMAT " rows, %.1f MB\n", w + 1, rows,
             (double) bytes / 1048576.0);
    }
  }
}

/* LOOKUPS senders looked up, every other one written to within the window: their times, sorted,
 * into TIMES; the number known. */
static guint
lookups(mugai_quarantine *q, const year *y, double *times)
{
  g_autoptr(GError) error = NULL;
  gint64 end = y->start + (gint64) y->weeks * 7 * DAY;
  guint known = 0;
  GRand *rand = g_rand_new_with_seed(11);
  guint window_weeks = (guint) MIN((gint64) y->weeks, y->retention / (7 * DAY)) - 1;
  for (guint n = 0; n < LOOKUPS; n++) {
    guint u = (guint) g_rand_int_range(rand, 0, (gint32) y->users);
    guint w = y->weeks - 1 - (guint) g_rand_int_range(rand, 0, (gint32) MAX(window_weeks, 1));
    guint i = (guint) g_rand_int_range(rand, 0, (gint32) y->per_week);
    g_autofree char *sender = n % 2 ? new_address(u, w, i)
                                    : g_strdup_printf("stranger%u@d%u.example.net", n, n % 200);
    gboolean k = FALSE;
    double t0 = now_us();
    if (!mugai_quarantine_contact_known(q, sender, FALSE, end - y->retention, &k, &error))
      g_error("lookup: %s", error->message);
    times[n] = now_us() - t0;
    known += k;
  }
  g_rand_free(rand);
  qsort(times, LOOKUPS, sizeof *times, compare_double);
  return known;
}

static guint
arg(int argc, char **argv, int i, guint def)
{
  return argc > i ? (guint) g_ascii_strtoull(argv[i], NULL, 10) : def;
}

int
main(int argc, char **argv)
{
  if (argc < 2) {
    fprintf(stderr, "usage: bench_contacts DIR [USERS] [NEW_PER_WEEK] [WEEKS] [RETENTION_DAYS]\n");
    return 2;
  }
  year y = {.users = arg(argc, argv, 2, 2000),
            .per_week = arg(argc, argv, 3, 20),
            .weeks = arg(argc, argv, 4, 52),
            .retention = arg(argc, argv, 5, 180) * (gint64) DAY,
            .start = 1767225600 /* 2026-01-01 */, .dir = argv[1]};
  mugai_quarantine_policy config = {.dir = argv[1], .dsn = (char *) "", .user = (char *) "",
                                    .group = (char *) ""};
  g_autoptr(GError) error = NULL;
  mugai_quarantine *q = mugai_quarantine_open(&config, TRUE, &error);
  if (q == NULL)
    g_error("%s", error->message);
  fill(q, &y);
  mugai_quarantine_free(q); /* what was learned last is written */
  gint64 bytes = 0;
  gint64 rows = table_size(argv[1], &bytes);
  q = mugai_quarantine_open(&config, FALSE, &error);
  if (q == NULL)
    g_error("%s", error->message);
  double *times = g_new(double, LOOKUPS);
  guint known = lookups(q, &y, times);
  printf("users %u, %u new addresses a week each, %u weeks, retention %" G_GINT64_FORMAT "d, "
         "purged daily\n", y.users, y.per_week, y.weeks, y.retention / DAY);
  printf("learned: %" G_GUINT64_FORMAT " messages, %.1f us each (batched, no fsync of their "
         "own); purged %" G_GUINT64_FORMAT " rows\n", y.messages,
         y.learn_us / (double) y.messages, y.purged);
  printf("table: %" G_GINT64_FORMAT " rows, index.sqlite %.1f MB (%.0f bytes a row)\n", rows,
         (double) bytes / 1048576.0, rows ? (double) bytes / (double) rows : 0);
  printf("lookup: %u of %u known; median %.1f us, p99 %.1f us, max %.1f us\n", known, LOOKUPS,
         times[LOOKUPS / 2], times[LOOKUPS * 99 / 100], times[LOOKUPS - 1]);
  g_free(times);
  mugai_quarantine_free(q);
  return 0;
}
