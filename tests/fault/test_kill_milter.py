#!/usr/bin/env python3
"""kill -9 of mugai-milter in the middle of messages, under load: nothing lost, nothing delivered
unsanitized, nothing delivered twice (issue 10).

Four client threads send 150 messages (HTML with an attachment, some of them 100 KB, plain
ISO-2022-JP Japanese, and EICAR attached, one in six) through the lab's Postfix to mugai-milter,
which keeps originals in an SQLite quarantine and spools bodies over 16 KB to files. Twice
during the run mugai-milter is killed with SIGKILL and started again on the same socket a second
later.

What Postfix answers meanwhile: mugai is an smtpd_milter with milter_default_action = tempfail
(deploy/postfix-lab.sh, as deploy/postfix-main.cf.snippet advises), so a message whose milter
conversation breaks, and every message while nothing listens, is answered 451 4.7.1 to the
client and is NOT queued by Postfix. The message stays with the sending MTA, which tries again
later: the client threads here do what an MTA does, a new connection after half a second, for any
4xx or a dropped connection, until a final answer (2xx or 5xx). So the test asserts:

- every message ends in a final answer: 250 for each clean one, 550 5.7.1 for each EICAR one (some
  of those after a 4xx from the outage), and at least one message was caught by a kill (a 4xx);
- sent = delivered + rejected: the sink holds exactly the messages answered 250, each once (by
  its token in Message-ID and Subject), and none answered 550;
- each delivered message is sanitized: X-Mugai-Actions, text/plain only, no attachment, no HTML,
  no EICAR; mailcheck.py (../shared) against its original finds no problem;
- the Postfix queue is empty at the end and its log shows the milter failures;
- `mugai quarantine fsck` ends consistent (exit 0) after the crashes, and every quarantine id a
  delivered notice names is in the index.
"""
import json, os, pwd, re, shutil, sys, tempfile, threading, time, unittest
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import faultlib  # noqa: E402
from faultlib import lab  # noqa: E402

THREADS = 4
MESSAGES = 150
KILL_AFTER = (40, 95)  # final answers before each kill -9
DOWN = 1.0             # seconds with nothing listening


def kind_of(i):
    return "eicar" if i % 6 == 5 else ("japanese" if i % 3 == 1 else "html")


