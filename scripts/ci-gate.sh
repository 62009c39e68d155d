#!/usr/bin/env bash
# The CI loop in one script: measure, report, and gate against a baseline. The composite GitHub
# Action (action.yml) runs exactly this; this project's CI runs it end to end on a tiny scenario.
#   bash scripts/ci-gate.sh SCENARIO [--out DIR] [--baseline FILE] [--fail-on RULE]... [--runs N] [--cprofiler CMD]
# Writes DIR/results.json (every run also in DIR/results.jsonl), DIR/report.html and, with a
# baseline, DIR/comparison.md (the pull request comment). Exit status: measure's when runs failed
# or budgets were exceeded, else compare's (1: a --fail-on rule broken), else 0. Without a
# baseline file (the first run, or none kept yet) nothing is compared, and it says so.
set -euo pipefail
usage() { echo "usage: bash scripts/ci-gate.sh SCENARIO [--out DIR] [--baseline FILE] [--fail-on RULE]... [--runs N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
scenario=$1
shift
out=cprofiler-out
baseline=""
runs=()
rules=()
cprofiler="${CPROFILER:-$(cd "$(dirname "$0")/.." && pwd)/.venv/bin/cprofiler}"
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    --fail-on) rules+=(--fail-on "$2"); shift 2 ;;
    --runs) runs=(--runs "$2"); shift 2 ;;
    --cprofiler) cprofiler=$2; shift 2 ;;
    *) echo "ci-gate: unknown option $1" >&2; usage ;;
  esac
done
[ -f "$scenario" ] || { echo "ci-gate: $scenario: no such scenario file" >&2; exit 2; }
mkdir -p "$out"

status=0
"$cprofiler" measure "$scenario" "${runs[@]}" --quiet -o "$out/results.json" || status=$?
if [ ! -s "$out/results.json" ]; then
  echo "ci-gate: measure wrote no results (exit $status)" >&2
  exit "$((status == 0 ? 1 : status))"
fi
"$cprofiler" report "$out/results.json" --html "$out/report.html" >/dev/null
echo "ci-gate: results in $out/results.json, report in $out/report.html" >&2
if [ -n "$baseline" ] && [ -f "$baseline" ]; then
  gate=0
  "$cprofiler" compare "$baseline" "$out/results.json" "${rules[@]}" --format markdown -o "$out/comparison.md" || gate=$?
  echo "ci-gate: comparison with $baseline in $out/comparison.md (exit $gate)" >&2
  [ "$status" -ne 0 ] || status=$gate
elif [ -n "$baseline" ]; then
  echo "ci-gate: no baseline at $baseline yet: nothing compared; keep $out/results.json as the next run's baseline" >&2
fi
exit "$status"
