#!/usr/bin/env python3
"""Soak (issue 10): continuous mail through a real Postfix and mugai-milter for --minutes (default
10), with a configuration reload (SIGHUP, [notice] subject_tag changed) every --hup-every seconds
(default 30) and a signature change (a new .ndb renamed into database_dir, as freshclam does,
picked up by the reload_interval check) every --sig-every seconds (default 45). Not run by CI (too
long); run it by hand as root:

  MUGAI=build/mugai MUGAI_MILTER=build/mugai-milter tests/fault/soak.py --minutes 10
  tests/fault/soak.py --minutes 1          # the quick mode

Mail: --threads clients (default 4), each sending one message every --period seconds (default
0.2) as fast as answers come: HTML with an attachment (every fourth 100 KB), plain ISO-2022-JP
Japanese, EICAR attached (one in six). mugai-milter runs as nobody, keeps originals in an SQLite
quarantine and spools bodies over 16 KB to files. Every --sample seconds (default 5) its VmRSS,
open file descriptors (/proc/PID/fd) and threads are sampled, and at the idle points too.

Checks at the end (exit 1 when one fails, with the reason):
- every message has a final answer, 250 for clean ones and 550 for EICAR ones, and no 4xx came at
  all (a reload never defers mail); sent = delivered + rejected: the sink holds each message
  answered 250 exactly once and none answered 550; each delivered message is sanitized
  (faultlib.unsanitized: text/plain only, X-Mugai-Actions, no attachment, HTML or EICAR;
  mailcheck.py when ../shared is there); the Postfix queue is empty;
- every reload happened: one "reload: configuration ... loaded" line per SIGHUP, one "virus
  scanner reloaded" per signature change and per SIGHUP, and after each signature change a
  message carrying that change's new signature is refused 550 naming it;
- memory flat: the median VmRSS of the last quarter of the run is at most max(10 %, 4 MiB)
  above that of the second quarter;
- no descriptor growth: every --idle-every seconds (default 120) the clients stop and close
  their connections; the count then, and after the load, equals the count when idle before it;
  under load it stays within 4 per client above that (connections and files in flight);
- the quarantine holds one original per message and `mugai quarantine fsck` finds it consistent.

Reading a memory failure: VmRSS is checked, as issue 10 asks, but it counts file pages mapped
more than once. src/sanitize/filetype.c keeps a pool of libmagic handles that grows by one
whenever every handle is busy (more messages at once than ever before), up to four, and never
shrinks; each handle maps /usr/lib/file/magic.mgc, ~5.8 MB of VmRSS that is shared clean page
cache (Pss far lower). So a step of ~6-8 MB when the peak concurrency rises is the pool (at most
three such steps), not a leak: the samples show RssAnon (private memory) and the number of
magic.mgc mappings beside VmRSS. A leak grows on in RssAnon; the ASan build tells for sure
(LeakSanitizer reports at mugai-milter's exit; ASAN_OPTIONS=log_path=... keeps the report).
"""
import argparse, json, os, pwd, re, shutil, signal, statistics, sys, tempfile, threading, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import lab, scan_db  # noqa: E402


def kind_of(i):
    return "eicar" if i % 6 == 5 else ("japanese" if i % 3 == 1 else "html")


