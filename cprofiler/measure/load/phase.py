"""The load phase of a measurement: the generator's ceiling once, then every step of every image.

After the cold-start rounds, each image that has a ``load:`` gets its steps: one per rate (one
closed-loop step without a rate), each repeated ``repeat`` times. Steps are interleaved across
images like runs are (A B C A B C …), so drift spreads over all of them. Every step starts a fresh
container, pinned to the server's CPUs, waits until it is ready, loads it (warmup, then the
measured window) with the generator pinned to its own CPUs inside the container's network
namespace, waits ``after`` seconds, reads the working set again and removes the container. A
container that fails under load makes that step a row with its status; the others go on.

The ceiling is the same generator, with the same connections, duration and request, against a
trivial static server (``COST_US=0``) FROM scratch: what the generator reaches on this machine,
measured once per distinct request shape (each image's own). A step above 70 % of its image's
ceiling, or whose generator used 90 % or more of its CPUs, measured the generator, not the image
(``LoadStep.generator_bound``).
"""

from __future__ import annotations

from dataclasses import replace

from cprofiler.backends.run import Subject
from cprofiler.engine import Engine
from cprofiler.errors import UsageError
from cprofiler.measure.load import generators
from cprofiler.measure.load.cpus import CpuSplit, split_cpus
from cprofiler.measure.load.generators import Generator, GeneratorError, LoadRequest, LoadShape
from cprofiler.measure.load.server import LOADSERVER_NAME, LOADSERVER_PORT, LOADSERVER_SOURCE, build_loadserver
from cprofiler.measure.load.step import LoadStepFailed, StepPlan, run_step
from cprofiler.measure.load.window import is_generator_bound
from cprofiler.measure.start import StartedRun, Starter
from cprofiler.results import stats
from cprofiler.results.kinds import StepStatus
from cprofiler.results.load import Ceiling, LatencyMs, LoadResult, LoadStep
from cprofiler.scenario.loadspec import LoadSpec
from cprofiler.scenario.model import ImageSpec

#: Name of the ceiling's server in progress lines and run logs.
CEILING_NAME = "(ceiling)"
#: Measured repeats of the ceiling; its median is the ceiling.
CEILING_REPEATS = 3

#: One planned step: the row, its rate (None: closed loop) and which repetition.
Planned = tuple[Subject, float | None, int]


def check_shapes(rows: list[tuple[str, LoadSpec]], where: str = "scenario") -> None:
    """Refuse a load no generator run could apply faithfully (``generator: wrk`` with a rate) and
    an unknown generator: UsageError naming ``where`` (the scenario file), the row and the key.

    Pure: called before the engine is contacted, and again by :meth:`LoadPhase.check`, so that
    the refusal comes before minutes of cold-start rounds, never at the first load step.
    """
    for name, spec in rows:
        try:
            generator = generators.make_generator(spec.generator)
            for rate in spec.step_rates():
                generator.check(_shape(spec, rate))
        except UsageError as exc:
            raise UsageError(f"{where}: image {name}: {exc}") from None


