"""The line ``cprofiler measure`` ends with: a ratio only where the runs tell the images apart,
failed images and stand-ins named; and the closing lines around it (results path, next commands)."""

from __future__ import annotations

from pathlib import Path

from cprofiler.commands.measure_ending import ending_lines, results_file
from cprofiler.report.verdict_line import verdict_line
from cprofiler.results.significance import MIN_RUNS

from .factories import image, measurement, spread


def test_two_images_apart_on_both_criteria_get_both_ratios_against_the_worst():
    m = measurement(image("go-static", spread(100), ws_mib=2), image("python-alpine", spread(270), ws_mib=14))
    assert verdict_line(m) == "go-static: 2.7× faster start and 7.0× less memory than python-alpine"


def test_the_best_at_each_criterion_is_named_with_its_own_worst():
    m = measurement(
        image("go", spread(100), ws_mib=20), image("py", spread(300), ws_mib=10), image("rust", spread(200), ws_mib=2)
    )
    assert verdict_line(m) == "go: 3.0× faster start than py; rust: 10× less memory than go"


def test_a_small_difference_is_a_share_not_a_ratio():
    m = measurement(image("a", spread(100, width=4), ws_mib=10), image("b", spread(125, width=4), ws_mib=10))
    # 100 against 125 ms: a takes 20 % less time; the memory is the same.
    assert verdict_line(m).startswith("a: 20 % faster start than b; memory: no clear difference (medians: ")


def test_fewer_runs_than_compare_needs_are_too_few_to_separate():
    few = MIN_RUNS - 1
    m = measurement(image("go", spread(100, n=few), ws_mib=2), image("py", spread(300, n=10), ws_mib=14))
    line = verdict_line(m)
    # The same reason on the same runs is said once for both criteria.
    assert line == "start and memory: too few runs to separate (ok runs: go 4, py 10; 5 a side needed)", line


def test_overlapping_runs_are_no_clear_difference():
    m = measurement(image("a", [100, 130, 90, 120, 110, 105]), image("b", [104, 95, 125, 115, 112, 101]))
    line = verdict_line(m)
    assert line.startswith("start: no clear difference (medians: "), line
    assert "×" not in line and "%" not in line


def test_a_single_image_is_described_not_compared():
    m = measurement(image("go", [10.0, 12.0, 11.0], ws_mib=2))
    assert verdict_line(m) == "go: median start 11 ms, working set 2.0 MiB (one image: nothing to compare)"


def test_failed_images_are_named_as_failed():
    m = measurement(image("go", spread(100), ws_mib=2), image("broken", [], failed=10), image("py", spread(300), ws_mib=14))
    assert verdict_line(m) == "go: 3.0× faster start and 7.0× less memory than py; failed (no run ended ok): broken"
    alone = measurement(image("go", spread(100)), image("broken", [], failed=3))
    assert verdict_line(alone).endswith("(one image: nothing to compare); failed (no run ended ok): broken")
    assert verdict_line(measurement(image("broken", [], failed=3))) == "no image started; failed (no run ended ok): broken"


def test_stand_ins_are_named_as_stand_ins():
    m = measurement(image("go", spread(100), ws_mib=2, stand_in="go-builder"), image("py", spread(300), ws_mib=14))
    assert verdict_line(m) == "go (stand-in: go-builder): 3.0× faster start and 7.0× less memory than py"


def test_the_floor_is_no_image():
    m = measurement(image("go", spread(100)), floor_ms=spread(5))
    assert verdict_line(m).startswith("go: median start 100 ms")


def test_many_images_need_more_runs_for_the_extremes_to_tell():
    # Wholly apart at 5 a side (p = 2/252) is enough for 2 images, not for 4 (6 pairs, 2 criteria).
    two = measurement(image("a", spread(100, n=5), ws_mib=2), image("z", spread(300, n=5), ws_mib=14))
    assert verdict_line(two).startswith("a: 3.0× faster start and 7.0× less memory than z")
    four = [image(n, spread(100 + 50 * k, n=5), ws_mib=2 + 4 * k) for k, n in enumerate("abcz")]
    assert verdict_line(measurement(*four)).startswith(
        "start and memory: too few runs to separate (ok runs: a 5, z 5; more needed to tell 4 images apart)"
    )
    more = [image(n, spread(100 + 50 * k, n=8), ws_mib=2 + 4 * k) for k, n in enumerate("abcz")]
    assert verdict_line(measurement(*more)) == "a: 2.5× faster start and 7.0× less memory than z"


