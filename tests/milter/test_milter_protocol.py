#!/usr/bin/env python3
"""test_milter_protocol.py: the real mugai-milter, driven over the milter protocol as Postfix drives
it (milter_client.py plays Postfix), must deliver exactly what `mugai sanitize` prints.

  python3 tests/milter/test_milter_protocol.py [-v] [-k PATTERN]

Environment (CTest sets them; the defaults fit a build in ROOT/build): MUGAI (the CLI),
MUGAI_MILTER (the milter), MUGAI_ROOT (the source tree), MUGAI_BUILD.

Each configuration gets its own `mugai-milter -f -p inet:PORT@127.0.0.1 -c CONF` on a free port;
its stderr (the log, with -f) goes to a temporary file and is checked at the end: one summary
line per message, led by the queue ID sent as {i}. Every milter must stop within a few seconds of
SIGTERM. Exit status 0 when every test passed, 1 otherwise; the milters' log tails are printed on
failure. Not tested here: an unwritable spool directory (cannot be set up as root; the fault test
covers it through Postfix).
"""
import atexit
import difflib
import itertools
import os
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import milter_client as mc  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MUGAI_BUILD") or os.path.join(ROOT, "build")
MUGAI = os.environ.get("MUGAI") or os.path.join(BUILD, "mugai")
MUGAI_MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(BUILD, "mugai-milter")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them
CONF = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))
GOLDEN = os.path.join(ROOT, "tests", "golden")

# The envelope of every message, the same as tests/golden/run_golden.py uses.
SENDER = "sender@example.co.jp"
RCPT = "taro@city.example.lg.jp"
CLIENT = "192.0.2.25"
CLIENT_NAME = "mx.example.co.jp"
HELO = "mx.example.co.jp"
CONNECT_MACROS = {"j": "gw.city.example.lg.jp", "{daemon_name}": "smtpd",
                  "{daemon_addr}": "127.0.0.1", "v": "Postfix 3.8.6", "_": f"{CLIENT_NAME} [{CLIENT}]"}
START_TIMEOUT = 20.0
STOP_TIMEOUT = 8.0  # libmilter alone looks for a stop request every 5 s (MI_CHK_TIME)
PROMPT_STOP = 2.0   # mugai-milter interrupts that wait: an idle milter stops well within this

WORK = tempfile.mkdtemp(prefix="mugai-milter-test-")
_milters = {}  # config path -> MilterProcess
_qid_counter = itertools.count(1)


def new_queue_id():
    """A Postfix-looking queue ID, unique in this run."""
    return f"4T{os.getpid() % 4096:03X}{next(_qid_counter):06X}"


def tail(text, lines=30):
    return "\n".join(text.splitlines()[-lines:])


# -- the milter process ------------------------------------------------------------------------------

def expected_go_on(client, stage):
    """What the milter answers a command it lets pass: nothing where the protocol agreed on no
    reply for STAGE (an SMFIP_NR_* flag), else "continue"."""
    return "none" if client.protocol & stage else "continue"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MilterProcess:
    """One mugai-milter in the foreground. expected: queue ID -> the verdict its summary line must
    show (None: the message was abandoned, at most one line)."""

    def __init__(self, conf, name):
        self.conf = conf
        self.name = name
        self.log_path = os.path.join(WORK, f"{name}.stderr")
        self.expected = {}
        self.stopped = False
        for attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [MUGAI_MILTER, "-f", "-p", f"inet:{self.port}@127.0.0.1", "-c", conf],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
            if self._wait_listening():
                return
        raise RuntimeError(f"mugai-milter ({name}) did not start:\n{tail(self.log())}")

    def _wait_listening(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if "starting on" in self.log():
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                    return True
                except OSError:
                    pass
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        return False

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def client(self, leadspc=True, **negotiate):
        """A connection that has negotiated and sent CONNECT and HELO, as Postfix's smtpd does."""
        c = mc.MilterClient("127.0.0.1", self.port, timeout=60)
        try:
            c.negotiate(leadspc=leadspc, **negotiate)
            r = c.connect(CLIENT_NAME, CLIENT, 45678, "4", macros=CONNECT_MACROS)
            assert r is None or r.action == expected_go_on(c, mc.SMFIP_NR_CONN), f"CONNECT answered {r}"
            r = c.helo(HELO, macros={"{tls_version}": "TLSv1.3"})
            assert r is None or r.action == expected_go_on(c, mc.SMFIP_NR_HELO), f"HELO answered {r}"
        except BaseException:
            c.close()
            raise
        return c

    def summary_lines(self, qid):
        return [l for l in self.log().splitlines()
                if f"mugai-milter: {qid}: " in l and "verdict=" in l]

    def terminate(self):
        self.was_alive = self.alive()
        self.stop_started = time.monotonic()
        if self.was_alive:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self):
        """After terminate(): (exit status, or None if it did not stop in time; seconds taken)."""
        left = max(0.1, self.stop_started + STOP_TIMEOUT - time.monotonic())
        try:
            status = self.proc.wait(timeout=left)
        except subprocess.TimeoutExpired:
            status = None
            self.proc.kill()
            self.proc.wait()
        self.stopped = True
        return status, time.monotonic() - self.stop_started


