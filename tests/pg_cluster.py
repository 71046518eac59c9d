#!/usr/bin/env python3
"""A private PostgreSQL cluster for the tests of the PostgreSQL quarantine backend: initdb in a temp
directory owned by the postgres user, a server on 127.0.0.1 at a free port (its socket in that
directory too), a role and a database for mugai; stop() and start() again (an outage), remove() at
the end. initdb and postgres refuse to run as root, so they run as postgres (runuser).

    with PgCluster() as pg:          # or pg = PgCluster(); pg.start(); ...; pg.remove()
        pg.dsn                        # host=127.0.0.1 port=N dbname=mugai user=mugai password=...

Run as a program it is the wrapper of a test that needs a cluster: it starts one, runs the command
after "--" with MUGAI_TEST_PG_DSN set, and removes the cluster:
    pg_cluster.py -- ./test_quarantine
Tests run it with fsync off (nothing they check needs a durable disk); --durable (for bench/)
keeps PostgreSQL's defaults (fsync, full page writes) and puts the cluster on /var/tmp.
Skips (exit 77) when not root or the binaries are missing: PgCluster.unavailable() says why."""
import os, pwd, shutil, socket, subprocess, sys, tempfile, time

BIN_DIRS = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"]
SKIP = 77


def bin_dir():
    for d in BIN_DIRS:
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    PASSWORD = "mugai-test-pw"

    @staticmethod
    def unavailable():
        """Why no cluster can be started here, or None."""
        if os.geteuid() != 0:
            return "not root (initdb must run as the postgres user)"
        if bin_dir() is None:
            return "no PostgreSQL binaries in " + ", ".join(BIN_DIRS)
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "no postgres user"
        if shutil.which("runuser") is None:
            return "no runuser"
        return None

    def __init__(self, durable=False):
        self.bin = bin_dir()
        self.port = free_port()
        self.durable = durable
        self.dir = tempfile.mkdtemp(prefix="mugai-pg-", dir="/var/tmp" if durable else None)
        pw = pwd.getpwnam("postgres")
        os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "log")
        self.dsn = (f"host=127.0.0.1 port={self.port} dbname=mugai user=mugai "
                    f"password={self.PASSWORD} connect_timeout=5")
        self.uri = f"postgresql://mugai:{self.PASSWORD}@127.0.0.1:{self.port}/mugai"
        self._as_postgres([os.path.join(self.bin, "initdb"), "-D", self.data, "--auth-local=trust",
                           "--auth-host=scram-sha-256",
                           "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"])
        self.running = False

    def _as_postgres(self, argv, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--"] + argv, check=True,
                              capture_output=True, text=True, cwd=self.dir, timeout=120, **kw)

    def start(self):
        self._as_postgres([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log,
                           "-w", "-t", "60", "-o",
                           f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir}" +
                           ("" if getattr(self, "durable", False) else
                            " -c fsync=off -c full_page_writes=off"), "start"])
        self.running = True
        if not getattr(self, "_created", False):
            self.psql("CREATE ROLE mugai LOGIN PASSWORD '%s'" % self.PASSWORD)
            self.psql("CREATE DATABASE mugai OWNER mugai")
            self._created = True

    def stop(self, mode="fast"):
        if self.running:
            self._as_postgres([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode,
                               "-w", "stop"])
            self.running = False

    def psql(self, sql, db="postgres"):
        """SQL as the superuser; its output (unaligned, tuples only)."""
        p = self._as_postgres([os.path.join(self.bin, "psql"), "-X", "-q", "-A", "-t", "-v",
                               "ON_ERROR_STOP=1", "-h", self.dir, "-p", str(self.port), "-U",
                               "postgres", "-d", db, "-c", sql])
        return p.stdout.strip()

    def reset(self):
        """An empty mugai database again (no schema)."""
        self.psql("DROP DATABASE IF EXISTS mugai WITH (FORCE)")
        self.psql("CREATE DATABASE mugai OWNER mugai")

    def remove(self):
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.remove()


def control(argv):
    """--dir DIR --port PORT stop|start|reset: a running cluster's, for a test in another language."""
    pg = PgCluster.__new__(PgCluster)
    pg.bin, pg.dir, pg.port = bin_dir(), argv[1], int(argv[3])
    pg.data, pg.log, pg.running, pg._created = os.path.join(pg.dir, "data"), os.path.join(pg.dir, "log"), True, True
    action = argv[4]
    if action == "start":
        pg.running = False
        pg.start()
    elif action == "stop":
        pg.stop()
    else:
        pg.reset()
    return 0


def main(argv):
    if argv[:1] == ["--dir"]:
        return control(argv)
    durable = argv[:1] == ["--durable"]
    if durable:
        argv = argv[1:]
    if "--" not in argv:
        print("usage: pg_cluster.py [--durable] -- COMMAND...", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1:]
    why = PgCluster.unavailable()
    if why:
        print(f"SKIP: {why}", file=sys.stderr)
        return SKIP
    with PgCluster(durable) as pg:
        me = [sys.executable, os.path.abspath(__file__), "--dir", pg.dir, "--port", str(pg.port)]
        env = dict(os.environ, MUGAI_TEST_PG_DSN=pg.dsn,
                   MUGAI_TEST_PG_STOP=" ".join(me + ["stop"]),
                   MUGAI_TEST_PG_START=" ".join(me + ["start"]),
                   MUGAI_TEST_PG_RESET=" ".join(me + ["reset"]))
        return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
