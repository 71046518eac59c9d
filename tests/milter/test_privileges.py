#!/usr/bin/env python3
"""mugai-milter started as root gives up root once its socket is open (issue 10's hardening):
with [milter] user and group it runs as them, with the user's supplementary groups and no way
back to root, its unix socket is theirs with mode 0660, the quarantine store and the spool are
made as that user, a converter worker it starts works, and mail is sanitized as before (driven
over the milter protocol: milter_client.py plays Postfix). Without [milter] user it stays root and
says so; a user that does not exist, or a config file anyone may change, stops the start (exit 2)
with the reason. Needs root (skipped otherwise)."""
import email, email.policy, os, re, shutil, signal, stat, subprocess, sys, tempfile, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import milter_client as mc  # noqa: E402
import scan_db  # noqa: E402
import unix_users  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MUGAI_BUILD") or os.path.join(ROOT, "build")
MUGAI_MILTER = os.environ.get("MUGAI_MILTER") or os.path.join(BUILD, "mugai-milter")

MESSAGE = ("From: sender@example.co.jp\r\nTo: taro@city.example.lg.jp\r\nSubject: news\r\n"
           "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>お知らせ <b>本文</b></p>\r\n"
           "--b\r\nContent-Type: text/csv; charset=utf-8\r\n"
           "Content-Disposition: attachment; filename=list.csv\r\n\r\n名前,数\r\nりんご,3\r\n"
           "--b--\r\n").encode()