def milter_for(conf, name=None):
    """The milter running CONF, started on first use."""
    if conf not in _milters:
        _milters[conf] = MilterProcess(conf, name or f"milter{len(_milters)}")
    return _milters[conf]


def derived_config(name, overrides):
    """config/mugai.conf with OVERRIDES {(group, key): value} applied, written to WORK."""
    lines = open(CONF, encoding="utf-8").read().splitlines()
    pending = dict(overrides)
    out, group = [], None

    def flush(group):
        for (g, k), v in list(pending.items()):
            if g == group:
                out.append(f"{k} = {v}")
                del pending[(g, k)]

    for line in lines:
        m = re.match(r"\s*\[([^\]]+)\]\s*$", line)
        if m:
            flush(group)
            group = m.group(1)
        else:
            m = re.match(r"\s*([A-Za-z0-9_]+)\s*=", line)
            if m and (group, m.group(1)) in pending:
                line = f"{m.group(1)} = {pending.pop((group, m.group(1)))}"
        out.append(line)
    flush(group)
    for (g, k), v in pending.items():
        out += [f"[{g}]", f"{k} = {v}"]
    path = os.path.join(WORK, f"{name}.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    return path


# -- the reference: mugai sanitize ---------------------------------------------------------------------

class CliResult:
    def __init__(self, proc):
        self.status = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr.decode("utf-8", "replace")
        lines = self.stderr.strip().splitlines()
        self.summary = lines[-1] if lines else ""


_cli_cache = {}


def cli_sanitize(conf, path):
    key = (conf, path)
    if key not in _cli_cache:
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--from", SENDER, "--rcpt", RCPT,
                            "--client", CLIENT, path], capture_output=True, timeout=120)
        _cli_cache[key] = CliResult(p)
    return _cli_cache[key]


def summary_fields(line):
    """The parts of a summary line that must not depend on the path: verdict, actions, sizes,
    parts, reason."""
    fields = dict(re.findall(r"\b(verdict|direction|actions|size|out|parts|reason)=(\S+)", line))
    return fields


def random_chunks(seed):
    """Body chunk sizes, reproducible from SEED: mostly small, now and then up to 64 KB."""
    rng = random.Random(seed)
    while True:
        kind = rng.random()
        if kind < 0.6:
            yield rng.randint(1, 17)
        elif kind < 0.9:
            yield rng.randint(18, 1500)
        else:
            yield rng.randint(1501, mc.MILTER_CHUNK_SIZE)


CHUNKINGS = {
    "one chunk": lambda seed: None,
    "1-byte chunks": lambda seed: itertools.repeat(1),
    "random chunks": random_chunks,
}


def golden_cases():
    cases = []
    for name in sorted(os.listdir(GOLDEN)):
        path = os.path.join(GOLDEN, name, "input.eml")
        if os.path.isfile(path):
            conf = os.path.join(GOLDEN, name, "mugai.conf")
            cases.append((name, path, scan_db.scanning(conf) if os.path.isfile(conf) else CONF))
    return cases


# -- assertions ----------------------------------------------------------------------------------------

class MilterTestCase(unittest.TestCase):
    maxDiff = None

    def assertSameMessage(self, got, want, label):
        if got == want:
            return
        at = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        diff = difflib.unified_diff(want.decode("utf-8", "replace").splitlines(),
                                    got.decode("utf-8", "replace").splitlines(),
                                    "mugai sanitize", "milter (delivered)", lineterm="", n=2)
        self.fail(f"{label}: delivered message differs from `mugai sanitize` at byte {at} "
                  f"(milter {len(got)} bytes, CLI {len(want)} bytes)\n"
                  f"  milter: {got[max(0, at - 60):at + 60]!r}\n"
                  f"  CLI:    {want[max(0, at - 60):at + 60]!r}\n" + "\n".join(list(diff)[:40]))

    def run_message(self, milter, path, conf, leadspc, chunks, label, client=None):
        """Send the message file PATH through MILTER and check it against `mugai sanitize`."""
        data = open(path, "rb").read()
        headers, body = mc.split_message(data)
        qid = new_queue_id()
        own = client is None
        c = client or milter.client(leadspc=leadspc)
        try:
            result = c.send_message(headers, body, chunks=chunks, queue_id=qid)
        finally:
            if own:
                c.quit()
        cli = cli_sanitize(conf, path)
        self.check_against_cli(milter, result, headers, body, c.leadspc, cli, qid, label)
        return result

    def check_against_cli(self, milter, result, headers, body, leadspc, cli, qid, label):
        self.assertIn(cli.status, (0, 3, 75), f"{label}: mugai sanitize failed: {cli.stderr[-500:]}")
        if cli.status == 0:  # a refusal may come as soon as the milter knows (e.g. too big)
            self.assertEqual(result.stage, "eom", f"{label}: the milter ended the message early: {result}")
        expected_verdict = re.search(r"verdict=(\S+)", cli.summary)
        milter.expected[qid] = expected_verdict.group(1) if expected_verdict else "?"
        if cli.status == 0:
            self.assertTrue(result.delivered, f"{label}: CLI delivers, milter answered {result.reply}")
            got = mc.delivered_message(headers, body, result.reply, leadspc)
            self.assertSameMessage(got, cli.stdout, label)
        elif cli.status == 3:
            self.assertIn(result.action, ("reject", "discard"), f"{label}: {result.reply}")
        else:
            self.assertEqual(result.action, "tempfail", f"{label}: {result.reply}")
        reply = re.search(r' reply="([^"]*)"', cli.summary)
        if cli.status != 0 and reply and result.action != "discard":
            self.assertEqual(result.reply.code, reply.group(1), f"{label}: SMTP reply")
        lines = milter.summary_lines(qid)
        self.assertEqual(len(lines), 1, f"{label}: summary lines for {qid}: {lines}")
        mine, theirs = summary_fields(lines[0]), summary_fields(cli.summary)
        if not leadspc and not all(h.raw.startswith(b" ") for h in headers):
            # Without SMFIP_HDR_LEADSPC the milter cannot know a header had no space (or a tab)
            # after its colon, and spools one space: the input size may differ, nothing else.
            mine.pop("size", None)
            theirs.pop("size", None)
        self.assertEqual(mine, theirs,
                         f"{label}: milter and CLI summaries disagree:\n  milter: {lines[0]}\n"
                         f"  CLI:    {cli.summary}")


