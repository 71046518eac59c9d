#!/usr/bin/env python3
"""The quarantine through the real Postfix: a sanitized message's original is kept under its
Postfix queue ID, exactly as Postfix passed it to the milter (byte for byte what was sent),
before the sink gets the sanitized copy, whose notice names the quarantine id;
a virus is refused 550 and its original kept too; mugai-milter running as an unprivileged user
owns the files it makes."""
import base64, json, os, pwd, re, shutil, smtplib, subprocess, sys, tempfile, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

SENDER, RCPT = "sender@example.co.jp", "taro@city.example.lg.jp"
SUMMARY = re.compile(r"(\S+): from=<[^>]*> .* verdict=(\w+) .*quarantine=(\d{8}-\d{6}-[0-9a-f]{10})")


def html_message(mid):
    return (f"From: =?UTF-8?B?5pel5pys?= <{SENDER}>\r\nTo: {RCPT}\r\nSubject: html {mid}\r\n\t folded\r\n"
            f"Message-ID: <{mid}>\r\nDate: Tue, 01 Dec 2026 12:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n<p>本文 <b>です</b></p>\r\n").encode()


def virus_message(mid):
    b64 = base64.encodebytes(lab.scan_db.EICAR).decode().replace("\n", "\r\n")
    return (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: virus\r\nMessage-ID: <{mid}>\r\n"
            "Date: Tue, 01 Dec 2026 12:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "hi\r\n--b\r\nContent-Type: application/octet-stream; name=e.com\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n").encode()


class QuarantineE2E(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-quarantine-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.store = os.path.join(self.dir, "quarantine")
        os.mkdir(self.store, 0o750)  # as packaging makes it: owned by the milter's user
        nobody = pwd.getpwnam("nobody")
        os.chown(self.store, nobody.pw_uid, nobody.pw_gid)
        with open(lab.CONF, encoding="utf-8") as f:
            text = lab.scan_db.config_with_keys(f.read(), "quarantine", dir=self.store)
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def quarantine(self, *args):
        p = subprocess.run([lab.MUGAI, "quarantine", args[0], "-c", self.conf] + list(args[1:]),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout

    def test_original_kept_with_queue_id_and_named_in_the_notice(self):
        sent = html_message("q1@example.jp")
        with lab.Lab(conf=self.conf, milter_user="nobody") as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                smtp.sendmail(SENDER, [RCPT], sent)
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(SENDER, [RCPT], virus_message("q2@example.jp"))
                self.assertEqual(caught.exception.smtp_code, 550)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            log = the_lab.milter_log()
        found = {m.group(2): m for m in SUMMARY.finditer(log)}
        self.assertEqual(sorted(found), ["deliver", "reject"], log)
        queue_id, qid = found["deliver"].group(1), found["deliver"].group(3)
        self.assertNotEqual(queue_id, "NOQUEUE")
        # The recipient's notice names the id to ask for.
        self.assertIn(f"元のメールは隔離番号 {qid} で保管しています。", msg.get_content())
        entry = json.loads(self.quarantine("show", qid, "--json"))
        self.assertEqual(entry["queue_id"], queue_id)
        self.assertEqual((entry["mail_from"], entry["rcpts"]), (SENDER, [RCPT]))
        self.assertEqual(entry["client"], "127.0.0.1")
        self.assertEqual(entry["from"], f"日本 <{SENDER}>")
        original = self.quarantine("show", qid, "--raw")
        # What Postfix passed the milter, which is the message as sent (Postfix adds its Received
        # header after the smtpd milters).
        self.assertEqual(original, sent)
        virus = json.loads(self.quarantine("show", found["reject"].group(3), "--json"))
        self.assertEqual(virus["reason"], "virus")
        self.assertEqual(virus["queue_id"], found["reject"].group(1))
        self.assertEqual(virus["signatures"], [lab.scan_db.EICAR_NAME])
        # mugai-milter made the index and the files as the user it runs as.
        for path in (os.path.join(self.store, "index.sqlite"),
                     os.path.join(self.store, "objects", qid[16:18], qid[18:20], qid)):
            self.assertEqual(os.stat(path).st_uid, pwd.getpwnam("nobody").pw_uid, path)


if __name__ == "__main__":
    unittest.main()
