#!/usr/bin/env bash
# convert.sh [BUILD_DIR] — what converting attachments to text costs (issue 8): each document
# through the sandboxed worker exactly as the sanitizer will call it (bench_convert →
# convert_client → posix_spawn of mugai-convert), 5 runs each: MB/s, pages/s, files/s and the
# worker's peak RSS (getrusage of the child). Numbers only. Documents are generated into a
# temporary directory by make_convert_docs.py (deterministic) and removed at the end.
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build /tmp/b-bench -j2 --target mugai-convert bench_convert
#   bench/convert.sh /tmp/b-bench
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/make_convert_docs.py" "$work"
python3 "$here/../tests/convert/make_docs.py" "$work/small" >/dev/null
ls -l "$work" | awk 'NR>1 && $5 {print "  " $9 ": " $5 " bytes"}'
echo "== spawn cost (a 1.6 KB two-page PDF, 20 runs)"
"$build/bench_convert" --worker "$build/mugai-convert" --repeat 20 "$work/small/sample.pdf"
for f in big.pdf big.docx big.xlsx big.ods big.csv; do
  echo "== $f (5 runs)"
  "$build/bench_convert" --worker "$build/mugai-convert" --repeat 5 --max-output 67108864 "$work/$f"
done
