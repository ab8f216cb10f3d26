"""Retries with exponential backoff that honour ``Retry-After`` on 429 and 503.

Replaces Scrapy's ``RetryMiddleware`` (same settings: ``RETRY_ENABLED``, ``RETRY_TIMES``,
``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``) and waits before handing back each retry: the
server's ``Retry-After`` (seconds or an HTTP date) when it sent one on 429/503, otherwise
``RETRY_BACKOFF_BASE * 2 ** (attempt - 1)``, at most ``RETRY_BACKOFF_MAX`` seconds. A
``Retry-After`` longer than that gives up on the request instead of stalling the crawl.
"""

from __future__ import annotations

import datetime as dt
import logging
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.utils.asyncio import sleep

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.settings import BaseSettings

log = logging.getLogger(__name__)

RETRY_AFTER_CODES = frozenset({429, 503})


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Parse a ``Retry-After`` header (delta seconds or HTTP date) into seconds.

    Returns:
        Seconds to wait (never negative), or ``None`` when absent or unparsable.
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """RetryMiddleware with backoff and Retry-After. Stats: ``retry/delayed_seconds``."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("RETRY_BACKOFF_BASE", 1.0)
        self.backoff_max = settings.getfloat("RETRY_BACKOFF_MAX", 60.0)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:  # noqa: D102
        o = cls(crawler.settings)
        o.crawler = crawler
        return o

    def delay_for(self, request: Request, response: Response | None) -> float | None:
        """Seconds to wait before the next attempt; ``None`` means give up now."""
        if response is not None and response.status in RETRY_AFTER_CODES:
            header = response.headers.get(b"Retry-After")
            asked = retry_after_seconds(header.decode("latin-1") if header else None)
            if asked is not None:
                return float(asked) if asked <= self.backoff_max else None
        attempt = int(request.meta.get("retry_times", 0)) + 1
        return float(min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        """Retry retryable statuses after the backoff delay."""
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        delay = self.delay_for(request, response)
        if delay is None:
            log.info("Retry-After of %s is beyond RETRY_BACKOFF_MAX; giving up", request.url)
            self._stat("retry/retry_after_too_long")
            return response
        retry = self._retry(request, f"{response.status} response")
        if retry is None:
            return response
        await self._wait(delay)
        return retry

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception
    ) -> Request | Response | None:
        """Retry transient download errors after the backoff delay."""
        if not isinstance(exception, self.exceptions_to_retry) \
                or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(self.delay_for(request, None) or 0.0)
        return retry

    async def _wait(self, delay: float) -> None:
        if delay > 0:
            self._stat("retry/delayed_seconds", round(delay, 3))
            await sleep(delay)

    def _stat(self, key: str, value: float = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, value)  # type: ignore[arg-type]
