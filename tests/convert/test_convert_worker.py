#!/usr/bin/env python3
"""The converter worker (mugai-convert) and its spawner (convert_client.c, driven through
bench_convert) on good and hostile documents: every case ends in text or a named reason, within
its limits, and no worker is left behind. Fake workers (shell scripts) stand in for a worker that
hangs, crashes, spins, floods its output or answers garbage.

Environment: MUGAI_CONVERT (the worker), MUGAI_BENCH_CONVERT (the spawner driver),
MUGAI_CONVERT_DOCS (tests/convert/make_docs.py output), MUGAI_SANITIZE (ON in an ASan build:
the memory-limit case is skipped there, since RLIMIT_AS kills ASan at its first allocation)."""
import os, re, subprocess, sys, tempfile, time, unittest

WORKER = os.environ.get("MUGAI_CONVERT", "")
SPAWN = os.environ.get("MUGAI_BENCH_CONVERT", "")
DOCS = os.environ.get("MUGAI_CONVERT_DOCS", "")
ASAN = os.environ.get("MUGAI_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES")


def doc(name):
    with open(os.path.join(DOCS, name), "rb") as f:
        return f.read()


def worker(data, *args, timeout=60):
    """Run mugai-convert on DATA; (exit code, header dict, text)."""
    p = subprocess.run([WORKER] + list(args), input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    head, _, body = p.stdout.partition(b"\n\n")
    fields = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "")
                  for line in head.decode().splitlines())
    if "length" in fields:
        assert int(fields["length"]) == len(body), (fields, len(body))
    return p.returncode, fields, body.decode()


