#!/usr/bin/env bash
# Install cprofiler and what it needs on a fresh Debian machine with a Docker engine.
#   bash scripts/install.sh          the tool, debootstrap (stand-in bases), a C compiler (examples)
#   bash scripts/install.sh --test   also the test and lint tools, and the plot extra (its tests fail without it)
set -euo pipefail
cd "$(dirname "$0")/.."
# build-essential: cc -static for the sample service and the tests' images.
# debootstrap: the Debian root filesystem behind the offline stand-in bases (cprofiler bases).
# wrk: the closed-loop load generator (load.generator: wrk); util-linux: nsenter and taskset, which
# run a generator inside a container's network namespace on CPUs of its own.
apt_packages=(build-essential debootstrap wrk util-linux)
# --test: docker-registry, the registry the --backend kubernetes tests push to (--registry); the
# tests run their own on 127.0.0.1 only, so the package's own service is never left running.
[ "${1:-}" = "--test" ] && apt_packages+=(docker-registry)
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
if [ -d /run/systemd/system ] && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true  # it would listen on every address
fi
# oha: the default load generator (open loop, latency from the intended send time). It is built
# from source by cargo, 8-10 minutes on 2 cores, so only when this version is not there yet.
oha_version=1.16.0
oha_bin="$(command -v oha || echo "$HOME/.cargo/bin/oha")"
if "$oha_bin" --version 2>/dev/null | grep -qx "oha $oha_version"; then
  :
elif command -v cargo >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/cargo" ]; then
  echo "install: building oha $oha_version with cargo (8-10 minutes)" >&2
  "$(command -v cargo || echo "$HOME/.cargo/bin/cargo")" install oha --version "$oha_version" --locked --quiet
else
  echo "install: cargo is missing, so oha (the default load generator) is not installed; install Rust's cargo, or use load.generator: wrk" >&2
fi
# The gateway example's python-gunicorn image installs gunicorn from a wheel downloaded here, on
# the host, pinned by hash (its build downloads nothing); nothing is fetched when it is there.
bash examples/gateway/fetch-wheels.sh >/dev/null
extra=""
# --test: the test and lint tools, plots, and the kubernetes client for the --backend kubernetes tests.
[ "${1:-}" = "--test" ] && extra="[test,plot,kubernetes]"
python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore -e ".${extra}"
