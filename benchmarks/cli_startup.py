"""How fast the command line answers when it has nothing to do: ``--help`` and a usage error.

    python benchmarks/cli_startup.py [--runs 20] [--warmup 2] [--root DIR] [--json]

Each case is ``python -m cprofiler …`` in a fresh process (the way a user meets it), ``--runs``
times after ``--warmup`` unrecorded runs: the wall time from start to exit, its median and p90
(nearest rank) in ms, and the CPU time the process used (user + system, median), which a shared
machine's load inflates far less than the wall time. Last, the import of ``cprofiler.cli`` alone,
as ``python -X importtime`` reports it (its cumulative microseconds, median, in ms). ``--root`` is
the source tree timed (default: this one), so another checkout can be timed the same way.

Every process finds its modules compiled, as an installed cprofiler does: the bytecode caches go
to a temporary ``PYTHONPYCACHEPREFIX``, written by the first warm-up run (``PYTHONDONTWRITEBYTECODE``
is dropped), so no source tree is written to and no run pays for compiling.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: The cases timed: a name, and the arguments after ``python -m cprofiler``.
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("--help", ("--help",)),
    ("measure --help", ("measure", "--help")),
    ("usage error: measure (no file)", ("measure",)),
    ("usage error: unknown option", ("measure", "--no-such-option", "s.yaml")),
)


def p90(values: list[float]) -> float:
    """The nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """``(wall_ms, cpu_ms)`` of one run of ``command`` in the timed tree; its output is discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # In the timed tree: ``python -m`` and ``-c`` put the working directory first on sys.path.
    subprocess.run(command, env=env, cwd=env["PYTHONPATH"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall_ms = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_ms = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall_ms, cpu_ms


def time_case(args: tuple[str, ...], runs: int, warmup: int, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-m", "cprofiler", *args]
    for _ in range(warmup):
        run_once(command, env)
    samples = [run_once(command, env) for _ in range(runs)]
    walls = [wall for wall, _ in samples]
    return {
        "args": list(args),
        "median_ms": round(statistics.median(walls), 1),
        "p90_ms": round(p90(walls), 1),
        "cpu_median_ms": round(statistics.median(cpu for _, cpu in samples), 1),
        "wall_ms": [round(w, 1) for w in walls],
    }


def import_ms(runs: int, env: dict[str, str]) -> dict[str, Any]:
    """The median and p90 of ``import cprofiler.cli``'s cumulative time under ``-X importtime``, in ms."""
    found = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import cprofiler.cli"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        line = next(line for line in out.stderr.splitlines() if line.rstrip().endswith("| cprofiler.cli"))
        found.append(int(line.split("|")[1]) / 1000)
    return {"median_ms": round(statistics.median(found), 1), "p90_ms": round(p90(found), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="Timed runs per case.")
    parser.add_argument(
        "--warmup", type=int, default=2, help="Unrecorded runs per case first (at least 1: it writes the bytecode caches)."
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="The source tree to time (default: this one).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON instead of a table.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cli-startup-pycache-") as cache:
        env = {**os.environ, "PYTHONPATH": str(args.root.resolve()), "COLUMNS": "100", "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        cases = {name: time_case(argv, args.runs, max(1, args.warmup), env) for name, argv in CASES}
        imported = import_ms(args.runs, env)
    figures = {
        "root": str(args.root.resolve()),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "runs": args.runs,
        "cases": cases,
        "import_cprofiler_cli": imported,
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{'case':<34} {'median ms':>10} {'p90 ms':>8} {'CPU ms':>8}")
    for name, case in cases.items():
        print(f"{name:<34} {case['median_ms']:>10.0f} {case['p90_ms']:>8.0f} {case['cpu_median_ms']:>8.0f}")
    print(f"{'import cprofiler.cli (importtime)':<34} {imported['median_ms']:>10.0f} {imported['p90_ms']:>8.0f}")
    print(f"{args.runs} runs each; load average {figures['load_average']} on {figures['cpus']} CPUs")


if __name__ == "__main__":
    main()
