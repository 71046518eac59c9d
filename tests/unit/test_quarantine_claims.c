/* test_quarantine_claims.c — what several gateway hosts sharing a quarantine need of the store,
 * on the SQLite backend and, when MUGAI_TEST_PG_DSN names a database (tests/pg_cluster.py), on
 * the PostgreSQL one (all but the SQLite index's own migrations): each entry names the host that
 * stored it, an index made before hosts were recorded (schema version 1) gains them in place, and
 * a release is claimed first, so that two releases of one entry at once send it once (a second
 * claim refused; a claim given back taken again; a stale claim, left by a releaser that crashed,
 * taken over). PPAP: an entry holding an archive that waits for its password is found by its
 * exact sender and recipient until its release is finished, and an index of version 4 gains the
 * column, its entries not locked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <string.h>

#include "quarantine/index.h"
#include "quarantine/quarantine_id.h"
#include "quarantine/store.h"
#include "temp_tree.h"

#define NOW G_GINT64_CONSTANT(1796126400) /* 2026-12-01 12:00:00 UTC */

static const char original[] = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

/* The schema of version 1 exactly as mugai made it before hosts and claims. */
static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS entry ("
    " id TEXT PRIMARY KEY, time INTEGER NOT NULL, queue_id TEXT NOT NULL, client TEXT NOT NULL,"
    " direction TEXT NOT NULL, mail_from TEXT NOT NULL, from_header TEXT NOT NULL,"
    " subject TEXT NOT NULL, size INTEGER NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL,"
    " actions TEXT NOT NULL, signatures TEXT NOT NULL, report TEXT NOT NULL,"
    " released INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS entry_time ON entry(time);"
    "CREATE TABLE IF NOT EXISTS rcpt (entry_id TEXT NOT NULL REFERENCES entry(id) ON DELETE "
    "CASCADE, addr TEXT NOT NULL COLLATE NOCASE);"
    "CREATE INDEX IF NOT EXISTS rcpt_addr ON rcpt(addr);"
    "CREATE INDEX IF NOT EXISTS rcpt_entry ON rcpt(entry_id);"
    "CREATE TABLE IF NOT EXISTS part (entry_id TEXT NOT NULL REFERENCES entry(id) ON DELETE "
    "CASCADE, seq INTEGER NOT NULL, path TEXT NOT NULL, type TEXT NOT NULL,"
    " detected_type TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS part_entry ON part(entry_id);"
    "CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, time INTEGER NOT "
    "NULL, user TEXT NOT NULL, uid INTEGER NOT NULL, action TEXT NOT NULL, entry_id TEXT NOT NULL,"
    " reason TEXT NOT NULL, detail TEXT NOT NULL);"
    "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "PRAGMA user_version = 1;";

typedef struct {
  char *tmp;       /* the fixture's own temp directory */
  char *dir;       /* the store, inside it */
  const char *dsn; /* (nullable) the PostgreSQL backend's database instead */
} fixture;

static const char *pg_dsn; /* $MUGAI_TEST_PG_DSN */

static int
setup(void **state)
{
  fixture *f = g_new0(fixture, 1);
  f->tmp = g_dir_make_tmp("mugai-qc-XXXXXX", NULL);
  f->dir = g_build_filename(f->tmp, "store", NULL);
  *state = f;
  return 0;
}

/* An empty database with the schema `mugai quarantine init` makes. */
static int
setup_pg(void **state)
{
  setup(state);
  fixture *f = *state;
  f->dsn = pg_dsn;
  PGconn *c = PQconnectdb(pg_dsn);
  PQclear(PQexec(c, "SET client_min_messages = warning"));
  PGresult *r = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
  PQclear(r);
  PQfinish(c);
  mugai_quarantine_policy config = {.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL,
                                    .dsn = (char *) pg_dsn, .dir = (char *) ""};
  GError *error = NULL;
  gboolean managed = FALSE;
  int before = 0, after = 0;
  if (!mugai_quarantine_setup(&config, TRUE, &managed, &before, &after, &error))
    fail_msg("%s", error->message);
  return 0;
}

static int
teardown(void **state)
{
  fixture *f = *state;
  temp_tree_remove(f->tmp);
  g_free(f->tmp);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static mugai_quarantine *
open_store(const fixture *f, gboolean create)
{
  mugai_quarantine_policy config = {.dir = f->dir, .user = (char *) "", .group = (char *) ""};
  if (f->dsn) {
    config.backend = MUGAI_QUARANTINE_BACKEND_POSTGRESQL;
    config.dsn = (char *) f->dsn;
  }
  GError *error = NULL;
  mugai_quarantine *q = mugai_quarantine_open(&config, create, &error);
  if (q == NULL)
    fail_msg("%s", error->message);
  return q;
}

/* An entry stored in Q at WHEN from SENDER to RCPT, LOCKED or not (PPAP). */
static mugai_quarantine_entry *
stored_entry_at(mugai_quarantine *q, gint64 when, const char *sender, const char *rcpt,
                gboolean locked)
{
  mugai_quarantine_entry *e = mugai_quarantine_entry_new();
  g_free(e->id);
  e->id = mugai_quarantine_id_new(when);
  e->time = when;
  g_free(e->mail_from);
  e->mail_from = g_strdup(sender);
  g_strfreev(e->rcpts);
  e->rcpts = g_strsplit(rcpt, ",", -1);
  e->locked = locked;
  e->size = sizeof original - 1;
  GError *error = NULL;
  if (!mugai_quarantine_store(q, e, (const guint8 *) original, sizeof original - 1, &error))
    fail_msg("%s", error->message);
  return e;
}

static mugai_quarantine_entry *
stored_entry(mugai_quarantine *q)
{
  return stored_entry_at(q, NOW, "a@example.com", "x@example.jp", FALSE);
}

static void
exec_sql(sqlite3 *db, const char *sql)
{
  char *message = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
    fail_msg("%s: %s", sql, message);
}

static gint64
user_version_of(const fixture *f)
{
  g_autofree char *path = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  gint64 v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* A store as mugai made it with index version 1: one entry ID, its original in place. */
static void
make_version_1_store(const fixture *f, const char *id)
{
  g_autofree char *rel = mugai_quarantine_id_subdir(id);
  g_autofree char *sub = g_build_filename(f->dir, rel, NULL);
  g_autofree char *tmp = g_build_filename(f->dir, "tmp", NULL);
  assert_int_equal(g_mkdir_with_parents(sub, 02770), 0);
  assert_int_equal(g_mkdir_with_parents(tmp, 02770), 0);
  g_autofree char *file = g_build_filename(sub, id, NULL);
  assert_true(g_file_set_contents(file, original, sizeof original - 1, NULL));
  g_autofree char *index = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(index, &db), SQLITE_OK);
  exec_sql(db, "PRAGMA journal_mode=WAL;");
  exec_sql(db, schema_v1);
  char *insert = sqlite3_mprintf(
      "INSERT INTO entry VALUES (%Q, %lld, 'Q1', '192.0.2.1', 'in', 'a@example.com',"
      " 'a@example.com', 'hi', %d, 'deliver', 'none', 'html2text', '', '{}', 0);"
      "INSERT INTO rcpt VALUES (%Q, 'x@example.jp');",
      id, (long long) NOW, (int) (sizeof original - 1), id);
  exec_sql(db, insert);
  sqlite3_free(insert);
  sqlite3_close(db);
}

static gboolean
append_bytes(const guint8 *data, gsize len, gpointer out, GError **error)
{
  (void) error;
  g_byte_array_append(out, data, (guint) len);
  return TRUE;
}

/* An index of version 1 opens as it is (by the CLI too: no CREATE) and gains the host and claim
 * columns in place: its entry is intact with host "" (not recorded), new entries name this
 * host, and its entry can be claimed and released. */
static void
an_index_of_version_1_gains_hosts_and_claims_in_place(void **state)
{
  fixture *f = *state;
  g_autofree char *old_id = mugai_quarantine_id_new(NOW);
  make_version_1_store(f, old_id);
  assert_int_equal(user_version_of(f), 1);
  g_autoptr(mugai_quarantine) q = open_store(f, FALSE);
  assert_int_equal(user_version_of(f), 6); /* through 2-5 to 6: originals, contacts, locked, codec */
  GError *error = NULL;
  g_autoptr(mugai_quarantine_entry) old = mugai_quarantine_get(q, old_id, &error);
  assert_non_null(old);
  assert_string_equal(old->host, "");
  assert_string_equal(old->queue_id, "Q1");
  assert_string_equal(old->rcpts[0], "x@example.jp");
  assert_int_equal(old->size, sizeof original - 1);
  g_autoptr(mugai_quarantine_entry) e = stored_entry(q);
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(q, e->id, &error);
  assert_non_null(got);
  assert_string_equal(got->host, g_get_host_name());
  g_autofree char *claim = mugai_quarantine_claim_release(q, old_id, 600, &error);
  assert_non_null(claim);
  assert_true(mugai_quarantine_finish_release(q, old_id, claim, "asked", "", &error));
  g_autoptr(GByteArray) bytes = g_byte_array_new(); /* its original still the file */
  assert_true(mugai_quarantine_read_original(q, old_id, append_bytes, bytes, &error));
  assert_int_equal(bytes->len, sizeof original - 1);
  assert_memory_equal(bytes->data, original, bytes->len);
  mugai_quarantine_free(g_steal_pointer(&q));
  q = open_store(f, TRUE); /* opened again: already version 6, nothing to do */
  assert_int_equal(user_version_of(f), 6);
}

static gboolean
claim_refused(mugai_quarantine *q, const char *id)
{
  GError *error = NULL;
  char *claim = mugai_quarantine_claim_release(q, id, MUGAI_QUARANTINE_CLAIM_STALE, &error);
  g_free(claim);
  gboolean refused = claim == NULL && g_error_matches(error, MUGAI_QUARANTINE_ERROR,
                                                      MUGAI_QUARANTINE_ERROR_CLAIMED);
  g_clear_error(&error);
  return refused;
}

/* Two claims on one entry, as two hosts releasing it at once: the second is refused, naming the
 * first's host; once the first is finished the entry is released (and audited) once. */
static void
a_second_claim_on_one_entry_is_refused(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  g_autoptr(mugai_quarantine) other = open_store(f, FALSE); /* another process, another host */
  g_autoptr(mugai_quarantine_entry) e = stored_entry(q);
  GError *error = NULL;
  g_autofree char *first = mugai_quarantine_claim_release(q, e->id, MUGAI_QUARANTINE_CLAIM_STALE,
                                                          &error);
  assert_non_null(first);
  assert_non_null(strstr(first, g_get_host_name()));
  char *second = mugai_quarantine_claim_release(other, e->id, MUGAI_QUARANTINE_CLAIM_STALE, &error);
  assert_null(second);
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_CLAIMED));
  assert_non_null(strstr(error->message, "is being released already, by "));
  assert_non_null(strstr(error->message, first));
  g_clear_error(&error);
  assert_true(mugai_quarantine_finish_release(q, e->id, first, "asked", "to=<x@example.jp>",
                                              &error));
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(other, e->id, &error);
  assert_true(got->released > 0);
  g_autoptr(GPtrArray) audit = mugai_quarantine_audit_list(other, &error);
  assert_int_equal(audit->len, 1);
  assert_string_equal(((mugai_quarantine_audit_row *) audit->pdata[0])->action, "release");
  /* Released, the claim let go: a later release (elsewhere, say) may claim it again. */
  g_autofree char *later = mugai_quarantine_claim_release(other, e->id, 600, &error);
  assert_non_null(later);
  assert_string_not_equal(later, first);
  assert_null(mugai_quarantine_claim_release(q, "20261201-120000-0000000000", 600, &error));
  assert_true(g_error_matches(error, MUGAI_QUARANTINE_ERROR, MUGAI_QUARANTINE_ERROR_NOT_FOUND));
  g_clear_error(&error);
}

