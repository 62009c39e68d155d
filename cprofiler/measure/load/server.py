"""The load server: a static C program FROM scratch with a known cost per request.

``loadserver.c`` beside this module (package data) is compiled here (``cc -static -O2``) and built into an image
FROM scratch, reused by its input hash like any scenario image. With ``COST_US=0`` it is the
trivial server of the generator's ceiling; with a cost, a hold of memory or a failing path it is
the tests' server of known behaviour. ``started`` runs one container of it (or of any image) for
the length of a ``with`` block and removes it afterwards, whatever happens.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cprofiler.engine import Engine
from cprofiler.errors import BuildError, CprofilerError
from cprofiler.images.build import BuiltImage, build_image
from cprofiler.reaper import own_labels
from cprofiler.scenario.model import ImageSpec

#: Source of the load server: package data beside this module, so an installed cprofiler has it.
LOADSERVER_SOURCE = Path(__file__).resolve().with_name("loadserver.c")
#: Name the image is built under (tag ``cprofiler/loadserver:<input hash>``).
LOADSERVER_NAME = "loadserver"
#: Port it listens on unless ``PORT`` says otherwise.
LOADSERVER_PORT = 8080
#: Lines of a container's output kept for a failure's ``log_tail``.
LOG_TAIL_LINES = 20
_READY = re.compile(r"^ready\b")


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


@dataclass
class Running:
    """A container started by ``started``: its id, host pid and the last lines it wrote."""

    container_id: str
    #: Host process id of its first process.
    pid: int
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL_LINES))

    def log_tail(self) -> list[str]:
        return list(self.tail)


@contextmanager
def started(
    engine: Engine,
    image: str,
    *,
    env: Mapping[str, str] | None = None,
    invocation: str | None = None,
    cpuset_cpus: str | None = None,
    cpus: float | None = None,
    memory_limit_bytes: int | None = None,
    ready_timeout_s: float = 20.0,
) -> Iterator[Running]:
    """Run a container of ``image`` until the block ends; it is ready when it prints a ``ready`` line.

    The container carries the labels of this process (``own_labels``), so that a killed run's
    container is reaped, and it is removed when the block ends, however it ends.
    """
    labels = own_labels(invocation or f"load-{uuid.uuid4().hex[:12]}")
    cid = engine.create(
        image=image,
        command=None,
        env=dict(env or {}),
        labels=labels,
        memory_limit_bytes=memory_limit_bytes,
        cpus=cpus,
        cpuset_cpus=cpuset_cpus,
    )
    try:
        running = Running(container_id=cid, pid=0)
        ready = threading.Event()
        output = engine.attach_output(cid)

        def read() -> None:
            pending = b""
            for chunk in output:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    running.tail.append(line)
                    if _READY.match(line):
                        ready.set()

        threading.Thread(target=read, name="cprofiler-load-output", daemon=True).start()
        engine.start(cid)
        deadline = time.monotonic() + ready_timeout_s
        while not ready.wait(0.02):
            state = engine.state(cid)
            if not state.running:
                raise CprofilerError(
                    f"container {cid[:12]} of {image[:19]} exited before it was ready: {running.log_tail()[-3:]}"
                )
            if time.monotonic() > deadline:
                raise CprofilerError(f"container {cid[:12]} of {image[:19]} printed no ready line in {ready_timeout_s:.0f} s")
        running.pid = engine.state(cid).pid
        yield running
    finally:
        engine.remove(cid)
