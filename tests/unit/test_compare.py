"""``cprofiler compare`` on constructed samples: a real shift is reported, no shift is no evidence."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from typing import Any

import pytest

from cprofiler import compare as compare_formats
from cprofiler.commands.compare import compare_command
from cprofiler.compare.cells import NO_EVIDENCE, change
from cprofiler.compare.verdict import Rule, compare, parse_rule
from cprofiler.errors import UsageError
from cprofiler.results import runlog, writer
from cprofiler.results.model import SCHEMA, SCHEMA_V1, Measurement
from tests.unit import factories

MiB = 1 << 20


def sample(n: int, centre: float, spread: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(centre, spread) for _ in range(n)]


def measurement(images: dict[str, dict[str, Any]], *, schema: str = SCHEMA, **environment: Any) -> Measurement:
    """A measurement whose images have the given per-run values (``ready_ms``: [...], ...)."""
    entries = []
    for name, spec in images.items():
        fields = {k: v for k, v in spec.items() if isinstance(v, list)}
        n = max(len(v) for v in fields.values())
        runs = [{"image": name, "index": i, **{k: v[i] for k, v in fields.items() if i < len(v)}} for i in range(n)]
        entries.append(
            {
                "name": name,
                "image": {"tag": f"t/{name}", "id": "sha256:x"},
                "image_size_bytes": spec.get("size", 10 * MiB),
                "layers": 1,
                "ready": {"exit": True},
                "runs": runs,
            }
        )
    data = {
        "schema": schema,
        "settings": {"scenario_file": "/s.yaml", "runs": 20, "warmup": 1, "settle_s": 1.0, "timeout_s": 60},
        "environment": {"kernel": "6.1", "engine_version": "24.0", **environment},
        "images": entries,
    }
    return Measurement.from_json(data, where="test")


def one(before: dict[str, Any], after: dict[str, Any], rules: list[Rule] | None = None, **kw: Any):
    return compare(measurement({"app": before}), measurement({"app": after}, **kw), rules or [], names=("b", "a"))


def test_a_real_slowdown_is_reported_with_an_interval_that_excludes_zero():
    c = one({"ready_ms": sample(20, 300, 20, 1)}, {"ready_ms": sample(20, 360, 24, 2)})
    m = c.images[0].metric("ready_ms")
    assert m is not None and m.verdict == "slower" and m.direction == 1
    pct = m.change_pct
    assert pct is not None and 0 < pct.low < pct.value < pct.high and 10 < pct.value < 30


def test_a_real_speed_up_is_faster():
    c = one({"ready_ms": sample(20, 600, 30, 3)}, {"ready_ms": sample(20, 350, 20, 4)})
    assert c.images[0].metrics[0].verdict == "faster"


@pytest.mark.parametrize("seed", range(5))
def test_no_shift_is_no_evidence_of_change(seed):
    c = one({"ready_ms": sample(20, 300, 20, 10 + seed)}, {"ready_ms": sample(20, 300, 20, 20 + seed)})
    m = c.images[0].metric("ready_ms")
    assert m is not None and m.verdict == NO_EVIDENCE and m.direction == 0
    assert m.change_pct is not None and m.change_pct.holds(0.0)


def test_memory_changes_are_larger_or_smaller():
    c = one({"working_set_bytes": [9 * MiB + i for i in range(10)]}, {"working_set_bytes": [12 * MiB + i for i in range(10)]})
    assert c.images[0].metric("working_set_bytes").verdict == "larger"  # type: ignore[union-attr]


def test_too_few_runs_give_no_verdict():
    c = one({"ready_ms": [300, 301, 302]}, {"ready_ms": [600, 601, 602]})
    assert c.images[0].metrics[0].verdict == "too few runs"


def test_the_image_size_is_compared_exactly():
    c = one({"ready_ms": [1.0] * 5, "size": 10 * MiB}, {"ready_ms": [1.0] * 5, "size": 11 * MiB})
    size = c.images[0].metric("image_size_bytes")
    assert size is not None and size.verdict == "larger" and size.change_pct.value == pytest.approx(10)  # type: ignore[union-attr]
    same = one({"ready_ms": [1.0] * 5}, {"ready_ms": [1.0] * 5}).images[0].metric("image_size_bytes")
    assert same is not None and same.verdict == "unchanged"


def test_a_figure_of_zero_before_is_not_comparable():
    assert change("settle_cpu_cores", [0.0] * 6, [0.1] * 6).verdict == "not comparable"


def test_unmatched_images_are_named_and_environment_differences_listed():
    before = measurement({"a": {"ready_ms": [1.0] * 5}, "b": {"ready_ms": [1.0] * 5}})
    after = measurement({"a": {"ready_ms": [1.0] * 5}, "c": {"ready_ms": [1.0] * 5}}, kernel="6.8", storage_driver="overlay2")
    c = compare(before, after, [], names=("b.json", "a.json"))
    assert (c.only_before, c.only_after) == (["b"], ["c"])
    assert c.differences == ["kernel: 6.1 → 6.8"]  # storage driver unknown before: no claim
    text = compare_formats.render(c, "table")
    assert "only in before (b.json): b" in text and "only in after (a.json): c" in text and "kernel: 6.1 → 6.8" in text


def test_a_v1_rss_is_never_compared_with_a_v2_rss():
    before = measurement({"app": {"rss_bytes": [13 * MiB] * 6}}, schema=SCHEMA_V1)
    after = measurement({"app": {"rss_bytes": [4 * MiB] * 6}})
    c = compare(before, after, [], names=("b", "a"))
    assert {m.metric: m.verdict for m in c.images[0].metrics} == {
        "rss_bytes": "not comparable",
        "anon_and_mapped_file_bytes": "not comparable",
        "image_size_bytes": "unchanged",
    }


# --- --fail-on rules -------------------------------------------------------------------------------


def test_rules_parse_and_refuse_typos_naming_the_flag():
    assert parse_rule("ready_ms:+10%") == Rule("ready_ms:+10%", "ready_ms", 1, 10.0)
    assert parse_rule(" working_set_bytes : -2.5 % ").sign == -1
    assert parse_rule("ready_ms:10%").sign == 1  # a rise, as in a budget
    for bad, expected in (
        ("ready_ms:ten%", "expected METRIC:+N%"),
        ("ready_ms:+10", "expected"),
        ("ready:+10%", "unknown metric"),
    ):
        with pytest.raises(UsageError, match=re.escape(expected)) as info:
            parse_rule(bad)
        assert str(info.value).startswith(f"--fail-on {bad!r}")


def test_a_rule_breaks_only_on_evidence_beyond_its_percent():
    slow = one({"ready_ms": sample(20, 300, 20, 1)}, {"ready_ms": sample(20, 360, 24, 2)}, [parse_rule("ready_ms:+10%")])
    assert slow.failed and slow.rules[0].broken[0][0] == "app"
    lenient = one({"ready_ms": sample(20, 300, 20, 1)}, {"ready_ms": sample(20, 360, 24, 2)}, [parse_rule("ready_ms:+50%")])
    assert not lenient.failed
    falling = one({"ready_ms": sample(20, 300, 20, 1)}, {"ready_ms": sample(20, 360, 24, 2)}, [parse_rule("ready_ms:-10%")])
    assert not falling.failed
    # A noisy +15 % whose interval holds zero is no evidence: the gate does not fire on noise.
    noisy = one({"ready_ms": [100, 300, 200, 150, 250]}, {"ready_ms": [115, 345, 230, 172, 287]}, [parse_rule("ready_ms:+10%")])
    assert noisy.images[0].metrics[0].verdict == NO_EVIDENCE and not noisy.failed


def test_a_rule_that_cannot_be_checked_says_so():
    c = one({"ready_ms": [1.0, 2.0]}, {"ready_ms": [5.0, 6.0]}, [parse_rule("ready_ms:+10%"), parse_rule("peak_bytes:+1%")])
    assert c.rules[0].unchecked == ["app (too few runs)"] and c.rules[1].unchecked == ["app (not measured)"]
    assert "could not be checked on: app (too few runs)" in compare_formats.render(c, "table")


# --- formats and the command -------------------------------------------------------------------------


def test_every_format_renders_and_csv_and_json_carry_numbers():
    c = one({"ready_ms": sample(20, 300, 20, 1)}, {"ready_ms": sample(20, 360, 24, 2)}, [parse_rule("ready_ms:+10%")])
    assert set(compare_formats.names()) == {"table", "markdown", "csv", "json"}
    assert "slower ✗ ready_ms:+10%" in compare_formats.render(c, "table")
    assert compare_formats.render(c, "markdown").splitlines()[1].startswith("|--")
    rows = list(csv.DictReader(io.StringIO(compare_formats.render(c, "csv"))))
    ready = next(r for r in rows if r["metric"] == "ready_ms")
    assert float(ready["change_pct_low"]) > 0 and ready["n_before"] == "20" and ready["broken_rules"] == "ready_ms:+10%"
    data = json.loads(compare_formats.render(c, "json"))
    assert data["failed"] is True and data["images"][0]["metrics"][0]["verdict"] == "slower"


def test_the_command_exits_1_on_a_broken_rule_and_writes_output(tmp_path, capsys):
    for name, centre in (("b.json", 300), ("a.json", 360)):
        m = measurement({"app": {"ready_ms": sample(20, centre, 20, centre)}})
        (tmp_path / name).write_text(json.dumps(writer.results_json(m)))
    out = tmp_path / "c.md"
    code = compare_command(tmp_path / "b.json", tmp_path / "a.json", "markdown", out, ["ready_ms:+10%"])
    assert code == 1 and out.read_text().startswith("| image")
    captured = capsys.readouterr()
    assert "slower" in captured.out and "--fail-on ready_ms:+10%: app +" in captured.err
    assert compare_command(tmp_path / "b.json", tmp_path / "a.json", "table", None, []) == 0


def test_the_same_two_files_always_give_the_same_verdict():
    args = ({"ready_ms": sample(12, 300, 40, 5)}, {"ready_ms": sample(12, 330, 40, 6)})
    assert one(*args).to_json() == one(*args).to_json()


# --- a gate that checked nothing fails, and unmatched images are named ----------------------------


def results_file(path, *images) -> Any:
    """A results file of ``images`` (``factories.image``), as ``measure`` writes one."""
    path.write_text(json.dumps(writer.results_json(factories.measurement(*images))))
    return path


def test_a_gate_with_no_image_in_common_fails_and_names_every_unmatched_image(tmp_path, capsys):
    before = results_file(
        tmp_path / "a.json", factories.image("web", factories.spread(100)), factories.image("api", factories.spread(90))
    )
    after = results_file(tmp_path / "c.json", factories.image("web-v2", factories.spread(100)))
    assert compare_command(before, after, "table", None, ["ready_ms:+10%"]) == 1
    out, err = capsys.readouterr()
    reason = "no image is in both files (only in before: web, api; only in after: web-v2)"
    assert f"fail: --fail-on ready_ms:+10% checked nothing: {reason}" in out and "pass:" not in out
    assert f"cprofiler: --fail-on ready_ms:+10% checked nothing: {reason}\n" in err
    assert f"unmatched: only in before ({before}): web, api" in out and f"unmatched: only in after ({after}): web-v2" in out
    # Every format, also those without notes under a table (CSV), leaves the names in the CI log.
    assert compare_command(before, after, "csv", None, ["ready_ms:+10%"]) == 1
    _, err = capsys.readouterr()
    assert f"only in before ({before}): web, api" in err and f"only in after ({after}): web-v2" in err
    data = json.loads(
        compare_formats.render(
            compare(*(runlog.load(p) for p in (before, after)), [parse_rule("ready_ms:+10%")], names=("a", "c")), "json"
        )
    )
    assert data["failed"] is True and data["rules"][0]["nothing_to_check"] == reason and data["rules"][0]["checked"] == []


def test_a_gate_that_checked_only_the_runtime_floor_checked_nothing(tmp_path, capsys):
    floor = factories.spread(2.0, width=0.5)
    for name, image in (("a.json", "web"), ("c.json", "web-v2")):
        m = factories.measurement(factories.image(image, factories.spread(100)), floor_ms=floor)
        (tmp_path / name).write_text(json.dumps(writer.results_json(m)))
    assert compare_command(tmp_path / "a.json", tmp_path / "c.json", "table", None, ["ready_ms:+10%"]) == 1
    _, err = capsys.readouterr()
    assert "checked nothing: no image is in both files (only in before: web; only in after: web-v2)" in err


def test_a_gate_whose_metric_no_common_image_has_fails(tmp_path, capsys):
    before = results_file(tmp_path / "a.json", factories.image("web", factories.spread(100)))
    after = results_file(tmp_path / "b.json", factories.image("web", factories.spread(100)))
    assert compare_command(before, after, "table", None, ["anon_and_mapped_file_bytes:+5%"]) == 1
    out, err = capsys.readouterr()
    line = (
        "--fail-on anon_and_mapped_file_bytes:+5% checked nothing: "
        "no image in both files has a verdict on anon_and_mapped_file_bytes (web (not measured))"
    )
    assert f"fail: {line}" in out and f"cprofiler: {line}\n" in err and "pass:" not in out


def test_a_gate_that_checked_one_image_passes_and_still_names_the_unmatched(tmp_path, capsys):
    before = results_file(
        tmp_path / "a.json", factories.image("web", factories.spread(100)), factories.image("old", factories.spread(100))
    )
    after = results_file(
        tmp_path / "b.json", factories.image("web", factories.spread(100)), factories.image("new", factories.spread(100))
    )
    assert compare_command(before, after, "markdown", None, ["ready_ms:+10%"]) == 0
    out, err = capsys.readouterr()
    assert "- pass: --fail-on ready_ms:+10%" in out and "checked nothing" not in out + err
    assert f"only in before ({before}): old" in out and f"only in after ({after}): new" in out
    assert f"cprofiler: unmatched: only in before ({before}): old\n" in err and f"only in after ({after}): new\n" in err
