#!/usr/bin/env python3
"""Write the golden cases' input.eml files (run once; the outputs are committed and reviewed).

  tests/golden/make_inputs.py            (re)write every tests/golden/<case>/input.eml

Each input is built byte by byte here so that charsets and encodings are exactly what Japanese
mail clients send; expected.eml / expected.json are produced by tests/golden/run_golden.py
--regenerate and then reviewed by hand.
"""
import base64, io, os, struct, zipfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(data):
    s = base64.b64encode(data).decode()
    return "\r\n".join(s[i:i + 76] for i in range(0, len(s), 76))


def enc_word(text, charset="UTF-8"):
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode("iso2022_jp" if charset == "ISO-2022-JP" else charset)).decode())


def write(case, text):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    with open(os.path.join(d, "input.eml"), "wb") as f:
        f.write(data)


HEAD = ("Return-Path: <news@example.co.jp>\n"
        "Received: from mx.example.co.jp (mx.example.co.jp [192.0.2.25])\n"
        "\tby gw.city.example.lg.jp (Postfix) with ESMTP id 4ABCD123\n"
        "\tfor <taro@city.example.lg.jp>; Mon, 23 Nov 2026 10:00:00 +0900 (JST)\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0900\n"
        "Message-ID: <%s@example.co.jp>\n"
        "To: taro@city.example.lg.jp\n")

