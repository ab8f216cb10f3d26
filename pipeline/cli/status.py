"""``newsarchive status``: the archive's coverage per site and day, read from the manifests."""

from __future__ import annotations

import argparse
from typing import Any

from pipeline.archive.coverage import archive_coverage, coverage_totals
from pipeline.archive.store import open_store
from pipeline.cli.common import ExamplesHelpFormatter, check_range, dumps, iso_date
from pipeline.cli.read import check_archived_sites
from pipeline.cli.tables import print_status
from pipeline.config.settings import Settings

EXAMPLES = """\
examples:
  newsarchive status                                   # every site, first to last committed day
  newsarchive status --site metro-wire --since 2024-03-01 --until 2024-03-31
  newsarchive status --archive s3://news/archive --since 2024-03-01 --json
"""


def register(subparsers: Any) -> None:
    """Add the ``status`` subcommand."""
    parser = subparsers.add_parser(
        "status", help="the archive's coverage per site and day (complete/partial/missing)",
        description="Show, per site and day, whether the archive holds a complete or partial "
                    "partition or none (missing: a day in the range without a manifest, for a "
                    "site that has manifests), with article counts and coverage notes. Without "
                    "--since/--until each site's range is its first to last committed day.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--site", action="append",
                        help="only this site (repeatable); a site the archive has no committed "
                             "partition of is an error (exit 2)")
    parser.add_argument("--since", type=iso_date, help="first date, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, help="last date, YYYY-MM-DD")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--json", action="store_true",
                        help='print {"archive", "totals", "days"} as JSON instead of the table')
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Print the coverage table (or JSON); exit 0 whatever the coverage."""
    if args.since and args.until:
        check_range(args.parser, args.since, args.until)
    store = open_store(args.archive, Settings.from_env())
    check_archived_sites(args.parser, store, args.site or [])
    rows = archive_coverage(store, args.site, args.since, args.until)
    if args.json:
        print(dumps({"archive": store.url, "totals": coverage_totals(rows),
                     "days": [r.to_json() for r in rows]}))
    else:
        print_status(rows)
    return 0
