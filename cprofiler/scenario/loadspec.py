"""The scenario's ``load:`` block: traffic to send to an image after it is ready.

Top level, it is the default for every image probed by ``http``; an image's own ``load:``
replaces it for that image, and ``load: false`` turns it off there. Keys are a contract (other
tools write them): path, method, headers, body, connections, duration, warmup, rate | rates,
slo, repeat, timeout, error_limit, and the CPU split between the container and the load generator.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_METHOD_RE = re.compile(r"^[A-Z]{1,16}$")
_HEADER_NAME_RE = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$")
_CPUSET_RE = re.compile(r"^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$")
#: Most requests per second a rate may ask for.
MAX_RATE = 10_000_000
#: Most steps a sweep may have.
MAX_RATES = 100

#: One rate of a sweep, in requests per second.
Rate = Annotated[float, Field(gt=0, le=MAX_RATE, strict=True, allow_inf_nan=False)]


class SloSpec(BaseModel):
    """``slo:``: the target a rate sweep is judged by."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: The 99th percentile latency a rate must keep under, in milliseconds.
    p99_ms: float = Field(gt=0, le=3_600_000, strict=True, allow_inf_nan=False)


class LoadSpec(BaseModel):
    """How to load one image (HTTP requests to 127.0.0.1 inside its own network namespace).

    Numbers are strict and finite, as the run keys are: ``duration: "2"`` is a string, ``.inf``
    and ``.nan`` are no figure and YAML's ``true`` is no number of seconds; each is refused with
    its key, never turned into a number.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: URL path; default: the http probe's path.
    path: str | None = None
    method: str = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = Field(default=None, max_length=1 << 20)
    #: Concurrent connections.
    connections: int = Field(default=64, ge=1, le=100_000, strict=True)
    #: Seconds measured per step.
    duration: float = Field(default=10.0, gt=0, le=3600, strict=True, allow_inf_nan=False)
    #: Seconds of load before each measured step (not recorded).
    warmup: float = Field(default=2.0, ge=0, le=3600, strict=True, allow_inf_nan=False)
    #: Requests per second, open loop; None: closed loop, as fast as it goes.
    rate: Rate | None = None
    #: One step per rate (a sweep), instead of ``rate``; each rate once (``repeat`` repeats them).
    rates: list[Rate] | None = Field(default=None, strict=True)
    slo: SloSpec | None = None
    #: Each step is repeated this often, interleaved across images (3: a median with a range; 6 or
    #: more: a 95 % interval).
    repeat: int = Field(default=3, ge=1, le=1000, strict=True)
    #: Seconds after which a request without an answer counts as a timeout (and at this latency).
    timeout: float = Field(default=5.0, gt=0, le=600, strict=True, allow_inf_nan=False)
    #: Most share of requests (0 to 1) that may go without a 2xx answer before a step is failing.
    error_limit: float = Field(default=0.01, ge=0, le=1, strict=True, allow_inf_nan=False)
    #: Seconds to wait after the load stops before reading the working set again.
    after: float = Field(default=5.0, ge=0, le=600, strict=True, allow_inf_nan=False)
    #: CPUs (a cpuset such as ``0`` or ``0-1``) the container is pinned to while loaded; default:
    #: ``0`` to ``ceil(cpus) - 1`` (CPU 0 without ``cpus``).
    server_cpus: str | None = None
    #: CPUs the load generator is pinned to; default: every CPU after the container's.
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
            if not v or len(v) > MAX_RATES:
                raise ValueError(f"expected a list of 1 to {MAX_RATES} rates in requests per second")
            twice = next((r for i, r in enumerate(v) if r in v[:i]), None)
            if twice is not None:
                # A repeated rate would silently become extra repeats of one step.
                raise ValueError(f"expected each rate once, got {twice:g} more than once; repeat: N measures every rate N times")
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
