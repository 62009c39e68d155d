"""Charts and the HTML report render from the saved results and from a constructed load phase.

These tests need matplotlib (the plot extra): without it they skip on a laptop and fail in CI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cprofiler.cli import app
from cprofiler.results import runlog, writer
from tests.unit.factories import image, load_result, loaded, measurement, require_matplotlib, spread

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


def _load_measurement():
    """Two images at two CPU limits each (rows of a cpus list), each with a rate sweep."""
    rates = (500.0, 1000.0, 2000.0, 4000.0, 8000.0)
    rows = []
    for name, stand_in, start, qps in (("python-ubuntu", "debian-python", 340, 1800), ("go-static", None, 240, 9000)):
        for cpus in (1.0, 2.0):
            img = image(f"{name}@cpus={cpus:g}", spread(start), stand_in=stand_in, cpus=cpus, scenario_image=name)
            rows.append(loaded(img, load_result(qps * cpus * 0.9, 40 / cpus if stand_in else 6 / cpus, rates=rates)))
    return measurement(*rows, floor_ms=spread(230))


def test_load_charts_from_a_load_phase_results_file(tmp_path: Path):
    path = tmp_path / "load.json"
    path.write_text(json.dumps(writer.results_json(_load_measurement())))
    out = _plot(str(path), "-o", str(tmp_path / "c.svg"))
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.glob("c-*.svg")) == sorted(f"c-{c}.svg" for c in IDLE_CHARTS + LOAD_CHARTS)
    for name in LOAD_CHARTS:
        text = _text((tmp_path / f"c-{name}.svg").read_text())
        assert "python-ubuntu" in text and "stand-in: debian-python" in text and "go-static" in text, name
        assert "Load: oha, 32 connections, 10 s per step." in text
    latency = _text((tmp_path / "c-load-latency.svg").read_text())
    assert "p99.9" in latency and "achieved rate (requests/s)" in latency
    assert "python-ubuntu@cpus=2 (stand-in: debian-python)" in latency  # the legend names stand-in and limit
    throughput = _text((tmp_path / "c-load-throughput.svg").read_text())
    assert "1 CPU" in throughput and "2 CPUs" in throughput and "p99 latency (ms; lower is better)" in throughput
    # python-ubuntu at 1 CPU saturates at 1800 × 0.9 = 1620 QPS; the summary is the median of two repeats.
    assert "1612" in throughput
    resources = _text((tmp_path / "c-load-resources.svg").read_text())
    assert "CPU used under load (cores)" in resources and "highest working set under load (MiB)" in resources


def test_the_latency_chart_needs_a_sweep():
    from cprofiler.plot.registry import CHARTS, ChartInput
    from cprofiler.plot.render import require_matplotlib

    require_matplotlib()
    data = ChartInput.of(measurement(loaded(image("web", spread(300)), load_result(1000, 10))))
    assert CHARTS.get("load-throughput").applies(data) and CHARTS.get("load-resources").applies(data)
    assert not CHARTS.get("load-latency").applies(data)  # closed loop: one rate


def test_the_html_report_holds_the_load_table_and_charts(tmp_path: Path):
    path = tmp_path / "load.json"
    path.write_text(json.dumps(writer.results_json(_load_measurement())))
    out = CliRunner().invoke(app, ["report", str(path), "--html", str(tmp_path / "r.html")])
    assert out.exit_code == 0, out.output
    page = (tmp_path / "r.html").read_text()
    assert "<h2>Under load</h2>" in page and "image under load" in page and "under load: oha" in page
    assert page.count("<svg") == len(IDLE_CHARTS + LOAD_CHARTS)
    assert "http://" not in page and "https://" not in page


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
