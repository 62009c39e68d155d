"""Build the scenario's images, once per set of inputs.

An image's tag is a hash of what went into it, so an unchanged image is found and reused instead
of rebuilt: the Dockerfile text, the build args, the id of every image it names in ``FROM`` or
``COPY --from`` (a base retagged to other content is noticed), and every entry of the build
context the engine is sent (``images.context``: what ``.dockerignore`` leaves in, nothing
skipped besides). Files are hashed in chunks; a pipe, a device or a symlink that leads out of the
context is refused with one line, since the engine could not take it as a file. Content the engine
fetches itself, ``ADD <URL>``, cannot be hashed: such an image is built every time, and says so.

Base images named in ``FROM`` are checked before building: a base that is neither present nor
pullable stops with one line naming it, instead of a build log full of registry errors, or, where
the scenario names a fallback, is replaced by that stand-in (``images.bases``) and the result says so.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from cprofiler.engine import Engine, ImageInfo
from cprofiler.errors import BuildError, EngineError, RegistryRefused, UsageError
from cprofiler.images.bases.dockerfile import stage_leaves
from cprofiler.images.context import context_files
from cprofiler.labels import LABEL, LABEL_DETAIL, LABEL_IMAGE_INPUTS_HASH, LABEL_RECIPE, LABEL_STANDS_IN_FOR, STAND_IN_OWNER
from cprofiler.scenario.model import ImageSpec

_ARG_RE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")


#: Build-log lines of a stand-in base start with this, so progress output can show them apart.
STAND_IN_PREFIX = "[stand-in] "


class BaseUnavailable(BuildError):
    """A ``FROM`` image is not on the engine and cannot be pulled."""

    def __init__(self, image_name: str, base: str, reason: str, *, hint: str | None = None) -> None:
        hint = hint or "build or load it first, or give the image a fallback: a stand-in for it (cprofiler bases list)"
        super().__init__(
            f"image {image_name!r}: base image {base} is not on this engine and could not be pulled ({reason}); {hint}"
        )
        self.image_name = image_name
        self.base = base
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class BuiltImage:
    name: str
    info: ImageInfo
    #: Set when a stand-in base replaced the real one: ``{"for", "recipe", "detail"}``.
    stand_in: dict[str, str] | None = None
    #: True when the image was found by its input hash and not built again.
    reused: bool = False
    #: Why it could not be reused, when that is worth saying (``ADD <URL>``).
    note: str | None = None


#: Bytes read at a time while hashing a context file.
_CHUNK = 1 << 20
#: Largest Dockerfile read, in bytes.
MAX_DOCKERFILE_BYTES = 1 << 20
_REFUSED = {stat.S_IFIFO: "a named pipe", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device"}


def _hash_file(h: hashlib._Hash, full: Path, rel: str, where: str) -> None:
    """Feed one regular file into ``h`` in chunks, never following a link nor blocking on a pipe."""
    try:
        fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UsageError(f"{where}: {rel} cannot be read ({exc.strerror or exc}); the engine could not read it either") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # it changed since it was listed
            raise UsageError(f"{where}: {rel} is no longer a regular file; expected the context to hold still")
        h.update(f"file\0{rel}\0{stat.S_IMODE(st.st_mode):o}\0{st.st_size}\0".encode())
        while chunk := fh.read(_CHUNK):
            h.update(chunk)


def image_inputs_hash(
    dockerfile_text: str,
    args: Mapping[str, str],
    context: Path,
    *,
    dockerfile: Path | None = None,
    image_ids: Mapping[str, str] | None = None,
    where: str = "build context",
) -> str:
    """Hash of everything an image is built from; equal inputs give an equal hash on any machine.

    The Dockerfile text, the build ``args``, ``image_ids`` (every image the Dockerfile names, by
    reference, with the id it has on the engine) and every entry of ``context`` the engine is sent
    for ``dockerfile`` (default ``context/Dockerfile``). UsageError naming ``where`` for an entry
    the engine cannot take as a file: a pipe, a device, a symlink out of the context.
    """
    h = hashlib.sha256()
    h.update(b"dockerfile\0" + dockerfile_text.encode() + b"\0")
    for key in sorted(args):
        h.update(f"arg\0{key}\0{args[key]}\0".encode())
    for ref, image_id in sorted((image_ids or {}).items()):
        h.update(f"image\0{ref}\0{image_id}\0".encode())
    root = context.resolve()
    for rel in context_files(context, dockerfile or context / "Dockerfile"):
        full = context / rel
        try:
            st = os.lstat(full)
        except OSError as exc:
            raise UsageError(f"{where}: {rel} cannot be read ({exc.strerror or exc})") from exc
        if stat.S_ISDIR(st.st_mode):
            h.update(f"dir\0{rel}\0{stat.S_IMODE(st.st_mode):o}\0".encode())
        elif stat.S_ISLNK(st.st_mode):
            target = os.readlink(full)
            if not (full.parent / target).resolve().is_relative_to(root):
                raise UsageError(
                    f"{where}: {rel} is a symlink to {target}, which leads out of the context; the engine would get "
                    "a dangling link: copy the file in, or list it in .dockerignore"
                )
            h.update(f"link\0{rel}\0{target}\0".encode())
        elif stat.S_ISREG(st.st_mode):
            _hash_file(h, full, rel, where)
        elif stat.S_ISSOCK(st.st_mode):
            continue  # the SDK leaves sockets out of the context it sends
        else:
            kind = _REFUSED.get(stat.S_IFMT(st.st_mode), "not a regular file")
            raise UsageError(
                f"{where}: {rel} is {kind}, which the engine cannot take as a file; remove it, or list it in .dockerignore"
            )
    return h.hexdigest()


def base_images(dockerfile_text: str, args: Mapping[str, str]) -> list[str]:
    """The external images a Dockerfile's ``FROM`` lines name, ARGs substituted, stages and scratch left out."""
    values = {**arg_defaults(dockerfile_text), **args}
    stages: set[str] = set()
    bases: list[str] = []
    for word, rest in _instructions(dockerfile_text):
        if word != "FROM":
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        if not parts:
            continue
        ref = substitute(parts[0], values)
        if len(parts) >= 3 and parts[1].lower() == "as":
            stages.add(parts[2].lower())
        if ref.lower() != "scratch" and ref.lower() not in stages and ref not in bases:
            bases.append(ref)
    return bases


