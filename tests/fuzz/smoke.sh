#!/usr/bin/env bash
# smoke.sh FUZZER COVERAGE_FUZZER SOURCE_DIR — a short fuzz run (FUZZ_SECONDS, default 30) seeded
# from ../shared/corpus/public and the golden inputs, then line coverage of mugai's own code
# reached by the resulting corpus. Fails on any crash, leak or sanitizer report.
set -euo pipefail
fuzzer=$1 cov=$2 src=$3
seconds=${FUZZ_SECONDS:-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/seeds"
i=0
for f in "$src"/tests/golden/*/input.eml; do cp "$f" "$work/seeds/golden-$((i++)).eml"; done
shared="$src/../shared/corpus/public"
if [ -d "$shared" ]; then
  find "$shared" -name '*.eml' -size -1048576c -print0 | while IFS= read -r -d '' f; do
    cp "$f" "$work/seeds/$(echo "$f" | md5sum | cut -c1-12).eml"
  done
else
  echo "note: $shared not found: seeding from the golden inputs only"
fi
echo "fuzz: $(ls "$work/seeds" | wc -l) seeds, ${seconds}s"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
"$fuzzer" -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$work/" "$work/corpus" "$work/seeds" 2>"$work/fuzz.log" || {
  tail -n 60 "$work/fuzz.log"
  for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-*; do [ -e "$a" ] && cp "$a" . && echo "artifact: $PWD/$(basename "$a")"; done
  exit 1
}
grep -E '^(#[0-9]+ +DONE|Done)' "$work/fuzz.log" | tail -1 || tail -n 3 "$work/fuzz.log"

# Coverage of mugai's own code by everything the fuzzer kept.
LLVM_PROFILE_FILE="$work/cov.profraw" "$cov" -runs=0 "$work/corpus" "$work/seeds" >/dev/null 2>&1
llvm-profdata merge -sparse "$work/cov.profraw" -o "$work/cov.profdata"
echo "coverage of mugai's own code (src/) reached by the fuzz corpus:"
llvm-cov report "$cov" -instr-profile="$work/cov.profdata" "$src"/src/sanitize/*.c "$src"/src/config/*.c \
  "$src"/src/util/*.c | sed 's/^/  /'
