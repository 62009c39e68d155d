"""The scenario's ``load:`` block: traffic to send to an image after it is ready.

Top level, it is the default for every image probed by ``http``; an image's own ``load:``
replaces it for that image, and ``load: false`` turns it off there. Keys are a contract (other
tools write them): path, method, headers, body, connections, duration, warmup, rate | rates,
slo, repeat, and the CPU split between the container and the load generator.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_METHOD_RE = re.compile(r"^[A-Z]{1,16}$")
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
_CPUSET_RE = re.compile(r"^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$")


class SloSpec(BaseModel):
    """``slo:``: the target a rate sweep is judged by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The 99th percentile latency a rate must keep under, in milliseconds.
    p99_ms: float = Field(gt=0, le=3_600_000)


class LoadSpec(BaseModel):
    """How to load one image (HTTP requests to 127.0.0.1 inside its own network namespace)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: URL path; default: the http probe's path.
    path: str | None = None
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=1 << 20)
    #: Concurrent connections.
    connections: int = Field(default=64, ge=1, le=100_000, strict=True)
    #: Seconds measured per step.
    duration: float = Field(default=10.0, gt=0, le=3600)
    #: Seconds of load before each measured step (not recorded).
    warmup: float = Field(default=2.0, ge=0, le=3600)
    #: Requests per second, open loop; None: closed loop, as fast as it goes.
    rate: float | None = Field(default=None, gt=0, le=10_000_000)
    #: One step per rate (a sweep), instead of ``rate``.
    rates: list[float] | None = None
    slo: SloSpec | None = None
    #: Each step is repeated this often, interleaved across images.
    repeat: int = Field(default=1, ge=1, le=1000, strict=True)
    #: Seconds to wait after the load stops before reading the working set again.
    after: float = Field(default=5.0, ge=0, le=600)
    #: CPUs (a cpuset such as ``0`` or ``0-1``) the container is pinned to while loaded; default:
    #: all but the generator's.
    server_cpus: str | None = None
    #: CPUs the load generator is pinned to; default: the last CPU of the engine's host.
    generator_cpus: str | None = None
    #: The load generator (``cprofiler measure --help`` lists them); default: oha.
    generator: str = "oha"

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        if v is not None and (not v.startswith("/") or any(c in v for c in " \r\n\t") or len(v) > 2048):
            raise ValueError("expected a URL path starting with / and without spaces")
        return v

    @field_validator("method")
    @classmethod
    def _method(cls, v: str) -> str:
        if not _METHOD_RE.match(v):
            raise ValueError("expected an HTTP method such as GET or POST")
        return v

    @field_validator("headers", mode="before")
    @classmethod
    def _headers(cls, v: object) -> object:
        if isinstance(v, dict):
            for k, val in v.items():
                if not isinstance(k, str) or not _HEADER_NAME_RE.match(k):
                    raise ValueError(f"expected header names of letters, digits and -, got {str(k)[:40]!r}")
                if not isinstance(val, (str, int, float)) or any(c in str(val) for c in "\r\n\0"):
                    raise ValueError(f"expected a one-line text value for header {k!r}")
            return {k: str(val) for k, val in v.items()}
        return v

    @field_validator("rates")
    @classmethod
    def _rates(cls, v: list[float] | None) -> list[float] | None:
        if v is not None:
            if not v or len(v) > 100:
                raise ValueError("expected a list of 1 to 100 rates in requests per second")
            if any(r <= 0 or r > 10_000_000 for r in v):
                raise ValueError("expected rates above 0 and at most 10000000 requests per second")
        return v

    @field_validator("server_cpus", "generator_cpus")
    @classmethod
    def _cpuset(cls, v: str | None) -> str | None:
        if v is not None and not _CPUSET_RE.match(v):
            raise ValueError("expected a cpuset such as 0, 1-3 or 0,2")
        return v

    @model_validator(mode="after")
    def _one_rate(self) -> LoadSpec:
        if self.rate is not None and self.rates is not None:
            raise ValueError("expected rate or rates, not both")
        if self.slo is not None and self.rates is None:
            raise ValueError("slo: expected only with rates (a sweep)")
        return self

    def step_rates(self) -> list[float | None]:
        """The rates of the steps, in order; ``[None]`` for one closed-loop step."""
        if self.rates is not None:
            return list(self.rates)
        return [self.rate]
