#!/usr/bin/env python3
"""reload_under_load.py [--build DIR] [--clients N] ... — the libclamav engine reloaded while mail
flows (issue 5: "a reload must not make any message wait or fail"). Numbers only, no assertions;
about a minute on 2 cores.

Starts the built mugai-milter (`-f -p SOCKET -c CONF`) scanning from a database directory under
/tmp holding the test signatures of tests/scan_db.py plus a SYNTHETIC synthetic.hdb of
--signatures (500 000) random MD5 hash signatures, a stand-in for the size of the official
databases, which cannot be downloaded here; [scan] reload_interval = 1s. --clients (4) threads
then send --message (tests/golden/attachments_japanese_names/input.eml) continuously through
tests/milter/milter_client.py, one milter connection per message as most SMTP sessions are.

After --warmup seconds synthetic.hdb is replaced by one with other signatures, once per --styles
entry, --gap seconds apart:
  freshclam  as freshclam 1.x updates: a tmp.XXXXXX directory made in the database directory,
             the file written there and held --download seconds (the download), renamed into
             place, the directory removed;
  outside    the file written outside the database directory (same file system) and renamed in:
             a single change.
The milter notices within reload_interval, logs "signatures changed", builds a new engine beside
the old one and logs "virus scanner reloaded in X s". Mail keeps flowing --after seconds past the
last replacement. The directory is removed at the end.

--socket unix (the default) talks over a Unix socket; --socket inet over TCP to 127.0.0.1, where
every message waits about 40 ms more: libmilter writes its end-of-message replies (each header
change, the body, the verdict) as separate small packets on a socket without TCP_NODELAY, so
after the first one Nagle waits for the client's delayed ACK.

Prints: messages sent and answered by action (a tempfail or a client error is a bug: each is
listed with its reply and time), latency p50/p99/max of each phase (before, each reload window
from "signatures changed" to "reloaded", the time between, after; a message belongs to the phase
it started in; latency is connect to end-of-message reply, the Python client's own time included),
the largest ms= of the milter's own summary lines
(mugai's time in end of message) and every message over 50 ms there with its distance from a
"reloaded" line, how many reloads each replacement caused and their delay (first change of the directory ->
"reloaded") and the load time the milter logged, and the milter's memory from /proc/PID/status:
VmHWM (peak) before the first reload and after each replacement, the largest VmRSS sampled (every
20 ms) in each phase, and VmRSS at the end (do the old engines' pages go back?).

The same message is sent over and over, so after its first scan libclamav's clean-file cache
answers for its parts (an MD5 of each part per lookup); a new engine starts with an empty cache.
"""
import argparse
import concurrent.futures
import datetime
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "milter"))
import scan_db  # noqa: E402
import milter_client as mc  # noqa: E402

CONNECT_MACROS = {"j": "gw.city.example.lg.jp", "{daemon_name}": "smtpd",
                  "{daemon_addr}": "127.0.0.1", "v": "Postfix 3.8.6",
                  "_": "mx.example.co.jp [192.0.2.25]"}
CHANGED = "signatures changed, loading the signatures again"
RELOADED = re.compile(r"virus scanner reloaded in ([\d.]+)s: (.*)")
FAILED = "virus scanner reload failed"


def hdb_text(count, seed):
    """COUNT random hash signatures (md5:size:name lines), the same for the same SEED."""
    rnd = random.Random(seed)
    return "".join(f"{rnd.randbytes(16).hex()}:{rnd.randint(1024, 4 << 20)}:Synthetic.Hash-{i:06d}\n"
                   for i in range(count))


