"""The crawl step: one site in its own Scrapy process, WARCs straight into ``raw/``."""

from __future__ import annotations

import logging
import subprocess
from collections import Counter
from collections.abc import Mapping
from typing import Any

from pipeline.archive.crawlreport import CrawlReport, read_crawl_report
from pipeline.archive.layout import check_run_id, crawl_report_key
from pipeline.archive.partition import read_manifest
from pipeline.archive.store import check_writable
from pipeline.config.settings import Settings
from pipeline.crawl.process import crawl_overrides, run_spider, spider_command, spider_env
from pipeline.dates import parse_day
from pipeline.errors import NewsArchiveError
from pipeline.run.plan import COMPLETE, archive_for
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
    """Crawl one site for one day with the news spider, in its own process.

    Args:
        item: ``{"site", "date"}`` from :func:`plan`.
        run_id: The run (names the staging area).
        page_cap: At most this many pages (default: the site's limits).
        force: Crawl even when the partition is already committed as complete (a partial
            partition is always crawled again).
        settings: The settings; passed to the crawl process through its environment.
        timeout: Seconds before the crawl process is stopped (default: none).

    Returns:
        ``{"site", "date", "status", "warc_keys", "stats", "verdict"}``; ``stats`` is the crawl
        report's JSON form (:meth:`~pipeline.archive.crawlreport.CrawlReport.to_json`),
        ``verdict`` the site-day's :class:`~pipeline.run.verdict.Verdict` (complete or partial)
        as JSON; status ``complete`` (and ``stats`` empty) when the partition was already
        committed as complete and nothing was done.

    Raises:
        SiteDayFailed: The crawl could not read the site (verdict ``failed``: no discovery
            source read, every article fetch failed, or most were blocked); its WARCs stay in
            ``raw/``, nothing is committed.
        CrawlFailed: The spider process failed or wrote no report.
        ArchiveError: The archive cannot be written (checked before the crawl starts); a
            :class:`~pipeline.errors.PermanentArchiveError` when no retry can fix it.
    """
    check_run_id(run_id)
    store = archive_for(settings)
    site, day = str(item["site"]), parse_day(str(item["date"]))
    result: dict[str, Any] = {"site": site, "date": day.isoformat()}
    committed = None if force else read_manifest(store, site, day)
    if committed is not None and committed.coverage.complete:
        log.info("%s %s already committed as complete: nothing to crawl", site, day)
        return {**result, "status": COMPLETE, "warc_keys": [], "stats": {}}
    if committed is not None:
        log.info("%s %s is partial (%s): crawling it again", site, day,
                 "; ".join(committed.coverage.notes))
    args = spider_command(site, day, day, run_id=run_id, partition=day,
                          today=settings.crawl_today or None,
                          sites_file=settings.sites_file or None,
                          overrides=crawl_overrides(settings, page_cap=page_cap))
    env = spider_env(settings)
    timeout = timeout or settings.crawl_timeout
    check_writable(store)  # before any fetch: a broken archive fails here, naming it
    log.info("crawling %s for %s: %s", site, day, " ".join(args[2:]))
    try:
        # an interrupt (SIGINT/SIGTERM) stops the crawl process too, and is raised again
        proc = run_spider(args, env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise CrawlFailed(f"crawl of {site} for {day} did not finish in {timeout} s") from exc
    tail = "\n".join(proc.stdout.splitlines()[-15:])
    if proc.returncode != 0:
        raise CrawlFailed(f"crawl of {site} for {day} exited with {proc.returncode}:\n{tail}")
    report = read_crawl_report(store, run_id, site, day)
    if report is None:
        key = crawl_report_key(run_id, site, day)
        raise CrawlFailed(f"crawl of {site} for {day} wrote no report ({key}):\n{tail}")
    verdict = judge(report)
    if verdict.coverage == FAILED:
        message = f"{site} {day} failed ({verdict.reason}): {'; '.join(verdict.notes)}"
        log.error("%s; its %d WARC files stay in raw/, nothing is committed", message,
                  len(report.warc_keys))
        raise SiteDayFailed(message, verdict.reason or "")
    if verdict.notes:
        log.warning("%s %s is partial: %s", site, day, "; ".join(verdict.notes))
    # XCom carries the report's JSON form (read back with CrawlReport.from_json)
    return {**result, "status": "crawled", "warc_keys": list(report.warc_keys),
            "stats": report.to_json(), "verdict": verdict.to_json()}


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
