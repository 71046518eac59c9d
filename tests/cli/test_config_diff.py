#!/usr/bin/env python3
"""`mugai config diff -c OLD -c NEW DIR...` as an admin uses it before deploying a new
configuration: which saved messages the new one would judge differently (verdict, reason, reply,
direction or actions), the last summary line, and diff(1)'s exit status (0 same, 1 changed,
2 trouble). Every configuration scans with the test signatures, as mugai-milter would."""
import os, re, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
CORPUS = os.path.join(os.path.dirname(ROOT), "shared", "corpus", "public")
BASE = scan_db.config_with_database(
    open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read(), scan_db.database())
INSIDE = "city.example.lg.jp"
SUMMARY = re.compile(r"^(\d+) messages?, (\d+) would change \((\d+) verdict changes?\)(, (\d+) could not be read)?$")


def message(subject="お知らせ", extra_headers="", body="本日の会議は 15 時からです。\r\n"):
    return (f"From: partner@example.com\r\nTo: taro@{INSIDE}\r\nSubject: {subject}\r\n"
            "Date: Tue, 01 Dec 2026 10:00:00 +0900\r\nMessage-ID: <m@example.com>\r\n"
            f"{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            f"{body}").encode()


class Diff(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mugai-config-diff-")
        self.addCleanup(subprocess.run, ["rm", "-rf", self.tmp])
        self.mail = os.path.join(self.tmp, "mail")
        os.makedirs(self.mail)

    def conf(self, name, *changes):
        """A config file: the base with each (group, {key: value}) of CHANGES applied."""
        text = BASE
        for group, keys in changes:
            text = scan_db.config_with_keys(text, group, **keys)
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def save(self, relpath, raw):
        path = os.path.join(self.mail, relpath)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(raw)
        return path

    def diff(self, old, new, *args, paths=None):
        cmd = [MUGAI, "config", "diff", "-c", old, "-c", new, *args] + (paths or [self.mail])
        p = subprocess.run(cmd, capture_output=True, timeout=300)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def lines(self, out):
        """{PATH: the rest of its line} for every message line, and the summary's numbers."""
        rows = out.splitlines()
        self.assertTrue(rows, "no output")
        m = SUMMARY.match(rows[-1])
        self.assertIsNotNone(m, f"last line is not the summary: {rows[-1]!r}")
        listed = {}
        for row in rows[:-1]:
            path, rest = row.split(": ", 1)
            listed[os.path.relpath(path, self.mail)] = rest
        counts = tuple(int(m.group(i) or 0) for i in (1, 2, 3, 5))
        return listed, counts

    def test_identical_configs_change_nothing(self):
        self.save("a.eml", message())
        self.save("b/c.eml", message(body="<https://example.com/>\r\n"))
        conf = self.conf("same.conf")
        rc, out, err = self.diff(conf, conf)
        self.assertEqual(rc, 0, err)
        listed, counts = self.lines(out)
        self.assertEqual(listed, {})
        self.assertEqual(counts, (2, 0, 0, 0))
        self.assertIn("2 messages, 0 would change (0 verdict changes)", out)
        self.assertEqual(err, "")

    def test_lower_max_message_size_refuses_the_big_message(self):
        self.save("small.eml", message())
        self.save("big.eml", message(body="大きな添付の代わりに長い本文です。\r\n" * 200))
        old = self.conf("old.conf")
        new = self.conf("new.conf", ("inbound", {"max_message_size": "4K"}))
        rc, out, err = self.diff(old, new)
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["big.eml"])
        self.assertEqual(counts, (2, 1, 1, 0))
        self.assertRegex(listed["big.eml"],
                         r'^verdict=deliver actions=\S+ -> verdict=reject reason=too_big '
                         r'reply="552 5\.3\.4 [^"]*limit 4K for inbound mail\)"$')
        # The envelope's SIZE= is applied too: refused at MAIL FROM under NEW only.
        rc, out, err = self.diff(old, new, "--size", "5000", paths=[os.path.join(self.mail, "small.eml")])
        self.assertEqual(rc, 1, err)
        self.assertIn("-> verdict=reject reason=too_big", out)

    def test_autoforward_both_lists_only_the_forwarded_inbound_message(self):
        self.save("forwarded.eml", message(extra_headers="Auto-Submitted: auto-forwarded\r\n"))
        self.save("ordinary.eml", message())
        self.save("reply.eml", message(subject="Re: お知らせ", extra_headers="In-Reply-To: <x@example.com>\r\n"))
        old = self.conf("old.conf")
        new = self.conf("new.conf", ("autoforward", {"block": "both"}))
        rc, out, err = self.diff(old, new)
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["forwarded.eml"])
        self.assertEqual(counts, (3, 1, 1, 0))
        self.assertRegex(listed["forwarded.eml"],
                         r'^verdict=deliver actions=\S+ -> verdict=reject reason=autoforward '
                         r'reply="550 5\.7\.1 Automatic forwarding is not allowed by this gateway '
                         r'\(Auto-Submitted\)"$')

    def test_action_only_change_keeps_the_verdict(self):
        self.save("link.eml", message(body="資料: https://example.com/files/a.pdf\r\n"))
        self.save("nolink.eml", message())
        old = self.conf("old.conf")
        new = self.conf("new.conf", ("links", {"defang_web": "yes"}))
        rc, out, err = self.diff(old, new)
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["link.eml"])
        self.assertEqual(counts, (2, 1, 0, 0))
        before, after = listed["link.eml"].split(" -> ")
        self.assertTrue(before.startswith("verdict=deliver actions="), before)
        self.assertTrue(after.startswith("verdict=deliver actions="), after)
        self.assertNotIn("link_defanged", before)
        self.assertIn("link_defanged", after)

    def test_subject_tag_is_an_action_of_every_inbound_message(self):
        self.save("a.eml", message())
        self.save("b.eml", message(subject="[外部] 既に付いている"))
        new = self.conf("new.conf", ("gateway", {"external_subject_tag": "[外部]"}))
        rc, out, err = self.diff(self.conf("old.conf"), new)
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["a.eml"])  # the tag is put once, not twice
        self.assertIn("subject_tagged", listed["a.eml"].split(" -> ")[1])

    def test_direction_decided_by_each_config_is_shown(self):
        self.save("a.eml", message())
        old = self.conf("old.conf")
        new = self.conf("new.conf", ("gateway", {"internal_networks": "192.0.2.0/24"}))
        rc, out, err = self.diff(old, new, "--client", "192.0.2.7")
        self.assertEqual(rc, 1, err)
        listed, _ = self.lines(out)
        self.assertRegex(listed["a.eml"], r"^verdict=deliver direction=in .* -> verdict=deliver direction=out ")
        # --direction wins over [gateway], for both configurations alike.
        rc, out, err = self.diff(old, new, "--client", "192.0.2.7", "--direction", "in")
        self.assertEqual(rc, 0, err)

    def test_verbose_lists_unchanged_messages(self):
        self.save("a.eml", message())
        conf = self.conf("same.conf")
        rc, out, err = self.diff(conf, conf, "-v")
        self.assertEqual(rc, 0, err)
        listed, counts = self.lines(out)
        self.assertRegex(listed["a.eml"], r"^verdict=deliver actions=\S+ \(unchanged\)$")
        self.assertEqual(counts, (1, 0, 0, 0))

    def test_folders_recursive_sorted_hidden_left_out(self):
        forwarded = message(extra_headers="Auto-Submitted: auto-forwarded\r\n")
        for rel in ("b.eml", "a/z.eml", "a/sub/y", "c-d.eml", ".hidden.eml", ".git/x.eml", "日本語.eml"):
            self.save(rel, forwarded)
        os.symlink(os.path.join(self.mail, "a"), os.path.join(self.mail, "loop"))  # not followed
        os.mkfifo(os.path.join(self.mail, "fifo"))  # not a regular file: left out
        new = self.conf("new.conf", ("autoforward", {"block": "both"}))
        single = self.save("elsewhere/.named.eml", forwarded)  # named itself: judged
        rc, out, err = self.diff(self.conf("old.conf"), new, paths=[self.mail, single])
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["a/sub/y", "a/z.eml", "b.eml", "c-d.eml", "日本語.eml",
                                        "elsewhere/.named.eml"])
        self.assertEqual(counts, (6, 6, 6, 0))

    def test_control_characters_in_a_file_name_are_escaped(self):
        self.save("evil\nfake.eml: verdict=x", message(extra_headers="Auto-Submitted: auto-forwarded\r\n"))
        new = self.conf("new.conf", ("autoforward", {"block": "both"}))
        rc, out, err = self.diff(self.conf("old.conf"), new)
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertIn("evil\\012fake.eml", out)

    def test_missing_files_are_reported_counted_and_exit_2(self):
        self.save("ok.eml", message(extra_headers="Auto-Submitted: auto-forwarded\r\n"))
        os.symlink(os.path.join(self.tmp, "gone.eml"), os.path.join(self.mail, "dangling.eml"))
        expected_unreadable = 2  # permissions: the test below
        new = self.conf("new.conf", ("autoforward", {"block": "both"}))
        missing = os.path.join(self.tmp, "no-such.eml")
        rc, out, err = self.diff(self.conf("old.conf"), new, paths=[self.mail, missing])
        self.assertEqual(rc, 2, err)
        listed, counts = self.lines(out)
        self.assertEqual(list(listed), ["ok.eml"])  # the others are still compared
        self.assertEqual(counts, (1 + expected_unreadable, 1, 1, expected_unreadable))
        self.assertIn(f"mugai config diff: {self.mail}/dangling.eml: No such file or directory", err)
        self.assertIn(f"mugai config diff: {missing}: No such file or directory", err)

    def test_a_file_and_a_folder_without_permission_are_counted(self):
        """Run as nobody when the tests run as root, who may read anything."""
        user = None
        if os.geteuid() == 0:
            import pwd
            try:
                user = pwd.getpwnam("nobody").pw_uid
            except KeyError:
                self.skipTest("no user nobody to run as")
        os.chmod(self.tmp, 0o755)
        self.save("ok.eml", message(extra_headers="Auto-Submitted: auto-forwarded\r\n"))
        os.chmod(self.save("secret.eml", message()), 0)
        closed = os.path.dirname(self.save("closed/x.eml", message()))
        os.chmod(closed, 0)
        self.addCleanup(os.chmod, closed, 0o755)  # so that it can be removed
        old, new = self.conf("old.conf"), self.conf("new.conf", ("autoforward", {"block": "both"}))
        p = subprocess.run([MUGAI, "config", "diff", "-c", old, "-c", new, self.mail],
                           capture_output=True, text=True, timeout=120, user=user)
        self.assertEqual(p.returncode, 2, p.stderr)
        listed, counts = self.lines(p.stdout)
        self.assertEqual(list(listed), ["ok.eml"])
        self.assertEqual(counts, (2, 1, 1, 2))  # a folder that cannot be listed holds no message
        self.assertIn(f"mugai config diff: cannot open {self.mail}/secret.eml: Permission denied", p.stderr)
        self.assertRegex(p.stderr, r"mugai config diff: .*closed.*: Permission denied")

    def test_bad_new_config_is_exit_2_naming_file_and_line(self):
        self.save("a.eml", message())
        bad = os.path.join(self.tmp, "bad.conf")
        with open(bad, "w") as f:
            f.write("[limits]\nmime_depth = 200\n\n[scna]\n")
        rc, out, err = self.diff(self.conf("old.conf"), bad)
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn(f"{bad}:2: [limits] mime_depth: 200 is above the maximum 100", err)
        self.assertIn(f"{bad}:4: [scna]: unknown group", err)
        # Exactly what `mugai config check` prints for it.
        check = subprocess.run([MUGAI, "config", "check", "-c", bad], capture_output=True, text=True)
        self.assertEqual(check.returncode, 2)
        self.assertEqual(err, check.stderr)
        rc, out, err = self.diff(self.conf("old.conf"), os.path.join(self.tmp, "missing.conf"))
        self.assertEqual(rc, 2)
        self.assertIn("missing.conf", err)

    def test_unusable_scanner_is_said_once_and_tempfails_as_the_milter_would(self):
        self.save("a.eml", message())
        self.save("b.eml", message())
        empty = os.path.join(self.tmp, "no-signatures")
        os.makedirs(empty)
        new = self.conf("new.conf", ("scan", {"database_dir": empty}))
        rc, out, err = self.diff(self.conf("old.conf"), new)
        self.assertEqual(rc, 1, err)
        listed, counts = self.lines(out)
        self.assertEqual(counts, (2, 2, 2, 0))
        for rest in listed.values():
            self.assertRegex(rest, r'-> verdict=tempfail reason=scan_error reply="451 4\.3\.0 ')
        self.assertEqual(err.count("mugai config diff: NEW: virus scanner: "), 1, err)

    def test_judges_exactly_as_mugai_sanitize(self):
        """The line's NEW side is what `mugai sanitize -c NEW` says for the same message."""
        self.save("forwarded.eml", message(extra_headers="Auto-Submitted: auto-forwarded\r\n"))
        self.save("big.eml", message(body=("x" * 76 + "\r\n") * 100))
        self.save("link.eml", message(body="https://example.com/\r\n"))
        old = self.conf("old.conf")
        new = self.conf("new.conf", ("autoforward", {"block": "both"}), ("inbound", {"max_message_size": "4K"}),
                        ("links", {"defang_web": "yes"}))
        rc, out, err = self.diff(old, new, "--from", "partner@example.com", "--rcpt", f"taro@{INSIDE}")
        self.assertEqual(rc, 1, err)
        listed, _ = self.lines(out)
        self.assertEqual(sorted(listed), ["big.eml", "forwarded.eml", "link.eml"])
        for rel, rest in listed.items():
            for conf, side in ((old, rest.split(" -> ")[0]), (new, rest.split(" -> ")[1])):
                p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--from", "partner@example.com",
                                    "--rcpt", f"taro@{INSIDE}", os.path.join(self.mail, rel)],
                                   capture_output=True, timeout=60)
                summary = p.stderr.decode().strip().splitlines()[-1]
                fields = dict(re.findall(r'(\w+)=("[^"]*"|\S+)', summary))
                for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', side):
                    self.assertEqual(fields.get(key), value, f"{rel}: {key} in {summary}")

    def test_public_corpus_with_identical_configs_changes_nothing(self):
        if not os.path.isdir(CORPUS):
            self.skipTest(f"{CORPUS} not found")
        conf = self.conf("same.conf")
        rc, out, err = self.diff(conf, conf, paths=[CORPUS])
        self.assertEqual(rc, 0, (out + err)[-3000:])
        rows = out.splitlines()
        self.assertEqual(len(rows), 1, out[-2000:])
        m = SUMMARY.match(rows[0])
        self.assertIsNotNone(m, rows[0])
        self.assertGreaterEqual(int(m.group(1)), 300)
        self.assertEqual(int(m.group(2)), 0)


