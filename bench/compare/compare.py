#!/usr/bin/env python3
"""compare.py [--build DIR] [--runs 3] [--quick] [--install] ... — issue 10's comparative
throughput benchmark: the same mail through a private Postfix on loopback relaying to a sink,
without a milter, with clamav-milter + clamd, with MIMEDefang + clamd, and with mugai-milter, in
the same run. Numbers only, no assertions. Run as root (Postfix's master needs it) on an
otherwise quiet machine; a full run (3 runs) takes about 15 minutes on 2 cores. See
bench/compare.md for what each configuration is and the numbers measured.

What it does:
  1. Checks its tools (postfix, smtp-source, clamd, clamav-milter, mimedefang, Perl's
     HTML::FormatText, the built mugai-milter) and says what is missing and the apt-get command;
     --install runs that command.
  2. Writes the mail (bench/compare/messages.py, --seed): synthetic.eml, a 60 KB Japanese HTML
     mail with a PDF attached; mix/, --mix messages of mostly 5-50 KB Japanese HTML/text mail,
     15 % with a 100 KB-2 MB attachment (one mix per run and one for the latency phase);
     big5.eml, big20.eml, big50.eml of 5, 20 and 50 MB. Then an EICAR check through each.
  3. Writes the test signature database (tests/scan_db.py) and starts, each with a private
     config and socket under the work directory (nothing system-wide is used or changed):
       clamd          Debian's /etc/clamav/clamd.conf with private paths, DatabaseDirectory =
                      the test database, running as root (it reads MIMEDefang's spool)
       clamav-milter  Debian's /etc/clamav/clamav-milter.conf with private paths, talking to
                      that clamd (unix socket): scanning only
       MIMEDefang     mimedefang + mimedefang-multiplexor (Debian's defaults: 2-10 workers,
                      user defang) with bench/compare/mimedefang-filter.pl: drops every
                      attachment, renders HTML as text, message_contains_virus_clamd();
                      two instances: "mimedefang" renders with HTML::FormatText (pure Perl),
                      "mimedefang-lite" takes HTML::Parser's text events (C, no layout)
       mugai-milter   config/mugai.conf with [scan] libclamav on the test database,
                      [quarantine] dir set (SQLite), [inbound] convert = (off) and
                      max_message_size = 64M (for the 50 MB message); inet socket on loopback
                      (its default form)
     and one private Postfix per product (deploy/postfix-lab.sh: smtpd on a port, relaying to
     an smtp-sink that stores every message).
  4. --runs times, each product in turn (the order rotates every run):
       synthetic  smtp-source -s SESSIONS -m N -F synthetic.eml (a new connection per message,
                  SESSIONS at a time; --reuse: -d, one connection per session)
       mix        a Python SMTP client, SESSIONS threads, a new connection per message, each
                  message of the run's own mix once (seed 1000 * SEED + run: the same messages
                  again would be answered from the scanners' clean-file caches)
     msgs/s = messages / (first send -> the last one in the sink and Postfix's queue empty);
     ratio = msgs/s / Postfix alone's in the same run; CPU ms/message of the milter side =
     utime+stime from /proc/PID/stat (with cutime/cstime, and every live descendant: the
     MIMEDefang workers) of the milter processes and clamd, after minus before, / messages;
     and the same for the Postfix instance (master and its children).
     The table gives the median of the runs.
  5. Latency (--latency-rate msgs/s, default 20, for --latency-seconds): mix messages sent
     paced (open loop, up to 4 connections), end of DATA -> 250 reply as the client sees it:
     median and p99 per product, and the difference to Postfix alone.
  6. Memory of mugai-milter (a fresh process): VmRSS idle and after 20 messages; VmRSS peak
     (sampled every 20 ms, with RssAnon/RssFile/RssShmem and the largest mappings of
     /proc/PID/smaps at the peak) and VmHWM while the 5, 20 and 50 MB messages pass; the same
     under 100 concurrent SMTP connections (--conn-seconds), each sending mix messages one
     after another (VmHWM reset before each phase through /proc/PID/clear_refs).
  7. --perf: perf record -e cpu-clock --call-graph dwarf on mugai-milter during one more
     synthetic load: by DSO, top symbols, inclusive (perf-report*.txt in the work directory).
Output: a text table on stdout, and --out (default ./compare-results.json) with every run's
numbers. --keep keeps the work directory (--work, default a new /tmp/mugai-compare-*: logs,
configs, the generated mail).
--quick: one run, 200 synthetic messages, 100 mix messages, 5 s of latency and 5 s of 100
connections (each only where not given): a smoke test, not a measurement.
Every milter listens on a unix socket, as deploy/ installs mugai-milter. --products also takes
diagnostic variants: mugai-noquarantine ([quarantine] dir empty) and mugai-noscan ([scan] backend
= none), what the quarantine and the scanner cost; mugai-inet, mugai-milter on loopback TCP;
null-milter and null-milter-inet (bench/null_milter.c: libmilter with mugai-milter's options
replacing every body with a short text, no sanitizing), the floor: what any milter doing that
costs Postfix.

  cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo && make -C /tmp/b-bench mugai-milter
  sudo bench/compare/compare.py --build /tmp/b-bench
"""
import argparse, json, os, pwd, shutil, signal, socket, statistics, subprocess, sys, tempfile
import threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests"))
import scan_db  # noqa: E402
from procs import (LAB, Procs, clamd_pong, free_port, log, status_kb, tcp_ok,  # noqa: E402
                   tree_cpu, unix_ok, wait_for)

PRODUCTS = ["postfix", "clamav-milter", "mimedefang", "mimedefang-lite", "mugai"]


