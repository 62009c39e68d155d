"""Counting a step over every request sent: answers by class, the unanswered at the timeout, and
oha's per-request database read the way oha 1.16 writes it (its table, columns and time base)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from cprofiler.measure.load import make_generator
from cprofiler.measure.load.counts import NOT_SENT, Answer, Unanswered, count, percentiles, share_of
from cprofiler.measure.load.generators import GeneratorError, LoadShape
from cprofiler.results.load import LatencyMs


def test_unanswered_requests_count_at_the_timeout():
    # 98 fast answers and 2 without one: p99 over all requests is at least the timeout.
    answers = [Answer(0.001, 200)] * 98
    c = count(answers, Unanswered(Counter({"timeout": 2})), timeout_s=5.0, window_s=1.0)
    assert (c.requests, c.answered_2xx, c.timeouts, c.connection_errors) == (100, 98, 2, 0)
    assert c.error_share == pytest.approx(0.02)
    assert c.latency_ms.p99 == 5000.0 and c.latency_ms.max == 5000.0
    assert c.latency_ms.p50 == pytest.approx(1.0)
    assert c.latency_answered_ms.p99 == pytest.approx(1.0)  # the answered alone, labelled so


def test_one_percent_unanswered_is_not_yet_the_p99():
    c = count([Answer(0.002, 200)] * 99, Unanswered(Counter({"timeout": 1})), timeout_s=5.0, window_s=1.0)
    assert c.latency_ms.p99 == pytest.approx(2.0) and c.latency_ms.p999 == 5000.0


def test_a_fast_error_is_an_error_with_its_own_latency():
    answers = [Answer(0.001, 200)] * 9 + [Answer(0.0001, 500)]
    c = count(answers, Unanswered(), timeout_s=5.0, window_s=2.0)
    assert c.non_2xx == {"5xx": 1} and c.errors_http == 1 and c.error_share == pytest.approx(0.1)
    assert c.qps == pytest.approx(9 / 2.0) and c.answers_per_s == pytest.approx(10 / 2.0)
    assert c.latency_ms.p50 == pytest.approx(1.0) and c.latency_answered_ms.max == pytest.approx(1.0)


def test_connection_errors_and_timeouts_are_told_apart_by_kind():
    kinds = Counter({"connection reset by peer": 3, "timeout": 2, "aborted due to deadline": 1})
    u = Unanswered(kinds)
    assert (u.timeouts, u.connection_errors, u.total) == (3, 3, 6)


def test_nothing_sent_has_no_percentiles():
    assert percentiles([]) == LatencyMs()
    assert count([], Unanswered(), timeout_s=1, window_s=1).error_share is None


def test_percentiles_are_nearest_rank_never_between_an_answer_and_a_timeout():
    lat = percentiles([1.0] * 995, unanswered=5, timeout_ms=1000.0)
    assert lat.p99 == 1.0 and lat.p999 == 1000.0


@pytest.mark.parametrize(
    ("kinds", "total", "expected"),
    [
        ({"timeout": 30, "reset": 10}, 20, {"timeout": 15, "reset": 5}),
        ({"timeout": 3}, 5, {"timeout": 3, NOT_SENT: 2}),
        ({}, 4, {NOT_SENT: 4}),
        ({"timeout": 1, "reset": 1, "refused": 1}, 2, None),  # adds up, whichever two
        ({"timeout": 5}, 0, {}),
    ],
)
def test_the_windows_share_of_the_errors_adds_up(kinds, total, expected):
    got = share_of(kinds, total)
    assert sum(got.values()) == total
    if expected is not None:
        assert dict(got) == expected


# --- oha's per-request database -------------------------------------------------------------------


def oha_run(tmp: Path, rows: list[tuple[float, float, int]], errors: dict[str, int], *, total_s: float) -> str:
    """The JSON oha prints and the database it writes (oha 1.16's schema) for ``rows`` of
    ``(intended send time from the start, latency, status)``."""
    with sqlite3.connect(tmp / "requests.db") as conn:
        conn.execute(
            "CREATE TABLE oha (url TEXT NOT NULL, start REAL NOT NULL, start_latency_correction REAL, end REAL NOT NULL,"
            " duration REAL NOT NULL, status INTEGER NOT NULL, len_bytes INTEGER NOT NULL, run INTEGER NOT NULL)"
        )
        conn.executemany(
            "INSERT INTO oha VALUES ('http://127.0.0.1:8080/', ?, ?, ?, ?, ?, 3, 1)",
            [(due + 0.0001, due, due + lat, lat, status) for due, lat, status in rows],
        )
    statuses = Counter(str(status) for _, _, status in rows)
    return json.dumps({"summary": {"total": total_s}, "statusCodeDistribution": statuses, "errorDistribution": errors})


def test_oha_counts_only_requests_due_in_the_window_and_the_missing_as_unanswered(tmp_path):
    # 100 req/s, 1 s warm-up then 2 s: 200 requests due in the window. 190 answered in it (one
    # every 10th of them a 500); 10 missing, which oha reported as timeouts (3 in the warm-up).
    warm = [(i / 100, 0.001, 200) for i in range(100)]
    window = [(1 + i / 100, 0.002, 500 if i % 19 == 0 else 200) for i in range(200) if i % 20 != 7]
    out = oha_run(tmp_path, warm + window, {"timeout": 13}, total_s=3.2)
    shape = LoadShape(connections=4, duration_s=2.0, rate=100.0, request_timeout_s=5.0, warmup_s=1.0)
    c = make_generator("oha").parse(out, shape, tmp_path).counts
    assert c.requests == 200 and c.timeouts == 10 and c.error_kinds == {"timeout": 10}
    assert c.non_2xx == {"5xx": sum(1 for i in range(200) if i % 20 != 7 and i % 19 == 0)}
    assert c.answered_2xx == 190 - c.errors_http
    assert c.window_s == 2.0 and c.qps == pytest.approx(c.answered_2xx / 2.0)
    assert c.latency_ms.p99 == 5000.0  # 5 % got no answer
    assert c.latency_answered_ms.p99 == pytest.approx(2.0)


def test_oha_requests_due_but_never_sent_are_unanswered_too(tmp_path):
    # A stalled server holds every connection: requests due were never sent, and oha reports no error.
    rows = [(i / 100, 0.001, 200) for i in range(150)]
    out = oha_run(tmp_path, rows, {}, total_s=3.0)
    shape = LoadShape(connections=4, duration_s=2.0, rate=100.0, warmup_s=1.0)
    c = make_generator("oha").parse(out, shape, tmp_path).counts
    assert c.requests == 200 and c.answered_2xx == 50 and c.error_kinds == {NOT_SENT: 150}


def test_oha_closed_loop_takes_the_windows_share_of_its_errors(tmp_path):
    # A run of 1 s warm-up, 2 s window and the 0.5 s tail: the window holds 2/3.5 of its errors.
    rows = [(i / 1000, 0.001, 200) for i in range(3500)]
    out = oha_run(tmp_path, rows, {"connection reset by peer": 35}, total_s=3.5)
    shape = LoadShape(connections=4, duration_s=2.0, rate=None, warmup_s=1.0)
    c = make_generator("oha").parse(out, shape, tmp_path).counts
    assert c.connection_errors == 20 and c.answered_2xx == 2000 and c.requests == 2020


def test_oha_without_its_database_says_so(tmp_path):
    with pytest.raises(GeneratorError, match="no request database"):
        make_generator("oha").parse('{"summary": {"total": 1.0}}', LoadShape(1, 1.0), tmp_path)


def test_oha_far_behind_the_rate_answered_in_the_run_but_none_in_the_window(tmp_path):
    # 12,000/s against a server of ~2,400/s: what it answered were warm-up requests, queued ahead
    # of the window's. That is a step with every request an error, not a hung container.
    rows = [(i / 100, 2.0, 200) for i in range(90)]
    out = oha_run(tmp_path, rows, {}, total_s=3.5)
    shape = LoadShape(connections=4, duration_s=2.0, rate=100.0, warmup_s=1.0)
    r = make_generator("oha").parse(out, shape, tmp_path)
    assert r.counts.answered == 0 and r.counts.error_share == 1.0 and r.answered_in_run == 90
