"""Stand-ins bound to one engine and mirror, and their build: in order, side by side, once per machine.

engine = cprofiler.engine.connect()
bound = stand_ins(engine, find_mirror())
status = bound["musl-python"].build(progress)   # builds debian-python first, reuses what exists
status.tag, status.detail, status.missing_modules
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cprofiler.engine import Engine, ImageInfo
from cprofiler.errors import BuildError
from cprofiler.images.bases import checks
from cprofiler.images.bases.catalog import get_recipe, names
from cprofiler.images.bases.inputs import stand_in_tags
from cprofiler.images.bases.mirror import Mirror
from cprofiler.images.bases.registry import BuildJob, Progress, Recipe
from cprofiler.labels import (
    LABEL,
    LABEL_DETAIL,
    LABEL_MISSING,
    LABEL_RECIPE,
    LABEL_RECIPE_INPUTS_HASH,
    LABEL_STANDS_IN_FOR,
    STAND_IN_OWNER,
)


def _no_progress(name: str, line: str) -> None:
    """The default progress sink: say nothing."""


@dataclass(frozen=True)
class StandInStatus:
    """A stand-in's row in ``cprofiler bases list``: what it is, and whether and how it is built."""

    name: str
    stands_in_for: str
    tag: str
    built: bool
    #: Uncompressed image size as the engine reports it, in bytes; None when not built.
    size_bytes: int | None = None
    #: Versions inside, e.g. ``musl 1.2.3, busybox 1.35.0, CPython 3.11.2``; None when not built.
    detail: str | None = None
    #: Modules an official image of this kind has and this stand-in lacks (``ssl``, ``sqlite3``).
    missing_modules: tuple[str, ...] = ()


class StandIn:
    """A recipe bound to one engine and one mirror: its tag, whether it is built, and its build."""

    def __init__(self, recipe: Recipe, engine: Engine, mirror: Mirror, tags: dict[str, tuple[str, str]]) -> None:
        self.recipe = recipe
        self.engine = engine
        self.mirror = mirror
        #: The image's tag, and the full inputs hash whose first digits it carries.
        self.tag, self.inputs_hash = tags[recipe.name]

    @property
    def name(self) -> str:
        return self.recipe.name

    def _built_image(self) -> ImageInfo | None:
        """The engine's image of this exact build (same inputs) with its probe labels, or None."""
        image = self.engine.image(self.tag)
        if image is None or image.labels.get(LABEL_RECIPE_INPUTS_HASH) != self.inputs_hash or LABEL_DETAIL not in image.labels:
            return None
        return image

    def is_built(self) -> bool:
        """True when the engine has this exact build (same inputs) with its probe labels."""
        return self._built_image() is not None

    def status(self) -> StandInStatus:
        """What ``cprofiler bases list`` shows for this stand-in."""
        image = self._built_image()
        if image is None:
            return StandInStatus(name=self.name, stands_in_for=self.recipe.stands_in_for, tag=self.tag, built=False)
        return StandInStatus(
            name=self.name,
            stands_in_for=self.recipe.stands_in_for,
            tag=self.tag,
            built=True,
            size_bytes=image.size_bytes,
            detail=image.labels.get(LABEL_DETAIL),
            missing_modules=tuple(m for m in image.labels.get(LABEL_MISSING, "").split(",") if m),
        )

    def build(self, progress: Progress | None = None, *, force: bool = False) -> StandInStatus:
        """Build this stand-in (and the ones it builds FROM) unless built; return its ``status()``."""
        return build_stand_ins(self.engine, [self.name], mirror=self.mirror, progress=progress, force=force)[0]


def stand_ins(engine: Engine, mirror: Mirror) -> dict[str, StandIn]:
    """Every recipe bound to ``engine`` and ``mirror``, by name."""
    tags = stand_in_tags(mirror)
    return {name: StandIn(get_recipe(name), engine, mirror, tags) for name in names()}


def _build_order(wanted: list[str]) -> list[str]:
    """``wanted`` and what they build FROM, parents first."""
    order: list[str] = []

    def visit(name: str) -> None:
        for dep in get_recipe(name).requires:
            visit(dep)
        if name not in order:
            order.append(name)

    for name in wanted:
        visit(name)
    return order


