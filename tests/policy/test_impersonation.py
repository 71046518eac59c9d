#!/usr/bin/env python3
"""[impersonation] through `mugai sanitize`: inbound mail claiming an inside sender (From, Sender,
Reply-To at an internal domain) or showing another address in its display name is warned about
at the top of the notice (or refused, or let be); ordinary mail is not."""
import email, email.policy, os, sys, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_autoforward import INSIDE, scan_db  # noqa: E402
import test_autoforward  # noqa: E402


def message(headers, body="振込先を変更しました。\r\n"):
    return (headers + f"To: jiro@{INSIDE}\r\nSubject: 至急\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body).encode()


def sanitize(raw, direction="in", sender="x@example.com", language=None, **keys):
    """Exit code, summary line and the delivered body text."""
    import json, subprocess, tempfile
    base = open(os.path.join(test_autoforward.ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    text = scan_db.config_with_database(base, scan_db.database())
    text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE)
    if keys:
        text = scan_db.config_with_keys(text, "impersonation", **keys)
    if language:
        text = scan_db.config_with_keys(text, "notice", language=language)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        open(conf, "w", encoding="utf-8").write(text)
        p = subprocess.run([test_autoforward.MUGAI, "sanitize", "-c", conf, "--direction", direction,
                            "--from", sender, "--rcpt", f"jiro@{INSIDE}"], input=raw,
                           capture_output=True, timeout=60)
    body = ""
    if p.returncode == 0:
        m = email.message_from_bytes(p.stdout)
        body = m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8")
    return p.returncode, p.stderr.decode().strip().splitlines()[-1], body


class Claims(unittest.TestCase):
    def test_inside_address_in_from_sender_or_reply_to_is_warned(self):
        for header in ("From", "Sender", "Reply-To"):
            with self.subTest(header=header):
                head = f"{header}: 総務課 <soumu@{INSIDE}>\r\n"
                if header != "From":
                    head = "From: someone@example.com\r\n" + head
                rc, line, body = sanitize(message(head))
                self.assertEqual(rc, 0, line)
                self.assertIn("impersonation_warned", line)
                self.assertTrue(body.startswith(
                    f"【注意】このメールは外部から届きましたが、{header} (soumu@{INSIDE}) が内部の"
                    "アドレスを名乗っています。なりすましの可能性があります。"), body[:200])
                self.assertIn("振込先を変更しました。", body)

    def test_subdomain_counts_and_english_notice(self):
        rc, line, body = sanitize(message(f"From: kaikei@sub.{INSIDE}\r\n"), language="en")
        self.assertEqual(rc, 0, line)
        self.assertTrue(body.startswith(f"WARNING: this message came from outside, but its From "
                                        f"(kaikei@sub.{INSIDE}) claims an inside address."), body[:200])

    def test_another_address_in_the_display_name_is_warned(self):
        rc, line, body = sanitize(message(f'From: "taro@{INSIDE}" <evil@example.com>\r\n'))
        self.assertEqual(rc, 0, line)
        self.assertTrue(body.startswith(f"【注意】From の表示名にあるアドレス taro@{INSIDE} は実際の差出"
                                        "アドレスではありません（実際: evil@example.com）"), body[:200])

    def test_reject_and_no(self):
        raw = message(f"From: soumu@{INSIDE}\r\n")
        rc, line, _ = sanitize(raw, action="reject")
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Message claims an inside sender but comes from outside"', line)
        self.assertIn(f'detail="From claims the inside address soumu@{INSIDE}"', line)
        rc, line, body = sanitize(raw, action="no")
        self.assertEqual(rc, 0, line)
        self.assertNotIn("impersonation", line)

    def test_a_refusal_is_final_and_outbound_rules_do_not_run_on_inbound_mail(self):
        # The body holds an individual number: inbound mail is never judged by [outbound] rules.
        raw = message(f"From: soumu@{INSIDE}\r\n", body="番号 1234 5678 9018\r\n")
        rc, line, _ = sanitize(raw, action="reject")
        self.assertEqual(rc, 3, line)
        self.assertIn("reason=impersonation", line)

    def test_a_refusal_names_its_clause(self):
        raw = message(f"From: soumu@{INSIDE}\r\n")
        rc, line, _ = sanitize(raw, action="reject", clause="10c")
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Message claims an inside sender but comes from outside '
                      '(clause 10c)"', line)
        self.assertIn('clause="10c"', line)
        rc, line, _ = sanitize(raw, action="reject", clause="対策基準 ⑩イ")
        self.assertIn('reply="550 5.7.1 Message claims an inside sender but comes from outside"',
                      line)  # SMTP replies are ASCII
        self.assertIn('clause="対策基準 ⑩イ"', line)
        rc, line, _ = sanitize(raw, clause="10c")  # warn: nothing refused, no clause
        self.assertEqual(rc, 0, line)
        self.assertNotIn("clause", line)


class ExternalSubjectTag(unittest.TestCase):
    """[gateway] external_subject_tag: every inbound message, once, before [notice] subject_tag."""

    def subject(self, raw, direction="in", **gateway):
        import subprocess, tempfile
        base = open(os.path.join(test_autoforward.ROOT, "config", "mugai.conf"), encoding="utf-8").read()
        text = scan_db.config_with_database(base, scan_db.database())
        text = scan_db.config_with_keys(text, "gateway", **gateway)
        text = scan_db.config_with_keys(text, "notice", subject_tag="[無害化]")
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "c.conf")
            open(conf, "w", encoding="utf-8").write(text)
            p = subprocess.run([test_autoforward.MUGAI, "sanitize", "-c", conf, "--direction",
                                direction], input=raw, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = email.message_from_bytes(p.stdout, policy=email.policy.default)
        return str(m["Subject"])

    PLAIN = (b"From: a@example.com\r\nTo: b@example.jp\r\nSubject: =?UTF-8?B?5Lya6K2w?=\r\n\r\nhi\r\n")
    HTML = (b"From: a@example.com\r\nTo: b@example.jp\r\nSubject: =?UTF-8?B?5Lya6K2w?=\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n")

    def test_tags_in_order_once(self):
        self.assertEqual(self.subject(self.PLAIN, external_subject_tag="[外部]"), "[外部] 会議")
        self.assertEqual(self.subject(self.HTML, external_subject_tag="[外部]"), "[外部] [無害化] 会議")
        reply = self.HTML.replace(b"=?UTF-8?B?5Lya6K2w?=", "Re: [外部] 会議".encode())
        self.assertEqual(self.subject(reply, external_subject_tag="[外部]"), "[無害化] Re: [外部] 会議")
        self.assertEqual(self.subject(self.PLAIN), "会議")  # no tag configured
        self.assertEqual(self.subject(self.PLAIN, direction="out", external_subject_tag="[外部]"),
                         "会議")  # outbound mail is not from outside

    def test_bad_tag_is_a_config_error(self):
        import subprocess, tempfile
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "c.conf")
            open(conf, "w", encoding="utf-8").write("[gateway]\nexternal_subject_tag = =?UTF-8?B?x?=\n")
            p = subprocess.run([test_autoforward.MUGAI, "config", "check", "-c", conf], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("[gateway] external_subject_tag: must be written as text, not as an RFC 2047 "
                      "encoded-word", p.stderr)


class NoClaim(unittest.TestCase):
    def test_ordinary_senders_outbound_and_exempt_senders_are_not_warned(self):
        cases = [
            (message("From: 山田 <yamada@example.co.jp>\r\n"), {}),
            (message('From: "YAMADA@EXAMPLE.CO.JP" <yamada@example.co.jp>\r\n'), {}),
            (message(f"From: soumu@{INSIDE}\r\n"), {"direction": "out", "sender": f"soumu@{INSIDE}"}),
            (message(f"From: soumu@{INSIDE}\r\n"), {"sender": "bounce@mailer.example.net",
                                                    "exempt_senders": "mailer.example.net"}),
        ]
        for raw, kw in cases:
            with self.subTest(kw=kw):
                rc, line, body = sanitize(raw, **kw)
                self.assertEqual(rc, 0, line)
                self.assertNotIn("impersonation", line)
                self.assertNotIn("【注意】", body)


if __name__ == "__main__":
    unittest.main(verbosity=2)
