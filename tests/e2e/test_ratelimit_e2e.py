#!/usr/bin/env python3
"""Mass mailing limits ([ratelimit]) through the real Postfix: past sender_messages a sender's next
message gets 451 4.7.1 at MAIL FROM, as the SMTP client sees it, and the log says so loudly once;
other and exempt senders pass; past sender_recipients the recipient over it gets 451 4.7.1 at
RCPT TO and the next message is deferred at MAIL FROM; a SIGHUP reload keeps the counts while the
new thresholds apply; inbound mail is not counted with direction = outbound."""
import os, re, shutil, signal, smtplib, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402
from test_gateway_e2e import conf_file, summary_lines  # noqa: E402
from test_scan_e2e import wait_for  # noqa: E402

A, B = "a@city.example.lg.jp", "b@city.example.lg.jp"
NEWS = "news@city.example.lg.jp"
RCPT = "someone@example.com"
REPLY = b"4.7.1 Mass mailing limit reached, please try again later (too many %s from this sender in 1h%s)"


def message(sender, mid):
    return (f"From: {sender}\r\nTo: {RCPT}\r\nSubject: rate {mid}\r\nMessage-ID: <{mid}@example.jp>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nhello\r\n").encode()


def send(smtp, sender, mid, rcpts=(RCPT,)):
    """(code, text) of the first refusal, or (250, b"") when the message was accepted."""
    try:
        smtp.sendmail(sender, list(rcpts), message(sender, mid))
        return 250, b""
    except smtplib.SMTPSenderRefused as e:
        return e.smtp_code, e.smtp_error


def loud_lines(the_lab):
    return [l for l in the_lab.milter_log().splitlines() if ": rate limit: " in l]


