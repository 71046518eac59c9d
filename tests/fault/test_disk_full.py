#!/usr/bin/env python3
"""A full disk under the spool and under the quarantine (issue 10): each message that does not fit
is answered 451 4.3.0 (never 250, never 5xx), nothing reaches the sink unsanitized, and once space
is freed the same message, sent again as the client's MTA would, is kept and delivered; the
quarantine's fsck finds the store consistent after the failures.

[milter] spool_dir and [quarantine] dir are each on a small tmpfs of their own (size=), so which
one is full is known; mugai-milter runs as nobody. tmpfs has no fsync semantics worth testing
here: what is tested is ENOSPC on write, which tmpfs gives exactly when its size is used up.

- spool: spool_memory = 0 (every body goes to a file); the spool tmpfs is filled up to 100 KB
  free; a 560 KB message (a 400 KB attachment) → 451 4.3.0 (the log names "No space left on
  device"); a 15 KB one still passes; the filler removed, the 560 KB one is delivered,
  sanitized; no spool file stays.
- quarantine, too little left: the quarantine tmpfs filled up to 150 KB free; a small message is
  kept and delivered, a 560 KB one → 451 ("original not kept": SQLite's "database or disk is
  full"), nothing of it delivered; freed → kept and delivered.
- quarantine, full to the last byte: a small message → 451 (its original cannot be written into
  the index's WAL); freed → kept and delivered.
- then `mugai quarantine fsck --grace 0s`: every original has its entry and the other way round,
  no temp file left behind (nothing to remove).
"""
import json, os, pwd, re, shutil, subprocess, sys, tempfile, time, unittest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import lab  # noqa: E402

BIG_PAD = 400 * 1024


def mount_tmpfs(path, size, owner):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700,uid={owner.pw_uid},"
                        f"gid={owner.pw_gid}", "tmpfs", path], capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def fill(directory, leave):
    """A filler file in DIRECTORY that leaves LEAVE bytes free (0: until ENOSPC). Returns its path."""
    path = os.path.join(directory, "filler")
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    with open(path, "wb", buffering=0) as f:
        try:
            f.write(b"\0" * max(0, free - leave))
            while leave == 0:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    return path


def free_bytes(directory):
    st = os.statvfs(directory)
    return st.f_bavail * st.f_frsize


