"""Drawing the charts of a measurement and writing them as PNG, SVG, or SVG text for the HTML report.

matplotlib is the ``plot`` extra: without it every entry point here raises :class:`MissingExtra`,
one line saying how to install it (exit 1), before anything is drawn or written.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from cprofiler.errors import CprofilerError, UsageError
from cprofiler.plot.registry import CHARTS, Chart, ChartInput
from cprofiler.results.model import Measurement

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Output suffix → matplotlib's format name.
FORMATS = {".png": "png", ".svg": "svg"}
INSTALL_HINT = "pip install 'cprofiler[plot]' (or: pip install matplotlib)"


class MissingExtra(CprofilerError):
    """matplotlib is not installed (exit 1): the message says how to install it."""


def require_matplotlib(what: str = "charts") -> None:
    """Register the charts; MissingExtra when matplotlib cannot be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingExtra(f"{what} need matplotlib, which is not installed: {INSTALL_HINT}") from None
    import cprofiler.plot.charts  # noqa: F401 - registers the charts


def charts_for(data: ChartInput, names: list[str] | None = None) -> list[Chart]:
    """The charts named (``--chart``), or every chart that applies to ``data``, in registry order.

    A chart named but not applicable (``load-latency`` without a load phase) is a UsageError.
    """
    if not names:
        return [c for _, c in CHARTS.items() if c.applies(data)]
    chosen = [CHARTS.get(n) for n in names]
    for c in chosen:
        if not c.applies(data):
            raise UsageError(f"--chart {c.name}: these results have nothing to draw it from ({c.title})")
    return chosen


def figures(m: Measurement, names: list[str] | None = None) -> list[tuple[Chart, Figure]]:
    """Each chart of ``m`` (or those ``names``) drawn."""
    require_matplotlib()
    data = ChartInput.of(m)
    return [(c, c.draw(data)) for c in charts_for(data, names)]


def chart_bytes(fig: Figure, path: Path, *, salt: str = "") -> bytes:
    """``fig`` as PNG or SVG (by ``path``'s suffix), with no date in it: the same results give the
    same file, so generated charts can be committed and diffed. Writing it is the caller's, through
    ``results.files.write_replacing``."""
    return _bytes(fig, FORMATS[path.suffix.lower()], salt)


def _bytes(fig: Figure, fmt: str, salt: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    # The salt makes SVG ids differ between charts, so that several charts can share one page.
    with matplotlib.rc_context({"svg.hashsalt": salt or "cprofiler"}):
        if fmt == "png":
            fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
        else:
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    return buf.getvalue()


def inline_svg(fig: Figure, *, salt: str) -> str:
    """``fig`` as an ``<svg>`` element to put into HTML: no XML prolog, no DOCTYPE, no metadata and
    no namespace URLs (the HTML parser knows SVG), so the page makes no reference outside itself."""
    text = _bytes(fig, "svg", salt).decode("utf-8")
    text = text[text.index("<svg") :]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.DOTALL)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    return re.sub(r'<svg([^>]*?)\s+width="[^"]*"\s+height="[^"]*"', r'<svg\1 class="chart"', text, count=1)
