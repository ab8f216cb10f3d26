"""Refuse requests to non-public addresses before they reach the downloader.

Every request passes here, including each redirect target and robots.txt fetches. IP-literal
hosts (``http://127.0.0.2/``, ``http://[::1]/``, ``http://169.254.169.254/``) are judged at once;
host names are judged after resolution by :class:`spiders.resolver.GuardedResolver`, which also
backs this check up for literals.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured

from pipeline.crawl.netguard import NetGuard, host_is_ip_literal

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.statscollectors import StatsCollector

log = logging.getLogger(__name__)

_DEFAULT_PORTS = {"http": 80, "https": 443}


class ForbiddenAddress(IgnoreRequest):
    """The request targets an address the crawler must not reach."""


class NetGuardMiddleware:
    """Downloader middleware refusing IP-literal targets outside the allowlist.

    Settings: ``NETGUARD_ENABLED`` (default ``True``), ``NETGUARD_ALLOWED_NETWORKS``.
    Stats: ``netguard/refused/<reason>``.
    """

    def __init__(self, guard: NetGuard, stats: StatsCollector | None = None) -> None:
        self.guard = guard
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetGuardMiddleware:  # noqa: D102
        if not crawler.settings.getbool("NETGUARD_ENABLED"):
            raise NotConfigured("NETGUARD_ENABLED is off (the resolver still checks)")
        guard = NetGuard.from_strings(crawler.settings.getlist("NETGUARD_ALLOWED_NETWORKS"))
        return cls(guard, crawler.stats)

    def process_request(self, request: Request) -> None:
        """Raise :class:`ForbiddenAddress` when the URL names a refused address."""
        parts = urlsplit(request.url)
        host = (parts.hostname or "").strip("[]")
        if parts.scheme not in _DEFAULT_PORTS:
            self._refuse(request, "scheme")
        if host == "localhost" or host.endswith(".localhost"):
            self._refuse(request, "loopback")
        if not host_is_ip_literal(host):
            return
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            self._refuse(request, "bad_port")
        verdict = self.guard.check(host, port)
        if not verdict.allowed:
            self._refuse(request, verdict.reason)

    def _refuse(self, request: Request, reason: str) -> None:
        if self.stats is not None:
            self.stats.inc_value(f"netguard/refused/{reason}")
        log.warning("refused %s: %s address", request.url, reason)
        raise ForbiddenAddress(f"forbidden address ({reason}): {request.url}")
