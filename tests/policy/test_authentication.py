#!/usr/bin/env python3
"""[authentication] through `mugai sanitize`: the Authentication-Results the gateway's own
OpenDKIM/OpenDMARC/rspamd put on top of an inbound message are shown at the top of the notice; a
DMARC fail is warned about, or refused (550 5.7.1, with the clause); every other copy of that
header (other authserv-ids, forged copies of ours below a Received header) is removed from the
delivered message and the trusted ones are kept; with no trusted authserv-id nothing changes."""
import email, email.policy, json, os, subprocess, sys, tempfile, unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import scan_db  # noqa: E402

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(HERE))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
MAILCHECK = os.path.join(ROOT, "..", "shared", "tools", "mailcheck.py")
GW = "mx.city.example.lg.jp"
REPLY = "550 5.7.1 Message failed the DMARC check of its From domain"

# What OpenDMARC and OpenDKIM insert at position 1 (so mugai sees them first, newest on top).
OPENDMARC_FAIL = f"Authentication-Results: {GW}; dmarc=fail (p=reject dis=none) header.from=example.com\r\n"
OPENDMARC_FAIL_NONE = f"Authentication-Results: {GW}; dmarc=fail (p=none dis=none) header.from=example.com\r\n"
OPENDMARC_PASS = f"Authentication-Results: {GW}; dmarc=pass (p=reject dis=none) header.from=example.jp\r\n"
OPENDKIM = (f"Authentication-Results: {GW};\r\n\tdkim=pass (2048-bit key; unprotected) "
            "header.d=example.jp header.i=@example.jp header.b=\"AbCdEf12\"\r\n")
SPF = f"Authentication-Results: {GW}; spf=pass smtp.mailfrom=bounce@example.jp\r\n"
RECEIVED = ("Received: from mail.example.jp (mail.example.jp [192.0.2.25])\r\n"
            "\tby mx.example.net (Postfix) with ESMTPS id 4Xyz12AbC; Tue, 1 Dec 2026 10:00:00 +0900\r\n")
# What the message brought with it: a forged copy naming our id, and someone else's.
FORGED = f"Authentication-Results: {GW}; dmarc=pass header.from=example.com\r\n"
GMAIL = ("Authentication-Results: mx.google.com;\r\n       spf=pass (google.com: domain of "
         "a@example.com designates 192.0.2.9 as permitted sender) smtp.mailfrom=a@example.com\r\n")


def message(top, html=True, sender="news@example.jp"):
    body = ("Content-Type: text/html; charset=UTF-8\r\n\r\n<p>お知らせです。</p>\r\n" if html else
            "Content-Type: text/plain; charset=UTF-8\r\n\r\nお知らせです。\r\n")
    return (top + f"From: {sender}\r\nTo: taro@city.example.lg.jp\r\nSubject: お知らせ\r\n"
            "Message-ID: <n1@example.jp>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0900\r\n"
            "MIME-Version: 1.0\r\n" + body).encode()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def sanitize(raw, direction="in", language=None, **keys):
    """Exit code, summary line, delivered message (parsed, or None), raw output, the report."""
    base = open(os.path.join(ROOT, "config", "mugai.conf"), encoding="utf-8").read()
    text = scan_db.config_with_database(base, scan_db.database())
    if keys:
        text = scan_db.config_with_keys(text, "authentication", **keys)
    if language:
        text = scan_db.config_with_keys(text, "notice", language=language)
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        write(conf, text.encode())
        rep = os.path.join(tmp, "r.json")
        p = subprocess.run([MUGAI, "sanitize", "-c", conf, "--direction", direction,
                            "--from", "bounce@example.jp", "--rcpt", "taro@city.example.lg.jp",
                            "--report-json", rep], input=raw, capture_output=True, timeout=60)
        report = None
        if os.path.exists(rep):
            with open(rep, encoding="utf-8") as f:
                report = json.load(f)
    line = p.stderr.decode("utf-8", "replace").strip().splitlines()[-1]
    m = email.message_from_bytes(p.stdout, policy=email.policy.default) if p.returncode == 0 else None
    return p.returncode, line, m, p.stdout, report


def body_of(m):
    """The delivered text, line ends as "\n"."""
    return m.get_payload(decode=True).decode(m.get_content_charset() or "utf-8").replace("\r\n", "\n")