class LoadPhase:
    """Plans and runs the load steps of one measurement."""

    def __init__(self, engine: Engine, starter: Starter, *, invocation: str) -> None:
        self.engine = engine
        self.starter = starter
        self.invocation = invocation
        #: The rows that have a load phase (set once their images are built: ``use``).
        self.subjects: list[Subject] = []
        self._generators: dict[str, Generator] = {}
        self._versions: dict[str, str] = {}
        self._splits: dict[str, CpuSplit] = {}
        self._engine_cpus = 0
        self._ceilings: dict[str, Ceiling] = {}

    def __bool__(self) -> bool:
        return bool(self.subjects)

    def use(self, subjects: list[Subject]) -> None:
        """The built rows; those with a load phase are loaded, each on as many CPUs as its ``cpus``
        can use (``split_cpus``; the runner refused a ``cpus`` that does not fit before building)."""
        self.subjects = [s for s in subjects if s.load is not None]
        for s in self.subjects:
            spec = self._spec(s)
            self._splits[s.name] = split_cpus(
                self._engine_cpus, cpus=s.cpus, container=spec.server_cpus, generator=spec.generator_cpus
            )

    def check(self, rows: list[tuple[str, LoadSpec]], probe_via: str) -> None:
        """Before anything is built: every step one its generator can make, every generator installed,
        a CPU split possible, the netns reachable."""
        if not rows:
            return
        check_shapes(rows)
        if probe_via != "netns":
            raise UsageError(
                "load: the load phase sends its traffic inside each container's network namespace, which needs "
                "root and the engine on this host; run cprofiler as root there, or remove load: from the scenario"
            )
        cpus = self._engine_cpus = int(self.engine.describe().get("engine_cpus") or 0)
        for name, spec in rows:
            if spec.generator not in self._generators:
                generator = generators.make_generator(spec.generator)
                self._versions[spec.generator] = generator.require()
                self._generators[spec.generator] = generator
            self._splits[name] = split_cpus(cpus, container=spec.server_cpus, generator=spec.generator_cpus)

    @staticmethod
    def _spec(s: Subject) -> LoadSpec:
        assert s.load is not None
        return s.load

    def result_for(self, s: Subject) -> LoadResult:
        """The image's ``load`` entry before its first step: how it is loaded."""
        spec = self._spec(s)
        generator = self._generators[spec.generator]
        request = self.request(s)
        methods = {generator.latency_method(rate) for rate in spec.step_rates()}
        return LoadResult(
            generator=spec.generator,
            generator_version=self._versions[spec.generator],
            connections=spec.connections,
            duration_s=spec.duration,
            warmup_s=spec.warmup,
            cpuset=self._splits[s.name].to_json(),
            latency_method="; ".join(sorted(methods)),
            request=f"{request.method} {request.path}",
            slo_p99_ms=spec.slo.p99_ms if spec.slo is not None else None,
            error_limit=spec.error_limit,
            timeout_s=spec.timeout,
        )

    def request(self, s: Subject) -> LoadRequest:
        spec = self._spec(s)
        http = s.spec.ready.http
        assert http is not None  # the scenario model refuses load: without an http probe
        return LoadRequest(port=http.port, path=spec.path or http.path, method=spec.method, headers=spec.headers, body=spec.body)

    def plan(self, *, shuffle: bool, seed: int | None, done: set[tuple[str, float | None, int]]) -> list[Planned]:
        """Every step not in ``done`` (``(row, rate, repeat)``), interleaved across rows round by round."""
        per_row: dict[str, list[tuple[float | None, int]]] = {}
        for s in self.subjects:
            spec = self._spec(s)
            per_row[s.name] = [(rate, r) for r in range(spec.repeat) for rate in spec.step_rates()]
        by_name = {s.name: s for s in self.subjects}
        rounds = max((len(v) for v in per_row.values()), default=0)
        order = stats.shuffled_rounds(list(by_name), rounds, shuffle=shuffle, seed=seed)
        planned: list[Planned] = []
        counters = dict.fromkeys(by_name, 0)
        for names in order:
            for name in names:
                steps = per_row[name]
                if counters[name] < len(steps):
                    rate, repeat = steps[counters[name]]
                    counters[name] += 1
                    if (name, rate, repeat) not in done:
                        planned.append((by_name[name], rate, repeat))
        return planned

    def run(self, s: Subject, rate: float | None, repeat: int) -> LoadStep:
        """One step against a fresh container of ``s``; its failure is the step's status, not an exception."""
        spec = self._spec(s)
        split = self._splits[s.name]
        request = self.request(s)
        shape = _shape(spec, rate)
        step = self._step(replace(s, cpuset=split.container), request, shape, spec, split, repeat)
        bound = is_generator_bound(step.generator_cpu_share, step.qps, self._ceilings.get(s.name))
        return step.model_copy(update={"generator_bound": bound})

    def ceilings(self) -> dict[str, Ceiling]:
        """The generator against the trivial server, per row, with that row's own request and shape
        (method, path, headers, body, connections, duration, CPUs): measured once per distinct shape,
        so that a heavy POST is not judged by the ceiling of a small GET."""
        measured: dict[tuple[object, ...], Ceiling] = {}
        for s in self.subjects:
            spec, split, request = self._spec(s), self._splits[s.name], self.request(s)
            key = (spec.generator, request.method, request.path, tuple(sorted(request.headers.items())), request.body,
                   spec.connections, spec.duration, spec.warmup, split)  # fmt: skip
            if key not in measured:
                measured[key] = self._ceiling(s)
            self._ceilings[s.name] = measured[key]
        return dict(self._ceilings)

    def know_ceilings(self, ceilings: dict[str, Ceiling]) -> None:
        """Ceilings measured before (a resumed run log), for judging the steps still to run."""
        self._ceilings.update(ceilings)

    def _ceiling(self, first: Subject) -> Ceiling:
        """The generator against the trivial server, with ``first``'s settings."""
        spec = self._spec(first)
        split = self._splits[first.name]
        built = build_loadserver(self.engine, invocation=self.invocation)
        server_spec = ImageSpec.model_validate(
            {
                "dockerfile": LOADSERVER_SOURCE,  # what it is built from; the build above used it already
                "env": {"PORT": str(LOADSERVER_PORT), "COST_US": "0"},
                "ready": {"http": {"port": LOADSERVER_PORT, "path": "/"}},
            }
        )
        server = Subject(CEILING_NAME, server_spec, built, scenario_name=LOADSERVER_NAME, cpuset=split.container)
        request = replace(self.request(first), port=LOADSERVER_PORT)
        shape = _shape(spec, None)
        steps = [self._step(server, request, shape, spec, split, i) for i in range(CEILING_REPEATS)]
        ok = sorted((s for s in steps if s.status == StepStatus.OK and s.qps is not None), key=lambda s: s.qps or 0.0)
        if not ok:
            why = next((s.error for s in steps if s.error), "no step ended ok")
            raise GeneratorError(f"the load generator's ceiling could not be measured: {why}")
        middle = ok[(len(ok) - 1) // 2]
        return Ceiling(qps=stats.percentile([s.qps or 0.0 for s in ok], 50), latency_ms=middle.latency_ms, n=len(ok))

    def _step(self, s: Subject, request: LoadRequest, shape: LoadShape, spec: LoadSpec, split: CpuSplit, repeat: int) -> LoadStep:
        generator = self._generators[spec.generator]
        got: list[LoadStep] = []
        notes: list[str] = []

        def load(running: StartedRun) -> None:
            try:
                plan = StepPlan(
                    request, shape, split.generator, spec.warmup, repeat=repeat, after_s=spec.after,
                    server_cpuset=split.container, error_limit=spec.error_limit,
                )  # fmt: skip
                step = run_step(self.engine, running.container_id, generator, plan, log_tail=running.log_tail, notes=notes)
            except LoadStepFailed as exc:
                step = exc.step
            except GeneratorError as exc:
                step = LoadStep(
                    rate=shape.rate, repeat=repeat, status=StepStatus.ERROR, error=str(exc), log_tail=running.log_tail()
                )
            got.append(step.model_copy(update={"notes": notes}))

        run = self.starter.run(s, -1, while_running=load)
        if got:
            return got[0]
        # Never loaded: it did not become ready (or died while settling).
        error = f"not loaded: {run.error or 'the container was not ready'}"
        return LoadStep(rate=shape.rate, repeat=repeat, status=StepStatus(run.status), error=error, log_tail=run.log_tail)


def _shape(spec: LoadSpec, rate: float | None) -> LoadShape:
    return LoadShape(connections=spec.connections, duration_s=spec.duration, rate=rate, request_timeout_s=spec.timeout)


def step_line(name: str, step: LoadStep, ceiling: Ceiling | None) -> str:
    """One line of progress for a finished step."""
    rate = "closed loop" if step.rate is None else f"{step.rate:g} req/s"
    if step.status != StepStatus.OK:
        return f"{name}: load {rate} #{step.repeat + 1}: {step.status}: {step.error}"
    lat = step.latency_ms or LatencyMs()
    bound = " (generator-bound)" if step.generator_bound or is_generator_bound(None, step.qps, ceiling) else ""
    bound += f" (disturbed: {step.other_cpu_share:.0%} other work)" if step.disturbed and step.other_cpu_share else ""
    errors = f", {step.error_share:.2%} errors" if step.error_share else ""
    errors += " (failing)" if step.failing else ""
    return (
        f"{name}: load {rate} #{step.repeat + 1}: {step.qps or 0:,.0f} QPS{bound}{errors}, p99 {lat.p99 or 0:.1f} ms, "
        f"{step.cpu_cores or 0:.2f} cores"
    )
