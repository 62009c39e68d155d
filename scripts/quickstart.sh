#!/usr/bin/env bash
# Install cprofiler and run the main job on this machine: no container registry needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
bash examples/offline/build.sh
python3 -m cprofiler measure examples/offline.yaml "$@"
