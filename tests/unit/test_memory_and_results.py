from __future__ import annotations

import json

import pytest

from cprofiler.errors import UsageError
from cprofiler.measure.memory import from_engine_stats, from_figures
from cprofiler.results import model, runlog, writer


def test_v1_formulas():
    s = from_figures(100, {"total_inactive_file": 30, "total_rss": 50, "total_mapped_file": 5}, 120, v2=False)
    # RSS is total_rss alone, as cAdvisor's container_memory_rss; mapped file pages on their own.
    assert (s.working_set_bytes, s.rss_bytes, s.mapped_file_bytes, s.peak_bytes) == (70, 50, 5, 120)


def test_v2_formulas_and_working_set_never_negative():
    s = from_figures(100, {"inactive_file": 130, "anon": 40, "file_mapped": 2}, None, v2=True)
    assert (s.working_set_bytes, s.rss_bytes, s.mapped_file_bytes, s.peak_bytes) == (0, 40, 2, None)


def test_engine_stats_v2_notes_missing_peak_and_pss():
    s = from_engine_stats({"memory_stats": {"usage": 100, "stats": {"inactive_file": 10, "anon": 60, "file_mapped": 0}}})
    assert s.working_set_bytes == 90 and s.rss_bytes == 60 and s.source == "engine-stats"
    assert any("peak_bytes is null" in n for n in s.notes)


def test_jsonl_rebuilds_results_with_a_torn_last_line(tmp_path):
    path = tmp_path / "r.jsonl"
    header = {
        "type": "header",
        "schema": model.SCHEMA,
        "settings": {"scenario_file": "/s.yaml", "runs": 1, "warmup": 0, "settle_s": 0, "timeout_s": 60},
        "environment": {},
        "images": [
            {
                "name": "a",
                "image": {"tag": "t", "id": "i"},
                "image_size_bytes": 1,
                "layers": 1,
                "ready": {"exit": True},
                "runs": [],
            }
        ],
    }
    run = {"type": "run", "image": "a", "index": 0, "status": "ok", "ready_ms": 12.5}
    path.write_text(json.dumps(header) + "\n" + json.dumps(run) + "\n" + '{"type": "run", "ima')
    data = writer.results_json(runlog.load(path))
    assert data["images"][0]["runs"][0]["ready_ms"] == 12.5
    assert data["images"][0]["summary"]["ready_ms"]["median"] == 12.5
    assert "did not finish" in data["interrupted"]


def test_load_refuses_foreign_json(tmp_path):
    (tmp_path / "x.json").write_text('{"schema": "other"}')
    with pytest.raises(UsageError, match="schema: expected 'cprofiler/results/v2'"):
        runlog.load(tmp_path / "x.json")
