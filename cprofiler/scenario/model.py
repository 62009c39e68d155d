"""The scenario file's typed model: settings and the images to compare (pydantic, frozen).

A scenario file is code: it names Dockerfiles to build and containers to run. Load only files you
would run yourself. Reading the YAML, with errors that name the file, line and key, is
:mod:`cprofiler.scenario.reader`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from cprofiler.scenario.loadspec import LoadSpec

#: Largest memory limit accepted, in bytes (1 PiB): beyond it a size is a typo, and the engine's
#: int64 would overflow long before any machine has that much memory.
MAX_SIZE_BYTES = 1 << 50
#: Smallest memory limit the engine accepts, in bytes.
MIN_SIZE_BYTES = 6 << 20
#: Longest key or value quoted in an error message, in characters; the message stays one short line.
MAX_QUOTE = 60

#: An image name becomes the path component of the tag ``cprofiler/NAME:…``, so it follows the
#: engine's grammar for one: lowercase letters and digits, separated by one ``.``, one or two
#: ``_`` or any number of ``-`` (``a.``, ``a..b`` and ``web-`` are refused by the engine).
_NAME_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_NAME_MAX = 63
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

# What the file may hold where a before-validator converts it, for the JSON Schema an editor checks
# against (docs/schema/scenario-v1.json): the field's type alone would flag ``memory_limit: 256m``.
_SCALARS_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
_SIZE_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "examples": ["256m", "1Gi"]}, {"type": "integer", "minimum": MIN_SIZE_BYTES}, {"type": "null"}],
    "default": None,
    "description": "Memory limit: 256m, 1g, 512Mi (powers of 1024), or a bare number of bytes.",
}
#: Build args and environment: string values; YAML numbers and booleans are accepted as their text.
Scalars = Annotated[dict[str, str], WithJsonSchema(_SCALARS_SCHEMA)]


def parse_size(text: str | int) -> int:
    """Parse a memory size as the engine does (``256m``, ``1g``, ``512Mi``; powers of 1024) into bytes."""
    if isinstance(text, bool):
        raise ValueError("expected a size such as 256m or 1Gi")
    if isinstance(text, int):
        if text <= 0:
            raise ValueError("expected a positive size such as 256m or 1Gi")
        if text > MAX_SIZE_BYTES:
            raise ValueError("expected a size of at most 1024t")
        if text < MIN_SIZE_BYTES:
            raise ValueError(f"expected at least 6m (the engine's minimum memory limit); a bare number means bytes, got {text}")
        return text
    m = _SIZE_RE.match(str(text)) if len(str(text)) <= 64 else None
    if not m:
        raise ValueError(f"expected a size such as 256m or 1Gi, got {quote(text)}")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    # Decimal, not float: "9999…9m" must be refused as too big, not overflow to infinity.
    value = int(Decimal(m.group(1)) * _UNITS[unit])
    if value > MAX_SIZE_BYTES:
        raise ValueError(f"expected a size of at most 1024t, got {quote(text)}")
    if value < MIN_SIZE_BYTES:
        bare = "; a bare number means bytes" if not m.group(2) else ""
        raise ValueError(f"expected at least 6m (the engine's minimum memory limit){bare}, got {quote(text)}")
    return value


def quote(value: object) -> str:
    """``repr`` of a value for an error message, cut to MAX_QUOTE characters (never raises)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print (Python's 4300-digit limit)
        text = f"<a {type(value).__name__} too long to show>"
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpCheck(_Strict):
    """``ready: {http: …}``: an HTTP GET that answers 200–399 (as the kubelet's httpGet probe)."""

    port: int = Field(ge=1, le=65535, strict=True)
    path: str = "/"

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or any(c in v for c in " \r\n"):
            raise ValueError("expected a URL path starting with / and without spaces")
        return v


class TcpCheck(_Strict):
    """``ready: {tcp: …}``: a TCP connect that is accepted."""

    port: int = Field(ge=1, le=65535, strict=True)


class ReadySpec(_Strict):
    """How a run knows the container is ready: exactly one of the four probes."""

    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    log: str | None = None
    exit: Literal[True] | None = None

    @field_validator("log")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            if not v:
                raise ValueError("expected a non-empty regular expression")
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"expected a valid regular expression ({exc})") from exc
        return v

    @model_validator(mode="after")
    def _exactly_one(self) -> ReadySpec:
        chosen = [k for k in ("http", "tcp", "log", "exit") if getattr(self, k) is not None]
        if len(chosen) != 1:
            got = ", ".join(chosen) if chosen else "none"
            raise ValueError(f"expected exactly one of http, tcp, log, exit (got {got})")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in ("http", "tcp", "log", "exit") if getattr(self, k) is not None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