def _waves(todo: list[str]) -> list[list[str]]:
    """``todo`` (parents first) in groups that can build side by side: each after its parents."""
    depth: dict[str, int] = {}
    for name in todo:
        depth[name] = 1 + max((depth[d] for d in get_recipe(name).requires if d in depth), default=-1)
    return [[n for n in todo if depth[n] == level] for level in range(max(depth.values(), default=-1) + 1)]


@contextmanager
def _build_lock(name: str, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold this machine's lock for building stand-in ``name``.

    Two cprofiler processes (a test run and a measure, say) that both find a stand-in missing
    would otherwise both spend minutes building the same image; the second waits and reuses it.
    """
    path = Path(tempfile.gettempdir()) / f"cprofiler-base-{name}.lock"
    # O_NOFOLLOW: the folder is shared, and a symbolic link planted there must not make this open
    # (and create) a file elsewhere.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise BuildError(f"stand-in {name}: cannot open its build lock {path}: {exc.strerror}") from None
    with os.fdopen(fd, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def build_stand_ins(
    engine: Engine,
    wanted: list[str] | None = None,
    *,
    mirror: Mirror,
    progress: Progress | None = None,
    force: bool = False,
) -> list[StandInStatus]:
    """Build the ``wanted`` stand-ins (all by default) and their parents, reusing built ones.

    Every requirement of every recipe that will be built is checked before the first one starts,
    so a missing tool is reported at once, not after minutes of building. ``force`` rebuilds the
    ``wanted`` ones (not their parents). Returns the ``wanted`` stand-ins' ``status()``.
    """
    say = progress or _no_progress
    wanted = list(wanted or names())
    for name in wanted:
        get_recipe(name)
    bound = stand_ins(engine, mirror)
    todo = [n for n in _build_order(wanted) if (force and n in wanted) or not bound[n].is_built()]
    _check_before_building(engine, [bound[n] for n in todo])
    # Recipes whose parents are built go together: musl-python's compiler keeps both cores busy
    # while go-builder mostly downloads and unpacks, so side by side they take the time of one.
    for wave in _waves(todo):
        if len(wave) == 1:
            _make(bound, wave[0], say, force=force)
            continue
        with ThreadPoolExecutor(max_workers=len(wave), thread_name_prefix="cprofiler-base") as pool:
            futures = [pool.submit(_make, bound, name, say, force=force) for name in wave]
            for future in futures:
                future.result()  # the first failure, in wave order, is the one reported
    return [bound[n].status() for n in wanted]


def _check_before_building(engine: Engine, todo: list[StandIn]) -> None:
    """Every requirement of every recipe to build, and the engine's free disk space, or the error."""
    for stand_in in todo:
        stand_in.recipe.check()
    if todo:
        root = engine.data_root()
        if root and engine.is_local() and Path(root).exists():
            checks.check_free_space(Path(root), checks.MIN_FREE_ENGINE_BYTES, "the Docker engine's data directory")


def _make(bound: dict[str, StandIn], name: str, say: Progress, *, force: bool) -> None:
    """Build stand-in ``name`` under this machine's lock, unless another process built it meanwhile."""
    with _build_lock(name, lambda: say(name, "waiting: another cprofiler process is building it")):
        if not force and bound[name].is_built():
            say(name, f"built meanwhile by another cprofiler process: {bound[name].tag}")
            return
        _make_unlocked(bound, bound[name], say)


def _make_unlocked(bound: dict[str, StandIn], stand_in: StandIn, say: Progress) -> None:
    """Run ``stand_in``'s recipe, FROM the tags of the stand-ins it requires, with its labels."""
    recipe = stand_in.recipe
    job = BuildJob(
        engine=stand_in.engine,
        mirror=stand_in.mirror,
        tag=stand_in.tag,
        dependency_tags={d: bound[d].tag for d in recipe.requires},
        progress=say,
        labels={
            LABEL: STAND_IN_OWNER,
            LABEL_RECIPE: recipe.name,
            LABEL_STANDS_IN_FOR: recipe.stands_in_for,
            LABEL_RECIPE_INPUTS_HASH: stand_in.inputs_hash,
        },
    )
    started = time.monotonic()
    say(recipe.name, f"building {stand_in.tag} (stand-in for {recipe.stands_in_for}) from {stand_in.mirror.archive}")
    recipe.make(job)
    say(recipe.name, f"built {stand_in.tag} in {time.monotonic() - started:.0f} s")
