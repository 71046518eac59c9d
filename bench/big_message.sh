#!/usr/bin/env bash
# big_message.sh [BUILD_DIR] — time and memory for 20 MB messages (the issue: "time for a 20 MB
# message; memory (max RSS) for that message").
#
# Generates, into a temporary directory, deterministic messages of about 20 MB each (python3,
# fixed seeds; the same bytes on every run):
#   attach-bin   a short text body + one 20 MB base64 application/octet-stream attachment
#   attach-zip   a short text body + one 20 MB base64 application/zip (deflated, 15 MB inside)
#   jis-text     20 MB of Japanese text/plain in ISO-2022-JP as Windows writes it (CP50220:
#                ①, ㈱, Ⅲ, 髙 included), 7bit
#   html-news    20 MB of text/html newsletter (<p>, <table>, <a href>, Japanese), UTF-8,
#                quoted-printable
#   200-parts    multipart/mixed: a text body + 200 attachments of 100 KB each on the wire
#                (PDF, PNG, zip, CSV in turn, RFC 2231 Japanese file names)
# and for each prints one line with
#   - `BUILD/mugai sanitize -c config/mugai.conf FILE > /dev/null`: wall time, CPU time (user +
#     system) and max RSS of that process (one run; GNU time if installed, else os.wait4),
#     its exit status and the summary line's verdict/actions;
#   - `BUILD/bench_sanitize -c config/mugai.conf -n 3 FILE`: the core alone, in process, engines
#     loaded once: wall ms of the message in the last pass, CPU ms of the best of 3 passes, and
#     that process's max RSS (which includes the message itself, read into memory first).
# Expected, with the default config: text past text_size (16M) is cut with a marker (jis-text:
# "truncated:2", 16 MB of text delivered), HTML past html_size (8M) is cut before conversion,
# message_size (64M) is not reached. html-news is in fact cut much earlier, by html2text's own
# budget of 20 000 start tags (HTML_MAX_TAGS, against gumbo's cost quadratic in depth): after
# 0.75 MB of its 10.7 MB of decoded HTML, 1 250 of its 17 705 blocks.
# Use a RelWithDebInfo or Release build for numbers that mean anything:
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo && cmake --build /tmp/b-bench -j2
#   bench/big_message.sh /tmp/b-bench
# BIG_MESSAGE_KEEP=DIR keeps the generated messages in DIR (created) instead of a temp dir.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
for p in "$BUILD/mugai" "$BUILD/bench_sanitize"; do
  [ -x "$p" ] || { echo "big_message.sh: $p not built" >&2; exit 2; }
done
if [ -n "${BIG_MESSAGE_KEEP:-}" ]; then
  work="$BIG_MESSAGE_KEEP"
  mkdir -p "$work"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
fi
python3 - "$work" "$ROOT" <<'PY'
import base64, io, os, quopri, random, sys, zipfile
sys.path.insert(0, os.path.join(sys.argv[2], "tests", "golden"))
from make_inputs import to_jis  # the one ISO-2022-JP (CP50220) encoder of the test data

work = sys.argv[1]
TARGET = 20 * 1024 * 1024

HEAD = ("From: =?UTF-8?B?" + base64.b64encode("防災課".encode()).decode() + "?= <news@example.co.jp>\n"
        "To: taro@city.example.lg.jp\nDate: Mon, 23 Nov 2026 10:00:00 +0900\n"
        "Message-ID: <big-%s@example.co.jp>\nSubject: big %s\nMIME-Version: 1.0\n")

SENTENCES = ["いつもお世話になっております。", "①会議資料を送付いたしますので、ご確認ください。",
             "㈱サンプル商事の髙橋です。", "第Ⅲ期の予算案について、来週の打ち合わせで議論します。",
             "防災訓練は午前十時から市役所前の広場で行います。", "ご不明な点がございましたら、お気軽にお問い合わせください。",
             "申込書は窓口で受け付けております（土日祝日を除く）。", "Meeting room 3, 14:00-15:30."]


def b64_lines(data):
    e = base64.b64encode(data)
    return b"\n".join(e[i:i + 76] for i in range(0, len(e), 76)) + b"\n"


def text_body():
    return ("Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
            "資料を添付します。\nよろしくお願いいたします。\n").encode()


