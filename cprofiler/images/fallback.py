"""Stand-in bases for an image whose real base cannot be had, and the mark a stand-in row carries.

A scenario image names its real base. When that base is neither on the engine nor pullable, its
``fallback`` map says what stands in for it, by either of two keys:

- a build arg of the Dockerfile (``{BASE: musl-python}``): the arg is set to the stand-in's tag;
- a base image as ``FROM`` names it (``{"python:3.12-alpine": musl-python}``): the build gets a copy
  of the Dockerfile whose ``FROM`` lines name the stand-in instead. This is how a user's own
  Dockerfile, which has no build arg for its base, gets a stand-in.

A value is a stand-in recipe (``cprofiler bases list``) or an image already on the engine. Only the
bases that could not be had are replaced, each by its own entry, and the result says which base a
stand-in replaced, so a stand-in is never shown as the real image.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from cprofiler.engine import Engine
from cprofiler.errors import RegistryRefused, UsageError
from cprofiler.images.bases import catalog
from cprofiler.images.bases.build import build_stand_ins, stand_ins
from cprofiler.images.bases.mirror import find_mirror
from cprofiler.images.bases.registry import Progress
from cprofiler.images.build import (
    STAND_IN_PREFIX,
    BaseUnavailable,
    BuiltImage,
    arg_defaults,
    base_images,
    build_image,
    declared_args,
    read_dockerfile,
    substitute,
)
from cprofiler.scenario.model import ImageSpec

_FROM = re.compile(r"^(\s*FROM\s+(?:--\S+\s+)*)(\S+)", re.IGNORECASE | re.MULTILINE)


def stand_ins_needed(engine: Engine, specs: Mapping[str, ImageSpec], *, offline: bool) -> list[str]:
    """The stand-in recipes the images ``specs`` will build FROM: each named by a ``fallback`` entry
    for a base that is not on the engine and cannot be pulled (not tried with ``offline``).

    Called before any image is built, so that every stand-in can be built at once, side by side
    (``build_stand_ins``), instead of one after another as each image reaches its own.
    """
    needed: list[str] = []
    for name, spec in specs.items():
        if not spec.fallback:
            continue
        text = read_dockerfile(name, spec.source)
        for ref in base_images(text, spec.args):
            key = _entry_for(spec, text, spec.args, ref)
            value = spec.fallback.get(key) if key is not None else None
            if value is None or value not in catalog.names() or value in needed or engine.image(ref) is not None:
                continue
            if not offline and _pulled(engine, ref):
                continue
            needed.append(value)
    return needed


def build_missing_stand_ins(
    engine: Engine, specs: Mapping[str, ImageSpec], *, offline: bool, say: Callable[[str], None], progress: Progress
) -> list[str]:
    """Build, side by side, the stand-ins ``specs`` need (``stand_ins_needed``) that this engine
    has not built yet, saying so first; return their names (none: nothing to build)."""
    needed = stand_ins_needed(engine, specs, offline=offline)
    if not needed:
        return []
    mirror = find_mirror()
    bound = stand_ins(engine, mirror)
    missing = [n for n in needed if not bound[n].is_built()]
    if missing:
        say(f"building stand-in bases {', '.join(missing)} side by side (once per machine, then reused)")
        build_stand_ins(engine, missing, mirror=mirror, progress=progress)
    return missing


def _pulled(engine: Engine, ref: str) -> bool:
    try:
        engine.pull(ref)
    except RegistryRefused:
        return False
    return True


def build_with_fallback(
    engine: Engine,
    name: str,
    spec: ImageSpec,
    *,
    invocation: str,
    offline: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> BuiltImage:
    """Build with the real bases; replace each one that cannot be had by its ``fallback`` entry.

    Each try stops at the first base that cannot be had (``BaseUnavailable``); its entry is applied
    and the build tried again without pulling, until it builds or a base has no entry (then the
    error says which entry to add). Where nothing stood in, the row is still marked when a ``FROM``
    names a stand-in by hand (``build_image`` reads the base's own labels).
    """
    text = read_dockerfile(name, spec.source)
    args = dict(spec.args)
    swaps: dict[str, str] = {}  # a FROM reference -> the image that replaces it
    replaced: list[tuple[str, str, str]] = []  # (real base, recipe or image, detail)
    applied: set[str] = set()
    while True:
        try:
            built = _build(
                engine, name, spec, text, args, swaps, invocation=invocation, offline=offline or bool(replaced), on_line=on_line
            )
            break
        except BaseUnavailable as exc:
            key = _entry_for(spec, text, args, exc.base)
            if key is None:
                raise _with_hint(exc, spec) from None
            if key in applied:
                raise  # its stand-in is in place and the base is still missing: nothing more to swap
            applied.add(key)
            value = (spec.fallback or {})[key]
            tag, detail = resolve_fallback(engine, name, key, value, on_line)
            if _is_arg(key, spec, text):
                args[key] = tag
            else:
                swaps[key] = tag
            replaced.append((exc.base, value, detail))
    if not replaced:
        return built
    stand_in = {
        "for": ", ".join(r for r, _, _ in replaced),
        "recipe": ", ".join(v for _, v, _ in replaced),
        "detail": "; ".join(d for _, _, d in replaced),
    }
    return dataclasses.replace(built, stand_in=stand_in)


def _build(
    engine: Engine,
    name: str,
    spec: ImageSpec,
    text: str,
    args: dict[str, str],
    swaps: Mapping[str, str],
    **options: object,
) -> BuiltImage:
    """``build_image`` with ``args``, and with ``swaps`` applied to a copy of the Dockerfile."""
    if not swaps:
        return build_image(engine, name, spec.model_copy(update={"args": args}), **options)  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="cprofiler-fallback-") as tmp:
        # Outside the context: the engine gets it under a name of its own, and the user's folder is untouched.
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text(rewrite_from(text, {**arg_defaults(text), **args}, swaps))
        copy = spec.model_copy(update={"args": args, "dockerfile": dockerfile, "template": None, "context": spec.build_context})
        return build_image(engine, name, copy, **options)  # type: ignore[arg-type]


def rewrite_from(dockerfile_text: str, values: Mapping[str, str], swaps: Mapping[str, str]) -> str:
    """``dockerfile_text`` with every ``FROM`` whose image (ARGs substituted with ``values``) is a
    key of ``swaps`` naming that key's value instead; every other line as it was."""

    def sub(m: re.Match[str]) -> str:
        ref = substitute(m.group(2), values)
        return m.group(1) + swaps[ref] if ref in swaps else m.group(0)

    return _FROM.sub(sub, dockerfile_text)


def _is_arg(key: str, spec: ImageSpec, text: str) -> bool:
    return key in spec.args or key in declared_args(text)


def _entry_for(spec: ImageSpec, text: str, args: Mapping[str, str], base: str) -> str | None:
    """The ``fallback`` key that covers the unavailable ``base``: the base itself, or a build arg whose value it is."""
    entries = spec.fallback or {}
    if base in entries:
        return base
    values = {**arg_defaults(text), **args}
    return next((k for k in entries if _is_arg(k, spec, text) and values.get(k) == base), None)


def _with_hint(exc: BaseUnavailable, spec: ImageSpec) -> BaseUnavailable:
    """``exc`` with the ``fallback`` entry that would replace its base, when a recipe stands in for it."""
    recipe = catalog.suggest(exc.base)
    if recipe is None:
        return exc
    where = "add to" if spec.fallback else "give"
    hint = f'{where} the image fallback: {{"{exc.base}": {recipe}}} (cprofiler bases list shows every stand-in)'
    return BaseUnavailable(exc.image_name, exc.base, exc.reason, hint=hint)


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