def test_the_ending_says_where_the_results_are_and_what_reads_them_next():
    m = measurement(image("go", spread(100), ws_mib=2), image("py", spread(300), ws_mib=14))
    lines = ending_lines(m, output=Path("r.json"), fmt="json", log_path=Path("r.jsonl"))
    assert lines == [
        "results: r.json (every run also in r.jsonl)",
        "verdict: go: 3.0× faster start and 7.0× less memory than py",
        "next:",
        "  cprofiler report r.json --html r.html",
        "  cprofiler recommend r.json",
        "  cprofiler k8s r.json --summary table",
    ]


def test_without_a_results_json_the_next_commands_read_the_run_log():
    log = Path(".cprofiler/run-20261204T2100-abc.jsonl")
    m = measurement(image("go", spread(100)))
    assert results_file(None, "table", log) == log and results_file(Path("r.md"), "markdown", log) == log
    lines = ending_lines(m, output=None, fmt="table", log_path=log)
    assert lines[0] == f"results: {log} (every run; -o FILE.json also writes the results JSON)"
    assert f"  cprofiler recommend {log}" in lines
    written = ending_lines(m, output=Path("r.md"), fmt="markdown", log_path=log)
    assert written[0] == f"markdown written to r.md; results: {log} (every run)"


def test_no_next_commands_when_no_image_started_and_paths_are_quoted():
    failed = measurement(image("broken", [], failed=2))
    assert ending_lines(failed, output=None, fmt="table", log_path=Path("r.jsonl"))[2:] == []
    ok = measurement(image("go", spread(100)))
    lines = ending_lines(ok, output=Path("my results.json"), fmt="json", log_path=Path("my results.jsonl"))
    assert "  cprofiler recommend 'my results.json'" in lines


def test_the_smallest_p_is_what_two_samples_wholly_apart_get():
    from cprofiler.results import significance

    assert significance.smallest_p(5, 5) == 2 / 252 == significance.permutation_p(spread(100, n=5), spread(300, n=5))
    assert significance.smallest_p(10, 10) == 1 / (significance.RESAMPLES + 1)


def measure_options(tmp_path: Path, **given: object):
    from cprofiler.commands.measure import MeasureOptions

    base = {"scenario_file": tmp_path / "s.yaml", "setting_flags": {}, "fmt": "table", "output": None}
    return MeasureOptions(**{**base, "only": [], "offline": False, "shuffle": False, "quiet": False, **given})  # type: ignore[arg-type]


def test_measure_ends_with_the_closing_lines_after_why_it_fails_and_quiet_prints_none(tmp_path, capsys):
    from rich.console import Console

    from cprofiler.commands.measure import _report

    m = measurement(image("go", spread(100), ws_mib=2), image("py", spread(300), ws_mib=14, failed=1))
    log = tmp_path / "r.jsonl"
    assert _report(m, measure_options(tmp_path), log, Console(stderr=True, soft_wrap=True)) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "cprofiler: 1 runs did not end ok: exit status 1 (--allow-failed-runs accepts them)"
    assert err[1:] == [
        f"results: {log} (every run; -o FILE.json also writes the results JSON)",
        "verdict: go: 3.0× faster start and 7.0× less memory than py",
        "next:",
        f"  cprofiler report {log} --html {log.with_suffix('.html')}",
        f"  cprofiler recommend {log}",
        f"  cprofiler k8s {log} --summary table",
    ]
    out = tmp_path / "r.json"
    _report(m, measure_options(tmp_path, quiet=True, output=out, fmt="json"), log, Console(stderr=True, soft_wrap=True))
    assert capsys.readouterr().err.splitlines() == [
        "cprofiler: 1 runs did not end ok: exit status 1 (--allow-failed-runs accepts them)"
    ]
    assert out.exists()