# ---------------------------------------------------------------------------------------------
# configurations

def private_conf(system_file, drop, add):
    """SYSTEM_FILE (a clamd-style "Key value" file) without the keys in DROP, plus ADD."""
    out = []
    try:
        with open(system_file) as f:
            for line in f:
                key = line.split(None, 1)[0] if line.strip() and not line.startswith("#") else ""
                if key and key not in drop and key not in add:
                    out.append(line.rstrip("\n"))
    except OSError:
        pass
    out += [f"{k} {v}" for k, v in add.items()]
    return "\n".join(out) + "\n"


def mugai_conf(work, db):
    text = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    text = scan_db.config_with_database(text, db)
    text = scan_db.config_with_keys(text, "quarantine", dir=os.path.join(work, "mugai-quarantine"))
    text = scan_db.config_with_keys(text, "inbound", convert="", max_message_size="64M")
    text = scan_db.config_with_keys(text, "milter", spool_dir=os.path.join(work, "mugai-spool"))
    path = os.path.join(work, "mugai.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.makedirs(os.path.join(work, "mugai-spool"), exist_ok=True)
    return path


class Env:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.procs = Procs()
        self.milter_pids = {}  # product -> [pid] whose trees are the milter side (clamd apart)
        self.labs = {}  # product -> (state dir, port)

    # --- scanners and milters
    def start_clamd(self):
        d = os.path.join(self.work, "clamd")
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        self.clamd_sock = os.path.join(d, "clamd.sock")
        conf = private_conf("/etc/clamav/clamd.conf",
                            {"LocalSocketGroup", "User", "LogSyslog", "LogFile", "PidFile", "LogRotate", "TCPSocket",
                             "TCPAddr", "DatabaseDirectory", "LocalSocket", "Foreground", "TemporaryDirectory"},
                            {"LocalSocket": self.clamd_sock, "LocalSocketMode": "666", "FixStaleSocket": "true",
                             "DatabaseDirectory": self.db, "Foreground": "true",
                             "LogFile": os.path.join(d, "clamd.log"), "PidFile": os.path.join(d, "clamd.pid"),
                             "TemporaryDirectory": os.path.join(d, "tmp"), "LogSyslog": "false"})
        cf = os.path.join(d, "clamd.conf")
        open(cf, "w").write(conf)
        p = self.procs.start("clamd", ["clamd", "-c", cf], os.path.join(d, "stdout.log"))
        wait_for("clamd", lambda: clamd_pong(self.clamd_sock), 120, p)
        self.clamd_pid = p.pid
        log(f"clamd pid {p.pid} on {self.clamd_sock}")

    def start_clamav_milter(self):
        d = os.path.join(self.work, "clamav-milter")
        os.makedirs(os.path.join(d, "tmp"), exist_ok=True)
        sock = os.path.join(d, "clamav-milter.sock")
        conf = private_conf("/etc/clamav/clamav-milter.conf",
                            {"MilterSocket", "User", "PidFile", "ClamdSocket", "LogFile", "Foreground",
                             "TemporaryDirectory", "MilterSocketGroup", "LogSyslog", "LogRotate"},
                            {"MilterSocket": sock, "MilterSocketMode": "666", "FixStaleSocket": "true",
                             "ClamdSocket": "unix:" + self.clamd_sock, "Foreground": "true",
                             "PidFile": os.path.join(d, "clamav-milter.pid"),
                             "LogFile": os.path.join(d, "clamav-milter.log"),
                             "TemporaryDirectory": os.path.join(d, "tmp"), "LogSyslog": "false"})
        cf = os.path.join(d, "clamav-milter.conf")
        open(cf, "w").write(conf)
        p = self.procs.start("clamav-milter", ["clamav-milter", "-c", cf], os.path.join(d, "stdout.log"))
        wait_for("clamav-milter", lambda: unix_ok(sock), 30, p)
        self.milter_pids["clamav-milter"] = [p.pid]
        log(f"clamav-milter pid {p.pid} on {sock}")
        return "unix:" + sock

    def start_mimedefang(self, product="mimedefang", html2text="formattext"):
        d = os.path.join(self.work, product)
        spool = os.path.join(d, "spool")
        os.makedirs(spool, exist_ok=True)
        pw = pwd.getpwnam("defang")
        os.chown(spool, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o755)
        filt = os.path.join(d, "mimedefang-filter.pl")
        text = open(os.path.join(HERE, "mimedefang-filter.pl")).read().replace("@CLAMD_SOCK@", self.clamd_sock)
        text = text.replace("@HTML2TEXT@", html2text)
        open(filt, "w").write(text)
        mx_sock = os.path.join(spool, "mimedefang-multiplexor.sock")
        sock = os.path.join(spool, "mimedefang.sock")  # created after mimedefang became user defang
        env = dict(os.environ, LC_ALL="C", HOME=spool)
        mx = self.procs.start("mimedefang-multiplexor",
                              ["mimedefang-multiplexor", "-D", "-U", "defang", "-m", "2", "-x", "10", "-b", "600",
                               "-z", spool, "-F", filt, "-s", mx_sock], os.path.join(d, "multiplexor.log"), env=env)
        wait_for("mimedefang-multiplexor", lambda: unix_ok(mx_sock), 30, mx)
        md = self.procs.start("mimedefang",
                              ["mimedefang", "-D", "-U", "defang", "-z", spool, "-m", mx_sock, "-p", sock],
                              os.path.join(d, "mimedefang.log"), env=env)
        wait_for("mimedefang", lambda: os.path.exists(sock), 30, md)
        os.chmod(sock, 0o666)  # Postfix's smtpd (user postfix) connects; Debian adds postfix to group defang
        wait_for("mimedefang socket", lambda: unix_ok(sock), 30, md)
        self.milter_pids[product] = [md.pid, mx.pid]
        log(f"mimedefang pid {md.pid}, multiplexor pid {mx.pid} on {sock}")
        return "unix:" + sock

    def start_listener(self, tag, product, argv, logf, unix):
        """Start a milter that takes -p SOCKET (appended to ARGV): a unix socket, as deploy/
        installs mugai-milter (and as clamav-milter and MIMEDefang are run here), or loopback TCP."""
        port = free_port()
        sock = os.path.join(self.work, tag + ".sock")
        spec = f"unix:{sock}" if unix else f"inet:{port}@127.0.0.1"
        p = self.procs.start(tag, argv + ["-p", spec], logf)
        wait_for(tag, (lambda: unix_ok(sock)) if unix else (lambda: tcp_ok(port)), 60, p)
        if unix:
            os.chmod(sock, 0o666)  # Postfix's smtpd runs as user postfix; deploy/ gives it the group
        self.milter_pids[product] = [p.pid]
        log(f"{tag} pid {p.pid} on {spec}")
        return p, spec

    def start_mugai(self, tag="mugai", product="mugai", conf=None, unix=True):
        """mugai-milter; unix=False: on loopback TCP (the mugai-inet variant)."""
        argv = [os.path.join(self.args.build, "mugai-milter"), "-f", "-c", conf or self.mugai_conf]
        p, spec = self.start_listener(tag, product, argv, os.path.join(self.work, f"{tag}-milter.log"), unix)
        if product == "mugai":
            self.mugai_proc = p
        return p, spec

    def start_null_milter(self, product="null-milter", unix=False):
        argv = [os.path.join(self.args.build, "null_milter")]
        return self.start_listener(product, product, argv, os.path.join(self.work, product + ".log"), unix)[1]

    def start_lab(self, product, milter):
        state = os.path.join(self.work, "lab-" + product)
        port, sink = free_port(), free_port()
        argv = [LAB, "start", state, "--port", str(port), "--sink-port", str(sink)]
        if milter:
            argv += ["--milter", milter]
        self.procs.labs.append(state)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.work, "lab.log"), "a"))
        self.labs[product] = (state, port)
        log(f"postfix for {product}: smtpd 127.0.0.1:{port}{', milter ' + milter if milter else ''}")

    def start_all(self):
        os.makedirs(self.work, exist_ok=True)
        os.chmod(self.work, 0o755)
        self.db = scan_db.make_database(os.path.join(self.work, "signatures"))
        os.chmod(self.db, 0o755)
        self.mugai_conf = mugai_conf(self.work, self.db)
        self.start_clamd()
        milters = {"postfix": None}
        if "clamav-milter" in self.args.products:
            milters["clamav-milter"] = self.start_clamav_milter()
        if "mimedefang" in self.args.products:
            milters["mimedefang"] = self.start_mimedefang()
        if "mimedefang-lite" in self.args.products:
            milters["mimedefang-lite"] = self.start_mimedefang("mimedefang-lite", "parser")
        if "mugai" in self.args.products:
            milters["mugai"] = self.start_mugai()[1]
        # diagnostic variants (only with --products): what the quarantine and the scanner cost
        variants = {"mugai-noquarantine": ("quarantine", {"dir": ""}), "mugai-noscan": ("scan", {"backend": "none"})}
        for product, (group, keys) in variants.items():
            if product in self.args.products:
                text = scan_db.config_with_keys(open(self.mugai_conf, encoding="utf-8").read(), group, **keys)
                conf = os.path.join(self.work, product + ".conf")
                open(conf, "w", encoding="utf-8").write(text)
                milters[product] = self.start_mugai(product, product, conf)[1]
        if "mugai-inet" in self.args.products:
            milters["mugai-inet"] = self.start_mugai("mugai-inet", "mugai-inet", unix=False)[1]
        if "null-milter" in self.args.products:
            milters["null-milter"] = self.start_null_milter("null-milter", True)
        if "null-milter-inet" in self.args.products:
            milters["null-milter-inet"] = self.start_null_milter("null-milter-inet", False)
        for product in self.args.products:
            self.start_lab(product, milters[product])

    # --- measurement helpers
    def sink_dir(self, product):
        return os.path.join(self.labs[product][0], "sink")

    def clear_sink(self, product):
        d = self.sink_dir(product)
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))

    def queue_files(self, product):
        q = os.path.join(self.labs[product][0], "spool")
        n = 0
        for sub in ("maildrop", "incoming", "active", "deferred"):  # not hold: clamav-milter's quarantine
            for _, _, files in os.walk(os.path.join(q, sub)):
                n += len(files)
        return n

    def master_pid(self, product):
        try:
            return int(open(os.path.join(self.labs[product][0], "spool", "pid", "master.pid")).read().split()[0])
        except (OSError, ValueError, IndexError):
            return -1

    def cpu(self, product):
        """(milter side s, clamd s, postfix s) so far."""
        milter = tree_cpu(self.milter_pids.get(product, []))
        clamd = tree_cpu([self.clamd_pid]) if product in ("clamav-milter", "mimedefang", "mimedefang-lite") else 0.0
        return milter, clamd, tree_cpu([self.master_pid(product)])

    def wait_delivered(self, product, n, stall=60):
        """Time when N messages are in the sink and the queue is empty; None on a stall."""
        d, last, last_change = self.sink_dir(product), -1, time.time()
        while True:
            c = len(os.listdir(d))
            if c >= n and self.queue_files(product) == 0:
                return time.time(), c
            if c != last:
                last, last_change = c, time.time()
            elif time.time() - last_change > stall:
                return None, c
            time.sleep(0.02)


