"""The one generic news spider, driven by a site's entry in sites.yaml.

``scrapy crawl news -a site=ID -a start=YYYY-MM-DD -a end=YYYY-MM-DD [-a partition=DATE]
[-a skip_days=DATE,DATE] [-a run_id=ID] [-a today=DATE] [-a sites_file=PATH]``

It walks the site's discovery sources (sitemaps, news sitemaps, robots.txt ``Sitemap:`` lines,
feeds, listing pages, date archives), keeps the article links whose date evidence falls in the
window (:meth:`pipeline.crawl.candidates.Window.judge`) and fetches each once. Its output is the
raw capture (WARC) and the crawl report; every skip and error is counted with a reason in the
stats (``news/skipped/<reason>``, ``news/errors/<kind>``). The evidence of the site-day's verdict
(:mod:`pipeline.run.verdict`) is kept too: what each discovery source gave or why it could not be
read (:attr:`NewsSpider.sources`), and every article request's outcome
(``news/article_fetches/<ok|failed|blocked|skipped>``). A challenge, CAPTCHA or consent page
(:mod:`pipeline.extract.blockpage`) is counted as ``blocked``, never as a fetched article.

One crawl covers the window, each discovery document fetched once; each capture goes to one day
partition, each day gets a crawl report (:mod:`spiders.partitions`; ``partition=DATE``: one).
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
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.layout import check_run_id
from pipeline.config.sites import AUTO, DiscoverySource, Site, load_sites
from pipeline.crawl.autodiscovery import site_scope
from pipeline.crawl.candidates import (
    Candidate,
    Window,
    span_from_url,
    with_url_date,
)
from pipeline.crawl.discovery import (
    SitemapBudget,
    parse_feed,
    parse_listing,
    parse_sitemap,
    robots_sitemaps,
)
from pipeline.errors import ConfigError
from pipeline.extract.blockpage import block_reason
from pipeline.urls import canonicalize_url, same_site
from spiders.autodiscovery import PROBE_META, AutoDiscovery
from spiders.middlewares.raw_capture import META_KEY
from spiders.outcomes import SOURCE_META, DiscoveryEvidence, SourceTally, error_kind
from spiders.partitions import DayPartitions, date_arg

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
GONE = frozenset({"http_404", "http_410"})
"""Article errors counted as skipped outcomes (the page is gone), not as failed fetches."""
_CHARSET = re.compile(rb"charset=([\w.:-]+)", re.I)



class NewsSpider(AutoDiscovery, DayPartitions, DiscoveryEvidence, scrapy.Spider):
    """Crawl one site for one date window."""

    name = "news"
    sitemap_budget: SitemapBudget
    """Child sitemaps followed: depth and ``SITEMAP_MAX_CHILDREN`` per crawl."""

    def __init__(self, *, site: str = "", start: str = "", end: str = "", partition: str = "",
                 run_id: str = "", today: str = "", sites_file: str = "", skip_days: str = "",
                 **kwargs: Any):
        super().__init__(**kwargs)
        if not site or not start:
            raise ConfigError("the news spider needs -a site=ID -a start=YYYY-MM-DD")
        self.site_id = site
        first = date_arg("start", start)
        last = date_arg("end", end) if end else first
        if last < first:
            raise ConfigError(f"end {last} is before start {first}")
        now = dt.datetime.now(dt.UTC)
        self.window = Window(first, last, date_arg("today", today) if today else now.date())
        self._init_days(partition, skip_days)
        self.run_id = check_run_id(run_id or f"manual__{now:%Y-%m-%dT%H%M%S}Z")
        self.sites_file = sites_file
        self.site: Site | None = None
        self.seen: set[str] = set()
        self.pages_requested = 0
        self.articles_requested = 0
        self.sources: dict[str, SourceTally] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> NewsSpider:
        """Load the site entry and apply its politeness overrides to the crawl settings."""
        spider: NewsSpider = super().from_crawler(crawler, *args, **kwargs)
        path = spider.sites_file or crawler.settings.get("SITES_FILE") or None
        spider.site = site = load_sites(path).get(spider.site_id)
        spider.scope = site_scope(site, load_sites(path).sites)  # {kind: auto} stays inside
        spider.sitemap_budget = SitemapBudget(crawler.settings.getint("SITEMAP_MAX_CHILDREN"))
        domains = sorted({d.split(":")[0] for d in site.allowed_domains})
        spider.allowed_domains = domains  # type: ignore[attr-defined]
        overrides = {"DOWNLOAD_DELAY": site.politeness.download_delay,
                     "CONCURRENT_REQUESTS_PER_DOMAIN": site.politeness.concurrency,
                     "AUTOTHROTTLE_TARGET_CONCURRENCY": site.politeness.autothrottle_target}
        for name, value in overrides.items():
            if value is not None:
                crawler.settings.set(name, value, priority="spider")
        return spider

    # -- requests -------------------------------------------------------------------------------
    def _request(self, url: str, callback: Any, *, role: str,
                 capture: CaptureMetadata | None = None, origin: str = "",
                 **cb_kwargs: Any) -> scrapy.Request | None:
        # capture: what the WARC metadata record says besides the site and the role;
        # origin: the discovery source a discovery request belongs to
        assert self.site is not None
        if self.pages_requested >= self.site.limits.max_pages:
            self.count("skipped/page_cap")
            return None
        self.pages_requested += 1
        capture = dataclasses.replace(capture or CaptureMetadata(), site=self.site_id, role=role)
        meta: dict[str, Any] = {META_KEY: capture}
        if origin:
            meta[SOURCE_META] = origin
        return scrapy.Request(url, callback=callback, errback=self.on_error,
                              meta=meta, cb_kwargs=cb_kwargs)

    # -- discovery ------------------------------------------------------------------------------
    async def start(self) -> AsyncIterator[scrapy.Request]:
        """The requests of every discovery source of the site."""
        assert self.site is not None
        for source in self.site.discovery:
            for request in self._source_requests(source):
                yield request

    def _source_requests(self, source: DiscoverySource) -> Iterator[scrapy.Request]:
        requests: list[scrapy.Request | None] = []
        origin = source.url or source.template
        self.sources.setdefault(origin, SourceTally(source.kind, origin))
        if source.kind in ("sitemap", "news_sitemap"):
            requests.append(self._request(source.url, self.parse_sitemap, role="sitemap",
                                          origin=origin, source=source.kind, depth=1))
        elif source.kind == "robots":
            requests.append(self._request(source.url, self.parse_robots, role="robots",
                                          origin=origin))
        elif source.kind == "feed":
            requests.append(self._request(source.url, self.parse_feed, role="feed",
                                          origin=origin, page=1))
        elif source.kind == AUTO:
            requests.extend(self._auto_requests(source))
        elif source.kind == "listing":
            requests.append(self._request(source.url, self.parse_listing, role="listing",
                                          origin=origin, source=source, page=1, day=None))
        else:
            for day in self.window.days():
                requests.append(self._request(
                    source.archive_url(day), self.parse_listing, role="date_archive",
                    capture=CaptureMetadata(archive_day=day), origin=origin, source=source,
                    page=1, day=day))
        yield from (r for r in requests if r is not None)

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """Follow the ``Sitemap:`` lines of robots.txt."""
        if not self._read(response):
            return
        origin = response.meta.get(SOURCE_META, "")
        for url in robots_sitemaps(response.body):
            request = self._request(url, self.parse_sitemap, role="sitemap", origin=origin,
                                    source="robots", depth=1)
            if request is not None:
                yield request

    def parse_sitemap(self, response: Response, source: str,
                      depth: int = 1) -> Iterator[scrapy.Request]:
        """Articles of a urlset; child sitemaps of an index that may hold the window (bounded)."""
        if not self._read(response):
            return
        origin = response.meta.get(SOURCE_META, "")
        try:
            doc = parse_sitemap(response.body, response.url, source)
        except ValueError as exc:
            log.warning("%s: %s", response.url, exc)
            self.count("errors/bad_sitemap")
            self._unreadable(response, "bad_sitemap")
            return
        self.sitemap_budget.read(response.url)
        for child in doc.sitemaps:
            span = span_from_url(child.url)
            if child.modified and child.modified.date() < self.window.start:
                self.count("skipped/sitemap_not_modified")
            elif span and not self.window.may_hold(*span):
                self.count("skipped/sitemap_out_of_window")
            elif capped := self.sitemap_budget.admit(child.url, depth):
                self.count(f"skipped/{capped}")
            elif request := self._request(child.url, self.parse_sitemap, role="sitemap",
                                          origin=origin, source=source, depth=depth + 1):
                yield request
        yield from self._articles(doc.urls, response, strict=True)

    def parse_feed(self, response: Response, page: int) -> Iterator[scrapy.Request]:
        """Feed items; older pages (``rel=next``) while they may still hold the window."""
        assert self.site is not None
        if not self._read(response):
            return
        try:
            doc = parse_feed(response.body, response.url)
        except ValueError as exc:
            log.warning("%s: %s", response.url, exc)
            self.count("errors/bad_feed")
            self._unreadable(response, "bad_feed")
            return
        yield from self._articles(doc.items, response, strict=True)
        dated = [i.published for i in doc.items if i.published]
        if doc.next_url and dated and min(dated).date() >= self.window.start:
            if page >= self.site.limits.max_listing_pages:
                self.count("skipped/listing_page_cap")
            elif request := self._request(doc.next_url, self.parse_feed, role="feed",
                                          origin=response.meta.get(SOURCE_META, ""),
                                          page=page + 1):
                yield request

    def parse_listing(self, response: Response, source: DiscoverySource, page: int,
                      day: dt.date | None) -> Iterator[scrapy.Request]:
        """Article links of a listing or archive page, then its pagination."""
        assert self.site is not None
        if not self._read(response):
            return
        kind = "date_archive" if day else "listing"
        doc = parse_listing(response.body, response.url, source.link_pattern,
                            source.next_pattern, source=kind, archive_day=day)
        links = [c for c in doc.links if self.site.is_article_url(canonicalize_url(c.url))]
        yield from self._articles(links, response, strict=False)
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
            elif request := self._request(url, self.parse_listing, role=kind,
                                          origin=response.meta.get(SOURCE_META, ""),
                                          source=source, page=page + 1, day=day):
                yield request

    def _articles(self, candidates: Iterable[Candidate], response: Response,
                  strict: bool) -> Iterator[scrapy.Request]:
        assert self.site is not None
        found_on = response.url
        tally = self._tally(response)
        for raw in candidates:
            if tally is not None:
                tally.links += 1
            url = canonicalize_url(raw.url)
            candidate = with_url_date(raw)
            day = self.window.day_of(candidate.published, candidate.modified)
            self.count("discovered", day=day)
            self.count(f"discovered/{raw.source}", day=day)
            if not same_site(url, self.site.allowed_domains):
                self.count("skipped/offsite", day=day)
            elif tally is not None and tally.kind == AUTO and not self.scope.contains(url):
                self.count("skipped/out_of_site_path", day=day)
            elif strict and not self.site.is_article_url(url):
                self.count("skipped/not_article", day=day)
            elif reason := self.window.judge(candidate):
                self.count(f"skipped/{reason}", day=day)
            elif url in self.seen:
                self.count("skipped/duplicate_url", day=day)
            elif self.by_day and day in self.skip_days:
                self.count("skipped/day_complete")  # that day has no report: shared
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
        """Count the fetched article; non-HTML skipped, block pages counted, charset lies noted."""
        day = self.partition_of(response.meta.get(META_KEY))
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        if not content_type.startswith(HTML_TYPES):
            self.count("skipped/non_html", day=day)
            self.count("article_fetches/skipped", day=day)
            return
        reason = block_reason(response.status, response.body)
        if reason is not None:
            log.warning("blocked (%s): %s", reason, response.url)
            self.count(f"blocked/{reason}", day=day)
            self.count("article_fetches/blocked", day=day)
            return
        match = _CHARSET.search(content_type.encode())
        if match:
            try:
                response.body.decode(match.group(1).decode())
            except (LookupError, UnicodeDecodeError):
                self.count("warnings/charset_mismatch", day=day)
        self.count("fetched/article", day=day)
        self.count("article_fetches/ok", day=day)
        self.fetched(response.url, day)

    def on_error(self, failure: Failure) -> None:
        """Count a failed request by kind (or a refused one by reason)."""
        group, kind = error_kind(failure)
        exc = failure.value
        request = getattr(failure, "request", None)
        capture = request.meta.get(META_KEY) if request is not None else None
        # an article's failure counts for its day; a discovery document's for every day
        day = self.partition_of(capture) if capture is not None and capture.role == "article" \
            else None
        if isinstance(exc, HttpError) and (
                reason := block_reason(exc.response.status, exc.response.body)):
            self.count(f"blocked/{reason}", day=day)
            group, kind = "errors", "blocked"
        self.count(f"{group}/{kind}", day=day)
        url = request.url if request is not None else "?"
        if request is not None:
            if capture is not None and capture.role == "article":
                # a 404/410 article is gone, not missed: no rerun would fetch it
                outcome = "skipped" if group == "skipped" or kind in GONE else (
                    "blocked" if kind == "blocked" else "failed")
                self.count(f"article_fetches/{outcome}", day=day)
            elif request.meta.get(PROBE_META) and kind in GONE:
                self.count("skipped/auto_probe_absent")  # a guessed location: not there
            elif (tally := self._tally(request)) is not None:
                tally.failures[kind] += 1
        level = logging.INFO if group == "skipped" else logging.WARNING
        log.log(level, "%s %s: %s", group, kind, url)

    def closed(self, reason: str) -> None:
        """Log the outcome."""
        host = urlsplit(self.site.base_url).netloc if self.site else "?"
        log.info("crawl of %s (%s) for %s..%s finished: %s, %d articles", self.site_id, host,
                 self.window.start, self.window.end, reason, len(self.fetched_articles))

