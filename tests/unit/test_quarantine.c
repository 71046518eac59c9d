/* test_quarantine.c — the quarantine store on a real directory and a real SQLite file, and the
 * same test bodies again on a real PostgreSQL database when MUGAI_TEST_PG_DSN names one
 * (tests/pg_cluster.py starts a private cluster and sets it): ids and their layout, an original
 * stored byte for byte and indexed with its parts and recipients, filters, many threads storing
 * at once, delete and purge with their audit rows, the append-only audit table, fsck reconciling
 * what a crash between steps leaves, and a store that fails (a full disk; the database stopped)
 * keeping nothing, the same store working again after. What only one backend has (files and
 * their modes; owners) is checked on it alone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include <libpq-fe.h>
#include "quarantine/index.h"
#include "quarantine/quarantine_id.h"
#include "quarantine/store.h"
#include "temp_tree.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01 12:00:00 UTC */
#define DAY 86400

static const char original[] = "From: =?UTF-8?B?5pel5pys?= <a@example.com>\r\n"
                               "Subject: =?UTF-8?B?6KuL5rGC5pu4?=\r\n\r\nbody\r\n\x00\xff";

typedef struct {
  char *dir;
  const char *dsn; /* (nullable) the PostgreSQL backend's database, else SQLite at DIR */
  mugai_quarantine *q;
} fixture;

static const char *pg_dsn; /* $MUGAI_TEST_PG_DSN */

/* SQL on the PostgreSQL store's database, as an admin (or damage) would change it: NULL when it
 * succeeded, else (transfer full) the server's message. */
static char *
pg_exec(const char *sql)
{
  PGconn *c = PQconnectdb(pg_dsn);
  PQclear(PQexec(c, "SET client_min_messages = warning")); /* no NOTICE of each DROP */
  PGresult *r = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(r);
  char *why = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? NULL
                                                               : g_strdup(PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
  return why;
}

static void
pg_exec_ok(const char *sql)
{
  g_autofree char *why = pg_exec(sql);
  if (why)
    fail_msg("%s: %s", sql, why);
}

/* The first column of the first row SQL returns, as a number. */
static gint64
pg_number(const char *sql)
{
  PGconn *c = PQconnectdb(pg_dsn);
  PGresult *r = PQexec(c, sql);
  gint64 n = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                 ? g_ascii_strtoll(PQgetvalue(r, 0, 0), NULL, 10) : -1;
  PQclear(r);
  PQfinish(c);
  return n;
}

/* The wrapper's command ($MUGAI_TEST_PG_STOP, _START) that stops or starts the cluster. */
static void
pg_control(const char *variable)
{
  const char *command = g_getenv(variable);
  if (command == NULL)
    fail_msg("%s is not set (run under tests/pg_cluster.py)", variable);
  gint status = 0;
  if (!g_spawn_command_line_sync(command, NULL, NULL, &status, NULL) || status != 0)
    fail_msg("%s failed", command);
}

/* The SQLite store at DIR as [quarantine] dir, user and group name it. */
static mugai_quarantine *
open_store(const char *dir, const char *user, const char *group, gboolean create, GError **error)
{
  mugai_quarantine_policy config = {
      .dir = (char *) dir, .user = (char *) (user ? user : ""), .group = (char *) (group ? group : "")};
  return mugai_quarantine_open(&config, create, error);
}

/* (transfer full) where the SQLite backend keeps the original of ID. */
static char *
path_of(const fixture *f, const char *id)
{
  g_autofree char *rel = mugai_quarantine_id_relpath(id);
  return g_build_filename(f->dir, rel, NULL);
}

/* The index itself, for what only SQL can try (the audit's triggers). */
static sqlite3 *
open_index(const fixture *f)
{
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  GError *error = NULL;
  sqlite3 *db = mugai_qindex_open(path, FALSE, &error);
  if (db == NULL)
    fail_msg("%s", error->message);
  return db;
}

/* A PostgreSQL store on an empty database, its schema made as `mugai quarantine init` does. */
static int
setup_pg(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->dsn = pg_dsn;
  f->dir = g_dir_make_tmp("mugai-qpg-XXXXXX", NULL);
  pg_exec_ok("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  mugai_quarantine_policy config = {.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL,
                                    .dsn = (char *) pg_dsn, .dir = (char *) ""};
  GError *error = NULL;
  gboolean managed = FALSE;
  int before = -1, after = -1;
  if (!mugai_quarantine_setup(&config, TRUE, &managed, &before, &after, &error))
    fail_msg("%s", error->message);
  assert_true(managed);
  assert_int_equal(before, 0);
  assert_int_equal(after, 3);
  f->q = mugai_quarantine_open(&config, TRUE, &error);
  if (f->q == NULL)
    fail_msg("%s", error->message);
  *state = f;
  return 0;
}

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  char *tmp = g_dir_make_tmp("mugai-q-XXXXXX", NULL);
  f->dir = g_build_filename(tmp, "store", NULL); /* made by the open, parents and all */
  g_free(tmp);
  GError *error = NULL;
  f->q = open_store(f->dir, NULL, NULL, TRUE, &error);
  if (f->q == NULL)
    fail_msg("%s", error->message);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  mugai_quarantine_free(f->q);
  g_autofree char *parent = f->dsn ? g_strdup(f->dir) : g_path_get_dirname(f->dir);
  temp_tree_remove(parent);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* Run SQL on F's SQLite index; the number the first column of its first row holds (else 0). */
static gint64
index_number(const fixture *f, const char *sql)
{
  sqlite3 *db = open_index(f);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  int rc = sqlite3_step(st);
  assert_true(rc == SQLITE_ROW || rc == SQLITE_DONE);
  gint64 n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  mugai_qindex_close(db);
  return n;
}

/* Is the original of ID in F's store? (The SQLite backend's: in the index, or as an older
 * mugai's file.) */
static gboolean
has_original(const fixture *f, const char *id)
{
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM original WHERE entry_id = '%s'", id);
  if (f->dsn)
    return pg_number(sql) == 1;
  g_autofree char *path = path_of(f, id);
  return index_number(f, sql) == 1 || g_file_test(path, G_FILE_TEST_EXISTS);
}

/* Damage: the original of ID goes, its entry stays (the store itself never does this). */
static void
remove_original(const fixture *f, const char *id)
{
  if (f->dsn) {
    g_autofree char *sql = g_strdup_printf("DELETE FROM original WHERE entry_id = '%s'", id);
    pg_exec_ok(sql);
    return;
  }
  g_autofree char *sql = g_strdup_printf("DELETE FROM original WHERE entry_id = '%s' RETURNING 1", id);
  g_autofree char *path = path_of(f, id);
  if (index_number(f, sql) == 0)
    assert_int_equal(unlink(path), 0); /* an older mugai's file */
}

/* Write BYTES as an older mugai stored an original: DIR/objects/ab/cd/ID, mode MODE. */
static char *
write_legacy_file(const fixture *f, const char *id, const char *bytes, gssize len, guint mode)
{
  char *path = path_of(f, id);
  g_autofree char *dir = g_path_get_dirname(path);
  assert_int_equal(g_mkdir_with_parents(dir, 02770), 0);
  g_autofree char *mid = g_path_get_dirname(dir);
  g_autofree char *objects = g_path_get_dirname(mid);
  const char *made[] = {objects, mid, dir}; /* the modes that mugai gave them, whatever the umask */
  for (gsize i = 0; i < G_N_ELEMENTS(made); i++)
    assert_int_equal(chmod(made[i], 02770), 0);
  GError *error = NULL;
  if (!g_file_set_contents(path, bytes, len, &error))
    fail_msg("%s", error->message);
  assert_int_equal(chmod(path, mode), 0);
  return path;
}

/* The original of ID (stored with ORIGINAL) made what a mugai before index version 3 left: a
 * file under objects/, nothing in the index. (transfer full) its path. */
static char *
make_legacy(const fixture *f, const char *id)
{
  char *path = write_legacy_file(f, id, original, sizeof original - 1, 0640);
  g_autofree char *sql = g_strdup_printf("DELETE FROM original WHERE entry_id = '%s' RETURNING 1", id);
  assert_int_equal(index_number(f, sql), 1);
  return path;
}

static gboolean collect(const guint8 *data, gsize len, gpointer out, GError **error);

static mugai_quarantine_entry *
entry_at(gint64 when, const char *reason, const char *rcpt)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  g_free(e->id);
  e->id = mugai_quarantine_id_new(when);
  e->time = when;
  g_free(e->reason);
  e->reason = g_strdup(reason);
  g_free(e->verdict);
  e->verdict = g_strdup(strcmp(reason, "none") == 0 ? "deliver" : "reject");
  g_strfreev(e->rcpts);
  e->rcpts = g_strsplit(rcpt, ",", -1);
  e->size = sizeof original - 1;
  if (strcmp(reason, "virus") == 0) {
    g_free(e->signatures);
    e->signatures = g_strdup("Eicar-Signature");
  }
  return e;
}

