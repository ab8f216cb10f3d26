"""A progress line every few seconds: pages fetched, articles, errors, rate.

Scrapy's own ``LogStats`` counts pages and items once a minute; a news crawl yields no items
and a person watching wants the articles and the errors. The line goes to the crawl's log, which
``pipeline.crawl.process.run_spider`` streams line by line into the caller's log (the Airflow task
log as it happens) and the CLI turns into its progress display (``pipeline.crawl.process``
parses it with ``PROGRESS_RE``; keep the two in step).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from pipeline.crawl.process import progress_line

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)


class CrawlProgressExtension:
    """Log :func:`pipeline.crawl.process.progress_line` every ``PROGRESS_INTERVAL`` seconds.

    ``PROGRESS_INTERVAL = 0`` disables it (``NotConfigured``).
    """

    def __init__(self, stats: Any, interval: float) -> None:
        self.stats = stats
        self.interval = interval
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgressExtension:
        """Build from the crawler's ``PROGRESS_INTERVAL`` (seconds)."""
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL", 5.0)
        if interval <= 0:
            raise NotConfigured("PROGRESS_INTERVAL is 0: no progress lines")
        ext = cls(crawler.stats, interval)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def counts(self) -> tuple[int, int, int, float]:
        """Pages fetched, articles fetched, errors, and pages per second so far."""
        stats = self.stats.get_stats()
        pages = int(stats.get("downloader/response_count", 0))
        articles = int(stats.get("news/fetched/article", 0))
        errors = int(stats.get("downloader/exception_count", 0)) + sum(
            int(v) for k, v in stats.items() if k.startswith("news/errors/"))
        elapsed = max(time.monotonic() - self.started, 1e-6)
        return pages, articles, errors, pages / elapsed

    def log(self) -> None:
        """Log the progress line now."""
        log.info(progress_line(*self.counts()))

    def spider_opened(self, spider: Spider) -> None:
        """Start the clock and the periodic line."""
        self.started = time.monotonic()
        self.loop = task.LoopingCall(self.log)
        self.loop.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """Stop the periodic line; log the final counts."""
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.log()
