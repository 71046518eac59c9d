#!/usr/bin/env python3
"""Write the golden cases' input.eml files (run once; the outputs are committed and reviewed).

  tests/golden/make_inputs.py            (re)write every tests/golden/<case>/input.eml

Each input is built byte by byte here so that charsets and encodings are exactly what Japanese
mail clients send; expected.eml / expected.json are produced by tests/golden/run_golden.py
--regenerate and then reviewed by hand.
"""
import base64, os, zipfile, io

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


if __name__ == "__main__":
    newsletter(); iso2022jp_plain(); shift_jis_plain(); attachments_rfc2231(); plain_ascii(); forwarded_rfc822()
    cp932_extension_names()
