"""``newsarchive crawl``: crawl one site for a date range (runs Scrapy in its own process)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from typing import Any

from pipeline.archive.crawlreport import read_crawl_report
from pipeline.archive.store import open_store
from pipeline.cli.common import check_range, iso_date
from pipeline.config.settings import Settings
from pipeline.crawl.process import spider_command, spider_env


def register(subparsers: Any) -> None:
    """Add the ``crawl`` subcommand."""
    parser = subparsers.add_parser(
        "crawl", help="crawl one site for a date range into the archive",
        description="Run the news spider for one site and window; raw WARCs go to the archive "
                    "and the crawl report to staging/<run id>/crawl/.")
    parser.add_argument("--site", required=True, help="site id from sites.yaml")
    parser.add_argument("--start", type=iso_date, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--end", type=iso_date, help="last day, YYYY-MM-DD (default: --start)")
    parser.add_argument("--partition", type=iso_date, help="partition date (default: --start)")
    parser.add_argument("--run-id", help="run id (default: manual__<timestamp>)")
    parser.add_argument("--today", type=iso_date,
                        help="the date treated as today (default: the UTC date)")
    parser.add_argument("--sites-file", help="sites.yaml (default: NEWSARCHIVE_SITES_FILE)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Scrapy setting override (repeatable)")
    parser.set_defaults(func=run, parser=parser)


def scrapy_command(args: argparse.Namespace, run_id: str) -> list[str]:
    """The ``python -m scrapy crawl news ...`` command line for ``args``."""
    return spider_command(
        args.site, args.start, args.end, run_id=run_id, partition=args.partition,
        today=args.today, sites_file=args.sites_file, archive_url=args.archive,
        overrides=args.set)


def run(args: argparse.Namespace) -> int:
    """Run the crawl and print its report summary."""
    check_range(args.parser, args.start, args.end or args.start)
    run_id = args.run_id or f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M%S}Z"
    settings = Settings.from_env()
    status = subprocess.call(scrapy_command(args, run_id), env=spider_env(settings))
    store = open_store(args.archive, settings)
    report = read_crawl_report(store, run_id, args.site, args.partition or args.start)
    if report is None:
        print(f"newsarchive crawl: no crawl report (scrapy exited {status})", file=sys.stderr)
        return status or 1
    doc = report.to_json()
    summary = {k: doc[k] for k in ("site", "partition", "run_id", "finish_reason",
                                   "discovered", "fetched", "skipped", "errors", "warc_keys")}
    print(json.dumps(summary, indent=1))
    return status
