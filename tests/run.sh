#!/usr/bin/env bash
# tests/run.sh — the whole test suite, as CI runs it (.ci/run calls this):
#   1. installs what is missing (apt),
#   2. builds with -Wall -Wextra -Werror and runs every test,
#   3. builds the Debian package and tests its install on a fresh bookworm chroot
#      (deploy/test-deb-install.sh: Postfix and systemd there, mail through the installed unit),
#   4. builds again with clang, AddressSanitizer + UndefinedBehaviorSanitizer and the libFuzzer
#      targets, and runs every test again, the 30-second fuzz smoke run included.
# It ends with CTest's summary line. Tests that need ../shared say they were skipped without it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="$(nproc)"

deploy/install-deps.sh

echo "== build (gcc, -Werror) =="
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMUGAI_WERROR=ON >/dev/null
cmake --build build -j "$JOBS"
echo "== tests (gcc build) =="
(cd build && ctest --output-on-failure -j "$((2 * JOBS))")

echo "== the Debian package on a fresh Debian 12 (deploy/test-deb-install.sh) =="
deploy/test-deb-install.sh

echo "== build (clang, ASan + UBSan, fuzz targets) =="
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DMUGAI_WERROR=ON -DMUGAI_SANITIZE=ON \
  -DMUGAI_FUZZ=ON >/dev/null
cmake --build build-asan -j "$JOBS"
echo "== tests (ASan + UBSan build) =="
cd build-asan
exec ctest --output-on-failure -j "$((2 * JOBS))"
