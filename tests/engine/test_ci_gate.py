"""The CI loop the GitHub Action runs (scripts/ci-gate.sh), end to end on the real engine: the first
run has no baseline and passes; a second whose start delay went from 200 to 500 ms breaks the
app-start gate. (The baseline has an app start of its own: a static binary's is about zero, and a
change in percent of nothing is not comparable.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.engine

GATE = Path(__file__).resolve().parents[2] / "scripts" / "ci-gate.sh"


def _scenario(folder: Path, context: Path, delay_ms: int) -> Path:
    doc = {
        "runs": 5,
        "warmup": 1,
        "settle": 0,
        "timeout": 30,
        "images": {
            "app": {
                "dockerfile": str(context / "Dockerfile"),
                "context": str(context),
                "env": {"MODE": "http", "PORT": "8080", "DELAY_MS": str(delay_ms)},
                "ready": {"http": {"port": 8080, "path": "/healthz"}},
            }
        },
    }
    path = folder / f"s{delay_ms}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _gate(*args: str) -> subprocess.CompletedProcess[str]:
    cprofiler = str(Path(sys.executable).parent / "cprofiler")
    return subprocess.run(["bash", str(GATE), *args, "--cprofiler", cprofiler], capture_output=True, text=True, timeout=600)


def test_the_gate_passes_without_a_baseline_and_fails_on_a_slower_start(tmp_path, testapp_context):
    (tmp_path / "s").mkdir()
    first = _gate(
        str(_scenario(tmp_path / "s", testapp_context, 200)),
        "--out",
        str(tmp_path / "main"),
        "--baseline",
        str(tmp_path / "none.json"),
    )
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "main" / "results.json").stat().st_size > 0 and (tmp_path / "main" / "report.html").exists()
    assert "no baseline" in first.stderr

    slower = _scenario(tmp_path / "s", testapp_context, 500)
    second = _gate(
        str(slower),
        "--out",
        str(tmp_path / "pr"),
        "--baseline",
        str(tmp_path / "main" / "results.json"),
        "--fail-on",
        "app_start_ms:+20%",
    )
    assert second.returncode == 1, second.stderr
    comparison = (tmp_path / "pr" / "comparison.md").read_text()
    assert "app start p50 (minus floor)" in comparison and "slower" in comparison
