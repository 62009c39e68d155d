"""The only module that talks to Kubernetes (the official ``kubernetes`` client), as ``engine.py``
is the only one that talks to Docker.

It uses only API that every current cluster still serves: core/v1 Pods (create, watch, log,
delete), Nodes (read, and the node proxy to the kubelet's ``/stats/summary``) and the version
endpoint. Faults become :class:`~cprofiler.errors.ClusterError` naming what was being done; the
rest of cprofiler sees plain dataclasses (:class:`PodView`), never the client's types.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cprofiler.errors import ClusterError, UsageError
from cprofiler.results.files import read_bounded

try:
    from kubernetes import client, config, watch
    from kubernetes.client.exceptions import ApiException
except ImportError:  # pragma: no cover - the optional extra is missing
    client = config = watch = None  # type: ignore[assignment]
    ApiException = Exception  # type: ignore[assignment,misc]

NOT_FOUND = 404
#: Largest kubeconfig file read, in bytes: one with hundreds of contexts and embedded certificates
#: takes a few megabytes.
MAX_KUBECONFIG_BYTES = 16 << 20
#: Seconds one API call may take before it counts as failed (watches and log streams excepted).
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class ContainerView:
    """The state of a pod's container as the API server last reported it."""

    #: waiting, running or terminated (None before the kubelet reported anything).
    state: str | None = None
    #: Why it waits (``ContainerCreating``, ``ErrImageNeverPull``) or why it ended (``OOMKilled``, ``Error``).
    reason: str | None = None
    message: str | None = None
    exit_code: int | None = None
    #: When the runtime started it (whole seconds, the API server's resolution), epoch seconds.
    started_at_s: float | None = None


@dataclass(frozen=True)
class PodView:
    """What cprofiler reads from one Pod object."""

    name: str
    resource_version: str
    node_name: str | None = None
    #: ``metadata.creationTimestamp`` in epoch seconds (whole seconds).
    created_s: float | None = None
    #: Condition type → (status is True, lastTransitionTime in epoch seconds or None).
    conditions: dict[str, tuple[bool, float | None]] = field(default_factory=dict)
    #: Condition type → its reason and message (``Unschedulable: 0/1 nodes are available: …``), when it has any.
    condition_reasons: dict[str, str] = field(default_factory=dict)
    container: ContainerView = field(default_factory=ContainerView)
    labels: dict[str, str] = field(default_factory=dict)

    def condition(self, kind: str) -> bool:
        return self.conditions.get(kind, (False, None))[0]


def _epoch(t: dt.datetime | None) -> float | None:
    return t.timestamp() if t is not None else None


def _view(pod: Any) -> PodView:
    meta, status = pod.metadata, pod.status
    conditions = {c.type: (c.status == "True", _epoch(c.last_transition_time)) for c in (status.conditions or [])}
    container = ContainerView()
    statuses = status.container_statuses or []
    if statuses:
        cs = statuses[0]
        st = cs.state
        if st.terminated is not None:
            t = st.terminated
            container = ContainerView("terminated", t.reason, t.message, t.exit_code, _epoch(t.started_at))
        elif st.running is not None:
            container = ContainerView("running", started_at_s=_epoch(st.running.started_at))
        elif st.waiting is not None:
            container = ContainerView("waiting", st.waiting.reason, st.waiting.message)
    return PodView(
        name=meta.name,
        resource_version=meta.resource_version,
        node_name=pod.spec.node_name,
        created_s=_epoch(meta.creation_timestamp),
        conditions=conditions,
        condition_reasons={
            c.type: ": ".join(str(x) for x in (c.reason, c.message) if x)
            for c in (status.conditions or [])
            if c.reason or c.message
        },
        container=container,
        labels=dict(meta.labels or {}),
    )


