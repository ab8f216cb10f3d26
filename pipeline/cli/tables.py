"""Tables a person reads: the run report and the archive status, rendered with Rich.

On a terminal the tables have colour; piped or redirected, Rich writes the same table as plain
text (no escape codes), 120 columns wide unless ``COLUMNS`` says otherwise. The lines under a
table (errors, notes) are never wrapped, so a reason can be copied or grepped whole.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from pipeline.archive.coverage import DayCoverage, coverage_totals
from pipeline.archive.runreport import STAGES

PIPED_WIDTH = 120
"""Columns of the table when stdout is not a terminal and ``COLUMNS`` is not set."""

VERDICT_STYLES = {"published": "green", "complete": "green", "unchanged": "green",
                  "partial": "yellow", "missing": "red", "corrupt": "red", "failed": "bold red"}

ERROR_PREFIX = "crawl:errors:"
"""Counters of failed requests by kind (crawl report ``errors``): the ``failures`` column."""


def console() -> Console:
    """A console on stdout, built per call (so a redirected or captured stdout is honoured)."""
    out = Console(file=sys.stdout, highlight=False, soft_wrap=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out = Console(file=sys.stdout, highlight=False, soft_wrap=False, width=PIPED_WIDTH)
    return out


def verdict(part: Mapping[str, Any]) -> str:
    """A report entry's verdict.

    ``failed``, ``partial`` (committed with partial coverage), or the entry's status:
    ``published``, ``complete`` (already committed, left alone) or ``unchanged``.
    """
    status = str(part.get("status", "?"))
    if status != "failed" and part.get("coverage") == "partial":
        return "partial"
    return status


def failures(counts: Mapping[str, Any]) -> int | None:
    """Failed requests of a crawl (every ``crawl:errors:*`` counter), ``None`` without counts."""
    if not counts:
        return None
    return sum(int(v) for k, v in counts.items() if k.startswith(ERROR_PREFIX))


def _line(out: Console, text: str) -> None:
    """One plain line: no markup, never wrapped."""
    out.print(text, markup=False, soft_wrap=True)


def _cell(value: int | None) -> str:
    return "-" if value is None else str(value)


def _styled(word: str) -> str:
    style = VERDICT_STYLES.get(word)
    return f"[{style}]{word}[/{style}]" if style else word


def duration(seconds: Any) -> str:
    """Seconds as a person reads them: ``0.4 s``, ``12 s``, ``3 min 05 s``, ``1 h 02 min``."""
    if seconds is None:
        return "-"
    value = float(seconds)
    if value < 10:
        return f"{value:.1f} s"
    whole = round(value)
    if whole < 3600:
        return f"{whole} s" if whole < 60 else f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def stage_line(report: Mapping[str, Any]) -> str:
    """``crawl 12 s, extract 3.1 s, dedup 0.2 s, publish 1.0 s`` (empty without timings)."""
    stages = report.get("stages") or {}
    ordered = sorted(stages, key=lambda s: (STAGES.index(s) if s in STAGES else 99, s))
    return ", ".join(f"{name} {duration(stages[name].get('seconds'))}" for name in ordered)


def article_cells(counts: Mapping[str, Any]) -> list[str]:
    """The articles, unique, duplicates and failures cells of a report row."""
    records = counts.get("records")
    unique = counts.get("unique")
    duplicates = None if records is None or unique is None else int(records) - int(unique)
    return [_cell(records), _cell(unique), _cell(duplicates), _cell(failures(counts))]


def remark(part: Mapping[str, Any]) -> str:
    """A report row's remarks: why it failed, or its notes and anomaly."""
    if part.get("status") == "failed":
        return " ".join(str(x) for x in (part.get("stage"), part.get("reason")) if x)
    remarks = []
    if part.get("coverage_notes"):
        remarks.append(f"{len(part['coverage_notes'])} coverage note(s)")
    if part.get("anomaly"):
        remarks.append("ANOMALY")
    return ", ".join(remarks)


