"""The command line's shape, without an engine: exit statuses in every --help, one meaning for
-o/--output, shell completion, report -o."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cprofiler.cli import app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "results"
COMMANDS = [["measure"], ["report"], ["compare"], ["k8s"], ["clean"], ["bases", "list"], ["bases", "build"]]


def run(*args: str):
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_documents_its_exit_statuses(command):
    text = run(*command, "--help").output
    assert "Exit status: 0 " in text and "2 bad input" in text and "130 " in text


def test_measure_and_compare_document_exit_1_for_what_fails_them():
    assert "1 a run did not end ok (unless --allow-failed-runs), a budget was exceeded" in run("measure", "--help").output
    assert "1 a --fail-on rule broken" in run("compare", "--help").output


@pytest.mark.parametrize("command", [["measure"], ["report"], ["compare"]], ids=" ".join)
def test_dash_o_is_an_output_file_wherever_it_exists(command):
    text = run(*command, "--help").output
    assert "--output" in text and "-o" in text


def test_k8s_dash_o_is_the_folder_it_writes_a_file_per_image_into(tmp_path):
    assert "--output-dir" in run("k8s", "--help").output
    result = run("k8s", str(DOCS / "default.json"), "-o", str(tmp_path / "k8s"))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "k8s").iterdir())  # one file per image, not one stream


def test_shell_completion_is_on():
    assert "--install-completion" in run("--help").output


def test_report_dash_o_writes_the_format_its_suffix_names_and_prints_the_table(tmp_path):
    out = tmp_path / "r.csv"
    result = run("report", str(DOCS / "default.json"), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert next(csv.DictReader(io.StringIO(out.read_text())))["image"].startswith("python-alpine")
    assert "cold start p50" in result.output


def test_report_to_an_unwritable_output_is_one_line_exit_2(tmp_path):
    (tmp_path / "file").write_text("")
    result = run("report", str(DOCS / "default.json"), "-o", str(tmp_path / "file" / "r.md"))
    assert result.exit_code == 2 and "--output" in result.output


@pytest.mark.parametrize("command", [[], *COMMANDS, ["plot"], ["recommend"]], ids=lambda c: " ".join(c) or "cprofiler")
def test_no_flag_shows_a_value_type_in_help(command):
    text = run(*command, "--help").output
    assert "--help" in text and "<bool>" not in text


@pytest.mark.parametrize(
    ("args", "refused"),
    [
        (
            ["report", str(DOCS / "default.json"), "-f", "nope"],
            "'nope' is not one of 'benchmark-json', 'csv', 'json', 'markdown', 'openmetrics', 'table'.",
        ),
        (["k8s", str(DOCS / "default.json"), "--summary", "nope"], "'nope' is not one of 'table', 'json'."),
        (["measure", "x.yaml", "--cold", "hot"], "'hot' is not one of 'warm', 'cache', 'image'."),
        (["measure", "x.yaml", "--backend", "podman"], "'podman' is not one of 'docker', 'kubernetes'."),
    ],
)
def test_a_choice_outside_its_registry_is_a_usage_error(args, refused):
    result = run(*args)
    assert result.exit_code == 2 and refused in " ".join(result.output.split())
