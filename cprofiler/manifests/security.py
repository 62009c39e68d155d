"""The container's securityContext: what cprofiler's own runs had, nothing stricter and nothing looser.

Under ``security: default`` cprofiler creates every container unprivileged with
``no-new-privileges`` and the runtime's default capability set (it drops none), so the manifest
says ``allowPrivilegeEscalation: false`` and leaves capabilities to the runtime's default, which
containerd and CRI-O share with Docker. It sets ``runAsNonRoot`` only when the image's user is a
non-zero numeric uid: the kubelet refuses to start a container with ``runAsNonRoot`` whose image
user is a name it cannot resolve.

Under ``security: restricted`` the measured containers ran as Kubernetes' *restricted* Pod
Security Standard asks (see :mod:`cprofiler.measure.security`), and the manifest says the same:
every capability dropped, no privilege escalation, ``runAsNonRoot``, the seccomp profile
``RuntimeDefault`` (the engine's default profile applied to the measured containers too), and
``runAsUser``/``runAsGroup`` when cprofiler chose the user (65534:65534 for an image that runs as
root or as a name).

The kube backend's pods get the same context, so a run on a cluster is confined as on Docker.
"""

from __future__ import annotations

from typing import Any

NO_NEW_PRIVILEGES = "allowPrivilegeEscalation false (measured with no-new-privileges)"


def security_context(user: str | None, security: str | None = None, run_as: str | None = None) -> tuple[dict[str, Any], str]:
    """The container's ``securityContext`` for an image run as ``user`` (its ``Config.User``) under
    the ``security`` profile (as ``run_as`` when the profile chose the user), and the header line
    that explains it."""
    if security == "restricted":
        return _restricted(user, run_as)
    context: dict[str, Any] = {"allowPrivilegeEscalation": False}
    why = f"{NO_NEW_PRIVILEGES}; capabilities: runtime default, as measured"
    uid = (user or "").split(":", 1)[0]
    if user is None:
        return context, f"{why}; runAsNonRoot unset: the results do not record the image's user"
    if uid in ("", "0", "root"):
        return context, f"{why}; runAsNonRoot unset: the image runs as root"
    if uid.isdigit():
        context["runAsNonRoot"] = True
        return context, f"{why}; runAsNonRoot: the image runs as uid {uid}"
    return context, (
        f"{why}; runAsNonRoot unset: the image's user {uid!r} is a name the kubelet cannot check; "
        "give a numeric USER to have it set"
    )


def _restricted(user: str | None, run_as: str | None) -> tuple[dict[str, Any], str]:
    context: dict[str, Any] = {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    why = (
        f"measured under security: restricted: {NO_NEW_PRIVILEGES}, capabilities drop ALL, runAsNonRoot, "
        "seccompProfile RuntimeDefault (the engine's default profile, as measured)"
    )
    if run_as:
        uid, _, gid = run_as.partition(":")
        context["runAsUser"] = int(uid)
        if gid:
            context["runAsGroup"] = int(gid)
        return context, f"{why}; runAsUser {run_as}: the user the measured containers ran as"
    return context, f"{why}; the image's own user {(user or '').split(':', 1)[0]}"
