#!/usr/bin/env python3
"""test_milter_stop.py: SIGTERM while mugai-milter is handling mail. A message it is sanitizing
gets its full answer before the process exits; one still arriving is never accepted; the stop
itself is prompt (libmilter alone would wait up to 5 s for its listener's poll to time out).

  python3 tests/milter/test_milter_stop.py [-v]

Environment as for test_milter_protocol.py (MUGAI, MUGAI_MILTER, MUGAI_ROOT, MUGAI_BUILD).
Each test starts its own milter and stops it.
"""
import os
import shutil
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import milter_client as mc  # noqa: E402
import test_milter_protocol as tp  # noqa: E402  its milter process and configuration helpers

HEAD = (b"From: Sender <sender@example.co.jp>\r\nTo: taro@city.example.lg.jp\r\n"
        b"Subject: stop\r\nMessage-ID: <stop@example.co.jp>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n")
# Big enough that sanitizing it takes far longer than the test's pause before SIGTERM.
PARAGRAPHS = 60000
EOM_HEAD_START = 0.15  # seconds between sending end of data and SIGTERM


def big_html_message():
    html = b"<html><body>" + b"".join(
        b"<p>paragraph %d: <b>lunch</b> at <a href='https://example.jp/%d'>noon</a>?</p>\r\n" % (i, i)
        for i in range(PARAGRAPHS)) + b"</body></html>\r\n"
    return mc.split_message(HEAD + html)


def send_up_to_eom(c, headers, body, qid):
    c.mail(tp.SENDER, macros={"i": qid})
    c.rcpt(tp.RCPT)
    c.data(macros={"i": qid})
    for h in headers:
        c.header(h.name, h.value(c.leadspc))
    c.eoh(macros={"i": qid})
    for off in range(0, len(body), mc.MILTER_CHUNK_SIZE):
        c.body(body[off:off + mc.MILTER_CHUNK_SIZE])


class StopUnderMail(unittest.TestCase):
    def setUp(self):
        self.milter = tp.MilterProcess(tp.CONF, self.id().rsplit(".", 1)[-1])

    def tearDown(self):
        if self.milter.alive():
            self.milter.proc.kill()
            self.milter.proc.wait()

    def stop_and_wait(self):
        status, took = self.milter.wait_stopped()
        log = self.milter.log()
        self.assertEqual(status, 0, f"exit status after SIGTERM:\n{tp.tail(log)}")
        self.assertRegex(log, r"(?m)mugai-milter: stopped$")
        return took, log

    def test_message_being_sanitized_at_sigterm_gets_its_answer(self):
        headers, body = big_html_message()
        qid = tp.new_queue_id()
        c = self.milter.client()
        try:
            send_up_to_eom(c, headers, body, qid)
            c.macro(mc.SMFIC_BODYEOB, {"i": qid})
            c.send_packet(mc.SMFIC_BODYEOB)
            time.sleep(EOM_HEAD_START)
            self.assertEqual(self.milter.summary_lines(qid), [],
                             "answered before the stop: the message is too small for this test")
            self.milter.terminate()
            reply = c.read_reply(at_eom=True)
        finally:
            c.close()
        took, log = self.stop_and_wait()
        self.assertIn(reply.action, ("continue", "accept"), f"end of data answered {reply}")
        new_body = b"".join(m[1][0] for m in reply.modifications if m[0] == mc.SMFIR_REPLBODY)
        self.assertIn(b"paragraph 0: lunch at noon", new_body)
        self.assertIn(b"paragraph %d: lunch at noon" % (PARAGRAPHS - 1), new_body)
        self.assertNotIn(b"<p>", new_body)
        lines = self.milter.summary_lines(qid)
        self.assertEqual(len(lines), 1, f"summary lines for {qid}: {lines}")
        self.assertIn(" verdict=deliver ", lines[0])
        self.assertGreater(log.index("mugai-milter: stopped"), log.index(lines[0]),
                           "the milter logged its stop before the message's summary")

    def test_message_still_arriving_at_sigterm_is_not_accepted(self):
        headers, body = big_html_message()
        qid = tp.new_queue_id()
        c = self.milter.client()
        try:
            send_up_to_eom(c, headers, body, qid)
            self.milter.terminate()
            took, _ = self.stop_and_wait()
            try:
                reply = c.eom(macros={"i": qid})
            except (mc.MilterProtocolError, OSError):
                reply = None  # the connection went with the process: Postfix defers the message
        finally:
            c.close()
        self.assertTrue(reply is None or reply.action == "tempfail", f"end of data answered {reply}")
        self.assertLess(took, tp.PROMPT_STOP, "an idle listener took long to stop")


def main():
    suite = unittest.TestLoader().loadTestsFromTestCase(StopUnderMail)
    verbosity = 2 if "-v" in sys.argv[1:] else 1
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    if result.wasSuccessful():
        shutil.rmtree(tp.WORK, ignore_errors=True)
    else:
        print(f"logs kept in {tp.WORK}")
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
