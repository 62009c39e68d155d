"""Measure cprofiler itself on this machine and write the figures to a JSON file.

    python benchmarks/harness.py [--runs N] [--out benchmarks/results.json]

Everything is built from local content (the static testapp, compiled with ``gcc -static``, and the
runtime floor cprofiler writes from bytes), so no registry is needed. Two measurements run:

1. **services**: the testapp as an http, a tcp and a log-probed service and as an exit-probed batch
   job, with the (serving) runtime floor. Gives probe lag p50/p95 per probe type (ground truth: the
   testapp prints ``ready monotonic_ns=…``), the harness's CPU as a share of one core while it
   measures, the floor's run-to-run spread, and the spread of a static binary's cold start (http).
2. **exit floor vs hyperfine**: a batch-job scenario (so the floor exits at once), then, right
   after, ``hyperfine -N --runs N 'docker run --rm FLOOR'`` on the same floor image.

These are benchmarks, not tests: they report what this machine does and assert nothing.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))


from cprofiler import engine as engine_mod  # noqa: E402
from cprofiler.measure.reporter import SilentReporter  # noqa: E402
from cprofiler.measure.runner import Runner  # noqa: E402
from cprofiler.results import stats  # noqa: E402
from cprofiler.results.kinds import RunStatus  # noqa: E402
from cprofiler.results.model import Measurement, RunResult  # noqa: E402
from cprofiler.scenario.reader import load as load_scenario  # noqa: E402

TESTAPP_SRC = ROOT / "images" / "testapp" / "testapp.c"


class CpuClock(SilentReporter):
    """Takes the process's CPU time and the wall clock when the run loop starts (after building)."""

    def __init__(self) -> None:
        super().__init__()
        self.cpu_s: float | None = None
        self.wall_ns: int | None = None

    def runs_planned(self, total: int) -> None:
        self.cpu_s = _cpu_s()
        self.wall_ns = time.monotonic_ns()


def _cpu_s() -> float:
    """User + system CPU time of this process (every thread: probes, log readers, waiters), in seconds."""
    t = psutil.Process().cpu_times()
    return t.user + t.system


def build_context(workdir: Path) -> Path:
    """A FROM scratch build context holding the static testapp; returns its folder."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        sys.exit("harness: no C compiler (apt-get install gcc libc6-dev)")
    ctx = workdir / "testapp"
    ctx.mkdir()
    subprocess.run([cc, "-static", "-O2", "-o", str(ctx / "testapp"), str(TESTAPP_SRC)], check=True)
    (ctx / "Dockerfile").write_text('FROM scratch\nCOPY testapp /testapp\nENTRYPOINT ["/testapp"]\n')
    return ctx


def scenario(workdir: Path, ctx: Path, name: str, images: dict[str, dict[str, Any]], runs: int) -> Path:
    doc: dict[str, Any] = {"runs": runs, "warmup": 1, "settle": 0, "timeout": 30, "images": {}}
    for image, spec in images.items():
        doc["images"][image] = {"dockerfile": str(ctx / "Dockerfile"), "context": str(ctx), **spec}
    path = workdir / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def measure(engine: engine_mod.Engine, path: Path, workdir: Path) -> tuple[Measurement, dict[str, float]]:
    """Run one measurement in this process; return it and the harness's CPU use over the run loop."""
    clock = CpuClock()
    runner = Runner.for_scenario(engine, load_scenario(path), output=workdir / f"{path.stem}.json", reporter=clock)
    measurement = runner.measure()
    wall_s = (time.monotonic_ns() - (clock.wall_ns or 0)) / 1e9
    cpu_s = _cpu_s() - (clock.cpu_s or 0.0)
    return measurement, {"cpu_s": cpu_s, "wall_s": wall_s, "cpu_share_of_one_core": cpu_s / wall_s}


def ok(runs: list[RunResult], field: str) -> list[float]:
    return [v for r in runs if r.status == RunStatus.OK and (v := getattr(r, field)) is not None]


def spread(values: list[float]) -> dict[str, Any]:
    """Median, p95, mean, stdev and coefficient of variation (stdev / mean) of ``values``, in their unit."""
    if len(values) < 2:
        return {"n": len(values)}
    mean = statistics.fmean(values)
    stdev = statistics.stdev(values)
    return {
        "n": len(values),
        "median": stats.percentile(values, 50),
        "p95": stats.percentile(values, 95),
        "mean": mean,
        "stdev": stdev,
        "cv": stdev / mean if mean else math.nan,
    }