class Usage(unittest.TestCase):
    CONF = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))

    def run_mugai(self, *args):
        return subprocess.run([MUGAI, *args], capture_output=True, text=True, timeout=60)

    def test_help_documents_the_command_and_its_exit_status(self):
        p = self.run_mugai("config", "diff", "--help")
        self.assertEqual(p.returncode, 0)
        for word in ("-c OLD -c NEW", "--from", "--rcpt", "--client", "--direction", "--daemon-name",
                     "--size", "-v", "Exit status", "0   no message would change",
                     "1   at least one message would change", "2   usage or configuration error"):
            self.assertIn(word, p.stdout)

    def test_config_help_lists_both_subcommands(self):
        p = self.run_mugai("config", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("mugai config check", p.stdout)
        self.assertIn("mugai config diff -c OLD -c NEW", p.stdout)
        p = self.run_mugai("config", "frobnicate")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, "")
        self.assertIn("mugai config diff", p.stderr)
        p = self.run_mugai("--help")
        self.assertIn("config diff", p.stdout)

    def test_wrong_usage_is_exit_2_with_usage(self):
        with tempfile.TemporaryDirectory() as tmp:
            for args, why in ((["-c", self.CONF, tmp], "give two configurations"),
                              (["-c", self.CONF, "-c", self.CONF, "-c", self.CONF, tmp], "give two configurations"),
                              (["-c", self.CONF, "-c", self.CONF], "no folder or message"),
                              ([tmp], "give two configurations"),
                              (["-c", self.CONF, "-c", self.CONF, "--direction", "sideways", tmp], "--direction"),
                              (["-c", self.CONF, "-c", self.CONF, "--no-such-option", tmp], "no-such-option")):
                with self.subTest(args=args):
                    p = self.run_mugai("config", "diff", *args)
                    self.assertEqual(p.returncode, 2, p.stderr)
                    self.assertEqual(p.stdout, "")
                    self.assertIn(why, p.stderr)
                    if why != "--direction":
                        self.assertIn("Usage: mugai config diff -c OLD -c NEW", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
