"""compare judges images, not machines: the floor-corrected start, and a floor that moved."""

from __future__ import annotations

from cprofiler.compare.cells import APP_START, app_start_values
from cprofiler.compare.verdict import compare, parse_rule
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import Measurement
from tests.unit.factories import image, measurement, spread


def _shifted(m: Measurement, floor_by: float, app_by: float) -> Measurement:
    """``m`` with every start moved: the floor's by ``floor_by`` ms, each image's by that plus ``app_by``."""
    out = m.model_copy(deep=True)
    for entry in out.entries():
        extra = floor_by + (0.0 if entry is out.floor else app_by)
        for r in entry.runs:
            if r.ready_ms is not None:
                r.ready_ms += extra
    return out


def _day_one() -> Measurement:
    # 8 rounds; each image's start is the floor's plus its own share, with some noise of its own.
    floor = spread(240.0, 8, 20.0)
    noise = [3.0, -2.0, 4.0, -5.0, 1.0, 0.0, -3.0, 2.0]
    python = [f + 400 + e for f, e in zip(floor, noise, strict=True)]
    go = [f + 20 - e for f, e in zip(floor, noise, strict=True)]
    return measurement(image("python", python), image("go", go), floor_ms=floor)


def test_app_start_is_ready_minus_the_floors_run_of_the_same_round():
    m = _day_one()
    image, floor = m.images[0], m.floor
    assert floor is not None
    expected = [r.ready_ms - f.ready_ms for r, f in zip(image.runs, floor.runs, strict=True) if r.status == RunStatus.OK]
    assert app_start_values(image, floor) == expected
    assert app_start_values(floor, floor) == []  # the floor is not judged against itself
    assert app_start_values(image, None) == []


def test_a_slower_machine_moves_ready_ms_but_not_app_start_and_is_said():
    before = _day_one()
    after = _shifted(before, floor_by=60.0, app_by=0.0)  # the machine got 60 ms slower; the images did not
    c = compare(before, after, [parse_rule(f"{APP_START}:+10%")], names=("a", "b"))
    go = next(i for i in c.images if i.name == "go")
    assert go.metric("ready_ms").verdict == "slower"
    assert go.metric(APP_START).verdict == "no evidence of change"
    assert any(d.startswith("the floor moved:") and APP_START in d for d in c.differences)
    assert not c.failed  # the gate on the floor-corrected start holds


def test_an_image_that_got_slower_on_a_steady_machine_breaks_the_app_start_gate():
    before = _day_one()
    after = _shifted(before, floor_by=0.0, app_by=150.0)  # a 150 ms start delay in every image
    c = compare(before, after, [parse_rule(f"{APP_START}:+10%")], names=("a", "b"))
    assert c.failed
    assert {name for r in c.rules for name, _ in r.broken} == {"python", "go"}
    assert not any(d.startswith("the floor moved:") for d in c.differences)