@contextlib.contextmanager
def _call(action: str) -> Iterator[None]:
    """Turn the client's faults into one ClusterError line naming ``action``."""
    try:
        yield
    except ApiException as exc:
        reason = getattr(exc, "reason", "") or ""
        body = getattr(exc, "body", None)
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            reason = json.loads(str(body)).get("message") or reason
        status = getattr(exc, "status", None)
        raise ClusterError(f"Kubernetes: could not {action}: {status or ''} {reason}".strip(), status) from None
    except OSError as exc:  # urllib3's connection errors are OSErrors
        raise ClusterError(f"Kubernetes: could not {action}: {exc}") from None


class Cluster:
    """One Kubernetes API server, as the user's kubeconfig and context reach it."""

    def __init__(self, api: Any, namespace: str, context: str | None) -> None:
        self._api_client = api
        # Typed as Any: the client's generated hints disagree with its documented raw-response use.
        self.core: Any = client.CoreV1Api(api)
        self.namespace = namespace
        self.context = context

    # --- pods -----------------------------------------------------------------------------------

    def create_pod(self, manifest: dict[str, Any]) -> PodView:
        with _call(f"create pod {manifest['metadata']['name']} in namespace {self.namespace}"):
            pod = self.core.create_namespaced_pod(self.namespace, manifest, _request_timeout=REQUEST_TIMEOUT_S)
        return _view(pod)

    def watch_pod(
        self, name: str, resource_version: str, timeout_s: float, stop: threading.Event
    ) -> Iterator[tuple[str, PodView]]:
        """Yield ``(event type, pod)`` for pod ``name`` from ``resource_version`` on, until ``stop``
        is set (checked at each event) or ``timeout_s`` has passed."""
        w = watch.Watch()
        with _call(f"watch pod {name}"):
            for event in w.stream(
                self.core.list_namespaced_pod,
                self.namespace,
                field_selector=f"metadata.name={name}",
                resource_version=resource_version,
                timeout_seconds=max(1, int(timeout_s) + 1),
                _request_timeout=timeout_s + 5,
            ):
                if stop.is_set():
                    w.stop()
                    return
                obj = event["object"]
                if not hasattr(obj, "metadata"):  # an ERROR event carries a Status, not a Pod
                    raise ClusterError(f"Kubernetes: watch of pod {name} ended: {getattr(obj, 'message', obj)}")
                yield event["type"], _view(obj)

    def follow_log(self, name: str) -> Iterator[bytes]:
        """The pod's output as it comes, in raw chunks (the container must have started)."""
        with _call(f"follow the log of pod {name}"):
            resp = self.core.read_namespaced_pod_log(name, self.namespace, follow=True, _preload_content=False)
            try:
                yield from resp.stream(4096)
            finally:
                resp.release_conn()

    def log_tail(self, name: str, lines: int) -> list[str]:
        with _call(f"read the log of pod {name}"):
            text = self.core.read_namespaced_pod_log(name, self.namespace, tail_lines=lines, _request_timeout=REQUEST_TIMEOUT_S)
        return str(text).splitlines()

    def delete_pod(self, name: str) -> None:
        """Delete at once (grace period 0: ~14 ms; a graceful delete takes 5-57 s on 1.20); a pod
        that is gone already is fine."""
        try:
            with _call(f"delete pod {name}"):
                self.core.delete_namespaced_pod(name, self.namespace, grace_period_seconds=0, _request_timeout=REQUEST_TIMEOUT_S)
        except ClusterError as exc:
            if exc.status != NOT_FOUND:
                raise

    def labelled_pods(self, selector: str) -> list[PodView]:
        """Pods of this namespace matching the label selector ``selector`` (``cprofiler=abc``)."""
        with _call(f"list pods labelled {selector}"):
            pods = self.core.list_namespaced_pod(self.namespace, label_selector=selector, _request_timeout=REQUEST_TIMEOUT_S)
        return [_view(p) for p in pods.items]

    def pod_events(self, name: str) -> list[tuple[str, str]]:
        """``(reason, message)`` of the events about pod ``name``, oldest first."""
        with _call(f"list the events of pod {name}"):
            events = self.core.list_namespaced_event(
                self.namespace, field_selector=f"involvedObject.name={name}", _request_timeout=REQUEST_TIMEOUT_S
            )
        return [(str(e.reason or ""), str(e.message or "")) for e in events.items]

    # --- nodes ----------------------------------------------------------------------------------

    def stats_summary(self, node: str) -> dict[str, Any]:
        """The kubelet's ``/stats/summary`` of ``node``, through the API server's node proxy."""
        with _call(f"read /stats/summary of node {node} through the API server's node proxy"):
            resp = self.core.connect_get_node_proxy_with_path(
                node, "stats/summary", _preload_content=False, _request_timeout=REQUEST_TIMEOUT_S
            )
            data = json.loads(resp.data)
        return data if isinstance(data, dict) else {}

    def node_facts(self, node: str) -> dict[str, Any]:
        """Facts of ``node`` for the results' environment."""
        with _call(f"read node {node}"):
            n: Any = self.core.read_node(node, _request_timeout=REQUEST_TIMEOUT_S)
        info = n.status.node_info
        capacity = n.status.capacity or {}
        addresses = [a.address for a in (n.status.addresses or [])]
        return {
            "node_name": node,
            "node_addresses": addresses,
            "kubelet_version": info.kubelet_version,
            "container_runtime": info.container_runtime_version,
            "kernel": info.kernel_version,
            "os": info.os_image,
            "node_capacity_cpu": capacity.get("cpu"),
            "node_capacity_memory": capacity.get("memory"),
            "node_capacity_pods": capacity.get("pods"),
            "node_boot_id": info.boot_id,
        }

    def node_exists(self, node: str) -> bool:
        try:
            with _call(f"read node {node}"):
                self.core.read_node(node, _request_timeout=REQUEST_TIMEOUT_S)
        except ClusterError as exc:
            if exc.status == NOT_FOUND:
                return False
            raise
        return True

    def server_version(self) -> str:
        with _call("read the API server's version"):
            v: Any = client.VersionApi(self._api_client).get_code(_request_timeout=REQUEST_TIMEOUT_S)
        return str(v.git_version)


