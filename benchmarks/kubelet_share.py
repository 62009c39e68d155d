"""The kubelet's share of a start: the same images measured on Docker and on Kubernetes, side by side.

    python3 benchmarks/kubelet_share.py DOCKER.json KUBERNETES.json

Prints a Markdown table with, per image, the Docker cold start, the pod startup (create until a
watch event showed Ready), their difference (what the API server and the kubelet add: the pod
sandbox, the kubelet's status loop and the readinessProbe period), and the same difference on
the app's own ready stamp (both runs on this machine share its monotonic clock), which leaves the
probe cadence out. Medians over the ok runs of each file.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

from cprofiler.results.model import ImageResult
from cprofiler.results.runlog import load


def _p50(entry: ImageResult | None, field: str) -> float | None:
    values = entry.values(field) if entry is not None else []
    return statistics.median(values) if values else None


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _minus(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def table(docker_path: Path, kube_path: Path) -> str:
    docker, kube = load(docker_path).by_name(), load(kube_path).by_name()
    head = (
        "| image | Docker cold start p50 | pod startup p50 | kubelet's share | app ready: Docker p50 | "
        "app ready: pod p50 | kubelet's share to app ready | container running seen p50 |"
    )
    lines = [head, "|" + "---|" * 8]
    for name, k in kube.items():
        d = docker.get(name)
        ready_d, ready_k = _p50(d, "ready_ms"), _p50(k, "ready_ms")
        app_d, app_k = _p50(d, "app_ready_ms"), _p50(k, "app_ready_ms")
        cells = [ready_d, ready_k, _minus(ready_k, ready_d), app_d, app_k, _minus(app_k, app_d), _p50(k, "running_ms")]
        lines.append(f"| {name} | " + " | ".join(_ms(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: kubelet_share.py DOCKER.json KUBERNETES.json")
    sys.stdout.write(table(Path(sys.argv[1]), Path(sys.argv[2])))
