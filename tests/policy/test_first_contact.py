#!/usr/bin/env python3
"""[contacts], [notice] banner and [rule NAME] match_first_contact through `mugai config check` and
`mugai sanitize --first-contact`: every bad value is a problem with its line; a first-contact rule
without a quarantine is refused (it could never tell anyone known); a rule may match on
match_first_contact alone; the rule's banner is the first line of the delivered text, above the
notice, its links defanged and its attachments removed instead of converted, while the main policy
delivers the same mail as before."""
import base64, email, email.policy, os, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
INSIDE = "city.example.lg.jp"
BANNER = "【初めての差出人】このアドレスとは、これまで庁内の誰もやり取りしていません。"


def check(text):
    with tempfile.NamedTemporaryFile("w", suffix=".conf", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        p = subprocess.run([MUGAI, "config", "check", "-c", f.name], capture_output=True,
                           text=True, timeout=60)
        return p.returncode, p.stderr.replace(f.name, "FILE")


def base_config(quarantine):
    with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
        text = scan_db.config_with_database(f.read(), scan_db.database())
    text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE)
    if quarantine:
        text = scan_db.config_with_keys(text, "quarantine", dir=quarantine)
    return text


RULE = f"""
[rule first-contact]
match_first_contact = yes
notice.banner = {BANNER}
links.defang_web = yes
inbound.convert =
"""


class Validation(unittest.TestCase):
    def test_bad_values_are_problems_with_their_lines(self):
        rc, err = check("[contacts]\nlearn = sometimes\nretention = 3h\nknown_by = host\n"
                        "[notice]\nbanner = " + "x" * 201 + "\n")
        self.assertEqual(rc, 2, err)
        self.assertIn('FILE:2: [contacts] learn: "sometimes" is not yes or no', err)
        self.assertIn('FILE:3: [contacts] retention: "3h" is outside 86400s to 315360000s', err)
        self.assertIn('FILE:4: [contacts] known_by: "host" is not one of: address, domain', err)
        self.assertIn("FILE:6: [notice] banner: longer than 200 characters", err)
        rc, err = check("[contacts]\nwindow = 30d\n")
        self.assertIn("FILE:2: [contacts] window: unknown key", err)
        rc, err = check("[rule fc]\nmatch_first_contact = perhaps\n")
        self.assertIn('FILE:2: [rule fc] match_first_contact: "perhaps" is not yes or no', err)
        rc, err = check("[rule fc]\ncontacts.retention = 30d\n")
        self.assertEqual(rc, 2)
        self.assertIn("FILE:2: [rule fc] contacts.retention:", err)

    def test_a_first_contact_rule_needs_a_quarantine(self):
        rc, err = check("[scan]\nbackend = none\n\n[rule fc]\nlinks.defang_web = yes\n"
                        "match_first_contact = yes\n")
        self.assertEqual(rc, 2, err)
        self.assertIn("FILE:6: [rule fc] match_first_contact: telling first contacts needs the "
                      "quarantine's database", err)
        with tempfile.TemporaryDirectory() as tmp:
            store = os.path.join(tmp, "q")
            rc, err = check(f"[scan]\nbackend = none\n[quarantine]\ndir = {store}\n"
                            "[rule fc]\nmatch_first_contact = yes\n")
            self.assertEqual(rc, 0, err)
        rc, err = check("[scan]\nbackend = none\n[rule fc]\nmatch_first_contact = no\n")
        self.assertIn("FILE:3: [rule fc]: matches nothing (set match_rcpt, match_rcpt_domain, "
                      "match_sender or match_first_contact)", err)


class FirstContactRule(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.conf = os.path.join(self.tmp.name, "c.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(base_config(os.path.join(self.tmp.name, "q")) + RULE)

    def sanitize(self, raw, *extra):
        p = subprocess.run([MUGAI, "sanitize", "-c", self.conf, "--direction", "in", "--from",
                            "stranger@example.com", "--rcpt", f"taro@{INSIDE}", *extra],
                           input=raw, capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        msg = email.message_from_bytes(p.stdout, policy=email.policy.default)
        body = msg.get_body(("plain",))
        return (body.get_content().replace("\r\n", "\n") if body else ""), p.stderr.decode()

    def test_the_banner_is_the_first_line_above_the_notice(self):
        csv = base64.encodebytes("名前,金額\n山田,100\n".encode()).decode().replace("\n", "\r\n")
        raw = ("From: stranger@example.com\r\nTo: taro@city.example.lg.jp\r\nSubject: 請求\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
               "Content-Type: text/html; charset=utf-8\r\n\r\n"
               '<p>至急 <a href="https://evil.example/pay">こちら</a></p>\r\n--b\r\n'
               'Content-Type: text/csv; name="a.csv"\r\nContent-Disposition: attachment; '
               'filename="a.csv"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
               + csv + "--b--\r\n").encode()
        text, log = self.sanitize(raw, "--first-contact")
        self.assertIn("rule=first-contact", log)
        self.assertTrue(text.startswith(BANNER + "\n\n"), text[:200])
        self.assertIn("【無害化通知】", text)
        self.assertIn("hxxps://evil[.]example/pay", text)
        self.assertNotIn("山田", text)  # inbound.convert is empty: the file is removed
        self.assertIn("a.csv", text)
        text, log = self.sanitize(raw)
        self.assertNotIn("rule=", log)
        self.assertNotIn(BANNER, text)
        self.assertIn("https://evil.example/pay", text)
        self.assertIn("山田", text)  # converted, as the main policy says

    def test_plain_text_gets_the_banner_too(self):
        raw = ("From: stranger@example.com\r\nTo: taro@city.example.lg.jp\r\nSubject: hi\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\nこんにちは\r\n").encode()
        text, log = self.sanitize(raw, "--first-contact")
        self.assertIn("actions=banner", log.replace("not-scanned,", ""))
        self.assertEqual(text, BANNER + "\n\nこんにちは\n")
        text, _ = self.sanitize(raw)
        self.assertEqual(text, "こんにちは\n")


if __name__ == "__main__":
    unittest.main()
