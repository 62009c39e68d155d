#!/usr/bin/env bash
# Look at the HTML report the way a person would: render it with headless Chromium to a PNG.
#   bash scripts/render-report.sh [RESULTS] [OUT.png] [WIDTH]
#   bash scripts/render-report.sh docs/results/default.json /tmp/report.png 1280
# Needs Debian's chromium (apt-get install -y chromium) and the plot extra. Every network request
# is sent to a dead proxy, so a page that needed the network would show it.
set -euo pipefail
cd "$(dirname "$0")/.."
results=${1:-docs/results/default.json}
out=${2:-report.png}
width=${3:-1280}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "render-report: needs chromium: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m cprofiler report "$results" --html "$tmp/report.html"
# --screenshot captures the window only: open a very tall one, then cut the blank bottom off.
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 \
  --user-data-dir="$tmp/profile" --window-size="${width},12000" --screenshot="$tmp/page.png" \
  "file://$(realpath "$tmp/report.html")" >/dev/null 2>&1
python3 - "$tmp/page.png" "$out" <<'PY'
import sys

import matplotlib.image as mpimg

page = mpimg.imread(sys.argv[1])
rows = (page[:, :, :3] < 0.98).any(axis=(1, 2)).nonzero()[0]
bottom = min(len(page), (rows[-1] + 40) if len(rows) else len(page))
mpimg.imsave(sys.argv[2], page[:bottom])
print(f"render-report: {sys.argv[2]}: {page.shape[1]}×{bottom} px")
PY
