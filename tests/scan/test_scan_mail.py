#!/usr/bin/env python3
"""Virus scanning as `mugai sanitize` shows it (the milter's code path): EICAR and the project's test
signatures are found wherever a client could open them, answered as [scan] says (exit 3 and a 550
naming the signature by default), and a scanner that cannot be used never lets mail through."""
import base64, email, io, json, os, re, subprocess, sys, tempfile, unittest, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
BASE = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()


def sanitize(raw, conf_text=None, **scan_keys):
    """(exit code, stdout, last stderr line, JSON report) of `mugai sanitize` on RAW, with the
    default config scanning with the test database plus SCAN_KEYS."""
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "mugai.conf")
        text = scan_db.config_with_database(conf_text or BASE, scan_db.database(), **scan_keys)
        open(conf, "w", encoding="utf-8").write(text)
        rep = os.path.join(tmp, "r.json")
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--queue-id", "4ABC123", "--report-json",
                            rep], input=raw, capture_output=True, timeout=120)
        report = json.load(open(rep)) if os.path.exists(rep) else None
    lines = p.stderr.decode("utf-8", "replace").strip().splitlines()
    return p.returncode, p.stdout, lines[-1] if lines else "", report


def message(parts, top_type="multipart/mixed", boundary="b0"):
    """A message of PARTS [(headers, body bytes)], CRLF."""
    out = [b"From: sender@example.co.jp", b"To: taro@city.example.lg.jp", b"Subject: test",
           b"Message-ID: <scan@example.co.jp>", b"MIME-Version: 1.0",
           f'Content-Type: {top_type}; boundary="{boundary}"'.encode(), b""]
    sep = f"--{boundary}".encode()
    for headers, body in parts:
        out += [sep] + [h.encode() for h in headers] + [b"", body]
    out += [sep + b"--", b""]
    return b"\r\n".join(out)


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip(b"\r\n")


def qp_every_byte(data, soft_breaks=0):
    """DATA quoted-printable with every byte escaped, after SOFT_BREAKS empty soft line breaks:
    the bytes appear only once it is decoded."""
    lines = [b"".join(b"=%02X" % c for c in data[i:i + 20]) for i in range(0, len(data), 20)]
    return b"=\r\n" * soft_breaks + b"=\r\n".join(lines)


def attachment(name, data, ctype="application/octet-stream"):
    return ([f'Content-Type: {ctype}; name="{name}"', f'Content-Disposition: attachment; filename="{name}"',
             "Content-Transfer-Encoding: base64"], b64(data))


TEXT = (["Content-Type: text/plain; charset=UTF-8"], "本文です。\r\n".encode())