# ---------------------------------------------------------------------------------------------
# SMTP clients

def load_message(path):
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"


class SMTP:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), 30)
        self.s.settimeout(300)
        self.f = self.s.makefile("rb")
        self.reply()
        self.cmd(b"EHLO client.example.jp")

    def reply(self):
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("connection closed")
            if line[3:4] != b"-":
                return int(line[:3]), line.decode("utf-8", "replace").strip()

    def cmd(self, c):
        self.s.sendall(c + b"\r\n")
        return self.reply()

    def send(self, data, sender=b"info@example.co.jp", rcpt=b"taro@city.example.lg.jp"):
        """(code, text, seconds from the end of DATA to the reply)."""
        code, text = self.cmd(b"MAIL FROM:<" + sender + b"> SIZE=%d" % len(data))
        if code != 250:
            return code, text, 0.0
        code, text = self.cmd(b"RCPT TO:<" + rcpt + b">")
        if code != 250:
            self.cmd(b"RSET")
            return code, text, 0.0
        code, text = self.cmd(b"DATA")
        if code != 354:
            return code, text, 0.0
        self.s.sendall(data)
        t = time.perf_counter()
        code, text = self.reply()
        return code, text, time.perf_counter() - t

    def close(self):
        try:
            self.cmd(b"QUIT")
        except OSError:
            pass
        self.s.close()


