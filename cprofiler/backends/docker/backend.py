"""``--backend docker``: each run one container on the local engine (``measure/start.py``), at the
``--cold`` level of ``measure/cold.py``, with the load phase of ``measure/load/``."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from cprofiler.backends.base import Backend, Invocation, Transport
from cprofiler.backends.registry import BACKENDS
from cprofiler.backends.run import RunTiming, Subject
from cprofiler.errors import EngineError, ImageMissing
from cprofiler.measure import cold as cold_levels
from cprofiler.measure.containers import ContainerSet
from cprofiler.measure.load.phase import LoadPhase
from cprofiler.measure.probes.base import POLL_INTERVAL_S
from cprofiler.measure.start import Starter, probe_via
from cprofiler.results.model import RunResult

if TYPE_CHECKING:
    from cprofiler.engine import Engine, ImageInfo
    from cprofiler.scenario.loadspec import LoadSpec
    from cprofiler.settings import RunSettings

#: Longest wait for an image another invocation's ``--cold image`` removed to come back, in seconds.
IMAGE_BACK_WAIT_S = 60.0


@BACKENDS.register("docker")
class DockerBackend(Backend):
    """Runs on the local engine: one labelled container per run, removed when the run ends."""

    name = "docker"

    def __init__(self, settings: RunSettings, engine: Engine, invocation: Invocation) -> None:
        super().__init__(settings, engine, invocation)
        self.containers = ContainerSet(engine, invocation.id)
        self.cold = cold_levels.make(settings.cold or "warm", engine)
        self.via = settings.probe_via or "published-port"
        self.starter = Starter(
            engine,
            invocation=invocation,
            containers=self.containers,
            via=self.via,
            timing=RunTiming(timeout_s=settings.timeout_s, settle_s=settings.settle_s),
        )
        self.load = LoadPhase(engine, self.starter, invocation=invocation.id)

    @classmethod
    def transport(cls, engine: Engine) -> Transport:
        return Transport(probe_via=probe_via(engine), probe_interval_ms=POLL_INTERVAL_S * 1000)

    @classmethod
    def notice(cls, engine: Engine) -> str | None:
        if engine.is_unix_socket() and not engine.same_pid_namespace():
            # Its container pids are not ours: no netns probes, no cgroup files, said once.
            return (
                "the engine's containers run in another PID namespace than cprofiler (cprofiler in a container "
                "with the engine's socket?); probes use ports published on 127.0.0.1 and memory comes from the engine's "
                "stats, which works where cprofiler shares the engine host's network (docker run --network host)"
            )
        return None

    def check(self, load_rows: list[tuple[str, LoadSpec]]) -> None:
        self.cold.check()
        assert self.load is not None
        self.load.check(load_rows, self.via)

    def run(self, subject: Subject, index: int) -> RunResult:
        try:
            return self.starter.run(subject, index)
        except ImageMissing:
            # Another invocation's --cold image removed this shared image (the floor, or equal
            # inputs) and puts it back within seconds; no container was made, so just try again.
            self.wait_for_image(subject.built.info)
            return self.starter.run(subject, index)

    def wait_for_image(self, info: ImageInfo, timeout_s: float = IMAGE_BACK_WAIT_S) -> None:
        """Return once the engine has image ``info`` again; EngineError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        self.invocation.say(f"{info.tag} was removed from the engine by someone else; waiting for it to come back")
        while self.engine.image(info.id) is None:
            if time.monotonic() > deadline:
                raise EngineError(
                    f"image {info.tag} was removed from the engine during the measurement and did not come back within "
                    f"{timeout_s:g} s (another cprofiler with --cold image?); measure again, or resume"
                )
            time.sleep(0.2)

    def facts(self) -> dict[str, Any]:
        return {**self.engine.describe(), "backend": self.name}

    def close(self) -> None:
        self.containers.remove_all()
