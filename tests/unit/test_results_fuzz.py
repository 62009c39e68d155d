"""Real results files, mutated by hypothesis: reading and rendering them never gives a traceback.

Whatever a results file holds, ``cprofiler report`` (and ``compare``) either renders it in every format or stops with
one UsageError line (exit 2) that names the file. The mutations start from the project's own
results (``docs/results/``), so they reach deep into real structure: a run's number replaced by
NaN, a string, a huge or negative number, a key removed, a line of a run log cut or doubled.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cprofiler import compare as compare_formats
from cprofiler import report
from cprofiler.compare.verdict import compare, parse_rule
from cprofiler.errors import UsageError
from cprofiler.results import runlog, stats
from cprofiler.results.model import NUMERIC_FIELDS

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"
DOCUMENTS = {name: json.loads((DOCS / name).read_text()) for name in ("default.json", "pyc.json")}
LOG_LINES = {name: (DOCS / name).read_text().splitlines() for name in ("default.jsonl", "pyc.jsonl")}

FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Values a broken or hand-edited file may hold where a number, string or object belongs.
odd_values = st.one_of(
    st.sampled_from(
        [
            math.nan,
            math.inf,
            -math.inf,
            "9Mi",
            "640",
            "",
            True,
            False,
            None,
            0,
            -1,
            -0.5,
            1e308,
            10**30,
            10**400,
            [],
            {},
            [1, 2],
            {"a": 1},
            "cprofiler/results/v1",
            "cprofiler/results/v2",
        ]
    ),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``doc`` (keys and list indices)."""
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, (*prefix, i))
    return out


@pytest.fixture(autouse=True, scope="module")
def _few_resamples() -> Iterator[None]:
    """Robustness, not accuracy, is on trial here: 20 bootstrap resamples instead of 2000 keep
    hundreds of renderings fast, and exercise the same code."""
    full = stats._bootstrap_medians
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(stats, "_bootstrap_medians", lambda xs, resamples, rng: full(xs, min(resamples, 20), rng))
        yield


PATHS = {name: paths(doc) for name, doc in DOCUMENTS.items()}
#: The measured numbers of every run: where hand edits and broken tools do most harm.
RUN_NUMBERS = {
    name: [p for p in PATHS[name] if len(p) == 5 and p[0] == "images" and p[2] == "runs" and p[4] in NUMERIC_FIELDS]
    for name in DOCUMENTS
}


def mutate(doc: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    doc = json.loads(json.dumps(doc))
    parent = doc
    for part in path[:-1]:
        parent = parent[part]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return doc


def assert_reads_or_refuses(path: Path) -> None:
    """Load and render in every format; a refusal is one line of UsageError naming the file."""
    try:
        measurement = runlog.load(path)
    except UsageError as exc:
        text = str(exc)
        assert text.startswith(str(path)) and "\n" not in text, text
        return
    for fmt in report.names():
        assert report.render(measurement, fmt)
    # And as either side of a comparison with the file it was made from.
    original = runlog.load(DOCS / ("default.json" if "default" in str(measurement.settings.scenario_file) else "pyc.json"))
    assert compare_formats.render(compare(original, measurement, [parse_rule("ready_ms:+10%")], names=("a", "b")), "csv")


@st.composite
def mutated_documents(draw: st.DrawFn) -> Any:
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    doc = DOCUMENTS[name]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(RUN_NUMBERS[name]) | st.sampled_from(PATHS[name]))
        try:
            doc = mutate(doc, path, draw(odd_values), delete=draw(st.booleans()))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path's parent
    return doc


@FUZZ
@given(doc=mutated_documents())
def test_a_mutated_results_json_renders_or_is_one_line_exit_2(tmp_path, doc):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))  # json.dumps writes NaN and Infinity, as a careless tool would
    assert_reads_or_refuses(path)


@FUZZ
@given(
    name=st.sampled_from(sorted(LOG_LINES)),
    line=st.integers(0, 200),
    key=st.text(max_size=12) | st.sampled_from(["ready_ms", "rss_bytes", "status", "image", "index", "schema", "type"]),
    value=odd_values,
    cut=st.integers(0, 400),
    how=st.sampled_from(["set", "drop-line", "double-line", "cut-line", "garbage"]),
)
def test_a_mutated_run_log_renders_or_is_one_line_exit_2(tmp_path, name, line, key, value, cut, how):
    lines = list(LOG_LINES[name])
    n = line % len(lines)
    if how == "set":
        record = json.loads(lines[n])
        record[key] = value
        lines[n] = json.dumps(record)
    elif how == "drop-line":
        del lines[n]
    elif how == "double-line":
        lines.insert(n, lines[n])
    elif how == "cut-line":
        lines[n] = lines[n][:cut]
    else:
        lines[n] = json.dumps(value)
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert_reads_or_refuses(path)


@pytest.mark.parametrize("command", ["report", "compare", "recommend", "plot"])
def test_a_lone_surrogate_is_exit_2_with_one_line_naming_the_file(tmp_path, command):
    """``"\\ud800"`` is valid JSON but no text: printing it would be a traceback in every command."""
    import subprocess
    import sys

    doc = json.loads(json.dumps(DOCUMENTS["default.json"]))
    doc["images"][0]["name"] = "\ud800"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))  # ensure_ascii: the file holds the escape, as a broken tool writes it
    lines = LOG_LINES["default.jsonl"][:]
    run = json.loads(lines[1])
    run["error"] = "\udc00"
    log = tmp_path / "r.jsonl"
    log.write_text("\n".join([lines[0], json.dumps(run), *lines[2:]]) + "\n")
    extra = {"compare": [str(DOCS / "default.json")], "plot": ["-o", str(tmp_path / "p.svg")]}.get(command, [])
    for bad, where in ((path, f"{path}:"), (log, f"{log}:2:")):
        out = subprocess.run(
            [sys.executable, "-m", "cprofiler", command, str(bad), *extra], capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 2, out.stderr
        assert out.stderr.count("\n") == 1 and f"cprofiler: {where} a lone UTF-16 surrogate" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