# -- tests -------------------------------------------------------------------------------------------

class T1GoldenEquivalence(MilterTestCase):
    """Every golden input, through the milter in one chunk, 1-byte chunks and random chunks, with
    and without SMFIP_HDR_LEADSPC, is delivered as `mugai sanitize` prints it."""

    def test_golden_cases_match_cli(self):
        cases = golden_cases()
        self.assertTrue(cases, f"no golden cases in {GOLDEN}")
        for name, path, conf in cases:
            milter = milter_for(conf, "default" if conf == CONF else f"golden-{name}")
            for leadspc in (True, False):
                for chunking, make in CHUNKINGS.items():
                    seed = f"{name}/{leadspc}"
                    label = f"{name} ({'leadspc' if leadspc else 'no leadspc'}, {chunking}, seed {seed!r})"
                    with self.subTest(case=name, leadspc=leadspc, chunking=chunking):
                        self.run_message(milter, path, conf, leadspc, make(seed), label)


PLAIN_HEAD = (b"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\nMessage-ID: <edge@example.co.jp>\r\n"
              b"From: alice@example.org\r\nTo: taro@city.example.lg.jp\r\n")
PLAIN_BODY = b"Hi Taro,\r\n\r\nLunch at noon?\r\n"
HTML_TAIL = (b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\n"
             b"<html><body><p>Lunch <b>at noon</b>?</p></body></html>\r\n")

# Inputs at the edges of "what Postfix hands the milter": each must come out of the milter as
# `mugai sanitize` prints it.
EDGE_INPUTS = {
    "lf_line_ends": (PLAIN_HEAD + b"Subject: lf\r\n\r\n" + PLAIN_BODY).replace(b"\r\n", b"\n"),
    "mbox_from_line": b"From alice@example.org Mon Nov 23 10:00:00 2026\n" + PLAIN_HEAD
                      + b"Subject: mbox\r\n\r\n" + PLAIN_BODY,
    "no_space_after_colon": PLAIN_HEAD + b"Subject:lunch\r\nX-Tab:\tvalue\r\nX-Empty:\r\n"
                            b"X-Two:  spaces\r\n\r\n" + PLAIN_BODY,
    "folded_and_8bit_headers": PLAIN_HEAD + b"Subject: =?UTF-8?B?5piO5pel?=\r\n =?UTF-8?B?44Gu5Lya6K2w?=\r\n"
                               b"X-Raw: \xe6\x98\x8e\xe6\x97\xa5\r\nX-Fold:\r\n\tonly folded\r\n\r\n" + PLAIN_BODY,
    "forged_headers_mixed_case": PLAIN_HEAD + b"X-Mugai-Verdict: a\r\nSubject: forged\r\n"
                                 b"x-mugai-verdict: b\r\nX-MUGAI-ACTIONS: c\r\n  folded\r\n"
                                 b"X-Mugai-Verdict: d\r\n\r\n" + PLAIN_BODY,
    "duplicate_mime_headers_html": PLAIN_HEAD + b"Subject: html\r\nContent-Type: text/plain\r\n"
                                   b"X-Mugai-Verdict: x\r\n" + HTML_TAIL,
    "non_header_line_ends_headers": PLAIN_HEAD + b"Subject: no blank line\r\n"
                                    b"this line is not a header\r\n\r\n" + PLAIN_BODY,
    "headers_only": PLAIN_HEAD + b"Subject: no body\r\n",
    "empty_body": PLAIN_HEAD + b"Subject: empty body\r\n\r\n",
    "no_final_newline": PLAIN_HEAD + b"Subject: unterminated\r\n\r\nHi Taro,\r\nbye",
    "space_before_colon": PLAIN_HEAD + b"Subject : obsolete syntax\r\n\r\n" + PLAIN_BODY,
}


