#!/usr/bin/env python3
"""make_convert_messages.py OUTDIR — the messages bench/convert_sanitize.sh sends through the
sanitizer, each a short Japanese text body and its attachments:
  pdf_small.eml    sample.pdf (2 pages, 1.6 KB; tests/convert/make_docs.py)
  pdf_20pages.eml  a 20-page PDF (Japanese CID font + Helvetica, 40 lines a page;
                   make_convert_docs.big_pdf)
  docx_xlsx.eml    sample.docx and sample.xlsx
The documents are left in OUTDIR/docs (the bench also gives them to bench_convert). Deterministic."""
import os, sys
from email import policy
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_convert_docs as big  # noqa: E402

TYPES = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
MESSAGES = {
    "pdf_small.eml": ["sample.pdf"],
    "pdf_20pages.eml": ["pdf20.pdf"],
    "docx_xlsx.eml": ["sample.docx", "sample.xlsx"],
}


def message(docs, names, n):
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = "山田 花子 <yamada@example.co.jp>"
    msg["To"] = "taro@city.example.lg.jp"
    msg["Subject"] = "資料の送付"
    msg["Message-ID"] = f"<bench-convert-{n}@example.co.jp>"
    msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0900"
    msg.set_content("市民課 御中\n\nお世話になっております。\n資料をお送りします。\n", charset="utf-8")
    for name in names:
        with open(os.path.join(docs, name), "rb") as f:
            data = f.read()
        maintype, subtype = TYPES[os.path.splitext(name)[1]].split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def main():
    out = sys.argv[1]
    docs = os.path.join(out, "docs")
    big.use_dir(docs)
    big.m.main()  # make_docs.py's documents
    big.big_pdf(20, "pdf20.pdf")
    for n, (name, names) in enumerate(MESSAGES.items(), 1):
        with open(os.path.join(out, name), "wb") as f:
            f.write(message(docs, names, n))


if __name__ == "__main__":
    main()
