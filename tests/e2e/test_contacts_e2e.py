#!/usr/bin/env python3
"""First-contact senders through the real Postfix: inbound mail from an address nobody inside has
written to arrives with the [rule first-contact] banner as its first line (and its links
defanged); inbound mail teaches nothing, so the next one has it too; after one outbound mail from
an inside user to that address (from 127.0.0.2, a [gateway] internal_networks client), the next
inbound mail from it arrives without the banner, while another stranger still gets it. Then the
contacts table is dropped under the running milter: the lookup fails, the mail gets the stricter
rule (banner) and the log says why; `mugai contacts list` showed the learned row before."""
import os, shutil, smtplib, sqlite3, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

INSIDE = "taro@city.example.lg.jp"
PARTNER, STRANGER = "partner@example.com", "stranger@example.net"
BANNER = "【初めての差出人】このアドレスとは、これまで庁内の誰もやり取りしていません。"
RULE = f"""
[rule first-contact]
match_first_contact = yes
notice.banner = {BANNER}
links.defang_web = yes
"""


def mail(sender, to, mid):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {mid}\r\nMessage-ID: <{mid}@example.jp>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            "ご確認ください https://files.example.com/doc\r\n").encode()


class FirstContact(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-contacts-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.store = os.path.join(self.dir, "quarantine")
        with open(lab.CONF, encoding="utf-8") as f:
            text = f.read()
        text = lab.scan_db.config_with_keys(text, "gateway", internal_networks="127.0.0.2/32",
                                            internal_domains="city.example.lg.jp")
        text = lab.scan_db.config_with_keys(text, "quarantine", dir=self.store)
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text + RULE)
        os.chmod(self.conf, 0o644)

    def send(self, the_lab, sender, to, mid, inside=False):
        source = ("127.0.0.2", 0) if inside else ("127.0.0.1", 0)
        with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120, source_address=source) as s:
            s.sendmail(sender, [to], mail(sender, to, mid))

    def body_of(self, the_lab, mid, count):
        self.assertTrue(the_lab.wait_delivered(count, 60), the_lab.milter_log()[-2000:])
        for _, msg in the_lab.delivered():
            if msg["Message-ID"] == f"<{mid}@example.jp>":
                return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
        self.fail(f"{mid} not delivered")

    def test_the_banner_appears_before_and_not_after_one_outbound_mail(self):
        with lab.Lab(conf=self.conf) as the_lab:
            self.send(the_lab, PARTNER, INSIDE, "in-1")
            first = self.body_of(the_lab, "in-1", 1)
            self.assertTrue(first.startswith(BANNER + "\n\n"), first[:300])
            self.assertIn("hxxps://files[.]example[.]com/doc", first)
            self.send(the_lab, PARTNER, INSIDE, "in-2")  # inbound mail teaches nothing
            self.assertTrue(self.body_of(the_lab, "in-2", 2).startswith(BANNER))
            self.send(the_lab, INSIDE, PARTNER, "out-1", inside=True)
            self.assertTrue(the_lab.wait_delivered(3, 60))
            self.send(the_lab, PARTNER, INSIDE, "in-3")
            known = self.body_of(the_lab, "in-3", 4)
            self.assertNotIn(BANNER, known)
            self.assertIn("https://files.example.com/doc", known)
            self.send(the_lab, STRANGER, INSIDE, "in-4")
            self.assertTrue(self.body_of(the_lab, "in-4", 5).startswith(BANNER))
            lines = [l for l in the_lab.milter_log().splitlines() if " verdict=" in l]
            self.assertEqual(len([l for l in lines if " rule=first-contact" in l]), 3, lines)
            self.assertEqual(len([l for l in lines if " direction=out " in l]), 1, lines)
        # The milter wrote what it learned when it stopped; the CLI reads it.
        p = subprocess.run([lab.MUGAI, "contacts", "export", "-c", self.conf],
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = [l.split("\t") for l in p.stdout.decode().splitlines()[1:]]
        self.assertEqual([(r[0], r[1], r[4]) for r in rows], [(INSIDE, PARTNER, "learned")])

    def test_a_lookup_the_database_cannot_answer_gets_the_stricter_rule(self):
        with lab.Lab(conf=self.conf) as the_lab:
            self.send(the_lab, INSIDE, PARTNER, "out-1", inside=True)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            self.send(the_lab, PARTNER, INSIDE, "in-1")
            self.assertNotIn(BANNER, self.body_of(the_lab, "in-1", 2))
            time.sleep(1.2)  # the learned row waits at most a second to be written
            self.send(the_lab, INSIDE, "other@example.org", "out-2", inside=True)
            self.assertTrue(the_lab.wait_delivered(3, 60))
            db = sqlite3.connect(os.path.join(self.store, "index.sqlite"), timeout=30)
            with db:
                self.assertIn((PARTNER,), db.execute("SELECT addr FROM contact").fetchall())
                db.execute("DROP TABLE contact")
            db.close()
            self.send(the_lab, PARTNER, INSIDE, "in-2")
            body = self.body_of(the_lab, "in-2", 4)
            self.assertTrue(body.startswith(BANNER), body[:300])
            log = the_lab.milter_log()
            self.assertIn(f"sender <{PARTNER}>: [contacts] lookup failed: ", log)
            self.assertIn("judged as a first contact", log)


if __name__ == "__main__":
    unittest.main()
