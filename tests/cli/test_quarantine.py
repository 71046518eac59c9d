#!/usr/bin/env python3
"""The quarantine as an admin and a recipient meet it: `mugai sanitize` with a [quarantine] dir keeps
the original (exact bytes, as the milter passes them) and names its id in the notice, the summary
line and the report; nothing changes without one; a store that fails answers 75. Then each
`mugai quarantine` subcommand on that real store (a real SQLite file): list with its filters and
its table, show, show --raw, extract, delete, purge, fsck after damage, stats, audit (JSON, CSV),
every error path (unknown id, no such part, no quarantine, an unprivileged user), held outbound
mail, and several `mugai sanitize` processes storing while list and purge run. The same tests run
on the PostgreSQL backend too (test_quarantine_pg.py subclasses Quarantine)."""
import base64, csv, email, email.policy, io, json, os, re, shutil, socket, sqlite3, subprocess, sys, tempfile, threading, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402
import unix_users  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "ppap"))
from locked_zip import locked_zip  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
ID = re.compile(r"\b(\d{8}-\d{6}-[0-9a-f]{10})\b")

HTML = ("From: =?UTF-8?B?5pel5pys?= <sender@example.com>\r\nTo: taro@city.example.lg.jp\r\n"
        "Subject: =?UTF-8?B?6KuL5rGC5pu444Gu44GK55+l44KJ44Gb?=\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n<p>本文 <b>です</b></p>\r\n").encode()
PDF = b"%PDF-1.4\n% mugai test\n"


def attachment_message(payload=PDF, name="見積書.pdf", subject="quote"):
    b64 = base64.encodebytes(payload).decode().replace("\n", "\r\n")
    encoded = "=?UTF-8?B?" + base64.b64encode(name.encode()).decode() + "?="
    return ("From: sender@example.com\r\nTo: taro@city.example.lg.jp\r\n"
            f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n--b\r\n"
            f'Content-Type: application/pdf; name="{encoded}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--b--\r\n").encode()


def ppap_message(password="Kx7#mP2q"):
    """A mail with a password-protected zip (PPAP): what [ppap] holds for its password."""
    data = locked_zip([("memo.txt", "会議は午後3時からです。\n".encode())], password)
    return attachment_message(data, name="資料.zip", subject="ppap").replace(
        b"application/pdf", b"application/zip")


def run(*args, stdin=None, env=None, user=None, uid=None, groups=()):
    cmd = [MUGAI] + list(args)
    if user:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user == 'nobody' and 'nogroup' or user}",
               "--clear-groups"] + cmd
    if uid is not None:  # a made-up user, a member of GROUPS only
        cmd = unix_users.as_user(uid, groups, cmd)
    return subprocess.run(cmd, input=stdin, capture_output=True, timeout=120,
                          env=dict(os.environ, **(env or {})))


class SlowSink:
    """A relay that accepts every message and answers its end of DATA only after DELAY seconds,
    so that releases started together overlap; MESSAGES holds what it was given."""

    def __init__(self, delay=1.5):
        self.delay, self.messages, self.lock = delay, [], threading.Lock()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        with conn, conn.makefile("rb") as f:
            conn.sendall(b"220 sink ESMTP\r\n")
            for line in f:
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    body = b"".join(iter(f.readline, b".\r\n"))
                    time.sleep(self.delay)
                    with self.lock:
                        self.messages.append(body)
                        n = len(self.messages)
                    conn.sendall(b"250 2.0.0 Ok: queued as SINK%d\r\n" % n)
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")

    def close(self):
        self.sock.close()


