#!/usr/bin/env python3
"""make_seeds.py KIND OUTDIR [EML_OR_DIR...] — seed inputs for the decoder fuzz targets.

KIND is html (the decoded bytes of text/html parts), charset (text parts' decoded bytes, as the
fuzz_charset input: byte 0 = "label from the input", then "CHARSET\\n", then the bytes), header
(raw header values: Subject, From, To, Content-Type, Content-Disposition, ... of every part) or
authres (raw Authentication-Results values, folding kept) or text (text parts as UTF-8, what
fuzz_passwords reads: the text of a password mail).
.eml files are read from the arguments (files or directories, searched recursively); a small
built-in set is always written too, so an absent corpus still gives a useful start.
Deterministic: file names are the SHA-1 of the content."""
import email
import email.policy
import hashlib
import os
import sys

MAX_LEN = {"html": 262144, "charset": 65536, "header": 4096, "config": 65536, "authres": 20000,
           "text": 65536}
# config: the commented example (every key), and sections the parser treats apart.
EXAMPLE_CONF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "config",
                            "mugai.conf")
MAX_SEEDS = 3000
HEADERS = {"subject", "from", "to", "cc", "reply-to", "sender", "comments", "content-type",
           "content-disposition", "thread-topic"}

BUILTIN = {
    "html": [
        b"<html><head><meta charset=\"shift_jis\"><title>t</title></head><body>"
        b"<p>\x82\xa0\x82\xa2 <a href=\"https://example.jp/\">link</a></p></body></html>",
        b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-2022-JP\">"
        b"<p>\x1b$B$3$s$K$A$O\x1b(B</p><script>alert(1)</script>",
        b"<table><tr><td>a</td><td></td><td>b</td></tr></table><ul><li>x<ol start=9><li>y</ol></ul>",
        b"<pre>\r\n  kept\tthis\r\n\r\n</pre><hr><img alt=\"pic\"><ruby>\xe6\xbc\xa2<rt>kan</rt></ruby>",
        b"<a href=\"java\tscript:x\">j</a><a href=\"mailto:a@b.jp\">a@b.jp</a>"
        b"<div hidden>h</div><span style=\"display:none\">n</span>&#x85;&#1;&nbsp;&copy;",
        b"<div>" * 300 + b"deep" + b"</div>" * 300,
        b"<b>x" * 20001,  # one start tag more than html2text hands gumbo
        b"<!-- <meta charset=euc-jp> --><meta charset='utf-8'>\xe4\xbc\x9a\xe8\xad\xb0\n\xe8\xb3\x87",
    ],
    "charset": [
        (b"ISO-2022-JP", b"\x1b$B-!-j|b\x1b(B abc \x1b$B$3$s\x1b(I1\x1b(B\x0e1\x0f"),
        (b"Shift_JIS", b"\x87\x40\x87\x8a\xfb\xfc\x82\xa0\x95\x5c"),
        (b"EUC-JP", b"\xa4\xb3\xa4\xf3\x8f\xb0\xa1\x8e\xb1"),
        (b"UTF-8", b"\xe2\x91\xa0\xe3\x88\xb1 \xed\xa0\x80 \xf4\x90\x80\x80 \xc0\xaf"),
        (b"UTF-7", b"+ZeVnLIqe- +AAA- a+-b"),
        (b"", b"\x82\xb1\x82\xf1\x82\xc9\x82\xbf\x82\xcd"),
        (b"us-ascii", b"\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf"),
        (b"iso-8859-1", b"caf\xe9 \x80 \x81 \xe2\x82\xac"),
        (b"UTF-16LE", b"\xff\xfeA\x00\x00\xd8"),
        (b"ISO-2022-KR", b"\x1b$)C\x0e!!\x0f"),
    ],
    "config": [
        b"[gateway]\ninternal_domains = city.example.lg.jp, .x.jp\ninternal_networks = 10.0.0.0/8\n"
        b"[rule finance]\nmatch_rcpt_domain = .finance.example.jp\nmatch_sender = a@b.jp\n"
        b"inbound.max_message_size = 20M\nclause = \xe5\xaf\xbe\nnotice.subject_tag = [x]\n",
        b"[rule a]\nmatch_rcpt = x@y.jp\n[rule a]\nmax_message_size = 1\nmilter.socket = q\n",
        b"# partners\nPartner.example.jp\n@trusted.example.com\nx@\n\xef\xbb\xbfa@b.jp\r\n",
        b"[notify]\nrefused_outbound = yes\nsendmail_command = /usr/sbin/sendmail -C \"/a b\"\n"
        b"[ratelimit]\nwindow = 2h\nexempt_clients = ::1/128\n[outbound]\nattachments = block\n",
    ],
    "header": [
        b"=?ISO-2022-JP?B?GyRCLSE1RDt2Tz8tahsoQi5wZGY=?=",
        b"=?ISO-2022-JP?B?GyQ=?= =?iso-2022-jp?b?Qi0hNUQ7dk8/LWobKEIucGRm?=",
        b"Re: =?UTF-8?Q?=E8=AD=B0_x?=\r\n =?Shift_JIS?B?i2OOlpheLnhsc3g=?= (2)",
        b"\"=?UTF-8?B?6LOH5paZ?=\" <a@example.jp>, b <b@x.jp> (=?utf-8?q?c?=)",
        b"attachment; filename*0*=UTF-8''%E4%BC%9A; filename*1=\"x.doc\"",
        b"attachment; filename*=iso-2022-jp'ja'%1B%24%42%2D%21%1B%28%42.pdf",
        b"application/pdf; name=\"\x97\x5c\x92\xe8\x95\x5c\"; x=1",
        b"attachment; filename=\"C:\\\\Users\\\\a.exe\"",
        b"attachment; filename=\"=?UTF-8?Q?=2E=2E/a?=\"",
    ],
    "authres": [
        b" mx; dmarc=fail (p=reject dis=none) header.from=example.com",
        b" mx;\r\n\tdkim=pass (2048-bit key; unprotected) header.d=example.jp header.i=@example.jp"
        b" header.b=\"AbC+/d\";\r\n\tspf=pass smtp.mailfrom=bounce@example.jp",
        b" mx; dkim=none;\n\tspf=fail smtp.mailfrom=a@example.com;\n\tdmarc=fail reason=\"No valid"
        b" SPF\" header.from=example.com (policy=reject)",
        b" mx.google.com 1; dkim/1=pass header.i=@example.com; dmarc=pass (p=NONE sp=NONE dis=NONE)",
        b" spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com;dmarc=pass action=none",
        b"\"mx\" (x (nested) ); none",
        b"mx; spf=pass (open comment; dkim=pass \"open quote",
    ],
    "text": [t.encode("utf-8") for t in [
        "お世話になっております。\n先ほどお送りしたファイルのパスワードをお知らせします。\n\n"
        "パスワード：Abc123\n\nよろしくお願いいたします。",
        "解凍パスワード【 xY9#kLm2 】です。\nPW: abc-123\n密码：mima2024、密碼: mima2025",
        "ﾊﾟｽﾜｰﾄﾞ：Xy12ab\nＰＷ：ａｂｃｄ１２３４\nパスワ－ド「ｈｉｊ７８９」。\n",
        "パスワードは下記の通りです。\n\n> Zx98cv\n\n【パスワード】\n【 Br4nd 】\n",
        "The password is Secret99.\nPassword: \"p@ss w0rd\" (PW: f(x)=y1)\nPIN: 4321\n",
        "パスワードは別途お送りします。\nパスワードを忘れた場合はこちら https://example.jp/r\n"
        "PWM制御 passage compass パスワード(半角)：Ab12cd\n",
        "パスワード PW: abcd1234\n解凍用パスワード：kk11jj\nPW:\x00abcd\tPW: a\u3000b",
    ]],
}


