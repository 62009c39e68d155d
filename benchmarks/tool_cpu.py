"""CPU seconds cprofiler's main thread spends on results while and after it measures, without an engine.

    python benchmarks/tool_cpu.py [--repeat 7] [--profile]

What a measurement computes on its main thread besides running containers, on documents built
in memory (no engine, no containers):

- **per run**: the run record appended to the JSON Lines log (``RunLog.run``: validate, dump, flush);
- **per load step**: its record in the log;
- **per measurement**: what ``cprofiler measure`` does when it ends: the results JSON
  (``report.render(m, "json")``, every summary, interval and budget derived), the table printed
  beside it (ratios and differences with their bootstrap intervals), the notices and the
  failure check.

And per tick of the threads that sample while a container runs, on this process's own cgroup
and a closed loopback port (no container needed): a memory sample of the 20 Hz samplers as they
read it now (:class:`~cprofiler.measure.memory.WorkingSetReader`) and as they did (open, read and
parse both files: ``Cgroup.memory_usage``), and one turn of the 1 kHz http/tcp probe (a refused
connect, then its 1 ms sleep).

Two inputs: a default-sized measurement built like ``tests/unit/factories.py`` does (3 images ×
10 runs and the floor's 10, each image with a closed-loop load phase of 3 repeats, the scenario
default) and every results file in ``docs/results/*.json``, read as ``cprofiler report`` reads it.
Each repetition runs in a fresh process, so no cache is warm that a real measurement would find
cold; the figure is ``time.process_time()`` around the work (imports excluded), the median over
``--repeat`` processes. ``--profile`` prints the costliest calls of one default-sized measurement.

A benchmark, not a test: it prints what this machine does and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

MiB = 1 << 20
#: Measured runs per image and the load repeats of a default measurement (the scenario defaults).
RUNS = 10
LOAD_REPEATS = 3


def default_measurement() -> Any:
    """3 images of 10 ok runs, a floor of 10, and a closed-loop load phase of 3 repeats each."""
    from cprofiler.results.load import LatencyMs, LoadResult, LoadStep
    from cprofiler.results.model import Environment, ImageRef, ImageResult, Measurement, RunResult
    from cprofiler.scenario.model import ReadySpec
    from cprofiler.settings import RunSettings

    def image(name: str, ready_ms: float, ws_mib: float, loaded: bool) -> ImageResult:
        img = ImageResult(
            name=name,
            image=ImageRef(tag=f"t/{name}", id="sha256:" + "ab" * 32),
            image_size_bytes=int(ws_mib * 5 * MiB),
            layers=4,
            ready=ReadySpec.model_validate({"http": {"port": 8080}}),
        )
        for i in range(RUNS):
            ws = int(ws_mib * MiB) + (i * 7919 % 13) * 4096
            ms = ready_ms * (1 + ((i * 37) % 11 - 5) / 100)
            img.runs.append(RunResult(image=name, index=i, ready_ms=ms, working_set_bytes=ws, rss_bytes=ws, peak_bytes=ws * 2))
        if loaded:
            steps = [
                LoadStep(
                    rate=None,
                    repeat=r,
                    qps=9000.0 - 70 * r,
                    latency_ms=LatencyMs(p50=1.0 + r / 10, p90=2.0, p99=4.0 + r / 5, p999=8.0, max=16.0),
                    cpu_cores=0.9 + 0.01 * r,
                    working_set_peak_bytes=int((ws_mib + 5) * MiB) + r * MiB,
                )
                for r in range(LOAD_REPEATS)
            ]
            img.load = LoadResult(generator="oha", connections=64, duration_s=10.0, warmup_s=2.0, steps=steps)
        return img

    settings = RunSettings(scenario_file="/s.yaml", runs=RUNS, warmup=1, settle_s=1.0, timeout_s=60, cold="warm")
    images = [image("python-alpine", 180.0, 14.0, True), image("python-slim", 240.0, 16.0, True), image("go", 40.0, 3.0, True)]
    return Measurement(
        settings=settings,
        environment=Environment.model_validate({"engine_version": "99.0", "cgroup_version": "2"}),
        images=images,
        floor=image("(floor)", 30.0, 0.5, False),
    )


def end_of_measurement(m: Any) -> None:
    """What ``cprofiler measure --output r.json`` computes once its runs are done."""
    from cprofiler import report
    from cprofiler.commands.measure_checks import failures
    from cprofiler.report import notices

    report.render(m, "json")
    report.render(m, "table")
    notices.notices(m)
    failures(m, allow_failed_runs=False)


def log_records(m: Any, directory: str) -> None:
    """Every run and load step of ``m`` appended to a fresh run log, as the runner appends them."""
    from cprofiler.results.runlog import RunLog

    log = RunLog(Path(directory) / "r.jsonl", {"invocation": "bench", **m.header_json()})
    for entry in m.entries():
        for run in entry.runs:
            log.run(run)
        for step in entry.load.steps if entry.load is not None else []:
            log.load_step(entry.name, step)
    log.close()


def _cpu(work: Any) -> float:
    started = time.process_time()
    work()
    return time.process_time() - started


def child() -> None:
    """One repetition: print the CPU seconds of each piece of work as JSON."""
    from cprofiler import report  # noqa: F401 - imports are not counted
    from cprofiler.commands import measure_checks  # noqa: F401
    from cprofiler.results import runlog

    m = default_measurement()
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out["default: run log (40 runs, 9 load steps)"] = _cpu(lambda: log_records(m, tmp))
    out["default: end of measurement"] = _cpu(lambda: end_of_measurement(m))
    files = sorted((ROOT / "docs" / "results").glob("*.json"))
    read = {p.name: runlog.load(p) for p in files}

    def every_file() -> None:
        for x in read.values():
            end_of_measurement(x)

    out["docs/results/*.json (7 files): end of measurement of each"] = _cpu(every_file)
    out = {f"{k}, ms": v * 1000 for k, v in out.items()}
    print(json.dumps({**out, **per_tick()}))


def per_tick(turns: int = 5000) -> dict[str, float]:
    """CPU microseconds per sample or probe turn (see the module docstring); empty without a cgroup."""
    import socket

    from cprofiler.measure.memory import Cgroup, WorkingSetReader
    from cprofiler.measure.probes.base import POLL_INTERVAL_S

    def each(work: Any, n: int = turns) -> float:
        return _cpu(lambda: [work() for _ in range(n)]) / n * 1e6

    def probe_turn() -> None:
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                s.settimeout(2.0)
                s.connect(("127.0.0.1", 1))  # nothing listens on port 1: refused at once
        except OSError:
            pass
        time.sleep(POLL_INTERVAL_S)

    out = {"probe turn (refused connect + 1 ms sleep), µs": each(probe_turn, 1000)}
    cgroup = Cgroup.of_pid(os.getpid())
    if cgroup is not None:
        with WorkingSetReader(cgroup) as reader:
            out[f"memory sample, files kept open (cgroup v{cgroup.version}), µs"] = each(reader.read)
        out[f"memory sample, files opened and parsed whole (cgroup v{cgroup.version}), µs"] = each(cgroup.memory_usage)
    return out


def profile() -> None:
    import cProfile
    import pstats

    m = default_measurement()
    end_of_measurement(default_measurement())  # imports and first-use setup, then the profile
    from cprofiler.results import stats

    stats._median_ranks.cache_clear()  # as cold as a fresh process
    prof = cProfile.Profile()
    prof.runcall(end_of_measurement, m)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="fresh processes to take the median of")
    parser.add_argument("--profile", action="store_true", help="profile one default-sized measurement instead")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return
    if args.profile:
        profile()
        return
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    samples: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        proc = subprocess.run([sys.executable, __file__, "--child"], capture_output=True, text=True, env=env, check=True)
        for key, seconds in json.loads(proc.stdout).items():
            samples.setdefault(key, []).append(seconds)
    print(f"CPU time, median of {args.repeat} fresh processes (min–max):")
    for key, values in samples.items():
        what, unit = key.rsplit(", ", 1)
        print(f"  {what}: {statistics.median(values):.1f} {unit} ({min(values):.1f}–{max(values):.1f})")


if __name__ == "__main__":
    main()
