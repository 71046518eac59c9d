#!/usr/bin/env python3
"""The quarantine through the real Postfix: a sanitized message's original is kept under its
Postfix queue ID, exactly as Postfix passed it to the milter (byte for byte what was sent),
before the sink gets the sanitized copy, whose notice names the quarantine id;
a virus is refused 550 and its original kept too; mugai-milter running as an unprivileged user
owns the files it makes. Then `mugai quarantine release` through the lab's smtpd without milters:
the original reaches the sink unchanged (only Postfix's Received header in front), is marked
released and audited; --sanitized --to sends the sanitized copy to another address; a virus is
not released without --force."""
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
        self.release_port = lab.free_port()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-quarantine-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.store = os.path.join(self.dir, "quarantine")
        os.mkdir(self.store, 0o750)  # as packaging makes it: owned by the milter's user
        nobody = pwd.getpwnam("nobody")
        os.chown(self.store, nobody.pw_uid, nobody.pw_gid)
        with open(lab.CONF, encoding="utf-8") as f:
            text = lab.scan_db.config_with_keys(f.read(), "quarantine", dir=self.store,
                                                release_relay=f"127.0.0.1:{self.release_port}")
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def quarantine(self, *args, status=0):
        p = subprocess.run([lab.MUGAI, "quarantine", args[0], "-c", self.conf] + list(args[1:]),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, status, p.stderr)
        return p.stdout if status == 0 else p.stderr

    def test_original_kept_with_queue_id_and_named_in_the_notice(self):
        sent = html_message("q1@example.jp")
        with lab.Lab(conf=self.conf, milter_user="nobody", release_port=self.release_port) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                smtp.sendmail(SENDER, [RCPT], sent)
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(SENDER, [RCPT], virus_message("q2@example.jp"))
                self.assertEqual(caught.exception.smtp_code, 550)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            log = the_lab.milter_log()
            self.check_kept(sent, msg, log)
            self.check_release(the_lab, sent, log)

    def check_kept(self, sent, msg, log):
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
        # mugai-milter made the index, which holds the originals, as the user it runs as.
        path = os.path.join(self.store, "index.sqlite")
        self.assertEqual(os.stat(path).st_uid, pwd.getpwnam("nobody").pw_uid, path)


    def check_release(self, the_lab, sent, log):
        found = {m.group(2): m for m in SUMMARY.finditer(log)}
        qid, virus = found["deliver"].group(3), found["reject"].group(3)
        out = self.quarantine("release", qid, "--reason", "受信者の依頼").decode()
        self.assertRegex(out, rf"^{qid}: released to 127.0.0.1:{self.release_port}: 250 ")
        self.assertTrue(the_lab.wait_delivered(2, 60))
        released = [raw for raw, m in the_lab.delivered() if m["X-Mugai-Actions"] is None]
        self.assertEqual(len(released), 1)
        # Unchanged: the original as sent, behind the Received header Postfix adds (the sink
        # writes LF line ends).
        head, rest = released[0].split(b"\n", 1)
        while rest.startswith((b"\t", b" ")):
            rest = rest.split(b"\n", 1)[1]
        self.assertTrue(head.startswith(b"Received: from "), head)
        self.assertEqual(rest, sent.replace(b"\r\n", b"\n"))
        self.assertEqual([e["id"] for e in json.loads(self.quarantine("list", "--released", "--json"))],
                         [qid])
        # Sanitized again, to another address: the sanitized copy goes there.
        self.quarantine("release", qid, "--sanitized", "--to", "hanako@city.example.lg.jp",
                        "--reason", "to the section head")
        self.assertTrue(the_lab.wait_delivered(3, 60))
        sink = os.path.join(the_lab.state, "sink")
        dumps = []
        for name in os.listdir(sink):
            with open(os.path.join(sink, name), "rb") as f:
                dumps.append(f.read())
        to_hanako = [d for d in dumps if b"X-Rcpt-Args: <hanako@city.example.lg.jp>" in d]
        self.assertEqual(len(to_hanako), 1, dumps)
        self.assertIn(b"X-Mugai-Actions: html2text", to_hanako[0])
        # A virus stays unless forced.
        err = self.quarantine("release", virus, "--reason", "x", status=3).decode()
        self.assertIn(f"{virus} holds a virus ({lab.scan_db.EICAR_NAME}): not released", err)
        audit = json.loads(self.quarantine("audit", "--json"))
        self.assertEqual([(r["action"], r["id"], r["reason"], r["user"]) for r in audit],
                         [("release", qid, "受信者の依頼", "root"),
                          ("release", qid, "to the section head", "root")])
        self.assertIn("to=<taro@city.example.lg.jp>", audit[0]["detail"])
        self.assertIn("sanitized=main", audit[1]["detail"])


if __name__ == "__main__":
    unittest.main()
