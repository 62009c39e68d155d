"""The contributor recipe "adding a setting", done once: one field with a Flag.

A subclass of RunSettings stands in for the edited class, and ``setting_options`` is handed it
(for RunSettings itself, ``setting_flags.SETTING_OPTIONS`` holds what this derives from the
fields, checked by ``test_setting_flags.py``). From that one field the command line gets its
option (in ``--help``, with the field's bounds), ``RunSettings.build`` takes its value over the
default, the header carries it and reads it back, and ``--resume`` refuses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from pydantic import Field
from typer.testing import CliRunner

from cprofiler.cli import app
from cprofiler.cli_kit import Command, setting_options
from cprofiler.commands.measure import MeasureOptions, measure_command
from cprofiler.errors import UsageError
from cprofiler.scenario import reader as scenario
from cprofiler.settings import RUNS, Flag, RunSettings, flagged


class WithPause(RunSettings):
    """RunSettings with the new setting added: the whole of the recipe is this one field."""

    #: Seconds between two rounds.
    pause_s: Annotated[float | None, Flag("--pause", "Seconds between two rounds.", RUNS)] = Field(default=None, ge=0, le=60)


def command_of(settings: type[RunSettings]) -> tuple[typer.Typer, list[dict[str, Any]]]:
    """A ``measure``-like command generated from ``settings``, and the setting flags it was given."""
    given: list[dict[str, Any]] = []
    cli = typer.Typer()

    @cli.command(cls=Command)
    @setting_options(settings)
    def measure(scenario_file: Annotated[Path, typer.Argument()], *, setting_flags: dict[str, Any]) -> None:
        given.append(setting_flags)

    return cli, given


def scenario_file(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    path = tmp_path / "s.yaml"
    path.write_text(f"runs: 2\nimages:\n  web:\n    dockerfile: {tmp_path}/Dockerfile\n    ready: {{exit: true}}\n")
    return path


def invoke(cli: typer.Typer, *args: str) -> Any:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})


def test_the_flag_is_in_help_with_its_help_panel_and_bounds(tmp_path):
    cli, _ = command_of(WithPause)
    text = invoke(cli, "--help").output
    line = next(line for line in text.splitlines() if "--pause" in line)
    assert "Seconds between two rounds." in line and "[0<=x<=60]" in line
    panels = [line for line in text.split("--pause")[0].splitlines() if line.startswith("╭─")]
    assert panels[-1].startswith("╭─ Runs ")  # listed in its panel
    assert "--pause" not in invoke(command_of(RunSettings)[0], "--help").output


def test_the_flag_reaches_the_settings_and_the_header_reads_it_back(tmp_path):
    cli, given = command_of(WithPause)
    path = scenario_file(tmp_path)
    assert invoke(cli, str(path), "--pause", "2.5", "--runs", "3").exit_code == 0
    flags = given[-1]
    assert flags["--pause"] == 2.5 and flags["--runs"] == 3 and flags["--seed"] is None
    chosen = {"shuffle": False, "cold": "warm", "floor": True, "probe_via": "netns", "probe_interval_ms": 50.0}
    built = WithPause.build(scenario.load(path), flags, **chosen)
    assert built.pause_s == 2.5 and built.runs == 3
    header = built.to_json()  # what the JSON Lines header and the results carry as "settings"
    assert header["pause_s"] == 2.5
    assert WithPause.from_json(header) == built
    # Not given: the field's default, and the scenario file's value for a setting the file has.
    invoke(cli, str(path))
    assert WithPause.build(scenario.load(path), given[-1], **chosen).pause_s is None


def test_the_fields_bounds_bound_the_flag(tmp_path):
    cli, _ = command_of(WithPause)
    result = invoke(cli, str(scenario_file(tmp_path)), "--pause", "61")
    assert result.exit_code == 2 and "--pause" in result.output


def test_the_flag_is_refused_beside_resume(tmp_path):
    cli, given = command_of(WithPause)
    path = scenario_file(tmp_path)
    invoke(cli, str(path), "--pause", "1")
    opts = MeasureOptions(
        scenario_file=path,
        setting_flags=given[-1],
        fmt="table",
        output=None,
        only=[],
        offline=True,
        shuffle=False,
        quiet=True,
        resume=tmp_path / "r.jsonl",
    )
    with pytest.raises(UsageError, match=r"^--pause cannot be combined with --resume"):
        measure_command(opts)


def test_cprofiler_measure_has_an_option_for_every_flagged_setting():
    text = CliRunner().invoke(app, ["measure", "--help"], env={"COLUMNS": "200"}).output
    for flag in flagged().values():
        line = next((line for line in text.splitlines() if f" {flag.name} " in line), None)
        assert line is not None and flag.help[:60] in line, flag.name


def test_an_exclusive_bound_without_a_flag_min_is_refused_when_the_command_is_made():
    class Exclusive(RunSettings):
        gap_s: Annotated[float | None, Flag("--gap", "Gap.", RUNS)] = Field(default=None, gt=0)

    with pytest.raises(TypeError, match="gap_s: an exclusive bound"):
        command_of(Exclusive)
