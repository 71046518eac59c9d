#!/usr/bin/env python3
"""Faults of what mugai-milter depends on (issue 10): a signature database it cannot read, at
start and at a reload, clamd killed in the middle of a scan, and an SQLite quarantine index
locked by a long transaction of another program. Each ends in 451 or a clear final answer, never
in mail passed unscanned or unkept.

Already covered elsewhere, not repeated here (tests/e2e/test_scan_e2e.py FailClosed): no database
directory, a corrupt database, signatures older than max_signature_age and a clamd socket where
nothing listens all answer 451 4.3.0 and deliver nothing; tests/e2e/test_two_hosts_clamd_e2e.py:
clamd stopped (SIGTERM) while mail flows → 451 on both hosts, delivery again once it is back.

Signatures (mugai-milter runs as nobody; the files are root's, so modes bind it):
- at start, the database directory mode 000: "virus scanner not loaded: ... Permission denied";
  a clean message and an EICAR one both 451 4.3.0, nothing delivered;
- at start, one signature file of three mode 000: libclamav refuses the whole directory (no
  scanning with a silently smaller set): 451 likewise;
- at a reload (SIGHUP) with a file made unreadable: "reload failed ...; the signatures loaded
  before stay in force", EICAR still 550, clean mail still 250 and sanitized; the file readable
  again and SIGHUP: reloaded, a signature only in that file now refuses its mail.

clamd ([scan] backend = clamd, a real clamd on a private socket): killed with SIGKILL while it
reads the attachment of an 8 MB message (the moment mugai's connection to it shows in
/proc/net/unix): that message 451 4.3.0 ("clamd ... stopped taking data"), clean and EICAR mail
451 while clamd is gone, nothing delivered; clamd started again on the same socket: EICAR 550,
clean 250, the interrupted message delivered sanitized when sent again.

SQLite (mugai-milter keeps originals in [quarantine] dir): a python sqlite3 connection holds BEGIN
EXCLUSIVE on index.sqlite for 36 s, longer than mugai's busy timeout (30 s, src/quarantine/index.c):
- a message whose original must be kept is answered 451 4.3.0 after the busy timeout, not
  sooner than 29 s and not later than 40 s (bounded: well inside Postfix's
  milter_content_timeout, 300 s by default, 120 s in the lab), nothing delivered; the log says
  "original not kept ... database is locked";
- sent again after the lock is gone: 250, kept once, delivered sanitized; fsck consistent.
"""
import json, os, pwd, re, shutil, signal, sqlite3, sys, tempfile, threading, time, unittest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import lab, scan_db  # noqa: E402

EXTRA = b"MUGAI-EXTRA-SIGNATURE-5e1a9c"
EXTRA_NAME = "MUGAI.Extra.Sig.UNOFFICIAL"
BUSY_TIMEOUT = 30.0
HOLD = 36.0


