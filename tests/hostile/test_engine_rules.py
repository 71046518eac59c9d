#!/usr/bin/env python3
"""The sanitization engine's rules as a user sees them through `mugai sanitize` (the milter's code
path): limits at N and N+1 (archive depth and entries, header size, time per message), encrypted
and signed mail, links, headers, the subject tag, the output charset and notice templates."""
import base64, email, email.utils, io, os, struct, subprocess, sys, tempfile, unittest, zipfile, zlib
from email.header import decode_header, make_header

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_hostile import CONF, MUGAI, body_of, msg, sanitize, write_conf  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "golden"))
from make_inputs import hand_zip, to_jis  # noqa: E402


def b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def with_attachment(name, data, ctype="application/zip"):
    return msg("From: a@example.jp\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
               "--b\nContent-Type: text/plain; charset=UTF-8\n\nsee the file\n"
               f"--b\nContent-Type: {ctype}; name={name}\nContent-Disposition: attachment; filename={name}\n"
               "Content-Transfer-Encoding: base64\n\n" + b64(data) + "\n--b--\n")


def nested_zip(levels):
    """A zip holding a zip ... LEVELS deep, the innermost holding evil.exe."""
    data = hand_zip([(b"evil.exe", b"MZ" + b"\0" * 40, True, None)])
    for i in range(levels - 1):
        data = hand_zip([(f"level{levels - 1 - i}.zip".encode(), data, True, None)])
    return data


def part_of(report, name):
    return next(p for p in report["parts"] if p["name"] == name)


def subject_of(out):
    """The Subject as a reader sees it: RFC 2047 words decoded, raw UTF-8 (RFC 6532) as it is."""
    head = out.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    value = next(line.split(":", 1)[1] for line in head.split("\r\n") if line.lower().startswith("subject:"))
    return str(make_header(decode_header(value.strip())))


def text_of(out):
    return body_of(out).replace("\r\n", "\n")


class Archives(unittest.TestCase):
    def test_nested_archives_are_opened_to_archive_depth_and_no_further(self):
        with tempfile.TemporaryDirectory() as tmp:
            for depth, shown in ((1, False), (2, True)):
                conf = write_conf(tmp, f"[limits]\narchive_depth = {depth}\n")
                p, r, _ = sanitize(with_attachment("a.zip", nested_zip(3)), conf=conf)
                self.assertEqual(p.returncode, 0)
                names = [e["name"] for e in part_of(r, "a.zip")["contents"]["entries"]]
                self.assertEqual("evil.exe" in names, shown, (depth, names))
                self.assertEqual("evil.exe" in body_of(p.stdout), shown)
                self.assertEqual(part_of(r, "a.zip")["contents"]["truncated"], not shown)

    def test_entries_are_listed_up_to_archive_entries(self):
        entries = [(f"f{i:03}.txt".encode(), b"x", True, None) for i in range(11)]
        with tempfile.TemporaryDirectory() as tmp:
            for cap, listed in ((11, 11), (10, 10)):
                # Text files in a zip are converted by default: the listing is what a removed
                # zip gets, so here zips are removed.
                conf = write_conf(tmp, f"[limits]\narchive_entries = {cap}\n[inbound]\nconvert =\n")
                p, r, _ = sanitize(with_attachment("many.zip", hand_zip(entries)), conf=conf)
                contents = part_of(r, "many.zip")["contents"]
                self.assertEqual(len(contents["entries"]), listed)
                self.assertEqual(contents["truncated"], listed < 11)

    def test_archive_larger_than_archive_size_is_named_not_opened(self):
        data = hand_zip([(b"big.bin", bytes(range(256)) * 8, True, None)])
        with tempfile.TemporaryDirectory() as tmp:
            for cap, opened in ((len(data), True), (len(data) - 1, False)):
                conf = write_conf(tmp, f"[limits]\narchive_size = {cap}\n")
                p, r, _ = sanitize(with_attachment("big.zip", data), conf=conf)
                contents = part_of(r, "big.zip")["contents"]
                self.assertEqual(bool(contents["entries"]), opened)
                text = body_of(p.stdout)
                self.assertIn("big.zip", text)
                self.assertEqual("大きすぎるため中身は一覧できません" in text, not opened)

    def test_password_protected_zip_is_called_out(self):
        data = hand_zip([("見積書.xlsx".encode("cp932"), b"data" * 10, False, b"pw")])
        p, r, _ = sanitize(with_attachment("ppap.zip", data))
        text = body_of(p.stdout)
        self.assertIn("見積書.xlsx", text)
        self.assertIn("パスワード付き", text)
        self.assertTrue(part_of(r, "ppap.zip")["contents"]["encrypted"])
        self.assertIn("encrypted_removed", r["actions"])

    def test_zip_bomb_is_listed_quickly_from_its_headers(self):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("bomb.bin", b"\0" * (64 << 20))
        p, r, elapsed = sanitize(with_attachment("bomb.zip", buf.getvalue()))
        self.assertEqual(p.returncode, 0)
        self.assertLess(elapsed, 20)
        entry = part_of(r, "bomb.zip")["contents"]["entries"][0]
        self.assertEqual((entry["name"], entry["size"]), ("bomb.bin", 64 << 20))