/* A release whose send failed gives its claim back: nothing is marked released, and the next
 * release claims it at once. Giving back someone else's claim changes nothing. */
static void
a_claim_given_back_can_be_taken_again(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  g_autoptr(mugai_quarantine_entry) e = stored_entry(q);
  GError *error = NULL;
  g_autofree char *first = mugai_quarantine_claim_release(q, e->id, 600, &error);
  assert_non_null(first);
  assert_true(mugai_quarantine_give_back_release(q, e->id, first, &error));
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(q, e->id, &error);
  assert_int_equal(got->released, 0);
  g_autofree char *again = mugai_quarantine_claim_release(q, e->id, 600, &error);
  assert_non_null(again);
  assert_true(mugai_quarantine_give_back_release(q, e->id, first, &error)); /* not first's now */
  assert_true(claim_refused(q, e->id));
}

/* A claim older than STALE_AFTER is a releaser that crashed: it is taken over (0 seconds makes
 * every claim stale); the crashed releaser's late finish still records the release it sent. */
static void
a_stale_claim_is_taken_over(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  g_autoptr(mugai_quarantine_entry) e = stored_entry(q);
  GError *error = NULL;
  g_autofree char *crashed = mugai_quarantine_claim_release(q, e->id, 600, &error);
  assert_non_null(crashed);
  assert_true(claim_refused(q, e->id)); /* live for 600 seconds */
  g_autofree char *taken = mugai_quarantine_claim_release(q, e->id, 0, &error);
  assert_non_null(taken);
  assert_true(claim_refused(q, e->id)); /* the new holder's now */
  assert_true(mugai_quarantine_finish_release(q, e->id, crashed, "late", "", &error));
  assert_true(claim_refused(q, e->id)); /* the late finish left the new claim alone */
  assert_true(mugai_quarantine_finish_release(q, e->id, taken, "asked", "", &error));
  g_autofree char *next = mugai_quarantine_claim_release(q, e->id, 600, &error);
  assert_non_null(next);
}