def proc_sample(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    anon = int(re.search(r"RssAnon:\s+(\d+) kB", status).group(1))
    # libmagic handles (src/sanitize/filetype.c keeps a pool, one more whenever all are busy):
    # each maps magic.mgc, ~6 MB of VmRSS that is shared page cache, not memory of its own
    with open(f"/proc/{pid}/maps") as f:
        magic = sum(1 for line in f if line.rstrip().endswith("/magic.mgc"))
    return rss, len(os.listdir(f"/proc/{pid}/fd")), threads, anon, magic


def marker_message(token, marker):
    return (f"From: {faultlib.SENDER}\r\nTo: {faultlib.RCPT}\r\nSubject: marker {token}\r\n"
            f"Message-ID: <{token}@fault.example.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
            "new signature\r\n--b\r\nContent-Type: application/octet-stream; name=\"m.bin\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + faultlib.b64(marker + b"\r\n") + b"--b--\r\n"


class Soak:
    def __init__(self, args):
        self.args = args
        self.failures = []
        self.dir = tempfile.mkdtemp(prefix="mugai-soak-")
        os.chmod(self.dir, 0o755)
        nobody = pwd.getpwnam("nobody")
        self.store = os.path.join(self.dir, "quarantine")
        spool = os.path.join(self.dir, "spool")
        for d in (self.store, spool):
            os.mkdir(d, 0o700)
            os.chown(d, nobody.pw_uid, nobody.pw_gid)
        self.db = scan_db.make_database(os.path.join(self.dir, "db"))
        os.chmod(self.db, 0o755)
        with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            self.base = f.read()
        self.base = scan_db.config_with_keys(self.base, "milter", spool_dir=spool, spool_memory="16K")
        self.base = scan_db.config_with_keys(self.base, "quarantine", dir=self.store)
        self.conf = os.path.join(self.dir, "mugai.conf")
        self.write_conf(0)
        self.stop = threading.Event()
        self.sender = None
        self.samples = []  # (t, rss kB, fds, threads)
        self.hups, self.sig_changes, self.markers = [], [], []
        self.counter = 0
        self.counter_lock = threading.Lock()
        self.pause = threading.Event()
        self.idle_cond = threading.Condition()
        self.idle_clients = 0
        self.idle_points = []  # (t, rss kB, fds, threads) with no mail in flight

    def write_conf(self, n):
        text = scan_db.config_with_keys(self.base, "notice", subject_tag=f"[soak{n}]")
        text = scan_db.config_with_database(text, self.db, reload_interval="5s")
        tmp = self.conf + ".new"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.conf)

    def fail(self, what):
        self.failures.append(what)
        print(f"FAIL: {what}", file=sys.stderr)

    def next_token(self):
        with self.counter_lock:
            i = self.counter
            self.counter += 1
        return i, f"s{i:06d}{kind_of(i)[0]}"

    def client(self):
        box = [None]
        while not self.stop.is_set():
            if self.pause.is_set():  # an idle point: no connection open, nothing in flight
                faultlib.close(box)
                with self.idle_cond:
                    self.idle_clients += 1
                    self.idle_cond.notify_all()
                    while self.pause.is_set() and not self.stop.is_set():
                        self.idle_cond.wait(0.2)
                    self.idle_clients -= 1
                continue
            began = time.monotonic()
            i, token = self.next_token()
            kind = kind_of(i)
            self.sender.send(box, kind, token, faultlib.message(kind, token, pad=100_000 if i % 8 == 0 else 0))
            self.stop.wait(max(0.0, self.args.period - (time.monotonic() - began)))
        faultlib.close(box)

    def sampler(self, pid):
        while not self.stop.is_set():
            self.samples.append((time.time(),) + proc_sample(pid))
            self.stop.wait(self.args.sample)

    def run(self):
        a = self.args
        with lab.Lab(conf=self.conf, milter_user="nobody") as the_lab:
            self.lab = the_lab
            pid = the_lab.milter.pid
            self.sender = faultlib.Sender(the_lab.port, retry=0.5, give_up=300)
            # warm-up: one of each kind, then the idle descriptor count
            for kind in faultlib.KINDS:
                self.sender.send([None], kind, f"w-{kind}", faultlib.message(kind, f"w-{kind}"))
            time.sleep(2)
            idle_before = proc_sample(pid)
            t0 = time.time()
            end = t0 + a.minutes * 60
            threads = [threading.Thread(target=self.client) for _ in range(a.threads)]
            threads.append(threading.Thread(target=self.sampler, args=(pid,)))
            for t in threads:
                t.start()
            next_hup, next_sig, next_idle = t0 + a.hup_every, t0 + a.sig_every, t0 + a.idle_every
            try:
                while time.time() < end:
                    now = time.time()
                    if now >= next_idle:
                        self.idle_point(pid, a.threads)
                        next_idle += a.idle_every
                    if now >= next_hup:
                        self.hup(the_lab)
                        next_hup += a.hup_every
                    if now >= next_sig:
                        self.signature_change(the_lab)
                        next_sig += a.sig_every
                    time.sleep(0.2)
            finally:
                self.stop.set()
                for t in threads:
                    t.join(600)
            self.load_seconds = time.time() - t0
            time.sleep(3)  # Postfix's smtpd sessions end; their milter connections close
            idle_after = proc_sample(pid)
            self.idle_points.append((time.time(),) + idle_after)
            self.check(the_lab, idle_before, idle_after)
        self.check_quarantine()
        shutil.rmtree(self.dir, ignore_errors=True)
        return 1 if self.failures else 0

    def idle_point(self, pid, clients):
        """Stop the clients (each closes its connection), let Postfix's sessions and their milter
        connections end, sample mugai-milter, and let the clients go on."""
        self.pause.set()
        with self.idle_cond:
            self.idle_cond.wait_for(lambda: self.idle_clients == clients, 300)
        time.sleep(3)
        self.idle_points.append((time.time(),) + proc_sample(pid))
        self.pause.clear()

    def hup(self, the_lab):
        n = len(self.hups) + 1
        self.write_conf(n)
        offset = len(the_lab.milter_log())
        the_lab.milter.send_signal(signal.SIGHUP)
        self.hups.append(time.time())
        # both the configuration and the signatures (SIGHUP reloads them too) before going on, so
        # that a signature change never falls into a SIGHUP's reload and each has its own line
        ok = faultlib.wait_for(lambda: "reload: configuration " in the_lab.milter_log()[offset:] and
                               "virus scanner reloaded in" in the_lab.milter_log()[offset:], 30)
        if not ok:
            self.fail(f"SIGHUP {n}: no reload lines")

    def signature_change(self, the_lab):
        n = len(self.sig_changes) + 1
        marker = f"MUGAI-SOAK-MARKER-{n}-{os.urandom(4).hex()}".encode()
        name = f"MUGAI.Soak.{n}"
        tmp = os.path.join(self.dir, "soak.ndb.part")
        with open(tmp, "w") as f:
            f.write(f"{name}:0:*:{marker.hex()}\n")
        os.chmod(tmp, 0o644)
        before = the_lab.milter_log().count("virus scanner reloaded in")
        os.rename(tmp, os.path.join(self.db, "mugai-soak.ndb"))  # replaces the previous change's
        self.sig_changes.append(time.time())
        if not faultlib.wait_for(lambda: the_lab.milter_log().count("virus scanner reloaded in") > before, 30):
            self.fail(f"signature change {n}: no reload within 30 s")
            return
        token = f"m{n:03d}"
        record = self.sender.send([None], "marker", token, marker_message(token, marker))
        self.markers.append((name, record))

    def check(self, the_lab, idle_before, idle_after):
        a = self.args
        results = self.sender.results
        log = the_lab.milter_log()
        load = {t: r for t, r in results.items() if r["kind"] in faultlib.KINDS}
        no_final = [t for t, r in results.items() if r["final"] is None]
        if no_final:
            self.fail(f"{len(no_final)} messages without a final answer: {no_final[:10]}")
        temporary = [(t, code, text) for t, r in results.items() for _, code, text in r["answers"][:-1]]
        if temporary:
            self.fail(f"{len(temporary)} temporary answers, e.g. {temporary[:5]}")
        wrong = [(t, r["final"]) for t, r in load.items()
                 if r["final"] != (550 if r["kind"] == "eicar" else 250)]
        if wrong:
            self.fail(f"{len(wrong)} messages with the wrong final answer: {wrong[:10]}")
        for name, r in self.markers:
            if r["final"] != 550 or f"Virus found: {name}.UNOFFICIAL" not in r["answers"][-1][2]:
                self.fail(f"new signature {name} not in force: {r['answers'][-1]}")
        accepted = sorted(t for t, r in results.items() if r["final"] == 250)
        rejected = sorted(t for t, r in results.items() if r["final"] == 550)
        if not the_lab.wait_delivered(len(accepted), 300):
            self.fail("accepted mail not delivered within 300 s")
        got = faultlib.delivered(the_lab)
        tokens = sorted(faultlib.token_of(m) for _, m in got)
        if tokens != accepted:
            dup = sorted({t for t in tokens if tokens.count(t) > 1}) if len(tokens) < 20000 else "?"
            self.fail(f"sink holds {len(tokens)} messages, {len(accepted)} accepted: missing "
                      f"{sorted(set(accepted) - set(tokens))[:10]}, extra {sorted(set(tokens) - set(accepted))[:10]}, "
                      f"twice {dup[:10] if isinstance(dup, list) else dup}")
        if len(results) != len(got) + len(rejected):
            self.fail(f"sent {len(results)} != delivered {len(got)} + rejected {len(rejected)}")
        bad = {}
        for raw, msg in got:
            problems = faultlib.unsanitized(raw, msg)
            if problems:
                bad[faultlib.token_of(msg)] = problems
        if bad:
            self.fail(f"{len(bad)} delivered unsanitized: {list(bad.items())[:5]}")
        if faultlib.queue_count(the_lab):
            self.fail(f"{faultlib.queue_count(the_lab)} messages left in the Postfix queue")
        config_reloads = log.count("reload: configuration ")
        if config_reloads != len(self.hups):
            self.fail(f"{len(self.hups)} SIGHUPs, {config_reloads} configuration reload lines")
        sig_reloads = log.count("virus scanner reloaded in")
        if sig_reloads != len(self.hups) + len(self.sig_changes):
            self.fail(f"{sig_reloads} signature reloads for {len(self.hups)} SIGHUPs + "
                      f"{len(self.sig_changes)} changes")
        for word in ("reload failed", "verdict=tempfail", "temporary failure", "mugai-milter: error:"):
            if word in log:
                self.fail(f"milter log says {word!r}: "
                          + next(l for l in log.splitlines() if word in l)[:300])
        if the_lab.milter.poll() is not None:
            self.fail(f"mugai-milter exited with {the_lab.milter.returncode}")
        self.summary(results, got, rejected, idle_before, idle_after)

    def summary(self, results, got, rejected, idle_before, idle_after):
        s = self.samples
        n = len(s)
        if n < 8:
            self.fail(f"only {n} samples")
            return
        q2 = s[n // 4: n // 2]
        q4 = s[3 * n // 4:]
        rss2 = statistics.median(x[1] for x in q2)
        rss4 = statistics.median(x[1] for x in q4)
        allowed = max(0.10 * rss2, 4096)
        if rss4 > rss2 + allowed:
            self.fail(f"memory grows: median VmRSS {rss2} kB in the second quarter, {rss4} kB in the last")
        fd2, fd4 = max(x[2] for x in q2), max(x[2] for x in q4)
        # Under load the count follows the mail in flight (a milter connection per SMTP session, a
        # spool file and its reading copy per message, the scanner's temp file): bounded by the
        # clients, not by time. Growth shows when nothing is in flight.
        idle_fds = [x[2] for x in self.idle_points]
        if any(f != idle_before[1] for f in idle_fds):
            self.fail(f"descriptors when idle: {idle_before[1]} before the load, then {idle_fds}")
        bound = idle_before[1] + 4 * self.args.threads
        if max(x[2] for x in s) > bound:
            self.fail(f"descriptors under load: max {max(x[2] for x in s)}, more than {bound}")
        t0 = s[0][0]
        print("\n  t(s)   VmRSS(kB)  fds  threads  RssAnon(kB)  magic.mgc maps", file=sys.stderr)
        step = max(1, n // 20)
        for x in s[::step] + ([s[-1]] if (n - 1) % step else []):
            print(f"  {x[0] - t0:6.0f} {x[1]:10d} {x[2]:4d} {x[3]:8d} {x[4]:12d} {x[5]:5d}", file=sys.stderr)
        rate = len(results) / self.load_seconds
        print(f"\n  soak: {self.load_seconds / 60:.1f} min, {len(results)} messages ({rate:.1f}/s) on "
              f"{self.args.threads} connections; delivered {len(got)} + rejected {len(rejected)} = "
              f"{len(got) + len(rejected)}; {len(self.hups)} SIGHUP reloads, {len(self.sig_changes)} "
              f"signature changes (each new signature refused its marker mail); VmRSS median "
              f"{rss2} kB (2nd quarter) -> {rss4} kB (last quarter), min {min(x[1] for x in s)} max "
              f"{max(x[1] for x in s)}; fds idle {idle_before[1]} before, at the idle points "
              f"{[x[2] for x in self.idle_points]}, max under load {fd2} (2nd quarter) / {fd4} (last); "
              f"VmRSS at the idle points {[x[1] for x in self.idle_points]} kB, RssAnon "
              f"{[x[4] for x in self.idle_points]} kB, libmagic handles {[x[5] for x in self.idle_points]}; "
              f"threads idle {idle_before[2]} -> {idle_after[2]}",
              file=sys.stderr)

    def check_quarantine(self):
        listed = faultlib.quarantine(self.conf, "list", "--json", timeout=600)
        if listed.returncode != 0:
            self.fail(f"quarantine list: {listed.stderr[-300:]}")
            return
        entries = json.loads(listed.stdout)
        subjects = [e["subject"].rsplit(" ", 1)[-1] for e in entries]
        if len(subjects) != len(set(subjects)) or set(subjects) != set(self.sender.results):
            self.fail(f"quarantine: {len(entries)} entries for {len(self.sender.results)} messages")
        fsck = faultlib.quarantine(self.conf, "fsck", "--grace", "0s", timeout=600)
        out = fsck.stdout.decode().strip()
        if fsck.returncode != 0 or "removed 0 entries without an original, 0 temp files, 0 files without an entry" not in out:
            self.fail(f"fsck (exit {fsck.returncode}): {out[-300:]} {fsck.stderr[-300:]}")
        print(f"  quarantine: {len(entries)} entries, fsck: {out.splitlines()[-1] if out else ''}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--period", type=float, default=0.2)
    ap.add_argument("--hup-every", type=float, default=30)
    ap.add_argument("--sig-every", type=float, default=45)
    ap.add_argument("--sample", type=float, default=5)
    ap.add_argument("--idle-every", type=float, default=120)
    args = ap.parse_args()
    lab.require_root_and_postfix()
    soak = Soak(args)
    rc = soak.run()
    print("soak: " + ("FAILED: " + "; ".join(soak.failures) if rc else "OK"), file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
