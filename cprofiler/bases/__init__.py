"""Offline stand-in bases: images built from a Debian mirror where no container registry is reached.

A scenario may name a real base (``python:3.12-alpine``) with a stand-in beside it; when the real
one cannot be pulled, cprofiler builds the stand-in from a recipe here and marks every result that
used it. Each recipe is a class registered with ``@register`` and a folder of files under
``recipes/``; its image is tagged ``cprofiler-base/<name>:<hash>``, the hash covering the recipe's
files, the mirror and the recipes it builds FROM, so it is built once per machine and reused.

    engine = cprofiler.engine.connect()
    bases = stand_ins(engine, find_mirror())
    image = bases["musl-python"].build(progress)   # builds debian-python first, reuses what exists
    image.tag, image.detail, image.missing_modules
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import shutil
import subprocess
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from cprofiler.bases import checks
from cprofiler.bases.checks import RequirementError
from cprofiler.bases.mirror import ENV_MIRROR, Mirror, find_mirror, write_apt_dir
from cprofiler.engine import Engine
from cprofiler.errors import BuildError, EngineError, UsageError
from cprofiler.labels import (
    LABEL,
    LABEL_DETAIL,
    LABEL_MISSING,
    LABEL_RECIPE,
    LABEL_RECIPE_INPUTS_HASH,
    LABEL_STANDS_IN_FOR,
    STAND_IN_OWNER,
)

__all__ = [
    "REGISTRY",
    "BaseImage",
    "Recipe",
    "RequirementError",
    "StandIn",
    "find_mirror",
    "names",
    "register",
    "stand_ins",
]

#: Folder of the recipes' files (package data).
RECIPES_DIR = Path(__file__).parent / "recipes"
#: Run by a stand-in's own python3 to learn its versions and missing modules.
PROBE = RECIPES_DIR / "probe.py"
#: Repository part of every stand-in's tag.
TAG_REPO = "cprofiler-base"
#: The Debian release every recipe builds from.
SUITE = "bookworm"
#: Bumped when the way recipes are built changes, so every stand-in is built anew.
RECIPE_FORMAT = "1"
#: Seconds a probe of a built image may take.
PROBE_TIMEOUT_S = 60.0

#: Called with (recipe name, one line of progress: a phase or a line of the build's log); recipes
#: that build side by side call it from their own threads.
Progress = Callable[[str, str], None]


def _no_progress(name: str, line: str) -> None:
    """The default progress sink: say nothing."""


@dataclass(frozen=True)
class BaseImage:
    """A stand-in as ``cprofiler bases list`` shows it, and as a result row records it."""

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


@dataclass
class BuildJob:
    """What a recipe's ``make`` gets: where to put the image and how to report."""

    engine: Engine
    mirror: Mirror
    tag: str
    #: Full hash of the inputs, recorded as a label.
    inputs: str
    #: Tags of the recipes this one builds FROM, by name.
    dependency_tags: dict[str, str]
    progress: Progress
    labels: dict[str, str] = field(default_factory=dict)

    def say(self, name: str, line: str) -> None:
        self.progress(name, line)


