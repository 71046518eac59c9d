#!/usr/bin/env python3
"""The public corpus (../shared/corpus/public) through `mugai sanitize`, judged by
../shared/tools/corpus_check.py with the project's bar: no crash, timeout, tempfail, usage error,
invariant violation or mojibake; mean fidelity >= 0.98; at most 2 messages below 0.9.

Exit 77 (CTest: skipped) when ../shared is not there, saying so.
"""
import os, subprocess, sys, tempfile

ROOT = os.environ.get("MUGAI_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MUGAI = os.environ.get("MUGAI") or os.path.join(ROOT, "build", "mugai")
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
CHECK = os.path.join(SHARED, "tools", "corpus_check.py")
CORPUS = os.path.join(SHARED, "corpus", "public")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
import scan_db  # noqa: E402  the test signatures: every test scans with them

if not (os.path.isfile(CHECK) and os.path.isdir(CORPUS)):
    print(f"SKIPPED: {CHECK} or {CORPUS} not found (the shared corpus is only present in CI and dev machines)")
    sys.exit(77)

with tempfile.TemporaryDirectory() as out:
    conf = scan_db.scanning(os.path.join(ROOT, "config", "mugai.conf"))
    p = subprocess.run([sys.executable, CHECK, MUGAI, CORPUS, "--config", conf, "--out", out, "--timeout", "60"],
                       capture_output=True, text=True)
print(p.stdout[-6000:])
if p.returncode not in (0, 1) or not p.stdout.strip():
    print(p.stderr[-3000:])
    sys.exit(1)
summary = dict(kv.split("=", 1) for kv in p.stdout.strip().splitlines()[-1].split())
failures = []
for key in ("crashes", "timeouts", "tempfail", "usage", "violations", "mojibake"):
    if int(summary[key]) != 0:
        failures.append(f"{key}={summary[key]} (must be 0)")
if summary["fidelity_mean"] == "None" or float(summary["fidelity_mean"]) < 0.98:
    failures.append(f"fidelity_mean={summary['fidelity_mean']} (must be >= 0.98)")
if int(summary["low_fidelity"]) > 2:
    failures.append(f"low_fidelity={summary['low_fidelity']} (must be <= 2)")
if int(summary["n"]) < 300:
    failures.append(f"only {summary['n']} messages checked")
for f in failures:
    print("FAIL", f)
print("corpus_public:", "FAIL" if failures else "ok", p.stdout.strip().splitlines()[-1])
sys.exit(1 if failures else 0)
