#!/usr/bin/env python3
"""`mugai contacts list|export|add|remove` as an admin meets them, on a real quarantine store (a
real SQLite index; test_contacts_pg.py runs the same on PostgreSQL): an empty table, a row added
and shown by list, list --user, list --json and export (TSV and JSON), remove, the audit of both,
`mugai quarantine purge` removing a learned row past [contacts] retention and keeping an added one,
and every error path (no such row, not an address, no quarantine, unknown subcommand) with its
exit status; then `mugai sanitize --first-contact` choosing the first-contact rule."""
import json, os, shutil, sqlite3, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
USER = "taro@city.example.lg.jp"
RULE = """
[rule first-contact]
match_first_contact = yes
notice.banner = 【初めての差出人】このアドレスとは、これまで庁内の誰もやり取りしていません。
links.defang_web = yes
"""


def run(*args, stdin=None):
    return subprocess.run([MUGAI] + list(args), input=stdin, capture_output=True, timeout=120)


class Contacts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mugai-contacts-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.store = os.path.join(self.tmp, "quarantine")
        self.conf = self.config(self.quarantine_keys())
        self.make_store()

    def make_store(self):
        """The store exists once something was kept: `mugai sanitize` of an HTML mail makes it."""
        html = ("From: a@example.com\r\nTo: taro@city.example.lg.jp\r\nSubject: x\r\n"
                "Content-Type: text/html\r\n\r\n<p>x</p>\r\n").encode()
        p = run("sanitize", "-c", self.conf, "--from", "a@example.com", "--rcpt", USER,
                "--direction", "in", stdin=html)
        self.assertEqual(p.returncode, 0, p.stderr)

    def quarantine_keys(self):
        return {"dir": self.store}

    def config(self, quarantine, rules=""):
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), scan_db.database())
        text = scan_db.config_with_keys(text, "gateway", internal_domains="city.example.lg.jp")
        if quarantine:
            text = scan_db.config_with_keys(text, "quarantine", **quarantine)
        path = os.path.join(self.tmp, f"mugai-{len(os.listdir(self.tmp))}.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + rules)
        return path

    def c(self, *args, conf=None):
        return run("contacts", args[0], "-c", conf or self.conf, *args[1:])

    def insert_learned(self, user, addr, last_seen):
        """A row as the milter learns it, written beside mugai."""
        db = sqlite3.connect(os.path.join(self.store, "index.sqlite"))
        with db:
            db.execute("INSERT INTO contact VALUES (?, ?, ?, ?, 0)",
                       (user, addr, addr.split("@")[1], last_seen))
        db.close()

    def test_add_list_export_remove(self):
        p = self.c("list")
        self.assertEqual((p.returncode, p.stdout), (0, b""), p.stderr)
        self.assertIn(b"no contacts", p.stderr)
        p = self.c("add", "Taro@City.Example.lg.jp", "Partner@Example.COM")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode(), f"{USER} -> partner@example.com: added\n")
        self.assertEqual(self.c("add", USER, "vendor@example.net").returncode, 0)
        self.assertEqual(self.c("add", "hanako@city.example.lg.jp", "x@example.org").returncode, 0)
        lines = self.c("list", "--user", USER).stdout.decode().splitlines()
        self.assertEqual(len(lines), 2, lines)
        self.assertTrue(lines[0].startswith(USER) and "partner@example.com" in lines[0], lines)
        self.assertIn("(added by an admin)", lines[0])
        rows = json.loads(self.c("list", "--json").stdout)
        self.assertEqual([(r["user"], r["address"], r["domain"], r["source"]) for r in rows],
                         [("hanako@city.example.lg.jp", "x@example.org", "example.org", "admin"),
                          (USER, "partner@example.com", "example.com", "admin"),
                          (USER, "vendor@example.net", "example.net", "admin")])
        self.assertLessEqual(abs(rows[0]["last_seen"] - time.time()), 60)
        tsv = self.c("export").stdout.decode().splitlines()
        self.assertEqual(tsv[0], "user\taddress\tdomain\tlast_seen\tsource")
        self.assertEqual(tsv[2].split("\t")[:3], [USER, "partner@example.com", "example.com"])
        self.assertEqual(tsv[2].split("\t")[4], "admin")
        self.assertEqual(json.loads(self.c("export", "--json").stdout), rows)
        p = self.c("remove", USER, "PARTNER@example.com")
        self.assertEqual((p.returncode, p.stdout.decode()),
                         (0, f"{USER} -> partner@example.com: removed\n"), p.stderr)
        p = self.c("remove", USER, "partner@example.com")
        self.assertEqual(p.returncode, 4)
        self.assertIn(b"no contact", p.stderr)
        audit = json.loads(run("quarantine", "audit", "--json", "-c", self.conf).stdout)
        self.assertEqual([(r["action"], r["detail"]) for r in audit],
                         [("contact-add", f"{USER} -> partner@example.com"),
                          ("contact-add", f"{USER} -> vendor@example.net"),
                          ("contact-add", "hanako@city.example.lg.jp -> x@example.org"),
                          ("contact-remove", f"{USER} -> partner@example.com")])

    def test_purge_removes_learned_rows_past_retention_and_keeps_added_ones(self):
        self.assertEqual(self.c("add", USER, "kept@example.com").returncode, 0)
        day = 86400
        self.insert_learned(USER, "old@example.com", int(time.time()) - 200 * day)
        self.insert_learned(USER, "new@example.com", int(time.time()) - 10 * day)
        p = run("quarantine", "purge", "--reason", "retention", "-c", self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 contacts last seen more than 180d ago removed\n", p.stdout.decode())
        left = [r["address"] for r in json.loads(self.c("list", "--json").stdout)]
        self.assertEqual(left, ["kept@example.com", "new@example.com"])

    def test_errors_have_their_exit_status(self):
        p = self.c("add", "taro", "partner@example.com")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"'taro' is not an address", p.stderr)
        self.assertEqual(self.c("add", USER).returncode, 2)
        self.assertEqual(self.c("list", "extra").returncode, 2)
        self.assertEqual(self.c("list", "--nope").returncode, 2)
        p = self.c("list", conf=self.config(None))
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"there is no quarantine", p.stderr)
        p = run("contacts", "frobnicate")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"unknown subcommand 'frobnicate'", p.stderr)
        self.assertEqual(run("contacts").returncode, 2)
        p = run("contacts", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"Exit status", p.stdout)
        self.assertIn(b"Usage: mugai contacts add", run("contacts", "add", "--help").stdout)

    def test_sanitize_first_contact_chooses_the_rule(self):
        conf = self.config(self.quarantine_keys(), RULE)
        raw = ("From: new@example.com\r\nTo: taro@city.example.lg.jp\r\nSubject: s\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\n"
               "https://evil.example/login\r\n").encode()
        args = ["sanitize", "-c", conf, "--from", "new@example.com", "--rcpt", USER,
                "--direction", "in"]
        first = run(*args, "--first-contact", stdin=raw)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertIn(b"rule=first-contact", first.stderr)
        self.assertIn(b"X-Mugai-Actions: link_defanged,banner", first.stdout)
        other = run(*args, stdin=raw)
        self.assertEqual(other.returncode, 0, other.stderr)
        self.assertNotIn(b"rule=", other.stderr)
        self.assertIn(b"https://evil.example/login", other.stdout)
        self.assertNotIn(b"banner", other.stdout)
        out = run(*args[:-1], "out", "--first-contact", stdin=raw)  # never for outbound mail
        self.assertNotIn(b"rule=", out.stderr)


if __name__ == "__main__":
    unittest.main()