def emls(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(".eml"):
                        yield os.path.join(root, f)
        elif os.path.isfile(p):
            yield p


def raw(value):
    return value.encode("ascii", "surrogateescape") if isinstance(value, str) else bytes(value)


def seeds_of(kind, msg):
    for part in msg.walk():
        if kind == "header":
            for name, value in part.raw_items():
                if name.lower() in HEADERS:
                    yield raw(value).lstrip(b" ")
            continue
        if kind == "authres":
            for name, value in part.raw_items():
                if name.lower() in ("authentication-results", "arc-authentication-results"):
                    yield raw(value)
            continue
        if part.is_multipart() or part.get_content_maintype() != "text":
            continue
        if kind == "html" and part.get_content_subtype() != "html":
            continue
        try:
            body = part.get_payload(decode=True)
        except Exception:
            continue
        if not body:
            continue
        if kind == "html":
            yield body
        elif kind == "text":
            cs = part.get_content_charset() or "utf-8"
            try:
                yield body.decode(cs, errors="replace").replace("\r\n", "\n").encode("utf-8")
            except LookupError:
                continue
        else:
            cs = part.get_param("charset") or ""
            cs = raw(cs if isinstance(cs, str) else str(cs))
            yield b"\x00" + cs.replace(b"\n", b"") + b"\n" + body


def main():
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    found = []
    for b in BUILTIN[kind]:
        found.append(b"\x00" + b[0] + b"\n" + b[1] if kind == "charset" else b)
    if kind == "config":
        with open(EXAMPLE_CONF, "rb") as f:
            found.append(f.read())
        sys.argv[3:] = []  # no mail is a config file
    for path in emls(sys.argv[3:]):
        with open(path, "rb") as f:
            data = f.read()
        if len(data) > 4 << 20:
            continue
        try:
            msg = email.message_from_bytes(data, policy=email.policy.compat32)
            found.extend(seeds_of(kind, msg))
        except Exception:
            continue
    seen = set()
    for s in found:
        s = s[: MAX_LEN[kind]]
        h = hashlib.sha1(s).hexdigest()
        if h in seen:
            continue
        seen.add(h)
        with open(os.path.join(out, h), "wb") as f:
            f.write(s)
        if len(seen) >= MAX_SEEDS:
            break
    print(f"{kind}: {len(seen)} seeds in {out}")


if __name__ == "__main__":
    main()
