#!/usr/bin/env python3
"""[outbound] max_shown_external_addresses through `mugai sanitize`: outbound mail that shows
more outside addresses in To and Cc than allowed is refused, asking to use Bcc; inside addresses,
Bcc and inbound mail do not count."""
import binascii, os, sys, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_autoforward import INSIDE, sanitize  # noqa: E402


def message(to, cc=""):
    return (f"From: taro@{INSIDE}\r\nTo: {to}\r\n" + (f"Cc: {cc}\r\n" if cc else "") +
            "Subject: お知らせ\r\nMessage-ID: <s@city.example.lg.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n").encode()


def outside(n, start=0):
    return ", ".join(f"住民{i} <user{i}@example{i % 3}.jp>" for i in range(start, start + n))


class ShownAddresses(unittest.TestCase):
    def test_over_the_limit_in_to_and_cc_is_refused_asking_for_bcc(self):
        rc, line, report = sanitize(message(outside(6), outside(5, 6)))
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Too many outside addresses in To and Cc: put them in Bcc '
                      '(11, at most 10)"', line)
        self.assertIn("reason=shown_addresses", line)
        self.assertEqual(report["reason"], "shown_addresses")

    def test_at_the_limit_inside_addresses_and_duplicates_pass(self):
        inside = ", ".join(f"staff{i}@{INSIDE}" for i in range(30)) + f", x@sub.{INSIDE}"
        rc, line, _ = sanitize(message(outside(10) + ", " + inside, "USER0@example0.jp"))
        self.assertEqual(rc, 0, line)

    def test_groups_count_their_members(self):
        rc, line, _ = sanitize(message(f"委員各位: {outside(11)};"))
        self.assertEqual(rc, 3, line)

    def test_inbound_mail_does_not_count(self):
        rc, line, _ = sanitize(message(outside(30)), direction="in")
        self.assertEqual(rc, 0, line)


def text_message(body, subject="書類の件", ctype="text/plain; charset=UTF-8", cte="8bit"):
    return (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: {subject}\r\n"
            f"Message-ID: <n@city.example.lg.jp>\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + body


class IndividualNumbers(unittest.TestCase):
    REPLY = 'reply="550 5.7.1 Message contains an individual number (My Number): not sent"'

    def test_found_in_text_html_base64_shift_jis_and_subject(self):
        import base64
        cases = {
            "text": text_message("個人番号は 1234 5678 9018 です。\r\n".encode()),
            "full_width": text_message("番号：１２３４－５６７８－９０１８\r\n".encode()),
            "html": text_message(b"<p>1234<b>5678</b>9018</p>\r\n", ctype="text/html; charset=UTF-8"),
            "base64": text_message(base64.encodebytes("番号 123456789018".encode()), cte="base64"),
            "shift_jis": text_message("番号 9876-5432-1093\r\n".encode("cp932"),
                                      ctype="text/plain; charset=Shift_JIS"),
            "subject": text_message("本文\r\n".encode(), subject="123456789018"),
        }
        for name, raw in cases.items():
            with self.subTest(case=name):
                rc, line, report = sanitize(raw)
                self.assertEqual(rc, 3, line)
                self.assertIn(self.REPLY, line)
                self.assertEqual(report["reason"], "individual_number")

    def test_ordinary_numbers_and_other_directions_pass(self):
        for body in ("注文番号 123456789012 (検査数字が合わない)\r\n", "電話 090-1234-5678\r\n",
                     "口座 99123456789018\r\n", "カード 1234 5678 9018 7777\r\n"):
            with self.subTest(body=body):
                rc, line, _ = sanitize(text_message(body.encode()))
                self.assertEqual(rc, 0, line)
        raw = text_message("個人番号 123456789018\r\n".encode())
        rc, line, _ = sanitize(raw, direction="in")
        self.assertEqual(rc, 0, line)  # inbound mail is sanitized, not refused for it


def with_parts(*parts, subtype="mixed"):
    """Outbound mail: a text body, then PARTS (each a MIME entity's headers and body)."""
    raw = (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: 資料\r\nMIME-Version: 1.0\r\n"
           f'Content-Type: multipart/{subtype}; boundary="b"\r\n\r\n--b\r\n'
           "Content-Type: text/plain; charset=UTF-8\r\n\r\n資料を送ります。\r\n")
    for p in parts:
        raw += "--b\r\n" + p
    return (raw + "--b--\r\n").encode()


PDF = ('Content-Type: application/pdf; name="見積書.pdf"\r\nContent-Disposition: attachment; '
       'filename="mitsumori.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
       "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSPj4Kc3RyZWFtCg==\r\n")


class Attachments(unittest.TestCase):
    def test_allowed_by_default_and_delivered_unchanged(self):
        rc, line, _ = sanitize(with_parts(PDF))
        self.assertEqual(rc, 0, line)
        self.assertNotIn("removed", line)

    def test_block_refuses_a_file_but_not_a_signature_or_an_inline_logo(self):
        block = {"outbound": {"attachments": "block", "attachments_clause": "DLP-2"}}
        rc, line, report = sanitize(with_parts(PDF, PDF), groups=block)
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="550 5.7.1 Attachments are not allowed in outbound mail '
                      '(2 attached; clause DLP-2)"', line)
        self.assertEqual(report["reason"], "attachment")
        self.assertEqual(report["clause"], "DLP-2")
        signature = ("Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\nMIIBAAYJKoZIhvcNAQcCoA==\r\n")
        raw = with_parts(signature, subtype='signed; protocol="application/pkcs7-signature"; micalg=sha-256')
        rc, line, _ = sanitize(raw, groups=block)
        self.assertEqual(rc, 0, line)
        html = ('--c\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<p>資料</p><img src="cid:logo">\r\n'
                "--c\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Transfer-Encoding: base64\r\n"
                "\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==\r\n--c--\r\n")
        raw = (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
               'Content-Type: multipart/related; boundary="c"\r\n\r\n' + html).encode()
        rc, line, _ = sanitize(raw, groups=block)
        self.assertEqual(rc, 0, line)
        rc, line, _ = sanitize(with_parts(PDF), direction="in", groups=block)
        self.assertEqual(rc, 0, line)  # inbound attachments are removed, not refused
        self.assertIn("removed", line)

    def test_a_cap_refuses_the_larger_attachment_naming_part_and_limit(self):
        import base64
        big = ("Content-Type: application/octet-stream; name=data.bin\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n" +
               base64.encodebytes(b"x" * 3000).decode().replace("\n", "\r\n"))
        cap = {"outbound": {"max_attachment_size": "2K"}}
        rc, line, report = sanitize(with_parts(PDF, big), groups=cap)
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="552 5.3.4 Attachment too big for outbound mail (part 3, limit 2K)"', line)
        self.assertIn('detail="part 3 \\"data.bin\\" of 3000 bytes, over 2K"', line)
        self.assertEqual(report["reason"], "attachment_too_big")
        rc, line, _ = sanitize(with_parts(PDF), groups=cap)
        self.assertEqual(rc, 0, line)

    def test_a_rule_lets_one_sender_attach_files(self):
        rule = f"\n[rule keiyaku]\nmatch_sender = keiyaku@{INSIDE}\noutbound.attachments = allow\n"
        block = {"outbound": {"attachments": "block"}}
        rc, line, _ = sanitize(with_parts(PDF), sender=f"keiyaku@{INSIDE}", groups=block, extra=rule)
        self.assertEqual(rc, 0, line)
        self.assertIn(" rule=keiyaku", line)
        rc, line, _ = sanitize(with_parts(PDF), groups=block, extra=rule)
        self.assertEqual(rc, 3, line)


