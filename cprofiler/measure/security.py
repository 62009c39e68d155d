"""What a measured container may do: the engine's settings for each ``security:`` profile.

Every container cprofiler starts is unprivileged, with ``no-new-privileges``, no mounts, no host
network, pid or ipc namespace, no published port unless probing needs one (on 127.0.0.1), and at
most ``pids_limit`` processes and threads (``DEFAULT_PIDS_LIMIT``): a fork bomb in a measured image
stops there instead of taking the host. It has no memory limit unless the scenario sets
``memory_limit``. Two profiles decide the rest:

- ``default``: the engine's default capabilities (``CHOWN``, ``MKNOD``, ``NET_RAW``,
  ``SYS_CHROOT`` … as ``docker run`` gives) and the image's own user, root when it names none.
- ``restricted``: Kubernetes' *restricted* Pod Security Standard, so a measurement can match a
  production pod that runs under it: every capability dropped, no privilege escalation, and a
  non-root user: the image's own ``USER`` when it is a numeric uid other than 0 (the kubelet can
  check only a numeric one), else 65534:65534, as a pod with ``runAsUser: 65534`` would run.
  The engine's default seccomp profile applies to both, as ``RuntimeDefault`` does in a pod.
"""

from __future__ import annotations

from dataclasses import dataclass

from cprofiler.scenario.model import ImageSpec

#: User and group a restricted container runs as when its image's user is root or not numeric.
NOBODY = "65534:65534"


@dataclass(frozen=True)
class Confinement:
    """The ``Engine.create`` arguments of one image's profile."""

    pids_limit: int
    #: Capabilities to drop, or None for the engine's default set.
    cap_drop: list[str] | None
    #: ``UID:GID`` to run as, or None for the image's own user.
    user: str | None


def numeric_non_root(user: str) -> bool:
    """True for an image ``USER`` such as ``1000`` or ``1000:1000``: a uid other than 0."""
    uid = user.partition(":")[0]
    return uid.isdigit() and int(uid) != 0


def confinement(spec: ImageSpec, image_user: str) -> Confinement:
    """How a container of an image with ``spec`` and ``USER`` ``image_user`` is confined."""
    if spec.security == "restricted":
        return Confinement(spec.pids_limit, ["ALL"], None if numeric_non_root(image_user) else NOBODY)
    return Confinement(spec.pids_limit, None, None)