def ids(pid, field):
    """The four ids of FIELD (Uid, Gid) or the list of Groups of process PID."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return [int(x) for x in line.split()[1:]]
    return []


class Privileges(unittest.TestCase):
    def setUp(self):
        if not unix_users.can_switch_users() or not shutil.which("useradd"):
            self.skipTest("needs root, setpriv, groupadd and useradd")
        self.work = tempfile.mkdtemp(prefix="mugai-priv-")
        os.chmod(self.work, 0o755)
        self.addCleanup(shutil.rmtree, self.work, True)

    def start(self, name, conf_text, mode=0o644, socket_dir=None, wrap=()):
        conf = os.path.join(self.work, f"{name}.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write(conf_text)
        os.chmod(conf, mode)
        self.log_path = os.path.join(self.work, f"{name}.log")
        log = open(self.log_path, "wb")
        self.addCleanup(log.close)
        self.socket = os.path.join(socket_dir or self.work, f"{name}.sock")
        proc = subprocess.Popen([*wrap, MUGAI_MILTER, "-f", "-c", conf, "-p", "unix:" + self.socket],
                                stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop, proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_started(self, proc):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and "starting on" not in self.log():
            self.assertIsNone(proc.poll(), self.log())
            time.sleep(0.05)
        self.assertIn("starting on", self.log())

    def send(self):
        headers, body = mc.split_message(MESSAGE)
        with mc.MilterClient(None, None, timeout=60, unix_path=self.socket) as c:
            c.negotiate(leadspc=True)
            c.connect("mx.example.co.jp", "192.0.2.25", 45678, "4",
                      macros={"{daemon_name}": "smtpd"})
            c.helo("mx.example.co.jp")
            result = c.send_message(headers, body, queue_id="4PRIV1")
            return result, mc.delivered_message(headers, body, result.reply, c.leadspc)

    def base_config(self):
        with open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            return scan_db.config_with_database(f.read(), scan_db.database())

    def test_runs_as_the_user_and_group_with_its_groups(self):
        group, gid = unix_users.temp_group(self)
        extra, extra_gid = unix_users.temp_group(self)
        user, uid = unix_users.temp_user(self, gid, [extra_gid])
        spool = os.path.join(self.work, "spool")
        os.mkdir(spool, 0o700)
        os.chown(spool, uid, gid)
        parent = os.path.join(self.work, "q")  # the store is made in it by the milter, as USER
        os.mkdir(parent, 0o750)
        os.chown(parent, uid, gid)
        store = os.path.join(parent, "store")
        text = scan_db.config_with_keys(self.base_config(), "milter", user=user, group=group,
                                        spool_dir=spool, spool_memory="0")
        text = scan_db.config_with_keys(text, "quarantine", dir=store)
        proc = self.start("dropped", text)
        self.wait_started(proc)
        self.assertEqual(ids(proc.pid, "Uid"), [uid] * 4)
        self.assertEqual(ids(proc.pid, "Gid"), [gid] * 4)
        self.assertEqual(sorted(ids(proc.pid, "Groups")), sorted({gid, extra_gid}))
        st = os.stat(self.socket)
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)), (uid, gid, 0o660))
        self.assertRegex(self.log(), rf"starting on unix:{re.escape(self.socket)} as uid {uid},")
        self.assertNotIn("running as root", self.log())

        result, delivered = self.send()
        self.assertEqual(result.stage, "eom", self.log())
        self.assertTrue(result.delivered, self.log())
        parsed = email.message_from_bytes(delivered, policy=email.policy.default)
        self.assertEqual(parsed.get_content_type(), "text/plain")
        text_out = parsed.get_content()
        self.assertIn("お知らせ", text_out)
        self.assertIn("りんご,3", text_out, "the csv's text (a converter worker started by USER)")
        self.assertNotIn("<b>", text_out)
        self.assertEqual(os.stat(store).st_uid, uid, "the store is made by the user")
        self.assertIn("quarantine=", self.log())

    def test_started_as_its_user_the_socket_is_open_to_its_group(self):
        """As systemd starts it (User=mugai, the socket in Postfix's setgid directory): the socket
        gets mode 0660 and the directory's group, whatever mugai's own umask of 027 says, so
        Postfix can connect."""
        user_group, gid = unix_users.temp_group(self)
        mta_group, mta_gid = unix_users.temp_group(self)
        user, uid = unix_users.temp_user(self, gid)
        sockets = os.path.join(self.work, "postfix-mugai")
        os.mkdir(sockets)
        os.chown(sockets, uid, mta_gid)
        os.chmod(sockets, 0o2750)
        spool = os.path.join(self.work, "spool")
        os.mkdir(spool, 0o700)
        os.chown(spool, uid, gid)
        text = scan_db.config_with_keys(self.base_config(), "milter", user=user, spool_dir=spool)
        proc = self.start("as-user", text, socket_dir=sockets, wrap=unix_users.as_user(uid, [gid], []))
        self.wait_started(proc)
        self.assertEqual(ids(proc.pid, "Uid"), [uid] * 4)
        self.assertEqual(unix_users.mode_and_owner(self.socket), (0o660, uid, mta_gid))
        result, _ = self.send()
        self.assertTrue(result.delivered, self.log())

    def test_as_root_without_a_user_it_says_so(self):
        proc = self.start("root", self.base_config())
        self.wait_started(proc)
        self.assertEqual(ids(proc.pid, "Uid"), [0] * 4)
        self.assertIn("warning: running as root: set [milter] user", self.log())
        result, _ = self.send()
        self.assertTrue(result.delivered, self.log())

    def test_a_user_that_does_not_exist_stops_the_start(self):
        text = scan_db.config_with_keys(self.base_config(), "milter", user="mugai-no-such-user")
        proc = self.start("nouser", text)
        self.assertEqual(proc.wait(20), 2)
        self.assertIn('[milter] user: "mugai-no-such-user": no such user', self.log())
        self.assertFalse(os.path.exists(self.socket))

    def test_a_config_anyone_may_change_stops_the_start(self):
        proc = self.start("writable", self.base_config(), mode=0o666)
        self.assertEqual(proc.wait(20), 2)
        self.assertIn("is writable by every user (mode 0666)", self.log())
        self.assertFalse(os.path.exists(self.socket))


if __name__ == "__main__":
    unittest.main()
