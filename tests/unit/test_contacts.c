/* test_contacts.c — [contacts], who inside wrote to whom outside, in the quarantine's database: on
 * a real SQLite index, and the same test bodies again on a real PostgreSQL database when
 * MUGAI_TEST_PG_DSN names one (tests/pg_cluster.py): a pair learned is known (by address, or by
 * domain), within the window only, case ignored; learning again moves the time and adds no row;
 * purge removes expired learned rows and keeps pinned ones; add and remove are audited; threads
 * learn and look up at once; a database that cannot answer is an error, never "known"; an index
 * of version 3 gains the table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include <libpq-fe.h>
#include "quarantine/index.h"
#include "quarantine/store.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01 12:00:00 UTC */
#define DAY 86400

typedef struct {
  char *tmp;       /* the SQLite store's parent (removed at the end) */
  const char *dsn; /* (nullable) the PostgreSQL database, else SQLite under TMP */
  mugai_quarantine_policy config;
  mugai_quarantine *q;
} fixture;

static const char *pg_dsn; /* $MUGAI_TEST_PG_DSN */

static void
pg_exec_ok(const char *sql)
{
  PGconn *c = PQconnectdb(pg_dsn);
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PGresult *r = PQexec(c, sql);
  ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    fail_msg("%s: %s", sql, PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

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

static void
remove_tree(const char *path)
{
  g_autofree char *command = g_strdup_printf("rm -rf '%s'", path);
  g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
}

static void
open_or_fail(fixture *f)
{
  GError *error = NULL;
  f->q = mugai_quarantine_open(&f->config, TRUE, &error);
  if (f->q == NULL)
    fail_msg("%s", error->message);
}

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->tmp = g_dir_make_tmp("mugai-contacts-XXXXXX", NULL);
  f->config.dir = g_build_filename(f->tmp, "store", NULL);
  f->config.dsn = (char *) "";
  f->config.user = f->config.group = (char *) "";
  open_or_fail(f);
  *state = f;
  return 0;
}

static int
setup_pg(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->dsn = pg_dsn;
  f->config = (mugai_quarantine_policy) {.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL,
                                         .dsn = (char *) pg_dsn, .dir = g_strdup("")};
  pg_exec_ok("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  GError *error = NULL;
  gboolean managed = FALSE;
  int before = -1, after = -1;
  if (!mugai_quarantine_setup(&f->config, TRUE, &managed, &before, &after, &error))
    fail_msg("%s", error->message);
  open_or_fail(f);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  mugai_quarantine_free(f->q);
  if (f->tmp)
    remove_tree(f->tmp);
  g_free(f->tmp);
  g_free(f->config.dir);
  g_free(f);
  return 0;
}

static void
learn(fixture *f, const char *user, const char *addr, gint64 when)
{
  const char *addrs[] = {addr, NULL};
  GError *error = NULL;
  if (!mugai_quarantine_contacts_learn(f->q, user, addrs, when, &error))
    fail_msg("%s", error->message);
}

/* Is SENDER known to F since SINCE (BY_DOMAIN: by its domain)? Fails the test on an error. */
static gboolean
known(fixture *f, const char *sender, gboolean by_domain, gint64 since)
{
  gboolean k = (gboolean) 42;
  GError *error = NULL;
  if (!mugai_quarantine_contact_known(f->q, sender, by_domain, since, &k, &error))
    fail_msg("%s", error->message);
  assert_true(k == TRUE || k == FALSE);
  return k;
}

static gboolean
collect_row(const mugai_contact *c, gpointer data)
{
  g_ptr_array_add(data, g_strdup_printf("%s>%s@%" G_GINT64_FORMAT "%s", c->user, c->addr,
                                        c->last_seen, c->pinned ? "+" : ""));
  return TRUE;
}

/* (transfer full) the rows of USER (nullable: all), "user>addr@time" with "+" when pinned. */
static GPtrArray *
rows_of(fixture *f, const char *user)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func(g_free);
  GError *error = NULL;
  if (!mugai_quarantine_contacts_list(f->q, user, collect_row, rows, &error))
    fail_msg("%s", error->message);
  return rows;
}

/* After an outbound mail from a user to an address: that address is known (case ignored, within
 * the window only); another address at its domain only when known_by = domain; the null sender
 * never. */
static void
a_learned_address_is_known_within_the_window(void **state)
{
  fixture *f = *state;
  assert_false(known(f, "partner@example.com", FALSE, NOW - 10 * DAY));
  learn(f, "Taro@City.Example.lg.jp", "Partner@Example.COM", NOW);
  assert_true(known(f, "partner@example.com", FALSE, NOW - 10 * DAY));
  assert_true(known(f, "PARTNER@example.com", FALSE, NOW));
  assert_false(known(f, "partner@example.com", FALSE, NOW + 1)); /* older than the window */
  assert_false(known(f, "other@example.com", FALSE, NOW - DAY));
  assert_true(known(f, "other@example.com", TRUE, NOW - DAY));
  assert_false(known(f, "other@example.net", TRUE, NOW - DAY));
  assert_false(known(f, "", FALSE, 0));
  assert_false(known(f, "example.com", TRUE, 0)); /* no address: nobody has written to it */
  /* Written, not only kept waiting: the same answers after the store is closed and opened. */
  mugai_quarantine_free(f->q);
  open_or_fail(f);
  assert_true(known(f, "partner@example.com", FALSE, NOW - 10 * DAY));
  assert_true(known(f, "other@example.com", TRUE, NOW - DAY));
  g_autoptr(GPtrArray) rows = rows_of(f, NULL);
  assert_int_equal(rows->len, 1);
  assert_string_equal(g_ptr_array_index(rows, 0),
                      "taro@city.example.lg.jp>partner@example.com@1796126400");
}

/* One row per pair however often it is written to: the time moves on (never back). */
static void
learning_again_moves_the_time_and_adds_no_row(void **state)
{
  fixture *f = *state;
  for (int i = 0; i < 1200; i++) /* past the SQLite backend's batch of 512 */
    learn(f, "taro@city.example.lg.jp", "partner@example.com", NOW + i);
  learn(f, "taro@city.example.lg.jp", "partner@example.com", NOW - DAY); /* a late one */
  learn(f, "hanako@city.example.lg.jp", "partner@example.com", NOW);
  g_autoptr(GPtrArray) rows = rows_of(f, NULL);
  assert_int_equal(rows->len, 2);
  assert_string_equal(g_ptr_array_index(rows, 0),
                      "hanako@city.example.lg.jp>partner@example.com@1796126400");
  assert_string_equal(g_ptr_array_index(rows, 1),
                      "taro@city.example.lg.jp>partner@example.com@1796127599");
  g_autoptr(GPtrArray) taro = rows_of(f, "TARO@city.example.lg.jp");
  assert_int_equal(taro->len, 1);
}

/* Purge removes the learned rows last seen before the cut, keeps the newer and the pinned. */
static void
purge_removes_expired_rows_and_keeps_pinned_ones(void **state)
{
  fixture *f = *state;
  learn(f, "taro@city.example.lg.jp", "old@example.com", NOW - 200 * DAY);
  learn(f, "taro@city.example.lg.jp", "new@example.com", NOW - 10 * DAY);
  GError *error = NULL;
  assert_true(mugai_quarantine_contact_add(f->q, "taro@city.example.lg.jp", "kept@example.com",
                                           NOW - 400 * DAY, &error));
  guint64 removed = 99;
  assert_true(mugai_quarantine_contacts_purge(f->q, NOW - 180 * DAY, &removed, &error));
  assert_int_equal(removed, 1);
  g_autoptr(GPtrArray) rows = rows_of(f, NULL);
  assert_int_equal(rows->len, 2);
  assert_string_equal(g_ptr_array_index(rows, 0),
                      "taro@city.example.lg.jp>kept@example.com@1761566400+");
  assert_string_equal(g_ptr_array_index(rows, 1),
                      "taro@city.example.lg.jp>new@example.com@1795262400");
  assert_false(known(f, "old@example.com", FALSE, NOW - 180 * DAY));
  assert_true(known(f, "kept@example.com", FALSE, NOW)); /* pinned: whatever the window */
  assert_true(mugai_quarantine_contacts_purge(f->q, NOW - 180 * DAY, &removed, &error));
  assert_int_equal(removed, 0);
}

static gboolean
audit_has(fixture *f, const char *action, const char *detail)
{
  GError *error = NULL;
  g_autoptr(GPtrArray) audit = mugai_quarantine_audit_list(f->q, &error);
  if (audit == NULL)
    fail_msg("%s", error->message);
  for (guint i = 0; i < audit->len; i++) {
    const mugai_quarantine_audit_row *r = g_ptr_array_index(audit, i);
    if (strcmp(r->action, action) == 0 && strcmp(r->detail, detail) == 0)
      return TRUE;
  }
  return FALSE;
}

/* An admin's add pins a row (a learned one too), remove forgets it; both are audited; removing
 * what is not there is NOT_FOUND and audits nothing; a non-address is refused. */
static void
add_and_remove_are_audited(void **state)
{
  fixture *f = *state;
  GError *error = NULL;
  assert_true(mugai_quarantine_contact_add(f->q, "Taro@city.example.lg.jp", "Vendor@Example.com",
                                           NOW, &error));
  assert_true(known(f, "vendor@example.com", FALSE, NOW + 100 * DAY));
  assert_true(audit_has(f, "contact-add", "taro@city.example.lg.jp -> vendor@example.com"));
  learn(f, "taro@city.example.lg.jp", "vendor@example.com", NOW + DAY); /* stays pinned */
  g_autoptr(GPtrArray) rows = rows_of(f, NULL);
  assert_string_equal(g_ptr_array_index(rows, 0),
                      "taro@city.example.lg.jp>vendor@example.com@1796212800+");
  assert_true(mugai_quarantine_contact_remove(f->q, "taro@city.example.lg.jp",
                                              "VENDOR@example.com", &error));
  assert_false(known(f, "vendor@example.com", FALSE, 0));
  assert_true(audit_has(f, "contact-remove", "taro@city.example.lg.jp -> vendor@example.com"));
  assert_false(mugai_quarantine_contact_remove(f->q, "taro@city.example.lg.jp",
                                               "vendor@example.com", &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND));
  g_clear_error(&error);
  assert_false(mugai_quarantine_contact_add(f->q, "taro", "vendor@example.com", NOW, &error));
  assert_non_null(strstr(error->message, "is not an address"));
  g_clear_error(&error);
  GError *local = NULL;
  g_autoptr(GPtrArray) audit = mugai_quarantine_audit_list(f->q, &local);
  assert_int_equal(audit->len, 2);
}

typedef struct {
  fixture *f;
  int n;
} worker_args;

static gpointer
learner(gpointer data)
{
  worker_args *w = data;
  for (int i = 0; i < 200; i++) {
    g_autofree char *user = g_strdup_printf("u%d@city.example.lg.jp", w->n);
    g_autofree char *addr = g_strdup_printf("p%d-%d@example.com", w->n, i);
    learn(w->f, user, addr, NOW);
    g_autofree char *mine = g_strdup_printf("p%d-%d@example.com", w->n, i / 2);
    assert_true(known(w->f, mine, FALSE, NOW)); /* seen at once, written or not */
  }
  return NULL;
}

/* Threads learning and looking up at once, as the milter's do: every row is there at the end. */
static void
threads_learn_and_look_up_at_once(void **state)
{
  fixture *f = *state;
  GThread *threads[4];
  worker_args args[G_N_ELEMENTS(threads)];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++) {
    args[i] = (worker_args) {f, (int) i};
    threads[i] = g_thread_new("learner", learner, &args[i]);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  g_autoptr(GPtrArray) rows = rows_of(f, NULL);
  assert_int_equal(rows->len, 800);
}

/* A database that cannot answer is an error: the caller is never told "known". (SQLite: the table
 * is gone under the open store.) */
static void
a_lookup_the_index_cannot_answer_is_an_error(void **state)
{
  fixture *f = *state;
  learn(f, "taro@city.example.lg.jp", "partner@example.com", NOW);
  mugai_quarantine_free(f->q); /* written */
  open_or_fail(f);
  assert_true(known(f, "partner@example.com", FALSE, NOW)); /* the statement is cached now */
  g_autofree char *path = g_build_filename(f->config.dir, MUGAI_QINDEX_FILE, NULL);
  GError *error = NULL;
  sqlite3 *db = mugai_qindex_open(path, FALSE, &error);
  assert_non_null(db);
  assert_true(mugai_qindex_exec(db, "DROP TABLE contact", &error));
  mugai_qindex_close(db);
  gboolean k = (gboolean) 42;
  assert_false(mugai_quarantine_contact_known(f->q, "partner@example.com", FALSE, NOW, &k,
                                              &error));
  assert_int_equal(k, 42); /* untouched */
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  assert_non_null(strstr(error->message, "contact"));
  g_clear_error(&error);
}

/* The same with PostgreSQL stopped; after it is back, lookups answer again. */
static void
a_lookup_while_the_database_is_down_is_an_error(void **state)
{
  fixture *f = *state;
  learn(f, "taro@city.example.lg.jp", "partner@example.com", NOW);
  pg_control("MUGAI_TEST_PG_STOP");
  gboolean k = (gboolean) 42;
  GError *error = NULL;
  assert_false(mugai_quarantine_contact_known(f->q, "partner@example.com", FALSE, NOW, &k,
                                              &error));
  assert_int_equal(k, 42);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_INDEX));
  g_clear_error(&error);
  const char *addrs[] = {"x@example.com", NULL};
  assert_false(mugai_quarantine_contacts_learn(f->q, "taro@city.example.lg.jp", addrs, NOW,
                                               &error));
  g_clear_error(&error);
  pg_control("MUGAI_TEST_PG_START");
  assert_true(known(f, "partner@example.com", FALSE, NOW));
}

