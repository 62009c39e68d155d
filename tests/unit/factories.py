"""Constructed results for the plot, recommend and table tests, and a load phase by the contract.

The load dataclasses satisfy ``cprofiler.load_view``'s protocols: the typed input the load charts
and the ``qps`` criterion read, built here by hand until results carry a load phase.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from cprofiler.load_view import LoadedImage
from cprofiler.results.model import ImageResult, Measurement, RunResult, StandInUse
from cprofiler.settings import RunSettings

MiB = 1 << 20


def require_matplotlib() -> None:
    """Skip without matplotlib on a laptop; fail in CI (CI=true), which installs the plot extra."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and matplotlib is missing: scripts/install.sh --test installs the plot extra", pytrace=False)
        pytest.skip("matplotlib is not installed (pip install 'cprofiler[plot]')")


def image(
    name: str,
    ready_ms: list[float],
    ws_mib: float = 10.0,
    size_mib: float = 20.0,
    *,
    stand_in: str | None = None,
    cpus: float | None = None,
    failed: int = 0,
) -> ImageResult:
    """An image whose ok runs took ``ready_ms`` and used about ``ws_mib`` (a little more each run),
    followed by ``failed`` timed-out runs."""
    img = ImageResult(
        name=name,
        image={"tag": f"t/{name}", "id": "sha256:x"},
        image_size_bytes=int(size_mib * MiB),
        layers=2,
        ready={"http": {"port": 8080}},
        cpus=cpus,
        stand_in=StandInUse(**{"for": "real:1", "recipe": stand_in, "detail": ""}) if stand_in else None,
    )
    for i, ms in enumerate(ready_ms):
        ws = int(ws_mib * MiB) + i * 1024
        img.runs.append(RunResult(image=name, index=i, ready_ms=ms, working_set_bytes=ws, rss_bytes=2 * ws, peak_bytes=3 * ws))
    for i in range(failed):
        img.runs.append(RunResult(image=name, index=len(ready_ms) + i, status="timeout", error="never ready"))
    return img


def measurement(*images: ImageResult, floor_ms: list[float] | None = None) -> Measurement:
    runs = max(len(i.runs) for i in images)
    settings = RunSettings(scenario_file="/s.yaml", runs=runs, warmup=1, settle_s=1.0, timeout_s=60, cold="warm")
    floor = image("(floor)", floor_ms, ws_mib=0.01, size_mib=0.001) if floor_ms else None
    return Measurement(
        settings=settings, environment={"engine_version": "99.0", "cgroup_version": "2"}, images=list(images), floor=floor
    )


def spread(center: float, n: int = 10, width: float = 10.0) -> list[float]:
    """``n`` values evenly over ``center ± width/2``."""
    return [center - width / 2 + width * k / (n - 1) for k in range(n)]


@dataclass(frozen=True)
class Est:
    median: float
    ci95: tuple[float, float]


def est(median: float, half: float) -> Est:
    return Est(median, (median - half, median + half))


@dataclass(frozen=True)
class Lat:
    p50: float
    p90: float
    p99: float
    p999: float


@dataclass(frozen=True)
class Step:
    rate: float | None
    qps: float
    latency_ms: Lat


@dataclass(frozen=True)
class Summary:
    qps: Est
    latency_p99_ms: Est
    cpu_cores: Est | None
    working_set_peak_bytes: Est | None


@dataclass(frozen=True)
class Phase:
    summary: Summary
    steps: list[Step] = field(default_factory=list)
    generator: str = "wrk2"
    connections: int = 32
    duration_s: float = 10.0


def phase(qps: float, p99_ms: float, *, rates: tuple[float, ...] = ()) -> Phase:
    """A load phase whose summary says ``qps`` and ``p99_ms``; with ``rates``, a sweep whose latency
    climbs as the offered rate nears ``qps``, two repeats per rate."""
    steps = []
    for rate in rates:
        load = min(rate / qps, 0.99)
        for repeat in range(2):
            base = 1.0 / (1 - load) + repeat * 0.05
            steps.append(Step(rate, min(rate, qps) * (0.99 - repeat * 0.01), Lat(base, 2 * base, 4 * base, 8 * base)))
    return Phase(Summary(est(qps, qps * 0.02), est(p99_ms, 0.5), est(0.8, 0.05), est(30 * MiB, MiB)), steps)


def loaded(img: ImageResult, ph: Phase) -> LoadedImage:
    return LoadedImage(img, ph)
