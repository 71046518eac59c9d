#!/usr/bin/env python3
"""End to end: two gateway hosts, one PostgreSQL quarantine, one clamd (issue 9, deploy/multi-host.md).

Two private Postfix instances on loopback, each with its own mugai-milter ([scan] backend = clamd,
[quarantine] backend = postgresql, the same dsn) and its own smtpd without milters for releases,
share one real clamd and one private PostgreSQL cluster (tests/pg_cluster.py), reached through a
dsn of two hosts whose first is down (target_session_attrs=read-write: libpq takes the second).
Each mugai-milter runs under a host name of its own (a UTS namespace: gw-a, gw-b), which is what
an entry records.

1. Mail that needs the quarantine (HTML, sanitized into text) and EICAR flows through both hosts at
   once on parallel connections: every message is answered (250, or 550 for EICAR), each host's
   sink has its own clean ones, `mugai quarantine list` on host A shows the entries of both hosts,
   each under the host and the queue ID that stored it. Entries stored by B are released through
   A's relay and arrive unchanged; the same entry released from both hosts at the same moment is
   sent once (the other release exits 3 naming the host whose release runs).
2. PostgreSQL restarted in the middle of a load run on both hosts: what needs the quarantine is
   deferred 451 while the server is down; the test's client plays the sending MTA and tries such
   a message again until it gets a final answer. At the end every message is accounted for: each
   clean one delivered once by its host, each EICAR one refused, none lost, none duplicated, and
   each has exactly one quarantine entry.

Skipped (77) when not root, or without Postfix, PostgreSQL or clamd."""
import json, os, re, shutil, socket, subprocess, sys, tempfile, threading, time, unittest
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import lab  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402
from test_scan_e2e import (CLAMD, EICAR, EICAR_NAME, RCPT, SENDER, Clamd, attachment,  # noqa: E402
                           clamd_command, mixed, send, shared_clamd, sink_ids, wait_for, write_conf)

scan_db = lab.scan_db
HOSTS = ("gw-a", "gw-b")


def html_message(mid):
    """Needs the quarantine: mugai turns the HTML into text and keeps the original."""
    return (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: html {mid}\r\nMessage-ID: <{mid}>\r\n"
            "Date: Tue, 01 Dec 2026 12:00:00 +0900\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/html; charset=utf-8\r\n\r\n<p>本文 <b>{mid}</b></p>\r\n").encode()


def virus_message(mid):
    return mixed(mid, f"eicar {mid}", attachment("eicar.com", EICAR))


def messages(host, n, eicar_every):
    """[(mid, eicar, raw)] for HOST: N messages, every EICAR_EVERY-th one EICAR."""
    out = []
    for i in range(n):
        mid = f"{host}-{i}@example.jp"
        eicar = i % eicar_every == eicar_every - 1
        out.append((mid, eicar, virus_message(mid) if eicar else html_message(mid)))
    return out


def mid_of(entry):
    """The Message-ID (without <>) an entry's Subject carries (html MID, eicar MID)."""
    return entry["subject"].split(" ", 1)[1]


class DelayedRelay:
    """TCP in front of a lab's release smtpd: each connection waits DELAY seconds before it is
    joined to the smtpd, as a relay across a network may keep a release waiting, so that two
    releases started together are sure to overlap while the first holds its claim."""

    def __init__(self, target_port, delay=1.0):
        self.target, self.delay = target_port, delay
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
        time.sleep(self.delay)
        with conn, socket.create_connection(("127.0.0.1", self.target), 10) as up:
            def pipe(src, dst):
                try:
                    while data := src.recv(65536):
                        dst.sendall(data)
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            t = threading.Thread(target=pipe, args=(up, conn), daemon=True)
            t.start()
            pipe(conn, up)
            t.join(60)

    def close(self):
        self.sock.close()