typedef struct {
  const fixture *f;
  const char *id;
  gint won; /* claims taken */
} race;

static gpointer
claimer(gpointer data)
{
  race *r = data;
  g_autoptr(mugai_quarantine) q = open_store(r->f, FALSE); /* each a host of its own */
  GError *error = NULL;
  g_autofree char *claim = mugai_quarantine_claim_release(q, r->id, 600, &error);
  if (claim)
    g_atomic_int_inc(&r->won);
  else
    g_clear_error(&error);
  return NULL;
}

/* Eight releasers, each with its own store object (its own connections), claim one entry at
 * once: exactly one gets it, whatever the backend. */
static void
two_hosts_claiming_at_once_claim_once(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  g_autoptr(mugai_quarantine_entry) e = stored_entry(q);
  race r = {f, e->id, 0};
  GThread *threads[8];
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    threads[i] = g_thread_new("claimer", claimer, &r);
  for (gsize i = 0; i < G_N_ELEMENTS(threads); i++)
    g_thread_join(threads[i]);
  assert_int_equal(r.won, 1);
}

#define DAY 86400

static gboolean
collect_id(const mugai_quarantine_entry *e, gpointer ids)
{
  assert_true(e->locked); /* every list below selects locked entries only */
  g_ptr_array_add(ids, g_strdup(e->id));
  return TRUE;
}

