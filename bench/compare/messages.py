#!/usr/bin/env python3
"""messages.py OUTDIR [--seed N] [--mix N] — the test mail of bench/compare/compare.py, generated
deterministically (same seed, same bytes). Nothing is downloaded; LF line endings (the clients
send CRLF).

  OUTDIR/synthetic.eml   the message of the issue's synthetic load: a Japanese HTML newsletter
                         (UTF-8, quoted-printable, tables and links) with a real PDF attached
                         (4 pages of text in Flate streams + a small image), about 60 KB
  OUTDIR/mix/NNNN.eml    the realistic mix, N messages (default 500):
                           85 %  5-50 KB (log-uniform) Japanese mail: multipart/alternative
                                 text+HTML (50 %), HTML only (20 %), text only (30 %; half of
                                 those ISO-2022-JP as Windows writes it, the rest UTF-8)
                           15 %  the same with one attachment of 100 KB-2 MB (log-uniform, size
                                 of the file before base64): PDF (text pages + an image of
                                 random bytes), docx or xlsx (a zip of XML), JPEG, zip of
                                 random files
                         every message unique (its attachment's bytes too), so no scanner's
                         clean-file cache answers for another message's parts
  OUTDIR/bigN.eml        messages of N = 5, 20 and 50 MB (a text body + one random
                         application/pdf-typed attachment in base64) for the memory measurement
  OUTDIR/MANIFEST.tsv    name, bytes, kind of every message
"""
import argparse, base64, io, math, os, quopri, random, sys, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "golden"))
from make_inputs import to_jis  # noqa: E402  the project's ISO-2022-JP (CP50220) encoder

SENTENCES = [
    "いつもお世話になっております。", "会議資料を送付いたしますので、ご確認ください。",
    "株式会社サンプル商事の高橋です。", "第三期の予算案について、来週の打ち合わせで議論します。",
    "防災訓練は午前十時から市役所前の広場で行います。", "ご不明な点がございましたら、お気軽にお問い合わせください。",
    "申込書は窓口で受け付けております（土日祝日を除く）。", "本日の議事録を共有いたします。",
    "見積書の金額に誤りがありましたので、訂正版をお送りします。", "来月の定例会は第二会議室で開催します。",
    "システムの保守作業のため、土曜日の午前中は停止します。", "提出期限は今月末となっておりますのでご注意ください。",
    "住民説明会の資料案を作成しました。", "ご確認のほど、よろしくお願い申し上げます。",
]
NAMES = ["防災課", "市民課", "総務課", "情報政策課", "サンプル商事", "株式会社テスト", "財政課"]
WORDS_EN = ("budget report meeting minutes schedule estimate disaster drill citizen office "
            "maintenance deadline revision council agenda summary").split()


def b64_lines(data):
    e = base64.b64encode(data)
    return b"\n".join(e[i:i + 76] for i in range(0, len(e), 76)) + b"\n"


def mime_word(s):
    return "=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?="


def japanese_text(rnd, size):
    """Japanese prose of about SIZE bytes in UTF-8, in lines of 2-3 sentences."""
    out, n = [], 0
    while n < size:
        line = "".join(rnd.choice(SENTENCES) for _ in range(rnd.randint(2, 3)))
        if rnd.random() < 0.15:
            line += f" 詳細: https://www.city.example.lg.jp/info/{rnd.randint(1, 99999)}.html"
        out.append(line)
        n += len(line.encode()) + 1
    return "\n".join(out) + "\n"


def japanese_html(rnd, size):
    """An HTML newsletter of about SIZE bytes (UTF-8): headings, paragraphs, tables, links."""
    parts = ['<!DOCTYPE html><html><head><meta charset="utf-8"><title>'
             f'{rnd.choice(NAMES)}だより</title><style>p{{margin:0 0 1em}} td{{padding:4px}}</style>'
             '</head><body><div style="font-family:sans-serif">']
    n, k = len(parts[0]), 0
    while n < size:
        k += 1
        block = (f"<h2>第{k}号 お知らせ</h2><p>{rnd.choice(SENTENCES)}{rnd.choice(SENTENCES)}</p>"
                 f'<p>詳しくは <a href="https://www.city.example.lg.jp/news/{rnd.randint(1, 9999)}.html">'
                 "市のホームページ</a> をご覧ください。</p>"
                 '<table border="1" cellspacing="0"><tr><th>日時</th><th>場所</th><th>定員</th></tr>'
                 f"<tr><td>{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日</td><td>市民会館 第"
                 f"{rnd.randint(1, 9)}会議室</td><td>{rnd.randint(10, 60)}名</td></tr></table>"
                 f'<p><img src="https://cdn.example.jp/b{k}.png" alt="バナー{k}"> '
                 f'<a href="https://track.example.com/c?id={rnd.randint(1, 10**6)}">配信停止</a></p>\n')
        parts.append(block)
        n += len(block.encode())
    parts.append("</div></body></html>\n")
    return "".join(parts)


