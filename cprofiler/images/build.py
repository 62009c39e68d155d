"""Build the scenario's images, once per set of inputs.

An image's tag is a hash of what went into it (the Dockerfile text, the build args and every file
of the context), so an unchanged image is found and reused instead of rebuilt. Base images named
in ``FROM`` are checked before building: a base that is neither present nor pullable stops with
one line naming it, instead of a build log full of registry errors, or, where the scenario names
a fallback, is replaced by that stand-in (``images.bases``) and the result says so.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cprofiler.engine import Engine, ImageInfo
from cprofiler.errors import BuildError, UsageError
from cprofiler.images.bases import catalog
from cprofiler.images.bases.build import stand_ins
from cprofiler.images.bases.mirror import find_mirror
from cprofiler.labels import LABEL, LABEL_IMAGE_INPUTS_HASH
from cprofiler.scenario.model import ImageSpec

_SKIP_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv", "node_modules"}
_ARG_RE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


#: Build-log lines of a stand-in base start with this, so progress output can show them apart.
STAND_IN_PREFIX = "[stand-in] "


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


def image_inputs_hash(dockerfile_text: str, args: Mapping[str, str], context: Path) -> str:
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
    digest = image_inputs_hash(text, build_args, context)
    tag = f"cprofiler/{name}:{digest[:16]}"
    found = engine.image(tag)
    if found is None:
        # Another scenario entry (or scenario file) may have built the very same inputs already.
        same = engine.image_with_label(LABEL_IMAGE_INPUTS_HASH, digest)
        if same is not None:
            engine.tag(same, tag)
            found = engine.image(tag)
    if found is not None:
        return BuiltImage(name=name, info=found, stand_in=stand_in, reused=True)
    ensure_bases(engine, name, text, build_args, offline=offline)
    labels = {LABEL: invocation, LABEL_IMAGE_INPUTS_HASH: digest}
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


def build_with_fallback(
    engine: Engine,
    name: str,
    spec: ImageSpec,
    *,
    invocation: str,
    offline: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> BuiltImage:
    """Build with the real base; where it cannot be had and the spec names a fallback, use that.

    A fallback value is a stand-in recipe name (``cprofiler bases list``), built once per machine,
    or the reference of an image already on the engine. The result says which base it stood in
    for, so a stand-in is never shown as the real image.
    """
    try:
        return build_image(engine, name, spec, invocation=invocation, offline=offline, on_line=on_line)
    except BaseUnavailable:
        if not spec.fallback:
            raise
        fallback = spec.fallback
    args = dict(spec.args)
    replaced, recipes, details = [], [], []
    for key, value in fallback.items():
        tag, detail = resolve_fallback(engine, name, key, value, on_line)
        replaced.append(spec.args.get(key, f"{key} default"))
        recipes.append(value)
        details.append(detail)
        args[key] = tag
    stand_in = {"for": ", ".join(replaced), "recipe": ", ".join(recipes), "detail": "; ".join(details)}
    return build_image(engine, name, spec, invocation=invocation, offline=True, args=args, on_line=on_line, stand_in=stand_in)


def resolve_fallback(engine: Engine, name: str, key: str, value: str, on_line: Callable[[str], None] | None) -> tuple[str, str]:
    """Return ``(image reference, detail)`` for one fallback value, building a recipe if needed."""
    if value in catalog.names():
        progress = (lambda recipe, line: on_line(f"{STAND_IN_PREFIX}{recipe}: {line}")) if on_line else None
        built = stand_ins(engine, find_mirror())[value].build(progress)
        return built.tag, built.detail or value
    if engine.image(value) is not None:
        return value, f"local image {value}"
    known = ", ".join(catalog.names())
    raise UsageError(
        f"image {name!r}: fallback {key}: {value!r} is neither a stand-in recipe ({known}) nor an image on this engine"
    )
