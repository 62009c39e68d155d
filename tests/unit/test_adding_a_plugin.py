"""The contributor recipe "adding a plug-in", done once for a report format: one registered function
that renders the family's tables with the kit (:mod:`cprofiler.tables`), nothing else.

The format is registered here instead of in a module of its own (the recipe's second step, the
import in ``report/__init__.py``, is what runs a module's registration), and taken out at the end.
"""

from __future__ import annotations

import json
from pathlib import Path

from cprofiler import report, tables
from cprofiler.commands.report import report_command
from cprofiler.report.human import report_tables
from cprofiler.report.registry import FORMATS
from cprofiler.results import writer
from cprofiler.results.model import Measurement
from tests.unit.factories import image, measurement, spread


def test_a_registered_format_renders_through_the_report_command(tmp_path: Path, capsys):
    @FORMATS.register("columns-json")
    def render_columns_json(results: Measurement) -> str:
        return tables.json(report_tables(results)[0])

    try:
        m = measurement(image("go", spread(300)), image("py|thon", spread(600), failed=1))
        results = tmp_path / "r.json"
        results.write_text(json.dumps(writer.results_json(m)))
        assert "columns-json" in report.names()
        out = tmp_path / "r.columns.json"
        assert report_command(results, "columns-json", out) == 0
        doc = json.loads(out.read_text())
        assert doc["columns"][:3] == ["image", "size", "ok runs"]
        assert [r["image"] for r in doc["rows"]] == ["go", "py|thon"] and doc["rows"][1]["ok runs"] == "10/11"
        assert [n["kind"] for n in doc["notes"]][:2] == ["partial", "failed"]
        assert doc["footnote"][0].startswith("cold start:")
        assert capsys.readouterr().out.startswith("image")  # the table still goes to stdout beside --output
    finally:
        assert FORMATS.remove("columns-json") is render_columns_json
    assert "columns-json" not in report.names()
