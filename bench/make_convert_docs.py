#!/usr/bin/env python3
"""make_convert_docs.py OUTDIR — larger documents for bench/convert.sh, built with the writers of
tests/convert/make_docs.py: a 200-page PDF (Japanese CID font + Helvetica, 40 lines a page), a docx
of 20 000 paragraphs, an xlsx of 100 000 cells (shared strings and dates), an ods of 50 000 cells,
a 10 MB Shift_JIS CSV. Deterministic. Also imported (bench/make_convert_messages.py): use_dir(OUT),
then any of the writers."""
import os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "convert"))
import make_docs as m  # noqa: E402

OUT = None


def use_dir(out):
    """Write into OUT, this module's writers and make_docs.py's alike."""
    global OUT
    OUT = m.OUT = out
    os.makedirs(out, exist_ok=True)


def big_pdf(pages=200, name="big.pdf"):
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", None,
            "<< /Type /Font /Subtype /Type0 /BaseFont /HeiseiKakuGo-W5 /Encoding /UniJIS-UCS2-H /DescendantFonts [4 0 R] >>",
            "<< /Type /Font /Subtype /CIDFontType0 /BaseFont /HeiseiKakuGo-W5 "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 5 0 R >>",
            "<< /Type /FontDescriptor /FontName /HeiseiKakuGo-W5 /Flags 4 /FontBBox [0 -200 1000 900] "
            "/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 700 /StemV 80 >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for p in range(pages):
        lines = []
        for i in range(40):
            y = 760 - i * 18
            if i % 2:
                ja = f"第{p + 1}頁 {i}行目 住民票の写しの交付について".encode("utf-16-be").hex()
                lines.append(f"BT /F1 11 Tf 40 {y} Td <{ja}> Tj ET")
            else:
                lines.append(f"BT /F2 11 Tf 40 {y} Td (Page {p + 1} line {i}: the quick brown fox jumps) Tj ET")
        objs.append(m.stream("\n".join(lines).encode()))
        content = len(objs)
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content} 0 R "
                    "/Resources << /Font << /F1 3 0 R /F2 6 0 R >> >> >>")
        kids.append(f"{len(objs)} 0 R")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {pages} >>"
    open(os.path.join(OUT, name), "wb").write(m.pdf(objs))


def big_docx():
    paras = [f"第{i}段落 本文のテキストです。 Paragraph {i} of the report." for i in range(20000)]
    m.docx("big.docx", paras)


def big_xlsx(rows=25000):
    strings = ["東京都", "大阪府", "北海道", "沖縄県"]
    shared = (m.XML + f'<sst {m.S}>' + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
    styles = m.XML + f'<styleSheet {m.S}><cellXfs><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>'
    body = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 4}</v></c><c r="B{r}"><v>{r * 3}</v></c>'
                   f'<c r="C{r}" s="1"><v>{45000 + r % 365}</v></c><c r="D{r}" t="inlineStr"><is><t>備考{r}</t></is></c></row>'
                   for r in range(1, rows + 1))
    wb = m.XML + f'<workbook {m.S} {m.R}><sheets><sheet name="data" sheetId="1" r:id="rId1"/></sheets></workbook>'
    m.write_zip("big.xlsx", [
        ("[Content_Types].xml", m.content_types("xl/workbook.xml", "x")),
        ("xl/workbook.xml", wb),
        ("xl/_rels/workbook.xml.rels", m.rels(("rId1", "worksheet", "worksheets/sheet1.xml", ""))),
        ("xl/sharedStrings.xml", shared), ("xl/styles.xml", styles),
        ("xl/worksheets/sheet1.xml", m.XML + f"<worksheet {m.S}><sheetData>{body}</sheetData></worksheet>")])


def big_ods(rows=12500):
    body = "".join('<table:table-row>' + "".join(
        f'<table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        for v in (f"行{r}", "名簿", str(r), "備考")) + '</table:table-row>' for r in range(rows))
    m.odf("big.ods", "application/vnd.oasis.opendocument.spreadsheet",
          f'<office:spreadsheet><table:table table:name="大表">{body}</table:table></office:spreadsheet>')


def big_csv():
    line = "山田太郎,東京都千代田区,03-1234-5678,2024/04/01,備考欄\r\n".encode("cp932")
    open(os.path.join(OUT, "big.csv"), "wb").write(line * (10_000_000 // len(line)))


if __name__ == "__main__":
    use_dir(sys.argv[1])
    big_pdf()
    big_docx()
    big_xlsx()
    big_ods()
    big_csv()
