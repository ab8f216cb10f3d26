"""Stop the crawl when the process that launched it is gone.

The crawl runs in its own process group (:func:`pipeline.crawl.process.run_spider`), so a signal
to the launcher's group does not reach it, and a launcher that dies without stopping it (an
Airflow task process killed with SIGKILL, a worker that lost its machine's power supply halfway)
would leave it fetching with no one to read its result. This extension notes the parent process
at start and checks every ``PARENT_WATCH_INTERVAL`` seconds that it is still the parent; when it
is not (the crawl was re-parented), the crawl closes with reason :data:`PARENT_GONE`. It then
finishes like any stopped crawl (open WARC uploaded, crawl report written) and commits nothing:
only the launcher's run publishes partitions.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

PARENT_GONE = "parent_gone"
"""Finish reason of a crawl whose launching process died."""


class ParentWatchExtension:
    """Close the spider when its parent process is gone.

    Settings: ``PARENT_WATCH_ENABLED``, ``PARENT_WATCH_INTERVAL`` (seconds).
    Stats: ``parent_watch/parent_gone``.
    """

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.parent = os.getppid()
        self._loop: task.LoopingCall | None = None
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ParentWatchExtension:  # noqa: D102
        if not crawler.settings.getbool("PARENT_WATCH_ENABLED"):
            raise NotConfigured("PARENT_WATCH_ENABLED is off")
        ext = cls(crawler, crawler.settings.getfloat("PARENT_WATCH_INTERVAL", 1.0))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        """Start checking."""
        self._loop = task.LoopingCall(self.check)
        self._loop.start(self.interval, now=False)

    def parent_alive(self) -> bool:
        """Whether the process that started the crawl is still its parent."""
        return os.getppid() == self.parent

    def check(self) -> None:
        """Close the crawl (once) when the parent is gone."""
        if self.parent_alive():
            return
        log.error("the process that started this crawl (pid %d) is gone: stopping the crawl",
                  self.parent)
        self.stop()
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("parent_watch/parent_gone", 1)
        if self.crawler.engine is not None:
            self._closing = asyncio.ensure_future(
                self.crawler.engine.close_spider_async(reason=PARENT_GONE))

    def stop(self) -> None:
        """Stop checking."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    def spider_closed(self, spider: Spider) -> None:
        """Stop checking."""
        self.stop()
