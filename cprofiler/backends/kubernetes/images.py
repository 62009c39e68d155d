"""How the measured images reach the node, and ``--cold image`` on Kubernetes.

Without ``--registry`` a pod names its image by the tag the local engine built, with
``imagePullPolicy: Never``: the image must be on the node already (as on the local cluster, whose
kubelet uses this machine's engine; elsewhere, load it onto the node first).

With ``--registry HOST[:PORT]/PREFIX`` every built image is pushed there once, before the runs, and
each pod names it by digest (``HOST:PORT/PREFIX/REPO@sha256:…``) with ``imagePullPolicy:
IfNotPresent``: the node runs exactly the image that was built and pulls it when it lacks it, as a
node of a real deployment does. The kubelet's ``Pulled`` event of each run says whether it pulled
and how long the pull took (``image_pull_ms``, part of ``ready_ms``).

``--cold image`` (:class:`NodeImage`) removes the image from the node before each run, so that every
run pays the pull a cold node pays. Kubernetes has no API that removes an image from a node, so this
works where the node keeps its images in the Docker engine cprofiler talks to (the node is this
machine and its kubelet runs on that engine, as on ``scripts/local-cluster.sh``'s cluster); anywhere
else it is refused before anything is built.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cprofiler.errors import UsageError
from cprofiler.measure.cold import RemovedImage

if TYPE_CHECKING:
    from cprofiler.engine import Engine, ImageInfo

#: ``HOST[:PORT]/PREFIX``: a registry host (a name or an IPv4 address), an optional port, and one
#: or more lower-case path components under which cprofiler's repositories go.
_REGISTRY = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)+")
#: The Pulled event of a pull: ``Successfully pulled image "REF" in 1.234567s`` (newer kubelets add
#: `` (… including waiting). Image size: … bytes.``; the first figure is the pull itself).
_PULLED = re.compile(r'Successfully pulled image "[^"]*" in ((?:[0-9.]+(?:h|ms|m|us|µs|μs|ns|s))+)')
#: A Go duration as ``time.Duration.String`` writes it: ``1m2.5s``, ``523.1ms``, ``850µs``.
_GO_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|us|µs|μs|ns|s)")
_GO_UNIT_MS = {"h": 3_600_000.0, "m": 60_000.0, "s": 1000.0, "ms": 1.0, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ns": 1e-6}
#: The runtime prefix of a node whose images live in a Docker engine (``containerRuntimeVersion``).
DOCKER_RUNTIME = "docker://"
BOOT_ID = Path("/proc/sys/kernel/random/boot_id")


def parse_registry(text: str) -> str:
    """``--registry``'s value, checked: ``HOST[:PORT]/PREFIX`` without a trailing slash."""
    value = text.strip().rstrip("/")
    if not _REGISTRY.fullmatch(value):
        raise UsageError(
            f"--registry {text!r}: expected HOST[:PORT]/PREFIX in lower case, e.g. 127.0.0.1:5000/cprofiler "
            "(a registry the engine can push to and the node can pull from)"
        )
    return value


def remote_tag(registry: str, local_tag: str) -> str:
    """Where a locally built ``repo:tag`` goes under ``registry``: ``registry/repo:tag``."""
    repo, _, tag = local_tag.rpartition(":") if ":" in local_tag.split("/")[-1] else (local_tag, "", "latest")
    first, _, rest = repo.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        repo = rest  # the image was tagged for another registry: keep its path only
    return f"{registry}/{repo}:{tag or 'latest'}"


def publish(engine: Engine, images: list[ImageInfo], registry: str, say: Callable[[str], None]) -> dict[str, str]:
    """Push every image to ``registry`` once; return image id → ``registry/repo@sha256:…``."""
    refs: dict[str, str] = {}
    for info in images:
        if info.id in refs:
            continue  # scenario entries built from equal inputs share one image
        tag = remote_tag(registry, info.tag)
        engine.tag(info.id, tag)
        digest = engine.push(tag)
        refs[info.id] = f"{tag.rpartition(':')[0]}@{digest}"
        say(f"--registry: pushed {info.tag} as {refs[info.id]}; pods pull it by that digest")
    return refs


def go_duration_ms(text: str) -> float | None:
    """A Go duration string in milliseconds (``1m2.5s`` → 62500.0); None when it is not one."""
    parts = _GO_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _GO_UNIT_MS[u] for n, u in parts)


def pull_from_events(events: list[tuple[str, str]]) -> tuple[bool, float | None]:
    """From a pod's events: whether the kubelet has decided about the image yet, and the pull's
    duration in milliseconds (None when the image was already on the node)."""
    for reason, message in events:
        if reason != "Pulled":
            continue
        m = _PULLED.match(message)
        if m:
            return True, go_duration_ms(m.group(1))
        return True, None  # "Container image … already present on machine"
    return False, None


def this_machines_engine(engine: Engine, node: str, facts: dict[str, object]) -> str | None:
    """None when ``node`` keeps its images in ``engine`` (same boot as this machine, a Docker
    runtime, an engine on this host); else why not, for the refusal."""
    runtime = str(facts.get("container_runtime") or "")
    if not runtime.startswith(DOCKER_RUNTIME):
        return f"node {node}'s container runtime is {runtime or 'unknown'}, not Docker"
    try:
        here = BOOT_ID.read_text().strip()
    except OSError:
        here = ""
    if not here or facts.get("node_boot_id") != here:
        return f"node {node} is not this machine (its boot id differs)"
    if not engine.is_local():
        return "cprofiler's Docker engine is not on this machine"
    return None


class NodeImage(RemovedImage):
    """``--cold image`` on Kubernetes: remove the image from the node (this machine's engine)
    before each run and let the kubelet pull it back by digest; ``image_pull_ms`` times that pull.
    The image's local tags are put back after each run, and it is pulled back at the end if a run
    failed before the kubelet pulled it."""

    help = "remove the image from the node before each run; the kubelet pulls it from --registry"

    def __init__(self, engine: Engine, refs: dict[str, str]) -> None:
        super().__init__(engine)
        #: Image id → its digest reference on the registry (filled by :func:`publish` before the runs).
        self._refs = refs

    def check(self) -> None:
        """Checked by the backend, which knows the node."""

    def prepare(self, images: list[ImageInfo], say: Callable[[str], None]) -> None:
        self._say = say
        for info in images:
            if info.id not in self._sources:
                self._tags[info.id] = self.engine.image_refs(info.id)[0]
                self._sources[info.id] = ("pull", self._refs[info.id])
        say("--cold image: each image is removed from the node before each run; the kubelet pulls it back by digest")

    def before_run(self, image: ImageInfo) -> float | None:
        self._remove(image)
        return None  # the pull happens inside the run: image_pull_ms, part of ready_ms

    def after_run(self, image: ImageInfo) -> None:
        if self.engine.image(image.id) is None:
            self._fetch(image.id)  # the run ended before the kubelet pulled it
        self._retag(image.id)

    def note(self, image: ImageInfo) -> str | None:
        return f"image_pull_ms: removed from the node before the run; the kubelet pulled {self._refs[image.id]}"