/* The ids of the entries in Q waiting (locked, never released) for a password mail from SENDER
 * to RCPT since SINCE, as the milter looks them up; "" when none, else joined by ",". */
static char *
waiting(mugai_quarantine *q, const char *sender, const char *rcpt, gint64 since)
{
  mugai_quarantine_filter filter = {
      .locked_only = TRUE, .released = 0, .sender = sender, .rcpt = rcpt, .since = since};
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  GError *error = NULL;
  if (!mugai_quarantine_list(q, &filter, collect_id, ids, &error))
    fail_msg("%s", error->message);
  g_ptr_array_add(ids, NULL);
  return g_strjoinv(",", (char **) ids->pdata);
}

/* PPAP: of the entries holding an archive for its password, the password mail's lookup finds
 * the one from exactly its sender (ASCII case ignored; not one whose address merely contains it)
 * to its recipient since the time asked, not one that is not locked; a claim in progress leaves
 * it waiting, a finished release (an unlock that sent its text, or an admin's) ends the wait. */
static void
a_locked_entry_waits_for_its_password_until_released(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  const char *sender = "Sender@Example.com", *rcpt = "taro@city.example.lg.jp";
  g_autoptr(mugai_quarantine_entry) w = stored_entry_at(q, NOW, sender, rcpt, TRUE);
  mugai_quarantine_entry *others[] = {
      stored_entry_at(q, NOW, "other@example.com", rcpt, TRUE),
      stored_entry_at(q, NOW, "xsender@example.com", rcpt, TRUE),
      stored_entry_at(q, NOW, sender, "hanako@city.example.lg.jp", TRUE),
      stored_entry_at(q, NOW - 2 * DAY, sender, rcpt, TRUE),
      stored_entry_at(q, NOW, sender, rcpt, FALSE),
  };
  g_autofree char *found = waiting(q, "sender@EXAMPLE.COM", "Taro@City.Example.LG.JP", NOW - DAY);
  assert_string_equal(found, w->id);
  GError *error = NULL;
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(q, w->id, &error);
  assert_true(got->locked);
  g_autoptr(mugai_quarantine_entry) plain = mugai_quarantine_get(q, others[4]->id, &error);
  assert_false(plain->locked);
  g_autofree char *older = waiting(q, sender, rcpt, 0); /* newest first */
  g_autofree char *both = g_strdup_printf("%s,%s", w->id, others[3]->id);
  assert_string_equal(older, both);
  g_autofree char *claim = mugai_quarantine_claim_release(q, w->id, 600, &error);
  assert_non_null(claim);
  g_autofree char *claimed = waiting(q, sender, rcpt, NOW - DAY);
  assert_string_equal(claimed, w->id);
  assert_true(mugai_quarantine_finish_release(q, w->id, claim, "unlocked", "", &error));
  g_autofree char *after = waiting(q, sender, rcpt, NOW - DAY);
  assert_string_equal(after, "");
  /* Still locked, as the entry was stored; only no longer waiting. */
  mugai_quarantine_filter locked = {.locked_only = TRUE, .released = 1, .sender = sender};
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
  assert_true(mugai_quarantine_list(q, &locked, collect_id, ids, &error));
  assert_int_equal(ids->len, 1);
  assert_string_equal(g_ptr_array_index(ids, 0), w->id);
  for (gsize i = 0; i < G_N_ELEMENTS(others); i++)
    mugai_quarantine_entry_free(others[i]);
}

