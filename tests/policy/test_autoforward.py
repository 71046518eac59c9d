#!/usr/bin/env python3
"""[autoforward] through `mugai sanitize`: mail forwarded by a rule (the markers Exchange, Gmail,
Postfix, Sieve, procmail and SRS forwarders leave) is refused 550 5.7.1 naming the marker; what a
person writes (replies, forwards) and what machines answer (auto-replies, bounces) passes."""
import json, os, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
INSIDE = "city.example.lg.jp"
REPLY = "550 5.7.1 Automatic forwarding is not allowed by this gateway"


def message(extra_headers="", subject="Re: 会議の件", body="了解しました。\r\n"):
    return (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: {subject}\r\n"
            "Message-ID: <af@city.example.lg.jp>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0900\r\n"
            f"{extra_headers}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            f"{body}").encode()


def sanitize(raw, sender=f"taro@{INSIDE}", rcpts=("partner@example.com",), direction="out",
             groups=None, extra="", **autoforward):
    """RAW through `mugai sanitize`; GROUPS: {group: {key: value}} set in the config, EXTRA text
    (e.g. a [rule NAME]) appended to it."""
    base = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    text = scan_db.config_with_database(base, scan_db.database())
    text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE)
    if autoforward:
        text = scan_db.config_with_keys(text, "autoforward", **autoforward)
    for group, keys in (groups or {}).items():
        text = scan_db.config_with_keys(text, group, **keys)
    text += extra
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        rep = os.path.join(tmp, "r.json")
        args = [MUGAI, "sanitize", "-c", conf, "--direction", direction, "--from", sender,
                "--report-json", rep]
        for r in rcpts:
            args += ["--rcpt", r]
        p = subprocess.run(args, input=raw, capture_output=True, timeout=60)
        report = None
        if os.path.exists(rep):
            with open(rep, encoding="utf-8") as f:
                report = json.load(f)
    return p.returncode, p.stderr.decode("utf-8", "replace").strip().splitlines()[-1], report


class Markers(unittest.TestCase):
    CASES = {
        "Auto-Submitted": "Auto-Submitted: auto-forwarded\r\n",
        "X-MS-Exchange-Inbox-Rules-Loop": f"X-MS-Exchange-Inbox-Rules-Loop: taro@{INSIDE}\r\n",
        "X-MS-Exchange-Organization-AutoForwarded": "X-MS-Exchange-Organization-AutoForwarded: true\r\n",
        "X-MS-Exchange-Generated-Message-Source": "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent\r\n",
        "X-Forwarded-To": "X-Forwarded-To: me@gmail.example\r\n",
        "X-Forwarded-For": f"X-Forwarded-For: taro@{INSIDE} me@gmail.example\r\n",
        "Resent-From": f"Resent-From: taro@{INSIDE}\r\nResent-To: me@example.com\r\n",
        "X-Loop": f"X-Loop: taro@{INSIDE}\r\n",
        "X-Sieve-Redirected-From": f"X-Sieve-Redirected-From: taro@{INSIDE}\r\n",
        "Delivered-To": f"Delivered-To: taro@{INSIDE}\r\n",
    }

    def test_each_marker_is_refused_naming_it(self):
        for header, lines in self.CASES.items():
            with self.subTest(header=header):
                rc, line, report = sanitize(message(lines))
                self.assertEqual(rc, 3, line)
                self.assertIn(f'reply="{REPLY} ({header})"', line)
                self.assertIn("reason=autoforward", line)
                self.assertIn(f'detail="{header}: ', line)
                self.assertEqual(report["reason"], "autoforward")

    def test_envelope_markers(self):
        rc, line, _ = sanitize(message(), sender=f"SRS0=HHH=TT=example.com=someone@{INSIDE}")
        self.assertEqual(rc, 3, line)
        self.assertIn("(MAIL FROM)", line)
        # Mail of someone outside, leaving again from the inside: relayed, not written here.
        rc, line, _ = sanitize(message(), sender="someone@example.com")
        self.assertEqual(rc, 3, line)
        self.assertIn("outside sender on outbound mail", line)
        rc, line, _ = sanitize(message(), sender=f"taro@sub.{INSIDE}")  # a subdomain is inside
        self.assertEqual(rc, 0, line)

    def test_clause_is_logged_reported_and_in_the_reply_when_ascii(self):
        rc, line, report = sanitize(message(self.CASES["X-Loop"]), clause="対策基準 ⑩ア")
        self.assertEqual(rc, 3)
        self.assertIn(f'reply="{REPLY} (X-Loop)"', line)  # SMTP replies are ASCII
        self.assertIn('clause="対策基準 ⑩ア"', line)
        self.assertEqual(report["clause"], "対策基準 ⑩ア")
        rc, line, report = sanitize(message(self.CASES["X-Loop"]), clause="10a")
        self.assertIn(f'reply="{REPLY} (X-Loop; clause 10a)"', line)