def send_one(port, data):
    try:
        c = SMTP(port)
        r = c.send(data)
        c.close()
        return r
    except OSError as e:
        return 0, f"client error: {e}", 0.0


def run_clients(port, messages, sessions):
    """Send every message once, SESSIONS threads, a new connection per message. Returns the
    list of (code, text, latency)."""
    results = [None] * len(messages)
    nxt = [0]
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(messages):
                return
            results[i] = send_one(port, messages[i])

    threads = [threading.Thread(target=worker) for _ in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run_paced(port, messages, rate, seconds, threads=4):
    """Open loop: message i sent at start + i / RATE, up to THREADS at once."""
    n = int(rate * seconds)
    results = [None] * n
    nxt = [0]
    lock = threading.Lock()
    start = time.perf_counter() + 0.2

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= n:
                return
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            results[i] = send_one(port, messages[i % len(messages)])

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results, n / (time.perf_counter() - start)


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))
    return v[k]


# ---------------------------------------------------------------------------------------------
# phases

def measure(env, product, workload, args, mix_msgs):
    env.clear_sink(product)
    state, port = env.labs[product]
    c0 = env.cpu(product)
    t0 = time.time()
    rejected, notes = 0, ""
    if workload == "synthetic":
        n = args.synthetic
        argv = ["smtp-source", "-s", str(args.sessions), "-m", str(n), "-f", "info@example.co.jp",
                "-t", "taro@city.example.lg.jp", "-M", "client.example.jp", "-F",
                os.path.join(env.work, "msgs", "synthetic.eml")]
        if args.reuse:
            argv.append("-d")
        r = subprocess.run(argv + [f"127.0.0.1:{port}"], capture_output=True, text=True)
        if r.returncode != 0 or r.stderr.strip():
            notes = (r.stderr.strip().splitlines() or [""])[-1][:200]
            log(f"  smtp-source {product}: rc {r.returncode}: {r.stderr.strip()[-500:]}")
    else:
        n = len(mix_msgs)
        res = run_clients(port, mix_msgs, args.sessions)
        bad = [r for r in res if r[0] != 250]
        rejected = len(bad)
        if bad:
            kinds = {}
            for r in bad:
                kinds[r[1][:60]] = kinds.get(r[1][:60], 0) + 1
            notes = "; ".join(f"{v}x {k}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:3])
            log(f"  {product} mix: {rejected} not accepted: {notes}")
    t_sent = time.time()
    t_end, got = env.wait_delivered(product, n - rejected)
    c1 = env.cpu(product)
    if t_end is None:
        log(f"  {product} {workload}: stalled at {got} of {n - rejected} delivered")
        t_end = time.time()
        notes = (notes + f"; stalled: {got} of {n - rejected} delivered").strip("; ")
    elapsed = t_end - t0
    row = {"product": product, "workload": workload, "messages": n, "delivered": got, "not_accepted": rejected,
           "seconds": round(elapsed, 3), "send_seconds": round(t_sent - t0, 3),
           "msgs_per_s": round(got / elapsed, 2),
           "milter_cpu_ms": round((c1[0] - c0[0]) * 1000 / max(got, 1), 3),
           "clamd_cpu_ms": round((c1[1] - c0[1]) * 1000 / max(got, 1), 3),
           "postfix_cpu_ms": round((c1[2] - c0[2]) * 1000 / max(got, 1), 3), "notes": notes,
           "loadavg1": float(open("/proc/loadavg").read().split()[0])}
    row["side_cpu_ms"] = round(row["milter_cpu_ms"] + row["clamd_cpu_ms"], 3)
    log(f"  {product:<14} {workload:<9} {row['msgs_per_s']:8.1f} msgs/s  milter+clamd "
        f"{row['side_cpu_ms']:6.2f} ms/msg  postfix {row['postfix_cpu_ms']:5.2f} ms/msg  ({got}/{n}, {elapsed:.1f} s)")
    return row


def rss_phase(env, args, mix_msgs):
    """Memory of a fresh mugai-milter: idle, 50 MB message, 100 connections."""
    log("memory: a fresh mugai-milter")
    env.procs.stop(env.mugai_proc, "mugai")
    state, port = env.labs["mugai"]
    p, milter = env.start_mugai("mugai-rss")
    # the lab's main.cf names the old port: restart the lab on the new one
    subprocess.run([LAB, "stop", state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([LAB, "start", state, "--port", str(port), "--sink-port", str(free_port()), "--milter", milter],
                   check=True, stdout=subprocess.DEVNULL, stderr=open(os.path.join(env.work, "lab.log"), "a"))
    pid = p.pid
    out = {}
    time.sleep(3)
    out["idle_rss_kb"] = status_kb(pid, "VmRSS")
    out["idle_hwm_kb"] = status_kb(pid, "VmHWM")
    # a few messages first, so that the lazily made parts (threads, caches) exist
    env.clear_sink("mugai")
    run_clients(port, mix_msgs[:20], 2)
    env.wait_delivered("mugai", 1, 30)
    time.sleep(1)
    out["warm_rss_kb"] = status_kb(pid, "VmRSS")

    def top_mappings():
        """The 3 mappings with the most resident memory, from /proc/PID/smaps."""
        maps, name = [], None
        try:
            for line in open(f"/proc/{pid}/smaps"):
                f = line.split()
                if not f[0].endswith(":") and "-" in f[0]:
                    name = f[5] if len(f) > 5 else "[anon]"
                elif f[0] == "Rss:":
                    maps.append((int(f[1]), name))
        except OSError:
            return ""
        return ", ".join(f"{n} {k} kB" for k, n in sorted(maps, reverse=True)[:3])

    def sampled(fn, smaps=False):
        open(f"/proc/{pid}/clear_refs", "w").write("5")  # VmHWM := VmRSS
        peak, stop = [0, ""], threading.Event()

        def sampler():
            while not stop.is_set():
                try:
                    st = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status"))
                except OSError:
                    break
                rss = int(st["VmRSS"].split()[0])
                if rss > peak[0]:
                    peak[0] = rss
                    peak[1] = " ".join(f"{k[3:]} {int(st[k].split()[0])}" for k in ("RssAnon", "RssFile", "RssShmem"))
                    if smaps:
                        peak[1] += "; largest: " + top_mappings()
                time.sleep(0.02)

        t = threading.Thread(target=sampler)
        t.start()
        r = fn()
        stop.set()
        t.join()
        return r, peak[0], status_kb(pid, "VmHWM"), peak[1]

    out["big"] = []
    for mb in (5, 20, 50):
        big = load_message(os.path.join(env.work, "msgs", f"big{mb}.eml"))
        env.clear_sink("mugai")
        t0 = time.time()
        r, peak, hwm, split = sampled(lambda: send_one(port, big), smaps=True)
        b = {"mb": mb, "bytes": len(big), "reply": r[1][:100], "seconds": round(time.time() - t0, 2),
             "peak_rss_kb": peak, "hwm_kb": hwm, "at_peak": split}
        out["big"].append(b)
        del big
        log(f"  {mb} MB message: {r[1][:60]} in {b['seconds']} s, peak VmRSS {peak} kB ({split}), VmHWM {hwm} kB")
        env.wait_delivered("mugai", 1, 60)
        time.sleep(1)

    def hundred():
        counts, lock, barrier = {"ok": 0, "bad": 0, "open": 0, "max_open": 0}, threading.Lock(), threading.Barrier(100)
        sample = {}

        def worker(k):
            try:
                c = SMTP(port)
            except OSError as e:
                with lock:
                    counts["bad"] += 1
                    sample.setdefault("connect", str(e))
                return
            with lock:
                counts["open"] += 1
                counts["max_open"] = max(counts["max_open"], counts["open"])
            try:
                barrier.wait(30)
            except threading.BrokenBarrierError:
                pass
            i, until = k, time.time() + args.conn_seconds  # from when all 100 are open
            while time.time() < until:
                try:
                    code, text, _ = c.send(mix_msgs[i % len(mix_msgs)])
                except OSError as e:
                    code, text = 0, str(e)
                with lock:
                    counts["ok" if code == 250 else "bad"] += 1
                    if code != 250:
                        sample.setdefault(text[:80], 0)
                if code == 0:
                    break
                i += 100
            with lock:
                counts["open"] -= 1
            try:
                c.close()
            except OSError:
                pass

        ts = [threading.Thread(target=worker, args=(k,)) for k in range(100)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        counts["errors"] = list(sample)[:5]
        return counts

    env.clear_sink("mugai")
    counts, peak, hwm, split = sampled(hundred)
    out["conn100"] = counts
    out["conn100_peak_rss_kb"], out["conn100_hwm_kb"], out["conn100_at_peak"] = peak, hwm, split
    log(f"  100 connections: {counts}, peak VmRSS {peak} kB, VmHWM {hwm} kB")
    time.sleep(2)
    out["after_rss_kb"] = status_kb(pid, "VmRSS")
    out["threads_after"] = status_kb(pid, "Threads")
    return out


def perf_phase(env, args):
    if not shutil.which("perf"):
        log("perf: not installed (apt-get install linux-perf)")
        return None
    state, port = env.labs["mugai"]
    pid = env.milter_pids["mugai"][0]
    data = os.path.join(env.work, "perf.data")
    perf_log = open(os.path.join(env.work, "perf-record.log"), "wb")
    rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "--call-graph", "dwarf,16384", "-F", "999", "-o", data, "-p", str(pid)],
                           stdout=perf_log, stderr=subprocess.STDOUT)
    time.sleep(1)
    env.clear_sink("mugai")
    subprocess.run(["smtp-source", "-s", str(args.sessions), "-m", str(args.synthetic), "-f", "info@example.co.jp",
                    "-t", "taro@city.example.lg.jp", "-F", os.path.join(env.work, "msgs", "synthetic.eml"),
                    f"127.0.0.1:{port}"], capture_output=True)
    env.wait_delivered("mugai", args.synthetic, 60)
    rec.send_signal(signal.SIGINT)
    rec.wait(120)
    perf_log.close()
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso,symbol",
                          "-g", "none", "--percent-limit", "0.7"], capture_output=True, text=True)
    lines = [l for l in rep.stdout.splitlines() if l.strip() and not l.startswith("#")]
    with open(os.path.join(env.work, "perf-report.txt"), "w") as f:
        f.write(rep.stdout)
    rep2 = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", "dso",
                           "-g", "none"], capture_output=True, text=True)
    dsos = [l for l in rep2.stdout.splitlines() if l.strip() and not l.startswith("#")][:12]
    rep3 = subprocess.run(["perf", "report", "-i", data, "--stdio", "--children", "--sort", "symbol",
                           "-g", "none", "--percent-limit", "3"], capture_output=True, text=True)
    inclusive = [l for l in rep3.stdout.splitlines() if l.strip() and not l.startswith("#")][:40]
    with open(os.path.join(env.work, "perf-report-children.txt"), "w") as f:
        f.write(rep3.stdout)
    return {"symbols": lines[:30], "dsos": dsos, "inclusive": inclusive}


