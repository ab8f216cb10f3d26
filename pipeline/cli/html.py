"""``--html FILE`` of ``report`` and ``status``: one self-contained page, a table and a chart.

The page needs nothing but itself: the style is inline, the chart is inline SVG (one bar per
site-day, articles as its height; failed and missing days drawn as a red mark on the axis,
partial days in amber), no script, no font, no image, no link to anything. Every value from the
archive is escaped (a site id or an error message is text, never markup).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from pipeline.archive.coverage import DayCoverage, coverage_totals
from pipeline.cli.tables import article_cells, duration, remark, stage_line, verdict
from pipeline.errors import ConfigError

CHART_HEIGHT = 220
"""Pixels of the chart's plot area."""
BAR_WIDTH = 18
BAR_GAP = 6
FAILED_WORDS = ("failed", "missing", "corrupt")
"""Verdicts and states drawn as failures (red, a mark on the axis)."""

LEGEND = ('<p class="meta">bar height: articles; <span class="complete">green</span>: '
          'committed, <span class="partial">amber</span>: partial, <span class="failed">red x'
          '</span>: failed or missing (hover a bar for its numbers)</p>')

STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; background: #fff; }
h1 { font-size: 1.3em; } p.meta { color: #555; margin: .2em 0; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: .25em .7em; border-bottom: 1px solid #ddd; text-align: left;
         white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tfoot td { font-weight: bold; border-top: 2px solid #999; }
.failed, .missing, .corrupt { color: #b00020; font-weight: bold; }
.partial { color: #a86400; } .complete, .published, .unchanged { color: #1b7f3b; }
ul.problems li { font-family: ui-monospace, monospace; white-space: pre-wrap; }
svg { border: 1px solid #ddd; background: #fafafa; }
"""


@dataclass(frozen=True)
class Bar:
    """One site-day of the chart."""

    site: str
    date: str
    articles: int
    state: str


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def chart(bars: Sequence[Bar]) -> str:
    """Inline SVG: one ``rect.bar`` per site-day (``data-site``, ``data-date``, a ``title``).

    Failed and missing days get a red bar of a few pixels and an ``x`` under the axis (class
    ``failure``), so they stand out however many articles the others have.
    """
    top = max((b.articles for b in bars), default=0) or 1
    left, bottom = 48, 140  # room for the rotated "MM-DD site" labels
    width = max(320, left + len(bars) * (BAR_WIDTH + BAR_GAP) + BAR_GAP + 60)
    height = CHART_HEIGHT + bottom + 10
    base = 10 + CHART_HEIGHT
    parts = [f'<svg width="{width}" height="{height}" '
             f'role="img" aria-label="articles per site-day">',
             f'<line x1="{left}" y1="{base}" x2="{width}" y2="{base}" stroke="#444"/>',
             f'<text x="{left - 6}" y="16" text-anchor="end" font-size="11">{top}</text>',
             f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="11">0</text>']
    for i, bar in enumerate(bars):
        x = left + BAR_GAP + i * (BAR_WIDTH + BAR_GAP)
        failed = bar.state in FAILED_WORDS
        h = 4 if failed else max(1, round(CHART_HEIGHT * bar.articles / top))
        colour = "#b00020" if failed else "#e0a000" if bar.state == "partial" else "#2e7d32"
        label = f"{bar.site} {bar.date}: {bar.articles} articles ({bar.state})"
        parts.append(
            f'<rect class="bar {_e(bar.state)}" data-site="{_e(bar.site)}" '
            f'data-date="{_e(bar.date)}" data-articles="{bar.articles}" x="{x}" y="{base - h}" '
            f'width="{BAR_WIDTH}" height="{h}" fill="{colour}"><title>{_e(label)}</title></rect>')
        if failed:
            parts.append(f'<text class="failure" x="{x + BAR_WIDTH / 2}" y="{base + 14}" '
                         f'text-anchor="middle" fill="#b00020" font-weight="bold">x</text>')
        parts.append(f'<text x="{x + BAR_WIDTH / 2}" y="{base + 22}" font-size="10" '
                     f'transform="rotate(60 {x + BAR_WIDTH / 2} {base + 22})">'
                     f'{_e(bar.date[5:])} {_e(bar.site)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _table(head: Sequence[str], rows: Iterable[Sequence[tuple[str, str]]],
           foot: Sequence[str] | None, numeric: set[int]) -> str:
    def cls(i: int, extra: str = "") -> str:
        names = " ".join(n for n in ("num" if i in numeric else "", extra) if n)
        return f' class="{_e(names)}"' if names else ""

    out = ["<table>", "<thead><tr>" + "".join(f"<th{cls(i)}>{_e(h)}</th>"
                                              for i, h in enumerate(head)) + "</tr></thead>",
           "<tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td{cls(i, style)}>{_e(text)}</td>"
                                    for i, (text, style) in enumerate(row)) + "</tr>")
    out.append("</tbody>")
    if foot is not None:
        out.append("<tfoot><tr>" + "".join(f"<td{cls(i)}>{_e(t)}</td>"
                                           for i, t in enumerate(foot)) + "</tr></tfoot>")
    out.append("</table>")
    return "\n".join(out)


def _page(title: str, body: Sequence[str]) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><style>{STYLE}</style></head>\n<body>\n"
            f"<h1>{_e(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n")


def _list(title: str, lines: Sequence[str]) -> list[str]:
    if not lines:
        return []
    return [f"<h2>{_e(title)}</h2>", '<ul class="problems">'] + \
        [f"<li>{_e(line)}</li>" for line in lines] + ["</ul>"]


def report_page(report: Mapping[str, Any]) -> str:
    """The run report as a page.

    The heading, the table of ``newsarchive report``, the chart, then failures, coverage notes
    and anomalies with their reasons.
    """
    parts: Sequence[Mapping[str, Any]] = report.get("partitions", [])
    status = "OK" if report.get("ok") else "FAILURES"
    body = [f'<p class="meta">{_e(report.get("kind", "?"))} run: '
            f'<b class="{"complete" if report.get("ok") else "failed"}">{status}</b></p>']
    if report.get("started_at") and report.get("finished_at"):
        body.append(f'<p class="meta">ran {_e(report["started_at"])} to '
                    f'{_e(report["finished_at"])} ({_e(duration(report.get("duration_s")))})</p>')
    if report.get("stages"):
        body.append(f'<p class="meta">stages: {_e(stage_line(report))}</p>')
    rows = [[(str(p["date"]), ""), (str(p["site"]), ""), (verdict(p), verdict(p)),
             *[(c, "") for c in article_cells(p.get("counts") or {})],
             (duration(p.get("duration_s")), ""), (remark(p), "")] for p in parts]
    foot = ["total", "", "", *article_cells(report.get("totals") or {}),
            duration(report.get("duration_s")), ""]
    body.append(_table(["date", "site", "verdict", "articles", "unique", "duplicates",
                        "failures", "duration", "remarks"], rows, foot, {3, 4, 5, 6, 7}))
    bars = [Bar(str(p["site"]), str(p["date"]), int((p.get("counts") or {}).get("records", 0)),
                verdict(p)) for p in parts]
    body += ["<h2>Articles per site-day</h2>", LEGEND, chart(bars)]
    problems = [f"planning failed: {report['plan_error']}"] if report.get("plan_error") else []
    problems += [f"invalid site {b.get('site')}: {b.get('error')}"
                 for b in report.get("invalid_sites", [])]
    problems += [f"{p['date']} {p['site']}: {p.get('stage')} failed"
                 f"{' (' + str(p['reason']) + ')' if p.get('reason') else ''}: {p.get('error')}"
                 for p in parts if p.get("status") == "failed"]
    body += _list("Failures", problems)
    body += _list("Coverage notes", [f"{p['date']} {p['site']}: {n}" for p in parts
                                     for n in p.get("coverage_notes") or ()])
    body += _list("Anomalies", [f"{a.get('date')} {a.get('site')}: {a.get('message')}"
                                for a in report.get("anomalies") or ()])
    return _page(f"newsarchive run {report.get('run_id')}", body)


def status_page(rows: Sequence[DayCoverage], archive: str) -> str:
    """The archive's coverage as a page.

    Totals, the table of ``newsarchive status``, the chart (missing days marked as failures),
    then coverage notes and anomalies.
    """
    totals = coverage_totals(rows)
    states = ", ".join(f"{k} {v}" for k, v in totals["by_state"].items())
    body = [f'<p class="meta">{_e(archive)}: {totals["site_days"]} site-days: '
            f'{_e(states or "none")}</p>']
    table_rows = [[(r.site, ""), (r.date.isoformat(), ""), (r.state, r.state),
                   ("-" if r.articles is None else str(r.articles), ""),
                   ("-" if r.unique is None else str(r.unique), ""),
                   ("ANOMALY" if r.anomaly else "", "failed" if r.anomaly else ""),
                   (r.run_id or "", "")] for r in rows]
    foot = ["total", "", "", str(totals["articles"]), str(totals["unique"]), "", ""]
    body.append(_table(["site", "date", "coverage", "articles", "unique", "anomaly", "run"],
                       table_rows, foot, {3, 4}))
    bars = [Bar(r.site, r.date.isoformat(), r.articles or 0, r.state) for r in rows]
    body += ["<h2>Articles per site-day</h2>", LEGEND, chart(bars)]
    body += _list("Coverage notes", [f"{r.site} {r.date}: {n}" for r in rows for n in r.notes])
    body += _list("Anomalies", [f"{r.date} {r.site}: {r.anomaly}" for r in rows if r.anomaly])
    return _page("newsarchive status", body)


def write_page(path: str, page: str) -> None:
    """Write the page (UTF-8) and say where on stderr.

    Raises:
        ConfigError: The file cannot be written (naming it and why).
    """
    try:
        Path(path).write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--html {path}: cannot write the page ({exc.strerror or exc})"
                          ) from None
    print(f"wrote {path}", file=sys.stderr)
