"""The container's securityContext: what cprofiler's own runs already had, nothing stricter.

cprofiler creates every container unprivileged with ``no-new-privileges`` and the runtime's default
capability set (it drops none), so the manifest says ``allowPrivilegeEscalation: false`` and leaves
capabilities to the runtime's default, which containerd and CRI-O share with Docker. It sets
``runAsNonRoot`` only when the image's user is a non-zero numeric uid: the kubelet refuses to
start a container with ``runAsNonRoot`` whose image user is a name it cannot resolve.
"""

from __future__ import annotations

from typing import Any


def security_context(user: str | None) -> tuple[dict[str, Any], str]:
    """The container's ``securityContext`` for an image run as ``user`` (its ``Config.User``), and
    the header line that explains it."""
    context: dict[str, Any] = {"allowPrivilegeEscalation": False}
    why = "allowPrivilegeEscalation false (measured with no-new-privileges); capabilities: runtime default, as measured"
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
