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


if __name__ == "__main__":
    unittest.main(verbosity=2)
