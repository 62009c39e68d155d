"""The whole measurement: build every image, then start them round by round, on disk as they finish.

Images are interleaved run by run (A B C A B C …), so that drift on a shared machine spreads over
all of them instead of landing on whichever image ran last. The runtime floor runs first in each
round, interleaved like any image. A resumed measurement skips the runs its log already holds, in
the order the first invocation would have run them. Where one run runs is the backend's (:mod:`cprofiler.backends.base`).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cprofiler import __version__
from cprofiler.backends import selection
from cprofiler.backends.base import Backend, Invocation
from cprofiler.backends.run import Subject
from cprofiler.engine import Engine
from cprofiler.environment import host_facts
from cprofiler.errors import UsageError
from cprofiler.images.build import BuiltImage
from cprofiler.images.fallback import build_missing_stand_ins, build_with_fallback
from cprofiler.images.floor import FLOOR_NAME, build_floor, floor_mode
from cprofiler.measure.entries import image_result
from cprofiler.measure.fail_fast import FailFast
from cprofiler.measure.load.cpus import split_cpus
from cprofiler.measure.load.phase import CEILING_NAME, step_line
from cprofiler.measure.probes.base import quick_thread_switches
from cprofiler.measure.reporter import Reporter, SilentReporter
from cprofiler.measure.signals import why_stopped
from cprofiler.results import stats
from cprofiler.results.model import Environment, ImageResult, Measurement, RunResult
from cprofiler.results.resume import Recorded
from cprofiler.results.runlog import RunLog, jsonl_path
from cprofiler.scenario.loadspec import LoadSpec
from cprofiler.scenario.model import ImageSpec, LoadedScenario
from cprofiler.settings import RunSettings, new_invocation_id


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_log_path(output: Path | None, invocation: str) -> Path:
    """Where the run log goes: beside ``output`` (``r.json`` → ``r.jsonl``), else under ``.cprofiler/``."""
    if output is not None:
        return jsonl_path(output)
    stamp = _now_iso().replace(":", "").replace("-", "").split("+")[0]
    return Path(".cprofiler") / f"run-{stamp}-{invocation}.jsonl"


@dataclass(frozen=True)
class Scope:
    """What one measurement covers and where its runs are kept."""

    #: The JSON Lines file every finished run goes to (``--resume``'s file when resuming).
    log_path: Path
    #: The scenario images (or rows) to measure; None or empty: all of them.
    images: list[str] | None = None
    #: ``--offline``: build without pulling base images.
    offline: bool = False
    #: The interrupted measurement this one continues, or None.
    resume: Recorded | None = None


class Runner:
    """Runs one measurement on the backend it is handed; construct, then call :meth:`measure`.

    The backend's invocation labels this process's containers or pods; it equals
    ``settings.invocation`` unless the measurement is a resumed one.
    """

    def __init__(
        self,
        engine: Engine,
        loaded: LoadedScenario,
        settings: RunSettings,
        backend: Backend,
        scope: Scope,
        reporter: Reporter | None = None,
    ) -> None:
        self.engine = engine
        self.loaded = loaded
        self.settings = settings
        self.backend = backend
        self.reporter: Reporter = reporter or SilentReporter()
        self.invocation = backend.invocation.id
        self.images = scope.images
        self.offline = scope.offline
        self.resume = scope.resume
        #: The JSON Lines file every finished run goes to (the resumed file with ``resume``).
        self.log_path = scope.resume.path if scope.resume is not None else scope.log_path
        #: The measurement so far; set once the images are built, kept after an interruption.
        self.measurement: Measurement | None = None
        self.signals = backend.invocation.signals
        #: The backend's ``--cold`` level and load phase (None where it has none).
        self.cold = backend.cold
        self.load = backend.load

    @classmethod
    def for_scenario(
        cls,
        engine: Engine,
        loaded: LoadedScenario,
        *,
        output: Path | None = None,
        reporter: Reporter | None = None,
        shuffle: bool = False,
        **settings: Any,
    ) -> Runner:
        """A runner for a fresh measurement of ``loaded`` with the scenario file's settings, any of
        them overridden by ``settings`` (RunSettings fields: ``runs=3``, ``settle_s=0``,
        ``cold="image"``, ``floor=False``): for benchmarks and tests, which have no command line."""
        reporter = reporter or SilentReporter()
        invocation = Invocation(new_invocation_id(), say=reporter.message)
        transport = selection.backend_class(settings.get("backend", "docker")).transport(engine)
        built = RunSettings.build(
            loaded,
            {},
            shuffle=shuffle,
            cold=settings.get("cold") or "warm",
            floor=settings.get("floor", True),
            probe_via=transport.probe_via,
            probe_interval_ms=transport.probe_interval_ms,
            invocation=invocation.id,
        )
        final = RunSettings.model_validate({**built.to_json(), **settings})
        backend = selection.select(final, engine, invocation)
        return cls(engine, loaded, final, backend, Scope(log_path=default_log_path(output, invocation.id)), reporter)

    # --- building -------------------------------------------------------------------------------

    def prepare(self) -> list[Subject]:
        """Build (or reuse) every image to measure; one subject per row (a ``cpus`` list gives several)."""
        scenario = self.loaded.scenario
        built: dict[str, BuiltImage] = {}
        subjects = []
        wanted = [
            (row, name, spec)
            for row, name, spec in scenario.variants()
            if not self.images or row in self.images or name in self.images
        ]
        self._build_stand_ins({name: scenario.images[name] for _, name, _ in wanted})
        for row, name, spec in wanted:
            if name not in built:
                self.reporter.building(name, None)
                on_line = functools.partial(self.reporter.building, name)
                image = build_with_fallback(
                    self.engine, name, scenario.images[name], invocation=self.invocation, offline=self.offline, on_line=on_line
                )
                self.reporter.message(
                    f"{name}: {'reused' if image.reused else 'built'} {image.info.tag}"
                    + (f" (stand-in {image.stand_in['recipe']} for {image.stand_in['for']})" if image.stand_in else "")
                    + (f"; {image.note}" if image.note else "")
                )
                built[name] = image
            subjects.append(Subject(row, spec, built[name], scenario_name=name, load=scenario.load_for(name)))
        return subjects

    def _build_stand_ins(self, specs: dict[str, ImageSpec]) -> None:
        """Build every stand-in these images will need, side by side, before the first image: the
        bases' builds are independent, and one after another they took the sum of their times."""
        build_missing_stand_ins(
            self.engine, specs, offline=self.offline, say=self.reporter.message, progress=self.reporter.stand_in
        )

    def prepare_floor(self, subjects: list[Subject]) -> Subject:
        """Build (or reuse) the runtime floor image; it is then run exactly like a scenario image.

        It serves on a port when any image is a service and exits at once otherwise, because an exit
        probe's ready time also holds the engine's handling of the exit, which no service pays.
        """
        self.reporter.building(FLOOR_NAME, None)
        on_line: Callable[[str], None] = lambda line: self.reporter.building(FLOOR_NAME, line)  # noqa: E731
        mode = floor_mode([s.spec.ready.kind for s in subjects])
        spec, built = build_floor(self.engine, mode, invocation=self.invocation, on_line=on_line)
        self.reporter.message(f"{FLOOR_NAME}: {'reused' if built.reused else 'built'} {built.info.tag} ({mode})")
        return Subject(FLOOR_NAME, spec, built)

    # --- one run at the cold level --------------------------------------------------------------

    def run_cold(self, img: Subject, index: int) -> RunResult:
        """One run at the configured cold level: make the start cold (outside the timing), then run it."""
        fetch_ms = self.cold.before_run(img.built.info)
        run = self.backend.run(img, index)
        self.cold.after_run(img.built.info)
        run.fetch_ms = fetch_ms
        note = self.cold.note(img.built.info)
        if note is not None:
            run.notes.append(note)
        return run

    # --- the whole measurement ------------------------------------------------------------------

    def measure(self) -> Measurement:
        """Build, run every round, and return the measurement; finished runs are on disk at once."""
        started = _now_iso()
        with self.signals, quick_thread_switches():
            self.signals.allow()  # a build may stop anywhere: nothing to clean up yet
            # A cold level, a limit or a load phase that cannot work here fails before anything is built or run.
            self.backend.check(self._load_rows())
            self.check_limits()
            subjects = self.prepare()
            if self.load is not None:
                self.load.use(subjects)
            floor = self.prepare_floor(subjects) if self.settings.floor else None
            self.signals.hold()
            measurement, log = self._open(subjects, floor, started)
            runnable = ([floor] if floor is not None else []) + subjects
            order = self._plan([p.name for p in runnable])
            try:
                self.signals.allow()
                infos = [p.built.info for p in runnable]
                self.backend.publish(infos)
                self.cold.prepare(infos, self.reporter.message)
                self._rounds(order, {p.name: p for p in runnable}, measurement, log)
                if self.load:
                    self._load_phase(measurement, log)
                self.signals.hold()
            except BaseException as exc:
                self.signals.hold()
                measurement.interrupted = why_stopped(exc)
                raise
            finally:
                self.signals.hold()  # clean-up is never cut short by a second signal
                self.backend.close()
                measurement.finished_at = _now_iso()
                log.end(measurement.finished_at, measurement.interrupted)
                log.close()
                # Last: with --cold image it brings back an image an interruption left removed.
                self.cold.close()
        return measurement

    def _open(self, subjects: list[Subject], floor: Subject | None, started: str) -> tuple[Measurement, RunLog]:
        """The measurement before its first run, and the run log it goes to (the resumed one's, or new)."""
        measurement = Measurement(
            environment=self.environment(),
            settings=self.settings,
            started_at=started,
            images=[
                image_result(
                    p,
                    self.loaded.scenario.budgets_for(p.scenario_name or p.name),
                    self.load.result_for(p) if p.load and self.load is not None else None,
                )
                for p in subjects
            ],
            floor=image_result(floor) if floor is not None else None,
        )
        if self.resume is not None:
            # Same images and machine, or the runs would not compare; then its runs.
            self.resume.adopt(measurement)
            log = self.resume.open_log(self.invocation, started)
        else:
            log = RunLog(self.log_path, {"invocation": self.invocation, **measurement.header_json()})
        self.measurement = measurement
        return measurement, log

    def _plan(self, names: list[str]) -> list[tuple[list[str], bool]]:
        """The rounds in order, warmups first (``(names, measured)``); reported as planned."""
        s = self.settings
        done = self.resume.done() if self.resume is not None else {}
        left = len(names) * s.runs - sum(min(done.get(n, 0), s.runs) for n in names)
        warmup = s.warmup if left else 0  # a resumed measurement with nothing left needs no warmup
        self.reporter.runs_planned(len(names) * warmup + left)
        order = [(r, False) for r in stats.shuffled_rounds(names, warmup, shuffle=s.shuffle, seed=s.seed)]
        order += [(r, True) for r in stats.shuffled_rounds(names, s.runs, shuffle=s.shuffle, seed=s.seed)]
        return order

    def _rounds(
        self, order: list[tuple[list[str], bool]], imgs: dict[str, Subject], measurement: Measurement, log: RunLog
    ) -> None:
        """Every run of ``order`` not finished before an interruption, in memory and on disk as it
        ends; an image whose warmup or first run failed has the rest recorded as skipped (fail_fast)."""
        done = self.resume.done() if self.resume is not None else {}
        by_name = measurement.by_name()
        counters = dict.fromkeys(imgs, 0)
        rule = FailFast(self.settings.runs, keep_going=self.settings.keep_going)
        ended: set[str] = set()
        for round_names, measured in order:
            for name in round_names:
                if measured and counters[name] < done.get(name, 0):
                    counters[name] += 1  # finished before an interruption: never repeated
                    continue
                if name in ended:
                    continue
                img = imgs[name]
                run = self.run_cold(img, counters[name] if measured else -1)
                if measured:
                    counters[name] += self._record([run], by_name[name], log)
                else:
                    self.reporter.run_done(run, warmup=True)
                ready, exposed = img.spec.ready, img.built.info.exposed_ports
                decision = rule.after(run, warmup=not measured, recorded=counters[name], ready=ready, exposed=exposed)
                if decision.line is not None:
                    self.reporter.warning(decision.line)
                if decision.skipped:
                    ended.add(name)
                    counters[name] += self._record(decision.skipped, by_name[name], log)

    def _record(self, runs: list[RunResult], entry: ImageResult, log: RunLog) -> int:
        """Keep measured ``runs`` in memory and on disk, or in neither; report them; their count."""
        with self.signals.held():
            entry.runs.extend(runs)
            for run in runs:
                log.run(run)
        for run in runs:
            self.reporter.run_done(run, warmup=False)
        return len(runs)

    def check_limits(self) -> None:
        """UsageError naming the scenario key when an image asks for more CPUs than the engine has
        (the engine would refuse every create, with a reason the scenario cannot show)."""
        have = self.engine.describe().get("engine_cpus")
        if not isinstance(have, int) or have <= 0:
            return
        for name, spec in self.loaded.scenario.images.items():
            for cpus in spec.cpus_values:
                if cpus is not None and cpus > have:
                    raise UsageError(
                        f"{self.loaded.path}: images.{name}.cpus: {cpus:g} is more than the engine's {have} CPUs; "
                        f"expected at most {have}"
                    )
        scenario = self.loaded.scenario
        for row, name, spec in scenario.variants():
            load = scenario.load_for(name)
            if self.load is not None and load is not None and (not self.images or row in self.images or name in self.images):
                try:  # the load phase gives the row ceil(cpus) CPUs of its own beside the generator's
                    split_cpus(have, cpus=spec.cpus_values[0], container=load.server_cpus, generator=load.generator_cpus)
                except UsageError as exc:
                    raise UsageError(f"{self.loaded.path}: images.{name}.{exc}") from None

    def _load_rows(self) -> list[tuple[str, LoadSpec]]:
        scenario = self.loaded.scenario
        rows = []
        for row, name, _spec in scenario.variants():
            spec = scenario.load_for(name)
            if spec is not None and (not self.images or row in self.images or name in self.images):
                rows.append((row, spec))
        return rows

    def _load_phase(self, measurement: Measurement, log: RunLog) -> None:
        """The ceiling (unless a resumed log has it), then every load step not done yet."""
        s = self.settings
        assert self.load is not None
        done = self.resume.load_done() if self.resume is not None else set()
        planned = self.load.plan(shuffle=s.shuffle, seed=s.seed, done=done)
        self.reporter.load_planned(len(planned))  # the ceiling is said by a line of its own
        by_name = measurement.by_name()
        if measurement.ceiling is None:
            ceilings = self.load.ceilings()
            with self.signals.held():
                for row, ceiling in ceilings.items():  # each image's own request shape
                    entry = by_name[row].load
                    if entry is not None:
                        entry.ceiling = ceiling
                    log.write({"type": "ceiling", "image": row, **ceiling.model_dump(mode="json")})
                ceiling = next(iter(ceilings.values()))
                measurement.ceiling = ceiling  # the first image's, as before
                log.write({"type": "ceiling", **ceiling.model_dump(mode="json")})
            for text in sorted({f"{c.qps or 0:,.0f} QPS" for c in ceilings.values()}):
                self.reporter.message(f"load generator ceiling: {text} ({CEILING_NAME})")
        else:
            self.load.know_ceilings({row: e.load.ceiling for row, e in by_name.items() if e.load and e.load.ceiling})
        for subject, rate, repeat in planned:
            step = self.load.run(subject, rate, repeat)
            with self.signals.held():  # in memory and on disk, or in neither
                entry = by_name[subject.name].load
                assert entry is not None
                entry.steps.append(step)
                log.write({"type": "load_step", "image": subject.name, **step.model_dump(mode="json")})
            row_ceiling = entry.ceiling or measurement.ceiling
            self.reporter.load_step_done(subject.name, step, step_line(subject.name, step, row_ceiling))

    def environment(self) -> Environment:
        facts = {**self.backend.facts(), **host_facts(), "cprofiler_version": __version__, "started_at": _now_iso()}
        return Environment.model_validate(facts)
