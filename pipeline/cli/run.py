"""``newsarchive run``: the whole pipeline for a date range, without Airflow.

The same task functions as the Airflow DAGs (:mod:`pipeline.run.tasks`), run one after the other in
this process (the crawls still run in their own processes), with a progress display: one crawl
per site and window of up to ``crawl_window_days`` days, then extraction of each day partition
it filled, then one dedup-and-publish step. For schedules, retries and parallel workers, use the
DAGs.

The archive is checked writable before any fetch. Ctrl-C or SIGTERM stops the crawl process too
and exits 130 or 143 without publishing anything more (see ``docs/operations.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
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

log = logging.getLogger(__name__)

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

    units = tasks.crawl_units(items, settings.crawl_window_days)
    kind = "manual" if args.since == until else "backfill"
    try:
        extracted, failures = crawl_and_extract(units, run_id, args, settings)
        report = finish_run(run_id, items, extracted, failures, kind=kind, settings=settings)
    except KeyboardInterrupt as exc:  # SIGINT, or SIGTERM as Interrupted: report, then exit
        _report_interrupted(run_id, items, exc, kind=kind, force=args.force, settings=settings)
        raise
    return 0 if report.get("ok") else 1


def _report_interrupted(run_id: str, items: list[dict[str, Any]], exc: KeyboardInterrupt, *,
                        kind: str, force: bool, settings: Settings) -> None:
    """Write the run report of an interrupted run (a failure to write it is logged, not raised)."""
    import signal

    from pipeline.run.report_step import report_interrupted

    name = signal.Signals(getattr(exc, "signum", signal.SIGINT)).name
    try:
        report_interrupted(run_id, items, kind=kind, force=force, signal_name=name,
                           settings=settings)
    except Exception as error:
        log.error("run %s: the report of the interrupted run could not be written: %s",
                  run_id, error)


def crawl_and_extract(
    units: list[dict[str, Any]], run_id: str, args: argparse.Namespace, settings: Settings,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Crawl each (site, window) in one process, then extract each day partition it filled.

    A failed crawl fails every day of its window; a failed day (its verdict) or a failed
    extraction fails that day alone. The other windows and days go on.

    Returns:
        The extraction results, and the failures (``{"site", "date", "stage", "error"}``).
    """
    extracted: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    windows = [{**u, "date": f"{u['start']}..{u['end']}" if u["start"] != u["end"]
                else u["start"]} for u in units]
    for unit in windows:
        crawled, failed = for_each_partition(
            [unit], lambda u: {"days": tasks.crawl_window(u, run_id, args.page_cap, args.force,
                                                          settings=settings)},
            desc=f"crawl {unit['site']}", stage_of=lambda exc: "crawl")
        for failure in failed:  # the whole window failed: every day of it
            failures += [{**failure, "date": day} for day in unit["days"]]
        days = [d for c in crawled for d in c["days"]]
        failures += [{"site": d["site"], "date": d["date"], "stage": "crawl",
                      "error": d.get("error", ""), "reason": d.get("reason")}
                     for d in days if d.get("status") == "failed"]
        done, failed = for_each_partition(
            [d for d in days if d.get("status") != "failed"],
            lambda d: tasks.extract(d, run_id, settings=settings),
            desc=f"extract {unit['site']}", stage_of=lambda exc: "extract")
        extracted += done
        failures += failed
    return extracted, failures