class OutboundIsScanned(unittest.TestCase):
    def test_virus_in_outbound_mail_is_refused_and_clean_mail_passes_unchanged(self):
        import base64
        from test_autoforward import scan_db
        raw = (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
               'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
               "hi\r\n--b\r\nContent-Type: application/octet-stream; name=e.com\r\n"
               "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(scan_db.EICAR) + b"--b--\r\n"
        rc, line, _ = sanitize(raw)
        self.assertEqual(rc, 3, line)
        self.assertIn("Virus found: Eicar-Test-Signature.UNOFFICIAL", line)
        rc, line, _ = sanitize(raw.replace(base64.encodebytes(scan_db.EICAR), base64.encodebytes(b"fine\n")))
        self.assertEqual(rc, 0, line)
        self.assertIn(" direction=out ", line)
        self.assertNotIn("removed", line)  # outbound mail is not changed

    def test_what_lies_outside_every_part_is_scanned_too(self):
        """Outbound mail goes out as it came, so a reader's client shows what lies outside the
        MIME parts too: a multipart whose boundary never comes (the whole body is its
        preamble), a preamble, an epilogue, a uuencoded file in a preamble."""
        from test_autoforward import scan_db
        head = (f"From: taro@{INSIDE}\r\nTo: partner@example.com\r\nSubject: t\r\n"
                "MIME-Version: 1.0\r\n").encode()
        eicar = scan_db.EICAR
        uu = b"begin 644 e.com\r\n" + b"".join(
            binascii.b2a_uu(eicar[i:i + 45]).replace(b"\n", b"\r\n") for i in range(0, len(eicar), 45)
        ) + b"`\r\nend\r\n"
        cases = {
            "no_boundary": b'Content-Type: multipart/mixed; boundary="never"\r\n\r\n' + eicar + b"\r\n",
            "preamble": b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + eicar +
                        b"\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
            "epilogue": b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
                        b"Content-Type: text/plain\r\n\r\nhi\r\n--b--\r\n" + eicar + b"\r\n",
            "uuencoded_in_preamble": b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + uu +
                                     b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b--\r\n",
        }
        for name, body in cases.items():
            with self.subTest(name):
                rc, line, _ = sanitize(head + body)
                self.assertEqual(rc, 3, line)
                self.assertIn("reason=virus", line)
                self.assertIn("550 5.7.1 Virus found", line)
        rc, line, _ = sanitize(head + cases["preamble"].replace(eicar, b"a preamble"))
        self.assertEqual(rc, 0, line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