#: ``security:`` profiles (see ``cprofiler.measure.security``): ``default`` is the engine's default
#: capabilities, the image's user; ``restricted`` is Kubernetes' restricted Pod Security Standard
#: (every capability dropped, a non-root user, no privilege escalation).
Security = Literal["default", "restricted"]
#: Most processes and threads a measured container may have unless its ``pids_limit`` says
#: otherwise: a fork bomb stops there instead of taking the host.
DEFAULT_PIDS_LIMIT = 1024


class Budgets(_Strict):
    """``budgets:``: limits a measurement must keep, at the top (every image) or per image.

    Each limit is a positive, finite number (``.inf`` would be a budget nothing can exceed, a
    string a typo), refused otherwise with the key, as the run keys are.

    A key set on an image overrides the same key at the top. ``cprofiler measure`` marks what a
    budget's figure exceeds and exits 1; what each key checks is in :mod:`cprofiler.budgets`.
    """

    #: Most cold start p95 allowed, in milliseconds.
    cold_start_p95_ms: float | None = Field(default=None, gt=0, strict=True, allow_inf_nan=False)
    #: Most working set allowed (the median over ok runs), in MiB.
    working_set_mib: float | None = Field(default=None, gt=0, strict=True, allow_inf_nan=False)
    #: Largest image allowed, in MiB.
    image_size_mib: float | None = Field(default=None, gt=0, strict=True, allow_inf_nan=False)
    #: Fewest requests per second the load phase must sustain.
    qps_min: float | None = Field(default=None, gt=0, strict=True, allow_inf_nan=False)
    #: Most p99 request latency under load allowed, in milliseconds.
    p99_ms: float | None = Field(default=None, gt=0, strict=True, allow_inf_nan=False)

    def set(self) -> dict[str, float]:
        """The keys that carry a limit, with it."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class ImageSpec(_Strict):
    """One image to build and measure."""

    dockerfile: Path | None = None
    template: Path | None = None
    context: Path | None = None
    args: Scalars = Field(default_factory=dict)
    fallback: Scalars | None = None
    command: list[str] | None = None
    env: Scalars = Field(default_factory=dict)
    #: Memory limit in bytes (the file may say ``256m``).
    memory_limit: Annotated[int | None, WithJsonSchema(_SIZE_SCHEMA)] = None
    #: CPU cap in cores, from 0.01 (the engine's smallest) up to the engine's CPU count (checked at
    #: run time); a list measures the image once per value (one row each).
    cpus: float | list[float] | None = None
    #: Most processes and threads in the container (the engine's ``--pids-limit``).
    pids_limit: int = Field(default=DEFAULT_PIDS_LIMIT, ge=1, le=4_194_304, strict=True)
    #: The security profile; None: the scenario file's top-level ``security`` (the loader fills it
    #: in, so a loaded scenario's images always name theirs).
    security: Security | None = None
    ready: ReadySpec
    #: This image's load phase: replaces the top-level ``load:``; ``false`` turns it off.
    load: LoadSpec | Literal[False] | None = None
    #: This image's budgets; a key here overrides the scenario's top-level one.
    budgets: Budgets | None = None

    @field_validator("args", "env", "fallback", mode="before")
    @classmethod
    def _scalars(cls, v: Any) -> Any:
        # Build args and environment values are strings to the engine; accept YAML numbers too.
        if isinstance(v, dict):
            out = {}
            for k, val in v.items():
                if isinstance(val, (dict, list)) or val is None:
                    raise ValueError(f"expected a string, number or boolean for {quote(k)}")
                key, text = str(k), str(val).lower() if isinstance(val, bool) else str(val)
                # The engine takes KEY=VALUE strings: an empty key, '=' in a key or a NUL anywhere
                # would be cut or refused there.
                if not key or "=" in key or "\0" in key:
                    raise ValueError(f"expected a name without '=' or NUL characters, got {quote(key)}")
                if "\0" in text:
                    raise ValueError(f"expected a value without NUL characters for {quote(key)}")
                out[key] = text
            return out
        return v

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, v: Any) -> Any:
        if isinstance(v, str):
            raise ValueError('expected a list of strings, e.g. ["/app", "--port", "8080"]')
        if isinstance(v, list) and not v:
            raise ValueError("expected a non-empty list of strings")
        if isinstance(v, list) and any(isinstance(a, str) and "\0" in a for a in v):
            raise ValueError("expected arguments without NUL characters")
        return v

    @field_validator("cpus", mode="before")
    @classmethod
    def _cpus(cls, v: Any) -> Any:
        values = v if isinstance(v, list) else [v]
        if v is None:
            return v
        if isinstance(v, list) and not 1 <= len(v) <= 16:
            raise ValueError("expected a number of CPUs, or a list of 1 to 16 of them")
        for c in values:
            # bool is an int to Python, but `cpus: true` is a typo, not one CPU.
            if isinstance(c, bool) or not isinstance(c, (int, float)):
                raise ValueError("expected a valid number of CPUs, e.g. 0.5, or a list of them such as [0.5, 1]")
            if not 0.01 <= c <= 1024:
                raise ValueError(f"expected CPUs from 0.01 (the engine's smallest limit) to 1024, got {c!r}")
        if isinstance(v, list) and len(set(v)) != len(v):
            raise ValueError("expected each CPU value once")
        return [float(c) for c in v] if isinstance(v, list) else float(v)

    @field_validator("memory_limit", mode="before")
    @classmethod
    def _memory(cls, v: Any) -> Any:
        return None if v is None else parse_size(v)

    @model_validator(mode="after")
    def _one_source(self) -> ImageSpec:
        if (self.dockerfile is None) == (self.template is None):
            raise ValueError("expected exactly one of dockerfile or template")
        if isinstance(self.load, LoadSpec) and self.ready.http is None:
            raise ValueError("load: expected an image probed by http (the load is sent to the probe's port)")
        return self

    @property
    def cpus_values(self) -> list[float | None]:
        """One entry per row the image gets: its CPU caps, or ``[None]`` for none."""
        if isinstance(self.cpus, list):
            return list(self.cpus)
        return [self.cpus]

    @property
    def source(self) -> Path:
        src = self.dockerfile or self.template
        assert src is not None
        return src

    @property
    def build_context(self) -> Path:
        return self.context if self.context is not None else self.source.parent


class Scenario(_Strict):
    """A scenario file: run settings and the images to compare."""

    # strict: YAML's `true` is not a count, and `2.5` runs is a typo, not 2.
    runs: int = Field(default=10, ge=1, le=100_000, strict=True)
    warmup: int = Field(default=1, ge=0, le=10_000, strict=True)
    settle: float = Field(default=1.0, ge=0, le=3600, strict=True, allow_inf_nan=False)
    timeout: float = Field(default=60.0, gt=0, le=24 * 3600, strict=True, allow_inf_nan=False)
    #: Let relative paths leave the scenario file's folder (``../shared/Dockerfile``).
    allow_outside: bool = Field(default=False, strict=True)
    #: The security profile of every image that names none itself.
    security: Security = "default"
    #: The load phase of every image probed by http, unless an image has its own.
    load: LoadSpec | None = None
    #: Budgets of every image (an image's own ``budgets:`` overrides key by key).
    budgets: Budgets | None = None
    images: dict[str, ImageSpec]

    def budgets_for(self, name: str) -> Budgets | None:
        """The budgets image ``name`` must keep: the top-level ones, overridden by its own."""
        top = self.budgets.set() if self.budgets else {}
        own = self.images[name].budgets
        merged = {**top, **(own.set() if own else {})}
        return Budgets(**merged) if merged else None

    @field_validator("images")
    @classmethod
    def _names(cls, v: dict[str, ImageSpec]) -> dict[str, ImageSpec]:
        if not v:
            raise ValueError("expected at least one image")
        for name in v:
            if not _NAME_RE.match(name) or len(name) > _NAME_MAX:
                raise ValueError(
                    "expected image names of lowercase letters and digits, separated by one '.', one or two '_' "
                    f"or '-'s, at most {_NAME_MAX} characters (got {quote(name)})"
                )
        return v

    def load_for(self, name: str) -> LoadSpec | None:
        """The load phase of image ``name``: its own, else the top-level one if it is probed by http."""
        spec = self.images[name]
        if spec.load is False:
            return None
        if spec.load is not None:
            return spec.load
        return self.load if spec.ready.http is not None else None

    def variants(self) -> list[tuple[str, str, ImageSpec]]:
        """``(row name, scenario image name, spec)`` per row: an image with a list of ``cpus`` becomes
        one row per value, named ``NAME@cpus=VALUE``, its spec holding that one value."""
        out = []
        for name, spec in self.images.items():
            values = spec.cpus_values
            if len(values) == 1:
                out.append((name, name, spec.model_copy(update={"cpus": values[0]})))
                continue
            for value in values:
                out.append((f"{name}@cpus={value:g}", name, spec.model_copy(update={"cpus": value})))
        return out


class LoadedScenario(BaseModel):
    """A validated scenario with every path made absolute."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    path: Path
    scenario: Scenario
    #: sha256 of the file's text: ``--resume`` refuses a scenario file edited since (hex; "" when
    #: the scenario was not read from a file).
    sha256: str = ""
