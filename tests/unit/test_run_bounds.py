"""Issue 14, items 12 and 14 without an engine: what one run holds on to is bounded, in bytes and
in time."""

from __future__ import annotations

from cprofiler.measure.start import LOG_LINE_KEEP_BYTES, LOG_TAIL_BYTES, LOG_TAIL_LINES, kept_line, kept_tail


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
