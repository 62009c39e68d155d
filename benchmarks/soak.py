"""Soak: hundreds of runs in one cprofiler process, and the harness must not grow.

    python benchmarks/soak.py [--runs 500] [--every 50] [--out benchmarks/soak.json]

Runs ``--runs`` measured runs of the static testapp as a batch job (create, attach, start, wait for
the exit, remove) through the real runner, in this process, and every ``--every`` runs records
this process's RSS, open file descriptors and threads. A leak of a socket, a thread or a buffer
per run shows as a slope. At the end it counts the containers still carrying this invocation's
label, which must be zero. tests/engine/test_soak.py runs a short version with bounds.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))


from cprofiler import engine as engine_mod  # noqa: E402
from cprofiler.engine import Engine  # noqa: E402
from cprofiler.measure.reporter import SilentReporter  # noqa: E402
from cprofiler.measure.runner import Runner  # noqa: E402
from cprofiler.results.model import RunResult  # noqa: E402
from cprofiler.scenario.reader import load as load_scenario  # noqa: E402

TESTAPP_SRC = ROOT / "images" / "testapp" / "testapp.c"
MiB = 1 << 20


@dataclass
class Sample:
    """The harness process after ``runs`` finished runs."""

    runs: int
    rss_bytes: int
    open_fds: int
    threads: int


@dataclass
class SoakResult:
    samples: list[Sample]
    #: Containers with this invocation's label left on the engine at the end (must be 0).
    leftover_containers: int
    seconds: float
    statuses: dict[str, int] = field(default_factory=dict)

    def growth(self, since: int = 1) -> dict[str, int]:
        """Last sample minus sample ``since`` (the first after warm-up), per figure."""
        first, last = self.samples[since], self.samples[-1]
        return {
            "rss_bytes": last.rss_bytes - first.rss_bytes,
            "open_fds": last.open_fds - first.open_fds,
            "threads": last.threads - first.threads,
        }


class _Sampler(SilentReporter):
    """Takes a sample every ``every`` runs, in the runner's own thread, after the run's clean-up."""

    def __init__(self, every: int) -> None:
        super().__init__()
        self.every = every
        self.done = 0
        self.me = psutil.Process()
        self.samples = [self.take()]
        self.statuses: Counter[str] = Counter()

    def take(self) -> Sample:
        return Sample(self.done, self.me.memory_info().rss, self.me.num_fds(), self.me.num_threads())

    def run_done(self, run: RunResult, warmup: bool) -> None:
        self.done += 1
        self.statuses[run.status] += 1
        if self.done % self.every == 0:
            # The run's reader and waiter threads end as its container goes; give them a moment,
            # so that a thread still on its way out is not taken for a leak.
            time.sleep(0.05)
            self.samples.append(self.take())


def build_context(folder: Path) -> Path:
    """A build context with the static testapp FROM scratch (needs a C compiler, no registry)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise SystemExit("soak: needs a C compiler (build-essential) for the static testapp")
    subprocess.run([cc, "-static", "-O2", "-o", str(folder / "testapp"), str(TESTAPP_SRC)], check=True)
    (folder / "Dockerfile").write_text('FROM scratch\nCOPY testapp /testapp\nENTRYPOINT ["/testapp"]\n')
    return folder


def soak(engine: Engine, context: Path, runs: int, every: int) -> SoakResult:
    """``runs`` batch-job runs in this process; a sample of it every ``every`` runs."""
    with tempfile.TemporaryDirectory(prefix="cprofiler-soak-") as tmp:
        scenario = Path(tmp) / "soak.yaml"
        image = {"dockerfile": str(context / "Dockerfile"), "env": {"MODE": "exit"}, "ready": {"exit": True}}
        scenario.write_text(yaml.safe_dump({"images": {"soak": image}}))
        sampler = _Sampler(every)
        runner = Runner.for_scenario(
            engine,
            load_scenario(scenario),
            output=Path(tmp) / "r.json",
            reporter=sampler,
            floor=False,
            runs=runs,
            warmup=0,
            settle_s=0.0,
            timeout_s=30.0,
        )
        started = time.monotonic()
        runner.measure()
        seconds = time.monotonic() - started
    left = len(engine.labelled_containers(runner.invocation))
    return SoakResult(sampler.samples, left, seconds, dict(sampler.statuses))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--every", type=int, default=50)
    parser.add_argument("--out", type=Path, default=None, help="also write the samples here as JSON")
    args = parser.parse_args(argv)
    engine = engine_mod.connect()
    with tempfile.TemporaryDirectory(prefix="cprofiler-soak-ctx-") as ctx:
        result = soak(engine, build_context(Path(ctx)), args.runs, args.every)
    print(f"{'runs':>6} {'RSS MiB':>8} {'fds':>5} {'threads':>8}")
    for s in result.samples:
        print(f"{s.runs:>6} {s.rss_bytes / MiB:>8.1f} {s.open_fds:>5} {s.threads:>8}")
    growth = result.growth()
    print(
        f"{args.runs} runs in {result.seconds:.0f} s ({result.statuses}); from run {result.samples[1].runs} to the end: "
        f"RSS {growth['rss_bytes'] / MiB:+.1f} MiB, fds {growth['open_fds']:+d}, threads {growth['threads']:+d}; "
        f"containers left: {result.leftover_containers}"
    )
    if args.out is not None:
        data: dict[str, Any] = {**asdict(result), "growth_since_first_sample": growth}
        args.out.write_text(json.dumps(data, indent=2) + "\n")
    return 0 if result.leftover_containers == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
