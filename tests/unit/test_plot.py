"""Charts and the HTML report render from the saved results and from a constructed load phase.

These tests need matplotlib (the plot extra): without it they skip on a laptop and fail in CI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cprofiler.cli import app
from cprofiler.results import runlog
from tests.unit.factories import image, loaded, measurement, phase, require_matplotlib, spread

ROOT = Path(__file__).resolve().parents[2]
RESULTS = {name: ROOT / "docs" / "results" / f"{name}.json" for name in ("default", "pyc")}
IDLE_CHARTS = ["cold-start", "memory", "size", "pareto"]
LOAD_CHARTS = ["load-throughput", "load-latency", "load-resources"]

pytestmark = pytest.mark.plot


@pytest.fixture(autouse=True)
def _matplotlib(request: pytest.FixtureRequest) -> None:
    if "no_matplotlib" not in request.keywords:
        require_matplotlib()


def _plot(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cprofiler", "plot", *args], cwd=ROOT, capture_output=True, text=True)


def _text(svg: str) -> str:
    """The SVG's text, with XML escapes undone (matplotlib writes text as text: svg.fonttype none)."""
    return svg.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&#39;", "'")


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_every_chart_of_the_saved_results_as_svg(tmp_path: Path, name: str):
    out = _plot(str(RESULTS[name]), "-o", str(tmp_path / "c.svg"))
    assert out.returncode == 0, out.stderr
    m = runlog.load(RESULTS[name])
    for chart in IDLE_CHARTS:
        svg = (tmp_path / f"c-{chart}.svg").read_text()
        assert svg.startswith("<?xml") and "<svg" in svg
        text = _text(svg)
        for img in m.images:
            assert img.name in text, (chart, img.name)
            assert f"stand-in: {img.stand_in.recipe}" in text, (chart, img.name)  # every image here is a stand-in
        assert "Docker 20.10.24+dfsg1" in text  # the title names the engine
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"c-{c}.svg" for c in IDLE_CHARTS)


def test_the_cold_start_chart_has_every_run_the_floor_and_app_start(tmp_path: Path):
    assert _plot(str(RESULTS["default"]), "-o", str(tmp_path / "cold.svg"), "--chart", "cold-start").returncode == 0
    text = _text((tmp_path / "cold.svg").read_text())
    assert "runtime floor: median 236 ms" in text
    assert "app start" in text and "390 ms" in text and "108 ms" in text
    assert "20/20 runs ok" in text
    assert "cold start: just before create → ready (ms)" in text
    # One marker per run: 20 runs × 3 images drawn from one scatter each.
    assert len(re.findall(r'<use xlink:href="#[^"]+" x="[^"]+" y="[^"]+"', text)) >= 60


def test_the_scatter_draws_the_frontier_and_greys_the_dominated(tmp_path: Path):
    assert _plot(str(RESULTS["default"]), "-o", str(tmp_path / "p.svg"), "--chart", "pareto").returncode == 0
    text = _text((tmp_path / "p.svg").read_text())
    assert "Pareto frontier" in text and "dominated by go-static" in text
    assert "cold start, median (ms)" in text and "working set, median (MiB)" in text
    assert "fill: #b0b0b0" in text  # the dominated points' grey