def pdf_bytes(rnd, pages=4, image_bytes=0):
    """A valid PDF: PAGES pages of text (Helvetica, Flate-compressed content streams) and, when
    IMAGE_BYTES > 0, one DeviceGray image XObject of that many random bytes drawn on page 1."""
    objs = []  # index i -> object number i + 1

    def add(body):
        objs.append(body)
        return len(objs)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    image = None
    if image_bytes > 0:
        w = 256
        h = max(1, image_bytes // w)
        data = rnd.randbytes(w * h)
        image = add(b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
                    b"/BitsPerComponent 8 /Length %d >>\nstream\n" % (w, h, len(data)) + data +
                    b"\nendstream")
    pages_num = len(objs) + 2 * pages + 1  # after the page/content pairs
    kids = []
    for p in range(pages):
        lines = [b"BT /F1 10 Tf 50 780 Td 12 TL"]
        for _ in range(60):
            words = " ".join(rnd.choice(WORDS_EN) for _ in range(rnd.randint(6, 12)))
            lines.append(b"(%s %d) '" % (words.encode(), rnd.randint(0, 10**6)))
        lines.append(b"ET")
        if image and p == 0:
            lines.append(b"q 200 0 0 200 300 500 cm /Im1 Do Q")
        raw = b"\n".join(lines) + b"\n"
        comp = zlib.compress(raw, 6)
        content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(comp) + comp + b"\nendstream")
        xobj = b" /XObject << /Im1 %d 0 R >>" % image if image and p == 0 else b""
        kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                        b"/Resources << /Font << /F1 %d 0 R >>%s >> >>" % (pages_num, content, font, xobj)))
    assert len(objs) + 1 == pages_num
    add(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), pages))
    catalog = add(b"<< /Type /Catalog /Pages %d 0 R >>" % pages_num)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objs):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % (i + 1) + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, catalog, xref)
    return bytes(out)


def pdf_of_size(rnd, size):
    base = len(pdf_bytes(random.Random(0), pages=4))
    return pdf_bytes(rnd, pages=4, image_bytes=max(0, size - base))


def office_zip(rnd, size, kind):
    """A docx or xlsx-shaped zip (its XML parts, deflated) of about SIZE bytes: the bulk is a
    stored media file of random bytes, as in a document with a photo."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns='
                   '"http://schemas.openxmlformats.org/package/2006/content-types"/>')
        if kind == "docx":
            body = "".join(f"<w:p><w:r><w:t>{rnd.choice(SENTENCES)}</w:t></w:r></w:p>" for _ in range(200))
            z.writestr("word/document.xml", '<?xml version="1.0" encoding="UTF-8"?><w:document '
                       'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
                       + body + "</w:body></w:document>")
            media = "word/media/image1.jpeg"
        else:
            rows = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{rnd.choice(NAMES)}</t></is></c>'
                           f'<c r="B{i}"><v>{rnd.randint(0, 10**6)}</v></c></row>' for i in range(1, 400))
            z.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-8"?><worksheet '
                       'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                       + rows + "</sheetData></worksheet>")
            media = "xl/media/image1.jpeg"
        have = buf.tell()
        z.writestr(zipfile.ZipInfo(media), b"\xff\xd8\xff\xe0" + rnd.randbytes(max(0, size - have - 300)),
                   compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def jpeg_of_size(rnd, size):
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" +
            rnd.randbytes(max(0, size - 22)) + b"\xff\xd9")


def zip_of_size(rnd, size):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        n = rnd.randint(2, 5)
        for i in range(n):
            z.writestr(f"資料{i + 1}.dat", rnd.randbytes(size // n))
    return buf.getvalue()


ATTACHMENTS = [  # kind, weight, MIME type, file name pattern, maker
    ("pdf", 40, "application/pdf", "資料{}.pdf", pdf_of_size),
    ("docx", 15, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "報告書{}.docx",
     lambda r, s: office_zip(r, s, "docx")),
    ("xlsx", 15, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "集計{}.xlsx",
     lambda r, s: office_zip(r, s, "xlsx")),
    ("jpeg", 20, "image/jpeg", "写真{}.jpg", jpeg_of_size),
    ("zip", 10, "application/zip", "書類{}.zip", zip_of_size),
]


def headers(rnd, ident, subject):
    sender = rnd.choice(NAMES)
    return (f"From: {mime_word(sender)} <info{rnd.randint(1, 99)}@example.co.jp>\n"
            f"To: taro{rnd.randint(1, 50)}@city.example.lg.jp\n"
            f"Subject: {mime_word(subject)}\n"
            f"Date: Mon, 23 Nov 2026 10:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d} +0900\n"
            f"Message-ID: <{ident}@example.co.jp>\nMIME-Version: 1.0\n")


def text_part(rnd, size, jis=False):
    """A text/plain part of about SIZE bytes on the wire."""
    if jis:
        body = japanese_text(rnd, size * 1.4)
        enc = b"".join(to_jis(line) + b"\n" for line in body.splitlines())
        return b"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" + enc
    body = japanese_text(rnd, size * 0.74).encode()
    return b"Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: base64\n\n" + b64_lines(body)


def html_part(rnd, size):
    """A text/html part of about SIZE bytes on the wire (quoted-printable triples the Japanese)."""
    html = japanese_html(rnd, size / 2.1).encode()
    return (b"Content-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
            quopri.encodestring(html))


def body_entity(rnd, wire_size, style, tag):
    """The message's text as one MIME entity (header lines + body) of about WIRE_SIZE bytes."""
    if style == "alt":
        b = f"=_alt_{tag}"
        return (f'Content-Type: multipart/alternative; boundary="{b}"\n\n--{b}\n'.encode() +
                text_part(rnd, wire_size * 0.3) + f"\n--{b}\n".encode() +
                html_part(rnd, wire_size * 0.65) + f"\n--{b}--\n".encode())
    if style == "html":
        return html_part(rnd, wire_size * 0.95)
    if style == "jis":
        return text_part(rnd, wire_size * 0.95, jis=True)
    return text_part(rnd, wire_size * 0.95)


