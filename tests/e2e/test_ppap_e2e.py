#!/usr/bin/env python3
"""PPAP through the real Postfix: a password-protected zip, then the mail with its password.

The lab's Postfix has mugai-milter in front and an smtpd without milters as the release relay.
What the recipient gets at the sink, and what the admin sees with `mugai quarantine`:
- zip, then the password (ISO-2022-JP, "パスワード：..."): the zip mail arrives at once with the
  notice "waiting for its password"; the password mail arrives with the password masked and a
  notice that the file was opened; a third message arrives through the relay, marked unlocked,
  In-Reply-To the zip mail, with the text of the files inside; the entry is released and audited.
- a wrong password: the password mail says the file could not be opened, nothing is masked, the
  entry still waits; the right password afterwards opens it.
- too late (the entry aged past [ppap] window in its SQLite index): the notice says so and names
  the quarantine ID; `mugai quarantine unlock ID --password-file F` by the admin then sends it,
  a second unlock is refused (3), a wrong password file is refused (3).
- the password mail first: it arrives as any mail (password unmasked); the zip after it waits;
  the password sent again opens it.
- two zips, one password: both open, two messages arrive.
- hostile archives: a member that inflates past [convert] member_size stays held with a notice
  that says why; members named ../../x and /abs arrive as files named by their last component,
  and nothing is written outside the quarantine.
- a virus inside (which no scanner could see in the protected zip): found once opened, nothing
  of it sent, the entry still held.
- the release relay refuses: the password mail gets 451 (Postfix keeps it), nothing is marked.
Every message at the sink passes mailcheck's text-only invariant; none carries a zip."""
import json, os, pwd, shutil, smtplib, sqlite3, subprocess, sys, tempfile, unittest
from email import policy as email_policy
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
sys.path.insert(0, os.path.join(lab.ROOT, "tests", "ppap"))
from locked_zip import locked_zip  # noqa: E402

SHARED_TOOLS = os.path.join(os.path.dirname(lab.ROOT), "shared", "tools")
SENDER, RCPT = "yamada@example.co.jp", "taro@city.example.lg.jp"
PASSWORD = "Kx7#mP2q"
MEMO = "会議は午後3時からです。第2会議室にお越しください。\n"
CSV = "品名,数量\nりんご,3\nみかん,5\n"
WAITING = "パスワードを待っています"
OPENED = "を、このメールのパスワードで開きました"
NOT_OPENED = "を開けませんでした"
TOO_LATE = "パスワードを待つ時間（1時間）を過ぎていたため開いていません"
MARK = "【パスワード解除】"


def zip_mail(mid, members, password=PASSWORD, name="資料.zip", subject="資料の送付"):
    msg = EmailMessage(policy=email_policy.SMTP)
    msg["From"] = f"山田 花子 <{SENDER}>"
    msg["To"] = RCPT
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}@example.co.jp>"
    msg.set_content("資料をお送りします。パスワードは別途お送りします。\n", charset="utf-8")
    msg.add_attachment(locked_zip(members, password), maintype="application", subtype="zip",
                       filename=name)
    return msg


def password_mail(mid, password=PASSWORD):
    """The password mail as Japanese mailers send it: ISO-2022-JP, the password after a marker."""
    text = f"先ほどお送りした資料のパスワードをお知らせします。\n\nパスワード：{password}\n\nよろしくお願いします。\n"
    raw = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: =?ISO-2022-JP?B?"
           "GyRCJVElOSVvITwlSRsoQg==?=\r\n"  # パスワード
           f"Message-ID: <{mid}@example.co.jp>\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
    return raw.encode() + text.replace("\n", "\r\n").encode("iso-2022-jp")


def body(msg):
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


