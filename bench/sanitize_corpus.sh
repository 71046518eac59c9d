#!/usr/bin/env bash
# sanitize_corpus.sh [BUILD_DIR] [CORPUS_DIR] — two numbers over a folder of .eml files
# (default ../shared/corpus/public):
#   1. messages/s of the `mugai sanitize` command, one process per message (what the issue asks;
#      includes process start, config parse and libmagic load per message),
#   2. messages/s and CPU ms/message of the core alone, in one process with engines loaded once
#      (bench_sanitize: what the milter pays per message), best of 3 passes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
CORPUS="${2:-$ROOT/../shared/corpus/public}"
[ -d "$CORPUS" ] || { echo "no corpus at $CORPUS" >&2; exit 2; }
mapfile -d '' files < <(find "$CORPUS" -name '*.eml' -print0 | sort -z)
n=${#files[@]}
bytes=$(cat "${files[@]}" | wc -c)
start=$(date +%s.%N)
for f in "${files[@]}"; do
  "$BUILD/mugai" sanitize -c "$ROOT/config/mugai.conf" "$f" >/dev/null 2>&1 || true
done
end=$(date +%s.%N)
python3 -c "import sys; n,b,s,e=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[3]),float(sys.argv[4]); print(f'mugai sanitize (process per message): {n} messages, {b/1e6:.1f} MB in {e-s:.2f} s = {n/(e-s):.1f} msgs/s')" "$n" "$bytes" "$start" "$end"
"$BUILD/bench_sanitize" -c "$ROOT/config/mugai.conf" -n 3 "${files[@]}"
