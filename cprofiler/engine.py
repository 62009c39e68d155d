"""The one module that talks to the Docker engine.

Everything else in cprofiler asks this module for builds, containers, logs and images, so that the
engine's API (and its errors) are translated into cprofiler's terms in exactly one place. It uses
the SDK's low-level ``APIClient`` for containers: the high-level ``containers.create`` inspects the
container again after creating it, and that second round trip would be counted in ``create_ms``.

It is longer than our other modules on purpose: one short method per engine call, all in the one
place where ``docker`` is imported, is easier to audit than the same calls spread over modules.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import socket
import stat
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
import docker.tls
import requests.exceptions
from docker.utils.build import exclude_paths

from cprofiler.errors import BuildError, CprofilerError, EngineError, ImageInUse, ImageMissing, UsageError
from cprofiler.labels import LABEL
from cprofiler.scenario.model import DEFAULT_PIDS_LIMIT

_ENGINE_HINT = "is the Docker engine running, and may this user use it (docker info)?"


def _os_reason(exc: BaseException) -> str | None:
    """The operating system's words at the bottom of a transport error ("Connection refused").

    requests wraps urllib3, which wraps the OSError; their own texts are nested tuples of reprs.
    """
    todo: list[BaseException] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, OSError) and e.strerror:
            return e.strerror
        if isinstance(e, OSError) and len(e.args) == 1 and isinstance(e.args[0], str):
            return e.args[0]  # "Remote end closed connection without response"
        todo.extend(a for a in e.args if isinstance(a, BaseException))
        todo.extend(n for n in (e.__cause__, e.__context__, getattr(e, "reason", None)) if isinstance(n, BaseException))
    return None


def _engine_reason(exc: BaseException) -> str | None:
    """The engine's own words for refusing a request ("Minimum memory limit allowed is 6MB"), not
    the SDK's "400 Client Error … for url …" around them."""
    if isinstance(exc, docker.errors.APIError):
        text = str(exc.explanation or "").strip()
        if text:
            return text.splitlines()[0]
    return None