class PPAP(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.release_port = lab.free_port()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-ppap-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.store = os.path.join(self.dir, "quarantine")
        with open(lab.CONF, encoding="utf-8") as f:
            text = lab.scan_db.config_with_keys(f.read(), "quarantine", dir=self.store,
                                                release_relay=f"127.0.0.1:{self.release_port}")
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)
        self.sent = {}  # Message-ID → the bytes sent, for mailcheck

    def send(self, the_lab, msg):
        raw = msg if isinstance(msg, bytes) else msg.as_bytes()
        with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as s:
            s.sendmail(SENDER, [RCPT], raw)

    def arrived(self, the_lab, count):
        self.assertTrue(the_lab.wait_delivered(count, 90),
                        the_lab.milter_log()[-3000:] + the_lab.postfix_log()[-2000:])
        out = the_lab.delivered()
        self.assertEqual(len(out), count)
        return out

    def by_id(self, delivered, mid):
        for _, msg in delivered:
            if msg["Message-ID"] == f"<{mid}@example.co.jp>":
                return msg
        self.fail(f"{mid} not delivered: {[m['Message-ID'] for _, m in delivered]}")

    def unlocked(self, delivered):
        return [m for _, m in delivered if str(m["Subject"] or "").startswith(MARK)]

    def quarantine(self, *args, status=0, stdin=None):
        p = subprocess.run([lab.MUGAI, "quarantine", args[0], "-c", self.conf] + list(args[1:]),
                           capture_output=True, timeout=120, input=stdin)
        self.assertEqual(p.returncode, status, p.stderr.decode(errors="replace"))
        return (p.stdout if status == 0 else p.stderr).decode()

    def waiting(self):
        return [e["id"] for e in json.loads(self.quarantine("list", "--locked", "--json"))]

    def assert_text_only(self, delivered):
        for raw, msg in delivered:
            self.assertEqual(msg.get_content_type(), "text/plain", raw[:500])
            self.assertNotIn(b"PK\x03\x04", raw)
        if not os.path.isdir(SHARED_TOOLS):
            return
        sys.path.insert(0, SHARED_TOOLS)
        import mailcheck
        for raw, msg in delivered:
            r = mailcheck.compare(raw, raw)
            self.assertEqual(r["problems"], [], raw[:800])
            self.assertEqual(r["mojibake"], 0)

    def test_zip_then_password_brings_the_files_as_text(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            self.send(the_lab, zip_mail("zip-1", [("memo.txt", MEMO.encode()),
                                                  ("数量.csv", CSV.encode())]))
            first = self.by_id(self.arrived(the_lab, 1), "zip-1")
            text = body(first)
            self.assertIn("資料.zip", text)
            self.assertIn(WAITING, text)
            self.assertIn("locked", first["X-Mugai-Actions"])
            held = self.waiting()
            self.assertEqual(len(held), 1)
            self.send(the_lab, password_mail("pw-1"))
            delivered = self.arrived(the_lab, 3)
            pw = body(self.by_id(delivered, "pw-1"))
            self.assertIn(OPENED, pw)
            self.assertIn("パスワード：********", pw)
            self.assertNotIn(PASSWORD, pw)
            self.assertIn("unlocked", self.by_id(delivered, "pw-1")["X-Mugai-Actions"])
            [opened] = self.unlocked(delivered)
            self.assertEqual(opened["Subject"], MARK + "資料の送付")
            self.assertEqual(opened["In-Reply-To"], "<zip-1@example.co.jp>")
            self.assertIn(SENDER, opened["From"])
            text = body(opened)
            self.assertIn(MEMO.strip(), text)
            self.assertIn("みかん", text)
            self.assertIn("memo.txt", text)
            self.assertIn(held[0], text)  # names the original it came from
            self.assertNotIn(PASSWORD, text)
            self.assert_text_only(delivered)
            self.assertEqual(self.waiting(), [])
            audit = json.loads(self.quarantine("audit", "--json"))
            self.assertEqual([(r["action"], r["id"]) for r in audit], [("release", held[0])])
            self.assertRegex(audit[0]["reason"], r"^PPAP: password mail \w+")
            self.assertIn('unlocked="資料.zip"', audit[0]["detail"])
            self.assertIn(" PPAP: held ", the_lab.milter_log())

    def test_a_wrong_password_changes_nothing_and_the_right_one_opens_it(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            self.send(the_lab, zip_mail("zip-2", [("memo.txt", MEMO.encode())]))
            self.arrived(the_lab, 1)
            self.send(the_lab, password_mail("pw-wrong", "Wr0ngPass"))
            pw = body(self.by_id(self.arrived(the_lab, 2), "pw-wrong"))
            self.assertIn(NOT_OPENED, pw)
            self.assertIn("パスワードが違います", pw)
            self.assertIn("Wr0ngPass", pw)  # not masked: it is not the archive's
            self.assertEqual(len(self.waiting()), 1)
            self.send(the_lab, password_mail("pw-right"))
            delivered = self.arrived(the_lab, 4)
            self.assertIn(OPENED, body(self.by_id(delivered, "pw-right")))
            self.assertEqual(len(self.unlocked(delivered)), 1)
            self.assert_text_only(delivered)

    def age_entries(self, seconds):
        db = sqlite3.connect(os.path.join(self.store, "index.sqlite"))
        with db:
            db.execute("UPDATE entry SET time = time - ?", (seconds,))
        db.close()

    def test_too_late_then_the_admin_unlocks_it(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            self.send(the_lab, zip_mail("zip-3", [("memo.txt", MEMO.encode())]))
            self.arrived(the_lab, 1)
            [held] = self.waiting()
            self.age_entries(2 * 3600)  # the default window is 1h
            self.send(the_lab, password_mail("pw-late"))
            pw = body(self.by_id(self.arrived(the_lab, 2), "pw-late"))
            self.assertIn(TOO_LATE, pw)
            self.assertIn(held, pw)
            self.assertEqual(self.waiting(), [held])
            wrong = os.path.join(self.dir, "wrong.txt")
            with open(wrong, "w") as f:
                f.write("nope\nstill-nope\n")
            err = self.quarantine("unlock", held, "--password-file", wrong, status=3)
            self.assertIn("not unlocked: wrong password", err)
            out = self.quarantine("unlock", held, "--password-file", "-", "--reason", "窓口で確認",
                                  stdin=f"{PASSWORD}\n".encode())
            self.assertRegex(out, rf"^{held}: unlocked \(資料.zip\), sent to 127.0.0.1:{self.release_port}: 250 ")
            delivered = self.arrived(the_lab, 3)
            self.assertIn(MEMO.strip(), body(self.unlocked(delivered)[0]))
            err = self.quarantine("unlock", held, "--password-file", wrong, status=3)
            self.assertIn("was released already", err)
            audit = json.loads(self.quarantine("audit", "--json"))
            self.assertEqual([(r["action"], r["reason"], r["user"]) for r in audit],
                             [("release", "窓口で確認", "root")])
            self.assertIn("by=admin:root", audit[0]["detail"])
            self.assert_text_only(delivered)

    def test_the_password_mail_first_then_again(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            self.send(the_lab, password_mail("pw-early"))
            early = body(self.by_id(self.arrived(the_lab, 1), "pw-early"))
            self.assertIn(PASSWORD, early)  # nothing was held: an ordinary mail
            self.send(the_lab, zip_mail("zip-4", [("memo.txt", MEMO.encode())]))
            self.assertIn(WAITING, body(self.by_id(self.arrived(the_lab, 2), "zip-4")))
            self.send(the_lab, password_mail("pw-again"))
            delivered = self.arrived(the_lab, 4)
            self.assertIn(OPENED, body(self.by_id(delivered, "pw-again")))
            self.assertEqual(len(self.unlocked(delivered)), 1)

    def test_two_zips_one_password(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            self.send(the_lab, zip_mail("zip-5a", [("a.txt", "一つ目の資料\n".encode())], name="a.zip",
                                        subject="一つ目"))
            self.send(the_lab, zip_mail("zip-5b", [("b.txt", "二つ目の資料\n".encode())], name="b.zip",
                                        subject="二つ目"))
            self.arrived(the_lab, 2)
            self.assertEqual(len(self.waiting()), 2)
            self.send(the_lab, password_mail("pw-both"))
            delivered = self.arrived(the_lab, 5)
            self.assertEqual(body(self.by_id(delivered, "pw-both")).count(OPENED), 2)
            texts = sorted(body(m) for m in self.unlocked(delivered))
            self.assertIn("一つ目の資料", texts[0] + texts[1])
            self.assertIn("二つ目の資料", texts[0] + texts[1])
            self.assertEqual(self.waiting(), [])
            self.assert_text_only(delivered)

    def test_hostile_archives(self):
        escape = "/tmp/mugai-ppap-escape.txt"
        absolute = "/etc/mugai-ppap-absolute.txt"
        for path in (escape, absolute):
            if os.path.exists(path):
                os.unlink(path)
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            bomb = [("zeros.bin", b"\0" * (64 << 20))]  # over [convert] member_size (16M)
            self.send(the_lab, zip_mail("zip-bomb", bomb, name="bomb.zip", subject="bomb"))
            names = [("../../../../../../tmp/mugai-ppap-escape.txt", "外へ\n".encode()),
                     (absolute, "絶対パス\n".encode())]
            self.send(the_lab, zip_mail("zip-names", names, name="names.zip", subject="names"))
            self.arrived(the_lab, 2)
            self.send(the_lab, password_mail("pw-hostile"))
            delivered = self.arrived(the_lab, 4)
            pw = body(self.by_id(delivered, "pw-hostile"))
            self.assertIn("bomb.zip", pw)
            self.assertIn(NOT_OPENED + "（展開すると大きすぎます: ", pw)
            self.assertIn(OPENED, pw)
            [opened] = self.unlocked(delivered)
            text = body(opened)
            self.assertIn("mugai-ppap-escape.txt", text)
            self.assertIn("外へ", text)
            self.assertIn("絶対パス", text)
            self.assertNotIn("../", text)  # named by the last component only
            self.assertFalse(os.path.exists(escape))
            self.assertFalse(os.path.exists(absolute))
            self.assertEqual(len(self.waiting()), 1)  # the bomb stays held
            self.assert_text_only(delivered)

    def test_a_virus_inside_is_found_once_opened_and_nothing_of_it_is_sent(self):
        with lab.Lab(conf=self.conf, release_port=self.release_port) as the_lab:
            # What a scanner cannot see inside a protected zip, mugai sees once it opens it.
            self.send(the_lab, zip_mail("zip-virus", [("invoice.com", lab.scan_db.EICAR)],
                                        name="invoice.zip"))
            self.assertIn(WAITING, body(self.by_id(self.arrived(the_lab, 1), "zip-virus")))
            self.send(the_lab, password_mail("pw-virus"))
            delivered = self.arrived(the_lab, 2)
            pw = body(self.by_id(delivered, "pw-virus"))
            self.assertIn(NOT_OPENED + "（開けましたが、中にウイルスが見つかりました: ", pw)
            self.assertIn(PASSWORD, pw)  # it opened nothing that was delivered: not masked
            self.assertEqual(self.unlocked(delivered), [])
            self.assertEqual(len(self.waiting()), 1)
            self.assertEqual(json.loads(self.quarantine("audit", "--json")), [])
            self.assert_text_only(delivered)

    def test_a_relay_that_refuses_defers_the_password_mail_and_marks_nothing(self):
        closed = lab.free_port()  # nothing listens there: the opened text cannot be handed on
        with open(self.conf, encoding="utf-8") as f:
            text = lab.scan_db.config_with_keys(f.read(), "quarantine",
                                                release_relay=f"127.0.0.1:{closed}")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        with lab.Lab(conf=self.conf) as the_lab:
            self.send(the_lab, zip_mail("zip-norelay", [("memo.txt", MEMO.encode())]))
            self.arrived(the_lab, 1)
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                self.send(the_lab, password_mail("pw-norelay"))
            self.assertEqual(refused.exception.smtp_code, 451)
            self.assertEqual(len(the_lab.delivered()), 1)
            self.assertEqual(len(self.waiting()), 1)
            self.assertEqual(json.loads(self.quarantine("audit", "--json")), [])
            self.assertIn("PPAP: ", the_lab.milter_log())


if __name__ == "__main__":
    unittest.main(verbosity=2)
