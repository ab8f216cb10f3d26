"""A DNS resolver that refuses forbidden addresses after resolution (SSRF protection).

Installed as ``TWISTED_DNS_RESOLVER``, it sees every connection Twisted makes: host names and IP
literals alike, the first request and every redirect target, with the port. Addresses that
:class:`pipeline.crawl.netguard.NetGuard` refuses are dropped from the answer, so no packet is ever
sent to them; a name with no address left fails like an unknown host.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingHostnameResolver
from twisted.internet.interfaces import IAddress, IHostResolution, IResolutionReceiver
from zope.interface import provider  # type: ignore[import-untyped]

from pipeline.crawl.netguard import NetGuard

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.base import ReactorBase

log = logging.getLogger(__name__)

REFUSED: Counter[str] = Counter()
"""Addresses refused after resolution in this process, by reason (one crawl per process;
Scrapy builds resolvers from the CrawlerProcess, which has no stats: the crawl report reads
this as ``netguard/refused_resolved/<reason>``)."""


@provider(IResolutionReceiver)
class _FilteringReceiver:
    def __init__(self, receiver: Any, resolver: GuardedResolver, host: str,
                 port: int) -> None:
        self.receiver = receiver
        self.resolver = resolver
        self.host = host
        self.port = port

    def resolutionBegan(self, resolution: IHostResolution) -> None:  # noqa: N802
        self.receiver.resolutionBegan(resolution)

    def addressResolved(self, address: IAddress) -> None:  # noqa: N802
        ip = getattr(address, "host", "")
        verdict = self.resolver.guard.check(ip, self.port)
        if verdict.allowed:
            self.receiver.addressResolved(address)
            return
        log.warning("refused %s:%s (resolved from %r): %s address", ip, self.port, self.host,
                    verdict.reason)
        self.resolver.count(verdict.reason)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.receiver.resolutionComplete()


class GuardedResolver(CachingHostnameResolver):
    """Caching hostname resolver that drops addresses the allowlist does not admit.

    Settings: ``NETGUARD_ALLOWED_NETWORKS`` (list of ``CIDR[:port]``). It is active even when
    ``NETGUARD_ENABLED`` is off, which only disables the early check in the middleware.
    """

    def __init__(self, reactor: ReactorBase, cache_size: int, guard: NetGuard) -> None:
        super().__init__(reactor, cache_size)
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:  # noqa: D102
        size = crawler.settings.getint("DNSCACHE_SIZE") \
            if crawler.settings.getbool("DNSCACHE_ENABLED") else 0
        guard = NetGuard.from_strings(crawler.settings.getlist("NETGUARD_ALLOWED_NETWORKS"))
        return cls(reactor, size, guard)

    def count(self, reason: str) -> None:
        """Count one refused address (see :data:`REFUSED`)."""
        REFUSED[reason] += 1

    def resolveHostName(  # noqa: D102, N802 - Twisted interface names
        self,
        resolutionReceiver: IResolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Sequence[type[IAddress]] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ) -> Any:
        receiver: Any = _FilteringReceiver(resolutionReceiver, self, hostName, portNumber)
        return super().resolveHostName(receiver, hostName, portNumber, addressTypes,
                                       transportSemantics)