class DiskFull(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-fault-full-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.nobody = pwd.getpwnam("nobody")
        self.spool = os.path.join(self.dir, "spool")
        self.qfs = os.path.join(self.dir, "qfs")
        for path, size in ((self.spool, "1M"), (self.qfs, "4M")):
            ok, why = mount_tmpfs(path, size, self.nobody)
            if not ok:
                print(f"SKIPPED: cannot mount a tmpfs ({why})")
                sys.exit(77)
            self.addCleanup(subprocess.run, ["umount", "-l", path])
        self.store = os.path.join(self.qfs, "quarantine")
        os.mkdir(self.store, 0o700)
        os.chown(self.store, self.nobody.pw_uid, self.nobody.pw_gid)
        with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = f.read()
        text = faultlib.scan_db.config_with_keys(text, "milter", spool_dir=self.spool, spool_memory="0")
        text = faultlib.scan_db.config_with_keys(text, "quarantine", dir=self.store)
        text = faultlib.scan_db.config_with_database(text, faultlib.scan_db.database())
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def send(self, the_lab, raw):
        with faultlib.smtplib.SMTP("127.0.0.1", the_lab.port, timeout=120) as smtp:
            return faultlib.transaction(smtp, raw)

    def assert_tempfailed(self, the_lab, raw, offset, why):
        code, text = self.send(the_lab, raw)
        self.assertEqual(code, 451, text)
        self.assertTrue(text.startswith("4.3.0 Temporary failure in mail sanitization"), text)
        log = the_lab.milter_log()[offset:]
        self.assertIn(why, log)
        return log

    def test_full_spool_and_full_quarantine_tempfail_then_deliver(self):
        sent = {}
        with lab.Lab(conf=self.conf, milter_user="nobody") as the_lab:
            delivered = 0
            # ---- the spool ----
            filler = fill(self.spool, 100 * 1024)
            sent["s-big"] = faultlib.message("html", "s-big", pad=BIG_PAD)
            sent["s-small"] = faultlib.message("html", "s-small", pad=10 * 1024)
            offset = len(the_lab.milter_log())
            log = self.assert_tempfailed(the_lab, sent["s-big"], offset, "No space left on device")
            self.assertIn("cannot write the spool file", log)
            self.assertEqual(self.send(the_lab, sent["s-small"])[0], 250)
            delivered += 1
            self.assertTrue(the_lab.wait_delivered(delivered, 60))
            os.unlink(filler)
            self.assertEqual(self.send(the_lab, sent["s-big"])[0], 250)
            delivered += 1
            self.assertEqual(sorted(os.listdir(self.spool)), [], "a spool file stayed")

            # ---- the quarantine: too little room for one original ----
            self.assertTrue(the_lab.wait_delivered(delivered, 60))
            filler = fill(self.qfs, 150 * 1024)
            sent["q-small"] = faultlib.message("html", "q-small")
            sent["q-big"] = faultlib.message("html", "q-big", pad=BIG_PAD)
            self.assertEqual(self.send(the_lab, sent["q-small"])[0], 250)
            delivered += 1
            offset = len(the_lab.milter_log())
            log = self.assert_tempfailed(the_lab, sent["q-big"], offset, "original not kept")
            self.assertIn("database or disk is full", log)  # SQLite's SQLITE_FULL, from ENOSPC
            self.assertTrue(the_lab.wait_delivered(delivered, 60))
            self.assertEqual(len(faultlib.sink_files(the_lab)), delivered, "q-big was delivered")
            os.unlink(filler)
            self.assertEqual(self.send(the_lab, sent["q-big"])[0], 250)
            delivered += 1

            # ---- the quarantine full to the last byte ----
            self.assertTrue(the_lab.wait_delivered(delivered, 60))
            filler = fill(self.qfs, 0)
            self.assertLess(free_bytes(self.qfs), 4096)
            sent["q-none"] = faultlib.message("html", "q-none")
            offset = len(the_lab.milter_log())
            full_log = self.assert_tempfailed(the_lab, sent["q-none"], offset, "original not kept")
            os.unlink(filler)
            self.assertEqual(self.send(the_lab, sent["q-none"])[0], 250)
            delivered += 1

            self.assertTrue(the_lab.wait_delivered(delivered, 60))
            got = faultlib.delivered(the_lab)
            self.assertEqual(sorted(faultlib.token_of(m) for _, m in got), sorted(sent))
            for raw, msg in got:
                self.assertEqual(faultlib.unsanitized(raw, msg, sent[faultlib.token_of(msg)]), [])
            self.assertEqual(faultlib.queue_count(the_lab), 0)
            summaries = [l for l in the_lab.milter_log().splitlines() if " verdict=" in l]
            self.assertEqual(sum("verdict=tempfail" in l for l in summaries), 2, summaries)  # q-big, q-none
            # the spool's 451 comes before any verdict: its line is the "temporary failure" one
            self.assertEqual(the_lab.milter_log().count("temporary failure: cannot write the spool file"), 1)

        kept = json.loads(faultlib.quarantine(self.conf, "list", "--json").stdout)
        self.assertEqual(len(kept), 5, kept)  # s-small, s-big, q-small, q-big, q-none: each once
        fsck = faultlib.quarantine(self.conf, "fsck", "--grace", "0s")
        self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)
        self.assertIn("5 originals, 5 entries; removed 0 entries without an original, 0 temp "
                      "files, 0 files without an entry; 0 size mismatches, 0 strangers", fsck.stdout.decode())
        print("\n  disk full: spool 451 then delivered; quarantine (150 KB left) 451 then kept; "
              "quarantine (0 left) 451 then kept; the full store's failure: "
              + " | ".join(l.split("mugai-milter: ", 1)[-1][:160] for l in full_log.splitlines()
                           if "original not kept" in l), file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
