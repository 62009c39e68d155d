"""The SLO and capacity rules (:mod:`cprofiler.results.capacity`) and the load summary over them."""

from __future__ import annotations

from typing import Any

import pytest

from cprofiler.results import capacity, derive
from cprofiler.results.load import SERVED_SHARE, LatencyMs, LoadResult, LoadStep

MiB = 1 << 20


def step(rate: float | None, repeat: int = 0, *, qps: float | None = None, p99: float = 10.0, **fields: Any) -> LoadStep:
    """A healthy step at ``rate``: every request answered 2xx at ``qps`` (default: the rate)."""
    served = qps if qps is not None else (rate or 1000.0)
    base: dict[str, Any] = {
        "rate": rate,
        "repeat": repeat,
        "requests": int(served * 10),
        "answered_2xx": int(served * 10),
        "error_share": 0.0,
        "qps": served,
        "answers_per_s": served,
        "latency_ms": LatencyMs(p50=p99 / 4, p90=p99 / 2, p99=p99, p999=p99 * 2, max=p99 * 3),
        "cpu_cores": served / 1000,
        "working_set_peak_bytes": 30 * MiB,
    }
    return LoadStep(**{**base, **fields})


def phase(steps: list[LoadStep], slo: float | None = 50.0) -> LoadResult:
    return LoadResult(generator="oha", connections=16, duration_s=2, warmup_s=1, slo_p99_ms=slo, steps=steps)


def sweep(rates: tuple[float, ...] = (100, 200, 400), repeats: int = 3, **override: dict[str, Any]) -> list[LoadStep]:
    """``repeats`` healthy steps per rate, interleaved; ``override["200:1"]`` changes one step's fields."""
    return [step(r, i, **override.get(f"{r:g}:{i}", {})) for i in range(repeats) for r in rates]


def test_a_healthy_sweep_has_its_highest_rate_as_capacity_at_the_achieved_2xx_rate() -> None:
    steps = sweep(**{"400:0": {"qps": 396.0}, "400:1": {"qps": 392.0}, "400:2": {"qps": 399.0}})
    load = phase(steps)
    assert capacity.capacity_rate(load) == 400
    s = derive.load_summary(load)
    assert (s.rate, s.capacity_rate, s.capacity_qps, s.failed) == (400, 400, 396.0, False)
    assert s.qps is not None and s.qps["median"] == 396.0


def test_capacity_is_contiguous_from_the_bottom() -> None:
    # 200/s broke the SLO in one repeat; 400/s met it in every one: luck, not capacity.
    load = phase(sweep(**{"200:1": {"p99": 80.0}}))
    assert capacity.capacity_rate(load) == 100
    assert derive.max_rate_within_slo(load) == 100
    assert any(r.startswith("200/s over the SLO: repeat 2 p99 80 ms over 50 ms") for r in derive.load_summary(load).reasons)


def test_a_rate_below_the_served_share_is_not_within_the_slo() -> None:
    at_share = SERVED_SHARE * 400
    assert capacity.capacity_rate(phase(sweep(**{"400:2": {"qps": at_share}}))) == 400
    load = phase(sweep(**{"400:2": {"qps": at_share - 1}}))
    assert capacity.capacity_rate(load) == 200
    (verdict,) = [v for v in capacity.verdicts(load) if v.rate == 400]
    assert not verdict.served and "repeat 3 served 387 2xx/s, under 97% of 400/s" in verdict.unserved


def test_an_error_share_over_the_limit_is_not_served_and_fails_the_phase() -> None:
    within = phase(sweep(**{"400:0": {"error_share": 0.01}}))
    assert capacity.capacity_rate(within) == 400 and not capacity.failures(within)
    over = phase(sweep(**{"400:0": {"error_share": 0.02, "failing": True}}))
    assert capacity.capacity_rate(over) == 200
    # Errors above the highest rate served from the bottom are what the sweep found, not a failure.
    assert not capacity.failures(over) and not derive.load_summary(over).failed
    assert capacity.not_served(over)[0].startswith("400/s not served: repeat 1 had 2.00% errors")
    # The climb ends at the first rate not served (200/s): rates above it do not count toward capacity.
    middle = phase(sweep(**{"200:1": {"error_share": 0.02, "failing": True}}))
    assert capacity.capacity_rate(middle) == 100 and not capacity.failures(middle)
    # Errors at the lowest rate fail the phase: nothing was served.
    bottom = phase(sweep(**{"100:0": {"error_share": 0.02, "failing": True}}))
    assert capacity.failures(bottom) == ["1 of 9 load steps failing (2.00% errors) (at 100/s)"]
    assert derive.load_summary(bottom).failed


