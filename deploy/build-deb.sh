#!/usr/bin/env bash
# build-deb.sh — build the Debian package of mugai (Debian 12).
#   deploy/build-deb.sh [--install-build-deps] [OUTDIR]     (OUTDIR default: ./dist)
# Copies the source tree (without .git, build*/ and state/) to a temporary directory with
# deploy/debian/ at its root as debian/, runs dpkg-buildpackage -us -uc -b there and leaves
# mugai_VERSION_ARCH.deb (and its .buildinfo and .changes) in OUTDIR. --install-build-deps first
# installs the Build-Depends of deploy/debian/control with apt (as root).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
install_deps=no
OUT=
for arg in "$@"; do
  case "$arg" in
    --install-build-deps) install_deps=yes ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "build-deb: unknown option $arg" >&2; exit 2 ;;
    *) OUT=$arg ;;
  esac
done
OUT=${OUT:-$ROOT/dist}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

version=$(dpkg-parsechangelog -l "$ROOT/deploy/debian/changelog" -S Version)
cmake_version=$(sed -n 's/^project(mugai VERSION \([0-9.]*\).*/\1/p' "$ROOT/CMakeLists.txt")
if [ "${version%%-*}" != "$cmake_version" ]; then
  echo "build-deb: deploy/debian/changelog says $version, CMakeLists.txt $cmake_version: add a changelog entry (dch -v $cmake_version)" >&2
  exit 2
fi

export DEBIAN_FRONTEND=noninteractive
if [ "$install_deps" = yes ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends build-essential dpkg-dev debhelper fakeroot >/dev/null
fi

WORK=$(mktemp -d /tmp/mugai-deb.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
SRC="$WORK/mugai-$version"
mkdir "$SRC"
tar -C "$ROOT" --exclude=./.git --exclude='./build*' --exclude=./state --exclude=./dist -cf - . | tar -C "$SRC" -xf -
rm -rf "$SRC/debian"
cp -a "$SRC/deploy/debian" "$SRC/debian"

cd "$SRC"
if [ "$install_deps" = yes ]; then
  apt-get build-dep -y -qq ./ >/dev/null
fi
dpkg-checkbuilddeps
: "${DEB_BUILD_OPTIONS:=parallel=$(nproc)}"
export DEB_BUILD_OPTIONS
dpkg-buildpackage -us -uc -b
cd "$WORK"
shopt -s nullglob
built=(mugai_"$version"_*.deb mugai-dbgsym_"$version"_*.deb mugai_"$version"_*.buildinfo mugai_"$version"_*.changes)
if [ ${#built[@]} -eq 0 ]; then
  echo "build-deb: dpkg-buildpackage made no .deb" >&2
  exit 1
fi
cp "${built[@]}" "$OUT/"
for f in "${built[@]}"; do
  case "$f" in *.deb) echo "build-deb: $OUT/$f" ;; esac
done
