"""Fail fast: an image whose warmup or first run failed has its other runs skipped and recorded,
unless --keep-going; the skip line names a probe port the image does not EXPOSE.

The rule is tested as the pure function it is (``FailFast.after``), then once through the
Runner's rounds with a backend that returns the runs it is told to (no engine: the image is never
run), to see the skipped runs reach the run log and read back."""

from __future__ import annotations

from typing import Any

from cprofiler.backends.base import Backend, Invocation, Transport
from cprofiler.backends.run import Subject
from cprofiler.engine import ImageInfo
from cprofiler.images.build import BuiltImage
from cprofiler.measure.entries import image_result
from cprofiler.measure.fail_fast import FailFast, port_hint
from cprofiler.measure.runner import Runner, Scope
from cprofiler.report import notices
from cprofiler.results import runlog
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import Measurement, RunResult
from cprofiler.scenario import reader as scenario
from cprofiler.scenario.model import ReadySpec
from cprofiler.settings import RunSettings

HTTP_8081 = ReadySpec.model_validate({"http": {"port": 8081}})
TIMED_OUT = {"status": "timeout", "error": "not ready within 60 s"}


def run(index: int, status: str = "ok", error: str | None = None, image: str = "python-alpine") -> RunResult:
    return RunResult(image=image, index=index, status=status, error=error)


def test_a_first_run_that_times_out_skips_the_image_s_other_runs_and_records_them():
    d = FailFast(runs=10).after(run(0, **TIMED_OUT), warmup=False, recorded=1, ready=HTTP_8081, exposed=())
    assert d.line == (
        "python-alpine: first run failed (timeout: not ready within 60 s), skipping its 9 other runs; --keep-going runs them all"
    )
    assert [r.index for r in d.skipped] == list(range(1, 10))
    assert {r.status for r in d.skipped} == {RunStatus.SKIPPED}
    assert d.skipped[0].error == "skipped: its first run failed (timeout: not ready within 60 s); --keep-going runs every run"


def test_a_failed_warmup_skips_every_measured_run():
    d = FailFast(runs=5).after(
        run(-1, "crashed", "exited with code 1 before it was ready"), warmup=True, recorded=0, ready=HTTP_8081, exposed=()
    )
    assert d.line is not None and d.line.startswith("python-alpine: warmup run failed (crashed: exited with code 1")
    assert "skipping its 5 measured runs" in d.line
    assert [r.index for r in d.skipped] == [0, 1, 2, 3, 4]


def test_a_failure_after_the_image_started_once_skips_nothing():
    # A flaky start is data: the second run's failure is measured like any other.
    d = FailFast(runs=10).after(run(1, **TIMED_OUT), warmup=False, recorded=2, ready=HTTP_8081, exposed=())
    assert d.line is None and d.skipped == []
    assert FailFast(runs=10).after(run(0), warmup=False, recorded=1, ready=HTTP_8081, exposed=()).skipped == []


def test_keep_going_skips_nothing_and_still_names_the_port():
    rule = FailFast(runs=10, keep_going=True)
    d = rule.after(run(0, **TIMED_OUT), warmup=False, recorded=1, ready=HTTP_8081, exposed=("8080/tcp",))
    assert d.skipped == [] and d.line == "python-alpine: the probe's port 8081 is not one the image EXPOSEs (8080/tcp)"
    assert rule.after(run(0, **TIMED_OUT), warmup=False, recorded=1, ready=HTTP_8081, exposed=()).line is None


def test_a_single_planned_run_has_nothing_to_skip():
    d = FailFast(runs=1).after(run(0, **TIMED_OUT), warmup=False, recorded=1, ready=HTTP_8081, exposed=())
    assert d.line is None and d.skipped == []


def test_the_skip_line_names_a_probe_port_the_image_does_not_expose():
    d = FailFast(runs=3).after(run(0, **TIMED_OUT), warmup=False, recorded=1, ready=HTTP_8081, exposed=("8080/tcp", "9090/tcp"))
    assert d.line == (
        "python-alpine: first run failed (timeout: not ready within 60 s; the probe's port 8081 is not one the image "
        "EXPOSEs (8080/tcp, 9090/tcp)), skipping its 2 other runs; --keep-going runs them all"
    )


