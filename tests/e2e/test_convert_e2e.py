#!/usr/bin/env python3
"""Attachments into text through the real Postfix, as the recipient and the admin see them.

A Japanese mail with sample.pdf, sample.docx and sample.xlsx (tests/convert/make_docs.py) plus
encrypted.pdf and bomb.docx goes over SMTP to the lab's Postfix with mugai-milter in front and the
real mugai-convert beside it. At the sink: one text/plain UTF-8 part; the notice lists the three
documents as converted and the two others as removed, each with why it could not be converted;
below the body, each document's text under its header line, Japanese included, in attachment
order; mailcheck.py (../shared) finds no problem and no mojibake; the milter's summary line counts
text_extracted:3 and removed:2.

A hanging worker ([convert] worker = a script that sleeps 60 s and starts a child that does too,
[convert] timeout = 2s): the mail still arrives within seconds, the file named as removed because
converting it took too long, and neither the script nor its child is left running.
"""
import email, os, re, shutil, smtplib, subprocess, sys, tempfile, time, unittest
from email import policy as email_policy
from email.message import EmailMessage
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

SHARED_TOOLS = os.path.join(os.path.dirname(lab.ROOT), "shared", "tools")
MAKE_DOCS = os.path.join(lab.ROOT, "tests", "convert", "make_docs.py")
SENDER, RCPT = "yamada@example.co.jp", "taro@city.example.lg.jp"
RULE = "-" * 60  # the line between the notice and the body
BODY = "市民課 御中\n\nお世話になっております。\n見積書、請求書と売上表をお送りします。\nご確認ください。\n"
TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CONVERTED = "次の添付ファイルはテキストに変換し、本文の後に載せました"
REMOVED = "次の添付ファイル等を削除しました"
NOT_CONVERTED = "テキストに変換できませんでした: "
# Each document: how the notice and its header line describe it (after the name), and words of
# its text as the recipient must read them.
DOCS = {
    "sample.pdf": (r"PDF, 2 ページ, 1\.6 KB", ["日本語のテキスト", "Hello PDF world", "--- page 2/2 ---",
                                            "市役所", "Second page", "会議資料 Minutes"]),
    "sample.docx": (r"DOCX, 1\.4 KB", ["請求書のご送付について", "No. 42", "品名\t数量", "りんご\t3",
                                       "以上、よろしくお願いいたします。"]),
    "sample.xlsx": (r"XLSX, 2 シート, 2\.7 KB", ["[Sheet: 売上]", "東京都", "2024-04-01\t1500", "インライン",
                                              "[Sheet: Notes]", "memo"]),
}
SUMMARY = re.compile(r"mugai-milter: (\w+): from=<([^>]*)> .*verdict=(\w+) .*actions=(\S+)")


def make_message(mid, docs_dir, names, subject="見積書等の送付"):
    msg = EmailMessage(policy=email_policy.SMTP)
    msg["From"] = f"山田 花子 <{SENDER}>"
    msg["To"] = RCPT
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{mid}>"
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0900"
    msg.set_content(BODY, charset="utf-8")
    for name in names:
        with open(os.path.join(docs_dir, name), "rb") as f:
            data = f.read()
        maintype, subtype = TYPES[os.path.splitext(name)[1]].split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def body_text(msg):
    """The decoded body, line ends as "\n"."""
    return msg.get_payload(decode=True).decode(msg.get_content_charset()).replace("\r\n", "\n")


def notice_lists(notice):
    """{heading: {name: [the lines under the entry]}} for the notice's converted and removed lists."""
    lists, current, entry = {}, None, None
    for line in notice.splitlines():
        if line.startswith((CONVERTED, REMOVED)):
            current = lists.setdefault(CONVERTED if line.startswith(CONVERTED) else REMOVED, {})
            entry = None
        elif current is not None and line.startswith("  - "):
            entry = current.setdefault(line[4:].split(" (", 1)[0], [line[4:]])
        elif entry is not None and line.startswith("    "):
            entry.append(line[4:])
        else:
            current = entry = None
    return lists


def text_sections(body):
    """[(name, description, text)] for each attachment's text below the body, in order."""
    head = re.compile(r"^---------- 添付ファイル「(.+?)」のテキスト（(.+?)） ----------$", re.M)
    found = list(head.finditer(body))
    return [(m.group(1), m.group(2), body[m.end():found[i + 1].start() if i + 1 < len(found) else len(body)])
            for i, m in enumerate(found)]


