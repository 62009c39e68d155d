"""Without an engine: what cprofiler writes replaces only what it may, unwritable places are found
before measuring, run logs hold one measurement, and hostile results files are one line (exit 2),
changing nothing."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cprofiler.errors import UsageError
from cprofiler.results import files, resume, runlog
from cprofiler.results.model import SCHEMA

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "results"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mknod, chattr)")


def one_line(exc: pytest.ExceptionInfo[UsageError]) -> str:
    text = str(exc.value)
    assert "\n" not in text and exc.value.exit_code == 2, text
    return text


# --- --output replaces only a regular file, through no planted name ----------------------


@ROOT_ONLY
def test_a_device_node_at_output_stays_a_device(tmp_path):
    null = tmp_path / "null"
    os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    for check in (files.check_output, lambda p: files.write_replacing(p, "table")):
        with pytest.raises(UsageError) as info:
            check(null)
        assert "is a character device; cprofiler replaces only regular files" in one_line(info)
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    assert os.listdir(tmp_path) == ["null"]  # no temporary file left either


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_other_things_at_output_are_refused_and_left_alone(tmp_path, kind):
    path, victim = tmp_path / "r.json", tmp_path / "victim"
    victim.write_text("precious")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "symlink":
        path.symlink_to(victim)
    else:
        path.mkdir()
    expected = {"fifo": "is a named pipe", "symlink": "is a symbolic link", "directory": "is a directory; expected a file name"}
    for check in (files.check_output, lambda p: files.write_replacing(p, "table")):
        with pytest.raises(UsageError) as info:
            check(path)
        assert expected[kind] in one_line(info)
    assert victim.read_text() == "precious" and os.path.lexists(path)


def test_planted_temporary_names_are_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "r.json"
    out.write_text("old")
    out.chmod(0o640)
    # The names the old code wrote through, and names like the new ones: none is used.
    for name in ("r.json.tmp", ".r.json.tmp", ".r.json.aaaa.tmp"):
        (tmp_path / name).symlink_to(victim)
    files.write_replacing(out, "new table")
    assert out.read_text() == "new table" and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert victim.read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [".r.json.aaaa.tmp", ".r.json.tmp", "r.json", "r.json.tmp", "victim"]
    )


# --- unwritable places are found out before measuring -------------------------------------


def test_an_output_under_proc_is_one_line():
    with pytest.raises(UsageError) as info:
        files.check_output(Path("/proc/cprofiler-results.json"))
    assert one_line(info).startswith("--output /proc/cprofiler-results.json: cannot write in /proc (")


@ROOT_ONLY
@pytest.mark.parametrize("what", ["file", "folder"])
def test_an_immutable_output_or_folder_is_one_line(tmp_path, what):
    if not shutil.which("chattr"):
        pytest.skip("no chattr")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "r.json"
    out.write_text("old")
    target = out if what == "file" else folder
    if subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode != 0:
        pytest.skip("this filesystem has no immutable attribute")
    try:
        with pytest.raises(UsageError) as info:
            files.check_output(out)
        assert "Operation not permitted" in one_line(info)
    finally:
        subprocess.run(["chattr", "-i", str(target)], check=True)
    assert out.read_text() == "old"


def test_a_missing_folder_is_not_made_by_the_check(tmp_path):
    files.check_output(tmp_path / "a" / "b" / "r.json")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError) as info:
        files.check_output(tmp_path / "file" / "r.json")
    assert "cannot be used (Not a directory)" in one_line(info)


# --- the run log is a regular file of one measurement, one writer at a time -----------


def header(invocation: str = "m1", scenario: str = "/s.yaml") -> dict:
    settings = {"scenario_file": scenario, "runs": 2, "warmup": 0, "settle_s": 0, "timeout_s": 5, "invocation": invocation}
    image = {"name": "a", "image": {"tag": "t", "id": "sha256:1"}, "image_size_bytes": 1, "layers": 1, "ready": {"exit": True}}
    return {"type": "header", "schema": SCHEMA, "settings": settings, "images": [image], "invocation": invocation}


def run(index: int, measurement: str | None = "m1", **extra) -> dict:
    record = {"type": "run", "image": "a", "index": index, "status": "ok", "ready_ms": 5.0, **extra}
    return {**record, "measurement": measurement} if measurement else record


def write(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


END = {"type": "end", "finished_at": "then", "interrupted": None}


def test_the_run_log_is_never_written_through_a_symlink_or_into_a_device(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (tmp_path / "r.jsonl").symlink_to(victim)
    with pytest.raises(UsageError) as info:
        runlog.check_new(tmp_path / "r.jsonl")
    assert "is a symbolic link; the run log is never written through one" in one_line(info)
    with pytest.raises(UsageError):
        runlog.RunLog(tmp_path / "r.jsonl", header())
    assert victim.read_text() == "precious"
    os.mkfifo(tmp_path / "p.jsonl")
    with pytest.raises(UsageError) as info:
        runlog.RunLog(tmp_path / "p.jsonl", header())
    assert "is a named pipe; a run log must be a regular file" in one_line(info)


def test_a_second_writer_is_refused_while_the_first_holds_the_log(tmp_path):
    path = tmp_path / "r.jsonl"
    first = runlog.RunLog(path, header())
    try:
        for attempt in (lambda: runlog.check_new(path), lambda: resume.read(path)):
            with pytest.raises(files.LogBusy) as info:
                attempt()
            assert "another cprofiler process is writing this run log now" in one_line(info)
    finally:
        first.close()
    assert [r["type"] for r in map(json.loads, path.read_text().splitlines())] == ["header"]


def test_a_new_measurement_replaces_only_a_finished_log(tmp_path):
    path = write(tmp_path / "r.jsonl", header("old"), run(0, "old"), run(1, "old"), END)
    log = runlog.RunLog(path, header("new"))
    log.close()
    assert [json.loads(line)["invocation"] for line in path.read_text().splitlines()] == ["new"]
    unfinished = write(tmp_path / "u.jsonl", header("old"), run(0, "old"), {**END, "interrupted": "interrupted by Ctrl-C"})
    before = unfinished.read_bytes()
    for attempt in (lambda: runlog.check_new(unfinished), lambda: runlog.RunLog(unfinished, header("new"))):
        with pytest.raises(UsageError) as info:
            attempt()
        assert f"holds the runs of another measurement that did not finish; go on with it (--resume {unfinished})" in one_line(
            info
        )
    assert unfinished.read_bytes() == before
    notes = write(tmp_path / "notes.jsonl", {"mine": 1})
    with pytest.raises(UsageError):
        runlog.check_new(notes)
    assert notes.read_text() == '{"mine": 1}\n'


def test_each_run_record_names_its_measurement(tmp_path):
    log = runlog.RunLog(tmp_path / "r.jsonl", header("m1"))
    from cprofiler.results.model import RunResult

    log.run(RunResult(image="a", index=0))
    log.close()
    assert json.loads((tmp_path / "r.jsonl").read_text().splitlines()[1])["measurement"] == "m1"


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ((header("m1"), run(0), END, header("m2"), run(0, "m2")), ":4: a second measurement's header; this file mixes two"),
        ((header("m1"), run(0), run(1, "m2")), ":3: a run of measurement 'm2' in the log of 'm1'"),
        ((header("m1"), run(0), run(1), run(1)), ":4: run 1 of 'a' again (first at line 3); two processes wrote this file"),
    ],
)
def test_a_log_that_mixes_measurements_is_refused(tmp_path, records, expected):
    path = write(tmp_path / "r.jsonl", *records)
    for read in (lambda: runlog.load(path), lambda: resume.read(path)):
        with pytest.raises(UsageError) as info:
            read()
        assert expected in one_line(info)


def test_runs_without_a_measurement_id_still_read(tmp_path):
    path = write(tmp_path / "r.jsonl", header("m1"), run(0, None), run(1, None), END)
    assert [r.index for r in runlog.load(path).images[0].runs] == [0, 1]


# --- hostile results files ------------------------------------------------------------------


def _default() -> dict:
    return json.loads((DOCS / "default.json").read_text())


def _raw_with(key: str, raw_value: str) -> str:
    data = _default()
    first = data["images"][0]["runs"][0]
    old = f'"{key}": {json.dumps(first[key])}'
    text = json.dumps(data)
    assert old in text
    return text.replace(old, f'"{key}": {raw_value}', 1)


HOSTILE = {
    "nan": (lambda: _raw_with("ready_ms", "NaN"), "images[0].runs[0].ready_ms: Input should be a finite number"),
    "infinity": (lambda: _raw_with("ready_ms", "-Infinity"), "images[0].runs[0].ready_ms: Input should be a finite number"),
    "overflow": (lambda: _raw_with("ready_ms", "1e400"), "a number beyond 64 bits (1e400)"),
    "400 digits": (lambda: _raw_with("working_set_bytes", "9" * 400), "a number beyond 64 bits (99999"),
    "400 digits, quoted": (lambda: _raw_with("peak_bytes", '"' + "9" * 400 + '"'), "peak_bytes: Input should be a valid integer"),
    "5000 digits": (lambda: _raw_with("working_set_bytes", "9" * 5000), "a number beyond 64 bits (99999"),
    "string for a number": (
        lambda: _raw_with("ready_ms", '"fast"'),
        "images[0].runs[0].ready_ms: Input should be a valid number",
    ),
    "missing key": (
        lambda: json.dumps({**_default(), "settings": {"runs": 3}}),
        "settings.scenario_file: required key is missing",
    ),
    "nan in the environment": (
        lambda: json.dumps(_default()).replace('"environment": {', '"environment": {"x": NaN, ', 1),
        "x: expected a finite number",
    ),
    "100000 deep": (lambda: '{"schema": "' + SCHEMA + '", "x": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_results_file_is_one_line(tmp_path, name):
    make, expected = HOSTILE[name]
    path = tmp_path / "r.json"
    path.write_text(make())
    with pytest.raises(UsageError) as info:
        runlog.load(path)
    assert expected in one_line(info)


@pytest.mark.parametrize("value", ["NaN", "9" * 400, "9" * 5000])
def test_a_hostile_run_log_is_refused_by_resume_and_stays_as_it_was(tmp_path, value):
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(header()) + "\n" + '{"type": "run", "image": "a", "index": 0, "ready_ms": ' + value + "}\n")
    before = path.read_bytes()
    with pytest.raises(UsageError) as info:
        resume.read(path)
    assert one_line(info).startswith(f"--resume {path}:2: ") or one_line(info).startswith(f"{path}:2: ")
    assert path.read_bytes() == before
    resume.read(write(tmp_path / "ok.jsonl", header())).close()  # and its lock was let go of


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_devices_pipes_and_huge_files_are_refused_before_reading(tmp_path, monkeypatch, suffix):
    zero = tmp_path / f"zero{suffix}"
    zero.symlink_to("/dev/zero")
    with pytest.raises(UsageError) as info:
        runlog.load(zero)
    assert "is a character device" in one_line(info)
    pipe = tmp_path / f"pipe{suffix}"
    os.mkfifo(pipe)
    done = threading.Event()

    def read_pipe() -> None:
        with pytest.raises(UsageError, match="is a named pipe"):
            runlog.load(pipe)
        done.set()

    threading.Thread(target=read_pipe, daemon=True).start()
    assert done.wait(5), "reading a pipe blocked"
    monkeypatch.setattr(runlog, "MAX_READ_BYTES", 1000)
    big = tmp_path / f"big{suffix}"
    big.write_text(" " * 1001)
    with pytest.raises(UsageError) as info:
        runlog.load(big)
    assert "is 1001 bytes; expected a results file of at most 1000 bytes" in one_line(info)


# --- the command line: refused before the engine is contacted, nothing changed -------------------------


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "s.yaml").write_text("images:\n  a:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
    # An engine address nobody answers at: any contact would fail with exit 1, not 2.
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", "measure", str(tmp_path / "s.yaml"), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def assert_refused(p: subprocess.CompletedProcess[str], words: str) -> None:
    assert p.returncode == 2, p.stderr
    assert p.stderr.count("\n") == 1 and p.stderr.startswith("cprofiler: ") and words in p.stderr, p.stderr


def test_output_that_is_the_run_log_is_refused(tmp_path):
    out = tmp_path / "r.jsonl"
    assert_refused(cli(tmp_path, "--output", str(out)), f"--output {out}: that is the run log's path")
    log = write(tmp_path / "x.jsonl", header(scenario=str(tmp_path / "s.yaml")), run(0))
    assert_refused(cli(tmp_path, "--output", str(log), "--resume", str(log)), "that is the run log's path")
    assert not out.exists()


@pytest.mark.parametrize("where", ["directory", "proc", "cwd under proc", "unfinished log"])
def test_unwritable_outputs_are_refused_before_measuring(tmp_path, where):
    if where == "directory":
        (tmp_path / "d").mkdir()
        p = cli(tmp_path, "--output", str(tmp_path / "d"))
        words = "is a directory; expected a file name"
    elif where == "proc":
        p = cli(tmp_path, "--output", "/proc/r.json")
        words = "--output /proc/r.json: cannot write in /proc"
    elif where == "cwd under proc":  # no --output: the run log goes to .cprofiler/ in the cwd
        (tmp_path / "Dockerfile").write_text("FROM scratch\n")
        (tmp_path / "s.yaml").write_text("images:\n  a:\n    dockerfile: Dockerfile\n    ready: {exit: true}\n")
        env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no.sock", "PYTHONPATH": str(ROOT)}
        argv = [sys.executable, "-m", "cprofiler", "measure", str(tmp_path / "s.yaml")]
        p = subprocess.run(argv, capture_output=True, text=True, cwd="/proc", env=env, timeout=60)
        words = "run log .cprofiler/run-"
    else:
        write(tmp_path / "r.jsonl", header(), run(0), {**END, "interrupted": "interrupted by SIGTERM"})
        p = cli(tmp_path, "--output", str(tmp_path / "r.json"))
        words = f"go on with it (--resume {tmp_path / 'r.jsonl'})"
    assert_refused(p, words)


def test_resume_of_a_hostile_log_changes_nothing(tmp_path):
    path = tmp_path / "r.jsonl"
    head = header(scenario=str(tmp_path / "s.yaml"))
    path.write_text(json.dumps(head) + "\n" + '{"type": "run", "image": "a", "index": 0, "ready_ms": NaN}\n')
    before = path.read_bytes()
    assert_refused(cli(tmp_path, "--resume", str(path)), f"{path}:2: ready_ms: Input should be a finite number")
    assert path.read_bytes() == before


def test_manifests_are_never_written_through_a_planted_symlink(tmp_path):
    from cprofiler.commands.k8s import write_manifests

    victim = tmp_path / "victim"
    victim.write_text("precious")
    out = tmp_path / "k8s"
    out.mkdir()
    (out / "web.deployment.yaml").symlink_to(victim)
    with pytest.raises(UsageError) as info:
        write_manifests({"web.deployment.yaml": "kind: Deployment\n"}, out)
    assert "is a symbolic link; cprofiler replaces only regular files" in one_line(info)
    assert victim.read_text() == "precious"
    assert write_manifests({"api.deployment.yaml": "kind: Deployment\n"}, out) == [out / "api.deployment.yaml"]
