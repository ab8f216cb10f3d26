"""The news spider's discovery from the home page (``{kind: auto}``).

The decisions live in :mod:`pipeline.crawl.autodiscovery`; this mixin makes the requests: the
host's robots.txt, the usual sitemap locations, and the home page, whose announced feeds and
section links are read like ``feed`` and ``listing`` sources of the same (auto) source. A
location that was only guessed and is not there is counted as ``skipped/auto_probe_absent``,
never as a failed discovery document.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.http import Response

from pipeline.config.sites import DiscoverySource, Site
from pipeline.crawl.autodiscovery import (
    SiteScope,
    looks_like_sitemap,
    parse_home,
    robots_url,
    sitemap_guesses,
)
from pipeline.crawl.candidates import Candidate
from pipeline.crawl.discovery import robots_sitemaps
from spiders.outcomes import SOURCE_META

log = logging.getLogger(__name__)

PROBE_META = "auto_probe"
"""``request.meta`` key of a request for a guessed location (absent is not a failure)."""


class AutoDiscovery:
    """Spider mixin: the requests and callbacks of ``{kind: auto}`` sources."""

    site: Site | None
    scope: SiteScope

    if TYPE_CHECKING:  # provided by the spider
        def count(self, key: str, value: int = 1, day: Any = None) -> None: ...  # noqa: D102
        def _read(self, response: Response) -> bool: ...
        def _request(self, url: str, callback: Any, *, role: str, origin: str = "",
                     **cb_kwargs: Any) -> scrapy.Request | None: ...
        def _articles(self, candidates: Iterable[Candidate], response: Response,
                      strict: bool) -> Iterator[scrapy.Request]: ...
        def parse_sitemap(  # noqa: D102
                self, response: Response, source: str, depth: int = 1
        ) -> Iterator[scrapy.Request]: ...
        def parse_feed(  # noqa: D102
                self, response: Response, page: int) -> Iterator[scrapy.Request]: ...
        def parse_listing(  # noqa: D102
                self, response: Response, source: DiscoverySource, page: int, day: Any
        ) -> Iterator[scrapy.Request]: ...

    def _auto_requests(self, source: DiscoverySource) -> list[scrapy.Request | None]:
        """robots.txt, the home page, then the usual sitemap locations (each a probe but home)."""
        origin = source.url
        requests = [self._probe(self._request(robots_url(source.url), self.parse_auto_robots,
                                              role="robots", origin=origin)),
                    self._request(source.url, self.parse_home, role="listing", origin=origin)]
        for url in sitemap_guesses(source.url):
            requests.append(self._probe(self._request(url, self.parse_auto_sitemap,
                                                      role="sitemap", origin=origin)))
        return requests

    @staticmethod
    def _probe(request: scrapy.Request | None) -> scrapy.Request | None:
        if request is not None:
            request.meta[PROBE_META] = True
        return request

    def parse_auto_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """The ``Sitemap:`` lines of the host's robots.txt that lie within the site."""
        if not self._read(response):
            return
        for url in robots_sitemaps(response.body):
            if not self.scope.contains(url):
                self.count("skipped/out_of_site_path")
            elif request := self._request(url, self.parse_sitemap, role="sitemap",
                                          origin=response.meta.get(SOURCE_META, ""),
                                          source="robots", depth=1):
                yield request

    def parse_auto_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A guessed sitemap location: read it when it is a sitemap, else it is absent."""
        if not looks_like_sitemap(response.body):
            self.count("skipped/auto_probe_absent")
            return
        yield from self.parse_sitemap(response, source="sitemap", depth=1)

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """The home page: its announced feeds, its sections (as listings), its article links."""
        assert self.site is not None
        if not self._read(response):
            return
        patterns = self.site.is_article_url if self.site.article_patterns else None
        doc = parse_home(response.body, response.url, self.scope, patterns)
        if doc.out_of_scope:
            self.count("skipped/out_of_site_path", doc.out_of_scope)
        if doc.capped:
            self.count("skipped/auto_home_cap", doc.capped)
        log.info("home page %s: %d feeds, %d sections, %d links", response.url, len(doc.feeds),
                 len(doc.sections), len(doc.articles))
        origin = response.meta.get(SOURCE_META, "")
        for url in doc.feeds:
            if request := self._request(url, self.parse_feed, role="feed", origin=origin,
                                        page=1):
                yield request
        for url in doc.sections:
            if request := self._request(url, self.parse_listing, role="listing", origin=origin,
                                        source=DiscoverySource("listing", url), page=1,
                                        day=None):
                yield request
        links = [c for c in doc.articles if self.site.is_article_url(c.url)]
        yield from self._articles(links, response, strict=False)