class Quarantine(unittest.TestCase):
    # What fsck ends with on a consistent store of N entries.
    FSCK_CLEAN = ("{n} originals, {n} entries; removed 0 entries without an original, 0 temp "
                  "files, 0 files without an entry")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mugai-q-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)  # the unprivileged user reads the config, not the store
        self.store = os.path.join(self.tmp, "quarantine")
        self.conf = self.config(dir=self.store)
        self.plain_conf = self.config()

    def config(self, quarantine=True, **keys):
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), scan_db.database())
        text = scan_db.config_with_keys(text, "gateway", internal_networks="10.0.0.0/8")
        if keys:
            section = {k: v for k, v in keys.items()
                       if k in ("backend", "dir", "dsn", "retention", "release_relay", "user",
                                "group")}
            text = scan_db.config_with_keys(text, "quarantine", **section)
            other = {k: v for k, v in keys.items() if k not in section}
            if other:
                text = scan_db.config_with_keys(text, "outbound", **other)
        path = os.path.join(self.tmp, f"mugai-{len(os.listdir(self.tmp))}.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def sanitize(self, message, conf=None, *extra):
        report = os.path.join(self.tmp, "report.json")
        p = run("sanitize", "-c", conf or self.conf, "--from", "sender@example.com",
                "--rcpt", "taro@city.example.lg.jp", "--client", "192.0.2.25",
                "--report-json", report, *extra, stdin=message)
        with open(report, encoding="utf-8") as f:
            return p, json.load(f)

    def q(self, *args, **kw):
        return run("quarantine", args[0], "-c", kw.pop("conf", self.conf), *args[1:], **kw)

    def index_sql(self, sql, *args):
        """SQL run on the store's index beside mugai: the rows it returns."""
        db = sqlite3.connect(os.path.join(self.store, "index.sqlite"))
        try:
            rows = db.execute(sql, args).fetchall()
            db.commit()
            return rows
        finally:
            db.close()

    def original_bytes(self, qid):
        """The original of QID as the store keeps it, read beside mugai (in the index), or None.
        Codec 1 is a zstd frame (quarantine/original_codec.h), read with the zstd tool."""
        rows = self.index_sql("SELECT data, codec FROM original WHERE entry_id = ?", qid)
        if not rows:
            return None
        data, codec = rows[0]
        if codec == 1:
            return subprocess.run(["zstd", "-dcq"], input=data, stdout=subprocess.PIPE,
                                  check=True).stdout
        self.assertEqual(codec, 0)
        return data

    def make_legacy(self, qid):
        """The original of QID made what a mugai before index version 3 left: a file under
        objects/ (the store's owner and modes), nothing in the index. Its path."""
        data = self.original_bytes(qid)
        st = os.stat(self.store)
        path = self.original_path(qid)
        d = os.path.dirname(path)
        for sub in (os.path.dirname(os.path.dirname(d)), os.path.dirname(d), d):
            os.makedirs(sub, exist_ok=True)
            os.chmod(sub, 0o2770)
            os.chown(sub, st.st_uid, st.st_gid)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o640)
        os.chown(path, st.st_uid, st.st_gid)
        self.index_sql("DELETE FROM original WHERE entry_id = ?", qid)
        return path

    def stored_id(self, message=HTML):
        p, report = self.sanitize(message)
        self.assertIn(p.returncode, (0, 3), p.stderr)
        return report["quarantine_id"]

    # ---- mugai sanitize ---------------------------------------------------------------------
    def test_sanitize_keeps_the_original_and_names_its_id(self):
        p, report = self.sanitize(HTML)
        self.assertEqual(p.returncode, 0, p.stderr)
        qid = report["quarantine_id"]
        self.assertRegex(qid, ID)
        summary = p.stderr.decode().splitlines()[-1]
        self.assertIn(f" quarantine={qid}", summary)
        body = p.stdout.split(b"\r\n\r\n", 1)[1]
        text = base64.b64decode(body).decode()
        self.assertIn(f"元のメールは隔離番号 {qid} で保管しています。", text)
        # The original as the milter passes it: headers as received (CRLF), the empty line, body.
        self.assertEqual(self.original_bytes(qid), HTML)
        raw = self.q("show", qid, "--raw")
        self.assertEqual(raw.returncode, 0, raw.stderr)
        self.assertEqual(raw.stdout, HTML)
        entry = json.loads(self.q("show", qid, "--json").stdout)
        self.assertEqual(entry["from"], "日本 <sender@example.com>")
        self.assertEqual(entry["subject"], "請求書のお知らせ")
        self.assertEqual(entry["client"], "192.0.2.25")
        self.assertEqual(entry["rcpts"], ["taro@city.example.lg.jp"])
        self.assertEqual(entry["size"], len(HTML))
        self.assertEqual(entry["report"]["quarantine_id"], qid)

    def test_entries_name_the_host_that_stored_them(self):
        qid = self.stored_id()
        host = socket.gethostname()
        self.assertIn(f"host:       {host}\n", self.q("show", qid).stdout.decode())
        self.assertEqual(json.loads(self.q("show", qid, "--json").stdout)["host"], host)
        self.assertEqual([e["host"] for e in json.loads(self.q("list", "--json").stdout)], [host])

    def test_without_a_quarantine_nothing_is_kept_and_the_notice_is_as_before(self):
        p, report = self.sanitize(HTML, self.plain_conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("quarantine_id", report)
        self.assertNotIn("quarantine=", p.stderr.decode())
        text = base64.b64decode(p.stdout.split(b"\r\n\r\n", 1)[1]).decode()
        self.assertNotIn("隔離番号", text)
        self.assertFalse(os.path.exists(self.store))

    def test_a_message_delivered_unchanged_is_not_kept(self):
        p, report = self.sanitize(b"From: a@example.com\r\nSubject: hi\r\n\r\nplain text\r\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("quarantine_id", report)
        self.assertFalse(os.path.exists(self.store))  # made by the first original kept

    def test_a_virus_is_refused_and_its_original_kept(self):
        p, report = self.sanitize(attachment_message(scan_db.EICAR, "eicar.com"))
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(report["reason"], "virus")
        qid = report["quarantine_id"]
        listed = json.loads(self.q("list", "--virus", "--json").stdout)
        self.assertEqual([e["id"] for e in listed], [qid])
        self.assertEqual(listed[0]["signatures"], [scan_db.EICAR_NAME])
        shown = self.q("show", qid).stdout.decode()
        self.assertIn("verdict:    reject, reason virus", shown)
        self.assertIn(f"virus:      {scan_db.EICAR_NAME}", shown)
        self.assertIn("reply:      550 5.7.1 Virus found", shown)

    def test_a_store_that_fails_answers_tempfail_and_delivers_nothing(self):
        blocker = os.path.join(self.tmp, "a-file")
        open(blocker, "w").close()
        conf = self.config(dir=os.path.join(blocker, "store"))
        p, report = self.sanitize(HTML, conf)
        self.assertEqual(p.returncode, 75)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(report["verdict"], "tempfail")
        self.assertEqual(report["reply"]["code"], "451")
        self.assertIn("original not kept", p.stderr.decode())

    def test_a_commit_that_fails_answers_tempfail_and_leaves_the_store_consistent(self):
        import resource, signal, sqlite3
        first = self.stored_id()
        # The index held open, as a running milter holds it (so -wal and -shm exist); then the
        # disk as good as full for this process: every write past 4000 bytes of a file fails
        # (EFBIG), which the original (223 bytes) passes and the commit to index.sqlite-wal not.
        db = sqlite3.connect(os.path.join(self.store, "index.sqlite"))
        self.addCleanup(db.close)
        db.execute("SELECT count(*) FROM entry").fetchall()

        def full_disk():
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (4000, 4000))
        p = subprocess.run([MUGAI, "sanitize", "-c", self.conf, "--from", "s@example.com",
                            "--rcpt", "taro@city.example.lg.jp"], input=HTML, capture_output=True,
                           timeout=120, preexec_fn=full_disk)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertEqual(p.stdout, b"")
        summary = p.stderr.decode().splitlines()[-1]
        self.assertIn("verdict=tempfail", summary)
        self.assertIn('reply="451 4.3.0 ', summary)
        self.assertRegex(summary, r'detail="original not kept: index: (disk I/O error|database '
                                  r'or disk is full)"')
        self.assertNotIn("quarantine=", summary)
        # The original whose row failed is gone with it: nothing half is left for fsck.
        self.assertEqual([e["id"] for e in json.loads(self.q("list", "--json").stdout)], [first])
        fsck = self.q("fsck", "--grace", "0s")
        self.assertEqual(fsck.returncode, 0, fsck.stderr)
        self.assertIn(self.FSCK_CLEAN.format(n=1) + "; 0 size mismatches, 0 strangers",
                      fsck.stdout.decode())
        # Postfix tries again with space: the message is kept and delivered.
        again = self.stored_id()
        self.assertEqual(sorted(e["id"] for e in json.loads(self.q("list", "--json").stdout)),
                         sorted([first, again]))

    def test_held_outbound_mail_is_kept_not_delivered(self):
        conf = self.config(dir=self.store, individual_numbers="hold")
        msg = "From: taro@city.example.lg.jp\r\nSubject: 番号\r\n\r\n番号 123456789018\r\n".encode()
        p = run("sanitize", "-c", conf, "--from", "taro@city.example.lg.jp", "--rcpt",
                "x@example.com", "--direction", "out", stdin=msg)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, b"")
        summary = p.stderr.decode().splitlines()[-1]
        self.assertIn("verdict=hold", summary)
        qid = ID.search(summary.split("quarantine=")[1]).group(1)
        entry = json.loads(self.q("show", qid, "--json").stdout)
        self.assertEqual((entry["verdict"], entry["reason"], entry["direction"]),
                         ("hold", "individual_number", "out"))
        # Holding needs somewhere to hold: without [quarantine] dir the file is refused.
        bad = self.config(individual_numbers="hold")
        c = run("config", "check", "-c", bad)
        self.assertEqual(c.returncode, 2)
        self.assertIn("[outbound] individual_numbers: holding mail needs a quarantine: set "
                      "[quarantine] dir", c.stderr.decode())

    # ---- list ----------------------------------------------------------------------------------
    def test_list_filters_and_aligns_japanese_text_to_the_terminal(self):
        a = self.stored_id(HTML)
        b = self.stored_id(attachment_message(subject="=?UTF-8?B?" +
                                              base64.b64encode("全角の件名がとても長い場合のテスト".encode()).decode() + "?="))
        rows = json.loads(self.q("list", "--json").stdout)
        self.assertEqual([r["id"] for r in rows], [b, a])  # newest first
        self.assertEqual(json.loads(self.q("list", "--json", "--rcpt", "TARO@city.example.lg.jp").stdout)[0]["id"], b)
        self.assertEqual(json.loads(self.q("list", "--json", "--rcpt", "nobody@example.jp").stdout), [])
        self.assertEqual(len(json.loads(self.q("list", "--json", "--from", "SENDER@").stdout)), 2)
        self.assertEqual(json.loads(self.q("list", "--json", "--reason", "virus").stdout), [])
        self.assertEqual(json.loads(self.q("list", "--json", "--released").stdout), [])
        self.assertEqual(len(json.loads(self.q("list", "--json", "--since", "1h").stdout)), 2)
        self.assertEqual(json.loads(self.q("list", "--json", "--until", "2020-01-01").stdout), [])
        p = self.q("list", env={"COLUMNS": "100"})
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3)
        import unicodedata

        def width(s):
            return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
        start = lines[0].index("SUBJECT")
        for line in lines:
            self.assertLessEqual(width(line), 100, line)
        # Every row's Subject starts in the same column as its title: the cells before it are
        # ASCII, so the text before it has the same width.
        self.assertTrue(lines[1][start:].startswith("全角の件名"), lines[1])
        self.assertTrue(lines[1].endswith("…"), lines[1])
        self.assertTrue(lines[2][start:].startswith("請求書"), lines[2])
        bad = self.q("list", "--since", "yesterday")
        self.assertEqual(bad.returncode, 2)

    def test_list_locked_and_sender_find_what_waits_for_its_password(self):
        plain, waits = self.stored_id(HTML), self.stored_id(ppap_message())

        def ids(*args):
            p = self.q("list", "--json", *args)
            self.assertEqual(p.returncode, 0, p.stderr)
            return [e["id"] for e in json.loads(p.stdout)]
        rows = {e["id"]: e["locked"] for e in json.loads(self.q("list", "--json").stdout)}
        self.assertEqual(rows, {plain: False, waits: True})
        self.assertEqual(ids("--locked"), [waits])
        self.assertEqual(ids("--locked", "--sender", "SENDER@example.com", "--rcpt",
                             "taro@city.example.lg.jp", "--since", "1h"), [waits])
        self.assertEqual(ids("--sender", "Sender@Example.COM"), [waits, plain])
        self.assertEqual(ids("--sender", "sender@example"), [])  # the whole address, not a part
        self.assertEqual(ids("--locked", "--sender", "other@example.com"), [])
        self.assertEqual(ids("--locked", "--rcpt", "hanako@city.example.lg.jp"), [])
        self.assertIn("locked:     yes (an archive waits for its password)\n",
                      self.q("show", waits).stdout.decode())
        self.assertNotIn("locked:", self.q("show", plain).stdout.decode())
        self.assertIs(json.loads(self.q("show", waits, "--json").stdout)["locked"], True)
        self.assertIs(json.loads(self.q("show", plain, "--json").stdout)["locked"], False)
        self.assertEqual(json.loads(self.q("stats", "--json").stdout)["waiting"], 1)
        self.assertIn("waiting:   1 (locked, for a password)\n", self.q("stats").stdout.decode())
        # A release (an admin's here; an unlock records its own the same way) ends the wait: the
        # entry is still locked as it was stored, no longer listed as waiting.
        sink = SlowSink(delay=0)
        self.addCleanup(sink.close)
        conf = self.config(dir=self.store, release_relay=f"127.0.0.1:{sink.port}")
        p = self.q("release", waits, "--reason", "asked", conf=conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(ids("--locked"), [])
        self.assertEqual(ids("--released", "--sender", "sender@example.com"), [waits])
        self.assertIn("locked:     yes (held for its password until released)\n",
                      self.q("show", waits).stdout.decode())
        stats = json.loads(self.q("stats", "--json").stdout)
        self.assertEqual((stats["waiting"], stats["released"]), (0, 1))
        self.assertNotIn("waiting:", self.q("stats").stdout.decode())
        bad = self.q("list", "--locked", "--released")
        self.assertEqual(bad.returncode, 2)
        self.assertIn("--locked and --released exclude each other", bad.stderr.decode())
        usage = self.q("list", "--help").stdout.decode()
        self.assertIn("[--sender ADDR]", usage)
        self.assertIn("[--locked]", usage)

    def test_unlock_opens_the_held_zip_with_the_passwords_of_a_file(self):
        sink = SlowSink(delay=0)
        self.addCleanup(sink.close)
        conf = self.config(dir=self.store, release_relay=f"127.0.0.1:{sink.port}")
        plain, waits = self.stored_id(HTML), self.stored_id(ppap_message())
        wrong, right = os.path.join(self.tmp, "wrong.txt"), os.path.join(self.tmp, "right.txt")
        with open(wrong, "w") as f:
            f.write("nope1\r\nnope2\n\n")
        with open(right, "w") as f:
            f.write("nope1\nKx7#mP2q\n")

        def unlock(qid, *args, status):
            p = self.q("unlock", qid, *args, conf=conf)
            self.assertEqual(p.returncode, status, p.stderr)
            return (p.stdout if status == 0 else p.stderr).decode()
        self.assertIn("--password-file FILE is needed", unlock(waits, status=2))
        with open(os.path.join(self.tmp, "many.txt"), "w") as f:
            f.write("".join(f"pw{i:04}\n" for i in range(33)))
        self.assertIn("has more than 32 passwords",
                      unlock(waits, "--password-file", os.path.join(self.tmp, "many.txt"), status=2))
        self.assertIn("holds no zip waiting for its password",
                      unlock(plain, "--password-file", right, status=3))
        self.assertIn("20991231-000000-0000000000",
                      unlock("20991231-000000-0000000000", "--password-file", right, status=4))
        self.assertIn("not unlocked: wrong password",
                      unlock(waits, "--password-file", wrong, status=3))
        self.assertEqual(sink.messages, [])  # nothing sent, nothing recorded
        self.assertEqual(json.loads(self.q("audit", "--json").stdout), [])
        out = unlock(waits, "--password-file", right, "--reason", "窓口で確認", status=0)
        self.assertRegex(out, rf"^{waits}: unlocked \(資料.zip\), sent to 127.0.0.1:{sink.port}: 250 ")
        [sent] = sink.messages
        self.assertIn(b"Subject: =?", sent)
        self.assertNotIn(b"In-Reply-To:", sent)  # the original had no Message-ID to name
        text = email.message_from_bytes(sent, policy=email.policy.default)
        self.assertTrue(str(text["Subject"]).startswith("【パスワード解除】"), text["Subject"])
        self.assertEqual(text.get_content_type(), "text/plain")
        self.assertIn("会議は午後3時からです。", text.get_content())
        self.assertNotIn(b"Kx7#mP2q", sent)
        [row] = json.loads(self.q("audit", "--json").stdout)
        self.assertEqual((row["action"], row["id"], row["reason"]), ("release", waits, "窓口で確認"))
        self.assertIn('unlocked="資料.zip"', row["detail"])
        self.assertIn("released already", unlock(waits, "--password-file", right, status=3))
        usage = " ".join(self.q("unlock", "--help").stdout.decode().split())
        self.assertIn("A password is never taken on the command line", usage)

    # ---- show / extract ----------------------------------------------------------------------
    def test_show_gives_the_parts_and_extract_one_of_them(self):
        qid = self.stored_id(attachment_message())
        shown = self.q("show", qid).stdout.decode()
        self.assertIn("  2 application/pdf \"見積書.pdf\" 22 bytes: removed (attachment) sha256 ", shown)
        self.assertIn("  1 text/plain", shown)
        self.assertIn("verdict:    deliver (sanitized copy delivered)", shown)
        out = os.path.join(self.tmp, "part.pdf")
        p = self.q("extract", qid, "--part", "2", "-o", out)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), PDF)
        again = self.q("extract", qid, "--part", "2", "-o", out)  # never overwrites
        self.assertEqual(again.returncode, 2)
        none = self.q("extract", qid, "--part", "7", "-o", out + "2")
        self.assertEqual(none.returncode, 2)
        self.assertIn(f"{qid} has no part 7", none.stderr.decode())

    def test_unknown_and_malformed_ids_exit_4(self):
        for sub in (("show", "20261201-000000-0000000000"), ("show", "../../etc/passwd"),
                    ("delete", "20261201-000000-0000000000", "--reason", "x"),
                    ("extract", "20261201-000000-0000000000", "--part", "1", "-o", "/dev/null")):
            self.stored_id()
            p = self.q(*sub)
            self.assertEqual(p.returncode, 4, (sub, p.stderr))
            self.assertRegex(p.stderr.decode(), "no quarantine entry|not a quarantine id")

    def test_without_a_quarantine_the_commands_say_so(self):
        p = self.q("list", conf=self.plain_conf)
        self.assertEqual(p.returncode, 2)
        self.assertIn("sets no [quarantine] dir", p.stderr.decode())
        p = self.q("list")  # configured, nothing stored yet
        self.assertEqual(p.returncode, 75)
        self.assertIn(f"no quarantine at {self.store}", p.stderr.decode())

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_an_unprivileged_user_is_told_whose_store_it_is(self):
        self.stored_id()
        for sub in (("list",), ("show", "20261201-000000-0000000000"), ("stats",), ("audit",)):
            p = self.q(*sub, user="nobody")
            self.assertEqual(p.returncode, 77, (sub, p.stderr))
            err = p.stderr.decode()
            self.assertIn(f"permission denied: cannot read the quarantine {self.store} "
                          "(owned by root:root, mode 2770)", err)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("setpriv"), "needs root and setpriv")
    def test_root_storing_leaves_everything_to_the_stores_owner(self):
        import pwd
        nobody = pwd.getpwnam("nobody")
        os.mkdir(self.store, 0o750)  # as deploy/mugai-milter.service makes it, for the milter's user
        os.chown(self.store, nobody.pw_uid, nobody.pw_gid)
        qid = self.stored_id()  # root: an admin running mugai sanitize
        for path in (self.store, os.path.join(self.store, "index.sqlite")):
            self.assertEqual(os.stat(path).st_uid, nobody.pw_uid, path)
        self.assertEqual(self.original_bytes(qid), HTML)  # in the index: no file of its own
        # So the milter's user goes on storing there, in the same directories too.
        p = run("sanitize", "-c", self.conf, "--from", "s@example.com", "--rcpt",
                "taro@city.example.lg.jp", stdin=HTML, user="nobody")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(json.loads(self.q("list", "--json").stdout)), 2)

    # ---- [quarantine] user and group ------------------------------------------------------------
    def owned_store(self):
        """A store root made for [quarantine] user = nobody and a new group: (conf, group, gid,
        nobody's uid, the id of one original)."""
        import pwd
        group, gid = unix_users.temp_group(self)
        conf = self.config(dir=self.store, user="nobody", group=group)
        p, report = self.sanitize(HTML, conf)  # root: an admin running mugai sanitize
        self.assertEqual(p.returncode, 0, p.stderr)
        return conf, group, gid, pwd.getpwnam("nobody").pw_uid, report["quarantine_id"]

    def original_path(self, qid):
        return os.path.join(self.store, "objects", qid[16:18], qid[18:20], qid)

    @unittest.skipUnless(unix_users.can_switch_users(), "needs root, setpriv and groupadd")
    def test_root_gives_the_store_to_its_user_and_group_whose_members_may_use_it(self):
        conf, group, gid, nobody, qid = self.owned_store()
        self.assertEqual(unix_users.mode_and_owner(self.store), (0o2770, nobody, gid))
        for made_before in ("objects", "tmp"):  # by a mugai before index version 3
            self.assertFalse(os.path.exists(os.path.join(self.store, made_before)))
        index = os.path.join(self.store, "index.sqlite")
        self.assertEqual(unix_users.mode_and_owner(index), (0o660, nobody, gid))
        member, stranger = unix_users.free_uid(), unix_users.free_uid(61500)
        p = self.q("list", "--json", conf=conf, uid=member, groups=[gid])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual([e["id"] for e in json.loads(p.stdout)], [qid])
        raw = self.q("show", qid, "--raw", conf=conf, uid=member, groups=[gid])
        self.assertEqual((raw.returncode, raw.stdout), (0, HTML), raw.stderr)
        for sub_args in (("list",), ("stats",), ("show", qid)):
            p = self.q(*sub_args, conf=conf, uid=stranger)
            self.assertEqual(p.returncode, 77, (sub_args, p.stderr))
            self.assertIn(f"permission denied: cannot read the quarantine {self.store} (owned by "
                          f"nobody:{group}, mode 2770): run this as root, as nobody or as a member "
                          f"of group {group}", p.stderr.decode())
        # A member deletes too (the directories are the group's to write), audited under its uid.
        p = self.q("delete", qid, "--reason", "asked", conf=conf, uid=member, groups=[gid])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIsNone(self.original_bytes(qid))
        audit = json.loads(self.q("audit", "--json", conf=conf).stdout)
        self.assertEqual([(r["action"], r["uid"]) for r in audit], [("delete", member)])

    @unittest.skipUnless(unix_users.can_switch_users(), "needs root, setpriv and groupadd")
    def test_what_an_older_mugai_left_roots_is_given_back(self):
        import sqlite3
        conf, group, gid, nobody, qid = self.owned_store()
        index = os.path.join(self.store, "index.sqlite")
        os.chown(index, 0, 0)
        os.chmod(index, 0o644)
        # A connection held open (as the old milter's): SQLite, as root, makes -wal and -shm
        # from the index, root's now.
        db = sqlite3.connect(index)
        self.addCleanup(db.close)
        db.execute("SELECT count(*) FROM entry").fetchall()
        for suffix in ("-wal", "-shm"):
            self.assertEqual(unix_users.mode_and_owner(index + suffix), (0o644, 0, 0), suffix)
        member = unix_users.free_uid()
        p = self.q("list", conf=conf, uid=member, groups=[gid])
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertIn(f"permission denied: cannot use the quarantine index {index} (owned by "
                      "root:root, mode 0644)", p.stderr.decode())
        second = self.stored_id_with(conf)  # the next store gives the index files back
        for suffix in ("", "-wal", "-shm"):
            self.assertEqual(unix_users.mode_and_owner(index + suffix), (0o660, nobody, gid), suffix)
        p = self.q("list", "--json", conf=conf, uid=member, groups=[gid])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(sorted(e["id"] for e in json.loads(p.stdout)), sorted([qid, second]))

    def stored_id_with(self, conf):
        p, report = self.sanitize(HTML, conf)
        self.assertEqual(p.returncode, 0, p.stderr)
        return report["quarantine_id"]

    @unittest.skipUnless(unix_users.can_switch_users(), "needs root, setpriv and groupadd")
    def test_fsck_reports_an_owner_or_mode_that_is_not_the_stores_and_root_fixes_it(self):
        conf, group, gid, nobody, qid = self.owned_store()
        path = self.make_legacy(qid)  # an older mugai's file: the only originals with a mode
        os.chown(path, 0, 0)  # as an admin's cp would leave it
        os.chmod(path, 0o644)
        member = unix_users.free_uid()
        line = (f"{path}: owned by root:root, mode 0644; the store's are nobody:{group}, "
                "mode 0640")
        p = self.q("fsck", "--grace", "0s", conf=conf, uid=member, groups=[gid])
        self.assertEqual(p.returncode, 1, p.stderr)
        out = p.stdout.decode()
        self.assertIn(line + " (only root may fix it)\n", out)
        self.assertIn("; 1 owners or modes wrong (see above)\n", out)
        dry = self.q("fsck", "--dry-run", "--grace", "0s", conf=conf)
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn(line + "\n", dry.stdout.decode())
        self.assertIn("; 1 owners or modes to fix\n", dry.stdout.decode())
        self.assertEqual(unix_users.mode_and_owner(path), (0o644, 0, 0))
        fixed = self.q("fsck", "--grace", "0s", conf=conf)
        self.assertEqual(fixed.returncode, 0, fixed.stderr)
        self.assertIn(line + ", fixed\n", fixed.stdout.decode())
        self.assertEqual(unix_users.mode_and_owner(path), (0o640, nobody, gid))
        clean = self.q("fsck", "--grace", "0s", conf=conf, uid=member, groups=[gid])
        self.assertEqual(clean.returncode, 0, clean.stderr)
        self.assertIn(self.FSCK_CLEAN.format(n=1), clean.stdout.decode())
        self.assertIn("; 0 owners or modes fixed\n", clean.stdout.decode())

    # ---- delete / purge / audit ----------------------------------------------------------------
    def test_delete_and_purge_are_audited(self):
        a, b = self.stored_id(), self.stored_id(attachment_message())
        p = self.q("delete", a, "--reason", "受信者の依頼")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.q("show", a).returncode, 4)
        self.assertEqual(self.q("delete", a, "--reason", "again").returncode, 4)
        self.assertEqual(self.q("delete", b).returncode, 2)  # --reason is required
        self.assertEqual(self.q("purge", "--reason", "retention").stdout.decode(),
                         "0 originals older than 30d removed\n"
                         "0 contacts last seen more than 180d ago removed\n")
        time.sleep(2.1)
        p = self.q("purge", "--older-than", "1s", "--reason", "test run")
        self.assertEqual(p.stdout.decode(), "1 originals older than 1s removed\n"
                         "0 contacts last seen more than 180d ago removed\n", p.stderr)
        self.assertEqual(json.loads(self.q("list", "--json").stdout), [])
        rows = json.loads(self.q("audit", "--json").stdout)
        self.assertEqual([(r["action"], r["id"], r["reason"], r["user"]) for r in rows],
                         [("delete", a, "受信者の依頼", "root"), ("purge", "", "retention", "root"),
                          ("purge", "", "test run", "root")])
        self.assertIn("1 entries", rows[2]["detail"])
        table = list(csv.reader(io.StringIO(self.q("audit", "--csv").stdout.decode())))
        self.assertEqual(table[0], ["seq", "time", "user", "uid", "action", "id", "reason", "detail"])
        self.assertEqual(table[1][4:7], ["delete", a, "受信者の依頼"])
        stats = json.loads(self.q("stats", "--json").stdout)
        self.assertEqual(stats["entries"], 0)

    # ---- release (its success goes through Postfix: tests/e2e/test_quarantine_e2e.py) ----------
    def test_release_errors_mark_nothing_released(self):
        import socket
        with socket.socket() as sock:  # a port nothing listens on: the relay is down
            sock.bind(("127.0.0.1", 0))
            down = sock.getsockname()[1]
        conf = self.config(dir=self.store, release_relay=f"127.0.0.1:{down}")
        qid, virus = self.stored_id(), self.stored_id(attachment_message(scan_db.EICAR, "e.com"))
        p = self.q("release", qid, "--reason", "asked", conf=conf)
        self.assertEqual(p.returncode, 75, p.stderr)
        self.assertRegex(p.stderr.decode(), rf"relay 127.0.0.1:{down}: cannot connect: .*; {qid} is "
                                             "not released")
        self.assertEqual(self.q("release", virus, "--reason", "x", conf=conf).returncode, 3)
        self.assertEqual(self.q("release", "20261201-000000-0000000000", "--reason", "x",
                                conf=conf).returncode, 4)
        self.assertEqual(self.q("release", qid, conf=conf).returncode, 2)  # no --reason
        p = self.q("release", qid, "--sanitized", "--profile", "nope", "--reason", "x", conf=conf)
        self.assertEqual(p.returncode, 2)
        self.assertIn("has no [rule nope] (its rules: none)", p.stderr.decode())
        self.assertEqual(json.loads(self.q("list", "--released", "--json").stdout), [])
        self.assertEqual(json.loads(self.q("audit", "--json").stdout), [])

    def test_two_releases_at_once_send_the_original_once(self):
        sink = SlowSink()
        self.addCleanup(sink.close)
        conf = self.config(dir=self.store, release_relay=f"127.0.0.1:{sink.port}")
        qid = self.stored_id()
        cmd = [MUGAI, "quarantine", "release", "-c", conf, qid, "--reason", "受信者の依頼"]
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for _ in range(2)]
        results = [(p.wait(timeout=120), p.stdout.read().decode(), p.stderr.read().decode())
                   for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        self.assertEqual(sorted(r[0] for r in results), [0, 3], results)
        won = next(r for r in results if r[0] == 0)
        lost = next(r for r in results if r[0] == 3)
        self.assertRegex(won[1], rf"^{qid}: released to 127.0.0.1:{sink.port}: 250 ")
        self.assertRegex(lost[2], rf"{qid} is being released already, by {re.escape(socket.gethostname())} "
                                  r"pid \d+ #[0-9a-f]+ since [0-9: -]+: not released again")
        self.assertEqual(len(sink.messages), 1)
        self.assertEqual(sink.messages[0], HTML)
        audit = json.loads(self.q("audit", "--json").stdout)
        self.assertEqual([(r["action"], r["id"]) for r in audit], [("release", qid)])
        self.assertEqual([e["id"] for e in json.loads(self.q("list", "--released", "--json").stdout)],
                         [qid])
        # Done, the claim is let go: a later release (to someone else) goes, and goes once.
        again = self.q("release", qid, "--reason", "課長へ", "--to", "hanako@city.example.lg.jp",
                       conf=conf)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(len(sink.messages), 2)

    def test_a_release_that_failed_leaves_no_claim_behind(self):
        with socket.socket() as sock:  # nothing listens: the relay is down
            sock.bind(("127.0.0.1", 0))
            down = sock.getsockname()[1]
        qid = self.stored_id()
        conf = self.config(dir=self.store, release_relay=f"127.0.0.1:{down}")
        for _ in range(2):  # the second is refused by the relay again, not by a claim left over
            self.assertEqual(self.q("release", qid, "--reason", "asked", conf=conf).returncode, 75)
        self.assertEqual(json.loads(self.q("list", "--released", "--json").stdout), [])

    # ---- fsck ------------------------------------------------------------------------------------
    def test_fsck_reconciles_a_file_without_a_row_and_a_row_without_a_file(self):
        keep, lost = self.stored_id(), self.stored_id(attachment_message())
        orphan = "20261201-000000-abcdef0123"
        odir = os.path.join(self.store, "objects", "ab", "cd")
        os.makedirs(odir, exist_ok=True)
        with open(os.path.join(odir, orphan), "wb") as f:
            f.write(HTML)
        self.index_sql("DELETE FROM original WHERE entry_id = ?", lost)  # damage
        os.makedirs(os.path.join(self.store, "tmp"))  # an older mugai's unfinished store
        with open(os.path.join(self.store, "tmp", keep + "x.tmp"), "wb") as f:
            f.write(b"half")
        dry = self.q("fsck", "--dry-run", "--grace", "0s")
        self.assertEqual(dry.returncode, 0, dry.stderr)
        self.assertIn("would remove 1 entries without an original, 1 temp files, 1 files without an "
                      "entry", dry.stdout.decode())
        self.assertEqual(len(json.loads(self.q("list", "--json").stdout)), 2)  # nothing changed
        young = self.q("fsck")  # the default grace leaves fresh files alone
        self.assertIn("removed 1 entries without an original, 0 temp files, 0 files without an entry",
                      young.stdout.decode())
        p = self.q("fsck", "--grace", "0s")
        self.assertIn("removed 0 entries without an original, 1 temp files, 1 files without an entry",
                      p.stdout.decode())
        self.assertFalse(os.path.exists(os.path.join(odir, orphan)))
        self.assertEqual([e["id"] for e in json.loads(self.q("list", "--json").stdout)], [keep])
        clean = self.q("fsck", "--grace", "0s").stdout.decode()
        self.assertIn("1 originals, 1 entries; removed 0 entries without an original, 0 temp files, "
                      "0 files", clean)
        audit = json.loads(self.q("audit", "--json").stdout)
        self.assertEqual([(r["action"], r["id"]) for r in audit], [("fsck", lost)])

    # ---- concurrency -----------------------------------------------------------------------------
    def test_processes_store_while_list_and_purge_run(self):
        self.stored_id()
        failures, done = [], threading.Event()

        def writer():
            for _ in range(6):
                p = run("sanitize", "-c", self.conf, "--from", "s@example.com", "--rcpt",
                        "taro@city.example.lg.jp", stdin=HTML)
                if p.returncode != 0:
                    failures.append(p.stderr.decode())

        def reader():
            while not done.is_set():
                for sub in (("list", "--json"), ("purge", "--older-than", "30d", "--reason", "r"),
                            ("stats",)):
                    p = self.q(*sub)
                    if p.returncode != 0:
                        failures.append(p.stderr.decode())
        writers = [threading.Thread(target=writer) for _ in range(4)]
        r = threading.Thread(target=reader)
        r.start()
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        done.set()
        r.join()
        self.assertEqual(failures, [])
        self.assertEqual(len(json.loads(self.q("list", "--json").stdout)), 25)
        clean = self.q("fsck", "--grace", "0s").stdout.decode()
        self.assertIn(self.FSCK_CLEAN.format(n=25), clean)


if __name__ == "__main__":
    unittest.main()
