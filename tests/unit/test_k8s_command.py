"""``cprofiler k8s``'s command body: reading the results file, writing files or a YAML stream."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cprofiler.commands.k8s import k8s_command
from cprofiler.errors import CprofilerError, UsageError
from cprofiler.manifests.options import K8sOptions

MIB = 1 << 20


def _results(*names: str, cpus: float | None = None) -> dict[str, Any]:
    run = {
        "image": "x",
        "status": "ok",
        "ready_ms": 300.0,
        "working_set_bytes": 30 * MIB,
        "peak_bytes": 40 * MIB,
        "settle_cpu_cores": 0.05,
    }
    return {
        "schema": "cprofiler/results/v2",
        "settings": {"scenario_file": "/s.yaml", "runs": 3, "warmup": 0, "settle_s": 1.0, "timeout_s": 60, "cold": "warm"},
        "images": [
            {
                "name": name,
                "image": {"tag": f"cprofiler/{name}:1", "id": "sha256:" + "0" * 64},
                "image_size_bytes": MIB,
                "layers": 1,
                "ready": {"http": {"port": 8080, "path": "/"}},
                "cpus": cpus,
                "runs": [dict(run, image=name, index=i) for i in range(3)],
            }
            for name in names
        ],
    }


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_stdout_gets_one_yaml_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _results("go", "node"))
    assert k8s_command(path, "deployment", K8sOptions()) == 0
    out = capsys.readouterr().out
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out)] == ["go", "node"]
    assert "# image cprofiler/go:1: 3 ok of 3 runs, cold level warm, margin 15%" in out


def test_output_dir_gets_one_file_per_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _results("go", "node"))
    out_dir = tmp_path / "k8s" / "base"
    assert k8s_command(path, "kustomize", K8sOptions(container="app"), output_dir=out_dir) == 0
    # One patch per image, and the kustomization.yaml that lists them.
    assert sorted(p.name for p in out_dir.iterdir()) == ["go.patch.yaml", "kustomization.yaml", "node.patch.yaml"]
    patch = yaml.safe_load((out_dir / "go.patch.yaml").read_text(encoding="utf-8"))
    assert patch["metadata"]["name"] == "go"
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"wrote {out_dir / 'go.patch.yaml'}" in captured.err


def test_name_needs_one_image_selected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _results("go", "node"))
    out_dir = tmp_path / "k8s"
    with pytest.raises(UsageError, match=r"--name 'web' names one workload, but 2 images are selected \(go, node\)"):
        k8s_command(path, "kustomize", K8sOptions(name="web", container="app"), output_dir=out_dir)
    assert k8s_command(path, "kustomize", K8sOptions(name="web", container="app", only=("go",)), output_dir=out_dir) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["go.patch.yaml", "kustomization.yaml"]
    patch = yaml.safe_load((out_dir / "go.patch.yaml").read_text(encoding="utf-8"))
    assert patch["metadata"]["name"] == "web"


def test_only_names_an_image_of_the_results(tmp_path: Path) -> None:
    path = _write(tmp_path, _results("go", "node"))
    with pytest.raises(UsageError, match=r"--only 'rust': no such image in .*; expected one of: go, node"):
        k8s_command(path, "deployment", K8sOptions(only=("rust",)))


def test_the_summary_names_the_results_digest_and_when_it_was_measured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, _results("go"))
    k8s_command(path, "deployment", K8sOptions(), summary="table")
    out = capsys.readouterr().out
    assert f"from {path} (sha256 {hashlib.sha256(path.read_bytes()).hexdigest()})" in out
    assert "- go: figures sha256:" in out and "    | memory request = max(16Mi floor, " in out
    assert all(len(line) <= 120 for line in out.splitlines() if line.startswith("    | "))


def test_on_a_terminal_the_summary_table_comes_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _results("go"))
    k8s_command(path, "deployment", K8sOptions(), terminal=True)
    out = capsys.readouterr().out
    assert out.startswith("# image ") and out.index("# image ") < out.index("kind: Deployment")
    assert [d["kind"] for d in yaml.safe_load_all(out)] == ["Deployment"]  # the table is comments: still one stream
    k8s_command(path, "deployment", K8sOptions(), terminal=False)
    assert capsys.readouterr().out.startswith("---\n# go.deployment.yaml: ")


@pytest.mark.parametrize("summary", ["table", "json"])
def test_summary_instead_of_the_stream(tmp_path: Path, capsys: pytest.CaptureFixture[str], summary: str) -> None:
    path = _write(tmp_path, _results("go", "node"))
    assert k8s_command(path, "deployment", K8sOptions(), summary=summary) == 0
    out = capsys.readouterr().out
    assert "apiVersion" not in out
    if summary == "json":
        doc = json.loads(out)
        assert [r["workload"] for r in doc["recommendations"]] == [
            {"kind": "Deployment", "name": "go"},
            {"kind": "Deployment", "name": "node"},
        ]
        assert doc["recommendations"][0]["resources"]["requests"] == {"cpu": "58m", "memory": "35Mi"}
    else:
        assert "Deployment/go" in out and "Deployment/node" in out and "35Mi" in out


def test_margin_reaches_the_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, _results("go"))
    k8s_command(path, "resources", K8sOptions(margin=0.5))
    doc = yaml.safe_load(capsys.readouterr().out)
    assert doc["resources"]["requests"] == {"cpu": "75m", "memory": "45Mi"}
    assert doc["resources"]["limits"] == {"memory": "60Mi"}


@pytest.mark.parametrize(("cpu_limit", "expected"), [("measured", "1500m"), ("2", "2")])
def test_cpu_limit_measured_or_a_quantity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cpu_limit: str, expected: str
) -> None:
    path = _write(tmp_path, _results("go", cpus=1.5))
    k8s_command(path, "helm", K8sOptions(cpu_limit=cpu_limit))
    assert yaml.safe_load(capsys.readouterr().out)["resources"]["limits"]["cpu"] == expected


def test_missing_file_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(UsageError, match=f"{missing}: cannot be read") as info:
        k8s_command(missing, "resources", K8sOptions())
    assert info.value.exit_code == 2


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"schema":\n  oops}', encoding="utf-8")
    with pytest.raises(UsageError, match=f"{path}:2: not valid JSON"):
        k8s_command(path, "resources", K8sOptions())


def test_wrong_schema_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, {"schema": "something/else", "images": []})
    with pytest.raises(UsageError, match=f"{path}: schema: expected 'cprofiler/results/v2'"):
        k8s_command(path, "resources", K8sOptions())


def test_json_lines_of_an_interrupted_measurement(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = _results("go")
    img = doc["images"][0]
    header = {
        "type": "header",
        "schema": "cprofiler/results/v2",
        "settings": doc["settings"],
        "images": [{"name": "go", "image": img["image"], "image_size_bytes": 1, "layers": 1, "ready": img["ready"]}],
    }
    lines = [header] + [{"type": "run", "image": "go", **r} for r in img["runs"][:2]]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert k8s_command(path, "resources", K8sOptions()) == 0
    out = capsys.readouterr().out
    assert "2 ok of 2 runs" in out
    assert "note: the measurement stopped early" in out


def test_image_without_ok_runs_is_named(tmp_path: Path) -> None:
    doc = _results("go", "broken")
    for r in doc["images"][1]["runs"]:
        r["status"] = "crashed"
    with pytest.raises(CprofilerError, match="image 'broken' has no ok run"):
        k8s_command(_write(tmp_path, doc), "resources", K8sOptions())


def test_unwritable_output_dir_names_the_flag(tmp_path: Path) -> None:
    path = _write(tmp_path, _results("go"))
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(CprofilerError, match="--output-dir"):
        k8s_command(path, "resources", K8sOptions(), output_dir=blocker / "sub")
