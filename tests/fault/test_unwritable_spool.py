#!/usr/bin/env python3
"""An internal failure makes Postfix keep the message: mugai-milter, running as an unprivileged
user, cannot create its spool file, so the SMTP client gets 451 4.3.0 and nothing reaches the
sink; once the directory is fixed, the same message is delivered (nothing was lost)."""
import os, pwd, shutil, smtplib, sys, tempfile, unittest
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import lab

MESSAGE = open(os.path.join(lab.ROOT, "tests", "golden", "attachments_japanese_names", "input.eml"), "rb").read()


class UnwritableSpool(unittest.TestCase):
    def test_tempfail_then_delivery_after_the_fix(self):
        lab.require_root_and_postfix()
        user = "nobody"
        tmp = tempfile.mkdtemp(prefix="mugai-fault-")
        self.addCleanup(shutil.rmtree, tmp, True)
        os.chmod(tmp, 0o755)
        spool = os.path.join(tmp, "spool")
        os.mkdir(spool, 0o700)  # root's: nobody cannot create files here
        conf = os.path.join(tmp, "mugai.conf")
        with open(conf, "w") as f:
            f.write(lab.scan_db.config_with_database(
                f"[milter]\nspool_dir = {spool}\nspool_memory = 0\n", lab.scan_db.database()))
        os.chmod(conf, 0o644)
        with lab.Lab(conf=conf, milter_user=user) as l:
            with smtplib.SMTP("127.0.0.1", l.port, timeout=60) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], MESSAGE)
            self.assertEqual(caught.exception.smtp_code, 451)
            self.assertIn(b"4.3.0", caught.exception.smtp_error)
            self.assertFalse(l.wait_delivered(1, 5), "a message was delivered although mugai failed")
            self.assertIn("temporary failure", l.milter_log())
            self.assertIn("Permission denied", l.milter_log())

            pw = pwd.getpwnam(user)
            os.chown(spool, pw.pw_uid, pw.pw_gid)  # the admin fixes it; the client retries
            with smtplib.SMTP("127.0.0.1", l.port, timeout=60) as smtp:
                smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], MESSAGE)
            self.assertTrue(l.wait_delivered(1, 60))
            (raw, msg), = l.delivered()
            self.assertEqual(msg.get_content_type(), "text/plain")
            self.assertIn("見積書.pdf", msg.get_payload(decode=True).decode("utf-8"))
            self.assertEqual(os.listdir(spool), [])  # the spool file was private and unlinked


if __name__ == "__main__":
    unittest.main(verbosity=2)