def message(rnd, ident, subject, wire_size, style, attachment=None):
    head = headers(rnd, ident, subject).encode()
    body = body_entity(rnd, wire_size, style, ident)
    if attachment is None:
        return head + body
    ctype, name, data = attachment
    b = f"=_mix_{ident}"
    ext = "".join("%%%02X" % c for c in name.encode())
    return (head + f'Content-Type: multipart/mixed; boundary="{b}"\n\n--{b}\n'.encode() + body +
            f'\n--{b}\nContent-Type: {ctype}\nContent-Disposition: attachment; '
            f"filename*=UTF-8''{ext}\nContent-Transfer-Encoding: base64\n\n".encode() +
            b64_lines(data) + f"\n--{b}--\n".encode())


def log_uniform(rnd, lo, hi):
    return int(math.exp(rnd.uniform(math.log(lo), math.log(hi))))


def synthetic(seed):
    rnd = random.Random(seed)
    pdf = pdf_bytes(rnd, pages=4, image_bytes=8000)
    return message(rnd, "synthetic-60k", "【お知らせ】防災だより 添付資料あり", 60 * 1024 - len(pdf) * 4 // 3 - 600,
                   "html", ("application/pdf", "防災だより.pdf", pdf))


def mix(seed, count):
    rnd = random.Random(seed + 1)
    weights = [a[1] for a in ATTACHMENTS]
    for i in range(count):
        style = rnd.choices(["alt", "html", "jis", "utf8"], [50, 20, 15, 15])[0]
        size = log_uniform(rnd, 5 * 1024, 50 * 1024)
        att = None
        kind = style
        if rnd.random() < 0.15:
            a = rnd.choices(ATTACHMENTS, weights)[0]
            asize = log_uniform(rnd, 100 * 1024, 2 * 1024 * 1024)
            att = (a[2], a[3].format(i), a[4](rnd, asize))
            kind = f"{style}+{a[0]}"
            size = min(size, 20 * 1024)
        yield f"{i:04d}.eml", kind, message(rnd, f"mix-{seed}-{i}", f"{rnd.choice(SENTENCES)[:12]} ({i})",
                                            size, style, att)


def big(seed, size=50 * 1000 * 1000):
    rnd = random.Random(seed + 2)
    raw = size * 3 // 4 - 40000
    return message(rnd, "big-50m", "大きな添付ファイル", 20 * 1024, "alt",
                   ("application/pdf", "大きな資料.pdf", b"%PDF-1.4\n" + rnd.randbytes(raw)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--mix", type=int, default=500)
    ap.add_argument("--no-big", action="store_true")
    a = ap.parse_args()
    os.makedirs(os.path.join(a.outdir, "mix"), exist_ok=True)
    rows = []

    def write(name, kind, data):
        with open(os.path.join(a.outdir, name), "wb") as f:
            f.write(data)
        rows.append(f"{name}\t{len(data)}\t{kind}")

    write("synthetic.eml", "html+pdf", synthetic(a.seed))
    for name, kind, data in mix(a.seed, a.mix):
        write(os.path.join("mix", name), kind, data)
    if not a.no_big:
        for mb in (5, 20, 50):
            write(f"big{mb}.eml", "alt+pdf", big(a.seed + mb, mb * 1000 * 1000))
    with open(os.path.join(a.outdir, "MANIFEST.tsv"), "w") as f:
        f.write("name\tbytes\tkind\n" + "\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