def lag(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": stats.percentile(values, 50), "p95": stats.percentile(values, 95), "max": max(values)}


def hyperfine(image: str, runs: int, workdir: Path) -> dict[str, Any]:
    """``hyperfine -N`` over ``docker run --rm IMAGE``; its figures converted to milliseconds."""
    exe = shutil.which("hyperfine")
    if exe is None:
        return {"error": "hyperfine is not installed (apt-get install hyperfine)"}
    export = workdir / "hyperfine.json"
    command = f"docker run --rm {image}"
    args = [exe, "-N", "--runs", str(runs), "--warmup", "1", "--export-json", str(export), command]
    p = subprocess.run(args, capture_output=True, text=True)
    if p.returncode != 0:
        return {"error": (p.stderr or p.stdout).strip().splitlines()[-1:], "command": " ".join(args)}
    result = json.loads(export.read_text())["results"][0]
    times_ms = [t * 1000 for t in result["times"]]
    return {
        "command": f"hyperfine -N --runs {runs} --warmup 1 '{command}'",
        "version": subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip(),
        "median_ms": result["median"] * 1000,
        "mean_ms": result["mean"] * 1000,
        "stdev_ms": (result.get("stddev") or 0) * 1000,
        "cv": spread(times_ms).get("cv"),
        "runs": len(times_ms),
    }


def run(runs: int, out: Path) -> dict[str, Any]:
    engine = engine_mod.connect()
    # Other work on the machine moves every figure here; record how busy it was.
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cprofiler-bench-") as tmp:
        workdir = Path(tmp)
        ctx = build_context(workdir)
        http = {"http": {"port": 8080, "path": "/healthz"}}
        services = scenario(
            workdir,
            ctx,
            "services",
            {
                "http": {"env": {"MODE": "http"}, "ready": http},
                "tcp": {"env": {"MODE": "tcp", "PORT": "9000"}, "ready": {"tcp": {"port": 9000}}},
                "log": {"env": {"MODE": "http"}, "ready": {"log": "^ready "}},
                "exit": {"env": {"MODE": "exit"}, "ready": {"exit": True}},
            },
            runs,
        )
        print(f"harness: measuring services ({runs} runs each of http, tcp, log, exit and the floor)…", file=sys.stderr)
        m1, cpu = measure(engine, services, workdir)
        by = {i.name: i for i in m1.images}
        assert m1.floor is not None

        jobs = scenario(workdir, ctx, "jobs", {"exit": {"env": {"MODE": "exit"}, "ready": {"exit": True}}}, runs)
        print(f"harness: measuring the exit floor ({runs} runs), then hyperfine on the same image…", file=sys.stderr)
        m2, _ = measure(engine, jobs, workdir)
        assert m2.floor is not None
        floor_tag = m2.floor.image.tag
        hf = hyperfine(floor_tag, runs, workdir)

    exit_floor = spread(ok(m2.floor.runs, "ready_ms"))
    figures = {
        "probe_lag_ms": {kind: lag(ok(by[kind].runs, "probe_lag_ms")) for kind in ("http", "tcp", "log", "exit")},
        "harness_cpu": cpu,
        "floor_serve_ready_ms": spread(ok(m1.floor.runs, "ready_ms")),
        "floor_exit_ready_ms": exit_floor,
        "static_binary_http_ready_ms": spread(ok(by["http"].runs, "ready_ms")),
        "exit_floor_vs_hyperfine": {
            "image": floor_tag,
            "image_size_bytes": m2.floor.image_size_bytes,
            "cprofiler_median_ready_ms": exit_floor.get("median"),
            "hyperfine": hf,
        },
    }
    doc = {
        "schema": "cprofiler/benchmark/v1",
        "command": f"python benchmarks/harness.py --runs {runs} --out {out}",
        "runs": runs,
        "environment": {
            **m1.environment.to_json(),
            "machine": platform.machine(),
            "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        },
        "settings": {k: getattr(m1.settings, k) for k in ("warmup", "settle_s", "probe_interval_ms", "probe_via", "cold")},
        "figures": figures,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n")
    return doc


def _ms(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.1f} ms"


def _pct(v: float | None) -> str:
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f} %"


def markdown(doc: dict[str, Any]) -> str:
    f = doc["figures"]
    env = doc["environment"]
    lines = [
        f"## cprofiler benchmark ({doc['runs']} runs per image)",
        "",
        f"Engine {env.get('engine_version')}, cgroup v{env.get('cgroup_version')}, {env.get('storage_driver')}, "
        f"{env.get('cpu_count')} × {env.get('cpu_model')}, load average {env['load_average_1min']['before']:.1f} "
        f"→ {env['load_average_1min']['after']:.1f}. Reproduce: `{doc['command']}`.",
        "",
        "| probe | lag p50 | lag p95 | max | n |",
        "|---|---|---|---|---|",
    ]
    for kind, v in f["probe_lag_ms"].items():
        lines.append(f"| {kind} | {_ms(v.get('p50'))} | {_ms(v.get('p95'))} | {_ms(v.get('max'))} | {v['n']} |")
    cpu = f["harness_cpu"]
    hf = f["exit_floor_vs_hyperfine"]["hyperfine"]
    lines += [
        "",
        f"- harness CPU while measuring: {_pct(cpu['cpu_share_of_one_core'])} of one core "
        f"({cpu['cpu_s']:.2f} s CPU over {cpu['wall_s']:.1f} s)",
        f"- serving floor cold start: median {_ms(f['floor_serve_ready_ms'].get('median'))}, "
        f"CV {_pct(f['floor_serve_ready_ms'].get('cv'))}",
        f"- exit floor cold start: median {_ms(f['floor_exit_ready_ms'].get('median'))}, "
        f"CV {_pct(f['floor_exit_ready_ms'].get('cv'))}",
        f"- spread of a static binary's cold start (testapp, http probe): median "
        f"{_ms(f['static_binary_http_ready_ms'].get('median'))}, CV {_pct(f['static_binary_http_ready_ms'].get('cv'))}",
        f"- exit floor ({f['exit_floor_vs_hyperfine']['image_size_bytes']} B): cprofiler median ready "
        f"{_ms(f['exit_floor_vs_hyperfine']['cprofiler_median_ready_ms'])}; "
        + (
            f"`{hf['command']}` median {_ms(hf['median_ms'])} (mean {_ms(hf['mean_ms'])} ± {_ms(hf['stdev_ms'])})"
            if "median_ms" in hf
            else f"hyperfine: {hf.get('error')}"
        ),
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="measured runs per image (default 30)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json", help="where to write the figures")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs: expected at least 2 (a spread needs two runs)")
    doc = run(args.runs, args.out)
    sys.stdout.write(markdown(doc))
    print(f"harness: figures written to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
