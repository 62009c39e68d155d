"""Reading a scenario file: hardened YAML, then the model, with errors that name file, line and key.

Nothing but :class:`~cprofiler.errors.ScenarioError` (exit 2, one line) escapes :func:`load`,
whatever the file holds: tests/unit/test_bad_input.py checks this with a corpus and hypothesis.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from cprofiler.errors import ScenarioError
from cprofiler.scenario.model import (
    MAX_QUOTE,
    Budgets,
    ImageSpec,
    LoadedScenario,
    ReadySpec,
    Scenario,
    quote,
)

#: Largest scenario file read; a bigger one is almost surely not a scenario file.
MAX_FILE_BYTES = 1 << 20
#: Most YAML nodes a file may expand to once aliases are followed (an alias bomb stops here).
MAX_NODES = 100_000


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
        msg += f" (got {quote(got)})"
    return msg


_KNOWN_KEYS: dict[str, list[str]] = {
    "": list(Scenario.model_fields),
    "image": list(ImageSpec.model_fields),
    "ready": list(ReadySpec.model_fields),
    "budgets": list(Budgets.model_fields),
}


def _expected_keys(loc: tuple[Any, ...]) -> str:
    if len(loc) == 1:
        keys = _KNOWN_KEYS[""]
    elif len(loc) >= 3 and loc[0] == "images" and len(loc) == 3:
        keys = _KNOWN_KEYS["image"]
    elif len(loc) == 4 and loc[2] == "ready":
        keys = _KNOWN_KEYS["ready"]
    elif len(loc) >= 2 and loc[-2] == "budgets":
        keys = _KNOWN_KEYS["budgets"]
    else:
        return ""
    return "; expected one of: " + ", ".join(keys)


class _Loader(yaml.SafeLoader):
    """SafeLoader that reports a value it cannot construct (a 30 February, a 5000-digit number) as
    a YAML error at that value's line, instead of letting a bare ValueError out of PyYAML."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, OverflowError, TypeError) as exc:
            problem = f"cannot read this value ({_short(exc)})"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark) from exc


