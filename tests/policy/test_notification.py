#!/usr/bin/env python3
"""[notify] refused_outbound through `mugai sanitize --notification FILE`: the mail an inside
sender gets when outbound mail is refused (Japanese first, the reason, the clause, the reply,
whom to ask), and when none is sent (inbound, delivered, outside or null sender, automatic mail,
the default)."""
import email, email.policy, os, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
INSIDE = "city.example.lg.jp"


def config(**notify):
    with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
        text = scan_db.config_with_database(f.read(), scan_db.database())
    text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE)
    text = scan_db.config_with_keys(text, "outbound", max_shown_external_addresses="1",
                                    max_shown_external_addresses_clause="対策基準 ⑩イ")
    keys = {"refused_outbound": "yes", "contact": "情報政策課 (内線 1234)"}
    keys.update(notify)
    return scan_db.config_with_keys(text, "notify", **keys)


def refused(extra_headers="", subject="=?UTF-8?B?5LqI566X44Gu5Lu2?="):
    return (f"From: taro@{INSIDE}\r\nTo: a@example.com, b@example.net\r\nSubject: {subject}\r\n"
            f"{extra_headers}Message-ID: <n@{INSIDE}>\r\n\r\n本文\r\n").encode()


def run(raw, conf_text, sender=f"taro@{INSIDE}", direction="out"):
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(conf_text)
        out = os.path.join(tmp, "notification.eml")
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--direction", direction, "--from",
                            sender, "--rcpt", "a@example.com", "--rcpt", "b@example.net",
                            "--notification", out], input=raw, capture_output=True, timeout=60)
        mail = None
        if os.path.exists(out):
            with open(out, "rb") as f:
                mail = email.message_from_bytes(f.read(), policy=email.policy.default)
    return p.returncode, mail, p.stderr.decode("utf-8", "replace")


class Notification(unittest.TestCase):
    def test_a_refused_sender_learns_what_why_and_whom_to_ask(self):
        rc, mail, err = run(refused(), config())
        self.assertEqual(rc, 3, err)
        self.assertIsNotNone(mail, err)
        self.assertEqual(mail["To"], f"taro@{INSIDE}")
        self.assertEqual(mail["From"].addresses[0].addr_spec, f"postmaster@{INSIDE}")
        self.assertEqual(mail["Auto-Submitted"], "auto-generated")
        self.assertEqual(mail["Subject"], "【送信できませんでした】予算の件")
        body = mail.get_content()
        self.assertIn("送信されませんでした", body)
        self.assertIn("  件名: 予算の件\n", body)
        self.assertIn("  宛先: a@example.com, b@example.net\n", body)
        self.assertIn("外部の宛先は Bcc に入れて送り直してください", body)
        self.assertIn("  根拠: 対策基準 ⑩イ\n", body)
        self.assertIn("  応答: 550 5.7.1 Too many outside addresses in To and Cc: put them in Bcc "
                      "(2, at most 1)\n", body)
        self.assertIn("お問い合わせ: 情報政策課 (内線 1234)", body)
        self.assertIn("This is an automatic notice from the mail gateway", body)
        self.assertEqual(mail.get_content_charset(), "utf-8")

    def test_a_held_message_names_its_quarantine_id_not_a_reply(self):
        with tempfile.TemporaryDirectory() as store:
            conf = config()
            conf = scan_db.config_with_keys(conf, "quarantine", dir=store)
            conf = scan_db.config_with_keys(conf, "outbound", individual_numbers="hold",
                                            max_shown_external_addresses="10")
            raw = refused().replace("本文".encode(), "番号 1234 5678 9018".encode())
            rc, mail, err = run(raw, conf)
            self.assertEqual(rc, 3, err)
            self.assertIsNotNone(mail, err)
            body = mail.get_content()
            self.assertIn("送信されず、管理者の確認のため保留されています", body)
            self.assertRegex(body, r"  保管番号: \d{8}-\d{6}-[0-9a-f]{10}\n")
            self.assertNotIn("応答:", body)
            self.assertIn("held for review by an admin", body)

    def test_the_configured_from_is_used(self):
        _, mail, err = run(refused(), config(**{"from": f"joho@{INSIDE}"}))
        self.assertEqual(mail["From"].addresses[0].addr_spec, f"joho@{INSIDE}", err)

    def test_none_when_not_due(self):
        cases = {
            "default": (refused(), config(refused_outbound="no"), f"taro@{INSIDE}", "out"),
            "outside sender": (refused(), config(), "x@example.com", "out"),
            "null sender": (refused(), config(), "", "out"),
            "auto-submitted": (refused("Auto-Submitted: auto-replied\r\n"), config(), f"taro@{INSIDE}", "out"),
            "bulk": (refused("Precedence: bulk\r\n"), config(), f"taro@{INSIDE}", "out"),
            "inbound": (refused(), config(), "x@example.com", "in"),
            "delivered": (refused().replace(b", b@example.net", b""), config(), f"taro@{INSIDE}", "out"),
        }
        for name, (raw, conf, sender, direction) in cases.items():
            with self.subTest(case=name):
                rc, mail, err = run(raw, conf, sender=sender, direction=direction)
                self.assertIsNone(mail, (rc, err))

    def test_a_missing_subject_and_a_long_one(self):
        _, mail, _ = run(refused(subject=""), config())
        self.assertIn("  件名: (件名なし)\n", mail.get_content())
        _, mail, _ = run(refused(subject="長" * 150), config())
        self.assertIn("  件名: " + "長" * 100 + "…\n", mail.get_content())


if __name__ == "__main__":
    unittest.main(verbosity=2)
