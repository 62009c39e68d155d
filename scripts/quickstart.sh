#!/usr/bin/env bash
# Install cprofiler (into .venv) and run the main job: Python on Alpine vs Python on Ubuntu vs static Go.
# Where no registry answers, the bases are offline stand-ins built once, side by side, from the
# Debian mirror in this machine's apt configuration; they are reused afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
"${CPROFILER_VENV:-$PWD/.venv}/bin/cprofiler" measure scenarios.yaml "$@"