# ---------------------------------------------------------------------------------------------

def check_tools(args):
    missing, pkgs = [], set()
    for tool, pkg in [("postfix", "postfix"), ("smtp-source", "postfix"), ("smtp-sink", "postfix"),
                      ("clamd", "clamav-daemon"), ("clamav-milter", "clamav-milter"),
                      ("mimedefang", "mimedefang"), ("mimedefang-multiplexor", "mimedefang")]:
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            missing.append(tool)
            pkgs.add(pkg)
    if subprocess.run(["perl", "-MHTML::FormatText", "-MHTML::TreeBuilder", "-e1"], capture_output=True).returncode:
        missing.append("perl HTML::FormatText")
        pkgs.add("libhtml-formattext-withlinks-perl")
    # Debian 12's mimedefang 3.3 does not depend on it, but mimedefang.pl will not start without
    # it (Mail::MIMEDefang::Net uses Net::DNS): every message then gets 451 4.7.1.
    if subprocess.run(["perl", "-MNet::DNS", "-e1"], capture_output=True).returncode:
        missing.append("perl Net::DNS")
        pkgs.add("libnet-dns-perl")
    try:
        pwd.getpwnam("defang")
    except KeyError:
        if "mimedefang" in args.products:
            missing.append("user defang")
            pkgs.add("mimedefang")
    if args.perf and not shutil.which("perf"):
        missing.append("perf")
        pkgs.add("linux-perf")
    if pkgs:
        cmd = ["apt-get", "install", "-y"] + sorted(pkgs)
        if args.install:
            log("installing: " + " ".join(cmd))
            subprocess.run(["apt-get", "update"], check=True)
            subprocess.run(cmd, check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        else:
            sys.exit(f"compare.py: missing {', '.join(missing)}; install with:\n  {' '.join(cmd)}\n"
                     "(or rerun with --install). Debian starts the packages' system services; this "
                     "script uses none of them.")
    if not os.access(os.path.join(args.build, "mugai-milter"), os.X_OK):
        sys.exit(f"compare.py: {args.build}/mugai-milter not built (make -C {args.build} mugai-milter)")


def median_rows(rows):
    out = {}
    for r in rows:
        out.setdefault((r["workload"], r["product"]), []).append(r)
    med = {}
    for key, rs in out.items():
        med[key] = {k: statistics.median([r[k] for r in rs]) for k in
                    ("msgs_per_s", "side_cpu_ms", "milter_cpu_ms", "clamd_cpu_ms", "postfix_cpu_ms", "ratio")}
        med[key]["runs"] = len(rs)
        med[key]["not_accepted"] = sum(r["not_accepted"] for r in rs)
        med[key]["undelivered"] = sum(r["messages"] - r["not_accepted"] - r["delivered"] for r in rs)
        med[key]["notes"] = "; ".join(sorted({r["notes"] for r in rs if r["notes"]}))[:200]
    return med


def main():
    ap = argparse.ArgumentParser(description="issue 10's comparative throughput benchmark")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--synthetic", type=int, default=None, help="messages of the synthetic load")
    ap.add_argument("--mix", type=int, default=None, help="messages of the realistic mix")
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--reuse", action="store_true", help="smtp-source -d: one connection per session")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--products", default=",".join(PRODUCTS))
    ap.add_argument("--workloads", default="synthetic,mix")
    ap.add_argument("--latency-rate", type=float, default=20)
    ap.add_argument("--latency-seconds", type=float, default=None)
    ap.add_argument("--conn-seconds", type=float, default=None, help="length of the 100-connection phase")
    ap.add_argument("--no-latency", action="store_true")
    ap.add_argument("--no-rss", action="store_true")
    ap.add_argument("--perf", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--install", action="store_true")
    ap.add_argument("--work")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out")
    ap.set_defaults(runs_full=3, synthetic_full=1000, mix_full=500, latency_seconds_full=20, conn_seconds_full=20)
    args = ap.parse_args()
    args.products = [p for p in args.products.split(",") if p]
    if "postfix" not in args.products:
        args.products.insert(0, "postfix")
    quick = {"runs": 1, "synthetic": 200, "mix": 100, "latency_seconds": 5, "conn_seconds": 5}
    for k, v in quick.items():
        if getattr(args, k) is None:
            setattr(args, k, v if args.quick else ap.get_default(k + "_full"))
    if os.geteuid() != 0:
        sys.exit("compare.py: run as root (Postfix's master needs it)")
    check_tools(args)
    work = args.work or tempfile.mkdtemp(prefix="mugai-compare-")
    env = Env(args, work)
    stopping = []

    def on_signal(sig, frame):
        stopping.append(sig)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    results = {"command": " ".join(sys.argv), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "host": {"nproc": os.cpu_count(), "loadavg_start": open("/proc/loadavg").read().split()[:3]},
               "args": {k: v for k, v in vars(args).items()}, "rows": []}
    try:
        log(f"work directory {work}; generating mail (seed {args.seed})")
        subprocess.run([sys.executable, os.path.join(HERE, "messages.py"), os.path.join(work, "msgs"),
                        "--seed", str(args.seed), "--mix", str(args.mix)] + ([] if not args.no_rss else ["--no-big"]),
                       check=True)
        # a mix of its own for every run and for the latency phase (seeds SEED*1000 + run, + 999):
        # the same 500 messages again would be answered from clamd's and libclamav's clean-file
        # caches the second time (the messages of one mix are all different)
        def make_mix(seed, name):
            d = os.path.join(work, name)
            subprocess.run([sys.executable, os.path.join(HERE, "messages.py"), d, "--seed", str(seed),
                            "--mix", str(args.mix), "--no-big"], check=True)
            return [load_message(os.path.join(d, "mix", n)) for n in sorted(os.listdir(os.path.join(d, "mix")))]

        mixes = [make_mix(args.seed * 1000 + r, f"mix-run{r + 1}") for r in range(args.runs)]
        latency_mix = make_mix(args.seed * 1000 + 999, "mix-latency")
        mix_msgs = latency_mix
        env.start_all()
        versions = {}
        for name, argv in [("postfix", ["postconf", "-d", "-h", "mail_version"]), ("clamd", ["clamd", "--version"]),
                           ("clamav-milter", ["clamav-milter", "--version"]),
                           ("mimedefang", ["mimedefang", "-v"]),
                           ("mugai", [os.path.join(args.build, "mugai-milter"), "--version"])]:
            r = subprocess.run(argv, capture_output=True, text=True)
            versions[name] = (r.stdout + r.stderr).strip().splitlines()[0] if (r.stdout + r.stderr).strip() else "?"
        results["versions"] = versions
        # the synthetic message through each first: engines warm, every path works; what each
        # delivers is recorded (the MIME structure)
        import email
        results["delivered"] = {}
        synth = load_message(os.path.join(work, "msgs", "synthetic.eml"))
        for product in args.products:
            env.clear_sink(product)
            r = send_one(env.labs[product][1], synth)
            env.wait_delivered(product, 1, 30)
            files = os.listdir(env.sink_dir(product))
            parts = []
            if files:
                raw = subprocess.run([LAB, "message", os.path.join(env.sink_dir(product), files[0])],
                                     capture_output=True).stdout
                shutil.copy(os.path.join(env.sink_dir(product), files[0]), os.path.join(work, f"delivered-{product}.txt"))
                m = email.message_from_bytes(raw)
                parts = [f"{q.get_content_type()}({len(q.get_payload(decode=True) or b'')})" for q in m.walk()]
            results["delivered"][product] = {"reply": r[1][:80], "parts": parts}
            log(f"warm-up {product}: {r[1][:60]}; delivered {' '.join(parts)}")
        workloads = [w for w in args.workloads.split(",") if w]
        for run in range(args.runs):
            order = args.products[run % len(args.products):] + args.products[:run % len(args.products)]
            for workload in workloads:
                log(f"run {run + 1}/{args.runs} {workload}: {' '.join(order)}")
                rows = [measure(env, p, workload, args, mixes[run]) for p in order]
                base = next(r for r in rows if r["product"] == "postfix")["msgs_per_s"]
                for r in rows:
                    r["run"] = run + 1
                    r["ratio"] = round(r["msgs_per_s"] / base, 3) if base else float("nan")
                results["rows"] += rows
        if not args.no_latency:
            results["latency"] = {}
            for product in args.products:
                env.clear_sink(product)
                res, achieved = run_paced(env.labs[product][1], latency_mix, args.latency_rate, args.latency_seconds)
                lat = [r[2] * 1000 for r in res if r[0] == 250]
                results["latency"][product] = {"sent": len(res), "accepted": len(lat), "rate": round(achieved, 1),
                                               "median_ms": round(pct(lat, 50), 2), "p99_ms": round(pct(lat, 99), 2),
                                               "max_ms": round(max(lat), 2) if lat else None,
                                               "loadavg1": float(open("/proc/loadavg").read().split()[0])}
                log(f"latency {product}: {results['latency'][product]}")
                env.wait_delivered(product, len(lat), 60)
        # the same signatures for all: EICAR in a zip-less attachment through each
        eicar = ("From: a@example.co.jp\nTo: b@city.example.lg.jp\nSubject: eicar\nMIME-Version: 1.0\n"
                 "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\n"
                 "Content-Type: application/octet-stream; name=e.com\nContent-Disposition: attachment; "
                 "filename=e.com\n\n").encode() + scan_db.EICAR + b"\n--b--\n"
        results["eicar"] = {}
        for product in args.products:
            r = send_one(env.labs[product][1], b"".join(l + b"\r\n" for l in eicar.split(b"\n")) + b".\r\n")
            results["eicar"][product] = r[1][:100]
            log(f"EICAR through {product}: {r[1][:100]}")
        if args.perf and "mugai" in args.products:
            results["perf"] = perf_phase(env, args)
        if not args.no_rss and "mugai" in args.products:
            results["memory"] = rss_phase(env, args, mix_msgs)
    except KeyboardInterrupt:
        log("interrupted; stopping everything")
    finally:
        env.procs.stop_all()
    results["host"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
    out = args.out or os.path.abspath("compare-results.json")
    with open(out, "w") as f:
        json.dump(results, f, indent=1, ensure_ascii=False)
    report(results)
    print(f"\nresults: {out}; work directory {work}" + (" kept" if args.keep else " removed"))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if stopping:
        sys.exit(1)


def report(results):
    rows = results["rows"]
    print(f"\n{results['command']}\n{results['date']}, {results['host']['nproc']} CPUs, load "
          f"{' '.join(results['host']['loadavg_start'])} -> {' '.join(results['host'].get('loadavg_end', []))}")
    for k, v in results.get("versions", {}).items():
        print(f"  {k}: {v}")
    if rows:
        med = median_rows(rows)
        runs = max(r["run"] for r in rows)
        print(f"\nthroughput, median of {runs} run(s); CPU = ms of CPU per delivered message")
        print(f"{'workload':<10} {'product':<14} {'msgs/s':>8} {'ratio':>6} {'milter+clamd':>12} {'(clamd)':>8} "
              f"{'postfix':>8}  notes")
        order = {p: i for i, p in enumerate(PRODUCTS + ["mugai-inet", "mugai-noquarantine", "mugai-noscan", "null-milter",
                                                   "null-milter-inet"])}
        for (w, p), m in sorted(med.items(), key=lambda kv: (kv[0][0] != "synthetic", order.get(kv[0][1], 99))):
            bad = ""
            if m["not_accepted"] or m["undelivered"]:
                bad = f"not accepted {m['not_accepted']}, undelivered {m['undelivered']} (all runs) "
            print(f"{w:<10} {p:<14} {m['msgs_per_s']:8.1f} {m['ratio']:6.2f} {m['side_cpu_ms']:12.2f} "
                  f"{m['clamd_cpu_ms']:8.2f} {m['postfix_cpu_ms']:8.2f}  {bad}{m['notes']}")
        print("\nevery run:")
        for r in rows:
            print(f"  run {r['run']} {r['workload']:<9} {r['product']:<14} {r['msgs_per_s']:8.1f} msgs/s "
                  f"ratio {r['ratio']:.2f}  milter+clamd {r['side_cpu_ms']:.2f} ms/msg  postfix "
                  f"{r['postfix_cpu_ms']:.2f}  {r['delivered']}/{r['messages']} in {r['seconds']} s, load {r['loadavg1']}")
    lat = results.get("latency")
    if lat:
        base = lat.get("postfix", {})
        print("\nlatency, end of DATA -> 250 (client side), paced mix")
        print(f"{'product':<14} {'rate':>6} {'median ms':>9} {'p99 ms':>8} {'added median':>12} {'added p99':>9}")
        for p, l in lat.items():
            print(f"{p:<14} {l['rate']:6.1f} {l['median_ms']:9.2f} {l['p99_ms']:8.2f} "
                  f"{l['median_ms'] - base.get('median_ms', 0):12.2f} {l['p99_ms'] - base.get('p99_ms', 0):9.2f}"
                  + ("" if l["accepted"] == l["sent"] else f"  ({l['sent'] - l['accepted']} not accepted)"))
    if results.get("delivered"):
        print("\nwhat each delivers of synthetic.eml (MIME type(decoded bytes) of every part):")
        for p, d in results["delivered"].items():
            print(f"  {p:<14} {' '.join(d['parts'])}")
    if results.get("eicar"):
        print("\nEICAR attachment (the same test signatures for all):")
        for p, r in results["eicar"].items():
            print(f"  {p:<14} {r}")
    mem = results.get("memory")
    if mem:
        print("\nmugai-milter memory (kB)")
        print(f"  idle after start: VmRSS {mem['idle_rss_kb']}; after 20 messages: {mem['warm_rss_kb']}")
        for b in mem["big"]:
            print(f"  {b['mb']} MB message ({b['bytes']} bytes on the wire, {b['seconds']} s, reply {b['reply'][:40]!r}): "
                  f"peak VmRSS {b['peak_rss_kb']} ({b['at_peak']}), VmHWM {b['hwm_kb']}")
        c = mem["conn100"]
        print(f"  100 concurrent connections ({c['max_open']} open at once, {c['ok']} accepted, {c['bad']} not"
              f"{', ' + str(c['errors']) if c['errors'] else ''}): peak VmRSS {mem['conn100_peak_rss_kb']}, "
              f"({mem['conn100_at_peak']}) VmHWM {mem['conn100_hwm_kb']}")
        print(f"  2 s later: VmRSS {mem['after_rss_kb']}, {mem['threads_after']} threads")
    perf = results.get("perf")
    if perf:
        print("\nperf (mugai-milter, synthetic load), by DSO:")
        for l in perf["dsos"]:
            print("  " + l)
        print("top symbols (self):")
        for l in perf["symbols"][:25]:
            print("  " + l)
        print("inclusive (children), >= 3 %:")
        for l in perf.get("inclusive", [])[:40]:
            print("  " + l)


if __name__ == "__main__":
    main()