class Alternatives(unittest.TestCase):
    def test_file_inside_the_unused_alternative_is_named(self):
        raw = msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=a\n",
                  "--a\nContent-Type: text/plain; charset=UTF-8\n\nplain text\n"
                  "--a\nContent-Type: multipart/mixed; boundary=m\n\n"
                  "--m\nContent-Type: text/html\n\n<p>html</p>\n"
                  "--m\nContent-Type: application/pdf; name=hidden.pdf\nContent-Transfer-Encoding: base64\n\n"
                  + b64(b"%PDF-1.4 x") + "\n--m--\n--a--\n")
        p, r, _ = sanitize(raw)
        text = body_of(p.stdout)
        self.assertIn("plain text", text)
        self.assertNotIn("html", text.split("---\r\n")[-1])
        self.assertIn("hidden.pdf", text)
        self.assertEqual(part_of(r, "hidden.pdf")["action"], "removed")


class Structure(unittest.TestCase):
    def test_many_boundaries_times_many_dash_lines_is_refused_before_parsing(self):
        # GMime compares every "--" line with every boundary declared: 500 declarations (more
        # than mime_depth, 20, fewer than mime_parts, 1000) times 40 000 such lines is the 20 000
        # 000 comparisons prescan allows; one line more is refused, quickly, unparsed.
        declared = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n" for i in range(500))
        for lines, code in ((40000, 0), (40001, 3)):
            raw = msg("From: a@example.jp\nSubject: quoted headers\n", declared + "-- x\n" * lines)
            p, r, elapsed = sanitize(raw)
            self.assertEqual(p.returncode, code, lines)
            if code:
                self.assertEqual((r["reply"]["code"], r["reply"]["status"], r["reason"]),
                                 ("554", "5.6.0", "mime_depth"))
                self.assertEqual(p.stdout, b"")
            else:
                self.assertIn("boundary=b499", body_of(p.stdout))
            self.assertLess(elapsed, 10)

    def test_multipart_without_a_boundary_is_delivered_as_its_text_marked_untrusted(self):
        # GMime cannot split it: the reader gets all of it as text, every line kept, and the
        # notice of a structure that was not trusted.
        raw = msg("From: a@example.jp\nSubject: s\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n",
                  "hello there\n--x\nContent-Type: text/plain\n\ninner\n--x--\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertIn("structure_untrusted", r["actions"])
        self.assertIn("structure_untrusted", email.message_from_bytes(p.stdout)["X-Mugai-Actions"])
        text = text_of(p.stdout)
        self.assertIn("hello there", text)
        self.assertIn("inner", text)

    def test_two_content_types_that_read_differently_deliver_both_readings(self):
        # One client would show the HTML, another the markup as text: both are in the text, so
        # what either reader would have seen is what was checked and delivered.
        raw = msg("From: a@example.jp\nSubject: s\nMIME-Version: 1.0\nContent-Type: text/plain\n"
                  "Content-Type: text/html\n", "<b>hello</b> there\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertIn("ambiguous_type", r["actions"])
        self.assertIn("ambiguous_type", email.message_from_bytes(p.stdout)["X-Mugai-Actions"])
        text = text_of(p.stdout)
        self.assertIn("\nhello there\n", text)     # the HTML reading, as text
        self.assertIn("<b>hello</b> there", text)  # the plain reading, as it is

class HtmlSize(unittest.TestCase):
    def test_html_past_html_size_is_converted_up_to_it_and_marked_truncated(self):
        """[limits] html_size: only the first html_size bytes of an HTML part become text; the
        rest is not delivered, and the message says it was cut."""
        html = "<p>始まりの段落</p>" + "".join(f"<p>段落{i}</p>" for i in range(600)) + "<p>END-OF-HTML</p>"
        raw = msg("From: a@example.jp\nSubject: long\nMIME-Version: 1.0\n"
                  "Content-Type: text/html; charset=UTF-8\n", html + "\n")
        self.assertGreater(len(html.encode()), 4096)
        with tempfile.TemporaryDirectory() as tmp:
            for size, cut in (("4K", True), ("64K", False)):
                p, r, _ = sanitize(raw, conf=write_conf(tmp, f"[limits]\nhtml_size = {size}\n"))
                self.assertEqual(p.returncode, 0)
                text = text_of(p.stdout)
                self.assertIn("始まりの段落", text)
                self.assertEqual("END-OF-HTML" in text, not cut, size)
                self.assertEqual("truncated" in r["actions"], cut, (size, r["actions"]))


class Headers(unittest.TestCase):
    def test_header_longer_than_header_size_is_cut_at_n_plus_one(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nheader_size = 1K\n")
            for length, cut in ((1024, False), (1025, True)):
                value = " " + "a" * (length - 1)  # the value as Postfix passes it, space included
                p, r, _ = sanitize(msg(f"From: a@example.jp\nX-Long:{value}\n", "hi\n"), conf=conf)
                self.assertEqual(p.returncode, 0)
                m = email.message_from_bytes(p.stdout)
                self.assertEqual(len(m["X-Long"]), 1023 if cut else length - 1)
                self.assertEqual("headers_cleaned" in r["actions"], cut)

    def test_cutting_a_folded_header_never_ends_the_header_block(self):
        folded = "".join("\n " + "b" * 59 for _ in range(40))  # a fold every 60 bytes
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[limits]\nheader_size = 1K\n")
            for shift in range(0, 62, 7):  # the cut lands on every position of a fold
                raw = msg(f"From: a@example.jp\nX-Long: {'a' * shift}{folded}\nX-After: yes\n", "body\n")
                p, _, _ = sanitize(raw, conf=conf)
                head, body = p.stdout.split(b"\r\n\r\n", 1)
                self.assertIn(b"\r\nX-After: yes", head)
                self.assertEqual(body, b"body\r\n")
                self.assertNotIn(b"\r\n\r\n", head)
                for line in head.split(b"\r\n")[1:]:
                    self.assertTrue(line[:1] in (b" ", b"\t") or b":" in line, line)

    def test_raw_8bit_subject_is_decoded_and_control_characters_go(self):
        raw = (b"From: a@example.jp\r\nSubject: " + "会議の件".encode("cp932") + b"\r\n"
               b"X-Weird: a\x01b\x7fc\xc2\x9bd\r\n\r\nhi\r\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(subject_of(p.stdout), "会議の件")
        self.assertIn(b"X-Weird: abcd\r\n", p.stdout)
        self.assertTrue(all(b < 0x80 for b in p.stdout.split(b"\r\n\r\n")[0]))

    def test_decoding_a_display_name_never_makes_an_address(self):
        spoof = base64.b64encode('"課長 <boss@city.lg.jp>">'.encode()).decode()
        raw = (b"From: \x93\xfa=?UTF-8?B?" + spoof.encode() + b"?= <attacker@evil.example>\r\n"
               b"To: " + "総務課".encode("cp932") + b": a@example.jp, b@example.jp;, c@example.jp\r\n"
               b"\r\nhi\r\n")
        p, _, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        m = email.message_from_bytes(p.stdout)
        addresses = email.utils.getaddresses([m["From"]])
        self.assertEqual([a for _, a in addresses], ["attacker@evil.example"])
        self.assertEqual([a for _, a in email.utils.getaddresses([m["To"]])],
                         ["a@example.jp", "b@example.jp", "c@example.jp"])
        self.assertIn("総務課", str(make_header(decode_header(m["To"]))))

    def test_too_many_broken_headers_are_refused_quickly(self):
        for count, code in ((500, 0), (501, 3)):
            head = "".join(f"X-H{i}: a\x01b\n" for i in range(count))
            p, r, elapsed = sanitize(msg("From: a@example.jp\n" + head, "hi\n"))
            self.assertEqual(p.returncode, code, count)
            if code:
                self.assertEqual((r["reply"]["code"], r["reason"]), ("554", "malformed_headers"))
        head = "".join(f"X-H: a\x01b\n" for i in range(60000))
        p, r, elapsed = sanitize(msg("From: a@example.jp\n" + head, "hi\n"))
        self.assertEqual(p.returncode, 3)
        self.assertLess(elapsed, 10)

    def test_control_characters_go_from_re_encoded_structured_values_too(self):
        # found by fuzz_sanitize: raw 8-bit and a control inside <...> of a Message-ID
        raw = b"From: a@example.jp\r\nMessage-ID: <pgp-1@ex\xaa\x05ample>\r\n\r\nhi\r\n"
        p, _, _ = sanitize(raw)
        head = p.stdout.split(b"\r\n\r\n", 1)[0]
        self.assertIn(b"Message-ID: <pgp-1@ex?ample>\r\n", head)

    def test_raw_iso2022jp_subject_is_decoded(self):
        raw = b"From: a@example.jp\r\nSubject: " + to_jis("お知らせ") + b"\r\n\r\nhi\r\n"
        p, _, _ = sanitize(raw)
        self.assertEqual(subject_of(p.stdout), "お知らせ")
        self.assertNotIn(b"\x1b", p.stdout.split(b"\r\n\r\n")[0])

    def test_subject_tag_is_added_once_and_only_to_sanitized_mail(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[notice]\nsubject_tag = [無害化]\n")
            html = msg("From: a@example.jp\nSubject: =?UTF-8?B?" + base64.b64encode("案内".encode()).decode() +
                       "?=\nContent-Type: text/html; charset=UTF-8\n", "<p>本文</p>\n")
            p, r, _ = sanitize(html, conf=conf)
            self.assertEqual(subject_of(p.stdout), "[無害化] 案内")
            self.assertIn("subject_tagged", r["actions"])
            again = msg("From: a@example.jp\nSubject: Re: [無害化] 案内\nContent-Type: text/html; charset=UTF-8\n",
                        "<p>本文</p>\n")
            p, r, _ = sanitize(again, conf=conf)
            self.assertEqual(subject_of(p.stdout), "Re: [無害化] 案内")
            p, r, _ = sanitize(msg("From: a@example.jp\nSubject: plain\n", "just text\n"), conf=conf)
            self.assertEqual(subject_of(p.stdout), "plain")  # nothing removed or converted: no tag
            p, r, _ = sanitize(msg("From: a@example.jp\nContent-Type: text/html\n", "<p>x</p>\n"), conf=conf)
            self.assertEqual(subject_of(p.stdout), "[無害化]")


class SignedAndEncrypted(unittest.TestCase):
    def test_smime_enveloped_data_is_removed_as_encrypted(self):
        raw = msg("From: a@example.jp\nMIME-Version: 1.0\n"
                  "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n"
                  "Content-Transfer-Encoding: base64\n", b64(b"\x30\x80" + bytes(100)) + "\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(r["parts"][0]["reason"], "encrypted")
        self.assertIn("暗号化された部分", body_of(p.stdout))

    def test_opaque_signed_smime_is_removed_it_cannot_be_read(self):
        raw = msg("From: a@example.jp\nMIME-Version: 1.0\n"
                  "Content-Type: application/x-pkcs7-mime; smime-type=signed-data; name=smime.p7m\n"
                  "Content-Transfer-Encoding: base64\n", b64(b"\x30\x80" + bytes(100)) + "\n")
        p, r, _ = sanitize(raw)
        self.assertEqual(r["parts"][0]["reason"], "opaque_signed")
        self.assertIn("smime.p7m", body_of(p.stdout))

    def test_pgp_armor_inside_html_is_defused_too(self):
        raw = msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n",
                  "<pre>-----BEGIN PGP MESSAGE-----\n\nhQEMA1b2c3d4\n-----END PGP MESSAGE-----</pre>\n")
        p, r, _ = sanitize(raw)
        text = body_of(p.stdout)
        self.assertNotIn("-----BEGIN PGP MESSAGE", text)
        self.assertIn("[BEGIN PGP MESSAGE]", text)


class Links(unittest.TestCase):
    HTML = ('<p><a href="https://evil.example.net/">https://www.bank.example.jp/</a> '
            '<a href="https://www.bank.example.jp/top">bank.example.jp</a> '
            '<a href="javascript:steal()">here</a> <a href="mailto:a@example.jp">mail</a></p>')

    def test_each_defang_kind_is_separate(self):
        raw = msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n", self.HTML + "\n")
        with tempfile.TemporaryDirectory() as tmp:
            p, r, _ = sanitize(raw, conf=write_conf(tmp, "[links]\ndefang_mailto = yes\n"))
            text = body_of(p.stdout)
            self.assertIn("<https://www.bank.example.jp/top>", text)
            self.assertIn("mailto[:]a[@]example[.]jp", text)
            p, r, _ = sanitize(raw, conf=write_conf(tmp, "[links]\ndefang_web = yes\n"))
            text = body_of(p.stdout)
            self.assertIn("hxxps://www[.]bank[.]example[.]jp/top", text)
            self.assertIn("<mailto:a@example.jp>", text)

    def test_mismatched_link_is_warned_once_at_the_top(self):
        raw = msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n", self.HTML * 3 + "\n")
        p, r, _ = sanitize(raw)
        text = body_of(p.stdout)
        self.assertTrue(text.startswith("【注意】"), text[:80])
        self.assertEqual(text.count("【注意】"), 1)
        self.assertEqual(text.count("実際のリンク先: https://evil.example.net/"), 3)
        self.assertEqual(r["action_counts"]["link_mismatch"], 3)
        self.assertNotIn("javascript:steal", text)
        self.assertEqual(r["action_counts"]["link_dropped"], 3)

    def test_plain_text_urls_are_defanged_when_asked(self):
        raw = msg("From: a@example.jp\nContent-Type: text/plain; charset=UTF-8\n",
                  "詳しくはhttps://example.jp/a をご覧ください。\n")
        with tempfile.TemporaryDirectory() as tmp:
            p, r, _ = sanitize(raw, conf=write_conf(tmp, "[links]\ndefang_web = yes\n"))
            self.assertIn("hxxps://example[.]jp/a", body_of(p.stdout))
            self.assertIn("link_defanged", r["actions"])
        p, r, _ = sanitize(raw)
        self.assertEqual(r["out_size"], 0)  # defanging off: plain UTF-8 text passes unchanged


class OutputCharset(unittest.TestCase):
    def test_iso2022jp_falls_back_to_utf8_per_message(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = write_conf(tmp, "[output]\ncharset = iso-2022-jp\n")
            html = "<p>①番窓口 髙橋</p>"
            p, _, _ = sanitize(msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n", html + "\n"), conf=conf)
            m = email.message_from_bytes(p.stdout)
            self.assertEqual(m.get_content_charset(), "iso-2022-jp")
            self.assertTrue(all(b < 0x80 for b in m.get_payload(decode=True)))
            p, _, _ = sanitize(msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n",
                                   "<p>ｶﾞｲﾄﾞ です</p>\n"), conf=conf)
            m = email.message_from_bytes(p.stdout)
            self.assertEqual(m.get_content_charset(), "iso-2022-jp")  # half-width kana in full width
            self.assertIn("ガイド です", m.get_payload(decode=True).decode("iso2022_jp"))
            for odd in ("😀", "한국어"):
                p, _, _ = sanitize(msg("From: a@example.jp\nContent-Type: text/html; charset=UTF-8\n",
                                       f"<p>{odd} です</p>\n"), conf=conf)
                m = email.message_from_bytes(p.stdout)
                self.assertEqual(m.get_content_charset(), "utf-8")
                self.assertIn(odd, body_of(p.stdout))


class Templates(unittest.TestCase):
    def test_admin_template_frames_the_notice(self):
        with tempfile.TemporaryDirectory() as tmp:
            tpl = os.path.join(tmp, "notice.ja.txt")
            with open(tpl, "w", encoding="utf-8") as f:
                f.write("{warnings}\n■ 無害化しました（{removed_count} 件削除）\n{removed}\n"
                        "問い合わせ: 情報政策課 内線 1234\n--\n")
            conf = write_conf(tmp, f"[notice]\ntemplate_ja = {tpl}\n[inbound]\nconvert =\n")
            p, r, _ = sanitize(with_attachment("a.zip", hand_zip([(b"x.txt", b"x", True, None)])), conf=conf)
            text = text_of(p.stdout)
            self.assertTrue(text.startswith("■ 無害化しました（1 件削除）\n  - a.zip (application/zip,"), text[:120])
            self.assertIn("問い合わせ: 情報政策課 内線 1234\n--\n", text)
            self.assertIn("      - x.txt (1 バイト)", text)

    def test_broken_template_is_a_config_error_not_a_missing_notice(self):
        with tempfile.TemporaryDirectory() as tmp:
            tpl = os.path.join(tmp, "bad.txt")
            with open(tpl, "w") as f:
                f.write("{removed}\n{quarantine}\n")
            conf = write_conf(tmp, f"[notice]\nlanguage = en\ntemplate_en = {tpl}\n")
            p, _, _ = sanitize(msg("From: a@example.jp\n", "hi\n"), conf=conf)
            self.assertEqual(p.returncode, 2)
            self.assertIn(f"c.conf:3: [notice] template_en: \"{tpl}\": line 2: unknown placeholder {{quarantine}}",
                          p.stderr.decode())
            check = subprocess.run([MUGAI, "config", "check", "-c", conf], capture_output=True)
            self.assertEqual(check.returncode, 2)


class TimeLimit(unittest.TestCase):
    def test_message_over_time_per_message_is_refused_not_delivered_half_checked(self):
        deep = "<div>" * 19000 + "x" + "</div>" * 19000
        parts = "".join(f"--b\nContent-Type: text/html; charset=UTF-8\n\n{deep}\n" for _ in range(6))
        raw = msg("From: a@example.jp\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
                  parts + "--b--\n")
        with tempfile.TemporaryDirectory() as tmp:
            p, r, elapsed = sanitize(raw, conf=write_conf(tmp, "[limits]\ntime_per_message = 1s\n"))
            self.assertEqual(p.returncode, 3)
            self.assertEqual((r["reply"]["code"], r["reply"]["status"], r["reason"]), ("554", "5.6.0", "time_limit"))
            self.assertLess(elapsed, 30)
            p, r, _ = sanitize(raw, conf=write_conf(tmp, "[limits]\ntime_per_message = 10m\n"))
            self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