def _engine_fault(action: str, exc: BaseException) -> EngineError:
    """Translate an SDK or transport exception into one line for the user."""
    text = (
        _engine_reason(exc) or _os_reason(exc) or (str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
    )
    if isinstance(exc, PermissionError) or "Permission denied" in text:
        return EngineError(f"Docker engine: permission denied while trying to {action}; {_ENGINE_HINT}")
    if isinstance(exc, (requests.exceptions.ConnectionError, FileNotFoundError, ConnectionError)):
        return EngineError(f"Docker engine: not reachable while trying to {action} ({text}); {_ENGINE_HINT}")
    if isinstance(exc, docker.errors.ImageNotFound):
        return ImageMissing(f"Docker engine: failed to {action}: {text}")
    return EngineError(f"Docker engine: failed to {action}: {text}")


@contextmanager
def _engine_call(action: str) -> Iterator[None]:
    """Turn any SDK or transport exception raised inside into ``_engine_fault(action, …)``.

    ``action`` says what was being done, with the ids involved (``start container 0123456789ab``):
    it is the only part of the message that tells the user which call failed. cprofiler's own
    errors raised inside (a BuildError read from a build log) pass through unchanged; an answer
    that is no failure (an image already gone) is caught inside the ``with`` before it gets here.
    """
    try:
        yield
    except CprofilerError:
        raise
    except Exception as exc:  # noqa: BLE001 - any SDK or transport error becomes one line
        raise _engine_fault(action, exc) from exc


def _refusal(exc: docker.errors.APIError) -> str:
    """The engine's one-line reason for refusing a request (a pull of an unknown image)."""
    return str(exc.explanation or exc).strip().splitlines()[0]


#: Largest ``.dockerignore`` read, in bytes.
MAX_DOCKERIGNORE_BYTES = 1 << 20


def context_files(context: Path, dockerfile: Path) -> list[str]:
    """The entries of ``context`` the SDK sends to the engine to build ``dockerfile``, sorted.

    Relative, ``/``-separated paths of files, links and folders, selected as ``APIClient.build``
    selects them: what the context's ``.dockerignore`` leaves in, plus the Dockerfile and the
    ``.dockerignore`` themselves. Image reuse hashes exactly these (``images.build``), so an image
    is rebuilt whenever what the engine would get has changed. UsageError when the context or its
    ``.dockerignore`` cannot be read.
    """
    root = os.path.abspath(context)
    exclude: list[str] = []
    ignore = os.path.join(root, ".dockerignore")
    try:
        if os.path.exists(ignore):
            st = os.stat(ignore)
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_DOCKERIGNORE_BYTES:
                raise UsageError(f"{ignore}: expected a regular file of at most {MAX_DOCKERIGNORE_BYTES} bytes")
            with open(ignore, encoding="utf-8", errors="replace") as fh:  # the SDK's own reading
                exclude = [line.strip() for line in fh.read(MAX_DOCKERIGNORE_BYTES).splitlines()]
            exclude = [line for line in exclude if line and not line.startswith("#")]
        rel = os.path.relpath(os.path.abspath(dockerfile), root)
        # A Dockerfile outside the context travels under a random name that no file has.
        name = rel if not rel.startswith("..") else ".dockerfile.outside-the-context"
        return sorted(exclude_paths(root, exclude, dockerfile=name))
    except OSError as exc:
        raise UsageError(f"build context {context}: cannot be read ({exc.strerror or exc}: {exc.filename})") from exc


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


@dataclass(frozen=True)
class ContainerState:
    """The part of ``docker inspect`` the run loop needs."""

    running: bool
    #: Host process id of the container's init process; 0 when it is not running.
    pid: int
    exit_code: int | None
    oom_killed: bool
    status: str


class Engine:
    """A connection to one Docker engine."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.api: docker.APIClient = client.api

    # --- connection and environment -------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """Return the engine facts that go into the results' ``environment`` block."""
        with _engine_call("read the engine's info"):
            info = self.api.info()
            version = self.api.version()
        return {
            "engine_version": version.get("Version"),
            "api_version": version.get("ApiVersion"),
            "kernel": info.get("KernelVersion"),
            "os": info.get("OperatingSystem"),
            "cgroup_version": str(info.get("CgroupVersion") or "1"),
            "cgroup_driver": info.get("CgroupDriver"),
            "storage_driver": info.get("Driver"),
            "engine_cpus": info.get("NCPU"),
            "engine_memory_bytes": info.get("MemTotal"),
        }

    def is_local(self) -> bool:
        """True when the engine runs on this host and in this PID namespace, so the container pids
        it reports are ours to read (``/proc/PID``): a unix socket whose server we can see."""
        return self.is_unix_socket() and self.same_pid_namespace()

    def is_unix_socket(self) -> bool:
        """True when the engine is reached through a unix socket on this machine."""
        base = str(getattr(self.api, "base_url", ""))
        return base.startswith("http+docker://localhost") or base.startswith("http+docker://localunixsocket")

    @functools.cache  # noqa: B019 - one engine per process (connect() caches it)
    def same_pid_namespace(self) -> bool:
        """Whether the process serving the engine's socket runs in our PID namespace.

        The kernel gives a socket's peer pid in the reader's namespace, and 0 when the peer cannot
        be seen from it: cprofiler in a container with the engine's socket, whose ``/proc/PID`` of
        a container would be nothing, or some other process of its own. Where the peer's namespace
        cannot be read (not root), it is taken to be ours, as it always was.
        """
        path = getattr(getattr(self.api, "_custom_adapter", None), "socket_path", None)
        if not path:
            return True
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(path)
                creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except OSError:
            return True  # the engine's own calls will say what is wrong
        pid = struct.unpack("3i", creds)[0]
        if pid <= 0:
            return False
        try:
            return os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid")
        except OSError:
            return True

    # --- images ---------------------------------------------------------------------------------

    def image(self, ref: str) -> ImageInfo | None:
        """Return the local image ``ref``, or None when the engine does not have it."""
        with _engine_call(f"inspect image {ref}"):
            try:
                data = self.api.inspect_image(ref)
            except docker.errors.APIError as exc:
                if exc.status_code == 404:  # ImageNotFound among others
                    return None
                raise
        tags = data.get("RepoTags") or [ref]
        return ImageInfo(
            tag=ref if ref in tags else tags[0],
            id=data["Id"],
            size_bytes=int(data.get("Size") or 0),
            layers=len((data.get("RootFS") or {}).get("Layers") or []),
            labels=dict((data.get("Config") or {}).get("Labels") or {}),
            user=str((data.get("Config") or {}).get("User") or ""),
        )

    def labelled_images(self) -> list[LabelledImage]:
        """Every image carrying the ``cprofiler`` label, newest first (so an image comes before the
        images it was built FROM, which the engine will not remove while a child exists)."""
        with _engine_call("list images"):
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
        with _engine_call(f"list containers of image {image_id[:19]}"):
            found = self.api.containers(all=True, filters={"ancestor": image_id})
        return [str(c["Id"]) for c in found]

    def image_with_label(self, key: str, value: str) -> str | None:
        """Id of a local image whose label ``key`` equals ``value``, or None."""
        with _engine_call("list images"):
            found = self.api.images(filters={"label": f"{key}={value}"}, quiet=True)
        return found[0] if found else None

    def import_image(self, chunks: Iterator[bytes], *, tag: str, changes: list[str]) -> str:
        """Import a root filesystem tar stream as image ``tag`` (``docker import``); return its id.

        ``chunks`` is sent as it is produced (chunked), so a root filesystem never sits in memory or
        in a temporary tarball. ``changes`` are Dockerfile instructions for the image's config
        (``CMD``, ``ENV``, ``LABEL`` ...).
        """
        repo, _, version = tag.rpartition(":")
        with _engine_call(f"import image {tag}"):
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

    def data_root(self) -> str | None:
        """The engine's data directory (``DockerRootDir``), where image layers take disk space."""
        with _engine_call("read the engine's info"):
            return str(self.api.info().get("DockerRootDir") or "") or None

    def tag(self, image_id: str, ref: str) -> None:
        repo, _, tag = ref.rpartition(":")
        with _engine_call(f"tag {image_id[:19]} as {ref}"):
            self.api.tag(image_id, repo, tag)

    def pull(self, ref: str) -> str | None:
        """Pull ``ref``; return None on success, else the engine's one-line reason."""
        repo, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
        with _engine_call(f"pull {ref}"):
            try:
                self.api.pull(repo, tag=tag or "latest")
            except docker.errors.APIError as exc:
                return _refusal(exc)
        return None

    def arch(self) -> str:
        """The engine's CPU architecture in Go's spelling (``amd64``, ``arm64``)."""
        with _engine_call("read the engine's version"):
            return str(self.api.version().get("Arch") or "")

    def image_refs(self, image_id: str) -> tuple[list[str], list[str]]:
        """Return ``(tags, digests)`` of a local image: its RepoTags and RepoDigests (``repo@sha256:…``)."""
        with _engine_call(f"inspect image {image_id[:19]}"):
            data = self.api.inspect_image(image_id)
        return list(data.get("RepoTags") or []), list(data.get("RepoDigests") or [])

    def pull_digest(self, ref: str) -> str | None:
        """Pull ``repo@sha256:…`` exactly; return None on success, else the engine's one-line reason."""
        repo, _, digest = ref.rpartition("@")
        with _engine_call(f"pull {ref}"):
            try:
                # The engine takes a digest in the tag parameter, as the docker CLI sends it.
                self.api.pull(repo, tag=digest)
            except docker.errors.APIError as exc:
                return _refusal(exc)
        return None

    def push(self, ref: str) -> str:
        """Push the local image ``ref`` (``host:port/repo:tag``) to its registry; return the digest
        (``sha256:…``) the registry stored it under. EngineError with the registry's reason."""
        repo, _, tag = ref.rpartition(":")
        digest: str | None = None
        with _engine_call(f"push {ref}"):
            for line in self.api.push(repo, tag=tag, stream=True, decode=True):
                if line.get("error"):
                    raise EngineError(f"Docker engine: pushing {ref} failed: {line['error']}")
                digest = (line.get("aux") or {}).get("Digest") or digest
        if not digest:
            raise EngineError(f"Docker engine: pushing {ref} reported no digest")
        return str(digest)

    def save_image(self, image_id: str, path: Path) -> None:
        """Write the image as a tarball (``docker save``) to ``path``, atomically."""
        tmp = path.with_name(path.name + ".part")
        try:
            with _engine_call(f"save image {image_id[:19]}"):
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
        with _engine_call(f"load image {path}"):
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
        with _engine_call(f"remove image {image_id[:19]}"):
            try:
                self.api.remove_image(image_id, force=True)
            except docker.errors.APIError as exc:
                if exc.status_code == 409:  # a running container uses it: even force is refused
                    raise ImageInUse(f"Docker engine: cannot remove image {image_id[:19]}: {_refusal(exc)}") from exc
                if exc.status_code != 404:  # NotFound among others: already gone
                    raise

    def build(
        self,
        *,
        name: str,
        context: Path,
        dockerfile: Path,
        tag: str,
        buildargs: Mapping[str, str],
        labels: Mapping[str, str],
        on_line: Callable[[str], None] | None = None,
        network_mode: str | None = None,
    ) -> str:
        """Build ``dockerfile`` with ``context``; return the image id.

        A failed build raises BuildError with the scenario image ``name`` and the last 20 lines of
        the build log, which is where the cause of a failed ``RUN`` step is.
        """
        log: list[str] = []
        image_id: str | None = None
        with _engine_call(f"build image {name!r}"):
            try:
                stream = self.api.build(
                    path=str(context),
                    dockerfile=str(dockerfile),
                    tag=tag,
                    buildargs=dict(buildargs),
                    labels=dict(labels),
                    rm=True,
                    forcerm=True,
                    decode=True,
                    network_mode=network_mode,
                )
                for chunk in stream:
                    if "error" in chunk:
                        log.extend(str(chunk["error"]).rstrip().splitlines())
                        tail = "\n    ".join(log[-20:])
                        raise BuildError(f"image {name!r} did not build; last lines of the build log:\n    {tail}")
                    text = chunk.get("stream")
                    if text:
                        for line in text.rstrip("\n").splitlines():
                            log.append(line)
                            if on_line is not None:
                                on_line(line)
                    aux = chunk.get("aux")
                    if isinstance(aux, dict) and "ID" in aux:
                        image_id = aux["ID"]
            except docker.errors.APIError as exc:
                raise BuildError(f"image {name!r} did not build: {exc.explanation or exc}") from exc
        if image_id is None:
            info = self.image(tag)
            if info is None:
                tail = "\n    ".join(log[-20:])
                raise BuildError(f"image {name!r}: the engine reported no image; build log:\n    {tail}")
            image_id = info.id
        return image_id

    # --- containers -----------------------------------------------------------------------------

    def create(
        self,
        *,
        image: str,
        command: list[str] | None,
        env: Mapping[str, str],
        labels: Mapping[str, str],
        memory_limit_bytes: int | None,
        cpus: float | None,
        publish_ports: list[int] | None = None,
        cpuset_cpus: str | None = None,
        cgroup_parent: str | None = None,
        pids_limit: int | None = DEFAULT_PIDS_LIMIT,
        cap_drop: list[str] | None = None,
        user: str | None = None,
    ) -> str:
        """Create an unprivileged container with no mounts; return its id.

        ``publish_ports`` publishes container ports on 127.0.0.1 at ports the engine picks; it is
        used only where cprofiler cannot enter the container's network namespace to probe it.
        ``cgroup_parent`` puts the container's cgroup under that one (cgroupfs driver: an absolute
        cgroup path such as ``/cprofiler-…``), whose counters outlive the container.
        ``pids_limit`` bounds its processes and threads (by default every container's, helpers' too),
        ``cap_drop`` drops capabilities (``ALL``), and ``user`` runs it as ``UID:GID`` instead of its
        image's user (see ``measure.security``).
        """
        host_config = self.api.create_host_config(
            mem_limit=memory_limit_bytes,
            # Without an equal swap limit a container over its memory limit swaps instead of
            # being OOM-killed, and its memory figures would stop meaning what they say.
            memswap_limit=memory_limit_bytes,
            nano_cpus=int(cpus * 1e9) if cpus else None,
            # CPUs the container may run on (``"0"``, ``"0-1"``): the load phase keeps it off the generator's.
            cpuset_cpus=cpuset_cpus,
            privileged=False,
            port_bindings={p: ("127.0.0.1", None) for p in publish_ports or []} or None,
            security_opt=["no-new-privileges"],
            cgroup_parent=cgroup_parent,
            pids_limit=pids_limit,
            cap_drop=cap_drop,
        )
        with _engine_call(f"create a container of {image[:19]}"):
            created = self.api.create_container(
                image=image,
                command=command,
                environment=dict(env),
                labels=dict(labels),
                host_config=host_config,
                ports=list(publish_ports or []) or None,
                detach=True,
                stdin_open=False,
                tty=False,
                user=user,
            )
        return str(created["Id"])

    def attach_output(self, container_id: str) -> Iterator[bytes]:
        """Attach to a container's stdout and stderr and yield raw output chunks as they come.

        Call it before ``start``: the attach is established when this returns, so no early line
        is missed (``logs=1`` also replays anything already written). stdout and stderr arrive
        interleaved in the order the engine received them.
        """
        with _engine_call(f"attach to container {container_id[:12]}"):
            stream = self.api.attach(container_id, stdout=True, stderr=True, stream=True, logs=True, demux=True)

        def chunks() -> Iterator[bytes]:
            try:
                for out, err in stream:
                    if out:
                        yield out
                    if err:
                        yield err
            except Exception:  # noqa: BLE001 - the stream ends when the container is removed
                return

        return chunks()

    def start(self, container_id: str) -> None:
        with _engine_call(f"start container {container_id[:12]}"):
            self.api.start(container_id)

    def state(self, container_id: str) -> ContainerState:
        with _engine_call(f"inspect container {container_id[:12]}"):
            data = self.api.inspect_container(container_id)
        st = data.get("State") or {}
        running = bool(st.get("Running"))
        return ContainerState(
            running=running,
            pid=int(st.get("Pid") or 0),
            exit_code=None if running else int(st.get("ExitCode") or 0),
            oom_killed=bool(st.get("OOMKilled")),
            status=str(st.get("Status") or ""),
        )

    def published_port(self, container_id: str, port: int) -> int | None:
        """Host port on 127.0.0.1 that ``port`` of the container is published at."""
        with _engine_call(f"read the ports of container {container_id[:12]}"):
            bindings = self.api.port(container_id, port) or []
        for b in bindings:
            if b.get("HostPort"):
                return int(b["HostPort"])
        return None

    def wait_exit(self, container_id: str) -> int | None:
        """Block until the container exits; return its exit code (None if the wait was cut)."""
        try:
            result = self.api.wait(container_id)
        except Exception:  # noqa: BLE001 - removal of the container ends the wait
            return None
        return int(result.get("StatusCode", -1))

    def stats_once(self, container_id: str) -> dict[str, Any]:
        """One sample of the engine's stats (used where cgroup files cannot be read directly)."""
        with _engine_call(f"read stats of container {container_id[:12]}"):
            return dict(self.api.stats(container_id, stream=False, one_shot=True))

    def remove(self, container_id: str) -> None:
        """Remove a container, killing it if it runs; a container already gone is fine."""
        with _engine_call(f"remove container {container_id[:12]}"):
            try:
                self.api.remove_container(container_id, force=True, v=True)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):  # gone, or removal already in progress
                    raise

    def labelled_containers(self, invocation: str | None = None) -> list[dict[str, Any]]:
        """Every container (running or not) carrying the ``cprofiler`` label, with its labels;
        only those of one ``invocation`` when given.

        Containers a kubelet made for cprofiler's pods (``--backend kubernetes`` on this engine)
        carry the pod's labels too, but they are the kubelet's: cprofiler deletes the pod and the
        kubelet removes them, so they are left out here.
        """
        label = LABEL if invocation is None else f"{LABEL}={invocation}"
        with _engine_call("list containers"):
            found = self.api.containers(all=True, filters={"label": label})
        return [
            {"id": c["Id"], "labels": c.get("Labels") or {}, "state": c.get("State")}
            for c in found
            if KUBELET_POD_LABEL not in (c.get("Labels") or {})
        ]


