"""The engine's image calls: inspect, list, build, tag, pull, push, save, load, import, remove.

One short method per engine call, each inside :func:`~cprofiler.engine.faults.engine_call`. A pull
and a push share one error contract: the engine refusing the transfer is
:class:`~cprofiler.errors.RegistryRefused` (with the one-line reason), an engine that cannot be
reached is an :class:`~cprofiler.errors.EngineError`; neither returns a reason to look at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NotRequired, TypedDict, Unpack

import docker
import docker.errors
from docker.utils.build import exclude_paths

from cprofiler.engine.faults import engine_call, refusal
from cprofiler.errors import BuildError, EngineError, ImageInUse, RegistryRefused
from cprofiler.labels import LABEL

#: Lines of the build log a failed build's message carries: where the cause of a failed ``RUN`` is.
BUILD_LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class ImageInfo:
    """What cprofiler records about a built image."""

    tag: str
    #: Content-addressed image id (``sha256:…``).
    id: str
    #: Uncompressed size of the image as the engine reports it, in bytes.
    size_bytes: int
    #: Number of filesystem layers (``RootFS.Layers``).
    layers: int
    labels: dict[str, str]
    #: The user the image runs as (``Config.User``: ``""`` means root, else a name or ``uid[:gid]``).
    user: str = ""
    #: The ports its ``EXPOSE`` lines declare (``Config.ExposedPorts``: ``("8080/tcp",)``), sorted.
    exposed_ports: tuple[str, ...] = ()
    #: Every ``repo:tag`` the engine lists for it (``RepoTags``); empty for an untagged image.
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabelledImage:
    """An image on the engine that carries the ``cprofiler`` label (``Engine.labelled_images``)."""

    #: Content-addressed image id (``sha256:…``).
    id: str
    #: Its tags (``cprofiler/web:3f2a…``); empty for an untagged one.
    tags: list[str]
    #: Uncompressed size as the engine reports it, in bytes (layers shared with others included).
    size_bytes: int
    #: When it was built, in seconds since the epoch.
    created_s: int
    #: The ``cprofiler`` label's value: an invocation id, or ``base`` on stand-in bases.
    owner: str


class BuildSpec(TypedDict):
    """What :meth:`ImageCalls.build` builds."""

    #: The scenario image's name, for messages.
    name: str
    #: The build context folder.
    context: Path
    dockerfile: Path
    tag: str
    buildargs: Mapping[str, str]
    labels: Mapping[str, str]
    #: Called with each line of the build log as it arrives.
    on_line: NotRequired[Callable[[str], None] | None]
    #: The build's network (``none``: no network for ``RUN`` steps); None: the engine's default.
    network_mode: NotRequired[str | None]


def build_context_entries(root: str, exclude: list[str], dockerfile: str) -> set[str]:
    """The entries of the folder ``root`` that :meth:`ImageCalls.build` sends to the engine: the
    SDK's own selection for ``.dockerignore`` patterns ``exclude`` and Dockerfile ``dockerfile``
    (a path relative to ``root``), as relative ``/``-separated paths."""
    return set(exclude_paths(root, exclude, dockerfile=dockerfile))


def _refused(verb: str, ref: str, reason: str) -> RegistryRefused:
    return RegistryRefused(f"Docker engine: {verb} {ref} failed: {reason}", reason)


class ImageCalls:
    """The image half of :class:`~cprofiler.engine.facade.Engine`."""

    api: docker.APIClient

    def image(self, ref: str) -> ImageInfo | None:
        """Return the local image ``ref``, or None when the engine does not have it."""
        with engine_call(f"inspect image {ref}"):
            try:
                data = self.api.inspect_image(ref)
            except docker.errors.APIError as exc:
                if exc.status_code == 404:  # ImageNotFound among others
                    return None
                raise
        tags = data.get("RepoTags") or [ref]
        config = data.get("Config") or {}
        return ImageInfo(
            tag=ref if ref in tags else tags[0],
            id=data["Id"],
            size_bytes=int(data.get("Size") or 0),
            layers=len((data.get("RootFS") or {}).get("Layers") or []),
            labels=dict(config.get("Labels") or {}),
            user=str(config.get("User") or ""),
            exposed_ports=tuple(sorted(str(p) for p in config.get("ExposedPorts") or {})),
            tags=tuple(data.get("RepoTags") or ()),
        )

    def labelled_images(self) -> list[LabelledImage]:
        """Every image carrying the ``cprofiler`` label, newest first (so an image comes before the
        images it was built FROM, which the engine will not remove while a child exists)."""
        with engine_call("list images"):
            found = self.api.images(filters={"label": LABEL})
        images = [
            LabelledImage(
                id=str(i["Id"]),
                tags=[t for t in i.get("RepoTags") or [] if t != "<none>:<none>"],
                size_bytes=int(i.get("Size") or 0),
                created_s=int(i.get("Created") or 0),
                owner=str((i.get("Labels") or {}).get(LABEL, "")),
            )
            for i in found
        ]
        return sorted(images, key=lambda i: i.created_s, reverse=True)

    def containers_of_image(self, image_id: str) -> list[str]:
        """Ids of containers (running or not) made from ``image_id`` or from an image built FROM it."""
        with engine_call(f"list containers of image {image_id[:19]}"):
            found = self.api.containers(all=True, filters={"ancestor": image_id})
        return [str(c["Id"]) for c in found]

    def image_with_label(self, key: str, value: str) -> str | None:
        """Id of a local image whose label ``key`` equals ``value``, or None."""
        with engine_call("list images"):
            found = self.api.images(filters={"label": f"{key}={value}"}, quiet=True)
        return str(found[0]) if found else None

    def import_image(self, chunks: Iterator[bytes], *, tag: str, changes: list[str]) -> str:
        """Import a root filesystem tar stream as image ``tag`` (``docker import``); return its id.

        ``chunks`` is sent as it is produced (chunked), so a root filesystem never sits in memory or
        in a temporary tarball. ``changes`` are Dockerfile instructions for the image's config
        (``CMD``, ``ENV``, ``LABEL`` ...).
        """
        repo, _, version = tag.rpartition(":")
        with engine_call(f"import image {tag}"):
            answer = self.api.import_image(src=chunks, repository=repo, tag=version, changes=changes, stream_src=True)
        # The engine answers with JSON messages, one a line; an error arrives as one of them.
        for line in str(answer).splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("error"):
                raise BuildError(f"image {tag!r} was not imported: {message['error']}")
        info = self.image(tag)
        if info is None:
            raise BuildError(f"image {tag!r} was not imported: the engine answered {str(answer).strip()[:200]!r}")
        return info.id

    def tag(self, image_id: str, ref: str) -> None:
        repo, _, tag = ref.rpartition(":")
        with engine_call(f"tag {image_id[:19]} as {ref}"):
            self.api.tag(image_id, repo, tag)

    def image_refs(self, image_id: str) -> tuple[list[str], list[str]]:
        """Return ``(tags, digests)`` of a local image: its RepoTags and RepoDigests (``repo@sha256:…``)."""
        with engine_call(f"inspect image {image_id[:19]}"):
            data = self.api.inspect_image(image_id)
        return list(data.get("RepoTags") or []), list(data.get("RepoDigests") or [])

    def pull(self, ref: str) -> None:
        """Pull ``ref``: ``repo:tag``, ``repo`` (its ``latest``), or ``repo@sha256:…`` exactly.

        RegistryRefused with the engine's one-line reason when the engine refuses.
        """
        if "@" in ref:
            # The engine takes a digest in the tag parameter, as the docker CLI sends it.
            repo, _, tag = ref.rpartition("@")
        else:
            repo, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
        with engine_call(f"pull {ref}"):
            try:
                self.api.pull(repo, tag=tag or "latest")
            except docker.errors.APIError as exc:
                raise _refused("pulling", ref, refusal(exc)) from exc

    def push(self, ref: str) -> str:
        """Push the local image ``ref`` (``host:port/repo:tag``) to its registry; return the digest
        (``sha256:…``) the registry stored it under. RegistryRefused with the registry's reason."""
        repo, _, tag = ref.rpartition(":")
        digest: str | None = None
        with engine_call(f"push {ref}"):
            try:
                for line in self.api.push(repo, tag=tag, stream=True, decode=True):
                    if line.get("error"):
                        raise _refused("pushing", ref, str(line["error"]))
                    digest = (line.get("aux") or {}).get("Digest") or digest
            except docker.errors.APIError as exc:
                raise _refused("pushing", ref, refusal(exc)) from exc
        if not digest:
            raise RegistryRefused(f"Docker engine: pushing {ref} reported no digest", "the registry reported no digest")
        return str(digest)

    def save_image(self, image_id: str, path: Path) -> None:
        """Write the image as a tarball (``docker save``) to ``path``, atomically."""
        tmp = path.with_name(path.name + ".part")
        try:
            with engine_call(f"save image {image_id[:19]}"):
                try:
                    with tmp.open("wb") as fh:
                        for chunk in self.api.get_image(image_id):
                            fh.write(chunk)
                    tmp.replace(path)
                except OSError as exc:
                    raise EngineError(f"cannot save image {image_id[:19]} to {path}: {exc}") from exc
        except EngineError:
            tmp.unlink(missing_ok=True)
            raise

    def load_image(self, path: Path) -> None:
        """Load a tarball written by ``save_image`` (``docker load``); returns when the engine has it."""
        with engine_call(f"load image {path}"):
            try:
                with path.open("rb") as fh:
                    for chunk in self.api.load_image(fh, quiet=True):
                        if isinstance(chunk, dict) and chunk.get("error"):
                            raise EngineError(f"Docker engine: failed to load {path}: {chunk['error']}")
            except OSError as exc:
                raise EngineError(f"cannot read image tarball {path}: {exc}") from exc

    def remove_image(self, image_id: str) -> None:
        """Remove an image and every tag of it; an image already gone is fine.

        The engine refuses (even forced) while a running container uses the image; that becomes
        ImageInUse (an EngineError) with the engine's reason.
        """
        with engine_call(f"remove image {image_id[:19]}"):
            try:
                self.api.remove_image(image_id, force=True)
            except docker.errors.APIError as exc:
                if exc.status_code == 409:  # a running container uses it: even force is refused
                    raise ImageInUse(f"Docker engine: cannot remove image {image_id[:19]}: {refusal(exc)}") from exc
                if exc.status_code != 404:  # NotFound among others: already gone
                    raise

    def build(self, **spec: Unpack[BuildSpec]) -> str:
        """Build ``spec["dockerfile"]`` with ``spec["context"]``; return the image id.

        A failed build raises BuildError with the scenario image ``name`` and the last lines of the
        build log, which is where the cause of a failed ``RUN`` step is.
        """
        name, tag = spec["name"], spec["tag"]
        log: list[str] = []
        image_id: str | None = None
        with engine_call(f"build image {name!r}"):
            try:
                stream = self.api.build(
                    path=str(spec["context"]),
                    dockerfile=str(spec["dockerfile"]),
                    tag=tag,
                    buildargs=dict(spec["buildargs"]),
                    labels=dict(spec["labels"]),
                    rm=True,
                    forcerm=True,
                    decode=True,
                    network_mode=spec.get("network_mode"),
                )
                for chunk in stream:
                    image_id = _read_build_chunk(name, chunk, log, spec.get("on_line")) or image_id
            except docker.errors.APIError as exc:
                raise BuildError(f"image {name!r} did not build: {exc.explanation or exc}") from exc
        if image_id is None:
            info = self.image(tag)
            if info is None:
                raise BuildError(f"image {name!r}: the engine reported no image; build log:\n    {_tail(log)}")
            image_id = info.id
        return image_id


def _tail(log: list[str]) -> str:
    return "\n    ".join(log[-BUILD_LOG_TAIL_LINES:])


def _read_build_chunk(
    name: str, chunk: Mapping[str, object], log: list[str], on_line: Callable[[str], None] | None
) -> str | None:
    """Take one message of the build stream: log its lines, raise BuildError on an error, return
    the image id when this message carries it."""
    if "error" in chunk:
        log.extend(str(chunk["error"]).rstrip().splitlines())
        raise BuildError(f"image {name!r} did not build; last lines of the build log:\n    {_tail(log)}")
    text = chunk.get("stream")
    if isinstance(text, str) and text:
        for line in text.rstrip("\n").splitlines():
            log.append(line)
            if on_line is not None:
                on_line(line)
    aux = chunk.get("aux")
    if isinstance(aux, dict) and "ID" in aux:
        return str(aux["ID"])
    return None