/* An index of version 3 (before [contacts]) opens at version 6 with the table, empty. */
static void
an_index_of_version_3_gains_the_table(void **state)
{
  fixture *f = *state;
  mugai_quarantine_free(f->q);
  g_autofree char *path = g_build_filename(f->config.dir, MUGAI_QINDEX_FILE, NULL);
  GError *error = NULL;
  sqlite3 *db = mugai_qindex_open(path, FALSE, &error);
  assert_true(mugai_qindex_exec(db,
                                "DROP TABLE contact; DROP INDEX entry_waiting;"
                                " ALTER TABLE entry DROP COLUMN locked;"
                                " ALTER TABLE original DROP COLUMN codec; PRAGMA user_version = 3",
                                &error));
  mugai_qindex_close(db);
  open_or_fail(f);
  assert_false(known(f, "partner@example.com", FALSE, 0));
  learn(f, "taro@city.example.lg.jp", "partner@example.com", NOW);
  assert_true(known(f, "partner@example.com", FALSE, NOW));
  db = mugai_qindex_open(path, FALSE, &error);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 6);
  sqlite3_finalize(st);
  mugai_qindex_close(db);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(a_learned_address_is_known_within_the_window, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(learning_again_moves_the_time_and_adds_no_row, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(purge_removes_expired_rows_and_keeps_pinned_ones, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(add_and_remove_are_audited, setup, teardown),
      cmocka_unit_test_setup_teardown(threads_learn_and_look_up_at_once, setup, teardown),
      cmocka_unit_test_setup_teardown(a_lookup_the_index_cannot_answer_is_an_error, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(an_index_of_version_3_gains_the_table, setup, teardown),
  };
  int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
  pg_dsn = g_getenv("MUGAI_TEST_PG_DSN");
  if (pg_dsn == NULL)
    return failed;
  const struct CMUnitTest pg_tests[] = {
      cmocka_unit_test_setup_teardown(a_learned_address_is_known_within_the_window, setup_pg,
                                      teardown),
      cmocka_unit_test_setup_teardown(learning_again_moves_the_time_and_adds_no_row, setup_pg,
                                      teardown),
      cmocka_unit_test_setup_teardown(purge_removes_expired_rows_and_keeps_pinned_ones, setup_pg,
                                      teardown),
      cmocka_unit_test_setup_teardown(add_and_remove_are_audited, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(threads_learn_and_look_up_at_once, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(a_lookup_while_the_database_is_down_is_an_error, setup_pg,
                                      teardown),
  };
  return failed + cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
}
