#!/usr/bin/env python3
"""End to end: mail sent over SMTP to a real Postfix with mugai-milter arrives at the sink as one
text/plain UTF-8 part, with the notice naming what was removed and the Japanese text intact,
byte-identical in body to what `mugai sanitize` gives for the same message."""
import email, email.header, os, shutil, smtplib, subprocess, sys, tempfile, unittest
from email import policy as email_policy
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab

GOLDEN = os.path.join(lab.ROOT, "tests", "golden")
SHARED_TOOLS = os.path.join(os.path.dirname(lab.ROOT), "shared", "tools")
CASES = {
    "japanese_html_newsletter": ["防災だより 11月号", "避難訓練", "北区 | 北小学校", "防災ページ <https://www.example.co.jp/bousai>"],
    "attachments_japanese_names": ["見積書.pdf", "資料一式.zip", "請求書.xlsx", "お見積書（PDF）と資料一式（ZIP）をお送りします。"],
    "iso2022jp_plain": ["①会議資料を送ります。", "㈱サンプル 髙橋", "機種依存文字（①、㈱、Ⅲ）"],
    "shift_jis_plain": ["申込書は窓口で受け付けます。", "－ 市民課 ～ 受付 ―"],
    "archive_contents": ["請求書.xlsx (64 バイト, パスワード付き)", "setup.exe", "議事録.doc", "中身 (tnef)"],
}
# Raw Shift_JIS in a Subject and a control character in a header: Postfix passes them as they
# came; mugai rewrites them in place (smfi_chgheader) to what every client reads.
RAW_HEADERS = (b"From: yamada@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nMessage-ID: <raw-1@example.jp>\r\n"
               b"Subject: " + "会議の件".encode("cp932") + b"\r\nX-Note: bell\x07here\r\n"
               b"Content-Type: text/html; charset=Shift_JIS\r\n\r\n" + "<p>本文です</p>".encode("cp932") + b"\r\n")