static void
store_ok(fixture *f, const mugai_quarantine_entry *e)
{
  GError *error = NULL;
  if (!mugai_quarantine_store(f->q, e, (const guint8 *) original, sizeof original - 1, &error))
    fail_msg("%s", error->message);
}

static gboolean
count_row(const mugai_quarantine_entry *e, gpointer data)
{
  (void) e;
  (*(guint *) data)++;
  return TRUE;
}

static guint
count(fixture *f, const mugai_quarantine_filter *filter)
{
  guint n = 0;
  GError *error = NULL;
  if (!mugai_quarantine_list(f->q, filter, count_row, &n, &error))
    fail_msg("%s", error->message);
  return n;
}

static const mugai_quarantine_filter all = {.released = -1};

/* fsck (REPAIR or a dry run, no grace) finds F's store consistent: N originals, N entries, and
 * nothing to say. */
static void
assert_consistent(fixture *f, gboolean repair, guint64 n)
{
  mugai_quarantine_fsck_report r;
  GError *error = NULL;
  if (!mugai_quarantine_fsck(f->q, 0, repair, &r, &error))
    fail_msg("%s", error->message);
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "files"), n);
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "rows"), n);
  assert_int_equal(r.lines->len, 0);
  mugai_quarantine_fsck_report_clear(&r);
}

