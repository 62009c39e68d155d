"""The typed results model: one class for writing and reading, and files that are not results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cprofiler import report
from cprofiler.errors import UsageError
from cprofiler.results import runlog, writer
from cprofiler.results.model import NUMERIC_FIELDS, SCHEMA, SCHEMA_V1, Measurement
from cprofiler.settings import RunSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"


@pytest.mark.parametrize("name", ["default.json", "pyc.json"])
def test_write_read_write_gives_identical_json(tmp_path, name):
    """A v1 file written by an older cprofiler reads into the model; writing it, reading that and
    writing again changes nothing."""
    first = writer.results_json(runlog.load(DOCS / name))
    (tmp_path / "a.json").write_text(json.dumps(first))
    second = writer.results_json(runlog.load(tmp_path / "a.json"))
    assert json.dumps(second, sort_keys=True) == json.dumps(first, sort_keys=True)
    # The older file's own figures are what the model recomputes; its RSS under the name of what it was;
    # fields newer than the file summarise to null. The interval of the median is the one thing
    # whose definition changed (a bootstrap then; the range below 6 values, an order-statistic
    # interval from 6 now, with its coverage): it is compared without it.
    original = json.loads((DOCS / name).read_text())
    interval_keys = {"ci95", "ci_coverage", "ci_method", "ci_label"}

    def without_interval(summary: dict) -> dict:
        return {
            k: {f: v for f, v in s.items() if f not in interval_keys} if isinstance(s, dict) else s for k, s in summary.items()
        }

    for now, was in zip(first["images"], original["images"], strict=True):
        was = {**was["summary"], "anon_and_mapped_file_bytes": was["summary"]["rss_bytes"], "rss_bytes": None}
        assert without_interval({k: now["summary"][k] for k in was}) == without_interval(was)
        ready = now["summary"]["ready_ms"]
        assert ready["ci_method"] == "order-statistic" and ready["ci_coverage"] >= 0.95
        assert all(now["summary"][k] is None for k in set(now["summary"]) - set(was))


@pytest.mark.parametrize("name", ["default.jsonl", "pyc.jsonl"])
def test_a_run_log_reads_into_the_same_model_as_its_results_file(name):
    from_log = writer.results_json(runlog.load(DOCS / name))
    from_json = writer.results_json(runlog.load(DOCS / name.replace(".jsonl", ".json")))
    assert [i["summary"] for i in from_log["images"]] == [i["summary"] for i in from_json["images"]]


def test_every_measured_number_is_summarised():
    assert {"ready_ms", "working_set_bytes", "settle_cpu_cores", "fetch_ms"} <= set(NUMERIC_FIELDS)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["images"][0]["runs"][3].update(working_set_bytes="9Mi"), "images[0].runs[3].working_set_bytes:"),
        (lambda d: d["images"][1]["runs"][0].update(ready_ms=float("nan")), "images[1].runs[0].ready_ms:"),
        (lambda d: d["settings"].pop("runs"), "settings.runs: required key is missing"),
        (lambda d: d["images"][0].update(image=None), "images[0].image:"),
    ],
)
def test_a_malformed_results_file_is_one_line_naming_the_path_inside_it(tmp_path, change, expected):
    data = json.loads((DOCS / "default.json").read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as info:
        runlog.load(path)
    assert str(info.value).startswith(f"{path}: {expected}") and "\n" not in str(info.value)


def test_settings_serialise_and_read_back_through_the_same_class():
    data = json.loads((DOCS / "default.json").read_text())["settings"]
    settings = RunSettings.from_json(data)
    assert RunSettings.from_json(settings.to_json()) == settings
    assert settings.runs == data["runs"] and settings.shuffle is (data["order"] == "interleaved-shuffled")


def test_settings_are_immutable():
    settings = Measurement.from_json(json.loads((DOCS / "default.json").read_text()), where="x").settings
    with pytest.raises(ValueError, match="frozen"):
        settings.runs = 3  # type: ignore[misc]


# --- schema v2: RSS as cAdvisor counts it; v1 files keep reading ---------------------------------


def test_a_v1_file_reads_with_its_rss_under_the_name_of_what_it_was():
    original = json.loads((DOCS / "default.json").read_text())
    assert original["schema"] == SCHEMA_V1
    m = runlog.load(DOCS / "default.json")
    run, was = m.images[0].runs[0], original["images"][0]["runs"][0]
    assert run.rss_bytes is None and run.anon_and_mapped_file_bytes == was["rss_bytes"]
    written = writer.results_json(m)
    assert written["schema"] == SCHEMA and written["images"][0]["summary"]["rss_bytes"] is None
    # The same figures under the new name (the interval of the median is defined anew: not compared).
    now, was = written["images"][0]["summary"]["anon_and_mapped_file_bytes"], original["images"][0]["summary"]["rss_bytes"]
    assert {k: v for k, v in now.items() if k in was and k != "ci95"} == {k: v for k, v in was.items() if k != "ci95"}


def test_a_v1_run_log_reads_through_the_same_shim():
    m = runlog.load(DOCS / "default.jsonl")
    assert all(r.rss_bytes is None and r.anon_and_mapped_file_bytes for r in m.images[0].runs)


def test_the_table_labels_a_v1_column_for_what_it_was_and_a_v2_one_as_rss():
    v1 = runlog.load(DOCS / "default.json")
    text = report.render(v1, "table")
    assert "anon+mapped p50" in text.splitlines()[0] and "RSS p50" not in text.splitlines()[0]
    assert "what this schema v1 file calls RSS" in text
    v2 = Measurement.from_json(
        json.loads(json.dumps(writer.results_json(v1)).replace("anon_and_mapped_file_bytes", "rss_bytes")), where="x"
    )
    text = report.render(v2, "table")
    assert "RSS p50" in text.splitlines()[0] and "anon+mapped" not in text and "container_memory_rss" in text


def test_resuming_a_v1_run_log_is_refused(tmp_path):
    from cprofiler.results import resume

    path = tmp_path / "r.jsonl"
    path.write_text((DOCS / "default.jsonl").read_text())
    with pytest.raises(UsageError, match="schema 'cprofiler/results/v1', which measured RSS otherwise"):
        resume.read(path)


# --- what a measurement ran under reaches the saved file and its run log ------------------------


def _restricted() -> Measurement:
    from tests.unit import factories

    img = factories.image("web", [100.0, 110.0, 120.0], ws_mib=30)
    img.user, img.security, img.run_as = "", "restricted", "65534:65534"
    return factories.measurement(img)


def _security_contexts(texts) -> list[dict[str, object]]:
    import yaml

    docs = [d for text in texts for d in yaml.safe_load_all(text) if d]
    return [c["securityContext"] for d in docs for c in d["spec"]["template"]["spec"]["containers"]]


def test_security_and_run_as_are_written_into_the_results_file_and_the_run_log(tmp_path):
    m = _restricted()
    (tmp_path / "r.json").write_text(report.render(m, "json"))
    log = runlog.RunLog(tmp_path / "r.jsonl", {"invocation": "test", **m.header_json()})
    for run in m.images[0].runs:
        log.run(run)
    log.end(None, None)
    log.close()
    from cprofiler.commands.k8s import k8s_command
    from cprofiler.manifests.options import K8sOptions
    from cprofiler.manifests.render import render

    # What `cprofiler measure --k8s` writes: the manifests of the measurement in memory.
    in_memory = _security_contexts(render(m, "deployment", K8sOptions()).values())
    assert in_memory[0]["runAsUser"] == 65534
    for saved in (tmp_path / "r.json", tmp_path / "r.jsonl"):
        back = runlog.load(saved).images[0]
        assert (back.user, back.security, back.run_as) == ("", "restricted", "65534:65534"), saved
        # And `cprofiler k8s` on the saved file writes the same.
        out = tmp_path / f"k8s-{saved.suffix[1:]}"
        assert k8s_command(saved, "deployment", K8sOptions(), output_dir=out) == 0
        assert _security_contexts(p.read_text() for p in sorted(out.glob("web*.yaml"))) == in_memory, saved


# --- one strict record base: load steps as strict as runs, no negative figure, one record per run ---


def test_a_latency_written_as_a_string_is_refused_as_a_run_figure_is():
    from pydantic import ValidationError

    from cprofiler.results.load import LatencyMs
    from cprofiler.results.model import RunResult

    for model, data in ((LatencyMs, {"p50": "640"}), (RunResult, {"image": "a", "index": 0, "ready_ms": "640"})):
        with pytest.raises(ValidationError):
            model.model_validate(data)


def _first_step(d):
    return next(i for i in d["images"] if i.get("load"))["load"]["steps"][0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: _first_step(d).update(qps="1651"), ".load.steps[0].qps:"),
        (lambda d: _first_step(d)["latency_ms"].update(p99="12"), ".load.steps[0].latency_ms.p99:"),
        (lambda d: _first_step(d).update(qps=-1651.0), ".load.steps[0].qps: Input should be greater than or equal to 0"),
        (lambda d: _first_step(d).update(rate=-100.0), ".load.steps[0].rate: Input should be greater than or equal to 0"),
        (lambda d: _first_step(d).update(cpu_cores=-0.5), ".load.steps[0].cpu_cores: Input should be greater than or equal to 0"),
        (lambda d: d["images"][0].update(image_size_bytes=-1), "images[0].image_size_bytes: Input should be greater"),
        (lambda d: d["images"][0]["runs"][2].update(ready_ms=-3.5), "images[0].runs[2].ready_ms: Input should be greater"),
        (lambda d: d["images"][0]["runs"][2].update(working_set_bytes=-1), "images[0].runs[2].working_set_bytes: Input should"),
        (lambda d: d["images"][0]["runs"][2].update(settle_cpu_cores=-0.1), "images[0].runs[2].settle_cpu_cores: Input should"),
        (lambda d: d["images"][0].update(cpus=-2.0), "images[0].cpus: Input should be greater than or equal to 0"),
        (lambda d: d["images"][0]["runs"][3].update(index=1), "images[0]: run 1 is listed twice; expected one record per run"),
    ],
)
def test_a_results_file_with_a_string_negative_or_repeated_figure_is_refused_naming_it(tmp_path, change, expected):
    data = json.loads((DOCS / "gateway.json").read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as info:
        runlog.load(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and expected in text and "\n" not in text, text


def test_a_load_step_of_a_run_log_is_as_strict(tmp_path):
    lines = (DOCS / "gateway.jsonl").read_text().splitlines()
    n = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == "load_step")
    step = json.loads(lines[n])
    step["qps"] = str(step["qps"])
    lines[n] = json.dumps(step)
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(UsageError, match=rf"^{path}:{n + 1}: qps: Input should be a valid number"):
        runlog.load(path)


# --- one word per meaning: status, probe transport, memory source and backend are enums ----------


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["images"][0]["runs"][0].update(status="okay"), "images[0].runs[0].status: Input should be 'ok', 'timeout'"),
        (lambda d: d["images"][0]["runs"][0].update(probe_via="pigeon"), "images[0].runs[0].probe_via: Input should be 'netns'"),
        (lambda d: d["images"][0]["runs"][0].update(memory_source="guess"), "images[0].runs[0].memory_source: Input should be"),
        (lambda d: d["environment"].update(backend="podman"), "environment.backend: Input should be 'docker' or 'kubernetes'"),
    ],
)
def test_a_word_the_results_do_not_use_is_refused_naming_its_key(tmp_path, change, expected):
    data = json.loads((DOCS / "docker-10.json").read_text())
    change(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(UsageError) as info:
        runlog.load(path)
    assert str(info.value).startswith(f"{path}: {expected}"), str(info.value)


def test_the_enums_are_written_as_the_strings_they_always_were():
    from cprofiler.results.kinds import BackendName, MemorySource, ProbeVia, RunStatus

    m = runlog.load(DOCS / "docker-10.json")
    run = m.images[0].runs[0]
    assert (run.status, run.probe_via, run.memory_source, m.environment.backend) == (
        RunStatus.OK,
        ProbeVia.NETNS,
        MemorySource.CGROUP_V1,
        BackendName.DOCKER,
    )
    written = writer.results_json(m)
    assert json.dumps(written) == json.dumps(json.loads(json.dumps(written)))
    first = written["images"][0]["runs"][0]
    assert (first["status"], first["probe_via"], first["memory_source"], written["environment"]["backend"]) == (
        "ok",
        "netns",
        "cgroup-v1",
        "docker",
    )
    assert type(first["status"]) is str and list(written["images"][0]["summary"]["status_counts"]) == [
        "ok",
        "timeout",
        "crashed",
        "oomkilled",
        "error",
    ]


def test_no_class_of_the_results_or_their_views_shares_its_name_with_another():
    """``load_view``'s figures are views (FigureSpan, StepView, SummaryView, LoadView), not a second
    Interval, LoadStep, LoadSummary or LoadPhase beside the results' and the load phase's own."""
    import ast

    root = Path(__file__).resolve().parents[2] / "cprofiler"
    mine = [root / "load_view.py", *(root / "results").glob("*.py")]
    where: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                where.setdefault(node.name, []).append(str(path.relative_to(root)))
    names = {n.name for p in mine for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ClassDef)}
    assert {name: where[name] for name in names if len(where[name]) > 1} == {}


def test_the_load_phase_s_unrecorded_start_may_have_index_minus_one():
    """The load phase starts its container as run -1 (never recorded); only figures are never negative."""
    from cprofiler.results.model import RunResult

    assert RunResult(image="a", index=-1).index == -1