class Recipe(ABC):
    """One stand-in: what it replaces, which files make it, and how they become an image."""

    #: Recipe name, also its folder under ``recipes/`` and the value scenarios use in ``fallback``.
    name: ClassVar[str]
    #: The real images it stands in for, as a user would write them (``python:*-alpine``).
    stands_in_for: ClassVar[str]
    #: Recipes whose images this one builds FROM (built first).
    requires: ClassVar[tuple[str, ...]] = ()
    #: Modules the image's python3 must import, or the build fails.
    required_modules: ClassVar[tuple[str, ...]] = ()

    @property
    def directory(self) -> Path:
        return RECIPES_DIR / self.name

    def files(self) -> list[Path]:
        """Every file that goes into the image's inputs hash, in a stable order."""
        own = sorted(p for p in self.directory.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        return [*own, PROBE]

    def check(self) -> None:  # noqa: B027 - most recipes need nothing beyond the engine
        """Raise RequirementError for the first thing this machine lacks to build the recipe."""

    @abstractmethod
    def make(self, job: BuildJob) -> tuple[str, dict[str, str]]:
        """Build the image as ``job.tag``; return its id and the labels learnt from it (detail, missing)."""


#: Every recipe, by name.
REGISTRY: dict[str, Recipe] = {}


R = TypeVar("R", bound=type[Recipe])


def register(cls: R) -> R:
    """Class decorator: add a recipe to ``REGISTRY``."""
    REGISTRY[cls.name] = cls()
    return cls


def names() -> list[str]:
    return sorted(REGISTRY)


def get_recipe(name: str) -> Recipe:
    try:
        return REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown stand-in base {name!r}; the recipes are: {', '.join(names())}") from None


# --- inputs, tags and labels --------------------------------------------------------------------


def inputs_hash(recipe: Recipe, mirror: Mirror, dependency_tags: dict[str, str]) -> str:
    """sha256 over the recipe's files, the mirror, the suite and the tags of what it builds FROM."""
    h = hashlib.sha256()

    def put(key: str, value: bytes) -> None:
        h.update(f"{key}\0{len(value)}\0".encode())
        h.update(value)

    put("format", RECIPE_FORMAT.encode())
    put("name", recipe.name.encode())
    put("suite", SUITE.encode())
    put("mirror", mirror.fingerprint().encode())
    for path in recipe.files():
        put(f"file:{path.relative_to(RECIPES_DIR).as_posix()}", path.read_bytes())
    for dep in sorted(dependency_tags):
        put(f"from:{dep}", dependency_tags[dep].encode())
    return h.hexdigest()


def _tags(mirror: Mirror) -> dict[str, tuple[str, str]]:
    """``name -> (tag, full inputs hash)`` for every recipe (a recipe's hash covers its parents' tags)."""
    done: dict[str, tuple[str, str]] = {}

    def visit(name: str, path: tuple[str, ...]) -> str:
        if name in done:
            return done[name][0]
        if name in path:
            raise BuildError(f"stand-in recipes build FROM each other in a circle: {' -> '.join((*path, name))}")
        recipe = get_recipe(name)
        deps = {d: visit(d, (*path, name)) for d in recipe.requires}
        digest = inputs_hash(recipe, mirror, deps)
        done[name] = (f"{TAG_REPO}/{name}:{digest[:16]}", digest)
        return done[name][0]

    for name in names():
        visit(name, ())
    return done


def _parse_probe(output: str) -> dict[str, object]:
    """The probe's JSON line (the last line of ``output`` that is a JSON object)."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                found = json.loads(line)
            except ValueError:
                continue
            if isinstance(found, dict):
                return found
    raise ValueError("no JSON line in the probe's output")


# --- bound to one engine and mirror -------------------------------------------------------------


class StandIn:
    """A recipe bound to one engine and one mirror: its tag, whether it is built, and its build."""

    def __init__(self, recipe: Recipe, engine: Engine, mirror: Mirror, tags: dict[str, tuple[str, str]]) -> None:
        self.recipe = recipe
        self.engine = engine
        self.mirror = mirror
        self.tag, self.inputs = tags[recipe.name]

    @property
    def name(self) -> str:
        return self.recipe.name

    def is_built(self) -> bool:
        """True when the engine has this exact build (same inputs) with its probe labels."""
        info = self.engine.image(self.tag)
        return info is not None and info.labels.get(LABEL_RECIPE_INPUTS_HASH) == self.inputs and LABEL_DETAIL in info.labels

    def info(self) -> BaseImage:
        """What ``cprofiler bases list`` shows for this stand-in."""
        image = self.engine.image(self.tag)
        built = image is not None and image.labels.get(LABEL_RECIPE_INPUTS_HASH) == self.inputs and LABEL_DETAIL in image.labels
        if image is None or not built:
            return BaseImage(name=self.name, stands_in_for=self.recipe.stands_in_for, tag=self.tag, built=False)
        missing = tuple(m for m in image.labels.get(LABEL_MISSING, "").split(",") if m)
        return BaseImage(
            name=self.name,
            stands_in_for=self.recipe.stands_in_for,
            tag=self.tag,
            built=True,
            size_bytes=image.size_bytes,
            detail=image.labels.get(LABEL_DETAIL),
            missing_modules=missing,
        )

    def build(self, progress: Progress | None = None, *, force: bool = False) -> BaseImage:
        """Build this stand-in (and the ones it builds FROM) unless built; return its ``info()``."""
        return build(self.engine, [self.name], mirror=self.mirror, progress=progress, force=force)[0]


def stand_ins(engine: Engine, mirror: Mirror) -> dict[str, StandIn]:
    """Every recipe bound to ``engine`` and ``mirror``, by name."""
    tags = _tags(mirror)
    return {name: StandIn(REGISTRY[name], engine, mirror, tags) for name in names()}


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


def build(
    engine: Engine,
    wanted: list[str] | None = None,
    *,
    mirror: Mirror,
    progress: Progress | None = None,
    force: bool = False,
) -> list[BaseImage]:
    """Build the ``wanted`` stand-ins (all by default) and their parents, reusing built ones.

    Every requirement of every recipe that will be built is checked before the first one starts,
    so a missing tool is reported at once, not after minutes of building. ``force`` rebuilds the
    ``wanted`` ones (not their parents). Returns the ``wanted`` stand-ins' ``info()``.
    """
    say = progress or _no_progress
    wanted = list(wanted or names())
    for name in wanted:
        get_recipe(name)
    bound = stand_ins(engine, mirror)
    todo = [n for n in _build_order(wanted) if (force and n in wanted) or not bound[n].is_built()]
    for name in todo:
        REGISTRY[name].check()
    if todo:
        root = engine.data_root()
        if root and engine.is_local() and Path(root).exists():
            checks.check_free_space(Path(root), checks.MIN_FREE_ENGINE_BYTES, "the Docker engine's data directory")

    def make(name: str) -> None:
        with _build_lock(name, lambda: say(name, "waiting: another cprofiler process is building it")):
            if not force and bound[name].is_built():
                say(name, f"built meanwhile by another cprofiler process: {bound[name].tag}")
                return
            make_unlocked(name)

    def make_unlocked(name: str) -> None:
        stand_in = bound[name]
        recipe = stand_in.recipe
        job = BuildJob(
            engine=engine,
            mirror=mirror,
            tag=stand_in.tag,
            inputs=stand_in.inputs,
            dependency_tags={d: bound[d].tag for d in recipe.requires},
            progress=say,
            labels={
                LABEL: STAND_IN_OWNER,
                LABEL_RECIPE: name,
                LABEL_STANDS_IN_FOR: recipe.stands_in_for,
                LABEL_RECIPE_INPUTS_HASH: stand_in.inputs,
            },
        )
        started = time.monotonic()
        say(name, f"building {stand_in.tag} (stand-in for {recipe.stands_in_for}) from {mirror.archive}")
        recipe.make(job)
        say(name, f"built {stand_in.tag} in {time.monotonic() - started:.0f} s")

    # Recipes whose parents are built go together: musl-python's compiler keeps both cores busy
    # while go-builder mostly downloads and unpacks, so side by side they take the time of one.
    for wave in _waves(todo):
        if len(wave) == 1:
            make(wave[0])
            continue
        with ThreadPoolExecutor(max_workers=len(wave), thread_name_prefix="cprofiler-base") as pool:
            futures = [pool.submit(make, name) for name in wave]
            for future in futures:
                future.result()  # the first failure, in wave order, is the one reported
    return [bound[n].info() for n in wanted]


@contextmanager
def _build_lock(name: str, on_wait: Callable[[], None]) -> Iterator[None]:
    """Hold this machine's lock for building stand-in ``name``.

    Two cprofiler processes (a test run and a measure, say) that both find a stand-in missing
    would otherwise both spend minutes building the same image; the second waits and reuses it.
    """
    path = Path(tempfile.gettempdir()) / f"cprofiler-base-{name}.lock"
    with path.open("a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _waves(todo: list[str]) -> list[list[str]]:
    """``todo`` (parents first) in groups that can build side by side: each after its parents."""
    depth: dict[str, int] = {}
    for name in todo:
        depth[name] = 1 + max((depth[d] for d in get_recipe(name).requires if d in depth), default=-1)
    return [[n for n in todo if depth[n] == level] for level in range(max(depth.values(), default=-1) + 1)]


# --- shared steps -------------------------------------------------------------------------------


def run_in_image(engine: Engine, image: str, command: list[str], *, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[int | None, str]:
    """Run ``command`` in a fresh container of ``image``; return its exit code and output.

    The container carries this process's owner labels (so a crash leaves nothing ``cprofiler
    clean`` cannot judge) and is removed whatever happens; past ``timeout_s`` it is removed while
    running, and the exit code is None.
    """
    from cprofiler.reaper import own_labels  # here: the reaper imports the engine, not the bases

    container = engine.create(
        image=image, command=command, env={}, labels=own_labels(STAND_IN_OWNER), memory_limit_bytes=None, cpus=None
    )
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        engine.remove(container)  # ends the output stream below

    timer = threading.Timer(timeout_s, expire)
    try:
        output = engine.attach_output(container)
        engine.start(container)
        timer.start()
        text = b"".join(output).decode(errors="replace")
        code = None if timed_out.is_set() else engine.wait_exit(container)
        return (None if timed_out.is_set() else code), text
    finally:
        timer.cancel()
        engine.remove(container)


def _probe_labels(recipe: Recipe, found: dict[str, object], detail: str) -> dict[str, str]:
    """Check the probe's answer against ``recipe.required_modules``; return the labels to record."""
    listed = found.get("missing")
    missing = [str(m) for m in listed] if isinstance(listed, list) else []
    lacking = [m for m in recipe.required_modules if m in missing]
    if lacking:
        raise BuildError(
            f"stand-in {recipe.name!r} was built, but its python3 cannot import {', '.join(lacking)}; "
            f"see the recipe in {recipe.directory}"
        )
    return {LABEL_DETAIL: detail, LABEL_MISSING: ",".join(missing)}


