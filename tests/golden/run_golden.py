#!/usr/bin/env python3
"""Golden tests: tests/golden/<case>/input.eml through `mugai sanitize` must give expected.eml
(byte for byte) and expected.json (the report), and the delivered message must pass
../shared/tools/mailcheck.py's invariant with no mojibake (when ../shared is present).

  run_golden.py MUGAI [--regenerate] [--case NAME]

A case may carry its own mugai.conf; otherwise config/mugai.conf (the embedded default) is used.
--regenerate rewrites expected.* from the current output: review the diff before committing.
"""
import argparse, difflib, json, os, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED_TOOLS = os.path.join(os.path.dirname(ROOT), "shared", "tools")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them


def run_case(mugai, case, regenerate):
    d = os.path.join(HERE, case)
    conf = os.path.join(d, "mugai.conf")
    if not os.path.exists(conf):
        conf = os.path.join(ROOT, "config", "mugai.conf")
    conf = scan_db.scanning(conf)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        p = subprocess.run([mugai, "sanitize", "-c", conf, "--from", "sender@example.co.jp",
                            "--rcpt", "taro@city.example.lg.jp", "--client", "192.0.2.25",
                            "--report-json", report, os.path.join(d, "input.eml")],
                           capture_output=True, timeout=60)
        out = p.stdout
        rep = json.load(open(report)) if os.path.exists(report) else None
    failures = []
    if p.returncode not in (0, 3):
        failures.append(f"exit {p.returncode}: {p.stderr.decode(errors='replace')[-300:]}")
    if regenerate:
        open(os.path.join(d, "expected.eml"), "wb").write(out)
        json.dump(rep, open(os.path.join(d, "expected.json"), "w"), ensure_ascii=False, indent=1)
        return failures
    want = open(os.path.join(d, "expected.eml"), "rb").read()
    if out != want:
        diff = difflib.unified_diff(want.decode(errors="replace").splitlines(),
                                    out.decode(errors="replace").splitlines(), "expected", "got", lineterm="")
        failures.append("output differs:\n" + "\n".join(list(diff)[:40]))
    want_rep = json.load(open(os.path.join(d, "expected.json")))
    if rep != want_rep:
        failures.append("report differs:\n" + json.dumps(rep, ensure_ascii=False, indent=1)[:2000])
    if p.returncode == 0 and os.path.isdir(SHARED_TOOLS):
        sys.path.insert(0, SHARED_TOOLS)
        import mailcheck
        r = mailcheck.compare(open(os.path.join(d, "input.eml"), "rb").read(), out)
        if r["problems"] or r["mojibake"] or r["fidelity"] < 0.9:
            failures.append(f"mailcheck: {r}")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mugai")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--case")
    a = ap.parse_args()
    cases = [a.case] if a.case else sorted(c for c in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, c, "input.eml")))
    if not os.path.isdir(SHARED_TOOLS):
        print(f"note: {SHARED_TOOLS} not found: mailcheck skipped, exact comparison still done")
    bad = 0
    for case in cases:
        f = run_case(a.mugai, case, a.regenerate)
        print(f"{'FAIL' if f else 'ok  '} {case}")
        for x in f:
            print("   " + x.replace("\n", "\n   "))
        bad += bool(f)
    print(f"{len(cases) - bad}/{len(cases)} golden cases passed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
