"""Own the crawl's WARC writer: open it at spider start, close and upload it at the end.

Files go to ``raw/site=<site>/date=<day>/``, one writer per day partition of the crawl's window,
opened at the first capture of that day (the spider's ``partition_of`` decides each capture's
day, :mod:`spiders.partitions`); they are uploaded at each rollover and at close, so a killed
crawl loses at most the open files. Writes and uploads run in one dedicated
thread (the writer is not thread-safe, and boto3 blocks), never in the reactor. Payload digests
of earlier crawls of the site are loaded at start (``known_payloads``, for revisit records) and
this crawl's digests are saved at close (:mod:`pipeline.archive.payloads`).

Needs the asyncio reactor (Scrapy's default). The spider supplies ``site_id``, ``partition``
(a date: every capture's day unless it has ``partition_of``) and ``run_id`` attributes.

An archive that cannot be opened or written at spider start (checked with
:func:`pipeline.archive.store.check_writable`, before any request) closes the spider at once with
reason :data:`ARCHIVE_UNAVAILABLE` and an error naming the archive; ``scrapy crawl`` then exits
non-zero (:mod:`spiders.commands.crawl`). The writer thread is a daemon, stopped at close, at
reactor shutdown and on every failure, so it never keeps the process alive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import secrets
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from pipeline.archive.layout import raw_prefix, warc_file_stem
from pipeline.archive.payloads import load_known_payloads, save_payloads
from pipeline.archive.schema import RawPointer
from pipeline.archive.store import ArchiveStore, check_writable, open_store
from pipeline.archive.warc import Exchange, WarcWriter
from pipeline.config.settings import Settings

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)
T = TypeVar("T")

ARCHIVE_UNAVAILABLE = "archive_unavailable"
"""Finish reason of a crawl whose archive could not be opened or written at start."""
WARC_WRITE_FAILED = "warc_write_failed"
"""Finish reason of a crawl stopped because a WARC write or upload failed."""
FATAL_FINISH_REASONS = frozenset({ARCHIVE_UNAVAILABLE, WARC_WRITE_FAILED})
"""Finish reasons after which ``scrapy crawl`` exits non-zero (:mod:`spiders.commands.crawl`)."""


def _partitions(spider: Spider) -> list[dt.date]:
    """The day partitions a spider writes (one, ``spider.partition``, unless it says more)."""
    days = getattr(spider, "partitions", None)
    return list(days()) if days else [spider.partition]  # type: ignore[attr-defined]


class WarcCaptureExtension:
    """WARC writer lifecycle.

    Settings: ``WARC_CAPTURE_ENABLED``, ``ARCHIVE_URL``, ``WARC_CAPTURE_MAX_BYTES``,
    ``WARC_CAPTURE_PAYLOAD_LOOKBACK_DAYS``, ``WARC_CAPTURE_MAX_PENDING``.
    Stats: ``warc/records``, ``warc/revisits``, ``warc/files``.
    """

    def __init__(self, crawler: Crawler, archive_url: str, max_bytes: int,
                 lookback_days: int, max_pending: int = 64, *, settings: Settings) -> None:
        self.crawler = crawler
        self.archive_url = archive_url
        self.settings = settings
        self.max_bytes = max_bytes
        self.lookback_days = lookback_days
        self.store: ArchiveStore | None = None
        self.writers: dict[dt.date, WarcWriter] = {}
        self.keys: list[str] = []
        self.keys_by_day: dict[dt.date, list[str]] = {}
        self.payload_index_keys: dict[dt.date, str] = {}
        self._known: Any = None
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="warc-writer")
        # a daemon: an error path that misses stop_pool() must not keep the process alive
        self._pool.threadFactory = functools.partial(  # type: ignore[assignment]
            threading.Thread, daemon=True)
        self._pool_stopped = False
        self.open_error: BaseException | None = None
        self._finished: asyncio.Future[list[str]] | None = None
        self._pending: set[asyncio.Future[RawPointer]] = set()
        self._failure: BaseException | None = None
        self.max_pending = max_pending
        # free places in the writer's queue: a waiting write is woken alone when one frees up
        # (waiting on the pending futures themselves woke every waiter on every write)
        self._slots = asyncio.Semaphore(max_pending)
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureExtension:  # noqa: D102
        settings = crawler.settings
        if not settings.getbool("WARC_CAPTURE_ENABLED"):
            raise NotConfigured("WARC_CAPTURE_ENABLED is off")
        ext = cls(crawler, settings.get("ARCHIVE_URL") or "./archive",
                  settings.getint("WARC_CAPTURE_MAX_BYTES"),
                  settings.getint("WARC_CAPTURE_PAYLOAD_LOOKBACK_DAYS", 30),
                  settings.getint("WARC_CAPTURE_MAX_PENDING", 64),
                  settings=Settings.from_env())
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.stop_pool, signal=signals.engine_stopped)
        return ext

    def stop_pool(self) -> None:
        """Stop the writer thread (once; joins it, so call it when no write is pending)."""
        if self._pool.started and not self._pool_stopped:
            self._pool_stopped = True
            self._pool.stop()

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        from twisted.internet import reactor

        deferred = deferToThreadPool(reactor, self._pool, func, *args)  # type: ignore[arg-type]
        return await maybe_deferred_to_future(deferred)

    async def spider_opened(self, spider: Spider) -> None:
        """Open and check the archive, load known payload digests and start the writer.

        Raises:
            CloseSpider: The archive cannot be opened or written (reason
                :data:`ARCHIVE_UNAVAILABLE`): the crawl closes before any request.
        """
        site: str = spider.site_id  # type: ignore[attr-defined]
        # digests of the days before the window (the first day the crawl writes)
        partition: dt.date = min(_partitions(spider), default=spider.partition)  # type: ignore[attr-defined]
        self._pool.start()
        try:
            self.store = open_store(self.archive_url, self.settings)
            await self._in_thread(check_writable, self.store)
            known = await self._in_thread(load_known_payloads, self.store, site, partition,
                                          self.lookback_days)
        except Exception as exc:
            self.open_error = exc
            self.store = None
            self.stop_pool()
            log.error("WARC capture cannot use the archive %s: %s; stopping the crawl "
                      "before any fetch", self.archive_url, exc)
            raise CloseSpider(ARCHIVE_UNAVAILABLE) from exc
        self._known = known
        log.info("WARC capture to %s/%s (%d known payloads)", self.store.url,
                 raw_prefix(site, partition), len(known))

    def _writer(self, spider: Spider, partition: dt.date) -> WarcWriter:
        """The writer of one day partition, opened at its first capture (writer thread)."""
        writer = self.writers.get(partition)
        if writer is not None:
            return writer
        assert self.store is not None
        site: str = spider.site_id  # type: ignore[attr-defined]
        run_id: str = spider.run_id  # type: ignore[attr-defined]
        writer = self.writers[partition] = WarcWriter(
            self.store, raw_prefix(site, partition), max_bytes=self.max_bytes,
            name=warc_file_stem(site, dt.datetime.now(dt.UTC), secrets.token_hex(3)),
            warcinfo={"isPartOf": f"{site}/{partition.isoformat()}", "operator-run": run_id,
                      "http-header-user-agent": self.crawler.settings.get("USER_AGENT", "")},
            known_payloads=self._known,
            on_file_done=functools.partial(self._file_done, partition))
        return writer

    def _file_done(self, partition: dt.date, key: str) -> None:
        self.keys.append(key)
        self.keys_by_day.setdefault(partition, []).append(key)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("warc/files")

    async def write(self, exchange: Exchange) -> None:
        """Queue one exchange for the writer thread.

        Returns once the exchange is queued; waits only while ``WARC_CAPTURE_MAX_PENDING``
        writes are already queued (back-pressure), so the crawl never outruns the disk.

        Raises:
            Exception: An earlier write failed (the crawl must not go on without its record).
        """
        if self._failure is not None:
            raise self._failure
        spider = self.crawler.spider
        if self._known is None or self.store is None or spider is None:
            return
        day_of = getattr(spider, "partition_of", None)
        partition: dt.date = day_of(exchange.metadata) if day_of else \
            spider.partition  # type: ignore[attr-defined]
        await self._slots.acquire()
        future = asyncio.ensure_future(self._in_thread(self._write_one, spider, partition,
                                                       exchange))
        self._pending.add(future)
        future.add_done_callback(self._written)

    def _write_one(self, spider: Spider, partition: dt.date, exchange: Exchange) -> RawPointer:
        return self._writer(spider, partition).write(exchange)

    def _written(self, future: asyncio.Future[RawPointer]) -> None:
        self._pending.discard(future)
        self._slots.release()
        if future.cancelled():
            return
        if future.exception() is not None:
            self._failure = future.exception()
            log.error("WARC write failed: %s", self._failure)
            if self.crawler.engine is not None:
                self._closing = asyncio.ensure_future(
                    self.crawler.engine.close_spider_async(reason=WARC_WRITE_FAILED))
            return
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("warc/records")

    async def finish(self) -> list[str]:
        """Close the writer (upload the open file) and save payload digests, once.

        Returns:
            The keys of every WARC file written by this crawl (by day: :attr:`keys_by_day`).
        """
        if self._finished is None:
            self._finished = asyncio.ensure_future(self._finish())
        return list(await asyncio.shield(self._finished))

    async def _finish(self) -> list[str]:
        spider = self.crawler.spider
        if self._known is None or self.store is None or spider is None:
            return list(self.keys)
        try:
            while self._pending:
                await asyncio.wait(list(self._pending))
            for writer in list(self.writers.values()):
                await self._in_thread(writer.close)
            if self._failure is not None:
                raise self._failure
            for partition, writer in sorted(self.writers.items()):
                self.payload_index_keys[partition] = await self._in_thread(
                    save_payloads, self.store, spider.site_id,  # type: ignore[attr-defined]
                    partition, writer.payload_digests)
        finally:
            self.stop_pool()
        if self.crawler.stats is not None:
            self.crawler.stats.set_value(
                "warc/revisits", sum(w.stats.get("revisit", 0) for w in self.writers.values()))
        return list(self.keys)

    async def spider_closed(self, spider: Spider) -> None:
        """Upload the open file when the crawl ends."""
        await self.finish()
