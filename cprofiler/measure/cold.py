"""Cold levels: what is undone before each run, so that a start is as cold as ``--cold`` asks.

- ``warm`` (default): nothing; the image is present and its files are in the page cache.
- ``cache``: ``sync`` and drop the kernel's page cache, so the image's files (and the engine's own
  binaries) are read from disk again. Needs root on the engine's host.
- ``image``: remove the image and bring it back, pulling it where a registry answers and otherwise
  loading a tarball saved once at the start; the time to bring it back is the run's ``fetch_ms``.
  Layers the image shares with other images on the engine stay, as they would on a node that
  already holds them. An image a running container of another invocation uses (the floor, or an
  image of equal inputs) is not removed from under it: the run waits until it is free. The
  tarballs' folder names its owner (pid, start time, host), and :func:`recover` brings back, from
  there, an image that a killed invocation left removed: the next ``measure`` does so first.

Each level is a small class in the ``COLD_LEVELS`` registry, added by its decorator; the CLI's ``--cold`` help
and choices are built from it, so adding a level is adding a class here.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from cprofiler.errors import CprofilerError, EngineError, ImageInUse, RegistryRefused
from cprofiler.plugins import Registry

if TYPE_CHECKING:  # the CLI imports this module for --cold's choices; keep docker out of that path
    from cprofiler.engine import Engine, ImageInfo

#: The file that drops the page cache when "3" is written to it (clean pages, dentries, inodes).
DROP_CACHES = Path("/proc/sys/vm/drop_caches")
#: Prefix of the folder (in the temporary directory) that holds ``--cold image``'s tarballs.
TARBALLS_PREFIX = "cprofiler-cold-"
#: In that folder: the labels of the invocation that owns it (``reaper.own_labels``).
OWNER_FILE = "owner.json"
#: Longest wait for a container of another invocation to stop using an image, in seconds.
IN_USE_WAIT_S = 60.0


class ColdLevel:
    """One ``--cold`` level. The runner calls ``check``, ``prepare``, ``before_run`` and ``after_run``
    per run, ``close``."""

    #: One line for ``--cold``'s help.
    help: ClassVar[str]

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def check(self) -> None:
        """Raise CprofilerError (naming ``--cold``) if this level cannot work here; before any build."""

    def prepare(self, images: list[ImageInfo], say: Callable[[str], None]) -> None:
        """Once, after the images are built and before the first run."""

    def before_run(self, image: ImageInfo) -> float | None:
        """Make the next run of ``image`` cold; return the time spent fetching it in ms, or None."""
        return None

    def after_run(self, image: ImageInfo) -> None:
        """After a run of ``image`` that returned (``close`` covers one that raised)."""

    def note(self, image: ImageInfo) -> str | None:
        """How this level's figure for a run of ``image`` was obtained, for the run's ``notes``."""
        return None

    def close(self) -> None:
        """Always called at the end, also after an error or interruption: leave the engine as found."""


#: Every level by its ``--cold`` name, warmest first.
COLD_LEVELS: Registry[type[ColdLevel]] = Registry("cold level", flag="--cold")


def names() -> list[str]:
    """Level names, warmest first."""
    return COLD_LEVELS.names()


def make(name: str, engine: Engine) -> ColdLevel:
    return COLD_LEVELS.get(name)(engine)


def help_text() -> str:
    return "How cold each start is: " + "; ".join(f"{n}: {c.help}" for n, c in COLD_LEVELS.items()) + "."


@COLD_LEVELS.register("warm")
class WarmStart(ColdLevel):
    help = "image present, its files in the page cache (default)"


@COLD_LEVELS.register("cache")
class DroppedCache(ColdLevel):
    help = "sync and drop the page cache before each run (root)"

    #: Where to write; a test points it elsewhere to see the refusal.
    path: Path = DROP_CACHES

    def check(self) -> None:
        if not self.engine.is_local():
            raise CprofilerError(
                "--cold cache: the engine is not on this host, so its page cache cannot be dropped from here; "
                "run cprofiler on the engine's host, or use --cold image"
            )
        try:
            # Opening for writing is the permission check; nothing is dropped until a run asks.
            with self.path.open("w"):
                pass
        except OSError as exc:
            raise CprofilerError(
                f"--cold cache: cannot write {self.path} to drop the page cache ({exc.strerror or exc}); "
                "run as root on the engine's host (not in a container with a read-only /proc/sys), or use --cold warm"
            ) from exc

    def before_run(self, image: ImageInfo) -> None:
        # Dirty pages cannot be dropped; write them out first so the drop leaves nothing cached.
        os.sync()
        with self.path.open("w") as fh:
            fh.write("3\n")
        return None


@COLD_LEVELS.register("image")
class RemovedImage(ColdLevel):
    help = "remove the image and pull or load it back before each run (records fetch_ms)"

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._say: Callable[[str], None] = lambda text: None
        self._dir: Path | None = None
        #: image id → how it comes back: ("pull", "repo@sha256:…") or ("load", tarball path).
        self._sources: dict[str, tuple[str, str]] = {}
        #: image id → every tag it had, restored after each fetch (a tarball of an id has none).
        self._tags: dict[str, list[str]] = {}

    def prepare(self, images: list[ImageInfo], say: Callable[[str], None]) -> None:
        self._say = say
        for info in images:
            if info.id in self._sources:
                continue  # scenario entries built from equal inputs share one image
            tags, digests = self.engine.image_refs(info.id)
            self._tags[info.id] = tags
            # A pull by digest brings back exactly this image; a tag may have moved since.
            if digests and self._pulls_back(digests[0]):
                self._sources[info.id] = ("pull", digests[0])
                say(f"--cold image: {info.tag} is pulled back before each run ({digests[0]})")
                continue
            if self._dir is None:
                from cprofiler.reaper import own_labels  # imports the engine: not at the CLI's start

                self._dir = Path(tempfile.mkdtemp(prefix=TARBALLS_PREFIX))
                # Who owns these tarballs: if this process is killed, the next measure puts back
                # what it removed (recover), and leaves the folder of a live one alone.
                (self._dir / OWNER_FILE).write_text(json.dumps(own_labels("cold")))
            tarball = self._dir / (info.id.replace(":", "-") + ".tar")
            say(f"--cold image: saving {info.tag} to {tarball}; it is loaded back before each run")
            self.engine.save_image(info.id, tarball)
            # Written after the tarball is whole: recover() trusts a manifest's tarball.
            manifest = {"id": info.id, "tags": tags, "tarball": tarball.name}
            tarball.with_suffix(".json").write_text(json.dumps(manifest))
            self._sources[info.id] = ("load", str(tarball))

    def before_run(self, image: ImageInfo) -> float | None:
        self._remove(image)
        t0 = time.monotonic_ns()
        self._fetch(image.id)
        fetch_ms = (time.monotonic_ns() - t0) / 1e6
        self._retag(image.id)
        return fetch_ms

    def _remove(self, image: ImageInfo) -> None:
        """Remove ``image``, waiting while a running container of another invocation uses it
        (the engine refuses then, and removing it from under that container would break it)."""
        deadline = time.monotonic() + IN_USE_WAIT_S
        said = False
        while True:
            try:
                self.engine.remove_image(image.id)
                return
            except ImageInUse as exc:
                if time.monotonic() > deadline:
                    raise EngineError(
                        f"--cold image: {image.tag} is still in use after {IN_USE_WAIT_S:g} s ({exc}); --cold image "
                        "removes the image before each run, so run it while no other container uses that image"
                    ) from exc
                if not said:
                    self._say(f"--cold image: {image.tag} is in use by another container; waiting until it is free")
                    said = True
                time.sleep(0.2)

    def _fetch(self, image_id: str) -> None:
        how, where = self._sources[image_id]
        if how == "pull":
            try:
                self.engine.pull(where)
            except RegistryRefused as exc:
                raise EngineError(f"--cold image: pulling {where} back failed ({exc.reason}); use --cold cache") from exc
            return
        self.engine.load_image(Path(where))

    def _pulls_back(self, digest_ref: str) -> bool:
        """Whether the engine can pull ``repo@sha256:…`` (then a pull brings the image back)."""
        try:
            self.engine.pull(digest_ref)
        except RegistryRefused:
            return False
        return True

    def _retag(self, image_id: str) -> None:
        for tag in self._tags.get(image_id, []):
            self.engine.tag(image_id, tag)

    def note(self, image: ImageInfo) -> str | None:
        how, where = self._sources[image.id]
        return f"fetch_ms: pulled {where}" if how == "pull" else "fetch_ms: loaded from a tarball cprofiler saved"

    def close(self) -> None:
        # An interruption between removing and fetching would otherwise leave the image missing.
        for image_id, (how, where) in self._sources.items():
            try:
                if self.engine.image(image_id) is None:
                    self._fetch(image_id)
                    self._retag(image_id)
            except CprofilerError as exc:
                # Keep the tarball: it is the only copy of the image now.
                hint = f"docker load -i {where}" if how == "load" else f"docker pull {where}"
                raise EngineError(f"--cold image: could not bring {image_id[:19]} back ({exc}); run: {hint}") from exc
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


def _own_folder(path: Path) -> bool:
    """A real folder of ours that nobody else may write to: only then are its tarballs trusted."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid() and not st.st_mode & 0o022