static void
ids_sort_by_time_and_hash_into_two_levels(void **state)
{
  (void) state;
  g_autofree char *id = mugai_quarantine_id_new(NOW);
  assert_true(mugai_quarantine_id_valid(id));
  assert_int_equal(strlen(id), MUGAI_QUARANTINE_ID_LEN);
  assert_true(g_str_has_prefix(id, "20261201-120000-"));
  assert_int_equal(mugai_quarantine_id_time(id), NOW);
  g_autofree char *rel = mugai_quarantine_id_relpath(id);
  g_autofree char *want = g_strdup_printf("objects/%.2s/%.2s/%s", id + 16, id + 18, id);
  assert_string_equal(rel, want);
  g_autofree char *other = mugai_quarantine_id_new(NOW);
  assert_string_not_equal(id, other);
  const char *bad[] = {"", "../../etc/passwd", "20261201-120000-ABCDEF0123",
                       "20261201-120000-abcdef012", "20261201_120000-abcdef0123"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
    assert_false(mugai_quarantine_id_valid(bad[i]));
}

static void
stores_exact_bytes_and_indexes_the_entry(void **state)
{
  fixture *f = *state;
  mugai_envelope env = {
      .client_addr = "192.0.2.25",
      .mail_from = "a@example.com",
      .rcpts = (const char *const[]){"x@city.example.lg.jp", "y@city.example.lg.jp", NULL},
      .direction = MUGAI_DIRECTION_IN,
      .queue_id = "4XyzQ1"};
  g_autoptr(mugai_result) result = mugai_result_new(MUGAI_DIRECTION_IN);
  result->actions[MUGAI_ACTION_REMOVED] = 1;
  mugai_part *p = mugai_result_add_part(result, "2", "application/pdf");
  p->name = g_strdup("見積書.pdf");
  g_free(p->detected_type); /* the part's "" */
  p->detected_type = g_strdup("application/pdf");
  p->size = 1234;
  g_free(p->sha256);
  p->sha256 = g_strdup("ab12");
  p->action = MUGAI_PART_REMOVED;
  result->locked_archives = 1; /* PPAP: the entry is indexed as locked */
  g_autofree char *id = mugai_quarantine_id_new(NOW);
  g_autoptr(mugai_quarantine_entry) e = mugai_quarantine_entry_build(
      id, NOW, (const guint8 *) original, sizeof original - 1, &env, result);
  assert_string_equal(e->from, "日本 <a@example.com>");
  assert_string_equal(e->subject, "請求書");
  assert_true(e->locked);
  store_ok(f, e);

  GError *error = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new();
  assert_true(mugai_quarantine_read_original(f->q, id, collect, bytes, &error));
  assert_int_equal(bytes->len, sizeof original - 1);
  assert_memory_equal(bytes->data, original, bytes->len);
  if (!f->dsn) { /* the SQLite backend's original is in the index, committed with its entry */
    g_autofree char *path = path_of(f, id);
    assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_autofree char *sql =
        g_strdup_printf("SELECT length(data) FROM original WHERE entry_id = '%s'", id);
    assert_int_equal(index_number(f, sql), sizeof original - 1);
  }

  g_autoptr(mugai_quarantine_entry) got =
      mugai_quarantine_get(f->q, id, &error);
  assert_non_null(got);
  assert_string_equal(got->queue_id, "4XyzQ1");
  assert_string_equal(got->client, "192.0.2.25");
  assert_string_equal(got->direction, "in");
  assert_int_equal(g_strv_length(got->rcpts), 2);
  assert_string_equal(got->rcpts[1], "y@city.example.lg.jp");
  assert_string_equal(got->subject, "請求書");
  assert_string_equal(got->host, g_get_host_name());
  assert_true(got->locked);
  assert_int_equal(got->size, sizeof original - 1);
  assert_int_equal(got->parts->len, 1);
  const mugai_quarantine_part *gp = g_ptr_array_index(got->parts, 0);
  assert_string_equal(gp->name, "見積書.pdf");
  assert_string_equal(gp->action, "removed");
  assert_int_equal(gp->size, 1234);
  assert_non_null(strstr(got->report_json, "\"parts\""));

  g_autoptr(mugai_quarantine_entry) none =
      mugai_quarantine_get(f->q, "20261201-120000-0000000000", &error);
  assert_null(none);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND));
  g_clear_error(&error);
}

static gsize largest_piece; /* of every collect() so far */

static gboolean
collect(const guint8 *data, gsize len, gpointer out, GError **error)
{
  (void) error;
  largest_piece = MAX(largest_piece, len);
  g_byte_array_append(out, data, (guint) len);
  return TRUE;
}

static gboolean
refuse(const guint8 *data, gsize len, gpointer calls, GError **error)
{
  (void) data;
  (void) len;
  (*(guint *) calls)++;
  g_set_error_literal(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "sink full");
  return FALSE;
}

/* The original comes back through the API byte for byte, in pieces of at most 64 KiB (a 3 MiB
 * one here: past 1 MiB SQLite's is written in pieces too, into a zeroblob); a sink that fails
 * stops the read with its own error; a missing original is IO. */
static void
reads_the_original_back_in_pieces(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "none", "x@example.jp");
  gsize size = 3 * 1024 * 1024 + 17;
  g_autofree guint8 *big = g_malloc(size);
  for (gsize i = 0; i < size; i++)
    big[i] = (guint8) (i * 7);
  e->size = size;
  GError *error = NULL;
  assert_true(mugai_quarantine_store(f->q, e, big, size, &error));
  g_autoptr(GByteArray) got = g_byte_array_new();
  assert_true(mugai_quarantine_read_original(f->q, e->id, collect, got, &error));
  assert_int_equal(got->len, size);
  assert_true(largest_piece <= 64 * 1024);
  assert_memory_equal(got->data, big, size);
  guint calls = 0;
  assert_false(mugai_quarantine_read_original(f->q, e->id, refuse, &calls, &error));
  assert_int_equal(calls, 1);
  assert_true(g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NO_SPACE));
  g_clear_error(&error);
  remove_original(f, e->id);
  assert_false(mugai_quarantine_read_original(f->q, e->id, collect, got, &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_IO));
  g_clear_error(&error);
}