def alive(pid):
    """True while PID runs (a zombie waiting for its reaper has stopped running)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def processes_naming(marker):
    """PIDs (running, not zombies) whose command line contains MARKER."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read() and alive(pid):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def write_conf(directory, **convert):
    with open(lab.CONF, encoding="utf-8") as f:
        text = f.read()
    if convert:
        text = lab.scan_db.config_with_keys(text, "convert", **convert)
    path = os.path.join(directory, "mugai.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


class LabCase(unittest.TestCase):
    """One lab per class; class cleanups stop it even when setUpClass fails half-way."""

    @classmethod
    def setUpClass(cls):
        lab.require_root_and_postfix()
        cls.dir = tempfile.mkdtemp(prefix="mugai-e2e-convert-")
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        os.chmod(cls.dir, 0o755)
        cls.docs = os.path.join(cls.dir, "docs")
        subprocess.run([sys.executable, MAKE_DOCS, cls.docs], check=True)

    @classmethod
    def start(cls, conf):
        cls.lab = lab.Lab(conf=conf)
        try:
            cls.lab.__enter__()
        except BaseException:
            cls.lab.__exit__(*sys.exc_info())
            raise
        cls.addClassCleanup(cls.lab.__exit__, None, None, None)

    @classmethod
    def send(cls, raw):
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", cls.lab.port, timeout=60) as smtp:
            smtp.sendmail(SENDER, [RCPT], raw)
        assert cls.lab.wait_delivered(1, 30), "not delivered:\n" + cls.lab.milter_log()[-2000:]
        elapsed = time.monotonic() - t0
        (raw_out, msg), = cls.lab.delivered()
        return raw_out, msg, elapsed


class ConvertE2E(LabCase):
    NAMES = ["sample.pdf", "sample.docx", "sample.xlsx", "encrypted.pdf", "bomb.docx"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.start(write_conf(cls.dir))  # the default [inbound] convert and [convert] keys
        cls.sent = make_message("convert-1@example.co.jp", cls.docs, cls.NAMES)
        cls.raw, cls.msg, _ = cls.send(cls.sent)
        cls.text = body_text(cls.msg)
        cls.notice, _, cls.body = cls.text.partition("\n" + RULE + "\n\n")

    def test_one_text_plain_utf8_part_and_nothing_else(self):
        self.assertEqual(self.msg.get_content_type(), "text/plain")
        self.assertFalse(self.msg.is_multipart())
        self.assertEqual(self.msg.get_content_charset(), "utf-8")
        self.assertEqual([p.get_content_type() for p in self.msg.walk()], ["text/plain"])
        self.assertIsNone(self.msg.get_filename())
        self.assertNotIn("attachment", self.msg.get("Content-Disposition", ""))
        self.assertEqual(self.msg["Message-ID"], "<convert-1@example.co.jp>")
        self.assertEqual(self.msg["X-Mugai-Actions"], "removed:2,text_extracted:3")

    def test_notice_lists_the_documents_as_converted(self):
        self.assertTrue(self.notice.startswith("【無害化通知】\n"), self.notice[:200])
        converted = notice_lists(self.notice).get(CONVERTED)
        self.assertIsNotNone(converted, self.notice)
        self.assertEqual(list(converted), ["sample.pdf", "sample.docx", "sample.xlsx"])
        for name, (desc, _) in DOCS.items():
            with self.subTest(name=name):
                self.assertRegex(converted[name][0], rf"^{re.escape(name)} \({desc}\)$")
                self.assertEqual(len(converted[name]), 1, converted[name])  # no failure, no note

    def test_notice_lists_encrypted_and_bomb_as_removed_with_the_reason(self):
        removed = notice_lists(self.notice).get(REMOVED)
        self.assertIsNotNone(removed, self.notice)
        self.assertEqual(list(removed), ["encrypted.pdf", "bomb.docx"])
        self.assertEqual(removed["encrypted.pdf"][0], "encrypted.pdf (application/pdf, 640 バイト)")
        self.assertIn(NOT_CONVERTED + "パスワードで保護されています", removed["encrypted.pdf"])
        bomb = [line for line in removed["bomb.docx"] if line.startswith(NOT_CONVERTED)]
        self.assertEqual(len(bomb), 1, removed["bomb.docx"])
        self.assertTrue(bomb[0].startswith(NOT_CONVERTED + "変換処理が制限を超えたか、失敗しました"), bomb)
        self.assertIn("member limit", bomb[0])  # the zip member that inflates to 200 MB
        for name in removed:
            self.assertTrue(any(l.startswith("SHA-256: ") for l in removed[name]), removed[name])

    def test_each_document_text_arrives_below_the_body_under_its_header(self):
        self.assertTrue(self.body.startswith(BODY), self.body[:300])
        sections = text_sections(self.body)
        self.assertEqual([s[0] for s in sections], ["sample.pdf", "sample.docx", "sample.xlsx"])
        self.assertLess(self.body.index(BODY), self.body.index("---------- 添付ファイル「sample.pdf」"))
        for name, desc, text in sections:
            want_desc, words = DOCS[name]
            with self.subTest(name=name):
                self.assertRegex(desc, rf"^{want_desc}$")
                for word in words:
                    self.assertIn(word, text)
                self.assertNotIn("(truncated)", text)
        docx = dict((s[0], s[2]) for s in sections)["sample.docx"]
        self.assertNotIn("削除された文", docx)  # a tracked deletion is not the document's text
        self.assertNotIn("HYPERLINK", docx)     # nor a field's code

    def test_nothing_of_the_removed_files_arrives(self):
        self.assertNotIn("encrypted.pdf」のテキスト", self.body)
        self.assertNotIn("bomb.docx」のテキスト", self.body)
        for blob in (self.raw, self.text.encode()):
            self.assertNotIn(b"%PDF", blob)
            self.assertNotIn(b"PK\x03\x04", blob)

    def test_mailcheck_finds_no_problem_and_no_mojibake(self):
        if not os.path.isdir(SHARED_TOOLS):
            self.skipTest(f"{SHARED_TOOLS} not found")
        sys.path.insert(0, SHARED_TOOLS)
        import mailcheck
        r = mailcheck.compare(self.sent, self.raw)
        self.assertEqual(r["problems"], [])
        self.assertEqual(r["mojibake"], 0)
        self.assertGreaterEqual(r["fidelity"], 0.9)

    def test_milter_summary_counts_the_texts_and_the_removed(self):
        lines = [m for m in SUMMARY.finditer(self.lab.milter_log())]
        self.assertEqual(len(lines), 1, self.lab.milter_log()[-2000:])
        queue_id, mail_from, verdict, actions = lines[0].groups()
        self.assertNotEqual(queue_id, "NOQUEUE")
        self.assertEqual((mail_from, verdict), (SENDER, "deliver"))
        counts = dict(a.split(":") if ":" in a else (a, "1") for a in actions.split(","))
        self.assertEqual(counts.get("text_extracted"), "3", actions)
        self.assertEqual(counts.get("removed"), "2", actions)


class HangingWorkerE2E(LabCase):
    TIMEOUT_S = 2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Not exec: the shell stays, with a child of its own, as a wrapper script would.
        cls.pids = os.path.join(cls.dir, "worker.pids")
        cls.worker = os.path.join(cls.dir, "hanging-convert-worker")
        with open(cls.worker, "w") as f:
            f.write(f"#!/bin/sh\necho $$ >> {cls.pids}\nsleep 60 &\necho $! >> {cls.pids}\nwait\n")
        os.chmod(cls.worker, 0o755)
        cls.start(write_conf(cls.dir, worker=cls.worker, timeout=f"{cls.TIMEOUT_S}s"))
        cls.raw, cls.msg, cls.elapsed = cls.send(
            make_message("convert-hang-1@example.co.jp", cls.docs, ["sample.pdf"], subject="資料"))
        cls.text = body_text(cls.msg)
        cls.notice, _, cls.body = cls.text.partition("\n" + RULE + "\n\n")

    def test_mail_arrives_with_the_file_removed_for_taking_too_long(self):
        self.assertGreaterEqual(self.elapsed, self.TIMEOUT_S)  # the worker was waited for, then killed
        self.assertLess(self.elapsed, 30)
        self.assertEqual([p.get_content_type() for p in self.msg.walk()], ["text/plain"])
        lists = notice_lists(self.notice)
        self.assertNotIn(CONVERTED, lists, self.notice)
        removed = lists.get(REMOVED, {})
        self.assertEqual(list(removed), ["sample.pdf"], self.notice)
        self.assertIn(NOT_CONVERTED + f"変換に時間がかかりすぎました (timeout after {self.TIMEOUT_S * 1000} ms)",
                      removed["sample.pdf"])
        self.assertTrue(self.body.startswith(BODY), self.body[:300])
        self.assertEqual(text_sections(self.body), [])
        (summary,) = SUMMARY.finditer(self.lab.milter_log())
        self.assertEqual(summary.group(3, 4), ("deliver", "removed"))  # one file: no count

    def test_no_worker_process_is_left(self):
        with open(self.pids) as f:
            pids = [int(p) for p in f.read().split()]
        self.assertEqual(len(pids), 2, pids)  # the script and its sleeping child both started
        end = time.monotonic() + 5  # SIGKILL is delivered at once; the reaper may take a moment
        while time.monotonic() < end and (any(map(alive, pids)) or processes_naming(self.worker)):
            time.sleep(0.1)
        self.assertEqual([p for p in pids if alive(p)], [], "a worker process was left running")
        self.assertEqual(processes_naming(self.worker), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
