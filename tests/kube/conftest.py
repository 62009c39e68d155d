"""The real cluster for ``--backend kubernetes`` tests: ``scripts/local-cluster.sh up`` makes it.

The tests find it through ``KUBECONFIG`` (else the local cluster's admin kubeconfig) and bind their
pods to ``CPROFILER_TEST_NODE`` (default ``127.0.0.1``, the local cluster's node). Where no cluster
answers they skip on a laptop, but fail in CI (CI=true), like the engine tests.

``--registry`` tests push to a registry of their own: Debian's ``docker-registry`` serving on a free
port of 127.0.0.1 from a temporary folder, for the session (``scripts/install.sh --test`` installs it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
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
    """The cluster (``cprofiler.backends.kubernetes.cluster.Cluster``), checked to answer and to have the node."""
    if "KUBECONFIG" not in os.environ:
        if not LOCAL_KUBECONFIG.exists():
            _unavailable(f"KUBECONFIG is not set and {LOCAL_KUBECONFIG} does not exist")
        os.environ["KUBECONFIG"] = str(LOCAL_KUBECONFIG)
    try:
        from cprofiler.backends.kubernetes import cluster as cluster_mod
        from cprofiler.errors import CprofilerError
    except ImportError as exc:
        _unavailable(f"the kubernetes client is missing: {exc}")
    try:
        c = cluster_mod.connect()
        if not c.node_exists(NODE):
            _unavailable(f"node {NODE} does not exist")
    except CprofilerError as exc:
        _unavailable(str(exc))
    return c


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``127.0.0.1:PORT/cprofiler-test``: a registry on loopback only, empty, gone after the session."""
    binary = shutil.which("docker-registry")
    if binary is None:
        _unavailable("docker-registry is not installed (bash scripts/install.sh --test installs it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = tmp_path_factory.mktemp("registry")
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog: {level: warn}\n"
        f"storage: {{filesystem: {{rootdirectory: {root / 'data'}}}, delete: {{enabled: true}}}}\n"
        f"http: {{addr: '127.0.0.1:{port}'}}\n"
    )
    proc = subprocess.Popen([str(binary), "serve", str(config)], stdout=subprocess.DEVNULL, stderr=(root / "log").open("w"))
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"docker-registry did not serve on 127.0.0.1:{port}: {(root / 'log').read_text()[-500:]}")
            time.sleep(0.1)
        yield f"127.0.0.1:{port}/cprofiler-test"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
