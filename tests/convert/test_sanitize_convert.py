#!/usr/bin/env python3
"""Attachments turned into text, as a user sees it through `mugai sanitize` (the milter's code
path, with the real mugai-convert worker and the test signatures): the text of each document
arrives below the body under its header line and the file does not; what cannot be converted is
removed with its reason; the type comes from the content, not the name; [inbound] convert,
reject_attachments and the [convert] bounds work, per rule too; a worker that hangs or is
missing costs the file, never the message.

Environment: MUGAI (the CLI), MUGAI_CONVERT_DOCS (tests/convert/make_docs.py output)."""
import base64, email, json, os, subprocess, sys, tempfile, time, unittest
from email import policy as email_policy

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
DOCS = os.environ.get("MUGAI_CONVERT_DOCS", "")
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402  the test signatures: every test scans with them

SHARED_TOOLS = os.path.join(os.path.dirname(ROOT), "shared", "tools")
BASE = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()


def doc(name):
    with open(os.path.join(DOCS, name), "rb") as f:
        return f.read()


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def message(*files, body="ご担当者様\r\n\r\n資料をお送りします。\r\n"):
    """A Japanese mail with FILES attached: (name, declared type, bytes)."""
    out = ("From: sales@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: 資料\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
           + body)
    for name, ctype, data in files:
        out += (f"--b\r\nContent-Type: {ctype}; name=\"{name}\"\r\n"
                f"Content-Disposition: attachment; filename=\"{name}\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "\r\n")
    return (out + "--b--\r\n").encode()


def config(groups=None, extra=""):
    text = scan_db.config_with_database(BASE, scan_db.database())
    for group, keys in (groups or {}).items():
        text = scan_db.config_with_keys(text, group, **keys)
    return text + extra


def sanitize(raw, groups=None, extra="", rcpt="taro@city.example.lg.jp", direction="in"):
    """(exit code, delivered message bytes, the text a reader sees, report, summary line)."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(config(groups, extra))
        rep = os.path.join(tmp, "r.json")
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--report-json", rep, "--direction", direction,
                            "--from", "sales@example.co.jp", "--rcpt", rcpt],
                           input=raw, capture_output=True, timeout=120)
        report = None
        if os.path.exists(rep):
            with open(rep, encoding="utf-8") as f:
                report = json.load(f)
    lines = p.stderr.decode("utf-8", "replace").strip().splitlines()
    text = ""
    if p.returncode == 0 and p.stdout:
        m = email.message_from_bytes(p.stdout, policy=email_policy.compat32)
        text = (m.get_payload(decode=True) or b"").decode("utf-8").replace("\r\n", "\n")
    return p.returncode, p.stdout, text, report, lines[-1] if lines else ""


def part(report, name):
    return next(p for p in report["parts"] if p["name"] == name)


def assert_clean(test, original, delivered):
    """The delivered message holds text only, keeps the body, and has no mojibake."""
    if not os.path.isdir(SHARED_TOOLS):
        return
    sys.path.insert(0, SHARED_TOOLS)
    import mailcheck
    r = mailcheck.compare(original, delivered)
    test.assertEqual((r["problems"], r["mojibake"]), ([], 0), r)
    test.assertGreaterEqual(r["fidelity"], 0.9, r)


class Documents(unittest.TestCase):
    def test_each_supported_document_arrives_as_text_and_not_as_a_file(self):
        files = [("会議資料.pdf", "application/pdf", doc("sample.pdf")),
                 ("報告書.docx", "application/octet-stream", doc("sample.docx")),
                 ("予算.xlsx", "application/vnd.ms-excel", doc("sample.xlsx")),
                 ("説明.pptx", "application/octet-stream", doc("sample.pptx")),
                 ("議事録.odt", "application/octet-stream", doc("sample.odt")),
                 ("集計.ods", "application/octet-stream", doc("sample.ods")),
                 ("発表.odp", "application/octet-stream", doc("sample.odp"))]
        raw = message(*files)
        rc, out, text, report, line = sanitize(raw)
        self.assertEqual(rc, 0, line)
        self.assertIn("text_extracted:7", line)
        self.assertIn("資料をお送りします。", text)
        self.assertIn("次の添付ファイルはテキストに変換し、本文の後に載せました", text)
        self.assertIn("---------- 添付ファイル「会議資料.pdf」のテキスト（PDF, 2 ページ, ", text)
        for words in ("日本語のテキスト", "Hello PDF world", "市役所", "Second page", "[Sheet: 売上]"):
            self.assertIn(words, text)
        for name, _, _ in files:
            self.assertEqual(part(report, name)["action"], "extracted", name)
            self.assertIn(f"添付ファイル「{name}」のテキスト", text)
        self.assertEqual(part(report, "会議資料.pdf")["conversion"]["unit"], "pages")
        self.assertEqual(part(report, "予算.xlsx")["conversion"]["type"], "xlsx")
        # The body comes first, the files' texts after it, in the order they were attached.
        self.assertLess(text.index("資料をお送りします。"), text.index("会議資料.pdf」のテキスト"))
        self.assertLess(text.index("会議資料.pdf」のテキスト"), text.index("報告書.docx」のテキスト"))
        assert_clean(self, raw, out)

    def test_text_attachments_in_any_charset_and_html_arrive_as_text(self):
        csv = "氏名,所属\r\n山田,総務課\r\n".encode("cp932")
        html = "<html><body><h1>お知らせ</h1><script>alert(1)</script><p>本文です</p></body></html>"
        raw = message(("名簿.csv", "text/csv", csv), ("案内.html", "text/html", html.encode()))
        rc, out, text, report, line = sanitize(raw)
        self.assertEqual(rc, 0, line)
        self.assertIn("山田,総務課", text)
        self.assertIn("お知らせ", text)
        self.assertIn("本文です", text)
        self.assertNotIn("alert(1)", text)
        self.assertEqual(part(report, "名簿.csv")["conversion"]["type"], "csv")
        assert_clean(self, raw, out)

    def test_zip_members_are_converted_with_their_japanese_names(self):
        sys.path.insert(0, os.path.join(os.path.dirname(HERE), "golden"))
        from make_inputs import hand_zip
        data = hand_zip([("資料/説明書.txt".encode("cp932"), "日本語の説明です".encode("cp932"), False, None),
                         (b"setup.exe", b"MZ" + b"\0" * 64, False, None)])
        raw = message(("資料一式.zip", "application/zip", data))
        rc, out, text, report, line = sanitize(raw)
        self.assertEqual(rc, 0, line)
        self.assertIn("=== 資料/説明書.txt (text) ===\n日本語の説明です", text)
        self.assertIn("=== setup.exe (not converted: not text) ===", text)
        self.assertEqual(part(report, "資料一式.zip")["conversion"]["warnings"], ["skipped"])
        assert_clean(self, raw, out)
        # A zip with nothing readable in it is removed and its contents listed instead.
        only_exe = hand_zip([(b"setup.exe", b"MZ" + b"\0" * 64, False, None)])
        _, _, text, report, _ = sanitize(message(("x.zip", "application/zip", only_exe)))
        self.assertEqual(part(report, "x.zip")["action"], "removed")
        self.assertEqual([e["name"] for e in part(report, "x.zip")["contents"]["entries"]], ["setup.exe"])

    def test_macros_are_named_not_run(self):
        rc, _, text, report, line = sanitize(message(("申請書.docm", "application/octet-stream", doc("macro.docm"))))
        self.assertEqual(rc, 0, line)
        self.assertIn("マクロが含まれていました（実行していません）。", text)
        self.assertIn("macros", part(report, "申請書.docm")["conversion"]["warnings"])

    def test_the_type_comes_from_the_content_not_the_name(self):
        exe = b"MZ\x90\x00" + b"\x00" * 60 + b"PE\x00\x00" + b"\x00" * 200
        raw = message(("photo.jpg", "image/jpeg", doc("sample.pdf")), ("report.pdf", "application/pdf", exe))
        rc, _, text, report, line = sanitize(raw)
        self.assertEqual(rc, 0, line)
        self.assertEqual(part(report, "photo.jpg")["action"], "extracted")
        self.assertIn("Hello PDF world", text)
        self.assertEqual(part(report, "report.pdf")["action"], "removed")
        self.assertNotIn("conversion", part(report, "report.pdf"))


class Hostile(unittest.TestCase):
    def test_documents_that_cannot_be_read_are_removed_with_the_reason(self):
        cases = {"encrypted.pdf": "パスワードで保護されています", "bomb.docx": "word/document.xml",
                 "laughs.docx": "テキストに変換できませんでした", "loop.pdf": None,
                 "truncated.pdf": None, "truncated.docx": None}
        raw = message(*[(n, "application/octet-stream", doc(n)) for n in cases])
        t0 = time.monotonic()
        rc, out, text, report, line = sanitize(raw)
        self.assertLess(time.monotonic() - t0, 60)
        self.assertEqual(rc, 0, line)
        self.assertIn("資料をお送りします。", text)
        for name, words in cases.items():
            p = part(report, name)
            if p["action"] == "removed":  # a loop or truncation that still yields text is fine
                self.assertTrue(p["conversion"]["failure"], name)
                self.assertIn(name, text.split("----------")[0])
            if words:
                self.assertEqual(p["action"], "removed", name)
                self.assertIn(words, text)
        assert_clean(self, raw, out)

    def test_a_hanging_worker_costs_the_file_not_the_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            hang = os.path.join(tmp, "hang-worker")
            with open(hang, "w") as f:
                f.write("#!/bin/sh\nexec sleep 60\n")
            os.chmod(hang, 0o755)
            t0 = time.monotonic()
            rc, _, text, report, line = sanitize(message(("a.pdf", "application/pdf", doc("sample.pdf"))),
                                                 groups={"convert": {"worker": hang, "timeout": "2s"}})
            self.assertLess(time.monotonic() - t0, 20)
            self.assertEqual(rc, 0, line)
            self.assertTrue(part(report, "a.pdf")["conversion"]["failure"].startswith("timeout"))
            self.assertIn("変換に時間がかかりすぎました", text)
            left = subprocess.run(["pgrep", "-f", hang], capture_output=True, text=True).stdout
            self.assertEqual(left, "", "the worker must be gone")

    def test_a_crashing_worker_costs_the_file_and_nothing_of_it_passes(self):
        """A worker killed by a signal (a crash, a seccomp kill) halfway through its answer: the
        file is removed and named with the signal, the text it had written is not shown."""
        with tempfile.TemporaryDirectory() as tmp:
            crash = os.path.join(tmp, "crash-worker")
            with open(crash, "w") as f:
                f.write("#!/bin/sh\nprintf 'status: ok\\nkind: PDF\\n\\nLEAKED-TEXT'\nkill -SEGV $$\n")
            os.chmod(crash, 0o755)
            rc, out, text, report, line = sanitize(
                message(("a.pdf", "application/pdf", doc("sample.pdf"))),
                groups={"convert": {"worker": crash}})
            self.assertEqual(rc, 0, line)
            self.assertIn("signal 11", part(report, "a.pdf")["conversion"]["failure"])
            self.assertEqual(part(report, "a.pdf")["action"], "removed")
            self.assertIn("変換処理が制限を超えたか、失敗しました", text)
            self.assertNotIn("LEAKED-TEXT", text)
            self.assertNotIn(b"%PDF", out)

    def test_a_hanging_worker_leaves_the_message_time_to_finish(self):
        with tempfile.TemporaryDirectory() as tmp:
            hang = os.path.join(tmp, "hang-worker")
            with open(hang, "w") as f:
                f.write("#!/bin/sh\nexec sleep 60\n")
            os.chmod(hang, 0o755)
            raw = message(("a.pdf", "application/pdf", doc("sample.pdf")))
            t0 = time.monotonic()
            rc, _, text, report, line = sanitize(raw, groups={"convert": {"worker": hang, "timeout": "30s"},
                                                              "limits": {"time_per_message": "4s"}})
            self.assertLess(time.monotonic() - t0, 4)  # half of the 4 s, not the worker's 30 s
            self.assertEqual(rc, 0, line)  # delivered, not refused for time
            self.assertIn("資料をお送りします。", text)
            failure = part(report, "a.pdf")["conversion"]["failure"]
            self.assertRegex(failure, r"^timeout after \d+ ms")
            self.assertLessEqual(int(failure.split()[2]), 2000, failure)

    def test_without_a_worker_files_are_removed_and_mail_still_flows(self):
        rc, _, text, report, line = sanitize(message(("a.pdf", "application/pdf", doc("sample.pdf"))),
                                             groups={"convert": {"worker": "/nonexistent/mugai-convert"}})
        self.assertEqual(rc, 0, line)
        self.assertEqual(part(report, "a.pdf")["action"], "removed")
        self.assertIn("no converter", part(report, "a.pdf")["conversion"]["failure"])
        self.assertNotIn("Hello PDF world", text)

    def test_worker_text_is_cleaned_like_the_body(self):
        hostile = ("見出し\x1b[31m赤\x1b[0m\x07\r\n<script>alert(1)</script>\r\n"
                   "begin 644 evil.exe\r\nM1V]O9\"!M;W)N:6YG\r\n`\r\nend\r\n").encode()
        rc, out, text, report, line = sanitize(message(("memo.txt", "text/plain", hostile)))
        self.assertEqual(rc, 0, line)
        self.assertIn("見出し", text)
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x07", text)
        self.assertNotIn("<script", text)
        self.assertIn("＜script", text)
        self.assertNotIn("begin 644 evil.exe", text)
        self.assertTrue(any(p["reason"] == "embedded_payload_defused" for p in report["parts"]), report["parts"])
        assert_clean(self, message(("memo.txt", "text/plain", hostile)), out)

    def test_a_virus_in_an_attachment_refuses_the_message_before_any_conversion(self):
        rc, _, _, report, line = sanitize(message(("readme.txt", "text/plain", scan_db.EICAR)))
        self.assertEqual(rc, 3, line)
        self.assertEqual(report["reason"], "virus")


class Policy(unittest.TestCase):
    def test_convert_lists_the_types_and_others_are_removed(self):
        raw = message(("a.pdf", "application/pdf", doc("sample.pdf")),
                      ("b.docx", "application/octet-stream", doc("sample.docx")))
        rc, _, text, report, line = sanitize(raw, groups={"inbound": {"convert": "pdf"}})
        self.assertEqual(rc, 0, line)
        self.assertEqual((part(report, "a.pdf")["action"], part(report, "b.docx")["action"]),
                         ("extracted", "removed"))
        rc, _, text, report, line = sanitize(raw, groups={"inbound": {"convert": ""}})
        self.assertEqual([p["action"] for p in report["parts"][1:]], ["removed", "removed"])
        self.assertNotIn("のテキスト（", text)

    def test_reject_attachments_refuses_by_detected_type_naming_it(self):
        raw = message(("a.pdf", "application/octet-stream", doc("sample.docx")))
        rc, _, _, report, line = sanitize(raw, groups={"inbound": {"reject_attachments": "docx",
                                                                   "reject_attachments_clause": "8c"}})
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Attachment type not accepted by this gateway: docx (clause 8c)"', line)
        self.assertEqual(report["reason"], "attachment_type")
        rc, _, _, report, line = sanitize(raw, groups={"inbound": {"reject_attachments": "application/x-dosexec"}})
        self.assertEqual(rc, 0, line)

    def test_a_rule_section_converts_differently_for_its_recipients(self):
        rule = "\n[rule somu]\nmatch_rcpt = somu@city.example.lg.jp\ninbound.convert = \n"
        raw = message(("a.pdf", "application/pdf", doc("sample.pdf")))
        rc, _, _, report, line = sanitize(raw, extra=rule, rcpt="somu@city.example.lg.jp")
        self.assertEqual((rc, part(report, "a.pdf")["action"]), (0, "removed"), line)
        self.assertIn(" rule=somu", line)
        rc, _, _, report, line = sanitize(raw, extra=rule)
        self.assertEqual((rc, part(report, "a.pdf")["action"]), (0, "extracted"), line)

    def test_text_caps_per_file_and_per_message(self):
        long = ("長い文章です。" * 400 + "\n").encode()  # 8.4 KB of UTF-8
        raw = message(("a.txt", "text/plain", long), ("b.txt", "text/plain", long))
        rc, _, text, report, line = sanitize(raw, groups={"convert": {"text_per_file": "2K",
                                                                      "text_per_message": "3K"}})
        self.assertEqual(rc, 0, line)
        a, b = part(report, "a.txt"), part(report, "b.txt")
        self.assertEqual(a["action"], "extracted")
        self.assertTrue(a["conversion"]["truncated"])
        self.assertLessEqual(a["conversion"]["text_bytes"], 2048)
        self.assertIn("(truncated) 長すぎるため、この先は省略しました。", text)
        # b gets what is left of the message's 3K, and is cut too
        self.assertEqual(b["action"], "extracted")
        self.assertLessEqual(a["conversion"]["text_bytes"] + b["conversion"]["text_bytes"], 3072 + 64)
        raw3 = message(("a.txt", "text/plain", long), ("b.txt", "text/plain", long), ("c.txt", "text/plain", long))
        _, _, text, report, _ = sanitize(raw3, groups={"convert": {"text_per_file": "2K", "text_per_message": "4K"}})
        self.assertEqual(part(report, "c.txt")["action"], "removed")
        self.assertIn("text_per_message", part(report, "c.txt")["conversion"]["failure"])

    def test_files_over_file_size_are_removed_not_converted(self):
        data = doc("sample.pdf")
        raw = message(("a.pdf", "application/pdf", data))
        _, _, text, report, _ = sanitize(raw, groups={"convert": {"file_size": "1K"}})
        self.assertEqual(part(report, "a.pdf")["action"], "removed")
        self.assertIn("ファイルが大きすぎます", text)

    def test_outbound_reject_attachments_refuses_by_type(self):
        raw = message(("a.pdf", "application/octet-stream", doc("sample.xlsx")))
        rc, _, _, report, line = sanitize(raw, direction="out", rcpt="partner@example.com",
                                          groups={"outbound": {"reject_attachments": "xlsx, ods",
                                                               "reject_attachments_clause": "9b"}})
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Attachment type not accepted by this gateway: xlsx (clause 9b)"', line)
        self.assertEqual(report["reason"], "attachment_type")
        rc, _, _, _, line = sanitize(raw, direction="out", rcpt="partner@example.com",
                                     groups={"outbound": {"reject_attachments": "pdf"}})
        self.assertEqual(rc, 0, line)  # by content: it is a spreadsheet, whatever its name says

    def test_outbound_attachments_are_never_converted(self):
        raw = message(("a.pdf", "application/pdf", doc("sample.pdf")))
        rc, out, _, report, line = sanitize(raw, direction="out", rcpt="partner@example.com")
        self.assertEqual(rc, 0, line)
        self.assertNotIn("text_extracted", line)
        self.assertIn(b"Content-Disposition: attachment", out)

    def test_english_notice_and_header_lines(self):
        rc, _, text, _, line = sanitize(message(("quote.pdf", "application/pdf", doc("sample.pdf"))),
                                        groups={"notice": {"language": "en"}})
        self.assertEqual(rc, 0, line)
        self.assertIn("The following attachments were turned into text", text)
        self.assertIn('---------- Text of the attachment "quote.pdf" (PDF, 2 pages, ', text)


if __name__ == "__main__":
    if not DOCS or not os.path.isdir(DOCS):
        print("skipped: MUGAI_CONVERT_DOCS (tests/convert/make_docs.py output) is not set")
        sys.exit(77)
    unittest.main()
