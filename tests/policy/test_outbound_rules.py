#!/usr/bin/env python3
"""[outbound] max_shown_external_addresses through `mugai sanitize`: outbound mail that shows
more outside addresses in To and Cc than allowed is refused, asking to use Bcc; inside addresses,
Bcc and inbound mail do not count."""
import os, sys, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_autoforward import INSIDE, sanitize  # noqa: E402


def message(to, cc=""):
    return (f"From: taro@{INSIDE}\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "") +
            "Subject: お知らせ\r\nMessage-ID: <s@city.example.lg.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n").encode()


def outside(n, start=0):
    return ", ".join(f"住民{i} <user{i}@example{i % 3}.jp>" for i in range(start, start + n))


class ShownAddresses(unittest.TestCase):
    def test_over_the_limit_in_to_and_cc_is_refused_asking_for_bcc(self):
        rc, line, report = sanitize(message(outside(6), outside(5, 6)))
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Too many outside addresses in To and Cc: put them in Bcc '
                      '(11, at most 10)"', line)
        self.assertIn("reason=shown_addresses", line)
        self.assertEqual(report["reason"], "shown_addresses")

    def test_at_the_limit_inside_addresses_and_duplicates_pass(self):
        inside = ", ".join(f"staff{i}@{INSIDE}" for i in range(30)) + f", x@sub.{INSIDE}"
        rc, line, _ = sanitize(message(outside(10) + ", " + inside, "USER0@example0.jp"))
        self.assertEqual(rc, 0, line)

    def test_groups_count_their_members(self):
        rc, line, _ = sanitize(message(f"委員各位: {outside(11)};"))
        self.assertEqual(rc, 3, line)

    def test_inbound_mail_does_not_count(self):
        rc, line, _ = sanitize(message(outside(30)), direction="in")
        self.assertEqual(rc, 0, line)


def text_message(body, subject="書類の件", ctype="text/plain; charset=UTF-8", cte="8bit"):
    return (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <n@city.example.lg.jp>\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + body


class IndividualNumbers(unittest.TestCase):
    REPLY = 'reply="550 5.7.1 Message contains an individual number (My Number): not sent"'

    def test_found_in_text_html_base64_shift_jis_and_subject(self):
        import base64
        cases = {
            "text": text_message("個人番号は 1234 5678 9018 です。\r\n".encode()),
            "full_width": text_message("番号：１２３４－５６７８－９０１８\r\n".encode()),
            "html": text_message(b"<p>1234<b>5678</b>9018</p>\r\n", ctype="text/html; charset=UTF-8"),
            "base64": text_message(base64.encodebytes("番号 123456789018".encode()), cte="base64"),
            "shift_jis": text_message("番号 9876-5432-1093\r\n".encode("cp932"),
                                      ctype="text/plain; charset=Shift_JIS"),
            "subject": text_message("本文\r\n".encode(), subject="123456789018"),
        }
        for name, raw in cases.items():
            with self.subTest(case=name):
                rc, line, report = sanitize(raw)
                self.assertEqual(rc, 3, line)
                self.assertIn(self.REPLY, line)
                self.assertEqual(report["reason"], "individual_number")

    def test_ordinary_numbers_and_other_directions_pass(self):
        for body in ("注文番号 123456789012 (検査数字が合わない)\r\n", "電話 090-1234-5678\r\n",
                     "口座 99123456789018\r\n", "カード 1234 5678 9018 7777\r\n"):
            with self.subTest(body=body):
                rc, line, _ = sanitize(text_message(body.encode()))
                self.assertEqual(rc, 0, line)
        raw = text_message("個人番号 123456789018\r\n".encode())
        rc, line, _ = sanitize(raw, direction="in")
        self.assertEqual(rc, 0, line)  # inbound mail is sanitized, not refused for it


class OutboundIsScanned(unittest.TestCase):
    def test_virus_in_outbound_mail_is_refused_and_clean_mail_passes_unchanged(self):
        import base64
        from test_autoforward import scan_db
        raw = (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
               'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
               "hi\r\n--b\r\nContent-Type: application/octet-stream; name=e.com\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(scan_db.EICAR) + b"--b--\r\n"
        rc, line, _ = sanitize(raw)
        self.assertEqual(rc, 3, line)
        self.assertIn("Virus found: Eicar-Test-Signature.UNOFFICIAL", line)
        rc, line, _ = sanitize(raw.replace(base64.encodebytes(scan_db.EICAR), base64.encodebytes(b"fine\n")))
        self.assertEqual(rc, 0, line)
        self.assertIn(" direction=out ", line)
        self.assertNotIn("removed", line)  # outbound mail is not changed


if __name__ == "__main__":
    unittest.main(verbosity=2)