def copied_images(dockerfile_text: str, args: Mapping[str, str]) -> list[str]:
    """External images ``COPY --from=IMAGE`` names (not a stage's name or number), ARGs substituted."""
    values = {**arg_defaults(dockerfile_text), **args}
    stages: set[str] = set()
    found: list[str] = []
    for word, rest in _instructions(dockerfile_text):
        if word == "FROM":
            parts = [p for p in rest.split() if not p.startswith("--")]
            if len(parts) >= 3 and parts[1].lower() == "as":
                stages.add(parts[2].lower())
        elif word == "COPY":
            for flag in rest.split():
                if flag.startswith("--from="):
                    ref = substitute(flag.removeprefix("--from="), values)
                    if ref.lower() not in stages and not ref.isdigit() and ref not in found:
                        found.append(ref)
    return found


_REMOTE = re.compile(r"^(https?|git)://|^git@", re.IGNORECASE)


def remote_sources(dockerfile_text: str) -> list[str]:
    """Sources of ``ADD`` that the engine fetches itself (URLs, git repositories), not pinned by
    ``--checksum``: their content is not in the build context, so no hash of ours covers it."""
    found: list[str] = []
    for word, rest in _instructions(dockerfile_text):
        if word != "ADD":
            continue
        try:
            parts = json.loads(rest) if rest.lstrip().startswith("[") else rest.split()
        except ValueError:
            parts = rest.split()
        words = [str(p) for p in parts if isinstance(p, str)]
        if any(w.startswith("--checksum=") for w in words):
            continue
        sources = [w for w in words if not w.startswith("--")][:-1]
        found.extend(src for src in sources if _REMOTE.match(src))
    return found


def _instructions(dockerfile_text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, rest)`` per instruction, continuation lines joined, comments left out."""
    text = re.sub(r"\\\r?\n", " ", dockerfile_text)
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest))
    return out


def declared_args(dockerfile_text: str) -> set[str]:
    """The names of every ``ARG`` line of the Dockerfile, before the first ``FROM`` or in a stage."""
    return {rest.strip().partition("=")[0].strip() for word, rest in _instructions(dockerfile_text) if word == "ARG"}


def arg_defaults(dockerfile_text: str) -> dict[str, str]:
    """Defaults of the ``ARG`` lines before the first ``FROM``."""
    defaults = {}
    for word, rest in _instructions(dockerfile_text):
        if word == "FROM":
            break
        if word == "ARG":
            name, _, value = rest.strip().partition("=")
            defaults[name.strip()] = value.strip().strip('"').strip("'")
    return defaults


def substitute(text: str, values: Mapping[str, str]) -> str:
    """Expand ``$NAME``, ``${NAME}`` and ``${NAME:-default}`` as the Dockerfile parser does."""

    def sub(m: re.Match[str]) -> str:
        return values.get(m.group(1) or m.group(3)) or (m.group(2) or "")

    return _ARG_RE.sub(sub, text)


def ensure_bases(engine: Engine, name: str, dockerfile_text: str, args: Mapping[str, str], *, offline: bool) -> None:
    """Make sure every base image is on the engine, pulling where allowed; else BaseUnavailable."""
    for ref in base_images(dockerfile_text, args):
        if engine.image(ref) is not None:
            continue
        if offline:
            raise BaseUnavailable(name, ref, "--offline: not pulled")
        try:
            engine.pull(ref)
        except RegistryRefused as exc:
            raise BaseUnavailable(name, ref, exc.reason) from exc


def build_image(
    engine: Engine,
    name: str,
    spec: ImageSpec,
    *,
    invocation: str,
    offline: bool = False,
    on_line: Callable[[str], None] | None = None,
) -> BuiltImage:
    """Build (or reuse) the image of one scenario entry (``images.fallback`` swaps a base for a
    stand-in by building a copy of ``spec`` whose build args, or Dockerfile ``FROM`` lines, name it);
    an image FROM a stand-in is marked as one from the stand-in's labels."""
    dockerfile = spec.source
    text = read_dockerfile(name, dockerfile)
    build_args = dict(spec.args)
    context = spec.build_context
    # The bases first: their ids are inputs (a base retagged to other content is a new image).
    ensure_bases(engine, name, text, build_args, offline=offline)
    ids = {}
    stand_in = None
    for ref in [*base_images(text, build_args), *copied_images(text, build_args)]:
        info = engine.image(ref)
        ids[ref] = info.id if info is not None else "not on the engine"  # COPY --from pulls it at build time
        stand_in = stand_in or (stand_in_mark(info.labels) if info is not None else None)
    where = f"image {name!r}: build context {context}"
    digest = image_inputs_hash(text, build_args, context, dockerfile=dockerfile, image_ids=ids, where=where)
    tag = f"cprofiler/{name}:{digest[:16]}"
    remote = remote_sources(text)
    note = None
    if remote:
        note = f"ADD {remote[0]} is fetched by the engine and not hashed, so this image is built every time"
    found = None if remote else engine.image(tag)
    if found is None and not remote:
        # Another scenario entry (or scenario file) may have built the very same inputs already.
        same = engine.image_with_label(LABEL_IMAGE_INPUTS_HASH, digest)
        if same is not None:
            engine.tag(same, tag)
            found = engine.image(tag)
    if found is not None:
        return BuiltImage(name=name, info=found, stand_in=stand_in, reused=True)
    labels = {LABEL: invocation, LABEL_IMAGE_INPUTS_HASH: digest}
    spec_of_build = {"context": context, "dockerfile": dockerfile, "tag": tag, "buildargs": build_args, "labels": labels}
    _engine_build(engine, name, spec_of_build, stand_in, on_line, keep=set(ids.values()))
    built = engine.image(tag)
    if built is None:
        raise BuildError(f"image {name!r}: built, but the engine does not list {tag}")
    return BuiltImage(name=name, info=built, stand_in=stand_in, note=note)


