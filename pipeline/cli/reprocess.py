"""``newsarchive reprocess``: rebuild normalized partitions from the raw WARCs (no re-crawl)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from typing import Any

from pipeline.cli.common import (
    ExamplesHelpFormatter,
    check_range,
    check_sites,
    finish_run,
    for_each_partition,
    iso_date,
)
from pipeline.config.settings import Settings
from pipeline.run import tasks

EXAMPLES = """\
examples:
  newsarchive reprocess --since 2024-03-01 --until 2024-03-31
  newsarchive reprocess --since 2024-03-01 --until 2024-03-01 --site metro-wire
"""


def register(subparsers: Any) -> None:
    """Add the ``reprocess`` subcommand."""
    parser = subparsers.add_parser(
        "reprocess", help="rebuild normalized partitions from raw WARCs",
        description="Extract, deduplicate and publish again every partition of the range that "
                    "has raw WARCs, with the current extraction rules.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--since", type=iso_date, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, required=True, help="last day, YYYY-MM-DD")
    parser.add_argument("--site", action="append",
                        help="only this site (repeatable); a site with raw WARCs in the range, "
                             "or one listed in sites.yaml (else: usage error, exit 2)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--run-id", help="run id (default: reprocess__<timestamp>)")
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Reprocess; exit 1 when any partition failed."""
    check_range(args.parser, args.since, args.until)
    settings = Settings.from_env(**({"archive_url": args.archive} if args.archive else {}))
    run_id = args.run_id or f"reprocess__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M%S}Z"
    items = tasks.reprocess_plan(str(args.since), str(args.until), args.site, settings=settings)
    with_raw = {str(i["site"]) for i in items}
    # a site with raw WARCs needs no sites.yaml entry; any other must at least be a known site
    check_sites(args.parser, [s for s in args.site or [] if s not in with_raw],
                settings.sites_file)
    if not items:
        print(f"no raw WARCs between {args.since} and {args.until}", file=sys.stderr)
        return 0
    extracted, failures = for_each_partition(
        items, lambda item: tasks.extract(item, run_id, settings=settings), desc="extract",
        stage_of=lambda exc: "extract")
    plan_items = [{"site": i["site"], "date": i["date"]} for i in items]
    finish_run(run_id, plan_items, extracted, failures, kind="reprocess", settings=settings)
    return 1 if failures else 0
