#!/usr/bin/env bash
# Install cprofiler into a virtual environment, and what it needs, on a Debian machine with Docker.
#   bash scripts/install.sh          the tool (in .venv), debootstrap (stand-in bases), a C compiler
#   bash scripts/install.sh --load   also oha, the default load generator (a `load:` block needs it)
#   bash scripts/install.sh --test   also oha, the test and lint tools, plots, the kubernetes client, mkdocs
# CPROFILER_VENV=DIR puts the virtual environment elsewhere (default: .venv in this checkout).
# The tool never goes into the system Python: Debian 12's pip refuses that (PEP 668,
# externally-managed-environment), and a venv keeps its dependencies away from the system's.
set -euo pipefail
cd "$(dirname "$0")/.."
load=0
test=0
for arg in "$@"; do
  case "$arg" in
    --load) load=1 ;;
    --test) test=1 load=1 ;;
    *) echo "install: unknown option $arg; expected --load or --test" >&2; exit 2 ;;
  esac
done
venv="${CPROFILER_VENV:-$PWD/.venv}"

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "install: cprofiler needs Python 3.11 or newer as python3; found $(python3 --version 2>&1 || echo none)" >&2
  exit 1
fi
# build-essential: cc -static for the sample service and the tests' images.
# debootstrap: the Debian root filesystem behind the offline stand-in bases (cprofiler bases).
# wrk: the closed-loop load generator (load.generator: wrk); util-linux: nsenter and taskset, which
# run a generator inside a container's network namespace on CPUs of its own.
apt_packages=(build-essential debootstrap wrk util-linux)
# python3-venv: Debian's python3 has no ensurepip without it, so `python3 -m venv` would fail.
python3 -c 'import ensurepip' 2>/dev/null || apt_packages+=(python3-venv)
# --test: docker-registry, the registry the --backend kubernetes tests push to (--registry); the
# tests run their own on 127.0.0.1 only, so the package's own service is never left running.
[ "$test" = 1 ] && apt_packages+=(docker-registry)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "install: apt-get install ${missing[*]} (about a minute)" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi
if [ -d /run/systemd/system ] && systemctl is-enabled docker-registry >/dev/null 2>&1; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true  # it would listen on every address
fi

# oha: the default load generator (open loop, latency from the intended send time). cargo builds
# it from source, so only for a load phase (--load, --test) and only when this version is missing:
# the main job never waits for it.
oha_version=1.16.0
oha_bin="$(command -v oha || echo "$HOME/.cargo/bin/oha")"
if [ "$load" = 1 ] && ! "$oha_bin" --version 2>/dev/null | grep -qx "oha $oha_version"; then
  cargo="$(command -v cargo || echo "$HOME/.cargo/bin/cargo")"
  if [ -x "$cargo" ]; then
    echo "install: building oha $oha_version with cargo, for load phases (5-10 minutes on 2 cores, once)" >&2
    "$cargo" install oha --version "$oha_version" --locked --quiet
  else
    echo "install: cargo is missing, so oha (the default load generator) is not installed; install Rust's cargo, or use load.generator: wrk" >&2
  fi
fi
# The gateway example's python-gunicorn image installs gunicorn from a wheel downloaded here, on
# the host, pinned by hash (its build downloads nothing); nothing is fetched when it is there.
[ "$load" = 1 ] && bash examples/gateway/fetch-wheels.sh >/dev/null

extra=""
# --test: the test and lint tools, plots, the kubernetes client for the --backend kubernetes tests,
# and mkdocs for CI's build of the documentation site.
[ "$test" = 1 ] && extra="[test,plot,kubernetes,docs]"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
echo "install: pip install cprofiler${extra} into $venv (about a minute the first time)" >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check -e ".${extra}"
echo "install: cprofiler is $venv/bin/cprofiler (run it by that path, or after: source $venv/bin/activate)" >&2
