#!/usr/bin/env bash
# scan_engine.sh [BUILD_DIR] [CORPUS_DIR] — what virus scanning costs (issue 5): engine load time
# and memory, scan throughput, messages/s of the core with scanning on, and what
# [scan] raw_message = yes adds. Numbers only, no assertions. About a minute on 2 cores.
#
# Three signature databases, generated into a temporary directory under /tmp (fixed seeds: the same
# bytes on every run) and removed at the end. The official ClamAV databases cannot be downloaded
# here, so (b) and (c) are SYNTHETIC stand-ins for their size, not for their content:
#   (a) test     the test signatures of tests/scan_db.py (EICAR, a marker, one hash): 3
#   (b) hash500k (a) + 500 000 .hdb hash signatures: random MD5s, random sizes 1 KiB..4 MiB
#   (c) +body100k (b) + 100 000 .ndb body signatures: random 16..32-byte patterns, any file type,
#                offset * (the official databases are mostly body and logical signatures; these
#                random ones are static strings, cheaper to match than theirs)
# and payloads: 60 KB text, 1 MiB random binary, a 1 MB zip (deflated) of 2.2 MB of text (CSV
# numbers), 26 MiB random binary with EICAR at its end.
#
# For each database:
#   1. bench_scan_engine over the corpus's .eml files, each scanned whole as bytes (what
#      raw_message adds per message; libclamav reads the MIME itself): load time, RSS growth,
#      MB/s and files/s cold (pass 1) and with libclamav's clean-file cache warm (pass 2), and,
#      with --compare, how many messages the whole-file scan flags that mugai's part scan does not;
#   2. bench_scan_engine over the payloads: verdict and time of each;
#   3. bench_sanitize (the core as the milter runs it) with raw_message = no and = yes, -n 1
#      (one cold pass: with -n 3 the later passes are answered by libclamav's cache, since
#      every part was seen before), each twice in a fresh process; and once with backend none.
# Use a RelWithDebInfo or Release build:
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   make -C /tmp/b-bench -j2 bench_sanitize bench_scan_engine
#   bench/scan_engine.sh /tmp/b-bench
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
CORPUS="${2:-$ROOT/../shared/corpus/public}"
for p in "$BUILD/bench_scan_engine" "$BUILD/bench_sanitize"; do
  [ -x "$p" ] || { echo "scan_engine.sh: $p not built" >&2; exit 2; }
done
[ -d "$CORPUS" ] || { echo "scan_engine.sh: no corpus at $CORPUS" >&2; exit 2; }
work=$(mktemp -d /tmp/mugai-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT

python3 - "$work" "$ROOT" <<'PY'
import io, os, random, sys, zipfile
work, root = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(root, "tests"))
import scan_db

conf_text = open(os.path.join(root, "config", "mugai.conf"), encoding="utf-8").read()
rnd = random.Random(5)
dbs = {name: scan_db.make_database(os.path.join(work, "db-" + name))
       for name in ("test", "hash500k", "body100k")}
hdb = os.path.join(dbs["hash500k"], "synthetic.hdb")
with open(hdb, "w") as f:
    f.writelines(f"{rnd.randbytes(16).hex()}:{rnd.randint(1024, 4 << 20)}:Synthetic.Hash-{i:06d}\n"
                 for i in range(500_000))
os.link(hdb, os.path.join(dbs["body100k"], "synthetic.hdb"))
with open(os.path.join(dbs["body100k"], "synthetic.ndb"), "w") as f:
    f.writelines(f"Synthetic.Body-{i:06d}:0:*:{rnd.randbytes(rnd.randint(16, 32)).hex()}\n"
                 for i in range(100_000))
for name, d in dbs.items():
    for raw in ("no", "yes"):
        with open(os.path.join(work, f"conf-{name}-raw-{raw}"), "w", encoding="utf-8") as f:
            f.write(scan_db.config_with_database(conf_text, d, raw_message=raw))
with open(os.path.join(work, "conf-none"), "w", encoding="utf-8") as f:
    f.write(scan_db.config_with_scan(conf_text, backend="none"))

payloads = os.path.join(work, "payloads")
os.makedirs(payloads)
words = ["いつもお世話になっております。", "会議資料を送付いたします。", "防災訓練は午前十時からです。",
         "Meeting room 3, 14:00-15:30.", "Please find the quotation attached.", "予算案", "市民課"]
def text(n):
    out, size = [], 0
    while size < n:
        line = " ".join(rnd.choice(words) for _ in range(rnd.randint(3, 9))) + f" {rnd.randint(0, 10**6)}\n"
        out.append(line)
        size += len(line.encode())
    return "".join(out).encode()[:n]
with open(os.path.join(payloads, "1-text-60k.txt"), "wb") as f:
    f.write(text(60 * 1000))
with open(os.path.join(payloads, "2-random-1m.bin"), "wb") as f:
    f.write(rnd.randbytes(1 << 20))
def csv(n):  # numbers: deflates only about 2:1, so the zip is about 1 MB
    out, size = [], 0
    while size < n:
        line = ",".join(str(rnd.randint(0, 10**9)) for _ in range(8)) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out).encode()[:n]
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(4):
        z.writestr(f"report-{i}.csv", csv(540_000))
with open(os.path.join(payloads, "3-text-1m.zip"), "wb") as f:
    f.write(buf.getvalue())
with open(os.path.join(payloads, "4-random-26m-eicar.bin"), "wb") as f:
    f.write(rnd.randbytes(26 << 20) + scan_db.EICAR)
PY

mapfile -d '' corpus < <(find "$CORPUS" -name '*.eml' -print0 | sort -z)
mapfile -d '' payloads < <(find "$work/payloads" -type f -print0 | sort -z)
echo "build $BUILD; corpus $CORPUS: ${#corpus[@]} .eml files; databases (b) and (c) are SYNTHETIC"
describe=("(a) test signatures of tests/scan_db.py"
          "(b) SYNTHETIC: (a) + 500 000 random .hdb hash signatures"
          "(c) SYNTHETIC: (b) + 100 000 random .ndb body signatures (16..32 bytes, offset *)")
i=0
for db in test hash500k body100k; do
  echo
  echo "=== database ${describe[$i]} ==="
  i=$((i + 1))
  echo "--- corpus, each .eml scanned whole (as raw_message does), then sanitized to compare:"
  "$BUILD/bench_scan_engine" -c "$work/conf-$db-raw-no" -n 2 --compare "${corpus[@]}" 2>/dev/null
  echo "--- payloads:"
  "$BUILD/bench_scan_engine" -c "$work/conf-$db-raw-no" -n 2 --each "${payloads[@]}" |
    grep -v '^load\|^memory\|^free'
  for raw in no yes; do
    for run in 1 2; do
      echo "--- bench_sanitize, scanning with ($db), raw_message = $raw, cold pass, run $run:"
      "$BUILD/bench_sanitize" -c "$work/conf-$db-raw-$raw" -n 1 "${corpus[@]}" 2>/dev/null |
        grep -v '^scanner loaded'
    done
  done
done
echo
for n in 1 3; do
  echo "--- bench_sanitize, backend = none (no scanning), -n $n:"
  "$BUILD/bench_sanitize" -c "$work/conf-none" -n "$n" "${corpus[@]}" 2>/dev/null
done
