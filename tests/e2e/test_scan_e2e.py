#!/usr/bin/env python3
"""End to end: virus scanning through a real Postfix, as an SMTP client and an admin see it.

Every case sends over SMTP to the lab's Postfix (deploy/postfix-lab.sh) with mugai-milter in front
and checks what a sender sees (the SMTP reply code and text), what reached the sink, and the
milter's log lines:

- Refused: EICAR as an attachment, as a base64 text body, in a zip, in a zip in a zip and in an
  attached message: 550 5.7.1 naming the signature, nothing delivered, one "virus found" line led
  by Postfix's queue ID; a clean message in the same run is delivered (sanitized).
- Big: EICAR at the very end of a 26 MB attachment (a ~35 MB message, above Debian clamav-milter's
  MaxFileSize 25M) is refused with the default limits: nothing passes unscanned for its size.
- Fail closed: no database directory, a corrupt database, signatures older than
  max_signature_age, a clamd that does not listen: 4xx, nothing delivered, the log says why.
- Reload under load: a new signature file appears (write, then rename, as freshclam does) and a
  SIGHUP comes while mail flows on parallel connections: every message answered 250 or 550, never
  4xx; the new signature is in force from the reload line on; the milter survives SIGHUP.
- clamd: a real clamd on a private socket; EICAR refused, clean delivered, a part over clamd's
  StreamMaxLength refused 552 (final, not 4xx).
"""
import base64, datetime, hashlib, io, os, random, re, signal, smtplib, socket, struct, subprocess
import sys, tarfile, tempfile, threading, time, unittest, uuid, zipfile, shutil
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab

scan_db = lab.scan_db
EICAR = scan_db.EICAR
EICAR_NAME = scan_db.EICAR_NAME
CLAMD = "/usr/sbin/clamd"
SENDER = "sender@example.co.jp"
RCPT = "taro@city.example.lg.jp"
NOT_LOADED = "every message is answered as [scan] scan_error says until it loads"
STAMP = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}) mugai-milter: (.*)$")


# ---- messages ----

