#!/usr/bin/env python3
"""The quarantine inside the real mugai-milter, driven over the milter protocol (milter_client.py
plays Postfix): several connections at once store their originals (group commit) while `mugai
quarantine list`, `purge` and `fsck` run on the same store; every sanitized message is kept under
its queue ID before its answer, also when the milter is killed (kill -9) in the middle of storing,
after which fsck leaves a consistent store; a store that fails answers 451 4.3.0 and logs why, and the next
message is kept again once it can be; held outbound mail is kept and discarded, its log line
naming the id."""
import json, os, re, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import milter_client as mc  # noqa: E402
import scan_db  # noqa: E402
import unix_users  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MUGAI_BUILD") or os.path.join(ROOT, "build")
MUGAI = os.environ.get("MUGAI") or os.path.join(BUILD, "mugai")
MUGAI_MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(BUILD, "mugai-milter")
CLIENT = "192.0.2.25"
QID = re.compile(r"quarantine=(\d{8}-\d{6}-[0-9a-f]{10})")

HTML = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: news\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>hello <b>world</b></p>\r\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Milter:
    def __init__(self, work, name, **groups):
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), scan_db.database())
        for group, keys in groups.items():
            text = scan_db.config_with_keys(text, group, **keys)
        self.conf = os.path.join(work, f"{name}.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        self.log_path = os.path.join(work, f"{name}.log")
        self.port = free_port()
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen([MUGAI_MILTER, "-f", "-p", f"inet:{self.port}@127.0.0.1",
                                      "-c", self.conf], stdout=self.log_file,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60  # an ASan build on a loaded machine is slow to start
        while time.monotonic() < deadline and "starting on" not in self.log():
            if self.proc.poll() is not None:
                raise RuntimeError(self.log())
            time.sleep(0.05)
        if "starting on" not in self.log():
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("mugai-milter neither started nor stopped within 60 s:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def send(self, raw, queue_id, sender="sender@example.co.jp"):
        headers, body = mc.split_message(raw)
        with mc.MilterClient("127.0.0.1", self.port, timeout=60) as c:
            c.negotiate(leadspc=True)
            c.connect("mx.example.co.jp", CLIENT, 45678, "4", macros={"{daemon_name}": "smtpd"})
            c.helo("mx.example.co.jp")
            return c.send_message(headers, body, sender=sender, queue_id=queue_id)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_file.close()


class QuarantineMilter(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="mugai-qmilter-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.store = os.path.join(self.work, "quarantine")

    def milter(self, name, **groups):
        groups.setdefault("quarantine", {"dir": self.store})
        m = Milter(self.work, name, **groups)
        self.addCleanup(m.stop)
        return m

    def cli(self, m, *args):
        return subprocess.run([MUGAI, "quarantine", args[0], "-c", m.conf] + list(args[1:]),
                              capture_output=True, timeout=60)

    def test_concurrent_stores_while_list_purge_and_fsck_run(self):
        m = self.milter("concurrent")
        results, failures, done = {}, [], threading.Event()

        def client(n):
            for i in range(15):
                qid = f"4TQC{n:02d}{i:04d}"
                results[qid] = m.send(HTML, qid)

        def admin():
            while not done.is_set():
                for args in (("list", "--json"), ("purge", "--older-than", "30d", "--reason", "r"),
                             ("fsck", "--dry-run"), ("stats",)):
                    p = self.cli(m, *args)
                    if p.returncode not in (0, 75) or (p.returncode == 75 and b"no quarantine at"
                                                       not in p.stderr):
                        failures.append((args, p.returncode, p.stderr.decode()))
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        a = threading.Thread(target=admin)
        a.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done.set()
        a.join()
        self.assertEqual(failures, [])
        self.assertEqual(len(results), 60)
        for qid, r in results.items():
            self.assertEqual(r.action, "continue", (qid, r.reply))
        listed = json.loads(self.cli(m, "list", "--json").stdout)
        self.assertEqual(sorted(e["queue_id"] for e in listed), sorted(results))
        log = m.log()
        for e in listed:  # each summary line names the id its original was kept under
            self.assertIn(f"{e['queue_id']}: from=<sender@example.co.jp>", log)
            self.assertRegex(log, rf"{e['queue_id']}: .* quarantine={e['id']}")
        fsck = self.cli(m, "fsck", "--grace", "0s").stdout.decode()
        self.assertIn("60 originals, 60 entries; removed 0 entries without an original, 0 temp "
                      "files, 0 files without an entry", fsck)

    def test_kill_9_while_storing_loses_no_answered_original_and_fsck_reconciles(self):
        m = self.milter("killed")
        answered, stop = [], threading.Event()

        def client(n):
            i = 0
            while not stop.is_set():
                qid = f"4TQK{n:02d}{i:04d}"
                i += 1
                try:
                    r = m.send(HTML, qid)
                except (OSError, mc.MilterProtocolError):
                    return  # the milter is gone: Postfix would keep this message (tempfail)
                if r.action == "continue":
                    answered.append(qid)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        time.sleep(2.0)
        m.proc.send_signal(signal.SIGKILL)  # wherever each thread is: file, rename, commit
        m.proc.wait()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(answered), 10)
        # Every message that got its answer has its original and row: durable before the reply.
        listed = {e["queue_id"]: e["id"] for e in json.loads(self.cli(m, "list", "--json").stdout)}
        self.assertEqual([q for q in answered if q not in listed], [])
        p = self.cli(m, "fsck", "--grace", "0s")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(" 0 entries without an original,", p.stdout.decode())
        clean = self.cli(m, "fsck", "--grace", "0s").stdout.decode()
        n = len(listed)
        self.assertIn(f"{n} originals, {n} entries; removed 0 entries without an original, 0 temp "
                      "files, 0 files without an entry", clean)

    def test_a_store_that_fails_answers_451_and_keeps_nothing_half(self):
        m = self.milter("failing")
        self.assertEqual(m.send(HTML, "4TQF0001").action, "continue")
        index = sqlite3.connect(os.path.join(self.store, "index.sqlite"))
        index.execute("CREATE TRIGGER refuse BEFORE INSERT ON original"  # every store fails
                      " BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END")
        index.commit()
        r = m.send(HTML, "4TQF0002")
        self.assertEqual(r.action, "tempfail")
        self.assertTrue(r.reply.code.startswith("451 4.3.0 "), r.reply.code)
        log = m.log()
        self.assertRegex(log, r"4TQF0002: original not kept in the quarantine .*; deferred")
        self.assertRegex(log, r"4TQF0002: .*verdict=tempfail")
        self.assertIn("the disk is on fire", log)
        index.execute("DROP TRIGGER refuse")
        index.commit()
        index.close()
        self.assertEqual(m.send(HTML, "4TQF0003").action, "continue")
        listed = json.loads(self.cli(m, "list", "--json").stdout)
        self.assertEqual(sorted(e["queue_id"] for e in listed), ["4TQF0001", "4TQF0003"])

    def test_a_reload_that_moves_the_store_defers_what_must_be_kept_until_a_restart(self):
        m = self.milter("moved")
        self.assertEqual(m.send(HTML, "4TQM0001").action, "continue")
        with open(m.conf, encoding="utf-8") as f:
            text = f.read()
        with open(m.conf, "w", encoding="utf-8") as f:
            f.write(text.replace(f"dir = {self.store}", f"dir = {self.store}-elsewhere"))
        m.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "takes a restart" not in m.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIn("reload: [quarantine] backend, dir or dsn changed: that takes a restart", m.log())
        r = m.send(HTML, "4TQM0002")
        self.assertEqual(r.action, "tempfail")
        self.assertTrue(r.reply.code.startswith("451 4.3.0 "), r.reply.code)
        plain = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: p\r\n\r\n"
                 b"plain text\r\n")
        self.assertEqual(m.send(plain, "4TQM0003").action, "continue")  # needs no quarantine
        self.assertFalse(os.path.exists(f"{self.store}-elsewhere"))

    def test_a_store_that_cannot_be_made_stops_the_start(self):
        blocker = os.path.join(self.work, "not-a-dir")
        open(blocker, "w").close()
        with self.assertRaises(RuntimeError) as failed:  # Milter() raises with the log when it exits
            self.milter("unmakeable", quarantine={"dir": os.path.join(blocker, "store")})
        self.assertIn("fatal:", str(failed.exception))

    def test_held_outbound_mail_is_kept_and_discarded(self):
        m = self.milter("hold", gateway={"internal_networks": "192.0.2.0/24"},
                        outbound={"individual_numbers": "hold"})
        raw = ("From: taro@city.example.lg.jp\r\nTo: x@example.com\r\nSubject: 番号\r\n\r\n"
               "番号 123456789018\r\n").encode()
        r = m.send(raw, "4TQH0001", sender="taro@city.example.lg.jp")
        self.assertEqual(r.action, "discard")
        log = m.log()
        qid = re.search(r"4TQH0001: held in the quarantine as (\S+) \(individual_number\): "
                        r"accepted, not delivered", log)
        self.assertIsNotNone(qid, log)
        entry = json.loads(self.cli(m, "show", qid.group(1), "--json").stdout)
        self.assertEqual((entry["verdict"], entry["queue_id"]), ("hold", "4TQH0001"))
        self.assertEqual(entry["size"], len(raw))

    @unittest.skipUnless(unix_users.can_switch_users(), "needs root, setpriv and groupadd")
    def test_the_milter_run_as_root_gives_the_store_to_its_user_and_group(self):
        import pwd
        group, gid = unix_users.temp_group(self)
        nobody = pwd.getpwnam("nobody").pw_uid
        os.chmod(self.work, 0o755)  # others reach the store and read the config
        m = self.milter("owned", quarantine={"dir": self.store, "user": "nobody", "group": group})
        self.assertEqual(m.send(HTML, "4TQO0001").action, "continue")
        index = os.path.join(self.store, "index.sqlite")
        # While the milter holds the index open, with the -wal and -shm SQLite made for it.
        for path, mode in ((self.store, 0o2770), (index, 0o660), (index + "-wal", 0o660),
                           (index + "-shm", 0o660)):
            self.assertEqual(unix_users.mode_and_owner(path), (mode, nobody, gid), path)
        member, stranger = unix_users.free_uid(), unix_users.free_uid(61500)
        p = subprocess.run(unix_users.as_user(member, [gid], [MUGAI, "quarantine", "list", "--json",
                                                              "-c", m.conf]),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        (entry,) = json.loads(p.stdout)
        self.assertEqual(entry["queue_id"], "4TQO0001")
        p = subprocess.run(unix_users.as_user(member, [gid], [MUGAI, "quarantine", "show",
                                                              entry["id"], "--raw", "-c", m.conf]),
                           capture_output=True, timeout=60)  # the original, from the index
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.endswith(b"\r\n\r\n<p>hello <b>world</b></p>\r\n"), p.stdout)
        self.assertFalse(os.path.exists(os.path.join(self.store, "objects")))
        p = subprocess.run(unix_users.as_user(stranger, [], [MUGAI, "quarantine", "list", "-c",
                                                             m.conf]),
                           capture_output=True, timeout=60)
        self.assertEqual(p.returncode, 77, p.stderr)
        self.assertIn(f"(owned by nobody:{group}, mode 2770): run this as root, as nobody or as a "
                      f"member of group {group}", p.stderr.decode())


if __name__ == "__main__":
    unittest.main()