class RateLimit(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-ratelimit-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)

    def outbound_conf(self, **ratelimit):
        return conf_file(self.dir, gateway={"internal_networks": "127.0.0.0/8"}, ratelimit=ratelimit)

    def test_sender_over_its_message_limit_is_deferred_and_a_reload_keeps_the_count(self):
        conf = self.outbound_conf(sender_messages="3", exempt_senders=NEWS, clause="10a")
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                for i in range(3):
                    self.assertEqual(send(smtp, A, f"a{i}"), (250, b""))
                for i in range(3, 6):  # the run goes on: deferred each time
                    self.assertEqual(send(smtp, A, f"a{i}"), (451, REPLY % (b"messages", b"; clause 10a")))
                self.assertEqual(send(smtp, B, "b0"), (250, b""))  # another sender passes
                for i in range(5):
                    self.assertEqual(send(smtp, NEWS, f"n{i}"), (250, b""))  # exempt
            self.assertTrue(the_lab.wait_delivered(9, 60))
            sent = sorted(m["Message-ID"] for _, m in the_lab.delivered())
            self.assertEqual(sent, sorted(f"<{x}@example.jp>" for x in
                                          ["a0", "a1", "a2", "b0", "n0", "n1", "n2", "n3", "n4"]))
            loud = loud_lines(the_lab)
            self.assertEqual(len(loud), 1, f"once per sender and window: {loud}")
            self.assertTrue(loud[0].endswith(
                " mugai-milter: NOQUEUE: rate limit: sender=<a@city.example.lg.jp> sent 3 messages in "
                "1h, the limit of [ratelimit] sender_messages = 3; deferring more (mass mailing?); "
                "clause 10a"), loud[0])
            deferred = [l for l in summary_lines(the_lab) if "reason=rate_limit" in l]
            self.assertEqual(len(deferred), 3, "every deferred message has its summary line")
            for line in deferred:
                self.assertIn("from=<a@city.example.lg.jp>", line)
                self.assertIn(" verdict=tempfail direction=out ", line)
                self.assertIn('clause="10a"', line)
            self.assertEqual(the_lab.postfix_log().count("milter-reject: MAIL from"), 3)

            # Reloaded with a higher threshold: A's 3 still count, so one more passes, not four.
            self.assertEqual(self.outbound_conf(sender_messages="4", exempt_senders=NEWS), conf)
            the_lab.milter.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: "reload: configuration" in the_lab.milter_log(), 10))
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                self.assertEqual(send(smtp, A, "a6"), (250, b""))
                self.assertEqual(send(smtp, A, "a7"), (451, REPLY % (b"messages", b"")))
                for i in range(1, 4):
                    self.assertEqual(send(smtp, B, f"b{i}"), (250, b""))
                self.assertEqual(send(smtp, B, "b4"), (451, REPLY % (b"messages", b"")))
            self.assertNotIn("the counts start again", the_lab.milter_log())
            self.assertEqual(len(loud_lines(the_lab)), 2, "A was said once already; B now")
            self.assertIn("sender=<b@city.example.lg.jp> sent 4 messages in 1h, the limit of [ratelimit] "
                          "sender_messages = 4", loud_lines(the_lab)[1])
            self.assertTrue(the_lab.wait_delivered(13, 60))

    def test_recipient_over_the_limit_is_deferred_at_its_rcpt(self):
        conf = self.outbound_conf(sender_messages="100", sender_recipients="5")
        rcpts = [f"r{i}@example.com" for i in range(7)]
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                self.assertEqual(smtp.mail(A)[0], 250)
                answers = [smtp.rcpt(r) for r in rcpts]
                self.assertEqual(answers[:5], [(250, b"2.1.5 Ok")] * 5)
                self.assertEqual(answers[5:], [(451, REPLY % (b"recipients", b""))] * 2)
                self.assertEqual(smtp.data(message(A, "many"))[0], 250)  # to the five accepted
                # The recipients are used up: the next message is deferred at MAIL FROM.
                self.assertEqual(send(smtp, A, "next"), (451, REPLY % (b"recipients", b"")))
                self.assertEqual(send(smtp, B, "other"), (250, b""))
            self.assertTrue(the_lab.wait_delivered(2, 60))
            self.assertTrue(wait_for(lambda: the_lab.postfix_log().count("status=sent") == 6, 30),
                            the_lab.postfix_log()[-2000:])
            for r in rcpts[:5]:
                self.assertIn(f"to=<{r}>", the_lab.postfix_log())
            self.assertEqual(the_lab.postfix_log().count("milter-reject: RCPT from"), 2)
            loud = loud_lines(the_lab)
            self.assertEqual(len(loud), 1, loud)
            self.assertTrue(loud[0].endswith(
                ": rate limit: sender=<a@city.example.lg.jp> sent to 5 recipients in 1h, the limit of "
                "[ratelimit] sender_recipients = 5; deferring more (mass mailing?)"), loud[0])
            # The message deferred at MAIL FROM has its summary line; each deferred recipient a
            # short line of its own, and the message that went on its summary line with 5.
            lines = summary_lines(the_lab)
            self.assertEqual(len([l for l in lines if "reason=rate_limit" in l]), 1, lines)
            self.assertEqual(len([l for l in lines if "rcpts=5 " in l and "verdict=deliver" in l]), 1, lines)
            short = [l for l in the_lab.milter_log().splitlines() if ": recipient deferred: " in l]
            self.assertEqual([l.split(" to=")[1].split(" ")[0] for l in short],
                             ["<r5@example.com>", "<r6@example.com>"])
            for line in short:
                self.assertIn(' reason=rate_limit reply="451 4.7.1 Mass mailing limit reached', line)

    def test_inbound_mail_is_not_counted_with_direction_outbound(self):
        conf = conf_file(self.dir, ratelimit={"sender_messages": "2", "client_messages": "2"})
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                for i in range(5):
                    self.assertEqual(send(smtp, "x@example.com", f"in{i}"), (250, b""))
            self.assertTrue(the_lab.wait_delivered(5, 60))
            lines = summary_lines(the_lab)
            self.assertEqual(len(lines), 5)
            self.assertTrue(all(" direction=in " in l and "verdict=deliver" in l for l in lines), lines)
            self.assertEqual(loud_lines(the_lab), [])

    def test_an_allow_list_sender_is_neither_counted_nor_limited(self):
        allow = os.path.join(self.dir, "allow.txt")
        with open(allow, "w", encoding="utf-8") as f:
            f.write(A + "\n")
        os.chmod(allow, 0o644)
        conf = conf_file(self.dir, gateway={"internal_networks": "127.0.0.0/8"},
                         ratelimit={"sender_messages": "2"}, lists={"allow_senders": allow})
        with lab.Lab(conf=conf) as the_lab:
            with smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60) as smtp:
                for i in range(4):
                    self.assertEqual(send(smtp, A, f"al{i}"), (250, b""))
            self.assertTrue(the_lab.wait_delivered(4, 60))
            self.assertEqual(loud_lines(the_lab), [])


if __name__ == "__main__":
    lab.require_root_and_postfix()
    unittest.main(verbosity=2)
