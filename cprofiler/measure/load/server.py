"""The load server: a static C program FROM scratch with a known cost per request.

``loadserver.c`` beside this module (package data) is compiled here (``cc -static -O2``) and built into an image
FROM scratch, reused by its input hash like any scenario image. With ``COST_US=0`` it is the
trivial server of the generator's ceiling; with a cost, a hold of memory or a failing path it is
the tests' server of known behaviour. ``started`` runs one container of it (or of any image) for
the length of a ``with`` block and removes it afterwards, whatever happens.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cprofiler.backends.run import LOG_TAIL_LINES, end_run, kept_tail, read_output
from cprofiler.engine import Engine
from cprofiler.errors import BuildError, CprofilerError
from cprofiler.images.build import BuiltImage, build_image
from cprofiler.measure.containers import ContainerSet
from cprofiler.measure.probes import Watch, make_probe
from cprofiler.measure.start import wait_exit
from cprofiler.reaper import own_labels
from cprofiler.scenario.model import ImageSpec, ReadySpec

#: Source of the load server: package data beside this module, so an installed cprofiler has it.
LOADSERVER_SOURCE = Path(__file__).resolve().with_name("loadserver.c")
#: Name the image is built under (tag ``cprofiler/loadserver:<input hash>``).
LOADSERVER_NAME = "loadserver"
#: Port it listens on unless ``PORT`` says otherwise.
LOADSERVER_PORT = 8080
#: How ``started`` knows the server is ready: the log probe, at its first ``ready`` line.
READY_LINE = ReadySpec(log=r"^ready\b")


def build_loadserver(engine: Engine, *, invocation: str, source: Path = LOADSERVER_SOURCE) -> BuiltImage:
    """Compile the load server and build (or reuse) its FROM scratch image."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise BuildError("the load server needs a C compiler (cc); install build-essential")
    if not source.is_file():
        raise BuildError(f"the load server's source {source} is missing; it ships with cprofiler; reinstall it")
    with tempfile.TemporaryDirectory(prefix="cprofiler-loadserver-") as tmp:
        ctx = Path(tmp)
        proc = subprocess.run(
            [cc, "-static", "-O2", "-o", str(ctx / "loadserver"), str(source)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if proc.returncode != 0:
            raise BuildError(f"the load server did not compile: {' '.join(proc.stderr.split())[-300:]}")
        dockerfile = ctx / "Dockerfile"
        dockerfile.write_text('FROM scratch\nCOPY loadserver /loadserver\nENTRYPOINT ["/loadserver"]\n', encoding="utf-8")
        spec = ImageSpec.model_validate(
            {"dockerfile": dockerfile, "context": ctx, "ready": {"http": {"port": LOADSERVER_PORT, "path": "/"}}}
        )
        return build_image(engine, LOADSERVER_NAME, spec, invocation=invocation, offline=True)


@dataclass(frozen=True)
class ServerLimits:
    """What a load server's container may use; None: no limit."""

    #: CPUs it is pinned to (cpuset syntax: ``0``, ``1-3``).
    cpuset_cpus: str | None = None
    #: Its CPU cap, in cores.
    cpus: float | None = None
    #: Its memory limit, in bytes.
    memory_limit_bytes: int | None = None


#: A load server's container without limits.
NO_LIMITS = ServerLimits()


@dataclass
class LoadServer:
    """A container started by ``started``: its id, host pid and the last lines it wrote."""

    container_id: str
    #: Host process id of its first process (0 until it is ready).
    pid: int = 0
    #: Its output lines, each already cut to ``LOG_LINE_KEEP_BYTES``; the newest LOG_TAIL_LINES.
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))

    def log_tail(self) -> list[str]:
        """The newest lines it wrote, at most ``LOG_TAIL_BYTES`` in all, as a run keeps them."""
        return kept_tail(list(self.tail))


@contextmanager
def started(
    engine: Engine,
    image: str,
    *,
    env: Mapping[str, str] | None = None,
    limits: ServerLimits = NO_LIMITS,
    invocation: str | None = None,
    ready_timeout_s: float = 20.0,
) -> Iterator[LoadServer]:
    """Run a container of ``image`` until the block ends; it is ready when it prints a ``ready`` line.

    It goes through the pieces of a cold-start run: recorded in a ``ContainerSet`` the moment it is
    created, its output read with the same cap per line (``read_output``), readiness told by the
    log probe, and ``end_run`` to remove it. The container carries the labels of this process
    (``own_labels``), so that a killed run's container is reaped, and it is removed when the block
    ends, however it ends.
    """
    containers = ContainerSet(engine)
    cid = engine.create(
        image=image,
        command=None,
        env=dict(env or {}),
        labels=own_labels(invocation or f"load-{uuid.uuid4().hex[:12]}"),
        memory_limit_bytes=limits.memory_limit_bytes,
        cpus=limits.cpus,
        cpuset_cpus=limits.cpuset_cpus,
    )
    containers.add(cid)
    watch = Watch()
    try:
        server = LoadServer(container_id=cid)
        _start_until_ready(engine, server, watch, image, ready_timeout_s)
        yield server
    finally:
        end_run(watch, lambda: containers.remove(cid))


def _start_until_ready(engine: Engine, server: LoadServer, watch: Watch, image: str, timeout_s: float) -> None:
    """Attach, start, and wait for the ``ready`` line; CprofilerError when it exits or stays silent."""
    cid = server.container_id
    probe = make_probe(READY_LINE)
    output = engine.attach_output(cid)
    reader = threading.Thread(
        target=read_output, args=(output, probe, watch, server.tail), name="cprofiler-load-output", daemon=True
    )
    reader.start()
    engine.start(cid)
    threading.Thread(target=wait_exit, args=(engine, cid, probe, watch), name="cprofiler-load-exit", daemon=True).start()
    if not watch.done.wait(timeout_s):
        raise CprofilerError(f"container {cid[:12]} of {image[:19]} printed no ready line in {timeout_s:.0f} s")
    if watch.ready_ns is None:
        if watch.probe_error is not None:
            raise CprofilerError(f"container {cid[:12]} of {image[:19]}: {watch.probe_error}")
        reader.join(timeout=1.0)  # let the last lines of a dying container arrive
        raise CprofilerError(f"container {cid[:12]} of {image[:19]} exited before it was ready: {server.log_tail()[-3:]}")
    server.pid = engine.state(cid).pid
