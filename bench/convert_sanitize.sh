#!/usr/bin/env bash
# convert_sanitize.sh [BUILD_DIR] [N] — what turning attachments into text costs per message, with
# conversion on (the default [inbound] convert) and off ([inbound] convert = , the files removed
# and listed), for three messages (bench/make_convert_messages.py): one small PDF (2 pages,
# 1.6 KB), a 20-page PDF (83 KB), a docx + an xlsx. Scanning with the test signatures
# (tests/scan_db.py), as the tests do. Numbers only:
#   1. bench_sanitize --convert: the core as the milter runs it (engines loaded once; one
#      mugai-convert process per file), N copies of the message per pass, best of 3 passes:
#      messages/s, the sanitizer's CPU per message and the workers' CPU per message (getrusage
#      of the reaped children);
#   2. `mugai sanitize`, one process per message, N runs: messages/s and CPU per message of the
#      command and everything it ran (process start, config, libmagic and libclamav load, workers);
#   3. bench_convert on each document alone: the worker's time and peak RSS (measured from a
#      small parent: a posix_spawn'ed child's ru_maxrss starts at its parent's RSS, so the
#      workers of a big process, bench_sanitize or a milter with ClamAV loaded, would show that).
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build /tmp/b-bench -j2 --target mugai mugai-convert bench_sanitize bench_convert
#   bench/convert_sanitize.sh /tmp/b-bench 20
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
n=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/make_convert_messages.py" "$work"
python3 - "$here/../tests" "$here/../config/mugai.conf" "$work" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import scan_db
tests, conf, work = sys.argv[1:4]
text = scan_db.config_with_database(open(conf, encoding="utf-8").read(),
                                    scan_db.make_database(os.path.join(work, "db")))
open(os.path.join(work, "on.conf"), "w", encoding="utf-8").write(text)
open(os.path.join(work, "off.conf"), "w", encoding="utf-8").write(
    scan_db.config_with_keys(text, "inbound", convert=""))
EOF
messages=(pdf_small docx_xlsx pdf_20pages)
for m in "${messages[@]}"; do
  echo "  $m.eml: $(wc -c <"$work/$m.eml") bytes"
done
echo "== 1. bench_sanitize --convert, $n copies of each message a pass, best of 3"
for m in "${messages[@]}"; do
  for mode in on off; do
    echo "--- $m, conversion $mode"
    files=()
    for ((i = 0; i < n; i++)); do files+=("$work/$m.eml"); done
    "$build/bench_sanitize" --convert -c "$work/$mode.conf" -n 3 "${files[@]}" | grep -v '^scanner\|^converter'
  done
done
echo "== 2. mugai sanitize, one process per message, $n runs"
for m in "${messages[@]}"; do
  for mode in on off; do
    python3 - "$build/mugai" "$work/$mode.conf" "$work/$m.eml" "$n" "$m, conversion $mode" <<'EOF'
import resource, subprocess, sys, time
mugai, conf, msg, n, label = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
out = subprocess.run([mugai, "sanitize", "-c", conf, msg], capture_output=True, check=True).stderr
summary = out.decode().strip().splitlines()[-1]
actions = [w for w in summary.split() if w.startswith("actions=")][0]
t0, c0 = time.monotonic(), cpu()
for _ in range(n):
    subprocess.run([mugai, "sanitize", "-c", conf, msg], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
wall, used = time.monotonic() - t0, cpu() - c0
print(f"{label}: {n / wall:.1f} msgs/s, {wall / n * 1000:.1f} ms wall and {used / n * 1000:.1f} ms CPU "
      f"per message ({actions})")
EOF
  done
done
echo "== 3. bench_convert, each document alone (10 runs)"
for f in sample.pdf pdf20.pdf sample.docx sample.xlsx; do
  "$build/bench_convert" --worker "$build/mugai-convert" --repeat 10 "$work/docs/$f" |
    sed -e 's/ warnings=[^ ]* reason="[^"]*"//'
done