NEWSLETTER_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>防災だより</title>
<style>p { color: red }</style><script>alert('x')</script></head>
<body>
<h1>防災だより 11月号</h1>
<p>市民の皆さまへ。<b>避難訓練</b>を次のとおり実施します。</p>
<ul><li>日時：12月1日（火）午前10時</li><li>場所：市民会館 大ホール</li></ul>
<table><tr><th>地区</th><th>集合場所</th></tr><tr><td>北区</td><td>北小学校</td></tr>
<tr><td>南区</td><td>南公園</td></tr></table>
<p>詳しくは<a href="https://www.example.co.jp/bousai">防災ページ</a>をご覧ください。<br>
<img src="cid:logo" alt="防災ロゴ"> <a href="javascript:alert(1)">ここをクリック</a></p>
<!-- tracking comment -->
<p style="display:none">hidden tracking text</p>
</body></html>
"""


def newsletter():
    html = NEWSLETTER_HTML.encode("utf-8")
    write("japanese_html_newsletter", HEAD % "news-1" +
          "From: =?UTF-8?B?" + base64.b64encode("防災課".encode()).decode() + "?= <news@example.co.jp>\n"
          "Subject: " + enc_word("防災だより 11月号") + "\n"
          "MIME-Version: 1.0\n"
          "X-Mugai-Actions: none\n"
          "Content-Type: text/html; charset=UTF-8\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(html) + "\n")


def to_jis(text):
    """ISO-2022-JP as Windows writes it (CP50220): JIS rows from the CP932 bytes."""
    data, out, kanji, i = text.encode("cp932"), bytearray(), False, 0
    while i < len(data):
        c = data[i]
        if c < 0x80:
            if kanji:
                out += b"\x1b(B"; kanji = False
            out.append(c); i += 1; continue
        s1, s2 = data[i], data[i + 1]; i += 2
        if not kanji:
            out += b"\x1b$B"; kanji = True
        s1 -= 0xB0 if s1 >= 0xE0 else 0x70
        if s2 >= 0x9F:
            j1, j2 = s1 * 2, s2 - 0x7E
        else:
            j1, j2 = s1 * 2 - 1, s2 - (0x20 if s2 >= 0x80 else 0x1F)
        out += bytes([j1, j2])
    if kanji:
        out += b"\x1b(B"
    return bytes(out)


def cp932_extension_names():
    """File names and a forwarded Subject with ①, ㈱, Ⅲ, 髙 in ISO-2022-JP, which glibc (and so
    GMime's own decoder) cannot read."""
    b64w = lambda t: "=?ISO-2022-JP?B?" + base64.b64encode(to_jis(t)).decode() + "?="
    rfc2231 = "".join("%%%02X" % b for b in to_jis("㈱見積Ⅲ.xlsx"))
    inner = ("From: " + b64w("髙橋 一郎") + " <takahashi@example.co.jp>\n"
             "Subject: " + b64w("①会議の件㈱") + "\nDate: Fri, 20 Nov 2026 09:00:00 +0900\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=ISO-2022-JP\n\n").encode() + \
        to_jis("①の議題について\n") 
    write("cp932_extension_names", (HEAD % "ext-1" +
          "From: soumu@example.co.jp\nSubject: " + b64w("Ⅲ期 資料①") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=x\n\n"
          "--x\nContent-Type: text/plain; charset=ISO-2022-JP\n\n").encode() + to_jis("資料を送ります。髙橋\n") +
          ("--x\nContent-Type: application/pdf; name=\"" + b64w("①議事録㈱.pdf") + "\"\n"
           "Content-Disposition: attachment; filename=\"" + b64w("①議事録㈱.pdf") + "\"\n"
           "Content-Transfer-Encoding: base64\n\n" + b64(tiny_pdf()) + "\n"
           "--x\nContent-Type: application/octet-stream\n"
           "Content-Disposition: attachment; filename*=iso-2022-jp''" + rfc2231 + "\n"
           "Content-Transfer-Encoding: base64\n\n" + b64(b"PK\x03\x04 sheet") + "\n"
           "--x\nContent-Type: message/rfc822\n\n").encode() + inner + b"\n--x--\n")


def iso2022jp_plain():
    out = to_jis("田中様\n\nいつもお世話になっております。\n①会議資料を送ります。\n㈱サンプル 髙橋\n"
                 "※ 機種依存文字（①、㈱、Ⅲ）を含みます。\n")
    write("iso2022jp_plain", (HEAD % "jis-1" +
          "From: " + enc_word("鈴木 一郎", "ISO-2022-JP") + " <suzuki@example.co.jp>\n"
          "Subject: " + enc_word("会議資料の送付", "ISO-2022-JP") + "\n"
          "MIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=ISO-2022-JP\n"
          "Content-Transfer-Encoding: 7bit\n\n").encode() + bytes(out))


def shift_jis_plain():
    body = "お問い合わせありがとうございます。\n申込書は窓口で受け付けます。\n－ 市民課 ～ 受付 ―\n".encode("cp932")
    write("shift_jis_plain", (HEAD % "sjis-1" +
          "From: shimin@example.co.jp\n"
          "Subject: =?Shift_JIS?B?" + base64.b64encode("お問い合わせ".encode("cp932")).decode() + "?=\n"
          "MIME-Version: 1.0\n"
          "Content-Type: text/plain; charset=Shift_JIS\n"
          "Content-Transfer-Encoding: 8bit\n\n").encode() + body)


def tiny_pdf():
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def tiny_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", date_time=(2026, 11, 1, 0, 0, 0)), "hello from a zip\n")
    return buf.getvalue()


def attachments_rfc2231():
    pdf, zipdata = tiny_pdf(), tiny_zip()
    name2231 = "".join("%%%02X" % b for b in "見積書.pdf".encode("utf-8"))
    write("attachments_japanese_names", HEAD % "att-1" +
          "From: sales@example.co.jp\n"
          "Subject: " + enc_word("お見積りの件", "ISO-2022-JP") + "\n"
          "MIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=\"==b1==\"\n\n"
          "This is a multi-part message in MIME format.\n"
          "--==b1==\n"
          "Content-Type: multipart/alternative; boundary=\"==b2==\"\n\n"
          "--==b2==\n"
          "Content-Type: text/plain; charset=UTF-8\n"
          "Content-Transfer-Encoding: 8bit\n\n"
          "ご担当者様\n\nお見積書（PDF）と資料一式（ZIP）をお送りします。\nよろしくお願いいたします。\n\n"
          "--==b2==\n"
          "Content-Type: text/html; charset=UTF-8\n\n"
          "<p>ご担当者様</p><p>お見積書をお送りします。</p>\n"
          "--==b2==--\n"
          "--==b1==\n"
          "Content-Type: application/pdf\n"
          "Content-Disposition: attachment;\n filename*=UTF-8''" + name2231 + "\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(pdf) + "\n"
          "--==b1==\n"
          "Content-Type: application/zip; name=\"" + enc_word("資料一式.zip", "ISO-2022-JP") + "\"\n"
          "Content-Disposition: attachment; filename=\"" + enc_word("資料一式.zip", "ISO-2022-JP") + "\"\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(zipdata) + "\n"
          "--==b1==\n"
          "Content-Type: application/octet-stream\n"
          "Content-Disposition: attachment;\n filename*0*=UTF-8''%E8%AB%8B%E6%B1%82;\n filename*1*=%E6%9B%B8.xlsx\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(b"PK\x03\x04 not really a spreadsheet") + "\n"
          "--==b1==--\n")


def plain_ascii():
    write("plain_ascii_unchanged", HEAD % "ascii-1" +
          "From: alice@example.org\nSubject: lunch\nX-Mugai-Verdict: forged\n\n"
          "Hi Taro,\n\nLunch at noon?\n\nAlice\n")


def forwarded_rfc822():
    inner = ("From: =?UTF-8?B?" + base64.b64encode("佐藤".encode()).decode() + "?= <sato@example.jp>\n"
             "To: yamada@example.jp\nDate: Fri, 20 Nov 2026 09:00:00 +0900\n"
             "Subject: " + enc_word("元のメール") + "\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=inner\n\n"
             "--inner\nContent-Type: text/plain; charset=UTF-8\n\n元の本文です。\n"
             "--inner\nContent-Type: image/png; name=photo.png\nContent-Transfer-Encoding: base64\n\n"
             + b64(b"\x89PNG\r\n\x1a\n" + b"\0" * 32) + "\n--inner--\n")
    write("forwarded_message", HEAD % "fwd-1" +
          "From: yamada@example.jp\nSubject: Fwd: " + enc_word("元のメール") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=outer\n\n"
          "--outer\nContent-Type: text/plain; charset=UTF-8\n\n転送します。\n"
          "--outer\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename=orig.eml\n\n"
          + inner + "\n--outer--\n")


# ---- issue 4 cases: signatures, encryption, related images, archives, TNEF, links, headers ----

def smime_signed():
    """An S/MIME signed message as Outlook sends it: the text is kept, the signature dropped."""
    write("smime_signed", HEAD % "smime-1" +
          "From: kikaku@example.co.jp\nSubject: " + enc_word("署名付きのお知らせ") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256;\n"
          " boundary=\"sig\"\n\n"
          "--sig\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
          "企画課からのお知らせです。\n説明会は来週の月曜日です。\n"
          "--sig\nContent-Type: application/pkcs7-signature; name=smime.p7s\n"
          "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=smime.p7s\n\n"
          + b64(b"\x30\x82\x01\x00" + bytes(range(64))) + "\n--sig--\n")


def pgp_encrypted():
    """PGP/MIME ciphertext, and an ASCII-armored PGP message inside a text part: neither can be
    checked, so neither reaches the reader in a form a plug-in would decrypt."""
    armor = ("-----BEGIN PGP MESSAGE-----\n\nhQEMA1b2c3d4e5f6AQf/Xyz0123456789abcdefABCDEF\n=abcd\n"
             "-----END PGP MESSAGE-----\n")
    write("pgp_encrypted", HEAD % "pgp-1" +
          "From: secret@example.org\nSubject: encrypted\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=outer\n\n"
          "--outer\nContent-Type: text/plain; charset=US-ASCII\n\n"
          "The report is below, encrypted.\n\n" + armor + "\nRegards\n"
          "--outer\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=enc\n\n"
          "--enc\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
          "--enc\nContent-Type: application/octet-stream; name=encrypted.asc\n\n" + armor +
          "--enc--\n--outer--\n")


def related_images():
    """An HTML newsletter with inline images (multipart/related) and a real attachment: the
    inline images are dropped and counted, the attachment is named."""
    html = ('<html><body><p><img src="cid:banner@x" alt="年末年始のお知らせ"></p>'
            '<p>年末年始の窓口は12月29日から休みです。</p><img src="cid:map@x"></body></html>')
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
    write("related_inline_images", HEAD % "rel-1" +
          "From: koho@example.co.jp\nSubject: " + enc_word("年末年始のお知らせ") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=m\n\n"
          "--m\nContent-Type: multipart/related; boundary=r; type=\"text/html\"\n\n"
          "--r\nContent-Type: text/html; charset=UTF-8\n\n" + html + "\n"
          "--r\nContent-Type: image/png\nContent-ID: <banner@x>\nContent-Transfer-Encoding: base64\n\n" + b64(png) + "\n"
          "--r\nContent-Type: image/png; name=map.png\nContent-ID: <map@x>\nContent-Disposition: inline\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(png + b"map") + "\n--r--\n"
          "--m\nContent-Type: image/jpeg; name=photo.jpg\nContent-Disposition: attachment; filename=photo.jpg\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(b"\xff\xd8\xff\xe0" + b"\0" * 30) + "\n--m--\n")


CRC_TABLE = [0] * 256
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    CRC_TABLE[_i] = _c


def zipcrypto(data, password, crc):
    """Traditional PKWARE encryption (APPNOTE 6.1), as PPAP zips are made."""
    keys = [0x12345678, 0x23456789, 0x34567890]
    def update(b):
        keys[0] = (keys[0] >> 8) ^ CRC_TABLE[(keys[0] ^ b) & 0xFF]
        keys[1] = ((keys[1] + (keys[0] & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        keys[2] = (keys[2] >> 8) ^ CRC_TABLE[(keys[2] ^ (keys[1] >> 24)) & 0xFF]
    def stream():
        t = (keys[2] | 2) & 0xFFFF
        return ((t * (t ^ 1)) >> 8) & 0xFF
    for b in password:
        update(b)
    out = bytearray()
    for b in bytes(range(11)) + bytes([crc >> 24]):
        out.append(b ^ stream()); update(b)
    for b in data:
        out.append(b ^ stream()); update(b)
    return bytes(out)


def hand_zip(entries):
    """A zip written byte by byte: ENTRIES are (raw name bytes, data, utf8_flag, password)."""
    out, central = bytearray(), bytearray()
    for name, data, utf8, password in entries:
        crc = zlib.crc32(data) & 0xFFFFFFFF
        body = zipcrypto(data, password, crc) if password else data
        flags = (1 if password else 0) | (0x800 if utf8 else 0)
        offset = len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 0, 0, 0x5B21, crc, len(body),
                           len(data), len(name), 0) + name + body
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 0, 0, 0x5B21, crc,
                               len(body), len(data), len(name), 0, 0, 0, 0, 0, offset) + name
    cd_offset = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                                 len(central), cd_offset, 0)
    return bytes(out)


def tnef(attachments):
    """winmail.dat: the TNEF attribute stream with an attachment title and data per file."""
    def attr(level, ident, data):
        return struct.pack("<BII", level, ident, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
    out = struct.pack("<IH", 0x223E9F78, 0x0101)
    out += attr(1, 0x00089006, struct.pack("<I", 0x00010000))   # attTnefVersion
    out += attr(1, 0x00069007, struct.pack("<II", 932, 0))      # attOemCodepage: CP932
    for title, data in attachments:
        out += attr(2, 0x00069002, b"\x01\x00\xff\xff\xff\xff" + b"\0" * 8)  # attAttachRendData
        out += attr(2, 0x00018010, title + b"\0")                # attAttachTitle
        out += attr(2, 0x0006800F, data)                         # attAttachData
    return out


def archives():
    """PPAP (a password-protected zip with a CP932 name), a zip holding a zip, and winmail.dat."""
    ppap = hand_zip([("請求書.xlsx".encode("cp932"), b"PK\x03\x04 sheet data " * 4, False, b"secret"),
                     ("明細/内訳.pdf".encode("cp932"), b"%PDF-1.4 " * 8, False, b"secret")])
    inner = hand_zip([(b"setup.exe", b"MZ" + b"\0" * 60, True, None)])
    outer = hand_zip([("資料/説明.txt".encode(), "説明です\n".encode(), True, None),
                      (b"inner.zip", inner, True, None)])
    dat = tnef([("議事録.doc".encode("cp932"), b"\xd0\xcf\x11\xe0" + b"\0" * 60),
                (b"budget.xls", b"\xd0\xcf\x11\xe0" + b"\1" * 60)])
    write("archive_contents", HEAD % "zip-1" +
          "From: vendor@example.co.jp\nSubject: " + enc_word("請求書送付") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=z\n\n"
          "--z\nContent-Type: text/plain; charset=UTF-8\n\n請求書を送付します。パスワードは別メールでお送りします。\n"
          "--z\nContent-Type: application/zip; name=\"" + enc_word("請求書.zip") + "\"\n"
          "Content-Disposition: attachment; filename=\"" + enc_word("請求書.zip") + "\"\n"
          "Content-Transfer-Encoding: base64\n\n" + b64(ppap) + "\n"
          "--z\nContent-Type: application/octet-stream; name=bundle.zip\n"
          "Content-Disposition: attachment; filename=bundle.zip\nContent-Transfer-Encoding: base64\n\n"
          + b64(outer) + "\n"
          "--z\nContent-Type: application/ms-tnef; name=winmail.dat\n"
          "Content-Disposition: attachment; filename=winmail.dat\nContent-Transfer-Encoding: base64\n\n"
          + b64(dat) + "\n--z--\n")


def links_and_tags():
    """Links as a phisher writes them, defanging on for every kind, and a subject tag."""
    html = ('<html><body><p>市民税のお知らせです。</p>'
            '<p>ログイン: <a href="https://login.evil.example.net/city">https://www.city.example.lg.jp/login</a></p>'
            '<p>詳しくは<a href="https://www.city.example.lg.jp/tax/">こちら</a>。'
            '<a href="https://例え.jp/">例え.jp</a> '
            '<a href="ｊａｖａｓｃｒｉｐｔ：alert(1)">クリック</a> '
            '<a href="&#106;avascript:alert(2)">もう一度</a></p>'
            '<p>問い合わせ: <a href="mailto:zei@city.example.lg.jp">zei@city.example.lg.jp</a> '
            '<a href="tel:+81-3-1234-5678">03-1234-5678</a></p></body></html>')
    d = os.path.join(HERE, "links_defanged_tagged")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "mugai.conf"), "w") as f:
        f.write("[notice]\nsubject_tag = [無害化]\n[links]\ndefang_web = yes\ndefang_mailto = yes\n"
                "defang_tel = yes\n")
    write("links_defanged_tagged", HEAD % "link-1" +
          "From: zei@city.example.lg.jp\nSubject: " + enc_word("市民税のお知らせ") + "\nMIME-Version: 1.0\n"
          "Content-Type: multipart/alternative; boundary=a\n\n"
          "--a\nContent-Type: text/html; charset=UTF-8\n\n" + html + "\n--a--\n")


def raw_headers_iso2022jp_out():
    """Headers as old Japanese mailers write them (raw Shift_JIS, raw JIS, a control character)
    and ISO-2022-JP output: the headers become RFC 2047 UTF-8, the body ISO-2022-JP."""
    d = os.path.join(HERE, "raw_headers_iso2022jp_output")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "mugai.conf"), "w") as f:
        f.write("[output]\ncharset = iso-2022-jp\n")
    html = "<p>①番窓口の髙橋です。</p><p>㈱サンプルの件、承知しました。</p>".encode("cp932")
    write("raw_headers_iso2022jp_output", (HEAD % "raw-1").encode() +
          b"From: " + "山田 太郎".encode("cp932") + b" <yamada@example.co.jp>\n"
          b"Subject: " + to_jis("お問い合わせの件") + b"\n"
          b"X-Note: bell\x07here\n"
          b"Comments: " + "確認".encode("euc_jp") + b"\n"
          b"MIME-Version: 1.0\nContent-Type: text/html; charset=Shift_JIS\n\n" + html + b"\n")


