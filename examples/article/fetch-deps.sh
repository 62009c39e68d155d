#!/usr/bin/env bash
# Fetch, on the host, what the article's images build from; the builds download nothing.
#   python/wheels/  the wheels of python/requirements.txt, pinned by version and hash, for CPython
#                   3.11 and 3.12 (pip download --require-hashes)
#   go/gopath/src/  the Go source of the Debian packages in go/debian-packages.txt (Gin, Echo,
#                   golang-jwt and what they import), by apt-get download from this machine's own
#                   apt sources (apt checks each package against the signed archive), unpacked
#                   with dpkg-deb, tests and test data left out
# Does nothing for a part that is already there, so it can run before every measurement offline.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"

wheels="$here/python/wheels"
requirements="$here/python/requirements.txt"
missing=0
for hash in $(grep -o 'sha256:[0-9a-f]\{64\}' "$requirements" | cut -d: -f2); do
  found=0
  for wheel in "$wheels"/*.whl; do
    [ -e "$wheel" ] || continue
    if [ "$(sha256sum "$wheel" | cut -d' ' -f1)" = "$hash" ]; then found=1; break; fi
  done
  [ "$found" -eq 1 ] || missing=$((missing + 1))
done
if [ "$missing" -eq 0 ]; then
  echo "fetch-deps: every pinned wheel is in python/wheels"
else
  for version in 3.11 3.12; do
    abi="cp${version/./}"
    "$python" -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
      --require-hashes -r "$requirements" -d "$wheels" --implementation cp --python-version "$version" \
      --abi "$abi" --abi abi3 --abi none --platform manylinux_2_28_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux_2_5_x86_64 \
      --platform manylinux1_x86_64
  done
  echo "fetch-deps: $(ls "$wheels"/*.whl | wc -l) wheels in python/wheels"
fi

gopath="$here/go/gopath"
packages="$(grep -v '^#' "$here/go/debian-packages.txt")"
stamp="$gopath/.packages"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$packages" ]; then
  echo "fetch-deps: the Go packages are in go/gopath"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "fetch-deps: apt-get not found: the Go packages come from Debian's archive (a Debian or Ubuntu host)" >&2
  exit 1
fi
first="$(echo "$packages" | head -1)"
if ! apt-cache show "$first" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "fetch-deps: apt does not know $first: run 'apt-get update' as root" >&2; exit 1; }
  apt-get update -qq
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download -qq -o APT::Sandbox::User=root $packages)
mkdir -p "$work/x"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/x"; done
rm -rf "$gopath/src"
mkdir -p "$gopath/src"
cp -a "$work/x/usr/share/gocode/src/." "$gopath/src/"
find "$gopath/src" \( -name '*_test.go' -o -name testdata -o -name '.*' \) -prune -exec rm -rf {} +
# A GOPATH build finds github.com/labstack/echo/v4 only in a folder of that name; Debian installs
# such a module (go.mod: module …/v4) one level up, so each one moves down into its /vN.
for mod in $(cd "$gopath/src" && find . -name go.mod -printf '%h\n'); do
  dir="${mod#./}"
  name="$(sed -n 's/^module[[:space:]]*"\{0,1\}\([^"[:space:]]*\).*/\1/p' "$gopath/src/$dir/go.mod" | head -1)"
  if [ "$name" = "$dir/${name##*/}" ] && [[ "${name##*/}" =~ ^v[0-9]+$ ]]; then
    mv "$gopath/src/$dir" "$gopath/src/$dir.tmp"
    mkdir -p "$gopath/src/$dir"
    mv "$gopath/src/$dir.tmp" "$gopath/src/$name"
  fi
done
echo "$packages" > "$stamp"
echo "fetch-deps: $(echo "$packages" | wc -l) Debian packages unpacked into go/gopath ($(du -sh "$gopath/src" | cut -f1))"