class T1EdgeInputs(MilterTestCase):
    """Message files at the edges of the header/body split: the milter path and the CLI must
    still agree, in one chunk and in 1-byte chunks, with and without SMFIP_HDR_LEADSPC."""

    def test_edge_inputs_match_cli(self):
        milter = milter_for(CONF, "default")
        for name, data in EDGE_INPUTS.items():
            path = os.path.join(WORK, f"edge-{name}.eml")
            with open(path, "wb") as f:
                f.write(data)
            for leadspc in (True, False):
                for chunking in ("one chunk", "1-byte chunks"):
                    label = f"edge input {name} ({'leadspc' if leadspc else 'no leadspc'}, {chunking})"
                    with self.subTest(case=name, leadspc=leadspc, chunking=chunking):
                        self.run_message(milter, path, CONF, leadspc, CHUNKINGS[chunking](name), label)


class T1AuthenticationResults(MilterTestCase):
    """[authentication] removes single headers of a name that keeps others, beside in-place
    changes of that name and deletions by name: the milter's edits (values first, deletions last
    to first, occurrences among the headers still there) must leave what `mugai sanitize`
    prints."""

    GW = b"mx.city.example.lg.jp"
    INPUTS = {
        # Gmail's copy above ours (occurrence 1, removed), ours with a raw 8-bit comment
        # (occurrence 2, changed), a forged copy of ours below Received (3, removed).
        "removed_before_a_changed_one": b"Authentication-Results: mx.google.com; spf=pass\r\n"
            b"Authentication-Results: " + GW + b"; dmarc=pass (\xe9) header.from=example.org\r\n"
            b"Received: from mx.example.org by relay.example.net; Mon, 23 Nov 2026 10:00:00 +0900\r\n"
            b"Authentication-Results: " + GW + b"; dmarc=pass header.from=example.org\r\n"
            b"X-Mugai-Verdict: forged\r\n" + PLAIN_HEAD + b"Subject: ar\r\n\r\n" + PLAIN_BODY,
        "removed_around_kept_ones_html": b"Authentication-Results: " + GW + b"; spf=pass\r\n"
            b"Authentication-Results: evil.example; dkim=pass\r\n"
            b"Authentication-Results: " + GW + b"; dmarc=fail header.from=example.org\r\n"
            b"Received: from mx.example.org by relay.example.net; Mon, 23 Nov 2026 10:00:00 +0900\r\n"
            b"Authentication-Results: " + GW + b"; dmarc=pass header.from=example.org\r\n"
            b"authentication-results: spf=pass\r\n" + PLAIN_HEAD + b"Subject: ar html\r\n" + HTML_TAIL,
    }

    def test_single_removals_match_cli(self):
        conf = derived_config("authentication", {
            ("authentication", "trusted_authserv_ids"): self.GW.decode()})
        milter = milter_for(conf, "authentication")
        for name, data in self.INPUTS.items():
            path = os.path.join(WORK, f"ar-{name}.eml")
            with open(path, "wb") as f:
                f.write(data)
            self.assertIn("auth_results_removed", cli_sanitize(conf, path).summary)
            for leadspc in (True, False):
                for chunking in ("one chunk", "1-byte chunks"):
                    label = f"{name} ({'leadspc' if leadspc else 'no leadspc'}, {chunking})"
                    with self.subTest(case=name, leadspc=leadspc, chunking=chunking):
                        self.run_message(milter, path, conf, leadspc, CHUNKINGS[chunking](name), label)


