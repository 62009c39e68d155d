"""Whether a run's pod was placed on a node: the decision that fails an unplaced pod's run after
a few seconds instead of the whole ready timeout, on pod states as the API server reports them."""

from __future__ import annotations

import datetime as dt

import pytest

from cprofiler.backends.kubernetes.placement import PLACEMENT_WAIT_S, unplaced_reason

client = pytest.importorskip("kubernetes.client")

from cprofiler.backends.kubernetes.cluster import _view  # noqa: E402 - needs the kubernetes extra

T = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def pod(node: str | None = None, conditions: list | None = None):
    """A pod as the API server's watch delivers it, read as cprofiler reads it."""
    return _view(
        client.V1Pod(
            metadata=client.V1ObjectMeta(name="p", namespace="ns", resource_version="1", creation_timestamp=T),
            spec=client.V1PodSpec(containers=[client.V1Container(name="app")], node_name=node),
            status=client.V1PodStatus(phase="Pending", conditions=conditions),
        )
    )


def scheduled(status: str, reason: str | None = None, message: str | None = None):
    return client.V1PodCondition(type="PodScheduled", status=status, reason=reason, message=message, last_transition_time=T)


def test_a_pod_on_a_node_or_scheduled_is_placed():
    assert unplaced_reason(pod(node="n1")) is None
    assert unplaced_reason(pod(node="n1", conditions=[scheduled("False", "Unschedulable", "old")])) is None
    assert unplaced_reason(pod(conditions=[scheduled("True")])) is None


def test_a_pod_no_scheduler_saw_says_pass_node():
    for p in (pod(), pod(conditions=[]), pod(conditions=[scheduled("False")])):
        assert unplaced_reason(p) == f"no scheduler placed the pod within {PLACEMENT_WAIT_S:g} s: pass --node"


def test_a_pod_the_scheduler_refused_carries_its_reason_on_one_line():
    message = "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }.\npreemption: 0/1"
    why = unplaced_reason(pod(conditions=[scheduled("False", "Unschedulable", message)]))
    assert why is not None and "\n" not in why
    assert why.startswith(f"the scheduler placed the pod on no node within {PLACEMENT_WAIT_S:g} s: Unschedulable: 0/1 nodes")
    assert why.endswith("preemption: 0/1")


def test_a_long_reason_is_cut():
    why = unplaced_reason(pod(conditions=[scheduled("False", "Unschedulable", "x" * 5000)]))
    assert why is not None and len(why) < 400 and why.endswith("…")


def test_a_pod_not_seen_yet_is_not_judged():
    assert unplaced_reason(None) is None