def extra_message(token):
    """A message whose attachment holds only the EXTRA signature's bytes."""
    return (f"From: {faultlib.SENDER}\r\nTo: {faultlib.RCPT}\r\nSubject: extra {token}\r\n"
            f"Message-ID: <{token}@fault.example.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "see the file\r\n--b\r\nContent-Type: application/octet-stream; name=\"x.bin\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + faultlib.b64(EXTRA + b"\r\n") + b"--b--\r\n"


def send(the_lab, raw, timeout=120):
    began = time.monotonic()
    with faultlib.smtplib.SMTP("127.0.0.1", the_lab.port, timeout=timeout) as smtp:
        code, text = faultlib.transaction(smtp, raw)
    return code, text, time.monotonic() - began


class Base(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-fault-engine-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.db = scan_db.make_database(os.path.join(self.dir, "db"))
        os.chmod(self.db, 0o755)
        with open(os.path.join(self.db, "mugai-extra.ndb"), "w") as f:
            f.write(f"MUGAI.Extra.Sig:0:*:{EXTRA.hex()}\n")

    def write_conf(self, **quarantine):
        with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), self.db)
        if quarantine:
            text = scan_db.config_with_keys(text, "quarantine", **quarantine)
        path = os.path.join(self.dir, "mugai.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path


class Signatures(Base):
    def check_not_loaded(self, reason):
        with lab.Lab(conf=self.write_conf(), milter_user="nobody") as the_lab:
            start = the_lab.milter_log()
            line = [l for l in start.splitlines() if "virus scanner not loaded: " in l]
            self.assertEqual(len(line), 1, start)
            self.assertRegex(line[0], reason)
            self.assertTrue(line[0].endswith("every message is answered as [scan] scan_error says "
                                              "until it loads"), line[0])
            for kind in ("html", "japanese", "eicar"):
                code, text, _ = send(the_lab, faultlib.message(kind, f"nl-{kind}"))
                self.assertEqual(code, 451, (kind, text))
                self.assertTrue(text.startswith("4.3.0 Virus scanning is not available"), text)
            self.assertEqual(the_lab.milter_log().count("verdict=tempfail"), 3)
            self.assertTrue(the_lab.wait_delivered(0, 10))
            self.assertEqual(faultlib.sink_files(the_lab), [])

    def test_database_directory_unreadable_at_start(self):
        os.chmod(self.db, 0)
        self.check_not_loaded(r"virus scanner not loaded: .*" + re.escape(self.db) + r".*Permission denied")

    def test_one_signature_file_unreadable_at_start(self):
        os.chmod(os.path.join(self.db, "mugai-extra.ndb"), 0)
        self.check_not_loaded(r"virus scanner not loaded: cannot load signatures from "
                              + re.escape(self.db) + r": .*Can't open file .*mugai-extra\.ndb")

    def test_unreadable_at_reload_keeps_the_signatures_in_force(self):
        extra = os.path.join(self.db, "mugai-extra.ndb")
        os.rename(extra, extra + ".off")  # not a database file name: not loaded at start
        with lab.Lab(conf=self.write_conf(), milter_user="nobody") as the_lab:
            self.assertEqual(send(the_lab, extra_message("x-before"))[0], 250)
            os.rename(extra + ".off", extra)
            os.chmod(extra, 0)
            offset = len(the_lab.milter_log())
            the_lab.milter.send_signal(signal.SIGHUP)
            self.assertTrue(faultlib.wait_for(lambda: "virus scanner reload failed" in the_lab.milter_log()[offset:], 20),
                            the_lab.milter_log()[offset:])
            failed = [l for l in the_lab.milter_log()[offset:].splitlines() if "reload failed" in l][0]
            self.assertIn("mugai-extra.ndb", failed)
            self.assertTrue(failed.endswith("the signatures loaded before stay in force"), failed)
            code, text, _ = send(the_lab, faultlib.message("eicar", "r-eicar"))
            self.assertEqual(code, 550, text)
            self.assertEqual(text, f"5.7.1 Virus found: {scan_db.EICAR_NAME}")
            self.assertEqual(send(the_lab, faultlib.message("html", "r-html"))[0], 250)
            self.assertEqual(send(the_lab, extra_message("x-during"))[0], 250)  # the old set: no EXTRA
            self.assertIsNone(the_lab.milter.poll())

            os.chmod(extra, 0o644)
            offset = len(the_lab.milter_log())
            the_lab.milter.send_signal(signal.SIGHUP)
            self.assertTrue(faultlib.wait_for(lambda: "virus scanner reloaded in" in the_lab.milter_log()[offset:], 20),
                            the_lab.milter_log()[offset:])
            code, text, _ = send(the_lab, extra_message("x-after"))
            self.assertEqual(code, 550, text)
            self.assertEqual(text, f"5.7.1 Virus found: {EXTRA_NAME}")
            self.assertTrue(the_lab.wait_delivered(3, 60))
            got = faultlib.delivered(the_lab)
            self.assertEqual(sorted(faultlib.token_of(m) for _, m in got), ["r-html", "x-before", "x-during"])
            for raw, msg in got:
                self.assertEqual(faultlib.unsanitized(raw, msg), [], faultlib.token_of(msg))
            self.assertNotIn("verdict=tempfail", the_lab.milter_log())


class SqliteLocked(Base):
    def test_index_locked_longer_than_the_busy_timeout(self):
        nobody = pwd.getpwnam("nobody")
        store = os.path.join(self.dir, "quarantine")
        os.mkdir(store, 0o700)
        os.chown(store, nobody.pw_uid, nobody.pw_gid)
        conf = self.write_conf(dir=store)
        first = faultlib.message("html", "l-first")
        locked = faultlib.message("html", "l-locked")
        with lab.Lab(conf=conf, milter_user="nobody") as the_lab:
            self.assertEqual(send(the_lab, first)[0], 250)  # the index exists, one entry
            index = os.path.join(store, "index.sqlite")
            holder = sqlite3.connect(index, isolation_level=None, timeout=5, check_same_thread=False)
            holder.execute("BEGIN EXCLUSIVE")  # in WAL mode: the write lock, taken at once
            held_at = time.monotonic()
            released = threading.Event()

            def release():
                time.sleep(max(0.0, held_at + HOLD - time.monotonic()))
                holder.execute("ROLLBACK")
                holder.close()
                released.set()

            t = threading.Thread(target=release)
            t.start()
            try:
                offset = len(the_lab.milter_log())
                code, text, took = send(the_lab, locked)
                answered_at = time.monotonic()
            finally:
                t.join()
            self.assertEqual(code, 451, text)
            self.assertTrue(text.startswith("4.3.0 Temporary failure in mail sanitization"), text)
            self.assertLess(answered_at, held_at + HOLD, "answered only once the lock was gone")
            self.assertGreaterEqual(took, BUSY_TIMEOUT - 1, took)
            self.assertLessEqual(took, BUSY_TIMEOUT + 10, took)
            log = the_lab.milter_log()[offset:]
            self.assertRegex(log, r"original not kept in the quarantine .*: original not kept: .*"
                                  r"database is locked; deferred")
            self.assertIn("verdict=tempfail", log)
            self.assertTrue(the_lab.wait_delivered(1, 30))
            self.assertEqual(len(faultlib.sink_files(the_lab)), 1, "the locked one was delivered")

            self.assertTrue(released.wait(60))
            code, text, again = send(the_lab, locked)
            self.assertEqual(code, 250, text)
            self.assertTrue(the_lab.wait_delivered(2, 60))
            got = faultlib.delivered(the_lab)
            self.assertEqual(sorted(faultlib.token_of(m) for _, m in got), ["l-first", "l-locked"])
            for raw, msg in got:
                self.assertEqual(faultlib.unsanitized(raw, msg), [], faultlib.token_of(msg))
        entries = json.loads(faultlib.quarantine(conf, "list", "--json").stdout)
        self.assertEqual(sorted(e["subject"] for e in entries), ["fault html l-first", "fault html l-locked"])
        fsck = faultlib.quarantine(conf, "fsck", "--grace", "0s")
        self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)
        self.assertIn("2 originals, 2 entries; removed 0 entries without an original, 0 temp "
                      "files, 0 files without an entry", fsck.stdout.decode())
        print(f"\n  SQLite index locked {HOLD:.0f}s: the message kept was answered 451 after "
              f"{took:.1f}s (busy timeout {BUSY_TIMEOUT:.0f}s); after the release 250 in {again:.2f}s",
              file=sys.stderr)