static void
lists_with_filters_newest_first(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) a = entry_at(NOW - 3 * DAY, "none", "x@example.jp");
  g_autoptr(mugai_quarantine_entry) b =
      entry_at(NOW - 2 * DAY, "virus", "X@Example.JP,y@example.jp");
  g_autoptr(mugai_quarantine_entry) c = entry_at(NOW - DAY, "autoforward", "z@example.jp");
  store_ok(f, a);
  store_ok(f, b);
  store_ok(f, c);
  assert_int_equal(count(f, &all), 3);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = -1, .rcpt = "x@example.jp"}), 2);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = -1, .virus_only = TRUE}), 1);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = -1, .reason = "autoforward"}), 1);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = -1, .since = NOW - 2 * DAY}), 2);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = -1, .until = NOW - 2 * DAY}), 1);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = 1}), 0);
  GError *error = NULL;
  g_autofree char *claim = mugai_quarantine_claim_release(f->q, b->id, 600, &error);
  assert_non_null(claim);
  assert_true(mugai_quarantine_finish_release(f->q, b->id, claim, "asked", "to=<x@example.jp>",
                                              &error));
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = 1}), 1);
  assert_int_equal(count(f, &(mugai_quarantine_filter){.released = 0}), 2);
}

typedef struct {
  fixture *f;
  guint per_thread;
} writer_args;

static gpointer
writer(gpointer data)
{
  writer_args *w = data;
  for (guint i = 0; i < w->per_thread; i++) {
    g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "none", "x@example.jp");
    store_ok(w->f, e);
  }
  return NULL;
}

static void
many_threads_store_at_once(void **state)
{
  fixture *f = *state;
  writer_args w = {f, 25};
  GThread *threads[8];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("writer", writer, &w);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  assert_int_equal(count(f, &all), 8 * 25);
  assert_consistent(f, FALSE, 200);
}

static GPtrArray *
audit(fixture *f)
{
  GError *error = NULL;
  GPtrArray *rows = mugai_quarantine_audit_list(f->q, &error);
  assert_non_null(rows);
  return rows;
}

