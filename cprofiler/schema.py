"""The scenario file: its schema, and errors that name the file, line, key and expectation.

A scenario file is code: it names Dockerfiles to build and containers to run. Load only files you
would run yourself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cprofiler.errors import ScenarioError

#: Largest scenario file read; a bigger one is almost surely not a scenario file.
MAX_FILE_BYTES = 1 << 20
#: Most YAML nodes a file may expand to once aliases are followed (an alias bomb stops here).
MAX_NODES = 100_000

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(text: str | int) -> int:
    """Parse a memory size as the engine does (``256m``, ``1g``, ``512Mi``; powers of 1024) into bytes."""
    if isinstance(text, bool):
        raise ValueError("expected a size such as 256m or 1Gi")
    if isinstance(text, int):
        if text <= 0:
            raise ValueError("expected a positive size such as 256m or 1Gi")
        return text
    m = _SIZE_RE.match(str(text))
    if not m:
        raise ValueError(f"expected a size such as 256m or 1Gi, got {text!r}")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    value = int(float(m.group(1)) * _UNITS[unit])
    if value < 6 << 20:
        raise ValueError(f"expected at least 6m (the engine's minimum memory limit), got {text!r}")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HttpProbe(_Strict):
    port: int = Field(ge=1, le=65535)
    path: str = "/"

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/") or any(c in v for c in " \r\n"):
            raise ValueError("expected a URL path starting with / and without spaces")
        return v


class TcpProbe(_Strict):
    port: int = Field(ge=1, le=65535)


class ReadySpec(_Strict):
    """How a run knows the container is ready: exactly one of the four probes."""

    http: HttpProbe | None = None
    tcp: TcpProbe | None = None
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


class ImageSpec(_Strict):
    """One image to build and measure."""

    dockerfile: Path | None = None
    template: Path | None = None
    context: Path | None = None
    args: dict[str, str] = Field(default_factory=dict)
    fallback: dict[str, str] | None = None
    command: list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    memory_limit: int | None = None
    cpus: float | None = Field(default=None, gt=0, le=1024)
    ready: ReadySpec

    @field_validator("args", "env", "fallback", mode="before")
    @classmethod
    def _scalars(cls, v: Any) -> Any:
        # Build args and environment values are strings to the engine; accept YAML numbers too.
        if isinstance(v, dict):
            out = {}
            for k, val in v.items():
                if isinstance(val, (dict, list)) or val is None:
                    raise ValueError(f"expected a string, number or boolean for {k!r}")
                out[str(k)] = str(val).lower() if isinstance(val, bool) else str(val)
            return out
        return v

    @field_validator("command", mode="before")
    @classmethod
    def _command(cls, v: Any) -> Any:
        if isinstance(v, str):
            raise ValueError('expected a list of strings, e.g. ["/app", "--port", "8080"]')
        if isinstance(v, list) and not v:
            raise ValueError("expected a non-empty list of strings")
        return v

    @field_validator("memory_limit", mode="before")
    @classmethod
    def _memory(cls, v: Any) -> Any:
        return None if v is None else parse_size(v)

    @model_validator(mode="after")
    def _one_source(self) -> ImageSpec:
        if (self.dockerfile is None) == (self.template is None):
            raise ValueError("expected exactly one of dockerfile or template")
        if self.fallback is not None and self.template is None:
            raise ValueError("fallback: expected only with template (it replaces template args)")
        return self

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

    runs: int = Field(default=10, ge=1, le=100_000)
    warmup: int = Field(default=1, ge=0, le=10_000)
    settle: float = Field(default=1.0, ge=0, le=3600)
    timeout: float = Field(default=60.0, gt=0, le=24 * 3600)
    images: dict[str, ImageSpec]

    @field_validator("images")
    @classmethod
    def _names(cls, v: dict[str, ImageSpec]) -> dict[str, ImageSpec]:
        if not v:
            raise ValueError("expected at least one image")
        for name in v:
            if not _NAME_RE.match(name):
                raise ValueError(f"expected image names of lowercase letters, digits, '.', '_', '-' (got {name!r})")
        return v


class LoadedScenario(BaseModel):
    """A validated scenario with every path made absolute."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    path: Path
    scenario: Scenario