def print_report(report: Mapping[str, Any], out: Console | None = None) -> None:
    """Print a run report: heading, one row per site-day with totals, then what went wrong.

    The heading gives the run's wall-clock time and each stage's (summed over site-days for the
    crawl and extraction, once for the run's dedup and publish step); the ``duration`` column is
    a site-day's own time (crawl + extraction). Reports written before timings were recorded
    (report version < 3) show ``-``.
    """
    out = out or console()
    status = "OK" if report.get("ok") else "FAILURES"
    _line(out, f"run {report['run_id']} ({report.get('kind', '?')}): {status}")
    statuses = ", ".join(f"{k} {v}" for k, v in report.get("partitions_by_status", {}).items())
    _line(out, f"  partitions: {statuses or 'none'}")
    if report.get("started_at") and report.get("finished_at"):
        _line(out, f"  ran: {report['started_at']} to {report['finished_at']} "
                   f"({duration(report.get('duration_s'))})")
    elif report.get("finished_at"):
        _line(out, f"  finished at: {report['finished_at']}")
    if report.get("stages"):
        _line(out, f"  stages: {stage_line(report)}")
    parts: Sequence[Mapping[str, Any]] = report.get("partitions", [])
    if parts:
        table = Table(box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False)
        table.add_column("date", footer="total")
        table.add_column("site")
        table.add_column("verdict")
        for name, value in zip(("articles", "unique", "duplicates", "failures"),
                               article_cells(report.get("totals") or {}), strict=True):
            table.add_column(name, justify="right", footer=value)
        table.add_column("duration", justify="right",
                         footer=duration(report.get("duration_s")))
        table.add_column("remarks")
        for part in parts:
            table.add_row(str(part["date"]), str(part["site"]), _styled(verdict(part)),
                          *article_cells(part.get("counts") or {}),
                          duration(part.get("duration_s")), Text(remark(part)))
        out.print(table)
    _print_problems(report, parts, out)


def _print_problems(report: Mapping[str, Any], parts: Sequence[Mapping[str, Any]],
                    out: Console) -> None:
    lines: list[str] = []
    if report.get("plan_error"):
        lines.append(f"planning failed: {report['plan_error']}")
    for bad in report.get("invalid_sites", []):
        lines.append(f"invalid site {bad.get('site')}: {bad.get('error')}")
    failed = [p for p in parts if p.get("status") == "failed"]
    if failed:
        lines.append("failures:")
        for part in failed:
            reason = f" ({part['reason']})" if part.get("reason") else ""
            lines.append(f"  {part['date']} {part['site']}: {part.get('stage')} failed"
                         f"{reason}: {part.get('error')}")
    noted = [p for p in parts if p.get("coverage_notes")]
    if noted:
        lines.append("coverage notes:")
        for part in noted:
            lines += [f"  {part['date']} {part['site']}: {note}"
                      for note in part["coverage_notes"]]
    anomalies = report.get("anomalies") or [
        {"site": p["site"], "date": p["date"], **p["anomaly"]} for p in parts
        if p.get("anomaly")]
    if anomalies:
        lines.append("anomalies:")
        lines += [f"  ANOMALY {a.get('date')} {a.get('site')}: {a.get('message')}"
                  for a in anomalies]
    for line in lines:
        _line(out, line)


def print_status(rows: Sequence[DayCoverage], out: Console | None = None) -> None:
    """Print the archive's coverage: one row per site-day, totals, then the notes."""
    out = out or console()
    totals = coverage_totals(rows)
    states = ", ".join(f"{k} {v}" for k, v in totals["by_state"].items())
    _line(out, f"{totals['site_days']} site-days: {states or 'none'}")
    if not rows:
        return
    table = Table(box=box.SIMPLE_HEAD, show_footer=True, pad_edge=False)
    table.add_column("site", footer="total")
    table.add_column("date")
    table.add_column("coverage")
    table.add_column("articles", justify="right", footer=str(totals["articles"]))
    table.add_column("unique", justify="right", footer=str(totals["unique"]))
    table.add_column("anomaly")
    table.add_column("run")
    for row in rows:
        table.add_row(row.site, row.date.isoformat(), _styled(row.state), _cell(row.articles),
                      _cell(row.unique), "[red]ANOMALY[/red]" if row.anomaly else "",
                      Text(row.run_id or ""))
    out.print(table)
    noted = [r for r in rows if r.notes]
    if noted:
        _line(out, "coverage notes:")
        for row in noted:
            for note in row.notes:
                _line(out, f"  {row.site} {row.date}: {note}")
    flagged = [r for r in rows if r.anomaly]
    if flagged:
        _line(out, "anomalies:")
        for row in flagged:
            _line(out, f"  ANOMALY {row.date} {row.site}: {row.anomaly}")
