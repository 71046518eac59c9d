"""What the fault tests share: the mixed mail they send (each message carries a unique token in
its Message-ID and Subject), an SMTP client that retries a 4xx as a sending MTA would, the sink
read without a subprocess per file, and the text-only check of a delivered message
(../shared/tools/mailcheck.py when present, the same essentials here otherwise).

Every sender here follows the rule a real MTA follows: a 4xx or a dropped connection means "try
again later", a 2xx or 5xx is final. So a message is "sent" once, and ends in exactly one final
answer: 250 (then it must be delivered exactly once, sanitized) or 5xx (then never delivered)."""
import base64, email, glob, os, smtplib, subprocess, sys, threading, time
from email import policy as email_policy

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import lab  # noqa: E402

scan_db = lab.scan_db
SENDER = "sender@example.co.jp"
RCPT = "taro@city.example.lg.jp"
SHARED_TOOLS = os.path.join(os.path.dirname(lab.ROOT), "shared", "tools")
KINDS = ("html", "japanese", "eicar")


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def message(kind, token, pad=0):
    """A message of KIND (html: HTML body with an attachment, japanese: plain ISO-2022-JP text,
    eicar: a text and EICAR attached) whose Message-ID and Subject carry TOKEN; PAD bytes of
    attachment more (html only)."""
    head = (f"From: {SENDER}\r\nTo: {RCPT}\r\nSubject: fault {kind} {token}\r\n"
            f"Message-ID: <{token}@fault.example.jp>\r\nDate: Tue, 01 Dec 2026 09:00:00 +0900\r\n"
            "MIME-Version: 1.0\r\n")
    if kind == "japanese":
        text = f"お世話になっております。\r\n会議の資料について連絡します。{token}\r\n"
        return (head + "Content-Type: text/plain; charset=ISO-2022-JP\r\n"
                "Content-Transfer-Encoding: 7bit\r\n\r\n").encode() + text.encode("iso-2022-jp")
    head += "Content-Type: multipart/mixed; boundary=\"fault-b\"\r\n\r\n"
    if kind == "html":
        body = (f"<html><body><p>見積書を<b>添付</b>します。 {token}</p>"
                "<script>alert(1)</script><a href=\"https://example.com/x\">link</a></body></html>\r\n")
        data = (f"report {token}\n".encode() * 40) + os.urandom(pad)
        return (head + "--fault-b\r\nContent-Type: text/html; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + body +
                "--fault-b\r\nContent-Type: application/octet-stream; name=\"report.bin\"\r\n"
                "Content-Disposition: attachment; filename=\"report.bin\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n").encode() + b64(data) + b"--fault-b--\r\n"
    assert kind == "eicar", kind
    return (head + "--fault-b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"
            f"添付を見てください {token}\r\n"
            "--fault-b\r\nContent-Type: application/octet-stream; name=\"eicar.com\"\r\n"
            "Content-Disposition: attachment; filename=\"eicar.com\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + b64(scan_db.EICAR) + b"--fault-b--\r\n"


def transaction(smtp, raw):
    """MAIL, RCPT, DATA on SMTP: (code, text) of the first refusal or of the final reply."""
    smtp.ehlo_or_helo_if_needed()
    code, text = smtp.mail(SENDER)
    if code != 250:
        smtp.rset()
        return code, text.decode(errors="replace")
    code, text = smtp.rcpt(RCPT)
    if code not in (250, 251):
        smtp.rset()
        return code, text.decode(errors="replace")
    try:
        code, text = smtp.data(raw)
    except smtplib.SMTPDataError as e:
        code, text = e.smtp_code, e.smtp_error
    return code, text.decode(errors="replace")


class Sender:
    """Sends messages to PORT and retries each 4xx answer or dropped connection after RETRY
    seconds, up to GIVE_UP seconds per message: what a sending MTA does. Each message's history
    is kept: {"token", "kind", "answers": [(time, code, text)], "final": code or None}."""

    def __init__(self, port, retry=0.5, give_up=120):
        self.port, self.retry, self.give_up = port, retry, give_up
        self.lock = threading.Lock()
        self.results = {}

    def send(self, smtp_box, kind, token, raw):
        """SMTP_BOX: a one-element list holding this thread's connection (or None)."""
        record = {"token": token, "kind": kind, "answers": [], "final": None}
        with self.lock:
            self.results[token] = record
        end = time.monotonic() + self.give_up
        while True:
            try:
                if smtp_box[0] is None:
                    smtp_box[0] = smtplib.SMTP("127.0.0.1", self.port, timeout=180)
                code, text = transaction(smtp_box[0], raw)
            except (OSError, smtplib.SMTPException) as e:
                code, text = None, f"{type(e).__name__}: {e}"
                close(smtp_box)
            record["answers"].append((time.time(), code, text))
            if code is not None and code // 100 in (2, 5):
                record["final"] = code
                return record
            close(smtp_box)  # a retry comes on a new connection, as from a sending MTA
            if time.monotonic() > end:
                return record
            time.sleep(self.retry)


def close(smtp_box):
    if smtp_box[0] is not None:
        try:
            smtp_box[0].quit()
        except (OSError, smtplib.SMTPException):
            pass
        try:
            smtp_box[0].close()
        except OSError:
            pass
    smtp_box[0] = None


# ---- the sink ----

def sink_files(the_lab):
    return sorted(glob.glob(os.path.join(the_lab.state, "sink", "*")))


def sink_message(path):
    """The delivered message of one smtp-sink dump file (as postfix-lab.sh message prints it)."""
    with open(path, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    i = 0
    while i < len(lines) and lines[i].split(b":", 1)[0] in (
            b"X-Client-Addr", b"X-Client-Proto", b"X-Helo-Args", b"X-Mail-Args", b"X-Rcpt-Args"):
        i += 1
    assert lines[i].startswith(b"Received: ") and b"(smtp-sink)" in lines[i + 1], path
    i += 3
    raw = b"\n".join(lines[i:])
    return raw[:-1] if raw.endswith(b"\n") else raw


def delivered(the_lab):
    """[(raw, parsed)] of every message in the sink."""
    out = []
    for path in sink_files(the_lab):
        raw = sink_message(path)
        out.append((raw, email.message_from_bytes(raw, policy=email_policy.default)))
    return out


def token_of(msg):
    mid = str(msg.get("Message-ID", ""))
    return mid.strip("<>").split("@", 1)[0]


# ---- the text-only invariant ----

_mailcheck = None


def mailcheck():
    global _mailcheck
    if _mailcheck is None and os.path.isdir(SHARED_TOOLS):
        sys.path.insert(0, SHARED_TOOLS)
        import mailcheck as m
        _mailcheck = m
    return _mailcheck


def unsanitized(raw, msg, original=None):
    """What makes a delivered message not a sanitized one (empty when it is): no X-Mugai-Actions,
    anything but text/plain, an attachment, HTML, EICAR; mailcheck's problems when available."""
    problems = []
    if msg.get("X-Mugai-Actions") is None:
        problems.append("no X-Mugai-Actions")
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() != "text/plain":
            problems.append(f"part {part.get_content_type()}")
        if part.get_filename() or str(part.get("Content-Disposition", "")).startswith("attachment"):
            problems.append("attachment")
    if scan_db.EICAR in raw:
        problems.append("EICAR")
    if b"<script" in raw.lower() or b"<html" in raw.lower():
        problems.append("HTML")
    m = mailcheck()
    if m is not None:
        if original is not None:
            problems += m.compare(original, raw)["problems"]
        else:
            problems += m.check_output(raw)[0]
    return problems


def queue_count(the_lab):
    """Messages in the lab Postfix's queues (maildrop, incoming, active, deferred, hold)."""
    n = 0
    for q in ("maildrop", "incoming", "active", "deferred", "hold"):
        for _, _, files in os.walk(os.path.join(the_lab.state, "spool", q)):
            n += len(files)
    return n


def wait_for(predicate, timeout, step=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def quarantine(conf, *args, timeout=120):
    return subprocess.run([lab.MUGAI, "quarantine", args[0], "-c", conf] + list(args[1:]),
                          capture_output=True, timeout=timeout)
