"""The contributor recipe "adding a backend", done once: one ``Backend`` subclass registered in
``BACKENDS``. ``backends.selection`` then finds it by its ``--backend`` name and the Runner is
handed it like any other: the Runner checks the plan with it before anything is built, and a
refusal stops the measurement there (no image built, no run log written). Real runs stay tested
on the real engine (tests/engine) and cluster (tests/kube)."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from cprofiler.backends import selection
from cprofiler.backends.base import Backend, Invocation, Transport
from cprofiler.backends.registry import BACKENDS
from cprofiler.errors import UsageError
from cprofiler.measure.runner import Runner, Scope
from cprofiler.plugins import Registry
from cprofiler.scenario import reader as scenario
from cprofiler.settings import BackendName, RunSettings


class Refusing(Backend):
    """A backend that can only refuse: enough to see where the Runner asks it, and nothing else."""

    name = "refusing"

    def __init__(self, settings: RunSettings, engine: Any, invocation: Invocation) -> None:
        super().__init__(settings, engine, invocation)
        self.checked: list[list[Any]] = []
        self.closed = False

    @classmethod
    def transport(cls, engine: Any) -> Transport:
        return Transport(probe_via="nowhere", probe_interval_ms=5.0)

    def check(self, load_rows: list[Any]) -> None:
        self.checked.append(load_rows)
        raise UsageError("--backend refusing: this backend runs nothing")

    def run(self, subject: Any, index: int) -> Any:
        raise AssertionError("never reached: the plan was refused")

    def facts(self) -> dict[str, Any]:
        return {"backend": self.name}

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Registry[type[Backend]]:
    """``BACKENDS`` with ``Refusing`` added, for this test only (the registry is process-wide)."""
    backends: Registry[type[Backend]] = Registry("backend", flag="--backend")
    for name, cls in BACKENDS.items():
        backends.add(name, cls)
    monkeypatch.setattr(selection, "BACKENDS", backends)
    backends.register(Refusing.name)(Refusing)
    return backends


def settings_for(tmp_path, backend: str) -> tuple[Any, RunSettings]:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "s.yaml"
    path.write_text(f"runs: 2\nimages:\n  web:\n    dockerfile: {tmp_path}/Dockerfile\n    ready: {{exit: true}}\n")
    loaded = scenario.load(path)
    transport = selection.backend_class(backend).transport(None)
    built = RunSettings.build(
        loaded,
        {},
        shuffle=False,
        cold="warm",
        floor=False,
        probe_via=transport.probe_via,
        probe_interval_ms=transport.probe_interval_ms,
        invocation="abc",
    )
    # RunSettings' --backend choices are the built-in names; the new one is given as the field.
    return loaded, built.model_copy(update={"backend": backend})


def test_a_registered_backend_is_selected_by_its_name(registered, tmp_path):
    assert selection.backend_class("refusing") is Refusing
    _loaded, settings = settings_for(tmp_path, "refusing")
    assert settings.probe_via == "nowhere"  # its transport went into the settings
    backend = selection.select(settings, None, Invocation("abc", labels={"cprofiler": "abc"}))  # type: ignore[arg-type]
    assert isinstance(backend, Refusing) and backend.invocation.id == "abc"


def test_the_runner_checks_the_plan_with_its_backend_before_building(registered, tmp_path):
    loaded, settings = settings_for(tmp_path, "refusing")
    backend = selection.select(settings, None, Invocation("abc", labels={"cprofiler": "abc"}))  # type: ignore[arg-type]
    # No engine: a build or a run would fail on it; the refusal comes first.
    runner = Runner(None, loaded, settings, backend, Scope(log_path=tmp_path / "r.jsonl"))  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="--backend refusing: this backend runs nothing"):
        runner.measure()
    assert isinstance(backend, Refusing) and backend.checked == [[]]  # no row has a load phase
    assert runner.measurement is None and not (tmp_path / "r.jsonl").exists()


def test_an_unknown_backend_names_the_flag_and_the_choices():
    with pytest.raises(UsageError, match=r"--backend nowhere: unknown backend; expected one of: docker, kubernetes"):
        selection.backend_class("nowhere")


def test_every_backend_name_of_the_settings_is_registered():
    assert BACKENDS.names() == list(get_args(BackendName))