def _check_kubeconfig(paths: str) -> None:
    """Each kubeconfig file of ``paths`` (``KUBECONFIG`` lists them with ``:``) that exists must be
    a regular file of at most MAX_KUBECONFIG_BYTES: the client reads it whole, ``/dev/zero`` too."""
    for part in paths.split(os.pathsep):
        if part and os.path.exists(part):
            read_bounded(
                Path(part),
                where=f"--backend kubernetes: the kubeconfig {part}",
                limit=MAX_KUBECONFIG_BYTES,
                expected=f"a kubeconfig (a regular file of at most {MAX_KUBECONFIG_BYTES} bytes)",
                sized="a kubeconfig",
            )


def connect(context: str | None = None, namespace: str | None = None) -> Cluster:
    """The cluster of the user's kubeconfig (``KUBECONFIG``, else ``~/.kube/config``) and ``context``
    (else its current context); ``namespace`` else the context's, else ``default``. Checked with a
    version request, so an unreachable API server is reported here, before anything is built."""
    if client is None:
        raise UsageError("--backend kubernetes: the kubernetes Python client is missing; install cprofiler[kubernetes]")
    # Read now, not at the client's import (which fixes its default then).
    path = os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
    _check_kubeconfig(path)
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
        chosen = next((c for c in contexts if c["name"] == context), None) if context else current
        if context and chosen is None:
            names = ", ".join(c["name"] for c in contexts)
            raise UsageError(f"--context {context}: no such context in the kubeconfig; expected one of {names}")
        api = config.new_client_from_config(config_file=path, context=context)
    except (config.ConfigException, OSError) as exc:
        raise UsageError(f"--backend kubernetes: cannot use the kubeconfig {path} ({exc}); set KUBECONFIG or --context") from None
    ns = namespace or (chosen or {}).get("context", {}).get("namespace") or "default"
    cluster = Cluster(api, ns, (chosen or {}).get("name"))
    cluster.server_version()
    return cluster
