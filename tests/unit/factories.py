"""Constructed results for the plot, recommend and table tests, and a load phase by the contract.

``load_result`` builds a load phase with the results model itself, so the load charts and the
``qps`` criterion are tested through ``load_view``, as they read real results.
"""

from __future__ import annotations

import os

import pytest

from cprofiler.results.load import LatencyMs, LoadResult, LoadStep
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
    scenario_image: str | None = None,
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
        scenario_image=scenario_image,
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


def load_result(qps: float, p99_ms: float, *, rates: tuple[float | None, ...] = (None,), cpu: float = 0.8) -> LoadResult:
    """A load phase by the results contract: two repeats per rate, the last rate summarised with a
    QPS of about ``qps`` and a p99 of about ``p99_ms``; latency climbs as a rate nears ``qps``."""

    def queue(rate: float | None) -> float:
        return 1 / (1 - min((rate or qps) / qps, 0.95))

    steps = []
    for rate in rates:
        base = p99_ms / 4 * queue(rate) / queue(rates[-1])
        for repeat in range(2):
            lat = base * (1 + 0.02 * repeat)
            steps.append(
                LoadStep(
                    rate=rate,
                    repeat=repeat,
                    qps=min(rate or qps, qps) * (1 - 0.01 * repeat),
                    latency_ms=LatencyMs(p50=lat, p90=2 * lat, p99=4 * lat, p999=8 * lat, max=16 * lat),
                    cpu_cores=cpu + 0.01 * repeat,
                    working_set_peak_bytes=30 * MiB + repeat * MiB,
                )
            )
    return LoadResult(generator="oha", connections=32, duration_s=10.0, warmup_s=2.0, steps=steps)


def loaded(img: ImageResult, result: LoadResult) -> ImageResult:
    """``img`` with ``result`` as its load phase."""
    img.load = result
    return img