def calendar_external():
    """A meeting invitation and a message/external-body link: both removed and named."""
    ics = ("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:定例会議\nDTSTART:20261210T100000\n"
           "END:VEVENT\nEND:VCALENDAR\n")
    write("calendar_external_body", HEAD % "cal-1" +
          "From: kaigi@example.co.jp\nSubject: meeting\nMIME-Version: 1.0\n"
          "Content-Type: multipart/mixed; boundary=c\n\n"
          "--c\nContent-Type: text/plain; charset=UTF-8\n\n定例会議の招待です。\n"
          "--c\nContent-Type: text/calendar; method=REQUEST; charset=UTF-8\n\n" + ics +
          "--c\nContent-Type: message/external-body; access-type=URL;\n URL=\"http://example.com/big.zip\"\n\n"
          "Content-Type: application/zip\n\n"
          "--c--\n")


def documents():
    """A vendor's mail with real documents (tests/convert/make_docs.py, deterministic): a PDF, a
    Word file, a spreadsheet declared as octet-stream and a macro-enabled form become text; an
    encrypted PDF is removed with its reason."""
    import subprocess, sys, tempfile
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(os.path.dirname(HERE), "convert", "make_docs.py"), tmp],
                       check=True, capture_output=True)
        files = [("説明会資料.pdf", "application/pdf", "sample.pdf"),
                 ("報告書.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "sample.docx"),
                 ("予算表.xlsx", "application/octet-stream", "sample.xlsx"),
                 ("申請書.docm", "application/vnd.ms-word.document.macroEnabled.12", "macro.docm"),
                 ("契約書.pdf", "application/pdf", "encrypted.pdf")]
        text = (HEAD % "docs-1" + "From: vendor@example.co.jp\nSubject: " + enc_word("説明会資料の送付") +
                "\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=d\n\n"
                "--d\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
                "ご担当者様\n\n説明会の資料一式をお送りします。\n契約書はパスワード付きです。\n")
        for name, ctype, src in files:
            with open(os.path.join(tmp, src), "rb") as f:
                data = f.read()
            text += (f"--d\nContent-Type: {ctype}; name=\"{enc_word(name)}\"\n"
                     f"Content-Disposition: attachment; filename=\"{enc_word(name)}\"\n"
                     "Content-Transfer-Encoding: base64\n\n" + b64(data) + "\n")
        write("documents_to_text", text + "--d--\n")


if __name__ == "__main__":
    newsletter(); iso2022jp_plain(); shift_jis_plain(); attachments_rfc2231(); plain_ascii(); forwarded_rfc822()
    cp932_extension_names()
    smime_signed(); pgp_encrypted(); related_images(); archives(); links_and_tags()
    raw_headers_iso2022jp_out(); calendar_external(); documents()