class T2Sessions(MilterTestCase):
    """Several messages on one connection, abort and abrupt disconnects."""

    def setUp(self):
        self.milter = milter_for(CONF, "default")
        cases = {name: path for name, path, conf in golden_cases() if conf == CONF}
        self.assertGreaterEqual(len(cases), 3, "needs three golden cases using the default config")
        # Prefer cases whose results differ, so that a result leaking into the next shows.
        preferred = ["japanese_html_newsletter", "plain_ascii_unchanged", "attachments_japanese_names"]
        self.paths = [cases[n] for n in preferred if n in cases]
        self.paths += [p for p in sorted(cases.values()) if p not in self.paths]

    def abandoned(self, c, path, stop_after):
        headers, body = mc.split_message(open(path, "rb").read())
        qid = new_queue_id()
        self.milter.expected[qid] = None
        self.assertIsNone(c.send_message(headers, body, chunks=itertools.repeat(7), queue_id=qid,
                                         stop_after=stop_after))
        return qid

    def check_healthy(self, why):
        self.assertTrue(self.milter.alive(), f"milter died after {why}:\n{tail(self.milter.log())}")
        self.run_message(self.milter, self.paths[1], CONF, True, None, f"new connection after {why}")

    def test_several_messages_one_connection(self):
        a, b, c3 = self.paths[:3]
        for leadspc in (True, False):
            with self.subTest(leadspc=leadspc):
                c = self.milter.client(leadspc=leadspc)
                try:
                    self.run_message(self.milter, a, CONF, leadspc, None, "message 1", client=c)
                    self.run_message(self.milter, b, CONF, leadspc, itertools.repeat(3),
                                     "message 2 (MAIL after EOM)", client=c)
                    self.abandoned(c, a, stop_after=40)  # message 3: ABORT mid-body
                    self.run_message(self.milter, c3, CONF, leadspc, random_chunks("s"),
                                     "message 4 (MAIL after ABORT)", client=c)
                    c.abort()  # Postfix may abort between messages too: harmless
                    self.run_message(self.milter, b, CONF, leadspc, None,
                                     "message 5 (MAIL after ABORT between messages)", client=c)
                finally:
                    c.quit()

    def test_abort_mid_body_then_quit(self):
        c = self.milter.client()
        self.abandoned(c, self.paths[0], stop_after=30)
        c.quit()
        self.check_healthy("ABORT mid-body and QUIT")

    def test_abort_after_headers_then_quit(self):
        c = self.milter.client()
        self.abandoned(c, self.paths[0], stop_after=0)
        c.quit()
        self.check_healthy("ABORT after the headers and QUIT")

    def test_abrupt_close_mid_body(self):
        c = self.milter.client()
        headers, body = mc.split_message(open(self.paths[0], "rb").read())
        qid = new_queue_id()
        self.milter.expected[qid] = None
        c.mail(SENDER, macros={"i": qid})
        c.rcpt(RCPT)
        for h in headers:
            c.header(h.name, h.value(True))
        c.eoh(macros={"i": qid})
        c.body(body[:len(body) // 2])
        c.sock.close()  # no ABORT, no QUIT
        self.check_healthy("a connection closed mid-body")

    def test_abrupt_close_mid_packet(self):
        c = self.milter.client()
        c.mail(SENDER)
        c.rcpt(RCPT)
        c.sock.sendall(struct.pack(">I", 1000) + mc.SMFIC_HEADER + b"Subject\0only part")
        c.sock.close()
        self.check_healthy("a connection closed mid-packet")

    def test_parallel_connections(self):
        # Connections are served by separate threads: eight at once, each with its own message,
        # must each get their own result.
        import concurrent.futures
        jobs = [(self.paths[i % len(self.paths)], i % 2 == 0, random_chunks(f"parallel{i}"))
                for i in range(8)]

        def one(job):
            path, leadspc, chunks = job
            data = open(path, "rb").read()
            headers, body = mc.split_message(data)
            qid = new_queue_id()
            c = self.milter.client(leadspc=leadspc)
            try:
                return path, leadspc, headers, body, qid, c.send_message(headers, body, chunks=chunks,
                                                                         queue_id=qid)
            finally:
                c.quit()

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(one, jobs))
        for path, leadspc, headers, body, qid, result in results:
            self.check_against_cli(self.milter, result, headers, body, leadspc,
                                   cli_sanitize(CONF, path), qid, f"parallel {os.path.basename(os.path.dirname(path))}")

    def test_close_without_reading_end_of_message_reply(self):
        # The milter writes its header edits and a new body of several 64 KB chunks to a socket
        # that is gone (EPIPE / ECONNRESET, SIGPIPE if not ignored).
        c = self.milter.client()
        html = b"<html><body>" + b"".join(b"<p>paragraph %d: <b>lunch</b> at noon?</p>\r\n" % i
                                          for i in range(8000)) + b"</body></html>\r\n"
        headers, body = mc.split_message(PLAIN_HEAD + b"Subject: big html\r\n" + HTML_TAIL.split(b"\r\n\r\n")[0]
                                         + b"\r\n\r\n" + html)
        self.assertGreater(len(body), 3 * 65536)
        qid = new_queue_id()
        c.mail(SENDER, macros={"i": qid})
        c.rcpt(RCPT)
        for h in headers:
            c.header(h.name, h.value(True))
        c.eoh()
        for off in range(0, len(body), mc.MILTER_CHUNK_SIZE):
            c.body(body[off:off + mc.MILTER_CHUNK_SIZE])
        c.send_packet(mc.SMFIC_BODYEOB)
        c.sock.shutdown(socket.SHUT_RDWR)
        c.sock.close()
        self.milter.expected[qid] = None  # tempfail or deliver: the MTA is gone either way
        deadline = time.monotonic() + 20
        while not self.milter.summary_lines(qid) and time.monotonic() < deadline and self.milter.alive():
            time.sleep(0.05)
        self.assertTrue(self.milter.summary_lines(qid) or not self.milter.alive(),
                        "the milter never finished the message whose MTA went away")
        time.sleep(0.2)
        self.check_healthy("a connection closed while the milter answered end of message")

    def test_refuses_mta_without_header_and_body_changes(self):
        c = mc.MilterClient("127.0.0.1", self.milter.port, timeout=10)
        try:
            with self.assertRaises((mc.MilterProtocolError, OSError)):
                c.negotiate(actions=mc.SMFIF_ADDRCPT | mc.SMFIF_DELRCPT)
                c.connect(CLIENT_NAME, CLIENT, 45678, "4")
        finally:
            c.close()
        self.assertIn("does not offer header and body changes", self.milter.log())
        self.check_healthy("a refused negotiation")


def big_message(attachment_bytes, seed):
    """A multipart message with a short text and one binary attachment of ATTACHMENT_BYTES."""
    import base64
    rng = random.Random(seed)
    blob = rng.randbytes(attachment_bytes)
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    return (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\n"
            b"Subject: big attachment\r\nDate: Mon, 23 Nov 2026 10:00:00 +0900\r\n"
            b"Message-ID: <big-1@example.co.jp>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
            b"--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the data.\r\n"
            b"--b1\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\n"
            b"Content-Disposition: attachment; filename=\"data.bin\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--b1--\r\n")


class T3Spool(MilterTestCase):
    """A message larger than [milter] spool_memory goes to a private, unlinked file in spool_dir."""

    @classmethod
    def setUpClass(cls):
        cls.spool = os.path.realpath(tempfile.mkdtemp(prefix="spool-", dir=WORK))
        cls.conf = derived_config("spool", {("milter", "spool_dir"): cls.spool,
                                           ("milter", "spool_memory"): "64K"})
        cls.milter = milter_for(cls.conf, "spool")
        cls.path = os.path.join(WORK, "big.eml")
        with open(cls.path, "wb") as f:
            f.write(big_message(3 * 1024 * 1024, "big"))

    def spool_fds(self):
        """The milter's open files in the spool directory (None when /proc cannot tell)."""
        fd_dir = f"/proc/{self.milter.proc.pid}/fd"
        try:
            names = os.listdir(fd_dir)
        except OSError:
            return None
        found = []
        for n in names:
            try:
                target = os.readlink(os.path.join(fd_dir, n))
            except OSError:
                continue
            if target.startswith(self.spool + "/"):
                found.append(target)
        return found

    def wait_no_spool_fds(self):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            fds = self.spool_fds()
            if not fds:
                return
            time.sleep(0.05)
        self.fail(f"the milter still holds spool files: {fds}")

    def test_large_message_is_spooled_privately_and_matches_cli(self):
        headers, body = mc.split_message(open(self.path, "rb").read())
        qid = new_queue_id()
        c = self.milter.client()
        try:
            for stage, step in [("mail", lambda: c.mail(SENDER, macros={"i": qid})),
                                ("rcpt", lambda: c.rcpt(RCPT))] + \
                               [("header", lambda h=h: c.header(h.name, h.value(True))) for h in headers] + \
                               [("eoh", lambda: c.eoh(macros={"i": qid}))]:
                r = step()
                self.assertTrue(r is None or r.action in ("continue", "none"), f"{stage}: {r}")
            half = len(body) // 2
            for off in range(0, half, mc.MILTER_CHUNK_SIZE):
                r = c.body(body[off:min(off + mc.MILTER_CHUNK_SIZE, half)])
                self.assertEqual(r.action, expected_go_on(c, mc.SMFIP_NR_BODY))
            # Half way: the spool is on disk, yet nothing is visible in the directory. Body
            # chunks get no reply (SMFIP_NR_BODY): give the milter time to read them.
            fds = self.spool_fds()
            deadline = time.monotonic() + 30
            while fds is not None and not fds and time.monotonic() < deadline:
                time.sleep(0.05)
                fds = self.spool_fds()
            self.assertEqual(os.listdir(self.spool), [], "spool file visible in spool_dir")
            if fds is not None:
                self.assertTrue(fds, "no spool file open in spool_dir although over spool_memory")
                self.assertTrue(all(f.endswith(" (deleted)") or "/#" in f for f in fds),
                                f"spool file has a name: {fds}")
            for off in range(half, len(body), mc.MILTER_CHUNK_SIZE):
                r = c.body(body[off:min(off + mc.MILTER_CHUNK_SIZE, len(body))])
                self.assertEqual(r.action, expected_go_on(c, mc.SMFIP_NR_BODY))
            result = mc.MessageResult("eom", c.eom(macros={"i": qid}))
        finally:
            c.quit()
        cli = cli_sanitize(self.conf, self.path)
        self.check_against_cli(self.milter, result, headers, body, True, cli, qid, "3 MB attachment")
        self.assertEqual(os.listdir(self.spool), [], "spool_dir not empty after the message")
        if self.spool_fds() is not None:
            self.wait_no_spool_fds()

    def test_abrupt_close_frees_the_spool_file(self):
        headers, body = mc.split_message(open(self.path, "rb").read())
        c = self.milter.client()
        qid = new_queue_id()
        self.milter.expected[qid] = None
        c.mail(SENDER, macros={"i": qid})
        c.rcpt(RCPT)
        for h in headers:
            c.header(h.name, h.value(True))
        c.eoh()
        for off in range(0, 1024 * 1024, mc.MILTER_CHUNK_SIZE):
            c.body(body[off:off + mc.MILTER_CHUNK_SIZE])
        c.sock.close()
        self.assertEqual(os.listdir(self.spool), [])
        if self.spool_fds() is not None:
            self.wait_no_spool_fds()
        self.assertTrue(self.milter.alive())


def sized_message(total=None, body_size=None):
    """A plain ASCII message whose spool size (headers as received, empty line, body) is TOTAL,
    or whose body is BODY_SIZE bytes."""
    head = (b"From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: size\r\n"
            b"Date: Mon, 23 Nov 2026 10:00:00 +0900\r\nMessage-ID: <size@example.co.jp>\r\n\r\n")
    if total is None:
        total = len(head) + body_size
    body = b""
    line = b"x" * 70 + b"\r\n"
    while len(head) + len(body) + len(line) + 3 <= total:
        body += line
    rest = total - len(head) - len(body)
    assert rest >= 3
    body += b"y" * (rest - 2) + b"\r\n"
    msg = head + body
    assert len(msg) == total
    return msg


class T4Limits(MilterTestCase):
    """[limits] message_size: a larger message gets 552 5.3.4 and nothing else."""

    @classmethod
    def setUpClass(cls):
        cls.conf = derived_config("small", {("limits", "message_size"): "1K"})
        cls.milter = milter_for(cls.conf, "small")

    def write(self, name, data):
        path = os.path.join(WORK, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def test_message_over_size_is_rejected_552(self):
        path = self.write("five-k.eml", sized_message(body_size=5 * 1024))
        headers, body = mc.split_message(open(path, "rb").read())
        for leadspc in (True, False):
            with self.subTest(leadspc=leadspc):
                qid = new_queue_id()
                c = self.milter.client(leadspc=leadspc)
                try:
                    result = c.send_message(headers, body, chunks=random_chunks("5k"), queue_id=qid)
                    self.assertEqual(result.action, "reject", f"at {result.stage}: {result.reply}")
                    # No reply to body chunks (SMFIP_NR_BODY): the refusal comes at the end.
                    self.assertTrue(c.protocol & mc.SMFIP_NR_BODY, f"protocol {c.protocol:#x}")
                    self.assertEqual(result.stage, "eom", result)
                    self.assertTrue(result.reply.code and result.reply.code.startswith("552 5.3.4 "),
                                    f"reply {result.reply.code!r}")
                    self.assertEqual(result.reply.modifications, [])
                    self.milter.expected[qid] = "reject"
                    # The same connection goes on with the next message.
                    small = os.path.join(GOLDEN, "plain_ascii_unchanged", "input.eml")
                    if os.path.isfile(small) and os.path.getsize(small) < 1000:
                        self.run_message(self.milter, small, self.conf, leadspc, None,
                                         "small message after a reject", client=c)
                finally:
                    c.quit()
        cli = cli_sanitize(self.conf, path)
        self.assertEqual(cli.status, 3, f"mugai sanitize: {cli.stderr[-300:]}")
        self.assertIn('reply="552 5.3.4 ', cli.summary)

    def test_headers_past_the_cap_are_refused_at_the_end_without_replies_between(self):
        """The milter asks for no reply to each header, to the end of headers and to each body
        chunk (SMFIP_NR_HDR, _EOH, _BODY: a round trip less each, as Postfix offers them):
        headers alone over the cap get no answer each, then 552 at the end of the message, and
        the connection goes on."""
        headers = [mc.Header("X-Filler", b" " + b"x" * 200) for _ in range(8)]  # ~1.7K > 1K
        qid = new_queue_id()
        c = self.milter.client()
        try:
            for flag in (mc.SMFIP_NR_HDR, mc.SMFIP_NR_EOH, mc.SMFIP_NR_BODY, mc.SMFIP_NODATA):
                self.assertTrue(c.protocol & flag, f"protocol {c.protocol:#x} lacks {flag:#x}")
            result = c.send_message(headers, b"body\r\n", queue_id=qid)
            self.assertEqual(result.stage, "eom", result)
            self.assertEqual(result.action, "reject", result.reply)
            self.assertTrue(result.reply.code.startswith("552 5.3.4 "), result.reply.code)
            self.milter.expected[qid] = "reject"
            small = os.path.join(GOLDEN, "plain_ascii_unchanged", "input.eml")
            if os.path.isfile(small) and os.path.getsize(small) < 1000:
                self.run_message(self.milter, small, self.conf, True, None,
                                 "small message after headers over the cap", client=c)
        finally:
            c.quit()

    def test_mta_without_no_reply_flags_gets_a_reply_to_every_command(self):
        """An MTA that offers none of the SMFIP_NR_* flags (Sendmail; Postfix before 2.6) gets
        "continue" to every command the milter lets pass, libmilter answering where mugai sends
        nothing, and a message over the cap its 552 at the end."""
        no_reply = (mc.SMFIP_NR_CONN | mc.SMFIP_NR_HELO | mc.SMFIP_NR_MAIL | mc.SMFIP_NR_RCPT
                    | mc.SMFIP_NR_DATA | mc.SMFIP_NR_UNKN | mc.SMFIP_NR_HDR | mc.SMFIP_NR_EOH
                    | mc.SMFIP_NR_BODY)
        path = self.write("five-k-old-mta.eml", sized_message(body_size=5 * 1024))
        headers, body = mc.split_message(open(path, "rb").read())
        qid = new_queue_id()
        c = self.milter.client(protocol=mc.SMFI_CURR_PROT & ~no_reply)  # CONNECT, HELO: continue
        try:
            self.assertEqual(c.protocol & no_reply, 0, f"protocol {c.protocol:#x}")
            steps = [("mail", lambda: c.mail(SENDER, macros={"i": qid})), ("rcpt", lambda: c.rcpt(RCPT))]
            steps += [("header", lambda h=h: c.header(h.name, h.value(True))) for h in headers]
            steps += [("eoh", lambda: c.eoh(macros={"i": qid}))]
            steps += [("body", lambda off=off: c.body(body[off:off + 1000]))
                      for off in range(0, len(body), 1000)]
            for stage, step in steps:
                r = step()
                self.assertEqual(r.action, "continue", f"{stage}: {r}")
            r = c.eom(macros={"i": qid})
            self.assertEqual(r.action, "reject", r)
            self.assertTrue(r.code.startswith("552 5.3.4 "), r.code)
            self.milter.expected[qid] = "reject"
        finally:
            c.quit()

    def test_size_limit_boundary_n_and_n_plus_1(self):
        for total, verdict in ((1024, "deliver"), (1025, "reject")):
            path = self.write(f"size-{total}.eml", sized_message(total))
            for leadspc in (True, False):
                with self.subTest(size=total, leadspc=leadspc):
                    result = self.run_message(self.milter, path, self.conf, leadspc,
                                              itertools.repeat(100), f"{total}-byte message")
                    self.assertEqual(result.delivered, verdict == "deliver", f"{result.reply}")
                    self.assertEqual(cli_sanitize(self.conf, path).status,
                                     0 if verdict == "deliver" else 3)


class T5QueueId(MilterTestCase):
    """{i} sent only with end of message (Postfix's milter_end_of_data_macros) is still the
    queue ID the summary line leads with."""

    def test_queue_id_only_at_end_of_message(self):
        milter = milter_for(CONF, "default")
        path = os.path.join(GOLDEN, "plain_ascii_unchanged", "input.eml")
        if not os.path.isfile(path):
            path = golden_cases()[0][1]
        headers, body = mc.split_message(open(path, "rb").read())
        qid = new_queue_id()
        c = milter.client()
        try:
            c.mail(SENDER)
            c.rcpt(RCPT)
            c.data()
            for h in headers:
                c.header(h.name, h.value(True))
            c.eoh()
            c.body(body)
            result = mc.MessageResult("eom", c.eom(macros={"i": qid}))
        finally:
            c.quit()
        self.check_against_cli(milter, result, headers, body, True, cli_sanitize(CONF, path), qid,
                               "{i} at EOM only")


class T9Logs(MilterTestCase):
    """Run last: every completed message has exactly one summary line, led by its queue ID, with
    the verdict `mugai sanitize` gave; abandoned messages have at most one."""

    def test_one_summary_line_per_message(self):
        self.assertTrue(_milters, "no milter was started")
        for milter in _milters.values():
            for qid, verdict in milter.expected.items():
                lines = milter.summary_lines(qid)
                with self.subTest(milter=milter.name, qid=qid):
                    if verdict is None:
                        self.assertLessEqual(len(lines), 1, lines)
                    else:
                        self.assertEqual(len(lines), 1, lines)
                        self.assertIn(f" verdict={verdict} ", lines[0] + " ")
                        self.assertRegex(lines[0], rf"mugai-milter: {qid}: from=<{re.escape(SENDER)}> "
                                                   rf"rcpts=1 client={re.escape(CLIENT)} verdict=")


def stop_all():
    """SIGTERM every milter at once; each must exit 0 within PROMPT_STOP and log "stopped".
    Returns the problems."""
    problems = []
    for milter in _milters.values():
        milter.terminate()
    for milter in _milters.values():
        status, took = milter.wait_stopped()
        if not milter.was_alive:
            problems.append(f"{milter.name}: had already exited with status {milter.proc.returncode}")
        elif status is None:
            problems.append(f"{milter.name}: still running {STOP_TIMEOUT:.0f} s after SIGTERM (killed)")
        elif status != 0:
            problems.append(f"{milter.name}: exit status {status} after SIGTERM")
        elif took > PROMPT_STOP:
            problems.append(f"{milter.name}: took {took:.2f} s to stop after SIGTERM (over {PROMPT_STOP} s)")
        elif not re.search(r"mugai-milter: stopped$", milter.log(), re.M):
            problems.append(f"{milter.name}: exited without logging 'stopped'")
        else:
            print(f"ok   {milter.name}: stopped by SIGTERM in {took:.2f} s")
    return problems


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def kill_leftovers():
    """Last resort (an exception in the runner itself): no milter of ours outlives the test."""
    for milter in _milters.values():
        if milter.alive():
            milter.proc.kill()
            milter.proc.wait()


def main():
    atexit.register(kill_leftovers)
    for prog in (MUGAI, MUGAI_MILTER):
        if not os.access(prog, os.X_OK):
            print(f"FAIL: {prog} is not built (set MUGAI and MUGAI_MILTER, or build {BUILD})")
            return 1
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for case in (T1GoldenEquivalence, T1EdgeInputs, T1AuthenticationResults, T2Sessions, T3Spool,
                 T4Limits, T5QueueId, T9Logs):
        suite.addTests(loader.loadTestsFromTestCase(case))
    argv = sys.argv[1:]
    verbosity = 2 if "-v" in argv else 1
    if "-k" in argv:
        pattern = argv[argv.index("-k") + 1]
        suite = unittest.TestSuite(t for t in flatten(suite) if pattern in t.id() or "T9Logs" in t.id())
    result = unittest.TextTestRunner(verbosity=verbosity, stream=sys.stdout).run(suite)
    problems = stop_all()
    for p in problems:
        print(f"FAIL {p}")
    failed = not result.wasSuccessful() or problems
    if failed:
        for milter in _milters.values():
            print(f"--- {milter.name} (-c {milter.conf}) stderr tail ---")
            print(tail(milter.log(), 40))
    ran = result.testsRun
    bad = len({getattr(t, "test_case", t).id() for t, _ in result.failures + result.errors})
    print(f"milter protocol: {ran - bad}/{ran} tests passed, {len(problems)} stop problems"
          f"{'' if failed else ' -- OK'}")
    if not failed:
        import shutil
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print(f"logs and configs kept in {WORK}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
