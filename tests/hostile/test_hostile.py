#!/usr/bin/env python3
"""Hostile and tricky mail through `mugai sanitize` (the milter's code path): nothing a client
would decode or render gets through, nothing readable is lost silently, and inputs built to
exhaust the parser get a quick final answer."""
import base64, email, json, os, resource, subprocess, sys, tempfile, unittest

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them
CONF = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def sanitize(raw, *args, conf=CONF):
    """(process, report, CPU seconds it took): CPU, not wall time, so that the bounds the tests
    put on hostile input (linear, not quadratic) hold on a machine busy with other tests."""
    with tempfile.TemporaryDirectory() as tmp:
        rep = os.path.join(tmp, "r.json")
        t0 = child_cpu()
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--report-json", rep] + list(args),
                           input=raw, capture_output=True, timeout=120)
        elapsed = child_cpu() - t0
        report = None
        if os.path.exists(rep):
            with open(rep) as f:
                report = json.load(f)
    return p, report, elapsed


def write_conf(tmp, text):
    """TEXT as a config file that also scans with the test signatures."""
    conf = os.path.join(tmp, "c.conf")
    with open(conf, "w") as f:
        f.write(scan_db.config_with_database(text, scan_db.database()))
    return conf


def body_of(out):
    m = email.message_from_bytes(out)
    assert not m.is_multipart() and m.get_content_type() == "text/plain", m.get_content_type()
    return m.get_payload(decode=True).decode(m.get_content_charset() or "ascii")


def msg(headers, body):
    return (headers.replace("\n", "\r\n") + "\r\n" + body.replace("\n", "\r\n")).encode()


UU = "begin 644 evil.exe\nM35I0``(````$``\\`__\\``+@`````````0```````````````````````\n`\nend\n"


class EncodedPayloads(unittest.TestCase):
    def test_uuencode_nested_in_yenc_leaves_no_block_to_decode(self):
        p, r, _ = sanitize(msg("From: a@example.jp\nSubject: x\n",
                               "hello\n=ybegin line=128 size=10 name=a.txt\n" + UU + "=yend size=10\nend\nbye\n"))
        self.assertEqual(p.returncode, 0)
        text = body_of(p.stdout)
        for marker in ("begin 644", "=ybegin", "=yend"):
            self.assertNotIn(marker, text)
        self.assertIn("hello", text)
        self.assertIn("bye", text)
        names = sorted(x["name"] for x in r["parts"] if x["reason"] == "embedded_payload_defused")
        self.assertEqual(names, ["a.txt", "evil.exe"])

    def test_many_embedded_blocks_are_linear_and_count_as_parts(self):
        p, r, elapsed = sanitize(msg("From: a@example.jp\n", "begin 644 a\n" * 200000))
        self.assertEqual(p.returncode, 3)  # more files than [limits] mime_parts
        self.assertEqual(r["reply"]["code"], "554")
        self.assertLess(elapsed, 10)


class NeverPassUnchanged(unittest.TestCase):
    def test_false_base64_label_is_rewritten_not_passed(self):
        inner = base64.b64encode(UU.encode()).decode()
        fake = "\n".join(inner[i:i + 20] + " " + inner[i + 20:i + 40] for i in range(0, len(inner), 40))
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: text/plain\n"
                               "Content-Transfer-Encoding: base64\n", fake + "\n"))
        self.assertEqual(p.returncode, 0)
        self.assertGreater(r["out_size"], 0)  # a new body, not the original
        self.assertNotIn("begin 644", body_of(p.stdout))

    def test_invalid_utf8_under_a_utf8_label_is_rewritten_valid(self):
        raw = b"From: a@example.jp\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok \xff\xfe\xff ok\r\n"
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertIn("charset_utf8", r["actions"])
        body_of(p.stdout)  # decodes as the declared UTF-8

    def test_nul_bytes_never_pass_unchanged(self):  # found by the fuzzer: a 1-byte message "\0"
        for raw in (b"\x00", b"From: a@example.jp\r\n\r\nab\x00cd\r\n"):
            p, r, _ = sanitize(raw)
            self.assertEqual(p.returncode, 0)
            self.assertNotIn(b"\x00", p.stdout)
            self.assertGreater(r["out_size"], 0)

    def test_non_text_plain_top_level_is_rewritten(self):
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: text/rfc822-headers\n",
                               "Received: from x\nSubject: y\n"))
        self.assertEqual(p.returncode, 0)
        self.assertEqual(email.message_from_bytes(p.stdout).get_content_type(), "text/plain")


class NothingLostSilently(unittest.TestCase):
    def test_file_among_alternatives_is_removed_and_named(self):
        pdf = base64.b64encode(b"%PDF-1.4\n%%EOF\n").decode()
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n",
                               "--b\nContent-Type: text/plain\n\nsee the file\n--b\nContent-Type: application/pdf\n"
                               "Content-Disposition: attachment; filename=plan.pdf\nContent-Transfer-Encoding: base64\n\n"
                               + pdf + "\n--b--\n"))
        self.assertEqual(p.returncode, 0)
        text = body_of(p.stdout)
        self.assertIn("plan.pdf (application/pdf", text)
        self.assertIn("see the file", text)

    def test_blank_text_alternative_loses_to_the_html(self):
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n",
                               "--b\nContent-Type: text/plain\n\n \n--b\nContent-Type: text/html\n\n"
                               "<p>Important: meeting moved to 3pm</p>\n--b--\n"))
        self.assertEqual(p.returncode, 0)
        self.assertIn("Important: meeting moved to 3pm", body_of(p.stdout))


    def test_quoted_printable_text_after_a_long_run_of_soft_breaks_is_kept(self):
        text = "住民税の通知について、ご確認ください。"
        escaped = "".join("=%02X" % c for c in text.encode())
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
                               "Content-Transfer-Encoding: quoted-printable\n",
                               "=\n" * 40000 + escaped + "=\n=E3=80=82\n"))
        self.assertEqual(p.returncode, 0)
        self.assertIn(text + "。", body_of(p.stdout))
        self.assertEqual(r["parts"][0]["size"], len((text + "。\r\n").encode()))


