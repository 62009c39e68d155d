"""``cprofiler clean``: remove containers (or, ``--backend kubernetes``, pods) that dead cprofiler
invocations left behind."""

from __future__ import annotations

from cprofiler import engine as engine_mod
from cprofiler import reaper


def clean_command(everything: bool) -> int:
    engine = engine_mod.connect()
    removed = reaper.reap(engine, everything=everything)
    if removed:
        print(f"removed {len(removed)} containers: {' '.join(removed)}")
    else:
        print("nothing to clean: no container of a dead cprofiler invocation")
    return 0


def clean_pods_command(everything: bool, context: str | None, namespace: str | None) -> int:
    from cprofiler.kube import cluster as cluster_mod
    from cprofiler.kube.pods import reap_pods

    cluster = cluster_mod.connect(context, namespace)
    removed = reap_pods(cluster, everything=everything)
    if removed:
        print(f"deleted {len(removed)} pods in namespace {cluster.namespace}: {' '.join(removed)}")
    else:
        print(f"nothing to clean: no pod of a dead cprofiler invocation in namespace {cluster.namespace}")
    return 0
