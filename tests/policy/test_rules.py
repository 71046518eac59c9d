#!/usr/bin/env python3
"""[rule NAME] sections and the clause of every refusing rule, through `mugai sanitize`: which
rule a recipient or sender gets, what the rule changes, what the others keep, and how a refusal
names its clause in the reply, the summary line and the JSON report."""
import email, email.policy, json, os, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
INSIDE = "city.example.lg.jp"

RULES = f"""
[rule finance]
match_rcpt_domain = finance.{INSIDE}, .ka.{INSIDE}
match_rcpt = boss@{INSIDE}
inbound.max_message_size = 20M
gateway.external_subject_tag = [外部・財務]

[rule partner]
match_sender = partner.example.jp
impersonation.action = reject
clause = 対策基準 ⑫

[rule later]
match_rcpt_domain = finance.{INSIDE}
gateway.external_subject_tag = [never]
"""


def config(extra_rules=RULES, **groups):
    base = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    text = scan_db.config_with_database(base, scan_db.database())
    text = scan_db.config_with_keys(text, "gateway", internal_domains=INSIDE,
                                    external_subject_tag="[外部]")
    text = scan_db.config_with_keys(text, "inbound", max_message_size="5M")
    for group, keys in groups.items():
        text = scan_db.config_with_keys(text, group, **keys)
    return text + extra_rules


def sanitize(raw, rcpts, sender="someone@example.com", direction="in", size=None, conf=None):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "c.conf")
        with open(path, "w", encoding="utf-8") as f:
            f.write(conf or config())
        rep = os.path.join(tmp, "r.json")
        args = [MUGAI, "sanitize", "-c", path, "--direction", direction, "--from", sender,
                "--report-json", rep]
        for r in rcpts:
            args += ["--rcpt", r]
        if size is not None:
            args += ["--size", str(size)]
        p = subprocess.run(args, input=raw, capture_output=True, timeout=60)
        report = None
        if os.path.exists(rep):
            with open(rep, encoding="utf-8") as f:
                report = json.load(f)
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    return p.returncode, p.stdout.decode("utf-8", "replace"), err, report


def message(sender="someone@example.com", frm=None):
    return (f"From: {frm or sender}\r\nTo: staff@{INSIDE}\r\nSubject: 予算の件\r\n"
            "Message-ID: <r@example.com>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\n\r\n本文です。\r\n").encode()


def subject_of(out):
    """The Subject of the delivered message, decoded as a reader sees it."""
    msg = email.message_from_string(out, policy=email.policy.default)
    return "Subject: " + str(msg["Subject"])