#: The label a kubelet's dockershim puts on every container it makes for a pod.
KUBELET_POD_LABEL = "io.kubernetes.pod.uid"

_lock = threading.Lock()
_engine: Engine | None = None

#: Where the engine listens when nothing else says: the docker CLI's default.
DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class Endpoint:
    """The engine to talk to, and what named it."""

    #: ``unix:///…``, ``tcp://…``, ``ssh://…``; None: the SDK's own default from the environment.
    host: str | None
    #: ``DOCKER_HOST``, ``context NAME (DOCKER_CONTEXT)``, ``context NAME (current)`` or ``default``.
    source: str
    #: The context's TLS files (``ca.pem``, ``cert.pem``, ``key.pem``), when it has any.
    tls_dir: Path | None = None
    #: The context says not to verify the engine's certificate.
    skip_tls_verify: bool = False

    def describe(self) -> str:
        """``unix:///var/run/docker.sock`` or ``unix:///… (context colima)``: for messages."""
        host = self.host or os.environ.get("DOCKER_HOST") or DEFAULT_HOST
        return host if self.source in ("default", "DOCKER_HOST") else f"{host} ({self.source})"


def docker_config_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The docker CLI's configuration folder: ``$DOCKER_CONFIG``, else ``~/.docker``."""
    return Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def resolve_endpoint(environ: Mapping[str, str] = os.environ, config_dir: Path | None = None) -> Endpoint:
    """Return the engine endpoint by the docker CLI's precedence:
    ``DOCKER_HOST`` > ``DOCKER_CONTEXT`` > the current context of ``config.json`` > the default.

    A context is read from ``contexts/meta/<sha256 of its name>/meta.json`` under the CLI's
    configuration folder, its TLS files from ``contexts/tls/<same>/docker/``. Docker Desktop,
    colima and rootless engines are reached through a context, not the default socket. A context
    that does not exist or cannot be read is a UsageError naming it and where it was looked for.
    """
    if environ.get("DOCKER_HOST"):
        return Endpoint(None, "DOCKER_HOST")
    config_dir = config_dir or docker_config_dir(environ)
    name, why = environ.get("DOCKER_CONTEXT") or "", "DOCKER_CONTEXT"
    if not name:
        name, why = _current_context(config_dir), "current"
    if not name or name == "default":
        return Endpoint(None, "default")
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir / "contexts" / "meta" / digest / "meta.json"
    where = f"Docker context {name!r} ({why})"
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
        endpoint = data["Endpoints"]["docker"]
        host = str(endpoint["Host"])
    except FileNotFoundError:
        raise UsageError(f"{where}: no such context in {config_dir / 'contexts'}; `docker context ls` lists them") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{where}: {meta} cannot be read as a context ({exc}); expected what `docker context create` writes"
        ) from None
    tls = config_dir / "contexts" / "tls" / digest / "docker"
    return Endpoint(
        host,
        f"context {name}",
        tls_dir=tls if tls.is_dir() else None,
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify")),
    )


