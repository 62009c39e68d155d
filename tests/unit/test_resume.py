"""--resume's reading and checks, and the runner's signal guard (no engine needed)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from cprofiler.errors import Signalled, UsageError
from cprofiler.measure.signals import SignalGuard as _SignalGuard
from cprofiler.results import resume
from cprofiler.results.model import SCHEMA, ImageResult, Measurement
from cprofiler.scenario import reader as schema

SETTINGS = {"scenario_file": "/s/scenario.yaml", "runs": 3, "warmup": 1, "settle_s": 0.5, "timeout_s": 10, "seed": None}
ENV = {"engine_version": "20.10", "kernel": "6.1", "cpu_model": "x", "cpu_count": 2}


def header(**changes) -> dict:
    image = {"tag": "cprofiler/a:1", "id": "sha256:" + "a" * 64}
    images = [{"name": "a", "image": image, "image_size_bytes": 1, "layers": 1, "ready": {"exit": True}}]
    base = {"type": "header", "schema": SCHEMA, "started_at": "then", "settings": SETTINGS, "environment": ENV}
    return {**base, "images": images, **changes}


def run(image: str, index: int) -> dict:
    return {"type": "run", "image": image, "index": index, "status": "ok", "ready_ms": 10.0 + index}


def write(path: Path, *records: dict, tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + tail)
    return path


def fresh(image_id: str = "sha256:" + "a" * 64, **settings) -> Measurement:
    img = ImageResult(
        name="a", image={"tag": "cprofiler/a:1", "id": image_id}, image_size_bytes=1, layers=1, ready={"exit": True}
    )
    return Measurement(environment=dict(ENV), settings={**SETTINGS, **settings}, started_at="now", images=[img])


def test_reads_runs_and_cuts_a_torn_last_line_before_appending(tmp_path):
    path = write(tmp_path / "r.jsonl", header(), run("a", 0), run("a", 1), tail='{"type": "run", "ima')
    rec = resume.read(path)
    assert rec.done() == {"a": 2} and rec.image_names() == ["a"]
    m = fresh()
    rec.adopt(m)
    assert [r.index for r in m.images[0].runs] == [0, 1] and m.started_at == "then"
    log = rec.open_log("inv2", "later")
    log.close()
    lines = path.read_text().splitlines()
    assert len(lines) == 4 and json.loads(lines[-1])["type"] == "resume"  # the torn line is gone


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "no header line"),
        ("not json\n", ":1: not valid JSON"),
        ("[1, 2]\n", ":1: expected a JSON object per line"),
        (json.dumps(run("a", 0)) + "\n", ":1: expected a cprofiler header line"),
        (json.dumps(header(schema="other/v9")) + "\n", ":1: expected a cprofiler header line"),
        (json.dumps(header(settings={"runs": 3})) + "\n", "header has no usable settings.scenario_file"),
        (json.dumps(header(images=[{"name": "a"}])) + "\n", "header has no usable images"),
        (json.dumps(header()) + "\n{broken\n" + json.dumps(run("a", 0)) + "\n", ":2: not valid JSON"),
    ],
)
def test_a_file_that_is_not_a_measurement_is_one_usage_error(tmp_path, content, expected):
    path = tmp_path / "r.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError) as info:
        resume.read(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        resume.read(tmp_path / "nope.jsonl")


def test_another_scenario_file_is_refused(tmp_path):
    rec = resume.read(write(tmp_path / "r.jsonl", header()))
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "other.yaml").write_text("images:\n  a:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
    loaded = schema.load(tmp_path / "other.yaml")
    with pytest.raises(UsageError, match="it was measured from /s/scenario.yaml; expected that scenario file"):
        rec.check_scenario(loaded)


@pytest.mark.parametrize(
    ("measurement", "expected"),
    [
        (fresh(image_id="sha256:" + "b" * 64), "image 'a' is now sha256:bbbbbbbbbbbb, but its runs so far are of"),
        (fresh(runs=5), "setting runs was 3, now 5"),
        (fresh(probe_via="published-port"), None),  # a setting the header does not have is not compared
    ],
)
def test_changed_images_or_settings_are_refused(tmp_path, measurement, expected):
    rec = resume.read(write(tmp_path / "r.jsonl", header(), run("a", 0)))
    if expected is None:
        rec.adopt(measurement)
        return
    with pytest.raises(UsageError, match=expected):
        rec.adopt(measurement)


def test_another_machine_is_refused(tmp_path):
    rec = resume.read(write(tmp_path / "r.jsonl", header()))
    m = fresh()
    m.environment.kernel = "6.9"
    with pytest.raises(UsageError, match="kernel was '6.1', now '6.9'; resume on the machine"):
        rec.adopt(m)


def test_a_run_of_an_unknown_image_is_refused(tmp_path):
    rec = resume.read(write(tmp_path / "r.jsonl", header(), run("zz", 0)))
    with pytest.raises(UsageError, match="a run of 'zz'"):
        rec.adopt(fresh())


# --- the signal guard --------------------------------------------------------------------------


def kill_self(signum: int) -> None:
    os.kill(os.getpid(), signum)
    time.sleep(0.05)  # the handler runs at the next bytecode boundary of the main thread


def test_signals_raise_only_where_allowed_and_only_once():
    guard = _SignalGuard()
    with pytest.raises(Signalled) as info, guard:
        kill_self(signal.SIGTERM)  # held by default: waits
        assert guard.pending == signal.SIGTERM
        kill_self(signal.SIGINT)  # the first one is kept
        guard.allow()  # raises the pending one now
    assert info.value.signum == signal.SIGTERM and info.value.describe() == "interrupted by SIGTERM"


def test_held_blocks_wait_and_later_signals_are_ignored():
    guard = _SignalGuard()
    seen = []
    with pytest.raises(Signalled) as info, guard:
        guard.allow()
        try:
            with guard.held():
                kill_self(signal.SIGINT)
                seen.append("held block finished")
        except Signalled:
            seen.append("raised at the end of the held block")
            guard.hold()
            kill_self(signal.SIGTERM)  # during clean-up: ignored
            kill_self(signal.SIGINT)
            seen.append("clean-up finished")
            raise
    assert seen == ["held block finished", "raised at the end of the held block", "clean-up finished"]
    assert info.value.signum == signal.SIGINT and info.value.describe() == "interrupted by Ctrl-C"


def test_a_signal_during_the_last_clean_up_is_raised_after_it():
    guard = _SignalGuard()
    with pytest.raises(Signalled), guard:
        guard.hold()
        kill_self(signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL  # handlers are back
