"""The local cluster runs what users apply: its controller-manager and scheduler on the real cluster.

A Deployment gets a pod the scheduler placed, and more when scaled; deleting it takes its pods with
it (the garbage collector); a Job runs to completion, and one past ``activeDeadlineSeconds`` fails
with ``DeadlineExceeded``; a HorizontalPodAutoscaler is read by its controller. The pods run the
tests' FROM scratch testapp image from the local engine (``imagePullPolicy: Never``), carry no probe
(nothing is sent to them), and are labelled so the suite's leftover check covers them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from cprofiler.labels import LABEL, LABEL_PID
from tests.engine.procs import wait_until
from tests.kube.conftest import NODE

pytestmark = pytest.mark.kube
IMAGE = "cprofiler-test/testapp:controllers"
SELECTOR = {LABEL: "test-controllers", "app": "testapp"}


@pytest.fixture(scope="module")
def api(cluster, engine, testapp_context) -> Iterator[Any]:
    """The kubernetes client on the cluster's kubeconfig, with the testapp image on the engine."""
    from kubernetes import config

    engine.build(
        name="testapp", context=testapp_context, dockerfile=testapp_context / "Dockerfile", tag=IMAGE, buildargs={}, labels={}
    )
    yield config.new_client_from_config(config_file=os.environ["KUBECONFIG"])
    engine.remove_image(IMAGE)


def _until(what: str, check: Any, timeout: float = 60) -> Any:
    return wait_until(check, timeout, what, interval=0.5)


def _pod_template(env: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"labels": {**SELECTOR, LABEL_PID: str(os.getpid())}},
        "spec": {
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "app",
                    "image": IMAGE,
                    "imagePullPolicy": "Never",
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "resources": {"limits": {"memory": "32Mi", "cpu": "250m"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "runAsUser": 65534},
                }
            ],
        },
    }


def _pods(core: Any, namespace: str, extra: str = "") -> list[Any]:
    selector = ",".join(f"{k}={v}" for k, v in SELECTOR.items()) + extra
    return core.list_namespaced_pod(namespace, label_selector=selector).items


def _ready(pod: Any) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])


def test_a_deployment_gets_pods_the_scheduler_placed_and_takes_them_when_deleted(api, cluster):
    from kubernetes import client

    apps, core, ns = client.AppsV1Api(api), client.CoreV1Api(api), cluster.namespace
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "testapp", "labels": {LABEL: "test-controllers"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": SELECTOR}, "template": _pod_template({"MODE": "tcp"})},
    }
    apps.create_namespaced_deployment(ns, body)
    try:
        _until(
            "the Deployment has 1 ready replica",
            lambda: apps.read_namespaced_deployment(body["metadata"]["name"], ns).status.ready_replicas == 1,
        )
        (pod,) = _pods(core, ns)
        # The template names no node: the scheduler bound the pod, and the ReplicaSet owns it.
        assert pod.spec.node_name == NODE and _ready(pod)
        assert [o.kind for o in pod.metadata.owner_references] == ["ReplicaSet"]
        apps.patch_namespaced_deployment_scale("testapp", ns, {"spec": {"replicas": 2}})
        _until("2 ready pods after scaling", lambda: sum(_ready(p) for p in _pods(core, ns)) == 2)
    finally:
        apps.delete_namespaced_deployment("testapp", ns, propagation_policy="Foreground")
    _until("the Deployment's pods are deleted with it", lambda: not _pods(core, ns))
    _until(
        "the Deployment is gone",
        lambda: not apps.list_namespaced_deployment(ns, label_selector=f"{LABEL}=test-controllers").items,
    )


def _job(name: str, env: dict[str, str], deadline_s: int | None = None) -> dict[str, Any]:
    template = _pod_template(env)
    template["metadata"]["labels"]["job"] = name
    template["spec"]["restartPolicy"] = "Never"
    spec: dict[str, Any] = {"backoffLimit": 0, "template": template}
    if deadline_s is not None:
        spec["activeDeadlineSeconds"] = deadline_s
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "labels": {LABEL: "test-controllers"}},
        "spec": spec,
    }


def test_a_job_completes_and_one_past_its_deadline_fails(api, cluster):
    from kubernetes import client

    batch, core, ns = client.BatchV1Api(api), client.CoreV1Api(api), cluster.namespace
    done, late = _job("exits", {"MODE": "exit"}), _job("hangs", {"MODE": "never"}, deadline_s=3)
    for job in (done, late):
        batch.create_namespaced_job(ns, job)
    try:
        status = _until("the exiting Job succeeds", lambda: (s := batch.read_namespaced_job("exits", ns).status).succeeded and s)
        assert status.succeeded == 1 and not status.failed and status.completion_time is not None
        failed = _until(
            "the hanging Job fails at its deadline",
            lambda: [c for c in batch.read_namespaced_job("hangs", ns).status.conditions or [] if c.type == "Failed"],
            timeout=45,
        )
        assert failed[0].status == "True" and failed[0].reason == "DeadlineExceeded", failed
        # The Job controller ends the pod it ran past the deadline.
        _until(
            "the late Job's pod is ended",
            lambda: all(p.metadata.deletion_timestamp or p.status.phase == "Failed" for p in _pods(core, ns, ",job=hangs")),
        )
    finally:
        for job in (done, late):
            batch.delete_namespaced_job(job["metadata"]["name"], ns, propagation_policy="Foreground")
    _until("the Jobs' pods are deleted with them", lambda: not _pods(core, ns))


def test_a_horizontal_pod_autoscaler_is_read_by_its_controller(api, cluster):
    from kubernetes import client

    apps, scaling, core, ns = client.AppsV1Api(api), client.AutoscalingV1Api(api), client.CoreV1Api(api), cluster.namespace
    template = _pod_template({"MODE": "tcp"})
    template["spec"]["containers"][0]["resources"]["requests"] = {"cpu": "100m"}
    apps.create_namespaced_deployment(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "scaled", "labels": {LABEL: "test-controllers"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": SELECTOR}, "template": template},
        },
    )
    scaling.create_namespaced_horizontal_pod_autoscaler(
        ns,
        {
            "apiVersion": "autoscaling/v1",
            "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "scaled", "labels": {LABEL: "test-controllers"}},
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scaled"},
                "minReplicas": 1,
                "maxReplicas": 3,
                "targetCPUUtilizationPercentage": 70,
            },
        },
    )
    try:

        def conditions() -> dict[str, Any]:
            hpa = scaling.read_namespaced_horizontal_pod_autoscaler("scaled", ns)
            raw = (hpa.metadata.annotations or {}).get("autoscaling.alpha.kubernetes.io/conditions")
            return {c["type"]: c for c in json.loads(raw)} if raw and hpa.status.current_replicas == 1 else {}

        # The controller syncs every 15 s. This cluster serves no metrics API (as a cluster
        # without metrics-server), so it says it cannot read the CPU metric, and does not scale.
        seen = _until("the HPA controller writes the HPA's status", conditions, timeout=60)
        assert seen["AbleToScale"]["status"] == "True", seen
        assert seen["ScalingActive"]["status"] == "False" and seen["ScalingActive"]["reason"] == "FailedGetResourceMetric", seen
    finally:
        scaling.delete_namespaced_horizontal_pod_autoscaler("scaled", ns)
        apps.delete_namespaced_deployment("scaled", ns, propagation_policy="Foreground")
    _until("the Deployment's pods are deleted with it", lambda: not _pods(core, ns))