def label_instruction(labels: dict[str, str]) -> str:
    """One Dockerfile ``LABEL`` line for all ``labels`` (the engine's ``labels`` build option adds
    one build step per label, seconds each on a busy engine)."""
    return "LABEL " + " ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items())) + "\n"


def _label_image(job: BuildJob, name: str, image_id: str, labels: dict[str, str]) -> str:
    """Give ``image_id`` more labels and move ``job.tag`` to the result (an engine keeps labels
    immutable: a two-line build FROM the image adds them without a new layer)."""
    with tempfile.TemporaryDirectory(prefix="cprofiler-label-") as tmp:
        dockerfile = Path(tmp) / "Dockerfile"
        dockerfile.write_text(f"FROM {image_id}\n" + label_instruction({**job.labels, **labels}))
        return job.engine.build(
            name=f"stand-in {name}", context=Path(tmp), dockerfile=dockerfile, tag=job.tag, buildargs={}, labels={}
        )


def stage_leaves(log: list[str]) -> list[str]:
    """Ids of the images that ended each stage but the last, read from a classic build's log."""
    leaves: list[str] = []
    last: str | None = None
    for line in log:
        if re.match(r"^Step \d+/\d+ : FROM ", line, flags=re.IGNORECASE):
            if last is not None:
                leaves.append(last)
            last = None
        elif m := re.match(r"^ ---> ([0-9a-f]{12,64})$", line):
            last = m.group(1)
    return leaves


