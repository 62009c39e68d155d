"""Results of the load phase: one record per step, the per-image block, and the generator's ceiling.

Field names are a contract (other tools read them): ``load: {generator, generator_version,
connections, duration_s, warmup_s, cpuset, latency_method, steps: […], summary: {…}}`` per image,
``ceiling: {qps, latency_ms}`` at the top level. Every figure says its unit in its name.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from cprofiler.results.kinds import StepStatus, StepStatusField
from cprofiler.results.record import Cores, Duration, Rate, Record, Size

#: A step whose QPS is above this share of the generator's ceiling measured the generator, not the image.
GENERATOR_BOUND_SHARE = 0.7
#: A step whose generator used at least this share of its CPUs' time measured the generator, not the image.
GENERATOR_CPU_BOUND_SHARE = 0.9
#: Default most share of requests sent that may fail (no answer, or an answer outside 2xx) before a step is failing.
DEFAULT_ERROR_LIMIT = 0.01
#: A rate is served when the 2xx rate achieved is at least this share of the rate offered.
SERVED_SHARE = 0.97
#: A step is disturbed when other work took more than this share of the server's or generator's CPUs.
DISTURBED_SHARE = 0.10

#: A share of a whole, from 0 to 1.
Share = Annotated[float, Field(ge=0, le=1)]


class LatencyMs(Record):
    """Latency percentiles of one step, in milliseconds.

    In ``LoadStep.latency_ms`` they are over every request sent in the measured window: a request
    that got no answer counts at the request timeout (a lower bound of its latency), and an answer
    outside 2xx counts with its own latency but is an error however fast. In
    ``LoadStep.latency_answered_ms`` they are over answered 2xx requests only, and labelled so.
    """

    p50: Duration | None = None
    p90: Duration | None = None
    p99: Duration | None = None
    p999: Duration | None = None
    max: Duration | None = None


class Ceiling(Record):
    """The generator against a trivial static server with the same settings: what it can reach here."""

    #: Requests per second.
    qps: Rate | None = None
    latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    #: Median of how many steps.
    n: Size = 0


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
    #: Requests sent in the measured window, answered or not, a count.
    requests: Size | None = None
    #: Requests answered with a 2xx status, a count.
    answered_2xx: Size | None = None
    #: Answers with a status outside 2xx (redirects included: they are not followed), a count.
    errors_http: Size | None = None
    #: Answers outside 2xx by class (``"3xx"``, ``"4xx"``, ``"5xx"``, ``"1xx"``), counts.
    non_2xx: dict[str, Size] = Field(default_factory=dict)
    #: Requests that got no answer: ``timeouts`` + ``connection_errors``, a count.
    errors_socket: Size | None = None
    #: Requests with no answer within the request timeout (``timeout_s``), a count.
    timeouts: Size | None = None
    #: Requests that failed on the connection (refused, reset, closed early), a count.
    connection_errors: Size | None = None
    #: The generator's own words for each kind of request without an answer, with counts.
    error_kinds: dict[str, Size] = Field(default_factory=dict)
    #: Share of ``requests`` that were not answered with 2xx, from 0 to 1.
    error_share: Share | None = None
    #: True when ``error_share`` is above the load phase's ``error_limit``.
    failing: bool = False
    #: 2xx answers per second of the measured window, in requests per second.
    qps: Rate | None = None
    #: Answers of any status per second of the measured window, in requests per second.
    answers_per_s: Rate | None = None
    #: Percentiles over every request sent (no answer: at the request timeout), in milliseconds.
    latency_ms: LatencyMs = Field(default_factory=LatencyMs)
    #: Percentiles over answered 2xx requests only, in milliseconds.
    latency_answered_ms: LatencyMs = Field(default_factory=LatencyMs)
    #: Length of the window the requests were counted over, in seconds.
    window_s: Duration | None = None
    #: Length of the window the container's CPU and working-set peak were read over, in seconds.
    cpu_window_s: Duration | None = None
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
    #: CPU time the generator used (user + system, its rusage), in seconds.
    generator_cpu_s: Duration | None = None
    #: ``generator_cpu_s`` over its CPUs' time in the window (CPUs × window), from 0 to 1.
    generator_cpu_share: Share | None = None
    #: True when the step measured the generator: its CPU share at or above
    #: GENERATOR_CPU_BOUND_SHARE, or ``qps`` above GENERATOR_BOUND_SHARE of the ceiling.
    generator_bound: bool = False
    #: Share of the server's and generator's CPUs' time taken by other work (neither the container
    #: nor the generator) during the window, from ``/proc/stat``, from 0 to 1.
    other_cpu_share: Share | None = None
    #: True when ``other_cpu_share`` is above DISTURBED_SHARE: the figures are not the image's alone.
    disturbed: bool = False
    #: Why a figure is missing or how it was obtained, one sentence each.
    notes: list[str] = Field(default_factory=list)


class LoadSummary(Record):
    """Each headline figure over the repeats it summarises, as ``{median, ci95: [low, high], n, min,
    max, ci_coverage, ci_label}``: the interval is the range of fewer than 6 repeats (``range of 3``,
    ``ci_coverage`` 0.75), else an order-statistic interval of at least 95 % (``ci_label``
    ``96.9 % CI``); ``ci_coverage`` is a share from 0 to 1 (:mod:`cprofiler.results.intervals`)."""

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
    #: Share of requests not answered with 2xx at that rate, from 0 to 1.
    error_share: dict[str, Any] | None = None
    #: The highest rate served within the SLO with every lower rate served too (null: none, or no SLO).
    capacity_rate: Rate | None = None
    #: The median 2xx rate achieved at ``capacity_rate``, in requests per second.
    capacity_qps: Rate | None = None
    #: True when a step failed (not ok, or failing); nothing is sized from the phase then.
    failed: bool = False
    #: Why the phase failed or what was not served, one sentence each.
    reasons: list[str] = Field(default_factory=list)


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
    #: Most share of requests that may fail before a step is failing, from 0 to 1.
    error_limit: Share = DEFAULT_ERROR_LIMIT
    #: Seconds after which a request without an answer counts as a timeout.
    timeout_s: Duration = 5.0
    #: The generator's ceiling with this image's own request shape; null when not measured.
    ceiling: Ceiling | None = None
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


def generator_bound(qps: float | None, ceiling: Ceiling | None) -> bool:
    """True when ``qps`` is above GENERATOR_BOUND_SHARE of the ceiling: the step measured the generator."""
    return qps is not None and ceiling is not None and ceiling.qps is not None and qps > GENERATOR_BOUND_SHARE * ceiling.qps
