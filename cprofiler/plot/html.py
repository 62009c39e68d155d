"""The one-file HTML report: table, recommendation, charts, footnotes, environment and warnings.

Self-contained on purpose: styles inline, charts as inline SVG, no script, no font, no link to
anything outside the file, so it opens from a mail attachment or a CI artefact with no server
and no network.
"""

from __future__ import annotations

import html
import re
from html import escape
from typing import Any

from cprofiler import __version__
from cprofiler.errors import CprofilerError
from cprofiler.load_view import loaded_images
from cprofiler.plot.render import figures, inline_svg
from cprofiler.recommend.criteria import candidates
from cprofiler.recommend.decide import recommend
from cprofiler.report.load_rows import LOAD_COLUMNS, human_load_row, load_footnote, load_rows
from cprofiler.report.marks import alerts, best_cells
from cprofiler.report.rows import columns, comparison_rows, footnote, human_bytes, human_row
from cprofiler.results import derive
from cprofiler.results.kinds import RunStatus
from cprofiler.results.model import Measurement

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1d1d1f; max-width: 1120px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { font-size: 1.2em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: .2em; }
.sub { color: #555; margin-top: 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: .35em .5em; border-bottom: 1px solid #e5e5e5; text-align: right; white-space: nowrap; }
th { background: #f5f5f7; vertical-align: bottom; white-space: normal; }
td:first-child, th:first-child { text-align: left; white-space: normal; min-width: 11em; }
tr.floor td { color: #666; font-style: italic; } .nw { white-space: nowrap; }
td.best { font-weight: 700; background: #e3f4e6; color: #0b5d1e; }
td.best::after { content: " \\2605"; font-size: .85em; }
td.failed { background: #fde2e1; color: #a50e0e; font-weight: 700; }
td.partial, td.near-limit { background: #fff3cd; color: #7a5200; font-weight: 700; }
.notes { color: #444; font-size: 13px; } .notes p { margin: .3em 0; }
.warn { background: #fff8e5; border-left: 4px solid #e0a800; padding: .6em 1em; }
.warn li { margin: .2em 0; }
.verdict { background: #eef5ff; border-left: 4px solid #2f6fdf; padding: .6em 1em; }
.verdict p { margin: .35em 0; }
figure { margin: 1.2em 0 2em; } svg.chart { width: 100%; height: auto; display: block; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1.2em; font-size: 13px; }
dt { color: #555; } dd { margin: 0; }
footer { color: #777; font-size: 12px; margin-top: 3em; }
"""


def render_html(m: Measurement, source: str, charts: list[str] | None = None) -> str:
    """The whole report for ``m`` as one HTML document, with every chart that applies (or those
    named in ``charts``); ``source`` names the results file it came from."""
    scenario = m.settings.scenario_file.rsplit("/", 1)[-1]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>cprofiler: {escape(scenario)}</title><style>{CSS}</style></head><body>",
        f"<h1>Container footprint: {escape(scenario)}</h1>",
        f'<p class="sub">{escape(_subtitle(m))}</p>',
        _warnings(m),
        _verdict(m),
        "<h2>Comparison</h2>",
        _table(m),
        '<div class="notes">' + "".join(f"<p>{escape(line)}</p>" for line in footnote(m).splitlines()) + "</div>",
        _load_table(m),
        _charts(m, charts),
        "<h2>Environment and settings</h2>",
        _environment(m),
        f"<footer>Written by cprofiler {escape(__version__)} from {escape(source)}.</footer>",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p) + "\n"


def _subtitle(m: Measurement) -> str:
    env, s = m.environment, m.settings
    engine = f"Docker {env.engine_version}" if env.engine_version else "an unrecorded engine"
    when = f" on {m.started_at[:10]}" if m.started_at else ""
    return f"{s.runs} runs per image after {s.warmup} warmup, cold level {s.cold or 'warm'}, on {engine}{when}."


def _warnings(m: Measurement) -> str:
    items = []
    if m.interrupted:
        items.append(f"The measurement did not finish: {m.interrupted}. Images may have fewer runs than the others.")
    for entry in m.entries():
        counts = {k: v for k, v in entry.status_counts().items() if k != RunStatus.OK and v}
        if counts:
            what = ", ".join(f"{v} {k}" for k, v in counts.items())
            items.append(f"{entry.label}: {what} of {len(entry.runs)} runs; their figures leave those runs out.")
        items += [f"{entry.label}: {w}" for w in derive.warnings(entry)]
    for li in loaded_images(m):
        if li.load.summary.generator_bound and li.load.summary.qps is not None:
            items.append(
                f"{li.label}: its {li.load.summary.qps.median:,.0f} QPS is generator-bound (near the load generator's own "
                "ceiling): it measured the generator, not the image, which serves at least that. Not a win over another image."
            )
    for image in m.images:
        if image.stand_in is not None:
            items.append(
                f"{image.name} ran on a stand-in base ({image.stand_in.recipe}, {image.stand_in.detail or 'no detail'}) "
                f"instead of {image.stand_in.replaced}: measure the real base before deciding."
            )
    if not items:
        return ""
    return '<h2>Warnings</h2><div class="warn"><ul>' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul></div>"


def _verdict(m: Measurement) -> str:
    try:
        rec = recommend(candidates(m))
    except CprofilerError:
        return ""  # no image has an ok run: the warnings and the table say so
    dominated = [
        f"{r.candidate.label}, by " + "; ".join(f"{d.by} (on {', '.join(d.on)})" for d in r.dominated_by)
        for r in rec.ranking
        if r.dominated_by
    ]
    lines = [
        f"<p><b>Recommendation</b> (every criterion weighed the same; other weights: <code>cprofiler recommend</code>): "
        f"{escape(rec.reason)}</p>",
        f"<p><b>Uncertainty:</b> {escape(rec.uncertainty)}.</p>",
        "<p><b>Pareto set</b> (" + escape(", ".join(rec.compared_on)) + "): "
        f"{escape('; '.join(r.candidate.label for r in rec.pareto))}.</p>",
    ]
    if dominated:
        lines.append(f"<p><b>Dominated:</b> {escape('. '.join(dominated))}.</p>")
    text = "".join(lines)
    # Image names wrap before their stand-in, never at a hyphen inside them.
    labels = sorted((escape(r.candidate.label) for r in rec.ranking), key=len, reverse=True)
    text = re.sub("|".join(map(re.escape, labels)), lambda hit: _label(html.unescape(hit.group())), text)
    return f'<h2>Which image</h2><div class="verdict">{text}</div>'


def _table(m: Measurement) -> str:
    keys = columns(m)
    rows = comparison_rows(m)
    best, bad = best_cells(rows, m), alerts(rows, m)
    head = "".join(f"<th>{escape(h)}</th>" for h in keys.values())
    body = []
    for i, cells in enumerate(human_row(r, keys) for r in rows):
        floor = m.floor is not None and i == len(rows) - 1
        tds = []
        for key, text in zip(keys, cells, strict=True):
            cls = bad.get((i, key)) or ("best" if (i, key) in best else "")
            title = ' title="best of the column"' if cls == "best" else ""
            content = _label(text) if key == "image" else escape(text)
            tds.append(f'<td class="{cls}"{title}>{content}</td>' if cls else f"<td>{content}</td>")
        body.append(f'<tr class="floor">{"".join(tds)}</tr>' if floor else f"<tr>{''.join(tds)}</tr>")
    legend = "★ best of the column among the images; red: every run failed; yellow: some runs failed"
    legend += ", or peak within 10 % of the memory limit."
    return (
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'
        f'<p class="notes">{escape(legend)}</p>'
    )


def _load_table(m: Measurement) -> str:
    """The under-load comparison (``report/load_rows.py``) and its notes; "" without a load phase."""
    rows = load_rows(m)
    if not rows:
        return ""
    head = "".join(f"<th>{escape(h)}</th>" for h in LOAD_COLUMNS.values())
    body = "".join(
        "<tr>" + "".join(f"<td>{_label(c) if k == 0 else escape(c)}</td>" for k, c in enumerate(human_load_row(r))) + "</tr>"
        for r in rows
    )
    notes = "".join(f"<p>{escape(line)}</p>" for line in load_footnote(m).splitlines())
    return (
        f'<h2>Under load</h2><div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        f'<div class="notes">{notes}</div>'
    )


def _label(text: str) -> str:
    """An image label that wraps only before its stand-in, never inside a name at a hyphen."""
    name, sep, rest = text.partition(" (stand-in: ")
    parts = [name] + ([sep.strip() + " " + rest] if sep else [])
    return " ".join(f'<span class="nw">{escape(p)}</span>' for p in parts)


def _charts(m: Measurement, names: list[str] | None) -> str:
    out = []
    for chart, fig in figures(m, names):
        svg = inline_svg(fig, salt=chart.name)
        out.append(f'<figure id="{chart.name}" aria-label="{escape(chart.title)}">{svg}</figure>')
    return "<h2>Charts</h2>\n" + "\n".join(out) if out else ""


def _environment(m: Measurement) -> str:
    env, s = m.environment, m.settings
    facts: list[tuple[str, Any]] = [
        ("engine", env.engine_version and f"Docker {env.engine_version} (API {env.api_version})"),
        ("kernel", env.kernel),
        ("operating system", env.os),
        ("cgroup", env.cgroup_version and f"v{env.cgroup_version}, {env.cgroup_driver} driver"),
        ("storage driver", env.storage_driver),
        ("CPU", env.cpu_model and f"{env.cpu_count} × {env.cpu_model}"),
        ("engine sees", env.engine_cpus and f"{env.engine_cpus} CPUs, {human_bytes(env.engine_memory_bytes)}"),
        ("scenario", s.scenario_file),
        ("runs", f"{s.runs} per image after {s.warmup} warmup, {s.order}" + (f", seed {s.seed}" if s.seed is not None else "")),
        ("cold level", s.cold),
        ("settle, timeout", f"{s.settle_s:g} s after ready; {s.timeout_s:g} s to become ready"),
        (
            "probe",
            s.probe_via and f"{s.probe_via}, polled every {s.probe_interval_ms:g} ms" if s.probe_interval_ms else s.probe_via,
        ),
        ("runtime floor", "measured each round" if s.floor else "not measured"),
        ("started, finished", " → ".join(x for x in (m.started_at, m.finished_at) if x)),
        ("cprofiler, Python", f"{m.cprofiler_version}, Python {env.python}" if env.python else m.cprofiler_version),
    ]
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in facts if v)
    return f"<dl>{items}</dl>"
