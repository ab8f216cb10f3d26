"""``newsarchive run``: the whole pipeline for a date range, without Airflow.

The same task functions as the Airflow DAGs (:mod:`pipeline.run.tasks`), run one after the other in
this process (the crawls still run in their own processes), with a progress display. For
schedules, retries and parallel workers, use the DAGs.

The archive is checked writable before any fetch. Ctrl-C or SIGTERM stops the crawl process too
and exits 130 or 143 without publishing anything more (see ``docs/operations.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from pipeline.cli.common import (
    ExamplesHelpFormatter,
    check_archive,
    check_range,
    check_sites,
    finish_run,
    for_each_partition,
    iso_date,
    positive_int,
)
from pipeline.config.settings import Settings
from pipeline.run import tasks

EXAMPLES = """\
examples:
  newsarchive run --since 2024-03-01                  # one day, every site of sites.yaml
  newsarchive run --since 2024-03-01 --until 2024-03-07 --site metro-wire --page-cap 200
"""


def register(subparsers: Any) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run", help="crawl, extract, deduplicate and publish a date range (no Airflow)",
        description="Run the nightly pipeline for each day of a range, like a manual DAG run.",
        epilog=EXAMPLES, formatter_class=ExamplesHelpFormatter)
    parser.add_argument("--since", type=iso_date, required=True, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", type=iso_date, help="last day (default: --since)")
    parser.add_argument("--site", action="append", help="only this site (repeatable)")
    parser.add_argument("--sites-file", help="sites.yaml (default: NEWSARCHIVE_SITES_FILE)")
    parser.add_argument("--archive", help="archive root (default: NEWSARCHIVE_ARCHIVE_URL)")
    parser.add_argument("--page-cap", type=positive_int, metavar="N",
                        help="at most N pages per site and day (N >= 1; default: no cap)")
    parser.add_argument("--force", action="store_true",
                        help="crawl again partitions that are already committed")
    parser.add_argument("--run-id", help="run id (default: manual__<timestamp>)")
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    """Run every stage; exit 1 when any partition failed."""
    until = args.until or args.since
    check_range(args.parser, args.since, until)
    overrides: dict[str, Any] = {}
    if args.archive:
        overrides["archive_url"] = args.archive
    if args.sites_file:
        overrides["sites_file"] = args.sites_file
    settings = Settings.from_env(**overrides)
    check_sites(args.parser, args.site, settings.sites_file)
    run_id = args.run_id or f"manual__{dt.datetime.now(dt.UTC):%Y-%m-%dT%H%M%S}Z"
    items = tasks.plan(str(args.since), str(until), args.site, settings.sites_file or None)
    check_archive(settings.archive_url, settings)  # before any fetch

    def crawl_and_extract(item: dict[str, Any]) -> dict[str, Any]:
        crawled = tasks.crawl(item, run_id, args.page_cap, args.force, settings=settings)
        return tasks.extract(crawled, run_id, settings=settings)

    extracted, failures = for_each_partition(
        items, crawl_and_extract, desc="crawl+extract",
        stage_of=lambda exc: "crawl" if isinstance(exc, tasks.CrawlFailed) else "extract")
    kind = "manual" if args.since == until else "backfill"
    report = finish_run(run_id, items, extracted, failures, kind=kind, settings=settings)
    return 0 if report.get("ok") else 1
