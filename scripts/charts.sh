#!/usr/bin/env bash
# Regenerate the README's charts from the saved results (docs/charts/default-<chart>.png).
#   bash scripts/charts.sh
# Needs the plot extra (pip install -e '.[plot]'). The files carry no date: the same results give
# the same bytes, so a diff shows only what the results changed.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f docs/charts/default-*.png
"${CPROFILER_VENV:-.venv}/bin/python" -m cprofiler plot docs/results/default-v2.json -o docs/charts/default.png