class TwoHostsPostgreSQL(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-two-pg-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.clamd = shared_clamd(self, self.dir)
        self.pg = PgCluster()
        self.addCleanup(self.pg.remove)
        self.pg.start()
        # The dsn a site with a standby writes (deploy/multi-host.md): several hosts, libpq keeping
        # the first that takes writes. Here the first is a port where nothing listens.
        self.dsn = (f"host=127.0.0.1,127.0.0.1 port={lab.free_port()},{self.pg.port} dbname=mugai "
                    f"user=mugai password={PgCluster.PASSWORD} connect_timeout=5 "
                    "target_session_attrs=read-write")
        self.conf, self.release_port, self.relay = {}, {}, {}
        for host in HOSTS:  # the same [scan] and [quarantine] on both; only the release relay differs
            self.release_port[host] = lab.free_port()
            self.relay[host] = DelayedRelay(self.release_port[host])
            self.addCleanup(self.relay[host].close)
            d = os.path.join(self.dir, host)
            os.mkdir(d)
            os.chmod(d, 0o755)
            path = write_conf(d, backend="clamd", clamd_socket=f"unix:{self.clamd.path}")
            with open(path, encoding="utf-8") as f:
                text = scan_db.config_with_keys(f.read(), "quarantine", backend="postgresql",
                                                dsn=self.dsn,
                                                release_relay=f"127.0.0.1:{self.relay[host].port}")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.conf[host] = path
        init = self.cli("gw-a", "init")  # the admin's step before the first mugai-milter starts
        self.assertEqual(init.returncode, 0, init.stderr)

    def cli(self, host, *args, popen=False):
        """`mugai quarantine ARGS -c HOST's config`, run under HOST's host name."""
        cmd = lab.with_hostname(host, [lab.MUGAI, "quarantine", args[0], "-c", self.conf[host]] +
                                list(args[1:]))
        if popen:
            return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return subprocess.run(cmd, capture_output=True, timeout=120)

    def listed(self, host, *args):
        p = self.cli(host, "list", "--json", *args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def labs(self):
        return {h: lab.Lab(conf=self.conf[h], release_port=self.release_port[h], hostname=h)
                for h in HOSTS}

    def send_all(self, hosts, plan, per_host_connections, retry_until=None, pause=0.0, answers=None):
        """Every message of PLAN ({host: [(mid, eicar, raw)]}) to its host, PER_HOST_CONNECTIONS at
        once per host, PAUSE seconds between one connection's messages. With RETRY_UNTIL (a
        monotonic time) a 4xx answer is tried again a second later, as the sending MTA would, until
        then. ANSWERS (filled as they come): {mid: [(code, text), ...]}, every answer."""
        answers = {} if answers is None else answers
        lock = threading.Lock()

        def one(port, mid, raw):
            while True:
                try:
                    code, text, _ = send(port, raw)
                except (OSError, EOFError) as e:  # smtplib.SMTPException is an OSError
                    code, text = 421, repr(e)
                with lock:
                    answers.setdefault(mid, []).append((code, text))
                if code // 100 != 4 or retry_until is None or time.monotonic() > retry_until:
                    return
                time.sleep(1)

        def run(host, chunk):
            for mid, _, raw in chunk:
                one(hosts[host].port, mid, raw)
                time.sleep(pause)
        with ThreadPoolExecutor(len(plan) * per_host_connections) as pool:
            futures = [pool.submit(run, host, msgs[i::per_host_connections])
                       for host, msgs in plan.items() for i in range(per_host_connections)]
            for f in futures:
                f.result(timeout=240)
        return answers

    def assert_accounted(self, hosts, plan, answers):
        """Every message's last answer final (250, or 550 for EICAR); each clean one delivered once,
        by its host; each message exactly one entry, under the host and queue ID that stored it."""
        for host, msgs in plan.items():
            for mid, eicar, _ in msgs:
                code, text = answers[mid][-1]
                if eicar:
                    self.assertEqual((code, text), (550, f"5.7.1 Virus found: {EICAR_NAME}"), mid)
                else:
                    self.assertEqual(code, 250, (mid, answers[mid]))
        clean = {h: sorted(f"<{mid}>" for mid, eicar, _ in plan[h] if not eicar) for h in hosts}
        for host, h in hosts.items():
            self.assertTrue(h.wait_delivered(len(clean[host]), 90), host)
            self.assertEqual(sink_ids(h), clean[host], host)  # once each: no loss, no duplicate
        entries = self.listed("gw-a")
        by_mid = {}
        for e in entries:
            by_mid.setdefault(mid_of(e), []).append(e)
        self.assertEqual(sorted(by_mid), sorted(mid for msgs in plan.values() for mid, _, _ in msgs))
        self.assertEqual(len(entries), sum(len(m) for m in plan.values()), "an entry twice")
        logs = {host: h.milter_log() for host, h in hosts.items()}
        for host, msgs in plan.items():
            for mid, eicar, _ in msgs:
                (e,) = by_mid[mid]
                self.assertEqual(e["host"], host, mid)
                self.assertEqual(e["reason"], "virus" if eicar else "none", e)
                # The queue ID its host's Postfix gave the message, in that host's summary line.
                self.assertRegex(logs[host], rf"(?m){re.escape(e['queue_id'])}: .*quarantine={e['id']}")
        fsck = self.cli("gw-b", "fsck")
        self.assertEqual(fsck.returncode, 0, fsck.stderr)
        n = len(entries)
        self.assertIn(f"{n} originals, {n} entries; removed 0 entries without an original",
                      fsck.stdout.decode())
        return by_mid

    def released_copies(self, h, mid):
        """The unsanitized copies of MID in H's sink (a release sends the original)."""
        return [raw for raw, m in h.delivered() if m["Message-ID"] == f"<{mid}>" and m["X-Mugai-Actions"] is None]

    def test_two_hosts_store_in_one_database_and_release_from_either_once(self):
        plan = {h: messages(h, 18, 6) for h in HOSTS}  # 15 sanitized and 3 EICAR per host
        raw_of = {mid: raw for msgs in plan.values() for mid, _, raw in msgs}
        labs = self.labs()
        with labs["gw-a"] as a, labs["gw-b"] as b:
            hosts = {"gw-a": a, "gw-b": b}
            answers = self.send_all(hosts, plan, 3)
            self.assertTrue(all(len(v) == 1 for v in answers.values()), answers)
            by_mid = self.assert_accounted(hosts, plan, answers)
            # Entries stored by B, released through A's relay (run on A, with A's config).
            from_b = [(mid, by_mid[mid][0]["id"]) for mid, eicar, _ in plan["gw-b"] if not eicar][:4]
            for mid, qid in from_b[:3]:
                p = self.cli("gw-a", "release", qid, "--reason", "受信者の依頼")
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertRegex(p.stdout.decode(),
                                 rf"^{qid}: released to 127\.0\.0\.1:{self.relay['gw-a'].port}: 250 ")
            self.assertTrue(a.wait_delivered(15 + 3, 60))
            for mid, qid in from_b[:3]:
                (copy,) = self.released_copies(a, mid)
                # Unchanged: the original as B received it, behind the Received header A's
                # Postfix adds (the sink writes LF line ends).
                head, rest = copy.split(b"\n", 1)
                while rest.startswith((b"\t", b" ")):
                    rest = rest.split(b"\n", 1)[1]
                self.assertTrue(head.startswith(b"Received: from "), head)
                self.assertEqual(rest, raw_of[mid].replace(b"\r\n", b"\n"), mid)
            self.assertEqual(len(b.delivered()), 15)  # nothing released went through B
            # The same entry released from both hosts at the same moment: sent once.
            mid, qid = from_b[3]
            before = {h: len(x.delivered()) for h, x in hosts.items()}
            procs = {h: self.cli(h, "release", qid, "--reason", f"both at once ({h})", popen=True)
                     for h in HOSTS}
            results = {}
            for h, p in procs.items():
                out, err = p.communicate(timeout=120)
                results[h] = (p.returncode, out.decode(), err.decode())
            self.assertEqual(sorted(r[0] for r in results.values()), [0, 3], results)
            won = next(h for h, r in results.items() if r[0] == 0)
            lost = next(h for h, r in results.items() if r[0] == 3)
            self.assertRegex(results[won][1],
                             rf"^{qid}: released to 127\.0\.0\.1:{self.relay[won].port}: 250 ")
            self.assertRegex(results[lost][2], rf"{qid} is being released already, by {won} pid \d+ "
                                               r"#[0-9a-f]+ since [0-9: -]+: not released again")
            self.assertTrue(hosts[won].wait_delivered(before[won] + 1, 60))
            time.sleep(2)  # time for a second copy, were one sent
            self.assertEqual({h: len(self.released_copies(x, mid)) for h, x in hosts.items()},
                             {h: int(h == won) for h in HOSTS})
            self.assertEqual({h: len(x.delivered()) - before[h] for h, x in hosts.items()},
                             {h: int(h == won) for h in HOSTS})
            audit = json.loads(self.cli("gw-b", "audit", "--json").stdout)
            self.assertEqual(sorted(r["id"] for r in audit if r["action"] == "release"),
                             sorted(q for _, q in from_b))
            self.assertEqual(sorted(e["id"] for e in self.listed("gw-b", "--released")),
                             sorted(q for _, q in from_b))

    def test_postgresql_restarted_during_a_load_run_loses_and_duplicates_nothing(self):
        plan = {h: messages(h, 15, 5) for h in HOSTS}  # 12 sanitized and 3 EICAR per host
        labs = self.labs()
        with labs["gw-a"] as a, labs["gw-b"] as b:
            hosts = {"gw-a": a, "gw-b": b}
            answers, outage = {}, {}

            def restart():
                # In the middle of the run: once a few messages are answered, 4 seconds down.
                wait_for(lambda: len(answers) >= 6, 60)
                outage["answered_before"] = len(answers)
                self.pg.stop()
                time.sleep(4)
                self.pg.start()
                outage["done"] = True
            t = threading.Thread(target=restart)
            t.start()
            self.send_all(hosts, plan, 3, retry_until=time.monotonic() + 150, pause=0.3, answers=answers)
            t.join(120)
            self.assertIn("done", outage, "the server was not restarted during the run")
            deferred = sorted(mid for mid, got in answers.items() if any(c // 100 == 4 for c, _ in got))
            self.assertTrue(deferred, "no message met the outage")
            self.assertLess(len(deferred), len(answers), ("every message met the outage", outage))
            for mid in deferred:  # deferred by the milter, 451, until the server was back
                self.assertTrue(all(c == 451 for c, _ in answers[mid][:-1]), answers[mid])
            self.assert_accounted(hosts, plan, answers)
            log = a.milter_log() + b.milter_log()
            self.assertIn("original not kept in the quarantine", log)
            self.assertNotIn(PgCluster.PASSWORD, log)
            print(f"\n{len(deferred)} of {len(answers)} messages deferred during the outage, "
                  f"{sum(len(g) for g in answers.values())} transactions", file=sys.stderr)


if __name__ == "__main__":
    lab.require_root_and_postfix()
    why = PgCluster.unavailable()
    if why:
        print(f"SKIPPED: {why}")
        sys.exit(77)
    if not os.path.exists(CLAMD):
        print(f"SKIPPED: {CLAMD} (clamav-daemon) is not installed")
        sys.exit(77)
    if shutil.which("unshare") is None:
        print("SKIPPED: no unshare (util-linux): the two hosts need host names of their own")
        sys.exit(77)
    unittest.main(verbosity=2)
