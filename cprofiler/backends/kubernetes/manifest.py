"""The Pod of one run, as a plain manifest (pure: numbers in, a dict out; tested without a cluster).

One container, never restarted, confined as on Docker (``cprofiler.manifests.security``), bound to the
node the user named (``spec.nodeName``: no scheduler is needed, and ``scheduled`` is then the create
itself) or left to the scheduler with a ``nodeSelector``. The scenario's ``ready`` becomes the
readinessProbe for http and tcp; log and exit readiness are read from the pod's log and phase, so
they get no probe. The image is the one the local builder made: by its tag with ``imagePullPolicy:
Never`` (it must be on the node), or with ``--registry`` by its digest there with ``IfNotPresent``
(see :mod:`cprofiler.backends.kubernetes.images`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from cprofiler.labels import LABEL_IMAGE
from cprofiler.manifests.security import security_context
from cprofiler.measure.security import confinement
from cprofiler.scenario.model import ImageSpec

#: The container's name in every pod.
CONTAINER = "app"
#: The readinessProbe's period, in seconds: 1 is the smallest Kubernetes accepts, so Ready is seen
#: up to a second after the app is ready (the kubelet's probe cadence, which real pods pay too).
PROBE_PERIOD_S = 1
#: Annotation holding the exact scenario image name (a label value cannot hold ``@`` or ``=``).
ANNOTATION_IMAGE = "cprofiler.image-name"

_LABEL_VALUE_BAD = re.compile(r"[^A-Za-z0-9_.-]")
_NAME_BAD = re.compile(r"[^a-z0-9-]")


def label_value(text: str) -> str:
    """``text`` as a valid label value: at most 63 of ``[A-Za-z0-9_.-]``, alphanumeric at both ends."""
    value = _LABEL_VALUE_BAD.sub("-", text)[:63]
    return value.strip("_.-")


def pod_name(image: str, invocation: str, serial: int) -> str:
    """``cprofiler-web-3f2a1b0c9d8e-4``: a DNS label, unique within the invocation."""
    stem = _NAME_BAD.sub("-", image.lower()).strip("-")[:30].strip("-") or "image"
    return f"cprofiler-{stem}-{invocation[:12]}-{serial}"


def probe(spec: ImageSpec) -> dict[str, Any] | None:
    """The readinessProbe for an http or tcp ``ready``; None for log and exit."""
    ready = spec.ready
    timing = {"periodSeconds": PROBE_PERIOD_S, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 1_000_000}
    if ready.http is not None:
        return {"httpGet": {"path": ready.http.path, "port": ready.http.port}, **timing}
    if ready.tcp is not None:
        return {"tcpSocket": {"port": ready.tcp.port}, **timing}
    return None


def cpu_quantity(cores: float) -> str:
    """``0.5`` → ``500m``: millicores, the unit Kubernetes rounds CPU to."""
    return f"{int(Fraction(str(cores)) * 1000)}m"


@dataclass(frozen=True)
class Placement:
    """Where a run's pod may go: bound to one node, or left to the scheduler with a selector."""

    #: ``spec.nodeName``: the node every pod is bound to (no scheduler involved), or None.
    node: str | None = None
    #: ``spec.nodeSelector``: labels the scheduler must match, or None.
    node_selector: dict[str, str] | None = None


@dataclass(frozen=True)
class PodRequest:
    """What one run's pod runs: the pod's name, the image and how it is pulled, the scenario row."""

    name: str
    #: The image's tag on the node, or its digest reference with ``--registry``.
    image_ref: str
    #: The scenario row (``web@cpus=0.5``), labelled and annotated on the pod.
    row: str
    spec: ImageSpec
    #: CPU cap of the row, in cores; None: none.
    cpus: float | None
    #: ``Never`` (the image must be on the node) or ``IfNotPresent`` (pulled by digest).
    pull_policy: str = "Never"
    #: The image's configured user (``USER``), as the builder read it.
    user: str = ""


def pod_manifest(pod: PodRequest, *, labels: dict[str, str], placement: Placement) -> dict[str, Any]:
    """The Pod for one run of scenario row ``pod.row``, labelled like cprofiler's containers."""
    spec, user = pod.spec, pod.user
    limits: dict[str, str] = {}
    if spec.memory_limit is not None:
        limits["memory"] = str(spec.memory_limit)
    if pod.cpus is not None:
        limits["cpu"] = cpu_quantity(pod.cpus)
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": pod.image_ref,
        "imagePullPolicy": pod.pull_policy,
        "env": [{"name": k, "value": v} for k, v in spec.env.items()],
        "resources": {"limits": limits} if limits else {},
        # Confined as cprofiler's containers on Docker are, under the scenario's security profile.
        "securityContext": security_context(user, spec.security or "default", confinement(spec, user).user)[0],
    }
    if spec.command is not None:
        # The scenario's command replaces the image's CMD, as it does on Docker: Kubernetes' args.
        container["args"] = list(spec.command)
    readiness = probe(spec)
    if readiness is not None:
        container["readinessProbe"] = readiness
    pod_spec: dict[str, Any] = {
        "restartPolicy": "Never",
        # No service account token and no service environment: nothing a measured start should pay
        # for, and a cluster without a controller-manager has no tokens to mount.
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": 0,
        "containers": [container],
    }
    if placement.node is not None:
        pod_spec["nodeName"] = placement.node
    if placement.node_selector:
        pod_spec["nodeSelector"] = dict(placement.node_selector)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod.name,
            "labels": {**{k: label_value(v) for k, v in labels.items()}, LABEL_IMAGE: label_value(pod.row)},
            "annotations": {ANNOTATION_IMAGE: pod.row},
        },
        "spec": pod_spec,
    }
