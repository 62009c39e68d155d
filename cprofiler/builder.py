"""Build the scenario's images, once per set of inputs.

An image's tag is a hash of what went into it (the Dockerfile text, the build args and every file
of the context), so an unchanged image is found and reused instead of rebuilt. Base images named
in ``FROM`` are checked before building: a base that is neither present nor pullable stops with
one line naming it, instead of a build log full of registry errors.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cprofiler.engine import LABEL, Engine, ImageInfo
from cprofiler.errors import BuildError, UsageError
from cprofiler.schema import ImageSpec

#: Label with the hash of an image's inputs: images with equal inputs are built once.
LABEL_INPUTS = "cprofiler.inputs"
_SKIP_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv", "node_modules"}
_ARG_RE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


class BaseUnavailable(BuildError):
    """A ``FROM`` image is not on the engine and cannot be pulled."""

    def __init__(self, image_name: str, base: str, reason: str) -> None:
        super().__init__(
            f"image {image_name!r}: base image {base} is not on this engine and could not be pulled ({reason}); "
            "build or load it first, or give the image a fallback stand-in (cprofiler bases list)"
        )
        self.image_name = image_name
        self.base = base
        self.reason = reason


@dataclass(frozen=True)
class BuiltImage:
    name: str
    info: ImageInfo
    #: Set when a stand-in base replaced the real one: ``{"for", "recipe", "detail"}``.
    stand_in: dict[str, str] | None = None
    #: True when the image was found by its input hash and not built again.
    reused: bool = False


def inputs_hash(dockerfile_text: str, args: Mapping[str, str], context: Path) -> str:
    """Hash of everything an image is built from; equal inputs give an equal hash on any machine."""
    h = hashlib.sha256()
    h.update(b"dockerfile\0" + dockerfile_text.encode() + b"\0")
    for key in sorted(args):
        h.update(f"arg\0{key}\0{args[key]}\0".encode())
    for root, dirs, files in os.walk(context):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for fname in sorted(files):
            full = Path(root, fname)
            rel = full.relative_to(context).as_posix()
            try:
                st = full.stat()
                data = full.read_bytes()
            except OSError:
                continue
            h.update(f"file\0{rel}\0{st.st_mode & 0o111}\0{len(data)}\0".encode())
            h.update(data)
    return h.hexdigest()


def base_images(dockerfile_text: str, args: Mapping[str, str]) -> list[str]:
    """The external images a Dockerfile's ``FROM`` lines name, ARGs substituted, stages and scratch left out."""
    defaults: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[str] = []
    seen_from = False
    # Join continuation lines so that a FROM split over lines is still one instruction.
    text = re.sub(r"\\\r?\n", " ", dockerfile_text)
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "ARG" and not seen_from:
            name, _, value = rest.strip().partition("=")
            defaults[name.strip()] = value.strip().strip('"').strip("'")
        elif word == "FROM":
            seen_from = True
            parts = [p for p in rest.split() if not p.startswith("--")]
            if not parts:
                continue
            ref = _substitute(parts[0], {**defaults, **args})
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.add(parts[2].lower())
            if ref.lower() != "scratch" and ref.lower() not in stages and ref not in bases:
                bases.append(ref)
    return bases


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """Expand ``$NAME``, ``${NAME}`` and ``${NAME:-default}`` as the Dockerfile parser does."""

    def sub(m: re.Match[str]) -> str:
        return values.get(m.group(1) or m.group(3)) or (m.group(2) or "")

    return _ARG_RE.sub(sub, text)


def ensure_bases(engine: Engine, name: str, dockerfile_text: str, args: Mapping[str, str], *, offline: bool) -> None:
    """Make sure every base image is on the engine, pulling where allowed; else BaseUnavailable."""
    for ref in base_images(dockerfile_text, args):
        if engine.image(ref) is not None:
            continue
        reason = "--offline: not pulled" if offline else engine.pull(ref)
        if reason is not None:
            raise BaseUnavailable(name, ref, reason)


def build_image(
    engine: Engine,
    name: str,
    spec: ImageSpec,
    *,
    invocation: str,
    offline: bool = False,
    args: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] | None = None,
    stand_in: dict[str, str] | None = None,
) -> BuiltImage:
    """Build (or reuse) the image of one scenario entry.

    ``args`` overrides the spec's build args; the fallback logic uses it to swap a base for a
    stand-in while keeping the rest of the spec.
    """
    dockerfile = spec.source
    try:
        text = dockerfile.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"image {name!r}: cannot read {dockerfile}: {exc}") from exc
    build_args = dict(spec.args if args is None else args)
    context = spec.build_context
    digest = inputs_hash(text, build_args, context)
    tag = f"cprofiler/{name}:{digest[:16]}"
    found = engine.image(tag)
    if found is None:
        # Another scenario entry (or scenario file) may have built the very same inputs already.
        same = engine.image_with_label(LABEL_INPUTS, digest)
        if same is not None:
            engine.tag(same, tag)
            found = engine.image(tag)
    if found is not None:
        return BuiltImage(name=name, info=found, stand_in=stand_in, reused=True)
    ensure_bases(engine, name, text, build_args, offline=offline)
    labels = {LABEL: invocation, LABEL_INPUTS: digest}
    engine.build(
        name=name,
        context=context,
        dockerfile=dockerfile,
        tag=tag,
        buildargs=build_args,
        labels=labels,
        on_line=on_line,
    )
    info = engine.image(tag)
    if info is None:
        raise BuildError(f"image {name!r}: built, but the engine does not list {tag}")
    return BuiltImage(name=name, info=info, stand_in=stand_in)
