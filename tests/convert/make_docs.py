#!/usr/bin/env python3
"""make_docs.py OUTDIR — write the documents the converter tests read: minimal but valid docx,
xlsx, pptx, odt, ods, odp and PDF files with Japanese and English text, and the hostile ones
(zip bomb in a docx, billion laughs, a PDF page tree that loops, truncated and encrypted files).

Written by hand from the specs (ECMA-376, ODF 1.2, PDF 1.7) with the standard library only, so
the tests need neither LibreOffice nor anything from the network. Deterministic: fixed zip dates.
"""
import os, sys, zipfile

OUT = sys.argv[1] if len(sys.argv) > 1 else "."
DATE = (2024, 4, 1, 9, 0, 0)

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
S = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
P = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
A = 'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
PKG_RELS = 'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"'
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def write_zip(name, members, compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(os.path.join(OUT, name), "w") as z:
        for mname, data in members:
            info = zipfile.ZipInfo(mname, DATE)
            # ODF wants its mimetype member first and stored
            info.compress_type = zipfile.ZIP_STORED if mname == "mimetype" else compress
            z.writestr(info, data.encode() if isinstance(data, str) else data)


def make_zip_bytes(members):
    import io
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for mname, data in members:
            info = zipfile.ZipInfo(mname, DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return buf.getvalue()


def rels(*items):
    body = "".join(f'<Relationship Id="{i}" Type="{DOC_REL}/{t}" Target="{tg}"{m}/>'
                   for i, t, tg, m in items)
    return XML + f"<Relationships {PKG_RELS}>{body}</Relationships>"


def content_types(main_part, main_type):
    return (XML + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/{main_part}" ContentType="{main_type}"/></Types>')


def docx(name, paragraphs, extra=(), doc_rels=None, body_xml=None):
    body = body_xml or "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{p}</w:t></w:r></w:p>" for p in paragraphs)
    members = [
        ("[Content_Types].xml", content_types("word/document.xml",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")),
        ("_rels/.rels", rels(("rId1", "officeDocument", "word/document.xml", ""))),
        ("word/document.xml", XML + f"<w:document {W} {R}><w:body>{body}</w:body></w:document>"),
        ("word/_rels/document.xml.rels", doc_rels or rels()),
    ] + list(extra)
    write_zip(name, members)


def make_docx():
    table = ("<w:tbl><w:tr><w:tc><w:p><w:r><w:t>品名</w:t></w:r></w:p></w:tc>"
             "<w:tc><w:p><w:r><w:t>数量</w:t></w:r></w:p></w:tc></w:tr>"
             "<w:tr><w:tc><w:p><w:r><w:t>りんご</w:t></w:r></w:p></w:tc>"
             "<w:tc><w:p><w:r><w:t>3</w:t></w:r></w:p></w:tc></w:tr></w:tbl>")
    body = ("<w:p><w:r><w:t>請求書のご送付について</w:t></w:r></w:p>"
            "<w:p><w:r><w:t xml:space=\"preserve\">Invoice </w:t></w:r><w:r><w:tab/><w:t>No. 42</w:t></w:r></w:p>"
            "<w:p><w:del><w:r><w:delText>削除された文</w:delText></w:r></w:del>"
            "<w:r><w:instrText> HYPERLINK \"http://x\" </w:instrText></w:r></w:p>" + table +
            "<w:p><w:r><w:t>以上、よろしくお願いいたします。</w:t></w:r></w:p>")
    docx("sample.docx", [], body_xml=body)
    # a .docm: a VBA project, an embedded OLE object and an attached template fetched by URL
    docx("macro.docm", ["マクロ付き文書 with macros"],
         extra=[("word/vbaProject.bin", b"\xd0\xcf\x11\xe0fake-vba"),
                ("word/embeddings/oleObject1.bin", b"\xd0\xcf\x11\xe0fake-ole")],
         doc_rels=rels(("rId9", "attachedTemplate", "http://evil.example/t.dotm", ' TargetMode="External"'),
                       ("rId8", "hyperlink", "https://www.example.jp/", ' TargetMode="External"')))
    # zip bomb: a document.xml of 200 MB of spaces inside, a few hundred KB on the wire
    with zipfile.ZipFile(os.path.join(OUT, "bomb.docx"), "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(zipfile.ZipInfo("[Content_Types].xml", DATE), content_types("word/document.xml", "x"))
        info = zipfile.ZipInfo("word/document.xml", DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as f:
            f.write((XML + f"<w:document {W}><w:body><w:p><w:r><w:t>").encode())
            chunk = b" " * (1 << 20)
            for _ in range(200):
                f.write(chunk)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    # a liar: document.xml declares 1000 bytes (local header and central directory) and inflates to 20 MB
    liar = bytearray(make_zip_bytes([("[Content_Types].xml", content_types("word/document.xml", "x")),
                                     ("word/document.xml", (XML + f"<w:document {W}><w:body><w:p><w:r><w:t>"
                                                            + " " * (20 << 20) + "</w:t></w:r></w:p></w:body></w:document>"))]))
    cd = liar.rfind(b"PK\x01\x02")  # the last central directory entry is document.xml's
    liar[cd + 24:cd + 28] = (1000).to_bytes(4, "little")
    lh = liar.rfind(b"PK\x03\x04")  # and so is the last local header
    liar[lh + 22:lh + 26] = (1000).to_bytes(4, "little")
    open(os.path.join(OUT, "liar.docx"), "wb").write(bytes(liar))
    # billion laughs in document.xml
    lol = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
           + f']>\n<w:document {W}><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>')
    docx("laughs.docx", [], extra=[])
    with zipfile.ZipFile(os.path.join(OUT, "laughs.docx"), "w") as z:
        z.writestr("[Content_Types].xml", content_types("word/document.xml", "x"))
        z.writestr("word/document.xml", lol)
    # external entity (XXE) pointing at a local file
    with zipfile.ZipFile(os.path.join(OUT, "xxe.docx"), "w") as z:
        z.writestr("[Content_Types].xml", content_types("word/document.xml", "x"))
        z.writestr("word/document.xml", '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                   f'<w:document {W}><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    # nesting far past any sane document
    deep = "<w:p>" * 5000 + "</w:p>" * 5000
    with zipfile.ZipFile(os.path.join(OUT, "deep.docx"), "w") as z:
        z.writestr("[Content_Types].xml", content_types("word/document.xml", "x"))
        z.writestr("word/document.xml", XML + f"<w:document {W}><w:body>{deep}</w:body></w:document>")
    data = open(os.path.join(OUT, "sample.docx"), "rb").read()
    open(os.path.join(OUT, "truncated.docx"), "wb").write(data[: len(data) // 2])


def make_xlsx():
    wb = (XML + f'<workbook {S} {R}><workbookPr/><sheets>'
          '<sheet name="売上" sheetId="1" r:id="rId1"/><sheet name="Notes" sheetId="2" r:id="rId2"/>'
          '</sheets></workbook>')
    shared = (XML + f'<sst {S} count="4" uniqueCount="4">'
              '<si><t>日付</t></si><si><t>金額</t></si>'
              '<si><r><t>東京</t></r><r><t>都</t></r><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>'
              '<si><t>total</t></si></sst>')
    styles = (XML + f'<styleSheet {S}><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
              '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs></styleSheet>')
    sheet1 = (XML + f'<worksheet {S}><sheetData>'
              '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'
              '<row r="2"><c r="A2" s="1"><v>45383</v></c><c r="B2"><v>1500</v></c></row>'
              '<row r="3"><c r="A3" s="2"><v>45384.5</v></c><c r="C3" t="inlineStr"><is><t>インライン</t></is></c></row>'
              '<row r="4"><c r="A4" t="s"><v>3</v></c><c r="B4" t="str"><f>SUM(B2:B3)</f><v>1500</v></c>'
              '<c r="D4" t="b"><v>1</v></c></row>'
              '</sheetData></worksheet>')
    sheet2 = XML + f'<worksheet {S}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>memo</t></is></c></row></sheetData></worksheet>'
    wb_rels = rels(("rId1", "worksheet", "worksheets/sheet1.xml", ""), ("rId2", "worksheet", "worksheets/sheet2.xml", ""),
                   ("rId3", "sharedStrings", "sharedStrings.xml", ""), ("rId4", "styles", "styles.xml", ""))
    members = [
        ("[Content_Types].xml", content_types("xl/workbook.xml",
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")),
        ("_rels/.rels", rels(("rId1", "officeDocument", "xl/workbook.xml", ""))),
        ("xl/workbook.xml", wb), ("xl/_rels/workbook.xml.rels", wb_rels),
        ("xl/sharedStrings.xml", shared), ("xl/styles.xml", styles),
        ("xl/worksheets/sheet1.xml", sheet1), ("xl/worksheets/sheet2.xml", sheet2),
    ]
    write_zip("sample.xlsx", members)
    write_zip("macro.xlsm", members + [("xl/vbaProject.bin", b"fake"),
                                        ("xl/externalLinks/externalLink1.xml", XML + f"<externalLink {S}/>")])


def make_pptx():
    pres = (XML + f'<p:presentation {P} {R}><p:sldIdLst><p:sldId id="256" r:id="rId2"/>'
            '<p:sldId id="257" r:id="rId1"/></p:sldIdLst></p:presentation>')

    def slide(title, body):
        def sp(ph, text):
            paras = "".join(f"<a:p><a:r><a:t>{t}</a:t></a:r></a:p>" for t in text)
            return (f'<p:sp><p:nvSpPr><p:cNvPr id="1" name="x"/><p:cNvSpPr/><p:nvPr>{ph}</p:nvPr></p:nvSpPr>'
                    f'<p:txBody>{paras}</p:txBody></p:sp>')
        return (XML + f'<p:sld {P} {A}><p:cSld><p:spTree>' + sp('<p:ph type="title"/>', [title]) +
                sp('<p:ph idx="1"/>', body) + '</p:spTree></p:cSld></p:sld>')
    pres_rels = rels(("rId1", "slide", "slides/slide2.xml", ""), ("rId2", "slide", "slides/slide1.xml", ""))
    write_zip("sample.pptx", [
        ("[Content_Types].xml", content_types("ppt/presentation.xml",
         "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml")),
        ("_rels/.rels", rels(("rId1", "officeDocument", "ppt/presentation.xml", ""))),
        ("ppt/presentation.xml", pres), ("ppt/_rels/presentation.xml.rels", pres_rels),
        ("ppt/slides/slide1.xml", slide("事業計画", ["第一四半期の目標", "Quarterly goals"])),
        ("ppt/slides/slide2.xml", slide("Summary", ["まとめ"])),
    ])


ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"')


def odf(name, mimetype, body, extra=()):
    manifest = (XML + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                '</manifest:manifest>')
    write_zip(name, [("mimetype", mimetype), ("content.xml",
              XML + f'<office:document-content {ODF_NS}><office:body>{body}</office:body></office:document-content>'),
              ("META-INF/manifest.xml", manifest)] + list(extra))


def make_odf():
    odf("sample.odt", "application/vnd.oasis.opendocument.text",
        '<office:text><text:h text:outline-level="1">お知らせ</text:h>'
        '<text:p>市役所からの<text:span>ご案内</text:span>です。</text:p>'
        '<text:p>Tab<text:tab/>and<text:s text:c="3"/>spaces<text:line-break/>next line</text:p></office:text>')
    odf("macro.odt", "application/vnd.oasis.opendocument.text",
        '<office:text><text:p>macro</text:p></office:text>',
        extra=[("Basic/Standard/Module1.xml", "<x/>"), ("Object 1/content.xml", "<x/>")])
    odf("sample.ods", "application/vnd.oasis.opendocument.spreadsheet",
        '<office:spreadsheet><table:table table:name="名簿">'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>氏名</text:p></table:table-cell>'
        '<table:table-cell office:value-type="string"><text:p>登録日</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell office:value-type="string"><text:p>山田太郎</text:p></table:table-cell>'
        '<table:table-cell office:value-type="date" office:date-value="2024-04-01"><text:p>2024/4/1</text:p></table:table-cell>'
        '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        '</table:table></office:spreadsheet>')
    # a cell repeated a billion times: counted, not produced
    odf("cellbomb.ods", "application/vnd.oasis.opendocument.spreadsheet",
        '<office:spreadsheet><table:table table:name="x"><table:table-row>'
        '<table:table-cell table:number-columns-repeated="1000000000" office:value-type="string"><text:p>boom</text:p></table:table-cell>'
        '</table:table-row></table:table></office:spreadsheet>')
    odf("sample.odp", "application/vnd.oasis.opendocument.presentation",
        '<office:presentation><draw:page draw:name="表紙"><draw:frame><draw:text-box>'
        '<text:p>令和6年度 説明会</text:p></draw:text-box></draw:frame></draw:page>'
        '<draw:page draw:name="Agenda"><draw:frame><draw:text-box><text:p>議題一覧</text:p>'
        '</draw:text-box></draw:frame></draw:page></office:presentation>')


def pdf(objects, trailer_extra=""):
    """A PDF from OBJECTS (bodies of objects 1..n) with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + (body.encode("latin-1") if isinstance(body, str) else body) + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R {trailer_extra}>>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data):
    return f"<< /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream"


def utf16hex(s):
    return "<FEFF" + s.encode("utf-16-be").hex().upper() + ">"


def make_pdf():
    # Japanese in a non-embedded CID font (HeiseiKakuGo-W5, UniJIS-UCS2-H): poppler maps it to
    # Unicode with poppler-data's CMaps; English in Helvetica.
    ja1 = "日本語のテキスト".encode("utf-16-be").hex().upper()
    ja2 = "市役所".encode("utf-16-be").hex().upper()
    content1 = (f"BT /F1 24 Tf 72 720 Td <{ja1}> Tj ET\nBT /F2 18 Tf 72 680 Td (Hello PDF world) Tj ET\n").encode()
    content2 = (f"BT /F1 24 Tf 72 720 Td <{ja2}> Tj ET\nBT /F2 18 Tf 72 680 Td (Second page) Tj ET\n").encode()
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Resources << /Font << /F1 7 0 R /F2 9 0 R >> >> >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R /Resources << /Font << /F1 7 0 R /F2 9 0 R >> >> >>",
        stream(content1), stream(content2),
        "<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H /DescendantFonts [8 0 R] >>",
        "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 10 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        "<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 /FontBBox [0 -200 1000 900] "
        "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
        f"<< /Title {utf16hex('会議資料 Minutes')} >>",
    ]
    data = pdf(objs, "/Info 11 0 R ")
    open(os.path.join(OUT, "sample.pdf"), "wb").write(data)
    open(os.path.join(OUT, "truncated.pdf"), "wb").write(data[: len(data) // 3])
    # a page tree whose kid is itself, and a form XObject that draws itself
    loop = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>",
        stream(b"/X Do\n"),
        b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X 5 0 R >> >> /Length 5 >>\nstream\n/X Do\nendstream",
    ]
    open(os.path.join(OUT, "loop.pdf"), "wb").write(pdf(loop))
    # encrypted with a user password (standard security handler, RC4 40-bit): the U entry does
    # not match the empty password, so nothing opens it without the real one
    enc = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
           "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
           "<< /Filter /Standard /V 1 /R 2 /O <" + "11" * 32 + "> /U <" + "22" * 32 + "> /P -4 >>"]
    open(os.path.join(OUT, "encrypted.pdf"), "wb").write(
        pdf(enc, "/Encrypt 4 0 R /ID [<00112233445566778899aabbccddeeff><00112233445566778899aabbccddeeff>] "))


def make_archive():
    # a zip of a docx, a CSV in Shift_JIS, a program and a zip in a zip
    inner = open(os.path.join(OUT, "sample.docx"), "rb").read()
    with zipfile.ZipFile(os.path.join(OUT, "inner.zip"), "w") as z:
        z.writestr(zipfile.ZipInfo("deeper.txt", DATE), "奥のファイル")
    write_zip("bundle.zip", [("report.docx", inner), ("list.csv", "名前,金額\r\n田中,100\r\n".encode("cp932")),
                             ("tool.exe", b"MZ\x90\x00binary\x00\x00"),
                             ("inner.zip", open(os.path.join(OUT, "inner.zip"), "rb").read())])
    # a 3 MiB text member beside a small one, for the member size cap
    write_zip("big.zip", [("big.txt", b"a" * (3 << 20)), ("small.txt", b"small\n")])


def main():
    os.makedirs(OUT, exist_ok=True)
    make_docx()
    make_xlsx()
    make_pptx()
    make_odf()
    make_pdf()
    make_archive()


if __name__ == "__main__":
    main()