/* An index of version 4 (before PPAP) opens at version 6: its entries are kept, none locked, and
 * a locked entry stored after is found waiting. Made from a new index as version 4 had it: the
 * columns of versions 5 and 6 and the index dropped. */
static void
an_index_of_version_4_gains_locked_in_place(void **state)
{
  fixture *f = *state;
  g_autoptr(mugai_quarantine) q = open_store(f, TRUE);
  g_autoptr(mugai_quarantine_entry) old = stored_entry(q);
  mugai_quarantine_free(g_steal_pointer(&q));
  g_autofree char *index = g_build_filename(f->dir, MUGAI_QINDEX_FILE, NULL);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(index, &db), SQLITE_OK);
  exec_sql(db, "DROP INDEX entry_waiting; ALTER TABLE entry DROP COLUMN locked;"
               " ALTER TABLE original DROP COLUMN codec; PRAGMA user_version = 4;");
  sqlite3_close(db);
  q = open_store(f, FALSE);
  assert_int_equal(user_version_of(f), 6);
  GError *error = NULL;
  g_autoptr(mugai_quarantine_entry) got = mugai_quarantine_get(q, old->id, &error);
  assert_non_null(got);
  assert_false(got->locked);
  assert_string_equal(got->mail_from, "a@example.com");
  g_autofree char *none = waiting(q, "a@example.com", "x@example.jp", 0);
  assert_string_equal(none, "");
  g_autoptr(mugai_quarantine_entry) e =
      stored_entry_at(q, NOW, "a@example.com", "x@example.jp", TRUE);
  g_autofree char *found = waiting(q, "a@example.com", "x@example.jp", 0);
  assert_string_equal(found, e->id);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(an_index_of_version_1_gains_hosts_and_claims_in_place,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_second_claim_on_one_entry_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(a_claim_given_back_can_be_taken_again, setup, teardown),
      cmocka_unit_test_setup_teardown(a_stale_claim_is_taken_over, setup, teardown),
      cmocka_unit_test_setup_teardown(two_hosts_claiming_at_once_claim_once, setup, teardown),
      cmocka_unit_test_setup_teardown(a_locked_entry_waits_for_its_password_until_released, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(an_index_of_version_4_gains_locked_in_place, setup, teardown),
  };
  int failed = cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
  pg_dsn = g_getenv("MUGAI_TEST_PG_DSN");
  if (pg_dsn == NULL)
    return failed;
  const struct CMUnitTest pg_tests[] = {
      cmocka_unit_test_setup_teardown(a_second_claim_on_one_entry_is_refused, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(a_claim_given_back_can_be_taken_again, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(a_stale_claim_is_taken_over, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(two_hosts_claiming_at_once_claim_once, setup_pg, teardown),
      cmocka_unit_test_setup_teardown(a_locked_entry_waits_for_its_password_until_released,
                                      setup_pg, teardown),
  };
  return failed + cmocka_run_group_tests_name("postgresql", pg_tests, NULL, NULL);
}
