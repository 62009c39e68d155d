"""recommend: limits, the Pareto set, ranking, ties and the one recommendation, on constructed results."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cprofiler.errors import UsageError
from cprofiler.recommend import limits
from cprofiler.recommend.criteria import Candidate, Estimate, candidates, separable
from cprofiler.recommend.decide import NothingLeft, dominations, recommend
from tests.unit.factories import MiB, image, load_result, loaded, measurement, spread

ROOT = Path(__file__).resolve().parents[2]


def cand(label: str, start: tuple[float, float, float], memory: float, size: float, **more: Estimate) -> Candidate:
    """A candidate with a start estimate (median, low, high), exact memory and size (MiB)."""
    values = {"start": Estimate(*start), "memory": Estimate.exact(memory * MiB), "size": Estimate.exact(size * MiB), **more}
    return Candidate(label, None, 10, values)


def test_separable_means_the_intervals_do_not_overlap():
    assert separable(Estimate(100, 90, 110), Estimate(130, 111, 150))
    assert not separable(Estimate(100, 90, 110), Estimate(130, 110, 150))


def test_a_dominated_image_is_never_recommended_even_when_it_ranks_first():
    # b is a hair faster on start (not separable) but a is separably smaller in memory: b is
    # dominated, and --prefer start would rank b first on the medians alone.
    a = cand("a", (300, 280, 320), memory=5, size=10)
    b = cand("b", (295, 275, 315), memory=20, size=10)
    rec = recommend([a, b], {"start": 1})
    assert [r.candidate.label for r in rec.ranking] == ["b", "a"]
    assert rec.choice.candidate.label == "a"
    (dominated,) = [r for r in rec.ranking if not r.pareto]
    assert dominated.candidate.label == "b"
    assert dominated.dominated_by[0].by == "a" and dominated.dominated_by[0].on == ("memory",)


def test_ties_within_the_interval_are_reported_as_ties():
    # On the Pareto set both (a uses less memory, b is smaller), and not separable on start: a tie
    # on --prefer start.
    a = cand("python-ubuntu", (300, 280, 320), memory=5, size=100)
    b = cand("go-static", (310, 290, 330), memory=10, size=5)
    rec = recommend([a, b], {"start": 1})
    assert rec.choice.candidate.label == "python-ubuntu"
    assert [t.other.label for t in rec.ties] == ["go-static"] and rec.ties[0].on == ("start",)
    assert "python-ubuntu and go-static are not separable on start at 10 runs" in rec.uncertainty
    assert rec.uncertainty.endswith("add --runs")


def test_separable_images_are_no_tie():
    a = cand("a", (100, 95, 105), memory=10, size=100)
    b = cand("b", (300, 290, 310), memory=10, size=5)
    rec = recommend([a, b], {"start": 1})
    assert rec.choice.candidate.label == "a" and rec.ties == []
    assert "b, with a smaller image, is also on the Pareto set" in rec.uncertainty


def test_weights_decide_within_the_pareto_set():
    fast = cand("fast", (100, 95, 105), memory=40, size=50)
    small = cand("small", (300, 290, 310), memory=10, size=50)
    assert recommend([fast, small], {"start": 3, "memory": 1}).choice.candidate.label == "fast"
    assert recommend([fast, small], {"start": 1, "memory": 3}).choice.candidate.label == "small"
    rec = recommend([fast, small], {"start": 1, "memory": 1})
    assert {r.candidate.label for r in rec.pareto} == {"fast", "small"}
    # The score is the weighted geometric mean of ×best: fast is 1× on start and 4× on memory.
    scores = {r.candidate.label: r.score for r in rec.ranking}
    assert scores == {"fast": pytest.approx(2.0), "small": pytest.approx(3**0.5)}


def test_the_reason_names_strengths_and_costs_in_one_sentence():
    fast = cand("fast", (100, 95, 105), memory=10, size=50)
    small = cand("small", (300, 290, 310), memory=10, size=25)
    rec = recommend([fast, small], {"start": 2, "size": 1})
    assert rec.reason == (
        "fast has the fastest cold start (100 ms), at the cost of a larger image (50.0 MiB against 25.0 MiB for small)."
    )
    assert rec.reason.count(".") == 3  # two decimals and the full stop: one sentence


def test_hard_limits_exclude_and_say_why():
    a = cand("a", (600, 590, 610), memory=5, size=10)
    b = cand("b", (300, 290, 310), memory=20, size=10)
    rec = recommend([a, b], None, {"start": 500})
    assert [r.candidate.label for r in rec.ranking] == ["b"]
    assert rec.excluded[0].candidate.label == "a"
    assert rec.excluded[0].reason == "cold start 600 ms is over --max-start 500 ms"
    assert rec.reason == "b is the only image left to choose (cold start 300 ms, working set 20.0 MiB, image size 10.0 MiB)."
    assert rec.uncertainty == "no other image was left to compare it with"


def test_no_image_left_after_the_limits_is_one_line_and_exit_1():
    a = cand("a", (600, 590, 610), memory=5, size=10)
    with pytest.raises(NothingLeft) as exc:
        recommend([a], None, {"start": 100, "memory": 1 * MiB})
    assert exc.value.exit_code == 1
    text = str(exc.value)
    assert "\n" not in text and "--max-start 100 ms" in text and "--max-memory 1.0 MiB" in text and "relax a limit" in text


def test_qps_is_higher_is_better_and_comes_from_the_load_phase():
    slow = loaded(image("slow", spread(300), size_mib=10), load_result(1000, 20))
    quick = loaded(image("quick", spread(300), size_mib=10), load_result(5000, 5))
    cands = candidates(measurement(slow, quick))
    assert cands[1].values["qps"].median == pytest.approx(5000 * 0.995)
    rec = recommend(cands, {"qps": 1})
    assert rec.choice.candidate.label == "quick"
    assert "the highest throughput (4,975 req/s)" in rec.reason
    assert rec.compared_on == ("start", "memory", "size", "qps")  # every image has it: part of the Pareto set
    # Without a load phase there is no throughput figure: a usage error naming the flag.
    plain = measurement(image("a", spread(300)), image("b", spread(400)))
    with pytest.raises(UsageError, match=r"--prefer/--weights qps: .*needs a load phase"):
        recommend(candidates(plain), {"qps": 1})


def test_each_row_of_a_cpus_list_is_a_candidate():
    one = image("web@cpus=1", spread(300), cpus=1, scenario_image="web")
    two = image("web@cpus=2", spread(300), cpus=2, scenario_image="web")
    assert [c.label for c in candidates(measurement(one, two))] == ["web@cpus=1", "web@cpus=2"]


def test_the_floor_is_no_candidate_and_stand_ins_are_named():
    m = measurement(image("py", spread(300), stand_in="musl-python"), floor_ms=spread(200))
    (only,) = candidates(m)
    assert only.label == "py (stand-in: musl-python)" and only.stand_in == "musl-python for real:1"
    rec = recommend([only])
    assert rec.notes == [
        "py (stand-in: musl-python) was measured on a stand-in base (musl-python for real:1), not the real one; "
        "measure the real base before deciding"
    ]


def test_a_cycle_of_overlapping_dominations_still_leaves_a_pareto_set():
    # Each is separably better than the next on one criterion, and only overlaps elsewhere.
    a = Candidate("a", None, 10, {"start": Estimate(100, 99, 101), "memory": Estimate(20, 10, 30), "size": Estimate(25, 15, 35)})
    b = Candidate("b", None, 10, {"start": Estimate(110, 90, 130), "memory": Estimate(5, 4, 6), "size": Estimate(20, 10, 30)})
    c = Candidate("c", None, 10, {"start": Estimate(105, 95, 115), "memory": Estimate(10, 0, 20), "size": Estimate(5, 4, 6)})
    dom = dominations([a, b, c], ("start", "memory", "size"))
    assert any(not by for by in dom.values())


@pytest.mark.parametrize(
    ("flag", "text", "value"),
    [
        ("--max-start", "500ms", 500.0),
        ("--max-start", "1.5s", 1500.0),
        ("--max-start", "250", 250.0),
        ("--max-memory", "64MiB", 64.0 * MiB),
        ("--max-memory", "64m", 64.0 * MiB),
        ("--max-size", "1.5GiB", 1.5 * 1024 * MiB),
        ("--min-qps", "1.5k", 1500.0),
    ],
)
def test_limits_read_units(flag: str, text: str, value: float):
    got = limits.parse_limits(*(text if f == flag else None for f in ("--max-start", "--max-memory", "--max-size", "--min-qps")))
    assert list(got.values()) == [value]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: limits.parse_duration_ms("--max-start", "5 parsecs"), "--max-start 5 parsecs: expected a duration"),
        (lambda: limits.parse_bytes("--max-memory", "lots"), "--max-memory lots: expected a size"),
        (lambda: limits.parse_weights("start=2,speed=1"), "unknown criterion 'speed'; expected one of: start, memory"),
        (lambda: limits.parse_weights("start"), "expected criterion=weight pairs"),
        (lambda: limits.parse_weights("start=-1"), "start=-1: expected a weight of 0 or more"),
        (lambda: limits.parse_weights("start=0"), "every weight is 0"),
        (lambda: limits.preferences("start", "memory=1"), "--prefer cannot be combined with --weights"),
    ],
)
def test_bad_flags_are_usage_errors_naming_the_flag(call, message: str):
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        call()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cprofiler", "recommend", *args], cwd=ROOT, capture_output=True, text=True)


def test_cli_on_the_saved_results():
    out = _cli("docs/results/default.json")
    assert out.returncode == 0, out.stderr
    assert "Pareto set: go-static (stand-in: go-builder)." in out.stdout
    assert (
        "Dominated: python-alpine (stand-in: musl-python), by go-static (stand-in: go-builder) (on start, memory, size)."
        in out.stdout
    )
    assert "Recommendation: go-static (stand-in: go-builder)." in out.stdout
    assert "the default; choose with --prefer or --weights" in out.stdout
    doc = json.loads(_cli("docs/results/pyc.json", "--prefer", "size", "--format", "json").stdout)
    assert doc["recommendation"]["image"] == "python-alpine (stand-in: musl-python)"
    assert doc["pareto"] == ["python-alpine (stand-in: musl-python)", "python-alpine-compiled (stand-in: musl-python)"]
    assert doc["ranking"][0]["figures"]["image_size_bytes"]["median"] == 24714521


def test_cli_exit_codes():
    none_left = _cli("docs/results/default.json", "--max-start", "100ms")
    assert none_left.returncode == 1 and none_left.stderr.startswith("cprofiler: no image is left after --max-start 100 ms")
    assert none_left.stderr.count("\n") == 1
    bad = _cli("docs/results/default.json", "--prefer", "qps")
    assert bad.returncode == 2 and "needs a load phase" in bad.stderr


# --- no verdict from too few values; sizes within the margin are equal -----------------------------


def test_two_repeats_of_one_image_are_too_few_to_tell_never_dominated():
    # The old bootstrap gave 2 equal-ish values an interval of their range and called 1000 vs 2000 "apart".
    same = {
        "start": Estimate.of(spread(300)),
        "memory": Estimate.of(spread(10 * MiB, width=MiB)),
        "size": Estimate.size(20 * MiB),
    }
    a = Candidate("a", None, 10, {**same, "qps": Estimate.of([1000, 1010])})
    b = Candidate("b", None, 10, {**same, "qps": Estimate.of([2000, 2010])})
    assert not separable(a.values["qps"], b.values["qps"])
    rec = recommend([a, b], {"qps": 1})
    assert all(r.pareto for r in rec.ranking)
    assert rec.choice.candidate.label == "b"
    assert "too few runs to separate on qps" in rec.uncertainty
    assert "apart" not in rec.uncertainty


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_a_range_short_of_95_percent_tells_nothing_apart(n: int):
    low = Estimate.of([100.0 + k for k in range(n)])
    high = Estimate.of([10_000.0 + k for k in range(n)])
    assert low is not None and high is not None
    assert not low.tells and not separable(low, high)


def test_six_values_a_side_give_a_96_percent_interval_that_tells():
    low = Estimate.of([100.0 + k for k in range(6)])
    high = Estimate.of([200.0 + k for k in range(6)])
    assert low is not None and high is not None
    assert low.label == "96.8 % CI" and low.tells and separable(low, high)


def test_a_one_byte_smaller_image_does_not_outvote_a_faster_start():
    fast = Candidate("fast", None, 10, {"start": Estimate.of(spread(240)), "size": Estimate.size(50 * MiB + 1)})
    small = Candidate("small", None, 10, {"start": Estimate.of(spread(300)), "size": Estimate.size(50 * MiB)})
    rec = recommend([fast, small], {"start": 1, "size": 1})
    assert rec.choice.candidate.label == "fast"
    (beaten,) = [r for r in rec.ranking if not r.pareto]
    assert beaten.candidate.label == "small" and beaten.dominated_by[0].on == ("start",)
    # Beyond max(1 MiB, 2 %) a size is a size again: 50 MiB against 60 MiB is separable.
    assert separable(Estimate.size(50 * MiB), Estimate.size(60 * MiB))
    assert not separable(Estimate.size(500 * MiB), Estimate.size(509 * MiB))  # 1.8 % apart


# --- rows of a cpus list, memory under load, disturbed steps ----------------------------------------


def _gateway(tmp_path: Path, *, disturbed: bool = False) -> Path:
    """Two images at cpus 0.5 and 1 (one row each), every row with a load phase."""
    from cprofiler.results import writer

    rows = []
    for name, qps in (("go", 30_000), ("py", 9_000)):
        for cpus in (0.5, 1.0):
            load = load_result(qps * cpus, 5)
            if disturbed and name == "py":
                load.steps[0] = load.steps[0].model_copy(update={"disturbed": True, "other_cpu_share": 0.3})
            rows.append(loaded(image(f"{name}@cpus={cpus:g}", spread(300), cpus=cpus, scenario_image=name), load))
    path = tmp_path / "r.json"
    path.write_text(json.dumps(writer.results_json(measurement(*rows))))
    return path


def test_rows_of_one_image_at_different_cpus_are_never_rivals(tmp_path: Path):
    out = _cli(str(_gateway(tmp_path)))
    assert out.returncode == 0, out.stderr
    assert "At cpus=0.5:" in out.stdout and "At cpus=1:" in out.stdout
    for section in out.stdout.split("At cpus=")[1:]:
        limit = section.split(":", 1)[0]
        ranked = [m.group(1) for line in section.splitlines() if (m := re.match(r"^\d+\s+(\S+)\s+\d", line))]
        assert ranked and all(label.endswith(f"@cpus={limit}") for label in ranked), section
    doc = json.loads(_cli(str(_gateway(tmp_path)), "--format", "json").stdout)
    assert [g["cpus"] for g in doc["by_cpus"]] == [0.5, 1.0]
    assert [g["recommendation"]["image"] for g in doc["by_cpus"]] == ["go@cpus=0.5", "go@cpus=1"]


def test_memory_is_the_peak_under_load_when_there_is_a_load_phase_and_says_so(tmp_path: Path):
    slow = loaded(image("slow", spread(300), ws_mib=10), load_result(1000, 20))
    (first, *_) = candidates(measurement(slow))
    assert first.memory_basis == "working-set peak under load"
    assert first.values["memory"].median == pytest.approx(30.5 * MiB)  # the load steps' peaks, not 10 MiB
    plain = candidates(measurement(image("a", spread(300), ws_mib=10)))[0]
    assert plain.memory_basis == "working set after settle" and plain.values["memory"].median < 11 * MiB
    out = _cli(str(_gateway(tmp_path)))
    assert "memory is the working-set peak under load for every image" in out.stdout
    headers = [line for line in out.stdout.splitlines() if line.startswith("rank")]
    assert headers and all("working-set peak under load" in h for h in headers)  # the table's header names it


def test_a_disturbed_load_step_is_said_for_that_image(tmp_path: Path):
    out = _cli(str(_gateway(tmp_path, disturbed=True)))
    assert out.returncode == 0, out.stderr
    assert "py@cpus=0.5: a load step was disturbed" in out.stdout and "go@cpus=0.5: a load step" not in out.stdout
    doc = json.loads(_cli(str(_gateway(tmp_path, disturbed=True)), "--format", "json").stdout)
    flags = {r["image"]: r["disturbed"] for g in doc["by_cpus"] for r in g["ranking"]}
    assert flags == {"go@cpus=0.5": False, "py@cpus=0.5": True, "go@cpus=1": False, "py@cpus=1": True}


def test_the_reason_never_calls_a_figure_of_too_few_repeats_within_noise():
    # a starts separably faster; b's throughput median is twice a's, over 3 repeats each: no verdict.
    a = Candidate("a", None, 10, {"start": Estimate.of(spread(250)), "qps": Estimate.of([1000, 1010, 1020])})
    b = Candidate("b", None, 10, {"start": Estimate.of(spread(300)), "qps": Estimate.of([2000, 2010, 2020])})
    rec = recommend([a, b], {"start": 1, "qps": 1})
    assert rec.choice.candidate.label == "a"
    assert "within noise" not in rec.reason
    assert "a throughput that too few repeats cannot tell from the best (1,010 req/s against 2,010 req/s)" in rec.reason
