#!/usr/bin/env python3
"""`mugai` and `mugai-milter` as an admin uses them: help texts, exit codes, stdout discipline
(nothing on stdout unless exit 0), the summary line, the JSON report, config check."""
import json, os, subprocess, sys, tempfile, unittest

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(ROOT, "build", "mugai-milter")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them
CONF = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))
GOLDEN = os.path.join(ROOT, "tests", "golden")
NEWSLETTER = os.path.join(GOLDEN, "japanese_html_newsletter", "input.eml")
ATTACH = os.path.join(GOLDEN, "attachments_japanese_names", "input.eml")


def run(*args, stdin=None, conf=CONF):
    cmd = [MUGAI] + list(args[:1]) + (["-c", conf] if conf and args and args[0] == "sanitize" else []) + list(args[1:])
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)


def write_conf(tmp, text):
    path = os.path.join(tmp, "mugai.conf")
    with open(path, "w") as f:
        f.write(text)
    return path


class Help(unittest.TestCase):
    def test_mugai_help_lists_commands_and_exit_codes(self):
        p = subprocess.run([MUGAI, "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for word in ("sanitize", "config check", "75", "Exit status"):
            self.assertIn(word, p.stdout)

    def test_sanitize_help_documents_options_and_exit_codes(self):
        p = subprocess.run([MUGAI, "sanitize", "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for word in ("--from", "--rcpt", "--client", "--direction", "--report-json", "-c",
                     "0 ", "2 ", "3 ", "75"):
            self.assertIn(word, p.stdout)

    def test_milter_help(self):
        p = subprocess.run([MILTER, "-h"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        for word in ("-c", "-p", "-f", "SOCKET", "inet:", "milter_default_action = tempfail"):
            self.assertIn(word, p.stdout)

    def test_milter_bad_option_is_usage_error(self):
        p = subprocess.run([MILTER, "--no-such-option"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)

    def test_milter_bad_config_is_exit_2_naming_the_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[milter]\nsocket = tcp:1\n")
            p = subprocess.run([MILTER, "-f", "-c", conf], capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn(f"{conf}:2: [milter] socket", p.stderr)

    def test_milter_listens_on_a_unix_socket_and_stops_on_sigterm(self):
        import signal, time
        with tempfile.TemporaryDirectory() as tmp:
            sock = os.path.join(tmp, "mugai.sock")
            p = subprocess.Popen([MILTER, "-f", "-c", CONF, "-p", f"unix:{sock}"],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                for _ in range(100):
                    if os.path.exists(sock):
                        break
                    time.sleep(0.05)
                self.assertTrue(os.path.exists(sock), "no socket file")
            finally:
                p.send_signal(signal.SIGTERM)
                out = p.communicate(timeout=15)[0].decode()
            self.assertEqual(p.returncode, 0, out)
            self.assertIn(f"starting on unix:{sock}", out)
            self.assertIn("stopped", out)

    def test_unknown_command_and_option_exit_2_with_empty_stdout(self):
        self.assertEqual(subprocess.run([MUGAI, "frobnicate"], capture_output=True).returncode, 2)
        p = run("sanitize", "--no-such-option", NEWSLETTER)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, b"")
        p = run("sanitize", "--direction", "sideways", NEWSLETTER)
        self.assertEqual(p.returncode, 2)


class Sanitize(unittest.TestCase):
    def test_delivered_message_on_stdout_and_summary_last_on_stderr(self):
        p = run("sanitize", "--from", "a@example.jp", "--rcpt", "b@city.example.lg.jp", NEWSLETTER)
        self.assertEqual(p.returncode, 0)
        self.assertIn(b"Content-Type: text/plain; charset=UTF-8", p.stdout)
        last = p.stderr.decode().strip().splitlines()[-1]
        self.assertRegex(last, r"^NOQUEUE: from=<a@example.jp> rcpts=1 .*verdict=deliver .*actions=html2text")

    def test_stdin_gives_the_same_bytes_as_a_file(self):
        a = run("sanitize", ATTACH)
        b = run("sanitize", stdin=open(ATTACH, "rb").read())
        self.assertEqual(a.returncode, 0)
        self.assertEqual(a.stdout, b.stdout)

    def test_report_json_has_the_contract_fields(self):
        with tempfile.TemporaryDirectory() as tmp:
            rep = os.path.join(tmp, "r.json")
            p = run("sanitize", "--report-json", rep, ATTACH)
            self.assertEqual(p.returncode, 0)
            r = json.load(open(rep))
        self.assertEqual(r["version"], 1)
        self.assertEqual(r["verdict"], "deliver")
        self.assertIsNone(r["reply"])
        self.assertEqual(r["direction"], "in")
        self.assertIn("removed", r["actions"])
        removed = [x for x in r["parts"] if x["action"] == "removed"]
        self.assertEqual(sorted(x["name"] for x in removed), sorted(["請求書.xlsx", "見積書.pdf"]))
        # The zip holds a text file: its text is delivered instead ([inbound] convert).
        zipped = next(x for x in r["parts"] if x["name"] == "資料一式.zip")
        self.assertEqual(zipped["action"], "extracted")
        self.assertEqual(zipped["conversion"]["type"], "zip")
        self.assertEqual((zipped["conversion"]["unit"], zipped["conversion"]["count"]), ("files", 1))
        self.assertIsNone(zipped["conversion"]["failure"])
        self.assertIn("text_extracted", r["actions"])
        pdf = next(x for x in removed if x["name"] == "見積書.pdf")
        self.assertEqual(pdf["type"], "application/pdf")
        self.assertEqual(pdf["detected_type"], "application/pdf")
        self.assertEqual(len(pdf["sha256"]), 64)
        for part in r["parts"]:
            self.assertEqual(set(part) >= {"path", "type", "detected_type", "name", "size", "sha256", "action", "reason"}, True)

    def test_too_big_exits_3_with_reply_and_nothing_on_stdout(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nmessage_size = 1K\n")
            rep = os.path.join(tmp, "r.json")
            p = run("sanitize", "--report-json", rep, ATTACH, conf=conf)
            self.assertEqual(p.returncode, 3)
            self.assertEqual(p.stdout, b"")
            r = json.load(open(rep))
        self.assertEqual(r["verdict"], "reject")
        self.assertEqual(r["reply"]["code"], "552")
        self.assertEqual(r["reply"]["status"], "5.3.4")
        self.assertIn('reply="552 5.3.4', p.stderr.decode().strip().splitlines()[-1])

    def test_spool_failure_exits_75_with_nothing_on_stdout(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, f"[milter]\nspool_dir = {tmp}/missing\nspool_memory = 0\n")
            rep = os.path.join(tmp, "r.json")
            p = run("sanitize", "--report-json", rep, ATTACH, conf=conf)
            self.assertEqual(p.returncode, 75)
            self.assertEqual(p.stdout, b"")
            r = json.load(open(rep))
        self.assertEqual(r["verdict"], "tempfail")
        self.assertEqual(r["reply"]["code"], "451")
        self.assertIn('reply="451 4.3.0', p.stderr.decode().strip().splitlines()[-1])

    def test_missing_input_file_is_a_tempfail_not_a_crash(self):
        p = run("sanitize", "/nonexistent/message.eml")
        self.assertEqual(p.returncode, 75)
        self.assertEqual(p.stdout, b"")

    def test_outbound_is_delivered_unchanged_apart_from_the_actions_header(self):
        p = run("sanitize", "--direction", "out", ATTACH)
        self.assertEqual(p.returncode, 0)
        original = open(ATTACH, "rb").read()
        body = original.split(b"\r\n\r\n", 1)[1]
        self.assertTrue(p.stdout.endswith(body))
        self.assertIn(b"multipart/mixed", p.stdout)

    def test_forged_mugai_headers_are_removed(self):
        p = run("sanitize", os.path.join(GOLDEN, "plain_ascii_unchanged", "input.eml"))
        self.assertEqual(p.returncode, 0)
        self.assertNotIn(b"X-Mugai-Verdict", p.stdout)
        self.assertIn(b"X-Mugai-Actions: forged_headers_removed", p.stdout)

    def test_bad_config_is_exit_2_with_file_and_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[notice]\nlanguage = fr\n[nosuch]\nx = 1\n")
            p = run("sanitize", ATTACH, conf=conf)
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stdout, b"")
        err = p.stderr.decode()
        self.assertIn(f"{conf}:2: [notice] language", err)
        self.assertIn(f"{conf}:3: [nosuch]", err)


class ConfigCheck(unittest.TestCase):
    def test_valid_file_prints_sha256(self):
        p = subprocess.run([MUGAI, "config", "check", "-c", CONF], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout, r"valid, sha256 [0-9a-f]{64}")

    def test_invalid_file_lists_every_problem_and_exits_2(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nmime_depth = 101\nmime_parts = 0\n")
            p = subprocess.run([MUGAI, "config", "check", "-c", conf], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn(":2: [limits] mime_depth", p.stderr)
        self.assertIn(":3: [limits] mime_parts", p.stderr)

    def test_verbose_prints_the_effective_policy(self):
        p = subprocess.run([MUGAI, "config", "check", "-v", "-c", CONF], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("socket = inet:8895@127.0.0.1", p.stdout)


class Gateway(unittest.TestCase):
    """Direction and size caps without Postfix: --client, --daemon-name and --size stand for what
    the milter learns at connect and MAIL FROM."""
    SMALL = b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: t\r\n\r\nhello\r\n"

    def conf(self, tmp, **groups):
        text = open(CONF, encoding="utf-8").read()
        for group, keys in groups.items():
            text = scan_db.config_with_keys(text, group, **keys)
        return write_conf(tmp, text)

    def summary(self, p):
        return p.stderr.decode().strip().splitlines()[-1]

    def test_declared_size_over_the_cap_is_refused_before_reading(self):
        p = run("sanitize", "--size", str(11 * 1024 * 1024), "--queue-id", "Q1", stdin=self.SMALL)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertIn('reply="552 5.3.4 Message too big for this gateway (limit 10M for inbound mail)"',
                      self.summary(p))

    def test_message_over_the_cap_is_refused_whatever_it_declares(self):
        big = self.SMALL + (b"x" * 98 + b"\r\n") * (110 * 1024)
        p = run("sanitize", stdin=big)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("reason=too_big", self.summary(p))
        self.assertIn('detail="over the inbound limit of 10M"', self.summary(p))

    def test_direction_from_client_network_and_daemon_name(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = self.conf(tmp, gateway={"internal_networks": "10.0.0.0/8, 2001:db8::/32",
                                           "outbound_daemon_names": "ORIGINATING"},
                             outbound={"max_message_size": "1K"})
            for args, want in ((["--client", "10.1.2.3"], "out"), (["--client", "2001:db8::25"], "out"),
                               (["--client", "192.0.2.1"], "in"), (["--daemon-name", "ORIGINATING"], "out"),
                               (["--daemon-name", "mx.example.jp"], "in"),
                               (["--client", "10.1.2.3", "--direction", "in"], "in")):
                with self.subTest(args=args):
                    p = run("sanitize", *args, stdin=self.SMALL, conf=conf)
                    self.assertEqual(p.returncode, 0, p.stderr)
                    self.assertIn(f" direction={want} ", self.summary(p))
            p = run("sanitize", "--client", "10.9.9.9", "--size", "2048", stdin=self.SMALL, conf=conf)
            self.assertEqual(p.returncode, 3)
            self.assertIn("(limit 1K for outbound mail)", self.summary(p))

    def test_negative_size_is_a_usage_error(self):
        p = run("sanitize", "--size", "-1", stdin=self.SMALL)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