def body_text(msg):
    """The decoded body, line ends as "\n" (base64 carries the canonical CRLF form)."""
    return msg.get_payload(decode=True).decode(msg.get_content_charset()).replace("\r\n", "\n")


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lab.require_root_and_postfix()
        # The default configuration with [inbound] max_message_size raised to 16M for the 12 MB
        # message below (test_gateway_e2e.py checks the default cap itself).
        cls.dir = tempfile.mkdtemp(prefix="mugai-e2e-main-")
        os.chmod(cls.dir, 0o755)
        conf = os.path.join(cls.dir, "mugai.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(lab.scan_db.config_with_keys(open(lab.CONF, encoding="utf-8").read(), "inbound",
                                                 max_message_size="16M"))
        os.chmod(conf, 0o644)
        cls.lab = lab.Lab(conf=conf).__enter__()
        cls.sent = {}
        with smtplib.SMTP("127.0.0.1", cls.lab.port, timeout=120) as smtp:
            for case in CASES:
                raw = open(os.path.join(GOLDEN, case, "input.eml"), "rb").read()
                smtp.sendmail("sender@example.co.jp", ["taro@city.example.lg.jp"], raw)
                cls.sent[email.message_from_bytes(raw)["Message-ID"]] = case
            # 12 MB: above Postfix's default message_size_limit and mugai's default cap (10M).
            big = (b"From: big@example.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: big\r\n"
                   b"Message-ID: <big-1@example.jp>\r\nMIME-Version: 1.0\r\n"
                   b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
                   b"Content-Type: text/plain; charset=UTF-8\r\n\r\n\xe5\xa4\xa7\xe3\x81\x8d\xe3\x81\x84\r\n--b\r\n"
                   b"Content-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                   # binary content (bytes 0 to 53 over and over): a file no converter reads
                   + b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1\r\n" * 170000
                   + b"--b--\r\n")
            smtp.sendmail("big@example.jp", ["taro@city.example.lg.jp"], big)
            cls.sent["<big-1@example.jp>"] = "big"
            smtp.sendmail("yamada@example.co.jp", ["taro@city.example.lg.jp"], RAW_HEADERS)
            cls.sent["<raw-1@example.jp>"] = "raw_headers"
        assert cls.lab.wait_delivered(len(cls.sent), 120), "not everything was delivered"
        cls.got = {m["Message-ID"]: (raw, m) for raw, m in cls.lab.delivered()}

    @classmethod
    def tearDownClass(cls):
        cls.lab.__exit__(None, None, None)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_every_message_is_delivered_exactly_once(self):
        self.assertEqual(sorted(self.got), sorted(self.sent))

    def test_delivered_mail_is_one_text_plain_utf8_part(self):
        for mid, (raw, msg) in self.got.items():
            with self.subTest(mid=mid):
                self.assertEqual(msg.get_content_type(), "text/plain")
                self.assertFalse(msg.is_multipart())
                self.assertEqual(msg.get_content_charset(), "utf-8")
                self.assertIsNotNone(msg["X-Mugai-Actions"])

    def test_notice_and_japanese_text_arrive_intact(self):
        for mid, case in self.sent.items():
            if case in ("big", "raw_headers"):
                continue
            with self.subTest(case=case):
                text = body_text(self.got[mid][1])
                for needle in CASES[case]:
                    self.assertIn(needle, text)
        att = body_text(self.got["<att-1@example.co.jp>"][1])
        self.assertTrue(att.startswith("【無害化通知】\n"), att[:200])
        self.assertIn("  - 見積書.pdf (application/pdf, ", att)

    def test_body_equals_what_mugai_sanitize_gives(self):
        for mid, case in self.sent.items():
            if case in ("big", "raw_headers"):
                continue
            with self.subTest(case=case):
                p = subprocess.run([lab.MUGAI, "sanitize", "-c", lab.CONF, os.path.join(GOLDEN, case, "input.eml")],
                                   capture_output=True, check=True)
                cli = email.message_from_bytes(p.stdout, policy=email_policy.default)
                self.assertEqual(body_text(self.got[mid][1]), body_text(cli))

    def test_raw_8bit_and_control_headers_arrive_rewritten_in_place(self):
        raw, msg = self.got["<raw-1@example.jp>"]
        head = raw.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
        self.assertTrue(all(b < 0x80 for b in head), head)
        self.assertEqual(str(email.header.make_header(email.header.decode_header(msg["Subject"]))), "会議の件")
        self.assertEqual(msg["X-Note"], "bellhere")
        self.assertIn("本文です", body_text(msg))

    def test_big_message_passes_with_its_attachment_removed(self):
        text = body_text(self.got["<big-1@example.jp>"][1])
        self.assertIn("big.bin (application/octet-stream, 8.8 MB)", text)
        self.assertIn("大きい", text)

    def test_mailcheck_invariant_when_shared_tools_are_present(self):
        if not os.path.isdir(SHARED_TOOLS):
            self.skipTest(f"{SHARED_TOOLS} not found")
        sys.path.insert(0, SHARED_TOOLS)
        import mailcheck
        for mid, case in self.sent.items():
            if case == "big":
                continue
            if case == "raw_headers":
                orig = RAW_HEADERS
            else:
                with open(os.path.join(GOLDEN, case, "input.eml"), "rb") as f:
                    orig = f.read()
            r = mailcheck.compare(orig, self.got[mid][0])
            with self.subTest(case=case):
                self.assertEqual(r["problems"], [])
                self.assertEqual(r["mojibake"], 0)
                self.assertGreaterEqual(r["fidelity"], 0.9)

    def test_milter_logs_one_line_per_message_with_postfix_queue_id(self):
        log = self.lab.milter_log()
        lines = [l for l in log.splitlines() if "verdict=" in l]
        self.assertEqual(len(lines), len(self.sent))
        postfix_log = self.lab.postfix_log()
        for line in lines:
            qid = line.split("mugai-milter: ")[1].split(":")[0]
            self.assertNotEqual(qid, "NOQUEUE", line)
            self.assertIn(f"{qid}: client=", postfix_log)  # the ID is Postfix's own
            self.assertRegex(line, r"verdict=deliver .*ms=")


if __name__ == "__main__":
    unittest.main(verbosity=2)
