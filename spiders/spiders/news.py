"""The one generic news spider, driven by a site's entry in sites.yaml.

``scrapy crawl news -a site=ID -a start=YYYY-MM-DD -a end=YYYY-MM-DD [-a partition=DATE]
[-a run_id=ID] [-a today=DATE] [-a sites_file=PATH]``

It walks the site's discovery sources (sitemaps, news sitemaps, robots.txt ``Sitemap:`` lines,
feeds, listing pages, date archives), keeps the article links whose date evidence falls in the
window
(:meth:`pipeline.crawl.candidates.Window.judge`) and fetches each once. The crawl's output is the
raw capture (WARC) and the crawl report; every skip and error is counted with a reason in the
stats (``news/skipped/<reason>``, ``news/errors/<kind>``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.layout import check_run_id
from pipeline.config.sites import DiscoverySource, Site, load_sites
from pipeline.crawl.candidates import (
    Candidate,
    Window,
    span_from_url,
    with_url_date,
)
from pipeline.crawl.discovery import (
    parse_feed,
    parse_listing,
    parse_sitemap,
    robots_sitemaps,
)
from pipeline.dates import parse_day
from pipeline.errors import ConfigError
from pipeline.urls import canonicalize_url, same_site
from spiders.middlewares.netguard import ForbiddenAddress
from spiders.middlewares.raw_capture import META_KEY

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(rb"charset=([\w.:-]+)", re.I)

_ERROR_KINDS = {
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout",
    "ResponseDataLossError": "data_loss", "DownloadCancelledError": "download_maxsize",
    "DownloadConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns", "DNSLookupError": "dns",
    "ConnectionLost": "connection_lost", "ConnectionDone": "connection_lost",
    "DownloadFailedError": "connection_failed", "ResponseFailed": "connection_failed",
}


def _date_arg(name: str, value: str) -> dt.date:
    try:
        return parse_day(value)
    except ConfigError:
        raise ConfigError(f"spider argument {name}={value!r} is not a YYYY-MM-DD date") from None


def error_kind(failure: Failure) -> tuple[str, str]:
    """Classify a request failure as ``("skipped", reason)`` or ``("errors", kind)``."""
    exc = failure.value
    if isinstance(exc, HttpError):
        return "errors", f"http_{exc.response.status}"
    if isinstance(exc, ForbiddenAddress):
        return "skipped", "forbidden_address"
    if isinstance(exc, IgnoreRequest):
        text = str(exc).lower()
        if "robots.txt" in text:
            return "skipped", "robots_txt"
        if "redirect" in text:
            return "errors", "redirect_limit"
        if "decompression" in text:
            return "errors", "decompression_maxsize"
        return "skipped", "ignored"
    name = type(exc).__name__
    return "errors", _ERROR_KINDS.get(name, name)


class NewsSpider(scrapy.Spider):
    """Crawl one site for one date window."""

    name = "news"

    def __init__(self, *, site: str = "", start: str = "", end: str = "", partition: str = "",
                 run_id: str = "", today: str = "", sites_file: str = "", **kwargs: Any):
        super().__init__(**kwargs)
        if not site or not start:
            raise ConfigError("the news spider needs -a site=ID -a start=YYYY-MM-DD")
        self.site_id = site
        first = _date_arg("start", start)
        last = _date_arg("end", end) if end else first
        if last < first:
            raise ConfigError(f"end {last} is before start {first}")
        now = dt.datetime.now(dt.UTC)
        self.window = Window(first, last, _date_arg("today", today) if today else now.date())
        self.partition = _date_arg("partition", partition) if partition else first
        self.run_id = check_run_id(run_id or f"manual__{now:%Y-%m-%dT%H%M%S}Z")
        self.sites_file = sites_file
        self.site: Site | None = None
        self.seen: set[str] = set()
        self.fetched_articles: set[str] = set()
        self.pages_requested = 0
        self.articles_requested = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        """Load the site entry and apply its politeness overrides to the crawl settings."""
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        path = spider.sites_file or crawler.settings.get("SITES_FILE") or None
        spider.site = site = load_sites(path).get(spider.site_id)
        domains = sorted({d.split(":")[0] for d in site.allowed_domains})
        spider.allowed_domains = domains  # type: ignore[attr-defined]
        overrides = {"DOWNLOAD_DELAY": site.politeness.download_delay,
                     "CONCURRENT_REQUESTS_PER_DOMAIN": site.politeness.concurrency,
                     "AUTOTHROTTLE_TARGET_CONCURRENCY": site.politeness.autothrottle_target}
        for name, value in overrides.items():
            if value is not None:
                crawler.settings.set(name, value, priority="spider")
        return spider

    # -- bookkeeping ----------------------------------------------------------------------------
    def count(self, key: str, value: int = 1) -> None:
        """Increment ``news/<key>`` in the crawl stats."""
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(f"news/{key}", value)

    def _request(self, url: str, callback: Any, *, role: str,
                 capture: CaptureMetadata | None = None,
                 **cb_kwargs: Any) -> scrapy.Request | None:
        # capture: what the WARC metadata record says besides the site and the role
        assert self.site is not None
        if self.pages_requested >= self.site.limits.max_pages:
            self.count("skipped/page_cap")
            return None
        self.pages_requested += 1
        capture = dataclasses.replace(capture or CaptureMetadata(), site=self.site_id, role=role)
        return scrapy.Request(url, callback=callback, errback=self.on_error,
                              meta={META_KEY: capture}, cb_kwargs=cb_kwargs)

    # -- discovery ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The requests of every discovery source of the site."""
        assert self.site is not None
        for source in self.site.discovery:
            for request in self._source_requests(source):
                yield request

    def _source_requests(self, source: DiscoverySource) -> Iterator[scrapy.Request]:
        requests: list[scrapy.Request | None] = []
        if source.kind in ("sitemap", "news_sitemap"):
            requests.append(self._request(source.url, self.parse_sitemap, role="sitemap",
                                          source=source.kind))
        elif source.kind == "robots":
            requests.append(self._request(source.url, self.parse_robots, role="robots"))
        elif source.kind == "feed":
            requests.append(self._request(source.url, self.parse_feed, role="feed", page=1))
        elif source.kind == "listing":
            requests.append(self._request(source.url, self.parse_listing, role="listing",
                                          source=source, page=1, day=None))
        else:
            for day in self.window.days():
                requests.append(self._request(
                    source.archive_url(day), self.parse_listing, role="date_archive",
                    capture=CaptureMetadata(archive_day=day), source=source, page=1, day=day))
        yield from (r for r in requests if r is not None)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow the ``Sitemap:`` lines of robots.txt."""
        self.count("fetched/discovery")
        for url in robots_sitemaps(response.body):
            request = self._request(url, self.parse_sitemap, role="sitemap", source="robots")
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response, source: str) -> Iterator[scrapy.Request]:
        """Articles of a urlset; child sitemaps of an index that may hold the window."""
        self.count("fetched/discovery")
        try:
            doc = parse_sitemap(response.body, response.url, source)
        except ValueError as exc:
            log.warning("%s: %s", response.url, exc)
            self.count("errors/bad_sitemap")
            return
        for child in doc.sitemaps:
            span = span_from_url(child.url)
            if child.modified and child.modified.date() < self.window.start:
                self.count("skipped/sitemap_not_modified")
            elif span and not self.window.may_hold(*span):
                self.count("skipped/sitemap_out_of_window")
            elif request := self._request(child.url, self.parse_sitemap, role="sitemap",
                                          source=source):
                yield request
        yield from self._articles(doc.urls, response.url, strict=True)

    def parse_feed(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        """Feed items; older pages (``rel=next``) while they may still hold the window."""
        assert self.site is not None
        self.count("fetched/discovery")
        try:
            doc = parse_feed(response.body, response.url)
        except ValueError as exc:
            log.warning("%s: %s", response.url, exc)
            self.count("errors/bad_feed")
            return
        yield from self._articles(doc.items, response.url, strict=True)
        dated = [i.published for i in doc.items if i.published]
        if doc.next_url and dated and min(dated).date() >= self.window.start:
            if page >= self.site.limits.max_listing_pages:
                self.count("skipped/listing_page_cap")
            elif request := self._request(doc.next_url, self.parse_feed, role="feed",
                                          page=page + 1):
                yield request

    def parse_listing(self, response: Response, source: DiscoverySource, page: int,
                      day: dt.date | None) -> Iterator[scrapy.Request]:
        """Article links of a listing or archive page, then its pagination."""
        assert self.site is not None
        self.count("fetched/discovery")
        kind = "date_archive" if day else "listing"
        doc = parse_listing(response.body, response.url, source.link_pattern,
                            source.next_pattern, source=kind, archive_day=day)
        links = [c for c in doc.links if self.site.is_article_url(canonicalize_url(c.url))]
        yield from self._articles(links, response.url, strict=False)
        dated = [c.published for c in links if c.published]
        if day is not None:
            follow = bool(links)
        elif dated:
            follow = min(dated).date() >= self.window.start
        else:
            follow = self.window.nightly
        limit = source.max_pages or self.site.limits.max_listing_pages
        for url in doc.next_urls if follow else ():
            if page >= limit:
                self.count("skipped/listing_page_cap")
            elif request := self._request(url, self.parse_listing, role=kind, source=source,
                                          page=page + 1, day=day):
                yield request

    def _articles(self, candidates: Iterable[Candidate], found_on: str,
                  strict: bool) -> Iterator[scrapy.Request]:
        assert self.site is not None
        for raw in candidates:
            self.count("discovered")
            self.count(f"discovered/{raw.source}")
            url = canonicalize_url(raw.url)
            candidate = with_url_date(raw)
            if not same_site(url, self.site.allowed_domains):
                self.count("skipped/offsite")
            elif strict and not self.site.is_article_url(url):
                self.count("skipped/not_article")
            elif reason := self.window.judge(candidate):
                self.count(f"skipped/{reason}")
            elif url in self.seen:
                self.count("skipped/duplicate_url")
            elif self.articles_requested >= self.site.limits.max_articles:
                self.count("skipped/article_cap")
            else:
                self.seen.add(url)
                capture = candidate.capture_metadata(found_on, raw.url if raw.url != url else "")
                request = self._request(url, self.parse_article, role="article",
                                        capture=capture)
                if request is not None:
                    self.articles_requested += 1
                    yield request

    # -- articles and errors --------------------------------------------------------------------
    def parse_article(self, response: Response) -> None:
        """Count the fetched article; non-HTML answers are skipped, charset lies noted."""
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if not content_type.startswith(HTML_TYPES):
            self.count("skipped/non_html")
            return
        match = _CHARSET.search(content_type.encode())
        if match:
            try:
                response.body.decode(match.group(1).decode())
            except (LookupError, UnicodeDecodeError):
                self.count("warnings/charset_mismatch")
        self.count("fetched/article")
        self.fetched_articles.add(response.url)

    def on_error(self, failure: Failure) -> None:
        """Count a failed request by kind (or a refused one by reason)."""
        group, kind = error_kind(failure)
        self.count(f"{group}/{kind}")
        request = getattr(failure, "request", None)
        url = request.url if request is not None else "?"
        level = logging.INFO if group == "skipped" else logging.WARNING
        log.log(level, "%s %s: %s", group, kind, url)

    def closed(self, reason: str) -> None:
        """Log the outcome."""
        host = urlsplit(self.site.base_url).netloc if self.site else "?"
        log.info("crawl of %s (%s) for %s..%s finished: %s, %d articles", self.site_id, host,
                 self.window.start, self.window.end, reason, len(self.fetched_articles))
