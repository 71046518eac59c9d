#!/usr/bin/env python3
"""tests/cli/test_quarantine.py once more with [quarantine] backend = postgresql, on a private cluster
(tests/pg_cluster.py) whose mugai database is emptied and given its schema (`mugai quarantine init`)
before each test. What only the SQLite store has (its files, their owners and modes, a full disk
under its index) is skipped; what differs is tested in its PostgreSQL form: the original read from
the database, the store failing while the server is stopped (exit 75, nothing delivered) and working
once it is back, fsck of an entry whose original is gone, init and migrate, a dsn's password never
shown. Skipped (77) where no cluster can be started (not root, no PostgreSQL)."""
import json, os, subprocess, sys, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import test_quarantine as base  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402

SQLITE_ONLY = "the SQLite store's own files"


class QuarantinePostgreSQL(base.Quarantine):
    FSCK_CLEAN = "{n} originals, {n} entries; removed 0 entries without an original; 0 size mismatches"
    pg = None

    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.remove()

    def setUp(self):
        if not self.pg.running:
            self.pg.start()
        self.pg.reset()
        super().setUp()
        init = self.q("init")
        self.assertEqual(init.returncode, 0, init.stderr)

    def config(self, quarantine=True, **keys):
        if keys.get("dir") == self.store:  # "a quarantine": this one, in the database
            del keys["dir"]
            keys.update(backend="postgresql", dsn=self.pg.dsn)
        return super().config(quarantine, **keys)

    def sql(self, query):
        return self.pg.psql(query, db="mugai")

    def lock(self, qid):
        self.sql(f"UPDATE entry SET locked = true WHERE id = '{qid}'")

    def original_bytes(self, qid):
        return bytes.fromhex(self.sql(f"SELECT encode(data, 'hex') FROM original WHERE entry_id = '{qid}'"))

    def test_a_store_that_fails_answers_tempfail_and_delivers_nothing(self):
        first = self.stored_id()
        self.pg.stop()
        try:
            p, report = self.sanitize(base.HTML)
        finally:
            self.pg.start()
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(report["verdict"], "tempfail")
        self.assertEqual(report["reply"]["code"], "451")
        err = p.stderr.decode()
        self.assertIn("original not kept: quarantine database ", err)
        self.assertIn("password=***", err)
        self.assertNotIn(PgCluster.PASSWORD, err)
        # Postfix tries again once the server is back: kept, and nothing half of the failed one.
        again = self.stored_id()
        self.assertEqual(sorted(e["id"] for e in json.loads(self.q("list", "--json").stdout)),
                         sorted([first, again]))
        self.assertIn(self.FSCK_CLEAN.format(n=2), self.q("fsck").stdout.decode())

    @unittest.skip("a full disk under the SQLite index; the database stopped is the test above")
    def test_a_commit_that_fails_answers_tempfail_and_leaves_the_store_consistent(self):
        pass

    def test_without_a_quarantine_the_commands_say_so(self):
        p = self.q("list", conf=self.plain_conf)
        self.assertEqual(p.returncode, 2)
        self.assertIn("sets no [quarantine] dir", p.stderr.decode())
        self.pg.reset()  # a database without the schema: init was not run
        p = self.q("list")
        self.assertEqual(p.returncode, 75)
        self.assertIn("no quarantine schema in the database: run mugai quarantine init",
                      p.stderr.decode())
        p, report = self.sanitize(base.HTML)  # nor is anything stored in it
        self.assertEqual(p.returncode, 75, p.stderr)

    def test_fsck_reconciles_a_file_without_a_row_and_a_row_without_a_file(self):
        keep, lost = self.stored_id(), self.stored_id(base.attachment_message())
        self.sql(f"DELETE FROM original WHERE entry_id = '{lost}'")  # damage
        dry = self.q("fsck", "--dry-run")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(f"{lost}: in the database, but its original is missing\n", dry.stdout.decode())
        self.assertIn("would remove 1 entries without an original", dry.stdout.decode())
        self.assertEqual(len(json.loads(self.q("list", "--json").stdout)), 2)
        p = self.q("fsck")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("schema version 3; 1 originals, 2 entries; removed 1 entries without an "
                      "original", p.stdout.decode())
        self.assertEqual([e["id"] for e in json.loads(self.q("list", "--json").stdout)], [keep])
        self.assertIn(self.FSCK_CLEAN.format(n=1), self.q("fsck").stdout.decode())
        audit = json.loads(self.q("audit", "--json").stdout)
        self.assertEqual([(r["action"], r["id"]) for r in audit], [("fsck", lost)])
        # A size that differs from the entry's is reported, left to an admin (exit 1).
        self.sql(f"UPDATE entry SET size = 1 WHERE id = '{keep}'")
        p = self.q("fsck")
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn(f"{keep}: its original is {len(base.HTML)} bytes, its entry says 1; kept",
                      p.stdout.decode())

    def test_init_and_migrate_say_what_they_did(self):
        self.pg.reset()
        self.assertEqual(self.q("migrate").returncode, 75)  # nothing to migrate: init first
        p = self.q("init")
        self.assertEqual((p.returncode, p.stdout.decode()),
                         (0, "mugai quarantine init: schema version 3 created\n"), p.stderr)
        p = self.q("init")
        self.assertIn("at version 3 already; nothing to do", p.stdout.decode())
        p = self.q("migrate")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("at version 3 already; nothing to do", p.stdout.decode())
        self.assertEqual(self.sql("SELECT version FROM mugai_schema"), "3")
        # A schema of version 1 (before [contacts] and PPAP) is brought up: its table is added,
        # empty, and entry.locked.
        self.sql("DROP TABLE contact; ALTER TABLE entry DROP COLUMN locked;"
                 " UPDATE mugai_schema SET version = 1")
        p = self.q("migrate")
        self.assertEqual((p.returncode, p.stdout.decode()),
                         (0, "mugai quarantine migrate: schema migrated from version 1 to 3\n"),
                         p.stderr)
        self.assertEqual(self.sql("SELECT count(*) FROM contact"), "0")
        # One of version 2 (before PPAP) keeps its entries, none locked.
        qid = self.stored_id()
        self.sql("ALTER TABLE entry DROP COLUMN locked; UPDATE mugai_schema SET version = 2")
        p = self.q("list")
        self.assertEqual(p.returncode, 75)
        self.assertIn("the quarantine schema is version 2, this mugai needs 3: run mugai "
                      "quarantine migrate", p.stderr.decode())
        p = self.q("migrate")
        self.assertEqual((p.returncode, p.stdout.decode()),
                         (0, "mugai quarantine migrate: schema migrated from version 2 to 3\n"),
                         p.stderr)
        self.assertEqual([(e["id"], e["locked"]) for e in json.loads(self.q("list", "--json").stdout)],
                         [(qid, False)])
        self.assertEqual(self.sql("SELECT count(*) FROM pg_indexes WHERE indexname = 'entry_waiting'"),
                         "1")
        sqlite = super().config(dir=os.path.join(self.tmp, "store"))
        p = self.q("init", conf=sqlite)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("backend = sqlite creates and migrates its index itself", p.stdout.decode())
        self.assertIn("--help", self.q("init", "--nope").stderr.decode())
        self.assertIn("Usage: mugai quarantine migrate", self.q("migrate", "--help").stdout.decode())

    def test_the_dsn_password_is_never_shown(self):
        for conf in (self.conf, self.config(backend="postgresql", dsn=self.pg.uri)):
            p = base.run("config", "check", "-v", "-c", conf)
            self.assertEqual(p.returncode, 0, p.stderr)
            out = p.stdout.decode()
            self.assertNotIn(PgCluster.PASSWORD, out)
            self.assertRegex(out, r"\ndsn = .*(password=\*\*\*|mugai:\*\*\*@)")
        bad = self.config(backend="postgresql")
        p = base.run("config", "check", "-c", bad)
        self.assertEqual(p.returncode, 2)
        self.assertIn("[quarantine] backend: postgresql needs [quarantine] dsn", p.stderr.decode())

    def test_the_audit_refuses_changes(self):
        self.q("delete", self.stored_id(), "--reason", "x")
        for change in ("UPDATE audit SET reason = 'y'", "DELETE FROM audit", "TRUNCATE audit"):
            with self.assertRaises(subprocess.CalledProcessError) as caught:
                self.sql(change)
            self.assertIn("append-only", caught.exception.stderr)
        self.assertEqual(len(json.loads(self.q("audit", "--json").stdout)), 1)


for name in ("test_an_unprivileged_user_is_told_whose_store_it_is",
             "test_root_storing_leaves_everything_to_the_stores_owner",
             "test_root_gives_the_store_to_its_user_and_group_whose_members_may_use_it",
             "test_what_an_older_mugai_left_roots_is_given_back",
             "test_fsck_reports_an_owner_or_mode_that_is_not_the_stores_and_root_fixes_it"):
    setattr(QuarantinePostgreSQL, name, unittest.skip(SQLITE_ONLY)(lambda self: None))


if __name__ == "__main__":
    why = PgCluster.unavailable()
    if why:
        print(f"SKIP: {why}", file=sys.stderr)
        sys.exit(77)
    unittest.main()