static void
delete_removes_row_and_file_and_is_audited(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "virus", "x@example.jp");
  store_ok(f, e);
  GError *error = NULL;
  assert_true(mugai_quarantine_delete(f->q, e->id, "asked by the recipient", &error));
  assert_false(has_original(f, e->id));
  assert_int_equal(count(f, &all), 0);
  g_autoptr(GPtrArray) rows = audit(f);
  assert_int_equal(rows->len, 1);
  const mugai_quarantine_audit_row *r = g_ptr_array_index(rows, 0);
  assert_string_equal(r->action, "delete");
  assert_string_equal(r->id, e->id);
  assert_string_equal(r->reason, "asked by the recipient");
  assert_int_equal(r->uid, getuid());
  assert_false(mugai_quarantine_delete(f->q, e->id, "again", &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  /* The audit table refuses changes: a record, once written, stays as written. */
  if (f->dsn) {
    const char *changes[] = {"UPDATE audit SET reason = 'x'", "DELETE FROM audit",
                             "TRUNCATE audit"};
    for (gsize i = 0; i < G_N_ELEMENTS(changes); i++) {
      g_autofree char *why = pg_exec(changes[i]);
      assert_non_null(why);
      assert_non_null(strstr(why, "append-only"));
    }
    return;
  }
  sqlite3 *db = open_index(f);
  assert_false(mugai_qindex_exec(db, "UPDATE audit SET reason = 'x'", &error));
  assert_non_null(strstr(error->message, "append-only"));
  g_clear_error(&error);
  assert_false(mugai_qindex_exec(db, "DELETE FROM audit", &error));
  g_clear_error(&error);
  mugai_qindex_close(db);
}

typedef struct {
  guint seen, stop_after;
  gint64 last_time;
  gboolean in_order;
} list_walk;

static gboolean
walk_row(const mugai_quarantine_entry *e, gpointer data)
{
  list_walk *w = data;
  w->in_order = w->in_order && (w->seen == 0 || e->time < w->last_time);
  w->last_time = e->time;
  return ++w->seen != w->stop_after;
}

/* A list longer than one batch of the backend (PostgreSQL fetches a cursor 1000 rows at a time)
 * comes whole and newest first, and ends where the caller says stop, in the second batch. */
static void
check_long_list(fixture *f, guint n)
{
  GError *error = NULL;
  list_walk w = {.in_order = TRUE};
  assert_true(mugai_quarantine_list(f->q, &all, walk_row, &w, &error));
  assert_int_equal(w.seen, n);
  assert_true(w.in_order);
  w = (list_walk){.in_order = TRUE, .stop_after = 1200};
  assert_true(mugai_quarantine_list(f->q, &all, walk_row, &w, &error));
  assert_int_equal(w.seen, 1200);
}

static void
purge_removes_what_is_past_retention(void **state)
{
  fixture *f = *state;
  GPtrArray *old = g_ptr_array_new_with_free_func((GDestroyNotify) mugai_quarantine_entry_free);
  for (int i = 0; i < 1500; i++) { /* more than one batch */
    mugai_quarantine_entry *e = entry_at(NOW - 40 * DAY - i, "none", "x@example.jp");
    store_ok(f, e);
    g_ptr_array_add(old, e);
  }
  g_autoptr(mugai_quarantine_entry) young = entry_at(NOW - DAY, "none", "x@example.jp");
  store_ok(f, young);
  check_long_list(f, 1501);
  guint64 removed = 0;
  GError *error = NULL;
  assert_true(
      mugai_quarantine_purge(f->q, NOW - 30 * DAY, "retention", NULL, NULL, &removed, &error));
  assert_int_equal(removed, 1500);
  assert_int_equal(count(f, &all), 1);
  for (guint i = 0; i < old->len; i++)
    assert_false(has_original(f, ((mugai_quarantine_entry *) old->pdata[i])->id));
  assert_true(has_original(f, young->id));
  g_autoptr(GPtrArray) rows = audit(f);
  assert_int_equal(rows->len, 1);
  assert_string_equal(((mugai_quarantine_audit_row *) rows->pdata[0])->action, "purge");
  assert_non_null(strstr(((mugai_quarantine_audit_row *) rows->pdata[0])->detail, "1500 entries"));
  g_ptr_array_unref(old);
}

/* A simulated crash just before the commit leaves nothing of its message on either backend (the
 * entry and its original are committed together): fsck finds only the damage made by hand. On
 * SQLite it also reconciles what a mugai before index version 3 could leave: a temp file of an
 * unfinished store, a file whose row was never committed, and an entry whose original is a file
 * (kept). */
static void
fsck_reconciles_every_crash_point(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) kept = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, kept);
  mugai_quarantine_set_fault(f->q, MUGAI_QUARANTINE_FAULT_COMMIT);
  g_autoptr(mugai_quarantine_entry) crashed = entry_at(NOW, "none", "x@example.jp");
  GError *error = NULL;
  assert_false(
      mugai_quarantine_store(f->q, crashed, (const guint8 *) original, sizeof original - 1, &error));
  assert_non_null(strstr(error->message, "simulated crash before the commit"));
  g_clear_error(&error);
  mugai_quarantine_set_fault(f->q, MUGAI_QUARANTINE_FAULT_NONE);
  assert_false(has_original(f, crashed->id));
  /* A row whose original is gone (damage: the store never makes one). */
  g_autoptr(mugai_quarantine_entry) lost = entry_at(NOW, "virus", "x@example.jp");
  store_ok(f, lost);
  remove_original(f, lost->id);
  assert_int_equal(count(f, &all), 2);
  g_autoptr(mugai_quarantine_entry) old = entry_at(NOW, "none", "x@example.jp");
  g_autofree char *legacy = NULL;
  if (!f->dsn) { /* an older mugai's leftovers, old enough for fsck */
    store_ok(f, old);
    legacy = make_legacy(f, old->id);
    g_autofree char *orphan_id = mugai_quarantine_id_new(NOW);
    g_autofree char *orphan = write_legacy_file(f, orphan_id, original, sizeof original - 1, 0640);
    g_autofree char *tmp_dir = g_build_filename(f->dir, "tmp", NULL);
    assert_int_equal(g_mkdir_with_parents(tmp_dir, 02770), 0);
    g_autofree char *tmp_name = g_strconcat(orphan_id, ".tmp", NULL);
    g_autofree char *tmp = g_build_filename(tmp_dir, tmp_name, NULL);
    assert_true(g_file_set_contents(tmp, "partial", -1, NULL));
    const char *aged[] = {orphan, tmp}; /* within the grace below, older than none */
    for (gsize i = 0; i < G_N_ELEMENTS(aged); i++) {
      struct utimbuf t = {.actime = time(NULL) - 1800, .modtime = time(NULL) - 1800};
      assert_int_equal(utime(aged[i], &t), 0);
    }
  }

  mugai_quarantine_fsck_report r;
  /* Within the grace period nothing a running store may still own is touched. */
  assert_true(mugai_quarantine_fsck(f->q, 3600, TRUE, &r, &error));
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "temp_removed") + mugai_quarantine_fsck_report_count(&r, "orphans_removed"), 0);
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "lost_rows_removed"), 1);
  mugai_quarantine_fsck_report_clear(&r);

  if (!f->dsn) {
    assert_true(mugai_quarantine_fsck(f->q, 0, FALSE, &r, &error)); /* a dry run changes nothing */
    assert_int_equal(mugai_quarantine_fsck_report_count(&r, "temp_removed"), 1);
    assert_int_equal(mugai_quarantine_fsck_report_count(&r, "orphans_removed"), 1);
    mugai_quarantine_fsck_report_clear(&r);
    assert_true(mugai_quarantine_fsck(f->q, 0, TRUE, &r, &error));
    assert_int_equal(mugai_quarantine_fsck_report_count(&r, "temp_removed"), 1);
    assert_int_equal(mugai_quarantine_fsck_report_count(&r, "orphans_removed"), 1);
    assert_non_null(strstr(r.summary, "3 originals, 2 entries; removed 0 entries without an "
                                      "original, 1 temp files, 1 files without an entry;"));
    mugai_quarantine_fsck_report_clear(&r);
    assert_true(g_file_test(legacy, G_FILE_TEST_EXISTS)); /* an older mugai's file of a live */
    assert_true(has_original(f, old->id));                  /* entry stays */
  }

  guint64 live = f->dsn ? 1 : 2;
  assert_consistent(f, TRUE, live);
  assert_true(has_original(f, kept->id));
  g_autoptr(GPtrArray) rows = audit(f);
  assert_int_equal(rows->len, 1);
  assert_string_equal(((mugai_quarantine_audit_row *) rows->pdata[0])->action, "fsck");
  assert_string_equal(((mugai_quarantine_audit_row *) rows->pdata[0])->id, lost->id);
}

