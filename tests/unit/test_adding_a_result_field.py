"""The contributor recipe "adding a result field", done once: one field in ``RunResult``, nothing else.

A copy of the package gets the one field (with its unit and a doc comment) in ``results/run.py``;
in that copy a measurement whose runs carry it is written as a results file and as a run log, and
both read back with it, ``--resume`` reads it from the log, and it is summarised per image because
its name ends in a unit. No other file of the copy is edited.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: The whole of the recipe: one field, its unit in its name, a doc comment.
FIELD = """    #: Time of the TLS handshake of the first probe, in milliseconds.
    tls_handshake_ms: Duration | None = None
"""

SCRIPT = """
import json, sys
from pathlib import Path
from cprofiler import report
from cprofiler.results import derive, resume, runlog
from cprofiler.results.model import ImageResult, Measurement, RunResult
from cprofiler.settings import RunSettings

tmp = Path(sys.argv[1])
image = ImageResult(name="web", image={"tag": "t/web", "id": "sha256:x"}, image_size_bytes=1, layers=1, ready={"exit": True})
image.runs = [RunResult(image="web", index=i, ready_ms=10.0, tls_handshake_ms=5.0 + i) for i in range(3)]
settings = RunSettings(scenario_file="/s.yaml", runs=3, warmup=0, settle_s=1.0, timeout_s=60, cold="warm")
m = Measurement(settings=settings, images=[image])
(tmp / "r.json").write_text(report.render(m, "json"))
log = runlog.RunLog(tmp / "r.jsonl", {"invocation": "x", **m.header_json()})
for run in image.runs:
    log.run(run)
log.close()  # no end record: an interrupted measurement, as --resume finds it
recorded = resume.read(tmp / "r.jsonl")
recorded.close()
print(json.dumps({
    "json": [r.tls_handshake_ms for r in runlog.load(tmp / "r.json").images[0].runs],
    "log": [r.tls_handshake_ms for r in runlog.load(tmp / "r.jsonl").images[0].runs],
    "resume": [r.tls_handshake_ms for r in recorded.runs],
    "written": json.loads((tmp / "r.json").read_text())["images"][0]["summary"]["tls_handshake_ms"]["median"],
    "summary": derive.summary(runlog.load(tmp / "r.jsonl").images[0])["tls_handshake_ms"]["median"],
}))
"""


def test_one_field_in_run_result_is_written_read_resumed_and_summarised(tmp_path: Path) -> None:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "cprofiler", copy / "cprofiler", ignore=shutil.ignore_patterns("__pycache__"))
    run_py = copy / "cprofiler" / "results" / "run.py"
    text = run_py.read_text()
    anchor = "    #: Why a figure is missing or how it was obtained, one short sentence each.\n"
    assert text.count(anchor) == 1, "the anchor of the recipe's edit moved: update FIELD's place"
    run_py.write_text(text.replace(anchor, FIELD + anchor))
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(copy)},
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["json"] == got["log"] == got["resume"] == [5.0, 6.0, 7.0]
    assert got["written"] == got["summary"] == 6.0