class TextThatIsAFile(unittest.TestCase):
    def test_text_part_named_like_a_script_is_removed_and_named(self):
        p, r, _ = sanitize(msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
                               "--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: text/plain; name=\"invoice.pdf.js\"\n\n"
                               "WScript.CreateObject(\"WScript.Shell\").Run(\"calc\")\n--b--\n"))
        self.assertEqual(p.returncode, 0)
        text = body_of(p.stdout)
        self.assertNotIn("WScript", text)
        self.assertIn("invoice.pdf.js (text/plain", text)
        self.assertIn("script_name", [x["reason"] for x in r["parts"]])

    def test_text_part_with_binary_content_is_removed(self):
        exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 8
        raw = (b"From: a@example.jp\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
               b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + exe +
               b"\r\n--b--\r\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("MZ", body_of(p.stdout))
        binary = [x for x in r["parts"] if x["reason"] == "binary_content"]
        self.assertEqual(len(binary), 1)
        self.assertEqual(binary[0]["action"], "removed")

    def test_iso2022jp_escapes_are_not_taken_for_binary(self):
        jis = "本日は晴天なり。".encode("iso2022_jp") * 50
        raw = b"From: a@example.jp\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n" + jis + b"\r\n"
        p, r, _ = sanitize(raw)
        self.assertIn("本日は晴天なり。", body_of(p.stdout))


class ActiveHeaders(unittest.TestCase):
    RAW = msg("From: a@example.jp\nDisposition-Notification-To: a@example.jp\nX-Face: #abc\nSubject: s\n", "hi\n")

    def test_read_receipt_and_face_headers_are_dropped_inbound(self):
        p, r, _ = sanitize(self.RAW)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn(b"Disposition-Notification-To", p.stdout)
        self.assertNotIn(b"X-Face", p.stdout)
        self.assertIn("active_headers_removed", r["actions"])

    def test_they_stay_on_outbound_mail(self):
        p, r, _ = sanitize(self.RAW, "--direction", "out")
        self.assertIn(b"Disposition-Notification-To", p.stdout)


class ParserExhaustion(unittest.TestCase):
    def test_a_flood_of_boundaries_is_refused_before_parsing(self):
        raw = msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
                  "--b\n\n" * 300000)
        p, r, elapsed = sanitize(raw)
        self.assertEqual(p.returncode, 3)
        self.assertEqual(r["reason"], "mime_parts")
        self.assertLess(elapsed, 5)

    def test_mime_parts_limit_at_n_and_n_plus_1(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nmime_parts = 5\n")
            def parts(n):  # a multipart with n-1 leaves: n entities in all
                body = "".join(f"--b\nContent-Type: text/plain\n\npart {i}\n" for i in range(n - 1)) + "--b--\n"
                return msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n", body)
            self.assertEqual(sanitize(parts(5), conf=conf)[0].returncode, 0)
            p, r, _ = sanitize(parts(6), conf=conf)
            self.assertEqual(p.returncode, 3)
            self.assertEqual(r["reason"], "mime_parts")

    def test_mime_depth_limit_at_n_and_n_plus_1(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nmime_depth = 3\n")
            def nested(levels):  # LEVELS multiparts around one text part: depth LEVELS + 1
                head = "From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b0\n"
                body, close = "", ""
                for d in range(1, levels):
                    body += f"--b{d-1}\nContent-Type: multipart/mixed; boundary=b{d}\n\n"
                    close = f"--b{d-1}--\n" + close
                body += f"--b{levels-1}\nContent-Type: text/plain\n\ndeep\n--b{levels-1}--\n" + close
                return msg(head, body)
            self.assertEqual(sanitize(nested(2), conf=conf)[0].returncode, 0)  # depth 3
            p, r, _ = sanitize(nested(3), conf=conf)  # depth 4
            self.assertEqual(p.returncode, 3)
            self.assertEqual(r["reason"], "mime_depth")

    def test_deeply_nested_html_is_cut_not_parsed_for_seconds(self):
        # 65 000 nested <ul>: gumbo alone would take about 12 s (quadratic in depth)
        p, r, elapsed = sanitize(msg("From: a@example.jp\nContent-Type: text/html\n",
                                     "<p>before</p>" + "<ul>" * 65000 + "deep"))
        self.assertEqual(p.returncode, 0)
        self.assertIn("truncated", r["actions"])
        self.assertIn("before", body_of(p.stdout))
        self.assertLess(elapsed, 5)

    def test_huge_body_text_is_capped_while_it_is_built(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\ntext_size = 64K\n")
            p, r, _ = sanitize(msg("From: a@example.jp\nContent-Type: text/plain; charset=utf-8\n",
                                   "あいうえお\n" * 100000), conf=conf)
        self.assertEqual(p.returncode, 0)
        text = body_of(p.stdout)
        self.assertIn("truncated", r["actions"])
        self.assertLess(len(text.encode()), 64 * 1024 + 2048)
        self.assertTrue(text.rstrip().endswith("[...]"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