def _read_text(path: Path) -> str:
    """The file's text: a regular file, at most MAX_FILE_BYTES, UTF-8; else ScenarioError."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ScenarioError(path, None, "no such file") from None
    except (OSError, ValueError) as exc:
        raise ScenarioError(path, None, f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise ScenarioError(path, None, "is a directory; expected a scenario YAML file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO would block the read forever, a device would never end.
        raise ScenarioError(path, None, "is not a regular file (a pipe, device or socket); expected a scenario YAML file")
    too_big = f"expected a scenario file of at most {MAX_FILE_BYTES} bytes"
    if st.st_size > MAX_FILE_BYTES:
        raise ScenarioError(path, None, f"file is {st.st_size} bytes; {too_big}")
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # the size stat gave may lie (/proc), the read may not
    except OSError as exc:
        raise ScenarioError(path, None, f"cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(path, None, f"file is over {MAX_FILE_BYTES} bytes; {too_big}")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(path, None, f"is not UTF-8 text (byte {exc.start}); expected a YAML file in UTF-8", line) from exc


def _yaml_fault(path: Path, exc: BaseException) -> ScenarioError:
    if isinstance(exc, RecursionError):
        return ScenarioError(path, None, "invalid YAML: nested too deeply; expected a plain scenario file")
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
    return ScenarioError(path, None, f"invalid YAML: {problem}", line=mark.line + 1 if mark else None)


_MERGE_TAG = "tag:yaml.org,2002:merge"


def _check_tree(path: Path, root: yaml.Node) -> None:
    """Refuse alias bombs (too many nodes once aliases are followed) and duplicate keys.

    YAML loaders keep the last of two equal keys without a word; in a scenario file that is
    always a mistake (two ``ready:`` blocks, two ``runs:``), so it is an error with both lines.
    """
    total = 0
    checked: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str, ...]]] = [(root, ())]
    while stack:
        node, where = stack.pop()
        total += 1
        if total > MAX_NODES:
            raise ScenarioError(path, None, f"expands to more than {MAX_NODES} YAML nodes (aliases); expected a plain file")
        if isinstance(node, yaml.MappingNode):
            first_check = id(node) not in checked  # an alias repeats a mapping already checked
            checked.add(id(node))
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if first_check and isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                    line = key_node.start_mark.line + 1
                    if key in lines:
                        dotted = ".".join(_short(p) for p in (*where, key))
                        raise ScenarioError(path, dotted, f"duplicate key (first at line {lines[key]}); expected it once", line)
                    lines[key] = line
                stack.append((key_node, where))
                stack.append((value_node, (*where, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, where) for item in node.value)


def _short(part: object) -> str:
    text = str(part)
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def load(path: Path) -> LoadedScenario:
    """Read and validate a scenario file; raise ScenarioError (exit 2) with one line on any fault.

    Nothing else escapes, whatever the file holds (tests/unit/test_bad_input.py checks this with
    a corpus of broken files and with hypothesis).
    """
    path = Path(path)
    text = _read_text(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError) as exc:
        raise _yaml_fault(path, exc) from exc
    if node is None:
        raise ScenarioError(path, None, "is empty; expected a mapping with an 'images' key")
    _check_tree(path, node)
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except (yaml.YAMLError, RecursionError) as exc:
        raise _yaml_fault(path, exc) from exc
    if not isinstance(data, dict):
        raise ScenarioError(path, None, f"expected a mapping with an 'images' key, got a {type(data).__name__}", line=1)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err: dict[str, Any] = dict(exc.errors()[0])
        loc = tuple(err["loc"])
        # Pydantic puts a model-level failure on the model itself; name the model's key then.
        key = ".".join(_short(p) for p in loc) or None
        expected = _describe(err)
        if err["type"] == "extra_forbidden":
            expected += _expected_keys(loc)
        raise ScenarioError(path, key, expected, line=_line_of(node, loc)) from exc
    return LoadedScenario(
        path=path.resolve(), scenario=_resolve_paths(path, node, scenario), sha256=hashlib.sha256(text.encode()).hexdigest()
    )


def _resolve_paths(path: Path, node: yaml.Node, scenario: Scenario) -> Scenario:
    """Make paths absolute against the scenario file's folder; check that they exist and stay inside.

    A relative ``dockerfile``, ``template`` or ``context`` must not lead out of the scenario file's
    folder (by ``..`` or by a symlink) unless the file says ``allow_outside: true``: a scenario file
    handed around should not quietly send some other folder of this machine to the engine as a
    build context. An absolute path is an explicit choice and is taken as written. Each image's
    ``security`` is resolved here too: its own, else the file's.
    """
    base = path.resolve().parent
    images: dict[str, ImageSpec] = {}
    for name, spec in scenario.images.items():
        updates: dict[str, Any] = {"security": spec.security or scenario.security}
        for key in ("dockerfile", "template", "context"):
            value = getattr(spec, key)
            if value is None:
                continue
            loc = ("images", name, key)
            where, line = ".".join(loc), _line_of(node, loc)
            shown = quote(str(value))[1:-1]
            try:
                full = (base / value).resolve()
                if not value.is_absolute() and not scenario.allow_outside and not full.is_relative_to(base):
                    raise ScenarioError(
                        path,
                        where,
                        f"{shown} leads outside the scenario file's folder; "
                        "expected a path inside it, an absolute path, or allow_outside: true",
                        line,
                    )
                if key == "context":
                    if not full.is_dir():
                        raise ScenarioError(path, where, f"expected a directory, {shown} is not one", line)
                elif not full.is_file():
                    what = "is a directory" if full.is_dir() else "does not exist"
                    raise ScenarioError(path, where, f"expected a file, {shown} {what}", line)
            except (OSError, ValueError, RuntimeError) as exc:  # a NUL byte, a name too long, a symlink loop
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _short(exc)
                raise ScenarioError(path, where, f"expected a usable path, {shown} is not one ({reason})", line) from exc
            updates[key] = full
        images[name] = spec.model_copy(update=updates)
    return scenario.model_copy(update={"images": images})