def one_attachment(kind, ctype, name, payload):
    boundary = "=_big_" + kind
    return ((HEAD % (kind, kind)) + f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
            f"--{boundary}\n").encode() + text_body() + (
            f"\n--{boundary}\nContent-Type: {ctype}; name=\"{name}\"\n"
            f"Content-Disposition: attachment; filename=\"{name}\"\n"
            "Content-Transfer-Encoding: base64\n\n").encode() + b64_lines(payload) + f"\n--{boundary}--\n".encode()


def attach_bin():
    return one_attachment("attach-bin", "application/octet-stream", "data.bin",
                          random.Random(1).randbytes(TARGET * 3 // 4))


def attach_zip():
    rnd = random.Random(2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(15):  # incompressible: the zip is about 15 MB, 20 MB in base64
            z.writestr(f"report-{i:02d}.dat", rnd.randbytes(1024 * 1024 - 4096))
    return one_attachment("attach-zip", "application/zip", "reports.zip", buf.getvalue())


def jis_text():
    rnd = random.Random(3)
    head = ((HEAD % ("jis-text", "jis-text")) +
            "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n").encode()
    jis = [to_jis(s) for s in SENTENCES]  # each ends back in ASCII, so they concatenate
    lines, size = [], len(head)
    while size < TARGET:
        line = b"".join(rnd.choice(jis) for _ in range(3)) + b"\n"
        lines.append(line)
        size += len(line)
    return head + b"".join(lines)


def html_news():
    rnd = random.Random(4)
    head = ((HEAD % ("html-news", "html-news")) +
            "Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n").encode()
    chunks = ["<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>防災だより</title>"
              "<style>p{margin:0}</style></head><body>"]
    size, n = len(head), 0
    while size < TARGET:
        n += 1
        block = (f"<h2>第{n}号 お知らせ</h2><p>{rnd.choice(SENTENCES)}{rnd.choice(SENTENCES)}</p>"
                 f"<p>詳しくは <a href=\"https://www.city.example.lg.jp/news/{n}.html\">市のホームページ</a>"
                 f" をご覧ください。</p><table border=\"0\" cellpadding=\"4\"><tr><th>日時</th><th>場所</th>"
                 f"<th>定員</th></tr><tr><td>11月{n % 30 + 1}日</td><td>市民会館 第{n % 9 + 1}会議室</td>"
                 f"<td>{n % 50 + 10}名</td></tr></table><p><img src=\"https://cdn.example.jp/b{n}.png\" "
                 f"alt=\"バナー{n}\"> <a href=\"https://track.example.com/c?id={n}\">配信停止</a></p>\n")
        chunks.append(block)
        size += len(quopri.encodestring(block.encode()))
    chunks.append("</body></html>\n")
    return head + quopri.encodestring("".join(chunks).encode())


def parts_200():
    rnd = random.Random(5)
    boundary = "=_big_200"
    out = [((HEAD % ("200-parts", "200-parts")) +
            f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n--{boundary}\n').encode() + text_body()]
    raw_size = 100 * 1024 * 3 // 4  # 100 KB on the wire after base64
    kinds = [("application/pdf", "資料{:03d}.pdf", lambda: b"%PDF-1.4\n" + rnd.randbytes(raw_size - 9)),
             ("image/png", "写真{:03d}.png", lambda: b"\x89PNG\r\n\x1a\n" + rnd.randbytes(raw_size - 8)),
             ("application/zip", "書類{:03d}.zip", None), ("text/csv", "名簿{:03d}.csv", None)]
    for i in range(200):
        ctype, pattern, make = kinds[i % 4]
        name = pattern.format(i)
        if ctype == "application/zip":
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
                z.writestr(f"doc{i}.txt", rnd.randbytes(raw_size - 200))
            payload = buf.getvalue()
        elif ctype == "text/csv":
            payload = "".join(f"{j},髙橋{j},市民課,{rnd.randint(0, 99999)}\n" for j in range(4000)).encode()[:raw_size]
            payload = payload[:payload.rfind(b"\n") + 1]
        else:
            payload = make()
        ext = "".join("%%%02X" % b for b in name.encode())
        out.append((f"\n--{boundary}\nContent-Type: {ctype}\n"
                    f"Content-Disposition: attachment; filename*=UTF-8''{ext}\n"
                    "Content-Transfer-Encoding: base64\n\n").encode() + b64_lines(payload))
    out.append(f"\n--{boundary}--\n".encode())
    return b"".join(out)


for name, make in [("attach-bin", attach_bin), ("attach-zip", attach_zip), ("jis-text", jis_text),
                   ("html-news", html_news), ("200-parts", parts_200)]:
    path = os.path.join(work, name + ".eml")
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(make())
PY
# Measured from a fresh, small python3: a child's max RSS includes the RSS of the process it was
# forked from (Linux keeps the old mm's high-water mark across exec), so the generator, which
# held 20 MB messages, must not be the parent. /usr/bin/time (GNU) is used when installed: it
# lowers that floor from about 14 MB to about 1 MB.
exec python3 - "$ROOT" "$BUILD" "$work" <<'PY'
import os, re, resource, subprocess, sys, threading, time

root, build, work = sys.argv[1:4]
conf = os.path.join(root, "config", "mugai.conf")
NAMES = ["attach-bin", "attach-zip", "jis-text", "html-news", "200-parts"]


GNU_TIME = "/usr/bin/time"
try:
    r = subprocess.run([GNU_TIME, "--version"], capture_output=True)
    use_time = b"GNU" in r.stdout + r.stderr
except OSError:
    use_time = False


def measure(argv, keep=False):
    """Runs ARGV once: (wall s, CPU s, max RSS KiB, exit status, stdout bytes, stdout if KEEP,
    last stderr line). stdout is read and dropped (mugai's output goes "> /dev/null"), stderr is
    kept for the summary line. Max RSS comes from GNU time when installed (its own RSS is about
    1 MB), else from os.wait4: then it cannot read below this process's own RSS (the floor)."""
    stats = os.path.join(work, "time.out")
    if use_time:
        argv = [GNU_TIME, "-o", stats, "-f", "%e %U %S %M %x"] + argv
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    errs, kept, out_bytes = [], [], 0
    t = threading.Thread(target=lambda: errs.append(p.stderr.read()))
    t.start()
    while chunk := p.stdout.read(1 << 20):
        out_bytes += len(chunk)
        if keep:
            kept.append(chunk)
    t.join()
    _, status, ru = os.wait4(p.pid, 0)
    wall, cpu, rss = time.monotonic() - t0, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
    rc = os.waitstatus_to_exitcode(status)
    if use_time:
        with open(stats) as f:
            e, u, s, m, x = f.read().split()[-5:]
        wall, cpu, rss, rc = float(e), float(u) + float(s), int(m), int(x)
    err = errs[0].decode("utf-8", "replace").strip().splitlines()
    return (wall, cpu, rss, rc, out_bytes, b"".join(kept).decode("utf-8", "replace"),
            err[-1] if err else "")


def field(summary, key):
    m = re.search(r"\b" + key + r"=(\S+)", summary)
    return m.group(1) if m else "-"


floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
how = "GNU time" if use_time else f"os.wait4, floor {floor:.0f} MB (install `time` for less)"
print(f"build {build}, config {conf}; max RSS by {how}")
print(f"{'message':<11} {'size MB':>7} | {'mugai sanitize: wall s':>22} {'cpu s':>6} {'maxRSS MB':>9} "
      f"{'RSS/size':>8} {'exit':>4} {'out KB':>6} | {'core: ms/msg':>12} {'cpu ms':>7} {'maxRSS MB':>9} | verdict, actions")
for name in NAMES:
    path = os.path.join(work, name + ".eml")
    size = os.path.getsize(path)
    wall, cpu, rss, rc, out_bytes, _, summary = measure([os.path.join(build, "mugai"), "sanitize", "-c", conf, path])
    _, _, brss, _, _, out, _ = measure([os.path.join(build, "bench_sanitize"), "-c", conf, "-n", "3", path], keep=True)
    m = re.search(r"([\d.]+) ms CPU per message", out)
    w = re.search(r"median ([\d.]+) ms", out)
    print(f"{name:<11} {size / 1e6:7.1f} | {wall:22.2f} {cpu:6.2f} {rss / 1024:9.0f} {rss * 1024 / size:8.1f} "
          f"{rc:4d} {out_bytes / 1e3:6.0f} | {float(w.group(1)) if w else -1:12.0f} "
          f"{float(m.group(1)) if m else -1:7.0f} {brss / 1024:9.0f} | "
          f"{field(summary, 'verdict')}, {field(summary, 'actions')}", flush=True)
PY
