"""The stand-in progress lines: which log lines start a phase, the estimate, whole lines in a log."""

from __future__ import annotations

import io

from rich.console import Console

from cprofiler.commands.base_progress import StandInProgress, estimate, phase_of
from cprofiler.images.bases.catalog import get_recipe


def test_phases_are_steps_script_steps_and_the_recipes_own_lines():
    assert phase_of("Step 3/6 : RUN apt-get update && apt-get install") == "step 3/6: RUN"
    assert phase_of("== 20:54:36 CPython: make") == "CPython: make"
    assert phase_of("building cprofiler-base/musl-python:abc (stand-in for python:*-alpine) from a mirror").startswith(
        "building "
    )
    assert phase_of(" ---> Running in 936617c4328a") is None
    assert phase_of("Setting up g++ (4:12.2.0-3) ...") is None
    assert phase_of("   20:54:44 121 object files compiled") is None  # progress within a phase, not a phase


def test_the_estimate_counts_down_from_the_usual_time_and_says_when_it_is_past_it():
    typical = get_recipe("musl-python").typical_build_s
    assert estimate("musl-python", 0) == f"about {-(-int(typical) // 60)} min left"
    assert estimate("musl-python", typical - 30) == "about 1 min left"
    assert estimate("musl-python", typical + 1).startswith("past its usual ")


def test_in_a_log_each_phase_is_one_whole_line_and_build_noise_is_left_out():
    out = io.StringIO()
    sink = StandInProgress(Console(file=out, width=60, force_terminal=False))
    long_phase = "building cprofiler-base/musl-python:0123456789abcdef (stand-in for python:*-alpine) from a mirror far away"
    sink("musl-python", long_phase)
    sink("musl-python", "Setting up g++ (4:12.2.0-3) ...")
    sink("musl-python", "== 20:54:36 CPython: make")
    sink("musl-python", "built cprofiler-base/musl-python:0123456789abcdef in 200 s")
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert long_phase in lines[0]  # not cut to the 60 columns: a log is read later, whole
    assert lines[1].endswith("CPython: make (" + estimate("musl-python", 0) + ")") or "CPython: make (about" in lines[1]
    assert "left" not in lines[2] and "built cprofiler-base/musl-python" in lines[2]
