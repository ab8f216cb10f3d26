"""Save the crawl's stats with the run: ``staging/<run_id>/crawl/<site>-<partition>.json``.

One report per day partition the crawl wrote (a crawl covers a window of days,
:mod:`spiders.partitions`): each with that day's article counts, WARC keys and payload index, and
the discovery evidence of the whole crawl, so that every day gets its own verdict.
The report lists what was discovered, fetched, skipped (by reason) and failed (by kind), the
WARC keys written and the payload index, so the next task of the run (extraction) reads it
from the archive instead of from this worker's disk.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from pipeline.archive.crawlreport import CrawlReport, CrawlWindow, write_crawl_report
from pipeline.archive.store import open_store
from pipeline.config.settings import Settings
from spiders.extensions.warc_capture import WarcCaptureExtension
from spiders.resolver import REFUSED

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


def _grouped(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: int(v) for k, v in sorted(stats.items())
            if k.startswith(prefix) and isinstance(v, int | float)}


def build_report(spider: Spider, stats: dict[str, Any], warc_keys: list[str],
                 payload_index_key: str | None, partition: dt.date | None = None) -> CrawlReport:
    """The crawl report of one day partition of a news spider run.

    Args:
        spider: The finished spider (``site_id``, ``partition``, ``run_id``, ``window``, and for
            a window crawl ``day_stats`` and ``articles_of``).
        stats: The crawl stats.
        warc_keys: WARC files written for the partition.
        payload_index_key: Key of the partition's saved payload digests, if any.
        partition: The day partition (default: ``spider.partition``).
    """
    partition = partition or spider.partition  # type: ignore[attr-defined]
    if hasattr(spider, "day_stats"):  # the news/* counts of this day, shared ones included
        stats = {k: v for k, v in stats.items() if not k.startswith("news/")}
        stats.update(spider.day_stats(partition))
    articles = spider.articles_of(partition) if hasattr(spider, "articles_of") else \
        getattr(spider, "fetched_articles", ())
    window = getattr(spider, "window", None)
    fetches = _grouped(stats, "news/article_fetches/")
    plain = {k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
             for k, v in stats.items() if isinstance(v, int | float | str | dt.datetime)}
    return CrawlReport(
        site=spider.site_id,  # type: ignore[attr-defined]
        partition=partition,
        run_id=spider.run_id,  # type: ignore[attr-defined]
        window=CrawlWindow(window.start, window.end, window.today, window.nightly)
        if window else None,
        finish_reason=stats.get("finish_reason"),
        discovered=int(stats.get("news/discovered", 0)),
        discovered_by_source=_grouped(stats, "news/discovered/"),
        fetched={"articles": int(stats.get("news/fetched/article", 0)),
                 "discovery_pages": int(stats.get("news/fetched/discovery", 0)),
                 "responses": int(stats.get("downloader/response_count", 0))},
        articles=tuple(sorted(articles)),
        skipped=_grouped(stats, "news/skipped/"),
        errors=_grouped(stats, "news/errors/"),
        warnings=_grouped(stats, "news/warnings/"),
        refused={"offsite": int(stats.get("offsite/filtered", 0)),
                 **{f"netguard_{k}": v for k, v in _grouped(stats, "netguard/refused/").items()},
                 **{f"resolver_{k}": v
                    for k, v in _grouped(stats, "netguard/refused_resolved/").items()}},
        sources=tuple(spider.source_reports()) if hasattr(spider, "source_reports") else (),
        article_fetches={k: fetches.get(k, 0) for k in ("ok", "failed", "blocked", "skipped")},
        warc_keys=tuple(warc_keys),
        payload_index_key=payload_index_key,
        stats=plain,
    )


class CrawlReportExtension:
    """Writes the crawl reports (one per day partition) at spider close.

    Settings: ``CRAWL_REPORT_ENABLED``, ``ARCHIVE_URL``.
    """

    def __init__(self, crawler: Crawler, archive_url: str, *, settings: Settings) -> None:
        self.crawler = crawler
        self.archive_url = archive_url
        self.settings = settings
        self.keys: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReportExtension:  # noqa: D102
        if not crawler.settings.getbool("CRAWL_REPORT_ENABLED"):
            raise NotConfigured("CRAWL_REPORT_ENABLED is off")
        ext = cls(crawler, crawler.settings.get("ARCHIVE_URL") or "./archive",
                  settings=Settings.from_env())
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Wait for the WARC files, then save the report."""
        if not hasattr(spider, "site_id"):
            return
        capture = self.crawler.get_extension(WarcCaptureExtension)
        if capture is not None and capture.open_error is not None:
            log.error("no crawl report: the archive %s could not be used", self.archive_url)
            return
        keys = await capture.finish() if capture is not None else []
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        for why, count in REFUSED.items():
            stats[f"netguard/refused_resolved/{why}"] = count
        store = open_store(self.archive_url, self.settings)
        days = spider.partitions() if hasattr(spider, "partitions") else \
            [spider.partition]  # type: ignore[attr-defined]
        for day in days:
            day_keys = capture.keys_by_day.get(day, []) if capture is not None else keys
            report = build_report(spider, stats, day_keys,
                                  capture.payload_index_keys.get(day) if capture else None, day)
            key = await maybe_deferred_to_future(deferToThread(write_crawl_report, store, report))
            self.keys.append(key)
            log.info("crawl report saved to %s/%s", store.url, key)