# --- loading ------------------------------------------------------------------------------------


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Follow ``loc`` through the composed YAML tree; return the 1-based line of the deepest match."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if not isinstance(node, yaml.MappingNode):
            break
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                line = key_node.start_mark.line + 1
                node = value_node
                break
        else:
            break
    return line


def _count_nodes(node: yaml.Node) -> int:
    """Count nodes with aliases expanded, stopping past MAX_NODES (a 'billion laughs' file)."""
    total = 0
    stack = [node]
    while stack:
        n = stack.pop()
        total += 1
        if total > MAX_NODES:
            return total
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return total


def _describe(err: dict[str, Any]) -> str:
    kind = err["type"]
    msg = str(err["msg"])
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    got = err.get("input")
    if kind not in ("value_error",) and not isinstance(got, (dict, list)) and got is not None:
        text = repr(got)
        msg += f" (got {text[:40]}{'…' if len(text) > 40 else ''})"
    return msg


_KNOWN_KEYS: dict[str, list[str]] = {
    "": list(Scenario.model_fields),
    "image": list(ImageSpec.model_fields),
    "ready": list(ReadySpec.model_fields),
}


def _expected_keys(loc: tuple[Any, ...]) -> str:
    if len(loc) == 1:
        keys = _KNOWN_KEYS[""]
    elif len(loc) >= 3 and loc[0] == "images" and len(loc) == 3:
        keys = _KNOWN_KEYS["image"]
    elif len(loc) == 4 and loc[2] == "ready":
        keys = _KNOWN_KEYS["ready"]
    else:
        return ""
    return "; expected one of: " + ", ".join(keys)


def load(path: Path) -> LoadedScenario:
    """Read and validate a scenario file; raise ScenarioError (exit 2) with one line on any fault."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(path, None, "no such file")
    if path.is_dir():
        raise ScenarioError(path, None, "is a directory; expected a scenario YAML file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(path, None, f"file is {size} bytes; expected a scenario file under {MAX_FILE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, None, f"is not UTF-8 text (byte {exc.start})") from exc
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(path, None, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None) from exc
    if node is None:
        raise ScenarioError(path, None, "is empty; expected a mapping with an 'images' key")
    if _count_nodes(node) > MAX_NODES:
        raise ScenarioError(path, None, f"expands to more than {MAX_NODES} YAML nodes (aliases); expected a plain file")
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except (yaml.YAMLError, RecursionError) as exc:
        raise ScenarioError(path, None, f"invalid YAML: {str(exc).splitlines()[0]}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(path, None, f"expected a mapping with an 'images' key, got a {type(data).__name__}", line=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err: dict[str, Any] = dict(exc.errors()[0])
        loc = tuple(err["loc"])
        # Pydantic puts a model-level failure on the model itself; name the model's key then.
        key = ".".join(str(p) for p in loc) or None
        expected = _describe(err)
        if err["type"] == "extra_forbidden":
            expected += _expected_keys(loc)
        raise ScenarioError(path, key, expected, line=_line_of(node, loc)) from exc
    return LoadedScenario(path=path.resolve(), scenario=_resolve_paths(path, node, scenario))


def _resolve_paths(path: Path, node: yaml.Node, scenario: Scenario) -> Scenario:
    """Make paths absolute against the scenario file's folder and check that they exist."""
    base = path.resolve().parent
    images: dict[str, ImageSpec] = {}
    for name, spec in scenario.images.items():
        updates: dict[str, Any] = {}
        for key in ("dockerfile", "template", "context"):
            value = getattr(spec, key)
            if value is None:
                continue
            full = (base / value).resolve()
            loc = ("images", name, key)
            if key == "context":
                if not full.is_dir():
                    raise ScenarioError(path, ".".join(loc), f"expected a directory, {value} is not one", _line_of(node, loc))
            elif not full.is_file():
                raise ScenarioError(path, ".".join(loc), f"expected a file, {value} does not exist", _line_of(node, loc))
            updates[key] = full
        images[name] = spec.model_copy(update=updates)
    return scenario.model_copy(update={"images": images})
