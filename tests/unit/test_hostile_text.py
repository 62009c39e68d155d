"""Text from a results file stays text: names, errors and a container's output cannot become Markdown
markup or spreadsheet formulas, whatever characters they hold.

The Markdown is read back with markdown-it (the CommonMark parser Rich already depends on, with its
GFM table rule), so the assertions are about what a renderer sees, not about our own escaping.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token

from cprofiler import compare as compare_formats
from cprofiler import report
from cprofiler.commands.report import report_command
from cprofiler.compare.verdict import compare, parse_rule
from cprofiler.results import writer
from cprofiler.results.model import Measurement, RunResult
from cprofiler.text import csv_cell, csv_row, fence, markdown_cell
from tests.unit.factories import image, measurement, spread

#: Names a crafted results file can hold: table breakers, a remote image, HTML, formula starts, a bare CR.
HOSTILE_NAMES = [
    "pipe|name",
    "two\nlines",
    "![seen](https://127.0.0.1/pixel.png)",
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("https://127.0.0.1","x")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "bare\rreturn",
    "back\\slash`tick`",
]
#: A container's last lines of output: a fence of its own, then what would render as live markup.
HOSTILE_TAIL = [
    "```",
    "# a heading",
    "![tracker](https://127.0.0.1/t.png)",
    "`````` six",
    "done",
]


def hostile_measurement() -> Measurement:
    images = [image(name, spread(300 + 10 * k)) for k, name in enumerate(HOSTILE_NAMES)]
    images[0].runs.append(
        RunResult(
            image=images[0].name,
            index=len(images[0].runs),
            status="crashed",
            exit_code=3,
            error="boom | cell\r\nnext line\rafter a bare CR",
            log_tail=HOSTILE_TAIL,
        )
    )
    m = measurement(*images)
    # The footnote quotes the environment: a crafted file's line break must not start a heading there.
    m.environment.engine_version = "99\n# owned ![x](https://127.0.0.1/y.png)"
    return m


def parse(markdown: str) -> list[Token]:
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def walk(tokens: list[Token]) -> Iterator[Token]:
    for t in tokens:
        yield t
        yield from walk(t.children or [])


def live_markup(tokens: list[Token]) -> list[str]:
    """Every token that a name or a log line could have produced as markup: headings, images,
    links, HTML other than the ``<br>`` that stands for a line break."""
    bad = []
    for t in walk(tokens):
        if t.type in ("heading_open", "image", "link_open", "html_block") or (t.type == "html_inline" and t.content != "<br>"):
            bad.append(f"{t.type} {t.content!r}")
    return bad


def table_shapes(tokens: list[Token]) -> list[list[int]]:
    """Per table, the number of cells in each row (header first)."""
    shapes: list[list[int]] = []
    cells = 0
    for t in tokens:
        if t.type == "table_open":
            shapes.append([])
        elif t.type == "tr_open":
            cells = 0
        elif t.type in ("th_open", "td_open"):
            cells += 1
        elif t.type == "tr_close":
            shapes[-1].append(cells)
    return shapes


def first_cells(tokens: list[Token]) -> list[str]:
    """The first cell of each body row, as the text a reader sees (``<br>`` read as a line break)."""
    out, in_body, want = [], False, False
    for t in tokens:
        if t.type == "tbody_open":
            in_body = True
        elif t.type == "tr_open" and in_body:
            want = True
        elif t.type == "inline" and want:
            out.append("".join("\n" if c.type == "html_inline" else c.content for c in walk(t.children or [])))
            want = False
    return out


def write_results(tmp_path: Path, m: Measurement, name: str = "r.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(writer.results_json(m)))
    return path


def render_report(tmp_path: Path, fmt: str) -> str:
    """The hostile measurement through the real ``report`` command, written with ``--output``."""
    out = tmp_path / f"out.{fmt}"
    assert report_command(write_results(tmp_path, hostile_measurement()), fmt, out) == 0
    return out.read_bytes().decode()  # as written: read_text() would turn a bare CR into a LF


def test_a_log_tail_stays_inside_its_fence(tmp_path, capsys):
    md = render_report(tmp_path, "markdown")
    tokens = parse(md)
    fences = [t for t in walk(tokens) if t.type == "fence"]
    assert len(fences) == 1 and fences[0].content.splitlines() == HOSTILE_TAIL
    assert live_markup(tokens) == []


def test_markdown_tables_keep_their_columns_and_cells_their_text(tmp_path, capsys):
    md = render_report(tmp_path, "markdown")
    tokens = parse(md)
    (shape,) = table_shapes(tokens)
    assert len(shape) == 1 + len(HOSTILE_NAMES) and len(set(shape)) == 1, shape
    assert first_cells(tokens) == [n.replace("\r", "\n") for n in HOSTILE_NAMES]
    # Three notices, three list items (partial runs, the failed count, the failed run with its
    # tail): no name or error line break starts another item or block.
    items = [t for t in tokens if t.type == "list_item_open"]
    assert len(items) == 3
    paragraphs = [t for t in tokens if t.type == "paragraph_open" and t.level == 2]
    assert len(paragraphs) == 3


def test_compare_markdown_keeps_its_table_and_notes(tmp_path):
    before, after = hostile_measurement(), hostile_measurement()
    after.images = after.images[1:]  # one image only before: named in a note
    c = compare(before, after, [parse_rule("ready_ms:+10%")], names=("be|fore\n# h.json", "<b>after</b>.json"))
    tokens = parse(compare_formats.render(c, "markdown"))
    (shape,) = table_shapes(tokens)
    assert len(set(shape)) == 1 and shape[0] == 7
    assert live_markup(tokens) == []
    assert not any(t.type == "heading_open" for t in tokens)


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_report_csv_cells_are_neutralised_and_parse_back(tmp_path, capsys):
    rows = csv_rows(render_report(tmp_path, "csv"))
    assert len(rows) == 1 + len(HOSTILE_NAMES) and len({len(r) for r in rows}) == 1
    names = [r[0] for r in rows[1:]]
    assert names == [csv_cell(n) for n in HOSTILE_NAMES]
    assert not any(n.startswith(("=", "+", "-", "@", "\t", "\r")) for n in names)
    # Figures stay figures a spreadsheet can sum.
    header = rows[0]
    assert all(float(r[header.index("ready_median_ms")]) > 0 for r in rows[1:])


def test_compare_csv_cells_are_neutralised_and_parse_back():
    before, after = hostile_measurement(), hostile_measurement()
    c = compare(before, after, [], names=("b.json", "a.json"))
    text = compare_formats.render(c, "csv")
    rows = csv_rows(text)
    assert len(rows) == 1 + sum(len(i.metrics) for i in c.images) and len({len(r) for r in rows}) == 1
    assert {r[0] for r in rows[1:]} == {csv_cell(n) for n in HOSTILE_NAMES}
    assert all(not r[0].startswith(("=", "+", "-", "@")) for r in rows[1:])


def test_the_escapes_themselves():
    assert markdown_cell("a|b\\c\r\nd<e>&`[f]`") == "a\\|b\\\\c<br>d&lt;e&gt;&amp;\\`\\[f\\]\\`"
    assert fence("x\n````\ny", indent="  ").splitlines() == ["  `````", "  x", "  ````", "  y", "  `````"]
    assert fence("plain") == "```\nplain\n```"
    assert [csv_cell(v) for v in ("=1", "+a", "-a", "@a", "\ta", "\ra", "-1.5", "+3", "a=b", -2.0, 7)] == [
        "'=1",
        "'+a",
        "'-a",
        "'@a",
        "'\ta",
        "'\ra",
        "-1.5",
        "+3",
        "a=b",
        -2.0,
        7,
    ]
    assert csv_row(["a\rb", "c\nd", 'e"f', "g,h", None, 1.5]) == '"a\rb","c\nd","e""f","g,h",,1.5\n'
    assert csv_rows(csv_row(["a\rb", "x"])) == [["a\rb", "x"]]


#: A name that would plant a terminal hyperlink and recolour the screen (OSC 8, C1 CSI).
TERMINAL_NAME = "esc\x1b]8;;https://127.0.0.1\x07link\x1b]8;;\x07 \x9b31mred"


def terminal_measurement() -> Measurement:
    m = measurement(image(TERMINAL_NAME, spread(300)), *hostile_measurement().images)
    m.environment.engine_version = "[link=https://127.0.0.1]99[/link]\x1b[2J"
    return m


def test_text_tables_write_no_control_character(tmp_path):
    from cprofiler.manifests.options import K8sOptions, Source
    from cprofiler.manifests.render import recommend_all
    from cprofiler.manifests.summary.registry import SUMMARIES

    m = terminal_measurement()
    c = compare(m, terminal_measurement(), [], names=("b\x1b[2J.json", "a.json"))
    options = K8sOptions(results_file="r\x1b[2J.json")
    m.images = m.images[:3]  # k8s names must differ: the first three do
    texts = [
        report.render(m, "table"),
        compare_formats.render(c, "table"),
        SUMMARIES.get("table")(recommend_all(m, options), Source.of(m, options)),
    ]
    for text in texts:
        assert not any(ch in text for ch in "\x1b\x9b\x07\r"), text
    assert "esc\\x1b]8;;https://127.0.0.1\\x07link" in texts[0] and "\\x9b31mred" in texts[0]


def test_the_terminal_table_plants_no_link_and_takes_no_markup():
    from cprofiler.report.terminal import render_rich

    out = render_rich(terminal_measurement(), 400, wide=True, color=False)
    assert "\x1b]8" not in out and "\x9b" not in out and "\x1b[2J" not in out
    assert "esc\\x1b]8;;https://127.0.0.1\\x07link" in out
    assert "[link=https://127.0.0.1]99[/link]\\x1b[2J" in out  # the footnote as written, not as Rich markup


def test_measure_progress_lines_take_no_markup_and_no_terminal_sequence() -> None:
    # A run's error and an image's name come from containers and scenario files: printed on the
    # terminal during a measurement, they stay the text they are.
    from rich.console import Console

    from cprofiler.commands.measure import RichReporter
    from cprofiler.results.kinds import RunStatus

    out = io.StringIO()
    reporter = RichReporter(Console(file=out, force_terminal=True, width=200))
    hostile = "[bold]loud[/bold] [link=https://example.invalid]here[/link] \x1b]8;;x\x1b\\"
    reporter.run_done(RunResult(image="web[/]", index=0, status=RunStatus.CRASHED, error=hostile), warmup=False)
    reporter.building("api[red]", None)
    text = out.getvalue()
    assert "[bold]loud[/bold]" in text and "[link=https://example.invalid]" in text and "web[/]" in text
    assert "api[red]" in text
    assert "\x1b]8" not in text and "\\x1b]8" in text  # the app's escape is shown, not sent
