"""The connection to one Docker engine: :class:`Engine` and :func:`connect`.

``Engine`` is the facade the rest of cprofiler calls: its image calls (``engine/images.py``) and
container calls (``engine/containers.py``), plus the facts about the engine itself here.
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading
from typing import Any

import docker
import docker.errors
import docker.tls

from cprofiler.engine.containers import ContainerCalls
from cprofiler.engine.endpoint import Endpoint, resolve_endpoint
from cprofiler.engine.faults import engine_call, engine_fault
from cprofiler.engine.images import ImageCalls


class Engine(ImageCalls, ContainerCalls):
    """A connection to one Docker engine."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client
        self.api: docker.APIClient = client.api

    def describe(self) -> dict[str, Any]:
        """Return the engine facts that go into the results' ``environment`` block."""
        with engine_call("read the engine's info"):
            info = self.api.info()
            version = self.api.version()
        return {
            "engine_version": version.get("Version"),
            "api_version": version.get("ApiVersion"),
            "kernel": info.get("KernelVersion"),
            "os": info.get("OperatingSystem"),
            "cgroup_version": str(info.get("CgroupVersion") or "1"),
            "cgroup_driver": info.get("CgroupDriver"),
            "storage_driver": info.get("Driver"),
            "engine_cpus": info.get("NCPU"),
            "engine_memory_bytes": info.get("MemTotal"),
        }

    def data_root(self) -> str | None:
        """The engine's data directory (``DockerRootDir``), where image layers take disk space."""
        with engine_call("read the engine's info"):
            return str(self.api.info().get("DockerRootDir") or "") or None

    def arch(self) -> str:
        """The engine's CPU architecture in Go's spelling (``amd64``, ``arm64``)."""
        with engine_call("read the engine's version"):
            return str(self.api.version().get("Arch") or "")

    def is_local(self) -> bool:
        """True when the engine runs on this host and in this PID namespace, so the container pids
        it reports are ours to read (``/proc/PID``): a unix socket whose server we can see."""
        return self.is_unix_socket() and self.same_pid_namespace()

    def is_unix_socket(self) -> bool:
        """True when the engine is reached through a unix socket on this machine."""
        base = str(getattr(self.api, "base_url", ""))
        return base.startswith("http+docker://localhost") or base.startswith("http+docker://localunixsocket")

    @functools.cache  # noqa: B019 - one engine per process (connect() caches it)
    def same_pid_namespace(self) -> bool:
        """Whether the process serving the engine's socket runs in our PID namespace.

        The kernel gives a socket's peer pid in the reader's namespace, and 0 when the peer cannot
        be seen from it: cprofiler in a container with the engine's socket, whose ``/proc/PID`` of
        a container would be nothing, or some other process of its own. Where the peer's namespace
        cannot be read (not root), it is taken to be ours, as it always was.
        """
        path = getattr(getattr(self.api, "_custom_adapter", None), "socket_path", None)
        if not path:
            return True
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(5)
                s.connect(path)
                creds = s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except OSError:
            return True  # the engine's own calls will say what is wrong
        pid = struct.unpack("3i", creds)[0]
        if pid <= 0:
            return False
        try:
            return os.readlink(f"/proc/{pid}/ns/pid") == os.readlink("/proc/self/ns/pid")
        except OSError:
            return True


_lock = threading.Lock()
_engine: Engine | None = None


def _client(endpoint: Endpoint) -> docker.DockerClient:
    # A generous pool: probes, log readers and waiters run in parallel for one container.
    if endpoint.host is None:
        return docker.from_env(timeout=300, max_pool_size=16)
    tls: docker.tls.TLSConfig | bool = False
    if endpoint.tls_dir is not None:
        ca, cert, key = (endpoint.tls_dir / f for f in ("ca.pem", "cert.pem", "key.pem"))
        tls = docker.tls.TLSConfig(
            client_cert=(str(cert), str(key)) if cert.exists() and key.exists() else None,
            ca_cert=str(ca) if ca.exists() else None,
            verify=not endpoint.skip_tls_verify,
        )
    return docker.DockerClient(
        base_url=endpoint.host,
        tls=tls,
        timeout=300,
        max_pool_size=16,
        # ssh:// as the docker CLI does it (the user's ssh and its configuration), not paramiko.
        use_ssh_client=endpoint.host.startswith("ssh://"),
    )


def connect() -> Engine:
    """Connect to the engine the environment names (see :func:`resolve_endpoint`: DOCKER_HOST,
    DOCKER_CONTEXT, the current Docker context, else the local socket).

    The connection is checked with a ping, so a stopped engine is reported here, before any work.
    """
    global _engine
    with _lock:
        if _engine is not None:
            return _engine
        endpoint = resolve_endpoint()
        # Name the address in the message: "permission denied" means little without the socket.
        action = f"connect to {endpoint.describe()}"
        with engine_call(action):
            try:
                client = _client(endpoint)
                client.ping()
            except docker.errors.DockerException as exc:
                # The SDK wraps the transport's error: the cause is what tells refused from forbidden.
                raise engine_fault(action, exc.__cause__ or exc) from exc
        _engine = Engine(client)
        return _engine
