#!/usr/bin/env bash
# How finely --backend kubernetes sees a start: the tests' testapp with DELAY_MS=300 against the same
# image without it, 4 pods each after 1 warmup, on the cluster of KUBECONFIG bound to --node (default
# 127.0.0.1, the local cluster: bash scripts/local-cluster.sh up). Prints the table, then the
# difference of the medians of ready_ms (the in-pod probe where the node is this machine),
# app_ready_ms (the app's own stamp) and ready_condition_ms (the pod's Ready condition).
#   bash benchmarks/pod_start_delay.sh [NODE] [OUTPUT.json]
# A benchmark, not a test: it asserts nothing (tests/kube/test_pods.py checks ±50 ms).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
node="${1:-127.0.0.1}"
out="${2:-$(mktemp -d)/pod-start-delay.json}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cc -static -O2 -o "$work/testapp" "$repo/images/testapp/testapp.c"
printf 'FROM scratch\nCOPY testapp /testapp\nENTRYPOINT ["/testapp"]\n' >"$work/Dockerfile"
cat >"$work/delay.yaml" <<YAML
runs: 4
warmup: 1
settle: 0
timeout: 30
images:
  now:
    {dockerfile: Dockerfile, context: ., env: {MODE: http}, ready: {http: {port: 8080, path: /healthz}}}
  late:
    {dockerfile: Dockerfile, context: ., env: {MODE: http, DELAY_MS: "300"}, ready: {http: {port: 8080, path: /healthz}}}
YAML
(cd "$work" && "$repo/.venv/bin/cprofiler" measure delay.yaml --backend kubernetes --node "$node" --no-floor --quiet -o "$out")
"$repo/.venv/bin/python" - "$out" <<'PY'
import json, statistics, sys

images = {i["name"]: i for i in json.load(open(sys.argv[1]))["images"]}
for field in ("ready_ms", "app_ready_ms", "ready_condition_ms"):
    med = {n: statistics.median(r[field] for r in i["runs"] if r["status"] == "ok" and r.get(field) is not None) for n, i in images.items()}
    print(f"{field}: late - now = {med['late'] - med['now']:+.1f} ms (medians {med['late']:.1f} and {med['now']:.1f})")
PY
echo "results: $out"