def spawn(files, *args):
    """Run the spawner on FILES; a list of dicts, one per file, and the summary dict."""
    p = subprocess.run([SPAWN] + list(args) + list(files), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = []
    for line in p.stdout.splitlines():
        row = dict((k, v.strip('"')) for k, v in re.findall(r'(\S+?)=("[^"]*"|\S*)', line))
        rows.append(row)
    return rows[:-1], rows[-1]


def processes_naming(marker):
    """PIDs whose command line contains MARKER."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


class Worker(unittest.TestCase):
    def test_converts_with_a_framed_answer_and_exit_0(self):
        rc, h, text = worker(doc("sample.pdf"), "--type=application/pdf")
        self.assertEqual(rc, 0)
        self.assertEqual((h["status"], h["kind"], h["unit"], h["count"]), ("ok", "pdf", "pages", "2"))
        self.assertIn("日本語のテキスト", text)  # poppler-data's CMaps read under the sandbox

    def test_refusal_exits_1_with_a_reason(self):
        rc, h, text = worker(doc("encrypted.pdf"))
        self.assertEqual((rc, h["status"], h["reason"], h["warnings"]), (1, "failed", "encrypted", "encrypted"))
        self.assertEqual(text, "")

    def test_input_over_max_input_exits_3(self):
        rc, h, _ = worker(b"x" * 1001, "--max-input=1000")
        self.assertEqual((rc, h["status"], h["reason"]), (3, "failed", "input too large"))
        rc, h, _ = worker(b"x" * 1000, "--max-input=1000")
        self.assertEqual(rc, 0)

    def test_usage_and_regular_file_stdout_exit_2(self):
        self.assertEqual(worker(b"", "--bogus")[0], 2)
        with tempfile.TemporaryFile() as out:
            p = subprocess.run([WORKER], input=b"hi", stdout=out, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"must be a pipe", p.stderr)

    def test_resource_limits_are_in_place_before_input_is_read(self):
        p = subprocess.Popen([WORKER, "--cpu=7", "--memory=300"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            limits = ""
            for _ in range(100):  # until the worker has set them and waits on stdin
                with open(f"/proc/{p.pid}/limits") as f:
                    limits = f.read()
                if re.search(r"Max file size\s+0\s", limits):
                    break
                time.sleep(0.02)

            def row(name):
                return re.search(name + r"\s+(\S+)\s+(\S+)", limits).groups()
            self.assertEqual(row("Max file size"), ("0", "0"))
            self.assertEqual(row("Max core file size"), ("0", "0"))
            if not ASAN:  # LeakSanitizer needs to clone at exit
                self.assertEqual(row("Max processes"), ("0", "0"))
            self.assertEqual(row("Max open files"), ("16", "16"))
            self.assertEqual(row("Max cpu time"), ("7", "8"))
            if not ASAN:
                self.assertEqual(row("Max address space"), (str(300 << 20), str(300 << 20)))
        finally:
            p.communicate(b"hello", timeout=30)
        self.assertEqual(p.returncode, 0)

    def test_seccomp_filter_is_installed_before_parsing(self):
        if ASAN:
            self.skipTest("the ASan build runs without the filter (LeakSanitizer needs ptrace)")
        # A document big enough that the worker is still parsing when we look: a CSV of 40 MB.
        data = b"a,b,c\n" * ((40 << 20) // 6)
        p = subprocess.Popen([WORKER, "--name=x.csv", "--max-output=100"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        seen = set()
        try:
            p.stdin.write(data)
            p.stdin.close()
            for _ in range(500):
                try:
                    with open(f"/proc/{p.pid}/status") as f:
                        m = re.search(r"Seccomp:\s+(\d)", f.read())
                        if m:
                            seen.add(m.group(1))
                except OSError:
                    break
                if "2" in seen or p.poll() is not None:
                    break
                time.sleep(0.002)
        finally:
            p.stdout.read()
            p.stderr.read()
            p.wait(timeout=60)
            p.stdout.close()
            p.stderr.close()
        self.assertIn("2", seen)  # 2 = SECCOMP_MODE_FILTER
        self.assertEqual(p.returncode, 0)


class Spawner(unittest.TestCase):
    def run_docs(self, names, *args):
        rows, _ = spawn([os.path.join(DOCS, n) for n in names], "--worker", WORKER, *args)
        return {r["file"]: r for r in rows}

    def test_good_documents_are_converted(self):
        r = self.run_docs(["sample.docx", "sample.xlsx", "sample.pptx", "sample.odt", "sample.ods",
                           "sample.odp", "sample.pdf", "bundle.zip", "macro.docm"])
        for name, row in r.items():
            self.assertEqual(row["status"], "done", row)
        self.assertEqual(r["sample.pdf"]["count"], "2")
        self.assertEqual(r["macro.docm"]["warnings"], "macros,embedded,external_links")

    def test_hostile_documents_end_in_a_named_reason(self):
        r = self.run_docs(["bomb.docx", "liar.docx", "laughs.docx", "xxe.docx", "deep.docx", "truncated.docx",
                           "truncated.pdf", "encrypted.pdf"], "--timeout-ms=20000")
        want = {
            "bomb.docx": "word/document.xml: larger than the member limit",
            "liar.docx": "zip bomb: word/document.xml inflates past the limit",
            "laughs.docx": "word/document.xml: XML with a DTD or entities (refused)",
            "xxe.docx": "word/document.xml: XML with a DTD or entities (refused)",
            "deep.docx": "word/document.xml: XML nested deeper than 128",
            "truncated.pdf": "damaged PDF: PDF document is damaged",
            "encrypted.pdf": "encrypted",
        }
        for name, reason in want.items():
            self.assertEqual((r[name]["status"], r[name]["reason"]), ("refused", reason))
            self.assertEqual(r[name]["text_bytes"], "0")
        self.assertEqual(r["truncated.docx"]["status"], "refused")
        # the liar (20 MB inflated, 1 KB declared) is stopped at 16 MiB: the worker stays small
        self.assertLess(int(r["liar.docx"]["peak_rss_kb"]), 100 * 1024)

    def test_pdf_recursion_loop_ends(self):
        r = self.run_docs(["loop.pdf"], "--timeout-ms=20000")["loop.pdf"]
        self.assertIn(r["status"], ("done", "refused"))
        self.assertLess(int(r["ms"]), 20000)

    def test_memory_limit_is_named(self):
        if ASAN:
            self.skipTest("RLIMIT_AS kills an ASan build at its first allocation")
        # With the zip caps raised, the bomb's 200 MB member needs more than 100 MB of memory.
        r = self.run_docs(["bomb.docx"], "--memory=100", "--max-member=400000000",
                          "--max-expanded=400000000")["bomb.docx"]
        self.assertEqual((r["status"], r["reason"]), ("limit", "memory limit"))

    def test_output_cap_truncates_text(self):
        r = self.run_docs(["sample.docx"], "--max-output=20")["sample.docx"]
        self.assertEqual(r["status"], "done")
        self.assertIn("truncated", r["warnings"])
        self.assertLessEqual(int(r["text_bytes"]), 20)


class FakeWorkers(unittest.TestCase):
    """Workers that misbehave: the spawner kills, reaps and names each."""

    def fake(self, body):
        tmp = tempfile.mkdtemp(prefix="mugai-fake-worker-")
        path = os.path.join(tmp, "fake-convert")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body + "\n")
        os.chmod(path, 0o755)
        self.addCleanup(lambda: (os.unlink(path), os.rmdir(tmp)))
        return path

    def run_fake(self, body, *args):
        path = self.fake(body)
        t0 = time.monotonic()
        rows, _ = spawn([os.path.join(DOCS, "sample.pdf")], "--worker", path, *args)
        elapsed = time.monotonic() - t0
        self.assertEqual(processes_naming(path), [], "a worker was left behind")
        return rows[0], elapsed

    def test_hanging_worker_times_out_and_is_reaped(self):
        r, elapsed = self.run_fake("exec sleep 60", "--timeout-ms=500")
        self.assertEqual((r["status"], r["reason"]), ("timeout", "timeout after 500 ms"))
        self.assertLess(elapsed, 10)

    def test_worker_that_never_reads_its_input_times_out(self):
        # stdin is never read: the feed must not block the spawner past the deadline
        path = self.fake("exec sleep 60")
        big = os.path.join(os.path.dirname(path), "big.bin")
        with open(big, "wb") as f:
            f.write(b"\0" * (8 << 20))
        self.addCleanup(os.unlink, big)
        rows, _ = spawn([big], "--worker", path, "--timeout-ms=700")
        self.assertEqual(rows[0]["status"], "timeout")
        self.assertEqual(processes_naming(path), [])

    def test_hanging_wrapper_is_killed_with_what_it_started(self):
        # a wrapper script that does not exec: its child must not outlive the timeout either
        path = self.fake('echo $$ > "$(dirname "$0")/pids"\nsleep 60 &\necho $! >> "$(dirname "$0")/pids"\nwait')
        pids_file = os.path.join(os.path.dirname(path), "pids")
        self.addCleanup(lambda: os.path.exists(pids_file) and os.unlink(pids_file))
        rows, _ = spawn([os.path.join(DOCS, "sample.pdf")], "--worker", path, "--timeout-ms=500")
        self.assertEqual(rows[0]["status"], "timeout")
        with open(pids_file) as f:
            pids = [int(p) for p in f.read().split()]
        self.assertEqual(len(pids), 2, pids)

        def running(pid):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    return f.read().rsplit(")", 1)[1].split()[0] != "Z"
            except OSError:
                return False
        end = time.monotonic() + 5  # SIGKILL is at once; reparented zombies wait for their reaper
        while time.monotonic() < end and any(map(running, pids)):
            time.sleep(0.05)
        self.assertEqual([p for p in pids if running(p)], [], "the wrapper's child was left running")

    def test_crashing_worker_is_named_with_its_signal(self):
        r, _ = self.run_fake("kill -SEGV $$")
        self.assertEqual((r["status"], r["reason"]), ("crashed", "crashed (signal 11)"))

    def test_forbidden_system_call_is_named(self):
        r, _ = self.run_fake("kill -SYS $$")
        self.assertEqual((r["status"], r["reason"]), ("crashed", "crashed (signal 31: forbidden system call)"))

    def test_cpu_limit_is_named(self):
        # the soft limit, as the real worker sets it (SIGXCPU, then SIGKILL a second later)
        r, _ = self.run_fake("ulimit -S -t 1; while :; do :; done", "--timeout-ms=20000")
        self.assertEqual((r["status"], r["reason"]), ("limit", "CPU time limit"))

    def test_flooding_worker_is_cut_off(self):
        r, _ = self.run_fake("exec yes", "--max-output=1000")
        self.assertEqual((r["status"], r["reason"]), ("limit", "output too large"))

    def test_garbage_answer_is_not_text(self):
        r, _ = self.run_fake("cat >/dev/null; echo 'status: ok'; echo; echo unframed")
        self.assertEqual((r["status"], r["reason"]), ("crashed", "crashed (no valid answer)"))
        r, _ = self.run_fake("cat >/dev/null; exit 9")
        self.assertEqual((r["status"], r["reason"]), ("crashed", "crashed (exit status 9)"))

    def test_missing_worker_is_an_error(self):
        rows, _ = spawn([os.path.join(DOCS, "sample.pdf")], "--worker", "/nonexistent/mugai-convert")
        self.assertEqual(rows[0]["status"], "error")


if __name__ == "__main__":
    if not (WORKER and SPAWN and DOCS):
        print("MUGAI_CONVERT, MUGAI_BENCH_CONVERT and MUGAI_CONVERT_DOCS must be set")
        sys.exit(77)
    unittest.main()