def test_png_is_a_png_and_the_same_results_give_the_same_file(tmp_path: Path):
    for k in (1, 2):
        assert _plot(str(RESULTS["pyc"]), "-o", str(tmp_path / f"m{k}.png"), "--chart", "memory").returncode == 0
        assert _plot(str(RESULTS["pyc"]), "-o", str(tmp_path / f"m{k}.svg"), "--chart", "memory").returncode == 0
    png = (tmp_path / "m1.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    assert png == (tmp_path / "m2.png").read_bytes()
    assert (tmp_path / "m1.svg").read_bytes() == (tmp_path / "m2.svg").read_bytes()


def test_load_charts_only_with_a_load_phase():
    from cprofiler.plot.registry import ChartInput
    from cprofiler.plot.render import charts_for, require_matplotlib

    require_matplotlib()
    m = runlog.load(RESULTS["default"])
    assert [c.name for c in charts_for(ChartInput.of(m))] == IDLE_CHARTS
    out = _plot(str(RESULTS["default"]), "-o", "/nonexistent/x.svg", "--chart", "load-latency")
    assert out.returncode == 2 and "--chart load-latency: these results have nothing to draw it from" in out.stderr


def _load_input():
    from cprofiler.plot.registry import ChartInput

    py1 = image("python-ubuntu", spread(340), stand_in="debian-python", cpus=1)
    py2 = image("python-ubuntu", spread(340), stand_in="debian-python", cpus=2)
    go1 = image("go-static", spread(240), cpus=1)
    go2 = image("go-static", spread(240), cpus=2)
    m = measurement(py1, py2, go1, go2, floor_ms=spread(230))
    rates = (500, 1000, 2000, 4000, 8000)
    load = [
        loaded(py1, phase(1800, 40, rates=rates)),
        loaded(py2, phase(3300, 25, rates=rates)),
        loaded(go1, phase(9000, 6, rates=rates)),
        loaded(go2, phase(17000, 4, rates=rates)),
    ]
    return ChartInput(m, load)


@pytest.mark.parametrize("name", LOAD_CHARTS)
def test_load_charts_from_a_constructed_load_phase(tmp_path: Path, name: str):
    from cprofiler.plot.registry import CHARTS
    from cprofiler.plot.render import require_matplotlib, save

    require_matplotlib()
    data = _load_input()
    chart = CHARTS.get(name)
    assert chart.applies(data)
    save(chart.draw(data), tmp_path / "c.svg", salt=name)
    text = _text((tmp_path / "c.svg").read_text())
    assert "python-ubuntu" in text and "stand-in: debian-python" in text and "go-static" in text
    assert "Load: wrk2, 32 connections, 10 s per step." in text
    if name == "load-latency":
        assert "p99.9" in text and "achieved rate (requests/s)" in text
        assert "python-ubuntu (stand-in: debian-python) · 2 CPUs" in text  # the legend names stand-in and limit
    else:
        assert "1 CPU" in text and "2 CPUs" in text


def test_the_latency_chart_needs_a_sweep():
    from cprofiler.plot.registry import CHARTS, ChartInput
    from cprofiler.plot.render import require_matplotlib

    require_matplotlib()
    one = image("web", spread(300))
    data = ChartInput(measurement(one), [loaded(one, phase(1000, 10, rates=(500,)))])
    assert CHARTS.get("load-throughput").applies(data)
    assert not CHARTS.get("load-latency").applies(data)


def test_html_report_is_self_contained(tmp_path: Path):
    out = CliRunner().invoke(app, ["report", str(RESULTS["default"]), "--html", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text()
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and " src=" not in page and "<link" not in page
    assert page.count("<svg") == len(IDLE_CHARTS)
    assert "<table>" in page and "go-static" in page and "(stand-in: go-builder)" in page
    assert "Warnings" in page and "instead of golang:1.22" in page  # stand-ins are warned about
    assert "cold start: from just before create" in page  # the footnotes
    assert "Docker 20.10.24+dfsg1 (API 1.41)" in page and "fuse-overlayfs" in page  # the environment
    assert "Recommendation" in page and "Pareto set" in page
    assert 'class="best" title="best of the column">4.3 MiB' in page


def test_plot_to_html_is_the_report_and_a_wrong_suffix_is_refused(tmp_path: Path):
    assert _plot(str(RESULTS["pyc"]), "-o", str(tmp_path / "r.html")).returncode == 0
    assert "python-alpine-compiled" in (tmp_path / "r.html").read_text()
    bad = _plot(str(RESULTS["pyc"]), "-o", str(tmp_path / "r.pdf"))
    assert bad.returncode == 2 and "expected a file ending in .png, .svg, .html" in bad.stderr
    unknown = _plot(str(RESULTS["pyc"]), "-o", str(tmp_path / "r.svg"), "--chart", "pie")
    assert (
        unknown.returncode == 2
        and "--chart pie: unknown chart; expected one of: cold-start, memory, size, pareto" in unknown.stderr
    )


@pytest.mark.no_matplotlib
def test_without_matplotlib_one_line_says_how_to_install_it(tmp_path: Path):
    hide = "import sys; sys.modules['matplotlib'] = None; from cprofiler.cli import main; sys.argv[0] = 'cprofiler'; main()"
    for args in (
        ["plot", str(RESULTS["pyc"]), "-o", str(tmp_path / "x.svg")],
        ["report", str(RESULTS["pyc"]), "--html", str(tmp_path / "r.html")],
    ):
        out = subprocess.run([sys.executable, "-c", hide, *args], cwd=ROOT, capture_output=True, text=True)
        assert out.returncode == 1
        assert out.stderr.count("\n") == 1 and "pip install 'cprofiler[plot]'" in out.stderr, out.stderr
    assert not list(tmp_path.iterdir())
