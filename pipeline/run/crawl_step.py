"""The crawl step: one site and window in one Scrapy process, WARCs straight into ``raw/``."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pipeline.archive.crawlreport import CrawlReport, read_crawl_report
from pipeline.archive.layout import check_run_id, crawl_report_key
from pipeline.archive.lease import HostBusy
from pipeline.archive.partition import read_manifest
from pipeline.archive.store import ArchiveStore, check_writable
from pipeline.config.settings import Settings
from pipeline.crawl.hostlease import site_leases
from pipeline.crawl.process import crawl_overrides, run_spider, spider_command, spider_env
from pipeline.dates import parse_day
from pipeline.errors import NewsArchiveError
from pipeline.run.plan import COMPLETE, archive_for, days_between
from pipeline.run.verdict import FAILED, judge

log = logging.getLogger(__name__)


class CrawlFailed(NewsArchiveError):
    """The crawl process failed as a whole (Airflow retries the task)."""


class SiteDayFailed(CrawlFailed):
    """The crawl ran but could not read the site (verdict ``failed``): nothing is committed.

    Attributes:
        reason: One of :data:`pipeline.run.verdict.REASONS` (``blocked``, ...).
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def crawl(
    item: Mapping[str, Any],
    run_id: str,
    page_cap: int | None = None,
    force: bool = False,
    *,
    settings: Settings,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Crawl one site for one day: a window of one day (:func:`crawl_window`).

    Args:
        item: ``{"site", "date"}`` from :func:`~pipeline.run.plan.plan`.
        run_id: The run (names the staging area).
        page_cap: At most this many pages (default: the site's limits).
        force: Crawl even when the partition is already committed as complete.
        settings: The settings; passed to the crawl process through its environment.
        timeout: Seconds before the crawl process is stopped (default: ``crawl_timeout``).

    Returns:
        The day's result (see :func:`crawl_window`).

    Raises:
        SiteDayFailed: The crawl could not read the site (verdict ``failed``).
        CrawlFailed: The spider process failed or wrote no report.
        ArchiveError: The archive cannot be written.
    """
    day = str(item["date"])
    unit = {"site": item["site"], "start": day, "end": day, "days": [day]}
    return crawl_window(unit, run_id, page_cap, force, settings=settings, timeout=timeout)[0]


def crawl_window(
    unit: Mapping[str, Any],
    run_id: str,
    page_cap: int | None = None,
    force: bool = False,
    *,
    settings: Settings,
    timeout: float | None = None,
) -> list[dict[str, Any]]:
    """Crawl one site for a window of days with the news spider, in one process.

    Each discovery document is fetched once for the whole window; every capture goes to its
    day partition and each day gets its own crawl report and verdict (:mod:`spiders.partitions`).
    Days already committed as complete are not crawled again (without ``force``): the crawl
    covers the span of the other days, and the complete days inside that span are passed as
    ``skip_days`` (their articles are not fetched).

    Args:
        unit: ``{"site", "start", "end", "days"}`` from :func:`~pipeline.run.plan.crawl_units`
            (``days`` default: every day from ``start`` to ``end``).
        run_id: The run (names the staging area).
        page_cap: At most this many pages for the crawl (default: the site's limits).
        force: Crawl even the partitions already committed as complete (a partial partition is
            always crawled again).
        settings: The settings; passed to the crawl process through its environment.
        timeout: Seconds before the crawl process is stopped (default: ``crawl_timeout``).

    Returns:
        One result per day, oldest first: ``{"site", "date", "status", "warc_keys", "stats",
        "verdict"}``; ``stats`` is the day's crawl report's JSON form
        (:meth:`~pipeline.archive.crawlreport.CrawlReport.to_json`), ``verdict`` the site-day's
        :class:`~pipeline.run.verdict.Verdict` as JSON. Status ``crawled``; ``complete`` (and
        ``stats`` empty) when the partition was already committed as complete; ``failed`` (with
        ``error`` and ``reason``) for a day whose verdict is failed while other days of the
        window were read: it is not extracted nor committed, and its WARCs stay in ``raw/``.

    Raises:
        SiteDayFailed: Every crawled day of the window failed (no discovery source read, every
            article fetch failed, or most were blocked); nothing is committed.
        CrawlFailed: The spider process failed or wrote no report.
        ArchiveError: The archive cannot be written (checked before the crawl starts); a
            :class:`~pipeline.errors.PermanentArchiveError` when no retry can fix it.
    """
    check_run_id(run_id)
    store = archive_for(settings)
    site = str(unit["site"])
    days = [parse_day(str(d)) for d in unit.get("days") or ()] or days_between(
        str(unit["start"]), str(unit["end"]))
    results: dict[dt.date, dict[str, Any]] = {}
    todo: list[dt.date] = []
    for day in sorted(set(days)):
        committed = None if force else read_manifest(store, site, day)
        if committed is not None and committed.coverage.complete:
            log.info("%s %s already committed as complete: nothing to crawl", site, day)
            results[day] = {"site": site, "date": day.isoformat(), "status": COMPLETE,
                            "warc_keys": [], "stats": {}}
            continue
        if committed is not None:
            log.info("%s %s is partial (%s): crawling it again", site, day,
                     "; ".join(committed.coverage.notes))
        todo.append(day)
    if todo:
        results.update(_crawl_days(store, site, todo, run_id, page_cap, settings=settings,
                                   timeout=timeout or settings.crawl_timeout))
    return [results[day] for day in sorted(results)]


def _crawl_days(store: ArchiveStore, site: str, todo: list[dt.date], run_id: str,
                page_cap: int | None, *, settings: Settings,
                timeout: float) -> dict[dt.date, dict[str, Any]]:
    """Run one crawl process over the span of ``todo`` and judge each day of it."""
    first, last = todo[0], todo[-1]
    skip = [d for d in days_between(first.isoformat(), last.isoformat()) if d not in todo]
    span = f"{first}" if first == last else f"{first}..{last}"
    args = spider_command(site, first, last, run_id=run_id, skip_days=skip,
                          today=settings.crawl_today or None,
                          sites_file=settings.sites_file or None,
                          overrides=crawl_overrides(settings, page_cap=page_cap))
    env = spider_env(settings)
    check_writable(store)  # before any fetch: a broken archive fails here, naming it
    log.info("crawling %s for %s: %s", site, span, " ".join(args[2:]))
    try:
        # one crawl per host at a time across runs and workers (a bounded wait, counted)
        with site_leases(store, settings, site, owner=f"{run_id}/{site}") as leases:
            # an interrupt (SIGINT/SIGTERM) stops the crawl process too, and is raised again
            proc = run_spider(args, env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CrawlFailed(f"crawl of {site} for {span} did not finish in {timeout} s") from exc
    except HostBusy as exc:
        raise CrawlFailed(f"crawl of {site} for {span} not started: {exc}") from exc
    tail = "\n".join(proc.stdout.splitlines()[-15:])
    if proc.returncode != 0:
        raise CrawlFailed(f"crawl of {site} for {span} exited with {proc.returncode}:\n{tail}")
    results: dict[dt.date, dict[str, Any]] = {}
    failed: list[SiteDayFailed] = []
    for day in todo:
        report = read_crawl_report(store, run_id, site, day)
        if report is None:
            key = crawl_report_key(run_id, site, day)
            raise CrawlFailed(f"crawl of {site} for {span} wrote no report for {day} ({key}):"
                              f"\n{tail}")
        result: dict[str, Any] = {"site": site, "date": day.isoformat()}
        verdict = judge(report)
        if verdict.coverage == FAILED:
            message = f"{site} {day} failed ({verdict.reason}): {'; '.join(verdict.notes)}"
            log.error("%s; its %d WARC files stay in raw/, nothing is committed", message,
                      len(report.warc_keys))
            failed.append(SiteDayFailed(message, verdict.reason or ""))
            results[day] = {**result, "status": FAILED, "warc_keys": list(report.warc_keys),
                            "stats": {}, "verdict": verdict.to_json(), "error": message,
                            "reason": verdict.reason}
            continue
        if verdict.notes:
            log.warning("%s %s is partial: %s", site, day, "; ".join(verdict.notes))
        # XCom carries the report's JSON form (read back with CrawlReport.from_json)
        results[day] = {**result, "status": "crawled", "warc_keys": list(report.warc_keys),
                        "stats": {**report.to_json(), "host_wait": leases.result.to_json()},
                        "verdict": verdict.to_json()}
    if failed and len(failed) == len(todo):
        raise failed[0] if len(failed) == 1 else SiteDayFailed(
            f"every day of {site} {span} failed: {failed[0]}", failed[0].reason)
    return results


def crawl_counts(report: CrawlReport) -> Counter[str]:
    """Flat ``crawl:*`` counters from a crawl report (what the partition manifest records)."""
    counts: Counter[str] = Counter()
    counts["crawl:discovered"] = report.discovered
    for name, value in report.fetched.items():
        counts[f"crawl:fetched_{name}"] = value
    for group, values in (("skipped", report.skipped), ("errors", report.errors),
                          ("refused", report.refused),
                          ("article_fetches", report.article_fetches)):
        for name, value in values.items():
            if value:
                counts[f"crawl:{group}:{name}"] = value
    return counts