class NotForwarding(unittest.TestCase):
    """No false positives: what people write and what machines answer passes."""

    def assert_passes(self, raw, **kw):
        rc, line, _ = sanitize(raw, **kw)
        self.assertEqual(rc, 0, line)
        self.assertNotIn("autoforward", line)

    def test_reply_by_a_person(self):
        self.assert_passes(message("In-Reply-To: <x@example.com>\r\nReferences: <x@example.com>\r\n"))

    def test_forward_written_by_a_person(self):
        body = ("転送します。\r\n\r\n---------- Forwarded message ---------\r\nFrom: someone@example.com\r\n"
                "Subject: 資料\r\n\r\n資料です。\r\n")
        self.assert_passes(message(subject="Fwd: 資料", body=body))
        self.assert_passes(message(subject="FW: 資料"))

    def test_auto_reply_and_reports(self):
        self.assert_passes(message("Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n",
                                   subject="不在通知: 会議の件"))
        self.assert_passes(message("Auto-Submitted: auto-generated\r\n", subject="Undelivered Mail"),
                           sender="")  # a bounce: empty envelope sender
        self.assert_passes(message("Auto-Submitted: auto-notified\r\n"))

    def test_similar_values_are_not_markers(self):
        self.assert_passes(message("X-MS-Exchange-Organization-AutoForwarded: false\r\n"
                                   "X-MS-Exchange-Generated-Message-Source: Transport\r\n"
                                   "Delivered-To: someone@example.com\r\n"
                                   "Auto-Submitted: no\r\n"))


class Scope(unittest.TestCase):
    MARKED = message("X-Forwarded-To: me@gmail.example\r\n")

    def test_inbound_is_not_checked_by_default_and_is_when_asked(self):
        rc, line, _ = sanitize(self.MARKED, direction="in")
        self.assertEqual(rc, 0, line)
        rc, line, _ = sanitize(self.MARKED, direction="in", block="both")
        self.assertEqual(rc, 3, line)
        rc, line, _ = sanitize(self.MARKED, direction="out", block="inbound")
        self.assertEqual(rc, 0, line)
        rc, line, _ = sanitize(self.MARKED, block="no")
        self.assertEqual(rc, 0, line)

    def test_exemptions(self):
        rc, line, _ = sanitize(self.MARKED, exempt_senders=f"@{INSIDE}")
        self.assertEqual(rc, 0, line)
        rc, line, _ = sanitize(self.MARKED, exempt_senders="jiro@city.example.lg.jp")
        self.assertEqual(rc, 3, line)
        rc, line, _ = sanitize(self.MARKED, rcpts=("a@partner.example", "b@partner.example"),
                               exempt_recipients="partner.example")
        self.assertEqual(rc, 0, line)
        rc, line, _ = sanitize(self.MARKED, rcpts=("a@partner.example", "c@other.example"),
                               exempt_recipients="partner.example")
        self.assertEqual(rc, 3, "exempt only when every recipient is")


if __name__ == "__main__":
    unittest.main(verbosity=2)