class DockerfileRecipe(Recipe):
    """A recipe that is a Dockerfile (plus files) built FROM other stand-ins, then probed."""

    def probe_command(self) -> list[str]:
        """The command whose output ``detail_from`` reads; by default the Python probe."""
        return ["python3", "-c", PROBE.read_text()]

    @abstractmethod
    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        """Read the probe command's output: return the detail string and the probe's JSON."""

    def make(self, job: BuildJob) -> tuple[str, dict[str, str]]:
        log: list[str] = []

        def on_line(line: str) -> None:
            log.append(line)
            job.say(self.name, line)

        with tempfile.TemporaryDirectory(prefix=f"cprofiler-{self.name}-") as tmp:
            context = Path(tmp) / "context"
            shutil.copytree(self.directory, context)
            dockerfile = context / "Dockerfile"
            with dockerfile.open("a") as f:
                f.write(label_instruction(job.labels))
            args = {"SUITE": SUITE}
            if self.requires:
                args["BASE"] = job.dependency_tags[self.requires[0]]
            # Host networking: the mirror is whatever the host's apt reaches (a proxy on
            # localhost included), which a container on the default bridge may not.
            image_id = job.engine.build(
                name=f"stand-in {self.name}",
                context=context,
                dockerfile=dockerfile,
                tag=job.tag,
                buildargs=args,
                labels={},
                on_line=on_line,
                network_mode="host",
            )
        try:
            job.say(self.name, "probing the image for its versions and modules")
            code, output = run_in_image(job.engine, image_id, self.probe_command())
            try:
                detail, found = self.detail_from(output)
            except (ValueError, KeyError) as exc:
                raise BuildError(f"stand-in {self.name!r}: its probe failed (exit {code}): {output.strip()[-400:]}") from exc
            labels = _probe_labels(self, found, detail)
            final = _label_image(job, self.name, image_id, labels)
        except BaseException:
            _remove_images(job.engine, [image_id])  # a stand-in that failed its probe is no stand-in
            raise
        finally:
            # The engine keeps the last image of every earlier stage (musl-python's builder:
            # compilers and sources, ~700 MB); nothing reuses it once the stand-in is tagged.
            _remove_images(job.engine, stage_leaves(log))
        return final, labels