class KillMilter(unittest.TestCase):
    def setUp(self):
        lab.require_root_and_postfix()
        self.dir = tempfile.mkdtemp(prefix="mugai-fault-kill-")
        os.chmod(self.dir, 0o755)
        self.addCleanup(shutil.rmtree, self.dir, True)
        nobody = pwd.getpwnam("nobody")
        self.store = os.path.join(self.dir, "quarantine")
        spool = os.path.join(self.dir, "spool")
        for d in (self.store, spool):
            os.mkdir(d, 0o700)
            os.chown(d, nobody.pw_uid, nobody.pw_gid)
        with open(os.path.join(lab.ROOT, "config", "mugai.conf"), encoding="utf-8") as f:
            text = f.read()
        text = faultlib.scan_db.config_with_keys(text, "milter", spool_dir=spool, spool_memory="16K")
        text = faultlib.scan_db.config_with_keys(text, "quarantine", dir=self.store)
        text = faultlib.scan_db.config_with_database(text, faultlib.scan_db.database())
        self.conf = os.path.join(self.dir, "mugai.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def test_kill_9_under_load_loses_nothing_and_passes_nothing_unsanitized(self):
        originals = {}
        for i in range(MESSAGES):
            kind = kind_of(i)
            token = f"k{i:03d}{kind[0]}"
            originals[token] = (kind, faultlib.message(kind, token, pad=100_000 if i % 4 == 0 else 0))
        began = time.monotonic()
        with lab.Lab(conf=self.conf, milter_user="nobody") as the_lab:
            sender = faultlib.Sender(the_lab.port, retry=0.5, give_up=120)
            tokens = sorted(originals)
            threads = [threading.Thread(target=self.send_share, args=(sender, tokens[n::THREADS], originals))
                       for n in range(THREADS)]
            for t in threads:
                t.start()
            kills = []
            try:
                for after in KILL_AFTER:
                    self.assertTrue(faultlib.wait_for(lambda: self.finals(sender) >= after, 120),
                                    f"fewer than {after} final answers")
                    in_flight = MESSAGES - self.finals(sender)
                    status = the_lab.kill_milter()
                    kills.append((time.time(), status, in_flight))
                    time.sleep(DOWN)
                    the_lab.start_milter()
            finally:
                for t in threads:
                    t.join(300)
            self.check(the_lab, sender, originals, kills, time.monotonic() - began)

    @staticmethod
    def finals(sender):
        with sender.lock:
            return sum(r["final"] is not None for r in sender.results.values())

    @staticmethod
    def send_share(sender, tokens, originals):
        box = [None]
        for token in tokens:
            kind, raw = originals[token]
            sender.send(box, kind, token, raw)
        faultlib.close(box)

    def check(self, the_lab, sender, originals, kills, elapsed):
        results = sender.results
        self.assertEqual(sorted(results), sorted(originals))
        for status in (k[1] for k in kills):
            self.assertEqual(status, -9)
        no_final = [r for r in results.values() if r["final"] is None]
        self.assertEqual(no_final, [], "messages without a final answer")
        for token, r in results.items():
            if r["kind"] == "eicar":
                self.assertEqual(r["final"], 550, r)
                self.assertIn("5.7.1 Virus found: " + faultlib.scan_db.EICAR_NAME, r["answers"][-1][2])
            else:
                self.assertEqual(r["final"], 250, r)
        temporary = [(r["token"], code, text) for r in results.values()
                     for _, code, text in r["answers"][:-1]]
        self.assertTrue(temporary, "no message was caught by a kill")
        for token, code, text in temporary:  # never a final refusal for a crash: 4xx or a drop
            self.assertTrue(code is None or code // 100 == 4, (token, code, text))

        accepted = sorted(t for t, r in results.items() if r["final"] == 250)
        rejected = sorted(t for t, r in results.items() if r["final"] == 550)
        self.assertTrue(the_lab.wait_delivered(len(accepted), 120), "accepted mail was not delivered")
        got = faultlib.delivered(the_lab)
        self.assertEqual(sorted(faultlib.token_of(m) for _, m in got), accepted,
                         "the sink must hold each accepted message exactly once")
        self.assertEqual(MESSAGES, len(got) + len(rejected), "sent = delivered + rejected")
        bad = {}
        for raw, msg in got:
            token = faultlib.token_of(msg)
            problems = faultlib.unsanitized(raw, msg, originals[token][1])
            self.assertIn(token, str(msg["Subject"]))
            if problems:
                bad[token] = problems
        self.assertEqual(bad, {}, "delivered unsanitized")
        self.assertEqual(faultlib.queue_count(the_lab), 0)
        pf = the_lab.postfix_log()
        self.assertRegex(pf, r"milter inet:127\.0\.0\.1:\d+: (can't read|connect to|read error|"
                             r"unreasonable)", "Postfix's log shows no milter failure")
        self.assertIn("4.7.1", pf)

        notices = {}
        for _, msg in got:
            m = re.search(r"隔離番号 (\d{8}-\d{6}-[0-9a-f]{10})", msg.get_content())
            if m:
                notices[faultlib.token_of(msg)] = m.group(1)
        self.assertGreater(len(notices), 0)
        fsck = faultlib.quarantine(self.conf, "fsck", "--grace", "0s")
        self.assertEqual(fsck.returncode, 0, fsck.stdout + fsck.stderr)
        listed = faultlib.quarantine(self.conf, "list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        entries = json.loads(listed.stdout)
        ids = {e["id"] for e in entries}
        self.assertEqual(sorted(set(notices.values()) - ids), [], "a notice names an original not kept")
        # Every message's original is kept (each is sanitized or refused for a virus). One stored
        # just before a kill, its answer never given, is kept again when the client retries: a
        # second entry, never a missing one, and only for a message that had a temporary answer.
        per_token = {}
        for e in entries:
            token = e["subject"].rsplit(" ", 1)[-1]
            per_token[token] = per_token.get(token, 0) + 1
        self.assertEqual(sorted(per_token), sorted(originals))
        twice = sorted(t for t, n in per_token.items() if n > 1)
        for token in twice:
            self.assertGreater(len(results[token]["answers"]), 1, token)
        after = faultlib.quarantine(self.conf, "fsck", "--grace", "0s", "--dry-run")
        self.assertEqual(after.returncode, 0, after.stdout + after.stderr)
        self.assertRegex(after.stdout.decode(), r"would remove 0 entries without an original, 0 temp "
                                                r"files, 0 files without an entry;")

        retried = sum(len(r["answers"]) > 1 for r in results.values())
        codes = {}
        for _, code, text in temporary:
            key = f"{code} {text[:60]}"
            codes[key] = codes.get(key, 0) + 1
        print(f"\n  kill -9 under load: {MESSAGES} sent on {THREADS} connections in {elapsed:.1f}s; "
              f"{len(kills)} kills (messages not yet answered at each: {[k[2] for k in kills]}); "
              f"{retried} messages retried after a temporary answer {codes}; "
              f"delivered {len(got)} (each once, sanitized) + rejected {len(rejected)} = {MESSAGES}; "
              f"{len(notices)} notices name a kept original, all in the index; {len(entries)} entries "
              f"({len(twice)} messages kept twice: stored, then killed before the answer); "
              f"fsck: {fsck.stdout.decode().strip().splitlines()[-1] if fsck.stdout else ''}",
              file=sys.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