def test_the_error_limit_is_the_phases_own() -> None:
    load = phase(sweep(**{"400:0": {"error_share": 0.02}}))
    load.error_limit = 0.05
    assert capacity.capacity_rate(load) == 400 and not capacity.failures(load)


def test_every_repeat_must_pass_and_a_rate_without_its_repeats_ok_is_not_served() -> None:
    load = phase(sweep(**{"200:2": {"status": "unresponsive", "qps": None}}))
    assert capacity.capacity_rate(load) == 100
    assert capacity.failures(load) == ["1 of 9 load steps unresponsive (at 200/s)"]


def test_the_slo_is_judged_on_the_p99_of_every_request_not_only_the_answered() -> None:
    # Answered requests were fast; the requests without an answer count at the timeout.
    fast = LatencyMs(p50=1, p90=2, p99=3, p999=4, max=5)
    slow = LatencyMs(p50=1, p90=2, p99=5000, p999=5000, max=5000)
    load = phase(sweep(**{"400:1": {"latency_ms": slow, "latency_answered_ms": fast}}))
    assert capacity.capacity_rate(load) == 200


def test_a_generator_bound_step_is_never_capacity() -> None:
    load = phase(sweep(**{"400:0": {"generator_bound": True}}))
    assert capacity.capacity_rate(load) == 200
    assert "400/s generator-bound: it measured the load generator, so it is not a capacity" in derive.load_summary(load).reasons
    assert capacity.capacity_rate(phase(sweep(**{"100:0": {"generator_bound": True}}))) is None


def test_rates_listed_high_to_low_summarise_the_highest() -> None:
    steps = sweep(rates=(1000, 500, 200), repeats=2)
    assert derive.load_summary(phase(steps)).rate == 1000
    s = derive.load_summary(phase(steps, slo=None))  # no SLO: no capacity, and still the highest rate
    assert (s.rate, s.capacity_rate) == (1000, None)
    assert s.qps is not None and s.qps["median"] == 1000


def test_without_a_rate_within_the_slo_the_summary_is_of_the_highest_rate() -> None:
    load = phase(sweep(rates=(400, 100), repeats=2, **{"100:0": {"p99": 90.0}}))
    s = derive.load_summary(load)
    assert (s.rate, s.capacity_rate, s.capacity_qps) == (400, None, None)


def test_an_image_that_answers_only_500_serves_no_rate_and_fails() -> None:
    errors = {"answered_2xx": 0, "qps": 0.0, "errors_http": 4000, "non_2xx": {"5xx": 4000}, "error_share": 1.0, "failing": True}
    load = phase([step(400, i, **errors) for i in range(3)])
    s = derive.load_summary(load)
    assert s.capacity_rate is None and s.failed and s.reasons[0] == "3 of 3 load steps failing (100.00% errors) (at 400/s)"
    assert s.qps is not None and s.qps["median"] == 0  # the 2xx rate, not the 13,563 answers a second
    assert capacity.served_rate(load) is None


def test_a_lowest_rate_not_served_fails_the_phase_even_without_errors() -> None:
    load = phase(sweep(rates=(400,), **{"400:0": {"qps": 200.0}}), slo=None)
    assert capacity.failures(load) == ["the lowest rate, 400/s, was not served (repeat 1 served 200 2xx/s, under 97% of 400/s)"]


def test_without_an_slo_there_is_no_capacity_but_the_served_climb_is_contiguous() -> None:
    load = phase(sweep(**{"200:0": {"qps": 100.0}}), slo=None)
    assert capacity.capacity_rate(load) is None and capacity.served_rate(load) == 100


def test_the_error_share_falls_back_to_the_counts_of_an_older_file() -> None:
    assert capacity.error_share(step(100, error_share=None, requests=1000, answered_2xx=950)) == pytest.approx(0.05)
    assert capacity.error_share(step(100, error_share=None, requests=None)) is None


def test_a_closed_loop_has_no_capacity_and_is_summarised_over_its_repeats() -> None:
    load = phase([step(None, 0, qps=2000.0), step(None, 1, qps=2200.0)], slo=None)
    s = derive.load_summary(load)
    assert (s.rate, s.capacity_rate, s.failed) == (None, None, False)
    assert s.qps is not None and s.qps["median"] == 2100
