"""procs.py — the processes of bench/compare/compare.py: CPU and memory of a process tree from
/proc, waiting for a daemon to answer, and starting and stopping everything the benchmark runs."""
import os, signal, socket, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy", "postfix-lab.sh")
TICK = os.sysconf("SC_CLK_TCK")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def proc_stat(pid):
    """(ppid, utime+stime+cutime+cstime in ticks) of PID, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    return int(rest[1]), sum(int(x) for x in rest[11:15])


def tree_cpu(roots):
    """CPU seconds of ROOTS and all their live descendants (exited, reaped ones are in their
    parent's cutime/cstime)."""
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                stats[int(d)] = st
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo, total = set(), [r for r in roots if r in stats], 0
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += stats[p][1]
        todo.extend(children.get(p, []))
    return total / TICK


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def wait_for(what, test, timeout=60, proc=None):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {proc.returncode}")
        try:
            if test():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what}: not ready after {timeout}s")


def unix_ok(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(2)
        s.connect(path)
    return True


def tcp_ok(port):
    socket.create_connection(("127.0.0.1", port), 1).close()
    return True


def clamd_pong(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall(b"PING\n")
        return s.recv(16).startswith(b"PONG")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Procs:
    """Every process started here, stopped (by pid) at the end."""

    def __init__(self):
        self.procs, self.labs = [], []

    def start(self, name, argv, logfile, **kw):
        f = open(logfile, "ab")
        p = subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, start_new_session=True, **kw)
        self.procs.append((name, p))
        return p

    def stop(self, p, name=""):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop, SIGKILL")
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)

    def stop_all(self):
        for state in self.labs:
            subprocess.run([LAB, "stop", state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, p in reversed(self.procs):
            self.stop(p, name)
