#!/usr/bin/env python3
"""tests/cli/test_contacts.py once more with [quarantine] backend = postgresql, on a private cluster
(tests/pg_cluster.py) given its schema (`mugai quarantine init`) before each test; the learned rows
are written with SQL into the database. Skipped (77) where no cluster can be started."""
import os, sys, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import test_contacts as base  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402


class ContactsPostgreSQL(base.Contacts):
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

    def make_store(self):
        p = base.run("quarantine", "init", "-c", self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)

    def quarantine_keys(self):
        return {"backend": "postgresql", "dsn": self.pg.dsn}

    def insert_learned(self, user, addr, last_seen):
        domain = addr.split("@")[1]
        self.pg.psql(f"INSERT INTO contact VALUES ('{user}', '{addr}', '{domain}', {last_seen},"
                     " false)", db="mugai")


if __name__ == "__main__":
    why = PgCluster.unavailable()
    if why:
        print(f"SKIP: {why}", file=sys.stderr)
        sys.exit(77)
    unittest.main()
