#!/usr/bin/env bash
# Time the README's first command on this machine from `git clone` to the first table, split into
# install, stand-in bases and the rest (building the three images and measuring).
#   bash benchmarks/first_table.sh          reuse the stand-in bases this engine has
#   bash benchmarks/first_table.sh --fresh  remove every cprofiler image first (cprofiler clean
#                                           --images --bases), so the bases build as on a fresh machine
# The clone is a new folder, so its virtual environment is new; pip's and apt's caches are not
# cleared (a fresh machine downloads the wheels too: about 20 s more here). Prints one line per
# part and a JSON line at the end. A benchmark, not a test: it asserts nothing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--fresh" ] && [ -x "$repo/.venv/bin/cprofiler" ]; then
  "$repo/.venv/bin/cprofiler" clean --images --bases >/dev/null
fi
t0=$(date +%s.%N)
git clone -q "$repo" "$work/c"
cd "$work/c"
# Every line of the quickstart stamped with the seconds since the clone began.
bash scripts/quickstart.sh --output "$work/first.json" 2>&1 | while IFS= read -r line; do
  printf '%8.1f %s\n' "$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{print a-b}')" "$line"
done | tee "$work/log" | grep -E "install: cprofiler is|built cprofiler-base|stand-ins|^ *[0-9.]+ +\S+ +(image|python|go)" || true
end=$(tail -n1 "$work/log" | awk '{print $1}')
installed=$(grep -m1 "install: cprofiler is" "$work/log" | awk '{print $1}')
bases=$(grep "built cprofiler-base" "$work/log" | tail -n1 | awk '{print $1}')
bases=${bases:-$installed}
awk -v i="$installed" -v b="$bases" -v e="$end" -v d="$(date -u +%F)" 'BEGIN {
  printf "install %.0f s, stand-in bases %.0f s, images and measuring %.0f s: first table after %.0f s (%s)\n", i, b - i, e - b, e, d
  printf "{\"install_s\": %.1f, \"bases_s\": %.1f, \"measure_s\": %.1f, \"total_s\": %.1f}\n", i, b - i, e - b, e
}'
