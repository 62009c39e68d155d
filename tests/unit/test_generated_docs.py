"""The generated reference pages (scripts/gen-docs.py) are current, and the check that keeps them so
names the file that drifted; the scenario schema accepts the repository's own scenario files."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "gen-docs.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load()


def test_committed_generated_files_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    # Fails after a change to a command, an option, an error class or a model until
    # `python3 scripts/gen-docs.py` is run and its output committed.
    assert gen.main(["--check"]) == 0, capsys.readouterr().err


def test_check_names_a_stale_and_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gen.main(["--root", str(tmp_path)]) == 0
    assert gen.main(["--check", "--root", str(tmp_path)]) == 0
    cli = tmp_path / "docs/reference/cli.md"
    cli.write_text(cli.read_text() + "an edit by hand\n")
    (tmp_path / "docs/schema/scenario-v1.json").unlink()
    capsys.readouterr()
    assert gen.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "docs/reference/cli.md" in err
    assert "docs/schema/scenario-v1.json" in err
    assert "exit-codes.md" not in err
    assert "an edit by hand" in cli.read_text()  # --check writes nothing


def test_cli_reference_lists_every_command_and_option() -> None:
    text = (REPO / "docs/reference/cli.md").read_text()
    for heading in ("## `cprofiler measure`", "## `cprofiler compare`", "## `cprofiler bases build`"):
        assert heading in text
    assert "| `--runs` | `INTEGER` (1 to 100000) |" in text
    assert "╭" not in text  # no Rich boxes


def test_exit_codes_page_says_what_each_error_class_exits_with() -> None:
    text = (REPO / "docs/reference/exit-codes.md").read_text()
    assert "130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP) | `Interrupted` |" in text
    rows = re.findall(r"^\| (\d+) \| `(\w+)` \| `([\w.]+)` \|", text, re.MULTILINE)
    assert {"ScenarioError", "EngineError", "NothingLeft"} <= {name for _, name, _ in rows}
    for code, name, module in rows:
        try:
            cls = getattr(importlib.import_module(module), name)
        except ImportError:  # an optional extra (matplotlib) missing here: CI has it
            continue
        assert cls.exit_code == int(code), name


@pytest.mark.parametrize("name", ["scenarios.yaml", "examples/offline.yaml", "examples/gateway.yaml", "examples/pyc.yaml"])
def test_scenario_schema_accepts_the_repository_scenarios(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")  # installed with the test extra (kubernetes-validate)
    schema = json.loads((REPO / "docs/schema/scenario-v1.json").read_text())
    jsonschema.validate(yaml.safe_load((REPO / name).read_text()), schema)


def test_scenario_schema_refuses_an_unknown_key() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "docs/schema/scenario-v1.json").read_text())
    image = {"dockerfile": "D", "ready": {"exit": True}, "memory_limit": "256m", "env": {"PORT": 8080}}
    jsonschema.validate({"images": {"web": image}}, schema)  # sizes and numbers as the file writes them
    with pytest.raises(jsonschema.ValidationError, match="colour"):
        jsonschema.validate({"images": {"web": {**image, "colour": "red"}}}, schema)


def test_results_schema_accepts_a_committed_results_file() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((REPO / "docs/schema/results-v2.json").read_text())
    jsonschema.validate(json.loads((REPO / "docs/results/default.json").read_text()), schema)


def test_site_config_names_every_page() -> None:
    # mkdocs --strict refuses a page missing from the nav (CI builds it); this says which, without mkdocs.
    config = (REPO / "mkdocs.yml").read_text()
    pages = sorted(p.relative_to(REPO / "docs").as_posix() for p in (REPO / "docs").rglob("*.md"))
    assert [p for p in pages if f": {p}" not in config] == []


def test_pasted_output_is_what_the_command_prints_now(tmp_path):
    # A page's pasted block is refilled from the command, so a stale example is a --check failure.
    import shutil
    import subprocess
    import sys

    shutil.copytree(REPO / "docs" / "results", tmp_path / "docs" / "results")
    block = "<!-- cprofiler-output: report docs/results/default.json --format markdown -->"
    page = f"intro\n{block}\nstale table\n<!-- end cprofiler-output -->\n"
    (tmp_path / "README.md").write_text(page)
    cmd = [sys.executable, str(REPO / "scripts" / "gen-docs.py"), "--root", str(tmp_path)]
    assert subprocess.run([*cmd, "--check"], capture_output=True, text=True).returncode == 1
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    text = (tmp_path / "README.md").read_text()
    assert "stale table" not in text and "| python-alpine (stand-in: musl-python)" in text
    assert subprocess.run([*cmd, "--check"], capture_output=True, text=True).returncode == 0
