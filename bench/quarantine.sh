#!/usr/bin/env bash
# quarantine.sh [BUILD_DIR] [N] — what the quarantine costs (issue 7): store throughput of the real
# store (file written, fsynced, renamed, directory fsynced, index row group-committed) from 1, 4
# and 16 threads, then `mugai quarantine list` and `stats` over an index of N entries (default
# 1 000 000, about 75 s to fill and 760 MB of index). Numbers only, no assertions. Everything goes
# to a temporary directory on /var/tmp (a real disk: on a tmpfs fsync costs nothing), removed at
# the end. Use a RelWithDebInfo or Release build:
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   make -C /tmp/b-bench -j2 mugai bench_quarantine
#   bench/quarantine.sh /tmp/b-bench
set -euo pipefail
build="${1:-build}"
n="${2:-1000000}"
dir=$(mktemp -d /var/tmp/mugai-bench-quarantine-XXXXXX)
trap 'rm -rf "$dir"' EXIT
for threads in 1 4 16; do
  "$build/bench_quarantine" store "$dir/store$threads" "$threads" $((1600 / threads))
done
"$build/bench_quarantine" fill "$dir/big" "$n"
printf '[quarantine]\ndir = %s/big\n' "$dir" >"$dir/big.conf"
du -sh "$dir/big/index.sqlite"
for args in "list --limit 50" "list" "list --json" "list --rcpt user7@city.example.lg.jp" \
            "list --virus --limit 50" "list --since 1d" "list --from sender42@" "stats"; do
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e s wall, %M KB max RSS: mugai quarantine $args" \
    "$build/mugai" quarantine $args -c "$dir/big.conf" >/dev/null
done
