#!/usr/bin/env bash
# smoke_decoders.sh SOURCE_DIR FUZZER... — a short run of each decoder fuzz target (fuzz_html2text,
# fuzz_charset, fuzz_header_decode, fuzz_config, fuzz_auth_results, fuzz_passwords; FUZZ_SECONDS
# each, default 10: about 65 s in all), seeded by make_seeds.py from the golden inputs and
# ../shared/corpus/public; when that corpus is absent the golden inputs and make_seeds.py's
# built-in seeds are used instead, so a missing corpus is never a failure.
# Fails on any crash, leak, timeout or sanitizer report (the artifact is copied to the current
# directory and named).
set -euo pipefail
src=$1
shift
seconds=${FUZZ_SECONDS:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
shared="$src/../shared/corpus/public"
sources=("$src/tests/golden")
if [ -d "$shared" ]; then
  sources+=("$shared")
else
  echo "note: $shared not found: seeding from the golden inputs and built-in seeds only"
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
status=0
for fuzzer in "$@"; do
  name=$(basename "$fuzzer")
  case $name in
    fuzz_html2text) kind=html max_len=262144 ;;
    fuzz_charset) kind=charset max_len=65536 ;;
    fuzz_header_decode) kind=header max_len=4096 ;;
    fuzz_config) kind=config max_len=65536 ;;
    fuzz_auth_results) kind=authres max_len=20000 ;;
    fuzz_passwords) kind=text max_len=65536 ;;
    *) echo "unknown fuzz target $name" >&2; exit 2 ;;
  esac
  mkdir -p "$work/$name/corpus"
  python3 "$src/tests/fuzz/make_seeds.py" "$kind" "$work/$name/seeds" "${sources[@]}"
  if "$fuzzer" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$work/$name/" "$work/$name/corpus" "$work/$name/seeds" \
    2>"$work/$name/fuzz.log"; then
    echo "$name: $(grep -E '^#[0-9]+ +DONE' "$work/$name/fuzz.log" | tail -1 || tail -n 1 "$work/$name/fuzz.log")"
  else
    status=1
    echo "$name: FAILED"
    tail -n 60 "$work/$name/fuzz.log"
    for a in "$work/$name"/crash-* "$work/$name"/leak-* "$work/$name"/timeout-* "$work/$name"/oom-*; do
      [ -e "$a" ] && cp "$a" "./$name-$(basename "$a")" && echo "artifact: $PWD/$name-$(basename "$a")"
    done
  fi
done
exit $status
