"""How the news spider names what happened to a request: error kinds and discovery tallies.

:func:`error_kind` classifies a failed request (``news/errors/<kind>`` or
``news/skipped/<reason>`` in the stats); :class:`SourceTally` keeps what one discovery source of
the site gave and why its documents could not be read, the evidence the crawl report carries
(:class:`pipeline.archive.crawlreport.SourceReport`) for the site-day's verdict.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from pipeline.archive.crawlreport import SourceReport
from pipeline.extract.blockpage import block_reason
from spiders.middlewares.netguard import ForbiddenAddress

log = logging.getLogger(__name__)

SOURCE_META = "discovery_source"
"""``request.meta`` key naming the discovery source a discovery request belongs to."""

_ERROR_KINDS = {
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout",
    "ResponseDataLossError": "data_loss", "DownloadCancelledError": "download_maxsize",
    "DownloadConnectionRefusedError": "connection_refused",
    "CannotResolveHostError": "dns", "DNSLookupError": "dns",
    "ConnectionLost": "connection_lost", "ConnectionDone": "connection_lost",
    "DownloadFailedError": "connection_failed", "ResponseFailed": "connection_failed",
}


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


@dataclasses.dataclass
class SourceTally:
    """Running counts of one discovery source (see :class:`SourceReport`)."""

    kind: str
    url: str
    pages: int = 0
    links: int = 0
    failures: Counter[str] = dataclasses.field(default_factory=Counter)

    def report(self) -> SourceReport:
        """The source's part of the crawl report."""
        return SourceReport(self.kind, self.url, self.pages, self.links, dict(self.failures))


class DiscoveryEvidence:
    """Spider mixin: what each discovery source gave, for the crawl report.

    The spider registers each source in :attr:`sources` under its URL, and every discovery
    request carries that URL in ``request.meta[SOURCE_META]``.
    """

    sources: dict[str, SourceTally]

    def count(self, key: str, value: int = 1) -> None:  # noqa: D102 - the spider's counter
        raise NotImplementedError

    def source_reports(self) -> tuple[SourceReport, ...]:
        """What each discovery source gave, for the crawl report."""
        return tuple(t.report() for t in self.sources.values())

    def _tally(self, response_or_request: Any) -> SourceTally | None:
        return self.sources.get(response_or_request.meta.get(SOURCE_META, ""))

    def _read(self, response: Response) -> bool:
        """Count a discovery document as read, or as blocked (then it is not parsed)."""
        self.count("fetched/discovery")
        tally = self._tally(response)
        reason = block_reason(response.status, response.body)
        if reason is not None:
            self.count("blocked/discovery")
            log.warning("blocked (%s): %s", reason, response.url)
            if tally is not None:
                tally.failures["blocked"] += 1
            return False
        if tally is not None:
            tally.pages += 1
        return True

    def _unreadable(self, response: Response, kind: str) -> None:
        """A discovery document that was fetched but could not be parsed."""
        tally = self._tally(response)
        if tally is not None:
            tally.pages -= 1
            tally.failures[kind] += 1
