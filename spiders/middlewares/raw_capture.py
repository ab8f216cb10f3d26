"""Capture every HTTP exchange, bytes as received, for the WARC writer.

Placed next to the downloader (priority 950, above HttpCompressionMiddleware's 590 and
RedirectMiddleware's 600), so its ``process_response`` runs first: it sees redirects, error
responses, robots.txt and sitemap fetches, with Content-Encoding still applied to the body. It
hands an :class:`pipeline.archive.warc.Exchange` to :class:`spiders.extensions.warc_capture
.WarcCaptureExtension` and waits for the write (which runs in the extension's writer thread).
What the crawl knows about a request (a :class:`pipeline.archive.capture_metadata.CaptureMetadata`)
travels in ``request.meta["capture_metadata"]`` and becomes a WARC metadata record.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.exceptions import NotConfigured

from pipeline.archive.capture_metadata import CaptureMetadata
from pipeline.archive.warc import Exchange, RefersTo
from spiders.extensions.warc_capture import WarcCaptureExtension

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Headers, Response

META_KEY = "capture_metadata"
"""``request.meta`` key of a :class:`CaptureMetadata` written as the exchange's metadata record."""
REFERS_TO_META = "refers_to"
"""``request.meta`` key of the :class:`RefersTo` of a conditional re-fetch (a 304 becomes a
``revisit`` record referring to it; :mod:`spiders.middlewares.revisits`)."""


def header_list(headers: Headers) -> list[tuple[str, str]]:
    """Scrapy headers as (name, value) pairs, repeated names kept, bytes decoded as latin-1."""
    pairs: list[tuple[str, str]] = []
    for name, values in headers.items():
        key = name.decode("latin-1") if isinstance(name, bytes) else str(name)
        for value in values or ():
            text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            pairs.append((key, text))
    return pairs


def exchange_for(request: Request, response: Response, fetched_at: dt.datetime) -> Exchange:
    """Build the exchange of one downloaded response (nothing decoded or re-encoded)."""
    request_headers = header_list(request.headers)
    if not any(k.lower() == "host" for k, _ in request_headers):
        request_headers.insert(0, ("Host", urlsplit(request.url).netloc))
    metadata = request.meta.get(META_KEY)
    if metadata is not None and not isinstance(metadata, CaptureMetadata):
        raise TypeError(f"request.meta[{META_KEY!r}] must be a CaptureMetadata, "
                        f"not {type(metadata).__name__}")
    refers_to = request.meta.get(REFERS_TO_META)
    if refers_to is not None and not isinstance(refers_to, RefersTo):
        raise TypeError(f"request.meta[{REFERS_TO_META!r}] must be a RefersTo")
    ip = response.ip_address
    return Exchange(
        url=response.url,
        status=response.status,
        response_headers=header_list(response.headers),
        body=response.body,
        fetched_at=fetched_at,
        method=request.method,
        request_headers=request_headers,
        request_body=request.body,
        protocol=response.protocol or "HTTP/1.1",
        ip_address=str(ip) if ip is not None else None,
        metadata=metadata,
        refers_to=refers_to,
    )


class RawCaptureMiddleware:
    """Downloader middleware feeding the WARC capture. Enabled with ``WARC_CAPTURE_ENABLED``."""

    def __init__(self, capture: WarcCaptureExtension) -> None:
        self.capture = capture

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RawCaptureMiddleware:  # noqa: D102
        if not crawler.settings.getbool("WARC_CAPTURE_ENABLED"):
            raise NotConfigured("WARC_CAPTURE_ENABLED is off")
        capture = crawler.get_extension(WarcCaptureExtension)
        if capture is None:
            raise NotConfigured("WarcCaptureExtension is not enabled in EXTENSIONS")
        return cls(capture)

    async def process_response(self, request: Request, response: Response) -> Response:
        """Queue the exchange for writing, then pass the response on unchanged."""
        exchange = exchange_for(request, response, dt.datetime.now(dt.UTC))
        await self.capture.write(exchange)
        return response