def _remove_images(engine: Engine, refs: list[str]) -> None:
    for ref in refs:
        try:
            engine.remove_image(ref)
        except EngineError:
            pass  # in use by a build running right now: it stays, and costs only disk


# --- the recipes --------------------------------------------------------------------------------


def _python_detail(found: dict[str, object]) -> str:
    return f"CPython {found.get('python')}"


@register
class DebianPython(Recipe):
    """Minimal Debian with python3 and its full standard library, imported from a debootstrap tree."""

    name = "debian-python"
    stands_in_for = "ubuntu + python3"
    required_modules = ("socket", "select", "asyncio", "json", "http.server", "resource")

    def check(self) -> None:
        checks.check_root(self.name)
        checks.check_tool("debootstrap", "debootstrap", self.name)
        checks.check_tool("chroot", "coreutils", self.name)
        checks.check_tool("tar", "tar", self.name)
        checks.check_free_space(Path(tempfile.gettempdir()), checks.MIN_FREE_TMP_BYTES, "the temporary directory")

    def make(self, job: BuildJob) -> tuple[str, dict[str, str]]:
        tmp = Path(tempfile.mkdtemp(prefix="cprofiler-rootfs-"))
        try:
            rootfs, apt_dir = tmp / "rootfs", tmp / "apt"
            write_apt_dir(job.mirror, SUITE, apt_dir)
            job.say(self.name, f"debootstrap {SUITE} (minbase + python3)")
            script = self.directory / "rootfs.sh"
            _run_logged(
                job,
                self.name,
                ["sh", str(script), SUITE, job.mirror.archive, str(rootfs), str(apt_dir)],
                what=f"debootstrap of {SUITE} from {job.mirror.archive} (named by {job.mirror.origin}; "
                f"name another mirror with --mirror URL or ${ENV_MIRROR})",
            )
            job.say(self.name, "probing the root filesystem for its versions and modules")
            chroot = checks.which_sbin("chroot") or "chroot"
            probe = subprocess.run(  # noqa: S603 - fixed argv, the probe is our own file
                [chroot, str(rootfs), "python3", "-c", PROBE.read_text()],
                capture_output=True,
                text=True,
                timeout=PROBE_TIMEOUT_S,
                check=False,
            )
            try:
                found = _parse_probe(probe.stdout)
            except ValueError as exc:
                raise BuildError(
                    f"stand-in {self.name!r}: python3 in the new root filesystem failed: {probe.stderr[-400:]}"
                ) from exc
            detail = f"Debian {found.get('debian')} ({found.get('libc')} {found.get('libc_version')}), {_python_detail(found)}"
            labels = _probe_labels(self, found, detail)
            job.say(self.name, "importing the root filesystem into the engine")
            changes = ['CMD ["python3"]', label_instruction({**job.labels, **labels}).strip()]
            with _tar_stream(rootfs) as chunks:
                image_id = job.engine.import_image(chunks, tag=job.tag, changes=changes)
            return image_id, labels
        finally:
            _remove_tree(tmp)


