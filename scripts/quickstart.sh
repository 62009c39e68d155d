#!/usr/bin/env bash
# Install cprofiler and run the main job: Python on Alpine vs Python on Ubuntu vs static Go.
# Where no registry answers, the bases are offline stand-ins built once from the Debian mirror
# in this machine's apt configuration (about 10 minutes the first time; reused afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
python3 -m cprofiler measure scenarios.yaml "$@"