static void
opening_a_missing_store_says_so(void **state)
{
  fixture *f = *state;
  if (f->dsn) { /* a database without the schema: `mugai quarantine init` was not run */
    mugai_quarantine_policy config = {.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL,
                                      .dsn = (char *) f->dsn, .dir = (char *) ""};
    pg_exec_ok("DROP TABLE mugai_schema");
    GError *error = NULL;
    assert_null(mugai_quarantine_open(&config, TRUE, &error));
    assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_MISSING));
    assert_non_null(strstr(error->message, "run mugai quarantine init"));
    assert_null(strstr(error->message, "mugai-test-pw")); /* the password is never shown */
    assert_non_null(strstr(error->message, "password=***"));
    g_clear_error(&error);
    return;
  }
  g_autofree char *nowhere = g_build_filename(f->dir, "not-there", NULL);
  GError *error = NULL;
  assert_null(open_store(nowhere, NULL, NULL, FALSE, &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_MISSING));
  assert_non_null(strstr(error->message, "no quarantine at"));
  g_clear_error(&error);
  mugai_quarantine *again = open_store(f->dir, NULL, NULL, FALSE, &error); /* the CLI's way */
  assert_non_null(again);
  mugai_quarantine_free(again);
}

/* A commit that fails as on a full disk (a write to index.sqlite-wal past RLIMIT_FSIZE, which
 * the small original passes): the caller is told, its original goes with its row, the rows
 * committed before stay, and the same connection stores again once there is room, as the
 * milter's must. */
static void
a_failing_commit_keeps_nothing_of_its_message(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) kept = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, kept); /* the WAL is past 4000 bytes now */
  struct rlimit old;
  assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit low = {4000, old.rlim_max};
  void (*handler)(int) = signal(SIGXFSZ, SIG_IGN); /* else the write past the limit kills */
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
  g_autoptr(mugai_quarantine_entry) lost = entry_at(NOW, "none", "x@example.jp");
  GError *error = NULL;
  gboolean stored =
      mugai_quarantine_store(f->q, lost, (const guint8 *) original, sizeof original - 1, &error);
  assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
  signal(SIGXFSZ, handler);
  assert_false(stored);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  g_clear_error(&error);
  assert_false(has_original(f, lost->id));
  assert_int_equal(count(f, &all), 1);
  g_autoptr(mugai_quarantine_entry) later = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, later);
  assert_int_equal(count(f, &all), 2);
  assert_consistent(f, FALSE, 2);
}

/* The database stopped between two stores on one store object, as a failover or a restart does:
 * the store fails with INDEX (the milter answers 451) and keeps nothing; once the server is back,
 * the same object stores again without being reopened (its broken connections replaced). */
static void
a_store_while_the_database_is_down_fails_then_works_again(void **state)
{
  fixture *f = *state;
  /* Restarted between two calls, with several connections idle in the pool: all are dead, and
   * the first store after it still succeeds. */
  writer_args w = {f, 3};
  GThread *threads[4];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("writer", writer, &w);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  pg_control("MUGAI_TEST_PG_STOP");
  pg_control("MUGAI_TEST_PG_START");
  g_autoptr(mugai_quarantine_entry) kept = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, kept);
  assert_int_equal(count(f, &all), 13);
  /* Stopped while the store is in use: a store fails and keeps nothing, and so does a read. */
  pg_control("MUGAI_TEST_PG_STOP");
  g_autoptr(mugai_quarantine_entry) lost = entry_at(NOW, "none", "x@example.jp");
  GError *error = NULL;
  gboolean stored =
      mugai_quarantine_store(f->q, lost, (const guint8 *) original, sizeof original - 1, &error);
  assert_false(stored);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  assert_null(strstr(error->message, "mugai-test-pw"));
  g_clear_error(&error);
  assert_false(mugai_quarantine_list(f->q, &all, count_row, &(guint) {0}, &error));
  g_clear_error(&error);
  pg_control("MUGAI_TEST_PG_START");
  g_autoptr(mugai_quarantine_entry) later = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, later);
  assert_int_equal(count(f, &all), 14);
  assert_false(has_original(f, lost->id));
  assert_consistent(f, FALSE, 14);
}

