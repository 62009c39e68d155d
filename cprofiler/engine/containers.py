"""The engine's container calls: create, attach, start, inspect, wait, stats, remove, list.

It uses the SDK's low-level ``APIClient``: the high-level ``containers.create`` inspects the
container again after creating it, and that second round trip would be counted in ``create_ms``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, Unpack

import docker
import docker.errors

from cprofiler.engine.faults import engine_call
from cprofiler.labels import LABEL
from cprofiler.scenario.model import DEFAULT_PIDS_LIMIT

#: The label a kubelet's dockershim puts on every container it makes for a pod.
KUBELET_POD_LABEL = "io.kubernetes.pod.uid"
#: The label and value of the sandbox container a dockershim makes first for each pod.
KUBELET_SANDBOX_LABEL = "io.kubernetes.docker.type=podsandbox"


@dataclass(frozen=True)
class ContainerState:
    """The part of ``docker inspect`` the run loop needs."""

    running: bool
    #: Host process id of the container's init process; 0 when it is not running.
    pid: int
    exit_code: int | None
    oom_killed: bool
    status: str


class ContainerSpec(TypedDict):
    """What :meth:`ContainerCalls.create` makes: an unprivileged container with no mounts."""

    image: str
    #: The command, replacing the image's ``CMD``; None: the image's own.
    command: list[str] | None
    env: Mapping[str, str]
    labels: Mapping[str, str]
    #: Memory limit, in bytes (swap limited to the same); None: unlimited.
    memory_limit_bytes: int | None
    #: CPU cap, in cores; None: uncapped.
    cpus: float | None
    #: Container ports published on 127.0.0.1 at ports the engine picks: only where cprofiler cannot
    #: enter the container's network namespace to probe it.
    publish_ports: NotRequired[list[int] | None]
    #: CPUs the container may run on (``"0"``, ``"0-1"``): the load phase keeps it off the generator's.
    cpuset_cpus: NotRequired[str | None]
    #: Its cgroup goes under this one (cgroupfs driver: an absolute cgroup path such as
    #: ``/cprofiler-…``), whose counters outlive the container.
    cgroup_parent: NotRequired[str | None]
    #: Most processes and threads in it; default: ``DEFAULT_PIDS_LIMIT`` (every container's, helpers' too).
    pids_limit: NotRequired[int | None]
    #: Capabilities dropped (``ALL``).
    cap_drop: NotRequired[list[str] | None]
    #: Run as ``UID:GID`` instead of the image's user (see ``measure.security``).
    user: NotRequired[str | None]


class ContainerCalls:
    """The container half of :class:`~cprofiler.engine.facade.Engine`."""

    api: docker.APIClient

    def create(self, **spec: Unpack[ContainerSpec]) -> str:
        """Create an unprivileged container with no mounts (see :class:`ContainerSpec`); return its id."""
        memory = spec["memory_limit_bytes"]
        cpus = spec["cpus"]
        ports = spec.get("publish_ports") or []
        host_config = self.api.create_host_config(
            mem_limit=memory,
            # Without an equal swap limit a container over its memory limit swaps instead of
            # being OOM-killed, and its memory figures would stop meaning what they say.
            memswap_limit=memory,
            nano_cpus=int(cpus * 1e9) if cpus else None,
            cpuset_cpus=spec.get("cpuset_cpus"),
            privileged=False,
            port_bindings={p: ("127.0.0.1", None) for p in ports} or None,
            security_opt=["no-new-privileges"],
            cgroup_parent=spec.get("cgroup_parent"),
            pids_limit=spec.get("pids_limit", DEFAULT_PIDS_LIMIT),
            cap_drop=spec.get("cap_drop"),
        )
        with engine_call(f"create a container of {spec['image'][:19]}"):
            created = self.api.create_container(
                image=spec["image"],
                command=spec["command"],
                environment=dict(spec["env"]),
                labels=dict(spec["labels"]),
                host_config=host_config,
                ports=list(ports) or None,
                detach=True,
                stdin_open=False,
                tty=False,
                user=spec.get("user"),
            )
        return str(created["Id"])

    def attach_output(self, container_id: str) -> Iterator[bytes]:
        """Attach to a container's stdout and stderr and yield raw output chunks as they come.

        Call it before ``start``: the attach is established when this returns, so no early line
        is missed (``logs=1`` also replays anything already written). stdout and stderr arrive
        interleaved in the order the engine received them.
        """
        with engine_call(f"attach to container {container_id[:12]}"):
            stream = self.api.attach(container_id, stdout=True, stderr=True, stream=True, logs=True, demux=True)

        def chunks() -> Iterator[bytes]:
            try:
                for out, err in stream:
                    if out:
                        yield out
                    if err:
                        yield err
            except Exception:  # noqa: BLE001 - the stream ends when the container is removed
                return

        return chunks()

    def start(self, container_id: str) -> None:
        with engine_call(f"start container {container_id[:12]}"):
            self.api.start(container_id)

    def state(self, container_id: str) -> ContainerState:
        with engine_call(f"inspect container {container_id[:12]}"):
            data = self.api.inspect_container(container_id)
        st = data.get("State") or {}
        running = bool(st.get("Running"))
        return ContainerState(
            running=running,
            pid=int(st.get("Pid") or 0),
            exit_code=None if running else int(st.get("ExitCode") or 0),
            oom_killed=bool(st.get("OOMKilled")),
            status=str(st.get("Status") or ""),
        )

    def published_port(self, container_id: str, port: int) -> int | None:
        """Host port on 127.0.0.1 that ``port`` of the container is published at."""
        with engine_call(f"read the ports of container {container_id[:12]}"):
            bindings = self.api.port(container_id, port) or []
        for b in bindings:
            if b.get("HostPort"):
                return int(b["HostPort"])
        return None

    def wait_exit(self, container_id: str) -> int | None:
        """Block until the container exits; return its exit code (None if the wait was cut)."""
        try:
            result = self.api.wait(container_id)
        except Exception:  # noqa: BLE001 - removal of the container ends the wait
            return None
        return int(result.get("StatusCode", -1))

    def stats_once(self, container_id: str) -> dict[str, Any]:
        """One sample of the engine's stats (used where cgroup files cannot be read directly)."""
        with engine_call(f"read stats of container {container_id[:12]}"):
            return dict(self.api.stats(container_id, stream=False, one_shot=True))

    def remove(self, container_id: str) -> None:
        """Remove a container, killing it if it runs; a container already gone is fine."""
        with engine_call(f"remove container {container_id[:12]}"):
            try:
                self.api.remove_container(container_id, force=True, v=True)
            except docker.errors.APIError as exc:
                if exc.status_code not in (404, 409):  # gone, or removal already in progress
                    raise

    def labelled_containers(self, invocation: str | None = None) -> list[dict[str, Any]]:
        """Every container (running or not) carrying the ``cprofiler`` label, with its labels;
        only those of one ``invocation`` when given.

        Containers a kubelet made for cprofiler's pods (``--backend kubernetes`` on this engine)
        carry the pod's labels too, but they are the kubelet's: cprofiler deletes the pod and the
        kubelet removes them, so they are left out here.
        """
        label = LABEL if invocation is None else f"{LABEL}={invocation}"
        with engine_call("list containers"):
            found = self.api.containers(all=True, filters={"label": label})
        return [
            {"id": c["Id"], "labels": c.get("Labels") or {}, "state": c.get("State")}
            for c in found
            if KUBELET_POD_LABEL not in (c.get("Labels") or {})
        ]

    def pod_sandbox_pid(self, namespace: str, pod: str) -> int | None:
        """Host pid of the running sandbox a kubelet's dockershim made on this engine for pod
        ``namespace/pod`` (the container that holds the pod's network namespace), or None."""
        filters = {
            "label": [f"io.kubernetes.pod.namespace={namespace}", f"io.kubernetes.pod.name={pod}", KUBELET_SANDBOX_LABEL],
            "status": "running",
        }
        with engine_call(f"find the sandbox of pod {pod}"):
            found = self.api.containers(filters=filters)
            for c in found:
                pid = int((self.api.inspect_container(c["Id"]).get("State") or {}).get("Pid") or 0)
                if pid > 0:
                    return pid
        return None