@register
class MuslPython(DockerfileRecipe):
    """FROM scratch: busybox, Debian's musl and CPython compiled against it from Debian's sources."""

    name = "musl-python"
    stands_in_for = "python:*-alpine"
    requires = ("debian-python",)
    required_modules = ("socket", "select", "asyncio", "json", "http.server")

    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        found = _parse_probe(output)
        if found.get("libc") != "musl":
            raise ValueError(f"the image's python3 is not linked against musl: {found.get('libc')!r}")
        return f"musl {found['libc_version']}, busybox {found.get('busybox')}, {_python_detail(found)}", found


@register
class GoBuilder(DockerfileRecipe):
    """The debian-python stand-in plus Debian's Go toolchain, for a Go template's builder stage."""

    name = "go-builder"
    stands_in_for = "golang:*"
    requires = ("debian-python",)

    def probe_command(self) -> list[str]:
        return ["sh", "-c", "cat /etc/debian_version && go version"]

    def detail_from(self, output: str) -> tuple[str, dict[str, object]]:
        lines = [line.strip() for line in output.splitlines() if line.strip()]
        go = next((line.split() for line in lines if line.startswith("go version ")), None)
        if not lines or go is None or len(go) < 3:
            raise ValueError("no `go version` line")
        return f"Debian {lines[0]}, Go {go[2].removeprefix('go')}", {"missing": []}


# --- host-side helpers --------------------------------------------------------------------------


def _run_logged(job: BuildJob, name: str, argv: list[str], *, what: str) -> None:
    """Run ``argv``, passing each output line to progress; raise BuildError with the tail on failure."""
    tail: list[str] = []
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace") as proc:  # noqa: S603
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip("\n")
            tail = [*tail[-19:], line]
            job.say(name, line)
        code = proc.wait()
    if code != 0:
        lines = "\n    ".join(tail)
        raise BuildError(f"stand-in {name!r}: {what} failed (exit {code}); last lines:\n    {lines}")


class _tar_stream:
    """``with _tar_stream(root) as chunks``: a tar of ``root`` (device nodes left out), read as made."""

    def __init__(self, root: Path) -> None:
        # The engine makes /dev itself; the numeric owners keep the rootfs's own root user.
        self.proc = subprocess.Popen(  # noqa: S603
            ["tar", "-C", str(root), "--numeric-owner", "--exclude=./dev/*", "-cf", "-", "."],  # noqa: S607
            stdout=subprocess.PIPE,
        )

    def __enter__(self) -> Iterator[bytes]:
        def chunks() -> Iterator[bytes]:
            assert self.proc.stdout is not None
            while block := self.proc.stdout.read(1 << 20):
                yield block

        return chunks()

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        code = self.proc.wait()
        if code != 0 and exc[0] is None:
            raise BuildError(f"tar of the root filesystem failed (exit {code})")


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below ``path`` (debootstrap mounts /proc and /sys in its target)."""
    prefix = str(path.resolve()).rstrip("/") + "/"
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                point = line.split()[1].replace("\\040", " ")
                if point.startswith(prefix):
                    found.append(point)
    except OSError:
        pass  # no /proc: nothing can be mounted we could learn of
    return sorted(found, key=len, reverse=True)


def _remove_tree(path: Path) -> None:
    """Remove the temporary root filesystem, never following a mount out of it.

    A failed debootstrap can leave /proc, /sys or a bind mount of the host's /dev inside the
    target; removing through those would delete the host's files, so they are unmounted first and
    the tree is kept (and named) if any stays mounted.
    """
    for point in _mounts_under(path):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)  # noqa: S603, S607
    if _mounts_under(path):
        raise BuildError(f"{path} still has file systems mounted in it; unmount them and remove it by hand")
    shutil.rmtree(path, ignore_errors=True)
