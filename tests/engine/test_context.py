"""Docker contexts against the real engine: a context that points at the local socket is honoured,
by name (DOCKER_CONTEXT) and as the current one; a broken context is one line naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import write_scenario

pytestmark = pytest.mark.engine

SOCKET = "unix:///var/run/docker.sock"


def docker_cli(config: Path, *args: str) -> None:
    # DOCKER_CONFIG: the contexts live in this test's own folder, never in the user's ~/.docker.
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    subprocess.run(["docker", *args], check=True, capture_output=True, env={**env, "DOCKER_CONFIG": str(config)}, timeout=60)


def cprofiler(*args: str, config: Path, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    full = {**base, "PYTHONPATH": str(ROOT), "DOCKER_CONFIG": str(config), **env}
    return subprocess.run(
        [sys.executable, "-m", "cprofiler", *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=600
    )


@pytest.fixture
def config(tmp_path: Path) -> Iterator[Path]:
    if not Path(SOCKET.removeprefix("unix://")).exists():
        pytest.skip(f"the engine is not at {SOCKET}")
    folder = tmp_path / "docker-config"
    folder.mkdir()
    docker_cli(folder, "context", "create", "cprofiler-test", "--docker", f"host={SOCKET}")
    docker_cli(folder, "context", "create", "cprofiler-test-broken", "--docker", "host=unix:///nonexistent/docker.sock")
    yield folder
    for name in ("cprofiler-test", "cprofiler-test-broken"):
        docker_cli(folder, "context", "rm", "--force", name)


def test_docker_context_by_name_measures_through_it(engine, testapp_context, tmp_path, config):
    path = write_scenario(tmp_path, testapp_context, {"job": {"env": {"MODE": "exit"}, "ready": {"exit": True}}}, settle=0)
    p = cprofiler("measure", str(path), "--runs", "1", "--no-floor", config=config, cwd=tmp_path, DOCKER_CONTEXT="cprofiler-test")
    assert p.returncode == 0, p.stderr
    assert "1/1" in p.stdout


def test_the_current_context_is_used_and_a_broken_one_names_itself(engine, tmp_path, config):
    docker_cli(config, "context", "use", "cprofiler-test-broken")
    p = cprofiler("clean", config=config, cwd=tmp_path)
    assert p.returncode == 1
    assert "unix:///nonexistent/docker.sock (context cprofiler-test-broken)" in p.stderr and "Traceback" not in p.stderr
    docker_cli(config, "context", "use", "cprofiler-test")
    ok = cprofiler("clean", config=config, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    # DOCKER_HOST still wins over any context, as with the docker CLI.
    forced = cprofiler("clean", config=config, cwd=tmp_path, DOCKER_HOST=SOCKET, DOCKER_CONTEXT="cprofiler-test-broken")
    assert forced.returncode == 0, forced.stderr
    docker_cli(config, "context", "use", "default")


def test_an_unknown_context_is_exit_2(tmp_path, config):
    p = cprofiler("clean", config=config, cwd=tmp_path, DOCKER_CONTEXT="no-such-context")
    assert p.returncode == 2 and p.stderr.startswith("cprofiler: Docker context 'no-such-context' (DOCKER_CONTEXT)")