/* `mugai quarantine init` again, and `migrate`, on a schema at this version change nothing. */
static void
init_and_migrate_again_change_nothing(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, e);
  mugai_quarantine_policy config = {.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL,
                                    .dsn = (char *) f->dsn, .dir = (char *) ""};
  for (int init = 1; init >= 0; init--) {
    GError *error = NULL;
    gboolean managed = FALSE;
    int before = -1, after = -1;
    assert_true(mugai_quarantine_setup(&config, init, &managed, &before, &after, &error));
    assert_int_equal(before, 3);
    assert_int_equal(after, 3);
  }
  assert_int_equal(count(f, &all), 1);
  /* A schema of version 2 (before PPAP's entry.locked) is brought up by migrate: the entry is
   * kept, not locked, and the lookup of waiting entries has its index. */
  pg_exec_ok("ALTER TABLE entry DROP COLUMN locked; UPDATE mugai_schema SET version = 2");
  GError *error = NULL;
  assert_null(mugai_quarantine_open(&config, TRUE, &error));
  assert_non_null(strstr(error->message, "version 2, this mugai needs 3: run mugai quarantine"));
  g_clear_error(&error);
  gboolean managed = FALSE;
  int before = 0, after = 0;
  assert_true(mugai_quarantine_setup(&config, FALSE, &managed, &before, &after, &error));
  assert_int_equal(before, 2);
  assert_int_equal(after, 3);
  assert_int_equal(pg_number("SELECT count(*) FROM pg_indexes WHERE indexname = 'entry_waiting'"),
                   1);
  mugai_quarantine_filter locked = {.locked_only = TRUE, .released = -1};
  assert_int_equal(count(f, &locked), 0);
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(f->q, e->id, &error);
  assert_non_null(got);
  assert_false(got->locked);
  /* A schema of a newer mugai is refused, by the store and by migrate. */
  pg_exec_ok("UPDATE mugai_schema SET version = 99");
  assert_null(mugai_quarantine_open(&config, TRUE, &error));
  assert_non_null(strstr(error->message, "version 99, made by a newer mugai"));
  g_clear_error(&error);
  assert_false(mugai_quarantine_setup(&config, FALSE, &managed, &before, &after, &error));
  g_clear_error(&error);
  pg_exec_ok("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  assert_false(mugai_quarantine_setup(&config, FALSE, &managed, &before, &after, &error));
  assert_non_null(strstr(error->message, "run mugai quarantine init"));
  g_clear_error(&error);
}

static guint
mode_of(const char *path)
{
  struct stat st;
  assert_int_equal(lstat(path, &st), 0);
  return st.st_mode & 07777;
}

/* The modes are the store's whatever the umask: a milter started under umask 077 must still let
 * the store's group use the index (durable_file.h says why 2770). A new store makes only its
 * directory and index; an older mugai's original file is given the store's mode by fsck. */
static void
modes_do_not_depend_on_the_umask(void **state)
{
  (void) state;
  mode_t old = umask(077);
  void *fs = NULL;
  setup(&fs);
  fixture *f = fs;
  g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, e);
  umask(old);
  g_autofree char *objects = g_build_filename(f->dir, "objects", NULL);
  g_autofree char *tmp = g_build_filename(f->dir, "tmp", NULL);
  g_autofree char *index = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  g_autofree char *wal = g_strconcat(index, "-wal", NULL);
  assert_int_equal(mode_of(f->dir), 02770);
  assert_false(g_file_test(objects, G_FILE_TEST_EXISTS));
  assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
  assert_int_equal(mode_of(index), 0660);
  assert_int_equal(mode_of(wal), 0660); /* SQLite's, from the index's */
  mugai_quarantine_fsck_report r;
  GError *error = NULL;
  assert_true(mugai_quarantine_fsck(f->q, 0, FALSE, &r, &error));
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "owners_wrong"), 0);
  mugai_quarantine_fsck_report_clear(&r);
  /* An older mugai's original a umask left 0644 is the store's again after fsck (its user may
   * chmod it). */
  g_autofree char *path = make_legacy(f, e->id);
  assert_int_equal(chmod(path, 0644), 0);
  assert_true(mugai_quarantine_fsck(f->q, 0, TRUE, &r, &error));
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "owners_wrong"), 1);
  assert_int_equal(mugai_quarantine_fsck_report_count(&r, "owners_unfixed"), 0);
  assert_int_equal(r.lines->len, 1);
  assert_non_null(strstr(g_ptr_array_index(r.lines, 0), ", mode 0644; the store's are "));
  assert_non_null(strstr(g_ptr_array_index(r.lines, 0), ", mode 0640, fixed"));
  mugai_quarantine_fsck_report_clear(&r);
  assert_int_equal(mode_of(path), 0640);
  teardown(&fs);
}

static gint64
size_of(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (gint64) st.st_size : -1;
}

/* Run in the background (as mugai-milter runs it), the store's WAL is checkpointed by its own
 * thread: the originals reach the database file while the store is open and storing, and past
 * 16 MB the WAL starts over instead of holding everything stored. */
static void
checkpoints_run_beside_the_stores(void **state)
{
  fixture *f = *state;
  GError *error = NULL;
  if (!mugai_quarantine_run_in_background(f->q, &error))
    fail_msg("%s", error->message);
  enum { COUNT = 400, SIZE = 64 * 1024 }; /* 6400 pages of originals, 26 MB */
  g_autofree guint8 *big = g_malloc(SIZE);
  for (gsize i = 0; i < SIZE; i++) /* random bytes: kept as they are, not compressed to nothing */
    big[i] = (guint8) g_random_int();
  g_autofree char *index = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  g_autofree char *wal = g_strconcat(index, "-wal", NULL);
  for (int i = 0; i < COUNT; i++) {
    g_autoptr(mugai_quarantine_entry) e = entry_at(NOW, "none", "x@example.jp");
    e->size = SIZE;
    assert_true(mugai_quarantine_store(f->q, e, big, SIZE, &error));
    if (i % 25 == 24)
      g_usleep(100 * 1000); /* the checkpointer's turn, as between bursts of mail */
  }
  gint64 deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
  while (size_of(index) < (gint64) COUNT * SIZE / 2 && g_get_monotonic_time() < deadline)
    g_usleep(50 * 1000);
  assert_true(size_of(index) >= (gint64) COUNT * SIZE / 2);
  assert_true(size_of(wal) < (gint64) COUNT * SIZE); /* all of it, were it never started over */
  assert_int_equal(count(f, &all), COUNT);
}