def _current_context(config_dir: Path) -> str:
    """``currentContext`` of the CLI's ``config.json``; empty when there is none to read."""
    try:
        value = json.loads((config_dir / "config.json").read_text(encoding="utf-8")).get("currentContext")
    except (OSError, ValueError, AttributeError):
        return ""  # no config, or one we cannot read: the CLI falls back to the default too
    return value if isinstance(value, str) else ""


def _client(endpoint: Endpoint) -> docker.DockerClient:
    # A generous pool: probes, log readers and waiters run in parallel for one container.
    if endpoint.host is None:
        return docker.from_env(timeout=300, max_pool_size=16)
    tls: docker.tls.TLSConfig | bool = False
    if endpoint.tls_dir is not None:
        ca, cert, key = (endpoint.tls_dir / f for f in ("ca.pem", "cert.pem", "key.pem"))
        tls = docker.tls.TLSConfig(
            client_cert=(str(cert), str(key)) if cert.exists() and key.exists() else None,
            ca_cert=str(ca) if ca.exists() else None,
            verify=not endpoint.skip_tls_verify,
        )
    return docker.DockerClient(
        base_url=endpoint.host,
        tls=tls,
        timeout=300,
        max_pool_size=16,
        # ssh:// as the docker CLI does it (the user's ssh and its configuration), not paramiko.
        use_ssh_client=endpoint.host.startswith("ssh://"),
    )


def connect() -> Engine:
    """Connect to the engine the environment names (see :func:`resolve_endpoint`: DOCKER_HOST,
    DOCKER_CONTEXT, the current Docker context, else the local socket).

    The connection is checked with a ping, so a stopped engine is reported here, before any work.
    """
    global _engine
    with _lock:
        if _engine is not None:
            return _engine
        endpoint = resolve_endpoint()
        # Name the address in the message: "permission denied" means little without the socket.
        action = f"connect to {endpoint.describe()}"
        with _engine_call(action):
            try:
                client = _client(endpoint)
                client.ping()
            except docker.errors.DockerException as exc:
                # The SDK wraps the transport's error: the cause is what tells refused from forbidden.
                raise _engine_fault(action, exc.__cause__ or exc) from exc
        _engine = Engine(client)
        return _engine
