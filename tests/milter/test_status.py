#!/usr/bin/env python3
"""`mugai status` against the real mugai-milter (driven over the milter protocol: milter_client.py
plays Postfix): the counts of messages and verdicts since start, the scanner and its signatures,
the last reload (loaded, then refused), the configuration changed on disk without a reload, the
quarantine's size, the clock; in text and --json, with the exit status a monitoring system keys
on (0 ok, 1 warnings, 75 not running or failing closed). A clean stop removes the status file; a
milter killed with -9 leaves one whose process is gone; a milter without signatures is critical."""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import milter_client as mc  # noqa: E402
import scan_db  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MUGAI_BUILD") or os.path.join(ROOT, "build")
MUGAI = os.environ.get("MUGAI") or os.path.join(BUILD, "mugai")
MUGAI_MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(BUILD, "mugai-milter")

HTML = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: news\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hello</p>\r\n")
VIRUS = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: v\r\n"
         b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
         b"Content-Type: text/plain\r\n\r\nsee\r\n--b\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Disposition: attachment; filename=a.com\r\n\r\n" + scan_db.EICAR + b"\r\n--b--\r\n")


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Status(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.mkdtemp(prefix="mugai-status-")
        self.addCleanup(shutil.rmtree, self.work, True)
        self.status_file = os.path.join(self.work, "status.json")
        self.conf = os.path.join(self.work, "mugai.conf")

    def write_conf(self, database, extra=""):
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), database)
        text = scan_db.config_with_keys(text, "milter", status_file=self.status_file)
        text = scan_db.config_with_keys(text, "quarantine", dir=os.path.join(self.work, "q"))
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text + extra)

    def start(self):
        self.port = free_port()
        self.log_path = os.path.join(self.work, "milter.log")
        log = open(self.log_path, "ab")
        self.addCleanup(log.close)
        proc = subprocess.Popen([MUGAI_MILTER, "-f", "-c", self.conf, "-p",
                                 f"inet:{self.port}@127.0.0.1"], stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        self.wait_for(lambda: os.path.exists(self.status_file), "the status file")
        return proc

    def wait_for(self, predicate, what, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if predicate():
                return
            time.sleep(0.05)
        self.fail(f"no {what} after {timeout} s: {read(self.log_path)}")

    def send(self, raw, qid):
        headers, body = mc.split_message(raw)
        with mc.MilterClient("127.0.0.1", self.port, timeout=60) as c:
            c.negotiate(leadspc=True)
            c.connect("mx.example.co.jp", "192.0.2.25", 45678, "4",
                      macros={"{daemon_name}": "smtpd"})
            c.helo("mx.example.co.jp")
            return c.send_message(headers, body, queue_id=qid)

    def status(self, *args):
        p = subprocess.run([MUGAI, "status", "-c", self.conf, *args], capture_output=True,
                           timeout=60, text=True)
        return p.returncode, p.stdout, p.stderr

    def status_json(self):
        rc, out, err = self.status("--json")
        return rc, json.loads(out)

    def reload_and_wait(self, proc, word):
        """SIGHUP; the milter rewrites the status file at once with the reload's result."""
        proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: (self.status_json()[1]["milter"] or {}).get("last_reload", {})
                      .get("result") == word, f"reload {word}")

    def expected_exit(self, report):
        """0, or 1 when the only problems are warnings (this machine's clock may not be synced)."""
        return 1 if report["problems"] else 0

    def test_counts_scanner_reloads_quarantine_and_the_exit_status(self):
        self.write_conf(scan_db.database())
        proc = self.start()
        self.assertTrue(self.send(HTML, "4STA1").delivered)
        self.assertEqual(self.send(VIRUS, "4STA2").action, "reject")
        self.reload_and_wait(proc, "loaded")
        rc, report = self.status_json()
        m = report["milter"]
        self.assertEqual(m["pid"], proc.pid)
        self.assertEqual(m["messages"]["total"], 2)
        self.assertEqual(m["messages"]["delivered"], 1)
        self.assertEqual(m["messages"]["rejected"], 1)
        self.assertEqual(m["messages"]["virus"], 1)
        self.assertTrue(m["scanner"]["ready"])
        self.assertGreater(m["scanner"]["signatures"], 0)
        self.assertGreater(m["scanner"]["signature_time"], 0)
        self.assertEqual(m["config"]["source"], self.conf)
        self.assertEqual(report["quarantine"]["entries"], 2)
        self.assertIn(report["health"], ("ok", "warning"))
        self.assertEqual(rc, self.expected_exit(report), report)
        clock_problems = [p for p in report["problems"] if "clock is not synchronised" in p]
        self.assertEqual(bool(clock_problems), not report["clock"]["synchronised"])

        rc, text, _ = self.status()
        self.assertIn(f"mugai-milter: running, pid {proc.pid} as uid {os.getuid()}", text)
        self.assertIn("messages since start: 2 (delivered 1, rejected 1, tempfailed 0", text)
        self.assertIn("viruses 1", text)
        self.assertIn("scanner: libclamav ClamAV", text)
        self.assertIn("quarantine: 2 entries", text)
        self.assertRegex(text, r"last reload: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, loaded")

        # changed on disk without a reload: a warning naming the file, exit 1
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("\n")
        rc, report = self.status_json()
        self.assertEqual(rc, 1)
        self.assertTrue(any("changed on disk without a reload" in p for p in report["problems"]))

        # a reload that is refused stays visible (read through a valid copy: `mugai status`
        # with the broken file itself is a configuration error, exit 2, naming the problem)
        valid = read(self.conf)
        with open(self.conf, "a", encoding="utf-8") as f:
            f.write("[limits]\nmime_depth = 101\n")
        copy = os.path.join(self.work, "copy.conf")
        with open(copy, "w", encoding="utf-8") as f:
            f.write(valid)
        proc.send_signal(signal.SIGHUP)
        self.wait_for(lambda: '"result" : "refused"' in read(self.status_file),
                      "refused reload")
        rc, out, err = self.status()
        self.assertEqual(rc, 2)
        self.assertIn("configuration error:", err)
        self.assertIn("mime_depth", err)
        p = subprocess.run([MUGAI, "status", "-c", copy], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout)
        self.assertIn("the last reload was refused:", p.stdout)
        self.assertIn("mime_depth", p.stdout)
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(valid)

        # a clean stop removes the file: not running, 75
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        self.assertFalse(os.path.exists(self.status_file))
        rc, text, _ = self.status()
        self.assertEqual(rc, 75)
        self.assertIn("mugai-milter: NOT RUNNING", text)
        self.assertIn("health: critical", text)

    def test_killed_milter_leaves_a_file_whose_process_is_gone(self):
        self.write_conf(scan_db.database())
        proc = self.start()
        proc.kill()
        proc.wait()
        rc, report = self.status_json()
        self.assertEqual(rc, 75)
        self.assertIsNone(report["milter"])
        self.assertTrue(any("which is gone" in p for p in report["problems"]), report)

    def test_without_signatures_it_is_critical(self):
        self.write_conf(os.path.join(self.work, "no-such-database"))
        self.start()
        rc, report = self.status_json()
        self.assertEqual(rc, 75)
        self.assertEqual(report["health"], "critical")
        self.assertFalse(report["milter"]["scanner"]["ready"])
        self.assertTrue(any("no usable virus scanner" in p and "451" in p
                            for p in report["problems"]), report)


if __name__ == "__main__":
    unittest.main()
