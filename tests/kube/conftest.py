"""The real cluster for ``--backend kubernetes`` tests: ``scripts/local-cluster.sh up`` makes it.

The tests find it through ``KUBECONFIG`` (else the local cluster's admin kubeconfig) and bind their
pods to ``CPROFILER_TEST_NODE`` (default ``127.0.0.1``, the local cluster's node). Where no cluster
answers they skip on a laptop, but fail in CI (CI=true), like the engine tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LOCAL_KUBECONFIG = Path(os.environ.get("CPROFILER_K8S_RUN", "/var/lib/cprofiler-k8s")) / "admin.kubeconfig"
NODE = os.environ.get("CPROFILER_TEST_NODE", "127.0.0.1")


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and no Kubernetes cluster for the kube tests: {why}", pytrace=False)
    pytest.skip(f"no Kubernetes cluster ({why}); bring one up with: bash scripts/local-cluster.sh up")


@pytest.fixture(scope="session")
def cluster(engine) -> Any:
    """The cluster (``cprofiler.kube.cluster.Cluster``), checked to answer and to have the node."""
    if "KUBECONFIG" not in os.environ:
        if not LOCAL_KUBECONFIG.exists():
            _unavailable(f"KUBECONFIG is not set and {LOCAL_KUBECONFIG} does not exist")
        os.environ["KUBECONFIG"] = str(LOCAL_KUBECONFIG)
    try:
        from cprofiler.errors import CprofilerError
        from cprofiler.kube import cluster as cluster_mod
    except ImportError as exc:
        _unavailable(f"the kubernetes client is missing: {exc}")
    try:
        c = cluster_mod.connect()
        if not c.node_exists(NODE):
            _unavailable(f"node {NODE} does not exist")
    except CprofilerError as exc:
        _unavailable(str(exc))
    return c


@pytest.fixture(autouse=True)
def _no_pod_left(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every kube test must leave no pod of this process (or of its children) behind."""
    if request.node.get_closest_marker("kube") is None:
        yield
        return
    c = request.getfixturevalue("cluster")
    yield
    import psutil

    from cprofiler.labels import LABEL, LABEL_PID

    mine = {str(os.getpid())} | {str(p.pid) for p in psutil.Process().children(recursive=True)}
    left = [p.name for p in c.labelled_pods(LABEL) if p.labels.get(LABEL_PID) in mine]
    assert not left, f"pods left behind: {left}"
