"""Shared fixtures: the real engine, and a tiny static service compiled once per session.

Engine tests never mock the engine. Where no engine answers they skip on a laptop, but fail in CI
(CI=true): a CI run that skipped them would claim a green it did not earn.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
TESTAPP_SRC = ROOT / "images" / "testapp" / "testapp.c"


def _engine_or_fail():
    from cprofiler import engine
    from cprofiler.errors import EngineError

    try:
        return engine.connect()
    except EngineError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the Docker engine does not answer: {exc}", pytrace=False)
        pytest.skip(f"no Docker engine: {exc}")


@pytest.fixture(scope="session")
def engine():
    return _engine_or_fail()


def static_context(folder: Path, source: Path, name: str) -> Path:
    """A build context in ``folder``: ``source`` compiled static as ``/NAME`` in a FROM scratch image."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.fail("no C compiler: .ci/run installs gcc (build-essential)", pytrace=False)
    subprocess.run([cc, "-static", "-O2", "-o", str(folder / name), str(source)], check=True)
    (folder / "Dockerfile").write_text(f'FROM scratch\nCOPY {name} /{name}\nENTRYPOINT ["/{name}"]\n')
    return folder


@pytest.fixture(scope="session")
def testapp_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build context: the static testapp and a FROM scratch Dockerfile."""
    return static_context(tmp_path_factory.mktemp("testapp"), TESTAPP_SRC, "testapp")


@pytest.fixture(autouse=True)
def _no_leftover_containers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every engine test must leave no container behind: check after each one.

    Containers that existed before the test are not its doing (another invocation may share the
    engine); .ci/run checks at the very end that none at all are left.
    """
    if request.node.get_closest_marker("engine") is None:
        yield
        return
    from cprofiler import engine as engine_mod
    from cprofiler.labels import LABEL_PID
    from cprofiler.reaper import is_stale

    def not_someone_elses(labels: dict[str, str]) -> bool:
        # Made by this process or a child of it, or by an invocation that is dead now (a test's
        # killed cprofiler); a live invocation of another session on a shared engine is not ours.
        mine = {str(os.getpid())} | {str(p.pid) for p in psutil.Process().children(recursive=True)}
        return labels.get(LABEL_PID) in mine or is_stale(labels)

    before = {c["id"] for c in engine_mod.connect().labelled_containers()}
    yield
    left = [
        c["id"][:12]
        for c in engine_mod.connect().labelled_containers()
        if c["id"] not in before and not_someone_elses(c["labels"])
    ]
    assert not left, f"containers left behind: {left}"
