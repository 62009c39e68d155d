#!/usr/bin/env bash
# Measure the article's claims on this machine and refill docs/article.md from the results:
# fetch what the images build from, then the deployment table, the GIL jobs, the router table and
# the gateway (rate sweep, then closed loop), each into docs/results/article-*.json, then
# scripts/gen-docs.py, which regenerates the claim tables from those files.
# Run from anywhere: bash examples/article/measure.sh [extra measure flags, e.g. --runs 3]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
cprofiler="${CPROFILER:-cprofiler}"
[ -x "$repo/.venv/bin/cprofiler" ] && [ -z "${CPROFILER:-}" ] && cprofiler="$repo/.venv/bin/cprofiler"
bash examples/article/fetch-deps.sh
start=$(date +%s)
for part in deploy gil routers gateway gateway-closed; do
  echo "measure.sh: examples/article-$part.yaml"
  "$cprofiler" measure "examples/article-$part.yaml" --output "docs/results/article-$part.json" "$@"
done
# gen-docs imports cprofiler: run it with the Python that cprofiler is installed in (its script's #!).
"$(head -1 "$(command -v "$cprofiler")" | sed 's/^#!//')" scripts/gen-docs.py
echo "measure.sh: measured and docs/article.md refilled in $(( ($(date +%s) - start) / 60 )) min"