class TrustedResults(unittest.TestCase):
    def test_a_trusted_pass_is_shown_at_the_top_of_the_notice(self):
        raw = message(OPENDMARC_PASS + OPENDKIM + SPF + RECEIVED)
        rc, line, m, _, report = sanitize(raw, trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        body = body_of(m)
        self.assertTrue(body.startswith(
            "【無害化通知】\n送信元認証: SPF=pass, DKIM=pass (example.jp), DMARC=pass (example.jp)\n"
            "このメールはインターネットから届いたため"), body[:300])
        self.assertNotIn("【注意】", body)
        self.assertIn("お知らせです。", body)
        self.assertEqual(report["authentication"], {
            "authserv_id": GW, "results_total": 3, "removed": 0, "results": [
                {"method": "spf", "result": "pass", "domain": "example.jp"},
                {"method": "dkim", "result": "pass", "domain": "example.jp"},
                {"method": "dmarc", "result": "pass", "domain": "example.jp", "policy_reject": True}]})
        self.assertEqual(len(m.get_all("Authentication-Results")), 3)  # the trusted ones stay
        self.assertNotIn("auth_results_removed", line)

    def test_english_notice(self):
        raw = message(OPENDMARC_FAIL + OPENDKIM + RECEIVED)
        rc, line, m, _, _ = sanitize(raw, language="en", trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        body = body_of(m)
        self.assertTrue(body.startswith(
            "WARNING: this message failed the sender authentication (DMARC) of its From domain "
            "(example.com). It may be an impersonation.\n\n[mugai sanitization notice]\n"
            "Sender authentication: DKIM=pass (example.jp), DMARC=fail (example.com)\n"), body[:400])

    def test_a_plain_text_pass_is_delivered_unchanged(self):
        """The results alone do not make mugai rewrite a message that needs no notice."""
        raw = message(OPENDMARC_PASS + SPF + RECEIVED, html=False)
        rc, line, m, out, _ = sanitize(raw, trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        self.assertEqual(body_of(m), "お知らせです。\n")
        self.assertIn("actions=none", line.replace("not-scanned,", ""))


class DmarcFail(unittest.TestCase):
    RAW = message(OPENDMARC_FAIL + OPENDKIM + RECEIVED)

    def test_warn_is_the_default(self):
        rc, line, m, _, report = sanitize(self.RAW, trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        self.assertIn("dmarc_fail_warned", line)
        self.assertIn("dmarc_fail_warned", m["X-Mugai-Actions"])
        body = body_of(m)
        self.assertTrue(body.startswith(
            "【注意】このメールは差出人のドメイン (example.com) の送信元認証 (DMARC) に失敗しました。"
            "なりすましの可能性があります。\n\n【無害化通知】\n"
            "送信元認証: DKIM=pass (example.jp), DMARC=fail (example.com)\n"), body[:300])
        self.assertIn("dmarc_fail_warned", report["actions"])

    def test_even_plain_text_gets_the_warning(self):
        rc, line, m, _, _ = sanitize(message(OPENDMARC_FAIL + RECEIVED, html=False),
                                     trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        body = body_of(m)
        self.assertTrue(body.startswith("【注意】このメールは差出人のドメイン (example.com)"), body)
        self.assertIn("お知らせです。", body)

    def test_reject_refuses_with_the_clause_in_reply_line_and_report(self):
        rc, line, _, out, report = sanitize(self.RAW, trusted_authserv_ids=GW, dmarc_fail="reject",
                                            clause="10b")
        self.assertEqual(rc, 3, line)
        self.assertEqual(out, b"")  # nothing is delivered
        self.assertIn(f'reply="{REPLY} (example.com; clause 10b)"', line)
        self.assertIn("reason=dmarc", line)
        self.assertIn('detail="dmarc=fail header.from=example.com (p=reject)"', line)
        self.assertIn('clause="10b"', line)
        self.assertEqual(report["reply"], {"code": "550", "status": "5.7.1",
                                           "text": "Message failed the DMARC check of its From "
                                                   "domain (example.com; clause 10b)"})
        self.assertEqual(report["reason"], "dmarc")
        self.assertEqual(report["clause"], "10b")
        # A clause that is not ASCII: in the log line and the report, not in the reply.
        rc, line, _, _, report = sanitize(self.RAW, trusted_authserv_ids=GW, dmarc_fail="reject",
                                          clause="対策基準 ⑩ア")
        self.assertEqual(rc, 3, line)
        self.assertIn(f'reply="{REPLY} (example.com)"', line)
        self.assertIn('clause="対策基準 ⑩ア"', line)
        self.assertEqual(report["clause"], "対策基準 ⑩ア")

    def test_reject_if_p_reject_follows_the_domains_policy(self):
        rc, line, _, _, _ = sanitize(self.RAW, trusted_authserv_ids=GW,
                                     dmarc_fail="reject_if_p_reject")
        self.assertEqual(rc, 3, line)
        self.assertIn(REPLY, line)
        rc, line, m, _, _ = sanitize(message(OPENDMARC_FAIL_NONE + RECEIVED),
                                     trusted_authserv_ids=GW, dmarc_fail="reject_if_p_reject")
        self.assertEqual(rc, 0, line)
        self.assertIn("dmarc_fail_warned", line)
        # rspamd's spelling of the policy.
        rspamd = (f"Authentication-Results: {GW};\r\n\tdkim=none;\r\n\tspf=fail smtp.mailfrom=a@example.com;"
                  "\r\n\tdmarc=fail reason=\"No valid SPF, No valid DKIM\" header.from=example.com "
                  "(policy=reject)\r\n")
        rc, line, _, _, _ = sanitize(message(rspamd + RECEIVED), trusted_authserv_ids=GW,
                                     dmarc_fail="reject_if_p_reject")
        self.assertEqual(rc, 3, line)

    def test_no_only_shows_it(self):
        rc, line, m, _, _ = sanitize(self.RAW, trusted_authserv_ids=GW, dmarc_fail="no")
        self.assertEqual(rc, 0, line)
        self.assertNotIn("dmarc_fail_warned", line)
        body = body_of(m)
        self.assertNotIn("【注意】", body)
        self.assertIn("DMARC=fail (example.com)", body)

    def test_a_forged_fail_or_pass_below_received_is_not_believed(self):
        forged_fail = f"Authentication-Results: {GW}; dmarc=fail (p=reject) header.from=example.com\r\n"
        rc, line, m, _, _ = sanitize(message(OPENDMARC_PASS + RECEIVED + forged_fail),
                                     trusted_authserv_ids=GW, dmarc_fail="reject")
        self.assertEqual(rc, 0, line)
        self.assertIn("DMARC=pass", body_of(m))
        # No trusted DMARC result at all and a forged pass: nothing is claimed for DMARC.
        rc, line, m, _, _ = sanitize(message(OPENDKIM + RECEIVED + FORGED), trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        self.assertIn("送信元認証: DKIM=pass (example.jp)\n", body_of(m))
        self.assertNotIn("DMARC", body_of(m))

    def test_outbound_mail_is_not_judged(self):
        rc, line, m, out, _ = sanitize(self.RAW, direction="out", trusted_authserv_ids=GW,
                                       dmarc_fail="reject")
        self.assertEqual(rc, 0, line)
        self.assertEqual(out.count(b"Authentication-Results:"), 2)  # delivered as it came
        self.assertNotIn("dmarc", line)


class UntrustedCopies(unittest.TestCase):
    RAW = message(OPENDMARC_PASS + OPENDKIM + RECEIVED + FORGED + GMAIL +
                  "Authentication-Results: spf=pass smtp.mailfrom=example.com\r\n")

    def test_untrusted_and_forged_copies_are_removed_trusted_ones_kept(self):
        rc, line, m, out, report = sanitize(self.RAW, trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        self.assertIn("auth_results_removed:3", line)
        kept = [str(v) for v in m.get_all("Authentication-Results")]
        self.assertEqual(len(kept), 2, kept)
        self.assertIn("dmarc=pass (p=reject dis=none) header.from=example.jp", kept[0])
        self.assertIn("dkim=pass", kept[1])
        self.assertNotIn(b"mx.google.com", out)
        self.assertNotIn(b"dmarc=pass header.from=example.com", out)
        self.assertNotIn(b"Authentication-Results: spf=pass", out)
        self.assertIn(b"Received: from mail.example.jp", out)  # nothing else goes
        self.assertEqual(report["authentication"]["removed"], 3)
        if os.path.exists(MAILCHECK):
            with tempfile.TemporaryDirectory() as tmp:
                a, b = os.path.join(tmp, "in.eml"), os.path.join(tmp, "out.eml")
                write(a, self.RAW)
                write(b, out)
                p = subprocess.run([sys.executable, MAILCHECK, a, b], capture_output=True, text=True)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_removal_alone_keeps_a_plain_body_unchanged(self):
        raw = message(SPF + RECEIVED + FORGED, html=False)
        rc, line, m, out, _ = sanitize(raw, trusted_authserv_ids=GW)
        self.assertEqual(rc, 0, line)
        self.assertEqual(body_of(m), "お知らせです。\n")
        self.assertEqual(out.count(b"Authentication-Results:"), 1)
        self.assertIn("auth_results_removed", m["X-Mugai-Actions"])

    def test_without_trusted_ids_nothing_is_shown_or_removed(self):
        rc, line, m, out, report = sanitize(self.RAW)
        self.assertEqual(rc, 0, line)
        self.assertEqual(out.count(b"Authentication-Results:"), 5)
        self.assertNotIn("送信元認証", body_of(m))
        self.assertNotIn("auth_results", line)
        self.assertNotIn("authentication", report)
        rc, line, _, _, _ = sanitize(message(OPENDMARC_FAIL + RECEIVED), dmarc_fail="reject")
        self.assertEqual(rc, 0, line)  # nothing trusted: nothing to refuse on


if __name__ == "__main__":
    unittest.main(verbosity=2)
