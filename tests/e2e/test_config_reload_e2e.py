#!/usr/bin/env python3
"""The configuration of a running mugai-milter in front of the real Postfix: SIGHUP reloads it
(validated first: a bad file keeps the policy in force, the log says why, mail keeps flowing),
and a file changed on disk without a reload is logged by the tamper check with both hashes."""
import hashlib, os, re, signal, smtplib, sys, tempfile, threading, time, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lab  # noqa: E402
from lab import scan_db  # noqa: E402
from test_scan_e2e import attachment, mixed, transaction, wait_for  # noqa: E402


def conf_text(tag):
    base = open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    base = base.replace("config_check_interval = 60s", "config_check_interval = 1s")
    base = base.replace("subject_tag =\n", f"subject_tag = {tag}\n")
    assert f"subject_tag = {tag}" in base, "the example config has an empty subject_tag line"
    return scan_db.config_with_database(base, scan_db.database())


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


class Reload(unittest.TestCase):
    def test_sighup_bad_file_keeps_policy_good_file_applies_and_tamper_is_logged(self):
        lab.require_root_and_postfix()
        work = tempfile.mkdtemp(prefix="mugai-e2e-reload-")
        os.chmod(work, 0o755)
        conf = os.path.join(work, "mugai.conf")
        open(conf, "w", encoding="utf-8").write(conf_text("[TAG1]"))
        os.chmod(conf, 0o644)
        loaded = sha256(conf)
        with lab.Lab(conf=conf) as the_lab:
            self.assertIn(f"config {conf} (sha256 {loaded})", the_lab.milter_log())
            results, stop, lock = [], threading.Event(), threading.Lock()

            def sender(n):
                smtp, i = None, 0
                while not stop.is_set():
                    raw = mixed(f"r{n}-{i}@example.jp", f"reload {n}-{i}", attachment("a.bin", b"data"))
                    try:
                        smtp = smtp or smtplib.SMTP("127.0.0.1", the_lab.port, timeout=60)
                        code, text = transaction(smtp, raw)
                    except (OSError, smtplib.SMTPException) as e:
                        code, text, smtp = None, repr(e), None
                    with lock:
                        results.append((time.time(), code, text))
                    i += 1
                    stop.wait(0.05)
                if smtp:
                    smtp.quit()

            threads = [threading.Thread(target=sender, args=(n,)) for n in range(3)]
            for t in threads:
                t.start()
            try:
                time.sleep(1.0)
                # 1. Changed on disk, not reloaded: the tamper check says so, with both hashes.
                open(conf, "w", encoding="utf-8").write(conf_text("[TAG1]") + "[limits]\nno_such_key = 1\n")
                bad = sha256(conf)
                warning = (f"tamper check: {conf} changed on disk without a reload: loaded sha256 "
                           f"{loaded}, on disk sha256 {bad}")
                self.assertTrue(wait_for(lambda: warning in the_lab.milter_log(), 5), the_lab.milter_log()[-2000:])
                self.assertEqual(the_lab.milter_log().count(warning), 1, "said once per change")
                # 2. SIGHUP with the bad file: the policy in force stays, the problem is named.
                the_lab.milter.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: "the one in force stays" in the_lab.milter_log(), 10))
                log = the_lab.milter_log()
                self.assertRegex(log, re.escape(conf) + r":\d+: \[limits\] no_such_key: unknown key")
                self.assertIn(f"({conf}, sha256 {loaded})", log)
                time.sleep(1.0)
                # 3. A good file and SIGHUP: new connections get it.
                open(conf, "w", encoding="utf-8").write(conf_text("[TAG2]"))
                good = sha256(conf)
                the_lab.milter.send_signal(signal.SIGHUP)
                self.assertTrue(wait_for(lambda: f"configuration {conf} loaded (sha256 {good}, was {loaded})"
                                         in the_lab.milter_log(), 10), the_lab.milter_log()[-2000:])
                reloaded_at = time.time()
                time.sleep(2.0)
            finally:
                stop.set()
                for t in threads:
                    t.join()
            self.assertIsNone(the_lab.milter.poll(), "mugai-milter still runs after two SIGHUPs")
            answered = [r for r in results if r[1] is not None]
            self.assertEqual(len(answered), len(results), [r for r in results if r[1] is None][:3])
            self.assertTrue(all(code == 250 for _, code, _ in results),
                            [r for r in results if r[1] != 250][:3])
            self.assertTrue(the_lab.wait_delivered(len(results), 60))
            tags = {m["Subject"].split(" ")[0] for _, m in the_lab.delivered()}
            self.assertEqual(tags, {"[TAG1]", "[TAG2]"}, "both policies were in force, in turn")
            late = [r for r in results if r[0] > reloaded_at + 0.5]
            self.assertTrue(late, "mail was sent after the reload")
            self.assertNotIn("verdict=tempfail", the_lab.milter_log())
            self.assertNotIn("changed on disk", the_lab.milter_log().split("loaded (sha256")[-1],
                             "no tamper warning once the file in force is the one on disk")


if __name__ == "__main__":
    lab.require_root_and_postfix()
    unittest.main(verbosity=2)
