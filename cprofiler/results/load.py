"""Results of the load phase: one record per step, the per-image block, and the generator's ceiling.

Field names are a contract (other tools read them): ``load: {generator, generator_version,
connections, duration_s, warmup_s, cpuset, latency_method, steps: […], summary: {…}}`` per image,
``ceiling: {qps, latency_ms}`` at the top level. Every figure says its unit in its name.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cprofiler.results.kinds import StepStatus, StepStatusField
from cprofiler.results.record import Cores, Duration, Rate, Record, Size

#: A step whose QPS is above this share of the generator's ceiling measured the generator, not the image.
GENERATOR_BOUND_SHARE = 0.7


class LatencyMs(Record):
    """Latency percentiles of one step, in milliseconds."""

    p50: Duration | None = None
    p90: Duration | None = None
    p99: Duration | None = None
    p999: Duration | None = None
    max: Duration | None = None


class LoadStep(Record):
    """One measured step: ``duration_s`` of load at one rate against one fresh container."""

    #: Intended requests per second (open loop); null for closed loop (as fast as it goes).
    rate: Rate | None = None
    #: Which repetition of this step, from 0.
    repeat: Size = 0
    #: ok | timeout | crashed | oomkilled | unresponsive | error: how the container came through the step.
    status: StepStatusField = StepStatus.OK
    #: What went wrong, for a status other than ok.
    error: str | None = None
    #: The container's exit code when it exited during the step, else null.
    exit_code: int | None = None
    #: Last lines the container wrote, kept when the status is not ok.
    log_tail: list[str] = Field(default_factory=list)
    #: Requests completed in the measured window.
    requests: Size | None = None
    #: Answers with a status outside 2xx.
    errors_http: Size | None = None
    #: Requests that got no answer: connect, read or timeout errors.
    errors_socket: Size | None = None
    #: Requests completed per second of the measured window.
    qps: Rate | None = None
    latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    #: The container's CPU time over the window divided by its length, in cores.
    cpu_cores: Cores | None = None
    #: CFS periods in which the container was throttled during the window.
    throttled_periods: Size | None = None
    #: Time the container was throttled during the window, in milliseconds.
    throttled_ms: Duration | None = None
    #: Highest working set during the window: sampled at 10 Hz or more, and the kernel's
    #: high-water mark where it can be reset before the step, in bytes.
    working_set_peak_bytes: Size | None = None
    #: Working set at the end of the window, in bytes.
    working_set_end_bytes: Size | None = None
    #: Anonymous memory at the end of the window, in bytes.
    rss_end_bytes: Size | None = None
    #: Working set ``after_s`` seconds after the load stopped (does it come back down?), in bytes.
    working_set_after_bytes: Size | None = None
    #: Processes and threads in the container at the end of the window.
    pids: Size | None = None
    #: Why a figure is missing or how it was obtained, one sentence each.
    notes: list[str] = Field(default_factory=list)


class LoadSummary(Record):
    """Median and 95 % interval of each headline figure over the steps it summarises."""

    #: Requests per second.
    qps: dict[str, Any] | None = None
    #: 99th percentile latency, in milliseconds.
    latency_p99_ms: dict[str, Any] | None = None
    #: CPU used, in cores.
    cpu_cores: dict[str, Any] | None = None
    #: Working-set peak under load, in bytes.
    working_set_peak_bytes: dict[str, Any] | None = None
    #: Requests per second per core of CPU used.
    qps_per_core: dict[str, Any] | None = None
    #: The intended rate of the steps summarised (null: closed loop).
    rate: Rate | None = None


class LoadResult(Record):
    """The load phase of one image (one row: an image with a ``cpus`` list has one per value)."""

    #: The load generator (``oha``, ``wrk``) and its version.
    generator: str
    generator_version: str | None = None
    #: Concurrent connections.
    connections: Size
    #: Measured seconds per step.
    duration_s: Duration
    #: Unrecorded seconds of load before each step.
    warmup_s: Duration
    #: CPUs the container and the generator were pinned to: ``{"server": "0", "generator": "1"}``.
    cpuset: dict[str, str] = Field(default_factory=dict)
    #: How latency was measured: from the intended send time (free of coordinated omission) or
    #: from the actual send time (closed loop).
    latency_method: str | None = None
    #: The HTTP request: method and path.
    request: str | None = None
    #: The SLO of a rate sweep: p99 latency in milliseconds; null without one.
    slo_p99_ms: Duration | None = None
    steps: list[LoadStep] = Field(default_factory=list)

    def ok_steps_at(self, rate: float | None) -> list[LoadStep]:
        """Steps at ``rate`` that ended ok."""
        return [s for s in self.steps if s.status == StepStatus.OK and s.rate == rate]

    def rates(self) -> list[float | None]:
        """The step rates, in the order first run."""
        seen: list[float | None] = []
        for s in self.steps:
            if s.rate not in seen:
                seen.append(s.rate)
        return seen


class Ceiling(Record):
    """The generator against a trivial static server with the same settings: what it can reach here."""

    #: Requests per second.
    qps: Rate | None = None
    latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    #: Median of how many steps.
    n: Size = 0


def generator_bound(qps: float | None, ceiling: Ceiling | None) -> bool:
    """True when ``qps`` is above GENERATOR_BOUND_SHARE of the ceiling: the step measured the generator."""
    return qps is not None and ceiling is not None and ceiling.qps is not None and qps > GENERATOR_BOUND_SHARE * ceiling.qps