def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def mixed_start(mid, subject):
    """The header of a multipart/mixed message and its part 1, a short text."""
    return (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
            "Date: Tue, 01 Dec 2026 09:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"mugai-b\"\r\n\r\n"
            "--mugai-b\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "資料を添付します。\r\n").encode()


def mixed(mid, subject, *parts):
    """A multipart/mixed message: a short text part 1, then PARTS (each headers + body, bytes)."""
    return mixed_start(mid, subject) + b"".join(b"--mugai-b\r\n" + p for p in parts) + b"--mugai-b--\r\n"


def attachment(name, data, ctype="application/octet-stream"):
    return (f"Content-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; "
            f"filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n").encode() + b64(data)


def zipped(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


def eicar_text_body(mid):
    return (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: base64 text\r\nMessage-ID: <{mid}>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + b64(EICAR)


def eicar_in_attached_message(mid):
    inner = mixed("inner-" + mid, "forwarded", attachment("eicar.com", EICAR))
    part = (b"Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\n"
            + inner + b"\r\n")
    return mixed(mid, "fwd", part)


BIG_RAW = 26 * 1024 * 1024  # decoded bytes of the big attachment, EICAR its last bytes
BLOCK = 57 * 1024           # raw bytes per repeated block: a multiple of 3 and of 57 (one line)


def big_message_chunks(mid):
    """The ~35 MB message with BIG_RAW bytes of attachment ending in EICAR, as chunks of whole
    lines (generated as it is sent: a 58 KB pseudo-random block, base64'd once and repeated)."""
    block = b64(random.Random(7).randbytes(BLOCK))
    full, rest = divmod(BIG_RAW - len(EICAR), BLOCK)
    tail = b64(random.Random(8).randbytes(rest) + EICAR)
    yield mixed_start(mid, "big") + (
        b"--mugai-b\r\nContent-Type: application/octet-stream; name=\"big.bin\"\r\n"
        b"Content-Disposition: attachment; filename=\"big.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    for _ in range(full):
        yield block
    yield tail + b"--mugai-b--\r\n"


# ---- SMTP ----

def send(port, raw, timeout=120):
    """One transaction on its own connection: (code, text, seconds) of the final reply."""
    began = time.monotonic()
    with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as smtp:
        code, text = transaction(smtp, raw)
    return code, text, time.monotonic() - began


def transaction(smtp, raw):
    smtp.ehlo_or_helo_if_needed()
    code, text = smtp.mail(SENDER)
    if code != 250:
        return code, text.decode(errors="replace")
    code, text = smtp.rcpt(RCPT)
    if code not in (250, 251):
        smtp.rset()
        return code, text.decode(errors="replace")
    try:
        code, text = smtp.data(raw)
    except smtplib.SMTPDataError as e:  # DATA itself refused
        code, text = e.smtp_code, e.smtp_error
    return code, text.decode(errors="replace")


def send_streaming(port, chunks, timeout=300):
    """Like send(), with the message written chunk by chunk (no line may start with '.')."""
    began = time.monotonic()
    size = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=timeout) as smtp:
        smtp.ehlo()
        assert smtp.mail(SENDER)[0] == 250 and smtp.rcpt(RCPT)[0] == 250
        code, text = smtp.docmd("DATA")
        assert code == 354, (code, text)
        for chunk in chunks:
            size += len(chunk)
            smtp.send(chunk)
        smtp.send(b".\r\n")
        code, text = smtp.getreply()
    return code, text.decode(errors="replace"), time.monotonic() - began, size


# ---- configuration, logs ----

def write_conf(directory, **scan):
    with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
        text = f.read()
    path = os.path.join(directory, "mugai.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(scan_db.config_with_scan(text, **scan))
    os.chmod(path, 0o644)
    return path


def scan_info(conf):
    p = subprocess.run([lab.MUGAI, "scan-info", "-c", conf], capture_output=True, text=True)
    return p.returncode, (p.stdout + p.stderr).strip()


def log_lines(text):
    """(unix time, message) per milter log line (stderr mirror: local time, no zone)."""
    out = []
    for line in text.splitlines():
        m = STAMP.match(line)
        if m:
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%f").timestamp()
            out.append((t, m.group(2)))
    return out


def new_log(the_lab, offset):
    return the_lab.milter_log()[offset:]


def summary_of(lines):
    found = [l for l in lines.splitlines() if " verdict=" in l]
    assert len(found) == 1, lines
    return found[0]


def queue_id(line):
    return line.split("mugai-milter: ", 1)[1].split(":", 1)[0]


def wait_for(predicate, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def sink_ids(the_lab):
    return sorted(m["Message-ID"] for _, m in the_lab.delivered())


def message_size_limit(the_lab):
    out = subprocess.run(["postconf", "-c", os.path.join(the_lab.state, "etc"), "-h",
                          "message_size_limit"], capture_output=True, text=True, check=True).stdout
    return int(out.strip())


# ---- clamd ----

def write_daily_cud(directory, version, built):
    """A daily.cud: the unsigned container libclamav loads without Talos' signature, so clamd's
    VERSION reports a daily number and build time (as tests/unit/test_scan_clamd.c builds it)."""
    ndb = f"MUGAI.Daily.Dummy:0:*:{b'MUGAI-DAILY-TEST-DUMMY'.hex()}\n".encode()
    head = f"ClamAV-VDB:01 Jan 2026 00-00 +0000:{version}:1:90:{'0' * 32}:x:mugai:{built}"
    info = f"{head}\ndaily.ndb:{len(ndb)}:{hashlib.sha256(ndb).hexdigest()}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in (("daily.info", info), ("daily.ndb", ndb)):
            entry = tarfile.TarInfo(name)
            entry.size, entry.mode = len(data), 0o644
            tar.addfile(entry, io.BytesIO(data))
    with open(os.path.join(directory, "daily.cud"), "wb") as f:
        f.write(head.encode().ljust(512, b" ") + buf.getvalue())


def clamd_command(path, command, payload=None, timeout=10):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(command)
        if payload is not None:
            s.sendall(struct.pack(">I", len(payload)) + payload + struct.pack(">I", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            got = s.recv(4096)
            if not got:
                break
            reply += got
    return reply.rstrip(b"\0").decode(errors="replace")


class Clamd:
    """A real clamd on a private unix socket in a temporary directory, on DB."""

    def __init__(self, db, extra=""):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-clamd-")
        os.chmod(self.dir, 0o755)
        self.path = os.path.join(self.dir, "clamd.sock")
        self.conf = os.path.join(self.dir, "clamd.conf")
        with open(self.conf, "w") as f:
            f.write(f"Foreground yes\nLocalSocket {self.path}\nLocalSocketMode 666\n"
                    f"DatabaseDirectory {db}\nTemporaryDirectory {self.dir}\n"
                    f"PidFile {self.dir}/clamd.pid\nLogFile {self.dir}/clamd.log\nSelfCheck 0\n"
                    f"AlertExceedsMax yes\n{extra}")
        self.proc = subprocess.Popen([CLAMD, "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not wait_for(self._pong, 60, 0.1):
            self.stop()
            raise RuntimeError(f"clamd did not answer PING; its log:\n{self.log()}")

    def _pong(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"clamd exited with {self.proc.returncode}; its log:\n{self.log()}")
        try:
            return clamd_command(self.path, b"zPING\0", timeout=2) == "PONG"
        except OSError:
            return False

    def log(self):
        try:
            return open(os.path.join(self.dir, "clamd.log"), errors="replace").read()[-3000:]
        except OSError:
            return "(none)"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # our own child, by its pid
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def shared_clamd(test, directory):
    """A clamd for several gateway hosts at once (the test signatures and a daily a day old, so it
    tells its age), checked to find EICAR and stopped at TEST's cleanup."""
    db = scan_db.make_database(os.path.join(directory, "db"))
    os.chmod(db, 0o755)
    write_daily_cud(db, 27474, int(time.time()) - 86400)
    clamd = Clamd(db, "StreamMaxLength 30M\nMaxThreads 4\n")
    test.addCleanup(clamd.stop)
    test.assertEqual(clamd_command(clamd.path, b"zINSTREAM\0", EICAR), f"stream: {EICAR_NAME} FOUND")
    return clamd


# ---- 1 and 2: what is refused, and that clean mail still passes ----

class Refused(unittest.TestCase):
    """One lab with the default configuration and the test signatures, and the inbound size cap
    raised to [limits] message_size (64M) so that the 37 MB message reaches the scanner (mugai's
    default cap, 10M, would refuse it for its size first, as Postfix's own default limit would)."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mugai-e2e-refused-")
        os.chmod(cls.dir, 0o755)
        cls.addClassCleanup(shutil.rmtree, cls.dir, True)
        conf = os.path.join(cls.dir, "mugai.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(scan_db.config_with_keys(open(lab.CONF, encoding="utf-8").read(), "inbound",
                                             max_message_size="64M"))
        os.chmod(conf, 0o644)
        cls.lab = lab.Lab(conf=conf).__enter__()
        cls.addClassCleanup(cls.lab.__exit__, None, None, None)
        cls.replies = {}
        cases = {
            "attachment": mixed("eicar-att@example.jp", "eicar", attachment("eicar.com", EICAR)),
            "text_body": eicar_text_body("eicar-text@example.jp"),
            "zip": mixed("eicar-zip@example.jp", "zip",
                         attachment("docs.zip", zipped("eicar.com", EICAR), "application/zip")),
            "zip_in_zip": mixed("eicar-zipzip@example.jp", "zip in zip",
                                attachment("outer.zip", zipped("inner.zip", zipped("eicar.com", EICAR)),
                                           "application/zip")),
            "attached_message": eicar_in_attached_message("eicar-rfc822@example.jp"),
            "clean": mixed("clean-1@example.jp", "clean",
                           attachment("report.csv", b"date,count\r\n2026-12-01,3\r\n", "text/csv")),
        }
        for case, raw in cases.items():
            offset = len(cls.lab.milter_log())
            code, text, _ = send(cls.lab.port, raw)
            cls.replies[case] = (code, text, new_log(cls.lab, offset))
        offset = len(cls.lab.milter_log())
        cls.big = send_streaming(cls.lab.port, big_message_chunks("eicar-big@example.jp"))
        cls.big_log = new_log(cls.lab, offset)
        cls.settled = cls.lab.wait_delivered(1, 60)  # the clean one, and the queue empty

    def assert_refused_naming(self, code, text, signature):
        self.assertEqual(code, 550, text)
        self.assertTrue(text.startswith("5.7.1 "), text)
        self.assertIn(signature, text)

    def test_eicar_attachment_is_refused_550_naming_the_signature(self):
        code, text, log = self.replies["attachment"]
        self.assert_refused_naming(code, text, EICAR_NAME)
        self.assertEqual(text, f"5.7.1 Virus found: {EICAR_NAME}")

    def test_detection_is_one_log_line_led_by_postfix_queue_id(self):
        code, text, log = self.replies["attachment"]
        found = [l for l in log.splitlines() if "virus found:" in l]
        self.assertEqual(len(found), 1, log)
        qid = queue_id(found[0])
        self.assertRegex(qid, r"^[0-9A-Za-z]{6,}$")
        self.assertTrue(found[0].endswith(
            f"mugai-milter: {qid}: virus found: {EICAR_NAME} in part 2 (\\\"eicar.com\\\"); rejected"),
            found[0])
        summary = summary_of(log)
        self.assertIn(f"mugai-milter: {qid}: from=<{SENDER}>", summary)
        self.assertIn("verdict=reject", summary)
        self.assertIn("reason=virus", summary)
        # The ID is Postfix's own: its log has the same message refused with the same text.
        pf = wait_for(lambda: f"{qid}: milter-reject: END-OF-MESSAGE" in self.lab.postfix_log()
                      and self.lab.postfix_log(), 10)
        self.assertTrue(pf, "Postfix did not log the reject")
        line = [l for l in pf.splitlines() if f"{qid}: milter-reject:" in l][0]
        self.assertIn(f"5.7.1 Virus found: {EICAR_NAME}", line)

    def test_eicar_in_every_wrapping_is_refused(self):
        for case in ("text_body", "zip", "zip_in_zip", "attached_message"):
            with self.subTest(case=case):
                code, text, log = self.replies[case]
                self.assert_refused_naming(code, text, EICAR_NAME)
                self.assertEqual(sum("virus found: " + EICAR_NAME in l for l in log.splitlines()), 1, log)
                self.assertIn("reason=virus", summary_of(log))

    def test_clean_message_is_delivered_sanitized_and_nothing_else(self):
        code, text, log = self.replies["clean"]
        self.assertEqual(code, 250, text)
        self.assertIn("verdict=deliver", summary_of(log))
        self.assertTrue(self.settled, "the clean message was not delivered")
        got = self.lab.delivered()
        self.assertEqual([m["Message-ID"] for _, m in got], ["<clean-1@example.jp>"])
        msg = got[0][1]
        self.assertEqual(msg.get_content_type(), "text/plain")  # the attachment became a notice
        self.assertIsNotNone(msg["X-Mugai-Actions"])
        self.assertIn("report.csv", msg.get_payload(decode=True).decode(msg.get_content_charset()))

    def test_big_attachment_with_eicar_at_its_end_is_refused(self):
        code, text, seconds, size = self.big
        print(f"\n  big message: {size} bytes sent, attachment {BIG_RAW} bytes decoded, "
              f"answered {code} in {seconds:.1f}s", file=sys.stderr)
        # Sizes that make the case: over clamav-milter's usual 25M, within every limit in the path.
        self.assertGreater(BIG_RAW, 25 * 1024 * 1024)
        self.assertGreater(size, 34 * 1024 * 1024)
        self.assertLess(size, message_size_limit(self.lab))
        self.assertLess(size, 64 * 1024 * 1024)  # [limits] message_size default
        self.assert_refused_naming(code, text, EICAR_NAME)
        self.assertIn(f"virus found: {EICAR_NAME} in part 2 (\\\"big.bin\\\"); rejected", self.big_log)
        self.assertIn(f"size={size} ", summary_of(self.big_log))

    def test_nothing_infected_reached_the_sink(self):
        for raw, msg in self.lab.delivered():
            self.assertNotIn(EICAR, raw)
            self.assertNotIn(b"eicar", msg["Message-ID"].encode())


# ---- 3: fail closed ----

class FailClosed(unittest.TestCase):
    """No usable scanner: Postfix answers 4xx for every message and delivers nothing."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-scan-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)

    def check_tempfailed(self, conf):
        """Two messages (clean, EICAR) through a lab on CONF: 451 each, with reason=scan_error in
        its summary line; nothing delivered. Returns the start-up "not loaded" line."""
        with lab.Lab(conf=conf) as the_lab:
            start_log = the_lab.milter_log()
            for raw in (mixed(f"clean-{uuid.uuid4().hex}@example.jp", "clean",
                              attachment("report.csv", b"a,b\r\n1,2\r\n", "text/csv")),
                        mixed(f"eicar-{uuid.uuid4().hex}@example.jp", "eicar",
                              attachment("eicar.com", EICAR))):
                offset = len(the_lab.milter_log())
                code, text, _ = send(the_lab.port, raw)
                self.assertEqual(code // 100, 4, text)
                self.assertEqual(code, 451, text)
                self.assertTrue(text.startswith("4.3.0 Virus scanning is not available"), text)
                summary = summary_of(new_log(the_lab, offset))
                self.assertIn("verdict=tempfail", summary)
                self.assertIn(" reason=scan_error ", summary)
                self.assertIn('reply="451 4.3.0 Virus scanning is not available', summary)
                self.assertIn('detail="no virus scanner is loaded: ', summary)
            self.assertTrue(the_lab.wait_delivered(0, 30))
            self.assertEqual(the_lab.delivered(), [])
            loaded = [l for l in start_log.splitlines() if "virus scanner not loaded: " in l]
            self.assertEqual(len(loaded), 1, start_log)
            self.assertIn("mugai-milter: error: virus scanner not loaded: ", loaded[0])
            self.assertTrue(loaded[0].endswith("; " + NOT_LOADED), loaded[0])
            return loaded[0]

    def test_missing_database_dir(self):
        missing = os.path.join(self.dir, "no-such-dir")
        line = self.check_tempfailed(write_conf(self.dir, database_dir=missing))
        self.assertRegex(line, "virus scanner not loaded: no signature database: .*"
                         + re.escape(missing) + ".*: No such file or directory; ")

    def test_corrupt_database(self):
        db = scan_db.make_database(os.path.join(self.dir, "db"))
        with open(os.path.join(db, "mugai-broken.ndb"), "w") as f:
            f.write(f"MUGAI.Broken.Ok:0:*:{b'MUGAI-BROKEN-OK'.hex()}\nthis line is no signature\n")
        line = self.check_tempfailed(write_conf(self.dir, database_dir=db))
        self.assertIn(f"virus scanner not loaded: cannot load signatures from {db}: "
                      "Malformed database", line)
        self.assertIn("mugai-broken.ndb", line)

    def test_signatures_older_than_max_signature_age(self):
        db = scan_db.make_database(os.path.join(self.dir, "db"))
        ten_days_ago = time.time() - 10 * 86400
        for name in os.listdir(db):
            os.utime(os.path.join(db, name), (ten_days_ago, ten_days_ago))
        line = self.check_tempfailed(write_conf(self.dir, database_dir=db, max_signature_age="3d"))
        self.assertRegex(line, r"virus scanner not loaded: signatures too old: newest is mugai-test\.[hn]db, "
                         r"built \S+ \(10\.0 days ago\); max_signature_age is 3\.0 days \(in "
                         + re.escape(db) + r"\); ")

    def test_clamd_socket_where_nothing_listens(self):
        path = os.path.join(self.dir, "clamd.sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:  # a socket left by a dead clamd
            s.bind(path)
        conf = write_conf(self.dir, backend="clamd", clamd_socket=f"unix:{path}")
        line = self.check_tempfailed(conf)
        self.assertIn(f"virus scanner not loaded: clamd at unix:{path}: connect: Connection refused; ",
                      line)


# ---- 4: reload under load ----

class ReloadUnderLoad(unittest.TestCase):
    THREADS = 4
    PERIOD = 0.2     # seconds between messages on one connection: 4 x 5/s, one every 50 ms
    DURATION = 10.0
    RENAME_AT = 3.0
    HUP_AT = 6.5

    def test_new_signatures_take_effect_without_a_tempfail(self):
        work = tempfile.mkdtemp(prefix="mugai-e2e-reload-")
        os.chmod(work, 0o755)
        self.addCleanup(shutil.rmtree, work, True)
        db = scan_db.make_database(os.path.join(work, "db"))
        os.chmod(db, 0o755)
        marker = f"MUGAI-RELOAD-MARKER-{uuid.uuid4().hex}".encode()
        conf = write_conf(work, database_dir=db, reload_interval="1s")
        with lab.Lab(conf=conf) as the_lab:
            results = self.run_load(the_lab, db, marker)
            self.check(the_lab, results)

    def run_load(self, the_lab, db, marker):
        results, lock, stop = [], threading.Lock(), threading.Event()
        t0 = time.time()

        def sender(n):
            smtp, i = None, 0
            while not stop.is_set():
                kind = "marker" if (i + n) % 2 else "clean"
                mid = f"{kind}-{n}-{i}@example.jp"
                body = (marker + b"\r\nplease read\r\n") if kind == "marker" else b"plain notes\r\n"
                raw = mixed(mid, kind, attachment("notes.bin", body))
                began = time.time()
                try:
                    if smtp is None:
                        smtp = smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60)
                    code, text = transaction(smtp, raw)
                except (OSError, smtplib.SMTPException) as e:
                    code, text = None, f"{type(e).__name__}: {e}"
                    smtp = None
                ended = time.time()
                with lock:
                    results.append({"kind": kind, "mid": mid, "began": began, "ended": ended,
                                    "code": code, "text": text})
                i += 1
                stop.wait(max(0.0, self.PERIOD - (ended - began)))
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    pass

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(self.THREADS)]
        for t in threads:
            t.start()
        try:
            time.sleep(self.RENAME_AT)
            # freshclam's way: written elsewhere on the same file system, then renamed in.
            tmp = os.path.join(os.path.dirname(db), "mugai-reload.ndb.part")
            with open(tmp, "w") as f:
                f.write(f"MUGAI.Reload.Test:0:*:{marker.hex()}\n")
            os.rename(tmp, os.path.join(db, "mugai-reload.ndb"))
            self.rename_time = time.time()
            self.assertTrue(wait_for(lambda: "virus scanner reloaded in" in the_lab.milter_log(), 10),
                            "no reload after the new signature file")
            time.sleep(max(0.0, t0 + self.HUP_AT - time.time()))
            the_lab.milter.send_signal(signal.SIGHUP)
            self.hup_time = time.time()
            self.assertTrue(wait_for(lambda: the_lab.milter_log().count("virus scanner reloaded in") >= 2, 10),
                            "no reload after SIGHUP")
            time.sleep(max(0.0, t0 + self.DURATION - time.time()))
        finally:
            stop.set()
            for t in threads:
                t.join(120)
        return results

    def check(self, the_lab, results):
        log = log_lines(the_lab.milter_log())
        begins = [t for t, m in log if "loading the signatures again" in m]
        dones = [(t, m) for t, m in log if "virus scanner reloaded in" in m]
        self.assertEqual(len(begins), 2, begins)
        self.assertEqual(len(dones), 2, dones)
        self.assertIn("signatures changed, loading", [m for t, m in log if "loading the signatures again" in m][0])
        self.assertTrue(any("SIGHUP: reloading the configuration and the virus signatures" in m for _, m in log))
        self.assertTrue(any("reload asked (SIGHUP)" in m for _, m in log))
        reload_begin, (reload_done, done_line) = begins[0], dones[0]
        reload_seconds = float(re.search(r"reloaded in ([0-9.]+)s", done_line).group(1))

        failed = [r for r in results if r["code"] not in (250, 550)]
        self.assertEqual(failed, [], "every message gets 250 or 550")
        markers_before = [r for r in results if r["kind"] == "marker" and r["ended"] < reload_begin]
        markers_after = [r for r in results if r["kind"] == "marker" and r["began"] > reload_done]
        self.assertGreaterEqual(len(markers_before), 5)
        self.assertGreaterEqual(len(markers_after), 5)
        for r in markers_before:
            self.assertEqual(r["code"], 250, r)
        for r in markers_after:
            self.assertEqual(r["code"], 550, r)
            self.assertEqual(r["text"], "5.7.1 Virus found: MUGAI.Reload.Test.UNOFFICIAL", r)
        for r in results:
            if r["kind"] == "clean":
                self.assertEqual(r["code"], 250, r)
            elif r["code"] == 550:
                self.assertIn("MUGAI.Reload.Test.UNOFFICIAL", r["text"])
        self.assertNotIn("verdict=tempfail", the_lab.milter_log())
        self.assertNotIn("reload failed", the_lab.milter_log())
        self.assertIsNone(the_lab.milter.poll(), "mugai-milter stopped after SIGHUP")
        self.assertTrue(any(r["began"] > self.hup_time + 0.5 for r in results))

        accepted = sorted(f"<{r['mid']}>" for r in results if r["code"] == 250)
        self.assertTrue(the_lab.wait_delivered(len(accepted), 120), "accepted mail was not delivered")
        self.assertEqual(sink_ids(the_lab), accepted)

        around = [r["ended"] - r["began"] for r in results
                  if r["ended"] > reload_begin - 1 and r["began"] < reload_done + 1]
        around_hup = [r["ended"] - r["began"] for r in results
                      if r["ended"] > self.hup_time - 1 and r["began"] < dones[1][0] + 1]
        latencies = [r["ended"] - r["began"] for r in results]
        print(f"\n  reload under load: {len(results)} messages sent on {self.THREADS} connections, "
              f"{len(results) - len(failed)} answered 250/550 "
              f"({sum(r['code'] == 250 for r in results)} delivered, "
              f"{sum(r['code'] == 550 for r in results)} refused), 0 tempfailed; "
              f"marker mails before the reload {len(markers_before)} (all 250), after "
              f"{len(markers_after)} (all 550); rename seen {reload_begin - self.rename_time:.2f}s after it; "
              f"reload {reload_seconds:.2f}s (log), SIGHUP reload "
              f"{float(re.search(r'reloaded in ([0-9.]+)s', dones[1][1]).group(1)):.2f}s; "
              f"max SMTP latency {max(around) * 1000:.0f} ms within 1s of the reload, "
              f"{max(around_hup) * 1000:.0f} ms around SIGHUP, {max(latencies) * 1000:.0f} ms overall "
              f"(median {sorted(latencies)[len(latencies) // 2] * 1000:.0f} ms)", file=sys.stderr)


# ---- 5: the clamd backend through Postfix ----

@unittest.skipUnless(os.access(CLAMD, os.X_OK), f"{CLAMD} missing (apt-get install clamav-daemon)")
class ClamdBackend(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-clamd-db-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = scan_db.make_database(os.path.join(self.dir, "db"))
        os.chmod(self.db, 0o755)
        # A daily a day old: clamd then tells its age, which max_signature_age (3d) checks.
        write_daily_cud(self.db, 27474, int(time.time()) - 86400)

    def start_clamd(self, extra):
        clamd = Clamd(self.db, extra)
        self.addCleanup(clamd.stop)
        # The fixture itself: this clamd has the test signatures and a daily.
        self.assertEqual(clamd_command(clamd.path, b"zINSTREAM\0", EICAR), f"stream: {EICAR_NAME} FOUND")
        self.assertRegex(clamd_command(clamd.path, b"zVERSION\0"), r"^ClamAV [0-9.]+/27474/")
        conf = write_conf(self.dir, backend="clamd", clamd_socket=f"unix:{clamd.path}",
                          reload_interval="1s")
        rc, text = scan_info(conf)
        self.assertEqual(rc, 0, text)
        return clamd, conf

    def test_eicar_refused_and_clean_delivered(self):
        clamd, conf = self.start_clamd("StreamMaxLength 30M\n")
        with lab.Lab(conf=conf) as the_lab:
            offset = len(the_lab.milter_log())
            code, text, _ = send(the_lab.port, mixed("clamd-eicar@example.jp", "eicar",
                                                     attachment("eicar.com", EICAR)))
            log = new_log(the_lab, offset)
            self.assertEqual(code, 550, text)
            self.assertEqual(text, f"5.7.1 Virus found: {EICAR_NAME}")
            self.assertIn(f"virus found: {EICAR_NAME} in part 2 (\\\"eicar.com\\\"); rejected", log)
            code, text, _ = send(the_lab.port, mixed("clamd-clean@example.jp", "clean",
                                                     attachment("report.csv", b"a,b\r\n1,2\r\n", "text/csv")))
            self.assertEqual(code, 250, text)
            self.assertTrue(the_lab.wait_delivered(1, 60))
            self.assertEqual(sink_ids(the_lab), ["<clamd-clean@example.jp>"])
            self.assertIn("clamd at unix:" + clamd.path, the_lab.milter_log())
            # clamd is asked every reload_interval; unchanged signatures are no news to log.
            time.sleep(2.5)
            self.assertNotIn("loading the signatures again", the_lab.milter_log())

    def test_part_over_stream_max_length_is_refused_552(self):
        clamd, conf = self.start_clamd("StreamMaxLength 1M\n")
        with lab.Lab(conf=conf) as the_lab:
            data = random.Random(3).randbytes(2 * 1024 * 1024)
            offset = len(the_lab.milter_log())
            code, text, _ = send(the_lab.port, mixed("clamd-big@example.jp", "big",
                                                     attachment("big.bin", data)))
            log = new_log(the_lab, offset)
            self.assertEqual(code // 100, 5, text)
            self.assertEqual(code, 552, text)
            self.assertEqual(text, "5.3.4 Message content is too big to be scanned for viruses: "
                                   "Heuristics.Limits.Exceeded.StreamMaxLength")
            self.assertIn(" reason=scan_too_big ", summary_of(log))
            self.assertTrue(the_lab.wait_delivered(0, 30))
            self.assertEqual(the_lab.delivered(), [])


if __name__ == "__main__":
    lab.require_root_and_postfix()
    unittest.main(verbosity=2)
