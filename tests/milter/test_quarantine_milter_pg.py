#!/usr/bin/env python3
"""The real mugai-milter with [quarantine] backend = postgresql, on a private cluster
(tests/pg_cluster.py), driven over the milter protocol (milter_client.py plays Postfix): a message
that needs the quarantine is kept before its answer; while the server is stopped such a message is
deferred (451 4.3.0, logged without the dsn's password) and one that needs no quarantine still
passes; once the server is back the next message is kept again by the same mugai-milter, which
was never restarted; nothing half of the deferred one is left. Skipped (77) where no cluster can
be started."""
import json, os, shutil, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from pg_cluster import PgCluster  # noqa: E402
import test_quarantine_milter as base  # noqa: E402

PLAIN = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: plain\r\n\r\n"
         b"nothing to sanitize here\r\n")


class QuarantineMilterPostgreSQL(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="mugai-qmilter-pg-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.pg = PgCluster()
        self.addCleanup(self.pg.remove)
        self.pg.start()

    def init_schema(self):
        """`mugai quarantine init` on the cluster's database, as the admin runs it."""
        conf = os.path.join(self.work, "init.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(f"[scan]\nbackend = none\n[quarantine]\nbackend = postgresql\ndsn = {self.pg.dsn}\n")
        init = subprocess.run([base.MUGAI, "quarantine", "init", "-c", conf], capture_output=True,
                              timeout=60)
        self.assertEqual(init.returncode, 0, init.stderr)

    def send_until_kept(self, m, queue_id):
        """An HTML message, sent again each second until it is kept (the milter tries the
        database again every 5 s, from the next message that needs it), at most 30 s."""
        deadline = time.monotonic() + 30
        while True:
            r = m.send(base.HTML, queue_id)
            if r.action == "continue" or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.assertEqual(r.action, "continue", m.log())

    def cli(self, m, *args):
        return subprocess.run([base.MUGAI, "quarantine", args[0], "-c", m.conf] + list(args[1:]),
                              capture_output=True, timeout=60)

    def test_an_outage_defers_what_must_be_kept_and_the_milter_reconnects_by_itself(self):
        self.init_schema()  # the admin's step before the milter starts
        m = base.Milter(self.work, "pg", quarantine={"backend": "postgresql", "dsn": self.pg.dsn})
        self.addCleanup(m.stop)
        self.assertEqual(m.send(base.HTML, "4TPG0001").action, "continue")
        self.pg.stop()
        r = m.send(base.HTML, "4TPG0002")
        self.assertEqual(r.action, "tempfail")
        self.assertTrue(r.reply.code.startswith("451 4.3.0 "), r.reply.code)
        self.assertEqual(m.send(PLAIN, "4TPG0003").action, "continue")  # needs no quarantine
        r = m.send(base.HTML, "4TPG0004")  # still down: deferred again, the milter still up
        self.assertEqual(r.action, "tempfail")
        self.assertIsNone(m.proc.poll())
        self.pg.start()
        self.assertEqual(m.send(base.HTML, "4TPG0005").action, "continue")
        log = m.log()
        self.assertRegex(log, r"4TPG0002: original not kept in the quarantine host=127\.0\.0\.1 .*"
                              r"password=\*\*\*.*; deferred")
        self.assertNotIn(PgCluster.PASSWORD, log)
        self.assertRegex(log, r"4TPG0003: .*verdict=deliver")
        listed = json.loads(self.cli(m, "list", "--json").stdout)
        self.assertEqual(sorted(e["queue_id"] for e in listed), ["4TPG0001", "4TPG0005"])
        fsck = self.cli(m, "fsck")
        self.assertEqual(fsck.returncode, 0, fsck.stderr)
        self.assertIn("2 originals, 2 entries; removed 0 entries without an original",
                      fsck.stdout.decode())

    def test_started_while_the_database_is_down_it_runs_and_opens_the_store_later(self):
        """A host restarted during an outage: mugai-milter starts all the same, passes what needs
        no quarantine, defers (451) what does, and keeps it once the database is back."""
        self.init_schema()
        self.pg.stop()
        m = base.Milter(self.work, "late", quarantine={"backend": "postgresql", "dsn": self.pg.dsn})
        self.addCleanup(m.stop)
        self.assertIn("messages whose original must be kept are deferred (451)", m.log())
        self.assertNotIn(PgCluster.PASSWORD, m.log())
        r = m.send(base.HTML, "4TPL0001")
        self.assertEqual(r.action, "tempfail")
        self.assertTrue(r.reply.code.startswith("451 4.3.0 "), r.reply.code)
        self.assertEqual(m.send(PLAIN, "4TPL0002").action, "continue")
        self.pg.start()
        self.send_until_kept(m, "4TPL0003")
        self.assertIn("quarantine: originals are kept in host=127.0.0.1", m.log())
        listed = json.loads(self.cli(m, "list", "--json").stdout)
        self.assertEqual([e["queue_id"] for e in listed], ["4TPL0003"])

    def test_started_before_the_schema_exists_it_defers_until_init(self):
        """Hosts upgraded or installed before the admin ran `mugai quarantine init`: the milter
        runs, defers what must be kept, and keeps it once the schema is there."""
        m = base.Milter(self.work, "noschema", quarantine={"backend": "postgresql", "dsn": self.pg.dsn})
        self.addCleanup(m.stop)
        self.assertIn("messages whose original must be kept are deferred (451)", m.log())
        self.assertEqual(m.send(base.HTML, "4TPS0001").action, "tempfail")
        self.assertEqual(m.send(PLAIN, "4TPS0002").action, "continue")
        self.init_schema()
        self.send_until_kept(m, "4TPS0003")
        listed = json.loads(self.cli(m, "list", "--json").stdout)
        self.assertEqual([e["queue_id"] for e in listed], ["4TPS0003"])


if __name__ == "__main__":
    why = PgCluster.unavailable()
    if why:
        print(f"SKIP: {why}", file=sys.stderr)
        sys.exit(77)
    unittest.main()
