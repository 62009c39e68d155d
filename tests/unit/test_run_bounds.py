"""Without an engine: what one run holds on to is bounded, in bytes and
in time."""

from __future__ import annotations

import threading
import time

import pytest

from cprofiler.backends.run import LOG_LINE_KEEP_BYTES, LOG_TAIL_BYTES, LOG_TAIL_LINES, kept_line, kept_tail
from cprofiler.measure.probes import Watch, make_probe
from cprofiler.measure.probes.bounded_regex import MATCH_TIMEOUT_S, BoundedRegex, RegexTooSlow
from cprofiler.scenario.model import ReadySpec


def test_a_long_line_is_cut_and_says_how_much():
    line = kept_line(b"x" * 65536 + b"\r")
    assert line == "x" * LOG_LINE_KEEP_BYTES + f" … [{65536 - LOG_LINE_KEEP_BYTES} more bytes]"
    assert kept_line("héllo\r".encode()) == "héllo"


def test_the_tail_is_bounded_in_bytes_and_keeps_the_newest():
    lines = [kept_line(f"{i} ".encode() + b"y" * 65536) for i in range(LOG_TAIL_LINES)]
    tail = kept_tail(lines)
    assert sum(len(t.encode()) + 1 for t in tail) <= LOG_TAIL_BYTES
    assert tail == lines[-len(tail) :] and tail[-1].startswith(f"{LOG_TAIL_LINES - 1} ")
    short = ["a", "b", "c"]
    assert kept_tail(short) == short


# --- a backtracking log regex holds nothing up ------------------------------------------

EVIL = "^(a+)+$"
EVIL_LINE = b"a" * 40 + b"!"  # some 2**40 ways to split the a's before the match fails


def test_a_catastrophic_regex_is_cut_off_and_the_gil_stays_free():
    regex = BoundedRegex(EVIL)
    try:
        assert regex.search(b"aaaa") and not regex.search(b"b")
        gaps: list[float] = []
        stop = threading.Event()

        def tick() -> None:  # needs the GIL every 10 ms; the old in-process match held it throughout
            last = time.monotonic()
            while not stop.wait(0.01):
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        ticker = threading.Thread(target=tick)
        ticker.start()
        t0 = time.monotonic()
        with pytest.raises(RegexTooSlow) as info:
            regex.search(EVIL_LINE)
        took = time.monotonic() - t0
        stop.set()
        ticker.join()
        assert MATCH_TIMEOUT_S * 0.9 <= took < MATCH_TIMEOUT_S + 1.0, took
        assert max(gaps) < 0.25, max(gaps)
        assert "backtracks catastrophically" in str(info.value) and "\n" not in str(info.value)
        assert regex.search(b"aaa")  # a fresh worker takes over
    finally:
        regex.close()


def test_the_log_probe_fails_the_run_with_one_line():
    probe = make_probe(ReadySpec(log=EVIL))
    watch = Watch()
    probe.on_line(watch, 1, EVIL_LINE)
    assert watch.done.is_set() and watch.ready_ns is None
    assert watch.probe_error is not None and watch.probe_error.startswith("ready.log: matching '^(a+)+$' against one")
    probe.on_line(watch, 2, b"aaaa")  # nothing more is matched for a failed run
    assert watch.ready_ns is None