def test_the_port_hint_only_when_it_can_be_the_cause():
    tcp = ReadySpec.model_validate({"tcp": {"port": 8080}})
    timed_out = run(0, **TIMED_OUT)
    assert port_hint(tcp, ("8080/tcp",), timed_out) is None  # the probed port is exposed
    assert port_hint(tcp, ("8080/udp",), timed_out) == "the probe's port 8080 is not one the image EXPOSEs (8080/udp)"
    assert port_hint(tcp, (), timed_out) is None  # an image that EXPOSEs nothing tells nothing
    assert port_hint(tcp, ("9000/tcp",), run(0, "crashed", "exited with code 3 before it was ready")) is None
    assert port_hint(ReadySpec.model_validate({"exit": True}), ("9000/tcp",), timed_out) is None
    assert port_hint(ReadySpec.model_validate({"log": "ready"}), ("9000/tcp",), timed_out) is None


# --- through the Runner's rounds ---------------------------------------------------------------


class Scripted(Backend):
    """Returns the run it is told to for each image (``fails``: image → status of every run)."""

    name = "scripted"

    def __init__(self, settings: RunSettings, fails: dict[str, str]) -> None:
        super().__init__(settings, None, Invocation("abc", labels={"cprofiler": "abc"}))  # type: ignore[arg-type]
        self.fails = fails
        self.started: list[tuple[str, int]] = []

    @classmethod
    def transport(cls, engine: Any) -> Transport:
        return Transport(probe_via="nowhere", probe_interval_ms=5.0)

    def check(self, load_rows: list[Any]) -> None:
        pass

    def run(self, subject: Subject, index: int) -> RunResult:
        self.started.append((subject.name, index))
        status = self.fails.get(subject.name, "ok")
        error = "not ready within 60 s" if status == "timeout" else None
        return RunResult(image=subject.name, index=max(index, 0), status=status, error=error, ready_ms=10.0)

    def facts(self) -> dict[str, Any]:
        return {"backend": "docker"}

    def close(self) -> None:
        pass


def measured(tmp_path, fails: dict[str, str], *, keep_going: bool = False) -> tuple[Measurement, Scripted, Any]:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "s.yaml"
    path.write_text(
        f"runs: 4\nwarmup: 1\nimages:\n  go:\n    dockerfile: {tmp_path}/Dockerfile\n    ready: {{http: {{port: 8080}}}}\n"
        f"  py:\n    dockerfile: {tmp_path}/Dockerfile\n    ready: {{http: {{port: 8081}}}}\n"
    )
    loaded = scenario.load(path)
    chosen = {"shuffle": False, "cold": "warm", "floor": False, "probe_via": "nowhere", "probe_interval_ms": 5.0}
    settings = RunSettings.build(loaded, {"--keep-going": keep_going or None}, invocation="abc", **chosen)  # type: ignore[arg-type]
    backend = Scripted(settings, fails)
    runner = Runner(None, loaded, settings, backend, Scope(log_path=tmp_path / "r.jsonl"))  # type: ignore[arg-type]
    info = ImageInfo(tag="t", id="sha256:x", size_bytes=1, layers=1, labels={}, exposed_ports=("8080/tcp",))
    subjects = {n: Subject(n, spec, BuiltImage(n, info), scenario_name=n) for n, spec in loaded.scenario.images.items()}
    m = Measurement(settings=settings, images=[image_result(s) for s in subjects.values()])
    log = runlog.RunLog(tmp_path / "r.jsonl", {"invocation": "abc", **m.header_json()})
    runner._rounds(runner._plan(list(subjects)), subjects, m, log)
    log.end(None, None)
    log.close()
    return m, backend, runlog.load(tmp_path / "r.jsonl")


def test_the_runner_skips_a_failing_image_and_runs_the_others_in_full(tmp_path):
    m, backend, read = measured(tmp_path, {"py": "timeout"})
    # py's warmup failed: none of its measured runs started; go ran its warmup and 4 runs.
    assert [i for n, i in backend.started if n == "py"] == [-1]
    assert [i for n, i in backend.started if n == "go"] == [-1, 0, 1, 2, 3]
    by_name = read.by_name()
    assert by_name["py"].status_counts()["skipped"] == 4 and len(by_name["go"].ok_runs()) == 4
    assert "skipped" not in by_name["go"].status_counts()  # listed only where a run was skipped
    said = [n.text for n in notices.notices(read) if n.kind == "failed"]
    assert any(
        t.startswith("py: 4 runs skipped: its warmup run failed (timeout: not ready within 60 s; the probe's port 8081")
        for t in said
    )
    assert m.by_name()["py"].runs == by_name["py"].runs  # in memory as on disk


def test_keep_going_runs_every_run_of_a_failing_image(tmp_path):
    _m, backend, read = measured(tmp_path, {"py": "timeout"}, keep_going=True)
    assert [i for n, i in backend.started if n == "py"] == [-1, 0, 1, 2, 3]
    assert read.by_name()["py"].status_counts()["timeout"] == 4
    assert read.settings.keep_going is True
