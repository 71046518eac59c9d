#!/usr/bin/env python3
"""Direction and size caps through the real Postfix: mail over [inbound] / [outbound]
max_message_size is refused 552 5.3.4 at MAIL FROM when the client declares its SIZE, and at the
end of DATA when it does not (a sender may leave SIZE out); mail from [gateway] internal_networks
or an outbound_daemon_names service is outbound, under its own cap, and passes unsanitized.
[authentication] behind a stand-in for OpenDMARC in the same smtpd_milters: its DMARC fail is
refused, and the sink's copy keeps its Authentication-Results and loses the forged ones."""
import os, shutil, smtplib, subprocess, sys, tempfile, time, unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402
from authres_milter import AuthresMilter  # noqa: E402

SENDER, RCPT = "sender@example.co.jp", "taro@city.example.lg.jp"


def message(mid, body_bytes):
    head = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: size {mid}\r\nMessage-ID: <{mid}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    line = b"0123456789" * 7 + b"abcdef\r\n"
    return head + line * (body_bytes // len(line) + 1)


def conf_file(directory, **groups):
    with open(lab.CONF, encoding="utf-8") as f:
        text = f.read()
    for group, keys in groups.items():
        text = lab.scan_db.config_with_keys(text, group, **keys)
    path = os.path.join(directory, "mugai.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def summary_lines(the_lab):
    return [l for l in the_lab.milter_log().splitlines() if " verdict=" in l]


class Gateway(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-gateway-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_default_inbound_cap_is_10M_with_and_without_size(self):
        with lab.Lab(conf=lab.CONF) as the_lab:
            big = message("big-size@example.jp", 11 * 1024 * 1024)
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                # smtplib declares SIZE= itself when the server offers it, as MTAs do.
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                    smtp.sendmail(SENDER, [RCPT], big)
                self.assertEqual(caught.exception.smtp_code, 552)
                self.assertEqual(caught.exception.smtp_error,
                                 b"5.3.4 Message too big for this gateway (limit 10M for inbound mail)")
                smtp.rset()
                # No SIZE: refused once 10M have arrived, at the end of DATA.
                self.assertEqual(smtp.mail(SENDER)[0], 250)
                self.assertEqual(smtp.rcpt(RCPT)[0], 250)
                code, text = smtp.data(message("big-nosize@example.jp", 11 * 1024 * 1024))
                self.assertEqual((code, text), (552, b"5.3.4 Message too big for this gateway "
                                                      b"(limit 10M for inbound mail)"))
                # Under the cap: delivered, sanitized (inbound).
                smtp.sendmail(SENDER, [RCPT], message("small@example.jp", 100 * 1024))
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            self.assertEqual(msg["Message-ID"], "<small@example.jp>")
            self.assertIsNotNone(msg["X-Mugai-Actions"])
            lines = summary_lines(the_lab)
            self.assertEqual(len(lines), 3, lines)
            refused = [l for l in lines if "reason=too_big" in l]
            self.assertEqual(len(refused), 2, lines)
            for line in refused:
                self.assertIn(" direction=in ", line)
                self.assertIn('detail="over the inbound limit of 10M"', line)

    def test_internal_network_is_outbound_with_its_own_cap(self):
        conf = conf_file(self.dir, gateway={"internal_networks": "192.0.2.0/24, 127.0.0.0/8"},
                         outbound={"max_message_size": "1M"})
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:
                    smtp.sendmail(SENDER, [RCPT], message("out-big@example.jp", 2 * 1024 * 1024))
                self.assertEqual(caught.exception.smtp_error,
                                 b"5.3.4 Message too big for this gateway (limit 1M for outbound mail)")
                sent = message("out-small@example.jp", 10 * 1024)
                smtp.sendmail(SENDER, [RCPT], sent)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            self.assertEqual(msg["Message-ID"], "<out-small@example.jp>")
            # Outbound mail is not sanitized: the body arrives as it was sent.
            self.assertEqual(raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1],
                             sent.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1])
            lines = summary_lines(the_lab)
            self.assertTrue(all(" direction=out " in l for l in lines), lines)

    def test_rule_sections_split_recipients_and_size_caps_per_rule(self):
        conf = conf_file(self.dir, gateway={"external_subject_tag": "[外部]"},
                         inbound={"max_message_size": "1M"})
        with open(conf, "a", encoding="utf-8") as f:
            f.write("\n[rule finance]\nmatch_rcpt_domain = finance.city.example.lg.jp\n"
                    "inbound.max_message_size = 3M\ngateway.external_subject_tag = [財務]\n")
        finance = "kaikei@finance.city.example.lg.jp"
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                smtp.ehlo()
                # 2M is over the main cap but within the finance rule's: MAIL FROM passes,
                # a main-policy recipient is refused, the finance one accepted, and a main-policy
                # recipient after it deferred to a message of its own.
                self.assertEqual(smtp.mail(SENDER, ["SIZE=2000000"])[0], 250)
                self.assertEqual(smtp.rcpt(RCPT), (552, b"5.3.4 Message too big for this gateway "
                                                        b"(limit 1M for inbound mail)"))
                self.assertEqual(smtp.rcpt(finance)[0], 250)
                self.assertEqual(smtp.rcpt("hanako@city.example.lg.jp"),
                                 (452, b"4.5.3 Recipient under another policy rule of this "
                                       b"gateway; send it in a separate message"))
                self.assertEqual(smtp.data(message("rule-big@example.jp", 2000000 - 4096))[0], 250)
                smtp.sendmail(SENDER, [RCPT], message("main-small@example.jp", 10 * 1024))
                with self.assertRaises(smtplib.SMTPSenderRefused) as caught:  # over every rule
                    smtp.sendmail(SENDER, [finance], message("too-big@example.jp", 4 << 20))
                self.assertEqual(caught.exception.smtp_code, 552)
            self.assertTrue(the_lab.wait_delivered(2, 60))
            subjects = {msg["Message-ID"]: str(msg["Subject"]) for _, msg in the_lab.delivered()}
            self.assertEqual(subjects, {"<rule-big@example.jp>": "[財務] size rule-big@example.jp",
                                        "<main-small@example.jp>": "[外部] size main-small@example.jp"})
            log = the_lab.milter_log()
            self.assertIn("to=<hanako@city.example.lg.jp> is under the main policy, the message "
                          "under [rule finance]: deferred to a message of its own (452 4.5.3)", log)
            lines = summary_lines(the_lab)
            self.assertEqual(len([l for l in lines if " rule=finance" in l and
                                  "verdict=deliver" in l]), 1, lines)

    def test_outbound_attachment_block_and_the_senders_notification(self):
        inside = "taro@city.example.lg.jp"
        the_lab = lab.Lab()
        conf = conf_file(self.dir, gateway={"internal_networks": "127.0.0.0/8",
                                            "internal_domains": "city.example.lg.jp"},
                         outbound={"attachments": "block", "attachments_clause": "DLP-2"},
                         notify={"refused_outbound": "yes",
                                 "sendmail_command": f"/usr/sbin/sendmail -C {the_lab.state}/etc",
                                 "contact": "情報政策課"})
        the_lab.conf = conf
        attached = (f"From: {inside}\r\nTo: partner@example.com\r\nSubject: 見積書\r\n"
                    "Message-ID: <att@example.jp>\r\nMIME-Version: 1.0\r\n"
                    'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                    "Content-Type: text/plain; charset=UTF-8\r\n\r\n添付します。\r\n--b\r\n"
                    'Content-Type: application/pdf; name="a.pdf"\r\nContent-Transfer-Encoding: base64\r\n'
                    "\r\nJVBERi0xLjQK\r\n--b--\r\n").encode()
        with the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(inside, ["partner@example.com"], attached)
                self.assertEqual(caught.exception.smtp_code, 550)
                self.assertEqual(caught.exception.smtp_error,
                                 b"5.7.1 Attachments are not allowed in outbound mail "
                                 b"(1 attached; clause DLP-2)")
                smtp.sendmail(inside, ["partner@example.com"], message("plain@example.jp", 1024))
            self.assertTrue(the_lab.wait_delivered(2, 60), the_lab.milter_log()[-2000:])
            by_subject = {str(msg["Subject"]): msg for _, msg in the_lab.delivered()}
            self.assertIn("size plain@example.jp", by_subject)
            note = by_subject.get("【送信できませんでした】見積書")
            self.assertIsNotNone(note, list(by_subject))
            self.assertEqual(note["To"], inside)
            self.assertEqual(note["Auto-Submitted"], "auto-generated")
            body = note.get_content()
            self.assertIn("送信メールへのファイルの添付は認められていません。", body)
            self.assertIn("  根拠: DLP-2\n", body)
            self.assertIn("お問い合わせ: 情報政策課", body)
            self.assertIn(f"notification sent to <{inside}>", the_lab.milter_log())
            self.assertRegex(the_lab.postfix_log(), r"from=<>, size=")  # the null sender

    def test_outbound_bcc_and_individual_number_rules(self):
        inside = "taro@city.example.lg.jp"
        conf = conf_file(self.dir, gateway={"internal_networks": "127.0.0.0/8",
                                            "internal_domains": "city.example.lg.jp"},
                         outbound={"max_shown_external_addresses": "2"})
        def mail(to, body):
            return (f"From: {inside}\r\nTo: {to}\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n\r\n" + body + "\r\n").encode()
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(inside, ["a@example.com"],
                                  mail("a@example.com, b@example.net, c@example.org", "本文"))
                self.assertEqual((caught.exception.smtp_code, caught.exception.smtp_error),
                                 (550, b"5.7.1 Too many outside addresses in To and Cc: put them in "
                                       b"Bcc (3, at most 2)"))
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(inside, ["a@example.com"], mail("a@example.com", "番号 1234 5678 9018"))
                self.assertEqual((caught.exception.smtp_code, caught.exception.smtp_error),
                                 (550, b"5.7.1 Message contains an individual number (My Number): not sent"))
                smtp.sendmail(inside, ["a@example.com"], mail("a@example.com, b@example.net",
                                                              "注文番号 123456789012"))
            self.assertTrue(the_lab.wait_delivered(1, 60))
            self.assertEqual(len(the_lab.delivered()), 1)

    def test_impersonation_warned_refused_for_the_strict_list_and_allowed_for_the_allow_list(self):
        allow, strict = os.path.join(self.dir, "allow.txt"), os.path.join(self.dir, "strict.txt")
        for path, text in ((allow, "partner.example.jp\n"), (strict, "bad.example.net\n")):
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(path, 0o644)
        conf = conf_file(self.dir, gateway={"internal_domains": "city.example.lg.jp"},
                         lists={"allow_senders": allow, "strict_senders": strict})
        def claim(mid):
            return (f"From: 総務課 <soumu@city.example.lg.jp>\r\nTo: {RCPT}\r\nSubject: {mid}\r\n"
                    f"Message-ID: <{mid}@example.jp>\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=UTF-8\r\n\r\n至急お振込みください。\r\n").encode()
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail("x@bad.example.net", [RCPT], claim("strict"))
                self.assertEqual((caught.exception.smtp_code, caught.exception.smtp_error),
                                 (550, b"5.7.1 Message claims an inside sender but comes from outside"))
                smtp.sendmail("x@partner.example.jp", [RCPT], claim("allowed"))
                smtp.sendmail("x@other.example.com", [RCPT], claim("warned"))
            self.assertTrue(the_lab.wait_delivered(2, 60))
            got = {str(msg["Subject"]): msg for _, msg in the_lab.delivered()}
            self.assertEqual(set(got), {"allowed", "warned"})
            self.assertIn("impersonation_warned", got["warned"]["X-Mugai-Actions"])
            self.assertIn("内部のアドレスを名乗って", got["warned"].get_content())
            self.assertNotIn("impersonation", got["allowed"]["X-Mugai-Actions"])
            lines = summary_lines(the_lab)
            self.assertTrue(any(" list=strict " in l and "reason=impersonation" in l for l in lines), lines)
            self.assertTrue(any(" list=allow" in l and "verdict=deliver" in l for l in lines), lines)

    def test_automatic_forward_is_refused_outbound_and_a_reply_passes(self):
        conf = conf_file(self.dir, gateway={"internal_networks": "127.0.0.0/8",
                                            "internal_domains": "co.jp"},
                         autoforward={"clause": "10a"})
        forwarded = message("fwd@example.jp", 1024).replace(
            b"MIME-Version", b"X-MS-Exchange-Inbox-Rules-Loop: sender@example.co.jp\r\nMIME-Version", 1)
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail(SENDER, [RCPT], forwarded)
                self.assertEqual(caught.exception.smtp_code, 550)
                self.assertEqual(caught.exception.smtp_error,
                                 b"5.7.1 Automatic forwarding is not allowed by this gateway "
                                 b"(X-MS-Exchange-Inbox-Rules-Loop; clause 10a)")
                smtp.sendmail(SENDER, [RCPT], message("reply@example.jp", 1024))
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            self.assertEqual(msg["Message-ID"], "<reply@example.jp>")
            refused = [l for l in summary_lines(the_lab) if "reason=autoforward" in l]
            self.assertEqual(len(refused), 1)
            self.assertIn('clause="10a"', refused[0])
            self.assertIn(" direction=out ", refused[0])

    def test_outbound_daemon_name_makes_mail_outbound(self):
        # {daemon_name} is Postfix's milter_macro_daemon_name, set per master.cf service; the
        # convention for mail from the inside (OpenDKIM's too) is ORIGINATING.
        conf = conf_file(self.dir, gateway={"outbound_daemon_names": "ORIGINATING"})
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                smtp.sendmail(SENDER, [RCPT], message("by-default-name@example.jp", 1024))
            etc = os.path.join(the_lab.state, "etc")
            subprocess.run(["postconf", "-c", etc, "-e", "milter_macro_daemon_name=ORIGINATING"], check=True)
            subprocess.run(["postfix", "-c", etc, "reload"], check=True, capture_output=True)
            time.sleep(1.5)  # smtpd processes started after the reload have the new value
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                smtp.sendmail(SENDER, [RCPT], message("by-daemon@example.jp", 1024))
            self.assertTrue(the_lab.wait_delivered(2, 60))
            lines = summary_lines(the_lab)
            self.assertEqual(len(lines), 2, lines)
            self.assertIn(" direction=in ", lines[0])  # {daemon_name} was $myhostname
            self.assertIn(" direction=out ", lines[1])

    def test_dmarc_fail_is_refused_and_forged_results_are_removed(self):
        """Postfix shows mugai the header the authenticator before it inserted at position 1, and
        hides its own Received header: the rule of [authentication] rests on both."""
        authserv = "mx.lab.example"
        conf = conf_file(self.dir, authentication={"trusted_authserv_ids": authserv,
                                                   "dmarc_fail": "reject", "clause": "10b"})
        head = ("Received: from mail.example.jp (mail.example.jp [192.0.2.25])\r\n"
                "\tby relay.example.net (Postfix) with ESMTPS id 4AbC; Tue, 1 Dec 2026 10:00:00 +0900\r\n"
                f"Authentication-Results: {authserv}; dmarc=pass header.from=example.com\r\n"
                "Authentication-Results: mx.google.com; spf=pass smtp.mailfrom=a@example.com\r\n")
        spoofed = (head + "From: 総務課 <soumu@spoofed.example>\r\nTo: " + RCPT + "\r\n"
                   "Subject: urgent\r\nMessage-ID: <spoofed@example>\r\nMIME-Version: 1.0\r\n"
                   "Content-Type: text/plain; charset=UTF-8\r\n\r\n振込先変更\r\n").encode()
        good = (head + "From: news@example.jp\r\nTo: " + RCPT + "\r\nSubject: news\r\n"
                "Message-ID: <good@example.jp>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/html; charset=UTF-8\r\n\r\n<p>お知らせ</p>\r\n").encode()
        with AuthresMilter(authserv) as auth, lab.Lab(conf=conf) as the_lab:
            etc = os.path.join(the_lab.state, "etc")
            mugai = subprocess.run(["postconf", "-c", etc, "-h", "smtpd_milters"], check=True,
                                   capture_output=True, text=True).stdout.strip()
            subprocess.run(["postconf", "-c", etc, "-e",
                            f"smtpd_milters=inet:127.0.0.1:{auth.port} {mugai}"], check=True)
            subprocess.run(["postfix", "-c", etc, "reload"], check=True, capture_output=True)
            time.sleep(1.5)  # smtpd processes started after the reload have both milters
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
                with self.assertRaises(smtplib.SMTPDataError) as caught:
                    smtp.sendmail("bounce@spoofed.example", [RCPT], spoofed)
                self.assertEqual(caught.exception.smtp_code, 550)
                self.assertEqual(caught.exception.smtp_error,
                                 b"5.7.1 Message failed the DMARC check of its From domain "
                                 b"(spoofed.example; clause 10b)")
                smtp.sendmail("bounce@example.jp", [RCPT], good)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            (raw, msg), = the_lab.delivered()
            self.assertEqual(msg["Message-ID"], "<good@example.jp>")
            kept = [str(v) for v in msg.get_all("Authentication-Results")]
            self.assertEqual(kept, [f"{authserv}; dmarc=pass (p=none dis=none) header.from=example.jp"])
            self.assertNotIn(b"mx.google.com", raw)
            self.assertNotIn(b"header.from=example.com", raw)
            # In the delivered order: Postfix's Received, the authenticator's header, the relay's.
            names = [k.lower() for k in msg.keys()]
            self.assertEqual(names[:3], ["received", "authentication-results", "received"])
            body = msg.get_body().get_content()
            self.assertIn("送信元認証: DMARC=pass (example.jp)", body)
            lines = summary_lines(the_lab)
            refused = [l for l in lines if "reason=dmarc" in l]
            self.assertEqual(len(refused), 1, lines)
            self.assertIn('clause="10b"', refused[0])
            delivered = [l for l in lines if "verdict=deliver" in l]
            self.assertEqual(len(delivered), 1, lines)
            self.assertIn("auth_results_removed:2", delivered[0])


if __name__ == "__main__":
    lab.require_root_and_postfix()
    unittest.main(verbosity=2)