class RuleChoice(unittest.TestCase):
    def test_a_recipient_domain_rule_raises_the_size_cap_for_its_recipients_only(self):
        rc, _, err, report = sanitize(message(), [f"a@finance.{INSIDE}"], size=8 << 20)
        self.assertEqual(rc, 0, err)
        self.assertIn(" rule=finance", err[-1])
        self.assertEqual(report["rule"], "finance")
        rc, _, err, report = sanitize(message(), [f"a@{INSIDE}"], size=8 << 20)
        self.assertEqual(rc, 3, err)
        self.assertIn('reply="552 5.3.4 Message too big for this gateway (limit 5M for inbound '
                      'mail)"', err[-1])
        self.assertNotIn(" rule=", err[-1])
        self.assertNotIn("rule", report)

    def test_a_leading_dot_matches_the_domains_below_only(self):
        for rcpt, rule in ((f"x@a.ka.{INSIDE}", True), (f"x@ka.{INSIDE}", False),
                           (f"BOSS@{INSIDE.upper()}", True), (f"boss2@{INSIDE}", False)):
            rc, _, err, _ = sanitize(message(), [rcpt], size=8 << 20)
            self.assertEqual(rc, 0 if rule else 3, (rcpt, err))

    def test_the_rule_changes_what_it_sets_and_the_rest_keeps_the_main_values(self):
        rc, out, err, _ = sanitize(message(), [f"a@finance.{INSIDE}"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(subject_of(out), "Subject: [外部・財務] 予算の件")  # the first rule wins
        rc, out, err, _ = sanitize(message(), [f"a@{INSIDE}"])
        self.assertEqual(rc, 0, err)
        self.assertEqual(subject_of(out), "Subject: [外部] 予算の件")

    def test_a_sender_rule_refuses_with_its_clause_when_the_refusal_has_none(self):
        raw = message(sender="x@partner.example.jp", frm=f"総務課 <soumu@{INSIDE}>")
        rc, _, err, report = sanitize(raw, [f"a@{INSIDE}"], sender="x@partner.example.jp")
        self.assertEqual(rc, 3, err)
        self.assertIn("reason=impersonation", err[-1])
        self.assertIn('clause="対策基準 ⑫"', err[-1])
        self.assertIn(" rule=partner", err[-1])
        self.assertEqual(report["clause"], "対策基準 ⑫")
        self.assertNotIn("対策基準", report["reply"]["text"])  # replies are ASCII
        # Another sender claiming the same gets the main policy's warning, not a refusal.
        rc, out, err, _ = sanitize(raw, [f"a@{INSIDE}"], sender="x@other.example.jp")
        self.assertEqual(rc, 0, err)
        self.assertIn("impersonation_warned", out)

    def test_recipients_of_other_rules_are_named_as_deferred(self):
        rc, _, err, _ = sanitize(message(), [f"a@finance.{INSIDE}", f"b@{INSIDE}"])
        self.assertEqual(rc, 0, err)
        self.assertIn(f"mugai sanitize: --rcpt b@{INSIDE} is under the main policy, the message "
                      "under [rule finance]: the milter defers it (452 4.5.3) to a message of its "
                      "own", err)
        self.assertIn(" rule=finance", err[-1])


class Clauses(unittest.TestCase):
    def test_an_ascii_clause_is_in_the_reply_a_japanese_one_only_in_log_and_report(self):
        conf = config(inbound={"max_message_size_clause": "8a"})
        rc, _, err, report = sanitize(message(), [f"a@{INSIDE}"], size=6 << 20, conf=conf)
        self.assertEqual(rc, 3, err)
        self.assertIn('reply="552 5.3.4 Message too big for this gateway (limit 5M for inbound '
                      'mail; clause 8a)"', err[-1])
        self.assertEqual(report["clause"], "8a")
        conf = config(outbound={"max_shown_external_addresses": "1",
                                "max_shown_external_addresses_clause": "対策基準 ⑩イ"})
        raw = (f"From: taro@{INSIDE}\r\nTo: a@example.com, b@example.net\r\nSubject: s\r\n"
               "\r\nbody\r\n").encode()
        rc, _, err, report = sanitize(raw, ["a@example.com"], sender=f"taro@{INSIDE}",
                                      direction="out", conf=conf)
        self.assertEqual(rc, 3, err)
        self.assertIn('clause="対策基準 ⑩イ"', err[-1])
        self.assertIn("put them in Bcc (2, at most 1)", err[-1])
        self.assertEqual(report["clause"], "対策基準 ⑩イ")

    def test_the_own_clause_of_a_refusal_wins_over_the_rules(self):
        conf = config(impersonation={"clause": "11b"})
        raw = message(sender="x@partner.example.jp", frm=f"soumu@{INSIDE}")
        rc, _, err, report = sanitize(raw, [f"a@{INSIDE}"], sender="x@partner.example.jp",
                                      conf=conf)
        self.assertEqual(rc, 3, err)
        self.assertEqual(report["clause"], "11b")
        self.assertIn("clause 11b)", report["reply"]["text"])

    def test_individual_numbers_name_their_clause(self):
        conf = config(outbound={"individual_numbers_clause": "DLP-1"})
        raw = (f"From: taro@{INSIDE}\r\nTo: a@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=UTF-8\r\n\r\n"
               "番号は 1234 5678 9018 です\r\n").encode()
        rc, _, err, report = sanitize(raw, ["a@example.com"], sender=f"taro@{INSIDE}",
                                      direction="out", conf=conf)
        self.assertEqual(rc, 3, err)
        self.assertEqual(report["clause"], "DLP-1")
        self.assertIn("(clause DLP-1)", err[-1])


if __name__ == "__main__":
    unittest.main(verbosity=2)
