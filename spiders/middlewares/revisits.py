"""Schedule the conditional re-fetches of recently archived articles (nightly crawls only).

A spider middleware: after the spider's own start requests, it adds one request per article
that :func:`pipeline.crawl.revisits.pick_revisits` chose (the site's articles archived in the
``REVISIT_DAYS`` days before the window, at most ``REVISIT_MAX_PER_SITE``), with
``If-None-Match`` / ``If-Modified-Since`` from the archived response. The archived response
travels in ``request.meta`` (:data:`REFERS_TO_META`), so the raw capture writes a ``304`` as a
WARC ``revisit`` record referring to it. A revisit is no part of the window's verdict: its
outcomes are counted apart (``revisit/<outcome>`` in the stats), never as article fetches.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.store import open_store
from pipeline.config.settings import Settings
from pipeline.crawl.revisits import RevisitTarget, pick_revisits
from spiders.middlewares.raw_capture import META_KEY, REFERS_TO_META
from spiders.outcomes import error_kind

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.python.failure import Failure

log = logging.getLogger(__name__)

REVISIT_META = "revisit_target"
"""``request.meta`` key of the :class:`RevisitTarget` (as JSON) a revisit request fetches."""
SOURCE = "revisit"
"""``source`` of a revisit's capture metadata (its link came from the archive, not discovery)."""


class RevisitMiddleware:
    """Spider middleware adding the revisit requests to the start requests.

    Settings: ``REVISIT_DAYS`` (0: off), ``REVISIT_MAX_PER_SITE``, ``ARCHIVE_URL``.
    Stats: ``revisit/requested``, ``revisit/not_modified``, ``revisit/fetched``,
    ``revisit/failed/<kind>``, ``revisit/skipped/<reason>`` (``not_nightly``, ``page_cap``: a
    crawl with a page cap does not revisit; ``cap``, ``raw_unreadable``, ``archive_error``),
    ``revisit/no_validators``.
    """

    def __init__(self, crawler: Crawler, archive_url: str, days: int, cap: int) -> None:
        self.crawler = crawler
        self.archive_url = archive_url
        self.days = days
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RevisitMiddleware:  # noqa: D102
        days = crawler.settings.getint("REVISIT_DAYS")
        if days < 1:
            raise NotConfigured("REVISIT_DAYS is 0: no revisits")
        return cls(crawler, crawler.settings.get("ARCHIVE_URL") or "./archive", days,
                   crawler.settings.getint("REVISIT_MAX_PER_SITE"))

    def count(self, key: str, value: int = 1) -> None:
        """Increment ``revisit/<key>`` in the crawl stats."""
        if self.crawler.stats is not None and value:
            self.crawler.stats.inc_value(f"revisit/{key}", value)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        """The spider's start requests, then one conditional request per revisit target."""
        async for item in start:
            yield item
        spider = self.crawler.spider
        window = getattr(spider, "window", None)
        site = getattr(spider, "site_id", "")
        if window is None or not site:
            return
        if not window.nightly:
            self.count("skipped/not_nightly")
            return
        if self.crawler.settings.getint("CLOSESPIDER_PAGECOUNT") > 0:
            # a page cap counts every response: revisits would eat the window's own pages
            self.count("skipped/page_cap")
            return
        counts: Counter[str] = Counter()
        try:
            targets = await maybe_deferred_to_future(deferToThread(
                self._pick, site, window.start, counts))
        except Exception as exc:  # the crawl of the window goes on without revisits
            self.count("skipped/archive_error")
            log.warning("no revisits for %s: the archive could not be read (%s)", site, exc)
            return
        for key in ("skipped/cap", "skipped/raw_unreadable", "no_validators"):
            self.count(key, counts[key])
        for target in targets:
            self.count("requested")
            yield self.request_for(site, target)

    def _pick(self, site: str, window_start: Any, counts: Counter[str]) -> list[RevisitTarget]:
        store = open_store(self.archive_url, Settings.from_env())
        return pick_revisits(store, site, window_start, days=self.days, cap=self.cap,
                             counts=counts)

    def request_for(self, site: str, target: RevisitTarget) -> scrapy.Request:
        """The conditional request of one target (never dropped as a duplicate URL)."""
        capture = CaptureMetadata(site=site, role="article", source=SOURCE,
                                  discovered_on=f"archive:{target.day.isoformat()}")
        return scrapy.Request(
            target.url, callback=self.on_response, errback=self.on_error,
            headers=target.conditional_headers(), dont_filter=True,
            meta={META_KEY: capture, REFERS_TO_META: target.refers_to(),
                  REVISIT_META: target.to_json(), "handle_httpstatus_list": [304]})

    def on_response(self, response: Response) -> None:
        """Count the answer: 304 (not modified) or a full response (extraction decides)."""
        if response.status == 304:
            self.count("not_modified")
        else:
            self.count("fetched")
        log.info("revisit %s: %d", response.url, response.status)

    def on_error(self, failure: Failure) -> None:
        """Count a failed revisit by kind; it costs the window's verdict nothing."""
        _, kind = error_kind(failure)
        self.count(f"failed/{kind}")
        request = getattr(failure, "request", None)
        log.info("revisit failed (%s): %s", kind, request.url if request is not None else "?")