def unix_connections(path):
    """Sockets bound to PATH in /proc/net/unix: the listening one plus one per accepted connection."""
    with open("/proc/net/unix") as f:
        return sum(1 for line in f if line.rstrip("\n").endswith(" " + path))


@unittest.skipUnless(os.access("/usr/sbin/clamd", os.X_OK), "/usr/sbin/clamd missing (apt-get install clamav-daemon)")
class ClamdKilled(Base):
    """clamd killed with SIGKILL while it scans a message: that message 451 4.3.0, mail meanwhile
    451, nothing delivered unscanned; clamd started again on the same socket: EICAR 550 and clean
    mail 250 again, the interrupted message delivered when sent again."""

    def test_clamd_killed_in_the_middle_of_a_scan(self):
        from test_scan_e2e import Clamd, clamd_command, write_daily_cud
        write_daily_cud(self.db, 27474, int(time.time()) - 86400)  # so clamd tells its age
        clamd = Clamd(self.db, "StreamMaxLength 100M\nMaxThreads 4\n")
        self.addCleanup(clamd.stop)
        self.assertEqual(clamd_command(clamd.path, b"zINSTREAM\0", scan_db.EICAR),
                         f"stream: {scan_db.EICAR_NAME} FOUND")
        with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_scan(f.read(), backend="clamd", clamd_socket=f"unix:{clamd.path}",
                                            reload_interval="1h")
        conf = os.path.join(self.dir, "mugai.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        big = faultlib.message("html", "c-big", pad=6 * 1024 * 1024)
        with lab.Lab(conf=conf, milter_user="nobody") as the_lab:
            self.assertEqual(send(the_lab, faultlib.message("html", "c-before"))[0], 250)
            result = {}

            def big_one():
                result["answer"] = send(the_lab, big)

            t = threading.Thread(target=big_one)
            listening = unix_connections(clamd.path)
            t.start()
            scanning = faultlib.wait_for(lambda: unix_connections(clamd.path) > listening, 60, step=0.005)
            clamd.proc.kill()  # our own child, by its pid
            clamd.proc.wait()
            t.join(120)
            self.assertTrue(scanning, "mugai never connected to clamd for the big message")
            code, text, _ = result["answer"]
            self.assertEqual(code, 451, text)
            self.assertTrue(text.startswith("4.3.0 "), text)
            for kind in ("html", "eicar"):
                code, text, _ = send(the_lab, faultlib.message(kind, f"c-down-{kind}"))
                self.assertEqual(code, 451, (kind, text))
            self.assertTrue(the_lab.wait_delivered(1, 30))
            self.assertEqual([faultlib.token_of(m) for _, m in faultlib.delivered(the_lab)], ["c-before"])

            clamd.proc = faultlib.subprocess.Popen(["/usr/sbin/clamd", "-c", clamd.conf],
                                                   stdout=faultlib.subprocess.DEVNULL,
                                                   stderr=faultlib.subprocess.DEVNULL)
            self.assertTrue(faultlib.wait_for(clamd._pong, 60), clamd.log())
            code, text, _ = send(the_lab, faultlib.message("eicar", "c-eicar"))
            self.assertEqual(code, 550, text)
            self.assertEqual(send(the_lab, faultlib.message("html", "c-after"))[0], 250)
            self.assertEqual(send(the_lab, big)[0], 250)
            self.assertTrue(the_lab.wait_delivered(3, 60))
            got = faultlib.delivered(the_lab)
            self.assertEqual(sorted(faultlib.token_of(m) for _, m in got), ["c-after", "c-before", "c-big"])
            for raw, msg in got:
                self.assertEqual(faultlib.unsanitized(raw, msg), [], faultlib.token_of(msg))
            summaries = [l.split("mugai-milter: ", 1)[1] for l in the_lab.milter_log().splitlines()
                         if "verdict=tempfail" in l]
        print("\n  clamd killed mid-scan: " + " | ".join(x[:600] for x in summaries[:1]), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
