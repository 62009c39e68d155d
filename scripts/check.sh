#!/usr/bin/env bash
# The checks that need no Docker engine, in the order a contributor fixes them:
#   bash scripts/check.sh      lint, format, types, layout; exit 1 if any of them fails
# Every check runs even after one fails, so one run shows everything to fix. The pre-commit hook
# (.pre-commit-config.yaml) runs this same script.
set -uo pipefail
cd "$(dirname "$0")/.."
# Check this tree's cprofiler, not an installed copy from another checkout.
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
# The tools are in the venv scripts/install.sh --test made, where there is one.
py=python3
[ -x "${CPROFILER_VENV:-$PWD/.venv}/bin/python" ] && py="${CPROFILER_VENV:-$PWD/.venv}/bin/python"

failed=()
run() {
  local name=$1
  shift
  echo "check: $name" >&2
  "$@" || failed+=("$name")
}

run "ruff check" "$py" -m ruff check cprofiler tests benchmarks scripts
run "ruff format" "$py" -m ruff format --check cprofiler tests benchmarks scripts
run "mypy" "$py" -m mypy cprofiler benchmarks
run "structure" "$py" scripts/check-structure.py

if [ "${#failed[@]}" -gt 0 ]; then
  echo "check: failed: ${failed[*]}" >&2
  exit 1
fi
echo "check: ruff, format, mypy and structure pass"
