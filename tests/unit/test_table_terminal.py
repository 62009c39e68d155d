"""The table for a person at a terminal (Rich): marks, colours, width; and plain text everywhere else."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cprofiler import report
from cprofiler.cli import app
from cprofiler.report import table as table_format
from cprofiler.report.marks import alerts, best_cells
from cprofiler.report.rows import comparison_rows
from cprofiler.report.terminal import render_rich
from cprofiler.results import runlog
from tests.unit.factories import image, measurement, spread

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "docs" / "results" / "default.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def plain(text: str) -> str:
    return ANSI.sub("", text)


def test_every_header_and_value_fits_a_wide_terminal():
    m = runlog.load(DEFAULT)
    text = plain(render_rich(m, 220))
    for header in ("cold start p50", "cold start p95", "start ×best", "memory ×best", "peak max"):
        assert header in text
    assert "python-ubuntu (stand-in: debian-python)" in text and "2.57× (" in text
    assert "Hidden" not in text


@pytest.mark.parametrize("width", [120, 100, 80, 60])
def test_a_narrow_terminal_drops_columns_never_cuts_values(width: int):
    text = plain(render_rich(runlog.load(DEFAULT), width))
    table = text.split("\n\n")[0]
    assert max(len(line) for line in table.splitlines()) <= width
    assert not re.search(r"…(\s|$)", table)  # Rich's mark of a cut value (an interval's "…" is inside a value)
    for value in ("112.6 MiB", "625 ms", "9.0 MiB", "(floor)", "go-static"):
        assert value in table
    words = " ".join(text.split())  # the key wraps at the terminal's width
    assert f"Hidden to fit {width} columns: cold start p95" in words and "(--wide shows all)" in words


def test_wide_shows_every_column_whatever_the_width():
    text = plain(render_rich(runlog.load(DEFAULT), 60, wide=True))
    assert "Hidden" not in text and "cold start p95" in text and "6.47× (" in text


def test_best_values_are_marked_and_failed_runs_coloured():
    m = measurement(image("slow", spread(600), ws_mib=20, failed=2), image("fast", spread(300), ws_mib=5), floor_ms=spread(100))
    rows = comparison_rows(m)
    assert (1, "ready_median_ms") in best_cells(rows, m) and (0, "ready_median_ms") not in best_cells(rows, m)
    assert not any(i == 2 for i, _ in best_cells(rows, m))  # the floor is never "best"
    assert alerts(rows, m) == {(0, "runs_ok"): "partial"}
    text = render_rich(m, 200)
    assert re.search(r"\x1b\[1;32m\s*300 ms", text)  # best: bold green
    assert re.search(r"\x1b\[33m\s*10/12", text)  # some runs failed: yellow


def test_every_run_failed_is_red_and_never_best():
    m = measurement(image("broken", [], size_mib=1, failed=3), image("fine", spread(300)), image("also", spread(400)))
    assert re.search(r"\x1b\[1;31m\s*0/10", render_rich(m, 200))  # 0 ok of the 10 planned
    assert (0, "image_size_bytes") not in best_cells(comparison_rows(m), m)  # smallest, but it never started


def test_a_peak_near_the_memory_limit_is_flagged():
    near = image("near", spread(300), ws_mib=30)  # peak: 3 × the working set, 90 MiB
    near.memory_limit_bytes = 96 * 1024 * 1024
    m = measurement(near, image("far", spread(300)))
    assert alerts(comparison_rows(m), m) == {(0, "peak_max_bytes"): "near-limit"}


def test_no_color_keeps_the_marks_without_colour():
    text = render_rich(runlog.load(DEFAULT), 200, color=False)
    assert not re.search(r"\x1b\[[0-9;]*3[0-7]m", text)  # no foreground colour at all
    assert re.search(r"\x1b\[1;4m\s*244 ms", text)  # best: bold and underlined
    assert "underlined" in plain(text)


def test_no_color_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch):
    from cprofiler.report.terminal import no_color

    monkeypatch.setenv("NO_COLOR", "1")
    assert no_color()
    monkeypatch.setenv("NO_COLOR", "")
    assert not no_color()


class FakeTerminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_the_table_format_is_plain_unless_stdout_is_a_terminal(monkeypatch: pytest.MonkeyPatch):
    m = runlog.load(DEFAULT)
    before = report.render(m, "table")
    assert "\x1b[" not in before and before.splitlines()[1].startswith("-----")
    with table_format.terminal(wide=False):
        assert report.render(m, "table") == before  # pytest's stdout is no terminal
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    monkeypatch.setenv("COLUMNS", "100")
    with table_format.terminal(wide=False):
        assert "\x1b[" in report.render(m, "table") and "Hidden to fit 100 columns" in plain(report.render(m, "table"))
    # A table going to a file (measure --output r.txt) stays plain, whatever stdout is.
    with table_format.terminal(wide=False, enabled=False):
        assert report.render(m, "table") == before
    assert report.render(m, "table") == before


def test_report_through_a_pipe_is_the_plain_table():
    out = CliRunner().invoke(app, ["report", str(DEFAULT), "--wide"])
    assert out.exit_code == 0
    assert out.output == report.render(runlog.load(DEFAULT), "table")


def test_the_under_load_table_follows_in_a_terminal_too():
    from tests.unit.factories import load_result, loaded

    m = measurement(loaded(image("web", spread(300)), load_result(1000, 10)), image("idle", spread(200)))
    text = plain(render_rich(m, 200))
    assert "image under load" in text and "under load: oha" in text


@pytest.mark.parametrize("width", [100, 120, 200])
def test_the_under_load_table_fits_the_terminal_and_says_what_it_hid(width):
    from tests.unit.factories import load_result, loaded

    m = measurement(
        loaded(image("python-gunicorn@cpus=0.5 (stand-in: debian-python)", spread(300)), load_result(1000, 10)),
        loaded(image("go-static", spread(200)), load_result(30000, 2)),
    )
    text = plain(render_rich(m, width))
    section = text[text.index("image under load") :]
    table = section[: section.index("under load: oha")]
    assert all(len(line) <= width for line in table.splitlines()), table  # no line wrapped by the terminal
    for kept in ("QPS", "errors", "p99", "rate"):
        assert kept in table
    # Narrower than every column needs: the least needed are hidden, and the note says which.
    assert ("Hidden to fit" in section) == (width < 200)
