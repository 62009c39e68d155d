"""The contract of every file ``cprofiler k8s`` writes, whatever the format and the image:

* a header of at most 5 comment lines, and one ``cprofiler.dev/`` annotation per object, the
  provenance: a digest of what the numbers were sized from;
* measuring again with nothing changed but the time, the kernel, the engine or the host gives
  byte-identical files (no GitOps diff), while a figure that moved changes the provenance;
* ``--explain`` writes every formula with its real figures under the header;
* no line is longer than 120 characters.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

import pytest
import yaml

from cprofiler.manifests.formats.registry import FORMATS
from cprofiler.manifests.header import MAX_HEADER_LINES, MAX_LINE
from cprofiler.manifests.options import ANNOTATION_PREFIX, K8sOptions
from cprofiler.manifests.render import render
from cprofiler.results.model import Measurement
from tests.unit.test_k8s import CASES, MIB, image, results_doc, run

#: Every kind of file: each format (resources, deployment, kustomize, helm) for each case, the
#: jobs as Jobs and as CronJobs, the load-sized images with their HPAs, and kustomize's index.
OPTIONS = {
    "default": K8sOptions(),
    "named": K8sOptions(name="web", container="app"),
    "cronjob": K8sOptions(schedule="0 3 * * *"),
}


def measurement(case: str, **changes: Any) -> Measurement:
    """``case``'s results, with the measurement's time, engine, kernel and host set from ``changes``."""
    doc = results_doc(copy.deepcopy(CASES[case]))
    doc["started_at"] = changes.get("started_at", doc["started_at"])
    doc["environment"] = {
        "engine_version": changes.get("engine", "20.10.24"),
        "kernel": changes.get("kernel", "6.1.0-18-amd64"),
        "cpu_model": changes.get("host", "AMD EPYC 7B13"),
        "os": changes.get("os", "Debian GNU/Linux 12"),
        "started_at": doc["started_at"],
        "cgroup_version": "2",
    }
    doc["cprofiler_version"] = changes.get("version", "0.1.0")
    return Measurement.from_json(doc, where="test results")


def every_file(m: Measurement, options: K8sOptions) -> dict[str, str]:
    out = {}
    for fmt in FORMATS:
        for name, text in render(m, fmt, options, index=True).items():
            out[f"{fmt}/{name}"] = text
    return out


def objects(text: str) -> list[dict[str, Any]]:
    """The Kubernetes objects of a file (``kind:`` documents, not a kustomization or a values snippet)."""
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict) and "kind" in d and d["kind"] != "Kustomization"]


def leading_comments(text: str) -> list[str]:
    lines = text.splitlines()
    return lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))]


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("opt", list(OPTIONS))
def test_at_most_five_header_lines_and_one_annotation_per_object(case: str, opt: str) -> None:
    files = every_file(measurement(case), OPTIONS[opt])
    kinds = set()
    for name, text in files.items():
        assert 1 <= len(leading_comments(text)) <= MAX_HEADER_LINES, name
        assert not [line for line in text.splitlines()[len(leading_comments(text)) :] if line.startswith("#")], name
        for obj in objects(text):
            kinds.add(obj["kind"])
            if name.startswith("helm/") or name.startswith("resources/"):
                continue
            keys = [k for k in obj["metadata"].get("annotations", {}) if k.startswith(ANNOTATION_PREFIX)]
            assert keys == [ANNOTATION_PREFIX + "provenance"], (name, obj["kind"])
    if case in ("load", "closed"):
        assert "HorizontalPodAutoscaler" in kinds
    if case == "job":
        assert kinds == {"CronJob" if opt == "cronjob" else "Job"}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("explain", [False, True])
def test_no_line_is_longer_than_120_characters(case: str, explain: bool) -> None:
    for opt in OPTIONS.values():
        for name, text in every_file(measurement(case), replace(opt, explain=explain)).items():
            long = [line for line in text.splitlines() if len(line) > MAX_LINE]
            assert not long, (name, long)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("explain", [False, True])
def test_measuring_again_on_another_day_kernel_or_host_changes_no_byte(case: str, explain: bool) -> None:
    options = replace(K8sOptions(results_sha256="ab" * 32), explain=explain)
    before = every_file(measurement(case), options)
    again = measurement(
        case, started_at="2026-06-30T23:59:59+00:00", kernel="6.12.9-cloud", host="Intel Xeon", engine="27.5.1", os="Ubuntu"
    )
    after = every_file(again, replace(options, results_sha256="cd" * 32))
    assert after == before


def provenance(m: Measurement, fmt: str = "deployment") -> str:
    text = next(iter(render(m, fmt, K8sOptions()).values()))
    return str(objects(text)[0]["metadata"]["annotations"][ANNOTATION_PREFIX + "provenance"])


def test_a_figure_that_moved_changes_the_provenance_and_one_that_did_not_keeps_it() -> None:
    def web(working_set_mib: float, ready_ms: float = 400.0) -> Measurement:
        runs = [run(i, ws=int(working_set_mib * MIB) + i, ready=ready_ms) for i in range(5)]
        return Measurement.from_json(results_doc(image("web", runs=runs)), where="test results")

    same = provenance(web(40))
    assert provenance(web(40)) == same
    assert provenance(web(80)) != same  # a bigger working set: a bigger request
    assert provenance(web(40.4)) != same  # the p95 figure moved, though the request is still 46Mi
    assert provenance(web(40, ready_ms=3000.0)) != same  # a slower start: another startupProbe


def test_an_option_that_changes_the_numbers_changes_the_provenance() -> None:
    m = measurement("http")
    base = next(iter(render(m, "deployment", K8sOptions()).values()))
    wider = next(iter(render(m, "deployment", K8sOptions(margin=0.5)).values()))
    assert objects(base)[0]["metadata"]["annotations"] != objects(wider)[0]["metadata"]["annotations"]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_explain_writes_the_formulas_with_the_real_figures(fmt: str) -> None:
    m = measurement("http")
    plain = next(iter(render(m, fmt, K8sOptions()).values()))
    explained = next(iter(render(m, fmt, K8sOptions(explain=True)).values()))
    for line in (
        "# memory request = max(16Mi floor, p95 working set 40.0MiB x 1.15, up to Mi) = 46Mi",
        "# memory limit   = max(request, max peak 50.0MiB x 1.15, up to Mi) = 58Mi",
        "# cpu request    = max(10m floor, p90 settle CPU 2.0m x 1.15, up to 1m) = 10m",
        "# cpu limit      = none: a CPU limit throttles start-up and bursts even on an idle node",
    ):
        assert line in explained and line not in plain
    assert "# startupProbe   = every 1s x 3 failures: at least (3 - 1) x 1s = 2s to start" in explained
    # The same objects, explained or not: only comments differ.
    assert list(yaml.safe_load_all(explained)) == list(yaml.safe_load_all(plain))


def test_the_json_summary_carries_the_annotation_and_the_measurement_it_leaves_out() -> None:
    import json

    from cprofiler.manifests.options import Source
    from cprofiler.manifests.render import recommend_all
    from cprofiler.manifests.summary.registry import SUMMARIES

    m = measurement("http")
    options = K8sOptions(results_sha256="ab" * 32)
    doc = json.loads(SUMMARIES.get("json")(recommend_all(m, options), Source.of(m, options)))
    (entry,) = doc["recommendations"]
    assert entry["provenance"] == provenance(m)
    assert doc["results_sha256"] == "ab" * 32 and doc["measured_at"] == "2025-01-01T00:00:00+00:00"