/* An index of version 2 (originals as files under objects/) opens at version 6: its entries are
 * read from their files and deleted with them, new ones go into the index, fsck counts both. */
static void
an_index_of_version_2_keeps_its_files(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine_entry) old = entry_at(NOW, "none", "x@example.jp");
  g_autoptr(mugai_quarantine_entry) gone = entry_at(NOW, "virus", "x@example.jp");
  store_ok(f, old);
  store_ok(f, gone);
  g_autofree char *old_path = make_legacy(f, old->id);
  g_autofree char *gone_path = make_legacy(f, gone->id);
  index_number(f, "DROP TABLE original");
  index_number(f, "DROP INDEX entry_waiting"); /* version 5's */
  index_number(f, "ALTER TABLE entry DROP COLUMN locked");
  mugai_quarantine_free(f->q);
  sqlite3 *db = NULL;
  g_autofree char *index = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  assert_int_equal(sqlite3_open(index, &db), SQLITE_OK); /* as version 2 left it */
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  GError *error = NULL;
  f->q = open_store(f->dir, NULL, NULL, TRUE, &error);
  if (f->q == NULL)
    fail_msg("%s", error->message);
  assert_int_equal(index_number(f, "PRAGMA user_version"), 6);
  g_autoptr(GByteArray) bytes = g_byte_array_new();
  assert_true(mugai_quarantine_read_original(f->q, old->id, collect, bytes, &error));
  assert_int_equal(bytes->len, sizeof original - 1);
  assert_memory_equal(bytes->data, original, bytes->len);
  assert_true(mugai_quarantine_delete(f->q, gone->id, "test", &error));
  assert_false(g_file_test(gone_path, G_FILE_TEST_EXISTS));
  g_autoptr(mugai_quarantine_entry) fresh = entry_at(NOW, "none", "x@example.jp");
  store_ok(f, fresh);
  assert_consistent(f, FALSE, 2);
  assert_true(g_file_test(old_path, G_FILE_TEST_EXISTS));
}

/* A store given to a user or group that does not exist (removed since the config loaded). */
static void
an_unknown_owner_is_named(void **state)
{
  fixture *f = *state;
  g_autofree char *other = g_build_filename(f->dir, "other", NULL);
  GError *error = NULL;
  assert_null(open_store(other, "mugai-no-such-user", NULL, TRUE, &error));
  assert_non_null(strstr(error->message, "[quarantine] user mugai-no-such-user does not exist"));
  g_clear_error(&error);
  assert_null(open_store(other, NULL, "mugai-no-such-group", TRUE, &error));
  assert_non_null(strstr(error->message, "[quarantine] group mugai-no-such-group does not exist"));
  g_clear_error(&error);
  assert_false(g_file_test(other, G_FILE_TEST_EXISTS));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ids_sort_by_time_and_hash_into_two_levels),
      cmocka_unit_test_setup_teardown(stores_exact_bytes_and_indexes_the_entry, setup, teardown),
      cmocka_unit_test_setup_teardown(reads_the_original_back_in_pieces, setup, teardown),
      cmocka_unit_test_setup_teardown(an_index_of_version_2_keeps_its_files, setup, teardown),
      cmocka_unit_test_setup_teardown(checkpoints_run_beside_the_stores, setup, teardown),
      cmocka_unit_test_setup_teardown(lists_with_filters_newest_first, setup, teardown),
      cmocka_unit_test_setup_teardown(many_threads_store_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(delete_removes_row_and_file_and_is_audited, setup, teardown),
      cmocka_unit_test_setup_teardown(purge_removes_what_is_past_retention, setup, teardown),
      cmocka_unit_test_setup_teardown(fsck_reconciles_every_crash_point, setup, teardown),
      cmocka_unit_test_setup_teardown(opening_a_missing_store_says_so, setup, teardown),
      cmocka_unit_test_setup_teardown(a_failing_commit_keeps_nothing_of_its_message, setup,
                                      teardown),
      cmocka_unit_test(modes_do_not_depend_on_the_umask),
      cmocka_unit_test_setup_teardown(an_unknown_owner_is_named, setup, teardown),
  };
  int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
  pg_dsn = g_getenv("MUGAI_TEST_PG_DSN");
  if (pg_dsn == NULL)
    return failed;
  const struct CMUnitTest pg_tests[] = {
      cmocka_unit_test_setup_teardown(stores_exact_bytes_and_indexes_the_entry, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(reads_the_original_back_in_pieces, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(lists_with_filters_newest_first, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(many_threads_store_at_once, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(delete_removes_row_and_file_and_is_audited, setup_pg,
                                      teardown),
      cmocka_unit_test_setup_teardown(purge_removes_what_is_past_retention, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(fsck_reconciles_every_crash_point, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(opening_a_missing_store_says_so, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(init_and_migrate_again_change_nothing, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(a_store_while_the_database_is_down_fails_then_works_again,
                                      setup_pg, teardown),
  };
  return failed + cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
}