def recover(engine: Engine, say: Callable[[str], None]) -> None:
    """Bring back the images that killed ``--cold image`` invocations left removed.

    Each folder of tarballs names its owner; where that invocation is dead (judged as the reaper
    judges containers: never for another host or PID namespace), every image of it the engine
    lacks is loaded back and retagged, and the folder is deleted. Without this a ``--resume``
    would rebuild the image under another id and refuse to go on. A folder is claimed by renaming
    it first, so two invocations never restore the same one.
    """
    from cprofiler.reaper import is_stale

    for folder in sorted(Path(tempfile.gettempdir()).glob(TARBALLS_PREFIX + "*")):
        if not _own_folder(folder):
            continue
        try:
            owner = json.loads((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # still being made, or not ours
        if not isinstance(owner, dict) or not is_stale({str(k): str(v) for k, v in owner.items()}):
            continue
        claimed = folder.with_name(f"cprofiler-restoring-{folder.name.removeprefix(TARBALLS_PREFIX)}")
        try:
            os.rename(folder, claimed)
        except OSError:
            continue  # another invocation claimed it first
        for manifest in sorted(claimed.glob("sha256-*.json")):
            try:
                data = json.loads(manifest.read_text())
                image_id, tags, tarball = str(data["id"]), [str(t) for t in data["tags"]], claimed / str(data["tarball"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            if engine.image(image_id) is not None or tarball.parent != claimed:
                continue
            try:
                engine.load_image(tarball)
                for tag in tags:
                    engine.tag(image_id, tag)
            except CprofilerError as exc:
                os.rename(claimed, folder)  # keep it for the next try, and say how to do it by hand
                raise EngineError(
                    f"--cold image: could not bring back {image_id[:19]}, removed by a killed cprofiler ({exc}); "
                    f"run: docker load -i {folder / tarball.name}"
                ) from exc
            say(f"--cold image: brought back {', '.join(tags) or image_id[:19]}, which a killed cprofiler had removed")
        shutil.rmtree(claimed, ignore_errors=True)
