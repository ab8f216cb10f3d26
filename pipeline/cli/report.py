"""``newsarchive report``: show a run report as a table (or its JSON document)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from pipeline.archive.runreport import list_runs, read_report
from pipeline.archive.store import open_store
from pipeline.cli.common import ExamplesHelpFormatter
from pipeline.cli.tables import print_report
from pipeline.config.settings import Settings
from pipeline.errors import ConfigError, ObjectNotFound

EXAMPLES = """\
examples:
  newsarchive report                                  # the latest run
  newsarchive report --list
  newsarchive report --html run.html                  # a page with the table and a chart
  newsarchive report --archive s3://news/archive scheduled__2024-03-02T00:00:00+00:00 --json
"""


def register(subparsers: Any) -> None:
    """Add the ``report`` subcommand."""
    parser = subparsers.add_parser(
        "report", help="show a run report (runs/<run id>.json)",
        description="Show a run report: one row per site-day (verdict, articles, unique, "
                    "duplicates, failed requests, duration), the run's totals and stage "
                    "durations, then failures with their reasons, coverage notes and "
                    "anomalies. Exit 1 when the run had failures.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("run_id", nargs="?", help="run id (default: the latest report)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--json", action="store_true",
                        help="print the report document (JSON) instead of the table")
    parser.add_argument("--html", metavar="FILE",
                        help="also write the report as one self-contained HTML page (the "
                             "table and an SVG chart of articles per site-day)")
    parser.add_argument("--list", action="store_true", help="list the runs with a report")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the report; exit 1 when the run had failures."""
    store = open_store(args.archive, Settings.from_env())
    runs = list_runs(store)
    if args.list:
        print("\n".join(runs))
        return 0
    if not runs:
        raise ConfigError(f"{store.url}: no run reports yet")
    try:
        report = read_report(store, args.run_id or _latest(store, runs))
    except ObjectNotFound:
        raise ConfigError(f"no run report {args.run_id!r} in {store.url} ({len(runs)} runs; "
                          "newsarchive report --list shows them)") from None
    if args.html:
        from pipeline.cli.html import report_page, write_page

        write_page(args.html, report_page(report))
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_report(report)
    return 0 if report.get("ok") else 1


def _latest(store: Any, runs: list[str]) -> str:
    """The run whose report was written last."""
    def finished(run_id: str) -> str:
        return str(read_report(store, run_id).get("finished_at", ""))
    return max(runs, key=lambda r: (finished(r), r))
