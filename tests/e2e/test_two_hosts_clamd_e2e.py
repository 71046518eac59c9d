#!/usr/bin/env python3
"""End to end: two gateway hosts, one clamd (issue 9, deploy/multi-host.md).

Two private Postfix instances, each with its own mugai-milter ([scan] backend = clamd), share one
real clamd on a unix socket, as two hosts behind one MX share a clamd farm. Mail flows through
both at once on parallel connections: every clean message is delivered by the host it was sent
to, every EICAR message is refused 550 naming the signature by that host, nothing is deferred;
clamd answered both (its log and each milter's "clamd at" line); and when clamd stops, both hosts
tempfail (451) instead of passing mail unscanned, and deliver again once it is back.
"""
import os, shutil, subprocess, sys, tempfile, threading, time, unittest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab
from test_scan_e2e import (CLAMD, EICAR, EICAR_NAME, Clamd, attachment, clamd_command, mixed,  # noqa: E402
                           send, shared_clamd, sink_ids, wait_for, write_conf)

scan_db = lab.scan_db
PER_HOST = 12  # messages per host, a third of them EICAR


def message(host, i):
    mid = f"two-{host}-{i}@example.jp"
    if i % 3 == 0:
        return mid, True, mixed(mid, f"eicar {i}", attachment("eicar.com", EICAR))
    return mid, False, mixed(mid, f"clean {i}", attachment("report.csv", f"a,b\r\n{i},2\r\n".encode(), "text/csv"))


class TwoHostsOneClamd(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="mugai-e2e-two-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.clamd = shared_clamd(self, self.dir)
        self.conf = write_conf(self.dir, backend="clamd", clamd_socket=f"unix:{self.clamd.path}",
                               reload_interval="1s")

    def send_all(self, hosts):
        """Every message to its host at once (one thread per host); {mid: (host, eicar, code, text)}."""
        results, lock = {}, threading.Lock()

        def run(name, port):
            for i in range(PER_HOST):
                mid, eicar, raw = message(name, i)
                code, text, _ = send(port, raw)
                with lock:
                    results[f"<{mid}>"] = (name, eicar, code, text)
        threads = [threading.Thread(target=run, args=(name, h.port)) for name, h in hosts.items()]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        return results

    def test_both_hosts_scan_through_one_clamd_and_fail_closed_without_it(self):
        with lab.Lab(conf=self.conf) as a, lab.Lab(conf=self.conf) as b:
            hosts = {"a": a, "b": b}
            results = self.send_all(hosts)
            self.assertEqual(len(results), 2 * PER_HOST)
            for mid, (name, eicar, code, text) in results.items():
                if eicar:
                    self.assertEqual((code, text), (550, f"5.7.1 Virus found: {EICAR_NAME}"), mid)
                else:
                    self.assertEqual(code, 250, (mid, text))
            clean = {name: sorted(m for m, r in results.items() if r[0] == name and not r[1]) for name in hosts}
            for name, h in hosts.items():
                self.assertTrue(h.wait_delivered(len(clean[name]), 60), name)
                self.assertEqual(sink_ids(h), clean[name], name)  # each host delivers its own mail
                log = h.milter_log()
                self.assertIn("clamd at unix:" + self.clamd.path, log)
                self.assertEqual(log.count(f"virus found: {EICAR_NAME}"), PER_HOST // 3, name)
            # clamd gone: both hosts defer, neither passes mail unscanned.
            self.clamd.proc.terminate()  # the process only: its socket path and config stay
            self.clamd.proc.wait(20)
            for name, h in hosts.items():
                mid, _, raw = message(name, 100)
                code, text, _ = send(h.port, raw)
                self.assertEqual(code // 100, 4, (name, code, text))
            time.sleep(1)
            for name, h in hosts.items():
                self.assertEqual(sink_ids(h), clean[name], name)
            # clamd back on the same socket: both deliver again, by themselves.
            self.clamd.proc = subprocess.Popen([CLAMD, "-c", self.clamd.conf], stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL)
            self.assertTrue(wait_for(self.clamd._pong, 60, 0.1), self.clamd.log())
            for name, h in hosts.items():
                mid, _, raw = message(name, 101)
                ok = wait_for(lambda: send(h.port, raw)[0] == 250, 30, 1)
                self.assertTrue(ok, name)


if __name__ == "__main__":
    lab.require_root_and_postfix()
    if not os.path.exists(CLAMD):
        print(f"skipped: {CLAMD} (clamav-daemon) is not installed")
        sys.exit(77)
    unittest.main(verbosity=2)
