"""Helpers for the tests that run mugai-milter in front of a real, private Postfix instance
(deploy/postfix-lab.sh): start/stop both, send over SMTP, read what the sink received."""
import email, glob, os, pwd, shutil, signal, socket, subprocess, sys, tempfile, time
from email import policy as email_policy

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(ROOT, "build", "mugai-milter")
LAB = os.path.join(ROOT, "deploy", "postfix-lab.sh")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them
CONF = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))


def require_root_and_postfix():
    if os.geteuid() != 0 or not shutil.which("postfix", path="/usr/sbin:/usr/bin:/sbin"):
        print("SKIPPED: needs root and Postfix (deploy/install-deps.sh installs it)")
        sys.exit(77)


_ports_given = set()  # the kernel may hand out a port again once its socket is closed


def free_port():
    """A free loopback port not given out before by this process (a lab takes three in a row:
    two the same made smtp-sink and mugai-milter fight over one, CI 2026-12-01)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _ports_given:
            _ports_given.add(port)
            return port


def wait_listening(port, proc, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"mugai-milter exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"mugai-milter did not listen on {port}")


def with_hostname(name, cmd):
    """CMD run under host name NAME (gethostname(), so g_get_host_name()) in a UTS namespace of its
    own, the rest of the machine shared: two "hosts" on one machine. The process execs CMD, so
    its pid is CMD's."""
    return ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', name] + cmd


class Lab:
    """A private Postfix (smtpd on PORT) with mugai-milter, and a sink. Use as a context manager."""

    def __init__(self, conf=CONF, milter_user=None, port=None, release_port=None, hostname=None):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-")
        os.chmod(self.dir, 0o755)
        self.conf = conf
        self.milter_user = milter_user
        self.port = port or free_port()
        self.sink_port = free_port()
        self.milter_port = free_port()
        self.release_port = release_port  # an smtpd without milters (mugai quarantine release)
        self.hostname = hostname  # mugai-milter's own host name (a UTS namespace), as on a second host
        self.log_path = os.path.join(self.dir, "mugai-milter.log")
        self.milter = None

    def milter_command(self):
        cmd = [MILTER, "-f", "-c", self.conf, "-p", f"inet:{self.milter_port}@127.0.0.1"]
        if self.milter_user:
            pw = pwd.getpwnam(self.milter_user)
            cmd = ["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"] + cmd
        if self.hostname:
            cmd = with_hostname(self.hostname, cmd)
        return cmd

    def start_milter(self):
        """Start mugai-milter on the lab's milter port (again, after kill_milter()); its output is
        appended to the same log."""
        self.milter = subprocess.Popen(self.milter_command(), stdout=self.log, stderr=subprocess.STDOUT)
        wait_listening(self.milter_port, self.milter)

    def kill_milter(self, sig=signal.SIGKILL):
        """Send SIG to mugai-milter (our own child, by its pid) and reap it; returns its status."""
        self.milter.send_signal(sig)
        return self.milter.wait(30)

    def __enter__(self):
        self.log = open(self.log_path, "ab")
        self.start_milter()
        subprocess.run([LAB, "start", self.state, "--milter", f"inet:{self.milter_port}@127.0.0.1",
                        "--port", str(self.port), "--sink-port", str(self.sink_port)] +
                       (["--release-port", str(self.release_port)] if self.release_port else []),
                       check=True, stdout=subprocess.DEVNULL)
        return self

    @property
    def state(self):
        return os.path.join(self.dir, "lab")

    def __exit__(self, *exc):
        subprocess.run([LAB, "stop", self.state], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.milter and self.milter.poll() is None:
            self.milter.send_signal(signal.SIGTERM)
            try:
                self.milter.wait(10)
            except subprocess.TimeoutExpired:
                self.milter.kill()
        self.log.close()
        if exc[0] is not None:
            print("--- mugai-milter log tail ---\n" + self.milter_log()[-3000:])
            pf = os.path.join(self.state, "log", "postfix.log")
            if os.path.exists(pf):
                print("--- postfix log tail ---\n" + open(pf, errors="replace").read()[-3000:])
        shutil.rmtree(self.dir, ignore_errors=True)

    def milter_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_delivered(self, n, timeout=60):
        return subprocess.run([LAB, "wait-delivered", self.state, str(n), str(timeout)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def delivered(self):
        """Every message the sink received, as (raw bytes, parsed message)."""
        out = []
        for f in sorted(glob.glob(os.path.join(self.state, "sink", "*"))):
            raw = subprocess.run([LAB, "message", f], check=True, capture_output=True).stdout
            out.append((raw, email.message_from_bytes(raw, policy=email_policy.default)))
        return out

    def postfix_log(self):
        with open(os.path.join(self.state, "log", "postfix.log"), errors="replace") as f:
            return f.read()