def _engine_build(
    engine: Engine,
    name: str,
    spec: dict[str, Any],
    stand_in: dict[str, str] | None,
    on_line: Callable[[str], None] | None,
    keep: set[str],
) -> None:
    """The engine's build; a failure FROM a stand-in names the stand-in's toolchain. The untagged
    image that ended each earlier stage is removed after: nothing uses it once the image is built,
    and a builder stage FROM a stand-in (a Go toolchain, hundreds of MB) would stay on disk
    carrying the stand-in's labels, counted as a stand-in by ``clean``."""
    log: list[str] = []

    def line(text: str) -> None:
        log.append(text)
        if on_line is not None:
            on_line(text)

    try:
        engine.build(name=name, on_line=line, **spec)
        _remove_stage_leaves(engine, stage_leaves(log), keep)
    except BuildError as exc:
        if stand_in is None:
            raise
        # A stand-in's toolchain is Debian's, not the real base's: say which, since a version
        # (a go.mod's `go 1.23`, a newer Python syntax) is the usual reason such a build fails.
        raise BuildError(
            f"{exc} [built FROM stand-in {stand_in['recipe']} ({stand_in['detail']}), which stands in for {stand_in['for']}]"
        ) from exc


def _remove_stage_leaves(engine: Engine, leaves: list[str], keep: set[str]) -> None:
    """Remove each stage's last image that is neither tagged nor one of the ids in ``keep`` (the
    bases: a stage that is only a ``FROM`` ends on its base, which may be untagged, pulled by
    digest); one still in use stays too."""
    for leaf in leaves:
        info = engine.image(leaf)
        if info is None or info.tags or info.id in keep:
            continue
        try:
            engine.remove_image(info.id)
        except EngineError:
            pass  # a child image or a container uses it: it stays, and costs only disk


def stand_in_mark(labels: Mapping[str, str]) -> dict[str, str] | None:
    """The stand-in mark of an image built FROM a base with these labels, or None for a real base.

    A stand-in carries its recipe, what it stands in for and its versions (``images.bases``), so an
    image whose ``FROM`` names one by hand is marked like one that got it from ``fallback``."""
    if labels.get(LABEL) != STAND_IN_OWNER or LABEL_RECIPE not in labels:
        return None
    return {
        "for": labels.get(LABEL_STANDS_IN_FOR, "?"),
        "recipe": labels[LABEL_RECIPE],
        "detail": labels.get(LABEL_DETAIL, labels[LABEL_RECIPE]),
    }


def read_dockerfile(name: str, path: Path) -> str:
    """The Dockerfile's text: a regular file of at most MAX_DOCKERFILE_BYTES, UTF-8; else UsageError."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UsageError(f"image {name!r}: {path} is not a regular file; expected a Dockerfile")
            raw = fh.read(MAX_DOCKERFILE_BYTES + 1)
        if len(raw) > MAX_DOCKERFILE_BYTES:
            raise UsageError(f"image {name!r}: {path} is over {MAX_DOCKERFILE_BYTES} bytes; expected a Dockerfile")
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"image {name!r}: cannot read {path}: {exc}") from exc
