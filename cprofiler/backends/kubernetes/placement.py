"""Whether a run's pod was placed on a node, and why not.

A scheduler binds a pod it can place within milliseconds. A pod still without a node seconds
after its create stays so: on a cluster without a scheduler (a bare kubelet and API server) no
one ever binds it, and a pod the scheduler finds no node for waits until something changes in
the cluster. Waiting out the whole ready timeout would then cost every run a minute; after
PLACEMENT_WAIT_S the run fails instead, with the scheduler's own reason when it gave one.
"""

from __future__ import annotations

from cprofiler.backends.kubernetes.cluster import PodView

#: Seconds a run's pod may go without a node before the run fails.
PLACEMENT_WAIT_S = 5.0
#: Longest scheduler reason quoted in a run's error, in characters.
_MAX_REASON = 300


def unplaced_reason(pod: PodView | None) -> str | None:
    """Why ``pod`` (its last state seen) is on no node; None when it is placed or not seen yet.

    Placed: ``spec.nodeName`` is set, or its ``PodScheduled`` condition is True. Else the reason
    and message of a ``PodScheduled`` condition that is not True (``Unschedulable: 0/1 nodes are
    available: …``), or, without one, that no scheduler placed it.
    """
    if pod is None or pod.node_name or pod.condition("PodScheduled"):
        return None
    reason = " ".join(pod.condition_reasons.get("PodScheduled", "").split())
    if "PodScheduled" in pod.conditions and reason:
        if len(reason) > _MAX_REASON:
            reason = reason[: _MAX_REASON - 1] + "…"
        return f"the scheduler placed the pod on no node within {PLACEMENT_WAIT_S:g} s: {reason}"
    return f"no scheduler placed the pod within {PLACEMENT_WAIT_S:g} s: pass --node"
