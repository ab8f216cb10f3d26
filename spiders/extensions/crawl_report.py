"""Save the crawl's stats with the run: ``staging/<run_id>/crawl/<site>-<partition>.json``.

The report lists what was discovered, fetched, skipped (by reason) and failed (by kind), the
WARC keys written and the payload index, so the next task of the run (extraction) reads it
from the archive instead of from this worker's disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.threads import deferToThread

from pipeline.archive.payloads import crawl_report_key
from pipeline.archive.store import open_store
from pipeline.config.settings import Settings
from spiders.extensions.warc_capture import WarcCaptureExtension
from spiders.resolver import REFUSED

if TYPE_CHECKING:
    from scrapy import Spider
    from scrapy.crawler import Crawler

log = logging.getLogger(__name__)

REPORT_VERSION = 1


def _grouped(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: int(v) for k, v in sorted(stats.items())
            if k.startswith(prefix) and isinstance(v, int | float)}


def build_report(spider: Spider, stats: dict[str, Any], warc_keys: list[str],
                 payload_index_key: str | None) -> dict[str, Any]:
    """The crawl report of a news spider run, as a JSON-ready dict.

    Args:
        spider: The finished spider (``site_id``, ``partition``, ``run_id``, ``window``).
        stats: The crawl stats.
        warc_keys: WARC files written.
        payload_index_key: Key of the saved payload digests, if any.
    """
    window = getattr(spider, "window", None)
    plain = {k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v)
             for k, v in stats.items() if isinstance(v, int | float | str | dt.datetime)}
    return {
        "report_version": REPORT_VERSION,
        "site": getattr(spider, "site_id", spider.name),
        "partition": str(getattr(spider, "partition", "")),
        "run_id": getattr(spider, "run_id", ""),
        "window": {"start": str(window.start), "end": str(window.end),
                   "today": str(window.today), "nightly": window.nightly} if window else None,
        "finish_reason": stats.get("finish_reason"),
        "discovered": int(stats.get("news/discovered", 0)),
        "discovered_by_source": _grouped(stats, "news/discovered/"),
        "fetched": {"articles": int(stats.get("news/fetched/article", 0)),
                    "discovery_pages": int(stats.get("news/fetched/discovery", 0)),
                    "responses": int(stats.get("downloader/response_count", 0))},
        "articles": sorted(getattr(spider, "fetched_articles", ())),
        "skipped": _grouped(stats, "news/skipped/"),
        "errors": _grouped(stats, "news/errors/"),
        "warnings": _grouped(stats, "news/warnings/"),
        "refused": {"offsite": int(stats.get("offsite/filtered", 0)),
                    **{f"netguard_{k}": v for k, v in _grouped(stats, "netguard/refused/").items()},
                    **{f"resolver_{k}": v
                       for k, v in _grouped(stats, "netguard/refused_resolved/").items()}},
        "warc_keys": list(warc_keys),
        "payload_index_key": payload_index_key,
        "stats": plain,
    }


class CrawlReportExtension:
    """Writes the crawl report at spider close.

    Settings: ``CRAWL_REPORT_ENABLED``, ``ARCHIVE_URL``.
    """

    def __init__(self, crawler: Crawler, archive_url: str) -> None:
        self.crawler = crawler
        self.archive_url = archive_url
        self.key: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlReportExtension:  # noqa: D102
        if not crawler.settings.getbool("CRAWL_REPORT_ENABLED"):
            raise NotConfigured("CRAWL_REPORT_ENABLED is off")
        ext = cls(crawler, crawler.settings.get("ARCHIVE_URL") or "./archive")
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """Wait for the WARC files, then save the report."""
        if not hasattr(spider, "site_id"):
            return
        capture = self.crawler.get_extension(WarcCaptureExtension)
        keys = await capture.finish() if capture is not None else []
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        stats.setdefault("finish_reason", reason)
        for why, count in REFUSED.items():
            stats[f"netguard/refused_resolved/{why}"] = count
        report = build_report(spider, stats, keys,
                              capture.payload_index_key if capture else None)
        key = crawl_report_key(spider.run_id, spider.site_id,  # type: ignore[attr-defined]
                               spider.partition)  # type: ignore[attr-defined]
        data = json.dumps(report, indent=1, sort_keys=False).encode()
        store = open_store(self.archive_url, Settings.from_env())
        await maybe_deferred_to_future(deferToThread(store.put, key, data))
        self.key = key
        log.info("crawl report saved to %s/%s", store.url, key)
