"""What ``measure`` refuses before any work: a load its generator cannot make, a ``--k8s`` that is
no folder. The command line must stop before the engine is contacted: DOCKER_HOST points at a
socket that only records whether anyone connected."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cprofiler.commands.measure_checks import check_output_dir
from cprofiler.errors import UsageError
from cprofiler.measure.load.phase import check_shapes
from cprofiler.scenario.loadspec import LoadSpec


def scenario(tmp_path: Path, load: dict | None = None) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    doc: dict = {"images": {"web": {"dockerfile": "Dockerfile", "ready": {"http": {"port": 8080}}}}}
    if load is not None:
        doc["load"] = load
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def measure(tmp_path: Path, *args: str) -> str:
    """``cprofiler measure ARGS``: assert exit 2, one line on stderr, nothing on stdout and no
    connection to the engine; return the line."""
    sock = tmp_path / "engine.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock))
    listener.listen(4)
    listener.setblocking(False)
    env = {**os.environ, "DOCKER_HOST": f"unix://{sock}", "PYTHONPATH": os.getcwd()}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cprofiler", "measure", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert proc.stdout == "" and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected: refused before the engine
    finally:
        listener.close()
    return proc.stderr


@pytest.mark.parametrize("load", [{"generator": "wrk", "rate": 100}, {"generator": "wrk", "rates": [100, 200]}])
def test_wrk_with_a_rate_is_refused_before_the_engine_is_contacted(tmp_path, load):
    path = scenario(tmp_path, load)
    line = measure(tmp_path, str(path), "--runs", "1")
    assert line.startswith(f"cprofiler: {path}: image web: load.rate: wrk runs closed loop only"), line
    assert "load.generator: oha" in line


def test_check_shapes_names_the_row_and_passes_what_a_generator_can_make():
    check_shapes([("a", LoadSpec(generator="wrk")), ("b", LoadSpec(rates=[10, 20])), ("c", LoadSpec(rate=5))])
    with pytest.raises(UsageError, match=r"^s\.yaml: image b: load\.rate: wrk runs closed loop only"):
        check_shapes([("a", LoadSpec(generator="wrk")), ("b", LoadSpec(generator="wrk", rates=[10]))], "s.yaml")
    with pytest.raises(UsageError, match=r"^s\.yaml: image a: load\.generator ab: unknown load generator; expected one of"):
        check_shapes([("a", LoadSpec(generator="ab"))], "s.yaml")


def test_only_the_measured_images_loads_are_checked(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    doc = {
        "images": {
            "web": {"dockerfile": "Dockerfile", "ready": {"http": {"port": 8080}}, "load": {"generator": "wrk", "rate": 5}},
            "other": {"dockerfile": "Dockerfile", "ready": {"exit": True}},
        }
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(doc))
    from cprofiler.commands.measure_checks import check_before_work
    from cprofiler.scenario.reader import load as load_scenario

    loaded = load_scenario(tmp_path / "s.yaml")
    check_before_work(loaded, only=["other"], k8s_dir=None)
    with pytest.raises(UsageError, match="image web: load.rate"):
        check_before_work(loaded, only=[], k8s_dir=None)


def test_k8s_naming_a_file_is_refused_before_measuring_and_names_k8s(tmp_path):
    path = scenario(tmp_path)
    (tmp_path / "deploy.yaml").write_text("kept\n")
    line = measure(tmp_path, str(path), "--runs", "1", "--k8s", "deploy.yaml")
    assert "--k8s deploy.yaml: is a regular file; expected a folder for the Kubernetes files" in line, line
    assert "--output-dir" not in line
    assert (tmp_path / "deploy.yaml").read_text() == "kept\n"


def test_k8s_output_folders_that_cannot_be_one(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UsageError, match=r"--k8s .*/file: is a regular file; expected a folder"):
        check_output_dir(tmp_path / "file", "--k8s")
    with pytest.raises(UsageError, match=r"--k8s .*/link: is a symbolic link; expected a folder"):
        check_output_dir(tmp_path / "link", "--k8s")
    with pytest.raises(UsageError, match=r"--k8s .*/file/k8s: .*/file is not a folder"):
        check_output_dir(tmp_path / "file" / "k8s", "--k8s")
    check_output_dir(tmp_path / "real", "--k8s")
    check_output_dir(tmp_path / "new" / "k8s", "--k8s")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "link", "real"]  # nothing made, no probe left
    assert list((tmp_path / "real").iterdir()) == []
