"""The load phase's result model: one record per step, one per image, and the generator's ceiling.

The JSON form is the contract of issue 10 (the per-image ``load:`` block and the top-level
``ceiling:``); ``to_json`` writes exactly its keys and ``from_json`` reads them back into the same
objects. Two keys go beyond it and appear only when there is something to say: ``failure`` (the
container crashed, was OOM-killed or stopped answering during a step) and ``notes`` (why a figure is
missing or how it was obtained), as in the run records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class LatencyMs:
    """Latency percentiles of one step, in milliseconds (null when the generator reported none)."""

    #: Median latency, in milliseconds.
    p50: float | None = None
    #: 90th percentile latency, in milliseconds.
    p90: float | None = None
    #: 99th percentile latency, in milliseconds.
    p99: float | None = None
    #: 99.9th percentile latency, in milliseconds.
    p999: float | None = None
    #: Highest latency seen, in milliseconds.
    max: float | None = None

    def to_json(self) -> dict[str, float | None]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LatencyMs:
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


@dataclass(frozen=True)
class CpuSplit:
    """Which CPUs the container and the load generator may run on, in cpuset syntax (``0``, ``1-3``)."""

    #: CPUs of the container under load (``--cpuset-cpus``).
    container: str
    #: CPUs of the load generator (``taskset -c``).
    generator: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CpuSplit:
        return cls(container=str(data["container"]), generator=str(data["generator"]))


@dataclass(frozen=True)
class LoadStep:
    """One measured step: one rate (or closed loop), one repetition, against one container."""

    #: Requests per second the generator was asked to send (open loop); null for closed loop.
    rate: float | None
    #: Repetition of this step, from 0.
    repeat: int
    #: Requests that got an answer or failed during the measured window, a count.
    requests: int
    #: Requests answered with a status outside 2xx, a count.
    errors_http: int
    #: Requests that failed without an HTTP answer (connect, read, write, timeout), a count.
    errors_socket: int
    #: Requests completed per second of the measured window, in requests per second.
    qps: float
    #: Latency percentiles, in milliseconds.
    latency_ms: LatencyMs
    #: Container CPU time over the step divided by the step's length, in cores.
    cpu_cores: float | None
    #: CFS periods in which the container was throttled during the step, a count.
    throttled_periods: int | None
    #: Time the container spent throttled during the step, in milliseconds.
    throttled_ms: float | None
    #: Highest working set during the step (sampled ≥ 10 Hz, and the kernel's high-water mark), in bytes.
    working_set_peak_bytes: int | None
    #: Working set (usage − inactive file cache) when the step ended, in bytes.
    working_set_end_bytes: int | None
    #: RSS (anonymous + mapped file) when the step ended, in bytes.
    rss_end_bytes: int | None
    #: Working set a few seconds (5 by default) after the load stopped, in bytes.
    working_set_after_bytes: int | None
    #: Tasks (processes and their threads) in the container when the step ended, a count.
    pids: int | None

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["latency_ms"] = self.latency_ms.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadStep:
        known: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        known["latency_ms"] = LatencyMs.from_json(data.get("latency_ms") or {})
        return cls(**known)


@dataclass(frozen=True)
class LoadFailure:
    """A container that crashed, was OOM-killed or stopped answering during a step."""

    #: crashed | oomkilled | unresponsive (answered nothing during the step) | timeout (the generator hung).
    status: str
    #: Rate of the step it happened in, in requests per second; null for closed loop.
    rate: float | None
    #: Repetition of that step, from 0.
    repeat: int
    #: One line saying what happened.
    error: str
    #: Container exit code when it exited, else null.
    exit_code: int | None = None
    #: Last lines the container wrote.
    log_tail: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadFailure:
        known = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        return cls(**known)


@dataclass
class LoadRun:
    """The load phase of one image (the per-image ``load:`` block, without its summary)."""

    #: Name of the load generator (``oha``, ``wrk``).
    generator: str
    #: Version the generator printed.
    generator_version: str
    #: Connections the generator kept open, a count.
    connections: int
    #: Length of each measured step, in seconds.
    duration_s: float
    #: Load before each measured step that was not recorded, in seconds.
    warmup_s: float
    #: CPUs of the container and of the generator.
    cpuset: CpuSplit
    #: How latency was measured: from the intended send time (free of coordinated omission) or not.
    latency_method: str
    #: Every measured step, in the order they ran.
    steps: list[LoadStep] = field(default_factory=list)
    #: Set when the container failed under load; the steps before it are kept.
    failure: LoadFailure | None = None
    #: Why a figure is missing or how it was obtained, one short sentence each.
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "generator": self.generator,
            "generator_version": self.generator_version,
            "connections": self.connections,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "cpuset": self.cpuset.to_json(),
            "latency_method": self.latency_method,
            "steps": [s.to_json() for s in self.steps],
        }
        if self.failure is not None:
            out["failure"] = self.failure.to_json()
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadRun:
        failure = data.get("failure")
        return cls(
            generator=str(data["generator"]),
            generator_version=str(data["generator_version"]),
            connections=int(data["connections"]),
            duration_s=float(data["duration_s"]),
            warmup_s=float(data["warmup_s"]),
            cpuset=CpuSplit.from_json(data["cpuset"]),
            latency_method=str(data["latency_method"]),
            steps=[LoadStep.from_json(s) for s in data.get("steps") or []],
            failure=LoadFailure.from_json(failure) if failure else None,
            notes=list(data.get("notes") or []),
        )


@dataclass(frozen=True)
class Ceiling:
    """What the generator reaches against the cheapest server there is, with the same settings."""

    #: Requests completed per second against the trivial server, in requests per second.
    qps: float
    #: Latency percentiles against it, in milliseconds.
    latency_ms: LatencyMs

    def to_json(self) -> dict[str, Any]:
        return {"qps": self.qps, "latency_ms": self.latency_ms.to_json()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ceiling:
        return cls(qps=float(data["qps"]), latency_ms=LatencyMs.from_json(data.get("latency_ms") or {}))
