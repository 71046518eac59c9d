#!/usr/bin/env bash
# install-deps.sh — install (with apt, on Debian 12) whatever mugai needs to build, run its demo
# and run its tests, and nothing when everything is already there.
#   deploy/install-deps.sh           build + run + test packages
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config
  libglib2.0-dev libgmime-3.0-dev libmilter-dev libgumbo-dev libjson-glib-dev libmagic-dev libarchive-dev libclamav-dev libsqlite3-dev
  # mugai quarantine tests inspect the index with the sqlite3 shell
  sqlite3
  # the PostgreSQL quarantine backend (libpq); its tests start a private cluster
  libpq-dev postgresql
  # SHA-256 of every part (OpenSSL's uses the CPU's SHA instructions; libclamav links it already)
  libssl-dev
  # originals kept compressed in the SQLite quarantine (libclamav and libarchive link it already);
  # the zstd tool lets the tests read the index beside mugai
  libzstd-dev zstd
  # the attachment converter (issue 8): PDF text, its Japanese CMaps, OOXML/ODF XML, the sandbox
  libpoppler-glib-dev poppler-data libxml2-dev libseccomp-dev
  # run (the demo and the end-to-end tests use a private Postfix instance and its smtp-sink)
  postfix libmagic-mgc
  # the clamd backend is tested against a real clamd on a private socket
  clamav-daemon
  # tests
  libcmocka-dev python3 swaks groff-base
  # PPAP: 7-Zip AES archives for the unlock test (libarchive can read 7z but not encrypt it)
  p7zip-full
  # fuzzing and coverage (libFuzzer comes with clang's runtime)
  clang libclang-rt-14-dev llvm
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure the system instance: mugai only runs private instances.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
