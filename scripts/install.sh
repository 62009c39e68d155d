#!/usr/bin/env bash
# Install cprofiler and what it needs on a fresh Debian machine with a Docker engine.
#   bash scripts/install.sh          the tool, debootstrap (stand-in bases), a C compiler (examples)
#   bash scripts/install.sh --test   also the test and lint tools, and the plot extra (its tests fail without it)
set -euo pipefail
cd "$(dirname "$0")/.."
# build-essential: cc -static for the sample service and the tests' images.
# debootstrap: the Debian root filesystem behind the offline stand-in bases (cprofiler bases).
apt_packages=(build-essential debootstrap)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi
extra=""
[ "${1:-}" = "--test" ] && extra="[test,plot]"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".${extra}"
