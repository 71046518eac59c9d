#!/usr/bin/env python3
"""make_convert_seeds.py OUTDIR — seeds for fuzz_convert_xml: the XML parts of the documents
tests/convert/make_docs.py writes, each prefixed with the layout byte that puts it back in its
place and a limits byte (0: default limits, 1: small caps)."""
import os, sys, tempfile, zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "convert"))
import make_docs  # noqa: E402

# layout index of fuzz_convert_xml.c → (document, part)
PARTS = {0: ("sample.docx", "word/document.xml"), 1: ("macro.docm", "word/_rels/document.xml.rels"),
         2: ("sample.xlsx", "xl/workbook.xml"), 3: ("sample.xlsx", "xl/worksheets/sheet1.xml"),
         4: ("sample.xlsx", "xl/sharedStrings.xml"), 5: ("sample.pptx", "ppt/slides/slide1.xml"),
         6: ("sample.pptx", "ppt/presentation.xml"), 7: ("sample.odt", "content.xml"),
         8: ("sample.ods", "content.xml"), 9: ("sample.odp", "content.xml")}

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    make_docs.OUT = tmp
    make_docs.make_docx()
    make_docs.make_xlsx()
    make_docs.make_pptx()
    make_docs.make_odf()
    for layout, (doc, part) in PARTS.items():
        with zipfile.ZipFile(os.path.join(tmp, doc)) as z:
            xml = z.read(part)
        for caps in (0, 1):
            with open(os.path.join(out, f"seed-{layout}-{caps}"), "wb") as f:
                f.write(bytes([layout, caps]) + xml)
