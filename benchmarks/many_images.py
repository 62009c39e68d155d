"""Time ``cprofiler report`` and ``cprofiler recommend`` on a results file with many images.

    python benchmarks/many_images.py [--images 2000] [--repeat 3] [--profile report|recommend]

The input is synthetic: the measured images of ``docs/results/default.json`` (real runs of this
project's example scenario), copied under new names (``python-alpine-0042``) until there are
``--images`` of them, every run kept as measured. It is a benchmark input, not a measurement:
what this script prints is how long cprofiler takes to read, tabulate and rank such a file on
this machine (the median of ``--repeat`` runs of each command, in a fresh process each time).
``--profile`` runs one command once under cProfile instead and prints its 25 costliest calls.
"""

from __future__ import annotations

import argparse
import copy
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
SOURCE = ROOT / "docs" / "results" / "default.json"

#: The commands timed, as ``python -m cprofiler`` arguments after the results file's path.
COMMANDS = {
    "report": ["report", "{path}"],
    "report --format markdown": ["report", "{path}", "--format", "markdown"],
    "recommend": ["recommend", "{path}"],
}


def many_images(source: dict[str, Any], count: int) -> dict[str, Any]:
    """``source`` with its images copied under numbered names until there are ``count``."""
    out = copy.deepcopy(source)
    images = []
    for i in range(count):
        image = copy.deepcopy(source["images"][i % len(source["images"])])
        name = f"{image['name']}-{i:04d}"
        image["name"] = name
        for run in image["runs"]:
            run["image"] = name
        images.append(image)
    out["images"] = images
    return out


def time_command(args: list[str], repeat: int) -> list[float]:
    """Wall-clock seconds of ``python -m cprofiler ARGS``, once per repeat, each in a fresh process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "cprofiler", *args], capture_output=True, env=env, check=False)
        seconds.append(time.perf_counter() - started)
        if proc.returncode != 0:
            sys.exit(f"many_images: {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return seconds


def profile(command: str, path: Path) -> None:
    """Run ``command`` on ``path`` once in this process under cProfile; print the costliest calls."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    from cprofiler.cli import app

    args = [a.format(path=path) for a in COMMANDS[command]]
    prof = cProfile.Profile()
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            prof.runcall(app, args, standalone_mode=False)
        finally:
            sys.stdout = stdout
    pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000, help="images in the generated results file")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the median is printed")
    parser.add_argument("--profile", choices=sorted(COMMANDS), help="profile one command instead of timing")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cprofiler-bench-") as tmp:
        path = Path(tmp) / "many.json"
        path.write_text(json.dumps(many_images(json.loads(SOURCE.read_text()), opts.images)))
        size_mb = path.stat().st_size / 1e6
        if opts.profile:
            profile(opts.profile, path)
            return
        print(f"{opts.images} images, {size_mb:.1f} MB results file; median of {opts.repeat} runs, wall clock")
        print("| command | median | runs |\n|---|---|---|")
        for name, args in COMMANDS.items():
            seconds = time_command([a.format(path=path) for a in args], opts.repeat)
            runs = ", ".join(f"{s:.2f}" for s in seconds)
            print(f"| `{name}` | {statistics.median(seconds):.2f} s | {runs} |", flush=True)


if __name__ == "__main__":
    main()