def zip_of(*members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


class Found(unittest.TestCase):
    """Each case is refused with exit 3, a 550 5.7.1 reply naming the signature, and the part."""

    def assert_refused(self, raw, signature=scan_db.EICAR_NAME, path=None, **keys):
        rc, out, line, report = sanitize(raw, **keys)
        self.assertEqual(rc, 3, line)
        self.assertEqual(out, b"", "nothing on stdout for a refused message")
        self.assertIn(f'reply="550 5.7.1 Virus found: {signature}"', line)
        self.assertIn("reason=virus", line)
        self.assertEqual(report["verdict"], "reject")
        self.assertEqual(report["reply"]["code"], "550")
        if path is not None:
            part = next(p for p in report["parts"] if p["path"] == path)
            self.assertEqual(part["scan"], {"verdict": "infected", "signature": signature})
        return line, report

    def test_eicar_attachment(self):
        line, _ = self.assert_refused(message([TEXT, attachment("eicar.com", scan_db.EICAR)]), path="2")
        self.assertIn('detail="Eicar-Test-Signature.UNOFFICIAL in part 2 (\\"eicar.com\\")"', line)

    def test_eicar_quoted_printable_attachment(self):
        part = (['Content-Type: application/octet-stream; name="e.com"', "Content-Disposition: attachment",
                 "Content-Transfer-Encoding: quoted-printable"], qp_every_byte(scan_db.EICAR))
        self.assert_refused(message([TEXT, part]), path="2")

    def test_eicar_quoted_printable_after_more_than_a_read_of_soft_breaks(self):
        # 90 KB of "=\r\n" decode to nothing: the part is read on past them, not taken as ended
        part = (['Content-Type: application/octet-stream; name="e.com"', "Content-Disposition: attachment",
                 "Content-Transfer-Encoding: quoted-printable"], qp_every_byte(scan_db.EICAR, 30000))
        self.assert_refused(message([TEXT, part]), path="2")

    def test_eicar_as_base64_text_body(self):
        body = (["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: base64"],
                b64(scan_db.EICAR))
        self.assert_refused(message([body]), path="1")

    def test_eicar_in_a_single_part_message_body(self):
        raw = (b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: t\r\n\r\n" + scan_db.EICAR + b"\r\n")
        self.assert_refused(raw, path="1")

    def test_eicar_inside_zip(self):
        z = zip_of(("readme.txt", b"hello\n"), ("eicar.com", scan_db.EICAR))
        self.assert_refused(message([TEXT, attachment("files.zip", z, "application/zip")]), path="2")

    def test_eicar_inside_zip_inside_zip(self):
        inner = zip_of(("eicar.com", scan_db.EICAR))
        outer = zip_of(("inner.zip", inner))
        self.assert_refused(message([TEXT, attachment("outer.zip", outer, "application/zip")]), path="2")

    def test_eicar_inside_attached_message(self):
        inner = message([TEXT, attachment("eicar.com", scan_db.EICAR)], boundary="inner")
        part = (["Content-Type: message/rfc822", "Content-Disposition: attachment"], inner)
        self.assert_refused(message([TEXT, part]), path="2.2")

    def test_eicar_in_the_unused_html_alternative(self):
        alt = message([(["Content-Type: text/plain"], b"plain text\r\n"),
                       (["Content-Type: text/html", "Content-Transfer-Encoding: base64"],
                        b64(b"<p>" + scan_db.EICAR + b"</p>"))], "multipart/alternative")
        self.assert_refused(alt, path="2")

    def test_eicar_as_inline_image_of_related_html(self):
        related = message([(["Content-Type: text/html"], b'<p><img src="cid:i1" alt="x"></p>\r\n'),
                           (["Content-Type: image/png", "Content-ID: <i1>", "Content-Transfer-Encoding: base64"],
                            b64(scan_db.EICAR))], "multipart/related")
        self.assert_refused(related, path="2")

    def test_project_signature_in_text_and_hash_of_whole_file(self):
        self.assert_refused(message([(["Content-Type: text/plain"], b"x " + scan_db.MARKER + b" y\r\n")]),
                            signature=scan_db.MARKER_NAME)
        # An .hdb signature matches the MD5 of the whole decoded file: a prefix would not match.
        self.assert_refused(message([TEXT, attachment("h.bin", scan_db.HASHED)]), signature=scan_db.HASHED_NAME)

    def test_eicar_at_the_end_of_a_part_spooled_to_disk(self):
        data = os.urandom(3 * 1024 * 1024) + scan_db.EICAR
        conf = scan_db.config_with_scan(BASE, max_file_size="4M")
        conf = conf.replace("spool_memory = 1M", "spool_memory = 64K")
        rc, _, line, _ = sanitize(message([TEXT, attachment("big.bin", data)]), conf_text=conf)
        self.assertEqual(rc, 3, line)
        self.assertIn(scan_db.EICAR_NAME, line)

    def test_eicar_in_text_that_belongs_to_no_part(self):
        # A multipart whose boundary never comes: clients show the body as text, and so does mugai;
        # no leaf holds it, so only the scan of the text to be delivered can see it.
        raw = (b"From: a@example.jp\r\nTo: b@example.jp\r\nSubject: t\r\nMIME-Version: 1.0\r\n"
               b'Content-Type: multipart/mixed; boundary="never"\r\n\r\n' + scan_db.EICAR + b"\r\n")
        line, _ = self.assert_refused(raw)
        self.assertIn("in the text to be delivered", line)
        rc, out, line, _ = sanitize(raw, backend="none")
        self.assertEqual(rc, 0, line)  # shown as text when nothing scans: the case is real
        self.assertIn(b"EICAR", email.message_from_bytes(out).get_payload(decode=True))

    def test_discard_when_configured(self):
        rc, out, line, report = sanitize(message([TEXT, attachment("e.com", scan_db.EICAR)]), infected="discard")
        self.assertEqual(rc, 3, line)
        self.assertIn("verdict=discard", line)
        self.assertIn("reason=virus", line)
        self.assertIsNone(report["reply"], "a discarded message has no reply")

    def test_quarantine_when_configured_holds_the_original_and_delivers_nothing(self):
        """infected = quarantine: accepted, nothing delivered, the original kept as received."""
        raw = message([TEXT, attachment("e.com", scan_db.EICAR)])
        with tempfile.TemporaryDirectory() as tmp:
            store = os.path.join(tmp, "q")
            conf_text = scan_db.config_with_keys(BASE, "quarantine", dir=store)
            rc, out, line, report = sanitize(raw, conf_text=conf_text, infected="quarantine")
            self.assertEqual(rc, 3, line)
            self.assertEqual(out, b"", "nothing is delivered")
            self.assertIn("verdict=hold", line)
            self.assertIn("reason=virus", line)
            qid = re.search(r"quarantine=(\S+)", line).group(1)
            conf = os.path.join(tmp, "show.conf")
            with open(conf, "w", encoding="utf-8") as f:
                f.write(conf_text)
            kept = subprocess.run([MUGAI, "quarantine", "show", "--raw", qid, "-c", conf],
                                  capture_output=True, timeout=60)
            self.assertEqual(kept.returncode, 0, kept.stderr)
            self.assertEqual(kept.stdout, raw)


class Clean(unittest.TestCase):
    def test_clean_mail_is_delivered_with_every_part_scanned(self):
        raw = message([TEXT, attachment("doc.zip", zip_of(("a.txt", b"fine\n")), "application/zip")])
        rc, out, line, report = sanitize(raw)
        self.assertEqual(rc, 0, line)
        body = email.message_from_bytes(out).get_payload(decode=True).decode()
        self.assertIn("doc.zip", body)  # named in the notice
        leaves = [p for p in report["parts"] if p["action"] != "container"]
        self.assertTrue(leaves)
        for p in leaves:
            self.assertEqual(p["scan"], {"verdict": "clean", "signature": None}, p)
        self.assertNotIn("not-scanned", line)

    def test_backend_none_says_not_scanned(self):
        rc, out, line, report = sanitize(message([TEXT, attachment("e.com", scan_db.EICAR)]), backend="none")
        self.assertEqual(rc, 0, line)
        self.assertIn(b"X-Mugai-Actions: ", out)
        header = [l for l in out.split(b"\r\n") if l.startswith(b"X-Mugai-Actions:")][0]
        self.assertIn(b"not-scanned", header)
        self.assertNotIn(scan_db.EICAR, out, "the attachment is still removed")
        self.assertTrue(all("scan" not in p for p in report["parts"]))


class Limits(unittest.TestCase):
    def test_part_over_max_file_size_is_refused_as_too_big(self):
        raw = message([TEXT, attachment("big.bin", os.urandom(2 * 1024 * 1024))])
        rc, _, line, report = sanitize(raw, max_file_size="1M")
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="552 5.3.4 Message content is too big to be scanned for viruses: '
                      'Heuristics.Limits.Exceeded.MaxFileSize"', line)
        self.assertIn("reason=scan_too_big", line)
        part = next(p for p in report["parts"] if p["path"] == "2")
        self.assertEqual(part["scan"]["verdict"], "too-big")

    def test_zip_member_over_max_file_size_is_too_big_not_clean(self):
        z = zip_of(("zeros.bin", bytes(2 * 1024 * 1024) + scan_db.EICAR))
        self.assertLess(len(z), 1024 * 1024)  # the zip itself is under the limit
        rc, _, line, _ = sanitize(message([TEXT, attachment("z.zip", z, "application/zip")]), max_file_size="1M")
        self.assertEqual(rc, 3, line)
        self.assertIn("reason=scan_too_big", line)

    def test_too_big_can_be_tempfail(self):
        raw = message([TEXT, attachment("big.bin", os.urandom(2 * 1024 * 1024))])
        rc, _, line, _ = sanitize(raw, max_file_size="1M", too_big="tempfail")
        self.assertEqual(rc, 75, line)
        self.assertIn('reply="451 4.3.4 ', line)


class FailClosed(unittest.TestCase):
    """No usable scanner: exit 75 (Postfix would keep the message), saying why."""

    def assert_tempfail(self, why, **keys):
        rc, out, line, report = sanitize(message([TEXT]), **keys)
        self.assertEqual(rc, 75, line)
        self.assertEqual(out, b"")
        self.assertIn('reply="451 4.3.0 Virus scanning is not available, please try again later"', line)
        self.assertIn("reason=scan_error", line)
        self.assertIn(why, line)

    def test_missing_database(self):
        self.assert_tempfail("no signature database", database_dir="/nonexistent/clamav")

    def test_corrupt_database(self):
        with tempfile.TemporaryDirectory() as bad:
            os.chmod(bad, 0o755)
            open(os.path.join(bad, "broken.ndb"), "w").write("this is not a signature\n")
            self.assert_tempfail("cannot load signatures from", database_dir=bad)

    def test_signatures_older_than_max_signature_age(self):
        with tempfile.TemporaryDirectory() as old:
            scan_db.make_database(old)
            ten_days_ago = os.path.getmtime(old) - 10 * 86400
            for name in os.listdir(old):
                os.utime(os.path.join(old, name), (ten_days_ago, ten_days_ago))
            self.assert_tempfail("signatures too old", database_dir=old, max_signature_age="3d")

    def test_clamd_not_listening(self):
        with tempfile.TemporaryDirectory() as tmp:
            self.assert_tempfail("no virus scanner is loaded", backend="clamd",
                                 clamd_socket=f"unix:{tmp}/clamd.sock", clamd_timeout="2s")

    def test_scan_error_can_be_a_reject(self):
        rc, _, line, _ = sanitize(message([TEXT]), database_dir="/nonexistent/clamav", scan_error="reject")
        self.assertEqual(rc, 3, line)
        self.assertIn('reply="554 5.3.0 Virus scanning is not available', line)


class RawMessage(unittest.TestCase):
    """[scan] raw_message: the message as received is scanned too. EICAR in a multipart preamble,
    which clients hide and mugai does not deliver, is only found that way."""

    def raw_with_preamble(self):
        return message([TEXT]).replace(b'boundary="b0"\r\n\r\n', b'boundary="b0"\r\n\r\n' + scan_db.EICAR + b"\r\n")

    def test_preamble_is_not_delivered_without_raw_scan(self):
        rc, out, line, _ = sanitize(self.raw_with_preamble())
        self.assertEqual(rc, 0, line)
        self.assertNotIn(b"EICAR", out)

    def test_preamble_is_found_with_raw_scan(self):
        rc, _, line, _ = sanitize(self.raw_with_preamble(), raw_message="yes")
        self.assertEqual(rc, 3, line)
        self.assertIn("in the message as received", line)


class ScanInfo(unittest.TestCase):
    def run_info(self, **keys):
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "c.conf")
            open(conf, "w").write(scan_db.config_with_database(BASE, scan_db.database(), **keys))
            return subprocess.run([MUGAI, "scan-info", "-c", conf], capture_output=True, text=True, timeout=60)

    def test_reports_engine_count_and_date(self):
        p = self.run_info()
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^backend libclamav \(.*\): ClamAV \d+\.\d+\.\d+, 3 signatures, "
                                   r"newest built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(mugai-test\.[hn]db, 0\.0 days old\)")

    def test_unusable_scanner_is_exit_75_saying_why(self):
        p = self.run_info(database_dir="/nonexistent/clamav")
        self.assertEqual(p.returncode, 75)
        self.assertIn("not usable: no signature database", p.stdout)

    def test_none_says_mail_is_not_scanned(self):
        p = self.run_info(backend="none")
        self.assertEqual(p.returncode, 0)
        self.assertIn("not scanned", p.stdout)

    def test_config_check_warns_about_missing_or_old_signatures(self):
        with tempfile.TemporaryDirectory() as tmp:
            conf = os.path.join(tmp, "c.conf")
            open(conf, "w").write(scan_db.config_with_database(BASE, "/nonexistent/clamav"))
            p = subprocess.run([MUGAI, "config", "check", "-c", conf], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, "the file itself is valid")
            self.assertIn("warning: [scan] database_dir: no signature database", p.stderr)
            old = scan_db.make_database(os.path.join(tmp, "old"))
            for name in os.listdir(old):
                os.utime(os.path.join(old, name), (0, 1_000_000_000))
            open(conf, "w").write(scan_db.config_with_database(BASE, old))
            p = subprocess.run([MUGAI, "config", "check", "-c", conf], capture_output=True, text=True)
            self.assertEqual(p.returncode, 0)
            self.assertRegex(p.stderr, r"warning: \[scan\] the newest signatures \(mugai-test\.[hn]db\) are "
                                       r"\d+\.\d days old, over max_signature_age \(3\.0 days\)")
            open(conf, "w").write(scan_db.config_with_database(BASE, scan_db.database()))
            p = subprocess.run([MUGAI, "config", "check", "-c", conf], capture_output=True, text=True)
            self.assertEqual(p.stderr, "")

    def test_version_names_libclamav(self):
        p = subprocess.run([MUGAI, "--version"], capture_output=True, text=True)
        self.assertRegex(p.stdout, r"libclamav \d+\.\d+")


if __name__ == "__main__":
    unittest.main(verbosity=2)
