"""``newsarchive crawl``: crawl one site for a date range (runs Scrapy in its own process)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from pipeline.archive.crawlreport import read_crawl_report
from pipeline.archive.store import open_store
from pipeline.cli.common import (
    ExamplesHelpFormatter,
    check_archive,
    check_range,
    check_sites,
    iso_date,
)
from pipeline.config.settings import Settings
from pipeline.crawl.hostlease import site_leases
from pipeline.crawl.process import crawl_overrides, run_spider, spider_command, spider_env
from pipeline.run.plan import days_between
from pipeline.run.verdict import FAILED, judge

EXAMPLES = """\
examples:
  newsarchive crawl --site metro-wire --since 2024-03-01
  newsarchive crawl --site metro-wire --since 2024-03-01 --until 2024-03-07 \\
      --sites-file sites.yaml --archive /tmp/try -s CLOSESPIDER_PAGECOUNT=50
"""


def register(subparsers: Any) -> None:
    """Add the ``crawl`` subcommand."""
    parser = subparsers.add_parser(
        "crawl", help="crawl one site for a date range into the archive",
        description="Run the news spider for one site and window; raw WARCs go to the archive "
                    "and the crawl report to staging/<run id>/crawl/. Nothing is extracted or "
                    "published: `newsarchive run` does the whole pipeline.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--site", required=True, help="site id from sites.yaml")
    parser.add_argument("--since", type=iso_date, help="first day, YYYY-MM-DD (required)")
    parser.add_argument("--until", type=iso_date, help="last day, YYYY-MM-DD (default: --since)")
    # the flags of earlier releases, kept working but no longer shown
    parser.add_argument("--start", dest="since", type=iso_date, help=argparse.SUPPRESS)
    parser.add_argument("--end", dest="until", type=iso_date, help=argparse.SUPPRESS)
    parser.add_argument("--partition", type=iso_date,
                        help="write every capture to this one partition (default: each capture "
                             "to its own day of the window, one crawl report per day)")
    parser.add_argument("--run-id", help="run id (default: manual__<timestamp>)")
    parser.add_argument("--today", type=iso_date,
                        help="the date treated as today (default: the UTC date)")
    parser.add_argument("--sites-file", help="sites.yaml (default: NEWSARCHIVE_SITES_FILE)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("-s", "--set", action="append", default=[], metavar="NAME=VALUE",
                        help="Scrapy setting override (repeatable; wins over "
                             "NEWSARCHIVE_CRAWL_SETTINGS)")
    parser.set_defaults(func=run, parser=parser)


def scrapy_command(args: argparse.Namespace, run_id: str, settings: Settings) -> list[str]:
    """The ``python -m scrapy crawl news ...`` command line for ``args``.

    ``NEWSARCHIVE_CRAWL_SETTINGS`` apply as in ``newsarchive run``; ``-s`` wins over them.
    """
    return spider_command(
        args.site, args.since, args.until, run_id=run_id, partition=args.partition,
        today=args.today, sites_file=args.sites_file, archive_url=args.archive,
        overrides=crawl_overrides(settings, args.set))


def run(args: argparse.Namespace) -> int:
    """Run the crawl and print its report summary."""
    if args.since is None:
        args.parser.error("the following arguments are required: --since")
    check_range(args.parser, args.since, args.until or args.since)
    run_id = args.run_id or f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M%S}Z"
    settings = Settings.from_env()
    check_sites(args.parser, [args.site], args.sites_file or settings.sites_file)
    check_archive(args.archive, settings)  # before any fetch
    store = open_store(args.archive, settings)
    # one crawl per host at a time across runs and workers (a bounded wait, counted)
    with site_leases(store, settings, args.site, owner=f"{run_id}/{args.site}",
                     sites_file=args.sites_file) as leases:
        # SIGINT/SIGTERM stop the crawl process too (bounded), then exit 130/143
        status = run_spider(scrapy_command(args, run_id, settings), spider_env(settings),
                            capture=False).returncode
    days = [args.partition] if args.partition else days_between(
        str(args.since), str(args.until or args.since))
    summaries, failed = [], False
    for day in days:  # a window crawl writes one report per day partition
        report = read_crawl_report(store, run_id, args.site, day)
        if report is None:
            print(f"newsarchive crawl: no crawl report for {day} (scrapy exited {status})",
                  file=sys.stderr)
            return status or 1
        doc = report.to_json()
        summary = {k: doc[k] for k in ("site", "partition", "run_id", "finish_reason",
                                       "discovered", "fetched", "skipped", "errors", "warc_keys")}
        verdict = judge(report)
        summary["verdict"] = verdict.to_json()
        summary["host_wait"] = leases.result.to_json()
        summaries.append(summary)
        if verdict.coverage == FAILED:  # the site could not be read: say which and why
            print(f"newsarchive crawl: {args.site} {report.partition} failed ({verdict.reason}): "
                  f"{'; '.join(verdict.notes)}", file=sys.stderr)
            failed = True
    # one day: its summary; a window: the list of its days' summaries
    print(json.dumps(summaries[0] if len(summaries) == 1 else summaries, indent=1))
    return (status or 1) if failed else status
