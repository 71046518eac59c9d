#!/usr/bin/env bash
# quarantine.sh [BUILD_DIR] [N] [sqlite|postgresql] — what the quarantine costs (issues 7 and 9):
# store throughput of the real store from 1, 4 and 16 threads (as the milter's are), then
# `mugai quarantine list` and `stats` over an index of N entries (default 1 000 000). Numbers
# only, no assertions.
#   sqlite (default): the original and its index rows in one group-committed transaction (WAL,
#     synchronous=FULL); in a temporary directory on /var/tmp (a real disk: on a tmpfs fsync costs
#     nothing). About 75 s to fill 1 000 000 entries, 760 MB of index.
#   postgresql: a private cluster with PostgreSQL's durable defaults (fsync on,
#     synchronous_commit on) on /var/tmp, started as the postgres user by tests/pg_cluster.py
#     --durable (so: run as root), reached over TCP on loopback as the milter would be; index and
#     originals in the database. The fill COPYs the rows a store would insert.
# Everything is removed at the end. Use a RelWithDebInfo or Release build:
#   cmake -S . -B /tmp/b-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   make -C /tmp/b-bench -j2 mugai bench_quarantine
#   bench/quarantine.sh /tmp/b-bench 1000000 sqlite
#   bench/quarantine.sh /tmp/b-bench 1000000 postgresql
set -euo pipefail
build="$(realpath "${1:-build}")"
n="${2:-1000000}"
backend="${3:-sqlite}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
case "$backend" in
  sqlite | postgresql) ;;
  *) echo "usage: quarantine.sh [BUILD_DIR] [N] [sqlite|postgresql]" >&2; exit 2 ;;
esac
if [ "$backend" = postgresql ] && [ -z "${MUGAI_TEST_PG_DSN:-}" ]; then
  exec python3 "$here/../tests/pg_cluster.py" --durable -- "$0" "$build" "$n" postgresql
fi

dir=$(mktemp -d /var/tmp/mugai-bench-quarantine-XXXXXX)
trap 'rm -rf "$dir"' EXIT
mugai() { "$build/mugai" "$@"; }

if [ "$backend" = sqlite ]; then
  for threads in 1 4 16; do
    "$build/bench_quarantine" store "$dir/store$threads" "$threads" $((1600 / threads))
  done
  "$build/bench_quarantine" fill "$dir/big" "$n"
  printf '[quarantine]\ndir = %s/big\n' "$dir" >"$dir/big.conf"
  du -sh "$dir/big/index.sqlite"
else
  dsn="$MUGAI_TEST_PG_DSN"
  printf '[quarantine]\nbackend = postgresql\ndsn = %s\n' "$dsn" >"$dir/big.conf"
  chmod 600 "$dir/big.conf"
  mugai quarantine init -c "$dir/big.conf"
  for threads in 1 4 16; do
    "$build/bench_quarantine" store "$dsn" "$threads" $((1600 / threads))
  done
  "$build/bench_quarantine" fill "$dsn" "$n"
  psql "$dsn" -X -A -t -c "VACUUM ANALYZE entry, rcpt, part, original" \
       -c "SELECT 'database: ' || pg_size_pretty(pg_database_size(current_database()))"
fi
for args in "list --limit 50" "list" "list --json" "list --rcpt user7@city.example.lg.jp" \
            "list --virus --limit 50" "list --since 1d" "list --from sender42@" "stats"; do
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e s wall, %M KB max RSS: mugai quarantine $args" \
    "$build/mugai" quarantine $args -c "$dir/big.conf" >/dev/null
done