def replace_database(style, db, staging, text, download):
    """Replace DB/synthetic.hdb with TEXT as STYLE says (see the module's help)."""
    target = os.path.join(db, "synthetic.hdb")
    if style == "freshclam":
        tmp = tempfile.mkdtemp(prefix="tmp.", dir=db)
        with open(os.path.join(tmp, "clamav-download.tmp"), "w") as f:
            f.write(text)
        time.sleep(download)
        os.rename(os.path.join(tmp, "clamav-download.tmp"), target)
        os.rmdir(tmp)
    else:
        new = os.path.join(staging, "synthetic.hdb")
        with open(new, "w") as f:
            f.write(text)
        os.rename(new, target)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    """(VmRSS, VmHWM) in MB of PID, or (nan, nan) once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            text = f.read()
    except OSError:
        return float("nan"), float("nan")
    rss = re.search(r"VmRSS:\s+(\d+)", text)
    hwm = re.search(r"VmHWM:\s+(\d+)", text)
    return int(rss.group(1)) / 1024, int(hwm.group(1)) / 1024


def log_time(line):
    """The wall time of a `mugai-milter -f` stderr line ("2026-12-01T09:38:45.123456 ...", local)."""
    return datetime.datetime.strptime(line[:26], "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))]


class Load:
    """N client threads sending MESSAGE until stopped; each message as
    (start, end, action, reply code or error, queue ID)."""

    def __init__(self, connect, message, clients):
        self.connect = connect
        self.headers, self.body = mc.split_message(open(message, "rb").read())
        self.stop = threading.Event()
        self.results = []
        self.lock = threading.Lock()
        self.counter = 0
        self.pool = concurrent.futures.ThreadPoolExecutor(clients)
        self.futures = [self.pool.submit(self.run) for _ in range(clients)]

    def one(self):
        with self.lock:
            self.counter += 1
            qid = f"4R{self.counter:08X}"
        t0 = time.time()
        try:
            with self.connect() as c:
                c.negotiate()
                c.connect("mx.example.co.jp", "192.0.2.25", 45678, "4", macros=CONNECT_MACROS)
                c.helo("mx.example.co.jp")
                r = c.send_message(self.headers, self.body, queue_id=qid)
                c.quit()
            action, detail = r.action, r.reply.code
        except (OSError, mc.MilterProtocolError) as e:
            action, detail = "client-error", f"{type(e).__name__}: {e}"
        return (t0, time.time(), action, detail, qid)

    def run(self):
        while not self.stop.is_set():
            r = self.one()
            with self.lock:
                self.results.append(r)

    def finish(self):
        self.stop.set()
        for f in self.futures:
            f.result()
        self.pool.shutdown()
        return sorted(self.results)


def reload_events(lines):
    """[(changed, reloaded or None, seconds logged, description)] from the milter's log."""
    events = []
    for l in lines:
        if CHANGED in l:
            events.append([log_time(l), None, float("nan"), ""])
        m = RELOADED.search(l)
        if m and events and events[-1][1] is None:
            events[-1][1:] = [log_time(l), float(m.group(1)), m.group(2)]
        if FAILED in l and events and events[-1][1] is None:
            events[-1][1:] = [log_time(l), float("nan"), l[27:]]
    return events


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--socket", choices=("unix", "inet"), default="unix")
    ap.add_argument("--signatures", type=int, default=500_000)
    ap.add_argument("--message", default=os.path.join(ROOT, "tests", "golden",
                                                      "attachments_japanese_names", "input.eml"))
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the first reload")
    ap.add_argument("--styles", default="freshclam,outside",
                    help="one database replacement per entry: freshclam or outside")
    ap.add_argument("--download", type=float, default=2.0,
                    help="seconds the freshclam style keeps its tmp.XXXXXX directory")
    ap.add_argument("--gap", type=float, default=8.0,
                    help="seconds between the end of one replacement's reloads and the next")
    ap.add_argument("--after", type=float, default=12.0, help="seconds of load after the last reload")
    args = ap.parse_args()
    styles = args.styles.split(",")
    if not all(s in ("freshclam", "outside") for s in styles):
        sys.exit(f"reload_under_load.py: --styles: freshclam or outside, not {args.styles}")
    milter = os.path.join(args.build, "mugai-milter")
    if not os.access(milter, os.X_OK):
        sys.exit(f"reload_under_load.py: {milter} not built")

    work = tempfile.mkdtemp(prefix="mugai-bench-reload-", dir="/tmp")
    proc = None
    log_path = os.path.join(work, "milter.log")

    def log_lines():
        try:
            with open(log_path, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []

    try:
        db = scan_db.make_database(os.path.join(work, "db"))
        staging = os.path.join(work, "staging")
        os.mkdir(staging)
        with open(os.path.join(db, "synthetic.hdb"), "w") as f:
            f.write(hdb_text(args.signatures, seed=0))
        texts = [hdb_text(args.signatures, seed=k + 1) for k in range(len(styles))]  # made now, not timed
        conf = os.path.join(work, "mugai.conf")
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = scan_db.config_with_database(f.read(), db, reload_interval="1s")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(text)
        if args.socket == "unix":
            path = os.path.join(work, "milter.sock")
            spec, connect = f"unix:{path}", lambda: mc.MilterClient(None, None, unix_path=path)
        else:
            port = free_port()
            spec, connect = f"inet:{port}@127.0.0.1", lambda: mc.MilterClient("127.0.0.1", port)
        with open(log_path, "wb") as log:
            proc = subprocess.Popen([milter, "-f", "-p", spec, "-c", conf],
                                    stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.time() + 120
        while not any("starting on" in l for l in log_lines()):
            if proc.poll() is not None or time.time() > deadline:
                sys.exit("mugai-milter did not start:\n" + "\n".join(log_lines()[-20:]))
            time.sleep(0.05)
        for l in log_lines():
            if "virus scanner" in l:
                print("milter:", l[27:])
        print(f"build {args.build}; socket {args.socket}; {args.clients} clients sending "
              f"{os.path.relpath(args.message, ROOT)} ({os.path.getsize(args.message)} bytes); "
              f"database: test signatures + SYNTHETIC {args.signatures} random .hdb hashes; "
              f"reload_interval = 1s; replacements: {args.styles}")

        samples = []  # (time, VmRSS MB)
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                samples.append((time.time(), proc_status(proc.pid)[0]))
                time.sleep(0.02)
        sampler = threading.Thread(target=sample)
        sampler.start()

        load = Load(connect, args.message, args.clients)
        hwm = [("before the first reload", None)]
        replaced = []  # (style, time the directory first changed)
        time.sleep(args.warmup)
        hwm[0] = (hwm[0][0], proc_status(proc.pid)[1])
        for k, style in enumerate(styles):
            if k:
                time.sleep(args.gap)
            replaced.append((style, time.time()))
            replace_database(style, db, staging, texts[k], args.download)
            # Until the reloads it caused are over: one answered after the rename, then none
            # asked for during three reload intervals.
            deadline = time.time() + 120
            while time.time() < deadline and proc.poll() is None:
                events = reload_events(log_lines())
                last = max([e[1] or time.time() for e in events] + [e[0] for e in events] + [0])
                if (events and events[-1][1] is not None and events[-1][0] > replaced[-1][1]
                        and time.time() - last > 3.0):
                    break
                time.sleep(0.1)
            hwm.append((f"after replacement {k + 1} ({style})", proc_status(proc.pid)[1]))
        time.sleep(args.after)
        results = load.finish()
        time.sleep(1)
        rss_end, hwm_end = proc_status(proc.pid)
        sampling.set()
        sampler.join()
        alive = proc.poll() is None
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)  # libmilter looks for a stop every 5 s
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        lines = log_lines()
        shutil.rmtree(work, ignore_errors=True)

    events = reload_events(lines)
    milter_ms = {}  # queue ID -> ms of its summary line: mugai's own time in end of message
    for l in lines:
        m = re.search(r"mugai-milter: (4R[0-9A-F]{8}): .* ms=([\d.]+)", l)
        if m:
            milter_ms[m.group(1)] = float(m.group(2))
    t_first, t_last = results[0][0], results[-1][1]
    bounds = [("before", t_first)]  # phases: (name, start)
    for i, (a, b, _, _) in enumerate(events):
        bounds.append((f"reload {i + 1}", a))
        if b is not None:
            bounds.append((f"after reload {i + 1}", b))
    phases = {name: [] for name, _ in bounds}
    for r in results:
        phases[[n for n, start in bounds if r[0] >= start][-1]].append(r)

    actions = {}
    for r in results:
        actions[r[2]] = actions.get(r[2], 0) + 1
    span = t_last - t_first
    print(f"\nmessages sent: {len(results)} in {span:.1f} s ({len(results) / span:.0f} msgs/s); "
          "answered: " + ", ".join(f"{k} {v}" for k, v in sorted(actions.items())))
    bad = [r for r in results if r[2] not in ("continue", "accept")]
    print(f"tempfails: {actions.get('tempfail', 0)}; client errors: {actions.get('client-error', 0)}"
          + ("" if not bad else "  <-- BUG, listed below"))
    for r in bad[:20]:
        print(f"  {r[4]} at +{r[0] - t_first:.2f} s: {r[2]} {r[3]}")

    print(f"\n{'phase':<16} {'from s':>7} {'length s':>8} {'msgs':>6} {'msgs/s':>7} "
          f"{'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'milter max ms':>13} {'max VmRSS MB':>12}")
    for i, (name, start) in enumerate(bounds):
        end = bounds[i + 1][1] if i + 1 < len(bounds) else t_last
        rs = phases[name]
        lat = sorted((r[1] - r[0]) * 1000 for r in rs)
        peak = max((s for t, s in samples if start <= t < end), default=float("nan"))
        length = end - start
        print(f"{name:<16} {start - t_first:7.2f} {length:8.2f} {len(rs):6d} "
              f"{len(rs) / length if length > 0 else 0:7.0f} {percentile(lat, 0.5):7.1f} "
              f"{percentile(lat, 0.99):7.1f} {max(lat, default=float('nan')):7.1f} "
              f"{max((milter_ms.get(r[4], float('nan')) for r in rs), default=float('nan')):13.1f} {peak:12.1f}")

    print()
    for k, (style, at) in enumerate(replaced):
        until = replaced[k + 1][1] if k + 1 < len(replaced) else float("inf")
        mine = [(i, e) for i, e in enumerate(events) if at <= e[0] < until]
        print(f"replacement {k + 1} ({style}) at +{at - t_first:.2f} s: {len(mine)} reload(s)")
        for i, (a, b, logged, what) in mine:
            print(f"  reload {i + 1}: \"signatures changed\" {a - at:.2f} s after the first change, "
                  f"\"reloaded\" {b - at if b else float('nan'):.2f} s after it "
                  f"(load logged: {logged:.2f} s): {what}")
    slow = [r for r in results if milter_ms.get(r[4], 0) > 50]
    print(f"\nmessages whose own summary line says ms > 50 (mugai's time in end of message): {len(slow)}")
    for r in slow[:10]:
        near = min(((r[1] - b, i) for i, (a, b, _, _) in enumerate(events) if b), default=None,
                   key=lambda x: abs(x[0]))
        where = f", answered {near[0]:+.3f} s from \"reloaded\" {near[1] + 1}" if near else ""
        print(f"  {r[4]} at +{r[0] - t_first:.2f} s: ms={milter_ms[r[4]]:.1f}, "
              f"{(r[1] - r[0]) * 1000:.1f} ms at the client{where}")
    for l in lines:
        if FAILED in l or "warning:" in l or "fatal:" in l:
            print("milter log:", l[27:])
    print("memory of mugai-milter: " + "; ".join(f"VmHWM {v:.1f} MB {k}" for k, v in hwm) +
          f"; at the end VmRSS {rss_end:.1f} MB, VmHWM {hwm_end:.1f} MB")
    print(f"mugai-milter {'was still running at the end' if alive else 'HAD EXITED before the end  <-- BUG'}")


if __name__ == "__main__":
    main()
