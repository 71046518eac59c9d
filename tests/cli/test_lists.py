#!/usr/bin/env python3
"""[lists] allow_senders and strict_senders as an admin keeps them: `mugai lists export` and
`mugai lists import` (checked line by line, nothing changed on a bad line, sorted, previous kept),
the config refusing a bad or missing list file with FILE:LINE, and what each list does to a
sender's mail through `mugai sanitize` (on top of the recipient's rule)."""
import os, stat, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
INSIDE = "city.example.lg.jp"


def run(*args, stdin=None):
    return subprocess.run([MUGAI] + list(args), input=stdin, capture_output=True, timeout=60)


class Lists(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.allow = self.path("allow.txt", "# partners\r\nPartner.example.jp\r\n@trusted.example.com\r\n"
                                            "boss@example.org\r\n\r\nboss@EXAMPLE.org\r\n")
        self.strict = self.path("strict.txt", "bad.example.net\nboth.example.jp\n")
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), scan_db.database())
        text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE)
        text = scan_db.config_with_keys(text, "lists", allow_senders=self.allow,
                                        strict_senders=self.strict)
        text += (f"\n[rule finance]\nmatch_rcpt_domain = finance.{INSIDE}\n"
                 "inbound.max_message_size = 20M\n")
        self.conf = self.path("mugai.conf", text)

    def path(self, name, text):
        p = os.path.join(self.tmp.name, name)
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(p, 0o640)
        return p

    def read(self, p):
        with open(p, encoding="utf-8") as f:
            return f.read()

    def test_export_prints_the_senders_sorted_lower_case_once(self):
        p = run("lists", "export", "allow", "-c", self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertTrue(lines[0].startswith(f"# mugai allow list: {self.allow} (sha256 "), lines[0])
        self.assertTrue(lines[0].endswith("), 3 senders"), lines[0])
        self.assertEqual(lines[1:], ["boss@example.org", "partner.example.jp", "trusted.example.com"])

    def test_import_installs_the_list_keeps_the_previous_and_counts_changes(self):
        new = self.path("new.txt", "partner.example.jp\nnew.example.jp\n")
        p = run("lists", "import", "allow", new, "-c", self.conf, "--dry-run")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.decode().splitlines(),
                         ["+ new.example.jp", "- boss@example.org", "- trusted.example.com",
                          f"{self.allow}: would have 2 senders (+1 added, -2 removed); nothing "
                          "written (--dry-run)"])
        before = self.read(self.allow)
        self.assertIn("Partner.example.jp", before)  # --dry-run wrote nothing
        p = run("lists", "import", "allow", new, "-c", self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"{self.allow}: 2 senders (+1 added, -2 removed), the previous list kept as "
                      f"{self.allow}.bak", p.stdout.decode())
        self.assertEqual(self.read(self.allow).splitlines()[1:], ["new.example.jp", "partner.example.jp"])
        self.assertEqual(self.read(self.allow + ".bak"), before)
        self.assertEqual(stat.S_IMODE(os.stat(self.allow).st_mode), 0o640)
        # What import wrote loads, and export of it is the same list.
        p = run("lists", "export", "allow", "-c", self.conf)
        self.assertEqual(p.stdout.decode().splitlines()[1:], ["new.example.jp", "partner.example.jp"])

    def test_a_bad_line_changes_nothing_and_is_named_with_its_line(self):
        before = self.read(self.strict)
        p = run("lists", "import", "strict", "-", "-c", self.conf,
                stdin=b"ok.example.jp\nnot a domain\nx@\n")
        self.assertEqual(p.returncode, 2)
        err = p.stderr.decode()
        self.assertIn('-:2: "not a domain" is not a domain name', err)
        self.assertIn("-:3: ", err)
        self.assertEqual(self.read(self.strict), before)
        self.assertFalse(os.path.exists(self.strict + ".bak"))

    def test_usage_and_an_unset_list(self):
        self.assertEqual(run("lists", "export", "nope", "-c", self.conf).returncode, 2)
        self.assertEqual(run("lists", "import", "allow", "-c", self.conf).returncode, 2)
        conf = self.path("plain.conf", "[scan]\nbackend = none\n")
        p = run("lists", "export", "allow", "-c", conf)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"[lists] allow_senders is not set in {conf}", p.stderr.decode())
        p = run("lists", "--help")
        self.assertEqual(p.returncode, 0)
        for word in ("export NAME", "import NAME FILE", "FILE.bak", "Exit status"):
            self.assertIn(word, p.stdout.decode())

    def test_config_check_names_each_list_with_its_hash(self):
        import hashlib
        p = run("config", "check", "-c", self.conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(self.allow, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        self.assertIn(f"{self.allow}: valid, 3 senders, sha256 {digest}\n", p.stdout.decode())
        self.assertIn(f"{self.strict}: valid, 2 senders, sha256 ", p.stdout.decode())

    def test_the_config_refuses_a_missing_or_bad_list_file(self):
        self.path("strict.txt", "fine.example.jp\nbad line\n")
        p = run("config", "check", "-c", self.conf)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr.decode(), rf"{self.conf}:\d+: \[lists\] strict_senders: "
                                             rf"{self.strict}:2: \"bad line\" is not a domain name")
        os.unlink(self.strict)
        p = run("config", "check", "-c", self.conf)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"[lists] strict_senders: {self.strict}: No such file or directory",
                      p.stderr.decode())

    def sanitize(self, sender, rcpt=f"staff@{INSIDE}", size=None):
        raw = (f"From: 総務課 <soumu@{INSIDE}>\r\nTo: {rcpt}\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\n\r\n詳細 https://example.com/a\r\n").encode()
        args = ["sanitize", "-c", self.conf, "--direction", "in", "--from", sender, "--rcpt", rcpt]
        if size:
            args += ["--size", str(size)]
        p = run(*args, stdin=raw)
        return p.returncode, p.stdout.decode(), p.stderr.decode().strip().splitlines()[-1]

    def test_allow_exempts_from_impersonation_but_not_from_sanitizing(self):
        rc, out, line = self.sanitize("x@partner.example.jp")
        self.assertEqual(rc, 0, line)
        self.assertIn(" list=allow", line)
        self.assertNotIn("impersonation", line)
        self.assertIn("X-Mugai-Actions", out)  # still sanitized and scanned
        rc, out, line = self.sanitize("x@elsewhere.example.jp")  # not listed: the main warning
        self.assertEqual(rc, 0, line)
        self.assertIn("impersonation_warned", line)
        self.assertNotIn(" list=", line)

    def test_strict_refuses_the_claim_and_wins_over_allow(self):
        rc, _, line = self.sanitize("x@bad.example.net")
        self.assertEqual(rc, 3, line)
        self.assertIn("reason=impersonation", line)
        self.assertIn(" list=strict", line)
        self.path("allow.txt", "both.example.jp\n")
        rc, _, line = self.sanitize("x@both.example.jp")
        self.assertEqual(rc, 3, line)
        self.assertIn(" list=strict", line)

    def test_a_listed_sender_keeps_the_rule_of_its_recipient(self):
        rc, _, line = self.sanitize("x@partner.example.jp", rcpt=f"k@finance.{INSIDE}", size=15 << 20)
        self.assertEqual(rc, 0, line)
        self.assertIn(" rule=finance list=allow", line)
        rc, _, line = self.sanitize("x@partner.example.jp", size=15 << 20)
        self.assertEqual(rc, 3, line)
        self.assertIn("reason=too_big", line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
