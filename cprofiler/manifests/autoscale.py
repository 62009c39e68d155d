"""The HorizontalPodAutoscaler's CPU target, from the CPU per request/s measured under load.

Pure and exact (:class:`fractions.Fraction`). With ``Q`` the capacity of one pod in requests/s
and ``c`` the median of ``cpu_cores / qps`` over the ok load steps at that rate
(:func:`cprofiler.manifests.rates.capacity`), ``h`` the headroom (``--hpa-headroom``, default 0.8) and
``t`` the HPA controller's tolerance (0.1)::

    target = clamp(floor(100 x h x c x Q / (1 + t) / cpu request), 20, 90) %

* ``c x Q`` is the CPU one pod uses at capacity, measured at that rate (no extrapolation).
* ``h`` leaves room for the time between traffic rising and a new pod serving (metrics every 15 s,
  then scheduling, pulling and the cold start cprofiler measured): pods scale out at ``h x Q``.
* The controller acts only when usage is more than ``t`` above the target (kube-controller-manager's
  ``--horizontal-pod-autoscaler-tolerance``, default 0.1), so the target is that much lower for
  scale-out to begin at ``h x Q``, not at ``1.1 x h x Q``.
* At most 90 %: beyond its request a pod's CPU is not reserved, and on a busy node it gets only its
  share, so a target above the request would leave each pod relying on CPU nobody promised it.
  At least 20 %: below that, idle CPU (timers, GC) alone moves a pod's utilisation by as much as
  the target allows, and the HPA scales on noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from cprofiler.manifests.quantities import exact, significant
from cprofiler.manifests.rates import Capacity

#: The HPA controller's default tolerance: it does nothing while usage is within 10 % of the target.
HPA_TOLERANCE = Fraction(1, 10)
#: The target, in percent of the CPU request, is kept within these bounds (see the module docstring).
MIN_TARGET_PERCENT = 20
MAX_TARGET_PERCENT = 90


@dataclass(frozen=True)
class Autoscaling:
    """An HPA for one Deployment: CPU utilisation target and replica bounds, with their figures."""

    #: ``averageUtilization``: percent of the CPU request.
    target_percent: int
    min_replicas: int
    max_replicas: int
    #: Requests/s one pod serves at capacity (Q), and how that was found.
    capacity_qps: float
    capacity_why: str
    #: Median CPU per request/s at capacity (c), in cores.
    cores_per_qps: float
    #: Requests/s per pod at which the HPA starts adding pods: usage at target x (1 + tolerance).
    scale_out_qps: float
    #: The formula with its figures, for the header and the annotations.
    formula: str
    #: Why the target was clamped, when it was.
    note: str | None = None


def autoscaling(
    cap: Capacity, cpu_request_millicores: int, *, headroom: float, min_replicas: int, max_replicas: int
) -> Autoscaling:
    """The HPA for a pod of ``cpu_request_millicores`` whose capacity is ``cap`` (rule: module docstring)."""
    c = cap.median_cores_per_qps()
    h = exact(headroom)
    request = Fraction(cpu_request_millicores, 1000)
    at_capacity = c * cap.qps
    raw = 100 * h * at_capacity / (1 + HPA_TOLERANCE) / request
    target = min(MAX_TARGET_PERCENT, max(MIN_TARGET_PERCENT, math.floor(raw)))
    scale_out = Fraction(target, 100) * (1 + HPA_TOLERANCE) * request / c
    formula = (
        f"clamp({MIN_TARGET_PERCENT}%, {float(h):g} headroom x {significant(c * 1000)}m per request/s x "
        f"{significant(cap.qps)} requests/s capacity ({cap.why}) / {float(1 + HPA_TOLERANCE):g} HPA tolerance "
        f"/ {cpu_request_millicores}m request, {MAX_TARGET_PERCENT}%) = {target}% CPU: "
        f"pods scale out above about {significant(scale_out)} requests/s each; {min_replicas} to {max_replicas} replicas"
    )
    note = None
    if raw > MAX_TARGET_PERCENT:
        note = (
            f"at capacity a pod uses {significant(at_capacity * 1000)}m of CPU, more than its {cpu_request_millicores}m "
            f"request allows: the HPA target is held at {MAX_TARGET_PERCENT}%, so pods scale out at about "
            f"{significant(scale_out)} requests/s, before {float(h):g} x the capacity; a higher --at-rate gives bigger pods"
        )
    elif raw < MIN_TARGET_PERCENT:
        note = (
            f"at capacity a pod uses only {significant(at_capacity * 1000)}m of its {cpu_request_millicores}m CPU request: "
            f"the HPA target is held at {MIN_TARGET_PERCENT}%, so pods scale out only at about {significant(scale_out)} "
            f"requests/s, past {float(h):g} x the capacity; size at a lower --at-rate"
        )
    return Autoscaling(
        target_percent=target,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        capacity_qps=float(cap.qps),
        capacity_why=cap.why,
        cores_per_qps=float(c),
        scale_out_qps=float(scale_out),
        formula=formula,
        note=note,
    )
