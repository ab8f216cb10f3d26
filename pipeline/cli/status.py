"""``newsarchive status``: the archive's coverage per site and day, read from the manifests."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Sequence
from typing import Any

from pipeline.archive.coverage import DayCoverage, archive_coverage, coverage_totals
from pipeline.archive.store import ArchiveStore, open_store
from pipeline.cli.common import ExamplesHelpFormatter, check_range, dumps, iso_date
from pipeline.cli.read import check_archived_sites
from pipeline.cli.tables import print_status
from pipeline.config.settings import Settings
from pipeline.run import anomaly

EXAMPLES = """\
examples:
  newsarchive status                                   # every site, first to last committed day
  newsarchive status --site metro-wire --since 2024-03-01 --until 2024-03-31
  newsarchive status --archive s3://news/archive --since 2024-03-01 --json
  newsarchive status --html status.html               # a page with the table and a chart
"""


def register(subparsers: Any) -> None:
    """Add the ``status`` subcommand."""
    parser = subparsers.add_parser(
        "status", help="the archive's coverage per site and day (complete/partial/missing)",
        description="Show, per site and day, whether the archive holds a complete or partial "
                    "partition or none (missing: a day in the range without a manifest, for a "
                    "site that has manifests), with article counts, coverage notes and "
                    "anomalies (a complete day far below the site's recent days, as in the run "
                    "report). Without --since/--until each site's range is its first to last "
                    "committed day.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--site", action="append",
                        help="only this site (repeatable); a site the archive has no committed "
                             "partition of is an error (exit 2)")
    parser.add_argument("--since", type=iso_date, help="first date, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, help="last date, YYYY-MM-DD")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--json", action="store_true",
                        help='print {"archive", "totals", "days"} as JSON instead of the table')
    parser.add_argument("--html", metavar="FILE",
                        help="also write the coverage as one self-contained HTML page (the "
                             "table and an SVG chart of articles per site-day)")
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Print the coverage table (or JSON); exit 0 whatever the coverage."""
    if args.since and args.until:
        check_range(args.parser, args.since, args.until)
    settings = Settings.from_env()
    store = open_store(args.archive, settings)
    check_archived_sites(args.parser, store, args.site or [])
    rows = with_anomalies(store, archive_coverage(store, args.site, args.since, args.until),
                          settings)
    if args.html:
        from pipeline.cli.html import status_page, write_page

        write_page(args.html, status_page(rows, store.url))
    if args.json:
        print(dumps({"archive": store.url, "totals": coverage_totals(rows),
                     "days": [r.to_json() for r in rows]}))
    else:
        print_status(rows)
    return 0


def with_anomalies(store: ArchiveStore, rows: Sequence[DayCoverage],
                   settings: Settings) -> list[DayCoverage]:
    """Flag each complete day far below its site's recent days.

    The run report's check (:func:`pipeline.run.anomaly.check`, settings ``anomaly_share`` and
    ``anomaly_history_days``), each manifest read once.
    """
    history = anomaly.History(store)
    flagged = []
    for row in rows:
        flag = None
        if row.state == "complete":
            flag = anomaly.check(history, row.site, row.date, share=settings.anomaly_share,
                                 days=settings.anomaly_history_days)
        flagged.append(dataclasses.replace(row, anomaly=flag["message"]) if flag else row)
    return flagged
